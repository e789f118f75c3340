// External decisions: every ACL question (principal, host, resource, operation) answered by a
// policy service over HTTP, e.g. OPA, instead of the policy's own ACLs ("external" in the
// plugin configuration, see config.ts).
//
// A question asked for the first time sends one HTTP call (proxy_http_call to an Envoy cluster)
// and the request that asked waits (Verdict.wait: its bytes stay in Envoy's buffer, other
// connections go on); the answer is cached for `cacheTtlMs`, and every connection waiting for
// it is resumed, which offers the same request to the checks again. A call that fails (no
// answer within `timeoutMs`, a 502, 503 or 504, a body that is not a decision) answers
// `failOpen` and holds for at most FAILURE_HOLD_MS, so that a service that is down is not
// asked once per request; any other status is a failure that denies whatever failOpen says.
//
// The input document is Envoy's ext_authz input (attributes.source / destination) plus the
// Kafka fields; it holds only what the cache key holds, so a cached answer is the answer:
//   {"input": {"attributes": {"source": {"address": {"socketAddress": {"address": "10.0.0.7"}}, "principal": "User:alice"},
//                             "destination": {"address": {"socketAddress": {"address": "127.0.0.1", "portValue": 19096}}}},
//              "kafka": {"principal": "User:alice", "host": "10.0.0.7", "listener": "kafka-opa", "operation": "WRITE",
//                        "resource": {"type": "TOPIC", "name": "orders.eu", "anyResource": false}}}}
// The answer: {"result": true | false} or {"result": {"allowed": true | false, "reason": "..."}};
// no "result" (OPA's answer when the rule is undefined), or a result object without "allowed", is a denial.

import { Utf8Json } from "../json/utf8-writer";
import { parseJson, JsonKind } from "../json/value";
import { httpCall, httpCallResponseHeader, readBuffer, BufferTypeValues, actOnContext, nowNs, printable, printableJoined } from "../runtime/host";
import { warnBounded } from "./warnings";
import { resumeRequests } from "../filter/seam";
import { resourceTypeName, operationName } from "../policy/acl";
import { count } from "./observe";

/** How long a failed call's outcome (failOpen) stands before the question is asked again. */
const FAILURE_HOLD_MS: i64 = 1000;

export class ExternalSettings {
  /** The Envoy cluster of the policy service. */
  cluster: string = "";
  /** The request's :authority (default: the cluster's name). */
  authority: string = "";
  /** The decision's path (OPA's data API: /v1/data/<package path>/<rule>). */
  path: string = "/v1/data/kafka/authz/allow";
  timeoutMs: i32 = 1000;
  cacheTtlMs: i32 = 10000;
  /** When the service cannot answer: allow (true) or deny (false, the default). */
  failOpen: bool = false;
  /** Answers kept per Envoy worker, at most (see `recent`: the least recently asked go first). */
  maxCacheEntries: i32 = 10000;
  /** Questions in flight per Envoy worker; past it, a new question fails at once. */
  maxPendingCalls: i32 = 1000;
  /** The root context that makes the calls (its onHttpCallResponse hands answers to `answered`). */
  rootContextId: u32 = 0;

  describe(): string {
    return "external=" + this.cluster + this.path + " timeoutMs=" + this.timeoutMs.toString() + " cacheTtlMs=" +
      this.cacheTtlMs.toString() + " failOpen=" + (this.failOpen ? "true" : "false");
  }
}

/** What is asked: who, from where, through which listener, what on which resource. */
export class ExternalQuestion {
  constructor(
    /**
     * The root context asking: one plugin configuration (its service, path and failOpen). A
     * reload is a new root context in the same VM, whose cache and calls these are: an answer
     * of the old configuration's rule, or its failOpen, must not decide for the new one.
     */
    readonly root: u32,
    readonly listener: string,
    /** The listener's own address ("ip:port"), ext_authz's destination. */
    readonly destination: string,
    readonly principal: string,
    readonly host: string,
    readonly resourceType: i32,
    readonly name: string,
    readonly operation: i32,
    /** Kafka's authorizeByResourceType: may the principal do `operation` on some resource of the type? */
    readonly anyResource: bool,
  ) {}

  // Made once, and shared with the next question of the same prefix (samePrefixAs).
  private prefixText: string | null = null;

  /**
   * The question's key but its name: answers and calls are found by it, then by the name
   * itself (questionGet), so that no key copies a name of up to 32,767 characters.
   */
  prefix(): string {
    const made = this.prefixText;
    if (made != null) return made;
    // Length-prefixed: no value can pass for another's boundary.
    // The destination too: listeners sharing a plugin name share a VM, and the service is told
    // which address was reached (its policy may decide on it).
    const k = this.root.toString() + "/" + part(this.listener) + part(this.destination) + part(this.principal) + part(this.host) + this.resourceType.toString() + "/" +
      this.operation.toString() + (this.anyResource ? "*" : "=");
    this.prefixText = k;
    return k;
  }

  /** Takes `other`'s prefix when it is this question's too (of the same root, listener and destination). */
  samePrefixAs(other: ExternalQuestion): void {
    if (this.resourceType == other.resourceType && this.operation == other.operation && this.anyResource == other.anyResource &&
      this.principal == other.principal && this.host == other.host) this.prefixText = other.prefixText;
  }

  /** Whether this is the question of these values (of the same root, listener and destination). */
  @inline asks(principal: string, host: string, resourceType: i32, name: string, operation: i32, anyResource: bool): bool {
    return this.resourceType == resourceType && this.operation == operation && this.anyResource == anyResource &&
      this.name == name && this.principal == principal && this.host == host;
  }

  /** Characters of the key (prefix and name): what the cache and the calls in flight count. */
  keyLength(): i64 { return <i64>this.prefix().length + <i64>this.name.length; }

  /** The JSON body's length in bytes, counted without writing it. */
  bodyLength(): usize {
    const w = new Utf8Json();
    this.writeInput(w);
    return w.length;
  }

  /** Writes the JSON body at `out`, which has room for bodyLength() bytes. */
  writeBody(out: usize): void { this.writeInput(new Utf8Json(out)); }

  /** The JSON body, in a buffer of its own. */
  body(): ArrayBuffer {
    const out = new ArrayBuffer(<i32>this.bodyLength());
    this.writeBody(changetype<usize>(out));
    return out;
  }

  /** The JSON body as text (the specs'). */
  input(): string { return String.UTF8.decode(this.body()); }

  // Written as UTF-8 directly (json/utf8-writer.ts), as JsonWriter would write it; run twice,
  // counting, then writing.
  private writeInput(w: Utf8Json): void {
    w.ascii("{\"input\":{\"attributes\":{\"source\":{");
    socketAddress(w, this.host, -1);
    w.ascii(",\"principal\":"); w.string(this.principal);
    w.ascii("},\"destination\":{");
    const colon = this.destination.lastIndexOf(":");
    const port = colon > 0 ? I32.parseInt(this.destination.substring(colon + 1)) : -1;
    socketAddress(w, colon > 0 ? this.destination.substring(0, colon) : this.destination, port);
    w.ascii("}},\"kafka\":{\"principal\":"); w.string(this.principal);
    w.ascii(",\"host\":"); w.string(this.host);
    w.ascii(",\"listener\":"); w.string(this.listener);
    w.ascii(",\"operation\":"); w.string(operationName(this.operation));
    w.ascii(",\"resource\":{\"type\":"); w.string(resourceTypeName(this.resourceType));
    w.ascii(",\"name\":"); w.string(this.name);
    w.ascii(",\"anyResource\":"); w.bool(this.anyResource);
    w.ascii("}}}}");
  }

  /**
   * "principal OPERATION TYPE:name" for a log line, as printable() writes it: cut at `maxChars`
   * without copying the whole name first (up to 32,767 characters, for a line that keeps 300).
   */
  printableDescription(maxChars: i32): string {
    return printableJoined(this.principal + " " + operationName(this.operation) + " " + resourceTypeName(this.resourceType) +
      (this.anyResource ? ":<any>" : ":"), this.anyResource ? "" : this.name, maxChars);
  }
}

function part(s: string): string { return s.length.toString() + ":" + s; }

function socketAddress(w: Utf8Json, address: string, port: i32): void {
  w.ascii("\"address\":{\"socketAddress\":{\"address\":");
  w.string(address);
  if (port >= 0) {
    w.ascii(",\"portValue\":");
    w.int(port);
  }
  w.ascii("}}");
}

export const enum Answer { Allowed = 0, Denied = 1, Pending = 2 }

/** An answer in the cache, with why (for the audit trail). */
export class ExternalDecision {
  constructor(readonly allowed: bool, readonly reason: string, readonly expiresNs: i64) {}
}

/** What Envoy answers (with a 504) for a call that got no answer within its timeout. */
const ENVOY_TIMEOUT_BODY = "upstream request timeout";

/** A connection has at most maxPendingCalls / CONNECTION_SHARE calls in flight for its requests, and as many for its responses. */
const CONNECTION_SHARE: i32 = 8;

/**
 * Bytes the VM's calls in flight may hold: their bodies, which Envoy keeps until the answer
 * comes, and their keys, which the VM keeps. A count alone (maxPendingCalls) let 1,000
 * questions about names of 32,760 control characters (6 bytes each, escaped) hold 182 MiB
 * of bodies. Past it a question is refused as past maxPendingCalls, unless none is in flight.
 */
const PENDING_BYTES: i64 = 16 << 20;
let pendingBytes: i64 = 0;

class Call {
  /** What the call holds in flight (PENDING_BYTES). */
  bytes: i64 = 0;
  /** The connections whose waiting request needs this answer. */
  waiting: Array<ExternalAuthorizer> = new Array<ExternalAuthorizer>();
  /** The connection whose response asked (no request waits for it): its unawaitedCalls. */
  asker: ExternalAuthorizer | null = null;
  constructor(readonly question: ExternalQuestion, readonly settings: ExternalSettings) {}
}

// Values by question (answers, calls): by its prefix, then by its name, the request's own
// string (held, not copied). A question's key joined with its name was a copy of the name per
// look-up, and a request may name 125 names of 32,000 characters, each looked up several times.
// Plain nested maps, no object around them: a collection walks every live object, and three
// more made every allowed round trip dearer.

function questionHas<V>(m: Map<string, Map<string, V>>, q: ExternalQuestion): bool {
  const p = q.prefix();
  return m.has(p) && m.get(p).has(q.name);
}

/** The value of `q`, which questionHas. */
function questionGet<V>(m: Map<string, Map<string, V>>, q: ExternalQuestion): V { return m.get(q.prefix()).get(q.name); }

/** Whether `q` was not there yet. */
function questionSet<V>(m: Map<string, Map<string, V>>, q: ExternalQuestion, v: V): bool {
  const p = q.prefix();
  let names: Map<string, V>;
  if (m.has(p)) names = m.get(p);
  else {
    names = new Map<string, V>();
    m.set(p, names);
  }
  const added = !names.has(q.name);
  names.set(q.name, v);
  return added;
}

function questionDelete<V>(m: Map<string, Map<string, V>>, q: ExternalQuestion): bool {
  const p = q.prefix();
  if (!m.has(p)) return false;
  const names = m.get(p);
  if (!names.delete(q.name)) return false;
  if (names.size == 0) m.delete(p);
  return true;
}

// Topic names seen in listings (Metadata for all topics), per VM: a listing's answer cannot wait
// for the service, so the next listing asks about these first (see apis/topics.ts checkMetadata).
const MAX_LISTED_TOPICS = 10000;
const listed = new Set<string>();

// Per VM (Envoy worker): answers, and the calls on their way keyed by question and by token.
//
// Answers are kept in two generations: a new one goes in `recent`, and when `recent` holds half
// of maxCacheEntries or of CACHE_BYTES it becomes `older`, whose answers are given up; an answer
// asked again meanwhile moves back to `recent`. So a client asking many questions, or long ones
// (a key holds the resource's name, up to 32,767 characters), pushes out the answers no one asks
// for, not every client's answers at once, and the cache's memory is bounded by its bytes too:
// 10,000 such names once kept 640 MiB of a VM's memory past their connection.
const CACHE_BYTES: i64 = 32 * 1024 * 1024;
let recent = new Map<string, Map<string, ExternalDecision>>();
let older = new Map<string, Map<string, ExternalDecision>>();
/** Answers in `recent`. */
let recentCount: i32 = 0;
let recentBytes: i64 = 0;
const callsByKey = new Map<string, Map<string, Call>>();
const callsByToken = new Map<u64, Call>();

/**
 * The answer to `q` if known; otherwise asks (once per question) and returns Pending, with
 * `waiter`'s connection (null: none) given the answer and resumed when it comes. `contextId`
 * is the connection in whose callback this runs: host calls act on it again afterwards.
 */
export function ask(s: ExternalSettings, q: ExternalQuestion, contextId: u32, waiter: ExternalAuthorizer | null,
                    asker: ExternalAuthorizer | null = null): Answer {
  const d = cached(q, s.maxCacheEntries);
  if (d != null) {
    if (d.expiresNs > nowNs()) {
      count("kafka.external.cache_hits");
      return d.allowed ? Answer.Allowed : Answer.Denied;
    }
    forgetRecent(q, d);
  }
  let call: Call;
  if (questionHas(callsByKey, q)) {
    call = questionGet(callsByKey, q);
  } else {
    // One connection's share of the VM's calls in flight: one request naming 1,000 made-up
    // topics took all of them, and every other client's new question was refused (below)
    // until the service answered. A request past its share waits for the answers it already
    // waits for (awaited >= share > 0, so it is resumed) and asks the rest then; a response,
    // which cannot wait, refuses the resource, as it refuses one not answered yet.
    const share = max(1, s.maxPendingCalls / CONNECTION_SHARE);
    if (waiter != null ? waiter.awaited >= share : asker != null && asker.unawaitedCalls >= share) {
      count("kafka.external.over_connection_share");
      return waiter != null ? Answer.Pending : Answer.Denied;
    }
    call = new Call(q, s);
    if (waiter == null) call.asker = asker;
    if (callsByToken.size >= s.maxPendingCalls) {
      // The filter's own bound, which a client can reach by asking many questions: it never
      // opens, whatever failOpen says (else failOpen would be a way past the policy).
      // Not kept: the limit is the VM's, which another client may have filled, and the question
      // is asked again once there is room (else one client's flood would deny others for a while).
      count("kafka.external.over_pending_limit");
      return outcome(call, false, "", "over external.maxPendingCalls (" + s.maxPendingCalls.toString() + ") questions in flight", false, false).allowed
        ? Answer.Allowed : Answer.Denied;
    }
    // Counted before it is written: a question past the bytes is refused without a body made.
    const length = q.bodyLength();
    call.bytes = (q.keyLength() << 1) + <i64>length;
    if (pendingBytes + call.bytes > PENDING_BYTES && callsByToken.size > 0) {
      count("kafka.external.over_pending_limit");
      return outcome(call, false, "", "over " + (PENDING_BYTES >> 20).toString() + " MiB of questions in flight", false, false).allowed
        ? Answer.Allowed : Answer.Denied;
    }
    if (!send(call, length, contextId)) return decided(call, false, "", "the call could not be made").allowed ? Answer.Allowed : Answer.Denied;
    pendingBytes += call.bytes;
    const a = call.asker;
    if (a != null) a.unawaitedCalls++;
  }
  if (waiter != null && !call.waiting.includes(waiter)) {
    call.waiting.push(waiter);
    waiter.awaited++;
  }
  return Answer.Pending;
}

/** The cached decision about `q` (after ask() answered Allowed or Denied), for the audit trail. */
export function decisionOf(q: ExternalQuestion): ExternalDecision | null {
  return questionHas(recent, q) ? questionGet(recent, q) : questionHas(older, q) ? questionGet(older, q) : null;
}

/** The answer kept for `q`, moved to `recent` if it was older; null if none is kept. */
function cached(q: ExternalQuestion, maxEntries: i32): ExternalDecision | null {
  if (questionHas(recent, q)) return questionGet(recent, q);
  if (!questionHas(older, q)) return null;
  const d = questionGet(older, q);
  questionDelete(older, q);
  keep(q, d, maxEntries);
  return d;
}

/** What `recent` counts for an answer: UTF-16 strings, and about a map entry's and a decision's own size. */
function entryBytes(q: ExternalQuestion, d: ExternalDecision): i64 {
  return (q.keyLength() + <i64>d.reason.length) * 2 + 96;
}

/** An expired answer given up (cached() has just moved it to `recent` if it was older). */
function forgetRecent(q: ExternalQuestion, d: ExternalDecision): void {
  if (questionDelete(recent, q)) {
    recentCount--;
    recentBytes = max(0, recentBytes - entryBytes(q, d));
  }
}

function keep(q: ExternalQuestion, d: ExternalDecision, maxEntries: i32): void {
  const bytes = entryBytes(q, d);
  if (recentCount > 0 && (recentCount >= max(1, maxEntries / 2) || recentBytes + bytes > CACHE_BYTES / 2)) {
    older = recent;
    recent = new Map<string, Map<string, ExternalDecision>>();
    recentCount = 0;
    recentBytes = 0;
  }
  if (questionSet(recent, q, d)) recentCount++;
  recentBytes += bytes;
}

function send(call: Call, bodyLength: usize, contextId: u32): bool {
  const s = call.settings;
  const headers = [":method", "POST", ":path", s.path, ":authority", s.authority.length > 0 ? s.authority : s.cluster,
    "content-type", "application/json"];
  const body = changetype<usize>(bodyBuffer(bodyLength));
  call.question.writeBody(body);
  // The call belongs to the root context: it outlives any one connection, and its answer is
  // delivered to the root (see KafkaRoot.onHttpCallResponse).
  actOnContext(s.rootContextId);
  const token = httpCall(s.cluster, headers, body, bodyLength, <u32>s.timeoutMs);
  actOnContext(contextId);
  if (token == 0) return false;
  count("kafka.external.calls");
  questionSet(callsByKey, call.question, call);
  callsByToken.set(tokenKey(s.rootContextId, token), call);
  return true;
}

// The bodies' buffer, reused: Envoy copies a body when the call is made, and a body of its own
// per question was garbage until the callback ended (a request asks a question per name, and a
// name's body may be 200 KB). Grown by doubling to the largest body asked, up to
// MAX_KEPT_BODY; a larger one (a long principal too) gets a buffer of its own. Not freed with
// heap.free: using the allocator directly made every allocation of the filter dearer.
const MAX_KEPT_BODY: i32 = 1 << 20;
let bodies: ArrayBuffer | null = null;

/** A buffer of at least `length` bytes for a body, valid until the next body. */
function bodyBuffer(length: usize): ArrayBuffer {
  const kept = bodies;
  if (kept != null && <usize>kept.byteLength >= length) return kept;
  if (length > <usize>MAX_KEPT_BODY) return new ArrayBuffer(<i32>length);
  const grown = new ArrayBuffer(min(MAX_KEPT_BODY, max(<i32>length, kept != null ? kept.byteLength << 1 : 1024)));
  bodies = grown;
  return grown;
}

@inline function tokenKey(root: u32, token: u32): u64 { return (<u64>root << 32) | <u64>token; }

/**
 * The answer to call `token` of root context `root`: `headers` 0 means none came (timeout or
 * connection failure). Caches the decision and resumes every connection waiting for it.
 */
export function answered(root: u32, token: u32, headers: u32, bodySize: u32): void {
  const k = tokenKey(root, token);
  if (!callsByToken.has(k)) return;
  const call = callsByToken.get(k);
  callsByToken.delete(k);
  questionDelete(callsByKey, call.question);
  pendingBytes = max(0, pendingBytes - call.bytes);
  const asker = call.asker;
  if (asker != null) asker.unawaitedCalls--;
  let d: ExternalDecision;
  if (headers == 0) {
    d = decided(call, false, "", "no answer (the connection to the service failed or was reset)");
  } else {
    const status = httpCallResponseHeader(":status");
    const body = readBuffer(BufferTypeValues.HttpCallResponseBody, bodySize);
    const text = body != null ? String.UTF8.decodeUnsafe(body.dataStart, <usize>body.length) : "";
    if (status == "504" && text == ENVOY_TIMEOUT_BODY) {
      d = decided(call, false, "", "no answer within " + call.settings.timeoutMs.toString() + " ms");
    } else if (status != "200") {
      // failOpen is for a service that cannot answer: unreachable or overloaded (502, 503, 504),
      // or an answer without a status. One that answers this question with an error (a 4xx; a
      // 500 such as OPA's evaluation or conflict errors, which a crafted name can provoke) has
      // not failed: opened, such a name would be a way past the policy.
      const unavailable = status == null || status == "502" || status == "503" || status == "504";
      d = decided(call, false, "", "HTTP status " + (status != null ? printable(status, 16) : "missing") +
        (text.length > 0 ? ": " + printable(text, 120) : ""), false, unavailable);
    } else {
      d = readDecision(call, text);
    }
  }
  // The waiting requests get the answer itself: when decided again they must not depend on
  // the cache still holding it (cacheTtlMs 0 or shorter than the wait, an eviction).
  // A request is decided again once, when the last of its answers comes (a listing can wait
  // for a thousand).
  const waiting = call.waiting;
  for (let i = 0; i < waiting.length; i++) {
    const w = unchecked(waiting[i]);
    w.answerCame(call.question, d);
    if (--w.awaited <= 0) resumeRequests(w.connectionId);
  }
}

/** {"result": bool} or {"result": {"allowed": bool, "reason": string}}; no result, or no "allowed" in it: denied. */
function readDecision(call: Call, text: string): ExternalDecision {
  const parsed = parseJson(text);
  const root = parsed.ok ? parsed.value : null;
  if (root == null || root.kind != JsonKind.Object) {
    return decided(call, false, "", "the answer is not a JSON object: " + printable(text, 120));
  }
  const result = root.get("result");
  if (result == null) return decided(call, true, "no decision (the rule is undefined for this input)", "");
  if (result.kind == JsonKind.Bool) return decided(call, true, result.boolValue ? "allowed" : "denied", "", result.boolValue);
  if (result.kind == JsonKind.Object) {
    const allowed = result.get("allowed");
    // No "allowed": the service answered, and nothing in its answer allows. OPA answers so
    // for a partial object rule (`decision.allowed if ...`, `decision.reason := ...`) whose
    // "allowed" is undefined for the input, as it answers no "result" for a complete rule
    // undefined for it. Taken for a failure, failOpen allowed whatever the rule does not.
    if (allowed == null) {
      const reason = result.get("reason");
      return decided(call, true, reason != null && reason.kind == JsonKind.String ? reason.text : "no \"allowed\" in the decision", "", false);
    }
    if (allowed.kind == JsonKind.Bool) {
      const reason = result.get("reason");
      const why = reason != null && reason.kind == JsonKind.String ? reason.text : (allowed.boolValue ? "allowed" : "denied");
      return decided(call, true, why, "", allowed.boolValue);
    }
  }
  return decided(call, false, "", "the answer's result is neither a boolean nor an object with a boolean \"allowed\"");
}

/** The outcome of `call` (see outcome), kept in the cache for the next asking. */
function decided(call: Call, answeredOk: bool, reason: string, failure: string, allowed: bool = false, mayOpen: bool = true): ExternalDecision {
  const d = outcome(call, answeredOk, reason, failure, allowed, mayOpen);
  questionDelete(older, call.question);
  keep(call.question, d, call.settings.maxCacheEntries);
  return d;
}

/**
 * The outcome of `call`: `answered` with `allowed` and `reason`, or failed with `failure`
 * (then failOpen decides, unless `mayOpen` is false, for FAILURE_HOLD_MS at most).
 */
function outcome(call: Call, answeredOk: bool, reason: string, failure: string, allowed: bool, mayOpen: bool): ExternalDecision {
  const s = call.settings;
  const open = s.failOpen && mayOpen;
  const now = nowNs();
  let d: ExternalDecision;
  if (answeredOk) {
    count(allowed ? "kafka.external.allowed" : "kafka.external.denied");
    d = new ExternalDecision(allowed, "external: " + reason, now + <i64>s.cacheTtlMs * 1000000);
  } else {
    count("kafka.external.failures");
    if (open) count("kafka.external.failed_open");
    warnBounded("kafka filter: external decision on " + call.question.printableDescription(300) + " failed (" + failure + "): " +
      (open ? "allowing (failOpen)" : "denying"));
    d = new ExternalDecision(open, "external service failed (" + failure + "), " + (open ? "failing open" : "failing closed"),
      now + min(<i64>s.cacheTtlMs, FAILURE_HOLD_MS) * 1000000);
  }
  return d;
}

/**
 * One connection's way to the policy service: asks on behalf of its session, and counts the
 * questions still unanswered while a request is decided (the request then waits).
 */
export class ExternalAuthorizer {
  /** True while a request is decided (it can wait); false for a response (it cannot). */
  mayWait: bool = false;
  /** Questions of the request being decided that are not answered yet. */
  pending: i32 = 0;
  /** Calls on their way whose answers the waiting request needs: resumed when none is left. */
  awaited: i32 = 0;
  /** Calls on their way that this connection's responses asked (no request waits for them). */
  unawaitedCalls: i32 = 0;
  /**
   * The answers that came for the waiting request (by question key), kept until it is decided:
   * they decide it whatever the cache has kept by then.
   */
  private answers: Map<string, Map<string, ExternalDecision>> = new Map<string, Map<string, ExternalDecision>>();

  constructor(readonly settings: ExternalSettings, readonly listener: string, readonly destination: string,
              readonly connectionId: u32) {}

  /**
   * The service's answer, when known. Otherwise it is asked: a request counts it as pending
   * (and is resumed when it comes); a response, which cannot wait, is refused the resource
   * (the next one finds the answer in the cache).
   */
  allowed(principal: string, host: string, resourceType: i32, name: string, operation: i32, anyResource: bool): bool {
    return this.answer(principal, host, resourceType, name, operation, anyResource) == Answer.Allowed;
  }

  /** `allowed`, telling a refusal from a question not answered yet (Pending). */
  answer(principal: string, host: string, resourceType: i32, name: string, operation: i32, anyResource: bool): Answer {
    const q = this.question(principal, host, resourceType, name, operation, anyResource);
    if (this.mayWait && this.answers.size > 0) {
      if (questionHas(this.answers, q)) return questionGet(this.answers, q).allowed ? Answer.Allowed : Answer.Denied;
    }
    const a = ask(this.settings, q, this.connectionId, this.mayWait ? this : null, this);
    if (a == Answer.Pending) {
      if (this.mayWait) this.pending++;
      else count("kafka.external.unanswered_in_response");
    }
    return a;
  }

  /** A topic a listing answer named (bounded; the first MAX_LISTED_TOPICS are kept). */
  noteListed(name: string): void {
    if (listed.size < MAX_LISTED_TOPICS) listed.add(name);
  }

  /** The topics listings named so far, to ask about before the next listing. */
  listedTopics(): Array<string> { return listed.values(); }

  /** Why the service decided as it did about this question (after `allowed`). */
  reason(principal: string, host: string, resourceType: i32, name: string, operation: i32, anyResource: bool): string {
    const q = this.question(principal, host, resourceType, name, operation, anyResource);
    const d = this.mayWait && questionHas(this.answers, q) ? questionGet(this.answers, q) : decisionOf(q);
    return d != null ? d.reason : "external: no answer yet (asked now; a response cannot wait for it)";
  }

  /** The answer to question `q`, which the waiting request asked (see `answers`). */
  answerCame(q: ExternalQuestion, d: ExternalDecision): void { questionSet(this.answers, q, d); }

  /** The request was decided (it does not wait): the answers it waited for are spent. */
  requestDecided(): void {
    if (this.answers.size > 0) this.answers.clear();
    this.last = null;
  }

  // The question asked last: `reason` follows `answer` on the same question, and the next
  // question mostly has its prefix. Let go with the request (requestDecided).
  private last: ExternalQuestion | null = null;

  private question(principal: string, host: string, resourceType: i32, name: string, operation: i32, anyResource: bool): ExternalQuestion {
    if (anyResource) name = "";
    const last = this.last;
    if (last != null && last.asks(principal, host, resourceType, name, operation, anyResource)) return last;
    const q = new ExternalQuestion(this.settings.rootContextId, this.listener, this.destination, principal, host, resourceType, name,
      operation, anyResource);
    if (last != null) q.samePrefixAs(last);
    this.last = q;
    return q;
  }
}
