// Every request frame Kafka's own classes build (make oracle: .cache/oracle/frames.jsonl, all
// api keys and versions) through the product filter module under the mock Envoy host
// (host.mjs), each on a fresh VM and connection, under two policies:
//
//  allow  {"allowEveryoneIfNoAclFound": true}: the VM never traps, and a request goes upstream
//         byte-identical unless the log says why not (a "denied" line: e.g. a topic named by an
//         id no Metadata response taught, a config resource type Kafka does not know), or the
//         connection is closed with a logged reason.
//  deny   {"allowEveryoneIfNoAclFound": false}, no ACLs: a request Kafka's authorizer would
//         check never reaches upstream unchanged; it is answered (with an error), rewritten to
//         name nothing that needs a check, or closed with a logged reason. Only the requests in
//         `exemption` below may pass unchanged, and each pass-through is listed with its reason.
//
// Beyond the oracle, one incremental Fetch naming no topic (a consumer's steady state) under deny.
//
// Every forwarded request then gets the oracle's response of the same api key and version
// (patched to the request's correlation id), and every answered one the oracle's ApiVersions
// v0 response to the filter's probe: the client must receive one frame with its correlation
// id that decodes (build/codecs.wasm) as the response of its request. Under deny, listings the
// filter cuts (Metadata of all topics, ListGroups, ...) must come back empty.
//
//   node assembly/filter/testing/sweep.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl] [--verbose]
//        [--corpus test/corpus/frames]   (then under node --import tsx)
//
// With --corpus, also every frame real clients sent (test/corpus): it must decode as Kafka's
// broker reads it (bytes after the body and unknown tagged fields as recorded at capture), and
// under the allow policy go upstream unchanged: the topic ids the clients name are taught to
// the VMs first (a Metadata response), as the broker's answers taught them at capture.
// Prints tallies, then "N passed, M failed" (one check per frame per policy, plus summary
// checks); exits non-zero on any failure. Problems the lead has to decide on are listed in
// KNOWN below: printed, not counted as failures.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";

// ACL administration (DescribeAcls, CreateAcls, DeleteAcls) is the filter's to answer when
// allowed: the ACLs in force are the policy's (enforce/apis/cluster.ts). A DescribeTopicPartitions
// listing is answered from a Metadata listing of the filter's own (enforce/apis/topics.ts).
const ANSWERED_FROM_THE_POLICY = new Set([29, 30, 31]);
const isListing = (f) => f.apiKey === 75 && f.body.topics.length === 0 && !(f.body.cursor && f.body.cursor.partitionIndex < 0);
const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const VERBOSE = process.argv.includes("--verbose"); // one line per frame and policy
// The corpus of real clients' frames (test/corpus/README.md), swept as well; needs tsx (node --import tsx).
const CORPUS = process.argv.includes("--corpus") ? process.argv[process.argv.indexOf("--corpus") + 1] : null;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const started = Date.now();

const POLICIES = {
  allow: '{"allowEveryoneIfNoAclFound": true}',
  deny: '{"allowEveryoneIfNoAclFound": false}',
};

let passed = 0, failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}

// The generated codecs decode what the client receives; without build/codecs.wasm only the
// frame size and correlation id are checked.
let codecs = null;
if (fs.existsSync(path.join(ROOT, "build", "codecs.wasm"))) codecs = await import(path.join(ROOT, "build", "codecs.js"));
else console.log("note: build/codecs.wasm absent: responses are checked for size and correlation id only");

const all = fs.readFileSync(FRAMES, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
const requests = all.filter((f) => f.kind === "request");
const responses = new Map(); // "key/version/variant" -> frame
for (const f of all) if (f.kind === "response") responses.set(`${f.apiKey}/${f.version}/${f.variant}`, f);
const responseFor = (k, v, variant) => responses.get(`${k}/${v}/${variant}`) || responses.get(`${k}/${v}/0`);
const PROBE_RESPONSE = responseFor(18, 0, 0);
const LOOKUP_RESPONSE = responseFor(3, 12, 0);
const apiName = (f) => f.name.replace(/Request$/, "");

// ---------------------------------------------------------------------------------------
// What may pass unchanged when nothing is allowed, from assembly/enforce/apis/*.ts (and the
// Kafka 4.4 checks they mirror): the reason, or null when Kafka's authorizer would check
// something in this request. `b` is the request body as Kafka's JSON converter writes it.

const none = (list) => Array.isArray(list) && list.length === 0;

function exemption(k, v, b) {
  switch (k) {
    case 17: return "SaslHandshake: Kafka authorizes no SASL step (the filter only reads the mechanism)";
    case 36: return "SaslAuthenticate: Kafka authorizes no SASL step (the filter learns the principal from it)";
    case 18: return "ApiVersions: never authorized by Kafka; its response is capped to the codecs' versions";
    case 71: case 72: return "client telemetry: Kafka makes no ACL check (connection.ts checkTelemetry)";
    case 60: return "DescribeCluster: Kafka authorizes nothing, it only computes authorized operations";
    case 39: case 40: return "Renew/ExpireDelegationToken: no ACL, the controller compares the token's owner and renewers";
    case 41: return "DescribeDelegationToken: no ACL on the request; the response is cut to the tokens the principal may see";
    case 38: return b.ownerPrincipalName ? null
      : "CreateDelegationToken for the requester itself: Kafka checks CREATE_TOKENS only for another owner";
    case 16: return "ListGroups: refuses nothing; the response is cut to the groups the principal may describe";
    case 66: return "ListTransactions: refuses nothing; the response is cut to the describable transactional ids";
    case 3:
      if (b.topics == null) return "Metadata of every topic (null list): the response is cut to describable topics";
      if (none(b.topics)) return v === 0 ? "Metadata v0 with an empty list (every topic): the response is cut to describable topics"
        : "Metadata naming no topic (empty list, v1+)";
      return null;
    case 75:
      if (none(b.topics)) return "DescribeTopicPartitions of every topic: the response is cut to describable topics";
      if (b.cursor != null && b.topics.every((t) => t.name < b.cursor.topicName)) {
        return "DescribeTopicPartitions whose topics all sort before its cursor: Kafka checks none of them (and refuses a cursor missing from the list as INVALID_REQUEST)";
      }
      return null;
    case 10: { // FindCoordinator: v0 has no key type (group)
      const type = b.keyType ?? 0;
      if (v >= 4 && none(b.coordinatorKeys)) return "FindCoordinator naming no key";
      if (type === 0 || type === 1 || (type === 2 && v >= 6)) return null;
      return "FindCoordinator key type Kafka does not authorize (only group 0, transaction 1 and, from v6, share 2; others it refuses as INVALID_REQUEST)";
    }
    case 0: return none(b.topicData)
      ? "Produce naming no topic (Kafka checks the transactional id only for transactional records, and there are none)" : null;
    case 1: // No topics, and no fetch session whose partitions Kafka would authorize (epochs > 0 name one).
      return none(b.topics) && (v < 7 || !b.sessionId || b.sessionEpoch <= 0)
        ? "Fetch naming no topic outside any fetch session (sessionless, new, or an epoch no session has)" : null;
    case 78: case 79: return b.groupId == null
      ? "Share session request with a null group id: refused by Kafka as INVALID_REQUEST before any ACL (groups.ts)" : null;
    case 9: return v >= 8 && none(b.groups) ? "OffsetFetch (v8+) naming no group" : null;
  }
  // APIs whose every entry is checked: a request with an empty list names nothing to check.
  const lists = {
    2: "topics", 15: "groups", 19: "topics", 20: v >= 6 ? "topics" : "topicNames", 21: "topics", 23: "topics",
    32: "resources", 33: "resources", 37: "topics", 42: "groupsNames", 44: "resources", 61: "topics",
    65: "transactionalIds", 69: "groupIds", 77: "groupIds", 89: "groupIds", 90: "groups",
  };
  const list = lists[k];
  return list && none(b[list]) ? `${list} empty: names nothing Kafka would check` : null;
}

/** Under deny: the listing whose response the filter must cut to nothing; null otherwise. */
function listingOf(k, v, b) {
  if (k === 3 && (b.topics == null || (v === 0 && none(b.topics)))) return (r) => ["topics", r.topics.length === 0];
  if (k === 16) return (r) => ["groups", r.groups.length === 0];
  if (k === 66) return (r) => ["transactionStates", r.transactionStates.length === 0];
  if (k === 41) return (r) => ["tokens", r.tokens.length === 0];
  if (k === 75 && none(b.topics)) return (r) => ["topics and nextCursor", r.topics.length === 0 && r.nextCursor == null];
  return null;
}

// ---------------------------------------------------------------------------------------
// Problems the lead has to decide on: each matches a problem code and the frame; a match is
// printed as KNOWN and does not fail. Everything else fails.

// (Empty now: an incremental Fetch must name a session opened on its connection, and a
// request Kafka checks nothing on no longer logs a denial.)
const KNOWN = [];

// ---------------------------------------------------------------------------------------
// Frames.

function withCorrelation(b64, at, corr) {
  const b = Buffer.from(b64, "base64");
  b.writeInt32BE(corr, at);
  return b;
}

/** Splits size-prefixed frames; null if `buf` is not a whole number of frames. */
function splitFrames(buf) {
  const out = [];
  for (let pos = 0; pos < buf.length;) {
    if (buf.length - pos < 4) return null;
    const n = buf.readInt32BE(pos);
    if (n < 0 || pos + 4 + n > buf.length) return null;
    out.push(buf.subarray(pos + 4, pos + 4 + n));
    pos += 4 + n;
  }
  return out;
}

function kafkaString(s) {
  if (s == null) return Buffer.from([0xff, 0xff]);
  const b = Buffer.from(s, "utf8");
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** The ApiVersions v0 request the filter sends in place of a request it answers itself. */
function probeFor(header) {
  const h = Buffer.alloc(8);
  h.writeInt16BE(18, 0);
  h.writeInt16BE(0, 2);
  h.writeInt32BE(header.correlationId, 4);
  const body = Buffer.concat([h, kafkaString(header.clientId)]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function decode(frame, isRequest, k, v) {
  if (!codecs) return { ok: true, json: null };
  const text = codecs.decode(frame, isRequest, k, v);
  if (!text) return { ok: false, error: codecs.error() };
  return { ok: true, json: JSON.parse(text) };
}

/** Non-zero values of every *errorCode field. */
function errorCodes(o, out = []) {
  if (Array.isArray(o)) for (const x of o) errorCodes(x, out);
  else if (o && typeof o === "object") {
    for (const [key, value] of Object.entries(o)) {
      if (/errorcode$/i.test(key) && typeof value === "number") { if (value !== 0) out.push(value); }
      else errorCodes(value, out);
    }
  }
  return out;
}
const hasEntries = (o) => Array.isArray(o) ? o.length > 0
  : o && typeof o === "object" ? Object.values(o).some(hasEntries) : false;

/**
 * Why an answer the filter made does not carry its refusal, or null: every entry with error
 * fields (a topic, partition, group...) must have a non-zero one in it or in its own entries
 * (a group whose partitions carry the errors), and an answer with no entries
 * and only a zero top-level error refuses nothing. (An entry Kafka gives no error field, such
 * as a refused topic that named no partitions, carries none.)
 */
function missingError(body) {
  const silent = [];
  (function walk(o, nested) {
    if (Array.isArray(o)) { for (const x of o) walk(x, true); return; }
    if (!o || typeof o !== "object") return;
    const codes = Object.entries(o).filter(([k, v]) => /errorcode$/i.test(k) && typeof v === "number");
    if (nested && codes.length > 0 && errorCodes(o).length === 0) silent.push(o);
    for (const v of Object.values(o)) walk(v, nested);
  })(body, false);
  if (silent.length) return `an entry without an error: ${JSON.stringify(silent[0]).slice(0, 200)}`;
  if (errorCodes(body).length === 0 && !hasEntries(body) && Object.keys(body).some((k) => /errorcode$/i.test(k))) {
    return `no error code: ${JSON.stringify(body).slice(0, 200)}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// One request on a fresh VM and connection.

const metricNames = ["kafka.request_decode_errors", "kafka.response_decode_errors", "kafka.decode_errors",
  "kafka.unmatched_responses", "kafka.denials_total", "kafka.audit.refusals_not_logged"];

function sweep(policy, f, totals) {
  const problems = []; // {code, text}
  const problem = (code, text) => problems.push({ code, text });
  const h = new Host(WASM, { config: POLICIES[policy] });
  if (!h.start()) throw new Error(`${policy}: configuration refused: ${JSON.stringify(h.logs.at(-1))}`);
  const c = h.connect(2);
  const frame = Buffer.from(f.frame, "base64");
  const corr = f.header.correlationId;
  const out = { outcome: "?", reasons: [], response: null };
  const logs = () => h.logs.filter((l) => l.ctx === c.id && l.level >= 2).map((l) => l.msg);
  const denials = () => logs().filter((m) => m.startsWith("kafka filter: denied "));
  const closeLine = () => logs().find((m) => / closed by filter: /.test(m));

  try {
    c.feed(DOWNSTREAM, frame);
  } catch (e) {
    problem("trap", `VM trapped on the request: ${e.message}`);
    out.outcome = "trap";
    return finish();
  }
  let up = c.output(DOWNSTREAM);
  // A topic id the filter has not seen is asked of the broker first (Verdict.aside): a
  // Metadata v12 request by id, whose answer only the filter reads. An answer the filter
  // writes itself may follow a Metadata request of its own too: an empty one (DescribeAcls,
  // served by the broker only once signed in) or a listing (DescribeTopicPartitions listings).
  let lookup = null;
  const first = (splitFrames(up) || [])[0];
  const ownMetadata = first && f.apiKey !== 3 && first.length >= 8 && first.readInt16BE(0) === 3 && first.readInt32BE(4) === corr;
  if (logs().some((m) => /asked of the broker now/.test(m)) || ownMetadata) {
    if (!first || first.readInt16BE(0) !== 3 || first.readInt16BE(2) !== 12) problem("lookup", "an unknown topic id was logged but no Metadata v12 lookup went upstream first");
    else {
      lookup = first;
      up = up.subarray(4 + first.length);
      const d = decode(first, true, 3, 12);
      const topics = d.ok && d.json ? d.json.body.topics : undefined;
      const fits = topics === null ? isListing(f) : Array.isArray(topics) && (topics.length === 0 ? f.apiKey === 29 : topics.every((t) => t.name === null));
      if (!d.ok || !d.json || d.json.body.allowAutoTopicCreation !== false || !fits) {
        problem("lookup", `the filter's Metadata request is not one by id, an empty one or a listing, that creates nothing: ${JSON.stringify(d.json && d.json.body).slice(0, 300)}`);
      }
    }
  }
  const errors = [...new Set(denials().map((m) => (/ error=(\S+)$/.exec(m) || [])[1] || "?"))];
  if (c.closed) {
    out.outcome = "close";
    const line = closeLine();
    const m = line && / closed by filter: policy closed the connection on a \S+ request: (.+?) \(requests \d+/.exec(line);
    if (!m) problem("close", `closed without a policy reason: ${line || "no close line"} ${JSON.stringify(logs())}`);
    else out.reasons.push(m[1]);
    if (up.length > 0) problem("close", `closed, yet ${up.length} bytes went upstream`);
    return finish();
  }
  if (up.length === 0 && lookup == null) {
    problem("stall", "the request went nowhere and the connection is open");
    out.outcome = "stall";
    return finish();
  }
  if (up.equals(frame)) {
    out.outcome = "pass";
    if (denials().length > 0) problem("denial-on-pass", `forwarded unchanged, yet logged: ${denials().join(" | ")}`);
    if (policy === "deny") {
      const why = exemption(f.apiKey, f.version, f.body);
      if (why == null) problem("deny-pass", `forwarded unchanged under deny-all; Kafka would check it: ${JSON.stringify(f.body).slice(0, 300)}`);
      else out.reasons.push(why);
    }
  } else if ((lookup != null && up.length === 0) || (up.equals(probeFor(f.header)) && !(f.apiKey === 18 && f.version === 0))) {
    out.outcome = "respond";
    out.reasons.push(...errors);
    if (errors.length === 0 && ANSWERED_FROM_THE_POLICY.has(f.apiKey)) out.reasons.push("answered from the policy");
    else if (errors.length === 0 && isListing(f)) out.reasons.push("listing answered from the filter's Metadata listing");
    else if (errors.length === 0) problem("unexplained", "answered by the filter with no denial logged");
  } else {
    out.outcome = "replace";
    out.reasons.push(...errors);
    if (errors.length === 0) problem("unexplained", "rewritten with no denial logged (should have passed unchanged)");
    const frames = splitFrames(up);
    if (!frames || frames.length !== 1) problem("replace", `upstream got ${frames ? frames.length : "a broken stream of"} frames`);
    else {
      const r = frames[0];
      if (r.readInt16BE(0) !== f.apiKey || r.readInt16BE(2) !== f.version || r.readInt32BE(4) !== corr) {
        problem("replace", `rewritten request header changed: key ${r.readInt16BE(0)} v${r.readInt16BE(2)} corr ${r.readInt32BE(4)}`);
      }
      const d = decode(r, true, f.apiKey, f.version);
      if (!d.ok) problem("replace", `rewritten request does not decode: ${d.error}`);
      else if (d.json && policy === "deny" && exemption(f.apiKey, f.version, d.json.body) == null) {
        problem("deny-pass", `rewritten request still names what Kafka would check: ${JSON.stringify(d.json.body).slice(0, 300)}`);
      }
    }
  }

  // The response: the broker's answer to what went upstream (the probe, for an answer),
  // after its answer to the lookup, which the client must never see.
  const answered = out.outcome === "respond";
  if (lookup != null) {
    try {
      c.feed(UPSTREAM, withCorrelation(LOOKUP_RESPONSE.frame, 4, lookup.readInt32BE(4)));
    } catch (e) {
      problem("trap", `VM trapped on the lookup's answer: ${e.message}`);
      return finish();
    }
    if (c.closed) problem("lookup", `closed on the lookup's answer: ${closeLine()}`);
    else if (!answered && c.output(UPSTREAM).length > 0) problem("lookup", "the client got the answer to the filter's own request");
  }
  const acksZero = f.apiKey === 0 && f.body.acks === 0 && (out.outcome === "pass" || out.outcome === "replace");
  if (!acksZero && !(answered && lookup != null) && !c.closed) {
    const source = answered ? PROBE_RESPONSE : responseFor(f.apiKey, f.version, f.variant);
    if (!source) problem("response", "no oracle response for this api key and version");
    else {
      const fed = withCorrelation(source.frame, 4, corr);
      try {
        c.feed(UPSTREAM, fed);
      } catch (e) {
        problem("trap", `VM trapped on the response: ${e.message}`);
        return finish();
      }
      const got = c.output(UPSTREAM);
      checkClientResponse(got, fed);
    }
  } else if (answered && lookup != null && !c.closed) {
    checkClientResponse(c.output(UPSTREAM), null);
  }
  try { c.close(); } catch (e) { problem("trap", `VM trapped closing the connection: ${e.message}`); }
  return finish();

  /** The client must get exactly one frame: the answer to its request, decodable as such. */
  function checkClientResponse(got, fed) {
    const frames = splitFrames(got);
    if (c.closed) problem("response", `closed on the response: ${closeLine()}`);
    else if (!frames || frames.length !== 1) problem("response", `client got ${frames ? frames.length : "a broken stream of"} frames (${got.length} bytes)`);
    else if (frames[0].readInt32BE(0) !== corr) problem("response", `client got correlation id ${frames[0].readInt32BE(0)}, expected ${corr}`);
    else {
      out.response = answered ? "synthesized" : fed && got.equals(fed) ? "unchanged" : "rewritten";
      const d = decode(frames[0], false, f.apiKey, f.version);
      if (!d.ok) problem("response", `client's ${out.response} response does not decode as ${apiName(f)} v${f.version}: ${d.error}`);
      else if (d.json) {
        const missing = answered && errors.length > 0 ? missingError(d.json.body) : null;
        if (missing) problem("response", `the filter's answer does not carry the refusal: ${missing}`);
        const listing = policy === "deny" && !answered && listingOf(f.apiKey, f.version, f.body);
        if (listing) {
          const [what, empty] = listing(d.json.body);
          if (!empty) problem("visibility", `deny-all listing shows ${what}: ${JSON.stringify(d.json.body).slice(0, 300)}`);
        }
      }
    }
  }

  function finish() {
    for (const name of metricNames) totals[name] = (totals[name] || 0n) + h.metric(name);
    totals.denialLines = (totals.denialLines || 0) + h.logs.filter((l) => l.msg.startsWith("kafka filter: denied ")).length;
    out.problems = problems;
    return out;
  }
}

// ---------------------------------------------------------------------------------------

const tallies = {}, exempt = {}, known = [], totals = { allow: {}, deny: {} };
const pairs = new Set(requests.map((f) => `${f.apiKey}/${f.version}`));

/** Sweeps one frame under one policy: tallies it, sorts its problems into known and open, checks. */
function judge(policy, f, what, tally = true) {
  let r;
  try { r = sweep(policy, f, totals[policy]); } catch (e) { r = { outcome: "error", reasons: [], problems: [{ code: "error", text: e.stack }] }; }
  const key = r.outcome + (r.reasons.length && r.outcome !== "pass" ? ` (${[...new Set(r.reasons)].sort().join(", ")})` : "")
    + (r.response ? `, response ${r.response}` : "");
  if (tally) tallies[policy].set(key, (tallies[policy].get(key) || 0) + 1);
  if (VERBOSE) console.log(`${what}: ${key}${r.outcome === "pass" && r.reasons.length ? ` [${r.reasons.join("; ")}]` : ""}`);
  if (policy === "deny" && r.outcome === "pass" && r.reasons.length) {
    const e = exempt[f.apiKey] || (exempt[f.apiKey] = { name: apiName(f), frames: [], reasons: new Set() });
    e.frames.push(`v${f.version}/${f.variant}`);
    for (const why of r.reasons) e.reasons.add(why);
  }
  const open = [];
  for (const p of r.problems) {
    const k = KNOWN.find((kn) => kn.code === p.code && kn.matches(policy, f));
    if (k) known.push({ what, text: p.text, why: k.why });
    else open.push(p);
  }
  check(what, open.length === 0, open.map((p) => `[${p.code}] ${p.text}`).join("; ") + `\n  frame ${f.frame}`);
  return r;
}

const neverAuthorized = [17, 18, 36, 39, 40, 60, 71, 72];
const refusedNeverAuthorized = [];
// A handshake for a mechanism whose user the filter does not read closes the connection, in
// every policy (enforce/apis/connection.ts): the oracle's handshakes name made-up mechanisms.
const MECHANISMS_READ = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];
const mechanismRead = (f) => MECHANISMS_READ.slice(0, f.version === 0 ? 3 : 4).includes(f.body.mechanism);
const mechanismMisjudged = [];
for (const policy of Object.keys(POLICIES)) {
  tallies[policy] = new Map();
  for (const f of requests) {
    const r = judge(policy, f, `${policy}: ${apiName(f)} (${f.apiKey}) v${f.version} variant ${f.variant}`);
    const unreadMechanism = f.apiKey === 17 && !mechanismRead(f);
    if (unreadMechanism && !(r.outcome === "close" && r.reasons.some((why) => why.startsWith("SASL mechanism ")))) mechanismMisjudged.push(`${policy} v${f.version}/${f.variant}`);
    if (policy === "deny" && neverAuthorized.includes(f.apiKey) && !unreadMechanism && r.outcome !== "pass") refusedNeverAuthorized.push(`${apiName(f)} v${f.version}/${f.variant}`);
  }
}

// Beyond the oracle: a steady-state incremental Fetch (a live session id and epoch, no topics
// because none changed). Kafka authorizes the session's partitions on every fetch; the filter
// sees none of them in the request.
if (codecs) {
  const base = requests.filter((f) => f.apiKey === 1).sort((a, b) => b.version - a.version)[0];
  const d = decode(Buffer.from(base.frame, "base64").subarray(4), true, 1, base.version);
  const j = d.ok ? d.json : null;
  if (j) {
    Object.assign(j.body, { topics: [], forgottenTopicsData: [], sessionId: 1234567, sessionEpoch: 42 });
    if (j.body.replicaState) j.body.replicaState.replicaId = -1;
  }
  const bytes = j && codecs.encode(JSON.stringify(j), true, 1, base.version);
  if (bytes) {
    const f = { ...base, variant: "incremental", frame: Buffer.from(bytes).toString("base64"), header: j.header, body: j.body };
    judge("deny", f, `deny: Fetch (1) v${base.version} incremental fetch (session ${j.body.sessionId}, epoch ${j.body.sessionEpoch}) naming no topic`, false);
  } else check("the incremental Fetch probe encodes", false, d.ok ? codecs.error() : d.error);
}

for (const policy of Object.keys(POLICIES)) {
  console.log(`${policy}-all policy, ${requests.length} request frames (${pairs.size} api key/version pairs):`);
  for (const [k, n] of [...tallies[policy]].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) console.log(`  ${String(n).padStart(4)}  ${k}`);
}
console.log("deny-all: passed unchanged (exempt), by api key:");
for (const [k, e] of Object.entries(exempt).sort((a, b) => a[0] - b[0])) {
  console.log(`  ${String(k).padStart(2)} ${e.name} [${e.frames.join(" ")}]: ${[...e.reasons].join("; ")}`);
}
for (const k of known) console.log(`KNOWN ${k.what}: ${k.text}\n  (lead decides: ${k.why})`);

// ---------------------------------------------------------------------------------------
// The corpus: requests real clients sent through Envoy + the filter (make corpus-capture), and
// hand-made ones Kafka accepts.

if (CORPUS && !codecs) check("corpus: build/codecs.wasm reads the corpus", false, "absent");
if (CORPUS && codecs) {
  const { readCorpus, decodeRequest, unknownTaggedFields } = await import(path.join(ROOT, "test", "corpus", "decode.ts"));
  const names = new Map(JSON.parse(codecs.apis()).map((a) => [a.apiKey, a.name]));
  const corpus = readCorpus(CORPUS).map((c) => ({ c, d: decodeRequest(codecs, Buffer.from(c.frame, "base64")) }));
  teachTopicIds(corpus.flatMap(({ d }) => topicIds(d.json)));
  const counts = new Map(); // client -> "Api vN" -> frames
  const outcomes = new Map(); // "policy outcome" -> frames
  const beyondCodecs = []; // what Kafka reads past: bytes after the body, unknown tagged fields
  const neverSentToKafka = []; // refused by the filter each time, on the SASL listener
  for (const { c, d } of corpus) {
    const what = `corpus ${c.client} ${c.variant}`;
    const frame = Buffer.from(c.frame, "base64");
    const perClient = counts.get(c.client) || counts.set(c.client, new Map()).get(c.client);
    const api = `${names.get(c.apiKey) || c.apiKey} v${c.version}`;
    perClient.set(api, (perClient.get(api) || 0) + 1);
    // (a) the codecs read it as the broker does, and see what the capture recorded.
    const h = d.json && d.json.header;
    check(`${what}: decodes as ${api}`, h != null && h.requestApiKey === c.apiKey && h.requestApiVersion === c.version
      && frame.readInt32BE(0) === frame.length - 4, d.error || `header ${JSON.stringify(h)}`);
    if (!d.json) continue;
    const unknown = unknownTaggedFields(d.json);
    if (d.trailingBytes > 0 || unknown.length > 0) {
      beyondCodecs.push(`${c.client} ${c.variant}: ${d.trailingBytes} bytes after the body${unknown.length ? `, unknown tagged fields in ${unknown.join(", ")}` : ""}`);
    }
    check(`${what}: ${d.trailingBytes} bytes after the body, unknown tagged fields at [${unknown}]`,
      d.trailingBytes === (c.trailingBytes || 0) && unknown.join() === (c.unknownTaggedFields || []).join(),
      `recorded ${c.trailingBytes} bytes, [${c.unknownTaggedFields}]`);
    if (c.apiKey === 36) {
      const auth = Buffer.from(d.json.body.authBytes || "", "base64").toString("latin1").split("\0");
      check(`${what}: no SASL/PLAIN password kept`, auth.length < 3 || /^\**$/.test(auth[2]), "authBytes carry a password");
    }
    // (c) at capture: Kafka answered it, through Envoy or sent to it directly (make corpus-capture).
    if (c.client === "handmade") {
      const verdicts = Object.entries(c.broker || {});
      check(`${what}: every Kafka it was sent to answered it at capture`, verdicts.length > 0 && verdicts.every(([, v]) => v === "answered"), JSON.stringify(c.broker));
    } else {
      const kinds = Object.keys(c.broker || {});
      const answered = kinds.some((k) => k === "answered" || k.endsWith("sent to the broker directly: answered"));
      // The SASL listener's requests are not sent directly (the broker wants the SASL exchange first).
      if (!answered && c.listener === "SASL_PLAINTEXT" && !kinds.some((k) => k.includes("directly"))) neverSentToKafka.push(what);
      else check(`${what}: Kafka answered it at capture`, answered, JSON.stringify(c.broker));
    }
    // (b) the filter: allow -> upstream unchanged; deny -> answered, rewritten or closed with a policy reason.
    const f = { ...c, kind: "request", name: `${names.get(c.apiKey)}Request`, header: d.json.header, body: d.json.body };
    for (const policy of Object.keys(POLICIES)) {
      const r = judge(policy, f, `${what} (${policy})`, false);
      outcomes.set(`${policy} ${r.outcome}`, (outcomes.get(`${policy} ${r.outcome}`) || 0) + 1);
      // The sweep takes onDecodeError's close as a policy reason; a frame Kafka reads must never meet it.
      check(`${what}: not closed as malformed (${policy})`, !(r.outcome === "close" && r.reasons.some((x) => /did not decode/.test(x))), r.reasons.join("; "));
      if (policy !== "allow") continue;
      // A Fetch inside a session (id and epoch > 0) opened on a connection this VM never saw:
      // FETCH_SESSION_ID_NOT_FOUND, as Kafka answers for a session it does not have; the client
      // then opens a new session with a full Fetch (also in the corpus).
      const foreignSession = c.apiKey === 1 && d.json.body.sessionId > 0 && d.json.body.sessionEpoch > 0;
      check(`${what}: forwarded unchanged when the policy allows it`, r.outcome === "pass"
        || (foreignSession && r.outcome === "respond" && r.reasons.join() === "fetch_session_id_not_found"), `${r.outcome}: ${r.reasons.join("; ")}`);
    }
  }
  console.log(`corpus ${CORPUS}: ${corpus.length} request frames checked (decode, allow, deny):`);
  for (const [client, apis] of [...counts].sort()) {
    const n = [...apis.values()].reduce((a, b) => a + b, 0);
    console.log(`  ${client}: ${n} frames, ${apis.size} api versions: ${[...apis].map(([a, k]) => `${a} x${k}`).join(", ")}`);
  }
  for (const line of beyondCodecs) console.log(`  read past the codecs' own frames: ${line}`);
  for (const what of neverSentToKafka) console.log(`  never seen by Kafka (the filter refused it each time, SASL listener): ${what}`);
  console.log(`  outcomes: ${[...outcomes].sort().map(([k, n]) => `${k} ${n}`).join(", ")}`);
  check("the corpus has frames", corpus.length > 0, CORPUS);
}

/** Topic ids (other than zero) a decoded request names. */
function topicIds(json) {
  const out = [];
  (function walk(o) {
    if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === "object") for (const [k, v] of Object.entries(o)) {
      if (k === "topicId" && typeof v === "string" && v !== "AAAAAAAAAAAAAAAAAAAAAA") out.push(v);
      else walk(v);
    }
  })(json);
  return out;
}

/** Teaches every VM of this process (shared data) the ids, through a Metadata v12 response one VM sees. */
function teachTopicIds(ids) {
  if (ids.length === 0) return;
  const h = new Host(WASM, { config: POLICIES.allow });
  h.start();
  const c = h.connect(2);
  const request = requests.find((f) => f.apiKey === 3 && f.version === 12);
  const corr = request.header.correlationId;
  c.feed(DOWNSTREAM, Buffer.from(request.frame, "base64"));
  const partition = { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] };
  const body = {
    ...LOOKUP_RESPONSE.body, brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }], controllerId: 1,
    topics: [...new Set(ids)].map((topicId, i) => ({
      errorCode: 0, name: `corpus.topic-${i}`, topicId, isInternal: false, partitions: [partition], topicAuthorizedOperations: -2147483648,
    })),
  };
  const bytes = codecs.encode(JSON.stringify({ header: { correlationId: corr }, body }), false, 3, 12);
  check("corpus: the Metadata response that teaches the topic ids encodes", bytes != null, codecs.error());
  if (bytes) c.feed(UPSTREAM, Buffer.from(bytes));
  // (whether the VMs learnt them shows in the checks that follow: requests by id go upstream as sent)
  check(`corpus: the Metadata response naming the corpus's ${new Set(ids).size} topic ids reaches the client`,
    !c.closed && c.output(UPSTREAM).length > 0, JSON.stringify(h.logs.slice(-3)));
  c.close();
}

// ---- summary checks ----
for (const policy of Object.keys(POLICIES)) {
  const t = totals[policy];
  check(`${policy}: every Kafka-built request and response decodes in the filter`,
    t["kafka.request_decode_errors"] === 0n && t["kafka.response_decode_errors"] === 0n && t["kafka.decode_errors"] === 0n,
    `request ${t["kafka.request_decode_errors"]}, response ${t["kafka.response_decode_errors"]}, framing ${t["kafka.decode_errors"]}`);
  check(`${policy}: every response matched its request`, t["kafka.unmatched_responses"] === 0n, String(t["kafka.unmatched_responses"]));
  // A request may be refused on more resources than audit.refusalsLoggedPerSecond (100): those
  // past it are counted, not logged one by one (refusal-log.mjs checks their summary).
  check(`${policy}: kafka.denials_total counts every denial line and every refusal not logged`,
    t["kafka.denials_total"] === BigInt(t.denialLines) + t["kafka.audit.refusals_not_logged"],
    `${t["kafka.denials_total"]} vs ${t.denialLines} lines + ${t["kafka.audit.refusals_not_logged"]} not logged`);
}
check("deny: the APIs Kafka never authorizes pass unchanged (SASL, ApiVersions, telemetry, DescribeCluster, token renew/expire)",
  refusedNeverAuthorized.length === 0, refusedNeverAuthorized.join(", "));
check("a SaslHandshake for a mechanism whose user the filter does not read closes, in every policy",
  mechanismMisjudged.length === 0 && requests.some((f) => f.apiKey === 17 && !mechanismRead(f)), mechanismMisjudged.join(", "));
check("the oracle covers requests and their responses", requests.length > 0 && [...pairs].every((p) => responses.has(`${p}/0`)),
  [...pairs].filter((p) => !responses.has(`${p}/0`)).join(" "));

console.log(`sweep: ${requests.length} request frames x ${Object.keys(POLICIES).length} policies in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
