// The kafka-wasm CLI as a user runs it: frames on stdin, JSON or frames on stdout, one-line
// errors and a non-zero exit on bad input.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const framesFile = process.env.ORACLE_FRAMES ?? ".cache/oracle/frames.jsonl";
const frames = readFileSync(framesFile, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));

function cli(args: string[], input: Buffer | string) {
  const r = spawnSync(process.execPath, ["bin/kafka-wasm.mjs", ...args], { input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

function oracleFrame(name: string, version: number) {
  const f = frames.find((x) => x.name === name && x.version === version && x.variant === 0);
  assert.ok(f, `${name} v${version} in the oracle frames`);
  return { ...f, bytes: Buffer.from(f.frame, "base64") };
}

test("decode prints header and body; encode gives the same frame back", () => {
  const f = oracleFrame("ProduceRequest", 11);
  const decoded = cli(["decode"], f.bytes);
  assert.equal(decoded.status, 0, decoded.stderr);
  const json = JSON.parse(decoded.stdout.toString());
  assert.equal(json.header.requestApiKey, 0);
  assert.equal(json.header.correlationId, f.header.correlationId);
  assert.ok(Array.isArray(json.body.topicData));
  const encoded = cli(["encode"], decoded.stdout);
  assert.equal(encoded.status, 0, encoded.stderr);
  assert.deepEqual(encoded.stdout, f.bytes);
});

test("responses take --api-key and --api-version", () => {
  const f = oracleFrame("MetadataResponse", 12);
  const decoded = cli(["decode", "--api-key", "3", "--api-version", "12"], f.bytes);
  assert.equal(decoded.status, 0, decoded.stderr);
  assert.ok("topics" in JSON.parse(decoded.stdout.toString()).body);
  const encoded = cli(["encode", "--api-key", "3", "--api-version", "12"], decoded.stdout);
  assert.deepEqual(encoded.stdout, f.bytes);
});

test("int64 values beyond 2^53 survive exactly", () => {
  const line = readFileSync(framesFile, "utf8").split("\n").find((l) => /"producerId":-?\d{17,}/.test(l));
  assert.ok(line, "an oracle frame with a producerId beyond 2^53");
  const big = /"producerId":(-?\d{17,})/.exec(line)![1];
  const f = JSON.parse(line);
  const args = f.kind === "request" ? ["decode"] : ["decode", "--api-key", String(f.apiKey), "--api-version", String(f.version)];
  const decoded = cli(args, Buffer.from(f.frame, "base64"));
  assert.match(decoded.stdout.toString(), new RegExp(`"producerId":${big}[,}]`));
});

test("apis lists every api key with versions and header versions", () => {
  const r = cli(["apis"], "");
  assert.equal(r.status, 0);
  const apis = JSON.parse(r.stdout.toString());
  assert.equal(apis.length, 95);
  const produce = apis.find((a: { name: string }) => a.name === "Produce");
  assert.deepEqual([produce.apiKey, produce.minVersion, produce.maxVersion], [0, 3, 13]);
  const apiVersions = apis.find((a: { name: string }) => a.name === "ApiVersions");
  assert.equal(apiVersions.responseHeaderVersion, 0);
});

test("malformed input: one line on stderr, non-zero exit, no stack trace", () => {
  const f = oracleFrame("FetchRequest", 15);
  const truncated = Buffer.from(f.bytes.subarray(0, f.bytes.length - 5));
  truncated.writeInt32BE(truncated.length - 4, 0);
  const cases: [string[], Buffer | string, RegExp][] = [
    [["decode"], truncated, /^kafka-wasm: request: .+ at offset \d+$/],
    [["decode"], Buffer.from([0, 0]), /frame starts with a 4-byte size/],
    [["decode"], f.bytes.subarray(0, 20), /frame size says/],
    [["encode"], "not json", /input is not JSON/],
    [["decode", "--api-key", "3"], f.bytes, /go together/],
    [["frobnicate"], "", /unknown command/],
  ];
  for (const [args, input, expected] of cases) {
    const r = cli(args, input);
    assert.notEqual(r.status, 0, args.join(" "));
    const first = r.stderr.split("\n")[0];
    assert.match(first, expected);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});
