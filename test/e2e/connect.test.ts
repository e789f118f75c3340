// Kafka Connect through Envoy + the filter: Kafka's own distributed worker (connect-runtime 4.4.0
// from Maven Central) as ANONYMOUS on PLAINTEXT, its group and internal topics under the
// policy's grants (group e2e.group.*, topics e2e.*), running two small connectors of ours
// (test/e2e/clients/java/src/E2eConnect.java; Kafka's file connectors are not on Maven Central):
//   a worker whose offsets topic would get Connect's default 25 partitions is refused by
//   limits.createTopics (max 12) and stops, saying so;
//   with 5: a source connector writes three lines to a topic, a sink connector (its consumer
//   group set to e2e.group.*, connector.client.config.override.policy=All) writes them to a file;
//   a sink in Connect's default group (connect-<name>, not granted) fails with
//   GroupAuthorizationException, a source writing e2e.readonly.* with TopicAuthorizationException,
//   while the worker and the other connectors go on;
//   with exactly-once source support (KIP-618), a source whose transactional ids are granted
//   writes in transactions, a task whose id is not granted fails with Kafka's error.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { e2e, type Ctx } from "./lib/harness";
import { PLAINTEXT, unique } from "./lib/env";
import { CLIENTS_DIR } from "./lib/drivers";
import { waitForLog } from "./lib/envoy";
import { startService, until, type Service } from "./lib/proc";
import { admin, client, consume } from "./lib/kafkajs";

const REST = "127.0.0.1:18083";

interface Worker extends Service { dir: string }

/** Starts a distributed worker through Envoy; `extra` lines are added to its properties. */
function startWorker(c: Ctx, tag: string, extra: string[]): Worker {
  const dir = mkdtempSync(join(tmpdir(), "e2e-connect-"));
  const props = [
    `bootstrap.servers=${PLAINTEXT}`,
    `group.id=${unique("e2e.group.connect-", tag)}`,
    `config.storage.topic=${unique("e2e.connect-", `${tag}-configs`)}`,
    `offset.storage.topic=${unique("e2e.connect-", `${tag}-offsets`)}`,
    `status.storage.topic=${unique("e2e.connect-", `${tag}-status`)}`,
    "config.storage.replication.factor=1", "offset.storage.replication.factor=1", "status.storage.replication.factor=1",
    "key.converter=org.apache.kafka.connect.storage.StringConverter", "value.converter=org.apache.kafka.connect.storage.StringConverter",
    `listeners=http://${REST}`, "plugin.discovery=only_scan", "offset.flush.interval.ms=500",
    ...extra,
  ];
  writeFileSync(join(dir, "worker.properties"), props.join("\n") + "\n");
  const jars = join(CLIENTS_DIR, "connect-4.4.0");
  const worker = startService(c, "java", ["-cp", `${jars}/classes:${jars}/*`, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "org.apache.kafka.connect.cli.ConnectDistributed", "worker.properties"], dir);
  return { ...worker, dir };
}

/** Until the worker's REST API answers (90 s at most). */
async function restUp(): Promise<boolean> {
  return (await until(90_000, async () => ((await rest("/connectors")).status === 200 ? true : null))) === true;
}

async function rest(path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`http://${REST}${path}`, {
    method: body === undefined ? "GET" : "POST", headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: r.status, json };
}

/** A connector's first task once it is in `state` (with its trace); its last state after 60 s otherwise. */
async function taskState(name: string, state: "RUNNING" | "FAILED"): Promise<{ state: string; trace: string }> {
  let last = { state: "none", trace: "" };
  await until(60_000, async () => {
    const t = (await rest(`/connectors/${name}/status`)).json?.tasks?.[0];
    if (t !== undefined) last = { state: String(t.state), trace: String(t.trace ?? "") };
    return last.state === state ? last : null;
  });
  return last;
}

e2e("Kafka Connect: a worker whose offsets topic would get Connect's default 25 partitions is refused by limits.createTopics and stops, saying so", async (c) => {
  const w = startWorker(c, "default", []);
  const stopped = await until(90_000, async () => (w.exited() ? true : null));
  assert.ok(stopped, `the worker stopped (log: ${w.log().slice(-600)})`);
  assert.match(w.log(), /25 partitions exceed the maximum of 12/, "its log names the limit");
  assert.ok(await waitForLog(c.mark, ["denied CreateTopics", "-offsets"]), "the filter logs the refusal");
}, 150_000);

e2e("Kafka Connect: source and sink connectors run through the filter; a sink in a group it may not read and a source to a topic it may not write fail alone", async (c) => {
  const w = startWorker(c, "run", ["offset.storage.partitions=5", "status.storage.partitions=1", "connector.client.config.override.policy=All"]);
  assert.ok(await restUp(), `the worker's REST API answers (log: ${w.log().slice(-600)})`);
  const topic = unique("e2e.connect-data.", "run"), out = join(w.dir, "sink.txt");
  const src = unique("src-", "run"), sink = unique("sink-", "run"), deniedSink = unique("sink-", "denied"), deniedSrc = unique("src-", "denied");
  const create = (name: string, config: Record<string, string>) => rest("/connectors", { name, config: { "tasks.max": "1", ...config } });
  assert.equal((await create(src, { "connector.class": "E2eConnect$LinesSource", topic, lines: "l1,l2,l3" })).status, 201);
  assert.equal((await create(sink, { "connector.class": "E2eConnect$FileSink", topics: topic, file: out,
    "consumer.override.group.id": unique("e2e.group.sink-", "run") })).status, 201);
  assert.equal((await create(deniedSink, { "connector.class": "E2eConnect$FileSink", topics: topic, file: join(w.dir, "denied.txt") })).status, 201);
  assert.equal((await create(deniedSrc, { "connector.class": "E2eConnect$LinesSource", topic: unique("e2e.readonly.connect-", "run"), lines: "x" })).status, 201);

  const lines = await until(60_000, async () => {
    const got = existsSync(out) ? readFileSync(out, "utf8").split("\n").filter((l) => l.length > 0) : [];
    return got.length >= 3 ? got : null;
  });
  assert.deepEqual(lines, ["l1", "l2", "l3"], "the sink wrote what the source produced");
  const denied = await taskState(deniedSink, "FAILED");
  c.t.diagnostic(`${deniedSink}: ${JSON.stringify(denied).slice(0, 300)}`);
  assert.equal(denied.state, "FAILED");
  assert.match(denied.trace, /GroupAuthorizationException/);
  const readonly = await taskState(deniedSrc, "FAILED");
  c.t.diagnostic(`${deniedSrc}: ${JSON.stringify(readonly).slice(0, 300)}`);
  assert.equal(readonly.state, "FAILED");
  assert.match(readonly.trace, /TopicAuthorizationException/);
  assert.equal((await taskState(src, "RUNNING")).state, "RUNNING", "the allowed source goes on");
  assert.equal((await taskState(sink, "RUNNING")).state, "RUNNING", "and the allowed sink");
}, 180_000);

// Exactly-once source support (KIP-618): the worker's leader writes the config topic with the
// transactional id connect-cluster-<group>, each source task writes its records and offsets in
// transactions as <group>-<connector>-<task>, fenced by the leader first (Admin.fenceProducers).
// The policy grants both for groups e2e.group.connect-eos-* only (test/e2e/policy.json).
const EOS_WORKER = ["exactly.once.source.support=enabled", "offset.storage.partitions=5", "status.storage.partitions=1"];

e2e("Kafka Connect exactly-once source: with its transactional ids granted, a source writes its records in a transaction", async (c) => {
  startWorker(c, "eos", EOS_WORKER);
  assert.ok(await restUp(), "the worker's REST API answers");
  const topic = unique("e2e.connect-data.", "eos"), src = unique("src-", "eos");
  assert.equal((await rest("/connectors", { name: src, config: { "tasks.max": "1", "connector.class": "E2eConnect$LinesSource",
    topic, lines: "l1,l2,l3", "exactly.once.support": "required" } })).status, 201);
  const got = await until(60_000, async () => {
    const end = (await (await admin(c, client("anonymous"))).fetchTopicOffsets(topic))[0];
    return Number(end?.high ?? 0) >= 3 ? end : null;
  });
  assert.ok(got, `the source wrote (task: ${JSON.stringify(await taskState(src, "RUNNING")).slice(0, 300)})`);
  const read = await consume(c, client("anonymous"), topic, unique("e2e.group.connect-check-", "eos"), 3, 30_000);
  assert.deepEqual(read.map((m) => m.value), ["l1", "l2", "l3"], "a read_committed consumer reads the three lines");
  // Three records and the transaction's commit marker: the records were written in a transaction.
  assert.equal(got.high, "4", "the partition ends after a commit marker");
  assert.equal((await taskState(src, "RUNNING")).state, "RUNNING");
}, 180_000);

e2e("Kafka Connect exactly-once source: a task whose transactional id is not granted fails with TransactionalIdAuthorizationException", async (c) => {
  // connect-cluster-e2e.group.connect-eosdenied-* is granted (the worker leads), e2e.group.connect-eosdenied-* is not.
  startWorker(c, "eosdenied", EOS_WORKER);
  assert.ok(await restUp(), "the worker's REST API answers");
  const src = unique("src-", "eosdenied");
  assert.equal((await rest("/connectors", { name: src, config: { "tasks.max": "1", "connector.class": "E2eConnect$LinesSource",
    topic: unique("e2e.connect-data.", "eosdenied"), lines: "x", "exactly.once.support": "required" } })).status, 201);
  const failed = await taskState(src, "FAILED");
  assert.equal(failed.state, "FAILED");
  assert.match(failed.trace, /TransactionalIdAuthorizationException/);
  assert.ok(await waitForLog(c.mark, ["denied", "TRANSACTIONAL_ID:e2e.group.connect-eosdenied-"]), "the filter logs the refusal naming the task's id");
}, 180_000);
