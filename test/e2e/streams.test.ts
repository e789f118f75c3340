// A real Kafka Streams application (kafka-streams 4.4.0 from Maven Central,
// test/e2e/clients/java/src/StreamsApp.java) through Envoy + the filter, as ANONYMOUS on
// PLAINTEXT: it counts the records of an input topic per key through a repartition topic and
// a changelog, internal topics it creates itself under its application id (e2e.group.*: the
// policy's group READ, and e2e.* READ, WRITE and CREATE; limits.createTopics caps partitions
// at 12), and writes the counts to an output topic.
//   classic        the classic group protocol: the internal topics come from CreateTopics;
//   streams        KIP-1071's streams group protocol: the broker creates them from the topology the
//                  member's heartbeat declares, most with partition counts it derives from the source
//                  topics; the filter asks the broker for those counts (one lookup, the heartbeat
//                  retried) and judges them against limits.createTopics;
//   streams, 20    the same with a source topic of 20 partitions: the changelog would get 20, past the
//                  limit, so the topology is refused (STREAMS_INVALID_TOPOLOGY, the app stops) and no
//                  internal topic is created;
//   streams, no source  started before its source topic exists: the counts derived from it could not
//                  be judged when it appears, so the topology is refused (once the broker said so, not
//                  retried in a loop);
//   restart        a RocksDB store: the application started again (its local state wiped) restores its
//                  counts from the changelog through the filter and goes on counting;
//   exactly once   processing.guarantee=exactly_once_v2 with an application id whose transactional ids
//                  the policy does not grant: TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
//   two instances  the application scaled out (test/e2e/clients/java/src/StreamsPair.java), each
//                  instance with an interactive-query endpoint and a standby copy of the other's
//                  store, under either protocol (with the streams protocol an operator sets the
//                  group's standby replicas through the proxy with kafka-configs); the first leaves
//                  and the second goes on from its standby copies, nothing restored.

import assert from "node:assert/strict";
import { join } from "node:path";
import { e2e, type ApiNeed, type Ctx } from "./lib/harness";
import { PLAINTEXT, SASL, unique } from "./lib/env";
import { API, directAdmin, directKafka, ensureTopics } from "./lib/attack";
import { CLIENTS_DIR } from "./lib/drivers";
import { run } from "./lib/proc";
import { kafkaTool } from "./lib/kafka-tools";
import { stats, delta, K, waitForLog, brief } from "./lib/envoy";

const STREAMS_NEEDS: ApiNeed[] = [{ api: "StreamsGroupHeartbeat", key: API.StreamsGroupHeartbeat, version: 0 }];
const APP_TIMEOUT_MS = 45_000;

interface AppResult { ok: boolean; counts?: Record<string, number>; error?: string; message?: string; stderr: string }

/** Runs StreamsApp until it has read back `expect` from its output (or fails, or times out). */
async function streamsApp(appId: string, input: string, output: string, guarantee: string, protocol: string,
  expect: Record<string, number>, store: "memory" | "rocksdb" = "memory"): Promise<AppResult> {
  const dir = join(CLIENTS_DIR, "streams-4.4.0");
  const r = await run("java", ["-cp", `${dir}/classes:${dir}/*`, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "StreamsApp", PLAINTEXT, appId, input,
    output, guarantee, protocol, Object.entries(expect).map(([k, v]) => `${k}=${v}`).join(","), String(APP_TIMEOUT_MS), store],
  { timeoutMs: APP_TIMEOUT_MS + 30_000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  return line !== undefined ? { ...(JSON.parse(line) as Omit<AppResult, "stderr">), stderr: r.stderr }
    : { ok: false, error: r.timedOut ? "DRIVER_TIMEOUT" : `exit ${r.code}`, stderr: r.stderr };
}

/** An input topic of `partitions` with keys a, b, a (written at the broker directly) and an output topic. */
async function topics(c: Ctx, tag: string, partitions = 2): Promise<{ input: string; output: string }> {
  const input = unique("e2e.streams-in.", tag), output = unique("e2e.streams-out.", tag);
  const admin = await directAdmin(c);
  await ensureTopics(admin, [input], partitions);
  await ensureTopics(admin, [output]);
  await writeKeys(input, ["a", "b", "a"]);
  return { input, output };
}

/** Records with `keys` written to `topic` at the broker directly. */
async function writeKeys(topic: string, keys: string[]): Promise<void> {
  const p = directKafka().producer();
  await p.connect();
  try {
    await p.send({ topic, messages: keys.map((key) => ({ key, value: "x" })) });
  } finally {
    await p.disconnect();
  }
}

/** The internal topics of `appId` at the broker. */
async function internalTopics(c: Ctx, appId: string): Promise<string[]> {
  return (await (await directAdmin(c)).listTopics()).filter((t) => t.startsWith(`${appId}-`)).sort();
}

function show(r: AppResult): string {
  return `${JSON.stringify({ ...r, stderr: undefined })}; stderr: ${r.stderr.split("\n").filter((l) => / (ERROR|WARN) /.test(l)).slice(-3).join(" | ").slice(0, 800)}`;
}

e2e("Kafka Streams, classic group protocol: counts through its repartition topic and changelog, which it creates", async (c) => {
  const { input, output } = await topics(c, "classic");
  const appId = unique("e2e.group.streams-", "classic");
  const r = await streamsApp(appId, input, output, "at_least_once", "classic", { a: 2, b: 1 });
  c.t.diagnostic(show(r));
  assert.ok(r.ok, show(r));
  assert.deepEqual(r.counts, { a: 2, b: 1 });
  assert.equal((await internalTopics(c, appId)).length, 2, "its repartition topic and changelog");
});

e2e("Kafka Streams with a RocksDB store, started again: it restores its counts from the changelog through the filter and goes on", async (c) => {
  const { input, output } = await topics(c, "restore");
  const appId = unique("e2e.group.streams-", "restore");
  const first = await streamsApp(appId, input, output, "at_least_once", "classic", { a: 2, b: 1 }, "rocksdb");
  c.t.diagnostic(show(first));
  assert.ok(first.ok, show(first));
  await writeKeys(input, ["a"]);
  // a=3 only if the count of 2 came back from the changelog (a store counted afresh says a=1).
  const second = await streamsApp(appId, input, output, "at_least_once", "classic", { a: 3, b: 1 }, "rocksdb");
  c.t.diagnostic(show(second));
  assert.ok(second.ok, show(second));
  assert.deepEqual(second.counts, { a: 3, b: 1 });
}, 200_000);

e2e("Kafka Streams, streams group protocol (KIP-1071): the filter reads the source topics' partition counts from the broker and lets the topology through", async (c) => {
  const { input, output } = await topics(c, "kip1071");
  const appId = unique("e2e.group.streams-", "kip1071");
  const before = await stats();
  const r = await streamsApp(appId, input, output, "at_least_once", "streams", { a: 2, b: 1 });
  c.t.diagnostic(show(r));
  assert.ok(r.ok, show(r));
  assert.deepEqual(r.counts, { a: 2, b: 1 });
  const after = await stats();
  assert.ok(delta(before, after, K("topic_partition_lookups")) >= 1, "the filter asked the broker for the source's partition count");
  const created = await internalTopics(c, appId);
  assert.equal(created.length, 2, `the broker created its internal topics: ${created.join(", ")}`);
  const meta = await (await directAdmin(c)).fetchTopicMetadata({ topics: created });
  assert.ok(meta.topics.every((t) => t.partitions.length === 2), "with the source's 2 partitions");
}, 120_000, STREAMS_NEEDS);

e2e("Kafka Streams, streams group protocol, a source of 20 partitions: the changelog would get 20 > limits.createTopics.maxPartitions 12, so the topology is refused and nothing is created", async (c) => {
  const { input, output } = await topics(c, "kip1071-big", 20);
  const appId = unique("e2e.group.streams-", "kip1071-big");
  const r = await streamsApp(appId, input, output, "at_least_once", "streams", { a: 2, b: 1 });
  c.t.diagnostic(show(r));
  assert.equal(r.ok, false, show(r));
  assert.equal(r.error, "STREAMS_INVALID_TOPOLOGY", show(r));
  assert.match(r.message ?? "", /limits\.createTopics/, "the app is told which limit");
  assert.deepEqual(await internalTopics(c, appId), [], "no internal topic was created");
  const line = await waitForLog(c.mark, ["denied StreamsGroupHeartbeat", `${appId}-`]);
  assert.ok(line, "the filter logs the refusal, naming the topic");
  c.t.diagnostic(brief(line));
}, 120_000, STREAMS_NEEDS);

e2e("Kafka Streams, streams group protocol, started before its source topic exists: refused after one lookup, naming the topic", async (c) => {
  const input = unique("e2e.streams-in.", "missing"), output = unique("e2e.streams-out.", "missing");
  await ensureTopics(await directAdmin(c), [output]);
  const appId = unique("e2e.group.streams-", "missing");
  const before = await stats();
  const r = await streamsApp(appId, input, output, "at_least_once", "streams", { a: 1 });
  c.t.diagnostic(show(r));
  assert.equal(r.ok, false, show(r));
  assert.equal(r.error, "STREAMS_INVALID_TOPOLOGY", show(r));
  assert.ok((r.message ?? "").includes(`source topics the broker does not know (${input})`), show(r));
  const after = await stats();
  const heartbeats = delta(before, after, K("requests.streams_group_heartbeat"));
  assert.ok(heartbeats <= 10, `the member was not kept retrying (${heartbeats} heartbeats)`);
  assert.deepEqual(await internalTopics(c, appId), [], "no internal topic was created");
}, 120_000, STREAMS_NEEDS);

e2e("Kafka Streams, exactly_once_v2, its transactional ids not granted: TRANSACTIONAL_ID_AUTHORIZATION_FAILED", async (c) => {
  const { input, output } = await topics(c, "eos");
  const appId = unique("e2e.group.streams-", "eos");
  const r = await streamsApp(appId, input, output, "exactly_once_v2", "classic", { a: 2, b: 1 });
  c.t.diagnostic(show(r));
  assert.equal(r.ok, false, show(r));
  assert.equal(r.error, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", show(r));
  assert.ok(await waitForLog(c.mark, ["denied", "TRANSACTIONAL_ID:"]), "the filter logs the refusal");
}, 120_000);

interface PairResult {
  ok: boolean; error?: string; message?: string;
  standby?: string[][]; endpoints?: string[]; counts?: Record<string, number>;
  failover?: { active: string[]; restored: number; counts: Record<string, number> }; waitsMs?: number[];
}

/** Runs StreamsPair (two instances of one application) over a new input and output topic of 2 partitions. */
async function streamsPair(c: Ctx, appId: string, tag: string, protocol: string): Promise<PairResult & { stderr: string }> {
  const input = unique("e2e.streams-in.", tag), output = unique("e2e.streams-out.", tag);
  await ensureTopics(await directAdmin(c), [input, output], 2);
  const dir = join(CLIENTS_DIR, "streams-4.4.0");
  const r = await run("java", ["-cp", `${dir}/classes:${dir}/*`, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "StreamsPair", PLAINTEXT, appId, input,
    output, protocol, "a,b,a", String(APP_TIMEOUT_MS * 2)], { timeoutMs: APP_TIMEOUT_MS * 2 + 30_000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  return line !== undefined ? { ...(JSON.parse(line) as PairResult), stderr: r.stderr }
    : { ok: false, error: r.timedOut ? "DRIVER_TIMEOUT" : `exit ${r.code}`, stderr: r.stderr };
}

/** What both protocols must show: standby copies, both endpoints, counts carried over by the standby. */
function assertFailover(r: PairResult & { stderr: string }, appId: string): void {
  const shown = `${JSON.stringify({ ...r, stderr: undefined })}; stderr: ${r.stderr.split("\n").filter((l) => / ERROR /.test(l)).slice(-3).join(" | ").slice(0, 800)}`;
  assert.ok(r.ok, shown);
  assert.deepEqual(r.standby?.map((tasks) => tasks.length), [1, 1], `each instance kept a standby copy of the other's store: ${shown}`);
  assert.equal(r.endpoints?.length, 2, `each instance's interactive-query metadata names both: ${shown}`);
  const repartition = `${appId}-counts-repartition`;
  assert.ok(r.endpoints!.every((e) => e.includes(`standby [${repartition}-`)), `with the partitions each serves as a standby: ${shown}`);
  assert.deepEqual(r.counts, { a: 2, b: 1 }, shown);
  assert.deepEqual(r.failover?.counts, { a: 3, b: 1 }, `the second instance went on counting after the first left: ${shown}`);
  assert.equal(r.failover?.restored, 0, `from its standby copy, nothing restored from the changelog: ${shown}`);
}

e2e("Kafka Streams, two instances, classic group protocol: each keeps a standby copy of the other's store; the first leaves, the second goes on from its copy", async (c) => {
  const appId = unique("e2e.group.streams-", "pair");
  const before = await stats();
  const r = await streamsPair(c, appId, "pair", "classic");
  c.t.diagnostic(JSON.stringify({ ...r, stderr: undefined }));
  assertFailover(r, appId);
  // Its tasks moved when it left, not when its session expired.
  assert.ok(delta(before, await stats(), K("requests.leave_group")) >= 1, "the first instance's LeaveGroup went through the filter");
}, 150_000);

e2e("Kafka Streams, two instances, streams group protocol: standby replicas set on the group through the proxy (kafka-configs as admin); the first leaves, the second goes on", async (c) => {
  const appId = unique("e2e.group.streams-", "pair1071");
  const anonymous = await kafkaTool("ConfigCommand", PLAINTEXT, null, ["--alter", "--entity-type", "groups", "--entity-name", appId,
    "--add-config", "streams.num.standby.replicas=1"]);
  assert.match(anonymous.stdout + anonymous.stderr, /GroupAuthorizationException/, "the application's principal may not change the group's configs (ALTER_CONFIGS)");
  const set = await kafkaTool("ConfigCommand", SASL, "admin", ["--alter", "--entity-type", "groups", "--entity-name", appId,
    "--add-config", "streams.num.standby.replicas=1"]);
  assert.equal(set.code, 0, `kafka-configs: ${set.stdout} ${set.stderr.slice(-500)}`);
  const r = await streamsPair(c, appId, "pair1071", "streams");
  c.t.diagnostic(JSON.stringify({ ...r, stderr: undefined }));
  assertFailover(r, appId);
}, 150_000, STREAMS_NEEDS);
