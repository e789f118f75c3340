// Transactions through Envoy + the filter, with the clients' own transactional producers
// (drivers in test/e2e/clients/, steps `txn` and `consume ...|read_committed`), PLAINTEXT as
// ANONYMOUS, which may write e2e.* and use transactional ids e2e.tx.*:
//   commit/abort  three transactions on one producer, committed, aborted, committed: a
//                 read_committed group reads the two committed ones only, a read_uncommitted one
//                 (straight to the broker) also the aborted record, so the abort was real;
//   denied id     a transactional id the policy does not grant: the client's
//                 TRANSACTIONAL_ID_AUTHORIZATION_FAILED, nothing written;
//   denied topic  a granted id writing to e2e.readonly.*: TOPIC_AUTHORIZATION_FAILED, nothing
//                 written.
// Kafka 4.x clients against a 4.x broker use transactions v2 (KIP-890: the Produce request
// adds its partitions to the transaction, no AddPartitionsToTxn; EndTxn v5 bumps the epoch);
// older clients and Kafka 3.9 the classic exchange. The table is printed at the end.

import assert from "node:assert/strict";
import { after } from "node:test";
import { join } from "node:path";
import { e2e } from "./lib/harness";
import { PLAINTEXT, ROOT, unique } from "./lib/env";
import { directAdmin, directKafka, ensureTopics } from "./lib/attack";
import { CLIENTS_DIR, PYTHON, driver, type Outcome, type Step } from "./lib/drivers";
import { waitForLog, stats, delta, K } from "./lib/envoy";

interface TxnClient { name: string; run: (steps: Step[]) => Promise<Outcome[]> }

const java = (version: string): TxnClient => {
  const dir = join(CLIENTS_DIR, `java-${version}`);
  return { name: `kafka-clients ${version} (Java)`, run: (steps) => driver("java", ["-cp", `${dir}/classes:${dir}/*`, "Driver"], steps) };
};

const python = (name: string, which: string): TxnClient =>
  ({ name, run: (steps) => driver(PYTHON, [join(ROOT, "test/e2e/clients/python/driver.py"), which], steps) });
const go = (name: string, dir: string): TxnClient => ({ name, run: (steps) => driver(join(CLIENTS_DIR, dir), [], steps) });

// kafka-go has no transactional producer; kafkajs's transactions are cluster.test.ts's.
const CLIENTS: TxnClient[] = [
  java("4.4.0"), java("3.9.1"), java("2.8.2"),
  python("confluent-kafka (librdkafka)", "confluent"), python("kafka-python", "kafka-python"), python("aiokafka", "aiokafka"),
  go("franz-go", "franz-go"), go("sarama", "sarama"),
];

const table: string[] = [];
after(() => {
  if (table.length === 0) return;
  console.log(["transactions through the filter:", "| client | exchange | commit/abort | denied id | denied topic |", "| --- | --- | --- | --- | --- |", ...table].join("\n"));
});

/** The values a consumer straight to the broker reads from `topic`, uncommitted ones included. */
async function everythingIn(topic: string, count: number): Promise<string[]> {
  const consumer = directKafka().consumer({ groupId: unique("e2e.group.txn-direct-", "all"), readUncommitted: true, maxWaitTimeInMs: 300 });
  const got: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 15_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value?.toString() ?? "");
          if (got.length >= count) { clearTimeout(timer); resolve(); }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

for (const cl of CLIENTS) {
  e2e(`transactions: ${cl.name}`, async (c) => {
    const tag = cl.name.replace(/\W+/g, "-");
    const topic = unique("e2e.txn.", tag), readonly = unique("e2e.readonly.txn-", tag);
    await ensureTopics(await directAdmin(c), [topic, readonly]);
    const conn = `@${PLAINTEXT}`;
    const id = unique("e2e.tx.", tag), deniedId = unique("other.tx.", tag);
    const before = await stats();
    const o = await cl.run([
      { op: "txn", conn, topic, transactionalId: id, plan: [{ end: "commit", values: ["t1", "t2"] }, { end: "abort", values: ["x1"] }, { end: "commit", values: ["t3"] }] },
      { op: "consume", conn, topic, group: unique("e2e.group.txn-", tag), count: 3, isolation: "read_committed" },
      { op: "txn", conn, topic, transactionalId: deniedId, plan: [{ end: "commit", values: ["denied-id"] }] },
      { op: "txn", conn, topic: readonly, transactionalId: unique("e2e.tx.", `${tag}-ro`), plan: [{ end: "commit", values: ["denied-topic"] }] },
    ]);
    for (const x of o) c.t.diagnostic(JSON.stringify(x).slice(0, 400));
    // Which exchange the client used: transactions v2 (KIP-890) adds partitions with the Produce.
    const added = delta(before, await stats(), K("requests.add_partitions_to_txn"));
    const exchange = added > 0 ? `classic (AddPartitionsToTxn ×${added})` : "v2 (no AddPartitionsToTxn)";
    const cells: string[] = [];
    const judge = (what: string, problem: string | null): void => { cells.push(problem === null ? "pass" : "FAIL"); if (problem !== null) c.t.diagnostic(`${what}: ${problem}`); };

    const all = await everythingIn(topic, 4);
    judge("commit/abort", !o[0].ok ? `txn: ${o[0].error}: ${o[0].message}` : !o[1].ok ? `read_committed: ${o[1].error}: ${o[1].message}`
      : JSON.stringify(o[1].values) !== JSON.stringify(["t1", "t2", "t3"]) ? `read_committed read ${JSON.stringify(o[1].values)}`
      : JSON.stringify([...all].sort()) !== JSON.stringify(["t1", "t2", "t3", "x1"]) ? `the broker holds ${JSON.stringify(all)}` : null);
    const idLine = await waitForLog(c.mark, ["denied", `TRANSACTIONAL_ID:${deniedId}`]);
    judge("denied id", !o[2].ok && o[2].error === "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
      ? (idLine === null ? "no denial line names the transactional id" : null) : `got ${JSON.stringify(o[2])}`);
    judge("denied topic", !o[3].ok && o[3].error === "TOPIC_AUTHORIZATION_FAILED" ? null : `got ${JSON.stringify(o[3])}`);
    table.push(`| ${cl.name} | ${exchange} | ${cells.join(" | ")} |`);
    assert.ok(cells.every((x) => x === "pass"), `${cl.name}: ${cells.join(", ")}`);
    assert.ok(!all.includes("denied-id"), "nothing of the denied transactional id reached the topic");
  }, 180_000);
}
