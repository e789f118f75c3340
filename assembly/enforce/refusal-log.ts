// How many refusals a VM logs line by line. Each refusal is two lines in Envoy's log (the
// operator's and the audit trail's), and a client can be refused as fast as it can send: Kafka's
// share consumer, subscribed to a topic it may not describe, heartbeats again at once on each
// TOPIC_AUTHORIZATION_FAILED (some 7,000 a second through one connection, 14,000 lines), and a
// hostile client needs no excuse. So each VM writes the lines of at most
// "audit.refusalsLoggedPerSecond" refusals in a second (a window that starts with a refusal);
// the rest are counted as every refusal is (kafka.denials_total, kafka.denied.<error>, ...,
// and kafka.audit.refusals_not_logged) and summed up when the window ends: at the next refusal
// after it, or at the root's tick.
//
// The summary keeps the audit trail's who and what: one audit line per kind of refusal not
// logged (decision, principal, client host, API, resource, error) with its count, so that a
// probe for a secret topic does not vanish into the count of another client's flood. At most
// MAX_KINDS kinds a window are told apart (a client could make every refusal its own kind);
// past them the count goes in one line that names no kind. The operator gets one line: how
// many, of how many kinds, and the kind with the most.
//
// One count per VM, shared by its listeners: a flood on one leaves the others' refusals unlogged
// for the rest of that second too (the summary names them), and clients cannot multiply the
// rate by opening connections. Each refusal is judged against the limit of its own listener's
// configuration.

import { LogLevelValues, logParts, printable } from "../runtime/host";
import { AuditSubject, Decision, ResourceDecision, notLoggedLineParts } from "./audit";
import { count, counter } from "./observe";
import { SecondWindow } from "../runtime/second-window";
import { HASH } from "~lib/util/hash";

/** "audit.refusalsLoggedPerSecond" when the configuration does not say. */
export const DEFAULT_REFUSALS_LOGGED_PER_SECOND: i32 = 100;
/** Kinds of refusal not logged that a window tells apart. */
const MAX_KINDS: i32 = 100;
const NOT_LOGGED = "kafka.audit.refusals_not_logged";

/** Refusals of one kind not logged in a window: how many, when, and the last of them. */
class Kind {
  count: i64 = 0;
  firstNs: i64 = 0;
  lastNs: i64 = 0;
  /** Another kind whose parts hash alike (kindHash). */
  sameHash: Kind | null = null;
  constructor(public subject: AuditSubject, public decision: ResourceDecision, public host: string, readonly enforced: bool) {}

  /** Whether a refusal is of this kind (kindHash's parts, compared). */
  isKindOf(s: AuditSubject, host: string, d: ResourceDecision, enforced: bool): bool {
    const mine = this.decision;
    return enforced == this.enforced && host == this.host && s.principal == this.subject.principal && s.api == this.subject.api &&
      d.resourceType == mine.resourceType && d.resourceName == mine.resourceName && d.error == mine.error;
  }
}

class Window {
  readonly second: SecondWindow = new SecondWindow();
  notLogged: i64 = 0;
  /** The limit the last refusal not logged was judged against. */
  limit: i32 = 0;
  /** Kinds by kindHash, those alike chained through Kind.sameHash. */
  kinds: Map<u32, Kind> = new Map<u32, Kind>();
  /** The kinds in the order they came. */
  order: Array<Kind> = new Array<Kind>();
  /** The kind of the last refusal not logged. */
  last: Kind | null = null;
  /** Refusals of kinds past MAX_KINDS: counted, not told apart. */
  others: i64 = 0;
  othersFirstNs: i64 = 0;
  othersLastNs: i64 = 0;

  clear(): void {
    this.notLogged = 0;
    this.kinds.clear();
    this.order.length = 0;
    this.last = null;
    this.others = 0;
  }
}

const current = new Window();

/** Defines the counter with the VM's first connection, so that dashboards find it at 0. */
export function defineRefusalLogCounter(): void { counter(NOT_LOGGED); }

/** Refusals of the request being recorded that logsRefusal did not log: counted once per request (one can carry tens of thousands). */
let notLoggedOfRequest: i64 = 0;

/** Adds the refusals of this request that were not logged to their counter. */
export function flushNotLoggedCount(): void {
  if (notLoggedOfRequest == 0) return;
  count(NOT_LOGGED, notLoggedOfRequest);
  notLoggedOfRequest = 0;
}

/**
 * A hash of what tells kinds apart (Kind.isKindOf's parts), read in place: a flood of refusals
 * of names all different (one request can carry millions) must not build a key for each. Each
 * part by the runtime's keyed string hash (runtime/hash-seed.ts): with a hash a client can
 * predict (FNV-1a, unkeyed, before), it chose names that share one, and each such refusal was
 * compared with every kind of the chain, 100 names long (4.8 times the work of other names).
 */
function kindHash(s: AuditSubject, host: string, d: ResourceDecision, enforced: bool): u32 {
  let h: u32 = enforced ? 0x811c9dc5 : 0x050c5d1f;
  h = (h ^ HASH<string>(s.principal)) * 16777619;
  h = (h ^ HASH<string>(host)) * 16777619;
  h = (h ^ HASH<string>(s.api)) * 16777619;
  h = (h ^ HASH<string>(d.resourceType)) * 16777619;
  h = (h ^ HASH<string>(d.resourceName)) * 16777619;
  return (h ^ HASH<string>(d.error)) * 16777619;
}

/**
 * Whether the lines of refusal `d` of `subject` (at subject.timeNs; `host`: the client's) are
 * written, under a limit of `limit` a second (0: every one). One that is not is counted for
 * the summary.
 */
export function logsRefusal(limit: i32, subject: AuditSubject, host: string, d: ResourceDecision, enforced: bool): bool {
  if (limit <= 0) return true;
  const now = subject.timeNs;
  const w = current;
  if (w.second.isOver(now)) {
    endRefusalWindow(now);
    w.second.begin(now);
  }
  if (w.second.take(limit)) return true;
  w.notLogged++;
  w.limit = limit;
  notLoggedOfRequest++;
  // A flood is mostly one kind: the last one is tried first, without building its key.
  let k = w.last;
  let hash: u32 = 0;
  if (k == null || !k.isKindOf(subject, host, d, enforced)) {
    hash = kindHash(subject, host, d, enforced);
    k = w.kinds.has(hash) ? w.kinds.get(hash) : null;
    while (k != null && !k.isKindOf(subject, host, d, enforced)) k = k.sameHash;
  }
  if (k == null) {
    if (w.order.length >= MAX_KINDS) {
      if (w.others == 0) w.othersFirstNs = now;
      w.others++;
      w.othersLastNs = now;
      return false;
    }
    k = new Kind(subject, d, host, enforced);
    k.firstNs = now;
    if (w.kinds.has(hash)) k.sameHash = w.kinds.get(hash);
    w.kinds.set(hash, k);
    w.order.push(k);
  }
  k.count++;
  k.lastNs = now;
  k.subject = subject;
  k.decision = d;
  w.last = k;
  return false;
}

/** Writes the summary of a window that is over by `now` and had refusals it did not log (the root's tick). */
export function endRefusalWindow(now: i64): void {
  const w = current;
  if (w.notLogged == 0 || !w.second.isOver(now)) return;
  let most = unchecked(w.order[0]);
  for (let i = 1; i < w.order.length; i++) if (unchecked(w.order[i]).count > most.count) most = unchecked(w.order[i]);
  const s = most.subject;
  const d = most.decision;
  // Values from the wire as in the operator's line of each refusal: escaped and capped.
  logParts(LogLevelValues.info, ["kafka filter: ", w.notLogged.toString(), " refusals not logged one by one (over audit.refusalsLoggedPerSecond ",
    w.limit.toString(), " in this VM; counted as every refusal is; the audit trail has each kind), ",
    w.order.length.toString(), w.others > 0 ? "+ kinds" : " kinds", "; the most, ", most.count.toString(), ": ",
    most.enforced ? "denied " : "would deny ", s.api, " principal=", printable(s.principal), " client_id=", printable(s.clientId),
    " host=", most.host, " resource=", printable(d.resourceType + ":" + d.resourceName, 300), " error=", d.error.toLowerCase()]);
  for (let i = 0; i < w.order.length; i++) {
    const k = unchecked(w.order[i]);
    logParts(LogLevelValues.info, notLoggedLineParts(k.count, k.firstNs, k.lastNs, w.limit, k.subject, k.decision,
      k.enforced ? Decision.Denied : Decision.WouldDeny));
  }
  if (w.others > 0) logParts(LogLevelValues.info, notLoggedLineParts(w.others, w.othersFirstNs, w.othersLastNs, w.limit, null, null, Decision.Denied));
  w.clear();
}
