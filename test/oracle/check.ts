// Checks the generated codecs against Kafka's own classes: every reference frame the Java
// oracle wrote (every message, every version) must decode to the JSON Kafka's converters
// wrote, and encode back to the same bytes.
// Usage: tsx test/oracle/check.ts <frames.jsonl> <schema dir>

import { readFileSync } from "node:fs";
import { loadCodecs } from "../lib/codecs";
import { loadMessages } from "../../codegen/model";
import { firstDifference, Json, parseLossless } from "../lib/lossless-json";

interface OracleFrame {
  name: string; apiKey: number; kind: "request" | "response"; version: number; variant: number;
  frame: string; header: Json; body: Json;
}

const [file, schemaDir] = process.argv.slice(2);
if (!file || !schemaDir) {
  console.error("usage: tsx test/oracle/check.ts <frames.jsonl> <schema dir>");
  process.exit(2);
}

// Kafka's converters print records as "" whatever they hold (the bytes check covers them).
const recordsFields = new Set<string>();
for (const m of loadMessages(schemaDir)) {
  for (const s of [m.root, ...m.structs]) {
    for (const f of s.fields) if (f.type.kind === "primitive" && f.type.name === "records") recordsFields.add(f.jsonName);
  }
}

function lenient(key: string, expected: Json, actual: Json): boolean {
  return recordsFields.has(key) && expected === "" && typeof actual === "string";
}

function describeDiff(expected: Uint8Array, actual: Uint8Array): string {
  let at = 0;
  while (at < expected.length && at < actual.length && expected[at] === actual[at]) at++;
  return `bytes differ from offset ${at} (expected ${expected.length} bytes, got ${actual.length})`;
}

const codecs = await loadCodecs();
const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0);
const messages = new Set<string>();
const versions = new Set<string>();
let passed = 0, failed = 0;
const failures: string[] = [];

for (const line of lines) {
  const f = JSON.parse(line) as OracleFrame;
  // The header and body JSON come from the lossless parse of the same line.
  const full = parseLossless(line) as { [k: string]: Json };
  const id = `${f.name} v${f.version} variant ${f.variant}`;
  messages.add(f.name);
  versions.add(`${f.name}/${f.version}`);
  const sized = Buffer.from(f.frame, "base64");
  const frame = new Uint8Array(sized.subarray(4));
  const isRequest = f.kind === "request";
  const problems: string[] = [];

  const json = codecs.decode(frame, isRequest, f.apiKey, f.version);
  if (json === "") problems.push(`decode: ${codecs.error()}`);
  else {
    const ours = parseLossless(json) as { [k: string]: Json };
    const d = firstDifference({ header: full.header, body: full.body }, ours, lenient);
    if (d) problems.push(`json: ${d}`);
  }

  // Our JSON form carries everything (records included), so it must encode back to the frame.
  if (json !== "") {
    const encoded = codecs.encode(json, isRequest, f.apiKey, f.version);
    if (encoded === null) problems.push(`encode from JSON: ${codecs.error()}`);
    else if (Buffer.compare(Buffer.from(encoded), sized) !== 0) problems.push(`encode from JSON: ${describeDiff(sized, encoded)}`);
  }

  const again = codecs.reencode(frame, isRequest, f.apiKey, f.version);
  if (again === null) problems.push(`re-encode: ${codecs.error()}`);
  else if (Buffer.compare(Buffer.from(again), Buffer.from(frame)) !== 0) problems.push(`re-encode: ${describeDiff(frame, again)}`);

  if (problems.length === 0) passed++;
  else {
    failed++;
    failures.push(`${id}: ${problems.join("; ")}`);
  }
}

for (const f of failures.slice(0, 40)) console.log(`FAIL ${f}`);
if (failures.length > 40) console.log(`... and ${failures.length - 40} more`);
console.log(`oracle check: messages=${messages.size} versions=${versions.size} frames=${lines.length}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && lines.length > 0 ? 0 : 1);
