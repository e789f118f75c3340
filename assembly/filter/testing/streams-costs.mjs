// What a streams group's heartbeats cost once the filter knows the group's stored topology
// (enforce/streams-topologies.ts), counted: build/filter-work.wasm calls env.log_execution at
// every function entry and loop iteration.
//
// Every heartbeat, of any member, is judged on the stored topology's internal topics (those
// the broker would create for the member heartbeating), and a heartbeat after the join carries
// none of the topology's bytes: a member joins once with a topology of thousands of internal
// topics and then sends heartbeats of 70 bytes. Each was judged on every internal topic again
// (an ACL check each): 735,000 steps a heartbeat for 8,000 topics on b2558d3, a chunk of a
// hundred pipelined heartbeats 73 million. Now what may be created without asking is judged
// once per principal and host for as long as the topology is kept. The work of 100 heartbeats
// after the first, for a topology of 8,000 internal topics the principal may create (CREATE on
// their prefix), within 1.5x of for 1,000.
//
//   node assembly/filter/testing/streams-costs.mjs [build/filter-work.wasm] [.cache/oracle/frames.jsonl]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";

const WASM = process.argv[2] || "build/filter-work.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

const allow = (principal, resourceType, resourceName, operation, resourcePatternType = "LITERAL") =>
  ({ principal, host: "*", resourceType, resourceName, resourcePatternType, operation, permissionType: "ALLOW" });
const POLICY = JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [allow("User:CN=carol", "GROUP", "app", "READ"), allow("User:CN=carol", "TOPIC", "app-", "CREATE", "PREFIXED")],
});

function message(kind, apiKey, version, corr, body) {
  const t = template(kind, apiKey, version);
  t.header = kind === "request" ? { ...t.header, correlationId: corr, clientId: "streams-costs" } : { correlationId: corr };
  t.body = { ...t.body, ...body };
  return frame(t, kind === "request", apiKey, version);
}
const info = (name) => ({ name, partitions: 0, replicationFactor: 0, topicConfigs: [] });
const sub = (id, over) => ({
  subtopologyId: id, sourceTopics: [], sourceTopicRegex: [], stateChangelogTopics: [], repartitionSinkTopics: [],
  repartitionSourceTopics: [], copartitionGroups: [], ...over,
});
/** A member's heartbeat after its join (no topology). */
const heartbeat = (corr) => message("request", 88, 0, corr, {
  groupId: "app", memberId: "bWVtYmVyLWlkLW9mLWFsaWNl", memberEpoch: 3, endpointInformationEpoch: 0, rebalanceTimeoutMs: 30000,
  topology: null, activeTasks: null, standbyTasks: null, warmupTasks: null, processId: null, clientTags: null,
  taskOffsets: null, taskEndOffsets: null, shutdownApplication: false,
});
/** The broker's StreamsGroupDescribe answer: group "app" storing `subtopologies`. */
const described = (corr, subtopologies) => message("response", 89, 0, corr, {
  throttleTimeMs: 0,
  groups: [{
    errorCode: 0, errorMessage: null, groupId: "app", groupState: "not_ready", groupEpoch: 1, assignmentEpoch: 0,
    topology: { epoch: 1, subtopologies }, members: [], authorizedOperations: -2147483648,
  }],
});

/** Work of 100 heartbeats pipelined, after the first, for a stored topology of `k` changelogs in 10 subtopologies. */
function heartbeats(k) {
  let entries = 0;
  const h = new Host(WASM, { config: POLICY, imports: { env: { log_execution: () => { entries++; } } } });
  if (!h.start()) throw new Error("configure failed");
  const c = h.connect(5, { "source.address": "10.1.1.1:5000", "connection.subject_peer_certificate": "CN=carol" });
  const subs = Array.from({ length: 10 }, (_, s) => sub(String(s), {
    stateChangelogTopics: Array.from({ length: k / 10 }, (_, i) => info(`app-s${s}-store${i}-changelog`)),
  }));
  c.feed(DOWNSTREAM, heartbeat(1)); // answered COORDINATOR_LOAD_IN_PROGRESS while the filter asks for the topology
  c.feed(UPSTREAM, described(1, subs));
  const first = heartbeat(2);
  c.sent[DOWNSTREAM] = [];
  c.feed(DOWNSTREAM, first);
  if (!c.output(DOWNSTREAM).equals(first)) throw new Error("the heartbeat did not go on: " + JSON.stringify(h.logs.slice(-2)));
  entries = 0;
  c.feed(DOWNSTREAM, Buffer.concat(Array.from({ length: 100 }, (_, i) => heartbeat(10 + i))));
  return entries;
}

const few = heartbeats(1000), many = heartbeats(8000);
check("100 heartbeats of a group storing 8,000 internal topics the member may create: work within 1.5x of for 1,000", many / few < 1.5,
  `${many} against ${few} (x${(many / few).toFixed(1)})`);

done();
