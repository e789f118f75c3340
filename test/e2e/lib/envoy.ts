// Envoy's admin endpoint (stats, readiness, loaded config) and its log, where the filter's
// proxy_log lines land as "[info][wasm] wasm log <plugin> kafka kafka: kafka filter: ...".

import { openSync, readSync, closeSync, statSync, existsSync } from "node:fs";
import { ENVOY_ADMIN, ENVOY_LOG, ROOT } from "./env";
import { run } from "./proc";

async function get(path: string, timeoutMs = 3000, admin = ENVOY_ADMIN): Promise<string> {
  const r = await fetch(admin + path, { signal: AbortSignal.timeout(timeoutMs) });
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return r.text();
}

export type Stats = Map<string, number>;

/** Counters and gauges whose name matches `filter` (a regex, as Envoy's /stats?filter=); `admin`: another Envoy's. */
export async function stats(filter = "wasmcustom|downstream_cx_total", admin = ENVOY_ADMIN): Promise<Stats> {
  const body = JSON.parse(await get(`/stats?format=json&filter=${encodeURIComponent(filter)}`, 3000, admin)) as {
    stats: Array<{ name?: string; value?: number }>;
  };
  const m = new Map<string, number>();
  for (const s of body.stats) if (s.name !== undefined && typeof s.value === "number") m.set(s.name, s.value);
  return m;
}

/** Envoy's --concurrency (worker threads, one Wasm VM each), from its admin's /server_info. */
export async function concurrency(admin = ENVOY_ADMIN): Promise<number> {
  const info = JSON.parse(await get("/server_info", 3000, admin)) as { command_line_options?: { concurrency?: number } };
  return Number(info.command_line_options?.concurrency);
}

/** Envoy's --drain-time-s (mk/envoy.mk ENVOY_DRAIN_TIME), ms, from its admin's /server_info. */
export async function drainTimeMs(admin = ENVOY_ADMIN): Promise<number> {
  const info = JSON.parse(await get("/server_info", 3000, admin)) as { command_line_options?: { drain_time?: string } };
  const s = /^(\d+(?:\.\d+)?)s$/.exec(info.command_line_options?.drain_time ?? "");
  if (s === null) throw new Error(`/server_info: no drain_time (${JSON.stringify(info.command_line_options?.drain_time)})`);
  return Number(s[1]) * 1000;
}

/** A counter's value; a filter counter not defined yet (never incremented in this Envoy) reads 0. */
export function stat(s: Stats, name: string): number {
  return s.get(name) ?? 0;
}

/** `after - before` for one counter. */
export function delta(before: Stats, after: Stats, name: string): number {
  return stat(after, name) - stat(before, name);
}

/** The filter's own counters are "wasmcustom.kafka.*". */
export const K = (name: string): string => `wasmcustom.kafka.${name}`;

/** Envoy's own per-listener counter of accepted client connections. */
export const DOWNSTREAM_CX = {
  plaintext: "tcp.kafka_plaintext.downstream_cx_total",
  sasl: "tcp.kafka_sasl.downstream_cx_total",
  tls: "tcp.kafka_tls.downstream_cx_total",
} as const;

/** Envoy's TLS counters of the listener on 127.0.0.1:19094 (e.g. "ssl.fail_verify_no_cert", "ssl.handshake"). */
export const TLS_LISTENER = (name: string): string => `listener.127.0.0.1_19094.${name}`;

/** Throws with what to do when the stack is not up, or runs with another policy. */
export async function requireStack(): Promise<void> {
  let ready = "";
  try {
    ready = (await get("/ready", 2000)).trim();
  } catch (e) {
    throw new Error(`Envoy's admin (${ENVOY_ADMIN}) does not answer (${(e as Error).message}): ` +
      "start the stack with `make up POLICY=test/e2e/policy.json`, or run `make test-e2e`");
  }
  if (ready !== "LIVE") throw new Error(`Envoy is not ready (/ready says ${JSON.stringify(ready)})`);
  // The policy reaches the filter as its plugin configuration: make sure it is ours.
  const dump = await get("/config_dump", 5000);
  if (!dump.includes("e2e.readonly.")) {
    throw new Error("Envoy runs with another policy: restart it with `make up POLICY=test/e2e/policy.json`");
  }
}

/** What `make envoy-reload` said: `ok` when Envoy loaded the listeners, its lines (test/e2e/bin/envoy.sh) either way. */
export interface Reload { ok: boolean; lines: string[] }

/**
 * Hands `policyFile` to the running Envoy as an operator reloads a policy: `make envoy-reload`
 * renders Envoy's listeners (LDS) with it and renames the file over the one Envoy watches, then
 * waits for Envoy's verdict (listener_manager.lds.update_success or update_rejected). Envoy keeps
 * running: same process, counters and log go on; new connections get the new filter chain,
 * open ones keep the old one until drained (drainTimeMs()), then Envoy closes them.
 * Refused (ok false), the previous policy stays in force.
 */
export async function tryReloadPolicy(policyFile: string): Promise<Reload> {
  const r = await run("make", ["--no-print-directory", "envoy-reload", `POLICY=${policyFile}`], { timeoutMs: 60_000, cwd: ROOT });
  const lines = (r.stdout + r.stderr).split("\n").filter((l) => l.length > 0);
  if (r.timedOut) throw new Error(`make envoy-reload POLICY=${policyFile}: timed out: ${lines.slice(-20).join("\n")}`);
  return { ok: r.code === 0, lines };
}

/** tryReloadPolicy, which must succeed; envoy.sh's lines. */
export async function reloadPolicy(policyFile: string): Promise<string[]> {
  const r = await tryReloadPolicy(policyFile);
  if (!r.ok) throw new Error(`make envoy-reload POLICY=${policyFile} failed: ${r.lines.slice(-30).join("\n")}`);
  return r.lines;
}


// ---------------------------------------------------------------------------------------
// Envoy's log

/** Where the log ends now: lines written after this are "since" the mark. */
export function logMark(log = ENVOY_LOG): number {
  return existsSync(log) ? statSync(log).size : 0;
}

/** Lines written to Envoy's log (or another Envoy's, `log`) since `mark`. */
export function logSince(mark: number, log = ENVOY_LOG): string[] {
  if (!existsSync(log)) return [];
  const size = statSync(log).size;
  if (size <= mark) return [];
  const fd = openSync(log, "r");
  try {
    const buf = Buffer.alloc(size - mark);
    readSync(fd, buf, 0, buf.length, mark);
    return buf.toString("utf8").split("\n").filter((l) => l.length > 0);
  } finally {
    closeSync(fd);
  }
}

/** The filter's lines (proxy_log and Wasm runtime errors) since `mark`. */
export function filterLogSince(mark: number, log = ENVOY_LOG): string[] {
  return logSince(mark, log).filter((l) => l.includes("[wasm]"));
}

/** Waits until a line written since `mark` matches every pattern; returns it, or null after `timeoutMs`. */
export async function waitForLog(mark: number, patterns: Array<RegExp | string>, timeoutMs = 3000): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = logSince(mark).find((l) => patterns.every((p) => (typeof p === "string" ? l.includes(p) : p.test(l))));
    if (hit !== undefined) return hit;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Shortens an Envoy log line to what matters: "[level][wasm] ... kafka filter: ...". */
export function brief(line: string): string {
  return line.replace(/^\[[^\]]*\]\[\d+\]/, "").replace(/wasm log kafka-\S+ kafka kafka: /, "");
}

// ---------------------------------------------------------------------------------------
// The filter's audit trail: "kafka-audit: {json}" lines (assembly/enforce/audit.ts)

export const AUDIT_PREFIX = "kafka-audit: ";

/** One audit line's object, as the filter writes it. */
export interface AuditRecord {
  time: string; decision: "DENIED" | "ALLOWED" | "WOULD_DENY" | "NOT_LOGGED"; mode: "enforce" | "audit";
  /** NOT_LOGGED lines (refusals past audit.refusalsLoggedPerSecond, one line per kind): how many, when, and as what. */
  count?: number; from?: string; to?: string; refusalsLoggedPerSecond?: number; refusal?: "DENIED" | "WOULD_DENY"; otherKinds?: boolean;
  principal: string; clientAddress: string; clientId: string; clientIdLength: number; listener: string;
  api: string; apiVersion: number; correlationId: number; resourceType: string; resourceName: string;
  operation: string | null; acl: string | null; reason: string; error: string;
}

/**
 * An audit line: the filter's message (after Envoy's "wasm log <plugin> <vm id> <root id>: ",
 * or "wasm log <vm id> <root id>: " for a line the root context writes at its tick) begins with
 * the prefix. Anchored so, as a log shipper must anchor it: the prefix can also
 * appear inside another line, quoted from a client (the operator's denial line shows the client
 * id), but never at the start of a message.
 */
export const AUDIT_LINE = /^\[[^\]]*\]\[\d+\]\[info\]\[wasm\] wasm log (?:\S+ ){1,2}\S+: kafka-audit: (\{.*)$/;

/** The audit lines written since `mark`: the JSON text after the prefix, and its object (JSON.parse throws on a bad one). */
export function auditSince(mark: number, log = ENVOY_LOG): Array<{ json: string; record: AuditRecord }> {
  return logSince(mark, log).flatMap((l) => {
    const m = AUDIT_LINE.exec(l);
    return m === null ? [] : [{ json: m[1], record: JSON.parse(m[1]) as AuditRecord }];
  });
}

/** Waits until an audit line written since `mark` satisfies `match`; null after `timeoutMs`. */
export async function waitForAudit(mark: number, match: (r: AuditRecord) => boolean, timeoutMs = 3000): Promise<AuditRecord | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = auditSince(mark).find((a) => match(a.record));
    if (hit !== undefined) return hit.record;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, 100));
  }
}
