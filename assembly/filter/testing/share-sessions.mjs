// A share session is the member's, not the connection's: the broker keys it by group and member
// id, and a full ShareFetch from any connection replaces it. Under the mock Envoy host:
//   bob (READ on "public" and on group "shared") opens the session of member M with "public";
//   alice (READ on "secret") reopens M's session on her connection with "secret" (bob's full
//   fetch had ended hers); bob's next incremental ShareFetch, naming nothing, would be answered
//   by the broker from the session as it now is: secret's records, acquired for M.
// Kafka authorizes every partition of the session at every fetch. The filter keeps, in Envoy's
// shared data, whose connection last opened each session: bob's incremental fetch is answered
// SHARE_SESSION_NOT_FOUND, nothing reaches the broker. A session reopened through another Envoy
// is not seen here; then the answer is held to the session as this connection's checked
// requests named it: any other topic comes back with TOPIC_AUTHORIZATION_FAILED, no records
// and nothing acquired, logged as a refusal, and the rest of the answer is untouched.
// An opener is kept once the broker accepts the session: a reopening it refuses takes nothing;
// nor do sessions another principal opens of his own, aimed at alice's bucket or in thousands.
// A connection's sessions keep the topics of at most 10,000 (SHARE_SESSION_LIMIT_REACHED past it).
//
//   node assembly/filter/testing/share-sessions.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { codecs, template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

const acl = (principal, resourceType, resourceName) =>
  ({ principal, host: "*", resourceType, resourceName, resourcePatternType: "LITERAL", operation: "READ", permissionType: "ALLOW" });
const POLICY = JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [acl("User:CN=alice", "TOPIC", "secret"), acl("User:CN=alice", "GROUP", "shared"), acl("User:CN=bob", "TOPIC", "public"), acl("User:CN=bob", "GROUP", "shared")],
});
const PUBLIC = "cHVibGljLXRvcGljLWlkMQ", SECRET = "c2VjcmV0LXRvcGljLWlkMQ", UNSEEN = "dW5zZWVuLXRvcGljLWlkMQ";
const MEMBER = "QWxpY2VNZW1iZXJJZDAwMA"; // alice's member id (client-chosen; ShareGroupDescribe shows it)

function message(kind, apiKey, version, corr, body) {
  const t = template(kind, apiKey, version);
  t.header = kind === "request" ? { ...t.header, correlationId: corr, clientId: "share-sessions" } : { correlationId: corr };
  t.body = body;
  return frame(t, kind === "request", apiKey, version);
}
const decode = (bytes, isRequest, apiKey, version) => JSON.parse(codecs.decode(bytes.subarray(4), isRequest, apiKey, version));

const h = new Host(WASM, { config: POLICY });
if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-1)));
/** A TLS client `cn`, and what its connection has sent each way since the last look. */
function client(id, cn) {
  const connectionId = Buffer.alloc(8);
  connectionId.writeBigUInt64LE(BigInt(id));
  const c = h.connect(id, { "source.address": "10.1.1.1:5000", "connection.subject_peer_certificate": "CN=" + cn, "connection.id": connectionId,
    "destination.address": "127.0.0.1:19094" });
  const seen = { [DOWNSTREAM]: 0, [UPSTREAM]: 0 };
  c.fresh = (type) => { const all = c.output(type); const out = all.subarray(seen[type]); seen[type] = all.length; return out; };
  return c;
}
/** The broker names topics and their ids to `c` in a Metadata answer: the VM learns the ids. */
function learn(c, corr, topics) {
  c.feed(DOWNSTREAM, message("request", 3, 12, corr, { topics: topics.map(([name]) => ({ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
  c.fresh(DOWNSTREAM);
  c.feed(UPSTREAM, message("response", 3, 12, corr, {
    throttleTimeMs: 0, brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }], clusterId: "c", controllerId: 1, clusterAuthorizedOperations: -2147483648,
    topics: topics.map(([name, topicId]) => ({ errorCode: 0, name, topicId, isInternal: false, topicAuthorizedOperations: -2147483648,
      partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] })),
  }));
  c.fresh(UPSTREAM);
}
const shareFetch = (corr, epoch, ids) => message("request", 78, 1, corr, {
  groupId: "shared", memberId: MEMBER, shareSessionEpoch: epoch, maxWaitMs: 500, minBytes: 1, maxBytes: 1048576, maxRecords: 500, batchSize: 500,
  topics: ids.map((topicId) => ({ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] })), forgottenTopicsData: [] });
/** The broker's answer: each topic's partition 0 with `records` (text) and ten acquired records. */
const answer = (corr, topics) => message("response", 78, 1, corr, {
  throttleTimeMs: 0, errorCode: 0, errorMessage: null, acquisitionLockTimeoutMs: 30000, nodeEndpoints: [],
  responses: topics.map(([topicId, records]) => ({ topicId, partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null, acknowledgeErrorCode: 0,
    acknowledgeErrorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 }, records: Buffer.from(records).toString("base64"),
    acquiredRecords: records ? [{ firstOffset: 0, lastOffset: 9, deliveryCount: 1 }] : [] }] })) });
/** Per topic id of the answer `bytes`: [error, records as text, acquired count], as the client reads it. */
function got(bytes) {
  const body = decode(bytes, false, 78, 1).body;
  return Object.fromEntries(body.responses.map((r) => [r.topicId, r.partitions.map((p) => [p.errorCode, Buffer.from(p.records ?? "", "base64").toString(), p.acquiredRecords.length])]));
}

const bob = client(100, "bob"), alice = client(101, "alice");
learn(bob, 1, [["public", PUBLIC]]);
learn(alice, 1, [["secret", SECRET]]);

// bob opens M's session with public; alice reopens it with secret.
bob.feed(DOWNSTREAM, shareFetch(2, 0, [PUBLIC]));
check("bob's full ShareFetch of public goes on", bob.fresh(DOWNSTREAM).length > 0);
bob.feed(UPSTREAM, answer(2, [[PUBLIC, ""]]));
bob.fresh(UPSTREAM);
alice.feed(DOWNSTREAM, shareFetch(2, 0, [SECRET]));
check("alice's full ShareFetch of secret goes on", alice.fresh(DOWNSTREAM).length > 0);
alice.feed(UPSTREAM, answer(2, [[SECRET, ""]]));
alice.fresh(UPSTREAM);

// bob's incremental fetch would be answered from the session as alice left it: the filter saw
// her reopen it (Envoy's shared data, every VM's), so bob's session has ended.
let lines = h.logs.length;
bob.feed(DOWNSTREAM, shareFetch(3, 1, []));
const toBroker = bob.fresh(DOWNSTREAM);
check("bob's incremental ShareFetch after alice reopened the session: only the filter's probe reaches the broker",
  toBroker.length > 0 && toBroker.readInt16BE(4) === 18, `${toBroker.length} bytes, api ${toBroker.length > 6 ? toBroker.readInt16BE(4) : "-"}`);
bob.feed(UPSTREAM, message("response", 18, 0, 3, { errorCode: 0, apiKeys: [] }));
check("bob is told SHARE_SESSION_NOT_FOUND", decode(bob.fresh(UPSTREAM), false, 78, 1).body.errorCode === 122);
check("the refusal says the session was reopened by another principal", h.logs.slice(lines).some((l) => l.msg.includes("denied ShareFetch principal=User:CN=bob") &&
  l.msg.includes("reopened by another principal")), JSON.stringify(h.logs.slice(lines).map((l) => l.msg)));

// A session reopened through another Envoy in front of the same broker is not seen here: bob,
// the last opener here, goes on, and the broker's answer is held to what his connection checked.
bob.feed(DOWNSTREAM, shareFetch(4, 0, [PUBLIC]));
bob.fresh(DOWNSTREAM);
bob.feed(UPSTREAM, answer(4, [[PUBLIC, ""]]));
bob.fresh(UPSTREAM);
bob.feed(DOWNSTREAM, shareFetch(3, 1, []));
check("bob's incremental ShareFetch goes on (he opened the session last, as far as this Envoy saw)", bob.fresh(DOWNSTREAM).length > 0);
lines = h.logs.length;
bob.feed(UPSTREAM, answer(3, [[SECRET, "SECRET-RECORDS"], [PUBLIC, "PUBLIC-RECORDS"], [UNSEEN, "UNSEEN-RECORDS"]]));
const toBob = got(bob.fresh(UPSTREAM));
check("bob gets none of secret's records, TOPIC_AUTHORIZATION_FAILED, nothing acquired", JSON.stringify(toBob[SECRET]) === JSON.stringify([[29, "", 0]]), JSON.stringify(toBob));
check("bob gets public's records as the broker sent them", JSON.stringify(toBob[PUBLIC]) === JSON.stringify([[0, "PUBLIC-RECORDS", 1]]), JSON.stringify(toBob));
check("a topic whose id this VM has not seen: refused, no records", JSON.stringify(toBob[UNSEEN]) === JSON.stringify([[29, "", 0]]), JSON.stringify(toBob));
check("the refusal is logged for bob and secret", h.logs.slice(lines).some((l) => l.msg.includes("denied ShareFetch principal=User:CN=bob") && l.msg.includes("TOPIC:secret")),
  JSON.stringify(h.logs.slice(lines).map((l) => l.msg)));

// alice's own answer is hers, untouched (her client reopens the session bob took, then goes on).
alice.feed(DOWNSTREAM, shareFetch(5, 0, [SECRET]));
alice.fresh(DOWNSTREAM);
alice.feed(UPSTREAM, answer(5, [[SECRET, ""]]));
alice.fresh(UPSTREAM);
alice.feed(DOWNSTREAM, shareFetch(3, 1, []));
alice.fresh(DOWNSTREAM);
const hers = answer(3, [[SECRET, "SECRET-RECORDS"]]);
alice.feed(UPSTREAM, hers);
check("alice's answer with secret's records goes on byte for byte", alice.fresh(UPSTREAM).equals(hers));

// A full fetch naming a refused topic: its refusal answers it once, whatever the broker's answer holds.
bob.feed(DOWNSTREAM, shareFetch(4, 0, [PUBLIC, SECRET]));
const forwarded = decode(bob.fresh(DOWNSTREAM), true, 78, 1).body.topics.map((t) => t.topicId);
check("bob's full ShareFetch of public and secret goes on with public only", JSON.stringify(forwarded) === JSON.stringify([PUBLIC]), JSON.stringify(forwarded));
bob.feed(UPSTREAM, answer(4, [[PUBLIC, "PUBLIC-RECORDS"], [SECRET, "SECRET-RECORDS"]]));
const body = decode(bob.fresh(UPSTREAM), false, 78, 1).body;
const secretEntries = body.responses.filter((r) => r.topicId === SECRET);
check("secret is answered once, refused, without records", secretEntries.length === 1 && secretEntries[0].partitions.every((p) => p.errorCode === 29 && !p.records),
  JSON.stringify(body.responses));

// What may take a session's opener away, and what may not (the build of 55a8663 kept one
// opener per slot of an unkeyed 16,384-slot hash, written when a full fetch was asked for).
// alice holds M's session again; her incremental fetch goes on.
const holdsHers = (corr) => {
  alice.feed(DOWNSTREAM, shareFetch(corr, 1, []));
  const sent = alice.fresh(DOWNSTREAM);
  if (sent.length > 0 && sent.readInt16BE(4) === 78) {
    alice.feed(UPSTREAM, answer(corr, [[SECRET, ""]]));
    alice.fresh(UPSTREAM);
    return true;
  }
  alice.feed(UPSTREAM, message("response", 18, 0, corr, { errorCode: 0, apiKeys: [] })); // the filter's probe, answered
  alice.fresh(UPSTREAM);
  return false;
};
alice.feed(DOWNSTREAM, shareFetch(6, 0, [SECRET]));
alice.fresh(DOWNSTREAM);
alice.feed(UPSTREAM, answer(6, [[SECRET, ""]]));
alice.fresh(UPSTREAM);
check("alice reopened M's session: her incremental fetch goes on", holdsHers(7));
// bob asks to reopen M's session, and the broker refuses it (its share sessions are full): the
// session stays alice's.
bob.feed(DOWNSTREAM, shareFetch(8, 0, [PUBLIC]));
bob.fresh(DOWNSTREAM);
bob.feed(UPSTREAM, message("response", 78, 1, 8, { throttleTimeMs: 0, errorCode: 133, errorMessage: "The limit of share sessions has been reached.",
  acquisitionLockTimeoutMs: 0, nodeEndpoints: [], responses: [] }));
bob.fresh(UPSTREAM);
check("a reopening the broker refused (SHARE_SESSION_LIMIT_REACHED) takes nothing: alice's incremental fetch goes on", holdsHers(9));
// bob opens a session of his own whose slot, under the old unkeyed hash, is alice's: hers stays.
const oldSlot = (key) => {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return h & 16383;
};
let colliding = 0;
while (oldSlot("shared\n" + "x" + colliding) !== oldSlot("shared\n" + MEMBER)) colliding++;
const bobs = (corr, member) => message("request", 78, 1, corr, {
  groupId: "shared", memberId: member, shareSessionEpoch: 0, maxWaitMs: 500, minBytes: 1, maxBytes: 1048576, maxRecords: 500, batchSize: 500,
  topics: [{ topicId: PUBLIC, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
bob.feed(DOWNSTREAM, bobs(10, "x" + colliding));
bob.fresh(DOWNSTREAM);
bob.feed(UPSTREAM, answer(10, [[PUBLIC, ""]]));
bob.fresh(UPSTREAM);
check(`bob's own session of member x${colliding}, in alice's slot of the old hash, takes nothing of hers`, holdsHers(11));
// ... nor do 3,000 more of his own, each accepted.
for (let i = 0; i < 3000; i++) {
  bob.feed(DOWNSTREAM, bobs(20 + i, "sweep" + i));
  bob.fresh(DOWNSTREAM);
  bob.feed(UPSTREAM, answer(20 + i, [[PUBLIC, ""]]));
  bob.fresh(UPSTREAM);
}
check("3,000 sessions bob opens in his own group take nothing of alice's", holdsHers(12));

// What a connection's share sessions keep (the topics each named, to hold the broker's answers
// to them) is bounded: a client naming every topic it may read, in eight sessions, on each of
// its connections, kept about 80 bytes a topic for as long as the connection (261e0b7). Past
// 10,000 topics a fetch is answered SHARE_SESSION_LIMIT_REACHED, as a full broker answers.
{
  const many = new Host(WASM, { config: JSON.stringify({ allowEveryoneIfNoAclFound: false, acls: [
    { principal: "User:CN=carol", host: "*", resourceType: "TOPIC", resourceName: "many.", resourcePatternType: "PREFIXED", operation: "READ", permissionType: "ALLOW" },
    acl("User:CN=carol", "GROUP", "shared")] }) });
  if (!many.start()) throw new Error("configure failed");
  const connectionId = Buffer.alloc(8);
  connectionId.writeBigUInt64LE(300n);
  const carol = many.connect(300, { "source.address": "10.1.1.2:5000", "connection.subject_peer_certificate": "CN=carol", "connection.id": connectionId,
    "destination.address": "127.0.0.1:19094" });
  let sent = 0, got = 0;
  carol.fresh = (type) => { const all = carol.output(type); const at = type === DOWNSTREAM ? sent : got; if (type === DOWNSTREAM) sent = all.length; else got = all.length; return all.subarray(at); };
  const ids = Array.from({ length: 12000 }, (_, i) => { const b = Buffer.alloc(16, 7); b.writeUInt32BE(i + 1, 12); return b.toString("base64url"); });
  learn(carol, 1, ids.map((id, i) => ["many." + i, id]));
  const open = (corr, member, from, n) => message("request", 78, 1, corr, {
    groupId: "shared", memberId: member, shareSessionEpoch: 0, maxWaitMs: 500, minBytes: 1, maxBytes: 1048576, maxRecords: 500, batchSize: 500,
    topics: ids.slice(from, from + n).map((topicId) => ({ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] })), forgottenTopicsData: [] });
  const refusedWith = (corr) => {
    const out = carol.fresh(DOWNSTREAM);
    if (out.length < 6 || out.readInt16BE(4) !== 18) {
      // Gone on (the build before): answered, so that the connection stays in step.
      if (out.length >= 6) { carol.feed(UPSTREAM, answer(corr, [])); carol.fresh(UPSTREAM); }
      return `${out.length} bytes to the broker, api ${out.length >= 6 ? out.readInt16BE(4) : "-"}`;
    }
    carol.feed(UPSTREAM, message("response", 18, 0, corr, { errorCode: 0, apiKeys: [] }));
    return decode(carol.fresh(UPSTREAM), false, 78, 1).body.errorCode;
  };
  carol.feed(DOWNSTREAM, open(2, "m0", 0, 10001));
  const whole = refusedWith(2);
  check("a full ShareFetch naming 10,001 topics is answered SHARE_SESSION_LIMIT_REACHED, nothing reaching the broker", whole === 133, String(whole));
  let corr = 3, opened = 0;
  for (let m = 0; m < 6; m++, corr++) {
    carol.feed(DOWNSTREAM, open(corr, "m" + (m + 1), m * 2000, 2000));
    const out = carol.fresh(DOWNSTREAM);
    if (out.length > 6 && out.readInt16BE(4) === 78) {
      opened++;
      carol.feed(UPSTREAM, answer(corr, []));
      carol.fresh(UPSTREAM);
    } else if (out.length > 6 && out.readInt16BE(4) === 18) {
      carol.feed(UPSTREAM, message("response", 18, 0, corr, { errorCode: 0, apiKeys: [] }));
      check("the sixth session of 2,000 topics on one connection is answered SHARE_SESSION_LIMIT_REACHED", decode(carol.fresh(UPSTREAM), false, 78, 1).body.errorCode === 133 && m === 5,
        `session ${m + 1}`);
    }
  }
  check("five sessions of 2,000 topics each go on", opened === 5, `${opened}`);
  check("the refusal is logged, saying why", many.logs.some((l) => l.msg.includes("denied ShareFetch") && l.msg.includes("more than 10000 topics")));
  // A session reopened with fewer topics gives back what it held: another session fits again.
  carol.feed(DOWNSTREAM, open(corr, "m1", 0, 1));
  const reopened = carol.fresh(DOWNSTREAM);
  carol.feed(UPSTREAM, answer(corr++, []));
  carol.fresh(UPSTREAM);
  carol.feed(DOWNSTREAM, open(corr, "m6", 10000, 1999));
  const sixth = carol.fresh(DOWNSTREAM);
  check("a session reopened with one topic gives back its 2,000: a sixth session fits",
    reopened.length > 6 && reopened.readInt16BE(4) === 78 && sixth.length > 6 && sixth.readInt16BE(4) === 78);
}

done();
