// What one request can make a VM spend, under the mock Envoy host, deterministically. A VM
// collects garbage only between frames and its memory never shrinks; one that cannot allocate
// dies with every connection of its worker. So:
//   1. a request with more array elements and tagged fields than filter.maxRequestElements
//      (default 200,000) is closed before it is decided, whatever onDecodeError says, with a
//      line and kafka.element_limit_closed; tagged fields count as elements;
//   2. one at the limit, every name refused, is answered, each name refused, in a VM that grew
//      by less than 192 MiB (the build before: about 800 MiB, and 3.8 GiB for 1.5 million);
//   2b. so is a Produce v13 naming 99,000 topic ids no broker answer told, each refused (the
//      build before: 768 MiB, a topic id's text made of 45 strings);
//   3. a Metadata request naming a refused topic three times is answered and counted once for
//      it, as Kafka's broker reads the list as a set;
//   4. what a waiting request keeps for the broker's answer counts at least 384 bytes per
//      refused entry in filter.maxBufferedBytes, however short the names (3-byte names kept
//      about 325 bytes each and were counted as 40);
//   5. the setting's range;
//   7. a page of a DescribeTopicPartitions listing, answered from the filter's own Metadata
//      listing of a cluster of 20,000 topics of 10 partitions, grows a VM by less than 96 MiB
//      (261e0b7 decoded the whole listing at every page: 256 MiB);
//   6. a connection keeps no request's client id once the request is answered: 6,000 idle
//      connections whose last request had a 32,000-byte id grow a VM by less than 256 MiB (on
//      261e0b7 each kept its last id twice, 64 KiB a copy, for as long as it stayed open: 512 MiB).
//
//   node assembly/filter/testing/request-cost.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";
import { i16, i32, uvarint, compactString, sized, metadataResponseTopics, describeTopicPartitionsListing } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { codecs, template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

const LIMIT = 200000; // enforce/config.ts DEFAULT_MAX_REQUEST_ELEMENTS
const policy = (filter = {}) => JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [{ principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" }],
  filter,
});
function start(filter = {}) {
  const h = new Host(WASM, { config: policy(filter) });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-1)));
  return h;
}
const memory = (h) => h.x.memory.buffer.byteLength;
const lastLine = (h) => h.logs.length > 0 ? h.logs[h.logs.length - 1].msg : "";

/** Metadata v1 naming `names` (a short string each: 2 + length bytes). */
function metadataV1(corr, names) {
  const header = Buffer.concat([i16(3), i16(1), i32(corr), i16(4), Buffer.from("cost")]);
  return sized(Buffer.concat([header, i32(names.length), ...names.map((s) => Buffer.concat([i16(s.length), Buffer.from(s)]))]));
}
/** `n` distinct names no ACL allows, of 1 to 4 characters. */
const refusedNames = (n, salt = 0) => Array.from({ length: n }, (_, k) => (salt * n + k).toString(36));
/** The broker's Metadata v1 answer naming `topics` ({errorCode, name, isInternal, partitions}). */
function brokerAnswer(corr, topics) {
  const t = template("response", 3, 1);
  t.header = { correlationId: corr };
  t.body = { ...t.body, topics };
  return frame(t, false, 3, 1);
}
const metadataAnswer = (bytes) => JSON.parse(codecs.decode(bytes.subarray(4), false, 3, 1));

// ---- 1. past the limit: closed before it is decided ----
{
  const h = start();
  const c = h.connect(2);
  c.feed(DOWNSTREAM, metadataV1(1, refusedNames(LIMIT + 1)));
  check("1: a Metadata of 200,001 names is closed", c.closed);
  check("1: ... nothing of it goes upstream", c.output(DOWNSTREAM).length === 0);
  check("1: ... the line says why", /Metadata request with more than 200000 array elements and tagged fields \(filter\.maxRequestElements\)/.test(lastLine(h)), lastLine(h));
  check("1: ... counted in kafka.element_limit_closed", h.metric("kafka.element_limit_closed") === 1n);
  check("1: ... no refusal was decided", (h.metric("kafka.denials_total") ?? 0n) === 0n);
}
{
  // Allowed names too, and with onDecodeError "pass": a request past the limit is never passed unread.
  const h = start({ maxRequestElements: 1000, onDecodeError: "pass" });
  const c = h.connect(2);
  c.feed(DOWNSTREAM, metadataV1(1, Array.from({ length: 1001 }, (_, k) => `ok.${k}`)));
  check("1: under onDecodeError pass, 1,001 allowed names past a limit of 1,000 are closed, not passed", c.closed && c.output(DOWNSTREAM).length === 0);
  const d = h.connect(3);
  d.feed(DOWNSTREAM, metadataV1(1, Array.from({ length: 1000 }, (_, k) => `ok.${k}`)));
  check("1: ... 1,000 go on untouched", !d.closed && c.output(DOWNSTREAM).length === 0 && d.output(DOWNSTREAM).equals(metadataV1(1, Array.from({ length: 1000 }, (_, k) => `ok.${k}`))));
}
{
  // Tagged fields count: Metadata v12, one topic carrying 1,001 unknown tagged fields.
  const h = start({ maxRequestElements: 1000 });
  const c = h.connect(2);
  const tags = Buffer.concat(Array.from({ length: 1001 }, (_, k) => Buffer.concat([uvarint(10 + k), uvarint(0)])));
  const header = Buffer.concat([i16(3), i16(12), i32(1), i16(4), Buffer.from("cost"), uvarint(0)]);
  const body = Buffer.concat([uvarint(2), Buffer.alloc(16), compactString("ok.tags"), uvarint(1001), tags, Buffer.from([0, 0]), uvarint(0)]);
  c.feed(DOWNSTREAM, sized(Buffer.concat([header, body])));
  check("1: 1,001 tagged fields in one topic past a limit of 1,000: closed", c.closed, lastLine(h));
}

// ---- 2. at the limit, every name refused: answered, in bounded memory ----
{
  const h = start();
  const c = h.connect(2);
  const before = memory(h);
  c.feed(DOWNSTREAM, metadataV1(1, refusedNames(LIMIT)));
  const grown = (memory(h) - before) / 2 ** 20;
  check("2: a Metadata of 200,000 refused names is not closed", !c.closed, lastLine(h));
  check("2: ... the VM grew by less than 192 MiB deciding it", grown < 192, `${grown.toFixed(0)} MiB`);
  check("2: ... each name refused once", h.metric("kafka.denials_total") === BigInt(LIMIT));
  // It goes on naming none (Metadata v1's empty list), the refusals to be merged into the answer.
  c.feed(UPSTREAM, brokerAnswer(1, []));
  const answer = metadataAnswer(c.output(UPSTREAM));
  check("2: ... answered: 200,000 topics, each TOPIC_AUTHORIZATION_FAILED", answer.body.topics.length === LIMIT && answer.body.topics.every((t) => t.errorCode === 29));
}

// ---- 2b. a Produce naming 99,000 topic ids no broker answer told: answered, in bounded memory ----
{
  // Produce v13 (topics by id), one empty partition each: 198,000 elements, under the limit.
  const n = 99000;
  const tags = uvarint(0);
  const parts = [i16(0), i16(13), i32(1), i16(1), Buffer.from("p"), tags, uvarint(0), i16(1), i32(30000), uvarint(n + 1)];
  for (let k = 0; k < n; k++) {
    const id = Buffer.alloc(16);
    id.writeUInt32BE(k + 1, 12);
    parts.push(id, uvarint(2), i32(0), uvarint(1), tags, tags);
  }
  parts.push(tags);
  const h = start();
  const c = h.connect(2);
  const before = memory(h);
  c.feed(DOWNSTREAM, sized(Buffer.concat(parts)));
  const grown = (memory(h) - before) / 2 ** 20;
  check("2b: a Produce of 99,000 unknown topic ids is answered, each refused", !c.closed && h.metric("kafka.denials_total") === BigInt(n), lastLine(h));
  // About 2.3 KB per refused id; 55a8663 made 85 small strings of each id's text: 768 MiB.
  check("2b: ... the VM grew by less than 512 MiB deciding it", grown < 512, `${grown.toFixed(0)} MiB`);
}

// ---- 3. a topic named three times is refused once ----
{
  const h = start();
  const c = h.connect(2);
  c.feed(DOWNSTREAM, metadataV1(1, ["no.secret", "ok.a", "no.secret", "no.secret"]));
  check("3: the allowed topic goes on", !c.closed && c.output(DOWNSTREAM).length > 0);
  c.feed(UPSTREAM, brokerAnswer(1, [{ errorCode: 0, name: "ok.a", isInternal: false, partitions: [] }]));
  const topics = metadataAnswer(c.output(UPSTREAM)).body.topics;
  check("3: the answer names the refused topic once", topics.filter((x) => x.name === "no.secret").length === 1 && topics.length === 2,
    JSON.stringify(topics.map((x) => [x.name, x.errorCode])));
  check("3: ... and it is counted once", h.metric("kafka.denials_total") === 1n);
}

// ---- 4. what waiting requests keep, counted per refused entry ----
{
  const E = 20000;
  // Room for two such requests waiting at 384 bytes an entry, not three.
  const h = start({ maxBufferedBytes: Math.floor(2.5 * E * 384) });
  const c = h.connect(2);
  for (let r = 1; r <= 3 && !c.closed; r++) c.feed(DOWNSTREAM, metadataV1(r, refusedNames(E, r)));
  check("4: the third request of 20,000 refused 3-byte names, waiting, passes the budget: closed", c.closed, lastLine(h));
  check("4: ... counted in kafka.buffer_budget_closed", h.metric("kafka.buffer_budget_closed") === 1n);
}

// ---- 6. idle connections keep no client id ----
{
  const h = start();
  const id = "i".repeat(32000);
  const metadataV1 = (corr) => sized(Buffer.concat([i16(3), i16(1), i32(corr), i16(id.length), Buffer.from(id), i32(1), i16(4), Buffer.from("ok.a")]));
  const answer = (corr) => sized(Buffer.concat([i32(corr), i32(0), i32(1), i32(0)]));
  const before = h.x.memory.buffer.byteLength;
  const open = [];
  for (let n = 0; n < 6000; n++) {
    const c = h.connect(1000 + n);
    c.feed(DOWNSTREAM, metadataV1(7));
    c.feed(UPSTREAM, answer(7));
    open.push(c);
  }
  const grown = (h.x.memory.buffer.byteLength - before) / 1048576;
  check("6: 6,000 idle connections whose request had a 32,000-byte client id grow the VM by less than 256 MiB", grown < 256 && open.every((c) => !c.closed),
    `${grown.toFixed(0)} MiB`);
}

// ---- 7. a listing's page from a large cluster's Metadata listing ----
{
  const h = new Host(WASM, { config: JSON.stringify({ allowEveryoneIfNoAclFound: true }) });
  if (!h.start()) throw new Error("configure failed");
  const c = h.connect(9);
  const topics = Array.from({ length: 20000 }, (_, i) => { const id = Buffer.alloc(16, 3); id.writeUInt32BE(i + 1, 12); return [`cluster.topic-${i}`, id, 10]; });
  const answer = metadataResponseTopics(0, topics);
  const before = h.x.memory.buffer.byteLength;
  c.feed(DOWNSTREAM, describeTopicPartitionsListing(1));
  const asked = c.output(DOWNSTREAM);
  answer.writeInt32BE(asked.readInt32BE(8), 4);
  c.feed(UPSTREAM, answer);
  const grown = (h.x.memory.buffer.byteLength - before) / 1048576;
  const page = c.output(UPSTREAM);
  const body = page.length > 8 ? JSON.parse(codecs.decode(page.subarray(4), false, 75, 0)).body : null;
  check("7: a DescribeTopicPartitions page from a listing of 20,000 topics of 10 partitions: 200 topics (2,000 partitions) and a cursor",
    body !== null && body.topics.length === 200 && body.nextCursor?.topicName === topics.map(([n]) => n).sort()[200], body ? `${body.topics.length} topics, cursor ${JSON.stringify(body.nextCursor)}` : `${page.length} bytes`);
  check("7: ... the VM grew by less than 96 MiB answering it", grown < 96, `${grown.toFixed(0)} MiB`);
  if (process.env.VERBOSE) console.log(`7: grew ${grown.toFixed(0)} MiB`);
}

// ---- 5. the setting ----
{
  const h = new Host(WASM, { config: policy({ maxRequestElements: 999 }) });
  check("5: maxRequestElements below 1,000 is refused", !h.start() && /filter\.maxRequestElements: 999 is out of range/.test(JSON.stringify(h.logs)), lastLine(h));
}

done();
