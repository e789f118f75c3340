// The differential oracle of fuzz-filter.mjs: it watches the four byte streams of each
// connection through the filter (what the client sent, what the filter forwarded to the broker,
// what the broker answered, what the filter sent to the client) and reports every bypass:
//
//  forbidden-forward  a request the filter forwarded (as received or replaced) names a topic,
//                     group or transactional id (or a topic by id) the connection's principal may
//                     not touch, where Kafka would check that name;
//  unchecked-forward  a forwarded request the codecs cannot decode (so nothing was checked);
//  leak               a response the filter sent to the client shows, in an entry without an
//                     error, a name of the fuzzer's pool that the principal may not describe and
//                     that the client never named itself;
//  foreign-session    an incremental Fetch, ShareFetch or ShareAcknowledge the filter forwarded
//                     in a session this connection did not open: a fetch session the broker did
//                     not answer it with, a share session no full ShareFetch of it opened (the
//                     broker keys share sessions by group and member id, not by connection).
//                     The broker serves every partition of a session, named or not;
//  fake-superuser     the filter logs that the connection authenticated as a super user when the
//                     broker accepted no SaslAuthenticate for that user;
//  log-forgery        a log line carries a raw control character (a wire value unescaped).
//
// It shares nothing with the filter's per-API code. Which fields name topics, groups and
// transactional ids comes from Kafka's message definitions ("entityType" in
// .cache/schemas/kafka-*/<Message>.json), plus one generic rule: a uuid field called TopicId
// names a topic by id. Who the principal is follows what the broker answered, by position, as
// Kafka's own state machine would: SaslHandshake accepted with error 0 fixes the mechanism; a
// SaslAuthenticate answered with error 0 under PLAIN (or the second SCRAM round) makes the
// principal the user that request carried. Before that: the TLS certificate subject, else
// User:ANONYMOUS. Whether a principal may touch a name is decided here by a small authorizer of
// the policy's own ACLs (Kafka's StandardAuthorizer semantics; the fuzz policy uses operation
// ALL only, so the question does not depend on the API).

import fs from "node:fs";
import path from "node:path";

export const ENTITIES = { topicName: "TOPIC", groupId: "GROUP", transactionalId: "TRANSACTIONAL_ID" };
export const ANONYMOUS = "User:ANONYMOUS";
const RAW_ROUNDS = { PLAIN: 1, "SCRAM-SHA-256": 2, "SCRAM-SHA-512": 2 };

// ---------------------------------------------------------------------------------------
// Message definitions -> where the names are.

const PRIMITIVE = new Set(["bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64", "string", "bytes", "records", "uuid"]);
const camel = (n) => n[0].toLowerCase() + n.slice(1);

/**
 * For every message (apiKey, request/response): the JSON keys that lead to entity fields, as a
 * tree of {key, entity ("topicName" | "groupId" | "transactionalId" | "topicId"), children}.
 */
export function loadSchemas(dir) {
  const plans = new Map(); // "apiKey/request" -> nodes
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith(".json")) continue;
    const text = fs.readFileSync(path.join(dir, file), "utf8").replace(/^\s*\/\/.*$/gm, "");
    const m = JSON.parse(text);
    if (m.apiKey === undefined || (m.type !== "request" && m.type !== "response")) continue;
    const common = new Map((m.commonStructs || []).map((s) => [s.name, s.fields]));
    plans.set(`${m.apiKey}/${m.type}`, planOf(m.fields || [], common, new Set()));
  }
  return plans;
}

function planOf(fields, common, seen) {
  const nodes = [];
  for (const f of fields) {
    const elem = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
    if (f.entityType in ENTITIES && (elem === "string")) nodes.push({ key: camel(f.name), entity: f.entityType });
    else if (elem === "uuid" && /^TopicIds?$/.test(f.name)) nodes.push({ key: camel(f.name), entity: "topicId" });
    else if (!PRIMITIVE.has(elem)) {
      const sub = f.fields || common.get(elem);
      if (!sub || seen.has(elem)) continue;
      const children = planOf(sub, common, new Set([...seen, elem]));
      if (children.length) nodes.push({ key: camel(f.name), children });
    }
  }
  return nodes;
}

/** Every entity value in `body` as {entity, value, path, parent (the object holding it)}. */
export function entitiesOf(plan, body, out = [], prefix = "") {
  if (!plan || !body || typeof body !== "object") return out;
  for (const n of plan) {
    const v = body[n.key];
    if (v == null) continue;
    const p = prefix ? `${prefix}.${n.key}` : n.key;
    const list = Array.isArray(v) ? v : [v];
    if (n.entity) { for (const x of list) if (typeof x === "string") out.push({ entity: n.entity, value: x, path: p, parent: body }); }
    else for (const x of list) entitiesOf(n.children, x, out, Array.isArray(v) ? p + "[]" : p);
  }
  return out;
}

/**
 * Every string in a decoded response with its path and whether an enclosing entry refuses it
 * (an ...ErrorCode field that is not 0 on it or on an object around it).
 */
export function stringsOf(o, refused = false, out = [], at = "") {
  if (Array.isArray(o)) { for (const x of o) stringsOf(x, refused, out, at + "[]"); return out; }
  if (!o || typeof o !== "object") return out;
  let r = refused;
  if (!r) for (const k in o) if (/errorcode$/i.test(k) && typeof o[k] === "number" && o[k] !== 0) { r = true; break; }
  for (const k in o) {
    const v = o[k];
    if (typeof v === "string") out.push({ value: v, refused: r, path: at ? `${at}.${k}` : k });
    else if (v && typeof v === "object") stringsOf(v, r, out, at ? `${at}.${k}` : k);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Names Kafka reads without authorizing them (checked against KafkaApis and ControllerApis of
// Kafka 4.4). A forwarded request naming them is no bypass. Each: api key, path (as entitiesOf
// writes it; "*" for any), when(body, version, entity) -> exempt, and why.

const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";
const hasIds = (list) => Array.isArray(list) && list.some((t) => t.topicId && t.topicId !== ZERO_UUID);

const EXEMPT = [
  { apiKey: 0, path: "transactionalId", when: (b) => !hasTransactionalBatch(b),
    why: "Produce: Kafka checks the transactional id only when a batch is transactional" },
  { apiKey: 1, path: "forgottenTopicsData[].topic", when: () => true,
    why: "Fetch: forgotten topics leave the session; Kafka authorizes the session's remaining partitions" },
  { apiKey: 1, path: "forgottenTopicsData[].topicId", when: () => true,
    why: "Fetch: forgotten topics leave the session; Kafka authorizes the session's remaining partitions" },
  { apiKey: 3, path: "topics[].name", when: (b, v) => v >= 12 && hasIds(b.topics),
    why: "Metadata v12+: when any topic id is set Kafka describes the ids and ignores the names" },
  { apiKey: 3, path: "*", when: (b, v) => v < 12 && hasIds(b.topics),
    why: "Metadata v10-11 with a topic id: refused as INVALID_REQUEST (ids are supported from v12)" },
  { apiKey: 20, path: "*", when: (b, v, e) => e.parent.name != null && e.parent.topicId && e.parent.topicId !== ZERO_UUID,
    why: "DeleteTopics: an entry with both a name and an id is refused as INVALID_REQUEST (ControllerApis)" },
  { apiKey: 68, path: "topicPartitions[].topicId", when: () => true,
    why: "ConsumerGroupHeartbeat: the owned partitions are the member's report; Kafka authorizes the group and the subscribed names" },
  { apiKey: 75, path: "topics[].name", when: (b, v, e) => b.cursor != null && e.value < b.cursor.topicName,
    why: "DescribeTopicPartitions: topics sorting before the cursor are skipped before any check" },
  { apiKey: 75, path: "cursor.topicName", when: () => true,
    why: "DescribeTopicPartitions: the cursor is where a listing starts; the topics listed are checked" },
  { apiKey: 78, path: "*", when: (b) => b.groupId == null,
    why: "ShareFetch with a null group id: refused as INVALID_REQUEST before any check" },
  { apiKey: 78, path: "forgottenTopicsData[].topicId", when: () => true,
    why: "ShareFetch: forgotten topics leave the share session; Kafka authorizes the fetched ones" },
  { apiKey: 79, path: "*", when: (b) => b.groupId == null,
    why: "ShareAcknowledge with a null group id: refused as INVALID_REQUEST before any check" },
  { apiKey: 93, path: "topologyDescription.*", when: () => true,
    why: "StreamsGroupTopologyDescriptionUpdate: Kafka authorizes READ on the group only (a description the member reports)" },
];

// One rule for every API: a topic entry whose partition list is empty acts on no partition.
const PARTITION_LISTS = ["partitions", "partitionData", "partitionIndexes"];

function exemption(apiKey, version, body, e) {
  if (e.entity === "topicName" || e.entity === "topicId") {
    for (const k of PARTITION_LISTS) {
      const list = e.parent[k];
      if (Array.isArray(list) && list.length === 0) return "a topic entry with no partitions acts on nothing";
    }
  }
  for (const x of EXEMPT) {
    if (x.apiKey !== apiKey) continue;
    const match = x.path === "*" || x.path === e.path || (x.path.endsWith(".*") && e.path.startsWith(x.path.slice(0, -1)));
    if (match && x.when(body, version, e)) return x.why;
  }
  return null;
}

// Responses where Kafka itself shows names the principal may not describe: not leaks.
const SHOWN_BY_KAFKA = [
  { apiKey: 89, path: "groups[].topologyDescription.",
    why: "StreamsGroupDescribe: Kafka 4.4 hides a group for its topology's topics only; the description is what a member reported" },
];

const shownByKafka = (apiKey, path) => SHOWN_BY_KAFKA.some((x) => x.apiKey === apiKey && path.startsWith(x.path));

/** Whether any partition's records hold a v2 batch with the transactional bit (attributes 0x10). */
export function hasTransactionalBatch(body) {
  for (const t of body.topicData || []) {
    for (const p of t.partitionData || []) {
      if (typeof p.records !== "string") continue;
      const b = Buffer.from(p.records, "base64");
      for (let pos = 0; pos + 23 <= b.length;) {
        const len = b.readInt32BE(pos + 8);
        if (b[pos + 16] === 2 && (b.readInt16BE(pos + 21) & 0x10) !== 0) return true;
        if (len < 0) break;
        pos += 12 + len;
      }
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// The policy's ACLs, as Kafka's StandardAuthorizer reads them (operation ALL only).

export class Acls {
  constructor(policy) {
    this.superUsers = new Set(policy.superUsers || []);
    this.allowIfNoAcl = policy.allowEveryoneIfNoAclFound === true;
    this.acls = policy.acls || [];
    for (const a of this.acls) {
      if (a.operation !== "ALL") throw new Error(`oracle: ACL with operation ${a.operation}: the fuzz policy must grant and deny ALL only`);
    }
  }

  isSuper(principal) { return this.superUsers.has(principal); }

  /** May `principal` from `host` touch resource `name` of `type` (TOPIC, GROUP, TRANSACTIONAL_ID)? */
  allowed(principal, host, type, name) {
    if (this.superUsers.has(principal)) return true;
    const onResource = this.acls.filter((a) => a.resourceType === type && patternMatches(a, name));
    if (onResource.length === 0) return this.allowIfNoAcl;
    const mine = onResource.filter((a) => (a.principal === principal || a.principal === "User:*") && (a.host === "*" || a.host === host));
    if (mine.some((a) => a.permissionType === "DENY")) return false;
    return mine.some((a) => a.permissionType === "ALLOW");
  }
}

function patternMatches(a, name) {
  if (a.resourcePatternType === "PREFIXED") return name.startsWith(a.resourceName);
  return a.resourceName === "*" || a.resourceName === name;
}

/** The client's IP as Kafka prints it, for IPv4 and IPv4-mapped IPv6; other text unchanged. */
export function hostOf(address) {
  if (address == null) return "";
  let m = /^\[(?:::ffff:)(\d+\.\d+\.\d+\.\d+)\]:\d+$/i.exec(address);
  if (m) return m[1];
  m = /^\[(.*)\]:\d+$/.exec(address);
  if (m) return m[1];
  m = /^(.*):\d+$/.exec(address);
  return m ? m[1] : address;
}

// ---------------------------------------------------------------------------------------
// Byte streams -> frames.

/** Collects size-prefixed frames from chunks; `broken` once a size is negative. */
export class FrameStream {
  constructor() { this.chunks = []; this.length = 0; this.broken = false; }

  /** Adds `data`; returns the frames (without size prefix) it completes. */
  push(data) {
    const frames = [];
    if (this.broken || data.length === 0) return frames;
    this.chunks.push(data);
    this.length += data.length;
    while (this.length >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : this.flat();
      const size = head.readInt32BE(0);
      if (size < 0) { this.broken = true; this.chunks = []; this.length = 0; break; }
      if (this.length < 4 + size) break;
      const all = this.flat();
      frames.push(all.subarray(4, 4 + size));
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.length = rest.length;
    }
    return frames;
  }

  /** The bytes of a frame not whole yet (empty when none, or once the stream broke). */
  rest() { return this.length > 0 ? this.flat() : Buffer.alloc(0); }

  flat() {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }
}

// ---------------------------------------------------------------------------------------

/**
 * One VM's oracle. `pool`: {names: Map name -> entity type} (the names the fuzzer plays with;
 * only these count as leaked when they show up in a response) and {ids: Map topic id (base64url
 * as the codecs print uuids) -> topic name} (the broker's truth about ids, known up front).
 */
export class Oracle {
  constructor({ codecs, plans, policy, pool }) {
    this.codecs = codecs;
    this.plans = plans;
    this.acls = new Acls(policy);
    this.pool = pool;
    // How a pool name looks on the wire: after an int16 length (classic) or an unsigned varint
    // of length + 1 (compact); a topic id is its 16 bytes.
    pool.wire ??= new Map([
      ...[...pool.names.keys()].map((n) => {
        const b = Buffer.from(n), classic = Buffer.alloc(2);
        classic.writeInt16BE(b.length);
        return [n, [Buffer.concat([classic, b]), Buffer.concat([Buffer.from([b.length + 1]), b])]];
      }),
      ...[...pool.ids.keys()].map((id) => [id, [Buffer.from(id, "base64url")]]),
    ]);
    // id -> names: the pool's, and what the broker's answers pair (a broker that names one id
    // twice is believed both times: a forwarded id is forbidden if any of its names is).
    this.topicIds = new Map([...pool.ids].map(([id, name]) => [id, new Set([name])]));
    this.findings = [];
    this.stats = { forwarded: 0, judged: 0, exempt: 0, leaksChecked: 0, unknownPrincipal: 0, lookups: 0, rawTokens: 0, behindSignIn: 0 };
  }

  connection(id, props = {}) { return new ConnectionOracle(this, id, props); }

  /**
   * {header, body} of a frame, or null. Bytes left over after the body are ignored, as
   * Kafka's parsers ignore them.
   */
  decode(frame, isRequest, apiKey, version) {
    let text = null;
    try {
      text = this.codecs.decode(frame, isRequest, apiKey, version);
      const extra = !text && /^\S+: (\d+) bytes left over after the body/.exec(this.codecs.error());
      if (extra) text = this.codecs.decode(frame.subarray(0, frame.length - +extra[1]), isRequest, apiKey, version);
    } catch { text = null; }
    if (!text) return null;
    try { return JSON.parse(text); } catch { return null; }
  }

  /**
   * A broker's response read as Kafka writes it: the body and nothing after it. Kafka accepts
   * bytes after a request's body, but never sends any after a response's; a frame with some
   * is not Kafka's answer (it may be another API's response that starts like this one's).
   */
  decodeExact(frame, apiKey, version) {
    let text = null;
    try { text = this.codecs.decode(frame, false, apiKey, version); } catch { text = null; }
    if (!text) return null;
    try { return JSON.parse(text); } catch { return null; }
  }

  finding(f) { this.findings.push(f); return f; }

  /** A log line the filter wrote with no connection current (root context). */
  logged(msg) {
    if (CONTROL.test(msg)) this.finding({ kind: "log-forgery", line: JSON.stringify(msg.slice(0, 300)) });
  }
}

// Control characters other than tab are never the filter's own: a wire value went in raw.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const SASL_HANDSHAKE = 17, SASL_AUTHENTICATE = 36, API_VERSIONS = 18, FETCH = 1, STREAMS_GROUP_HEARTBEAT = 88, STREAMS_GROUP_DESCRIBE = 89;

class ConnectionOracle {
  constructor(vm, id, props) {
    this.vm = vm;
    this.id = id;
    this.host = hostOf(props["source.address"]);
    const subject = props["connection.subject_peer_certificate"];
    this.principal = subject ? "User:" + subject : ANONYMOUS;
    this.principalKnown = true; // false after a login the oracle cannot attribute to a user
    this.held = new Set([this.principal]); // every principal the connection has had
    this.mechanism = null; // accepted by the broker's answer to SaslHandshake
    this.scram = null; // {user} of a SCRAM exchange whose first round succeeded
    this.rawSasl = false; // a v0 SaslHandshake was accepted for a mechanism not modelled
    // After an accepted v0 SaslHandshake Kafka reads the mechanism's tokens raw (no Kafka header)
    // and answers each raw; a failed round closes the connection: {left, out, first}.
    this.raw = null;
    // Kafka runs a request sent behind the first sign-in after it, as the user it signs in:
    // such requests wait here (deferred) until the SASL answers are in, then are judged.
    this.signingIn = 0; // SASL requests forwarded and not answered yet
    this.signedIn = false;
    this.deferred = [];
    this.shareSessions = new Set(); // group + "\n" + member id of each full ShareFetch forwarded
    this.fetchSessions = new Set(); // ids of the fetch sessions the broker answered this connection with
    this.fromClient = new FrameStream();
    this.toBroker = new FrameStream();
    this.fromBroker = new FrameStream();
    this.toClient = new FrameStream();
    this.forwarded = []; // requests the broker got, in order: {apiKey, version, corr, body, answered}
    this.nextAnswer = 0; // index into forwarded of the request the broker's next frame answers
    this.onForward = null; // the fuzzer's broker: called with each forwarded request
    // False once the broker sent something Kafka never would (a frame that answers no request,
    // or not as its request's type and correlation id). What the filter then passes on to the
    // client is whatever that broker said: leaks are judged only while the broker is Kafka.
    this.brokerIsKafka = true;
    this.sent = new Map(); // correlation id -> [{apiKey, version, principal}] the client sent
    this.named = new Set(); // pool names (and topic ids) the client itself has sent
    this.recentFrames = []; // the client's last frames (where the filter's topic-id lookups take their ids)
  }

  finding(kind, detail) { return this.vm.finding({ kind, connection: this.id, principal: this.principal, ...detail }); }

  allowed(principal, entity, name) {
    return this.vm.acls.allowed(principal, this.host, ENTITIES[entity], name);
  }

  /** Bytes the client sent (all of them, whether or not the filter let them through). */
  clientSent(data) {
    for (const f of this.fromClient.push(data)) {
      if (f.length < 8) continue;
      const apiKey = f.readInt16BE(0), version = f.readInt16BE(2), corr = f.readInt32BE(4);
      let list = this.sent.get(corr);
      if (!list) { list = []; this.sent.set(corr, list); }
      list.push({ apiKey, version, principal: this.principal, principalKnown: this.principalKnown });
      if (list.length > 4) list.shift();
      this.recentFrames.push(f);
      if (this.recentFrames.length > 256) this.recentFrames.shift();
      for (const [name, forms] of this.vm.pool.wire) if (!this.named.has(name) && forms.some((w) => f.includes(w))) this.named.add(name);
    }
  }

  /** Bytes the filter sent on to the broker: each complete request is judged. */
  forwardedToBroker(data) {
    for (const f of this.toBroker.push(data)) this.judgeRequest(f);
  }

  judgeRequest(f) {
    const vm = this.vm;
    vm.stats.forwarded++;
    // A raw SASL token: Kafka reads it as the mechanism's message, not as a request.
    if (this.raw && this.raw.out < this.raw.left) {
      this.raw.out++;
      if (this.raw.first === null) this.raw.first = f;
      vm.stats.rawTokens++;
      return;
    }
    if (this.rawSasl) { vm.stats.unknownPrincipal++; return; }
    if (f.length < 8) {
      this.forwarded.push({ apiKey: -1, version: -1, corr: 0, body: null });
      this.finding("unchecked-forward", { apiKey: -1, frame: f.toString("base64") });
      return;
    }
    const apiKey = f.readInt16BE(0), version = f.readInt16BE(2), corr = f.readInt32BE(4);
    const json = vm.decode(f, true, apiKey, version);
    const body = json ? json.body : null;
    // A Produce with acks=0 gets no answer from Kafka: it takes no place in the answer order.
    const req = { apiKey, version, corr, body: apiKey === SASL_HANDSHAKE || apiKey === SASL_AUTHENTICATE ? body : null };
    if (!(apiKey === 0 && body && body.acks === 0)) this.forwarded.push(req);
    if (this.onForward) this.onForward({ ...req, body });
    if (!json) {
      // Too new an ApiVersions is answered by Kafka itself (UNSUPPORTED_VERSION), never authorized.
      if (apiKey !== API_VERSIONS) this.finding("unchecked-forward", { apiKey, version, corr, frame: f.toString("base64").slice(0, 400) });
      return;
    }
    if (this.isLookup(apiKey, version, body, corr)) { vm.stats.lookups++; return; }
    if (apiKey === SASL_HANDSHAKE || apiKey === SASL_AUTHENTICATE) { this.signingIn++; return; }
    if (this.signingIn > 0 && !this.signedIn && apiKey !== API_VERSIONS) {
      this.deferred.push({ apiKey, version, corr, body });
      return;
    }
    this.judge(apiKey, version, corr, body);
  }

  /** A forwarded request, decoded, judged as the principal Kafka runs it as (this.principal). */
  judge(apiKey, version, corr, body) {
    const vm = this.vm;
    if (!this.principalKnown) { vm.stats.unknownPrincipal++; return; }
    if (vm.acls.isSuper(this.principal)) return;
    // Once the broker has said what Kafka never would, which principal Kafka would have is
    // unknown: only a name no principal of this connection ever could touch is then judged.
    if (!this.brokerIsKafka && [...this.held].some((p) => vm.acls.isSuper(p))) return;
    const judgedAs = this.brokerIsKafka ? [this.principal] : [...this.held];
    vm.stats.judged++;
    this.judgeSession(apiKey, version, corr, body);
    for (const e of entitiesOf(vm.plans.get(`${apiKey}/request`), body)) {
      let entity = e.entity, name = e.value;
      const allowed = (ent, n) => judgedAs.some((p) => this.allowed(p, ent, n));
      if (entity === "topicId") {
        const names = vm.topicIds.get(e.value);
        if (names === undefined) continue; // an id no broker gave: Kafka answers UNKNOWN_TOPIC_ID
        entity = "topicName";
        name = [...names].find((n) => !allowed("topicName", n));
        if (name === undefined) continue;
      }
      if (allowed(entity, name)) continue;
      if (exemption(apiKey, version, body, e)) { vm.stats.exempt++; continue; }
      // Allowed to a principal the connection had before: the filter most likely still acts as it.
      const earlier = [...this.held].find((p) => p !== this.principal && this.allowed(p, entity, name));
      this.finding("forbidden-forward", { apiKey, version, corr, field: e.path, entity, name, byId: e.entity === "topicId" ? e.value : undefined, allowedTo: earlier });
    }
  }

  /**
   * A session request forwarded. Fetch v7+: an incremental fetch (a session id, epoch above 0)
   * must be in a session the broker gave this connection (judged while the broker is Kafka:
   * otherwise which sessions it gave is unknown). ShareFetch, ShareAcknowledge: a full
   * ShareFetch opens (or takes over) one; anything else must be in one opened here.
   */
  judgeSession(apiKey, version, corr, body) {
    if (apiKey === FETCH) {
      if (version >= 7 && body.sessionId && body.sessionEpoch > 0 && this.brokerIsKafka && !this.fetchSessions.has(body.sessionId)) {
        this.finding("foreign-session", { apiKey, version, corr, sessionId: body.sessionId, epoch: body.sessionEpoch });
      }
      return;
    }
    if ((apiKey !== 78 && apiKey !== 79) || body.groupId == null) return;
    const key = `${body.groupId}\n${body.memberId ?? ""}`;
    if (body.shareSessionEpoch === 0) {
      if (apiKey === 78) this.shareSessions.add(key);
      return;
    }
    if (!this.shareSessions.has(key)) {
      this.finding("foreign-session", { apiKey, version, corr, groupId: body.groupId, memberId: body.memberId, epoch: body.shareSessionEpoch });
    }
  }

  /**
   * The filter's own read-only requests (Verdict.aside), sent ahead of a client request under
   * its correlation id; their answers are the filter's alone (a leak would show in
   * deliveredToClient), and none creates or changes anything, so asking is no bypass: Metadata
   * by id, creating nothing, every id taken from what the client just sent; and for a
   * StreamsGroupHeartbeat, Metadata by name creating nothing (partition counts, whether the
   * group's internal topics exist) and a StreamsGroupDescribe of one group (its stored topology).
   */
  isLookup(apiKey, version, body, corr) {
    const forHeartbeat = (this.sent.get(corr) || []).some((s) => s.apiKey === STREAMS_GROUP_HEARTBEAT);
    if (apiKey === STREAMS_GROUP_DESCRIBE) {
      return forHeartbeat && version === 0 && Array.isArray(body.groupIds) && body.groupIds.length === 1 && body.includeAuthorizedOperations === false;
    }
    if (apiKey !== 3 || version !== 12 || body.allowAutoTopicCreation !== false || !Array.isArray(body.topics) || body.topics.length === 0) return false;
    if (forHeartbeat && body.topics.every((t) => t.name !== null && (!t.topicId || t.topicId === ZERO_UUID))) return true;
    return body.topics.every((t) => t.name === null && t.topicId && t.topicId !== ZERO_UUID &&
      this.recentFrames.some((f) => f.includes(Buffer.from(t.topicId, "base64url"))));
  }

  /** Bytes the broker sent: each complete response answers the oldest unanswered request. */
  brokerSent(data) {
    for (const f of this.fromBroker.push(data)) {
      if (this.raw && this.raw.out > 0) { this.rawAnswered(); continue; }
      const req = this.forwarded[this.nextAnswer];
      if (!req) { this.brokerIsKafka = false; continue; } // answers nothing Kafka was asked
      this.nextAnswer++;
      if (this.nextAnswer > 4096) { this.forwarded.splice(0, this.nextAnswer); this.nextAnswer = 0; }
      if (f.length < 4 || f.readInt32BE(0) !== req.corr) { this.brokerIsKafka = false; continue; } // not the answer: teaches nothing
      if (req.apiKey === SASL_HANDSHAKE || req.apiKey === SASL_AUTHENTICATE) this.learnSasl(req, f);
      else this.learnTopicIds(req, f);
    }
  }

  learnSasl(req, f) {
    if (this.signingIn > 0) this.signingIn--;
    this.followSasl(req, f);
    if (this.signingIn > 0 || this.deferred.length === 0) return;
    // The exchange is answered: what was sent behind it ran as the user it signed in, if any
    // (a refused sign-in ends the connection in Kafka: nothing behind it ran).
    const deferred = this.deferred;
    this.deferred = [];
    if (!this.signedIn) return;
    this.vm.stats.behindSignIn += deferred.length;
    for (const d of deferred) this.judge(d.apiKey, d.version, d.corr, d.body);
  }

  followSasl(req, f) {
    const json = this.vm.decodeExact(f, req.apiKey, req.version);
    if (!json) this.brokerIsKafka = false;
    if (!json || !req.body) return;
    const ok = json.body.errorCode === 0;
    if (req.apiKey === SASL_HANDSHAKE) {
      this.mechanism = ok ? req.body.mechanism : null;
      this.scram = null;
      if (ok && req.version === 0) {
        const rounds = RAW_ROUNDS[req.body.mechanism];
        if (rounds) this.raw = { left: rounds, out: 0, first: null };
        // Another mechanism's raw exchange has no known end: not modelled, the principal
        // stays unknown and nothing after it is judged.
        else this.rawSasl = true;
      }
      if (this.rawSasl) this.principalKnown = false;
      return;
    }
    if (!ok) { this.scram = null; return; } // Kafka closes the connection; the principal stays
    const auth = Buffer.from(req.body.authBytes || "", "base64");
    if (this.mechanism === "PLAIN") {
      const user = plainUser(auth);
      if (user != null) this.setPrincipal("User:" + user);
    } else if (this.mechanism === "SCRAM-SHA-256" || this.mechanism === "SCRAM-SHA-512") {
      if (this.scram == null) this.scram = { user: scramUser(auth) };
      else {
        if (this.scram.user != null) this.setPrincipal("User:" + this.scram.user);
        this.scram = null;
      }
    } else if (this.mechanism === "OAUTHBEARER") {
      // Kafka answers a token it refuses with a challenge (its error, code 0), a valid one with nothing.
      if (Buffer.from(json.body.authBytes || "", "base64").length > 0) return;
      const user = oauthSubject(auth);
      if (user != null) this.setPrincipal("User:" + user);
      else this.principalKnown = false;
    } else if (this.mechanism === "GSSAPI") {
      // The fuzzer's broker signs in this user for a mechanism no token names it in.
      this.setPrincipal("User:kerberos-user");
    } else if (this.mechanism != null) {
      this.principalKnown = false; // another mechanism's principal: not modelled, stop judging
    }
  }

  /** The broker answered a raw token: that round succeeded (a failed one closes the connection). */
  rawAnswered() {
    const raw = this.raw;
    raw.out--;
    raw.left--;
    if (raw.left > 0) return;
    this.raw = null;
    const user = this.mechanism === "PLAIN" ? plainUser(raw.first) : scramUser(raw.first);
    if (user != null) this.setPrincipal("User:" + user);
  }

  setPrincipal(p) { this.principal = p; this.principalKnown = !this.rawSasl; this.held.add(p); this.signedIn = true; }

  learnTopicIds(req, f) {
    const plan = this.vm.plans.get(`${req.apiKey}/response`);
    const learns = plan && hasIdAndName(plan);
    if (!learns && req.apiKey !== FETCH && !this.brokerIsKafka) return;
    const json = this.vm.decodeExact(f, req.apiKey, req.version);
    if (!json) { this.brokerIsKafka = false; return; }
    if (learns) learnIds(plan, json.body, this.vm.topicIds);
    // The broker opened (or went on with) a fetch session for this connection.
    if (req.apiKey === FETCH && json.body.errorCode === 0 && json.body.sessionId) this.fetchSessions.add(json.body.sessionId);
  }

  /** Bytes the filter sent to the client: no entry the principal may not describe. */
  deliveredToClient(data) {
    const vm = this.vm;
    for (const f of this.toClient.push(data)) {
      if (f.length < 4) continue;
      const corr = f.readInt32BE(0);
      const seen = new Set();
      for (const req of this.sent.get(corr) || []) {
        const key = `${req.apiKey}/${req.version}/${req.principal}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (!req.principalKnown || !this.principalKnown || !this.brokerIsKafka) continue;
        const json = vm.decode(f, false, req.apiKey, req.version);
        if (!json) continue;
        vm.stats.leaksChecked++;
        for (const s of stringsOf(json.body)) {
          let entity = vm.pool.names.get(s.value), name = s.value;
          if (entity === undefined && vm.pool.ids.has(s.value)) { entity = "topicName"; name = vm.pool.ids.get(s.value); }
          if (entity === undefined || s.refused || this.named.has(name) || this.named.has(s.value)) continue;
          if (shownByKafka(req.apiKey, s.path)) continue;
          // Shown only if the principal that asked may describe it, or the one now (who may ask again).
          if (this.allowed(req.principal, entity, name) || this.allowed(this.principal, entity, name)) continue;
          const earlier = [...this.held].find((p) => p !== req.principal && p !== this.principal && this.allowed(p, entity, name));
          this.finding("leak", { apiKey: req.apiKey, version: req.version, corr, field: s.path, entity, name, byId: name !== s.value ? s.value : undefined, askedAs: req.principal, allowedTo: earlier });
        }
      }
    }
  }

  /**
   * The connection is over. A frame cut short that reached the client is judged too: it names,
   * as a string (its length before it, in either encoding), no pool name the principal may not
   * describe and the client did not send (the build of 55a8663 passed on the uncut listing held
   * for the policy when the broker's stream ended inside it).
   */
  ended() {
    const rest = this.toClient.rest();
    if (rest.length <= 8 || !this.principalKnown || !this.brokerIsKafka) return;
    const asked = this.sent.get(rest.readInt32BE(4)) || [];
    if (asked.some((req) => SHOWN_BY_KAFKA.some((x) => x.apiKey === req.apiKey))) return;
    for (const [name, entity] of this.vm.pool.names) {
      if (this.named.has(name) || this.allowed(this.principal, entity, name)) continue;
      const bytes = Buffer.from(name, "utf8");
      const short = Buffer.alloc(2);
      short.writeInt16BE(bytes.length);
      const compact = Buffer.from([bytes.length + 1]); // pool names are short: one varint byte
      if (rest.includes(Buffer.concat([short, bytes])) || rest.includes(Buffer.concat([compact, bytes]))) {
        this.finding("leak", { field: "a frame cut short at the end of the connection", entity, name, corr: rest.readInt32BE(4), askedAs: this.principal });
      }
    }
  }

  /** A log line of the filter while this connection was current. */
  logged(msg) {
    if (CONTROL.test(msg)) this.finding("log-forgery", { line: JSON.stringify(msg.slice(0, 300)) });
    const m = /^kafka filter: authenticated (User:\S+) via /.exec(msg);
    const fake = m && this.principalKnown && this.vm.acls.isSuper(m[1]) && (this.brokerIsKafka ? this.principal !== m[1] : !this.held.has(m[1]));
    if (fake) {
      this.finding("fake-superuser", { claimed: m[1], line: JSON.stringify(msg.slice(0, 300)) });
    }
  }
}

/** Whether some struct of the message has both a topic name field and a TopicId field. */
function hasIdAndName(plan) {
  return (plan.some((n) => n.entity === "topicId") && plan.some((n) => n.entity === "topicName"))
    || plan.some((n) => n.children && hasIdAndName(n.children));
}

/** Each struct with both a topic name and a TopicId teaches that id's name. */
function learnIds(plan, o, ids) {
  if (!o || typeof o !== "object") return;
  const idNode = plan.find((n) => n.entity === "topicId"), nameNode = plan.find((n) => n.entity === "topicName");
  if (idNode && nameNode) {
    const id = o[idNode.key], name = o[nameNode.key];
    if (typeof id === "string" && typeof name === "string" && id !== ZERO_UUID) {
      let names = ids.get(id);
      if (!names) ids.set(id, (names = new Set()));
      names.add(name);
    }
  }
  for (const n of plan) {
    if (!n.children || o[n.key] == null) continue;
    const v = o[n.key];
    for (const x of Array.isArray(v) ? v : [v]) learnIds(n.children, x, ids);
  }
}


/**
 * PLAIN: "authzid NUL authcid NUL password" -> authcid (Kafka's principal); null without two
 * NULs. (Kafka refuses more tokens, or an authzid naming someone else; a broker that answers
 * such a request with error 0 is not Kafka, and either reading is then as good.)
 */
export function plainUser(auth) {
  const first = auth.indexOf(0), second = first < 0 ? -1 : auth.indexOf(0, first + 1);
  if (second < 0 || second === first + 1) return null;
  return auth.subarray(first + 1, second).toString("utf8");
}

/**
 * The principal Kafka's OAUTHBEARER server takes from a client's initial response, as Kafka
 * reads it (OAuthBearerClientInitialResponse, then the unsecured validator): "n,[a=authzid],"
 * ^A key=value pairs ^A, "auth=Bearer <JWS>" (the last auth), the JWS's three parts, the claims
 * JSON (the last of repeated keys, as Jackson), its "sub" a non-empty string; null when Kafka
 * would refuse the message, or the authzid names another principal.
 */
export function oauthSubject(auth) {
  const m = /^n,(?:a=((?:[\x01-\x2b\x2d-\x3c\x3e-\x7f]|=2C|=3D)+))?,\x01((?:[A-Za-z]+=[\x21-\x7e \t\r\n]+\x01)*)\x01$/.exec(auth.toString("latin1"));
  if (!m) return null;
  const authzid = m[1] ? m[1].replaceAll("=2C", ",").replaceAll("=3D", "=") : "";
  let bearer = null;
  for (const kv of m[2].split("\x01")) if (kv.startsWith("auth=")) bearer = kv.slice(5);
  const a = bearer === null ? null : /^(\w+) +([-_.a-zA-Z0-9]+)$/.exec(bearer);
  if (!a || a[1].toLowerCase() !== "bearer") return null;
  const parts = a[2].split(".");
  if (parts.length !== 3 || parts[1].length % 4 === 1) return null;
  let claims;
  try { claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")); } catch { return null; }
  if (claims === null || typeof claims !== "object" || Array.isArray(claims)) return null;
  const sub = claims.sub;
  if (typeof sub !== "string" || sub.length === 0) return null;
  return authzid !== "" && authzid !== sub ? null : sub;
}

/** SCRAM client-first "gs2-header,n=user,r=nonce" -> user (=2C and =3D decoded); null if none. */
export function scramUser(auth) {
  const parts = auth.toString("utf8").split(",");
  for (let i = 2; i < parts.length; i++) {
    if (parts[i].startsWith("n=")) return parts[i].slice(2).replaceAll("=2C", ",").replaceAll("=3D", "=");
  }
  return null;
}
