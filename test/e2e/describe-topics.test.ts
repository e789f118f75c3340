// Kafka's own Admin.describeTopics (kafka-clients 4.4, as admin tools and UIs call it): against a
// 3.7+ broker it sends DescribeTopicPartitions, paging through partitions with a cursor. The
// filter decides the answers from their view (enforce/apis/topics.ts topicsFromView): topics
// refused, the policy's authorized operations written over the broker's, the broker's bytes
// otherwise. Through Envoy the principal sees what the broker itself answers (on its INTERNAL
// listener: no Envoy, no filter, no authorizer), but for the topics it may not DESCRIBE, refused
// with TOPIC_AUTHORIZATION_FAILED as Kafka's authorizer refuses them; page by page and whole.

import assert from "node:assert/strict";
import { join } from "node:path";
import { e2e } from "./lib/harness";
import { PLAINTEXT, BROKER_INTERNAL, ROOT, unique } from "./lib/env";
import { directAdmin, ensureTopics, Wire, request, response } from "./lib/attack";
import { CONSOLE_JARS } from "./lib/drivers";
import { run } from "./lib/proc";

const PROGRAM = join(ROOT, "test", "e2e", "clients", "admin", "DescribeTopics.java");

type Described = Record<string, { partitions?: Array<{ partition: number; leader: number }>; error?: string }>;

/** Admin.describeTopics of `topics` at `bootstrap`, `limit` partitions per answer. */
async function describe(bootstrap: string, limit: number, topics: string[]): Promise<Described> {
  const r = await run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, PROGRAM, bootstrap, String(limit), ...topics],
    { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`DescribeTopics at ${bootstrap} exited ${r.code}: ${r.stderr.slice(-800)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Described;
}

e2e("Admin.describeTopics through Envoy, paged a partition at a time and whole: the broker's answer less what the principal may not see", async (c) => {
  const a = unique("e2e.describe.", "a"), b = unique("e2e.describe.", "b"), hidden = unique("secret.describe.", "c");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [a, b], 3);
  await ensureTopics(admin, [hidden], 2);
  const asked = [a, hidden, b, unique("e2e.describe.", "none")];
  for (const limit of [1, 2000]) {
    const [through, direct] = [await describe(PLAINTEXT, limit, asked), await describe(BROKER_INTERNAL, limit, asked)];
    c.t.diagnostic(`limit ${limit}: through Envoy ${JSON.stringify(through)}`);
    assert.equal(direct[hidden].partitions?.length, 2, `limit ${limit}: the broker itself describes ${hidden}`);
    assert.equal(direct[a].partitions?.length, 3, `limit ${limit}: the broker itself describes ${a}'s 3 partitions`);
    assert.deepEqual(through, { ...direct, [hidden]: { error: "TOPIC_AUTHORIZATION_FAILED" } },
      `limit ${limit}: through Envoy, the broker's answer with ${hidden} refused`);
  }
}, 180_000);

// A listing (DescribeTopicPartitions naming no topic) pages over every topic. Kafka leaves out
// those the principal may not DESCRIBE before it pages; the broker behind the filter does not,
// so the filter answers a listing itself, from a Metadata listing of its own, paged as Kafka
// pages it. Paged through Envoy a partition or three at a time, the listing is the broker's own
// (on its INTERNAL listener), in order, less the topics the principal may not describe.
e2e("a DescribeTopicPartitions listing through Envoy, paged: the broker's listing, in order, less the hidden topics, pages never longer than asked", async (c) => {
  const a = unique("e2e.dtp.", "a"), b = unique("e2e.dtp.", "b"), hidden = unique("secret.dtp.", "c");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [a, b], 3);
  await ensureTopics(admin, [hidden], 2);
  type Row = [string, number, number];
  /** Every (topic, partition, leader) of a listing at `w`, `limit` partitions a page. */
  const listAll = async (w: Wire, limit: number): Promise<{ rows: Row[]; longest: number; pages: number }> => {
    const rows: Row[] = [];
    let cursor: { topicName: string; partitionIndex: number } | null = null, longest = 0, pages = 0;
    for (let corr = 1; corr < 5000; corr++) {
      await w.send(await request(75, 0, corr, { topics: [], responsePartitionLimit: limit, cursor }));
      const f = await w.next(10_000);
      assert.ok(f !== null, `page ${corr} answered (closed: ${w.closed})`);
      const page = await response(f, 75, 0);
      pages++;
      let n = 0;
      for (const t of page.topics) {
        assert.equal(t.errorCode, 0, `${t.name}: no error in a listing`);
        for (const p of t.partitions) { rows.push([t.name, p.partitionIndex, p.leaderId]); n++; }
      }
      longest = Math.max(longest, n);
      cursor = page.nextCursor;
      if (cursor === null) return { rows, longest, pages };
    }
    throw new Error("the listing did not end");
  };
  const direct = await Wire.at(BROKER_INTERNAL);
  c.cleanup(() => direct.destroy());
  const all = (await listAll(direct, 2000)).rows;
  assert.ok(all.some(([t]) => t === hidden), `the broker itself lists ${hidden}`);
  // What the principal may describe, as a Metadata listing through Envoy shows it.
  const m = await Wire.for(c, "plaintext");
  await m.send(await request(3, 12, 1, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
  const listed = await m.next(10_000);
  assert.ok(listed !== null, "a Metadata listing through Envoy");
  const visible = new Set<string>((await response(listed, 3, 12)).topics.map((t: any) => t.name as string));
  assert.ok(visible.has(a) && !visible.has(hidden), `the Metadata listing shows ${a}, not ${hidden}`);
  for (const limit of [1, 3]) {
    const w = await Wire.for(c, "plaintext");
    const through = await listAll(w, limit);
    c.t.diagnostic(`limit ${limit}: ${through.pages} pages, ${through.rows.length} partitions`);
    assert.ok(through.rows.some(([t]) => t === a) && through.rows.some(([t]) => t === b), `limit ${limit}: ${a} and ${b} are listed`);
    assert.ok(!through.rows.some(([t]) => t.startsWith("secret.")), `limit ${limit}: no topic the principal may not describe`);
    assert.deepEqual(through.rows, all.filter(([t]) => visible.has(t)), `limit ${limit}: the broker's listing less the hidden topics, in order`);
    assert.ok(through.longest <= limit, `limit ${limit}: no page longer than asked (${through.longest})`);
  }
}, 180_000);

// Kafka checks a DescribeProducers name's validity before READ (KafkaApis.checkValidTopic): an
// invalid name is INVALID_TOPIC_EXCEPTION whatever the ACLs. Through Envoy ANONYMOUS gets the
// broker's own answer for an invalid name under e2e. (READ: sent on) and under secret. (no
// READ: the filter answers, as Kafka's authorizer would never be asked), and the authorization
// refusal for a valid hidden name.
e2e("DescribeProducers of invalid names: Kafka's INVALID_TOPIC_EXCEPTION and message, whether the principal may READ the name or not; a valid hidden name refused", async (c) => {
  const invalid = [unique("e2e.producers ", "a"), unique("secret.producers ", "b")];
  const hidden = unique("secret.producers.", "c");
  const ask = async (w: Wire, names: string[]): Promise<any[]> => {
    await w.send(await request(61, 0, 5, { topics: names.map((name) => ({ name, partitionIndexes: [0] })) }));
    const f = await w.next();
    assert.ok(f != null, "no answer");
    return (await response(f, 61, 0)).topics;
  };
  const broker = await Wire.at(BROKER_INTERNAL);
  c.cleanup(() => broker.destroy());
  const direct = await ask(broker, invalid);
  const through = await ask(await Wire.for(c, "plaintext"), [...invalid, hidden]);
  for (const name of invalid) {
    const want = direct.find((t) => t.name === name)!.partitions[0];
    const got = through.find((t) => t.name === name)!.partitions[0];
    assert.equal(want.errorCode, 17, `the broker answers ${name} INVALID_TOPIC_EXCEPTION`);
    assert.deepEqual({ code: got.errorCode, message: got.errorMessage }, { code: want.errorCode, message: want.errorMessage }, name);
  }
  assert.equal(through.find((t) => t.name === hidden)!.partitions[0].errorCode, 29, "the valid hidden name: TOPIC_AUTHORIZATION_FAILED");
});
