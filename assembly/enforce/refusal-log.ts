// How many refusals a VM logs line by line. Each refusal is two lines in Envoy's log (the
// operator's and the audit trail's), and a client can be refused as fast as it can send: Kafka's
// share consumer, subscribed to a topic it may not describe, heartbeats again at once on each
// TOPIC_AUTHORIZATION_FAILED (some 7,000 a second through one connection, 14,000 lines), and a
// hostile client needs no excuse. So each VM writes the lines of at most
// "audit.refusalsLoggedPerSecond" refusals in a second (a window that starts with a refusal);
// the rest are counted as every refusal is (kafka.denials_total, kafka.denied.<error>, ...,
// and kafka.audit.refusals_not_logged) and summed up in one operator line and one audit line
// when the window ends: at the next refusal after it, or at the root's tick.
//
// One count per VM, shared by its listeners: a flood on one leaves the others' refusals unlogged
// for the rest of that second too (their summary counts them), and clients cannot multiply the
// rate by opening connections. Each refusal is judged against the limit of its own listener's
// configuration.

import { LogLevelValues, logParts, printable } from "../runtime/host";
import { AuditSubject, Decision, ResourceDecision, notLoggedLineParts } from "./audit";
import { count, counter } from "./observe";

/** "audit.refusalsLoggedPerSecond" when the configuration does not say. */
export const DEFAULT_REFUSALS_LOGGED_PER_SECOND: i32 = 100;
const WINDOW_NS: i64 = 1_000_000_000;
const NOT_LOGGED = "kafka.audit.refusals_not_logged";

class Window {
  started: bool = false;
  startNs: i64 = 0;
  logged: i32 = 0;
  notLogged: i64 = 0;
  firstNotLoggedNs: i64 = 0;
  lastNotLoggedNs: i64 = 0;
  /** The limit the last refusal not logged was judged against. */
  limit: i32 = 0;
  // The last refusal not logged, named in the summary.
  lastSubject: AuditSubject | null = null;
  lastDecision: ResourceDecision | null = null;
  lastHost: string = "";
  lastEnforced: bool = true;

  /** Whether a refusal at `now` falls outside this window (a clock set back starts a new one too). */
  isOver(now: i64): bool { return !this.started || now < this.startNs || now - this.startNs >= WINDOW_NS; }
}

const current = new Window();

/** Defines the counter with the VM's first connection, so that dashboards find it at 0. */
export function defineRefusalLogCounter(): void { counter(NOT_LOGGED); }

/**
 * Whether the lines of refusal `d` of `subject` (at subject.timeNs) are written, under a
 * limit of `limit` a second (0: every one). One that is not is counted for the summary.
 */
export function logsRefusal(limit: i32, subject: AuditSubject, host: string, d: ResourceDecision, enforced: bool): bool {
  if (limit <= 0) return true;
  const now = subject.timeNs;
  const w = current;
  if (w.isOver(now)) {
    endRefusalWindow(now);
    w.started = true;
    w.startNs = now;
    w.logged = 0;
  }
  if (w.logged < limit) {
    w.logged++;
    return true;
  }
  if (w.notLogged == 0) w.firstNotLoggedNs = now;
  w.notLogged++;
  w.lastNotLoggedNs = now;
  w.limit = limit;
  w.lastSubject = subject;
  w.lastDecision = d;
  w.lastHost = host;
  w.lastEnforced = enforced;
  count(NOT_LOGGED);
  return false;
}

/** Writes the summary of a window that is over by `now` and had refusals it did not log (the root's tick). */
export function endRefusalWindow(now: i64): void {
  const w = current;
  if (w.notLogged == 0 || !w.isOver(now)) return;
  const s = w.lastSubject!;
  const d = w.lastDecision!;
  // Values from the wire as in the operator's line of each refusal: escaped and capped.
  logParts(LogLevelValues.info, ["kafka filter: ", w.notLogged.toString(), " refusals not logged (over audit.refusalsLoggedPerSecond ",
    w.limit.toString(), " in this VM; counted as every refusal is); the last: ", w.lastEnforced ? "denied " : "would deny ", s.api,
    " principal=", printable(s.principal), " client_id=", printable(s.clientId), " host=", w.lastHost,
    " resource=", printable(d.resourceType + ":" + d.resourceName, 300), " error=", d.error.toLowerCase()]);
  logParts(LogLevelValues.info, notLoggedLineParts(w.notLogged, w.firstNotLoggedNs, w.lastNotLoggedNs, w.limit, s, d,
    w.lastEnforced ? Decision.Denied : Decision.WouldDeny));
  w.notLogged = 0;
  w.lastSubject = null;
  w.lastDecision = null;
}
