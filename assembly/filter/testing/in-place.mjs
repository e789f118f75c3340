// Produce requests and Fetch responses decided in place (filter.inPlaceFrameBytes;
// assembly/protocol/in-place.ts),
// under the mock Envoy host, deterministically:
//   1. differential: every case is fed to the filter twice, in place (the default, 32 KiB) and
//      with the setting off (every frame read whole), and the broker and the client must get
//      the same bytes and the connection end the same way. Cases: allowed frames (flexible and
//      classic, one batch or many, acks=0), a denied topic, limits broken by a batch deep in
//      the frame (codec, batch size), transactional batches with an allowed and a refused id,
//      headers longer than the first fetch (client id, transactional id), malformed batches and
//      records lengths, and what shares Envoy's buffer with the frame: a refused frame behind
//      it, a partial next frame, a second large frame, the frame arriving in pieces;
//   2. what in place saves: an allowed 1 MiB Produce goes on from Envoy's buffer untouched (no
//      set_buffer_bytes), with a few KiB of it read into the VM, counted in
//      kafka.request_frames_in_place and kafka.request_bytes_read_in_place;
//   3. a host that fails to give bytes of the frame: the connection closes and nothing of the
//      frame goes upstream;
//   4. Fetch responses, the same way: the client gets the same bytes and the per-topic fetch
//      stats (read from partition and batch headers) come out the same, in place or read whole
//      (one or many batches and partitions, a batch cut at the end, lying lengths, bad magic,
//      the next response behind it); a 1 MiB one with a few KiB read;
//   5. Fetch responses that span reads, read as they arrive (StreamedFrame): the same cases in
//      reads of many sizes (1 KiB, a page and a byte either side of it, 64 KiB, a read that
//      ends inside every batch header), each read sent on before the next arrives, what the
//      walk needs kept across reads; a 1 MiB one in 64 KiB reads reads a small part of itself;
//      one of many batches in many small reads is copied once its walks grow costly;
//   6. clients that ask for large fetches and stop reading: responses laid out to be read as they
//      arrive take at most a quarter of filter.maxBufferedBytes, the rest are copied as they
//      arrive (as before), and other connections' frames are still held.
//   7. a large frame waiting in Envoy's buffer keeps its first page in a page the VM's connections
//      share (in-place-chunk.ts readHead) only while no other read came: another connection's
//      large frame in between, allowed or refused, never decides it.
//   8. what an allowed Produce counts per topic: a topic's partitions in one count, a topic
//      named twice too, small or in place.
// Run on build/filter-stress.wasm too, which fetches in 64-byte pages and poisons what it did
// not fetch (0xff): a read that skipped the fetch decides differently there and the checks see it.
//
//   node assembly/filter/testing/in-place.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { batch, produce, produceTopics, produceResponse, fetch, fetchResponse, fetchResponseTopics, i16, i32, sized } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();

const IN_PLACE = 32768;
const policy = (inPlaceFrameBytes, extra = {}) => JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [
    { principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" },
    { principal: "User:*", host: "*", resourceType: "TRANSACTIONAL_ID", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" },
  ],
  limits: { produce: [{ topic: "ok.limited", maxBatchBytes: 200000, compression: "forbidden" }] },
  filter: { inEnvoyFrameBytes: 8 << 20, inPlaceFrameBytes, onDecodeError: "close", ...extra },
});

const GZIP = 1, TRANSACTIONAL = 0x10;
const batches = (n, valueBytes, last = {}) =>
  Buffer.concat(Array.from({ length: n }, (_, i) => batch(1, valueBytes, i === n - 1 ? last : {})));
const big = batch(1000, 1024); // ~1 MiB

/** `frame` with the records length of its first partition (classic: int32 before `records`) set to `n`. */
function lyingRecordsLength(frame, records, n) {
  const at = frame.indexOf(records.subarray(0, 61)) - 4;
  const out = Buffer.from(frame);
  out.writeInt32BE(n, at);
  return out;
}

const v7 = (corr, topic, partitions, opts = {}) => produce(corr, topic, partitions, { version: 7, ...opts });
const deepBadMagic = Buffer.concat([batches(40, 1024), batch(1, 1024, { magic: 1 }), batches(5, 1024)]);
const lyingBatch = (() => {
  const b = Buffer.concat([batches(40, 1024), batch(3, 1024)]);
  b.writeInt32BE(1 << 30, b.length - batch(3, 1024).length + 8); // the last batch claims 1 GiB
  return b;
})();

/** Each case: the reads Envoy hands the filter, in order. */
const cases = [
  ["allowed 1 MiB, one batch (v12)", [produce(1, "ok.orders", [big])]],
  ["allowed, classic v7, 3 partitions of a large and a small batch", [v7(1, "ok.orders", Array.from({ length: 3 }, () => Buffer.concat([batch(100, 1024), batch(1, 100)])))]],
  ["allowed, 60 small batches in each of 3 partitions", [v7(1, "ok.orders", [batches(60, 1024), batches(60, 1024), batches(60, 1024)])]],
  ["allowed, 300 partitions of one small batch", [produce(1, "ok.orders", Array.from({ length: 300 }, () => batch(1, 200)))]],
  ["allowed, acks=0", [produce(1, "ok.orders", [big], { acks: 0 }), produce(2, "ok.orders", [batches(2, 10)])]],
  ["denied topic", [produce(1, "secret.orders", [batches(100, 1024)])]],
  ["compression forbidden, gzip in the last of 60 batches", [produce(1, "ok.limited", [batches(60, 1024, { attributes: GZIP })])]],
  ["batch over maxBatchBytes after 10 small ones", [produce(1, "ok.limited", [Buffer.concat([batches(10, 1024), batch(250, 1024)])])]],
  ["one partition of two refused (gzip): rewritten with the other's records", [produce(1, "ok.limited", [batches(60, 1024), batches(60, 1024, { attributes: GZIP })])]],
  ["transactional, allowed id", [produce(1, "ok.orders", [batch(100, 1024, { attributes: TRANSACTIONAL })], { transactionalId: "ok.txn" })]],
  ["transactional, refused id", [produce(1, "ok.orders", [batch(100, 1024, { attributes: TRANSACTIONAL })], { transactionalId: "other.txn" })]],
  ["client id and transactional id past the first 4 KiB", [produce(1, "ok.orders", [batch(100, 1024, { attributes: TRANSACTIONAL })],
    { clientId: "c".repeat(6000), transactionalId: "ok." + "t".repeat(5000) })]],
  ["same, classic v7, refused id", [v7(1, "ok.orders", [batch(100, 1024, { attributes: TRANSACTIONAL })],
    { clientId: "c".repeat(6000), transactionalId: "other." + "t".repeat(5000) })]],
  ["magic 1 in a batch deep in the frame", [produce(1, "ok.orders", [deepBadMagic])]],
  ["a batch length past the records", [produce(1, "ok.orders", [lyingBatch])]],
  ["a records length past the frame (v7)", [lyingRecordsLength(v7(1, "ok.orders", [batches(50, 1024)]), batches(50, 1024), 1 << 24)]],
  ["a refused frame behind it in the same read", [Buffer.concat([produce(1, "ok.orders", [big]), produce(2, "secret.x", [batches(2, 10)])])]],
  ["a partial next frame behind it", (() => {
    const next = produce(2, "ok.orders", [batches(60, 1024)]);
    return [Buffer.concat([produce(1, "ok.orders", [big]), next.subarray(0, 1000)]), next.subarray(1000)];
  })()],
  ["two large frames in one read", [Buffer.concat([produce(1, "ok.orders", [big]), produce(2, "ok.orders", [batches(60, 1024)])])]],
  ["arriving in 64 KiB reads", (() => {
    const f = produce(1, "ok.orders", [big]);
    const reads = [];
    for (let pos = 0; pos < f.length; pos += 65536) reads.push(f.subarray(pos, pos + 65536));
    return reads;
  })()],
];

/** The broker: answers what reached it (a Produce with acks=0 gets nothing), by correlation id. */
function answer(c, upstream) {
  let out = [];
  for (let pos = 0; pos + 4 <= upstream.length;) {
    const size = upstream.readInt32BE(pos);
    if (pos + 4 + size > upstream.length) break;
    const apiKey = upstream.readInt16BE(pos + 4), corr = upstream.readInt32BE(pos + 8);
    if (apiKey === 18) out.push(sized(Buffer.concat([i32(corr), i16(0), i32(0)]))); // ApiVersions v0: no error, no keys
    else if (apiKey === 0 && !acksZero(upstream.subarray(pos + 4, pos + 4 + size))) out.push(produceResponse(corr, "ok.orders", 1));
    pos += 4 + size;
  }
  if (out.length > 0) c.feed(UPSTREAM, Buffer.concat(out));
}

/** Whether a Produce v7/v12 (request header v1/v2) asks for acks=0. */
function acksZero(m) {
  const version = m.readInt16BE(2);
  let pos = 10 + Math.max(0, m.readInt16BE(8));
  if (version >= 9) {
    pos += 1; // no header tagged fields in these frames
    let n = 0, shift = 0, b;
    do { b = m[pos++]; n |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    pos += Math.max(0, n - 1);
  } else pos += 2 + Math.max(0, m.readInt16BE(pos));
  return m.readInt16BE(pos) === 0;
}

/**
 * Feeds `reads` from the client, then `answers` from the broker (by default, answer() to what
 * reached it). `side`: whose in-place counters to report.
 */
function run(inPlaceFrameBytes, reads, { answers = null, refuseRead = null, side = "request" } = {}) {
  const h = new Host(WASM, { config: policy(inPlaceFrameBytes) });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-3)));
  h.refuseRead = refuseRead;
  const c = h.connect(2);
  for (const r of reads) if (!c.closed) c.feed(DOWNSTREAM, r);
  const upstream = c.output(DOWNSTREAM);
  if (answers) for (const a of answers) { if (!c.closed) c.feed(UPSTREAM, a); }
  else if (!c.closed) answer(c, upstream);
  const stats = Object.fromEntries([...h.metrics.values()].filter((m) => m.name.startsWith("kafka.topic.")).map((m) => [m.name, m.value]));
  return {
    upstream, downstream: c.output(UPSTREAM), closed: c.closed, setCalls: h.setCalls || 0, stats,
    inPlace: h.metric(`kafka.${side}_frames_in_place`), readInPlace: h.metric(`kafka.${side}_bytes_read_in_place`),
    unobserved: h.metric("kafka.responses_unobserved"), copied: h.metric("kafka.response_frames_in_place_copied"),
    given: h.bytesGiven[side === "request" ? DOWNSTREAM : UPSTREAM] ?? 0,
    warnings: h.logs.filter((l) => l.level >= 3).map((l) => l.msg),
  };
}

// ---- 1. differential ----
for (const [name, reads] of cases) {
  const on = run(IN_PLACE, reads), off = run(0, reads);
  check(`1 ${name}: decided in place`, on.inPlace > 0n && off.inPlace === 0n, `${on.inPlace} / ${off.inPlace}`);
  check(`1 ${name}: the broker gets the same bytes`, on.upstream.equals(off.upstream), `${on.upstream.length} vs ${off.upstream.length} bytes`);
  check(`1 ${name}: the client gets the same bytes`, on.downstream.equals(off.downstream), `${on.downstream.length} vs ${off.downstream.length} bytes`);
  check(`1 ${name}: the connection ends the same way`, on.closed === off.closed, `closed ${on.closed} vs ${off.closed}: ${on.warnings.join(" | ")}`);
}
// The cases mean what they say: what is refused is refused (the differential check alone would
// pass a filter that refused nothing either way), and what passes was decided from the few
// bytes the view reads. A read that skipped its fetch finds poison (or stale bytes) and the
// view sends the frame to the decoded check, which reads all of it: the same verdict, but
// most of the frame read.
{
  const outcome = (name) => {
    const [, reads] = cases.find(([n]) => n === name);
    const r = run(IN_PLACE, reads);
    const size = BigInt(reads[0].readInt32BE(0) + 4);
    return { refused: r.closed || !r.upstream.includes(reads[0].subarray(reads[0].length - 64)), read: r.readInPlace, size };
  };
  for (const name of ["denied topic", "compression forbidden, gzip in the last of 60 batches", "batch over maxBatchBytes after 10 small ones",
    "transactional, refused id", "same, classic v7, refused id", "magic 1 in a batch deep in the frame", "a records length past the frame (v7)"]) {
    check(`1 ${name}: refused`, outcome(name).refused);
  }
  // Refused whole, a Produce is answered from what its decode reads (header, names, partition
  // and batch headers): its records are never read into the VM.
  for (const name of ["denied topic", "transactional, refused id"]) {
    const o = outcome(name);
    check(`1 ${name}: answered with most of the frame unread`, o.read * 2n < o.size, `${o.read} of ${o.size} bytes read`);
  }
  for (const name of ["allowed 1 MiB, one batch (v12)", "allowed, classic v7, 3 partitions of a large and a small batch", "transactional, allowed id",
    "client id and transactional id past the first 4 KiB", "allowed, acks=0"]) {
    const o = outcome(name);
    check(`1 ${name}: passed`, !o.refused);
    check(`1 ${name}: decided from the view, most of the frame unread`, o.read * 2n < o.size, `${o.read} of ${o.size} bytes read`);
  }
}

// ---- 2. what in place saves ----
{
  const f = produce(1, "ok.orders", [big]);
  const r = run(IN_PLACE, [f]);
  check("2 allowed 1 MiB: goes on exactly as sent", r.upstream.equals(f));
  check("2 allowed 1 MiB: Envoy's buffer is never rewritten", r.setCalls === 0, `${r.setCalls} set_buffer_bytes calls`);
  check("2 allowed 1 MiB: counted in kafka.request_frames_in_place", r.inPlace === 1n, String(r.inPlace));
  check("2 allowed 1 MiB: at most 16 KiB of it read into the VM (kafka.request_bytes_read_in_place)",
    r.readInPlace > 0n && r.readInPlace <= 16384n, `${r.readInPlace} of ${f.length} bytes`);
  const small = produce(1, "ok.orders", [batches(2, 100)]);
  check("2 a frame under inPlaceFrameBytes is read whole", run(IN_PLACE, [small]).inPlace === 0n);
}

// ---- 4. Fetch responses decided in place: the same bytes to the client, the same per-topic stats ----
{
  const show = (o) => JSON.stringify(o, (k, v) => typeof v === "bigint" ? String(v) : v);
  const topic = "ok.orders";
  const partial = batch(50, 1024).subarray(0, 30000); // a Fetch response may end inside a batch
  const lying = (() => {
    const f = fetchResponse(1, topic, [batches(40, 1024)]);
    f.writeInt32BE(1 << 30, f.indexOf(batch(1, 1024).subarray(0, 61)) + 8); // its first batch claims 1 GiB
    return f;
  })();
  const fetchCases = [
    ["1 MiB in one partition", [fetchResponse(1, topic, [big])]],
    ["60 small batches in each of 3 partitions", [fetchResponse(1, topic, [batches(60, 1024), batches(60, 1024), batches(60, 1024)])]],
    ["100 partitions of one batch", [fetchResponse(1, topic, Array.from({ length: 100 }, () => batch(1, 1024)))]],
    ["ending inside a batch", [fetchResponse(1, topic, [Buffer.concat([batch(100, 1024), partial])])]],
    ["a batch length past the records", [lying]],
    ["magic 1 in a batch deep in the records", [fetchResponse(1, topic, [deepBadMagic])]],
    ["the next response behind it in the same read", [Buffer.concat([fetchResponse(1, topic, [big]), fetchResponse(2, topic, [batches(3, 100)])])]],
  ];
  const requests = [Buffer.concat([fetch(1, topic, 100), fetch(2, topic, 1)])];
  for (const [name, answers] of fetchCases) {
    const on = run(IN_PLACE, requests, { answers, side: "response" }), off = run(0, requests, { answers, side: "response" });
    check(`4 ${name}: decided in place`, on.inPlace > 0n && off.inPlace === 0n, `${on.inPlace} / ${off.inPlace}`);
    check(`4 ${name}: the client gets the same bytes`, on.downstream.equals(off.downstream), `${on.downstream.length} vs ${off.downstream.length} bytes`);
    check(`4 ${name}: the same per-topic stats`, show(on.stats) === show(off.stats), `${show(on.stats)} vs ${show(off.stats)}`);
    check(`4 ${name}: the connection ends the same way`, on.closed === off.closed, `closed ${on.closed} vs ${off.closed}: ${on.warnings.join(" | ")}`);
  }
  const r = run(IN_PLACE, requests, { answers: fetchCases[0][1], side: "response" });
  check("4 1 MiB in one partition: its bytes and records counted", r.stats["kafka.topic.fetch_records.ok.orders"] === 1000n, show(r.stats));
  check("4 1 MiB in one partition: at most 16 KiB of it read into the VM", r.readInPlace > 0n && r.readInPlace <= 16384n, String(r.readInPlace));
  check("4 1 MiB in one partition: Envoy's buffer is never rewritten", r.setCalls === 0, String(r.setCalls));

  // ---- 5. the same responses spanning reads ----
  const inReads = (f, n) => { const out = []; for (let pos = 0; pos < f.length; pos += n) out.push(f.subarray(pos, pos + n)); return out; };
  /** Reads of `f` that end 30 bytes into each record batch header of the partitions' `records`. */
  const insideHeaders = (f, records) => {
    const cuts = [];
    let from = 0;
    for (const r of records) {
      const base = f.indexOf(r, from);
      from = base + r.length;
      for (let at = 0; at + 12 <= r.length; at += 12 + r.readInt32BE(at + 8)) {
        cuts.push(base + at + 30);
        if (r.readInt32BE(at + 8) <= 0) break; // a lying length: no batch after it
      }
    }
    const out = [];
    let pos = 0;
    for (const c of cuts.filter((c) => c > pos && c < f.length)) { out.push(f.subarray(pos, c)); pos = c; }
    out.push(f.subarray(pos));
    return out;
  };
  const threeParts = [batches(60, 1024), batches(60, 1024), batches(60, 1024)];
  const hundred = Array.from({ length: 100 }, () => batch(1, 1024));
  const cut = [Buffer.concat([batch(100, 1024), partial])];
  const lyingRecords = batches(40, 1024);
  lyingRecords.writeInt32BE(1 << 30, 8); // its first batch claims 1 GiB
  // Walks go on in the element of each array they stopped in (protocol/walk.ts): topics, their
  // partitions, a partition's aborted transactions; and past a partition's tagged fields.
  const topics = [["ok.orders", Array.from({ length: 40 }, () => batches(3, 700)), { aborted: 2 }],
    ["ok.audit", Array.from({ length: 25 }, () => batch(2, 900)), { leader: true }],
    ["ok.empty", Array.from({ length: 10 }, () => Buffer.alloc(0))],
    ["ok.orders.eu", Array.from({ length: 30 }, () => batch(1, 2000)), { aborted: 300, leader: true }]];
  const streamed = [ // name, records of each partition, the response when not one topic's
    ["60 small batches in each of 3 partitions", threeParts],
    ["100 partitions of one batch", hundred],
    ["ending inside a batch", cut],
    ["a batch length past the records", [lyingRecords]],
    ["magic 1 in a batch deep in the records", [deepBadMagic]],
    ["4 topics, aborted transactions, current leaders", topics.flatMap(([, records]) => records).filter((r) => r.length > 0), fetchResponseTopics(1, topics)],
  ];
  const sizes = [["1 KiB", 1024], ["4095-byte", 4095], ["4097-byte", 4097], ["64 KiB", 65536]];
  for (const [name, records, frame] of streamed) {
    const f = frame ?? fetchResponse(1, topic, records);
    const ways = [...sizes.map(([what, n]) => [`${what} reads`, inReads(f, n)]), ["reads ending inside batch headers", insideHeaders(f, records)],
      // The framer decides at the correlation id: the first walk has only that to read.
      ["a first read of the size prefix and correlation id only", [f.subarray(0, 8), ...inReads(f.subarray(8), 65536)]],
      // The next response begins in the last read, and ends in the one after.
      ["64 KiB reads, the next response behind it", (() => {
        const reads = inReads(Buffer.concat([f, fetchResponse(2, topic, [batches(3, 100)])]), 65536);
        const last = reads.pop();
        return [...reads, last.subarray(0, last.length - 100), last.subarray(last.length - 100)];
      })()]];
    for (const [how, answers] of ways) {
      const on = run(IN_PLACE, requests, { answers, side: "response" }), off = run(0, requests, { answers, side: "response" });
      const what = `5 ${name}, ${how}`;
      check(`${what}: read as it arrives, nothing left unread`, on.inPlace > 0n && off.inPlace === 0n && on.unobserved === 0n, `${on.inPlace} / ${off.inPlace}, unobserved ${on.unobserved}`);
      check(`${what}: the client gets the same bytes`, on.downstream.equals(off.downstream), `${on.downstream.length} vs ${off.downstream.length} bytes`);
      check(`${what}: the same per-topic stats`, show(on.stats) === show(off.stats), `${show(on.stats)} vs ${show(off.stats)}`);
      check(`${what}: the connection ends the same way`, on.closed === off.closed, `closed ${on.closed} vs ${off.closed}: ${on.warnings.join(" | ")}`);
    }
  }
  // Many partitions in many small reads: each walk goes on in the partition the last one
  // stopped in (protocol/walk.ts resume), and many batches of one partition with the batch
  // headers where the last walk stopped, so neither walks what it walked before and neither
  // is copied. (Walks from the start at each read copied the first past 300 partitions.) Only
  // entities packed closer than the walks' budget (one per 256 bytes arrived, past a floor)
  // are copied and walked once, at the end: that costs less than walking them in place.
  for (const [name, records, copied, size] of [["300 partitions of one 1 KiB batch", Array.from({ length: 300 }, () => batch(1, 1024)), 0n, 1024],
    ["1000 partitions of one small batch", Array.from({ length: 1000 }, () => batch(1, 100)), 1n, 512],
    ["2000 small batches of one partition", [batches(2000, 100)], 0n, 512]]) {
    const f = fetchResponse(1, topic, records);
    const answers = inReads(f, size);
    const on = run(IN_PLACE, requests, { answers, side: "response" }), off = run(0, requests, { answers, side: "response" });
    const what = `5 ${name} in ${size}-byte reads`;
    check(`${what}: ${copied ? "copied once its walks cost more than copying" : "never copied"}`, on.copied === copied && on.inPlace === 1n, `copied ${on.copied}, in place ${on.inPlace}`);
    check(`${what}: the client gets the same bytes`, on.downstream.equals(off.downstream));
    check(`${what}: the same per-topic stats`, show(on.stats) === show(off.stats), `${show(on.stats)} vs ${show(off.stats)}`);
    check(`${what}: nothing left unobserved, nothing closed`, on.unobserved === 0n && !on.closed, `unobserved ${on.unobserved}, closed ${on.closed}`);
  }
  const m = run(IN_PLACE, requests, { answers: inReads(fetchResponse(1, topic, [big]), 65536), side: "response" });
  check("5 1 MiB in 64 KiB reads: walked at every read, never copied", m.copied === 0n, String(m.copied));
  check("5 1 MiB in 64 KiB reads: its bytes and records counted", m.stats["kafka.topic.fetch_records.ok.orders"] === 1000n, show(m.stats));
  check("5 1 MiB in 64 KiB reads: at most 160 KiB of it read into the VM", m.readInPlace > 0n && m.readInPlace <= 163840n, String(m.readInPlace));
  check("5 1 MiB in 64 KiB reads: Envoy's buffer is never rewritten", m.setCalls === 0, String(m.setCalls));
  // A first read laid out to be read as it arrives whose frame the framer refuses: the same
  // as when it is copied in.
  {
    const wrong = run(IN_PLACE, requests, { answers: inReads(fetchResponse(7, topic, [big]), 65536), side: "response" });
    const copied = run(0, requests, { answers: inReads(fetchResponse(7, topic, [big]), 65536), side: "response" });
    check("5 1 MiB in 64 KiB reads, another correlation id: closed as when copied", wrong.closed && copied.closed &&
      wrong.downstream.equals(copied.downstream) && wrong.warnings.join() === copied.warnings.join(), `${wrong.closed} ${copied.closed}: ${wrong.warnings.join(" | ")}`);
  }
  // Its first read too is read where the walk reads it, not copied whole.
  check("5 1 MiB in 64 KiB reads: at most 32 KiB of Envoy's buffers read in all", m.given > 0 && m.given <= 32768, String(m.given));
}

// ---- 6. stalled large fetches do not claim the budget ----
{
  const topic = "ok.orders";
  // A 4 MiB budget: 1 MiB of it for responses laid out to be read as they arrive.
  const h = new Host(WASM, { config: policy(IN_PLACE, { maxBufferedBytes: 4 << 20, maxFrameBytes: 8 << 20, inEnvoyFrameBytes: 0 }) });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-3)));
  const answers = [1, 2, 3].map((corr) => fetchResponse(corr, topic, [batches(900, 1024)])); // ~1000 KiB each
  const conns = answers.map((_, i) => h.connect(10 + i));
  conns.forEach((c, i) => c.feed(DOWNSTREAM, fetch(i + 1, topic, 1)));
  // Each client's answer begins to arrive, then its client stops reading (Envoy stops too).
  conns.forEach((c, i) => c.feed(UPSTREAM, answers[i].subarray(0, 65536)));
  check("6 stalled fetches: one laid out (within the 1 MiB share), the others copied as they arrive",
    h.metric("kafka.response_frames_in_place") === 1n, String(h.metric("kafka.response_frames_in_place")));
  // Another client's 2.5 MiB produce, refused, so held whole before its answer, still fits the
  // budget (it would not beside three responses laid out at their full size).
  const other = h.connect(20);
  const denied = produce(1, "secret.orders", [batches(2300, 1024)]);
  other.feed(DOWNSTREAM, denied.subarray(0, 1 << 20));
  other.feed(DOWNSTREAM, denied.subarray(1 << 20));
  if (!other.closed) answer(other, other.output(DOWNSTREAM)); // the probe that keeps answers in order
  check("6 stalled fetches: another client's 2.5 MiB request is still held and answered", !other.closed && other.output(UPSTREAM).length > 0,
    `closed ${other.closed}: ${h.logs.filter((l) => l.level >= 3).map((l) => l.msg).slice(-2).join(" | ")}`);
  // The clients read again: every answer arrives whole and is counted.
  conns.forEach((c, i) => c.feed(UPSTREAM, answers[i].subarray(65536)));
  check("6 stalled fetches: every answer arrives as the broker sent it", conns.every((c, i) => !c.closed && c.output(UPSTREAM).equals(answers[i])));
  check("6 stalled fetches: every answer counted", h.metric(`kafka.topic.fetch_records.${topic}`) === 2700n, String(h.metric(`kafka.topic.fetch_records.${topic}`)));
  check("6 stalled fetches: nothing left unobserved", h.metric("kafka.responses_unobserved") === 0n, String(h.metric("kafka.responses_unobserved")));
}

// ---- 7. a frame waiting in Envoy's buffer, another connection's frame in between ----
{
  for (const [mine, theirs] of [["ok.orders", "secret.x"], ["secret.x", "ok.orders"]]) {
    const h = new Host(WASM, { config: policy(IN_PLACE) });
    if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-3)));
    const a = h.connect(30), b = h.connect(31);
    const fa = produce(1, mine, [batches(120, 1024)]), fb = produce(1, theirs, [batches(40, 1024)]); // b's shorter: read as a's, it would fit
    a.feed(DOWNSTREAM, fa.subarray(0, 65536)); // left in Envoy's buffer, its first page read
    b.feed(DOWNSTREAM, fb); // whole: its first page read over a's
    a.feed(DOWNSTREAM, fa.subarray(65536));
    const what = `7 ${mine} waiting while another connection sends ${theirs}`;
    if (mine === "ok.orders") check(`${what}: goes on exactly as sent`, a.output(DOWNSTREAM).equals(fa) && !a.closed, `${a.output(DOWNSTREAM).length} of ${fa.length} bytes`);
    else check(`${what}: refused, nothing of it upstream`, !a.output(DOWNSTREAM).includes(fa.subarray(4, 40)) && !a.closed, `${a.output(DOWNSTREAM).length} bytes upstream`);
    check(`${what}: the other decided on its own`, theirs === "ok.orders" ? b.output(DOWNSTREAM).equals(fb) : !b.output(DOWNSTREAM).includes(fb.subarray(4, 40)));
  }
}

// A first read of exactly one page is read whole into the VM's scratch memory; another
// connection's frame of the same size then lays its own first page out there. The waiting
// frame, whole, is decided from its own bytes, not that page.
{
  for (const [mine, theirs] of [["secret.x", "ok.abcde"], ["ok.abcde", "secret.x"]]) {
    const h = new Host(WASM, { config: policy(IN_PLACE) });
    if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-3)));
    const a = h.connect(30), b = h.connect(31), c = h.connect(32);
    const fa = produce(1, mine, [batches(120, 1024)]), fb = produce(1, theirs, [batches(120, 1024)]);
    if (fa.length !== fb.length) throw new Error("the two frames must be of one size");
    c.feed(DOWNSTREAM, produce(1, "ok.orders", [batches(120, 1024)])); // the scratch memory grows to hold such a frame
    a.feed(DOWNSTREAM, fa.subarray(0, 4096));
    b.feed(DOWNSTREAM, fb);
    a.feed(DOWNSTREAM, fa.subarray(4096));
    const what = `7 ${mine}, its first read one page, waiting while another connection sends ${theirs} of the same size`;
    if (mine.startsWith("ok.")) check(`${what}: goes on exactly as sent`, a.output(DOWNSTREAM).equals(fa) && !a.closed, `${a.output(DOWNSTREAM).length} of ${fa.length} bytes`);
    else check(`${what}: refused, nothing of it upstream`, !a.output(DOWNSTREAM).includes(fa.subarray(4, 40)) && !a.closed, `${a.output(DOWNSTREAM).length} bytes upstream`);
    check(`${what}: the other decided on its own`, theirs.startsWith("ok.") ? b.output(DOWNSTREAM).equals(fb) : !b.output(DOWNSTREAM).includes(fb.subarray(4, 40)));
  }
}

// ---- 3. a host that fails to give bytes of the frame ----
{
  const f = produce(1, "ok.orders", [batches(60, 1024, { attributes: GZIP })]);
  // Fails every read past the first 4 KiB: the view's fetches, and the whole read of the fallback.
  const r = run(IN_PLACE, [f], { refuseRead: (type, start, length) => type === DOWNSTREAM && start + length > 4096 });
  check("3 reads refused: the connection closes", r.closed);
  check("3 reads refused: nothing of the frame goes upstream", r.upstream.length === 0, `${r.upstream.length} bytes`);
}

// ---- 8. what an allowed Produce counts per topic ----
// A topic's partitions add to one count, also when the topic comes again after another one;
// in place or read whole, the same counts.
{
  const show = (o) => JSON.stringify(o, (k, v) => typeof v === "bigint" ? String(v) : v);
  const layout = [["ok.a", [2, 3]], ["ok.b", [1]], ["ok.a", [4]]]; // batches (of one record) per partition
  for (const [what, valueBytes] of [["read whole", 100], ["in place", 20000]]) {
    const topics = layout.map(([t, parts]) => [t, parts.map((n) => batches(n, valueBytes))]);
    const f = produceTopics(1, topics);
    const bytesOf = (name) => BigInt(topics.filter(([t]) => t === name).flatMap(([, ps]) => ps).reduce((sum, p) => sum + p.length, 0));
    for (const [mode, limit] of [["in place on", IN_PLACE], ["in place off", 0]]) {
      const r = run(limit, [f]);
      const name = `8 ${what} (${f.length} bytes), ${mode}`;
      check(`${name}: goes on exactly as sent`, r.upstream.equals(f) && !r.closed);
      if (mode === "in place on") check(`${name}: decided as intended`, (r.inPlace === 1n) === (f.length >= IN_PLACE), String(r.inPlace));
      check(`${name}: ok.a's three partitions in one count`, r.stats["kafka.topic.produce_records.ok.a"] === 9n
        && r.stats["kafka.topic.produce_bytes.ok.a"] === bytesOf("ok.a"), show(r.stats));
      check(`${name}: ok.b counted apart`, r.stats["kafka.topic.produce_records.ok.b"] === 1n
        && r.stats["kafka.topic.produce_bytes.ok.b"] === bytesOf("ok.b"), show(r.stats));
    }
  }
}

done();
