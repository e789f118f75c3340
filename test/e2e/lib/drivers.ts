// The client drivers' protocol (test/e2e/clients/README.md): steps as arguments, one JSON
// line each on stdout. Shared by the client matrix and the transactions test.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./env";
import { run } from "./proc";

export const CLIENTS_DIR = join(ROOT, ".cache", "clients");
/** Kafka's console tools (kafka-tools 4.4.0 and its dependencies): a java -cp value. */
export const CONSOLE_JARS = join(CLIENTS_DIR, "console-4.4.0", "*");

/** Writes a Java client's properties file for SASL `mechanism` (PLAIN credentials) to `file`. */
export function writeSaslProperties(file: string, mechanism: string, username: string, password: string): void {
  writeFileSync(file, ["security.protocol=SASL_PLAINTEXT", `sasl.mechanism=${mechanism}`,
    `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${username}" password="${password}";`].join("\n") + "\n");
}
export const PYTHON = join(ROOT, ".venv", "bin", "python");
export const STEP_TIMEOUT_MS = 15_000;

/** "@host:port" (PLAINTEXT) or "PLAIN:user:password@host:port". */
export type Conn = string;
export type Step =
  | { op: "produce"; conn: Conn; topic: string; values: string[] }
  | { op: "consume"; conn: Conn; topic: string; group: string; count: number; isolation?: "read_committed" }
  | { op: "list"; conn: Conn }
  | { op: "txn"; conn: Conn; topic: string; transactionalId: string; plan: Array<{ end: "commit" | "abort"; values: string[] }> };
export interface Outcome { op: string; ok: boolean; error?: string; message?: string; values?: string[]; topics?: string[] }

export function stepArg(s: Step): string {
  switch (s.op) {
    case "produce": return `produce|${s.conn}|${s.topic}|${s.values.join(",")}`;
    case "consume": return `consume|${s.conn}|${s.topic}|${s.group}|${s.count}${s.isolation !== undefined ? `|${s.isolation}` : ""}`;
    case "list": return `list|${s.conn}`;
    case "txn": return `txn|${s.conn}|${s.topic}|${s.transactionalId}|${s.plan.map((t) => `${t.end}:${t.values.join(",")}`).join(";")}`;
  }
}

export function parseConn(conn: Conn): { bootstrap: string; mechanism?: string; username?: string; password?: string } {
  const at = conn.lastIndexOf("@");
  const bootstrap = conn.slice(at + 1);
  if (at <= 0) return { bootstrap };
  const [mechanism, username, ...rest] = conn.slice(0, at).split(":");
  return { bootstrap, mechanism, username, password: rest.join(":") };
}

/** Runs an external driver with all steps; one JSON line per step on stdout. */
export async function driver(cmd: string, args: string[], steps: Step[], env: NodeJS.ProcessEnv = {}): Promise<Outcome[]> {
  const r = await run(cmd, [...args, ...steps.map(stepArg)], {
    timeoutMs: steps.length * (STEP_TIMEOUT_MS + 10_000), env: { MATRIX_TIMEOUT_MS: String(STEP_TIMEOUT_MS), ...env },
  });
  const out = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Outcome);
  while (out.length < steps.length) {
    out.push({ op: steps[out.length].op, ok: false, error: r.timedOut ? "DRIVER_TIMEOUT" : "DRIVER_DIED",
      message: `exit ${r.code}; stderr: ${r.stderr.slice(-800)}` });
  }
  return out;
}
