// Proxy bench: Envoy with the filter (build/filter.wasm, test/bench/policy.json) against its
// peer, Envoy as a plain TCP pass-through, in front of the same Kafka, in the same run; and
// between them the floor, Envoy running a Wasm network filter that does nothing
// (build/bench/noop-filter.wasm, test/bench/floor/): what any Wasm filter costs in Envoy.
//
//   tsx test/bench/proxy.ts <out.json>     (test/bench/run.sh runs it; it starts Kafka itself)
//
// Before anything is timed, every bench topic is created and probed on the broker directly
// until its partition serves: Metadata names a leader and a one-record Produce succeeds
// (right after CreateTopics a KRaft broker can answer NOT_LEADER_OR_FOLLOWER for a while; the
// probe retries such errors for up to BENCH_LEADER_WAIT s and records where each topic's log
// now starts, so the fetch steps read exactly the records the bench wrote).
//
// For each repeat (BENCH_REPEAT, 3), each configuration on a freshly started Envoy
// (`make envoy-down` then `make up NOWASM=1`, `make up ... FILTER_WASM=<no-op>` or
// `make up POLICY=test/bench/policy.json`), in the order P N F, F N P, P N F, ... so that drift
// over the run falls on all alike (BENCH_FLOOR=0: without the floor, P F, F P, ...):
//   warm-up   8 connections (so every worker's Wasm VM) of produce, Metadata and denied
//             produce, then 2 of fetch;
// then on one connection, one request in flight, a 300 ms pause before each step:
//   metadata  BENCH_METADATA Metadata v12 requests for one topic: the per-request overhead;
//   produce   BENCH_MESSAGES records of BENCH_VALUE_BYTES in batches of BENCH_BATCH (one
//             Produce v12 per batch, acks=1): throughput and round-trip times;
//   fetch     the same records back (Fetch v12, 1 MiB per partition and request), read
//             BENCH_FETCH_PASSES times over so that the step lasts long enough to time;
//   denied    BENCH_DENIED produce requests (same batch) to bench.denied.*: the filter answers
//             them itself (TOPIC_AUTHORIZATION_FAILED); through the pass-through the broker
//             writes them;
// each with Envoy's CPU time over it (/proc/<pid>/task/*/schedstat, all threads); then Envoy's
// memory (RSS, tcmalloc, Wasm linear memories) before and after. The client is lib/wire.ts:
// template frames with the correlation id patched in, nothing decoded on the timed path, so it
// costs the same on both sides. Every answer is checked (error codes, records fetched).
// Before the first repeat, this process and the broker are warmed up directly on 9092.
//
// Environment (defaults): BENCH_RUN (run id, in topic names), BENCH_MESSAGES (20000),
// BENCH_BATCH (100), BENCH_VALUE_BYTES (1024), BENCH_FETCH_PASSES (3), BENCH_METADATA (4000),
// BENCH_DENIED (300), BENCH_REPEAT (3; BENCH_REPEATS is read too), BENCH_WARM_METADATA (2000),
// BENCH_WARM_PRODUCE (20), BENCH_LEADER_WAIT (120 s), BENCH_FLOOR (1), BENCH_NOOP_WASM
// (build/bench/noop-filter.wasm).

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { Conn, requestFrame, decodeResponse, recordBatch, parseFetchV12 } from "./lib/wire";
import { cpuMs, cpuSince, envoyPid, filterCounters, memory, type Cpu, type Memory } from "./lib/envoy";
import { machineLoad } from "./lib/machine";
import { ROOT } from "../e2e/lib/env";

const [outFile] = process.argv.slice(2);
if (!outFile) { console.error("usage: proxy.ts <out.json>"); process.exit(2); }

const num = (name: string, dflt: number): number => Number(process.env[name] ?? dflt);
const RUN = process.env.BENCH_RUN ?? Date.now().toString(36);
const MESSAGES = num("BENCH_MESSAGES", 20_000);
const BATCH = num("BENCH_BATCH", 100);
const VALUE_BYTES = num("BENCH_VALUE_BYTES", 1024);
const METADATA = num("BENCH_METADATA", 4000);
const FETCH_PASSES = num("BENCH_FETCH_PASSES", 3);
const DENIED = num("BENCH_DENIED", 300);
const REPEATS = num("BENCH_REPEAT", num("BENCH_REPEATS", 3));
const LEADER_WAIT_MS = num("BENCH_LEADER_WAIT", 120) * 1000;
const POLICY = "test/bench/policy.json";
const FLOOR = num("BENCH_FLOOR", 1) !== 0;
const NOOP_WASM = process.env.BENCH_NOOP_WASM ?? "build/bench/noop-filter.wasm";
// Warm-up per connection (8 of them): V8 moves a Wasm function from its baseline compiler to
// the optimizing one only after it has run a while; on this filter the Metadata round trip
// stops getting cheaper after some 10,000 requests per worker.
const WARM_METADATA = num("BENCH_WARM_METADATA", 2000);
const WARM_PRODUCE = num("BENCH_WARM_PRODUCE", 20);

const PROXY = "127.0.0.1:19092";
const BROKER = "127.0.0.1:9092"; // direct: topic creation, the broker's warm-up, clean-up

// Versions a current client speaks, the last ones that name topics (not topic ids).
const PRODUCE_V = 12, FETCH_V = 12, METADATA_V = 12, CREATE_TOPICS_V = 7, DELETE_TOPICS_V = 6;
const TOPIC_AUTHORIZATION_FAILED = 29;
// What a broker answers while a new partition (or the broker itself) is not serving yet:
// UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT,
// NOT_ENOUGH_REPLICAS, NOT_CONTROLLER, KAFKA_STORAGE_ERROR, FENCED_LEADER_EPOCH,
// UNKNOWN_LEADER_EPOCH, OFFSET_NOT_AVAILABLE, THROTTLING_QUOTA_EXCEEDED.
const NOT_SERVING_YET = new Set([3, 5, 6, 7, 19, 41, 56, 74, 76, 78, 89]);

/** Envoy as a TCP pass-through, with a no-op Wasm filter (the floor), with the filter. */
type Config = "passthrough" | "floor" | "filter";

const log = (s: string): void => { process.stderr.write(`bench: ${s}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const NULL_UUID = "AAAAAAAAAAAAAAAAAAAAAA";

/**
 * Creates the topics on the broker directly; retried while the broker is not ready to (refused
 * connection, a controller still starting), up to BENCH_LEADER_WAIT.
 */
async function createTopics(names: string[]): Promise<void> {
  const req = await requestFrame(19, CREATE_TOPICS_V, {
    topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 30_000, validateOnly: false,
  });
  const deadline = now() + LEADER_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    let why: string;
    try {
      const c = await Conn.connect(BROKER);
      try {
        const r = await decodeResponse(await c.request(req), 19, CREATE_TOPICS_V);
        const bad = (r.body.topics as Array<{ name: string; errorCode: number; errorMessage: string | null }>)
          .filter((t) => t.errorCode !== 0 && t.errorCode !== 36); // 36: TOPIC_ALREADY_EXISTS
        if (bad.length === 0) return;
        const fatal = bad.find((t) => !NOT_SERVING_YET.has(t.errorCode));
        if (fatal) throw new Error(`CreateTopics ${fatal.name}: error ${fatal.errorCode} ${fatal.errorMessage}`);
        why = `error ${bad[0].errorCode} on ${bad[0].name}`;
      } finally { c.close(); }
    } catch (e) {
      if ((e as Error).message.startsWith("CreateTopics")) throw e;
      why = (e as Error).message;
    }
    if (now() > deadline) throw new Error(`CreateTopics: broker not ready after ${LEADER_WAIT_MS / 1000} s (${why})`);
    if (attempt === 1 || attempt % 10 === 0) log(`CreateTopics: ${why}; retrying`);
    await sleep(250);
  }
}

function metadataRequest(topic: string): Promise<Buffer> {
  return requestFrame(3, METADATA_V, { topics: [{ topicId: NULL_UUID, name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
}

/** Waits until Metadata through `target` names a leader for every topic's partitions. */
async function waitForLeaders(target: string, names: string[]): Promise<void> {
  const req = await requestFrame(3, METADATA_V, { topics: names.map((name) => ({ topicId: NULL_UUID, name })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const deadline = now() + LEADER_WAIT_MS;
  let why = "";
  for (;;) {
    try {
      const c = await Conn.connect(target);
      try {
        const r = await decodeResponse(await c.request(req), 3, METADATA_V);
        const t = (r.body.topics as any[]).find((t) => t.errorCode !== 0 || t.partitions.length === 0 || t.partitions.some((p: any) => p.errorCode !== 0 || p.leaderId < 0));
        if (t === undefined) return;
        why = `${t.name}: error ${t.errorCode}, partitions ${JSON.stringify(t.partitions.map((p: any) => [p.errorCode, p.leaderId]))}`;
      } finally { c.close(); }
    } catch (e) { why = (e as Error).message; }
    if (now() > deadline) throw new Error(`no leaders through ${target} after ${LEADER_WAIT_MS / 1000} s (${why})`);
    await sleep(100);
  }
}

/**
 * Waits until each topic's partition 0 takes writes on the broker: Metadata names its leader,
 * then a one-record Produce (acks=1) succeeds; errors of a partition that is not serving yet
 * (NOT_LEADER_OR_FOLLOWER, ...) are retried until BENCH_LEADER_WAIT. Returns, per topic, the
 * offset after the probe record: where the bench's own records start.
 */
async function waitUntilServing(names: string[]): Promise<Map<string, bigint>> {
  const t0 = now();
  await waitForLeaders(BROKER, names);
  const probe = recordBatch(1, 16);
  const starts = new Map<string, bigint>();
  const deadline = now() + LEADER_WAIT_MS;
  let retries = 0;
  const seen = new Map<string, number>();
  let c: Conn | null = null;
  try {
    for (const name of names) {
      const req = await requestFrame(0, PRODUCE_V, {
        transactionalId: null, acks: 1, timeoutMs: 30_000,
        topicData: [{ name, partitionData: [{ index: 0, records: probe.toString("base64") }] }],
      });
      for (;;) {
        let why: string;
        try {
          c ??= await Conn.connect(BROKER);
          const r = await decodeResponse(await c.request(req), 0, PRODUCE_V);
          const p = r.body.responses[0]?.partitionResponses[0];
          if (p === undefined) throw new Error(`probe produce to ${name}: no partition in the response`);
          if (p.errorCode === 0) { starts.set(name, BigInt(p.baseOffset) + 1n); break; }
          if (!NOT_SERVING_YET.has(p.errorCode)) throw new Error(`probe produce to ${name}: error ${p.errorCode}`);
          why = `error ${p.errorCode}`;
          seen.set(why, (seen.get(why) ?? 0) + 1);
        } catch (e) {
          if ((e as Error).message.startsWith("probe produce")) throw e;
          c?.close(); c = null;
          why = (e as Error).message;
          seen.set("connection", (seen.get("connection") ?? 0) + 1);
        }
        retries++;
        if (now() > deadline) throw new Error(`${name} does not take writes after ${LEADER_WAIT_MS / 1000} s (${why})`);
        await sleep(200);
      }
    }
  } finally { c?.close(); }
  const errs = [...seen].map(([k, v]) => `${v}x ${k}`).join(", ");
  log(`${names.length} topics serve (leader named, probe produce ok) after ${((now() - t0) / 1000).toFixed(1)} s, ${retries} retries${errs ? ` (${errs})` : ""}`);
  return starts;
}

const batch = recordBatch(BATCH, VALUE_BYTES);

function produceRequest(topic: string): Promise<Buffer> {
  return requestFrame(0, PRODUCE_V, {
    transactionalId: null, acks: 1, timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch.toString("base64") }] }],
  });
}

const OFFSET_SENTINEL = 0x0123456789abcdefn;

/** A Fetch v12 template and where its fetch offset sits (found through a sentinel value). */
async function fetchRequest(topic: string): Promise<{ frame: Buffer; offsetAt: number }> {
  const frame = await requestFrame(1, FETCH_V, {
    replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52_428_800, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: OFFSET_SENTINEL, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1_048_576 }] }],
    forgottenTopicsData: [], rackId: "",
  });
  const s = Buffer.alloc(8);
  s.writeBigInt64BE(OFFSET_SENTINEL);
  const offsetAt = frame.indexOf(s);
  if (offsetAt < 0) throw new Error("fetch offset not found in the Fetch template");
  return { frame, offsetAt };
}

// ---------------------------------------------------------------------------------------

const now = (): number => Number(process.hrtime.bigint()) / 1e6; // ms

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Loop { count: number; ms: number; p50: number; p99: number }

/** `n` requests one after the other (one in flight); each response is passed to `check`. */
async function loop(c: Conn, n: number, template: Buffer, check: (f: Buffer, i: number) => void): Promise<Loop> {
  const rtts: number[] = new Array(n);
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const s = now();
    const f = await c.request(template);
    rtts[i] = now() - s;
    check(f, i);
  }
  const ms = now() - t0;
  rtts.sort((a, b) => a - b);
  return { count: n, ms, p50: pct(rtts, 50), p99: pct(rtts, 99) };
}

interface ProduceResult extends Loop { messages: number; payloadBytes: number; responses: Buffer[] }

async function produce(c: Conn, topic: string, requests: number): Promise<ProduceResult> {
  const req = await produceRequest(topic);
  const responses: Buffer[] = [];
  const l = await loop(c, requests, req, (f) => { responses.push(f); });
  return { ...l, messages: requests * BATCH, payloadBytes: requests * BATCH * VALUE_BYTES, responses };
}

/** Produce responses: every partition answered with `want` (0, or the denial's error code). */
async function checkProduce(responses: Buffer[], want: number, what: string): Promise<void> {
  for (const [i, f] of responses.entries()) {
    // Decoding each is slow-ish; the first, the last and every 16th is enough to trust the rest.
    if (i !== 0 && i !== responses.length - 1 && i % 16 !== 0) {
      if (f.length < 8) throw new Error(`${what}: short response ${i}`);
      continue;
    }
    const r = await decodeResponse(f, 0, PRODUCE_V);
    for (const t of r.body.responses) for (const p of t.partitionResponses) {
      if (p.errorCode !== want) throw new Error(`${what}: response ${i} has error ${p.errorCode}, want ${want}`);
    }
  }
}

interface FetchResult { messages: number; payloadBytes: number; wireBytes: number; requests: number; ms: number }

/** Reads records [from, from + want) of partition 0 back, `passes` times over. */
async function fetchAll(c: Conn, topic: string, from: bigint, want: number, passes = 1): Promise<FetchResult> {
  const { frame, offsetAt } = await fetchRequest(topic);
  let got = 0, wire = 0, requests = 0;
  const t0 = now();
  for (let pass = 0; pass < passes; pass++) {
    let offset = from, gotNow = 0;
    while (gotNow < want) {
      const at = offset;
      const f = await c.request(frame, (b: Buffer) => b.writeBigInt64BE(at, offsetAt));
      requests++;
      wire += f.length + 4;
      const r = parseFetchV12(f);
      const p = r.partitions[0];
      if (r.errorCode !== 0 || p === undefined || p.errorCode !== 0) throw new Error(`fetch at ${at}: error ${r.errorCode}/${p?.errorCode}`);
      if (p.nextOffset === null) throw new Error(`fetch at ${at}: no complete record batch`);
      gotNow += p.records;
      offset = p.nextOffset;
    }
    if (gotNow !== want) throw new Error(`fetched ${gotNow} records, want ${want}`);
    got += gotNow;
  }
  const ms = now() - t0;
  return { messages: got, payloadBytes: got * VALUE_BYTES, wireBytes: wire, requests, ms };
}

// ---------------------------------------------------------------------------------------

/** Runs `f` and adds Envoy's CPU time over it (ms, all threads and by kind) to the result. */
async function withCpu<T extends object>(pid: number, f: () => Promise<T>): Promise<T & { envoyCpu: Cpu }> {
  const c0 = cpuMs(pid);
  const r = await f();
  return { ...r, envoyCpu: cpuSince(pid, c0) };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

/** Runs a make target quietly; its output is shown when it fails. */
function make(...args: string[]): void {
  const r = spawnSync("make", ["--no-print-directory", ...args], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`make ${args.join(" ")} failed (exit ${r.status})`);
  }
}

async function deleteTopics(prefix: string): Promise<number> {
  const c = await Conn.connect(BROKER);
  try {
    const all = await decodeResponse(await c.request(await requestFrame(3, METADATA_V, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })), 3, METADATA_V);
    const names = (all.body.topics as Array<{ name: string }>).map((t) => t.name).filter((n) => n.startsWith(prefix));
    if (names.length === 0) return 0;
    await c.request(await requestFrame(20, DELETE_TOPICS_V, { topics: names.map((name) => ({ name, topicId: NULL_UUID })), timeoutMs: 30_000 }));
    return names.length;
  } finally { c.close(); }
}

interface Topics { data: string; warm: string; denied: string }

const topicsFor = (rep: number, cfg: Config): Topics => ({
  data: `bench.data.${RUN}.${cfg}.${rep}`, warm: `bench.warm.${RUN}.${cfg}.${rep}`, denied: `bench.denied.${RUN}.${cfg}.${rep}`,
});

/**
 * Load on `target`: the warm-up (parallel connections) and, unless `warmOnly`, the measured
 * steps on one connection. Returns the figures; `deniedWant` is the error code denied produce
 * must get.
 */
async function load(target: string, t: Topics, starts: Map<string, bigint>, deniedWant: number, pid: number | null, warmOnly: boolean, warmConns = 8) {
  const start = (topic: string): bigint => { const o = starts.get(topic); if (o === undefined) throw new Error(`${topic} was not probed`); return o; };
  const metaTemplate = await metadataRequest(t.data);
  const checkMeta = (f: Buffer): void => { if (f.length < 16) throw new Error("short Metadata response"); };
  const tw = now();
  await Promise.all(Array.from({ length: warmConns }, async () => {
    const c = await Conn.connect(target);
    try {
      const p = await produce(c, t.warm, WARM_PRODUCE);
      await checkProduce(p.responses, 0, "warm-up produce");
      await loop(c, WARM_METADATA, metaTemplate, checkMeta);
      const d = await produce(c, t.denied, WARM_PRODUCE);
      await checkProduce(d.responses, deniedWant, "warm-up denied produce");
    } finally { c.close(); }
  }));
  await Promise.all(Array.from({ length: 2 }, async () => {
    const c = await Conn.connect(target);
    try { await fetchAll(c, t.warm, start(t.warm), warmConns * WARM_PRODUCE * BATCH); } finally { c.close(); }
  }));
  const warmMs = now() - tw;
  if (warmOnly) return null;

  const none: Cpu = { total: NaN, workers: NaN, v8: NaN };
  const cpu = <T extends object>(f: () => Promise<T>) => (pid === null ? f().then((r) => ({ ...r, envoyCpu: none })) : withCpu(pid, f));
  const c = await Conn.connect(target);
  try {
    // Small requests first, while nothing else is going on; a pause before each step lets
    // the broker finish what the previous one left it (log appends, segment rolls).
    await settle();
    const m = await cpu(() => loop(c, METADATA, metaTemplate, checkMeta));
    await settle();
    const p = await cpu(() => produce(c, t.data, Math.ceil(MESSAGES / BATCH)));
    await checkProduce(p.responses, 0, "produce");
    await settle();
    const f = await cpu(() => fetchAll(c, t.data, start(t.data), p.messages, FETCH_PASSES));
    await settle();
    const d = await cpu(() => produce(c, t.denied, DENIED));
    await checkProduce(d.responses, deniedWant, "denied produce");
    const { responses: _a, ...produceFigures } = p;
    const { responses: _b, ...deniedFigures } = d;
    return { warmMs, produce: produceFigures, fetch: f, metadata: m, denied: deniedFigures };
  } finally { c.close(); }
}

async function main(): Promise<void> {
  const loadStart = os.loadavg();
  const order: Config[][] = [];
  const configs: Config[] = FLOOR ? ["passthrough", "floor", "filter"] : ["passthrough", "filter"];
  for (let r = 0; r < REPEATS; r++) order.push(r % 2 === 0 ? configs : [...configs].reverse());

  make("kafka-up");
  const prewarm: Topics = { data: `bench.data.${RUN}.broker`, warm: `bench.warm.${RUN}.broker`, denied: `bench.denied.${RUN}.broker` };
  const all = [prewarm, ...order.flatMap((cfgs, r) => cfgs.map((cfg) => topicsFor(r + 1, cfg)))];
  await createTopics(all.flatMap((t) => [t.data, t.warm, t.denied]));
  const starts = await waitUntilServing(all.flatMap((t) => [t.data, t.warm, t.denied]));

  // This process's JIT and the broker's first: a full round straight to the broker.
  const tp = now();
  await load(BROKER, prewarm, starts, 0, null, false, 4);
  log(`broker and client warmed up directly on ${BROKER} in ${((now() - tp) / 1000).toFixed(1)} s`);

  const runs: unknown[] = [];
  for (const [r, cfgs] of order.entries()) {
    for (const cfg of cfgs) {
      make("envoy-down");
      if (cfg === "filter") make("up", `POLICY=${POLICY}`);
      else if (cfg === "floor") make("up", `POLICY=${POLICY}`, `FILTER_WASM=${NOOP_WASM}`);
      else make("up", "NOWASM=1");
      const pid = envoyPid();
      const t = topicsFor(r + 1, cfg);
      await waitForLeaders(PROXY, [t.data, t.warm, t.denied]);
      const idle: Memory = await memory(pid);
      // Envoy defines its wasm.* stats only when it runs a Wasm VM: it must run what we asked for.
      if ((cfg !== "passthrough") !== Object.keys(idle.wasmStats).length > 0) throw new Error(`Envoy does not run the ${cfg} configuration`);
      const loadBefore = os.loadavg();
      const machine = machineLoad(pid);
      const figures = (await load(PROXY, t, starts, cfg === "filter" ? TOPIC_AUTHORIZATION_FAILED : 0, pid, false))!;
      const loadAfter = os.loadavg();
      const others = machine();
      const loaded = await memory(pid);
      const counters = cfg === "filter" ? await filterCounters() : {};
      runs.push({ repeat: r + 1, config: cfg, ...figures, memory: { idle, loaded }, counters, loadavg: { before: loadBefore, after: loadAfter }, machine: others });
      const { produce: p, fetch: f, metadata: m, denied: d } = figures;
      log(`repeat ${r + 1} ${cfg}: produce ${(p.messages / p.ms * 1000).toFixed(0)} msg/s p50 ${p.p50.toFixed(2)} ms, ` +
        `fetch ${(f.messages / f.ms * 1000).toFixed(0)} msg/s, metadata p50 ${(m.p50 * 1000).toFixed(0)} us ` +
        `(Envoy CPU ${(m.envoyCpu.workers / m.count * 1000).toFixed(0)} us workers, ${(m.envoyCpu.v8 / m.count * 1000).toFixed(0)} us V8 bg), denied p50 ${d.p50.toFixed(2)} ms; ` +
        `RSS ${(loaded.rssKiB / 1024).toFixed(0)} MiB; others' CPU ${((others.busyMs - others.oursMs) / others.wallMs).toFixed(2)} cores, load average ${loadAfter[0].toFixed(1)}`);
    }
  }
  const deleted = await deleteTopics(`bench.`);
  log(`deleted ${deleted} bench topics`);
  writeFileSync(outFile, JSON.stringify({
    run: RUN, when: new Date().toISOString(), cores: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? "?",
    loadavg: { start: loadStart, end: os.loadavg() },
    params: { floor: FLOOR, messages: MESSAGES, batch: BATCH, valueBytes: VALUE_BYTES, fetchPasses: FETCH_PASSES, metadata: METADATA, denied: DENIED, repeats: REPEATS, batchBytes: batch.length },
    runs,
  }, null, 1));
}

main().then(() => process.exit(0), (e) => { log(`failed: ${(e as Error).stack ?? e}`); process.exit(1); });
