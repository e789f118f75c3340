// Drives the filter through a real Envoy against a fake broker on loopback:
//   client --> Envoy 127.0.0.1:$LISTEN (wasm filter -> tcp_proxy) --> fake broker 127.0.0.1:$BROKER
// and checks that bytes pass unchanged (byte by byte, pipelined, multi-MiB frames in both
// directions), that each verdict of the test handler (entry.ts) does what it says, that
// malformed frames close the connection with a log line, and that the kafka.* stats count.
//
//   node assembly/filter/testing/smoke.mjs [filter-test.wasm]
// env: ENVOY (binary), LISTEN, ADMIN, BROKER (ports, 39092/39901/39192 by default: clear of the
// e2e stack and its second Envoy), KEEP=1 keeps the work dir.
// Prints "N passed, M failed"; exits non-zero on any failure.

import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";

const WASM = path.resolve(process.argv[2] || "build/filter-test.wasm");
const ENVOY = process.env.ENVOY || [".venv/bin/envoy", "/tmp/venvtest/bin/envoy"].find((p) => fs.existsSync(p));
const LISTEN = +(process.env.LISTEN || 39092);
const ADMIN = +(process.env.ADMIN || 39901);
const BROKER = +(process.env.BROKER || 39192);
const MAX_FRAME = 4 * 1024 * 1024;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let passed = 0, failed = 0;
function check(name, ok, detail = "") {
  if (ok) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}

// ---------- Kafka framing helpers ----------
const i16 = (v) => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
const i32 = (v) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
const str16 = (s) => s === null ? i16(-1) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
const compactStr = (s) => Buffer.concat([Buffer.from([Buffer.byteLength(s) + 1]), Buffer.from(s)]);
const sized = (payload) => Buffer.concat([i32(payload.length), payload]);

function request(apiKey, version, corr, clientId, body = Buffer.alloc(0), flexible = false) {
  return sized(Buffer.concat([i16(apiKey), i16(version), i32(corr), str16(clientId), flexible ? Buffer.from([0]) : Buffer.alloc(0), body]));
}
// ApiVersions v3 (flexible, request header v2).
const apiVersionsV3 = (corr, clientId) => request(18, 3, corr, clientId, Buffer.concat([compactStr("kf-smoke"), compactStr("1.0"), Buffer.from([0])]), true);

/** Splits a byte stream into frames; returns [frames, rest]. */
function splitFrames(buf) {
  const frames = [];
  let pos = 0;
  while (buf.length - pos >= 4) {
    const n = buf.readInt32BE(pos);
    if (n < 0 || buf.length - pos - 4 < n) break;
    frames.push(buf.subarray(pos, pos + 4 + n));
    pos += 4 + n;
  }
  return [frames, buf.subarray(pos)];
}

function parseRequest(frame) {
  const p = frame.subarray(4);
  const apiKey = p.readInt16BE(0), version = p.readInt16BE(2), corr = p.readInt32BE(4);
  const n = p.readInt16BE(8);
  const clientId = n < 0 ? null : p.subarray(10, 10 + n).toString();
  return { apiKey, version, corr, clientId };
}

// ---------- fake broker ----------
// Answers every request with corr + "resp:<key>:<version>:<clientId>", except:
//   clientId "big-resp"  -> a 3 MiB response;   clientId "slow-resp" -> written byte by byte.
const broker = { conns: [] };
const BIG_RESP = Buffer.alloc(3 * 1024 * 1024, 0x5a);
const brokerServer = net.createServer((sock) => {
  const c = { received: Buffer.alloc(0), sent: Buffer.alloc(0), ended: false, pending: Buffer.alloc(0) };
  broker.conns.push(c);
  sock.setNoDelay(true);
  sock.on("data", async (d) => {
    c.received = Buffer.concat([c.received, d]);
    c.pending = Buffer.concat([c.pending, d]);
    const [frames, rest] = splitFrames(c.pending);
    c.pending = rest;
    for (const f of frames) {
      const r = parseRequest(f);
      const body = r.clientId === "big-resp" ? BIG_RESP : Buffer.from(`resp:${r.apiKey}:${r.version}:${r.clientId}`);
      const resp = sized(Buffer.concat([i32(r.corr), body]));
      c.sent = Buffer.concat([c.sent, resp]);
      if (r.clientId === "slow-resp") {
        for (const b of resp) { sock.write(Buffer.from([b])); await sleep(1); }
      } else sock.write(resp);
    }
  });
  sock.on("end", () => { c.ended = true; sock.end(); });
  sock.on("error", () => {});
});

// ---------- client ----------
class Client {
  constructor() {
    this.data = Buffer.alloc(0);
    this.closed = false;
    this.sock = net.connect(LISTEN, "127.0.0.1");
    this.sock.setNoDelay(true);
    this.sock.on("data", (d) => { this.data = Buffer.concat([this.data, d]); });
    this.sock.on("close", () => { this.closed = true; });
    this.sock.on("error", () => { this.closed = true; });
  }
  ready() { return new Promise((r, j) => { this.sock.once("connect", r); this.sock.once("error", j); }); }
  send(b) { this.sock.write(b); }
  async sendBytewise(b, gap = 2) { for (const x of b) { this.sock.write(Buffer.from([x])); await sleep(gap); } }
  frames() { return splitFrames(this.data)[0]; }
  async waitFrames(n, ms = 5000) {
    const t = Date.now() + ms;
    while (this.frames().length < n && !this.closed && Date.now() < t) await sleep(5);
    return this.frames();
  }
  async waitClosed(ms = 3000) {
    const t = Date.now() + ms;
    while (!this.closed && Date.now() < t) await sleep(5);
    return this.closed;
  }
  close() { this.sock.destroy(); }
}

async function brokerConnAfter(count, ms = 3000) {
  const t = Date.now() + ms;
  while (broker.conns.length <= count && Date.now() < t) await sleep(5);
  return broker.conns[count];
}
async function waitBrokerBytes(c, n, ms = 5000) {
  const t = Date.now() + ms;
  while (c && c.received.length < n && Date.now() < t) await sleep(5);
}

// ---------- Envoy ----------
function envoyConfig(dir) {
  const y = `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ADMIN} } }
static_resources:
  listeners:
  - name: kafka
    address: { socket_address: { address: 127.0.0.1, port_value: ${LISTEN} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.wasm
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm
          config:
            name: kafka-smoke
            root_id: kafka
            vm_config:
              vm_id: kafka-smoke
              runtime: envoy.wasm.runtime.v8
              code: { local: { filename: "${WASM}" } }
            configuration:
              "@type": type.googleapis.com/google.protobuf.StringValue
              value: '{"allowEveryoneIfNoAclFound": true, "filter": {"maxFrameBytes": ${MAX_FRAME}}}'
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: kafka
          cluster: broker
  clusters:
  - name: broker
    type: STATIC
    connect_timeout: 2s
    load_assignment:
      cluster_name: broker
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${BROKER} } } }
`;
  const f = path.join(dir, "envoy.yaml");
  fs.writeFileSync(f, y);
  return f;
}

async function adminGet(p) {
  return new Promise((resolve, reject) => {
    const s = net.connect(ADMIN, "127.0.0.1", () => s.write(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let d = "";
    s.on("data", (x) => (d += x));
    s.on("end", () => resolve(d.split("\r\n\r\n").slice(1).join("\r\n\r\n")));
    s.on("error", reject);
  });
}

async function main() {
  if (!ENVOY) throw new Error("no envoy binary (set ENVOY)");
  if (!fs.existsSync(WASM)) throw new Error("no " + WASM);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kf-smoke-"));
  await new Promise((r) => brokerServer.listen(BROKER, "127.0.0.1", r));
  const logFile = path.join(dir, "envoy.log");
  const envoy = spawn(ENVOY, ["-c", envoyConfig(dir), "--concurrency", "1", "-l", "info", "--log-path", logFile, "--base-id", String(process.pid % 60000)], { stdio: "ignore" });
  let envoyExited = false;
  envoy.on("exit", () => { envoyExited = true; });
  try {
    for (let i = 0; i < 200 && !envoyExited; i++) {
      const ok = await new Promise((r) => { const s = net.connect(LISTEN, "127.0.0.1", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
      if (ok) break;
      await sleep(50);
    }
    if (envoyExited) throw new Error("envoy exited; log:\n" + fs.readFileSync(logFile, "utf8").slice(-3000));
    await sleep(300);
    while (broker.conns.length) broker.conns.pop(); // the readiness probes

    let n = 0;
    // 1. one ApiVersions v3 request, one byte per write
    {
      const c = new Client(); await c.ready();
      const req = apiVersionsV3(1, "smoke");
      await c.sendBytewise(req);
      const frames = await c.waitFrames(1);
      const b = broker.conns[n++];
      check("bytewise request reaches the broker unchanged", b && b.received.equals(req), b && b.received.toString("hex"));
      check("its response reaches the client unchanged", frames.length === 1 && b && Buffer.concat(frames).equals(b.sent));
      c.close();
    }
    // 2. 40 pipelined requests in one write, then one byte per write for 5 more
    {
      const c = new Client(); await c.ready();
      const reqs = [];
      for (let i = 0; i < 40; i++) reqs.push(i % 2 ? request(3, 12, 100 + i, "smoke", Buffer.from([0, 0, 0, 0, 1, 0]), true) : apiVersionsV3(100 + i, i % 4 ? null : "smoke"));
      const all = Buffer.concat(reqs);
      c.send(all);
      const more = [];
      for (let i = 0; i < 5; i++) more.push(request(18, 0, 200 + i, "smoke"));
      await c.sendBytewise(Buffer.concat(more), 1);
      const frames = await c.waitFrames(45);
      const b = broker.conns[n++];
      check("45 pipelined requests reach the broker unchanged", b && b.received.equals(Buffer.concat([all, ...more])));
      check("45 responses reach the client unchanged, in order", frames.length === 45 && Buffer.concat(frames).equals(b.sent) &&
        frames.every((f, i) => f.readInt32BE(4) === (i < 40 ? 100 + i : 160 + i)));
      c.close();
    }
    // 3. multi-MiB frames both ways (bigger than Envoy's default 1 MiB connection buffer)
    {
      const c = new Client(); await c.ready();
      // Produce v9: null transactional_id, acks=-1 (the shell reads acks), then 3 MiB of payload
      const big = request(0, 9, 7, "smoke", Buffer.concat([Buffer.from([0, 0xff, 0xff]), Buffer.alloc(3 * 1024 * 1024 + 17, 0xa5)]), true);
      const bigResp = request(18, 0, 8, "big-resp");
      c.send(big); c.send(bigResp);
      const frames = await c.waitFrames(2, 15000);
      const b = broker.conns[n++];
      await waitBrokerBytes(b, big.length + bigResp.length);
      check("3 MiB request reaches the broker unchanged", b && b.received.equals(Buffer.concat([big, bigResp])), b && String(b.received.length));
      check("3 MiB response reaches the client unchanged", frames.length === 2 && Buffer.concat(frames).equals(b.sent));
      c.close();
    }
    // 4. responses written byte by byte by the broker
    {
      const c = new Client(); await c.ready();
      c.send(Buffer.concat([request(18, 0, 1, "slow-resp"), request(18, 0, 2, "slow-resp")]));
      const frames = await c.waitFrames(2, 8000);
      const b = broker.conns[n++];
      check("bytewise responses reach the client unchanged", frames.length === 2 && Buffer.concat(frames).equals(b.sent));
      c.close();
    }
    // 5. verdicts: collect, replace, respond, response collect/replace, pipelined on one connection
    {
      const c = new Client(); await c.ready();
      const reqs = [
        apiVersionsV3(11, "t-collect"),
        request(3, 4, 12, "t-replace", Buffer.from([0, 0, 0, 0, 1])),
        request(0, 9, 13, "t-respond", Buffer.alloc(100, 1), true),
        request(18, 0, 14, "t-resp-collect"),
        request(18, 0, 15, "t-resp-replace"),
        apiVersionsV3(16, "smoke"),
      ];
      await c.sendBytewise(Buffer.concat(reqs.slice(0, 2)), 1);
      c.send(Buffer.concat(reqs.slice(2)));
      const frames = await c.waitFrames(6);
      const b = broker.conns[n++];
      const [got] = b ? splitFrames(b.received) : [[]];
      const seen = got.map(parseRequest);
      check("collected request passes unchanged", got[0] && got[0].equals(reqs[0]));
      check("replaced request reaches the broker replaced", seen[1] && seen[1].clientId === "replaced" && seen[1].corr === 12 &&
        got[1].subarray(4 + 10 + 8).equals(reqs[1].subarray(4 + 10 + 9)));
      check("answered request goes upstream as an ApiVersions v0 probe", seen[2] && seen[2].apiKey === 18 && seen[2].version === 0 && seen[2].corr === 13 && seen[2].clientId === "t-respond");
      check("requests after a verdict pass unchanged", got.length === 6 && got[5].equals(reqs[5]) && got[3].equals(reqs[3]));
      const bodies = frames.map((f) => [f.readInt32BE(4), f.subarray(8).toString()]);
      check("client gets all 6 responses in order", frames.length === 6 && bodies.map((x) => x[0]).join() === "11,12,13,14,15,16", JSON.stringify(bodies));
      check("synthesized response replaces the probe's answer", bodies[2] && bodies[2][1] === "synthetic");
      check("replaced request's response comes back", bodies[1] && bodies[1][1] === "resp:3:4:replaced");
      check("collected response passes unchanged", frames[3] && splitFrames(b.sent)[0][3].equals(frames[3]));
      check("replaced response reaches the client replaced", bodies[4] && bodies[4][1] === "rewritten");
      c.close();
    }
    // 5b. the handler's own requests (Verdict.aside): sent before the client's, answers unseen
    {
      const c = new Client(); await c.ready();
      const reqs = [request(3, 4, 31, "t-aside"), request(0, 9, 32, "t-aside-respond", Buffer.alloc(100, 1), true), apiVersionsV3(33, "smoke")];
      c.send(Buffer.concat(reqs));
      const frames = await c.waitFrames(3);
      await sleep(100);
      const b = broker.conns[n++];
      const seen = b ? splitFrames(b.received)[0].map(parseRequest) : [];
      check("the handler's own request goes upstream before the client's", seen.map((r) => `${r.corr}:${r.clientId}`).join() === "1031:aside,31:t-aside,1032:aside,33:smoke",
        JSON.stringify(seen));
      const bodies = frames.map((f) => [f.readInt32BE(4), f.subarray(8).toString()]);
      check("the client gets only its own answers, in order", c.frames().length === 3 && bodies.map((x) => x[0]).join() === "31,32,33", JSON.stringify(bodies));
      check("an answered request's answer follows the handler's own request", bodies[1] && bodies[1][1] === "synthetic");
      c.close();
    }
    // 6. a frame cut short by the client's end of stream is dropped: never judged, it reaches no broker
    {
      const c = new Client(); await c.ready();
      const req = apiVersionsV3(21, "smoke");
      const part = req.subarray(0, 9);
      c.send(part);
      await sleep(100);
      c.sock.end();
      await sleep(300);
      const b = broker.conns[n++];
      check("held bytes are dropped at end of stream", !b || b.received.length === 0, b && b.received.toString("hex"));
      c.close();
    }
    // 7. closes: handler verdict, negative size, oversize, malformed header
    const closes = [
      ["handler Close verdict closes", request(18, 0, 31, "t-close")],
      ["negative frame size closes", Buffer.from([0xff, 0xff, 0xff, 0xfe, 0, 0, 0])],
      ["frame above max_frame_bytes closes", i32(MAX_FRAME + 1)],
      ["frame too short for a request header closes", Buffer.concat([i32(5), Buffer.from([0, 18, 0, 0, 0])])],
      ["client id longer than the frame closes", Buffer.concat([i32(12), i16(18), i16(0), i32(1), i16(50), i16(0)])],
    ];
    for (const [name, bytes] of closes) {
      const c = new Client(); await c.ready();
      const ok = request(18, 0, 30, "smoke");
      c.send(ok);
      await c.waitFrames(1);
      await sleep(20);
      await c.sendBytewise(bytes, 1);
      check(name, await c.waitClosed(), "still open");
      c.close();
    }
    await sleep(300);
    const stats = await adminGet("/stats?filter=kafka%5C.");
    if (process.env.DEBUG) console.log(JSON.stringify(stats.slice(0, 400)));
    // Envoy lists custom Wasm stats under its "wasmcustom." namespace in /stats.
    const stat = (k) => { const m = stats.match(new RegExp("^(?:wasmcustom\\.)?" + k.replace(/\./g, "\\.") + ": (\\d+)$", "m")); return m ? +m[1] : -1; };
    const prom = await adminGet("/stats/prometheus");
    if (process.env.DEBUG) console.log(prom.split("\n").filter((l) => /^[^#]*kafka_(requests|responses)/.test(l)).slice(0, 4).join("\n"));
    console.log(stats.split("\n").filter((l) => /^(wasmcustom\.)?kafka\./.test(l)).join("\n"));
    check("stat kafka.requests.api_versions counts", stat("kafka.requests.api_versions") >= 30);
    check("stat kafka.requests_total counts", stat("kafka.requests_total") >= 60);
    check("stat kafka.responses_total counts", stat("kafka.responses_total") >= 55);
    check("stat kafka.request_bytes counts", stat("kafka.request_bytes") > 3 * 1024 * 1024);
    check("stat kafka.response_bytes counts", stat("kafka.response_bytes") > 3 * 1024 * 1024);
    check("stat kafka.decode_errors counts", stat("kafka.decode_errors") === 4);
    check("stat kafka.connections_closed_by_filter counts", stat("kafka.connections_closed_by_filter") === 5);
    check("stat kafka.frames_replaced counts", stat("kafka.frames_replaced") === 2);
    check("stat kafka.responses_synthesized counts", stat("kafka.responses_synthesized") === 2);
    envoy.kill("SIGTERM"); // flushes the log
    for (let i = 0; i < 100 && !envoyExited; i++) await sleep(20);
    const log = fs.readFileSync(logFile, "utf8");
    // (the readiness probes' connections closed with nothing sent)
    const closeLines = log.split("\n").filter((l) => /kafka connection \d+ closed/.test(l) && !/bytes from client 0, from broker 0\)/.test(l));
    console.log(closeLines.slice(-7).map((l) => l.replace(/^.*wasm log/, "  wasm log")).join("\n"));
    check("one close line per connection, with why", closeLines.length === 12 && closeLines.every((l) => /closed( by filter)?: \S/.test(l)), String(closeLines.length));
    check("VM never failed", !/wasm.*(fail|trap|abort|unreachable)/i.test(log));
  } finally {
    envoy.kill("SIGTERM");
    brokerServer.close();
    if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true });
    else console.log("kept " + dir);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); });
