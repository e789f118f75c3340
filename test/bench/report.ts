// Prints the bench's table from what proxy.ts and codecs.ts wrote.
//   tsx test/bench/report.ts <proxy.json> <codecs.json>
// Every proxy figure is the median over the repeats; "filter/pass" is the median of the
// per-repeat ratios (each repeat sets a filter run beside the pass-through run next to it), and
// "spread" their lowest and highest; "no-op/pass" and "filter/no-op" the same with the floor
// (Envoy running a Wasm filter that does nothing), when the run measured it. "added" figures
// are per-repeat differences (minus pass-through) the same way. The report ends with one line
// per figure, for grep:
//   ratio <key> <median> min <lowest> max <highest> repeats <r1>,<r2>,...     filter/pass
//   floor <key> ...                                                           no-op/pass
//   above_floor <key> ...                                                     filter/no-op
//   added <key> ...                                                           filter - pass (us)
//   work <key> <value>            the filter's work per round trip in the mock host (work.json)

import { existsSync, readFileSync } from "node:fs";

const [proxyFile, codecsFile, workFile] = process.argv.slice(2);
if (!proxyFile || !codecsFile) { console.error("usage: report.ts <proxy.json> <codecs.json> [work.json]"); process.exit(2); }

interface Cpu { total: number; workers: number; v8: number }
interface Loop { count: number; ms: number; p50: number; p99: number; envoyCpu: Cpu }
interface Run {
  repeat: number; config: "passthrough" | "floor" | "filter";
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
  node: string; skipped: Record<string, number>; kmsgDiffers?: number;
  results: Array<{ set: string; frames: number; versions: number; avgBytes: number }
    & Record<"reencode" | "decodeParse" | "view" | "kafkajs", { framesPerS: number; mbPerS: number }>
    & Partial<Record<"wasmDecode" | "wasmReencode" | "kmsg" | "kmsgReencode", { framesPerS: number; mbPerS: number }>>>;
};

interface Work { entries: number; reads: number; readBytes: number; counters: number; otherCalls?: number }
const work = workFile && existsSync(workFile)
  ? JSON.parse(readFileSync(workFile, "utf8")) as { cases: Record<string, Work>; ratios: Record<string, number> }
  : null;

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const repeats = [...new Set(proxy.runs.map((r) => r.repeat))].sort((a, b) => a - b);
const pairs = repeats.map((n) => ({
  pass: proxy.runs.find((r) => r.repeat === n && r.config === "passthrough")!,
  floor: proxy.runs.find((r) => r.repeat === n && r.config === "floor"),
  filter: proxy.runs.find((r) => r.repeat === n && r.config === "filter")!,
})).filter((p) => p.pass && p.filter);
const withFloor = pairs.filter((p) => p.floor !== undefined) as Array<{ pass: Run; floor: Run; filter: Run }>;

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "-");
const MiB = 1024 * 1024, MB = 1e6;

// Columns: label, pass-through, no-op, filter, filter/pass, spread, no-op/pass, spread,
// filter/no-op, spread.
type Row = string[];
const COLUMNS = ["", "pass-through", "no-op", "filter", "filter/pass", "spread", "no-op/pass", "spread", "filter/no-op", "spread"];
const rows: Row[] = [];
const addedRows: Row[] = []; // printed after the memory notes, same columns
const section = (name: string): void => { rows.push([name]); };

type Kind = "ratio" | "floor" | "above_floor" | "added";
/** Greppable closing lines: kind, key, per-repeat values, digits. */
const summary: Array<{ kind: Kind; key: string; values: number[]; digits: number }> = [];

const finite = (xs: number[]): number[] => xs.filter((x) => Number.isFinite(x));
const spread = (xs: number[], digits: number, sep = "-"): string => (xs.length ? `${fmt(Math.min(...xs), digits)}${sep}${fmt(Math.max(...xs), digits)}` : "");

/** Per-repeat ratios a/b, their median and spread as two cells; a summary line when `key`. */
function ratioCells(kind: Kind, key: string | null, ratios: number[]): string[] {
  const r = finite(ratios);
  if (key && r.length) summary.push({ kind, key, values: r, digits: 2 });
  return key !== null && r.length ? [fmt(median(r), 2), spread(r, 2)] : ["", ""];
}

/**
 * One proxy figure: medians of each configuration, the median per-repeat ratios and their
 * spreads; `key` names its summary lines ("": none, null: no ratio at all).
 */
function figure(label: string, of: (r: Run) => number, digits: number, key: string | null = ""): void {
  rows.push([
    "  " + label, fmt(median(pairs.map((x) => of(x.pass))), digits),
    withFloor.length ? fmt(median(withFloor.map((x) => of(x.floor))), digits) : "", fmt(median(pairs.map((x) => of(x.filter))), digits),
    ...ratioCells("ratio", key, pairs.map((x) => of(x.filter) / of(x.pass))),
    ...ratioCells("floor", key, withFloor.map((x) => of(x.floor) / of(x.pass))),
    ...ratioCells("above_floor", key, withFloor.map((x) => of(x.filter) / of(x.floor))),
  ]);
}

/** Latency added over the pass-through: per-repeat differences (median, spread). */
function added(label: string, of: (r: Run) => number, digits: number, key: string): void {
  const d = finite(pairs.map((x) => of(x.filter) - of(x.pass)));
  const n = finite(withFloor.map((x) => of(x.floor) - of(x.pass)));
  if (d.length) summary.push({ kind: "added", key, values: d, digits });
  addedRows.push(["  " + label, "", n.length ? fmt(median(n), digits) : "", fmt(median(d), digits), spread(d, digits, " to "), "", "", spread(n, digits, " to ")]);
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
// Past audit.refusalsLoggedPerSecond a second per VM, refusals are counted, not logged one by one:
// how many of them the filter's lines (the CPU above) were written for.
const refusalLines = pairs.map((x) => {
  const c = x.filter.counters ?? {};
  const all = c["wasmcustom.kafka.denials_total"] ?? 0, notLogged = c["wasmcustom.kafka.audit.refusals_not_logged"] ?? 0;
  return `${fmt(all - notLogged, 0)} of ${fmt(all, 0)}`;
});
rows.push([`  refusals logged line by line per filter run, warm-up included (audit.refusalsLoggedPerSecond): ${refusalLines.join(", ")}`]);
section("memory of the Envoy process (fresh Envoy per run; after = after warm-up and all steps)");
figure("RSS before load, MiB", (r) => r.memory.idle.rssKiB / 1024, 1, "rss.before_load");
figure("RSS after load, MiB", (r) => r.memory.loaded.rssKiB / 1024, 1, "rss.after_load");
figure("peak RSS (VmHWM), MiB", (r) => r.memory.loaded.hwmKiB / 1024, 1, "rss.peak");
figure("tcmalloc allocated after load, MiB", (r) => r.memory.loaded.allocated / MiB, 1, "tcmalloc.after_load");
figure("Wasm linear memory, all VMs, after load, MiB", (r) => r.memory.loaded.wasmMemories.reduce((a, m) => a + m.sizeKiB, 0) / 1024, 1, null);
addedRows.push(["added round trip, minus pass-through of the same repeat, us (no-op, filter; their spreads: lowest to highest)"]);
added("metadata p50", (r) => r.metadata.p50 * 1000, 0, "metadata.p50_us");
added("metadata p99", (r) => r.metadata.p99 * 1000, 0, "metadata.p99_us");
added("produce p50 (101 KiB request)", (r) => r.produce.p50 * 1000, 0, "produce.p50_us");
added("produce p99 (101 KiB request)", (r) => r.produce.p99 * 1000, 0, "produce.p99_us");

const vmCounts = pairs.map((x) => x.filter.memory.loaded.wasmStats["wasm.wasm_vm_count"]).filter((x) => x !== undefined);
const perVm = (runs: Run[]): string => runs.map((r) => r.memory.loaded.wasmMemories.map((m) => fmt(m.sizeKiB / 1024, 1)).join("+")).join(" | ");

// Without the floor, its columns go.
const shown = COLUMNS.map((_, i) => i).filter((i) => withFloor.length > 0 || ![2, 6, 7, 8, 9].includes(i));
const isSection = (r: Row): boolean => r.length === 1;
const cell = (r: Row, i: number): string => r[i] ?? "";
const widths = COLUMNS.map((h, i) => Math.max(h.length, ...[...rows, ...addedRows].filter((r) => !isSection(r)).map((r) => cell(r, i).length)));
const line = (r: Row): string => (isSection(r) ? r[0] : shown.map((i) => (i === 0 ? cell(r, i).padEnd(widths[i]) : cell(r, i).padStart(widths[i]))).join("  "));

const out: string[] = [];
out.push(`kafka-wasm-filter bench, ${proxy.when}, ${proxy.cores} cores${proxy.cpuModel ? `, ${proxy.cpuModel}` : ""}`);
if (proxy.loadavg) out.push(`load average (1/5/15 min) before the stack started: ${proxy.loadavg.start.map((x) => x.toFixed(2)).join(" ")}; at the end: ${proxy.loadavg.end.map((x) => x.toFixed(2)).join(" ")}`);
out.push("");
out.push(`Envoy with the filter (build/filter.wasm, test/bench/policy.json) vs Envoy as plain TCP pass-through,`);
if (withFloor.length) out.push(`and between them the floor: Envoy with a Wasm filter that does nothing (no-op, build/bench/noop-filter.wasm);`);
out.push(`same Kafka, same run; raw client, one request in flight; medians of ${pairs.length} repeats;`);
out.push(`filter/pass = median of per-repeat ratios (spread: lowest-highest), likewise no-op/pass and filter/no-op`);
out.push("");
out.push(line(COLUMNS));
for (const r of rows) out.push(line(r));
out.push(`  Wasm VMs (wasm.wasm_vm_count): ${vmCounts.join(", ") || "-"}; linear memory per VM after load, MiB, by repeat: ${perVm(pairs.map((x) => x.filter))}`);
if (withFloor.length) out.push(`  no-op: linear memory per VM after load, MiB, by repeat: ${perVm(withFloor.map((x) => x.floor))}`);
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
// Against franz-go's kmsg (Go, compiled ahead of time): the codecs with the frames in Wasm
// memory already, one call per pass, as kmsg reads a byte slice (bench json of older runs has none).
const withKmsg = codecs.results.filter((r) => r.kmsg !== undefined);
if (withKmsg.length > 0) {
  out.push("");
  out.push(`the same frames against franz-go's kmsg (test/bench/kmsg): the codecs and the view in Wasm, one call per pass over the set; kmsg ReadFrom into a fresh response, then AppendTo${codecs.kmsgDiffers ? ` (${codecs.kmsgDiffers} frames kmsg writes back otherwise)` : ""}`);
  const kh = ["set", "codecs decode", "codecs reencode", "view", "kmsg decode", "kmsg reencode", "decode/kmsg", "reencode/kmsg", "view/kmsg"];
  const krows = withKmsg.map((r) => [
    r.set,
    `${fmt(r.wasmDecode!.framesPerS, 0)}/s`, `${fmt(r.wasmReencode!.framesPerS, 0)}/s`, `${fmt(r.view.framesPerS, 0)}/s`,
    `${fmt(r.kmsg!.framesPerS, 0)}/s`, `${fmt(r.kmsgReencode!.framesPerS, 0)}/s`,
    fmt(r.wasmDecode!.framesPerS / r.kmsg!.framesPerS, 2), fmt(r.wasmReencode!.framesPerS / r.kmsgReencode!.framesPerS, 2),
    fmt(r.view.framesPerS / r.kmsg!.framesPerS, 2),
  ]);
  const kw = kh.map((h, i) => Math.max(h.length, ...krows.map((r) => r[i].length)));
  out.push([kh[0].padEnd(kw[0]), ...kh.slice(1).map((h, i) => h.padStart(kw[i + 1]))].join("  "));
  for (const r of krows) out.push([r[0].padEnd(kw[0]), ...r.slice(1).map((c, i) => c.padStart(kw[i + 1]))].join("  "));
}
if (work) {
  out.push("");
  out.push("the filter's work per round trip in the mock host (round-trip-cost.mjs on build/filter-work.wasm): Wasm function entries and loop");
  out.push("iterations (binaryen log-execution), host reads, counter increments and other host calls; counted, so the same on any machine under any load");
  const wh = ["round trip", "Wasm calls+loops", "host reads", "KiB read", "counter increments", "other host calls"];
  const wrows = Object.entries(work.cases).map(([what, w]) => [what, fmt(w.entries, 0), fmt(w.reads, 1), fmt(w.readBytes / 1024, 1), fmt(w.counters, 1), fmt(w.otherCalls ?? NaN, 1)]);
  const ww = wh.map((h, i) => Math.max(h.length, ...wrows.map((r) => r[i].length)));
  out.push([wh[0].padEnd(ww[0]), ...wh.slice(1).map((h, i) => h.padStart(ww[i + 1]))].join("  "));
  for (const r of wrows) out.push([r[0].padEnd(ww[0]), ...r.slice(1).map((c, i) => c.padStart(ww[i + 1]))].join("  "));
}
out.push("");
out.push(`summary: ${pairs.length} repeats; ratio = filter/pass, floor = no-op/pass, above_floor = filter/no-op, added = filter - pass (us); median min max, then each repeat`);
const order: Kind[] = ["ratio", "floor", "above_floor", "added"];
for (const x of [...summary].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))) {
  const v = x.values, d = x.kind === "ratio" ? 2 : x.digits;
  const f = (n: number): string => n.toFixed(d);
  out.push(`${x.kind} ${x.key.padEnd(28)} ${f(median(v)).padStart(7)} min ${f(Math.min(...v)).padStart(7)} max ${f(Math.max(...v)).padStart(7)} repeats ${v.map(f).join(",")}`);
}
for (const r of codecs.results) {
  const key = r.set.split(" ")[0].toLowerCase();
  out.push(`codecs ${(key + ".reencode_vs_kafkajs").padEnd(27)} ${(r.reencode.framesPerS / r.kafkajs.framesPerS).toFixed(2).padStart(7)}`);
  out.push(`codecs ${(key + ".object_vs_kafkajs").padEnd(27)} ${(r.decodeParse.framesPerS / r.kafkajs.framesPerS).toFixed(3).padStart(7)}`);
  out.push(`codecs ${(key + ".view_vs_kafkajs").padEnd(27)} ${(r.view.framesPerS / r.kafkajs.framesPerS).toFixed(2).padStart(7)}`);
  if (r.kmsg === undefined) continue;
  out.push(`codecs ${(key + ".decode_vs_kmsg").padEnd(27)} ${(r.wasmDecode!.framesPerS / r.kmsg.framesPerS).toFixed(2).padStart(7)}`);
  out.push(`codecs ${(key + ".reencode_vs_kmsg").padEnd(27)} ${(r.wasmReencode!.framesPerS / r.kmsgReencode!.framesPerS).toFixed(2).padStart(7)}`);
  out.push(`codecs ${(key + ".view_vs_kmsg").padEnd(27)} ${(r.view.framesPerS / r.kmsg.framesPerS).toFixed(2).padStart(7)}`);
}
// Stable keys: "produce 1008 KiB in 64 KiB reads" -> produce_1008kib_in_64kib_reads.
const workKey = (what: string): string => what.toLowerCase().replace(/ kib/g, "kib").replace(/[^a-z0-9]+/g, "_");
if (work) {
  for (const [what, w] of Object.entries(work.cases)) out.push(`work ${(workKey(what) + ".calls").padEnd(38)} ${fmt(w.entries, 0).replace(/,/g, "").padStart(7)}`);
  // A ratio's key names what it is against ("... / whole"), or else it is against the 1 KiB round trip.
  for (const [what, r] of Object.entries(work.ratios)) {
    const [of, against] = what.split(" / ");
    out.push(`work ${(workKey(of) + "_vs_" + workKey(against ?? "1 KiB")).padEnd(38)} ${r.toFixed(2).padStart(7)}`);
  }
}
console.log(out.join("\n"));
