// The machine around the bench: how busy it is with work that is not the bench's own, so the
// report can say how far figures from a shared machine can be trusted.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../e2e/lib/env";

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** /proc/stat, all CPUs: busy (not idle, not iowait) and stolen time so far, ms. */
function machineMs(): { busy: number; steal: number } {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: (user + nice + system + irq + softirq) * TICK_MS, steal: (steal ?? 0) * TICK_MS };
}

/** A process's own CPU time so far (utime + stime), ms; 0 when it is gone. */
function processMs(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // fields 14 and 15 of stat
  } catch { return 0; }
}

/** The brokers `make kafka-up` started and that run (kafka.pid in .cache/kafka/VERSION/run, run-3brokers, ... or their node-N). */
function kafkaPids(): number[] {
  const out: number[] = [];
  const root = join(ROOT, ".cache", "kafka");
  const ls = (d: string): string[] => { try { return readdirSync(d); } catch { return []; } };
  const files = ls(root).flatMap((v) => ls(join(root, v)).filter((r) => r.startsWith("run")).flatMap((r) => {
    const run = join(root, v, r);
    return [join(run, "kafka.pid"), ...ls(run).filter((n) => n.startsWith("node-")).map((n) => join(run, n, "kafka.pid"))];
  }));
  for (const f of files) {
    try {
      const pid = Number(readFileSync(f, "utf8").trim());
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("kafka.Kafka")) out.push(pid);
    } catch { /* no such file, or not running */ }
  }
  return out;
}

export interface Others { wallMs: number; busyMs: number; oursMs: number; stealMs: number }

/**
 * Starts counting; the returned function gives, since then, the machine's busy CPU time, the
 * part of it that was the bench's own (this client, Envoy, the broker) and stolen time.
 * `others` = busy - ours, in cores: (busyMs - oursMs) / wallMs.
 */
export function machineLoad(envoyPid: number): () => Others {
  const kafka = kafkaPids();
  const ours = (): number => processMs(process.pid) + processMs(envoyPid) + kafka.reduce((a, p) => a + processMs(p), 0);
  const t0 = Date.now(), m0 = machineMs(), o0 = ours();
  return () => {
    const m = machineMs();
    return { wallMs: Date.now() - t0, busyMs: m.busy - m0.busy, oursMs: ours() - o0, stealMs: m.steal - m0.steal };
  };
}
