// The audit trail: one JSON object per decision worth keeping (every refusal; allowed ACL checks
// when "audit.allows" is "all", sampled), written to Envoy's log after a fixed prefix.
//
// Why Envoy's log: a proxy-wasm network filter has no ABI call that writes an access log entry.
// Envoy's access loggers (tcp_proxy's access_log, the Wasm access logger) run once per
// connection, at its end or on a flush interval, while a connection carries any number of
// requests and decisions; filter state or dynamic metadata set from Wasm would keep only the
// last one. proxy_log is the one per-event channel, so each decision is one log line:
//
//   ... wasm log kafka-plaintext kafka kafka: kafka-audit: {"time":"2026-...","decision":"DENIED",...}
//
// Everything after AUDIT_PREFIX is one JSON object of printable ASCII (quoteAscii): values from
// the wire are escaped and capped, so no client can end the object or the line early, or make
// it too long or not Unicode.

import { JsonWriter } from "../json/writer";
import { AuthzResult, AuthzReason, decisionAllowed, decisionReason, decisionAclIndex, operationName } from "../policy/acl";
import { errorName } from "../protocol/errors";

export const AUDIT_PREFIX = "kafka-audit: ";

export const enum Decision {
  /** Refused (enforce mode, or a refusal audit mode enforces too: malformed record batches). */
  Denied = 0,
  /** Allowed by an ACL check (logged only with "audit.allows": "all"). */
  Allowed = 1,
  /** Audit mode: enforce mode would have refused it; it went on unchanged. */
  WouldDeny = 2,
}

export function decisionName(d: Decision): string {
  return d == Decision.Denied ? "DENIED" : d == Decision.Allowed ? "ALLOWED" : "WOULD_DENY";
}

/** What the policy decided about one resource of a request. */
export class ResourceDecision {
  constructor(
    /** Kafka's resource type name ("TOPIC", "GROUP", ...), or what else was judged ("API", "FETCH_SESSION", ...). */
    readonly resourceType: string,
    readonly resourceName: string,
    /** Kafka's operation name ("WRITE", ...); "" when no ACL operation was checked (a limit, a protocol rule). */
    readonly operation: string,
    /**
     * The rule that decided: "acls[3]", "superUser", "default" (no ACL names the resource:
     * allowEveryoneIfNoAclFound), "noMatchingAllow" (ACLs name it, none allows), "external" (the
     * policy service; the reason says what it answered); "" when no ACL decided.
     */
    readonly rule: string,
    readonly reason: string,
    /** Kafka's error name in upper case, "NONE" for an allowed check. */
    readonly error: string,
  ) {}

  /** A refusal as RequestContext.deny records it: `resource` is "TYPE:name" (else the API's name). */
  static refusal(resource: string, reason: string, error: string, operation: string, rule: string): ResourceDecision {
    const colon = resource.indexOf(":");
    const typed = colon > 0 && isTypeName(resource.substring(0, colon));
    return new ResourceDecision(typed ? resource.substring(0, colon) : "API", typed ? resource.substring(colon + 1) : resource,
      operation, rule, reason, error.toUpperCase());
  }
}

const upperErrorNames = new Map<i16, string>();

/** Kafka's error name of `code` in upper case, as ResourceDecision.error holds it ("TOPIC_AUTHORIZATION_FAILED"). */
export function upperErrorName(code: i16): string {
  if (upperErrorNames.has(code)) return upperErrorNames.get(code);
  const name = errorName(code).toUpperCase();
  upperErrorNames.set(code, name);
  return name;
}

function isTypeName(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c == 95)) return false;
  }
  return true;
}

/** The audit trail's name for what an ACL decision rested on. */
export function ruleOf(r: AuthzResult): string {
  switch (r.reason) {
    case AuthzReason.SuperUser: return "superUser";
    case AuthzReason.AllowAcl:
    case AuthzReason.DenyAcl: return "acls[" + r.aclIndex.toString() + "]";
    case AuthzReason.NoMatchingAllow: return "noMatchingAllow";
    // No ACL names the resource: allowEveryoneIfNoAclFound decided.
    default: return "default";
  }
}

/** What the audit trail says of an ACL decision: the rule that decided, and why (refusals: "WRITE not allowed (...)"). */
export class DecisionWords {
  constructor(readonly rule: string, readonly reason: string) {}
}

/** The words of each (operation, decision) met; bounded, as a policy's ACLs are. */
const wordsOf = new Map<i32, DecisionWords>();
const MAX_WORDS = 4096;

/**
 * The words of decision `d` (acl.ts's packed decide()) on `operation`. They depend on these
 * two alone, so every refusal alike shares them: a request can name millions of topics, and
 * building the same sentence for each cost more than deciding it.
 */
export function decisionWords(operation: i32, d: i32): DecisionWords {
  const key = (d << 5) | (operation & 31);
  if (wordsOf.has(key)) return wordsOf.get(key);
  const r = new AuthzResult(decisionAllowed(d), decisionReason(d), decisionAclIndex(d));
  const words = new DecisionWords(ruleOf(r), r.allowed ? r.describe() : operationName(operation) + " not allowed (" + r.describe() + ")");
  if (wordsOf.size < MAX_WORDS) wordsOf.set(key, words);
  return words;
}

/** Who asked, where, for what: the parts of an audit line that come from the connection and request. */
export class AuditSubject {
  constructor(
    readonly timeNs: i64,
    readonly mode: string,
    readonly principal: string,
    readonly clientAddress: string,
    readonly clientId: string,
    readonly listener: string,
    readonly api: string,
    readonly apiVersion: i32,
    readonly correlationId: i32,
  ) {}
}

// Caps, in characters, of values from the wire (a client id may hold 32767).
const MAX_CLIENT_ID = 256;
const MAX_PRINCIPAL = 256;
const MAX_RESOURCE = 300;
const MAX_REASON = 600;
const MAX_OTHER = 100;

/** The JSON object of one audit line (without AUDIT_PREFIX). */
export function auditJson(s: AuditSubject, d: ResourceDecision, decision: Decision): string {
  return writeAudit(new JsonWriter(), s, d, decision).toString();
}

/** The writer of audit lines, one at a time. */
const lineWriter = new JsonWriter();

/**
 * One audit line, AUDIT_PREFIX first, as the pieces runtime/host.ts logParts writes; valid
 * until the next call.
 */
export function auditLineParts(s: AuditSubject, d: ResourceDecision, decision: Decision): Array<string> {
  const w = lineWriter.reset();
  w.raw(AUDIT_PREFIX);
  return writeAudit(w, s, d, decision).pieces();
}

function writeAudit(w: JsonWriter, s: AuditSubject, d: ResourceDecision, decision: Decision): JsonWriter {
  w.beginObject();
  w.key("time"); w.string(isoTime(s.timeNs));
  w.key("decision"); w.string(decisionName(decision));
  w.key("mode"); w.string(s.mode);
  w.key("principal"); w.asciiString(s.principal, MAX_PRINCIPAL);
  w.key("clientAddress"); w.asciiString(s.clientAddress, MAX_OTHER);
  w.key("clientId"); w.asciiString(s.clientId, MAX_CLIENT_ID);
  w.key("clientIdLength"); w.int(s.clientId.length);
  w.key("listener"); w.asciiString(s.listener, MAX_OTHER);
  w.key("api"); w.asciiString(s.api, MAX_OTHER);
  w.key("apiVersion"); w.int(s.apiVersion);
  w.key("correlationId"); w.int(s.correlationId);
  w.key("resourceType"); w.asciiString(d.resourceType, MAX_OTHER);
  w.key("resourceName"); w.asciiString(d.resourceName, MAX_RESOURCE);
  w.key("operation"); optional(w, d.operation);
  w.key("acl"); optional(w, d.rule);
  w.key("reason"); w.asciiString(d.reason, MAX_REASON);
  w.key("error"); w.asciiString(d.error, MAX_OTHER);
  w.endObject();
  return w;
}

/**
 * The audit line that stands for `count` refusals of one kind not logged one by one
 * (refusal-log.ts), the first at `firstNs` and the last at `lastNs`, over a limit of `limit` a
 * second: decision NOT_LOGGED, then the kind as the last of them named it (`s`, `d`: what its
 * own line would have said; the client's address and id are the last one's). `s` and `d` null:
 * refusals of kinds past those a window tells apart. Valid until the next call, as auditLineParts.
 */
export function notLoggedLineParts(count: i64, firstNs: i64, lastNs: i64, limit: i32, s: AuditSubject | null, d: ResourceDecision | null, decision: Decision): Array<string> {
  const w = lineWriter.reset();
  w.raw(AUDIT_PREFIX);
  w.beginObject();
  w.key("time"); w.string(isoTime(lastNs));
  w.key("decision"); w.string("NOT_LOGGED");
  w.key("count"); w.int(count);
  w.key("from"); w.string(isoTime(firstNs));
  w.key("to"); w.string(isoTime(lastNs));
  w.key("refusalsLoggedPerSecond"); w.int(limit);
  if (s == null || d == null) {
    w.key("otherKinds"); w.bool(true);
  } else {
    w.key("refusal"); w.string(decisionName(decision));
    w.key("mode"); w.string(s.mode);
    w.key("principal"); w.asciiString(s.principal, MAX_PRINCIPAL);
    w.key("clientAddress"); w.asciiString(s.clientAddress, MAX_OTHER);
    w.key("clientId"); w.asciiString(s.clientId, MAX_CLIENT_ID);
    w.key("listener"); w.asciiString(s.listener, MAX_OTHER);
    w.key("api"); w.asciiString(s.api, MAX_OTHER);
    w.key("resourceType"); w.asciiString(d.resourceType, MAX_OTHER);
    w.key("resourceName"); w.asciiString(d.resourceName, MAX_RESOURCE);
    w.key("error"); w.asciiString(d.error, MAX_OTHER);
  }
  w.endObject();
  return w.pieces();
}

function optional(w: JsonWriter, v: string): void {
  if (v.length == 0) w.nullValue();
  else w.asciiString(v, MAX_OTHER);
}

/** Unix time in nanoseconds as RFC 3339 UTC with milliseconds: "2026-12-03T05:30:00.123Z". */
export function isoTime(ns: i64): string {
  let ms = ns / 1000000;
  if (ms < 0) ms = 0;
  const days = ms / 86400000;
  const inDay = ms % 86400000;
  // Howard Hinnant's civil_from_days.
  const z = days + 719468;
  const era = z / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = doy - (153 * mp + 2) / 5 + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  // Written in place: one allocation, not one per field.
  const out = changetype<string>(__new(24 << 1, idof<string>()));
  const p = changetype<usize>(out);
  digits(p, 0, year, 4);
  store<u16>(p + 8, 0x2d); // -
  digits(p, 5, month, 2);
  store<u16>(p + 14, 0x2d);
  digits(p, 8, day, 2);
  store<u16>(p + 20, 0x54); // T
  digits(p, 11, inDay / 3600000, 2);
  store<u16>(p + 26, 0x3a); // :
  digits(p, 14, (inDay / 60000) % 60, 2);
  store<u16>(p + 32, 0x3a);
  digits(p, 17, (inDay / 1000) % 60, 2);
  store<u16>(p + 38, 0x2e); // .
  digits(p, 20, inDay % 1000, 3);
  store<u16>(p + 46, 0x5a); // Z
  return out;
}

/** `v` as `count` decimal digits, zero-padded (its lowest ones if longer), at character `at` of the string at `p`. */
function digits(p: usize, at: i32, v: i64, count: i32): void {
  for (let i = count - 1; i >= 0; i--) {
    store<u16>(p + (<usize>(at + i) << 1), <u16>(0x30 + v % 10));
    v /= 10;
  }
}

/** Allowed checks seen by this VM, for "audit.sampleRate". */
let allowsSeen: i64 = 0;

/** Whether this allowed check is the one in `rate` the trail keeps. */
export function sampleAllow(rate: i32): bool {
  allowsSeen++;
  return rate <= 1 || allowsSeen % <i64>rate == 0;
}
