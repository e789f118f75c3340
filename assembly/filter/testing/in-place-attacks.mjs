// Attacks on Produce requests decided in place (filter.inPlaceFrameBytes; in-place-chunk.ts,
// protocol/in-place.ts), under the mock Envoy host, deterministically. Each case is fed to the
// filter in place (32 KiB) and with every frame read whole (0), and counted:
//   - a bypass: a Produce that reaches the broker which, read as Kafka reads it (build/codecs.js,
//     Kafka's parser; record batches iterated as Kafka's ByteBufferLogInputStream does), names a
//     topic the policy refuses, carries transactional records under a refused transactional id,
//     or a batch Kafka would append that breaks a produce limit (codec, size, acks);
//   - a mis-framing: what reaches the broker does not split into whole frames;
//   - a divergence: the broker, or the client, gets other bytes in place than read whole, or the
//     connection ends otherwise.
// The cases: lengths that disagree with each other (records length short or long by a batch
// header, swallowing the next partition or topic; a batch length past the records; a records
// length past the frame), what Kafka reads of records that the batch walk leaves (a batch of
// under 61 bytes after or instead of a full one, a legacy magic 0/1 message, a truncated last
// batch, a gzip batch behind a plain one), tagged fields (partition, topic, request and header
// v2), acks 0 and -1 against a topic that requires acks=-1, a frame of api key 0 but a version
// the codecs do not read, the threshold (a frame one byte under, at and over it), pipelined
// frames behind one decided in place (allowed, refused, partial, garbage), a refused frame in
// place followed by more, a refused acks=0 in place, the same frames split at every byte of
// their header, around the first batch header and the page boundaries (left in Envoy's buffer
// until whole, and held in the VM as they arrive), frames that share the VM's scratch memory
// with another connection's (a refused frame laid out where an allowed one of the same shape
// lay: a read that skipped its fetch would find the allowed one's bytes), and a Produce that
// waits for an external decision while more bytes arrive.
// And a Produce whose request header v2 carries 10,000 empty tagged fields (10,001: refused),
// decided as read whole. What reading such a header costs is counted in header-costs.mjs: in
// place it was quadratic (a 64 KiB frame held a worker 7.7 s, against 1 ms read whole).
// Run it on build/filter-stress.wasm too (64-byte pages, what was not fetched poisoned).
//
//   node assembly/filter/testing/in-place-attacks.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import path from "node:path";
import { fileURLToPath } from "node:url";
import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { batch, produceTopics, produceResponse, i16, i32, uvarint, compactString, sized } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const codecs = await import(path.join(ROOT, "build", "codecs.js"));
const { check, done } = checker();

const IN_PLACE = 32768;
const MAX_BATCH = 200000;
const policy = (inPlaceFrameBytes, extra = {}) => JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  // What kafkaWrites below refuses: topics and transactional ids not under "ok.".
  acls: ["TOPIC", "TRANSACTIONAL_ID"].map((resourceType) =>
    ({ principal: "User:*", host: "*", resourceType, resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" })),
  limits: { produce: [
    { topic: "ok.limited", maxBatchBytes: MAX_BATCH, compression: "forbidden" },
    { topic: "ok.acks", requiredAcks: -1 },
  ] },
  filter: { inEnvoyFrameBytes: 8 << 20, inPlaceFrameBytes, onDecodeError: "close", ...extra },
});

const GZIP = 1, TRANSACTIONAL = 0x10;
const batches = (n, valueBytes, opts = {}) => Buffer.concat(Array.from({ length: n }, () => batch(1, valueBytes, opts)));

// ---- Kafka's reading of what reached the broker ----

/** The record batches Kafka's produce path iterates (ByteBufferLogInputStream.nextBatch), or why it throws. */
function kafkaBatches(records) {
  const out = [];
  for (let at = 0; ;) {
    const left = records.length - at;
    if (left < 12) return { batches: out };
    const size = records.readInt32BE(at + 8);
    if (size < 14) return { batches: out, corrupt: `batch length ${size}` };
    if (left < 17) return { batches: out };
    const magic = records[at + 16];
    if (magic > 2) return { batches: out, corrupt: `magic ${magic}` };
    if (left < size + 12) return { batches: out };
    const b = records.subarray(at, at + 12 + size);
    out.push({ magic, bytes: b.length, attributes: magic === 2 && b.length >= 23 ? b.readInt16BE(21) : magic === 1 && b.length >= 22 ? b[21] : 0 });
    at += 12 + size;
  }
}

/**
 * What of `frame` (size prefix included) Kafka would write against the policy: [] when nothing.
 * As KafkaApis.handleProduceRequest: the transactional id first, then per topic WRITE, per
 * partition ProduceRequest.validateRecords (v3+: one batch, magic 2) and the log's checks
 * (a batch of under 61 bytes is corrupt); a partition Kafka refuses appends nothing.
 */
function kafkaWrites(frame) {
  const apiKey = frame.readInt16BE(4);
  if (apiKey !== 0) return [];
  const text = codecs.readRequestAsBroker(frame.subarray(4));
  if (!text) return [];
  const { header, body } = JSON.parse(text);
  const why = [];
  const parts = body.topicData.flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, ...p, read: kafkaBatches(Buffer.from(p.records ?? "", "base64")) })));
  const transactional = parts.some((p) => p.read.batches.length > 0 && p.read.batches[0].magic === 2 && (p.read.batches[0].attributes & TRANSACTIONAL) !== 0);
  if (transactional && !(body.transactionalId ?? "").startsWith("ok.")) return [`transactional records under ${body.transactionalId}`];
  for (const p of parts) {
    const { batches: bs, corrupt } = p.read;
    if (corrupt || bs.length !== 1 || bs[0].magic !== 2 || bs[0].bytes < 61) continue; // refused by Kafka
    if (!p.topic.startsWith("ok.")) why.push(`topic ${p.topic}`);
    else if (p.topic === "ok.limited" && (bs[0].attributes & 7) !== 0) why.push(`codec ${bs[0].attributes & 7} to ${p.topic}`);
    else if (p.topic === "ok.limited" && bs[0].bytes > MAX_BATCH) why.push(`batch of ${bs[0].bytes} bytes to ${p.topic}`);
    else if (p.topic === "ok.acks" && body.acks !== -1) why.push(`acks ${body.acks} to ${p.topic}`);
  }
  return why.map((w) => `v${header.requestApiVersion} corr ${header.correlationId}: ${w}`);
}

/** `bytes` split into frames; null when they do not split into whole ones. */
function framesOf(bytes) {
  const out = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const size = bytes.readInt32BE(at);
    if (size < 0 || at + 4 + size > bytes.length) return null;
    out.push(bytes.subarray(at, at + 4 + size));
    at += 4 + size;
  }
  return at === bytes.length ? out : null;
}

/** The broker: answers what reached it (acks=0 gets nothing; anything else a Produce v12 answer), by correlation id. */
function answer(c, upstream) {
  const fs = framesOf(upstream) ?? [];
  const out = [];
  for (const f of fs) {
    const corr = f.readInt32BE(8);
    if (f.readInt16BE(4) === 18) out.push(sized(Buffer.concat([i32(corr), i16(0), i32(0)])));
    else if (!acksZero(f)) out.push(produceResponse(corr, "ok.orders", 1));
  }
  if (out.length > 0) c.feed(UPSTREAM, Buffer.concat(out));
}

function acksZero(f) {
  if (f.readInt16BE(4) !== 0) return false;
  const text = codecs.readRequestAsBroker(f.subarray(4));
  return text ? JSON.parse(text).body.acks === 0 : false;
}

function start(inPlaceFrameBytes, extra) {
  const h = new Host(WASM, { config: policy(inPlaceFrameBytes, extra) });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-3)));
  return h;
}

/** Feeds `reads` from the client on a fresh VM (or `h`), then the broker's answers. */
function run(inPlaceFrameBytes, reads, { extra = {}, h = null, id = 2 } = {}) {
  h = h ?? start(inPlaceFrameBytes, extra);
  const c = h.connect(id);
  for (const r of reads) if (!c.closed) c.feed(DOWNSTREAM, r);
  const upstream = c.output(DOWNSTREAM);
  if (!c.closed) answer(c, upstream);
  return { upstream, downstream: c.output(UPSTREAM), closed: c.closed, inPlace: h.metric("kafka.request_frames_in_place"), h,
    warnings: h.logs.filter((l) => l.level >= 3).map((l) => l.msg) };
}

let bypasses = 0, misframed = 0, divergences = 0;
/** Checks one way of feeding a case: Kafka's reading, the framing, and in place against whole. */
function judge(what, on, off, { inPlace = true } = {}) {
  const fs = framesOf(on.upstream);
  if (!fs) misframed++;
  check(`${what}: the broker gets whole frames`, fs != null, `${on.upstream.length} bytes`);
  const why = (fs ?? []).flatMap(kafkaWrites);
  bypasses += why.length > 0 ? 1 : 0;
  check(`${what}: nothing reaches the broker that the policy refuses`, why.length === 0, why.join("; "));
  const same = on.upstream.equals(off.upstream) && on.downstream.equals(off.downstream) && on.closed === off.closed;
  if (!same) divergences++;
  check(`${what}: in place as read whole`, same, `upstream ${on.upstream.length}/${off.upstream.length}, downstream ${on.downstream.length}/${off.downstream.length}, closed ${on.closed}/${off.closed}: ${on.warnings.slice(-1)}`);
  if (inPlace) check(`${what}: decided in place`, on.inPlace > 0n && off.inPlace === 0n, `${on.inPlace} / ${off.inPlace}`);
}

// ---- frames built byte by byte ----

/**
 * A Produce v12 (or `version`) whose partitions are given as raw pieces: `topics` is
 * [[name, [records, ...], {recordsLength, partitionTags, topicTags}]]; `headerTags` raw tagged
 * fields of request header v2, `requestTags` of the body.
 */
function rawProduce(corr, topics, { version = 12, acks = 1, transactionalId = null, headerTags = uvarint(0), requestTags = uvarint(0), lengthOf = null } = {}) {
  const flexible = version >= 9;
  const str = (s) => flexible ? compactString(s) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
  const count = (n) => flexible ? uvarint(n + 1) : i32(n);
  const len = (n) => flexible ? uvarint(n + 1) : i32(n);
  const header = Buffer.concat([i16(0), i16(version), i32(corr), i16(5), Buffer.from("alloc"), flexible ? headerTags : Buffer.alloc(0)]);
  const body = Buffer.concat([
    transactionalId != null ? str(transactionalId) : flexible ? uvarint(0) : i16(-1), i16(acks), i32(30000),
    count(topics.length),
    ...topics.map(([name, parts, o = {}]) => Buffer.concat([
      str(name), count(parts.length),
      ...parts.map((records, p) => Buffer.concat([i32(p), len(lengthOf ? lengthOf(name, p, records) : records.length), records,
        flexible ? (o.partitionTags ?? uvarint(0)) : Buffer.alloc(0)])),
      flexible ? (o.topicTags ?? uvarint(0)) : Buffer.alloc(0),
    ])),
    flexible ? requestTags : Buffer.alloc(0),
  ]);
  return sized(Buffer.concat([header, body]));
}

const big = batch(40, 1024); // ~41 KiB: one batch, in place on its own
const tiny = (attributes = GZIP, length = 40) => { // a v2 batch shorter than a header (Kafka reads it, then calls it corrupt)
  const b = Buffer.alloc(12 + length);
  b.writeInt32BE(length, 8);
  b[16] = 2;
  b.writeInt16BE(attributes, 21);
  return b;
};
const legacy = (magic, attributes = GZIP) => { // a magic 0/1 message: crc, magic, attributes, [timestamp], key -1, value -1
  const m = Buffer.concat([i32(0), Buffer.from([magic, attributes]), magic === 1 ? Buffer.alloc(8) : Buffer.alloc(0), i32(-1), i32(-1)]);
  return Buffer.concat([Buffer.alloc(8), i32(m.length), m]);
};
const truncated = (b, n) => b.subarray(0, b.length - n);
const tag = (t, data) => Buffer.concat([uvarint(t), uvarint(data.length), data]);
const tags = (...ts) => Buffer.concat([uvarint(ts.length), ...ts]);

const cases = [
  ["allowed, one batch", [rawProduce(1, [["ok.orders", [big]]])]],
  ["denied topic", [rawProduce(1, [["secret.orders", [big]]])]],
  ["allowed topic, then a denied one", [rawProduce(1, [["ok.orders", [big]], ["secret.orders", [batch(1, 10)]]])]],
  ["gzip to ok.limited", [rawProduce(1, [["ok.limited", [batch(40, 1024, { attributes: GZIP })]]])]],
  ["a 210 KB batch to ok.limited", [rawProduce(1, [["ok.limited", [batch(200, 1024)]]])]],
  ["acks 1 to ok.acks", [rawProduce(1, [["ok.acks", [big]]])]],
  ["acks -1 to ok.acks", [rawProduce(1, [["ok.acks", [big]]], { acks: -1 })]],
  ["acks 0 to ok.acks, then more", [rawProduce(1, [["ok.acks", [big]]], { acks: 0 }), rawProduce(2, [["ok.orders", [batch(1, 10)]]])]],
  ["acks 0 to a denied topic, then more in the same read", [Buffer.concat([rawProduce(1, [["secret.x", [big]]], { acks: 0 }), rawProduce(2, [["ok.orders", [batch(1, 10)]]])])]],
  // Records lengths that disagree with the batches: the next partition or topic read from inside them.
  ["records length short by a batch header (v12): the rest read as fields", [rawProduce(1, [["ok.limited", [batch(40, 1024), batch(1, 10, { attributes: GZIP })]]],
    { lengthOf: (t, p, r) => p === 0 ? r.length - 61 : r.length })]],
  ["records length long by the next partition (v12)", [rawProduce(1, [["ok.orders", [big, batch(1, 10)]], ["secret.x", [batch(1, 10)]]],
    { lengthOf: (t, p, r) => p === 0 ? r.length + 10 : r.length })]],
  ["records length long by the next partition (v7)", [rawProduce(1, [["ok.orders", [big, batch(1, 10)]], ["secret.x", [batch(1, 10)]]],
    { version: 7, lengthOf: (t, p, r) => p === 0 ? r.length + 10 : r.length })]],
  ["records length past the frame (v7)", [rawProduce(1, [["ok.orders", [big]]], { version: 7, lengthOf: () => 1 << 24 })]],
  ["records length negative (v7): null records", [rawProduce(1, [["secret.x", [big]]], { version: 7, lengthOf: () => -2 })]],
  ["batch length past the records", [rawProduce(1, [["ok.limited", [(() => { const b = Buffer.from(batch(40, 1024, { attributes: GZIP })); b.writeInt32BE(1 << 20, 8); return b; })()]]])]],
  ["batch length under a header", [rawProduce(1, [["ok.limited", [(() => { const b = Buffer.from(batch(40, 1024, { attributes: GZIP })); b.writeInt32BE(20, 8); return b; })()]]])]],
  // Records the batch walk stops short of, which Kafka reads.
  ["a tiny gzip batch after a full one", [rawProduce(1, [["ok.limited", [Buffer.concat([big, tiny()])]]])]],
  ["a tiny gzip batch alone, padded past the threshold", [rawProduce(1, [["ok.limited", [tiny()]], ["ok.orders", [big]]])]],
  ["a legacy magic 1 gzip message after a full batch", [rawProduce(1, [["ok.limited", [Buffer.concat([big, legacy(1)])]]])]],
  ["a legacy magic 0 gzip message alone", [rawProduce(1, [["ok.limited", [legacy(0)]], ["ok.orders", [big]]])]],
  ["a gzip batch behind a plain one", [rawProduce(1, [["ok.limited", [Buffer.concat([big, batch(1, 10, { attributes: GZIP })])]]])]],
  ["a truncated gzip batch behind a plain one", [rawProduce(1, [["ok.limited", [Buffer.concat([big, truncated(batch(2, 100, { attributes: GZIP }), 20)])]]])]],
  ["a truncated gzip batch alone", [rawProduce(1, [["ok.limited", [truncated(batch(40, 1024, { attributes: GZIP }), 1)]]])]],
  ["a transactional batch behind a plain one, refused id", [rawProduce(1, [["ok.orders", [Buffer.concat([big, batch(1, 10, { attributes: TRANSACTIONAL })])]]], { transactionalId: "secret.t" })]],
  ["a transactional second partition, refused id", [rawProduce(1, [["ok.orders", [big, batch(1, 10, { attributes: TRANSACTIONAL })]]], { transactionalId: "secret.t" })]],
  ["transactional without an id", [rawProduce(1, [["ok.orders", [batch(40, 1024, { attributes: TRANSACTIONAL })]]])]],
  ["magic 3 in the only batch", [rawProduce(1, [["ok.orders", [batch(40, 1024, { magic: 3 })]]])]],
  // Tagged fields.
  ["unknown partition, topic and request tagged fields", [rawProduce(1, [["ok.limited", [big], { partitionTags: tags(tag(7, Buffer.alloc(300))), topicTags: tags(tag(9, Buffer.alloc(5000))) }]],
    { requestTags: tags(tag(11, Buffer.alloc(100))) })]],
  ["a partition tagged field that hides a gzip batch", [rawProduce(1, [["ok.limited", [big], { partitionTags: tags(tag(7, batch(1, 10, { attributes: GZIP }))) }]])]],
  ["a tagged field size past the frame", [rawProduce(1, [["ok.orders", [big], { topicTags: Buffer.concat([uvarint(1), uvarint(9), uvarint(1 << 20)]) }]])]],
  ["header v2 tagged fields past the first page", [rawProduce(1, [["secret.x", [big]]], { headerTags: tags(tag(3, Buffer.alloc(6000))) })]],
  ["header v2 tagged field size past the frame", [rawProduce(1, [["ok.orders", [big]]], { headerTags: Buffer.concat([uvarint(1), uvarint(3), uvarint(1 << 24)]) })]],
  ["a transactional id past the first page, refused", [rawProduce(1, [["ok.orders", [batch(40, 1024, { attributes: TRANSACTIONAL })]]], { transactionalId: "secret." + "t".repeat(9000) })]],
  // Versions the codecs do not read.
  ["Produce v2", [rawProduce(1, [["secret.x", [big]]], { version: 2 })]],
  ["Produce v14", [rawProduce(1, [["secret.x", [big]]], { version: 14 })]],
  // Pipelined behind a frame in place.
  ["allowed, then a refused small one in the same read", [Buffer.concat([rawProduce(1, [["ok.orders", [big]]]), rawProduce(2, [["secret.x", [batch(1, 10)]]])])]],
  ["refused, then an allowed in place in the same read", [Buffer.concat([rawProduce(1, [["secret.x", [big]]]), rawProduce(2, [["ok.orders", [big]]])])]],
  ["allowed, then half of a refused one, then its rest", (() => {
    const a = rawProduce(1, [["ok.orders", [big]]]), b = rawProduce(2, [["secret.x", [big]]]);
    return [Buffer.concat([a, b.subarray(0, 5000)]), b.subarray(5000)];
  })()],
  ["allowed, then garbage (a negative size)", [Buffer.concat([rawProduce(1, [["ok.orders", [big]]]), i32(-5), Buffer.alloc(20)])]],
  ["allowed, then a frame past maxFrameBytes", [Buffer.concat([rawProduce(1, [["ok.orders", [big]]]), i32(200 << 20), Buffer.alloc(20)])]],
];
// The threshold: frames of IN_PLACE - 1, IN_PLACE and IN_PLACE + 1 bytes (prefix included), refused and allowed.
for (const topic of ["ok.limited", "secret.xy"]) {
  for (const delta of [-1, 0, 1]) {
    const sizedTo = (v) => rawProduce(1, [[topic, [batch(1, v, { attributes: GZIP })]]]);
    let v = 100;
    for (let i = 0; i < 4; i++) v += IN_PLACE + delta - sizedTo(v).length; // a records length's varint grows with it
    const f = sizedTo(v);
    if (f.length !== IN_PLACE + delta) throw new Error(`threshold frame of ${f.length} bytes`);
    cases.push([`${topic}, gzip, a frame of ${f.length} bytes`, [f], { inPlace: delta >= 0 }]);
  }
}

for (const [name, reads, opts = {}] of cases) {
  judge(`1 ${name}`, run(IN_PLACE, reads), run(0, reads), opts);
}

// ---- 2. the same frames split across Envoy's reads ----
{
  /** The offsets to split `f` at: every byte of its first 80, around its first batch header, the pages, its end. */
  const cutsOf = (f, header) => {
    const at = f.indexOf(header);
    const cuts = new Set();
    for (let i = 1; i < 80; i++) cuts.add(i);
    for (let i = at - 8; i < at + 70; i++) cuts.add(i);
    for (const p of [64, 4096]) for (const d of [-1, 0, 1]) cuts.add(p + d);
    for (let i = 1; i < 4; i++) cuts.add(f.length - i);
    return [...cuts].filter((c) => c > 0 && c < f.length).sort((a, b) => a - b);
  };
  const splits = [
    ["denied topic", rawProduce(1, [["secret.orders", [big]]]), big],
    ["gzip to ok.limited", rawProduce(1, [["ok.limited", [batch(40, 1024, { attributes: GZIP })]]]), batch(40, 1024, { attributes: GZIP })],
    ["allowed", rawProduce(1, [["ok.orders", [big]]]), big],
  ];
  for (const [name, f, records] of splits) {
    const header = records.subarray(0, 61);
    for (const [how, extra] of [["left in Envoy's buffer", {}], ["held in the VM", { inEnvoyFrameBytes: 0 }]]) {
      let bad = 0, detail = "";
      const b0 = bypasses, m0 = misframed, d0 = divergences;
      const whole = run(0, [f], { extra });
      for (const cut of cutsOf(f, header)) {
        const reads = [f.subarray(0, cut), f.subarray(cut)];
        const on = run(IN_PLACE, reads, { extra }), off = run(0, reads, { extra });
        const fs = framesOf(on.upstream);
        const why = (fs ?? []).flatMap(kafkaWrites);
        const same = on.upstream.equals(off.upstream) && on.downstream.equals(off.downstream) && on.closed === off.closed &&
          on.upstream.equals(whole.upstream) && on.closed === whole.closed;
        if (!fs) misframed++;
        if (why.length) bypasses++;
        if (!same) divergences++;
        if (!fs || why.length || !same) { bad++; detail ||= `cut at ${cut}: ${why.join("; ")} ${on.upstream.length}/${off.upstream.length}`; }
      }
      check(`2 ${name}, ${how}, split in two at each of its header's bytes, its batch header's, the pages': as sent in one read`, bad === 0,
        `${bad} cuts (${bypasses - b0} bypasses, ${misframed - m0} mis-framed, ${divergences - d0} divergent): ${detail}`);
    }
  }
}

// ---- 3. the VM's scratch memory shared with another connection ----
// A refused frame laid out where an allowed one of the same shape lay (same VM, the scratch
// memory reused): any read of it that skipped its fetch would find the allowed one's bytes.
{
  const shapes = [
    ["topic", "ok.abcdef", "secret.xy", {}, {}],
    ["codec", "ok.limited", "ok.limited", {}, { attributes: GZIP }],
    ["transactional id", "ok.orders", "ok.orders", { transactionalId: "ok.t1" }, { attributes: TRANSACTIONAL }, { transactionalId: "no.t1" }],
  ];
  for (const [what, allowedTopic, refusedTopic, allowedOpts, refusedBatch, refusedOpts = allowedOpts] of shapes) {
    const allowed = rawProduce(1, [[allowedTopic, [batch(60, 1024, what === "transactional id" ? { attributes: TRANSACTIONAL } : {})]]], allowedOpts);
    const refused = rawProduce(1, [[refusedTopic, [batch(60, 1024, refusedBatch)]]], refusedOpts);
    if (allowed.length !== refused.length) throw new Error(`3 ${what}: frames of ${allowed.length} and ${refused.length} bytes`);
    const on = (() => {
      const h = start(IN_PLACE);
      run(IN_PLACE, [allowed], { h, id: 10 });
      return run(IN_PLACE, [refused], { h, id: 11 });
    })();
    judge(`3 ${what}: refused after an allowed one of the same shape on another connection`, on, run(0, [refused]));
  }
}

// ---- 4. a Produce in place that waits for an external decision while more arrives ----
{
  const RESUME_ROOT = 2;
  const PROPS = { "source.address": "10.0.0.7:40000", "destination.address": "127.0.0.1:19096", plugin_name: "kafka-opa" };
  const waiting = (inPlaceFrameBytes, reads, allow) => {
    const h = new Host(WASM, { config: JSON.stringify({ external: { cluster: "opa", timeoutMs: 500, cacheTtlMs: 3000, failOpen: false },
      filter: { inPlaceFrameBytes, inEnvoyFrameBytes: 8 << 20 } }) });
    if (h.start() !== 1 || h.addRoot(RESUME_ROOT, "kafka_resume") !== 1) throw new Error("configure failed");
    const c = h.connect(21, PROPS, { before: [{ id: 20, root: RESUME_ROOT }] });
    for (const r of reads) {
      if (c.closed) break;
      c.feed(DOWNSTREAM, r);
      // Each question answered once asked: allow for `allow`'s topics, deny the rest.
      for (let call; (call = h.pendingCalls()[0]);) h.answer(call.token, { body: { result: allow(JSON.parse(call.body).input.kafka.resource.name) } });
    }
    const upstream = c.output(DOWNSTREAM);
    if (!c.closed) answer(c, upstream);
    return { upstream, downstream: c.output(UPSTREAM), closed: c.closed, inPlace: h.metric("kafka.request_frames_in_place"),
      waited: h.metric("kafka.requests_waited"), warnings: h.logs.filter((l) => l.level >= 3).map((l) => l.msg) };
  };
  const allowOk = (name) => name.startsWith("ok.");
  const a = rawProduce(1, [["ok.orders", [big]]]), r = rawProduce(2, [["secret.x", [big]]]), s = rawProduce(3, [["ok.more", [batch(1, 10)]]]);
  const tries = [
    ["an allowed one waits, a refused one arrives meanwhile, then a small one", [a, r, s]],
    ["a refused one waits, an allowed one arrives in pieces meanwhile", [r, a.subarray(0, 3000), a.subarray(3000)]],
    ["both in one read, then the rest of a third", [Buffer.concat([r, a, s.subarray(0, 10)]), s.subarray(10)]],
  ];
  for (const [name, reads] of tries) {
    const on = waiting(IN_PLACE, reads, allowOk), off = waiting(0, reads, allowOk);
    check(`4 ${name}: it waited`, on.waited > 0n, String(on.waited));
    // Kafka's reading: the external service refuses every topic but ok.* here, as the ACLs do.
    judge(`4 ${name}`, on, off);
  }
}

// ---- 5. a request header v2 of many tagged fields (what reading it costs: header-costs.mjs) ----
// 10,000 is Kafka 4.4's most in a section; past it the frame is refused (closed) either way.
for (const topic of ["ok.orders", "secret.x"]) {
  for (const n of [10000, 10001]) {
    const f = rawProduce(1, [[topic, [batch(1, 16000)]]], { headerTags: Buffer.concat([uvarint(n), Buffer.alloc(2 * n)]) }); // over IN_PLACE
    judge(`5 ${topic}, ${n} header tagged fields`, run(IN_PLACE, [f]), run(0, [f]), { inPlace: n <= 10000 });
  }
}

check(`no bypass, no mis-framing, no divergence in all`, bypasses === 0 && misframed === 0 && divergences === 0,
  `${bypasses} bypasses, ${misframed} mis-framed, ${divergences} divergences`);
console.log(`bypasses ${bypasses}, mis-framed ${misframed}, divergences ${divergences}`);
done();
