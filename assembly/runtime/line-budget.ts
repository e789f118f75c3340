// Log lines a client can set off as often as it likes, by sending or by connecting: a warning
// per request it garbles, a line per connection it opens and drops. Each kind of line has a
// budget per VM: at most `perSecond` written in a second (a window that starts with a line).
// Past that each is counted (the budget's counter) and, when the window is over (at the budget's
// next line, or at the root's tick: endLineWindows), one line says how many were not written, of
// which causes, and what the last of them said. Counters elsewhere count every event; the budget
// decides only what is written.

import { LogLevelValues, addCounter, defineCounter, enabled, log, nowNs } from "./host";
import { SecondWindow } from "./second-window";

/** Causes a summary tells apart; causes are the caller's literals, never text from the wire. */
const MAX_CAUSES: i32 = 16;

export class LineBudget {
  private readonly second: SecondWindow = new SecondWindow();
  private counterId: u32 = 0;
  private notWritten: i64 = 0;
  private last: string = "";
  private causes: Map<string, i64> = new Map<string, i64>();
  private causeOrder: Array<string> = new Array<string>();

  /**
   * `what` names the lines in the summary ("warnings"); `countedBy` says there which counters
   * count every event, so the operator knows where the rest are.
   */
  constructor(readonly level: LogLevelValues, readonly perSecond: i32, readonly counterName: string,
    readonly what: string, readonly countedBy: string) {
    budgets.push(this);
  }

  /** Defines the counter (with a VM's first connection), so that dashboards find it at 0. */
  define(): void {
    if (this.counterId == 0) this.counterId = defineCounter(this.counterName);
  }

  /** Writes `message` (escaped already where it quotes the wire) within the budget. */
  write(message: string, cause: string = ""): void {
    if (!enabled(this.level)) return;
    const now = nowNs();
    if (this.second.isOver(now)) {
      this.end(now);
      this.second.begin(now);
    }
    if (this.second.take(this.perSecond)) {
      log(this.level, message);
      return;
    }
    this.define();
    this.notWritten++;
    this.last = message;
    addCounter(this.counterId, 1);
    if (cause.length == 0) return;
    const causes = this.causes;
    if (causes.has(cause)) causes.set(cause, causes.get(cause) + 1);
    else if (causes.size < MAX_CAUSES) {
      causes.set(cause, 1);
      this.causeOrder.push(cause);
    }
  }

  /** Says how many lines a window that is over by `now` did not write. */
  end(now: i64): void {
    if (this.notWritten == 0 || !this.second.isOver(now)) return;
    let line = "kafka filter: " + this.notWritten.toString() + " more " + this.what + " not logged (over " +
      this.perSecond.toString() + " a second in this VM; " + this.countedBy + ")";
    const order = this.causeOrder;
    for (let i = 0; i < order.length; i++) {
      const cause = unchecked(order[i]);
      line += (i == 0 ? "; by cause: " : ", ") + cause + " " + this.causes.get(cause).toString();
    }
    log(this.level, line + "; the last: " + this.last);
    this.notWritten = 0;
    this.last = "";
    this.causes.clear();
    this.causeOrder.length = 0;
  }
}

const budgets = new Array<LineBudget>();

/** Ends every budget's window that is over by `now` (the root's tick). */
export function endLineWindows(now: i64): void {
  for (let i = 0; i < budgets.length; i++) unchecked(budgets[i]).end(now);
}
