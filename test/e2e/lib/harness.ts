// node:test with what every e2e test needs: a bounded time, the stack checked once per file,
// clients always shut down, and on failure the filter's log lines of that test printed as
// diagnostics (so a failure report carries the filter's own words). A test of an API that not
// every Kafka release has (a streams group needs 4.x) names it, and is skipped, with the reason
// printed, when the broker's own ApiVersions does not offer it (`make test-e2e KAFKA_VERSION=3.9.1`).

import { test, before, type TestContext } from "node:test";
import { requireStack, logMark, filterLogSince, brief } from "./envoy";
import { TEST_TIMEOUT_MS, BROKER_DIRECT } from "./env";
import { negotiatedVersions, type VersionTable } from "./kafkajs";

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

/** An API (name, key) at a version a test sends, which the broker must offer for the test to mean anything. */
export interface ApiNeed { api: string; key: number; version: number }

let brokerApis: Promise<VersionTable> | null = null;
/** The broker's own ApiVersions, asked on its PLAINTEXT listener (no Envoy, so no capping), once per file. */
function brokerApiVersions(): Promise<VersionTable> {
  brokerApis ??= negotiatedVersions([BROKER_DIRECT]);
  return brokerApis;
}

/** Why the broker cannot serve `needs` (one phrase per API it lacks), or null when it offers them all. */
export async function brokerLacks(needs: ApiNeed[]): Promise<string | null> {
  if (needs.length === 0) return null;
  const have = await brokerApiVersions();
  const lacks = needs.flatMap(({ api, key, version }) => {
    const r = have[key];
    if (r === undefined) return [`${api} (api key ${key})`];
    if (version < r.minVersion || version > r.maxVersion) return [`${api} v${version} (it offers v${r.minVersion}-${r.maxVersion})`];
    return [];
  });
  return lacks.length === 0 ? null : `the broker's ApiVersions does not offer ${lacks.join(", ")}`;
}

export function e2e(name: string, fn: (c: Ctx) => Promise<void>, timeoutMs = TEST_TIMEOUT_MS, needs: ApiNeed[] = []): void {
  checkStackOnce();
  test(name, { timeout: timeoutMs }, async (t) => {
    const lacks = await brokerLacks(needs);
    if (lacks !== null) {
      t.skip(lacks);
      return;
    }
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
