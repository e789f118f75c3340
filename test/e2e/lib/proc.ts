// Child processes of the e2e tests (client drivers, make): output kept, time bounded.

import { spawn } from "node:child_process";
import { ROOT } from "./env";

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
