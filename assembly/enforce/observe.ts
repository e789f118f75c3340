// What operators see of the policy: one log line and one audit line per refusal (audit.ts),
// counters per refusal reason, and figures per topic and per principal with a bounded number
// of names.
//
// Counter names put the value that becomes a Prometheus label last, after fixed words, so
// that the stats_tags regexes of envoy/envoy.yaml take them apart without guessing (topic and
// principal names hold dots):
//   kafka.topic.<figure>.<topic>                      figure: produce_bytes produce_records fetch_bytes fetch_records
//   kafka.principal.<figure>.<principal>              figure: requests denied would_deny
//   kafka.decisions.<denied|would_deny>.<api>.<error>.<topic>   topic "_none" when the resource is no topic
//   kafka.denied.<error>, kafka.audit.would_deny.<error>, kafka.requests.<api>, kafka.responses.<api>

import { defineCounter, addCounter, logParts, LogLevelValues, printable, printableJoined, getSharedText, setSharedText } from "../runtime/host";
import { Session } from "./session";
import { ResourceDecision } from "./audit";
import { join } from "../runtime/strings";

const counters = new Map<string, u32>();

/** A counter by name, defined on first use (Envoy deduplicates names across VMs). */
export function counter(name: string): u32 {
  if (counters.has(name)) return counters.get(name);
  const id = defineCounter(name);
  counters.set(name, id);
  return id;
}

export function count(name: string, by: i64 = 1): void { addCounter(counter(name), by); }

/**
 * Values from the wire as label values of one family of counters: the first `limit` distinct
 * valid ones get their own, later ones share "_other", and a value no label should hold (not
 * the family's characters, too long) is "_invalid". Each admitted value is a Prometheus series
 * for as long as Envoy runs, hence the bound.
 */
export class LabelBudget {
  limit: i32 = 100;
  private admitted: Set<string> = new Set<string>();

  /**
   * `family` names the admitted values in Envoy's shared data ("kafka.label.<family>.<value>"):
   * each worker VM counts its own, but a value one VM admitted is a series of the whole Envoy.
   */
  constructor(family: string, private readonly valid: (value: string) => bool) {
    this.keyPrefix = "kafka.label." + family + ".";
  }

  private readonly keyPrefix: string;

  /** `value`'s label, admitting it while the budget lasts. */
  admit(value: string): string {
    if (this.admitted.has(value)) return value;
    if (!this.valid(value)) return INVALID;
    if (this.admitted.size >= this.limit) return this.admittedElsewhere(value, false) ? value : OTHER;
    this.admitted.add(value);
    setSharedText(this.sharedKey(value), "1");
    return value;
  }

  /**
   * `value`'s label if this Envoy admitted it before (in any VM), else "_other": refusals must
   * not spend the budget on names a client makes up, and a refusal that lands on another worker
   * than the allowed traffic must still carry its topic.
   */
  known(value: string): string { return this.admitted.has(value) || this.admittedElsewhere(value, true) ? value : OTHER; }

  /**
   * Values another VM had not admitted when last asked, and how many more times to answer so
   * before asking again: a client refused over and over on a topic no traffic admitted (the
   * bench's denied Produce, a retrying producer) would otherwise cost a shared-data lookup
   * (a host call under Envoy's lock) per refusal. So a value admitted elsewhere since shows
   * under its own name here after at most NOT_ADMITTED_RECHECK lookups. At most
   * NOT_ADMITTED_KEPT values are remembered (made-up names: then forgotten all at once).
   */
  private notAdmitted: Map<string, i32> = new Map<string, i32>();

  private admittedElsewhere(value: string, forRefusal: bool): bool {
    if (!this.valid(value)) return false;
    const remembered = this.notAdmitted.has(value);
    if (remembered) {
      const skips = this.notAdmitted.get(value);
      if (skips > 0) {
        this.notAdmitted.set(value, skips - 1);
        return false;
      }
    }
    if (forRefusal) {
      if (refusalLookupsLeft <= 0) return false;
      refusalLookupsLeft--;
    }
    if (getSharedText(this.sharedKey(value)) == null) {
      if (!remembered && this.notAdmitted.size >= NOT_ADMITTED_KEPT) this.notAdmitted.clear();
      this.notAdmitted.set(value, NOT_ADMITTED_RECHECK - 1);
      return false;
    }
    if (remembered) this.notAdmitted.delete(value);
    this.admitted.add(value); // the series exists already: no new cardinality
    return true;
  }

  private sharedKey(value: string): string { return this.keyPrefix + value; }
}

/**
 * Shared-data lookups the refusals of one request may make for their topics' labels: a request
 * can refuse tens of thousands of names nobody admitted, each lookup a host call under Envoy's
 * lock. Past it, a name this VM has not admitted counts as "_other".
 */
const REFUSAL_LOOKUPS_PER_REQUEST: i32 = 16;
let refusalLookupsLeft: i32 = REFUSAL_LOOKUPS_PER_REQUEST;

const NOT_ADMITTED_RECHECK: i32 = 16;
const NOT_ADMITTED_KEPT: i32 = 256;

const OTHER = "_other";
const INVALID = "_invalid";
const NOT_A_TOPIC = "_none";

/** Kafka's legal topic names: [a-zA-Z0-9._-], at most 249 characters. */
function isTopicLabel(s: string): bool {
  if (s.length == 0 || s.length > 249) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 46 || c == 95 || c == 45)) return false;
  }
  return true;
}

/** Printable ASCII without quotes, backslashes or spaces, at most 128 characters ("User:CN=carol,O=e2e"). */
function isPrincipalLabel(s: string): bool {
  if (s.length == 0 || s.length > 128) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x22 || c == 0x5c) return false;
  }
  return true;
}

const topics = new LabelBudget("topic", isTopicLabel);
const principals = new LabelBudget("principal", isPrincipalLabel);

export function setTopicStatsLimit(n: i32): void { topics.limit = n; }
export function setPrincipalStatsLimit(n: i32): void { principals.limit = n; }

// Counter ids per label, so the per-request path builds no stat names.

class TopicCounters {
  produceBytes: u32;
  produceRecords: u32;
  fetchBytes: u32;
  fetchRecords: u32;
  constructor(label: string) {
    this.produceBytes = counter("kafka.topic.produce_bytes." + label);
    this.produceRecords = counter("kafka.topic.produce_records." + label);
    this.fetchBytes = counter("kafka.topic.fetch_bytes." + label);
    this.fetchRecords = counter("kafka.topic.fetch_records." + label);
  }
}

class PrincipalCounters {
  requests: u32;
  denied: u32;
  wouldDeny: u32;
  constructor(label: string) {
    this.requests = counter("kafka.principal.requests." + label);
    this.denied = counter("kafka.principal.denied." + label);
    this.wouldDeny = counter("kafka.principal.would_deny." + label);
  }
}

const topicCounters = new Map<string, TopicCounters>();
const principalCounters = new Map<string, PrincipalCounters>();

function countersForTopic(topic: string): TopicCounters {
  const label = topics.admit(topic);
  if (topicCounters.has(label)) return topicCounters.get(label);
  const c = new TopicCounters(label);
  topicCounters.set(label, c);
  return c;
}

// The counters of the last principal admitted under its own name, by the identity of its string:
// a connection's requests come one after another with the session's one principal string.
// Admission is for good, so what was found for that string holds. The string is held, so that
// its memory is never another string's.
let lastPrincipal: string | null = null;
let lastPrincipalCounters: PrincipalCounters | null = null;

function countersForPrincipal(principal: string): PrincipalCounters {
  const last = lastPrincipalCounters;
  if (last != null && changetype<usize>(principal) == changetype<usize>(lastPrincipal)) return last;
  const label = principals.admit(principal);
  let c: PrincipalCounters;
  if (principalCounters.has(label)) c = principalCounters.get(label);
  else {
    c = new PrincipalCounters(label);
    principalCounters.set(label, c);
  }
  if (label == principal) {
    lastPrincipal = principal;
    lastPrincipalCounters = c;
  }
  return c;
}

/** Whether bytes and records are counted per topic ("stats.topics" above 0). */
export function countsTopics(): bool { return topics.limit > 0; }

export function countProduced(topic: string, bytes: i64, records: i64): void {
  if (topics.limit <= 0) return;
  const c = countersForTopic(topic);
  addCounter(c.produceBytes, bytes);
  addCounter(c.produceRecords, records);
}

export function countFetched(topic: string, bytes: i64, records: i64): void {
  if (topics.limit <= 0) return;
  const c = countersForTopic(topic);
  addCounter(c.fetchBytes, bytes);
  addCounter(c.fetchRecords, records);
}

export function countRequest(principal: string): void {
  if (principals.limit > 0) addCounter(countersForPrincipal(principal).requests, 1);
}

/** The counters one kind of refusal adds to, named once: refusals repeat (a client retrying). */
class RefusalCounters {
  readonly total: u32;
  readonly byError: u32;
  readonly decision: u32;
  /** The error's name as stat names and the operator's line give it ("topic_authorization_failed"). */
  readonly error: string;

  constructor(enforced: bool, apiStat: string, upperError: string, topic: string) {
    const error = upperError.toLowerCase();
    this.error = error;
    this.total = counter(enforced ? "kafka.denials_total" : "kafka.audit.would_deny_total");
    this.byError = counter((enforced ? "kafka.denied." : "kafka.audit.would_deny.") + error);
    this.decision = counter(join(["kafka.decisions.", enforced ? "denied." : "would_deny.", apiStat, ".", error, ".", topic]));
  }
}

// Per mode (would deny, denied), by error name, then topic label, then the API's stat name.
// Bounded as the decision counters they count are: error names and stat names are Kafka's
// (api keys no API has share "unknown"), topic labels the budget's.
const refusalCounters: StaticArray<Map<string, Map<string, Map<string, RefusalCounters>>>> = [
  new Map<string, Map<string, Map<string, RefusalCounters>>>(),
  new Map<string, Map<string, Map<string, RefusalCounters>>>(),
];

function refusalCountersOf(enforced: bool, apiStat: string, error: string, topic: string): RefusalCounters {
  const byError = refusalCounters[enforced ? 1 : 0];
  if (!byError.has(error)) byError.set(error, new Map<string, Map<string, RefusalCounters>>());
  const byTopic = byError.get(error);
  if (!byTopic.has(topic)) byTopic.set(topic, new Map<string, RefusalCounters>());
  const byApi = byTopic.get(topic);
  if (byApi.has(apiStat)) return byApi.get(apiStat);
  const c = new RefusalCounters(enforced, apiStat, error, topic);
  byApi.set(apiStat, c);
  return c;
}

/** The refusals of the request being recorded, per counter set (countRefusal). */
const pendingRefusals = new Map<RefusalCounters, i32>();

/** Adds the refusals countRefusal counted for this request to Envoy's counters (`s`'s principal's too). */
export function flushRefusalCounts(s: Session, enforced: bool): void {
  refusalLookupsLeft = REFUSAL_LOOKUPS_PER_REQUEST;
  if (pendingRefusals.size == 0) return;
  const sets = pendingRefusals.keys();
  let all: i64 = 0;
  for (let i = 0; i < sets.length; i++) {
    const c = unchecked(sets[i]);
    const n = <i64>pendingRefusals.get(c);
    addCounter(c.total, n);
    addCounter(c.byError, n);
    addCounter(c.decision, n);
    all += n;
  }
  pendingRefusals.clear();
  if (principals.limit > 0) {
    const p = countersForPrincipal(s.principal);
    addCounter(enforced ? p.denied : p.wouldDeny, all);
  }
}

/**
 * Counts one refusal and, when `logged` (refusal-log.ts; Envoy at info), writes the operator's
 * line (`clientId`: the request's): `enforced` false in audit mode, where the request went on. `api` is Kafka's name for
 * the log, `apiStat` its stat form. The counts reach Envoy with flushRefusalCounts, once per
 * counter for the whole request: one request can carry tens of thousands of refusals.
 */
export function countRefusal(s: Session, clientId: string, api: string, apiStat: string, d: ResourceDecision, enforced: bool, logged: bool): void {
  const topic = d.resourceType == "TOPIC" ? topics.known(d.resourceName) : NOT_A_TOPIC;
  const c = refusalCountersOf(enforced, apiStat, d.error, topic);
  if (pendingRefusals.has(c)) pendingRefusals.set(c, pendingRefusals.get(c) + 1);
  else pendingRefusals.set(c, 1);
  // The operator's line (the audit trail has its own), unless this refusal is not `logged`
  // (refusal-log.ts; nor when Envoy would drop it). Principal, client id, resource names and
  // reasons come from the wire: escaped and capped.
  if (!logged) return;
  logParts(LogLevelValues.info, ["kafka filter: ", enforced ? "denied " : "would deny ", api, " principal=", printable(s.principal),
    " client_id=", printable(clientId), " host=", s.host, " resource=", printableJoined(d.resourceType + ":", d.resourceName, 300),
    " reason=\"", printable(d.reason, 300), "\" error=", c.error]);
}
