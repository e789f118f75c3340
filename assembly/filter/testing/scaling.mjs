// What a request costs the filter as it names more entities, for every request Kafka's own
// classes build (make oracle: .cache/oracle/frames.jsonl; two versions of each api key),
// under the mock Envoy host: a hostile client's request must cost time and memory linear in what
// it names, never more. One Envoy worker runs every connection it holds on one thread, so a
// request that costs a second of Wasm freezes them all for that second.
//
// Each request's arrays are grown to N elements, two ways: "wide" (the top-level arrays, one
// element in those below) and "deep" (one element at the top, N in the arrays below them). Each
// element's strings are made its own ("ok.<i>.…" or "no.<i>.…"): the policy allows what starts
// "ok." and nothing else, so half of every list is refused, half goes on (and, for the newest
// version, a policy that allows nothing: refused as a whole). A request the filter
// forwards gets the oracle's response of its API grown the same way (names the same), so that
// what merges refusals into the broker's answer, or cuts it, runs too. Timed at N and 8N: a cost
// linear in N grows about 8 times, a quadratic one 64 times. A case fails when it grows more
// than RATIO times and takes more than FLOOR_MS at 8N, or when the VM traps.
//
//   node assembly/filter/testing/scaling.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl] [--n 2000] [--verbose]
// Prints one line per case over the floor, then "N passed, M failed"; exits non-zero on a failure.

import fs from "node:fs";
import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const arg = (name, d) => process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : d;
const N = Number(arg("--n", 2000));
const VERBOSE = process.argv.includes("--verbose");
const ONLY = arg("--api", null);
// Linear costs grow 8 times from N to 8N; noise and the collector's pace make some 12-16.
const RATIO = 24;
const FLOOR_MS = 100;
const { codecs } = await oracleFrames(FRAMES);
const { check, done } = checker();

const ALL = ["TOPIC", "GROUP", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"].map((resourceType) => ({
  principal: "User:*", host: "*", resourceType, resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW",
}));
const POLICIES = {
  // Half of every list refused: the rest goes on, and the refusals join the broker's answer.
  half: JSON.stringify({
    allowEveryoneIfNoAclFound: false,
    acls: [...ALL, { principal: "User:*", host: "*", resourceType: "CLUSTER", resourceName: "kafka-cluster", resourcePatternType: "LITERAL", operation: "ALL", permissionType: "ALLOW" }],
  }),
  // Everything refused: requests refused as a whole get the API's generated refusal of each entry.
  none: JSON.stringify({ allowEveryoneIfNoAclFound: false }),
};

const oracle = fs.readFileSync(FRAMES, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const decode = (f, isRequest, k, v) => JSON.parse(codecs.decode(Buffer.from(f.frame, "base64").subarray(4), isRequest, k, v));
/**
 * Of each request, two versions: the newest, and the middle one (older layouts: topics by name
 * where the newest names them by id), the variant with the most content.
 */
function requestVersions() {
  const byVersion = new Map();
  for (const f of oracle) {
    if (f.kind !== "request") continue;
    const key = `${f.apiKey}/${f.version}`;
    const size = JSON.stringify(f.body).length;
    if (!byVersion.has(key) || size > byVersion.get(key).size) byVersion.set(key, { ...f, size });
  }
  const picked = [];
  for (const apiKey of new Set([...byVersion.values()].map((f) => f.apiKey))) {
    const versions = [...byVersion.values()].filter((f) => f.apiKey === apiKey).map((f) => f.version).sort((a, b) => a - b);
    const [min, max] = [versions[0], versions[versions.length - 1]];
    for (const v of new Set([max, Math.floor((min + max) / 2)])) if (byVersion.has(`${apiKey}/${v}`)) picked.push(byVersion.get(`${apiKey}/${v}`));
  }
  return picked.sort((a, b) => a.apiKey - b.apiKey || b.version - a.version);
}

// A uuid or bytes value (base64 in the codecs' JSON) is left as it is: only names are made unique.
const looksEncoded = (s) => /^[A-Za-z0-9+/_-]{22}$/.test(s) || /^[A-Za-z0-9+/]+=*$/.test(s) && s.length % 4 === 0 && s.length >= 8;
// Fields the codecs refused made unique (bytes whose base64 looked like a name): left as they are.
const asIs = new Set();
function unique(v, i, key = "") {
  if (typeof v === "string") return looksEncoded(v) || asIs.has(key) ? v : `${i % 2 ? "ok" : "no"}.${i}.${v}`.slice(0, 200);
  if (Array.isArray(v)) return v.map((x) => unique(x, i, key));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unique(x, i, k)]));
  return v;
}
// JSON numbers past 2^53 (int64 fields) come back rounded, and may no longer fit: zeroed.
const fit = (v) => typeof v === "number" && !Number.isSafeInteger(v) && Number.isInteger(v) ? 0
  : Array.isArray(v) ? v.map(fit) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fit(x)])) : v;
/** `body` with its arrays at `depth` grown to n elements (each made unique), those above and below cut to one. */
function grown(v, n, depth, level = 0) {
  if (Array.isArray(v)) {
    if (v.length === 0) return v;
    if (level === depth) return Array.from({ length: n }, (_, i) => unique(grown(v[0], n, depth, level + 1), i));
    return [grown(v[0], n, depth, level + 1)];
  }
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, grown(x, n, depth, level + (Array.isArray(x) ? 0 : 0))]));
  return v;
}
function hasArrayAt(v, depth, level = 0) {
  if (Array.isArray(v)) return v.length > 0 && (level === depth || hasArrayAt(v[0], depth, level + 1));
  if (v && typeof v === "object") return Object.values(v).some((x) => hasArrayAt(x, depth, level));
  return false;
}
function encode(json, isRequest, k, v) {
  const b = codecs.encode(JSON.stringify(fit(json)), isRequest, k, v);
  return b ? Buffer.from(b) : null;
}
/** `json` with its body grown (grow(body)), encoded; a field the codecs refuse as not base64 is kept as it was, and tried again. */
function grownFrame(json, grow, isRequest, k, v) {
  for (let tries = 0; tries < 8; tries++) {
    const frame = encode({ ...json, body: grow(json.body) }, isRequest, k, v);
    if (frame != null) return frame;
    const bytesField = /\.(\w+): not base64/.exec(codecs.error());
    if (bytesField == null || asIs.has(bytesField[1])) return null;
    asIs.add(bytesField[1]);
  }
  return null;
}

/** The request of `f` and the oracle's answer to it, their lists at `depth` grown to `n` elements; encoded once for every policy. */
function framesOf(f, n, depth) {
  const req = decode(f, true, f.apiKey, f.version);
  req.header = { ...req.header, correlationId: 7, clientId: "scaling" };
  // A Produce with acks=0 gets no answer (its refusals close the connection, as Kafka's broker
  // does), and the oracle's acks are random: all replicas, so that it is answered.
  if (req.body.acks !== undefined) req.body.acks = -1;
  const frame = grownFrame(req, (b) => grown(b, n, depth), true, f.apiKey, f.version);
  if (frame == null) return { skipped: `request does not encode: ${codecs.error()}` };
  let answer = null;
  const rf = oracle.find((x) => x.kind === "response" && x.apiKey === f.apiKey && x.version === f.version);
  if (rf) {
    const resp = decode(rf, false, f.apiKey, f.version);
    resp.header = { correlationId: 7 };
    answer = grownFrame(resp, (b) => grown(b, n, depth), false, f.apiKey, f.version);
  }
  return { frame, answer, apiKey: f.apiKey };
}

/** Time (ms) and memory growth of one request (and its answer, if forwarded) under `policy`. */
function run({ frame, answer, apiKey }, policy) {
  const h = new Host(WASM, { config: policy, logLevel: 2 });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs));
  const c = h.connect(2);
  const mem0 = h.x.memory.buffer.byteLength;
  const t0 = process.hrtime.bigint();
  let trapped = null;
  try {
    c.feed(DOWNSTREAM, frame);
    // Answered when the request went on alone: a request of the filter's own sent instead of it
    // or ahead of it (a topic id lookup, under the same correlation id) would take it for its own.
    const up = c.output(DOWNSTREAM);
    const alone = up.length > 12 && up.readInt32BE(0) + 4 === up.length && up.readInt16BE(4) === apiKey;
    if (!c.closed && answer != null && alone) c.feed(UPSTREAM, answer);
  } catch (e) {
    trapped = String(e).slice(0, 200);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const why = c.closed ? h.logs.map((l) => l.msg).find((m) => m.includes("closed by filter")) ?? "" : "";
  return { ms, bytes: frame.length, memMiB: (h.x.memory.buffer.byteLength - mem0) / 2 ** 20, trapped, closed: c.closed, why };
}

/** The fastest of `n` runs (and of `best`, a run already made). */
function fastest(frames, policy, n, best = null) {
  for (let i = 0; i < n; i++) {
    const r = run(frames, policy);
    // A trap is kept: it is what the check reports.
    if (best === null || (best.trapped == null && (r.trapped != null || r.ms < best.ms))) best = r;
  }
  return best;
}

const cases = requestVersions().filter((f) => ONLY == null || String(f.apiKey) === ONLY);
let timed = 0;
// The frames of the last request and shape, at N and 8N: its policies run one after the other.
let cached = { key: "", frames: null };
const newest = new Map();
for (const f of cases) newest.set(f.apiKey, Math.max(newest.get(f.apiKey) ?? 0, f.version));
for (const f of cases) {
  // Refused whole: the newest version only.
  const policies = f.version === newest.get(f.apiKey) ? ["half", "none"] : ["half"];
  for (const [shape, depth, policy] of [["wide", 0], ["deep", 1]].flatMap(([s, d]) => policies.map((p) => [s, d, p]))) {
    const body = decode(f, true, f.apiKey, f.version).body;
    if (!hasArrayAt(body, depth)) continue;
    const key = `${f.apiKey}/${f.version}/${depth}`;
    if (cached.key !== key) cached = { key, frames: [framesOf(f, N, depth), framesOf(f, 8 * N, depth)] };
    const [smallFrames, largeFrames] = cached.frames;
    if (smallFrames.skipped || largeFrames.skipped) {
      console.log(`skip ${f.name} v${f.version} ${shape}: ${smallFrames.skipped ?? largeFrames.skipped}`);
      continue;
    }
    // The fastest of three small runs and, when the large one looks superlinear, of four large
    // ones and six small: a collection or a late compilation in one run, or another process
    // taking the core for a moment (seen: x28 under a load of 5 on 2 cores, x7 alone), would
    // make a ratio of noise.
    let small = fastest(smallFrames, POLICIES[policy], 3);
    let large = run(largeFrames, POLICIES[policy]);
    if (large.ms > FLOOR_MS && large.ms / Math.max(small.ms, 1) > RATIO) {
      large = fastest(largeFrames, POLICIES[policy], 3, large);
      small = fastest(smallFrames, POLICIES[policy], 3, small);
    }
    timed++;
    const ratio = large.ms / Math.max(small.ms, 1);
    const name = `${f.name} v${f.version} ${shape} ${policy}`;
    const line = `${name}: ${N} -> ${8 * N} elements: ${small.ms.toFixed(0)} -> ${large.ms.toFixed(0)} ms (x${ratio.toFixed(1)}), frame ${large.bytes} B, memory +${large.memMiB.toFixed(0)} MiB${large.closed ? `, closed (${large.why.replace(/.*closed by filter: /, "").slice(0, 120)})` : ""}`;
    if (VERBOSE || large.ms > FLOOR_MS) console.log(line);
    check(`${name}: no trap`, small.trapped == null && large.trapped == null, small.trapped ?? large.trapped ?? "");
    check(`${name}: cost linear in its elements`, !(large.ms > FLOOR_MS && ratio > RATIO), line);
  }
}
if (ONLY == null) check("requests timed", timed >= 150, `${timed}`);
done();
