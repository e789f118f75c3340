// Kafka frames for the Node tests of the filter, made by the generated codecs (build/codecs.js)
// from the oracle's frames (.cache/oracle/frames.jsonl): take the oracle's message of a kind,
// api key and version as {header, body} JSON, edit it, encode it again. And the tests' tally.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export async function oracleFrames(framesPath) {
  const codecs = await import(path.join(ROOT, "build", "codecs.js"));
  const oracle = fs.readFileSync(framesPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  /** The oracle's frame of this message as {header, body} JSON, to edit and encode again. */
  function template(kind, apiKey, version) {
    const f = oracle.find((x) => x.kind === kind && x.apiKey === apiKey && x.version === version);
    const text = codecs.decode(Buffer.from(f.frame, "base64").subarray(4), kind === "request", apiKey, version);
    if (!text) throw new Error(`oracle ${kind} ${apiKey} v${version} does not decode: ${codecs.error()}`);
    return JSON.parse(text);
  }
  /** {header, body} JSON encoded as a size-prefixed frame. */
  function frame(json, isRequest, apiKey, version) {
    const b = codecs.encode(JSON.stringify(json), isRequest, apiKey, version);
    if (!b) throw new Error(`cannot encode ${apiKey} v${version}: ${codecs.error()}`);
    return Buffer.from(b);
  }
  return { codecs, template, frame };
}

/** check(name, ok, detail) prints failures; done() prints "N passed, M failed" and exits (non-zero on any failure). */
export function checker() {
  let passed = 0, failed = 0;
  return {
    check(name, ok, detail = "") {
      if (ok) passed++;
      else { failed++; console.log(`FAIL ${name} ${detail}`); }
    },
    done() {
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    },
  };
}
