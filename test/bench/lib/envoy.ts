// Envoy as the bench sees it: its admin endpoint, its threads' CPU time and its memory.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../e2e/lib/env";

const ADMIN = "http://127.0.0.1:9901";

export async function admin(path: string): Promise<string> {
  const r = await fetch(ADMIN + path, { signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return r.text();
}

async function statsJson(regex: string): Promise<Record<string, number>> {
  const body = JSON.parse(await admin("/stats?format=json&filter=" + encodeURIComponent(regex))) as { stats: Array<{ name?: string; value?: number }> };
  const out: Record<string, number> = {};
  for (const s of body.stats) if (s.name !== undefined && typeof s.value === "number") out[s.name] = s.value;
  return out;
}

/** The pid of the Envoy that `make up` started (test/e2e/bin/envoy.sh writes it). */
export function envoyPid(): number {
  return Number(readFileSync(join(ROOT, ".cache", "envoy", "envoy.pid"), "utf8").trim());
}

export interface Cpu {
  /** All threads, ms. */
  total: number;
  /** Envoy's worker threads (wrk:worker_N): where connections and the filter run. */
  workers: number;
  /** V8's background threads ("V8 DefaultWorke"): Wasm compilation and tier-up. */
  v8: number;
}

/** CPU time of a process's threads so far, in ms (schedstat: ns on CPU, per thread). */
export function cpuMs(pid: number): Cpu {
  const out: Cpu = { total: 0, workers: 0, v8: 0 };
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ms = Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]) / 1e6;
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, "utf8").trim();
      out.total += ms;
      if (name.startsWith("wrk:")) out.workers += ms;
      else if (name.startsWith("V8 ")) out.v8 += ms;
    } catch { /* thread gone */ }
  }
  return out;
}

export function cpuSince(pid: number, before: Cpu): Cpu {
  const now = cpuMs(pid);
  return { total: now.total - before.total, workers: now.workers - before.workers, v8: now.v8 - before.v8 };
}

export interface WasmMemory { sizeKiB: number; rssKiB: number }

/**
 * Wasm linear memories in a V8 process: V8 reserves 8 GiB (plus guard pages) per memory and
 * makes it accessible from its start up to the memory's current size, so each memory is a
 * read-write mapping directly followed by an inaccessible one of several GiB.
 */
export function wasmMemories(pid: number): WasmMemory[] {
  const maps: Array<{ lo: bigint; hi: bigint; perm: string; rss: number }> = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(line);
    if (m) maps.push({ lo: BigInt("0x" + m[1]), hi: BigInt("0x" + m[2]), perm: m[3], rss: 0 });
    else if (line.startsWith("Rss:") && maps.length > 0) maps[maps.length - 1].rss = Number(line.split(/\s+/)[1]);
  }
  const out: WasmMemory[] = [];
  for (let i = 1; i < maps.length; i++) {
    const m = maps[i], prev = maps[i - 1];
    if (m.perm.startsWith("---") && m.hi - m.lo >= 4n << 30n && prev.hi === m.lo && prev.perm.startsWith("rw")) {
      out.push({ sizeKiB: Number((prev.hi - prev.lo) >> 10n), rssKiB: prev.rss });
    }
  }
  return out.sort((a, b) => b.sizeKiB - a.sizeKiB);
}

export interface Memory {
  /** /proc/<pid>/status VmRSS and VmHWM (peak RSS), KiB. */
  rssKiB: number; hwmKiB: number;
  /** tcmalloc, Envoy's own heap (/memory): bytes in use and heap size. Wasm memories are not in it. */
  allocated: number; heapSize: number;
  /** Wasm linear memories (one per VM), largest first. */
  wasmMemories: WasmMemory[];
  /** Envoy's wasm.* stats: VM counts only, no memory figures. */
  wasmStats: Record<string, number>;
}

export async function memory(pid: number): Promise<Memory> {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  const m = JSON.parse(await admin("/memory")) as { allocated: string; heap_size: string };
  return {
    rssKiB: kib("VmRSS"), hwmKiB: kib("VmHWM"), allocated: Number(m.allocated), heapSize: Number(m.heap_size),
    wasmMemories: wasmMemories(pid), wasmStats: await statsJson("^wasm\\.(envoy|wasm_vm)"),
  };
}

/** The filter's own counters (wasmcustom.kafka.*), per-topic ones left out, zeros left out. */
export async function filterCounters(): Promise<Record<string, number>> {
  const all = await statsJson("^wasmcustom\\.kafka\\.");
  return Object.fromEntries(Object.entries(all).filter(([n, v]) => v !== 0 && !n.includes(".topic.")));
}
