// Decode cost without Envoy: the generated codecs and views (build/bench/codecs.wasm: the CLI's
// module on the filter's runtime, AssemblyScript's minimal one, collected every 1024 frames as
// the filter collects at its safe points) against two peers, over the oracle's frames
// (.cache/oracle/frames.jsonl, written by Kafka's own classes): kafkajs's own response decoders
// in this Node process, and franz-go's kmsg (build/bench/kmsg-bench, test/bench/kmsg/) in Go.
//
//   tsx test/bench/codecs.ts <frames.jsonl> <out.json>
//
// Frames: every response frame with a non-flexible header (v0: correlation id only) whose API
// and version kafkajs 2.2.4 has a decoder for (kafkajs/src/protocol/requests/<api>/v<N>/response),
// and that this decoder takes without throwing (some throw on the oracle's random error codes),
// and that kmsg reads (kmsg-bench check; a frame kmsg reads but writes back otherwise is kept
// and counted in kmsgDiffers).
// Fetch is left out: the oracle's records fields hold random bytes, which kafkajs would try to
// decode as record batches while the codecs keep records as an opaque byte view; the two would
// not be doing the same work. Three sets: Metadata v0-v6, Produce v3-v7, and all of them.
//
// Each side, per frame (the bytes after the size prefix):
//   codecs reencode   copy the frame into Wasm memory, decode header and body into the generated
//                     message objects, encode them again, copy the result out (a Uint8Array);
//                     what the filter does to a frame it rewrites (checked: same bytes);
//   codecs decode     copy in, decode, write Kafka's JSON (the CLI's output), lift the string,
//                     JSON.parse it: bytes in, a plain JS object out, as kafkajs gives;
//   view              walk header and body with the generated view and decode the names the
//                     policy asks about (topics, groups, transactional ids) to strings: what the
//                     filter reads of a frame to decide or learn. One call per pass over the
//                     set, so the set's bytes are copied into Wasm once per pass (the filter
//                     finds each frame in its memory already: Envoy copied it in);
//   codecs in Wasm    decode (and, for reencode, encode into one reused writer) with the set's
//                     bytes in Wasm memory already, one call per pass: like for like with kmsg;
//   kafkajs decode    `await decode(body)`, body = the frame after the correlation id (a Buffer
//                     view, as kafkajs's connection passes it): bytes in, a JS object out;
//   kmsg decode       `ReadFrom(body)` into a fresh kmsg response: bytes in, a Go struct out;
//   kmsg reencode     the same, then `AppendTo` a reused buffer: like for like with reencode.
// Each side runs BENCH_CODEC_MS (500 ms) per repeat over the set in a loop, after a warm-up of
// the same length (kmsg-bench warms up itself, a fifth of it), the sides interleaved,
// BENCH_REPEATS (3) repeats; the median counts.

import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Codecs } from "../lib/codecs";
import { ROOT } from "../e2e/lib/env";

const [framesFile, outFile] = process.argv.slice(2);
if (!framesFile || !outFile) { console.error("usage: codecs.ts <frames.jsonl> <out.json>"); process.exit(2); }
const RUN_MS = Number(process.env.BENCH_CODEC_MS ?? 500);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

const require = createRequire(join(ROOT, "package.json"));
const KMSG = join(ROOT, "build", "bench", "kmsg-bench");
type KafkajsDecode = (body: Buffer) => Promise<unknown>;

interface Frame { name: string; apiKey: number; version: number; frame: Uint8Array; body: Buffer; kafkajs: KafkajsDecode }

/** Frames between two collections: the filter's safe-point budget (assembly/runtime/collect.ts). */
const COLLECT_EVERY = 1024;
const codecs = (await import(join(ROOT, "build", "bench", "codecs.js"))) as Codecs & { __collect(): void };
let sinceCollect = 0;
/** Counts `n` frames done, and collects as the filter would. */
function done(n: number): void {
  sinceCollect += n;
  if (sinceCollect >= COLLECT_EVERY) {
    codecs.__collect();
    sinceCollect = 0;
  }
}

const lcfirst = (s: string): string => s[0].toLowerCase() + s.slice(1);

/** `set` as kmsg-bench reads it, written to `file`: [apiKey][version][length][frame] per frame. */
function writeForKmsg(set: Frame[], file: string): string {
  writeFileSync(file, Buffer.concat(set.flatMap((f) => {
    const head = Buffer.alloc(8);
    head.writeInt16BE(f.apiKey, 0);
    head.writeInt16BE(f.version, 2);
    head.writeInt32BE(f.frame.length, 4);
    return [head, f.frame];
  })));
  return file;
}

/** kmsg-bench's verdict on each frame: "ok", "differs" or "error: ...". */
function kmsgCheck(set: Frame[]): string[] {
  const out = execFileSync(KMSG, ["check", writeForKmsg(set, `${outFile}.kmsg-check.bin`)], { encoding: "utf8" });
  const lines = out.trimEnd().split("\n");
  if (lines.length !== set.length) throw new Error(`kmsg-bench check: ${lines.length} verdicts for ${set.length} frames`);
  return lines;
}

async function selectFrames(): Promise<{ frames: Frame[]; skipped: Record<string, number>; kmsgDiffers: number }> {
  const frames: Frame[] = [];
  const skipped: Record<string, number> = {};
  const skip = (why: string): void => { skipped[why] = (skipped[why] ?? 0) + 1; };
  for (const line of readFileSync(framesFile, "utf8").split("\n")) {
    if (line.length === 0) continue;
    const o = JSON.parse(line) as { name: string; apiKey: number; kind: string; version: number; headerVersion: number; frame: string };
    if (o.kind !== "response" || o.headerVersion !== 0) continue;
    const api = o.name.replace(/Response$/, "");
    if (api === "Fetch") { skip("Fetch (records are random bytes)"); continue; }
    const path = join(ROOT, "node_modules", "kafkajs", "src", "protocol", "requests", lcfirst(api), `v${o.version}`, "response.js");
    if (!existsSync(path)) continue;
    const decode = (require(path) as { decode: KafkajsDecode }).decode;
    const sized = Buffer.from(o.frame, "base64");
    const frame = new Uint8Array(sized.subarray(4));
    const body = sized.subarray(8);
    try { await decode(body); } catch { skip("kafkajs throws on it"); continue; }
    const again = codecs.reencode(frame, false, o.apiKey, o.version);
    if (again === null || Buffer.compare(Buffer.from(again), Buffer.from(frame)) !== 0) { skip("codecs do not reencode it"); continue; }
    if (codecs.walkFrames(frame, Int32Array.of(0, frame.length, o.apiKey, o.version), false, 1) < 0) { skip("the view does not walk it"); continue; }
    frames.push({ name: api, apiKey: o.apiKey, version: o.version, frame, body, kafkajs: decode });
  }
  const verdicts = kmsgCheck(frames);
  const read = frames.filter((_, i) => !verdicts[i].startsWith("error"));
  for (const v of verdicts) if (v.startsWith("error")) skip("kmsg does not read it");
  return { frames: read, skipped, kmsgDiffers: verdicts.filter((v) => v === "differs").length };
}

type Side = "reencode" | "decodeParse" | "view" | "wasmDecode" | "wasmReencode" | "kafkajs" | "kmsg" | "kmsgReencode";
const SIDES: Side[] = ["reencode", "decodeParse", "view", "wasmDecode", "wasmReencode", "kafkajs", "kmsg", "kmsgReencode"];

/** A set's frames one after another, and the table walkFrames reads them by. */
function laidOut(set: Frame[]): { bytes: Uint8Array; table: Int32Array } {
  const bytes = Buffer.concat(set.map((f) => f.frame));
  const table = new Int32Array(set.length * 4);
  let at = 0;
  set.forEach((f, i) => {
    table.set([at, at + f.frame.length, f.apiKey, f.version], i * 4);
    at += f.frame.length;
  });
  return { bytes: new Uint8Array(bytes), table };
}

/** Runs one side over `set` for `ms`: frames and bytes done. */
async function runSide(side: Side, set: Frame[], ms: number, kmsgFile: string): Promise<{ frames: number; bytes: number; ms: number }> {
  if (side === "kmsg" || side === "kmsgReencode") {
    const out = execFileSync(KMSG, [side === "kmsg" ? "decode" : "reencode", kmsgFile, String(ms)], { encoding: "utf8" });
    return JSON.parse(out) as { frames: number; bytes: number; ms: number };
  }
  let frames = 0, bytes = 0, sink = 0;
  const all = laidOut(set);
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    if (side === "view" || side === "wasmDecode" || side === "wasmReencode") {
      const r = side === "view" ? codecs.walkFrames(all.bytes, all.table, false, 1)
        : codecs.codecFrames(all.bytes, all.table, false, side === "wasmReencode", 1);
      if (r < 0) throw new Error(`${side}: ${codecs.error()}`);
      sink += r;
      bytes += all.bytes.length;
      frames += set.length;
      done(set.length);
      t = performance.now();
      continue;
    }
    for (const f of set) {
      if (side === "reencode") {
        const out = codecs.reencode(f.frame, false, f.apiKey, f.version);
        sink += out === null ? 0 : out.length;
      } else if (side === "decodeParse") {
        const o = JSON.parse(codecs.decode(f.frame, false, f.apiKey, f.version)) as object;
        sink += o === null ? 0 : 1;
      } else {
        const o = (await f.kafkajs(f.body)) as object;
        sink += o === null ? 0 : 1;
      }
      bytes += f.frame.length;
      if (side !== "kafkajs") done(1);
    }
    frames += set.length;
    t = performance.now();
  }
  if (sink < 0) console.log(sink);
  return { frames, bytes, ms: t - t0 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { frames, skipped, kmsgDiffers } = await selectFrames();
const sets: Array<{ name: string; frames: Frame[] }> = [
  { name: "Metadata v0-v6", frames: frames.filter((f) => f.name === "Metadata") },
  { name: "Produce v3-v7", frames: frames.filter((f) => f.name === "Produce") },
  { name: `all (${new Set(frames.map((f) => f.name)).size} APIs)`, frames },
];

const results = [];
for (const [n, s] of sets.entries()) {
  const kmsgFile = writeForKmsg(s.frames, `${outFile}.kmsg-${n}.bin`);
  for (const side of SIDES) if (!side.startsWith("kmsg")) await runSide(side, s.frames, RUN_MS, kmsgFile); // warm-up
  const perSide = Object.fromEntries(SIDES.map((side) => [side, [] as Array<{ fps: number; mbps: number }>])) as Record<Side, Array<{ fps: number; mbps: number }>>;
  for (let r = 0; r < REPEATS; r++) {
    for (const side of r % 2 === 0 ? SIDES : [...SIDES].reverse()) {
      const x = await runSide(side, s.frames, RUN_MS, kmsgFile);
      perSide[side].push({ fps: x.frames / x.ms * 1000, mbps: x.bytes / x.ms / 1000 });
    }
  }
  const fig = (side: Side) => ({ framesPerS: median(perSide[side].map((x) => x.fps)), mbPerS: median(perSide[side].map((x) => x.mbps)), runs: perSide[side] });
  const bytes = s.frames.reduce((a, f) => a + f.frame.length, 0);
  const entry = {
    set: s.name, frames: s.frames.length, versions: [...new Set(s.frames.map((f) => `${f.name} v${f.version}`))].length,
    avgBytes: bytes / s.frames.length, reencode: fig("reencode"), decodeParse: fig("decodeParse"), view: fig("view"), kafkajs: fig("kafkajs"),
    wasmDecode: fig("wasmDecode"), wasmReencode: fig("wasmReencode"), kmsg: fig("kmsg"), kmsgReencode: fig("kmsgReencode"),
  };
  results.push(entry);
  process.stderr.write(`codecs bench: ${s.name}: ${s.frames.length} frames, reencode ${entry.reencode.framesPerS.toFixed(0)}/s, ` +
    `decode+parse ${entry.decodeParse.framesPerS.toFixed(0)}/s, view ${entry.view.framesPerS.toFixed(0)}/s, ` +
    `in Wasm decode ${entry.wasmDecode.framesPerS.toFixed(0)}/s reencode ${entry.wasmReencode.framesPerS.toFixed(0)}/s, kafkajs ${entry.kafkajs.framesPerS.toFixed(0)}/s, ` +
    `kmsg ${entry.kmsg.framesPerS.toFixed(0)}/s, kmsg reencode ${entry.kmsgReencode.framesPerS.toFixed(0)}/s\n`);
}

writeFileSync(outFile, JSON.stringify({ node: process.version, runMs: RUN_MS, repeats: REPEATS, skipped, kmsgDiffers, results }, null, 1));
