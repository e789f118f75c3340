// node:test with what every e2e test needs: a bounded time, the stack checked once per file,
// clients always shut down, and on failure the filter's log lines of that test printed as
// diagnostics (so a failure report carries the filter's own words).

import { test, before, type TestContext } from "node:test";
import { requireStack, logMark, filterLogSince, brief } from "./envoy";
import { TEST_TIMEOUT_MS } from "./env";

export interface Ctx {
  t: TestContext;
  /** Envoy log offset when the test started (for waitForLog / logSince). */
  mark: number;
  /** Runs `fn` when the test ends, pass or fail (last registered runs first). */
  cleanup(fn: () => Promise<unknown> | unknown): void;
}

let checked = false;
function checkStackOnce(): void {
  if (checked) return;
  checked = true;
  before(requireStack, { timeout: 10_000 });
}

/** Resolves to `p`, or rejects after `ms` with `what` in the message. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function e2e(name: string, fn: (c: Ctx) => Promise<void>, timeoutMs = TEST_TIMEOUT_MS): void {
  checkStackOnce();
  test(name, { timeout: timeoutMs }, async (t) => {
    const mark = logMark();
    const cleanups: Array<() => Promise<unknown> | unknown> = [];
    const ctx: Ctx = { t, mark, cleanup: (f) => void cleanups.push(f) };
    let failed = false;
    try {
      await fn(ctx);
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      for (const f of cleanups.reverse()) {
        try {
          await within(Promise.resolve().then(f), 8000, "cleanup");
        } catch (e) {
          t.diagnostic(`cleanup failed: ${(e as Error).message}`);
        }
      }
      if (failed) {
        const lines = filterLogSince(mark);
        t.diagnostic(`filter log lines during this test (${lines.length}):`);
        for (const l of lines.slice(-25)) t.diagnostic("  " + brief(l));
      }
    }
  });
}
