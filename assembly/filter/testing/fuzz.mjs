// Randomized tests of the filter module (the real .wasm) under a mock Envoy host (host.mjs):
//  1. valid request and response streams, pipelined, cut into random pieces (single bytes
//     included) and interleaved: what the filter sends on must equal what came in, and the
//     kafka.* counters must count every frame;
//  2. random garbage and hostile frame sizes in both directions: the VM must never trap, a
//     closed connection sends nothing more, and memory stays bounded;
//  3. configurations accepted and refused;
//  4. a refused reconfiguration leaves the configuration in force.
//
//   node assembly/filter/testing/fuzz.mjs [build/filter.wasm] [iterations] [seed] [--garbage-only]
// Parts 1 and 4 need a module whose handler passes what it cannot judge (the test build,
// whose handler ignores other client ids); the product module decodes every frame and
// closes on random bodies, so it runs parts 2 and 3 only (--garbage-only).
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const ITER = +(process.argv[3] || 300);
let seed = +(process.argv[4] || 12345);
const GARBAGE_ONLY = process.argv.includes("--garbage-only");
/** Close lines a VM writes in a second (assembly/filter/connection-lines.ts). */
const CONNECTION_LINES_PER_SECOND = 100;

function rnd() { // xorshift32
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
}
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];
const randBytes = (n) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = ri(256); return b; };

let passed = 0, failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}

const i16 = (v) => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
const i32 = (v) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
const sized = (p) => Buffer.concat([i32(p.length), p]);

/**
 * A random request frame. `answered`: a stream the broker answers frame for frame, so a
 * Produce gets well-formed fields up to a non-zero acks (the shell reads acks, since acks=0
 * is never answered) and random bytes after.
 */
function randomRequest(corr, answered = false) {
  const apiKey = rnd() < 0.9 ? ri(95) : pick([-1, 200, 32767]);
  let version = ri(20);
  // A client waits for the answer to SaslHandshake v0 before it sends more (it says whether
  // raw SASL tokens follow): the shell closes a pipeline behind one (sasl-v0 e2e, smoke).
  if (answered && apiKey === 17 && version === 0) version = 1;
  let clientId = null;
  const r = rnd();
  if (r < 0.55) clientId = Buffer.from("client-" + ri(1000));
  else if (r < 0.6) clientId = Buffer.from("t-resp-observe"); // the test build observes its response
  else if (r < 0.7) clientId = Buffer.alloc(0);
  else if (r < 0.75) clientId = randBytes(ri(3000)); // any bytes, even invalid UTF-8
  const cid = clientId === null ? i16(-1) : Buffer.concat([i16(clientId.length), clientId]);
  const bodyLen = rnd() < 0.02 ? 100000 + ri(200000) : ri(300);
  const isCs0 = apiKey === 7 && version === 0; // header v0: no client id
  let head = Buffer.alloc(0);
  if (answered && apiKey === 0) {
    const acks = i16(pick([1, -1]));
    if (version >= 9) head = Buffer.concat([Buffer.from([0, 0]), acks]); // no tagged fields, null transactional id
    else if (version >= 3) head = Buffer.concat([i16(-1), acks]);
    else head = acks;
  }
  return sized(Buffer.concat([i16(apiKey), i16(version), i32(corr), isCs0 ? Buffer.alloc(0) : cid, head, randBytes(bodyLen)]));
}
const randomResponse = (corr) => sized(Buffer.concat([i32(corr), randBytes(rnd() < 0.02 ? 100000 + ri(300000) : ri(400))]));

/** Cuts `buf` into pieces: mostly random sizes, sometimes single bytes, sometimes whole. */
function pieces(buf) {
  const out = [];
  const mode = buf.length > 20000 && rnd() < 0.9 ? 2 + ri(2) : ri(4);
  for (let pos = 0; pos < buf.length;) {
    let n = mode === 0 ? 1 : mode === 1 ? buf.length : 1 + ri(mode === 2 ? 64 : 20000);
    if (rnd() < 0.1) n = 1;
    out.push(buf.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

const OBSERVE_ID = Buffer.from("t-resp-observe");

function newHost(config) {
  const h = new Host(WASM, { config });
  const ok = h.start();
  if (!ok) throw new Error("configure failed: " + JSON.stringify(h.logs));
  return h;
}

// ---- 1. valid streams pass unchanged ----
if (!GARBAGE_ONLY) {
  const h = newHost('{"allowEveryoneIfNoAclFound": true, "filter": {"maxFrameBytes": 1048576}}');
  let frames = 0, responses = 0, observedResponses = 0, trapped = null;
  for (let it = 0; it < ITER && !trapped; it++) {
    const c = h.connect(100 + it);
    const n = 1 + ri(30);
    const reqs = [], resps = [];
    for (let i = 0; i < n; i++) { const corr = ri(2 ** 31); reqs.push(randomRequest(corr, true)); resps.push(randomResponse(corr)); }
    const observing = reqs.filter((r) => r.includes(OBSERVE_ID)).length;
    const reqBytes = Buffer.concat(reqs), respBytes = Buffer.concat(resps);
    const down = pieces(reqBytes), up = pieces(respBytes);
    try {
      // interleave: responses never overtake their requests (the broker answers what it got)
      let d = 0, u = 0, deliveredReq = 0;
      let reqFramesDone = 0, respBytesAllowed = 0;
      const reqEnds = []; { let s = 0; for (const r of reqs) { s += r.length; reqEnds.push(s); } }
      const respEnds = []; { let s = 0; for (const r of resps) { s += r.length; respEnds.push(s); } }
      let upSent = 0;
      while (d < down.length || u < up.length) {
        const canUp = u < up.length && upSent + up[u].length <= respBytesAllowed;
        if (d < down.length && (!canUp || rnd() < 0.6)) {
          c.feed(DOWNSTREAM, down[d]); deliveredReq += down[d].length; d++;
          while (reqFramesDone < reqs.length && reqEnds[reqFramesDone] <= c.sentBytes[DOWNSTREAM]) reqFramesDone++;
          respBytesAllowed = reqFramesDone ? respEnds[reqFramesDone - 1] : 0;
        } else if (canUp) {
          c.feed(UPSTREAM, up[u]); upSent += up[u].length; u++;
        } else break;
      }
      check("pipelined requests pass unchanged", c.output(DOWNSTREAM).equals(reqBytes), `iteration ${it}: ${c.output(DOWNSTREAM).length} of ${reqBytes.length} bytes`);
      check("pipelined responses pass unchanged", c.output(UPSTREAM).equals(respBytes), `iteration ${it}: ${c.output(UPSTREAM).length} of ${respBytes.length} bytes`);
      check("a valid stream is not closed", !c.closed, JSON.stringify(h.logs.filter((l) => l.ctx === c.id)));
      frames += n; responses += n; observedResponses += observing;
      c.close();
    } catch (e) { trapped = e; }
  }
  check("valid streams never trap", !trapped, String(trapped && trapped.stack));
  check("kafka.requests_total counts every request", h.metric("kafka.requests_total") === BigInt(frames), `${h.metric("kafka.requests_total")} vs ${frames}`);
  check("kafka.responses_total counts every response", h.metric("kafka.responses_total") === BigInt(responses));
  check("every observed response is shown whole, once", observedResponses > 0 && h.metric("test.responses_observed") === BigInt(observedResponses),
    `${h.metric("test.responses_observed")} vs ${observedResponses}`);
  check("no response goes unmatched", h.metric("kafka.unmatched_responses") === 0n);
  check("no decode errors on valid streams", h.metric("kafka.decode_errors") === 0n);
  // The mock's clock stands still: every connection closes in one second of the VM's budget
  // of close lines (assembly/filter/connection-lines.ts).
  const closeLines = h.logs.filter((l) => / closed: /.test(l.msg)).length;
  check("one close line per connection, past the budget counted", closeLines === Math.min(ITER, CONNECTION_LINES_PER_SECOND) &&
    BigInt(closeLines) + h.metric("kafka.connection_lines_not_logged") === BigInt(ITER), `${closeLines} lines, ${h.metric("kafka.connection_lines_not_logged")} not logged`);
  console.log(`valid streams: ${frames} requests, ${responses} responses, memory ${(h.x.memory.buffer.byteLength / 1048576).toFixed(1)} MiB`);
}

// ---- 2. garbage never traps ----
{
  const h = newHost('{"allowEveryoneIfNoAclFound": true, "filter": {"maxFrameBytes": 65536, "maxInFlight": 8}}');
  let trapped = null, closedCount = 0, leaks = 0;
  for (let it = 0; it < ITER * 3 && !trapped; it++) {
    const c = h.connect(10000 + it);
    try {
      const steps = 1 + ri(12);
      for (let s = 0; s < steps; s++) {
        const type = rnd() < 0.6 ? DOWNSTREAM : UPSTREAM;
        let data;
        const r = rnd();
        if (r < 0.3) data = randBytes(ri(200));
        else if (r < 0.5) data = Buffer.concat([i32(pick([-1, -2147483648, 0, 1, 3, 7, 8, 9, 10, 11, 65536, 65537, 2147483647, ri(70000)])), randBytes(ri(40))]);
        else if (r < 0.7) data = Buffer.concat([i32(8 + ri(40)), i16(ri(95)), i16(ri(10)), i32(ri(100)), i16(pick([-3, -1, 0, 5, 100, 32767, -32768])), randBytes(ri(50))]);
        else data = type === DOWNSTREAM ? randomRequest(ri(10)) : randomResponse(ri(10));
        const wasClosed = c.closed;
        for (const p of pieces(data)) {
          const before = c.sentBytes[type];
          const st = c.feed(type, p, rnd() < 0.02);
          if (wasClosed && (c.sentBytes[type] !== before || st !== 1)) leaks++;
        }
      }
      if (c.closed) closedCount++;
      c.close();
    } catch (e) { trapped = e; }
  }
  check("garbage never traps the VM", !trapped, String(trapped && trapped.stack));
  check("a closed connection sends nothing more", leaks === 0, `${leaks} callbacks sent bytes after close`);
  check("garbage closes connections", closedCount > 0);
  const byFilter = h.logs.filter((l) => / closed by filter: \S/.test(l.msg)).length;
  const byClient = h.logs.filter((l) => / closed: \S/.test(l.msg)).length;
  check("closes are logged with a reason, past the budgets counted", byFilter === Math.min(closedCount, CONNECTION_LINES_PER_SECOND) &&
    byClient === Math.min(ITER * 3 - closedCount, CONNECTION_LINES_PER_SECOND) &&
    BigInt(byFilter + byClient) + h.metric("kafka.connection_lines_not_logged") === BigInt(ITER * 3),
    `${byFilter} by the filter of ${closedCount}, ${byClient} others, ${h.metric("kafka.connection_lines_not_logged")} not logged`);
  const mem = h.x.memory.buffer.byteLength;
  check("memory stays bounded", mem < 64 * 1048576, `${mem} bytes`);
  console.log(`garbage: ${ITER * 3} connections, ${closedCount} closed by the filter, decode errors ${h.metric("kafka.decode_errors")}, memory ${(mem / 1048576).toFixed(1)} MiB`);
}

// ---- 3. configuration ----
for (const [cfg, ok] of [["{}", 1], ['{"filter": {"maxFrameBytes": 100}, "acls": []}', 1],
  ["", 0], ["  ", 0], ['{"filter": {"maxFrameBytes": 0}}', 0], ['{"filter": {"maxFrameBytes": 1.5}}', 0],
  ['{"filter": {"maxInFlight": -1}}', 0], ["[1]", 0], ['{"a": 1', 0], ['{"filter": {"maxFrameBytes": 3000000000}}', 0],
  ['{"acls": [{"principal": "alice"}]}', 0], ['{"unknown": 1}', 0]]) {
  const h = new Host(WASM, { config: cfg });
  let r = -1;
  try { r = h.start(); } catch (e) { r = "trap " + e; }
  check(`configuration ${JSON.stringify(cfg)} ${ok ? "accepted" : "rejected"}`, r === ok, String(r));
}

// ---- 4. a refused reconfiguration keeps the configuration in force (test build: its
// handler passes the probe frame, which the product module would decode and refuse) ----
if (!GARBAGE_ONLY) {
  const h = newHost('{"allowEveryoneIfNoAclFound": true, "filter": {"maxFrameBytes": 1000}}');
  const reconfigure = (cfg) => {
    h.config = Buffer.from(cfg);
    h.current = 1;
    return h.x.proxy_on_configure(1, h.config.length);
  };
  // A 2000-byte frame is over the limit in force; it decides whether the old limit still holds.
  const overLimitCloses = (id) => {
    const c = h.connect(id);
    const header = Buffer.concat([i16(18), i16(3), i32(id), i16(-1)]); // ApiVersions v3, null client id
    c.feed(DOWNSTREAM, sized(Buffer.concat([header, randBytes(2000 - header.length)])), false);
    const closed = c.closed;
    c.close();
    return closed;
  };
  check("a 2000-byte frame closes under maxFrameBytes 1000", overLimitCloses(50001));
  check("a bad reconfiguration is refused", reconfigure('{"filter": {"maxFrameBytes": 0}}') === 0);
  check("the refused reconfiguration is logged with its reason",
    h.logs.some((l) => /configuration refused: filter.maxFrameBytes: 0 is out of range .* \(keeping the previous one\)/.test(l.msg)));
  check("the previous configuration stays in force", overLimitCloses(50002));
  check("a good reconfiguration is taken", reconfigure('{"allowEveryoneIfNoAclFound": true, "filter": {"maxFrameBytes": 100000}}') === 1);
  check("and applies to new connections", !overLimitCloses(50003));
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
