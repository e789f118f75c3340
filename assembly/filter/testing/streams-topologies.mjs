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
//   - existing topics go on; a topology is trusted for a minute, "no such group" for two seconds,
//     and neither after a join went through; a lookup answered NOT_COORDINATOR is told to the
//     member; limits.createTopics applies to the stored topology's missing topics (counts derived
//     from sources asked of the broker), and a topic deleted through the filter is looked up
//     again; thousands of other groups push out no group in use;
//   - a review of that (against 9dd7cd6): a lookup's refusal is told only on its own connection;
//     a leave goes on at once; no source topic is named to a principal that may not describe it;
//     what is kept of topologies is bounded by all their names, sources included.
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
    allow("User:CN=bob", "GROUP", "app2moved", "READ"), allow("User:CN=carol", "GROUP", "new", "READ"), allow("User:CN=carol", "GROUP", "app2moved", "READ"),
    allow("User:CN=bob", "GROUP", "new-", "READ", "PREFIXED"),
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
const heartbeat = (corr, group, topology = null, epoch = topology ? 0 : 3) => message("request", 88, 0, corr, {
  groupId: group, memberId: "bWVtYmVyLWlkLW9mLWFsaWNl", memberEpoch: epoch, endpointInformationEpoch: 0,
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

function start(config = POLICY) {
  const h = new Host(WASM, { config });
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

/**
 * `c`'s heartbeats `corr` and `corr + 1` for `group`, answered COORDINATOR_LOAD_IN_PROGRESS while
 * the broker answers the filter's lookups: the group's topology (`subtopologies`), then the
 * partition counts (`counts`, [name, n]) of the topics asked about.
 */
function lookedUp(c, group, corr, subtopologies, counts) {
  c.feed(DOWNSTREAM, heartbeat(corr, group));
  c.fresh(DOWNSTREAM);
  c.feed(UPSTREAM, described(corr, group, subtopologies));
  c.fresh(UPSTREAM);
  c.feed(DOWNSTREAM, heartbeat(corr + 1, group));
  c.fresh(DOWNSTREAM);
  c.feed(UPSTREAM, metadataAnswer(corr + 1, counts));
  c.fresh(UPSTREAM);
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
  lookedUp(bob, "app2", 1, [sub("0", { sourceTopics: ["orders"], stateChangelogTopics: [info("app2-changelog")] })], [["app2-changelog", 6]]);
  const hb = heartbeat(3, "app2");
  bob.feed(DOWNSTREAM, hb);
  check("with every topic of the topology in place, bob's heartbeat goes on unchanged", bob.fresh(DOWNSTREAM).equals(hb));
  bob.feed(UPSTREAM, heartbeatAnswer(3));
  check("and its answer comes back", answer(bob, 3).errorCode === 0);

  // A minute on: the group may have been deleted and created again with another topology, so
  // it is asked about again before the next heartbeat is judged; then whether the topic exists.
  h.advance(61_000);
  bob.feed(DOWNSTREAM, heartbeat(4, "app2"));
  let out = bob.fresh(DOWNSTREAM);
  check("a minute later the group's topology is asked again before its heartbeat goes on", apiKeyOf(out) === 89, `api key ${apiKeyOf(out)}`);
  bob.feed(UPSTREAM, described(4, "app2", [sub("0", { sourceTopics: ["orders"], stateChangelogTopics: [info("app2-changelog")] })]));
  check("whose answer the client never sees: the member is told to retry", answer(bob, 4).errorCode === 14);
  bob.feed(DOWNSTREAM, heartbeat(5, "app2"));
  out = bob.fresh(DOWNSTREAM);
  check("then whether the topic still exists", apiKeyOf(out) === 3, `api key ${apiKeyOf(out)}`);
  bob.feed(UPSTREAM, metadataAnswer(5, [["app2-changelog", 6]]));
  bob.fresh(UPSTREAM);
  const next = heartbeat(6, "app2");
  bob.feed(DOWNSTREAM, next);
  check("then the heartbeat goes on", bob.fresh(DOWNSTREAM).equals(next));
}

// No such group yet: the heartbeat goes on (the broker answers it); "no such group" is trusted
// for two seconds, and forgotten when a join goes through.
{
  const bob = h.client("bob");
  bob.feed(DOWNSTREAM, heartbeat(1, "new"));
  bob.fresh(DOWNSTREAM);
  bob.feed(UPSTREAM, described(1, "new", null));
  check("no such group: the member retries", answer(bob, 1).errorCode === 14);
  const hb = heartbeat(2, "new");
  bob.feed(DOWNSTREAM, hb);
  check("then goes on", bob.fresh(DOWNSTREAM).equals(hb));
  bob.feed(UPSTREAM, heartbeatAnswer(2));
  bob.fresh(UPSTREAM);
  h.advance(3_000);
  bob.feed(DOWNSTREAM, heartbeat(3, "new"));
  check("three seconds later the group is asked about again before its heartbeat goes on", apiKeyOf(bob.fresh(DOWNSTREAM)) === 89);
  bob.feed(UPSTREAM, described(3, "new", null));
  bob.fresh(UPSTREAM);
  // carol joins the group through this VM (her topology may become the group's): bob's next
  // heartbeat is not judged on "no such group".
  const carol = h.client("carol");
  const join = heartbeat(1, "new", { epoch: 0, subtopologies: [sub("0", { sourceTopics: [] })] });
  carol.feed(DOWNSTREAM, join);
  check("carol's join goes on (no such group, her topology names nothing to create)", carol.fresh(DOWNSTREAM).equals(join));
  bob.feed(DOWNSTREAM, heartbeat(4, "new"));
  check("after a join went through, the group is asked about again before bob's heartbeat goes on", apiKeyOf(bob.fresh(DOWNSTREAM)) === 89);
}

// The broker answers the lookup NOT_COORDINATOR (the coordinator moved): the member is told so,
// and looks for the new one, rather than being told to retry here without end.
{
  const bob = h.client("bob");
  bob.feed(DOWNSTREAM, heartbeat(1, "app2moved"));
  bob.fresh(DOWNSTREAM);
  bob.feed(UPSTREAM, message("response", 89, 0, 1, { throttleTimeMs: 0, groups: [{ errorCode: 16, errorMessage: null, groupId: "app2moved",
    groupState: "", groupEpoch: -1, assignmentEpoch: -1, topology: null, members: [], authorizedOperations: -2147483648 }] }));
  check("while the lookup is answered, the member is told to retry", answer(bob, 1).errorCode === 14);
  bob.feed(DOWNSTREAM, heartbeat(2, "app2moved"));
  check("bob's retry does not reach the broker", answeredByFilter(bob, 2));
  check("and is told NOT_COORDINATOR", answer(bob, 2).errorCode === 16);
}

// A lookup's refusal is the connection's own: carol, another principal on another connection
// (another broker, perhaps), is not told the answer bob's lookup got.
for (const code of [16, 29]) {
  const vm = start(JSON.stringify({ allowEveryoneIfNoAclFound: false, acls: [allow("User:CN=bob", "GROUP", "g", "READ"), allow("User:CN=carol", "GROUP", "g", "READ")] }));
  const bob = vm.client("bob"), carol = vm.client("carol");
  bob.feed(DOWNSTREAM, heartbeat(1, "g"));
  bob.fresh(DOWNSTREAM);
  bob.feed(UPSTREAM, message("response", 89, 0, 1, { throttleTimeMs: 0, groups: [{ errorCode: code, errorMessage: null, groupId: "g",
    groupState: "", groupEpoch: -1, assignmentEpoch: -1, topology: null, members: [], authorizedOperations: -2147483648 }] }));
  bob.fresh(UPSTREAM);
  carol.feed(DOWNSTREAM, heartbeat(7, "g"));
  const out = carol.fresh(DOWNSTREAM);
  check(`bob's lookup answered ${code}: carol's heartbeat for the group is looked up on her connection, not answered ${code}`, apiKeyOf(out) === 89,
    `api key ${apiKeyOf(out)}`);
}

// limits.createTopics applies to the stored topology's missing topics too: a changelog whose count
// the broker derives from a source of 500 partitions, past maxPartitions 12, for carol, who may create it.
{
  const c = start(JSON.stringify({ ...JSON.parse(POLICY), limits: { createTopics: { maxPartitions: 12 } } })).client("carol");
  c.feed(DOWNSTREAM, heartbeat(1, "app"));
  c.fresh(DOWNSTREAM);
  c.feed(UPSTREAM, described(1, "app", [sub("0", { sourceTopics: ["events"], stateChangelogTopics: [info("app-agg-changelog")] })]));
  c.fresh(UPSTREAM);
  c.feed(DOWNSTREAM, heartbeat(2, "app"));
  const lookup = c.fresh(DOWNSTREAM);
  check("carol may create it, but the limits bound partitions: whether it exists is asked", apiKeyOf(lookup) === 3);
  c.feed(UPSTREAM, metadataAnswer(2, [["app-agg-changelog", 0]]));
  c.fresh(UPSTREAM);
  c.feed(DOWNSTREAM, heartbeat(3, "app"));
  const counts = c.fresh(DOWNSTREAM);
  const askedCounts = apiKeyOf(counts) === 3 ? decode(counts, true, 3, 12).body.topics.map((t) => t.name).join() : "";
  check("missing: the source's partition count is asked", askedCounts === "events", `api key ${apiKeyOf(counts)} ${askedCounts}`);
  c.feed(UPSTREAM, metadataAnswer(3, [["events", 500]]));
  const waiting = answer(c, 3);
  check("the retry's message names no source topic (carol may not describe them)", waiting.errorCode === 14 && !waiting.errorMessage.includes("events"),
    JSON.stringify(waiting));
  c.feed(DOWNSTREAM, heartbeat(4, "app"));
  const out = c.fresh(DOWNSTREAM);
  let refused = null;
  if (apiKeyOf(out) === 18) {
    c.feed(UPSTREAM, apiVersionsResponse(4, KAFKA_44_API_RANGES));
    refused = decode(c.fresh(UPSTREAM), false, 88, 0).body;
  }
  check("the heartbeat is refused STREAMS_INVALID_TOPOLOGY, naming the changelog", refused !== null && refused.errorCode === 130 &&
    refused.errorMessage.includes("app-agg-changelog"), JSON.stringify(refused) + ` api key ${apiKeyOf(out)}`);
}

// An internal topic deleted through the filter is looked up again at the next heartbeat: its
// existence, learnt ten seconds ago, would let the broker create it again past the limits.
{
  const policy = JSON.parse(POLICY);
  const c = start(JSON.stringify({ ...policy, acls: [...policy.acls, allow("User:CN=carol", "TOPIC", "app-", "DELETE", "PREFIXED")],
    limits: { createTopics: { maxPartitions: 12 } } })).client("carol");
  lookedUp(c, "app", 1, [sub("0", { sourceTopics: ["events"], stateChangelogTopics: [info("app-agg-changelog")] })], [["app-agg-changelog", 6]]);
  const hb = heartbeat(3, "app");
  c.feed(DOWNSTREAM, hb);
  check("the changelog exists: carol's heartbeat goes on", c.fresh(DOWNSTREAM).equals(hb));
  c.feed(UPSTREAM, heartbeatAnswer(3));
  c.fresh(UPSTREAM);
  c.feed(DOWNSTREAM, message("request", 20, 6, 4, { topics: [{ name: "app-agg-changelog", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }], timeoutMs: 30000 }));
  check("carol deletes it", apiKeyOf(c.fresh(DOWNSTREAM)) === 20);
  c.feed(UPSTREAM, message("response", 20, 6, 4, { throttleTimeMs: 0,
    responses: [{ name: "app-agg-changelog", topicId: "BBBBBBBBBBBBBBBBBBBBBB", errorCode: 0, errorMessage: null }] }));
  c.fresh(UPSTREAM);
  c.feed(DOWNSTREAM, heartbeat(5, "app"));
  const out = c.fresh(DOWNSTREAM);
  check("her next heartbeat, a second later, waits for its existence to be asked again", apiKeyOf(out) === 3, `api key ${apiKeyOf(out)}`);
}

// A member leaving creates nothing: its heartbeat goes on at once, whatever the filter knows.
{
  const bob = start().client("bob");
  const leave = heartbeat(1, "app", null, -1);
  bob.feed(DOWNSTREAM, leave);
  check("a leave heartbeat (epoch -1) of bob's, in a VM that knows nothing of the group, goes on unchanged", bob.fresh(DOWNSTREAM).equals(leave));
}

// What the filter keeps of stored topologies is bounded by every name it keeps: 200 groups whose
// topologies read 3,000 sources of 240 characters each (about 3 MiB of names per group).
{
  const vm = start();
  const bob = vm.client("bob");
  const sources = Array.from({ length: 3000 }, (_, i) => "s".repeat(234) + String(i).padStart(6, "0"));
  const before = vm.x.memory.buffer.byteLength;
  for (let g = 0; g < 200; g++) {
    bob.feed(DOWNSTREAM, heartbeat(g, "new-big-" + g));
    bob.fresh(DOWNSTREAM);
    bob.feed(UPSTREAM, described(g, "new-big-" + g, [sub("0", { sourceTopics: sources, stateChangelogTopics: [info("new-big-" + g + "-changelog")] })]));
    bob.fresh(UPSTREAM);
  }
  const grown = (vm.x.memory.buffer.byteLength - before) / 1048576;
  check("200 such topologies learnt grow the VM by less than 64 MiB", grown < 64, `${grown.toFixed(0)} MiB`);
}

// A client heartbeating for thousands of groups does not push out a group members heartbeat for.
{
  const many = start();
  const carol = many.client("carol");
  carol.feed(DOWNSTREAM, heartbeat(1, "app"));
  carol.fresh(DOWNSTREAM);
  carol.feed(UPSTREAM, described(1, "app", STORED));
  carol.fresh(UPSTREAM);
  const bob = many.client("bob");
  let corr = 1, asked = 0, lookups = 0;
  for (let g = 0; g < 3000; g++) {
    bob.feed(DOWNSTREAM, heartbeat(corr, "new-" + g));
    if (apiKeyOf(bob.fresh(DOWNSTREAM)) === 89) lookups++;
    bob.feed(UPSTREAM, described(corr++, "new-" + g, null));
    bob.fresh(UPSTREAM);
    if (g % 700 === 699) {
      const hb = heartbeat(1, "app");
      carol.feed(DOWNSTREAM, hb);
      const out = carol.fresh(DOWNSTREAM);
      if (!out.equals(hb)) asked++;
      else { carol.feed(UPSTREAM, heartbeatAnswer(1)); carol.fresh(UPSTREAM); }
    }
  }
  check("carol's group, heartbeated for between 3,000 groups of bob's (each looked up), is not asked about again", asked === 0 && lookups === 3000,
    `${asked} times; ${lookups} lookups`);
}

done();
