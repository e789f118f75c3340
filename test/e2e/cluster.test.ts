// A real cluster behind the filter (issue 7 item 4): `make up BROKERS=3` runs three KRaft nodes,
// each behind its own Envoy listeners (node n: 127.0.0.1:19092/19093/19094 + 10*(n-1)). Clients
// must follow the cluster as they do without a proxy: partition leaders on different brokers,
// a group coordinator and a transaction coordinator that are not the bootstrap broker, and a
// broker that stops while they produce and consume, leadership moving to the others, nothing
// acknowledged lost and the policy enforced throughout.
// Two ways keep clients behind Envoy, both tested here: PLAINTEXT and SASL_PLAINTEXT advertise
// Envoy's listeners (advertised listeners), the TLS listeners rewrite every broker's address in
// the filter (filter.brokerAddresses), see envoy/envoy.yaml.
// On a single node (`make test-e2e`) every test here is skipped, saying so.

import assert from "node:assert/strict";
import { join } from "node:path";
import { e2e, within, type Ctx } from "./lib/harness";
import { RUN, ROOT, BROKER_INTERNAL, unique, type Principal } from "./lib/env";
import { client, admin, producer, consumer, consume, errorTypes, describeError, rejection, type Client } from "./lib/kafkajs";
import { Wire, API, request, response, directAdmin, everyBrokerNames, whileUnknownTopic } from "./lib/attack";
import { recordBatch } from "../bench/lib/wire";
import { run } from "./lib/proc";
import { waitForLog } from "./lib/envoy";
import type { Admin } from "kafkajs";

const NODES = 3;
const PORT_STEP = 10;
const TAF = "TOPIC_AUTHORIZATION_FAILED";
const TEST_MS = 240_000;
/** How long the producer of the failover test runs; a node stops 5 s in. */
const LOAD_MS = 20_000;
const FRANZ = join(ROOT, ".cache", "clients", "franz-go");
/**
 * A cluster answers "not now" where one node does not (NOT_COORDINATOR while a coordinator
 * moves or loads, CONCURRENT_TRANSACTIONS while a transaction completes, leaders changing):
 * clients here retry as kafkajs does by default, not with the suite's short denial-test retries.
 */
const RETRY = { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 };
const CONSUMER = { retry: { ...RETRY, restartOnFailure: async () => true } };
const clusterClient = (p: Principal): Client => client(p, { retry: RETRY });

/** Envoy's listener ports of node n for each listener (envoy/render.py --brokers). */
const LISTENER_BASE = { plaintext: 19092, sasl: 19093, tls: 19094 } as const;
type ListenerName = keyof typeof LISTENER_BASE;
const envoyPort = (l: ListenerName, node: number): number => LISTENER_BASE[l] + PORT_STEP * (node - 1);
const envoyPorts = (l: ListenerName): number[] => Array.from({ length: NODES }, (_, i) => envoyPort(l, i + 1));

/** Who uses each listener here, and the topic prefix it may create, write and read. */
const WRITER: Record<ListenerName, { principal: Principal; reader: Principal; prefix: string }> = {
  plaintext: { principal: "anonymous", reader: "anonymous", prefix: "e2e.cluster." },
  sasl: { principal: "alice", reader: "bob", prefix: "orders.cluster." },
  tls: { principal: "carol", reader: "carol", prefix: "tls.cluster." },
};

let nodes: Promise<number> | null = null;
/** How many brokers the cluster behind Envoy has (DescribeCluster through the PLAINTEXT listener). */
function brokerCount(c: Ctx): Promise<number> {
  nodes ??= (async () => (await (await admin(c, client("anonymous"))).describeCluster()).brokers.length)();
  return nodes;
}

/** Runs `fn` on a cluster of NODES brokers; skips, saying why, on any other. */
function clusterTest(name: string, fn: (c: Ctx) => Promise<void>): void {
  e2e(name, async (c) => {
    const n = await brokerCount(c);
    if (n !== NODES) {
      c.t.skip(`needs a ${NODES}-node cluster (make test-e2e BROKERS=${NODES}); this one has ${n}`);
      return;
    }
    await fn(c);
  }, TEST_MS);
}

/**
 * Creates `topic` through the filter and waits until every node names it with its leaders
 * (`everyBrokerNames`: a 3.9 node lagged behind the others on a 2-core CI machine).
 */
async function createTopic(c: Ctx, a: Admin, topic: string, partitions: number): Promise<void> {
  await whileUnknownTopic(() => a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: NODES }], waitForLeaders: true, timeout: 15_000 }));
  await everyBrokerNames(await directAdmin(c), [topic], partitions);
}

/** Partition -> leader id of `topic`, as the cluster says through Envoy. */
async function leaders(a: Admin, topic: string): Promise<Map<number, number>> {
  const md = await a.fetchTopicMetadata({ topics: [topic] });
  return new Map(md.topics[0].partitions.map((p) => [p.partitionId, p.leader]));
}

/** The node a coordinator request names, asked raw through Envoy's PLAINTEXT listener of node 1. */
async function coordinator(key: string, keyType: 0 | 1): Promise<{ nodeId: number; port: number; errorCode: number }> {
  const w = await Wire.at(`127.0.0.1:${envoyPort("plaintext", 1)}`);
  try {
    for (let corr = 1, deadline = Date.now() + 20_000; ; corr++) {
      await w.send(await request(API.FindCoordinator, 1, corr, { key, keyType }));
      const f = await w.next(5000);
      assert.ok(f !== null, `FindCoordinator(${key}): Envoy closed the connection`);
      const r = await response(f, API.FindCoordinator, 1);
      // COORDINATOR_NOT_AVAILABLE (15) while __consumer_offsets / __transaction_state are being created.
      if (r.errorCode !== 15 || Date.now() > deadline) return { nodeId: r.nodeId, port: r.port, errorCode: r.errorCode };
      await new Promise((res) => setTimeout(res, 300));
    }
  } finally {
    w.destroy();
  }
}

/** A key (from `make(i)`) whose coordinator is not node 1, the broker clients bootstrap on. */
async function keyCoordinatedElsewhere(make: (i: number) => string, keyType: 0 | 1): Promise<{ key: string; nodeId: number; port: number }> {
  for (let i = 0; i < 30; i++) {
    const key = make(i);
    const r = await coordinator(key, keyType);
    assert.equal(r.errorCode, 0, `FindCoordinator(${key}) through Envoy: error ${r.errorCode}`);
    if (r.nodeId !== 1) return { key, nodeId: r.nodeId, port: r.port };
  }
  throw new Error("30 keys all coordinated by node 1: are the coordinator topics spread over the nodes?");
}

/** Stops or starts node `n` (test/e2e/bin/kafka.sh through make: this stack's version and node count). */
async function node(action: "stop" | "start", n: number): Promise<void> {
  const r = await run("make", ["--no-print-directory", `kafka-${action}-node`, `NODE=${n}`, `BROKERS=${NODES}`,
    ...(process.env.KAFKA_VERSION ? [`KAFKA_VERSION=${process.env.KAFKA_VERSION}`] : [])], { timeoutMs: 150_000, cwd: ROOT });
  assert.equal(r.code, 0, `make kafka-${action}-node NODE=${n}: ${r.stderr.slice(-1500)}`);
}

const portOf = (target: string): number => Number(target.split(":")[1]);

// ---------------------------------------------------------------------------------------

for (const l of Object.keys(LISTENER_BASE) as ListenerName[]) {
  const { principal, reader, prefix } = WRITER[l];
  clusterTest(`${l} (${principal}): partition leaders on different brokers, each reached through its own listener; every record read back`, async (c) => {
    const topic = unique(prefix, "leaders");
    const writer = clusterClient(principal);
    const a = await admin(c, writer);
    await createTopic(c, a, topic, NODES);
    const lead = await leaders(a, topic);
    const brokers = (await a.describeCluster()).brokers;
    c.t.diagnostic(`${topic}: leaders ${JSON.stringify([...lead])}; brokers as ${l} clients see them: ${brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(" ")}`);
    assert.equal(brokers.length, NODES, "every node listed");
    for (const b of brokers) assert.equal(b.port, envoyPort(l, b.nodeId), `node ${b.nodeId} is named by its own ${l} listener on Envoy`);
    assert.ok(new Set(lead.values()).size >= 2, `leaders on at least two brokers: ${JSON.stringify([...lead])}`);

    const p = await producer(c, writer);
    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `${RUN}-${i}` }));
    await p.send({ topic, acks: -1, messages });
    const got = await consume(c, clusterClient(reader), topic, unique("e2e.group.", "leaders"), messages.length, 30_000, CONSUMER);
    assert.deepEqual(got.map((m) => m.value).sort(), messages.map((m) => m.value).sort(), "every record read back once");
    assert.deepEqual(new Set(got.map((m) => m.partition)), new Set(lead.keys()), "records on every partition");

    const targets = writer.sockets.targets.map(portOf);
    c.t.diagnostic(`${principal}'s connections: ${writer.sockets.targets.join(" ")}`);
    for (const port of targets) assert.ok(envoyPorts(l).includes(port), `${principal} connected to ${port}, not one of Envoy's ${l} listeners ${envoyPorts(l)}`);
    for (const leader of new Set(lead.values())) assert.ok(targets.includes(envoyPort(l, leader)), `the producer reached leader ${leader} on ${envoyPort(l, leader)}`);
  });
}

// A broker that does not lead a partition answers a Produce (v10+) for it with the leader it
// knows and that leader's address (KIP-951), which Kafka's Java client and librdkafka take over
// the one they had. Through Envoy that address must be the client's own listener of the leader:
// the broker's own (the PLAINTEXT listener the TLS listeners front) sends a TLS client past the
// filter, or to a plaintext port it cannot speak to.
for (const l of ["tls", "plaintext"] as const) {
  const { principal, prefix } = WRITER[l];
  clusterTest(`${l} (${principal}): a leader's address in a Produce answer (KIP-951) names the leader's own ${l} listener on Envoy`, async (c) => {
    const topic = unique(prefix, "endpoints");
    await createTopic(c, await admin(c, clusterClient(principal)), topic, NODES);
    const lead = await leaders(await admin(c, clusterClient(principal)), topic);
    const moved = [...lead].find(([, leader]) => leader !== 1);
    assert.ok(moved !== undefined, `a partition led by another node than node 1: ${JSON.stringify([...lead])}`);
    const [partition, leader] = moved;
    // Sent to node 1, which does not lead the partition; Produce v11 (Kafka 3.9 knows it too).
    const w = await Wire.open(l);
    c.cleanup(() => w.destroy());
    await w.send(await request(API.Produce, 11, 7, { transactionalId: null, acks: -1, timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: recordBatch(1, 16).toString("base64") }] }] }));
    const f = await w.next(10_000);
    assert.ok(f !== null, "node 1 answers through Envoy");
    const body = await response(f, API.Produce, 11);
    const p = body.responses[0].partitionResponses[0];
    c.t.diagnostic(`partition ${partition} led by node ${leader}: error ${p.errorCode}, current leader ${JSON.stringify(p.currentLeader)}, ` +
      `endpoints ${JSON.stringify(body.nodeEndpoints)}`);
    assert.equal(p.errorCode, 6, "NOT_LEADER_OR_FOLLOWER");
    assert.equal(p.currentLeader.leaderId, leader, "the answer names the leader");
    const named = body.nodeEndpoints.find((e: { nodeId: number }) => e.nodeId === leader);
    assert.ok(named !== undefined, `the answer gives the leader's address: ${JSON.stringify(body.nodeEndpoints)}`);
    for (const e of body.nodeEndpoints) {
      assert.equal(`${e.host}:${e.port}`, `127.0.0.1:${envoyPort(l, e.nodeId)}`, `node ${e.nodeId} is named by its own ${l} listener on Envoy`);
    }
  });
}

clusterTest("a consumer group whose coordinator is another broker: join, consume, commit, offsets read back through the filter", async (c) => {
  const topic = unique("e2e.cluster.", "group");
  const cl = clusterClient("anonymous");
  const a = await admin(c, cl);
  await createTopic(c, a, topic, NODES);
  const { key: group, nodeId, port } = await keyCoordinatedElsewhere((i) => unique("e2e.group.", `coord${i}`), 0);
  c.t.diagnostic(`group ${group}: coordinator node ${nodeId}, named as 127.0.0.1:${port}`);
  assert.equal(port, envoyPort("plaintext", nodeId), "the coordinator is named by its own Envoy listener");

  const p = await producer(c, cl);
  await p.send({ topic, acks: -1, messages: Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  const got = await consume(c, clusterClient("anonymous"), topic, group, 12, 30_000, CONSUMER);
  assert.equal(got.length, 12);
  const committed = await a.fetchOffsets({ groupId: group, topics: [topic] });
  const ends = await a.fetchTopicOffsets(topic);
  const want = new Map(ends.map((e) => [e.partition, e.high]));
  for (const p of committed[0].partitions) assert.equal(p.offset, want.get(p.partition), `partition ${p.partition}: committed offset is the end`);

  // The denied group stays denied on its coordinator, wherever that is.
  const denied = await keyCoordinatedElsewhere((i) => unique("e2e.group.denied.", `coord${i}`), 0).catch(() => null);
  const err = await rejection(consume(c, client("anonymous"), topic, denied?.key ?? unique("e2e.group.denied.", "x"), 1, 10_000), "consume in a denied group");
  assert.ok(errorTypes(err).includes("GROUP_AUTHORIZATION_FAILED"), describeError(err));
});

clusterTest("transactions whose coordinator is another broker: a committed transaction is read, an aborted one is not; a transactional id the policy does not grant is refused", async (c) => {
  const topic = unique("e2e.cluster.", "txn");
  const cl = clusterClient("anonymous");
  await createTopic(c, await admin(c, cl), topic, NODES);
  const { key: txnId, nodeId } = await keyCoordinatedElsewhere((i) => unique("e2e.tx.", `coord${i}`), 1);
  c.t.diagnostic(`transactional id ${txnId}: coordinator node ${nodeId}`);

  const p = await producer(c, cl, { transactionalId: txnId, idempotent: true, maxInFlightRequests: 1 });
  const commit = await p.transaction();
  await commit.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `committed-${i}` })) });
  await commit.commit();
  const abort = await p.transaction();
  await abort.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `aborted-${i}` })) });
  await abort.abort();
  const marker = await producer(c, cl);
  await marker.send({ topic, acks: -1, messages: [{ key: "k0", value: "after" }] });

  // read_committed (kafkajs's default): the committed six and the plain record after, nothing aborted.
  const got = await consume(c, clusterClient("anonymous"), topic, unique("e2e.group.", "txn"), 7, 30_000, CONSUMER);
  assert.deepEqual(got.map((m) => m.value).sort(), [...Array.from({ length: 6 }, (_, i) => `committed-${i}`), "after"].sort());

  // kafkajs asks for the producer id (FindCoordinator, InitProducerId) when the first transaction
  // begins; the filter refuses FindCoordinator with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which
  // kafkajs reports as its own KafkaJSGroupCoordinatorNotFound, so the filter's line says why.
  const deniedId = unique("other.tx.", "denied");
  const other = cl.kafka.producer({ transactionalId: deniedId, idempotent: true, maxInFlightRequests: 1 });
  c.cleanup(() => other.disconnect());
  await rejection(within(other.connect().then(() => other.transaction()), 20_000, "denied transactional producer"), `a transaction as ${deniedId}`);
  const line = await waitForLog(c.mark, ["denied FindCoordinator", `TRANSACTIONAL_ID:${deniedId}`, "transactional_id_authorization_failed"]);
  assert.ok(line, `the filter refused ${deniedId} with TRANSACTIONAL_ID_AUTHORIZATION_FAILED`);
});

clusterTest("a broker stops while clients produce and consume through the filter: leadership moves, nothing acknowledged is lost, the policy holds", async (c) => {
  const topic = unique("e2e.cluster.", "failover");
  const readonly = unique("e2e.readonly.cluster.", "failover");
  const writeonly = unique("e2e.writeonly.cluster.", "failover");
  const cl = clusterClient("anonymous");
  const a = await admin(c, cl);
  for (const t of [topic, readonly, writeonly]) await createTopic(c, a, t, NODES);
  const before = await leaders(a, topic);
  // A node other than the bootstrap node 1 that leads a partition (any leader if none).
  const victim = [...before.values()].find((n) => n !== 1) ?? [...before.values()][0];
  c.t.diagnostic(`${topic}: leaders ${JSON.stringify([...before])}; stopping node ${victim}`);
  let stopped = false;
  c.cleanup(async () => { if (stopped) await node("start", victim); });

  // Consumer: in a group, from the beginning, for the whole test.
  const seen = new Map<string, number>();
  const cons = consumer(c, cl, {
    groupId: unique("e2e.group.", "failover"),
    ...CONSUMER,
  });
  await within(cons.connect(), 10_000, "consumer connect");
  await cons.subscribe({ topics: [topic], fromBeginning: true });
  void cons.run({ eachMessage: async ({ message }) => { const v = message.value!.toString(); seen.set(v, (seen.get(v) ?? 0) + 1); } });

  // Producer: franz-go, idempotent with acks=all, ten keyed records at a time for LOAD_MS (its
  // driver's `load` step). Not kafkajs: kafkajs 2.2.4's idempotent producer acknowledges records
  // it then loses when a leader moves, with or without the filter (5 of 13,060 through a plain
  // TCP pass-through, NOWASM=1), so it cannot tell whether a proxy lost anything.
  const loading = run(FRANZ, [`load|@127.0.0.1:${envoyPort("plaintext", 1)}|${topic}|${RUN}|${LOAD_MS}`], { timeoutMs: LOAD_MS + 150_000 });

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await sleep(5000);
  const stoppedAt = Date.now();
  await node("stop", victim);
  stopped = true;
  const after = await leaders(a, topic);
  c.t.diagnostic(`node ${victim} stopped; leaders now ${JSON.stringify([...after])}`);
  assert.ok(![...after.values()].includes(victim), `no partition is led by the stopped node ${victim}: ${JSON.stringify([...after])}`);

  // The policy while the cluster is short of a node: a denied produce and a denied fetch get the authorization error.
  const denier = await producer(c, client("anonymous"));
  const pe = await rejection(denier.send({ topic: readonly, acks: -1, messages: [{ value: "no" }] }), `produce to ${readonly}`);
  assert.ok(errorTypes(pe).includes(TAF), describeError(pe));
  const fe = await rejection(consume(c, client("anonymous"), writeonly, unique("e2e.group.", "failover-denied"), 1, 10_000), `fetch ${writeonly}`);
  assert.ok(errorTypes(fe).includes(TAF), describeError(fe));

  await sleep(3000);
  await node("start", victim);
  stopped = false;
  const r = await loading;
  const out = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.ok(out.length === 1 && out[0].ok, `franz-go's load step (exit ${r.code}): ${r.stdout.slice(-500)} ${r.stderr.slice(-1000)}`);
  const acked: string[] = out[0].acked;
  const at: number[] = out[0].at;
  const failures = Object.entries(out[0].failed as Record<string, number>).map(([e, n]) => `${e} x${n}`);
  const ackedBeforeStop = at.filter((t) => t < stoppedAt).length;
  const ackedAfterStop = acked.length - ackedBeforeStop;

  const total = (await a.fetchTopicOffsets(topic)).reduce((s, o) => s + Number(o.high), 0);
  const caughtUp = await within((async () => { while (!acked.every((v) => seen.has(v)) || seen.size < total) await sleep(250); })(), 60_000, "")
    .then(() => true, () => false);
  await cons.disconnect();
  // What the log itself holds, read without Envoy: tells a record the cluster lost from one the consumer skipped.
  const log = await logValues(topic, total);
  const lost = acked.filter((v) => !log.has(v));
  const skipped = [...log].filter((v) => !seen.has(v));
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  c.t.diagnostic(`franz-go produced ${acked.length} acknowledged (${ackedAfterStop} after the stop began), failed: ${failures.length ? failures.join(", ") : "none"}` +
    `; the log holds ${total} (${log.size} distinct); ` +
    `the group consumer saw ${seen.size} distinct, ${duplicated} more than once, skipped ${skipped.length}${skipped.length ? ` (${skipped.slice(0, 5).join(", ")})` : ""}; lost ${lost.length}`);
  assert.ok(ackedBeforeStop > 0 && ackedAfterStop > 0, "records were acknowledged before and after the stop");
  assert.equal(lost.length, 0, `acknowledged records missing from the log: ${lost.slice(0, 10).join(", ")}`);
  assert.equal(skipped.length, 0, `records in the log the consumer never got through the filter: ${skipped.slice(0, 5).join(", ")}`);
  assert.ok(caughtUp, "the consumer caught up within 60 s");
});

/** Every value in `topic` (which holds `total` records), read by franz-go straight from the brokers' INTERNAL listeners. */
async function logValues(topic: string, total: number): Promise<Set<string>> {
  const r = await run(FRANZ, [`fetch|@${BROKER_INTERNAL}|${topic}|${total}`], { timeoutMs: 90_000, env: { MATRIX_TIMEOUT_MS: "60000" } });
  const out = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.ok(out.length === 1 && out[0].ok, `reading ${topic} straight from the brokers (exit ${r.code}): ${r.stdout.slice(-300)} ${r.stderr.slice(-500)}`);
  return new Set(out[0].values as string[]);
}
