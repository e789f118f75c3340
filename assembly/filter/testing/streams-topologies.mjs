// A streams group's stored topology, under the mock Envoy host. Every StreamsGroupHeartbeat,
// not only a member's join, can make the broker create the missing internal topics of the
// topology its group stored, and Kafka checks CREATE for the principal heartbeating
// (KafkaApis.handleStreamsGroupHeartbeat). A heartbeat after the join carries no topology, and
// the group's may have come from another principal: on 261e0b7 and before the filter checked
// only the topology a request carried, so bob (READ on the group, no CREATE) had the broker
// create the group's missing topics by heartbeating as a member (member ids are the client's
// own and StreamsGroupDescribe shows them). Now:
//   - the filter asks the broker for the group's topology (a StreamsGroupDescribe of its own),
//     answering the heartbeat COORDINATOR_LOAD_IN_PROGRESS meanwhile; then whether the topics
//     bob may not create exist (a Metadata of its own); a missing one refuses the heartbeat
//     TOPIC_AUTHORIZATION_FAILED naming it, and nothing reaches the broker;
//   - so does a join carrying a harmless topology of an older epoch (the broker keeps its own);
//   - a principal with CREATE on the topics, or on the cluster, goes on without asking more;
//   - existing topics go on; "no such group" is trusted for a minute; a known topology is used
//     while it is asked again ahead of the heartbeat.
//
//   node assembly/filter/testing/streams-topologies.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";
import { apiVersionsResponse, KAFKA_44_API_RANGES } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { codecs, template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

const allow = (principal, resourceType, resourceName, operation, resourcePatternType = "LITERAL") =>
  ({ principal, host: "*", resourceType, resourceName, resourcePatternType, operation, permissionType: "ALLOW" });
const POLICY = JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [
    allow("User:CN=bob", "GROUP", "app", "READ"), allow("User:CN=bob", "GROUP", "app2", "READ"), allow("User:CN=bob", "GROUP", "new", "READ"),
    allow("User:CN=carol", "GROUP", "app", "READ"), allow("User:CN=carol", "TOPIC", "app-", "CREATE", "PREFIXED"),
    allow("User:CN=dave", "GROUP", "app", "READ"), allow("User:CN=dave", "CLUSTER", "kafka-cluster", "CREATE"),
  ],
});
const CHANGELOG = "app-store-changelog", REPARTITION = "app-rep-repartition";

function message(kind, apiKey, version, corr, body) {
  const t = template(kind, apiKey, version);
  t.header = kind === "request" ? { ...t.header, correlationId: corr, clientId: "streams-topologies" } : { correlationId: corr };
  t.body = { ...t.body, ...body };
  return frame(t, kind === "request", apiKey, version);
}
const decode = (bytes, isRequest, apiKey, version) => JSON.parse(codecs.decode(bytes.subarray(4), isRequest, apiKey, version));
const apiKeyOf = (b) => b.length >= 6 ? b.readInt16BE(4) : -1;

const info = (name, partitions = 0) => ({ name, partitions, replicationFactor: 0, topicConfigs: [] });
const sub = (id, over) => ({
  subtopologyId: id, sourceTopics: [], sourceTopicRegex: [], stateChangelogTopics: [], repartitionSinkTopics: [],
  repartitionSourceTopics: [], copartitionGroups: [], ...over,
});
/** A member's heartbeat after its join (no topology), or with `topology`. */
const heartbeat = (corr, group, topology = null) => message("request", 88, 0, corr, {
  groupId: group, memberId: "bWVtYmVyLWlkLW9mLWFsaWNl", memberEpoch: topology ? 0 : 3, endpointInformationEpoch: 0,
  rebalanceTimeoutMs: 30000, topology, activeTasks: topology ? [] : null, standbyTasks: topology ? [] : null, warmupTasks: topology ? [] : null,
  processId: topology ? "p" : null, clientTags: topology ? [] : null, taskOffsets: topology ? [] : null, taskEndOffsets: topology ? [] : null,
  shutdownApplication: false,
});
/** The broker's StreamsGroupDescribe answer: `group` with the stored topology (null: no such group). */
const described = (corr, group, subtopologies) => message("response", 89, 0, corr, {
  throttleTimeMs: 0,
  groups: [{
    errorCode: subtopologies ? 0 : 69, errorMessage: null, groupId: group, groupState: subtopologies ? "not_ready" : "", groupEpoch: 1,
    assignmentEpoch: 0, topology: subtopologies ? { epoch: 1, subtopologies } : null, members: [], authorizedOperations: -2147483648,
  }],
});
const STORED = [
  sub("0", { sourceTopics: ["orders"], repartitionSinkTopics: [REPARTITION] }),
  sub("1", { repartitionSourceTopics: [info(REPARTITION, 4)], stateChangelogTopics: [info(CHANGELOG)] }),
];
/** The broker's answer to a heartbeat that reached it. */
const heartbeatAnswer = (corr) => message("response", 88, 0, corr, {
  throttleTimeMs: 0, errorCode: 0, errorMessage: null, memberId: "bWVtYmVyLWlkLW9mLWFsaWNl", memberEpoch: 3, heartbeatIntervalMs: 5000,
  acceptableRecoveryLagLegacy: 0, taskOffsetIntervalMs: 60000, status: [], partitionsByUserEndpoint: null,
});
/** The broker's Metadata answer: each of `topics` [name, partitions] (0: no such topic). */
const metadataAnswer = (corr, topics) => message("response", 3, 12, corr, {
  throttleTimeMs: 0, brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }], clusterId: "c", controllerId: 1,
  topics: topics.map(([name, n]) => ({
    errorCode: n > 0 ? 0 : 3, name, topicId: "AAAAAAAAAAAAAAAAAAAAAA", isInternal: false, topicAuthorizedOperations: -2147483648,
    partitions: Array.from({ length: n }, (_, p) => ({ errorCode: 0, partitionIndex: p, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] })),
  })),
});

function start() {
  const h = new Host(WASM, { config: POLICY });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-1)));
  let next = 100;
  /** A TLS client `cn`, and what its connection has sent each way since the last look. */
  h.client = (cn) => {
    const id = next++;
    const c = h.connect(id, { "source.address": "10.1.1.1:5000", "connection.subject_peer_certificate": "CN=" + cn, "destination.address": "127.0.0.1:19094" });
    const seen = { [DOWNSTREAM]: 0, [UPSTREAM]: 0 };
    c.fresh = (type) => { const all = c.output(type); const out = all.subarray(seen[type]); seen[type] = all.length; return out; };
    return c;
  };
  return h;
}
/**
 * Whether what `c` sent the broker since the last look is only the filter's stand-in for a
 * request it answered itself (an ApiVersions keeping the broker's answers in order), which the
 * broker then answers.
 */
function answeredByFilter(c, corr) {
  const out = c.fresh(DOWNSTREAM);
  if (apiKeyOf(out) !== 18 || out.readInt32BE(0) + 4 !== out.length) return false;
  c.feed(UPSTREAM, apiVersionsResponse(corr, KAFKA_44_API_RANGES));
  return true;
}
/** The one frame `c`'s client got since the last look, decoded as a heartbeat answer. */
function answer(c, corr) {
  const out = c.fresh(UPSTREAM);
  if (out.length < 8 || out.readInt32BE(0) + 4 !== out.length) return { frames: out.length, errorCode: null };
  const r = decode(out, false, 88, 0);
  return { ...r.body, corr: r.header.correlationId };
}

// bob, no CREATE: asked, asked, refused.
const h = start();
{
  const bob = h.client("bob");
  bob.feed(DOWNSTREAM, heartbeat(1, "app"));
  const ask = bob.fresh(DOWNSTREAM);
  check("the heartbeat does not reach the broker while the group's topology is unknown", apiKeyOf(ask) === 89 && ask.length === ask.readInt32BE(0) + 4,
    `api key ${apiKeyOf(ask)}, ${ask.length} bytes`);
  check("the filter asks the broker to describe the group", apiKeyOf(ask) === 89 && decode(ask, true, 89, 0).body.groupIds.join() === "app");
  bob.feed(UPSTREAM, described(1, "app", STORED));
  let a = answer(bob, 1);
  check("the member is told to retry (COORDINATOR_LOAD_IN_PROGRESS), in place of the describe's answer", a.errorCode === 14 && a.corr === 1, JSON.stringify(a));

  bob.feed(DOWNSTREAM, heartbeat(2, "app"));
  const lookup = bob.fresh(DOWNSTREAM);
  const asked = apiKeyOf(lookup) === 3 ? decode(lookup, true, 3, 12).body.topics.map((t) => t.name).sort().join() : "";
  check("then asks whether the topics bob may not create exist", asked === [CHANGELOG, REPARTITION].sort().join(), `api key ${apiKeyOf(lookup)} ${asked}`);
  bob.feed(UPSTREAM, metadataAnswer(2, [[CHANGELOG, 3], [REPARTITION, 0]]));
  a = answer(bob, 2);
  check("and has the member retry", a.errorCode === 14, JSON.stringify(a));
  check("without naming the topics, which bob may not describe (the existing one stays unnamed to him)",
    a.errorCode === 14 && !a.errorMessage.includes(CHANGELOG) && !a.errorMessage.includes(REPARTITION), JSON.stringify(a));

  bob.feed(DOWNSTREAM, heartbeat(3, "app"));
  check("the retry does not reach the broker", answeredByFilter(bob, 3));
  a = answer(bob, 3);
  check("it is refused TOPIC_AUTHORIZATION_FAILED, naming the missing topic bob may not create, not the existing one",
    a.errorCode === 29 && a.errorMessage.includes(REPARTITION) && !a.errorMessage.includes(CHANGELOG), JSON.stringify(a));
  check("the refusal is logged, naming the topic", h.logs.some((l) => /denied StreamsGroupHeartbeat/.test(l.msg) && l.msg.includes(REPARTITION)),
    JSON.stringify(h.logs.slice(-3).map((l) => l.msg)));

  // A join carrying a topology of its own, older than the group's: the broker keeps the group's.
  bob.feed(DOWNSTREAM, heartbeat(4, "app", { epoch: 0, subtopologies: [sub("0", { sourceTopics: [] })] }));
  check("a join with a harmless topology of an older epoch does not reach the broker either", answeredByFilter(bob, 4));
  a = answer(bob, 4);
  check("and is refused the same way", a.errorCode === 29 && a.errorMessage.includes(REPARTITION), JSON.stringify(a));
}

// carol may create app-*: the known topology needs nothing more; dave may create any topic.
{
  const carol = h.client("carol");
  const hb = heartbeat(1, "app");
  carol.feed(DOWNSTREAM, hb);
  check("carol (CREATE on app-*) goes on at once, her heartbeat unchanged", carol.fresh(DOWNSTREAM).equals(hb));
  const fresh = start();
  const dave = fresh.client("dave");
  dave.feed(DOWNSTREAM, hb);
  check("dave (CREATE on the cluster) goes on at once in a VM that knows nothing of the group", dave.fresh(DOWNSTREAM).equals(hb));
}

// Every topic exists: bob goes on.
{
  const bob = h.client("bob");
  bob.feed(DOWNSTREAM, heartbeat(1, "app2"));
  bob.fresh(DOWNSTREAM);
  bob.feed(UPSTREAM, described(1, "app2", [sub("0", { sourceTopics: ["orders"], stateChangelogTopics: [info("app2-changelog")] })]));
  bob.fresh(UPSTREAM);
  bob.feed(DOWNSTREAM, heartbeat(2, "app2"));
  bob.fresh(DOWNSTREAM);
  bob.feed(UPSTREAM, metadataAnswer(2, [["app2-changelog", 6]]));
  bob.fresh(UPSTREAM);
  const hb = heartbeat(3, "app2");
  bob.feed(DOWNSTREAM, hb);
  check("with every topic of the topology in place, bob's heartbeat goes on unchanged", bob.fresh(DOWNSTREAM).equals(hb));
  bob.feed(UPSTREAM, heartbeatAnswer(3));
  check("and its answer comes back", answer(bob, 3).errorCode === 0);

  // A minute on: the topology is asked again ahead of the next heartbeat, which is judged meanwhile
  // on what is known (a group keeps its topology for life); whether the topic exists is asked again first.
  h.advance(61_000);
  bob.feed(DOWNSTREAM, heartbeat(4, "app2"));
  let out = bob.fresh(DOWNSTREAM);
  check("a minute later, whether the topic still exists is asked again", apiKeyOf(out) === 3, `api key ${apiKeyOf(out)}`);
  bob.feed(UPSTREAM, metadataAnswer(4, [["app2-changelog", 6]]));
  bob.fresh(UPSTREAM);
  const next = heartbeat(5, "app2");
  bob.feed(DOWNSTREAM, next);
  out = bob.fresh(DOWNSTREAM);
  const size = out.length >= 4 ? out.readInt32BE(0) + 4 : 0;
  check("then the stale topology is asked again ahead of the heartbeat, which goes on", apiKeyOf(out) === 89 && out.subarray(size).equals(next),
    `api key ${apiKeyOf(out)}, ${out.length} bytes`);
  bob.feed(UPSTREAM, described(5, "app2", [sub("0", { sourceTopics: ["orders"], stateChangelogTopics: [info("app2-changelog")] })]));
  check("whose answer the client never sees", bob.fresh(UPSTREAM).length === 0);
}

// No such group yet: the heartbeat goes on (the broker answers it); "no topology" is trusted for a minute.
{
  const bob = h.client("bob");
  bob.feed(DOWNSTREAM, heartbeat(1, "new"));
  bob.fresh(DOWNSTREAM);
  bob.feed(UPSTREAM, described(1, "new", null));
  check("no such group: the member retries", answer(bob, 1).errorCode === 14);
  const hb = heartbeat(2, "new");
  bob.feed(DOWNSTREAM, hb);
  check("then goes on", bob.fresh(DOWNSTREAM).equals(hb));
  h.advance(61_000);
  bob.feed(DOWNSTREAM, heartbeat(3, "new"));
  check("a minute later the group is asked about again before its heartbeat goes on", apiKeyOf(bob.fresh(DOWNSTREAM)) === 89);
}

done();
