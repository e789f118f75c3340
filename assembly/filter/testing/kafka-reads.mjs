// The filter reads a request as Kafka's broker reads it, or does not let it go on: under the
// mock Envoy host, deterministically. A request the filter's reader and Kafka's read apart is a
// way past the policy: under onDecodeError "pass" one that did not read went on unjudged, and
// under "close" a client Kafka serves was closed. So:
//   1. a varint whose fifth byte carries bits past the 32nd is read as Kafka's
//      ByteUtils.readUnsignedVarint reads it (those bits dropped), not refused: a Metadata v12
//      whose topic count is written so is decided on the topic the broker would serve;
//   1b. any negative length of a field that may be null is null, as Kafka's readers have it: a
//      Metadata whose topic count is -2 is a listing of every topic, cut by the policy (under
//      "pass" it went on unjudged and its answer listed every topic);
//   2. under "pass", a request of an API or version these codecs do not know (another Kafka
//      release's broker may: a Produce v2 is served by Kafka 3.9) is closed, as Kafka's broker
//      closes a version it does not know; nothing of it goes on;
//   3. under "pass", a known tagged field whose value does not fill its size (Kafka's
//      generated readers read the value and ignore the size, so the broker reads on) closes
//      the connection; bytes no broker reads (a name longer than the frame) still go on;
//   4. a known tagged field's arrays count against filter.maxRequestElements with the rest of
//      the request (each had a budget of its own);
//   5. a tagged-field section of 10,001 fields, which Kafka 4.4's readers refuse but 3.9's read,
//      is closed under "pass" too (the codecs refuse it as 4.4 does; it did not go on unjudged
//      only because a broker may read it); 10,000 goes on as sent. The same for an array of
//      1,000,001 elements (Kafka 4.4's most: 1,000,000), under a maxRequestElements raised past it.
// test/e2e/kafka-reads.test.ts shows the broker reading these bytes through real Envoy.
//
//   node assembly/filter/testing/kafka-reads.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";
import { i16, i32, uvarint, compactString, sized } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { codecs, template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

const policy = (filter = {}, audit = undefined) => JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [{ principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" }],
  filter, audit,
});
let nextConnection = 100; // above the root context's id
function connect(filter, audit) {
  const h = new Host(WASM, { config: policy(filter, audit) });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-1)));
  return { h, c: h.connect(nextConnection++) };
}
const lastLine = (h) => h.logs.length > 0 ? h.logs[h.logs.length - 1].msg : "";
const header = (key, version, corr, flexible) =>
  Buffer.concat([i16(key), i16(version), i32(corr), i16(5), Buffer.from("reads"), ...(flexible ? [uvarint(0)] : [])]);

/** 1 written in five bytes, the fifth carrying bit 32: Kafka reads 2 | (0x10 << 28) as 2. */
const ONE_TOPIC_IN_FIVE_BYTES = Buffer.from([0x82, 0x80, 0x80, 0x80, 0x10]);
/** Metadata v12 naming `topic`, its topic count `count` (uvarint bytes). */
function metadataV12(corr, topic, count = uvarint(2)) {
  const body = Buffer.concat([count, Buffer.alloc(16), compactString(topic), uvarint(0), Buffer.from([0, 0]), uvarint(0)]);
  return sized(Buffer.concat([header(3, 12, corr, true), body]));
}
/** The broker's Metadata v12 answer naming no topic (what it answers the request the filter sends on). */
function emptyAnswer(corr) {
  const t = template("response", 3, 12);
  t.header = { correlationId: corr };
  t.body = { ...t.body, topics: [] };
  return frame(t, false, 3, 12);
}
const decodeJson = (bytes, isRequest) => {
  const text = bytes.length > 4 ? codecs.decode(bytes.subarray(4), isRequest, 3, 12) : "";
  return text ? JSON.parse(text) : null;
};

// ---- 1. a five-byte varint, read as Kafka reads it ----
for (const mode of ["close", "pass"]) {
  {
    const { h, c } = connect({ onDecodeError: mode });
    c.feed(DOWNSTREAM, metadataV12(7, "secret", ONE_TOPIC_IN_FIVE_BYTES));
    check(`1 ${mode}: a Metadata whose topic count has a fifth byte is not closed`, !c.closed, lastLine(h));
    const sent = decodeJson(c.output(DOWNSTREAM), true);
    check(`1 ${mode}: ... it goes on without "secret", the topic Kafka reads and the policy refuses`,
      sent !== null && Array.isArray(sent.body.topics) && sent.body.topics.length === 0, JSON.stringify(sent?.body));
    c.feed(UPSTREAM, emptyAnswer(7));
    const resp = decodeJson(c.output(UPSTREAM), false);
    check(`1 ${mode}: ... the answer refuses "secret" (TOPIC_AUTHORIZATION_FAILED)`,
      resp !== null && resp.header.correlationId === 7 && resp.body.topics.length === 1 && resp.body.topics[0].name === "secret" && resp.body.topics[0].errorCode === 29,
      JSON.stringify(resp?.body?.topics));
  }
  {
    const { h, c } = connect({ onDecodeError: mode });
    const allowed = metadataV12(8, "ok.orders", ONE_TOPIC_IN_FIVE_BYTES);
    c.feed(DOWNSTREAM, allowed);
    check(`1 ${mode}: the same naming an allowed topic goes on as sent`, !c.closed && c.output(DOWNSTREAM).equals(allowed), lastLine(h));
  }
}

// ---- 1b. any negative length is null, as Kafka reads it: a Metadata v4 whose topic count is
// -2 asks for every topic, and its answer is cut to those the client may describe ----
/** Metadata v4 (classic): topics int32 count (-2 here), allowAutoTopicCreation false. */
const metadataV4All = (corr) => sized(Buffer.concat([header(3, 4, corr, false), i32(-2), Buffer.from([0])]));
function listingAnswerV4(corr, names) {
  const t = template("response", 3, 4);
  t.header = { correlationId: corr };
  t.body = { ...t.body, topics: names.map((name) => ({ errorCode: 0, name, isInternal: false, partitions: [] })) };
  return frame(t, false, 3, 4);
}
for (const mode of ["close", "pass"]) {
  const { h, c } = connect({ onDecodeError: mode });
  const request = metadataV4All(21);
  c.feed(DOWNSTREAM, request);
  check(`1b ${mode}: a Metadata whose topic count is -2 (null: every topic) is not closed`, !c.closed, lastLine(h));
  c.feed(UPSTREAM, listingAnswerV4(21, ["ok.orders", "secret"]));
  const text = c.output(UPSTREAM).length > 4 ? codecs.decode(c.output(UPSTREAM).subarray(4), false, 3, 4) : "";
  const names = text ? JSON.parse(text).body.topics.map((t) => t.name) : null;
  check(`1b ${mode}: ... the broker's listing is cut to the topics the client may describe`, JSON.stringify(names) === JSON.stringify(["ok.orders"]), JSON.stringify(names));
}

// ---- 2. a version these codecs do not know, under "pass" ----
{
  // Produce v2 (Kafka 3.9 serves it; 4.0 dropped it): acks 1, one partition of "secret", a magic-1 message.
  const message = Buffer.concat([Buffer.alloc(8), i32(14), i32(0), Buffer.from([1, 0]), Buffer.alloc(8), i32(-1), i32(0)]);
  const body = Buffer.concat([i16(1), i32(1000), i32(1), i16(6), Buffer.from("secret"), i32(1), i32(0), i32(message.length), message]);
  const produceV2 = sized(Buffer.concat([header(0, 2, 9, false), body]));
  const { h, c } = connect({ onDecodeError: "pass" });
  const mark = h.metric("kafka.request_decode_errors") ?? 0n;
  c.feed(DOWNSTREAM, produceV2);
  check("2: a Produce v2 under pass is closed", c.closed, lastLine(h));
  check("2: ... nothing of it goes on", c.output(DOWNSTREAM).length === 0);
  check("2: ... the line says why", /unsupported api key 0 version 2 \(not passed on under onDecodeError pass: a broker may read it\)/.test(lastLine(h)), lastLine(h));
  check("2: ... counted as a request that did not decode", h.metric("kafka.request_decode_errors") === mark + 1n);
}
{
  const { h, c } = connect({ onDecodeError: "pass" });
  c.feed(DOWNSTREAM, sized(Buffer.concat([header(99, 0, 10, false), Buffer.from("abc")])));
  check("2: an API key these codecs do not know (99), under pass, is closed, nothing sent on", c.closed && c.output(DOWNSTREAM).length === 0, lastLine(h));
}

// ---- 3. a known tagged field whose value does not fill its size, under "pass" ----
/** Fetch v12 of partition 0 of `topic`, its top-level tagged fields `tagged` (count first). */
function fetchV12(corr, topic, tagged) {
  const partition = Buffer.concat([i32(0), i32(-1), Buffer.alloc(8), i32(-1), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), i32(1 << 20), uvarint(0)]);
  const body = Buffer.concat([
    i32(-1), i32(500), i32(1), i32(50 << 20), Buffer.from([0]), i32(0), i32(-1),
    uvarint(2), compactString(topic), uvarint(2), partition, uvarint(0),
    uvarint(1), compactString(""), tagged,
  ]);
  return sized(Buffer.concat([header(1, 12, corr, true), body]));
}
const clusterId = compactString("c1"); // FetchRequest's tag 0, ClusterId: 3 bytes
const clusterIdSized = (size, extra = Buffer.alloc(0)) => Buffer.concat([uvarint(1), uvarint(0), uvarint(size), clusterId, extra]);
for (const [what, tagged] of [
  ["its size one byte more than its value", clusterIdSized(4, Buffer.from([0]))],
  ["its size one byte less than its value", clusterIdSized(2)],
]) {
  const { h, c } = connect({ onDecodeError: "pass" });
  c.feed(DOWNSTREAM, fetchV12(11, "secret", tagged));
  check(`3: a Fetch of "secret" whose ClusterId tag has ${what}, under pass, is closed, nothing sent on`, c.closed && c.output(DOWNSTREAM).length === 0, lastLine(h));
  check(`3: ... the line says a broker may read it`, /tagged field.*\(not passed on under onDecodeError pass: a broker may read it\)/.test(lastLine(h)), lastLine(h));
}
{
  const { h, c } = connect({ onDecodeError: "pass" });
  const f = fetchV12(12, "ok.orders", clusterIdSized(3));
  c.feed(DOWNSTREAM, f);
  check("3: the same Fetch of an allowed topic, its tag the right size, goes on as sent", !c.closed && c.output(DOWNSTREAM).equals(f), lastLine(h));
}
{
  // A name longer than the frame: no broker reads it either, so "pass" still passes it on, warned.
  const { h, c } = connect({ onDecodeError: "pass" });
  const garbled = sized(Buffer.concat([header(3, 12, 13, true), Buffer.from([0x05, 0xff, 0xff, 0xff, 0xff, 0x0f])]));
  c.feed(DOWNSTREAM, garbled);
  check("3: a Metadata whose name runs past the frame, under pass, still goes on with a warning", !c.closed && c.output(DOWNSTREAM).equals(garbled)
    && /^kafka filter: passed on \(onDecodeError: pass\): request did not decode: /.test(lastLine(h)), lastLine(h));
}

// ---- 4. a tagged field's arrays count against filter.maxRequestElements ----
{
  // BrokerHeartbeat v2: its tags 0 and 1, OfflineLogDirs and CordonedLogDirs, are arrays of
  // uuids; 600 in each, 1,200 together, past a limit of 1,000 (each tag's reader had a
  // budget of its own). With every allow logged, requests skip the view (its walk counts them
  // in one reader) and are read by the decode alone.
  const dirs = (n) => Buffer.concat([uvarint(n + 1), Buffer.alloc(16 * n)]);
  const tag = (t, value) => Buffer.concat([uvarint(t), uvarint(value.length), value]);
  const body = Buffer.concat([i32(1), i64be(0n), i64be(0n), Buffer.from([0, 0]), uvarint(2), tag(0, dirs(600)), tag(1, dirs(600))]);
  const { h, c } = connect({ maxRequestElements: 1000 }, { allows: "all" });
  c.feed(DOWNSTREAM, sized(Buffer.concat([header(63, 2, 14, true), body])));
  check("4: a BrokerHeartbeat whose two tagged arrays hold 600 ids each, past a limit of 1,000 together, is closed by the limit",
    c.closed && c.output(DOWNSTREAM).length === 0 && /more than 1000 array elements and tagged fields \(filter\.maxRequestElements\)/.test(lastLine(h)), lastLine(h));
}

// ---- 5. Kafka 4.4's most tagged fields in a section ----
for (const n of [10000, 10001]) {
  const { h, c } = connect({ onDecodeError: "pass" });
  const tags = Buffer.concat([uvarint(n), Buffer.alloc(2 * n).map((_, i) => i % 2 === 0 ? 0x7f : 0)]); // tag 127, empty
  const plain = metadataV12(15, n === 10000 ? "ok.orders" : "secret");
  const f = sized(Buffer.concat([plain.subarray(4, plain.length - 1), tags])); // in place of the empty request-level section
  c.feed(DOWNSTREAM, f);
  if (n === 10000) check("5: a Metadata of an allowed topic with 10,000 request-level tagged fields goes on as sent", !c.closed && c.output(DOWNSTREAM).equals(f), lastLine(h));
  else {
    check("5: ... one of a refused topic with 10,001, under pass, is closed, nothing sent on", c.closed && c.output(DOWNSTREAM).length === 0, lastLine(h));
    check("5: ... the line says why and that a broker may read it", /10001 tagged fields, over Kafka's maximum of 10000.*\(not passed on under onDecodeError pass: a broker may read it\)/.test(lastLine(h)), lastLine(h));
  }
}

{
  // DescribeGroups v5: 1,000,001 empty group ids, a byte each.
  const n = 1000001;
  const { h, c } = connect({ onDecodeError: "pass", maxRequestElements: 2000000 });
  c.feed(DOWNSTREAM, sized(Buffer.concat([header(15, 5, 16, true), uvarint(n + 1), Buffer.alloc(n, 1), Buffer.from([0]), uvarint(0)])));
  check("5: a DescribeGroups of 1,000,001 group ids, under pass, maxRequestElements 2,000,000, is closed, nothing sent on",
    c.closed && c.output(DOWNSTREAM).length === 0 && /over Kafka's maximum of 1000000.*a broker may read it/.test(lastLine(h)), lastLine(h));
}

function i64be(v) { const b = Buffer.alloc(8); b.writeBigInt64BE(v); return b; }

done();
