// Soak: real clients through the filter for minutes while others misbehave, then proof that
// nothing was lost, duplicated or altered, that Envoy's memory stayed flat and that nothing of
// the closed connections is left. `make soak` (mk/soak.mk) runs it against the e2e stack; see
// test/soak/README.md. Prints one line per check and closes with "N passed, N failed".

import { createHash, randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Kafka, logLevel, type Producer, type Consumer, type Admin, type KafkaConfig } from "kafkajs";
import { RUN, PLAINTEXT, SASL, TLS, USERS } from "../e2e/lib/env";
import { stats, stat, logMark, logSince, filterLogSince, brief, K } from "../e2e/lib/envoy";
import { tlsOptions, errorTypes } from "../e2e/lib/kafkajs";
import {
  Wire, ERR, MAX_IN_FLIGHT, WASM_FAILURE, directKafka, ensureTopics, fillers, produce, produceErrors, apiVersions, type Listener,
} from "../e2e/lib/attack";
import { memory, envoyPid, type Memory } from "../bench/lib/envoy";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
/** Producers per listener (each with its own sequence numbers). */
const PRODUCERS = Number(process.env.SOAK_PRODUCERS ?? 2);
const PARTITIONS = 3;
/** Messages per send and the pause between sends of one producer. */
const BATCH = 10;
const PAUSE_MS = 50;
/** Envoy's RSS may grow this much from the end of the warm-up to the end ("flat"). */
const RSS_GROWTH_MIB = Number(process.env.SOAK_RSS_GROWTH_MIB ?? 64);
const WARMUP_S = Math.min(30, Math.max(5, SECONDS / 5));

// ---------------------------------------------------------------------------------------
// Checks and figures

let passed = 0, failed = 0;
function check(ok: boolean, what: string, detail = ""): void {
  if (ok) passed++; else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ` -- ${detail}` : ""}`);
}
const log = (s: string): void => console.log(`soak: ${s}`);
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

async function sampleMemory(): Promise<Memory & { server: string }> {
  const m = await memory(envoyPid());
  const s = await stats("^server\\.memory_");
  const server = ["allocated", "heap_size", "physical_size"].map((k) => `${k} ${(stat(s, `server.memory_${k}`) / 2 ** 20).toFixed(1)} MiB`).join(", ");
  return { ...m, server };
}
function showMemory(when: string, m: Memory & { server: string }): void {
  log(`memory ${when}: RSS ${mib(m.rssKiB)} (peak ${mib(m.hwmKiB)}); /memory allocated ${(m.allocated / 2 ** 20).toFixed(1)} MiB, ` +
    `heap ${(m.heapSize / 2 ** 20).toFixed(1)} MiB; /stats ${m.server}; Wasm memories ${m.wasmMemories.map((w) => mib(w.sizeKiB)).join(" + ")}`);
}

// ---------------------------------------------------------------------------------------
// Messages: "<producer> <seq> <sha256> <payload>", the checksum over producer, seq and payload.

const sum = (producer: string, seq: number, payload: string): string =>
  createHash("sha256").update(`${producer} ${seq} ${payload}`).digest("hex");

function message(producer: string, seq: number): { key: string; value: string } {
  const payload = randomBytes(16 + Math.floor(Math.random() * 1500)).toString("base64");
  return { key: producer, value: `${producer} ${seq} ${sum(producer, seq, payload)} ${payload}` };
}

type Parsed = { producer: string; seq: number } | null;
function parse(value: string): Parsed {
  const [producer, seqText, digest, payload] = value.split(" ");
  const seq = Number(seqText);
  if (payload === undefined || !Number.isInteger(seq) || sum(producer, seq, payload) !== digest) return null;
  return { producer, seq };
}

// ---------------------------------------------------------------------------------------
// The clients, per listener: who writes and who reads which topic (test/e2e/policy.json).

interface Lane { listener: Listener; topic: string; writer: "anonymous" | "alice" | "carol"; reader: "anonymous" | "bob" | "carol" }
const LANES: Lane[] = [
  { listener: "plaintext", topic: `e2e.soak.${RUN}`, writer: "anonymous", reader: "anonymous" },
  { listener: "sasl", topic: `orders.soak-${RUN}`, writer: "alice", reader: "bob" },
  { listener: "tls", topic: `tls.soak-${RUN}`, writer: "carol", reader: "carol" },
];

function kafka(who: "anonymous" | "alice" | "bob" | "carol", clientId: string): Kafka {
  const cfg: KafkaConfig = {
    clientId, logLevel: logLevel.NOTHING, connectionTimeout: 5000, requestTimeout: 15_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
    brokers: [who === "anonymous" ? PLAINTEXT : who === "carol" ? TLS : SASL],
  };
  if (who === "carol") cfg.ssl = tlsOptions("carol");
  if (who === "alice" || who === "bob") cfg.sasl = { mechanism: "plain", ...USERS[who] };
  return new Kafka(cfg);
}

interface ProducerState {
  id: string; lane: Lane;
  /** Highest sequence number sent, and the highest of a batch the broker acknowledged. */
  sent: number; acked: number;
  /** Sequence numbers of batches whose send failed: each may be in the log once, or not at all. */
  unacked: Set<number>;
  failedSends: number; lastError: string;
}

/** How many messages the broker acknowledged. */
const ackedCount = (s: ProducerState): number => s.acked - [...s.unacked].filter((q) => q <= s.acked).length;

async function runProducer(p: Producer, st: ProducerState, until: number): Promise<void> {
  let seq = 0;
  while (Date.now() < until) {
    const batch = Array.from({ length: BATCH }, () => message(st.id, ++seq));
    st.sent = seq;
    try {
      await p.send({ topic: st.lane.topic, messages: batch });
      st.acked = seq;
    } catch (e) {
      // Idempotent producer: an unacknowledged batch may or may not be in the log; the final
      // read accepts it once at most. A failed send still counts against the run.
      st.failedSends++;
      for (const m of batch) st.unacked.add(Number(m.value.split(" ")[1]));
      st.lastError = (e as Error).message;
      await sleep(500);
    }
    await sleep(PAUSE_MS);
  }
}

interface LiveStats { seen: number; bad: number }

/** Runs `fn`; a failure names the step it broke. */
async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message} [${errorTypes(e).join(", ")}]`, { cause: e });
  }
}

async function startConsumer(c: Consumer, lane: Lane, live: LiveStats): Promise<void> {
  await c.connect();
  await c.subscribe({ topics: [lane.topic], fromBeginning: true });
  await c.run({
    eachMessage: async ({ message: m }) => {
      live.seen++;
      if (m.value === null || parse(m.value.toString()) === null) live.bad++;
    },
  });
}

/** Reads every partition of `lane.topic` from the start to `ends` (the broker's end offsets) in a fresh group. */
async function readAll(lane: Lane, ends: Map<number, number>): Promise<Array<{ partition: number; offset: number; value: string | null }>> {
  const out: Array<{ partition: number; offset: number; value: string | null }> = [];
  const c = kafka(lane.reader, "soak-verify").consumer({ groupId: `e2e.group.soak-verify-${lane.listener}-${RUN}`, maxWaitTimeInMs: 500, sessionTimeout: 20_000 });
  const left = new Map([...ends].filter(([, end]) => end > 0));
  try {
    await c.connect();
    await c.subscribe({ topics: [lane.topic], fromBeginning: true });
    const done = new Promise<void>((resolve, reject) => {
      if (left.size === 0) resolve();
      c.on(c.events.CRASH, (e) => reject(e.payload.error));
      void c.run({
        eachMessage: async ({ partition, message: m }) => {
          const offset = Number(m.offset);
          out.push({ partition, offset, value: m.value?.toString() ?? null });
          if (offset + 1 >= (ends.get(partition) ?? 0)) left.delete(partition);
          if (left.size === 0) resolve();
        },
      }).catch(reject);
    });
    await Promise.race([done, sleep(120_000).then(() => { throw new Error(`final read of ${lane.topic} incomplete after 120 s`); })]);
  } finally {
    await c.disconnect().catch(() => undefined);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Misbehaving clients, each in a loop until the end, counting what they got.

interface Misbehaviour { tries: number; expected: number; unexpected: string[] }
const mis = (): Misbehaviour => ({ tries: 0, expected: 0, unexpected: [] });

async function loop(until: number, everyMs: number, fn: () => Promise<void>): Promise<void> {
  while (Date.now() < until) {
    await fn();
    await sleep(everyMs);
  }
}

/** Random bytes that are not a Kafka frame: the filter closes the connection. */
async function garbage(m: Misbehaviour, listener: Listener): Promise<void> {
  m.tries++;
  const w = await Wire.open(listener);
  const junk = randomBytes(64);
  junk.writeInt32BE(0x7fff0000 | junk.readUInt16BE(0), 0); // a size prefix past maxFrameBytes
  await w.send(junk);
  const closed = await w.waitClosed(5000);
  w.destroy();
  if (closed && w.received === 0) m.expected++; else m.unexpected.push(`garbage on ${listener}: closed ${closed}, ${w.received} bytes back`);
}

/** Half a produce, then a byte now and then: closed after filter.frameTimeoutMs. */
async function slowPartial(m: Misbehaviour, topic: string): Promise<void> {
  m.tries++;
  const w = await Wire.open("plaintext");
  const frame = await produce(1, topic);
  await w.send(frame.subarray(0, 24));
  const t0 = Date.now();
  for (let i = 24; i < frame.length - 1 && !w.closed && Date.now() - t0 < 15_000; i++) {
    await sleep(300);
    await w.send(frame.subarray(i, i + 1));
  }
  const closed = await w.waitClosed(2000);
  w.destroy();
  if (closed && w.received === 0) m.expected++; else m.unexpected.push(`slow partial frame: closed ${closed} after ${Date.now() - t0} ms`);
}

/** ANONYMOUS produces to orders.* (only alice may): TOPIC_AUTHORIZATION_FAILED, the connection stays. */
async function deniedProduce(m: Misbehaviour, topic: string): Promise<void> {
  m.tries++;
  const w = await Wire.open("plaintext");
  try {
    await w.send(Buffer.concat([await produce(1, topic), await apiVersions(2)]));
    const [p, a] = await w.frames(2, 8000);
    const errors = p ? await produceErrors(p) : null;
    if (errors?.length === 1 && errors[0] === ERR.TOPIC_AUTHORIZATION_FAILED && a !== undefined) m.expected++;
    else m.unexpected.push(`denied produce: ${JSON.stringify(errors)}, then ${a ? "answered" : "no answer"}`);
  } finally {
    w.destroy();
  }
}

/** More than maxInFlight requests in one write: the filter closes the connection. */
async function overflow(m: Misbehaviour): Promise<void> {
  m.tries++;
  const w = await Wire.open("plaintext");
  await w.send(await fillers(1, MAX_IN_FLIGHT + 200));
  const got = await w.drain(8000);
  w.destroy();
  if (got.closed && got.frames.length <= MAX_IN_FLIGHT) m.expected++;
  else m.unexpected.push(`overflow: closed ${got.closed} after ${got.frames.length} answers`);
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const mark = logMark();
  const before = await stats("wasmcustom\\.kafka\\.connections$");
  const memStart = await sampleMemory();
  log(`${SECONDS} s, ${PRODUCERS} producer(s) and 2 consumers per listener (${LANES.map((l) => l.listener).join(", ")}), ` +
    `misbehaving clients alongside; run id ${RUN}`);
  showMemory("at start", memStart);

  const admin: Admin = directKafka().admin();
  await admin.connect();
  await step("creating the topics", () => ensureTopics(admin, LANES.map((l) => l.topic), PARTITIONS));

  const until = Date.now() + SECONDS * 1000;
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];
  const states: ProducerState[] = [];
  const live = new Map<Lane, LiveStats>();
  const running: Array<Promise<void>> = [];

  for (const lane of LANES) {
    live.set(lane, { seen: 0, bad: 0 });
    for (let i = 0; i < 2; i++) {
      const c = kafka(lane.reader, `soak-consumer-${lane.listener}-${i}`).consumer({
        groupId: `e2e.group.soak-${lane.listener}-${RUN}`, sessionTimeout: 20_000, heartbeatInterval: 2000, maxWaitTimeInMs: 500,
      });
      consumers.push(c);
      await step(`starting consumer ${i} on ${lane.listener}`, () => startConsumer(c, lane, live.get(lane)!));
    }
    for (let i = 0; i < PRODUCERS; i++) {
      const st: ProducerState = { id: `${lane.listener}-p${i}`, lane, sent: 0, acked: 0, unacked: new Set(), failedSends: 0, lastError: "" };
      const p = kafka(lane.writer, `soak-${st.id}`).producer({ idempotent: true, maxInFlightRequests: 1 });
      await step(`connecting producer ${st.id}`, () => p.connect());
      producers.push(p);
      states.push(st);
      running.push(runProducer(p, st, until));
    }
  }

  const misbehaving = { garbage: mis(), slowPartial: mis(), deniedProduce: mis(), overflow: mis() };
  const wrap = (m: Misbehaviour, what: string, fn: () => Promise<void>) => async () => {
    try { await fn(); } catch (e) { m.unexpected.push(`${what}: ${(e as Error).message}`); }
  };
  const listeners: Listener[] = ["plaintext", "sasl", "tls"];
  let g = 0;
  running.push(loop(until, 1500, wrap(misbehaving.garbage, "garbage", () => garbage(misbehaving.garbage, listeners[g++ % 3]))));
  running.push(loop(until, 2000, wrap(misbehaving.slowPartial, "slow partial", () => slowPartial(misbehaving.slowPartial, LANES[0].topic))));
  running.push(loop(until, 1000, wrap(misbehaving.deniedProduce, "denied produce", () => deniedProduce(misbehaving.deniedProduce, LANES[1].topic))));
  running.push(loop(until, 7000, wrap(misbehaving.overflow, "overflow", () => overflow(misbehaving.overflow))));

  // Memory: after the warm-up, then every 30 s.
  await sleep(WARMUP_S * 1000);
  const memWarm = await sampleMemory();
  showMemory(`after ${WARMUP_S} s of warm-up`, memWarm);
  while (Date.now() + 30_000 < until) {
    await sleep(30_000);
    const m = await sampleMemory();
    log(`memory at ${Math.round((Date.now() - (until - SECONDS * 1000)) / 1000)} s: RSS ${mib(m.rssKiB)}, Wasm ${m.wasmMemories.map((w) => mib(w.sizeKiB)).join(" + ")}; ` +
      `acknowledged so far ${states.reduce((n, s) => n + ackedCount(s), 0)}`);
  }
  await Promise.all(running);
  const memLoad = await sampleMemory();
  log("producers and misbehaving clients stopped; letting the consumers catch up");
  await sleep(5000);

  // The whole log of every topic, as the broker has it, read back through the filter.
  const verify = new Map<Lane, { lost: number; duplicated: number; altered: number; unexpected: number; disordered: number; read: number }>();
  for (const lane of LANES) {
    const offsets = await admin.fetchTopicOffsets(lane.topic);
    const ends = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    const records = await readAll(lane, ends);
    const mine = states.filter((s) => s.lane === lane);
    const seen = new Map<string, Map<number, number>>(mine.map((s) => [s.id, new Map()]));
    const lastSeq = new Map<string, number>();
    const r = { lost: 0, duplicated: 0, altered: 0, unexpected: 0, disordered: 0, read: records.length };
    records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    for (const rec of records) {
      const m = rec.value === null ? null : parse(rec.value);
      if (m === null) { r.altered++; continue; }
      const forProducer = seen.get(m.producer);
      if (forProducer === undefined) { r.unexpected++; continue; }
      forProducer.set(m.seq, (forProducer.get(m.seq) ?? 0) + 1);
      // One producer's messages go to one partition (keyed) in the order they were sent.
      const key = `${m.producer}@${rec.partition}`;
      if ((lastSeq.get(key) ?? 0) >= m.seq) r.disordered++;
      lastSeq.set(key, m.seq);
    }
    for (const s of mine) {
      const got = seen.get(s.id)!;
      for (let q = 1; q <= s.acked; q++) if (!got.has(q) && !s.unacked.has(q)) r.lost++;
      for (const [q, n] of got) { if (n > 1) r.duplicated += n - 1; if (q > s.sent) r.unexpected++; }
    }
    verify.set(lane, r);
  }

  for (const c of consumers) await c.disconnect().catch(() => undefined);
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await admin.disconnect();
  await sleep(3000);
  const memEnd = await sampleMemory();

  // ---- Results
  console.log("");
  for (const s of states) log(`producer ${s.id}: ${ackedCount(s)} messages acknowledged, ${s.failedSends} failed sends${s.lastError ? ` (last: ${s.lastError})` : ""}`);
  for (const lane of LANES) {
    const r = verify.get(lane)!, l = live.get(lane)!;
    log(`${lane.topic} (${lane.listener}): ${r.read} records read back; live consumers saw ${l.seen} (${l.bad} bad)`);
  }
  for (const [name, m] of Object.entries(misbehaving)) log(`misbehaving ${name}: ${m.tries} tries, ${m.expected} got what they should`);
  showMemory("at start", memStart);
  showMemory(`after warm-up (${WARMUP_S} s)`, memWarm);
  showMemory("when the load stopped", memLoad);
  showMemory("at end (after the read-back), all clients gone", memEnd);
  console.log("");

  const total = states.reduce((n, s) => n + ackedCount(s), 0);
  check(states.every((s) => s.failedSends === 0), "every send was acknowledged", states.filter((s) => s.failedSends > 0).map((s) => `${s.id}: ${s.lastError}`).join("; "));
  check(total > 0, `messages produced: ${total}`);
  for (const lane of LANES) {
    const r = verify.get(lane)!;
    const acked = states.filter((s) => s.lane === lane).reduce((n, s) => n + ackedCount(s), 0);
    check(r.lost === 0, `${lane.listener}: nothing lost (${acked} acknowledged)`, `${r.lost} missing`);
    check(r.duplicated === 0, `${lane.listener}: nothing duplicated`, `${r.duplicated} duplicates`);
    check(r.altered === 0 && r.unexpected === 0, `${lane.listener}: nothing altered or foreign`, `${r.altered} altered, ${r.unexpected} foreign`);
    check(r.disordered === 0, `${lane.listener}: each producer's messages in order`, `${r.disordered} out of order`);
    const l = live.get(lane)!;
    check(l.seen > 0 && l.bad === 0, `${lane.listener}: live consumers saw ${l.seen} messages, none bad`, `${l.bad} bad`);
  }
  for (const [name, m] of Object.entries(misbehaving)) {
    check(m.tries > 0 && m.unexpected.length === 0, `misbehaving ${name}: ${m.expected}/${m.tries} as expected`, m.unexpected.slice(0, 3).join("; "));
  }

  const wasmErrors = logSince(mark).filter((l) => WASM_FAILURE.test(l));
  check(wasmErrors.length === 0, "no Wasm runtime error in Envoy's log", wasmErrors.slice(0, 3).map(brief).join(" | "));
  // Flat under load: from the end of the warm-up to the moment the load stops. The read-back
  // after it fetches whole topics in big answers; its growth is printed, not judged.
  const signed = (n: number): string => `${n >= 0 ? "+" : ""}${n.toFixed(0)} MiB`;
  const growth = (memLoad.rssKiB - memWarm.rssKiB) / 1024;
  check(growth < RSS_GROWTH_MIB, `Envoy's memory flat under load: RSS ${mib(memWarm.rssKiB)} after warm-up, ${mib(memLoad.rssKiB)} when the load stopped ` +
    `(${signed(growth)}, limit ${RSS_GROWTH_MIB} MiB); ${mib(memEnd.rssKiB)} at end`);
  const wasmKiB = (m: Memory): number => m.wasmMemories.reduce((n, w) => n + w.sizeKiB, 0);
  const wasmGrowth = (wasmKiB(memLoad) - wasmKiB(memWarm)) / 1024;
  check(wasmGrowth < RSS_GROWTH_MIB, `the VMs' Wasm memories flat under load: ${mib(wasmKiB(memWarm))} after warm-up, ` +
    `${mib(wasmKiB(memLoad))} when the load stopped (${signed(wasmGrowth)}); ${mib(wasmKiB(memEnd))} at end`);

  // Nothing of the closed connections is left: Envoy holds no connection, and the filter has
  // finished (onDone, its close line) every connection it was given.
  const cx = await stats("downstream_cx_active$|upstream_cx_active$");
  const active = [...cx].filter(([n, v]) => /^(listener\.127\.0\.0\.1_1909[234]\.downstream|cluster\.kafka_\w+\.upstream)_cx_active$/.test(n) && v !== 0);
  check(active.length === 0, "no connection left in Envoy (listener downstream_cx_active, cluster upstream_cx_active)", active.map(([n, v]) => `${n}=${v}`).join(", "));
  const opened = stat(await stats("wasmcustom\\.kafka\\.connections$"), K("connections")) - stat(before, K("connections"));
  const ended = new Set(filterLogSince(mark).map((l) => /\]\[(\d+)\]\[\w+\]\[wasm\].* kafka connection (\d+) closed/.exec(l)).filter((m) => m !== null).map((m) => `${m![1]}/${m![2]}`));
  check(ended.size === opened, `the filter ended every connection it opened (${opened} opened, ${ended.size} closed)`);

  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => { console.error(`soak: ${(e as Error).stack ?? e}`); console.log(`\n${passed} passed, ${failed + 1} failed`); process.exit(1); },
);
