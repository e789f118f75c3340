// Prints the bench's table from what proxy.ts and codecs.ts wrote.
//   tsx test/bench/report.ts <proxy.json> <codecs.json>
// Every proxy figure is the median over the repeats; "filter/pass" is the median of the
// per-repeat ratios (each repeat pairs a filter run with the pass-through run next to it), and
// "spread" their lowest and highest. "added" figures are per-repeat differences (filter minus
// pass-through) the same way. The report ends with one line per figure, for grep:
//   ratio <key> <median> min <lowest> max <highest> repeats <r1>,<r2>,...
//   added <key> <median> min <lowest> max <highest> repeats <r1>,<r2>,...

import { readFileSync } from "node:fs";

const [proxyFile, codecsFile] = process.argv.slice(2);
if (!proxyFile || !codecsFile) { console.error("usage: report.ts <proxy.json> <codecs.json>"); process.exit(2); }

interface Cpu { total: number; workers: number; v8: number }
interface Loop { count: number; ms: number; p50: number; p99: number; envoyCpu: Cpu }
interface Run {
  repeat: number; config: "passthrough" | "filter";
  produce: Loop & { messages: number; payloadBytes: number };
  fetch: { messages: number; payloadBytes: number; wireBytes: number; requests: number; ms: number; envoyCpu: Cpu };
  metadata: Loop;
  denied: Loop;
  memory: Record<"idle" | "loaded", { rssKiB: number; hwmKiB: number; allocated: number; heapSize: number; wasmMemories: Array<{ sizeKiB: number; rssKiB: number }>; wasmStats: Record<string, number> }>;
  counters: Record<string, number>;
  loadavg?: { before: number[]; after: number[] };
  machine?: { wallMs: number; busyMs: number; oursMs: number; stealMs: number };
}
const proxy = JSON.parse(readFileSync(proxyFile, "utf8")) as {
  when: string; cores: number; cpuModel?: string; loadavg?: { start: number[]; end: number[] }; params: { messages: number; batch: number; valueBytes: number; fetchPasses?: number; metadata: number; denied: number; repeats: number; batchBytes: number };
  runs: Run[];
};
const codecs = JSON.parse(readFileSync(codecsFile, "utf8")) as {
  node: string; skipped: Record<string, number>;
  results: Array<{ set: string; frames: number; versions: number; avgBytes: number } & Record<"reencode" | "decodeParse" | "view" | "kafkajs", { framesPerS: number; mbPerS: number }>>;
};

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const repeats = [...new Set(proxy.runs.map((r) => r.repeat))].sort((a, b) => a - b);
const pairs = repeats.map((n) => ({
  pass: proxy.runs.find((r) => r.repeat === n && r.config === "passthrough")!,
  filter: proxy.runs.find((r) => r.repeat === n && r.config === "filter")!,
})).filter((p) => p.pass && p.filter);

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "-");
const MiB = 1024 * 1024, MB = 1e6;

type Row = [string, string, string, string, string];
const rows: Row[] = [];
const addedRows: Row[] = []; // printed after the memory notes, same columns
const section = (name: string): void => { rows.push([name, "", "", "", ""]); };

/** Greppable closing lines: kind (ratio, added), key, per-repeat values, digits. */
const summary: Array<{ kind: "ratio" | "added"; key: string; values: number[]; digits: number }> = [];

/**
 * One proxy figure: medians of both sides, the median per-repeat ratio and its spread; `key`
 * names its summary line ("": no summary line, null: no ratio at all).
 */
function figure(label: string, of: (r: Run) => number, digits: number, key: string | null = ""): void {
  const p = pairs.map((x) => of(x.pass)), f = pairs.map((x) => of(x.filter));
  const ratios = pairs.map((_, i) => f[i] / p[i]).filter((x) => Number.isFinite(x));
  const ratio = key !== null;
  if (key && ratios.length) summary.push({ kind: "ratio", key, values: ratios, digits: 2 });
  rows.push([
    "  " + label, fmt(median(p), digits), fmt(median(f), digits),
    ratio && ratios.length ? fmt(median(ratios), 2) : "",
    ratio && ratios.length ? `${fmt(Math.min(...ratios), 2)}-${fmt(Math.max(...ratios), 2)}` : "",
  ]);
}

/** Latency the filter adds: per-repeat difference filter - pass-through (median, spread). */
function added(label: string, of: (r: Run) => number, digits: number, key: string): void {
  const d = pairs.map((x) => of(x.filter) - of(x.pass)).filter((x) => Number.isFinite(x));
  if (d.length) summary.push({ kind: "added", key, values: d, digits });
  addedRows.push(["  " + label, "", fmt(median(d), digits), "", d.length ? `${fmt(Math.min(...d), digits)} to ${fmt(Math.max(...d), digits)}` : ""]);
}

const { messages, batch, valueBytes, metadata, denied, batchBytes } = proxy.params;
section(`produce: ${messages.toLocaleString("en-US")} x ${valueBytes} B, ${batch} per request (${fmt(batchBytes / 1024, 0)} KiB batch), acks=1`);
figure("messages/s", (r) => r.produce.messages / r.produce.ms * 1000, 0, "produce.msgs_per_s");
figure("MB/s (message values)", (r) => r.produce.payloadBytes / MB / r.produce.ms * 1000, 1);
figure("round trip p50, ms", (r) => r.produce.p50, 3, "produce.p50");
figure("round trip p99, ms", (r) => r.produce.p99, 3, "produce.p99");
figure("Envoy CPU per request, us", (r) => r.produce.envoyCpu.total / r.produce.count * 1000, 0, "produce.envoy_cpu_per_req");
section(`fetch: the same messages back, read ${proxy.params.fetchPasses ?? 1} times over, 1 MiB per request`);
figure("messages/s", (r) => r.fetch.messages / r.fetch.ms * 1000, 0, "fetch.msgs_per_s");
figure("MB/s (message values)", (r) => r.fetch.payloadBytes / MB / r.fetch.ms * 1000, 1);
figure("Envoy CPU per MB of responses, ms", (r) => r.fetch.envoyCpu.total / (r.fetch.wireBytes / MB), 2, "fetch.envoy_cpu_per_mb");
section(`metadata: ${metadata.toLocaleString("en-US")} Metadata v12 requests for one topic (per-request overhead)`);
figure("requests/s", (r) => r.metadata.count / r.metadata.ms * 1000, 0, "metadata.req_per_s");
figure("round trip p50, us", (r) => r.metadata.p50 * 1000, 0, "metadata.p50");
figure("round trip p99, us", (r) => r.metadata.p99 * 1000, 0, "metadata.p99");
figure("Envoy CPU per request, us", (r) => r.metadata.envoyCpu.total / r.metadata.count * 1000, 0, "metadata.envoy_cpu_per_req");
section(`denied produce: ${denied} x the same batch to bench.denied.* (filter answers; pass-through: broker writes)`);
figure("round trip p50, ms", (r) => r.denied.p50, 3, "denied.p50");
figure("round trip p99, ms", (r) => r.denied.p99, 3, "denied.p99");
figure("Envoy CPU per request, us", (r) => r.denied.envoyCpu.total / r.denied.count * 1000, 0, "denied.envoy_cpu_per_req");
section("memory of the Envoy process (fresh Envoy per run; after = after warm-up and all steps)");
figure("RSS before load, MiB", (r) => r.memory.idle.rssKiB / 1024, 1, "rss.before_load");
figure("RSS after load, MiB", (r) => r.memory.loaded.rssKiB / 1024, 1, "rss.after_load");
figure("peak RSS (VmHWM), MiB", (r) => r.memory.loaded.hwmKiB / 1024, 1, "rss.peak");
figure("tcmalloc allocated after load, MiB", (r) => r.memory.loaded.allocated / MiB, 1, "tcmalloc.after_load");
figure("Wasm linear memory, all VMs, after load, MiB", (r) => r.memory.loaded.wasmMemories.reduce((a, m) => a + m.sizeKiB, 0) / 1024, 1, null);
addedRows.push(["added round trip, filter minus pass-through of the same repeat, us (spread: lowest to highest)", "", "", "", ""]);
added("metadata p50", (r) => r.metadata.p50 * 1000, 0, "metadata.p50_us");
added("metadata p99", (r) => r.metadata.p99 * 1000, 0, "metadata.p99_us");
added("produce p50 (101 KiB request)", (r) => r.produce.p50 * 1000, 0, "produce.p50_us");
added("produce p99 (101 KiB request)", (r) => r.produce.p99 * 1000, 0, "produce.p99_us");

const vmCounts = pairs.map((x) => x.filter.memory.loaded.wasmStats["wasm.wasm_vm_count"]).filter((x) => x !== undefined);
const perVm = pairs.map((x) => x.filter.memory.loaded.wasmMemories.map((m) => fmt(m.sizeKiB / 1024, 1)).join("+")).join(" | ");

const isSection = (r: Row): boolean => r[1] === "" && r[2] === "";
const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...[...rows, ...addedRows].filter((r) => !isSection(r)).map((r) => r[i].length), ["", "pass-through", "filter", "filter/pass", "spread"][i].length));
const line = (r: Row): string => (isSection(r) && r[0] !== "" ? r[0] : [r[0].padEnd(widths[0]), ...r.slice(1).map((c, i) => c.padStart(widths[i + 1]))].join("  "));

const out: string[] = [];
out.push(`kafka-wasm-filter bench, ${proxy.when}, ${proxy.cores} cores${proxy.cpuModel ? `, ${proxy.cpuModel}` : ""}`);
if (proxy.loadavg) out.push(`load average (1/5/15 min) before the stack started: ${proxy.loadavg.start.map((x) => x.toFixed(2)).join(" ")}; at the end: ${proxy.loadavg.end.map((x) => x.toFixed(2)).join(" ")}`);
out.push("");
out.push(`Envoy with the filter (build/filter.wasm, test/bench/policy.json) vs Envoy as plain TCP pass-through,`);
out.push(`same Kafka, same run; raw client, one request in flight; medians of ${pairs.length} repeats;`);
out.push(`filter/pass = median of per-repeat ratios (spread: lowest-highest)`);
out.push("");
out.push(line(["", "pass-through", "filter", "filter/pass", "spread"]));
for (const r of rows) out.push(line(r));
out.push(`  Wasm VMs (wasm.wasm_vm_count): ${vmCounts.join(", ") || "-"}; linear memory per VM after load, MiB, by repeat: ${perVm}`);
out.push(`  (Envoy has no memory stat for its Wasm VMs; linear memories are read from /proc/<pid>/smaps)`);
for (const r of addedRows) out.push(line(r));
const withMachine = proxy.runs.filter((r) => r.machine && r.machine.wallMs > 0);
if (withMachine.length) {
  out.push("");
  out.push("the machine during each measured run: CPU in cores (busy = all processes; others = busy minus this client, Envoy and the broker)");
  for (const r of withMachine) {
    const m = r.machine!;
    out.push(`  repeat ${r.repeat} ${r.config.padEnd(11)}  ${fmt(m.wallMs / 1000, 1).padStart(5)} s  busy ${fmt(m.busyMs / m.wallMs, 2)}  others ${fmt((m.busyMs - m.oursMs) / m.wallMs, 2)}  stolen ${fmt(m.stealMs / m.wallMs, 2)}  load average ${r.loadavg ? r.loadavg.after[0].toFixed(2) : "-"}`);
  }
}
out.push("");
out.push(`codecs in Node ${codecs.node}, no Envoy: oracle response frames (Kafka's own bytes), medians of 3 runs`);
const ch = ["set (frames, avg bytes)", "codecs reencode", "codecs decode->object", "view", "kafkajs decode", "reencode/kafkajs", "object/kafkajs", "view/kafkajs"];
const crows = codecs.results.map((r) => [
  `${r.set} (${r.frames}, ${fmt(r.avgBytes, 0)} B)`,
  `${fmt(r.reencode.framesPerS, 0)}/s ${fmt(r.reencode.mbPerS, 1)} MB/s`,
  `${fmt(r.decodeParse.framesPerS, 0)}/s ${fmt(r.decodeParse.mbPerS, 1)} MB/s`,
  `${fmt(r.view.framesPerS, 0)}/s ${fmt(r.view.mbPerS, 1)} MB/s`,
  `${fmt(r.kafkajs.framesPerS, 0)}/s ${fmt(r.kafkajs.mbPerS, 1)} MB/s`,
  fmt(r.reencode.framesPerS / r.kafkajs.framesPerS, 2),
  fmt(r.decodeParse.framesPerS / r.kafkajs.framesPerS, 3),
  fmt(r.view.framesPerS / r.kafkajs.framesPerS, 2),
]);
const cw = ch.map((h, i) => Math.max(h.length, ...crows.map((r) => r[i].length)));
out.push([ch[0].padEnd(cw[0]), ...ch.slice(1).map((h, i) => h.padStart(cw[i + 1]))].join("  "));
for (const r of crows) out.push([r[0].padEnd(cw[0]), ...r.slice(1).map((c, i) => c.padStart(cw[i + 1]))].join("  "));
const skipped = Object.entries(codecs.skipped).map(([k, v]) => `${v} ${k}`).join(", ");
if (skipped) out.push(`  left out: ${skipped}`);
out.push("");
out.push(`summary: filter vs pass-through, ${pairs.length} repeats; ratio = filter/pass, added = filter - pass (us); median min max, then each repeat`);
for (const x of summary) {
  const v = x.values, d = x.kind === "ratio" ? 2 : x.digits;
  const f = (n: number): string => n.toFixed(d);
  out.push(`${x.kind} ${x.key.padEnd(28)} ${f(median(v)).padStart(7)} min ${f(Math.min(...v)).padStart(7)} max ${f(Math.max(...v)).padStart(7)} repeats ${v.map(f).join(",")}`);
}
for (const r of codecs.results) {
  const key = r.set.split(" ")[0].toLowerCase();
  out.push(`codecs ${(key + ".reencode_vs_kafkajs").padEnd(27)} ${(r.reencode.framesPerS / r.kafkajs.framesPerS).toFixed(2).padStart(7)}`);
  out.push(`codecs ${(key + ".object_vs_kafkajs").padEnd(27)} ${(r.decodeParse.framesPerS / r.kafkajs.framesPerS).toFixed(3).padStart(7)}`);
  out.push(`codecs ${(key + ".view_vs_kafkajs").padEnd(27)} ${(r.view.framesPerS / r.kafkajs.framesPerS).toFixed(2).padStart(7)}`);
}
console.log(out.join("\n"));
