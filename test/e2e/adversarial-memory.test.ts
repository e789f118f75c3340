// Adversarial: memory (issue 6, attack 4 and its relatives). A frame's size prefix is a claim,
// not an allocation: what the filter holds grows with the bytes that arrive. A frame left
// incomplete past filter.frameTimeoutMs (3000 ms in test/e2e/policy.json) closes its
// connection, however slowly its bytes trickle in; a connection idle between frames is left
// alone. A frame that starts Envoy's buffer stays there until whole (filter.inEnvoyFrameBytes,
// 8 MiB in the policy) and goes on once. A client that stops reading while the broker answers
// does not make Envoy grow: TCP pushes back through Envoy to the broker. What a request keeps
// in the filter while it waits for the broker's answer (refused entries to merge into it)
// counts in filter.maxBufferedBytes too: a client that stops reading cannot pile such requests
// up in a VM. And one request cannot make a VM spend without bound deciding it: past
// filter.maxRequestElements it is closed, and what it costs below that is linear in what it names.

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { e2e } from "./lib/harness";
import { unique } from "./lib/env";
import { stats, delta, K, brief } from "./lib/envoy";
import { uvarint } from "./lib/bytes";
import { recordBatch } from "../bench/lib/wire";
import {
  Wire, API, ERR, FRAME_TIMEOUT_MS, afterAttack, apiVersions, closeLines, corrOf, directAdmin, directKafka, ensureTopics,
  envoyRssMiB, highWatermark, produce, produceErrors, request, response,
} from "./lib/attack";

/** The tick that closes stalled connections runs every frameTimeoutMs / 4 (at most 1 s). */
const TICK_MS = Math.min(1000, FRAME_TIMEOUT_MS / 4);
const TIMEOUT_LINE = `; filter.frameTimeoutMs is ${FRAME_TIMEOUT_MS})`;

/** 14 bytes: a Produce v3 request header (empty client id) whose size prefix claims 100 MiB. */
function claim(corr: number): Buffer {
  const b = Buffer.alloc(14);
  b.writeInt32BE(100 * 1024 * 1024, 0); // = filter.maxFrameBytes: a size the filter accepts
  b.writeInt16BE(API.Produce, 4);
  b.writeInt16BE(3, 6);
  b.writeInt32BE(corr, 8);
  b.writeInt16BE(0, 12); // client id ""
  return b;
}

e2e("80 connections, each a 14-byte header claiming a 100 MiB frame: Envoy's RSS stays flat, fresh clients are served, each is closed at frameTimeoutMs", async (c) => {
  const N = 80;
  const before = await stats();
  const rss0 = envoyRssMiB();
  const t0 = Date.now();
  const wires = await Promise.all(Array.from({ length: N }, () => Wire.for(c, "plaintext")));
  await Promise.all(wires.map((w, i) => w.send(claim(i + 1))));
  await sleep(1000);
  const rss1 = envoyRssMiB();
  c.t.diagnostic(`Envoy RSS ${rss0.toFixed(0)} MiB before, ${rss1.toFixed(0)} MiB with ${N} claims of 100 MiB open`);
  assert.ok(rss1 - rss0 < 64, `RSS grew by ${(rss1 - rss0).toFixed(0)} MiB for ${N * 14} bytes received`);
  assert.equal(wires.filter((w) => w.closed).length, 0, "the claims alone close nothing before the timeout");

  // While they hang, fresh connections are answered.
  for (let i = 0; i < 6; i++) {
    const w = await Wire.for(c, "plaintext");
    await w.send(await apiVersions(1));
    const f = await w.next(2000);
    assert.ok(f !== null && corrOf(f) === 1, `fresh connection ${i + 1} is answered while the claims are held`);
    w.destroy();
  }

  const closed = await Promise.all(wires.map((w) => w.waitClosed(FRAME_TIMEOUT_MS + TICK_MS + 3000)));
  assert.equal(closed.filter(Boolean).length, N, "every one is closed");
  const after = Math.max(...wires.map((w) => w.closedAt - t0));
  const first = Math.min(...wires.map((w) => w.closedAt - t0));
  c.t.diagnostic(`closed after ${first}..${after} ms`);
  assert.ok(first >= FRAME_TIMEOUT_MS - 100, `not before frameTimeoutMs (first after ${first} ms)`);
  assert.equal(wires.filter((w) => w.received > 0).length, 0, "none got an answer");
  const lines = closeLines(c.mark).filter((l) => l.includes("request frame incomplete for") && l.includes(TIMEOUT_LINE));
  assert.equal(lines.length, N, `one timeout line per connection (${lines.length}): ${closeLines(c.mark).slice(0, 3).map(brief).join(" | ")}`);
  c.t.diagnostic(brief(lines[0]));
  assert.equal(delta(before, await stats(), K("frame_timeout_closed")), N, "kafka.frame_timeout_closed counts them");
  await afterAttack(c, "plaintext");
}, 45_000);

e2e("a request trickled in one byte at a time: closed frameTimeoutMs after its first byte, its record never reaches the broker", async (c) => {
  const topic = unique("e2e.adv.", "slow");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [topic]);
  const before = await stats();
  const frame = await produce(1, topic);
  const w = await Wire.for(c, "plaintext");
  const t0 = Date.now();
  await w.send(frame.subarray(0, 20)); // the header whole, the body not
  for (let i = 20; i < frame.length - 1 && !w.closed; i++) {
    await sleep(250);
    await w.send(frame.subarray(i, i + 1));
  }
  assert.equal(await w.waitClosed(FRAME_TIMEOUT_MS + TICK_MS + 3000), true, "the connection is closed");
  const ms = w.closedAt - t0;
  c.t.diagnostic(`closed after ${ms} ms, ${frame.length}-byte frame`);
  assert.ok(ms >= FRAME_TIMEOUT_MS - 100 && ms <= FRAME_TIMEOUT_MS + TICK_MS + 1500, `closed after ${ms} ms`);
  assert.equal(w.received, 0, "no answer");
  const line = closeLines(c.mark).find((l) => l.includes("request frame incomplete for") && l.includes(TIMEOUT_LINE));
  assert.ok(line, closeLines(c.mark).map(brief).join(" | "));
  c.t.diagnostic(brief(line));
  assert.equal(delta(before, await stats(), K("frame_timeout_closed")), 1);
  assert.equal(await highWatermark(admin, topic), 0, "the record never reached the broker");
  await afterAttack(c, "plaintext");
});

e2e("a size prefix trickled in one byte at a time is closed the same way", async (c) => {
  const w = await Wire.for(c, "plaintext");
  const t0 = Date.now();
  const frame = await apiVersions(1);
  for (let i = 0; i < 3 && !w.closed; i++) {
    await w.send(frame.subarray(i, i + 1));
    await sleep(1500);
  }
  assert.equal(await w.waitClosed(FRAME_TIMEOUT_MS + TICK_MS + 3000), true);
  const ms = w.closedAt - t0;
  assert.ok(ms >= FRAME_TIMEOUT_MS - 100 && ms <= FRAME_TIMEOUT_MS + TICK_MS + 1500, `closed after ${ms} ms`);
  assert.ok(closeLines(c.mark).some((l) => l.includes("request frame incomplete for") && l.includes(TIMEOUT_LINE)));
  await afterAttack(c, "plaintext");
});

e2e("the frame timeout spares ordinary clients: a produce sent in pieces within it is served, a connection idle between frames stays open", async (c) => {
  const topic = unique("e2e.adv.", "pieces");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [topic]);
  const w = await Wire.for(c, "plaintext");
  const frame = await produce(1, topic);
  const cut = [0, 7, 30, 60, frame.length];
  for (let i = 0; i + 1 < cut.length; i++) {
    await w.send(frame.subarray(cut[i], cut[i + 1]));
    if (i + 2 < cut.length) await sleep(FRAME_TIMEOUT_MS / 5);
  }
  const p = await w.next(8000);
  assert.ok(p !== null, "the produce is answered");
  assert.deepEqual(await produceErrors(p), [ERR.NONE]);
  await sleep(FRAME_TIMEOUT_MS + TICK_MS + 1000);
  assert.equal(w.closed, false, "idle between frames for longer than frameTimeoutMs: still open");
  await w.send(await apiVersions(2));
  const a = await w.next(5000);
  assert.ok(a !== null && corrOf(a) === 2, "and served");
  assert.equal(await highWatermark(admin, topic), 1);
  assert.deepEqual(closeLines(c.mark), []);
  await afterAttack(c, "plaintext");
});

e2e("a 700 KB produce written in 64 KiB pieces is left in Envoy's buffer until whole (filter.inEnvoyFrameBytes): none of it reaches the broker before its last piece, then it is served once", async (c) => {
  const topic = unique("e2e.adv.", "inenvoy");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [topic]);
  const before = await stats();
  const frame = await produce(1, topic, undefined, 700_000);
  const w = await Wire.for(c, "plaintext");
  const PIECE = 64 << 10;
  for (let at = 0; at + PIECE < frame.length; at += PIECE) {
    await w.send(frame.subarray(at, at + PIECE));
    await sleep(50);
  }
  await sleep(300);
  assert.equal(await highWatermark(admin, topic), 0, "nothing of it reached the broker before its last piece");
  assert.equal(w.received, 0, "no answer yet");
  await w.send(frame.subarray(Math.floor((frame.length - 1) / PIECE) * PIECE));
  const p = await w.next(8000);
  assert.ok(p !== null && corrOf(p) === 1, "the produce is answered");
  assert.deepEqual(await produceErrors(p), [ERR.NONE]);
  assert.equal(await highWatermark(admin, topic), 1, "its record reached the broker once");
  const after = await stats();
  assert.equal(delta(before, after, K("request_frames_in_envoy")), 1, "kafka.request_frames_in_envoy counts it");
  assert.equal(delta(before, after, K("request_bytes")), frame.length, "kafka.request_bytes counts each byte once");
  assert.equal(delta(before, after, K("request_frames_in_place")), 1, "decided in place once whole (filter.inPlaceFrameBytes)");
  const read = delta(before, after, K("request_bytes_read_in_place"));
  assert.ok(read > 0 && read <= 16384, `${read} of its ${frame.length} bytes read into the VM`);
  assert.deepEqual(closeLines(c.mark), []);
  await afterAttack(c, "plaintext");
});

e2e("900 KB produces sent whole are decided in place: an allowed one reaches the broker with a few KiB of it read, a denied one and one over a batch limit are refused", async (c) => {
  const ok = unique("e2e.adv.", "inplace"), denied = unique("e2e.readonly.", "inplace"), small = unique("e2e.small.", "inplace");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [ok, denied, small]);
  const w = await Wire.for(c, "plaintext");
  const outcomes: Array<[string, number[], number, number]> = [];
  let corr = 1;
  for (const topic of [ok, denied, small]) {
    const before = await stats();
    const frame = await produce(corr, topic, undefined, 900_000);
    await w.send(frame);
    const p = await w.next(8000);
    assert.ok(p !== null && corrOf(p) === corr, `the produce to ${topic} is answered`);
    const after = await stats();
    assert.equal(delta(before, after, K("request_frames_in_place")), 1, `the produce to ${topic} is decided in place`);
    outcomes.push([topic, await produceErrors(p), delta(before, after, K("request_bytes_read_in_place")), frame.length]);
    corr++;
  }
  c.t.diagnostic(outcomes.map(([t, e, read, size]) => `${t}: errors ${e}, ${read} of ${size} bytes read`).join("; "));
  const [allowed, refused, limited] = outcomes;
  assert.deepEqual(allowed[1], [ERR.NONE]);
  assert.ok(allowed[2] <= 16384, `the allowed one: ${allowed[2]} bytes read into the VM`);
  assert.equal(await highWatermark(admin, ok), 1, "its record reached the broker once");
  // Fetched back: decided in place when the broker's answer reaches Envoy in one read, read as it
  // arrives when it spans reads; counted from its batch header either way.
  const before = await stats();
  await w.send(await request(API.Fetch, 4, corr, {
    replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 4 << 20, isolationLevel: 0,
    topics: [{ topic: ok, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 4 << 20 }] }],
  }));
  const f = await w.next(8000);
  assert.ok(f !== null && corrOf(f) === corr && f.length > 900_000, "the record comes back whole");
  const after = await stats();
  assert.equal(delta(before, after, K(`topic.fetch_records.${ok}`)), 1, "its record is counted");
  const fetchedRead = delta(before, after, K("response_bytes_read_in_place"));
  c.t.diagnostic(`fetched ${f.length} bytes: ${delta(before, after, K("response_frames_in_place"))} response in place, ` +
    `${fetchedRead} bytes of it read into the VM`);
  assert.equal(delta(before, after, K("response_frames_in_place")), 1, "the answer is read in place");
  // 0 is right too: when the answer spans reads and its first read (copied whole, as any read
  // that starts a frame) holds its batch header, the walk waits for nothing in the later reads
  // and none of them is fetched (StreamedFrame.endRead). The record counted above shows the
  // batch header was read.
  assert.ok(fetchedRead < f.length / 4, `${fetchedRead} of its ${f.length} bytes read into the VM`);
  assert.deepEqual(refused[1], [ERR.TOPIC_AUTHORIZATION_FAILED]);
  assert.equal(await highWatermark(admin, denied), 0);
  assert.notDeepEqual(limited[1], [ERR.NONE], "a batch over e2e.small.'s maxBatchBytes is refused");
  assert.equal(await highWatermark(admin, small), 0);
  assert.ok(!w.closed, "the connection stays up");
  assert.deepEqual(closeLines(c.mark), []);
  await afterAttack(c, "plaintext");
});

e2e("a client that stops reading while the broker answers 40 fetches of 9 MB: Envoy's memory levels off, the broker is held back, every answer arrives once it reads again", async (c) => {
  const topic = unique("e2e.adv.", "big");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [topic]);
  // 10 records of 900 KB (under the broker's message.max.bytes), written at the broker directly.
  const p = directKafka().producer();
  c.cleanup(() => p.disconnect());
  await p.connect();
  for (let i = 0; i < 10; i++) await p.send({ topic, messages: [{ value: Buffer.alloc(900_000, 0x61 + i) }] });
  const fetch = (corr: number): Promise<Buffer> => request(API.Fetch, 4, corr, {
    replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 16 << 20, isolationLevel: 0,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 16 << 20 }] }],
  });
  const RX = "cluster.kafka_plaintext.upstream_cx_rx_bytes_total";

  const N = 40;
  const asked = N * 9_000_000;
  const rss0 = envoyRssMiB();
  const rx0 = await stats(RX);
  const w = await Wire.for(c, "plaintext");
  w.pause();
  for (let i = 1; i <= N; i++) w.write(await fetch(i));
  await sleep(3000);
  const rss1 = envoyRssMiB();
  const rx1 = await stats(RX);
  await sleep(4000);
  const rss2 = envoyRssMiB();
  const rx2 = await stats(RX);
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  c.t.diagnostic(`not reading: Envoy RSS ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} (3 s) -> ${rss2.toFixed(0)} MiB (7 s); ` +
    `the broker sent ${mib(delta(rx0, rx1, RX))} then ${mib(delta(rx0, rx2, RX))} MiB of the ${mib(asked)} MiB asked for`);
  assert.ok(delta(rx0, rx2, RX) < asked / 4, "the broker is held back, not drained into Envoy");
  assert.ok(delta(rx1, rx2, RX) < 1 << 20, "and nothing more flows while the client does not read");
  assert.ok(rss2 - rss1 < 16, `Envoy's RSS levels off (${(rss2 - rss1).toFixed(0)} MiB more between 3 s and 7 s)`);

  w.resume();
  const frames = await w.frames(N, 60_000);
  assert.deepEqual(frames.map(corrOf), Array.from({ length: N }, (_, i) => i + 1), "every answer, in order");
  for (const f of frames) assert.ok(f.length > 9_000_000, `a whole answer (${f.length} bytes)`);
  c.t.diagnostic(`after reading all ${N} answers: Envoy RSS ${envoyRssMiB().toFixed(0)} MiB`);
  assert.deepEqual(closeLines(c.mark), []);
  await afterAttack(c, "plaintext");
}, 90_000);

/** Metadata v12 naming `n` topics "secret.adv.<k>" by name (no auto-creation), byte by byte: 40,000 names are 1.3 MB. */
function metadataNaming(corr: number, n: number): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(API.Metadata, 0);
  header.writeInt16BE(12, 2);
  header.writeInt32BE(corr, 4);
  header.writeInt16BE(-1, 8); // null client id
  const topic = (k: number): Buffer => {
    const name = Buffer.from(`secret.adv.${k}`);
    return Buffer.concat([Buffer.alloc(16), uvarint(name.length + 1), name, uvarint(0)]);
  };
  const body = Buffer.concat([uvarint(0), uvarint(n + 1), ...Array.from({ length: n }, (_, k) => topic(k)), Buffer.from([0, 0]), uvarint(0)]);
  const frame = Buffer.concat([header, body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
}

// Each of these requests is refused name by name: the filter forwards what is left (nothing)
// and keeps 40,000 refused entries to merge into the broker's answer, about 9 MB. A client
// that stops reading makes Envoy stop reading the broker, so they all wait. The build before
// kept every one: four such clients took Envoy's RSS from 108 MiB to 3.9 GiB in two minutes and
// it was still growing. Now what they keep counts in filter.maxBufferedBytes (256 MiB a worker
// here) and the client is closed when it would pass it.
e2e("a client that stops reading while it sends Metadata requests naming 40,000 topics it may not describe: closed once what they keep waiting passes maxBufferedBytes; Envoy's memory levels off", async (c) => {
  const N = 60;
  const before = await stats();
  const rss0 = envoyRssMiB();
  const w = await Wire.for(c, "plaintext");
  w.pause();
  const frame = metadataNaming(1, 40_000);
  for (let i = 1; i <= N; i++) {
    const f = Buffer.from(frame);
    f.writeInt32BE(i, 8);
    w.write(f);
  }
  const closedByBudget = async (): Promise<number> => delta(before, await stats(), K("buffer_budget_closed"));
  for (const deadline = Date.now() + 90_000; (await closedByBudget()) < 1 && Date.now() < deadline;) await sleep(1000);
  const rss1 = envoyRssMiB();
  await sleep(3000);
  const rss2 = envoyRssMiB();
  const lines = closeLines(c.mark);
  c.t.diagnostic(`${N} requests of ${(frame.length / 2 ** 20).toFixed(1)} MiB written; Envoy RSS ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} (closed) -> ${rss2.toFixed(0)} MiB (3 s later); ${lines.map(brief).join(" | ")}`);
  assert.equal(await closedByBudget(), 1, "the client is closed by filter.maxBufferedBytes (kafka.buffer_budget_closed)");
  assert.equal(lines.length, 1, "one close line");
  assert.match(lines[0], /until the broker answers would exceed filter\.maxBufferedBytes/);
  assert.ok(rss2 - rss1 < 16, `Envoy's RSS levels off (${(rss2 - rss1).toFixed(0)} MiB more in the 3 s after the close)`);
  await afterAttack(c, "plaintext");
}, 150_000);

// What one request may cost the VM deciding it. A VM collects garbage only between frames and
// its memory never shrinks; one that cannot allocate dies with every connection of its worker,
// and one that computes for seconds freezes them all. The build before decided a Metadata
// request of 1.5 million refused names in 76 s of one worker's time and 3.8 GiB of VM memory (a
// 100 MB one would have passed 4 GiB), and answered a Produce refused on 60,000 topics in time
// quadratic in them (tens of seconds).

/** Metadata v12 naming each of `names` (no auto-creation), byte by byte. */
function metadataOf(corr: number, names: string[]): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(API.Metadata, 0);
  header.writeInt16BE(12, 2);
  header.writeInt32BE(corr, 4);
  header.writeInt16BE(-1, 8);
  const topic = (s: string): Buffer => Buffer.concat([Buffer.alloc(16), uvarint(Buffer.byteLength(s) + 1), Buffer.from(s), uvarint(0)]);
  const frame = Buffer.concat([header, uvarint(0), uvarint(names.length + 1), ...names.map(topic), Buffer.from([0, 0]), uvarint(0)]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
}

e2e("a Metadata request naming 200,001 topics (filter.maxRequestElements 200,000): closed before it is decided, nothing reaches the broker, fresh clients served", async (c) => {
  const before = await stats();
  const rss0 = envoyRssMiB();
  const w = await Wire.for(c, "plaintext");
  const frame = metadataOf(1, Array.from({ length: 200_001 }, (_, k) => `secret.cost.${k}`));
  await w.send(frame);
  assert.ok(await w.waitClosed(10_000), "closed");
  const lines = closeLines(c.mark);
  const rss1 = envoyRssMiB();
  c.t.diagnostic(`${(frame.length / 2 ** 20).toFixed(1)} MiB request; Envoy RSS ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} MiB; ${lines.map(brief).join(" | ")}`);
  assert.equal(w.received, 0, "no answer");
  assert.equal(lines.length, 1, "one close line");
  assert.match(lines[0], /Metadata request with more than 200000 array elements and tagged fields \(filter\.maxRequestElements\)/);
  const after = await stats();
  assert.equal(delta(before, after, K("element_limit_closed")), 1, "kafka.element_limit_closed");
  assert.equal(delta(before, after, K("denials_total")), 0, "nothing of it was decided");
  await afterAttack(c, "plaintext");
}, 60_000);

e2e("a Metadata request naming 200,000 topics it may not describe, one of them three times: answered, each refused once, as Kafka reads the list as a set", async (c) => {
  const before = await stats();
  const rss0 = envoyRssMiB();
  const w = await Wire.for(c, "plaintext");
  const names = Array.from({ length: 199_998 }, (_, k) => `secret.cost.${k}`);
  names.push("secret.cost.0", "secret.cost.0");
  await w.send(metadataOf(1, names));
  const f = await w.next(30_000);
  assert.ok(f !== null && corrOf(f) === 1, `answered (closed instead: ${w.closed})`);
  const body = await response(f, API.Metadata, 12);
  const rss1 = envoyRssMiB();
  c.t.diagnostic(`${body.topics.length} topics answered; Envoy RSS ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} MiB`);
  assert.equal(body.topics.length, 199_998, "one entry per topic named");
  assert.ok(body.topics.every((t: any) => t.errorCode === ERR.TOPIC_AUTHORIZATION_FAILED), "each TOPIC_AUTHORIZATION_FAILED");
  assert.equal(body.topics.filter((t: any) => t.name === "secret.cost.0").length, 1, "the topic named three times, once");
  assert.equal(delta(before, await stats(), K("denials_total")), 199_998, "each refused once");
  w.destroy();
  await afterAttack(c, "plaintext");
}, 90_000);

/** Produce v3 (acks 1) of one empty partition of each topic of `topics`, byte by byte. */
function produceTo(corr: number, topics: string[]): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(API.Produce, 0);
  header.writeInt16BE(3, 2);
  header.writeInt32BE(corr, 4);
  header.writeInt16BE(-1, 8);
  const fixed = Buffer.alloc(12);
  fixed.writeInt16BE(-1, 0); // no transactional id
  fixed.writeInt16BE(1, 2); // acks
  fixed.writeInt32BE(5000, 4);
  fixed.writeInt32BE(topics.length, 8);
  const topic = (s: string): Buffer => {
    const b = Buffer.alloc(2 + Buffer.byteLength(s) + 12);
    b.writeInt16BE(Buffer.byteLength(s), 0);
    b.write(s, 2);
    const at = 2 + Buffer.byteLength(s);
    b.writeInt32BE(1, at); // one partition
    b.writeInt32BE(0, at + 4); // partition 0
    b.writeInt32BE(0, at + 8); // empty records
    return b;
  };
  const frame = Buffer.concat([header, fixed, ...topics.map(topic)]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
}

// Time here is a bound far from what it measures (the fix answers in a few hundred ms), not a
// speed goal: the build before took tens of seconds, all of them one worker's.
e2e("a Produce refused on 60,000 topics: answered within 5 s, each partition refused", async (c) => {
  const w = await Wire.for(c, "plaintext");
  const topics = Array.from({ length: 60_000 }, (_, k) => `secret.cost.p${k}`);
  const t0 = Date.now();
  await w.send(produceTo(1, topics));
  const f = await w.next(60_000);
  const ms = Date.now() - t0;
  c.t.diagnostic(`answered in ${ms} ms`);
  assert.ok(f !== null && corrOf(f) === 1, `answered (closed instead: ${w.closed})`);
  const errors = await produceErrors(f);
  assert.equal(errors.length, 60_000, "one answer per partition");
  assert.ok(errors.every((e) => e === ERR.TOPIC_AUTHORIZATION_FAILED), "each TOPIC_AUTHORIZATION_FAILED");
  assert.ok(ms < 5000, `answered in ${ms} ms`);
  w.destroy();
  await afterAttack(c, "plaintext");
}, 90_000);

// A Produce v9+ request header ends with tagged fields, as many as a client likes, and the filter
// reads the header up to acks before deciding. It asked how many bytes the header needs again
// and again, each ask reading it from its start and each tagged field a byte more: deciding a
// frame in place (a Produce over filter.inPlaceFrameBytes) asked at every byte, quadratic in
// the header. 64,000 tags held a worker about 20 s before the broker, which reads at most
// 10,000 (Kafka 4.4), closed the connection. Now the filter reads the header in linear time and
// refuses what Kafka 4.4 refuses. The time bounds are far from both (linear: milliseconds).

/**
 * A Produce v9 of one record to `topic` whose request header carries `tags` empty tagged fields;
 * the record's 16 KB take it over filter.inPlaceFrameBytes (32 KiB) with 10,000 tags.
 */
async function produceWithHeaderTags(topic: string, tags: number): Promise<Buffer> {
  const plain = await request(API.Produce, 9, 1, {
    transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: recordBatch(1, 16_000).toString("base64") }] }],
  });
  // Header v2: size, api key, version, correlation id, client id (int16 length), then its
  // tagged fields: one byte, 0, in `plain`.
  const tagsAt = 4 + 10 + plain.readInt16BE(12);
  assert.equal(plain[tagsAt], 0, "no header tagged fields in the encoded frame");
  const frame = Buffer.concat([plain.subarray(0, tagsAt), uvarint(tags), Buffer.alloc(2 * tags), plain.subarray(tagsAt + 1)]);
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

e2e("a Produce v9 whose request header carries 10,000 empty tagged fields (Kafka's most), decided in place: answered within 5 s, its record appended", async (c) => {
  const topic = unique("e2e.adv.", "tags");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [topic]);
  const frame = await produceWithHeaderTags(topic, 10_000);
  const before = await stats();
  const w = await Wire.for(c, "plaintext");
  const t0 = Date.now();
  await w.send(frame);
  const f = await w.next(60_000);
  const ms = Date.now() - t0;
  c.t.diagnostic(`${frame.length}-byte frame answered in ${ms} ms`);
  assert.ok(f !== null && corrOf(f) === 1, `answered (closed instead: ${w.closed})`);
  assert.deepEqual((await response(f, API.Produce, 9)).responses.flatMap((t: any) => t.partitionResponses.map((p: any) => p.errorCode)), [ERR.NONE]);
  assert.equal(await highWatermark(admin, topic), 1, "the record was appended");
  assert.ok(delta(before, await stats(), K("request_frames_in_place")) >= 1, "decided in place");
  assert.ok(ms < 5000, `answered in ${ms} ms`);
  w.destroy();
  await afterAttack(c, "plaintext");
}, 90_000);

e2e("a Produce v9 whose request header carries 64,000 empty tagged fields: closed by the filter within 5 s, as Kafka 4.4 refuses it, nothing appended", async (c) => {
  const topic = unique("e2e.adv.", "tags");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [topic]);
  const frame = await produceWithHeaderTags(topic, 64_000);
  const w = await Wire.for(c, "plaintext");
  const t0 = Date.now();
  await w.send(frame);
  assert.equal(await w.waitClosed(60_000), true, "the connection is closed");
  const ms = w.closedAt - t0;
  c.t.diagnostic(`${frame.length}-byte frame: closed after ${ms} ms`);
  assert.equal(w.received, 0, "no answer");
  const line = closeLines(c.mark).find((l) => l.includes("tagged fields"));
  assert.ok(line, `the filter says why: ${closeLines(c.mark).map(brief).join(" | ")}`);
  c.t.diagnostic(brief(line));
  assert.equal(await highWatermark(admin, topic), 0, "nothing appended");
  assert.ok(ms < 5000, `closed after ${ms} ms`);
  await afterAttack(c, "plaintext");
}, 90_000);
