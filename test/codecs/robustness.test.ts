// No decoder may trap on malformed input: every truncation of every oracle frame and seeded
// random corruptions must come back as a clear error (or a clean decode), never a Wasm trap.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadCodecs } from "../lib/codecs";
import { seededRandom } from "../lib/seeded-random";

const framesFile = process.env.ORACLE_FRAMES ?? ".cache/oracle/frames.jsonl";

interface OracleFrame { name: string; apiKey: number; kind: string; version: number; frame: string }

const frames = readFileSync(framesFile, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l) as OracleFrame);
const codecs = await loadCodecs();

/** Decodes and reports a trap (a thrown RuntimeError) as a failure message. */
function decodeSafely(f: OracleFrame, payload: Uint8Array): { json: string; error: string } {
  const json = codecs.decode(payload, f.kind === "request", f.apiKey, f.version);
  return { json, error: json === "" ? codecs.error() : "" };
}


test(`every truncation of ${frames.length} oracle frames fails cleanly, naming the field and offset`, () => {
  let cases = 0;
  for (const f of frames) {
    const payload = new Uint8Array(Buffer.from(f.frame, "base64").subarray(4));
    for (let n = 0; n < payload.length; n++) {
      const { json, error } = decodeSafely(f, payload.subarray(0, n));
      cases++;
      // A shorter frame can still be a whole message when the tail was an empty tagged section
      // or optional data; otherwise the error must say what and where.
      if (json === "") assert.match(error, /(at offset \d+|unsupported api key)/, `${f.name} v${f.version} cut at ${n}: ${error}`);
    }
  }
  console.log(`truncations checked: ${cases}`);
  assert.ok(cases > 10000);
});

test("seeded random corruptions never trap", () => {
  const next = seededRandom(20261128);
  let cases = 0, rejected = 0;
  for (const f of frames) {
    const original = new Uint8Array(Buffer.from(f.frame, "base64").subarray(4));
    for (let k = 0; k < 20; k++) {
      const payload = original.slice();
      const flips = 1 + Math.floor(next() * 4);
      for (let i = 0; i < flips; i++) {
        const at = Math.floor(next() * payload.length);
        // Favour the bytes that hurt most: lengths and counts set to 0xff or 0x7f.
        payload[at] = next() < 0.5 ? (next() < 0.5 ? 0xff : 0x7f) : Math.floor(next() * 256);
      }
      const { json, error } = decodeSafely(f, payload);
      cases++;
      if (json === "") {
        rejected++;
        assert.ok(error.length > 0, `${f.name}: empty error`);
      }
    }
  }
  console.log(`corruptions checked: ${cases}, rejected with an error: ${rejected}`);
  assert.ok(rejected > cases / 4);
});

test("unknown api keys and versions are errors, not traps", () => {
  const header = (key: number, version: number) => {
    const b = Buffer.alloc(10);
    b.writeInt16BE(key, 0);
    b.writeInt16BE(version, 2);
    b.writeInt32BE(7, 4);
    b.writeInt16BE(-1, 8);
    return new Uint8Array(b);
  };
  for (const [key, version] of [[9999, 0], [-1, 0], [0, 999], [0, -5], [7, 0]]) {
    assert.equal(codecs.decode(header(key, version), true, 0, 0), "");
    assert.match(codecs.error(), /unsupported api key/);
    assert.equal(codecs.decode(new Uint8Array([0, 0, 0, 1]), false, key, version), "");
  }
});

test("bad JSON for encode is an error naming the place", () => {
  const cases: [string, RegExp][] = [
    ["{", /input is not JSON/],
    ["[]", /\(root\): expected object, found array/],
    ['{"header":{"requestApiKey":3,"requestApiVersion":12,"correlationId":1,"clientId":null},"body":{"topics":"x"}}', /body.topics: expected array/],
    ['{"header":{"requestApiKey":3,"requestApiVersion":12,"correlationId":1,"clientId":null},"body":{"topics":[{"topicId":"short","name":"t"}],"allowAutoTopicCreation":true,"includeTopicAuthorizedOperations":false}}', /topics\[0\].topicId: not a Uuid/],
    ['{"header":{"requestApiKey":0,"requestApiVersion":9,"correlationId":1e99,"clientId":null},"body":{}}', /header.correlationId: expected an integer/],
  ];
  for (const [json, expected] of cases) {
    assert.equal(codecs.encode(json, true, 0, 0), null, json);
    assert.match(codecs.error(), expected, json);
  }
});
