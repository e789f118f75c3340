// Leaders' endpoints (KIP-951) under filter.brokerAddresses. A Produce (v10+), Fetch (v16+),
// ShareFetch or ShareAcknowledge answer whose partition lost its leader names the new leader's
// host and port (NodeEndpoints). Kafka's Java client takes that address over the one it had for
// the broker id (Metadata.updatePartitionLeadership), so an endpoint left as the broker wrote it
// sends the client straight to the broker, past Envoy and the policy. So, with
// filter.brokerAddresses:
//   - every endpoint of a broker id the rules name reaches the client with the rule's address,
//     the rest of the answer as the broker wrote it (decoded the same), for every version;
//   - answers with no endpoint, or only ones already right or of ids no rule names, go on byte
//     for byte, decoded (kafka.responses_decoded) no more than without the rules;
//   - a Fetch answer that spans reads, or lies whole in one read past filter.inPlaceFrameBytes,
//     is readdressed too (it is held, not streamed on as it arrives);
// and without filter.brokerAddresses the answers go on untouched.
//
//   node assembly/filter/testing/leader-endpoints.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";
import { batch, produceTopics } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { codecs, template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

const RULES = [{ id: 1, host: "envoy-1.example", port: 19094 }, { id: 2, host: "envoy-2.example", port: 19104 }];
const policy = (filter) => JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [
    { principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" },
    { principal: "User:*", host: "*", resourceType: "GROUP", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" },
  ],
  filter,
});
const TOPIC = "ok.moved", TOPIC_ID = "b2subW92ZWQtdG9waWMtaQ";
const NOT_LEADER = 6;

function message(kind, apiKey, version, corr, body) {
  const t = template(kind, apiKey, version);
  t.header = kind === "request" ? { ...t.header, correlationId: corr, clientId: "leader-endpoints" } : { correlationId: corr };
  t.body = body;
  return frame(t, kind === "request", apiKey, version);
}
const decode = (bytes, isRequest, apiKey, version) => JSON.parse(codecs.decode(bytes.subarray(4), isRequest, apiKey, version));

let nextId = 100;
function connect(filter) {
  const h = new Host(WASM, { config: policy(filter) });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-1)));
  const c = h.connect(nextId++);
  const seen = { [DOWNSTREAM]: 0, [UPSTREAM]: 0 };
  c.fresh = (type) => { const all = c.output(type); const out = all.subarray(seen[type]); seen[type] = all.length; return out; };
  // The broker names the topic and its id: requests by topic id are decided on it.
  c.feed(DOWNSTREAM, message("request", 3, 12, 1, { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: TOPIC }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
  c.fresh(DOWNSTREAM);
  c.feed(UPSTREAM, message("response", 3, 12, 1, {
    throttleTimeMs: 0, brokers: [{ nodeId: 1, host: "broker-1.internal", port: 9092, rack: null }], clusterId: "c", controllerId: 1,
    clusterAuthorizedOperations: -2147483648,
    topics: [{ errorCode: 0, name: TOPIC, topicId: TOPIC_ID, isInternal: false, topicAuthorizedOperations: -2147483648,
      partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] }],
  }));
  c.fresh(UPSTREAM);
  return { h, c };
}

const endpoint = (nodeId, host, port) => ({ nodeId, host, port, rack: nodeId === 2 ? "rack-b" : null });
const MOVED = [endpoint(2, "broker-2.internal", 9102), endpoint(3, "broker-3.internal", 9112)];

// Requests and answers of each API and version, the answer naming `endpoints`.
const leader = { leaderId: 2, leaderEpoch: 5 };
const cases = [];
for (const version of [10, 11, 12, 13]) {
  cases.push({
    api: "Produce", apiKey: 0, version,
    request: (corr) => version < 13 ? produceTopics(corr, [[TOPIC, [batch(1, 10)]]], { version })
      : message("request", 0, version, corr, { transactionalId: null, acks: 1, timeoutMs: 30000,
        topicData: [{ name: "", topicId: TOPIC_ID, partitionData: [{ index: 0, records: batch(1, 10).toString("base64") }] }] }),
    answer: (corr, endpoints) => message("response", 0, version, corr, {
      responses: [{ name: version < 13 ? TOPIC : "", topicId: version < 13 ? "AAAAAAAAAAAAAAAAAAAAAA" : TOPIC_ID, partitionResponses: [{ index: 0,
        errorCode: endpoints.length > 0 ? NOT_LEADER : 0, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [],
        errorMessage: null, currentLeader: endpoints.length > 0 ? leader : { leaderId: -1, leaderEpoch: -1 } }] }],
      throttleTimeMs: 0, nodeEndpoints: endpoints }),
  });
}
const fetchRequest = (version) => (corr) => message("request", 1, version, corr, {
  clusterId: null, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 0,
  sessionId: 0, sessionEpoch: -1, topics: [{ topic: "", topicId: TOPIC_ID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0,
    lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1048576, replicaDirectoryId: "AAAAAAAAAAAAAAAAAAAAAA", highWatermark: -1 }] }],
  forgottenTopicsData: [], rackId: "" });
const fetchAnswer = (version, records = "") => (corr, endpoints) => message("response", 1, version, corr, {
  throttleTimeMs: 0, errorCode: 0, sessionId: 0,
  responses: [{ topic: "", topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, errorCode: endpoints.length > 0 ? NOT_LEADER : 0,
    highWatermark: 1, lastStableOffset: 1, logStartOffset: 0, divergingEpoch: { epoch: -1, endOffset: -1 },
    currentLeader: endpoints.length > 0 ? leader : { leaderId: -1, leaderEpoch: -1 }, snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: [], preferredReadReplica: -1, records }] }],
  nodeEndpoints: endpoints });
for (const version of [16, 17, 18]) cases.push({ api: "Fetch", apiKey: 1, version, request: fetchRequest(version), answer: fetchAnswer(version) });
const MEMBER = "bGVhZGVyLWVuZHBvaW50czA";
for (const version of [1, 2]) {
  const shareFetch = {
    api: "ShareFetch", apiKey: 78, version,
    request: (corr) => message("request", 78, version, corr, { groupId: "ok.share", memberId: MEMBER, shareSessionEpoch: 0, maxWaitMs: 500, minBytes: 1,
      maxBytes: 1048576, maxRecords: 500, batchSize: 500, shareAcquireMode: 0, isRenewAck: false,
      topics: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] }),
    answer: (corr, endpoints) => message("response", 78, version, corr, {
      throttleTimeMs: 0, errorCode: 0, errorMessage: null, acquisitionLockTimeoutMs: 30000, nodeEndpoints: endpoints,
      responses: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, errorCode: endpoints.length > 0 ? NOT_LEADER : 0, errorMessage: null,
        acknowledgeErrorCode: 0, acknowledgeErrorMessage: null, currentLeader: endpoints.length > 0 ? leader : { leaderId: -1, leaderEpoch: -1 },
        records: "", acquiredRecords: [] }] }] }),
  };
  cases.push(shareFetch);
  cases.push({
    api: "ShareAcknowledge", apiKey: 79, version,
    // In the share session a full ShareFetch of this connection opened.
    setup: (c) => {
      c.feed(DOWNSTREAM, shareFetch.request(5));
      c.fresh(DOWNSTREAM);
      c.feed(UPSTREAM, shareFetch.answer(5, []));
      c.fresh(UPSTREAM);
    },
    request: (corr) => message("request", 79, version, corr, { groupId: "ok.share", memberId: MEMBER, shareSessionEpoch: 1, isRenewAck: false,
      topics: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [1] }] }] }] }),
    answer: (corr, endpoints) => message("response", 79, version, corr, {
      throttleTimeMs: 0, errorCode: 0, errorMessage: null, acquisitionLockTimeoutMs: 30000, nodeEndpoints: endpoints,
      responses: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, errorCode: endpoints.length > 0 ? NOT_LEADER : 0, errorMessage: null,
        currentLeader: endpoints.length > 0 ? leader : { leaderId: -1, leaderEpoch: -1 } }] }] }),
  });
}

const readdress = (endpoints) => endpoints.map((e) => {
  const r = RULES.find((x) => x.id === e.nodeId);
  return r === undefined ? e : { ...e, host: r.host, port: r.port };
});
/** One round trip of `k` on a fresh connection: what reached the client, and how many answers the VM decoded. */
function roundTrip(k, endpoints, filter, split = 0) {
  const { h, c } = connect(filter);
  if (k.setup) k.setup(c);
  c.feed(DOWNSTREAM, k.request(7));
  const sent = c.fresh(DOWNSTREAM);
  const broker = k.answer(7, endpoints);
  const before = h.metric("kafka.responses_decoded");
  if (split > 0) for (let at = 0; at < broker.length; at += split) c.feed(UPSTREAM, broker.subarray(at, at + split));
  else c.feed(UPSTREAM, broker);
  return { sent, broker, got: c.fresh(UPSTREAM), decoded: Number(h.metric("kafka.responses_decoded") - before), closed: c.closed };
}
const WITH_RULES = { brokerAddresses: RULES };

for (const k of cases) {
  const name = `${k.api} v${k.version}`;
  const moved = roundTrip(k, MOVED, WITH_RULES);
  check(`${name}: the request goes on`, moved.sent.length > 0 && moved.sent.readInt16BE(4) === k.apiKey, `${moved.sent.length} bytes`);
  if (moved.got.length === 0) { check(`${name}: the answer reaches the client`, false, moved.closed ? "closed" : "nothing"); continue; }
  const got = decode(moved.got, false, k.apiKey, k.version);
  const want = decode(moved.broker, false, k.apiKey, k.version);
  check(`${name}: the leaders' endpoints name Envoy's listeners where a rule names the broker`,
    JSON.stringify(got.body.nodeEndpoints) === JSON.stringify(readdress(want.body.nodeEndpoints)), JSON.stringify(got.body.nodeEndpoints));
  check(`${name}: the rest of the answer is the broker's`,
    JSON.stringify({ ...got, body: { ...got.body, nodeEndpoints: [] } }) === JSON.stringify({ ...want, body: { ...want.body, nodeEndpoints: [] } }));
  // (A ShareFetch answer is decoded whatever the rules: its share session's check rewrites it.)
  for (const [what, endpoints] of [["no endpoint", []], ["endpoints already Envoy's", readdress(MOVED.slice(0, 1))], ["an id no rule names", [endpoint(3, "broker-3.internal", 9112)]]]) {
    const r = roundTrip(k, endpoints, WITH_RULES);
    const without = roundTrip(k, endpoints, {});
    check(`${name}, ${what}: byte for byte, decoded no more than without rules`, r.got.equals(r.broker) && r.decoded === without.decoded,
      `${r.got.length} of ${r.broker.length} bytes, ${r.decoded} decoded (${without.decoded} without rules)`);
  }
  const plain = roundTrip(k, MOVED, {});
  check(`${name}, no filter.brokerAddresses: untouched`, plain.got.equals(plain.broker));
}

// A large Fetch answer: whole in one read (decided in place), and spanning reads (held, where
// without rules it streams on as it arrives).
const records = Buffer.concat(Array.from({ length: 40 }, () => batch(10, 200))).toString("base64");
const large = { api: "Fetch", apiKey: 1, version: 18, request: fetchRequest(18), answer: fetchAnswer(18, records) };
for (const [what, split] of [["in one read", 0], ["in 16 KiB reads", 16384], ["in 1000-byte reads", 1000]]) {
  const r = roundTrip(large, MOVED, WITH_RULES, split);
  const got = r.got.length > 0 ? decode(r.got, false, 1, 18).body : null;
  check(`a ${r.broker.length}-byte Fetch v18 answer ${what}: its endpoints readdressed, its records the broker's`,
    got !== null && JSON.stringify(got.nodeEndpoints) === JSON.stringify(readdress(MOVED)) && got.responses[0].partitions[0].records === records,
    got === null ? (r.closed ? "closed" : "nothing") : JSON.stringify(got.nodeEndpoints));
  const none = roundTrip(large, [], WITH_RULES, split);
  check(`the same answer ${what} with no endpoint: byte for byte`, none.got.equals(none.broker) && none.decoded === 0);
}

done();
