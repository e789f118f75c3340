// A budget of events per second for lines a client can set off as fast as it can send or
// connect (line-budget.ts, enforce/refusal-log.ts): a window of one second starts with the first
// event that finds the last one over (or none yet, or the clock set back).

const WINDOW_NS: i64 = 1_000_000_000;

export class SecondWindow {
  private started: bool = false;
  private startNs: i64 = 0;
  private taken: i32 = 0;

  isOver(now: i64): bool { return !this.started || now < this.startNs || now - this.startNs >= WINDOW_NS; }

  /** A new window from `now`, nothing taken. */
  begin(now: i64): void {
    this.started = true;
    this.startNs = now;
    this.taken = 0;
  }

  /** Takes one of the window's `limit`; false when they are all taken. */
  take(limit: i32): bool {
    if (this.taken >= limit) return false;
    this.taken++;
    return true;
  }
}
