// A string the filter writes again must keep the length it says. The filter reads a client id
// or a name as text, each invalid UTF-8 byte as U+FFFD, which it writes as three bytes: an
// 11,000-byte client id of 0xff is written as 33,000, past what an int16 length holds. Wrapped,
// the length told Kafka to read the client's own bytes as what follows (negative: a null client
// id, then the id's bytes as the header's tags and the request's body; RequestHeaderData.read),
// so the client chose the request the broker ran (a review session's finding):
//   - a request the filter rewrites (a refused part cut out): DeleteTopics [ok.a, secret.t], the
//     broker deleted secret.t, which the filter had refused;
//   - the filter's own requests under the client's id: its Metadata lookup of an unknown topic
//     id, which never creates a topic, created secret.created; likewise the ApiVersions probe
//     sent in place of a refused request;
//   - a name in a rewritten body of an older version (int16 lengths): 21,846 invalid bytes
//     written as 65,538 wrap to a length of 2;
//   - a compact name grown past 32,767 bytes, which Kafka cannot read (the connection closes).
// Each frame that goes upstream is read here as Kafka reads it.
//
//   node assembly/filter/testing/wrapped-lengths.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM } from "./host.mjs";
import { i16, i32, uvarint, compactString, sized } from "./kafka-bytes.mjs";
import { checker } from "./frames.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();
const POLICY = JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [{ principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" }],
});

/** A client id of `invalid` bytes 0xff (U+FFFD each when read) after `prefix`. */
const clientIdOf = (prefix, invalid) => Buffer.concat([prefix, Buffer.alloc(invalid, 0xff)]);
const string16 = (b) => Buffer.concat([i16(b.length), b]);

/** Kafka's reading of a frame (size prefix included): its header v1/v2 and a cursor on the body. */
class KafkaRead {
  constructor(frame, flexible) {
    this.f = frame;
    this.p = 4;
    this.apiKey = this.int16();
    this.apiVersion = this.int16();
    this.correlationId = this.int32();
    const len = this.int16();
    this.clientId = len < 0 ? null : this.f.subarray(this.p, this.p + len);
    if (len > 0) this.p += len;
    if (flexible) this.tags();
  }
  int16() { const v = this.f.readInt16BE(this.p); this.p += 2; return v; }
  int32() { const v = this.f.readInt32BE(this.p); this.p += 4; return v; }
  uvarint() { let v = 0, s = 0, b; do { b = this.f[this.p++]; v |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return v >>> 0; }
  tags() { const n = this.uvarint(); for (let i = 0; i < n; i++) { this.uvarint(); this.p += this.uvarint(); } }
  compactString() { const l = this.uvarint() - 1; const s = l < 0 ? null : this.f.subarray(this.p, this.p + l).toString("latin1"); this.p += Math.max(l, 0); return s; }
  string16() { const l = this.int16(); const s = l < 0 ? null : this.f.subarray(this.p, this.p + l).toString("latin1"); this.p += Math.max(l, 0); return s; }
  get whole() { return this.p === this.f.length; }
}

/** The frames (size prefix included) in `bytes`. */
function frames(bytes) {
  const out = [];
  for (let p = 0; p + 4 <= bytes.length;) { const n = bytes.readInt32BE(p); out.push(bytes.subarray(p, p + 4 + n)); p += 4 + n; }
  return out;
}

function send(frame) {
  const h = new Host(WASM, { config: POLICY });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-2)));
  const c = h.connect(7);
  c.feed(DOWNSTREAM, frame);
  return { h, c, up: frames(c.output(DOWNSTREAM)) };
}

// What the attacker's id held for the broker to read as a DeleteTopics v4 body after a null id:
// no header tags, topic_names [secret.t], the timeout, and a tagged field swallowing the rest.
const smuggledDelete = Buffer.concat([uvarint(0), uvarint(2), compactString("secret.t"), i32(30000), uvarint(1), uvarint(0), Buffer.from([0xc2, 0x80, 0x01])]);

{
  // DeleteTopics v4 (header v2) of ok.a and secret.t: the filter refuses secret.t and sends on ok.a alone.
  const id = clientIdOf(smuggledDelete, 11000);
  const body = Buffer.concat([uvarint(3), compactString("ok.a"), compactString("secret.t"), i32(30000), uvarint(0)]);
  const { h, c, up } = send(sized(Buffer.concat([i16(20), i16(4), i32(1), string16(id), uvarint(0), body])));
  const names = up.map((f) => {
    const k = new KafkaRead(f, true);
    if (k.apiKey !== 20) return [];
    const n = k.uvarint() - 1;
    return Array.from({ length: Math.max(n, 0) }, () => k.compactString());
  }).flat();
  check("a rewritten DeleteTopics under an id that grows past an int16 length: secret.t never reaches the broker", !names.includes("secret.t"), JSON.stringify(names));
  check("... the connection is closed, saying why (the request cannot be written again as the client wrote it)",
    c.closed && h.logs.some((l) => l.msg.includes("do not fit an int16 length")), JSON.stringify(h.logs.slice(-2).map((l) => l.msg.slice(0, 200))));
}

{
  // Metadata v12 by an unknown topic id: the filter asks the broker its name with a lookup of its own.
  const id = clientIdOf(Buffer.concat([uvarint(0), uvarint(2), Buffer.alloc(16), compactString("secret.created"), uvarint(0), Buffer.from([1, 0]), uvarint(1), uvarint(0), Buffer.from([0xc2, 0x80, 0x01])]), 11000);
  const unknownId = Buffer.alloc(16, 0x5a);
  const { h, c, up } = send(sized(Buffer.concat([i16(3), i16(12), i32(9), string16(id), uvarint(0), uvarint(2), unknownId, uvarint(0), uvarint(0), Buffer.from([0, 0]), uvarint(0)])));
  // Whatever goes up (the lookup, or nothing when the request cannot be sent on either) is read
  // by Kafka as written: the unknown id alone, creating nothing, to the frame's last byte.
  const read = up.map((f) => {
    const k = new KafkaRead(f, true);
    const n = k.uvarint() - 1;
    const topics = Array.from({ length: Math.max(n, 0) }, () => { const tid = k.f.subarray(k.p, k.p + 16).toString("hex"); k.p += 16; const name = k.compactString(); k.tags(); return { tid, name }; });
    const autoCreate = k.f[k.p++];
    k.p++;
    k.tags();
    return { apiKey: k.apiKey, topics, autoCreate, whole: k.whole };
  });
  check("the filter's own Metadata lookup under an id that grows past an int16 length creates nothing, names no other topic",
    read.every((r) => r.apiKey === 3 && r.autoCreate === 0 && r.whole && r.topics.every((t) => t.tid === unknownId.toString("hex") && t.name === null)),
    JSON.stringify(read));
  check("... and the request is either asked about or closed, saying why (not left waiting)",
    read.length > 0 || (c.closed && h.logs.some((l) => l.msg.includes("do not fit an int16 length"))), `${up.length} frames, closed ${c.closed}`);
}

{
  // A request the filter refuses whole and answers itself: the ApiVersions v0 probe in its place.
  const id = clientIdOf(Buffer.from("probe"), 11000);
  const body = Buffer.concat([uvarint(2), compactString("secret.t"), i32(30000), uvarint(0)]);
  const { c, up } = send(sized(Buffer.concat([i16(20), i16(4), i32(5), string16(id), uvarint(0), body])));
  const k = up.length === 1 ? new KafkaRead(up[0], false) : null;
  check("a refused request's probe is read by Kafka as an ApiVersions v0, to its last byte",
    k !== null && k.apiKey === 18 && k.apiVersion === 0 && k.correlationId === 5 && k.whole, `${up.length} frames`);
  check("... the connection stays open for the probe's answer", !c.closed);
}

{
  // DeleteTopics v3 (int16 names): an allowed name of 21,846 invalid bytes is written as 65,541
  // (with "ok."), which an int16 length wraps to 5: Kafka would read what follows as more names.
  const allowed = Buffer.concat([Buffer.from("ok."), Buffer.alloc(21846, 0xff)]);
  const body = Buffer.concat([i32(2), string16(allowed), string16(Buffer.from("secret.t")), i32(30000)]);
  const { h, c, up } = send(sized(Buffer.concat([i16(20), i16(3), i32(3), string16(Buffer.from("v3")), body])));
  const lengths = up.map((f) => { const k = new KafkaRead(f, false); if (k.apiKey !== 20) return []; const n = k.int32(); return Array.from({ length: Math.max(n, 0) }, () => k.string16()?.length ?? -1); }).flat();
  check("a rewritten DeleteTopics v3 whose allowed name grows past an int16 length: nothing wrapped reaches the broker",
    up.every((f) => new KafkaRead(f, false).apiKey !== 20), JSON.stringify(lengths));
  check("... the connection is closed, saying why", c.closed && h.logs.some((l) => l.msg.includes("do not fit an int16 length")),
    JSON.stringify(h.logs.slice(-2).map((l) => l.msg.slice(0, 200))));
}

{
  // DeleteTopics v4 (compact names): an allowed name of 32,000 bytes, 400 of them invalid, is
  // written as 32,800: Kafka refuses a compact string past 32,767 and closes the connection on
  // a request it cannot read. The filter says so itself, sending nothing it cannot stand by.
  const allowed = Buffer.concat([Buffer.from("ok."), Buffer.alloc(400, 0xff), Buffer.alloc(32000 - 403, 0x61)]);
  const body = Buffer.concat([uvarint(3), uvarint(allowed.length + 1), allowed, compactString("secret.t"), i32(30000), uvarint(0)]);
  const { h, c, up } = send(sized(Buffer.concat([i16(20), i16(4), i32(4), string16(Buffer.from("v4")), uvarint(0), body])));
  check("a rewritten DeleteTopics v4 whose compact name grows past 32,767 bytes: nothing Kafka cannot read reaches it",
    up.every((f) => new KafkaRead(f, true).apiKey !== 20), `${up.length} frames`);
  check("... the connection is closed, saying why", c.closed && h.logs.some((l) => l.msg.includes("do not fit an int16 length")),
    JSON.stringify(h.logs.slice(-2).map((l) => l.msg.slice(0, 200))));
}

done();
