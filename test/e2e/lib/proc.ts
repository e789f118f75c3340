// Child processes of the e2e tests (client drivers, make): output kept, time bounded.

import { spawn } from "node:child_process";
import { ROOT } from "./env";
import type { Ctx } from "./harness";

export interface Proc { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }

/** Runs `cmd` to its end (killed after `timeoutMs`), with `input` on its stdin. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...opts.env }, cwd: opts.cwd, detached: false });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.on("error", reject);
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, opts.timeoutMs);
    child.on("close", (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, timedOut }); });
    child.stdin.on("error", () => undefined); // the child may exit before reading all input
    child.stdin.end(opts.input ?? "");
  });
}

/** Runs `make <target>` in the checkout (the stack's own targets: envoy-b-up, opa-up, ...). */
export async function make(target: string, timeoutMs = 90_000): Promise<void> {
  const r = await run("make", ["--no-print-directory", target], { timeoutMs, cwd: ROOT });
  if (r.code !== 0) throw new Error(`make ${target}: exit ${r.code}${r.timedOut ? " (timed out)" : ""}: ${r.stderr.slice(-2000)}`);
}

/** A long-running child (a Connect worker, MirrorMaker): its output so far, whether it ended. */
export interface Service { log(): string; exited(): boolean }

/**
 * Starts `cmd` in `cwd` until the test ends (`c.cleanup`: SIGTERM, SIGKILL after 10 s), stdout
 * and stderr kept together.
 */
export function startService(c: Ctx, cmd: string, args: string[], cwd: string): Service {
  const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let log = "", exited = false;
  child.stdout.on("data", (d: Buffer) => { log += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { log += d.toString(); });
  child.on("exit", () => { exited = true; });
  // Killed within the harness's bound on a cleanup (8 s, harness.ts): past it the cleanup was
  // abandoned, and with the test run's forced exit a worker slow to stop (an exactly-once Connect
  // worker whose producer was refused) lived on, connecting to the next stage's stack.
  c.cleanup(async () => {
    if (exited) return;
    child.kill("SIGTERM");
    for (let i = 0; i < 25 && !exited; i++) await new Promise((r) => setTimeout(r, 200));
    if (!exited) child.kill("SIGKILL");
    for (let i = 0; i < 10 && !exited; i++) await new Promise((r) => setTimeout(r, 100));
  });
  return { log: () => log, exited: () => exited };
}

/** Polls `check` every half second until it returns a value (errors count as not yet); null after `ms`. */
export async function until<T>(ms: number, check: () => Promise<T | null>): Promise<T | null> {
  for (const deadline = Date.now() + ms; ;) {
    try {
      const v = await check();
      if (v !== null) return v;
    } catch { /* not there yet */ }
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 500));
  }
}
