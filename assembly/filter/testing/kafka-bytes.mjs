// Kafka frames built byte by byte for the shell's tests and figures (round-trip-cost.mjs,
// in-place.mjs): large Produce and Fetch frames whose record bodies are filler (the filter
// reads batch headers only), built faster than the codecs would and with what the codecs
// refuse to write (lying lengths, bad magic).

export const i16 = (v) => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
export const i32 = (v) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
export const i64 = (v) => { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(v)); return b; };
export const uvarint = (v) => { const out = []; do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; out.push(b); } while (v); return Buffer.from(out); };
export const compactString = (s) => Buffer.concat([uvarint(Buffer.byteLength(s) + 1), Buffer.from(s)]);
export const sized = (payload) => Buffer.concat([i32(payload.length), payload]);

/**
 * One v2 batch of `records` records of `valueBytes` each (bodies are filler). `attributes`:
 * compression codec in bits 0-2, 0x10 transactional; `magic` other than 2 makes it malformed.
 */
export function batch(records, valueBytes, { attributes = 0, magic = 2 } = {}) {
  const body = Buffer.alloc(records * (valueBytes + 8), 1);
  const b = Buffer.alloc(61);
  b.writeInt32BE(49 + body.length, 8);
  b[16] = magic;
  b.writeInt16BE(attributes, 21);
  b.writeBigInt64BE(-1n, 43); // producer id: none
  b.writeInt32BE(records, 57);
  return Buffer.concat([b, body]);
}

/**
 * A Produce of `topic`, partition i carrying records `partitions[i]` (the batches of one
 * partition, concatenated). Version 12 (flexible, request header v2) or 7 (classic).
 */
export function produce(corr, topic, partitions, options = {}) {
  return produceTopics(corr, [[topic, partitions]], options);
}

/**
 * A Produce of several topics, in order: `topics` is [[topic, partitions], ...], as produce() takes each.
 * `headerTags`: request header v2's tagged fields, raw (v9+; none by default).
 */
export function produceTopics(corr, topics, { version = 12, clientId = "alloc", transactionalId = null, acks = 1, headerTags = null } = {}) {
  const flexible = version >= 9;
  const string = (s) => flexible ? compactString(s) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
  const nullableString = (s) => s != null ? string(s) : flexible ? uvarint(0) : i16(-1);
  const count = (n) => flexible ? uvarint(n + 1) : i32(n);
  const bytes = (b) => Buffer.concat([flexible ? uvarint(b.length + 1) : i32(b.length), b]);
  const tags = flexible ? uvarint(0) : Buffer.alloc(0);
  const header = Buffer.concat([i16(0), i16(version), i32(corr), i16(Buffer.byteLength(clientId)), Buffer.from(clientId), flexible ? headerTags ?? tags : tags]);
  const body = Buffer.concat([
    nullableString(transactionalId), i16(acks), i32(30000),
    count(topics.length),
    ...topics.map(([topic, partitions]) => Buffer.concat([
      string(topic), count(partitions.length),
      ...partitions.map((records, i) => Buffer.concat([i32(i), bytes(records), tags])),
      tags, // topic tagged fields
    ])),
    tags, // request tagged fields
  ]);
  return sized(Buffer.concat([header, body]));
}

/** Produce v12's answer: no error on partitions 0..n-1 of `topic`. */
export function produceResponse(corr, topic, partitions) {
  const partition = (i) => Buffer.concat([i32(i), i16(0), i64(0), i64(-1), i64(0), uvarint(1), uvarint(0), uvarint(0)]);
  const body = Buffer.concat([
    uvarint(2), compactString(topic), uvarint(partitions + 1), ...Array.from({ length: partitions }, (_, i) => partition(i)),
    uvarint(0), i32(0), uvarint(0),
  ]);
  return sized(Buffer.concat([i32(corr), uvarint(0), body]));
}

/** Fetch v12 (flexible) from offset 0 of partitions 0..n-1 of one topic, no session. */
export function fetch(corr, topic, partitions) {
  const header = Buffer.concat([i16(1), i16(12), i32(corr), i16(5), Buffer.from("alloc"), uvarint(0)]);
  const partition = (i) => Buffer.concat([i32(i), i32(-1), i64(0), i32(-1), i64(-1), i32(1 << 20), uvarint(0)]);
  const body = Buffer.concat([
    i32(-1), i32(500), i32(1), i32(50 << 20), Buffer.from([0]), i32(0), i32(-1), // replica, wait, min, max, isolation, session, epoch
    uvarint(2), compactString(topic), uvarint(partitions + 1), ...Array.from({ length: partitions }, (_, i) => partition(i)), uvarint(0),
    uvarint(1), compactString(""), uvarint(0), // no forgotten topics, rack id, tagged fields
  ]);
  return sized(Buffer.concat([header, body]));
}

/** Fetch v12's answer: partition i of `topic` carries batches[i]. */
export function fetchResponse(corr, topic, batches) {
  return fetchResponseTopics(corr, [[topic, batches]]);
}

/**
 * Fetch v12's answer of several topics: [name, batches, { aborted, leader }], partition i of each
 * carrying batches[i]; `aborted` aborted transactions in each partition, and with `leader` each
 * partition names its current leader (a tagged field after the records).
 */
export function fetchResponseTopics(corr, topics) {
  const partition = ({ aborted = 0, leader = false }) => (b, i) => Buffer.concat([
    i32(i), i16(0), i64(1000), i64(1000), i64(0), // index, error, offsets
    uvarint(aborted + 1), ...Array.from({ length: aborted }, (_, k) => Buffer.concat([i64(7000 + k), i64(k), uvarint(0)])),
    i32(-1), uvarint(b.length + 1), b, // no preferred replica, records
    ...(leader ? [uvarint(1), uvarint(1), uvarint(9), i32(1), i32(5), uvarint(0)] : [uvarint(0)]),
  ]);
  const topic = ([name, batches, options = {}]) =>
    Buffer.concat([compactString(name), uvarint(batches.length + 1), ...batches.map(partition(options)), uvarint(0)]);
  const body = Buffer.concat([
    i32(0), i16(0), i32(0), // throttle, error, session
    uvarint(topics.length + 1), ...topics.map(topic), uvarint(0),
  ]);
  return sized(Buffer.concat([i32(corr), uvarint(0), body]));
}

/** Metadata v12 for one topic by name (no auto-creation), as the bench and most clients send it. */
/** Metadata v1 (client id "test") naming `names`, each as its UTF-8 bytes under an int16 length. */
export function metadataV1(corr, names) {
  const header = Buffer.concat([i16(3), i16(1), i32(corr), i16(4), Buffer.from("test")]);
  return sized(Buffer.concat([header, i32(names.length), ...names.map((s) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]))]));
}

export function metadata(corr, topic) {
  const header = Buffer.concat([i16(3), i16(12), i32(corr), i16(5), Buffer.from("alloc"), uvarint(0)]);
  const body = Buffer.concat([uvarint(2), Buffer.alloc(16), compactString(topic), uvarint(0), Buffer.from([0, 0]), uvarint(0)]);
  return sized(Buffer.concat([header, body]));
}

/** Metadata v12 for every topic (a listing). */
export function metadataListing(corr) {
  const header = Buffer.concat([i16(3), i16(12), i32(corr), i16(5), Buffer.from("alloc"), uvarint(0)]);
  return sized(Buffer.concat([header, uvarint(0), Buffer.from([0, 0]), uvarint(0)]));
}

/** Metadata v12's answer: one broker, `topic` (id `id`, 16 bytes) with one partition led by it. */
export function metadataResponse(corr, topic, id) {
  return metadataResponseTopics(corr, [[topic, id, 1]]);
}

/** Metadata v12's answer: one broker, and for each [topic, id, partitions] the topic with that many partitions led by it. */
export function metadataResponseTopics(corr, topics) {
  const partition = (p) => Buffer.concat([i16(0), i32(p), i32(1), i32(0), uvarint(2), i32(1), uvarint(2), i32(1), uvarint(1), uvarint(0)]);
  const topicBytes = ([topic, id, partitions]) => Buffer.concat([i16(0), compactString(topic), id, Buffer.from([0]), uvarint(partitions + 1),
    ...Array.from({ length: partitions }, (_, p) => partition(p)), i32(-2147483648), uvarint(0)]);
  const broker = Buffer.concat([i32(1), compactString("127.0.0.1"), i32(9092), uvarint(0), uvarint(0)]);
  const body = Buffer.concat([i32(0), uvarint(2), broker, compactString("cluster"), i32(1), uvarint(topics.length + 1), ...topics.map(topicBytes), uvarint(0)]);
  return sized(Buffer.concat([i32(corr), uvarint(0), body]));
}

/** DescribeTopicPartitions v0 for every topic (a listing, as Kafka's admin client pages through them). */
export function describeTopicPartitionsListing(corr) {
  const header = Buffer.concat([i16(75), i16(0), i32(corr), i16(5), Buffer.from("alloc"), uvarint(0)]);
  return sized(Buffer.concat([header, uvarint(1), i32(2000), Buffer.from([0xff]), uvarint(0)]));
}

/** ApiVersions v3 (flexible; request header v2), as Kafka's Java client sends it first on every connection. */
export function apiVersions(corr) {
  const header = Buffer.concat([i16(18), i16(3), i32(corr), i16(5), Buffer.from("alloc"), uvarint(0)]);
  return sized(Buffer.concat([header, compactString("java"), compactString("4.4.0"), uvarint(0)]));
}

/**
 * The [api key, min, max] ranges a Kafka 4.4.0 broker answers ApiVersions with (its listener's
 * APIs; Produce offered from v0 for old clients' version negotiation, KAFKA-18659).
 */
export const KAFKA_44_API_RANGES = [[0,0,13],[1,4,18],[2,1,11],[3,0,13],[8,2,10],[9,1,10],[10,0,6],[11,0,9],[12,0,4],[13,0,5],
  [14,0,5],[15,0,6],[16,0,5],[17,0,1],[18,0,5],[19,2,7],[20,1,6],[21,0,2],[22,0,5],[23,2,4],[24,0,5],[25,0,4],[26,0,5],[27,1,2],
  [28,0,6],[29,1,3],[30,1,3],[31,1,3],[32,1,4],[33,0,2],[34,1,2],[35,1,5],[36,0,2],[37,0,3],[38,1,3],[39,1,2],[40,1,2],[41,1,3],
  [42,0,3],[43,0,2],[44,0,1],[45,0,1],[46,0,0],[47,0,0],[48,0,1],[49,0,1],[50,0,0],[51,0,0],[55,0,2],[57,0,2],[60,0,2],[61,0,0],
  [64,0,0],[65,0,0],[66,0,2],[68,0,1],[69,0,1],[74,0,1],[75,0,0],[76,1,1],[77,1,1],[78,1,2],[79,1,2],[80,0,1],[81,0,0],[83,0,0],
  [84,0,0],[85,0,1],[86,0,0],[87,0,1],[88,0,1],[89,0,1],[90,0,1],[91,0,0],[92,0,0],[93,0,0],[94,0,0]];

/** ApiVersions v3's answer (response header v0, as for every ApiVersions version) offering `ranges`, no features. */
export function apiVersionsResponse(corr, ranges) {
  const body = Buffer.concat([i16(0), uvarint(ranges.length + 1), ...ranges.map(([k, lo, hi]) => Buffer.concat([i16(k), i16(lo), i16(hi), uvarint(0)])),
    i32(0), uvarint(0)]);
  return sized(Buffer.concat([i32(corr), body]));
}

/** ListGroups v5 (flexible; request header v2): every group, of every state and type. */
export function listGroups(corr) {
  const header = Buffer.concat([i16(16), i16(5), i32(corr), i16(5), Buffer.from("alloc"), uvarint(0)]);
  return sized(Buffer.concat([header, uvarint(1), uvarint(1), uvarint(0)]));
}

/** ListGroups v5's answer listing `groups` (consumer groups, Stable). */
export function listGroupsResponse(corr, groups) {
  const entry = (g) => Buffer.concat([compactString(g), compactString("consumer"), compactString("Stable"), compactString("consumer"), uvarint(0)]);
  const body = Buffer.concat([i32(0), i16(0), uvarint(groups.length + 1), ...groups.map(entry), uvarint(0)]);
  return sized(Buffer.concat([i32(corr), uvarint(0), body]));
}
