// Warnings a client can set off once per request: a request (or its answer) the codecs cannot
// read, passed on under "onDecodeError": "pass"; a policy service's failed answer to a question
// the client made new. As with refusals (refusal-log.ts), a client must not turn them into a log
// flood: each VM writes at most WARNINGS_PER_SECOND of them in a second (a window that starts
// with a warning). Past that they are counted in kafka.warnings_not_logged (their own counters,
// kafka.request_decode_errors, kafka.external.failures, ..., count every one), and one line says,
// when the window is over (at the next warning, or at the root's tick), how many were not
// written and what the last of them said.

import { nowNs, warn } from "../runtime/host";
import { count, counter } from "./observe";
import { SecondWindow } from "./second-window";

const WARNINGS_PER_SECOND: i32 = 100;
const NOT_LOGGED = "kafka.warnings_not_logged";

class Window {
  readonly second: SecondWindow = new SecondWindow();
  notWritten: i64 = 0;
  last: string = "";
}

const current = new Window();

/** Defines the counter with the VM's first connection, so that dashboards find it at 0. */
export function defineWarningsCounter(): void { counter(NOT_LOGGED); }

/** Writes `message` (already escaped where it quotes the wire) at warn level, within the VM's budget. */
export function warnBounded(message: string): void {
  const now = nowNs();
  const w = current;
  if (w.second.isOver(now)) {
    endWarningWindow(now);
    w.second.begin(now);
  }
  if (w.second.take(WARNINGS_PER_SECOND)) {
    warn(message);
    return;
  }
  w.notWritten++;
  w.last = message;
  count(NOT_LOGGED);
}

/** Says how many warnings a window that is over by `now` did not write (the root's tick). */
export function endWarningWindow(now: i64): void {
  const w = current;
  if (w.notWritten == 0 || !w.second.isOver(now)) return;
  warn("kafka filter: " + w.notWritten.toString() + " more warnings not logged (over " + WARNINGS_PER_SECOND.toString() +
    " a second in this VM; their counters count them); the last: " + w.last);
  w.notWritten = 0;
  w.last = "";
}
