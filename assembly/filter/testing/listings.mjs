// Metadata answers the filter cuts or adds to, under the mock Envoy host, at every version.
// Listings (every topic asked): the client
// gets the broker's answer without the topics the principal may not DESCRIBE (and, in a
// listing, without those that have no name), byte for byte what decoding the answer, dropping
// those topics and encoding it again makes (build/codecs.js); an answer whose every topic may
// be seen, exactly as the broker sent it. The filter decides listings from the answer's view
// and cuts the hidden entries out of the broker's bytes (enforce/apis/topics.ts cutTopics):
// these checks hold that to the codecs. Answers are the oracle's (Kafka's own classes, random
// values: odd names, tagged fields), their topics renamed and repeated. Named topics, some
// refused: the broker's answer, less what may not be seen, then the refused topics.
// With filter.brokerAddresses, the same answers with their brokers readdressed (brokers read and
// written again, the rest spliced as above: enforce/addresses.ts readdressMetadata), also
// byte for byte what the codecs write. Authorized operations asked for (Metadata v8+) and
// always reported (DescribeTopicPartitions): the policy's written over the broker's in the
// shown topics; DescribeTopicPartitions' named topics cut and added to as Metadata's, and its
// listings answered by the filter from a Metadata listing, paged as Kafka pages them.
// ListGroups at every version: the groups the principal may not DESCRIBE cut the same way
// (groups.ts DescribableGroupsOnly).
//
//   node assembly/filter/testing/listings.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";
import { metadataListing, metadataResponseTopics, describeTopicPartitionsListing, produce, batch } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { codecs, template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

const POLICY = JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [
    { principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" },
    { principal: "User:*", host: "*", resourceType: "GROUP", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "DESCRIBE", permissionType: "ALLOW" },
  ],
});

const METADATA = 3;
const versions = Array.from({ length: 13 }, (_, v) => v);

/** A listing request at `version`: no topic list (v1+), an empty one (v0); nothing that makes the filter fill operations. */
function listing(version, corr) {
  const t = template("request", METADATA, version);
  t.header = { ...t.header, correlationId: corr };
  t.body.topics = version === 0 ? [] : null;
  if (version >= 4) t.body.allowAutoTopicCreation = false;
  if (version >= 8) t.body.includeTopicAuthorizedOperations = false;
  if (version >= 8 && version <= 10) t.body.includeClusterAuthorizedOperations = false;
  return frame(t, true, METADATA, version);
}

/**
 * The oracle's answer at `version` with `names.length` topics (its own, repeated), named
 * `names` (null: no name, v12+).
 */
function answer(version, corr, names) {
  const t = template("response", METADATA, version);
  const own = t.body.topics;
  if (own.length === 0) throw new Error(`the oracle's Metadata v${version} answer has no topics`);
  t.header = { correlationId: corr };
  t.body.topics = names.map((name, k) => ({ ...own[k % own.length], name }));
  // Ids and ports filter.brokerAddresses can name (the oracle's are random); the rest stays odd.
  t.body.brokers = t.body.brokers.map((b, k) => ({ ...b, nodeId: k + 1, port: 1 + (Math.abs(b.port) % 65535), host: b.host || "h" }));
  return t;
}

/** POLICY with filter.brokerAddresses `rules` ({id, host, port} each). */
const withAddresses = (rules) => JSON.stringify({ ...JSON.parse(POLICY), filter: { brokerAddresses: rules } });

/** The answer's brokers as `rules` readdress them. */
function readdress(t, rules) {
  const brokers = t.body.brokers.map((b) => {
    const r = rules.find((x) => x.id === b.nodeId);
    return r === undefined ? b : { ...b, host: r.host, port: r.port };
  });
  return { ...t, body: { ...t.body, brokers } };
}

function exchange(version, names, rules = []) {
  const h = new Host(WASM, { config: rules.length > 0 ? withAddresses(rules) : POLICY });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs));
  const c = h.connect(5);
  const corr = 4242;
  c.feed(DOWNSTREAM, listing(version, corr));
  const t = answer(version, corr, names);
  const broker = frame(t, false, METADATA, version);
  c.feed(UPSTREAM, broker);
  const kept = readdress({ ...t, body: { ...t.body, topics: t.body.topics.filter((x) => x.name !== null && x.name.startsWith("ok.")) } }, rules);
  return { got: c.output(UPSTREAM), broker, brokers: t.body.brokers, expected: frame(kept, false, METADATA, version), closed: c.closed, upstream: c.output(DOWNSTREAM),
    decoded: h.metric("kafka.responses_decoded") };
}

for (const v of versions) {
  const nullable = v >= 12;
  // Shown and hidden, first and last, runs of each; no name (v12+) hidden in a listing.
  const mixed = ["secret.a", "ok.b", "ok.c", "secret.d", nullable ? null : "secret.e", "ok.f", "secret.g"];
  const cases = [
    ["some hidden", mixed],
    ["all shown", ["ok.a", "ok.b", "ok.c"]],
    ["all hidden", ["secret.a", "secret.b"]],
    ["only the last shown", ["secret.a", "secret.b", "ok.c"]],
    ["only the first shown", ["ok.a", "secret.b", "secret.c"]],
  ];
  for (const [what, names] of cases) {
    const r = exchange(v, names);
    const name = `v${v} ${what}`;
    check(`${name}: the listing went on to the broker`, r.upstream.length > 0 && !r.closed);
    check(`${name}: the client gets the answer without the hidden topics, as the codecs write it`, r.got.equals(r.expected),
      `${r.got.length} bytes, expected ${r.expected.length}`);
    check(`${name}: decided from its view, not decoded (kafka.responses_decoded)`, r.decoded === 0n, `${r.decoded}`);
    if (names.every((n) => n !== null && n.startsWith("ok."))) check(`${name}: exactly the broker's bytes`, r.got.equals(r.broker));
    // Readdressed: the first broker (host and port new), the last one to its own address (no
    // change), an id the answer does not name; then rules that change nothing.
    const brokers = r.brokers;
    if (brokers.length === 0) throw new Error(`the oracle's Metadata v${v} answer has no brokers`);
    const last = brokers[brokers.length - 1];
    const rules = [{ id: brokers[0].nodeId, host: "envoy-listener.example", port: 29092 }, { id: last.nodeId, host: last.host, port: last.port }, { id: 999999, host: "nowhere", port: 1 }];
    const ra = exchange(v, names, rules);
    check(`${name}, readdressed: as the codecs write it with the first broker's address replaced`, ra.got.equals(ra.expected) && !ra.closed,
      `${ra.got.length} bytes, expected ${ra.expected.length}`);
    check(`${name}, readdressed: not decoded`, ra.decoded === 0n, `${ra.decoded}`);
    const same = exchange(v, names, rules.slice(1));
    check(`${name}, readdressed to where the brokers are: as without readdressing`, same.got.equals(r.got) && !same.closed);
  }
}

// Named topics, some refused: the request goes on without them and the answer comes back with
// them added (TOPIC_AUTHORIZATION_FAILED, as KafkaApis answers them), after the broker's own;
// a topic the broker added that the principal may not describe is cut.
function named(version, corr, names) {
  const t = template("request", METADATA, version);
  t.header = { ...t.header, correlationId: corr };
  t.body.topics = names.map((name) => (version >= 10 ? { topicId: "AAAAAAAAAAAAAAAAAAAAAA", name } : { name }));
  if (version >= 4) t.body.allowAutoTopicCreation = false;
  if (version >= 8) t.body.includeTopicAuthorizedOperations = false;
  if (version >= 8 && version <= 10) t.body.includeClusterAuthorizedOperations = false;
  return frame(t, true, METADATA, version);
}

function refusedEntry(version, name) {
  const e = { errorCode: 29, name };
  if (version >= 10) e.topicId = "AAAAAAAAAAAAAAAAAAAAAA";
  if (version >= 1) e.isInternal = false;
  e.partitions = [];
  if (version >= 8) e.topicAuthorizedOperations = -2147483648;
  return e;
}

for (const v of versions) {
  const asked = ["ok.a", "secret.b", "ok.c", "secret.d"];
  for (const [what, brokerNames] of [["some refused", ["ok.a", "ok.c"]], ["some refused, the broker adds one not to be seen", ["ok.a", "secret.z", "ok.c"]]]) {
    const h = new Host(WASM, { config: POLICY });
    if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs));
    const c = h.connect(6);
    const corr = 77;
    c.feed(DOWNSTREAM, named(v, corr, asked));
    const t = answer(v, corr, brokerNames);
    c.feed(UPSTREAM, frame(t, false, METADATA, v));
    const shown = t.body.topics.filter((x) => x.name.startsWith("ok."));
    const expected = frame({ ...t, body: { ...t.body, topics: [...shown, refusedEntry(v, "secret.b"), refusedEntry(v, "secret.d")] } }, false, METADATA, v);
    const got = c.output(UPSTREAM);
    check(`v${v} named, ${what}: the broker's topics then the refused ones, as the codecs write them`, got.equals(expected) && !c.closed,
      `${got.length} bytes, expected ${expected.length}`);
  }
}


/** One request and the broker's answer through a fresh VM under `config`: what each side got. */
function roundTrip(config, request, answerFrame) {
  const h = new Host(WASM, { config });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs));
  const c = h.connect(7);
  c.feed(DOWNSTREAM, request);
  const upstream = c.output(DOWNSTREAM);
  c.feed(UPSTREAM, answerFrame);
  return { got: c.output(UPSTREAM), upstream, closed: c.closed, decoded: h.metric("kafka.responses_decoded") };
}

// Kafka's AclOperation codes of what a topic's authorized operations report (READ, WRITE,
// CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS): POLICY allows them all on ok.*.
const ALL_TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);
const shownWithOperations = (topics) => topics.filter((x) => x.name !== null && x.name.startsWith("ok."))
  .map((x) => ({ ...x, topicAuthorizedOperations: ALL_TOPIC_OPERATIONS }));

for (const v of versions.filter((v) => v >= 8)) {
  for (const [what, names] of [["some hidden", ["secret.a", "ok.b", "ok.c", "secret.d", "ok.f"]], ["all shown", ["ok.a", "ok.b"]]]) {
    const corr = 515;
    const t = template("request", METADATA, v);
    t.header = { ...t.header, correlationId: corr };
    t.body.topics = null;
    t.body.allowAutoTopicCreation = false;
    t.body.includeTopicAuthorizedOperations = true;
    if (v <= 10) t.body.includeClusterAuthorizedOperations = false;
    const a = answer(v, corr, names);
    const r = roundTrip(POLICY, frame(t, true, METADATA, v), frame(a, false, METADATA, v));
    const expected = frame({ ...a, body: { ...a.body, topics: shownWithOperations(a.body.topics) } }, false, METADATA, v);
    check(`v${v} listing with authorized operations, ${what}: the shown topics with the policy's operations, as the codecs write them, not decoded`,
      r.got.equals(expected) && !r.closed && r.decoded === 0n, `${r.got.length} bytes, expected ${expected.length}; decoded ${r.decoded}`);
  }
}

const DESCRIBE_TOPIC_PARTITIONS = 75;
/** How many size-prefixed frames `b` holds. */
function splitCount(b) {
  let n = 0;
  for (let p = 0; p + 4 <= b.length; p += 4 + b.readInt32BE(p)) n++;
  return n;
}
const ZERO_ID = "AAAAAAAAAAAAAAAAAAAAAA";

function describeTopicPartitions(version, corr, names) {
  const t = template("request", DESCRIBE_TOPIC_PARTITIONS, version);
  t.header = { ...t.header, correlationId: corr };
  t.body = { topics: names.map((name) => ({ name })), responsePartitionLimit: 2000, cursor: null };
  return frame(t, true, DESCRIBE_TOPIC_PARTITIONS, version);
}

/** The oracle's DescribeTopicPartitions answer with topics named `names` (its own, repeated) and next cursor `cursor`. */
function describedPartitions(version, corr, names, cursor) {
  const t = template("response", DESCRIBE_TOPIC_PARTITIONS, version);
  const own = t.body.topics;
  t.header = { correlationId: corr };
  t.body.topics = names.map((name, k) => ({ ...own[k % own.length], name }));
  t.body.nextCursor = cursor === null ? null : { topicName: cursor, partitionIndex: 3 };
  return t;
}

// A listing (no topic named) is answered by the filter from a Metadata listing of its own, sent
// in its place, and paged as Kafka pages it (DescribeTopicPartitionsRequestHandler, then
// KRaftMetadataCache.describeTopicResponse): the topics at or after the cursor that the
// principal may describe, in order, until the page's partitions. The broker behind the filter
// paged over every topic, so hidden topics decided where pages ended: the page a client gets
// must be the same whether hidden topics exist or not, from any cursor, at any limit.
{
  const v = 0;
  const LISTING_POLICY = JSON.stringify({
    allowEveryoneIfNoAclFound: false,
    acls: [
      { principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" },
      { principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.payroll", resourcePatternType: "LITERAL", operation: "DESCRIBE", permissionType: "DENY" },
    ],
  });
  const idOf = (name) => Buffer.from(name.padEnd(16, "_").slice(0, 16)).toString("base64url");
  const visible = [["ok.b", 1], ["ok.a", 3], ["ok.d", 4], ["ok.c", 2], ["ok.pay", 2]];
  const hidden = [["ok.payroll", 5], ["oj", 2], ["secret.x", 3], ["ok-zz", 1]];
  const metadataAnswer = (corr, topics) => {
    const t = template("response", METADATA, 12);
    t.header = { correlationId: corr };
    t.body = { throttleTimeMs: 0, brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }], clusterId: "c", controllerId: 1,
      topics: topics.map(([name, n]) => ({ errorCode: 0, name, topicId: idOf(name), isInternal: false, topicAuthorizedOperations: -2147483648,
        // Out of order, as nothing promises them in order.
        partitions: Array.from({ length: n }, (_, i) => n - 1 - i).map((p) => ({ errorCode: 0, partitionIndex: p, leaderId: 1, leaderEpoch: 7 + p,
          replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [2] })) })) };
    return frame(t, false, METADATA, 12);
  };
  const listingFrom = (corr, cursor, limit) => {
    const t = template("request", DESCRIBE_TOPIC_PARTITIONS, v);
    t.header = { ...t.header, correlationId: corr };
    t.body = { topics: [], responsePartitionLimit: limit, cursor };
    return frame(t, true, DESCRIBE_TOPIC_PARTITIONS, v);
  };
  /** Kafka's page: names and partition indexes, and the next cursor (the model of the two classes above). */
  const kafkaPage = (topics, cursor, limit) => {
    const from = cursor === null ? "" : cursor.topicName;
    const names = topics.filter(([name]) => name >= from && name.startsWith("ok.") && name !== "ok.payroll").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let remaining = Math.max(Math.min(2000, limit), 1);
    const page = [];
    let next = null;
    for (const [name, n] of names) {
      if (remaining === 0) { next = { topicName: name, partitionIndex: 0 }; break; }
      const start = name === from ? cursor.partitionIndex : 0;
      const upper = Math.min(n, start + remaining);
      const parts = [];
      for (let p = start; p < upper; p++) parts.push(p);
      page.push([name, parts]);
      if (upper < n) { next = { topicName: name, partitionIndex: upper }; break; }
      remaining -= parts.length;
    }
    return { page, next };
  };
  const seenPage = (bytes) => {
    const text = bytes.length > 4 ? codecs.decode(bytes.subarray(4), false, DESCRIBE_TOPIC_PARTITIONS, v) : null;
    if (!text) return { page: "no answer", next: null, body: { topics: [] } };
    const body = JSON.parse(text).body;
    return { page: body.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]), next: body.nextCursor, body };
  };
  const run = (topics, cursor, limit) => {
    const h = new Host(WASM, { config: LISTING_POLICY });
    if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs));
    const c = h.connect(9);
    const corr = 640;
    c.feed(DOWNSTREAM, listingFrom(corr, cursor, limit));
    const sent = c.output(DOWNSTREAM);
    let asked = null;
    try { asked = { head: [sent.readInt16BE(4), sent.readInt16BE(6), sent.readInt32BE(8)], body: JSON.parse(codecs.decode(sent.subarray(4), true, METADATA, 12)).body }; } catch { /* not Metadata */ }
    const early = c.output(UPSTREAM).length;
    c.feed(UPSTREAM, metadataAnswer(corr, topics));
    return { asked, early, got: c.output(UPSTREAM), closed: c.closed };
  };
  const cursors = [null, { topicName: "", partitionIndex: 0 }, { topicName: "ok.a", partitionIndex: 1 }, { topicName: "ok.b", partitionIndex: 0 },
    { topicName: "ok.c", partitionIndex: 1 }, { topicName: "ok.p", partitionIndex: 0 }, { topicName: "ok.payroll", partitionIndex: 2 },
    { topicName: "ok.payroll\0", partitionIndex: 0 }, { topicName: "ok.a", partitionIndex: 9 }, { topicName: "zzz", partitionIndex: 0 }];
  let same = 0, asKafka = 0, asMetadata = 0, cases = 0;
  const wrong = [];
  for (const cursor of cursors) {
    for (const limit of [1, 2, 3, 5, 7, 100, 0, -5]) {
      cases++;
      const withHidden = run([...hidden.slice(0, 2), ...visible, ...hidden.slice(2)], cursor, limit);
      const without = run(visible, cursor, limit);
      const what = `cursor ${JSON.stringify(cursor)} limit ${limit}`;
      if (withHidden.asked && withHidden.asked.head[0] === METADATA && withHidden.asked.head[2] === 640 && withHidden.asked.body.topics === null &&
        withHidden.asked.body.allowAutoTopicCreation === false && withHidden.early === 0) asMetadata++;
      else wrong.push(`${what}: the broker was not asked a Metadata listing first, or the client answered early: ${JSON.stringify(withHidden.asked?.head)}`);
      if (withHidden.got.equals(without.got) && !withHidden.closed) same++;
      else wrong.push(`${what}: the page differs when hidden topics exist: ${JSON.stringify(seenPage(withHidden.got).page)} vs ${JSON.stringify(seenPage(without.got).page)}`);
      const got = seenPage(withHidden.got);
      const want = kafkaPage(visible, cursor, limit);
      if (JSON.stringify([got.page, got.next]) === JSON.stringify([want.page, want.next])) asKafka++;
      else wrong.push(`${what}: ${JSON.stringify([got.page, got.next])}, Kafka ${JSON.stringify([want.page, want.next])}`);
    }
  }
  check(`DescribeTopicPartitions listing: the broker is asked a Metadata listing in its place, and the client answered after it (${asMetadata}/${cases})`, asMetadata === cases, wrong.slice(0, 3).join("; "));
  check(`DescribeTopicPartitions listing: the page is the same whether hidden topics exist or not, from every cursor, at every limit (${same}/${cases})`, same === cases, wrong.slice(0, 3).join("; "));
  check(`DescribeTopicPartitions listing: the page and next cursor are Kafka's (${asKafka}/${cases})`, asKafka === cases, wrong.slice(0, 3).join("; "));
  // One page in full: the partitions as Metadata gives them, eligible leader replicas empty, the policy's operations.
  const one = seenPage(run(visible, null, 100).got).body;
  const b = one.topics.find((t) => t.name === "ok.a");
  check("DescribeTopicPartitions listing: a topic's entry written from Metadata's", b !== undefined && b.errorCode === 0 && b.topicId === idOf("ok.a") && b.isInternal === false &&
    b.topicAuthorizedOperations === ALL_TOPIC_OPERATIONS && JSON.stringify(b.partitions[2]) === JSON.stringify({ errorCode: 0, partitionIndex: 2, leaderId: 1,
      leaderEpoch: 9, replicaNodes: [1, 2], isrNodes: [1], eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [2] }), JSON.stringify(b));
  // Each listing costs the broker a whole Metadata listing, read by the filter at once: a
  // client pages one page at a time; a third pipelined listing closes the connection.
  {
    const h = new Host(WASM, { config: LISTING_POLICY });
    if (!h.start()) throw new Error("configure failed");
    const c = h.connect(10);
    c.feed(DOWNSTREAM, Buffer.concat([listingFrom(650, null, 5), listingFrom(651, null, 5)]));
    check("DescribeTopicPartitions listings: two in flight on a connection go on", !c.closed && (splitCount(c.output(DOWNSTREAM)) === 2));
    c.feed(DOWNSTREAM, listingFrom(652, null, 5));
    check("DescribeTopicPartitions listings: a third in flight closes the connection", c.closed,
      JSON.stringify(h.logs.slice(-2).map((l) => l.msg)));
    const paged = new Host(WASM, { config: LISTING_POLICY });
    paged.start();
    const p = paged.connect(11);
    for (let k = 0; k < 5; k++) {
      p.feed(DOWNSTREAM, listingFrom(660 + k, null, 5));
      p.feed(UPSTREAM, metadataAnswer(660 + k, visible));
    }
    check("DescribeTopicPartitions listings: paged one at a time, any number go on", !p.closed && splitCount(p.output(UPSTREAM)) === 5);
  }
  // A cursor before the first partition: Kafka refuses the request before it lists; the broker is asked as the client asked.
  const bad = listingFrom(641, { topicName: "ok.a", partitionIndex: -1 }, 5);
  const r = roundTrip(LISTING_POLICY, bad, frame({ header: { correlationId: 641 }, body: { throttleTimeMs: 0, topics: [], nextCursor: null } }, false, DESCRIBE_TOPIC_PARTITIONS, v));
  check("DescribeTopicPartitions listing from a cursor before the first partition: goes to the broker as sent", r.upstream.equals(bad));
}
for (const v of [0]) {
  // Named topics, some refused: the broker's shown ones, then the refused (Kafka's default operations).
  const asked = ["ok.a", "secret.b", "ok.c", "secret.d"];
  for (const [what, brokerNames] of [["some refused", ["ok.a", "ok.c"]], ["some refused, the broker adds one not to be seen", ["ok.a", "secret.z", "ok.c"]]]) {
    const corr = 717;
    const a = describedPartitions(v, corr, brokerNames, null);
    const r = roundTrip(POLICY, describeTopicPartitions(v, corr, asked), frame(a, false, DESCRIBE_TOPIC_PARTITIONS, v));
    const refused = (name) => ({ errorCode: 29, name, topicId: ZERO_ID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 });
    const expected = frame({ ...a, body: { ...a.body, topics: [...shownWithOperations(a.body.topics), refused("secret.b"), refused("secret.d")] } },
      false, DESCRIBE_TOPIC_PARTITIONS, v);
    check(`DescribeTopicPartitions v${v} named, ${what}: the broker's shown topics with the policy's operations, then the refused ones, not decoded`,
      r.got.equals(expected) && !r.closed && r.decoded === 0n, `${r.got.length} bytes, expected ${expected.length}; decoded ${r.decoded}`);
  }
}


const LIST_GROUPS = 16;
for (let v = 0; v <= 5; v++) {
  for (const [what, names] of [["some hidden", ["secret.a", "ok.b", "ok.c", "secret.d", "ok.e"]], ["all shown", ["ok.a", "ok.b"]],
    ["all hidden", ["secret.a"]], ["only the last shown", ["secret.a", "ok.b"]]]) {
    const corr = 818;
    const q = template("request", LIST_GROUPS, v);
    q.header = { ...q.header, correlationId: corr };
    const t = template("response", LIST_GROUPS, v);
    const own = t.body.groups;
    if (own.length === 0) throw new Error(`the oracle's ListGroups v${v} answer has no groups`);
    t.header = { correlationId: corr };
    t.body.groups = names.map((groupId, k) => ({ ...own[k % own.length], groupId }));
    const broker = frame(t, false, LIST_GROUPS, v);
    const r = roundTrip(POLICY, frame(q, true, LIST_GROUPS, v), broker);
    const expected = frame({ ...t, body: { ...t.body, groups: t.body.groups.filter((g) => g.groupId.startsWith("ok.")) } }, false, LIST_GROUPS, v);
    check(`ListGroups v${v}, ${what}: the broker's answer without the hidden groups, as the codecs write it, not decoded`,
      r.upstream.length > 0 && r.got.equals(expected) && !r.closed && r.decoded === 0n, `${r.got.length} bytes, expected ${expected.length}; decoded ${r.decoded}`);
    if (names.every((n) => n.startsWith("ok."))) check(`ListGroups v${v}, ${what}: exactly the broker's bytes`, r.got.equals(broker));
  }
}

// A stream that ends inside a frame the filter holds: the broker's answer to a listing (and
// the filter's own Metadata request answering a DescribeTopicPartitions listing) cut by the
// broker's end of stream reached the client uncut, hidden topics named (the build of 55a8663
// sent held bytes on "as received"); a request cut by the client's end of stream reached the
// broker unjudged. What was held is dropped.
{
  const id = (c) => Buffer.alloc(16, c);
  const topics = [["secret.payroll", id(1), 3], ["ok.public", id(2), 1]];
  for (const [what, request] of [["Metadata", metadataListing(1)], ["DescribeTopicPartitions", describeTopicPartitionsListing(1)]]) {
    for (const cut of [1, 3, 40, 120]) {
      const h = new Host(WASM, { config: POLICY });
      if (!h.start()) throw new Error("configure failed");
      const c = h.connect(9);
      c.feed(DOWNSTREAM, request);
      const asked = c.output(DOWNSTREAM);
      const answer = metadataResponseTopics(asked.readInt32BE(8), topics);
      c.feed(UPSTREAM, answer.subarray(0, answer.length - cut));
      if (!c.closed) c.feed(UPSTREAM, Buffer.alloc(0), true);
      const got = c.output(UPSTREAM);
      check(`a ${what} listing whose answer the broker's end of stream cuts ${cut} bytes short: nothing of it reaches the client`,
        got.length === 0, `${got.length} bytes, naming secret.payroll: ${got.includes("secret.payroll")}`);
    }
  }
  const refused = produce(5, "secret.payroll", [batch(2, 100)]);
  for (const cut of [1, 30, refused.length - 6]) {
    const h = new Host(WASM, { config: POLICY });
    if (!h.start()) throw new Error("configure failed");
    const c = h.connect(9);
    c.feed(DOWNSTREAM, refused.subarray(0, refused.length - cut), true);
    check(`a Produce to a refused topic cut ${cut} bytes short by the client's end of stream: nothing of it reaches the broker`,
      c.output(DOWNSTREAM).length === 0, `${c.output(DOWNSTREAM).length} bytes`);
  }
}

done();
