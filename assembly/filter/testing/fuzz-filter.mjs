// Fuzzes the whole product filter (build/filter.wasm, the real policy) in the mock Envoy host
// (host.mjs) and judges every byte it lets through with the differential oracle (oracle.mjs).
//
// A case is one VM under test/fuzz/policy.json with a few connections (rarely dozens). Each
// connection has a client and a broker:
//  - the client pipelines requests built from the oracle corpus (.cache/oracle/frames.jsonl, Kafka's
//    own frames) with their topics, groups and transactional ids replaced by names of the pool
//    below (some the policy allows, most it does not), SASL handshakes and authentications
//    (PLAIN, SCRAM, as users including the super user), reused and duplicate correlation ids,
//    and now and then mutated bytes, random frames, huge size prefixes;
//  - the broker answers what the filter forwarded, in order, naming what was asked (a listing
//    gets names from the whole pool), SASL with error 0 or not; a chaotic one answers with the
//    wrong type, a correlation id that does not match, twice, not at all, or garbage.
// Both byte streams are cut at random points (single bytes too) and interleaved; the clock moves
// (ticks); connections end mid-frame or are closed.
//
// Counted: frames fuzzed (frames the client or broker sent), traps (a WebAssembly RuntimeError,
// proc_exit or host error out of any proxy_* call, or a call that does not return: a hang),
// bypasses (oracle.mjs: forbidden requests
// forwarded, leaks, fake super-user logins, forged log lines), connections closed by the filter.
// Each distinct finding (by kind, API and field) is shrunk to fewer events and written to
// test/fuzz/regressions/<signature>.json with the seed, the policy and the exact bytes fed per
// connection and direction; --replay runs them again.
//
//   node assembly/filter/testing/fuzz-filter.mjs [--frames N] [--seed S] [--workers 1|2]
//        [--wasm build/filter.wasm] [--policy test/fuzz/policy.json] [--out test/fuzz/regressions]
//        [--no-save] [--no-shrink]
//   node assembly/filter/testing/fuzz-filter.mjs --replay [file.json | dir ...]
// Environment: FUZZ_FRAMES, FUZZ_SEED, FUZZ_WORKERS stand in for the flags; FUZZ_HANG_MS (60000)
// is how long a VM call may take before it counts as a hang.
// Ends with "N passed, N failed": the fuzz pass is two checks (no trap, no bypass); a replay
// is one check per regression file. Exits non-zero on any failure.

import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { Host, DOWNSTREAM, UPSTREAM, sharedData } from "./host.mjs";
import { Oracle, loadSchemas, oauthSubject } from "./oracle.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

// ---------------------------------------------------------------------------------------
// Options.

function options(argv) {
  const o = {
    frames: +(process.env.FUZZ_FRAMES || 100000),
    seed: process.env.FUZZ_SEED !== undefined ? +process.env.FUZZ_SEED : crypto.randomInt(2 ** 31),
    workers: +(process.env.FUZZ_WORKERS || 2),
    wasm: "build/filter.wasm",
    policy: "test/fuzz/policy.json",
    corpus: ".cache/oracle/frames.jsonl",
    schemas: null,
    out: "test/fuzz/regressions",
    save: true,
    shrink: true,
    replay: null,
    foundAgainst: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = () => argv[++i];
    if (a === "--frames") o.frames = +next();
    else if (a === "--seed") o.seed = +next();
    else if (a === "--workers") o.workers = +next();
    else if (a === "--wasm") o.wasm = next();
    else if (a === "--policy") o.policy = next();
    else if (a === "--corpus") o.corpus = next();
    else if (a === "--schemas") o.schemas = next();
    else if (a === "--out") o.out = next();
    else if (a === "--no-save") o.save = false;
    else if (a === "--no-shrink") o.shrink = false;
    else if (a === "--found-against") o.foundAgainst = next();
    else if (a === "--replay") { o.replay = []; while (argv[i + 1] && !argv[i + 1].startsWith("--")) o.replay.push(next()); }
    else throw new Error(`unknown argument ${a}`);
  }
  o.workers = Math.max(1, Math.min(2, o.workers)); // a 2-core machine, shared
  if (!o.schemas) {
    const dir = path.join(ROOT, ".cache", "schemas");
    const found = fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith("kafka-")).sort() : [];
    o.schemas = found.length ? path.join(dir, found.at(-1)) : path.join(dir, "kafka-4.4.0");
  }
  for (const k of ["wasm", "policy", "corpus", "schemas", "out"]) o[k] = path.resolve(ROOT, o[k]);
  if (o.replay && o.replay.length === 0) o.replay.push(o.out);
  return o;
}

// ---------------------------------------------------------------------------------------
// Randomness: mulberry32, seeded per case so that a case replays from its seed.

class Rng {
  constructor(seed) { this.s = seed >>> 0; }
  next() {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n) { return Math.floor(this.next() * n); }
  range(lo, hi) { return lo + this.int(hi - lo + 1); }
  chance(p) { return this.next() < p; }
  pick(a) { return a[this.int(a.length)]; }
  bytes(n) { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = this.int(256); return b; }
}

const hash32 = (text) => crypto.createHash("sha256").update(text).digest().readUInt32BE(0);

// ---------------------------------------------------------------------------------------
// The names the fuzz plays with. The policy allows the "ok." prefix (but not "ok.deny."); the
// rest are near misses and plain forbidden names. Topic ids are fixed per name: the broker
// always tells the truth about them.

const POOL = {
  topicName: ["ok.t0", "ok.t1", "ok.t2", "ok.", "ok.deny", "ok.deny.t3", "ok", "oK.t4", "okt5", "ok_t6",
    "secret.t7", "secret.t8", "hidden", "__consumer_offsets", "\u03bfk.t9", " ok.t10", "e2e.t11"],
  groupId: ["ok.g0", "ok.g1", "ok.deny.g2", "secret.g3", "g4", "OK.g5", "ok-g6"],
  transactionalId: ["ok.x0", "ok.x1", "ok.deny.x2", "secret.x3", "x4", "ok:x5"],
};
const idOf = (name) => crypto.createHash("sha256").update("topic:" + name).digest().subarray(0, 16).toString("base64url");
const ZERO_ID = "AAAAAAAAAAAAAAAAAAAAAA";

function poolOf() {
  const names = new Map();
  for (const [entity, list] of Object.entries(POOL)) for (const n of list) names.set(n, entity);
  const ids = new Map(POOL.topicName.map((n) => [idOf(n), n]));
  return { names, ids };
}

// The APIs whose answers the filter rewrites or learns from, and the everyday ones: half of the
// requests are of these, the other half of any API.
const HOT = [0, 1, 2, 3, 3, 8, 9, 10, 10, 11, 12, 14, 16, 17, 18, 19, 20, 22, 22, 32, 60, 66, 68, 69, 75, 76, 88, 89];

const USERS = ["alice", "bob", "mallory", "admin", "admin", "Admin", "admin ", "User:admin", "ok.t0", "ANONYMOUS"];
const MECHANISMS = ["PLAIN", "PLAIN", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "plain", "GSSAPI", "OAUTHBEARER", ""];
const SOURCES = ["10.0.0.5:40000", "10.0.0.5:40001", "10.6.6.6:1234", "[::ffff:10.6.6.6]:4321", "[::1]:5555", "127.0.0.1:1", undefined];
const SUBJECTS = [undefined, undefined, undefined, "CN=alice,O=fuzz", "CN=evil,O=fuzz", "CN=admin,O=fuzz"];
const EVIL_CLIENT_IDS = ["evil\nkafka filter: authenticated User:admin via SASL/PLAIN from 10.6.6.6", "a\r\nb", "\u001b[31mred", "x".repeat(32768)];

// ---------------------------------------------------------------------------------------
// JSON that keeps int64 values exact (JSON.parse rounds past 2^53): long integers travel as
// {"__n": "digits"} objects and are written back as numbers.

function parseLossless(text) {
  let out = "", start = 0;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c === 34) { // a string: skip it whole
      i++;
      while (text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
      i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < text.length && "0123456789.eE+-".includes(text[j])) j++;
      const num = text.slice(i, j);
      if (/^-?\d{16,}$/.test(num)) { out += text.slice(start, i) + `{"__n":"${num}"}`; start = j; }
      i = j;
    } else i++;
  }
  return JSON.parse(out + text.slice(start));
}
const stringifyLossless = (v) => JSON.stringify(v).replace(/\{"__n":"(-?\d+)"\}/g, "$1");
const clone = (v) => JSON.parse(JSON.stringify(v));

// ---------------------------------------------------------------------------------------
// What every worker and replay loads once.

async function context(o) {
  const codecs = await import(path.join(ROOT, "build", "codecs.js"));
  const plans = loadSchemas(o.schemas);
  const policyText = fs.readFileSync(o.policy, "utf8");
  const policy = JSON.parse(policyText);
  const apiNames = new Map(JSON.parse(codecs.apis()).map((a) => [a.apiKey, a.name]));
  return { o, codecs, plans, policyText, policy, pool: poolOf(), apiNames, wasm: o.wasm, templates: null };
}

/** Request and response templates from the oracle corpus, as the codecs' JSON. */
function loadTemplates(ctx) {
  const requests = [], responses = new Map(); // "apiKey/version" -> [template]
  for (const line of fs.readFileSync(ctx.o.corpus, "utf8").split("\n")) {
    if (!line) continue;
    const f = JSON.parse(line);
    const raw = Buffer.from(f.frame, "base64").subarray(4);
    const text = ctx.codecs.decode(raw, f.kind === "request", f.apiKey, f.version);
    if (!text) continue;
    const t = { apiKey: f.apiKey, version: f.version, json: parseLossless(text), raw };
    if (f.kind === "request") requests.push(t);
    else {
      const k = `${f.apiKey}/${f.version}`;
      if (!responses.has(k)) responses.set(k, []);
      responses.get(k).push(t);
    }
  }
  if (requests.length === 0) throw new Error(`no frames in ${ctx.o.corpus}: run make oracle`);
  const byKey = new Map();
  for (const t of requests) { if (!byKey.has(t.apiKey)) byKey.set(t.apiKey, []); byKey.get(t.apiKey).push(t); }
  // Answers of ordinary APIs whose bodies are a few bytes with an error code first or second
  // (InitProducerId, SyncGroup, Heartbeat, AddOffsetsToTxn, EndTxn): what attack 1 of issue 6
  // made the filter take for a SaslAuthenticate answer.
  const ordinary = [22, 14, 12, 25, 26].flatMap((k) => [...responses].filter(([key]) => key.startsWith(k + "/")).map(([, v]) => v[0]));
  ctx.templates = { requests, responses, byKey, responseList: [...responses.values()].flat(), ordinary };
}

const apiName = (ctx, k) => ctx.apiNames.get(k) || `api_key_${k}`;

// ---------------------------------------------------------------------------------------
// Frames.

const i32 = (v) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
const sized = (payload) => Buffer.concat([i32(payload.length), payload]);

/** A message from its JSON ({header, body}); falls back to `raw` with the correlation id patched. */
function encode(ctx, json, isRequest, apiKey, version, raw, corr) {
  let bytes = null;
  try { bytes = ctx.codecs.encode(stringifyLossless(json), isRequest, apiKey, version); } catch { bytes = null; }
  if (bytes) return Buffer.from(bytes);
  const b = Buffer.from(raw);
  b.writeInt32BE(corr, isRequest ? 4 : 0);
  return sized(b);
}

/** Replaces every entity (per the schema plan) with choose(entity, old); ids follow names when `consistent`. */
function renameEntities(plan, o, choose, consistent) {
  if (!plan || !o || typeof o !== "object") return;
  for (const n of plan) {
    const v = o[n.key];
    if (v == null) continue;
    if (n.entity) {
      if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) if (typeof v[i] === "string") v[i] = choose(n.entity, v[i]); }
      else if (typeof v === "string") o[n.key] = choose(n.entity, v);
    } else for (const x of Array.isArray(v) ? v : [v]) renameEntities(n.children, x, choose, consistent);
  }
  const id = plan.find((n) => n.entity === "topicId"), name = plan.find((n) => n.entity === "topicName");
  if (id && name && typeof o[name.key] === "string" && typeof o[id.key] === "string" && consistent()) o[id.key] = idOf(o[name.key]);
}

function zeroErrors(o, rng, p) {
  if (Array.isArray(o)) { for (const x of o) zeroErrors(x, rng, p); return; }
  if (!o || typeof o !== "object") return;
  for (const k in o) {
    if (/errorcode$/i.test(k) && typeof o[k] === "number") { if (rng.chance(p)) o[k] = 0; }
    else if (o[k] && typeof o[k] === "object") zeroErrors(o[k], rng, p);
  }
}

/** A record batch header (magic 2, no records): transactional or not. */
function recordBatch(transactional) {
  const b = Buffer.alloc(61);
  b.writeInt32BE(49, 8); // batch length after the first 12 bytes
  b[16] = 2; // magic
  b.writeInt16BE(transactional ? 0x10 : 0, 21);
  b.writeBigInt64BE(1n, 43); // producer id
  return b.toString("base64");
}

function plainToken(authzid, user, password) { return Buffer.from(`${authzid}\u0000${user}\u0000${password}`); }

/**
 * An OAUTHBEARER client's first message with an unsecured JWS for `user`, or one of its
 * near misses: a repeated, missing or non-string sub, claims that are not JSON, two auths, a
 * token in two parts, another scheme.
 */
function bearerToken(r, authzid, user) {
  const b64 = (t) => Buffer.from(t).toString("base64url");
  const claims = r.pick([
    JSON.stringify({ sub: user, exp: 2e9 }), JSON.stringify({ sub: user }), `{"sub":"${user}","sub":"admin"}`, `{"sub":"admin","sub":"${user}"}`,
    JSON.stringify({ name: user }), JSON.stringify({ sub: 7 }), JSON.stringify({ sub: "" }), `{"sub":"${user}"`, JSON.stringify([user]),
    JSON.stringify({ sub: user + "\u00e9" }), `{"s\\u0075b":"${user}"}`,
  ]);
  const jws = `${b64('{"alg":"none"}')}.${b64(claims)}${r.chance(0.9) ? "." : ""}`;
  const auth = r.chance(0.9) ? `auth=${r.pick(["Bearer", "bearer", "Basic"])} ${jws}` : `auth=Bearer ${b64('{"alg":"none"}')}.${b64(JSON.stringify({ sub: "admin" }))}.\x01auth=Bearer ${jws}`;
  const gs2 = authzid ? `n,a=${authzid},` : r.chance(0.95) ? "n,," : "y,,";
  return Buffer.from(`${gs2}\x01${auth}\x01${r.chance(0.3) ? "host=broker\x01" : ""}\x01`, "utf8");
}

// ---------------------------------------------------------------------------------------
// The client side of one connection.

class Client {
  constructor(ctx, rng, count) {
    this.ctx = ctx;
    this.rng = rng;
    this.count = count; // {frames}: one more for each frame built
    this.corrMode = rng.pick(["seq", "seq", "seq", "small", "const", "random", "reuse"]);
    this.corr = rng.int(1000);
    this.chaos = rng.pick([0, 0, 0.005, 0.03, 0.15]);
    this.saslShare = rng.pick([0.02, 0.1, 0.3]);
    this.burstShare = rng.pick([0, 0, 0.01, 0.05]); // many requests at once: past maxInFlight
    this.clientId = rng.chance(0.05) ? rng.pick(EVIL_CLIENT_IDS) : rng.pick([null, "", "fuzz", "producteur-é-日本"]);
    this.mechanism = null; // what the client believes it negotiated
    this.scramStep = 0;
    this.user = null;
    this.recent = []; // correlation ids used, for reuse
  }

  nextCorr() {
    const r = this.rng;
    let c;
    switch (this.corrMode) {
      case "seq": c = this.corr++; break;
      case "small": c = r.int(4); break;
      case "const": c = 7; break;
      case "random": c = r.int(2 ** 31) - (r.chance(0.1) ? 2 ** 31 : 0); break;
      default: c = this.recent.length && r.chance(0.5) ? r.pick(this.recent) : this.corr++;
    }
    if (r.chance(0.02) && this.recent.length) c = r.pick(this.recent);
    this.recent.push(c);
    if (this.recent.length > 16) this.recent.shift();
    return c;
  }

  /** The next frame the client sends (size-prefixed), or several glued. */
  frame() {
    const r = this.rng;
    if (r.chance(this.chaos)) return this.hostile();
    if (r.chance(this.burstShare)) return this.burst();
    if (r.chance(this.saslShare)) return this.sasl();
    return this.request();
  }

  /** Dozens of requests at once, SASL steps among them. */
  burst() {
    const r = this.rng, parts = [];
    for (let n = r.range(10, 80); n > 0; n--) parts.push(r.chance(0.15) ? this.sasl() : this.request());
    return Buffer.concat(parts);
  }

  choose(entity, old) {
    const r = this.rng;
    if (entity === "topicId") return r.chance(0.85) ? idOf(r.pick(POOL.topicName)) : r.chance(0.5) ? ZERO_ID : r.bytes(16).toString("base64url");
    if (r.chance(0.03)) return old; // the corpus's own random name
    if (r.chance(0.03)) return r.pick(["ok.", "", "ok.deny."]) + r.int(100);
    return r.pick(POOL[entity]);
  }

  /** A Kafka-built request of any API and version with names from the pool. */
  request(apiKey = null) {
    const r = this.rng, ctx = this.ctx, T = ctx.templates;
    if (apiKey == null && r.chance(0.5)) apiKey = r.pick(HOT);
    const t = apiKey != null && T.byKey.has(apiKey) ? r.pick(T.byKey.get(apiKey)) : r.pick(T.requests);
    const json = clone(t.json);
    const corr = this.nextCorr();
    json.header.correlationId = corr;
    if ("clientId" in json.header) json.header.clientId = this.clientId;
    renameEntities(ctx.plans.get(`${t.apiKey}/request`), json.body, (e, old) => this.choose(e, old), () => r.chance(0.8));
    const b = json.body;
    if (t.apiKey === 0) { // Produce: real batch headers, sometimes transactional; acks as clients send them
      for (const td of b.topicData || []) for (const p of td.partitionData || []) if (r.chance(0.7)) p.records = recordBatch(r.chance(0.3));
      b.acks = r.pick([-1, 1, 0, b.acks]);
    }
    if (t.apiKey === 3 && r.chance(0.3)) b.topics = t.version === 0 ? [] : null; // every topic
    if (t.apiKey === 1 && r.chance(0.2)) { b.topics = []; b.forgottenTopicsData = []; } // an incremental fetch
    this.count.frames++;
    return encode(ctx, json, true, t.apiKey, t.version, t.raw, corr);
  }

  /** The next step of a SASL exchange, in order or not. */
  sasl() {
    const r = this.rng;
    if (this.mechanism == null || r.chance(0.15)) return this.handshake();
    if (this.mechanism.startsWith("SCRAM-")) {
      const step = this.scramStep++ % 2;
      const text = step === 0 ? `n,,n=${this.user.replaceAll("=", "=3D").replaceAll(",", "=2C")},r=${r.int(1e9)}`
        : `c=biws,r=${r.int(1e9)},p=${r.bytes(8).toString("base64")}`;
      return this.authenticate(Buffer.from(text));
    }
    const authzid = r.chance(0.85) ? "" : r.pick([this.user, "admin"]);
    if (this.mechanism === "OAUTHBEARER") return this.authenticate(r.chance(0.15) ? Buffer.from("\x01") : bearerToken(r, authzid, this.user));
    return this.authenticate(r.chance(0.05) ? r.bytes(r.int(20)) : plainToken(authzid, this.user, "pw"));
  }

  handshake() {
    const r = this.rng;
    this.mechanism = r.pick(MECHANISMS);
    this.user = r.pick(USERS);
    this.scramStep = 0;
    const version = r.chance(0.9) ? 1 : 0;
    return this.build(17, version, { mechanism: this.mechanism });
  }

  authenticate(bytes) { return this.build(36, this.rng.range(0, 2), { authBytes: bytes.toString("base64") }); }

  build(apiKey, version, body) {
    const corr = this.nextCorr();
    const t = this.ctx.templates.byKey.get(apiKey).find((x) => x.version === version);
    const json = clone(t.json);
    Object.assign(json.body, body);
    json.header.correlationId = corr;
    if ("clientId" in json.header) json.header.clientId = this.clientId;
    this.count.frames++;
    return encode(this.ctx, json, true, apiKey, version, t.raw, corr);
  }

  /** Bytes no well-behaved client sends. */
  hostile() {
    const r = this.rng;
    const kind = r.int(6);
    if (kind !== 0 && kind !== 4) this.count.frames++; // those two count what they build
    switch (kind) {
      case 0: return mutate(r, this.request());
      case 1: return sized(Buffer.concat([Buffer.from([0, r.int(100), 0, r.int(20)]), i32(this.nextCorr()), r.bytes(r.int(200))]));
      case 2: // a header that claims a huge frame: the rest of the stream becomes its body
        return Buffer.concat([i32(r.pick([104857600, 104857599, 2147483647, 16777216, 1048577])), Buffer.from([0, 3, 0, 12]), i32(this.nextCorr()), Buffer.from([0xff, 0xff])]);
      case 3: return i32(r.pick([-1, -2147483648, 0, 1, 3, 7]));
      case 4: return this.burst();
      default: return r.bytes(r.range(1, 64));
    }
  }
}

/** A few byte-level changes; the size prefix is fixed up most of the time. */
function mutate(r, frame) {
  let b = Buffer.from(frame);
  for (let n = r.range(1, 4); n > 0 && b.length > 4; n--) {
    const at = 4 + r.int(b.length - 4);
    switch (r.int(6)) {
      case 0: b[at] ^= 1 << r.int(8); break;
      case 1: b[at] = r.pick([0, 0xff, 0x7f, 0x80, 1]); break;
      case 2: b = Buffer.concat([b.subarray(0, at), r.bytes(r.range(1, 8)), b.subarray(at)]); break;
      case 3: b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + r.range(1, 16)))]); break;
      case 4: b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 16), b.subarray(at)]); break;
      default: b = b.subarray(0, at);
    }
  }
  if (r.chance(0.85)) b.writeInt32BE(b.length - 4, 0);
  return b;
}

// ---------------------------------------------------------------------------------------
// The broker side of one connection: answers what the filter forwarded.

class Broker {
  constructor(ctx, rng) {
    this.ctx = ctx;
    this.rng = rng;
    this.chaos = rng.pick([0, 0, 0, 0.01, 0.05, 0.25]);
    this.mechanisms = new Set(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"].filter(() => rng.chance(0.8)));
    this.mechanism = null;
    this.scram = 0;
    this.user = null; // authenticated as, once SASL succeeded
    this.corrs = [];
    /** It answered as Kafka never would (Runner.brokerNotKafka). */
    this.misbehaved = false;
  }

  /** The frames answering `req` ({apiKey, version, corr, body}); none for acks=0. */
  answer(req) {
    const r = this.rng;
    this.corrs.push(req.corr);
    if (this.corrs.length > 16) this.corrs.shift();
    if (req.apiKey === 0 && req.body && req.body.acks === 0) return [];
    if (!req.body) { // Kafka would close; so may we
      this.misbehaved = true;
      return r.chance(0.5) ? [] : [this.garbage(req.corr)];
    }
    if (!r.chance(this.chaos)) return [this.honest(req)];
    this.misbehaved = true;
    switch (r.int(7)) {
      case 0: return [this.wrongType(req)];
      case 1: return [this.honest(req, r.chance(0.5) ? r.pick(this.corrs) : r.int(2 ** 31))];
      case 2: return [];
      case 3: return [this.honest(req), this.honest(req)];
      case 4: return [this.garbage(req.corr)];
      case 5: return [Buffer.concat([i32(r.pick([104857600, 2147483647, 1 << 20])), i32(req.corr), r.bytes(r.int(64))])];
      default: return [this.ordinary(req.corr)];
    }
  }

  garbage(corr) { return sized(Buffer.concat([i32(corr), this.rng.bytes(this.rng.int(120))])); }

  /** A short error-0 answer of an ordinary API (InitProducerId, SyncGroup, ...) under `corr`. */
  ordinary(corr) { return this.fromTemplate(this.rng.pick(this.ctx.templates.ordinary), corr, {}, 1); }

  /** Another API's answer (names as Kafka's corpus has them: none from the pool). */
  wrongType(req) {
    const t = this.rng.pick(this.ctx.templates.responseList);
    const json = clone(t.json);
    json.header.correlationId = req.corr;
    zeroErrors(json.body, this.rng, 0.9);
    return encode(this.ctx, json, false, t.apiKey, t.version, t.raw, req.corr);
  }

  honest(req, corr = req.corr) {
    const T = this.ctx.templates;
    if (req.apiKey === 17) return this.saslHandshake(req, corr);
    if (req.apiKey === 36) return this.saslAuthenticate(req, corr);
    const list = T.responses.get(`${req.apiKey}/${req.version}`);
    if (!list) return this.garbage(corr);
    // Names as asked: a response names what its request named; where the request named none,
    // a listing names anything in the pool, and other answers keep the corpus's own names.
    const asked = { topicName: [], groupId: [], transactionalId: [] };
    collectNames(this.ctx.plans.get(`${req.apiKey}/request`), req.body, asked, this.ctx.pool.ids);
    if (req.apiKey === 3 && Array.isArray(req.body.topics) && req.body.topics.some((t) => t.topicId && t.topicId !== ZERO_ID)) {
      // Metadata naming topic ids: Kafka refuses them before v12 (INVALID_REQUEST for every
      // topic named), and from v12 describes the ids' topics, ignoring the names.
      if (req.version < 12) return this.metadataRefusal(req, corr);
      asked.topicName = req.body.topics.filter((t) => this.ctx.pool.ids.has(t.topicId)).map((t) => this.ctx.pool.ids.get(t.topicId));
    }
    const listing = LISTINGS[req.apiKey];
    // A heartbeat's assignment is the member's, whatever this request names: a pattern's topics,
    // or another member's (a heartbeat under its id).
    if (listing && HEARTBEATS.has(req.apiKey) && listing.when(req.body, req.version)) asked.topicName = [];
    return this.fromTemplate(this.rng.pick(list), corr, asked, 0.9, listing && listing.when(req.body, req.version) ? listing.names : []);
  }

  metadataRefusal(req, corr) {
    const list = this.ctx.templates.responses.get(`3/${req.version}`);
    const t = list.find((x) => x.json.body.topics.length > 0) || list[0];
    const json = clone(t.json);
    json.header.correlationId = corr;
    json.body.topics = req.body.topics.map((x) => ({ ...clone(t.json.body.topics[0] || {}), errorCode: 42, name: x.name, topicId: ZERO_ID, partitions: [] }));
    return encode(this.ctx, json, false, 3, req.version, t.raw, corr);
  }

  fromTemplate(t, corr, asked, zeroP, lists = []) {
    const r = this.rng;
    const json = clone(t.json);
    json.header.correlationId = corr;
    const turn = { topicName: 0, groupId: 0, transactionalId: 0 };
    renameEntities(this.ctx.plans.get(`${t.apiKey}/response`), json.body, (e, old) => {
      const a = asked[e === "topicId" ? "topicName" : e];
      if (a && a.length) { const n = a[turn[e === "topicId" ? "topicName" : e]++ % a.length]; return e === "topicId" ? idOf(n) : n; }
      if (!lists.includes(e === "topicId" ? "topicName" : e)) return old;
      return e === "topicId" ? idOf(r.pick(POOL.topicName)) : r.pick(POOL[e]);
    }, () => true);
    zeroErrors(json.body, r, zeroP);
    return encode(this.ctx, json, false, t.apiKey, t.version, t.raw, corr);
  }

  saslResponse(apiKey, version, corr, body) {
    const t = this.ctx.templates.responses.get(`${apiKey}/${version}`)[0];
    const json = clone(t.json);
    json.header.correlationId = corr;
    Object.assign(json.body, body);
    return encode(this.ctx, json, false, apiKey, version, t.raw, corr);
  }

  saslHandshake(req, corr) {
    const ok = this.mechanisms.has(req.body.mechanism);
    this.mechanism = ok ? req.body.mechanism : null;
    this.scram = 0;
    this.oauthChallenged = false;
    return this.saslResponse(17, req.version, corr, { errorCode: ok ? 0 : 33, mechanisms: [...this.mechanisms] });
  }

  /**
   * As Kafka: a well-formed token of the negotiated mechanism; the password is a coin toss; a
   * re-authentication must keep the principal (KIP-368).
   */
  saslAuthenticate(req, corr) {
    const r = this.rng;
    const auth = Buffer.from(req.body.authBytes || "", "base64");
    const same = (user) => this.user == null || this.user === user;
    let code = 34; // ILLEGAL_SASL_STATE: no handshake accepted
    if (this.mechanism === "PLAIN") {
      const parts = auth.toString("utf8").split("\u0000");
      const valid = parts.length === 3 && parts[1].length > 0 && parts[2].length > 0 && (parts[0] === "" || parts[0] === parts[1]);
      code = valid && same(parts[1]) && r.chance(parts[1] === "admin" ? 0.3 : 0.7) ? 0 : 58;
      if (code === 0) this.user = parts[1];
      this.mechanism = null;
    } else if (this.mechanism === "OAUTHBEARER") {
      // A token Kafka refuses (or a coin toss) is answered with a challenge, error 0. After one,
      // a lone %x01 fails; any other message is a new token (OAuthBearerSaslServer).
      const ack = this.oauthChallenged && auth.length === 1 && auth[0] === 1;
      this.oauthChallenged = false;
      const user = ack ? null : oauthSubject(auth);
      if (ack || (user !== null && !same(user))) {
        code = 58;
        this.mechanism = null;
      } else if (user !== null && r.chance(0.7)) {
        this.user = user;
        this.mechanism = null;
        return this.saslResponse(36, req.version, corr, { errorCode: 0, errorMessage: null, authBytes: "" });
      } else {
        this.oauthChallenged = true;
        return this.saslResponse(36, req.version, corr, { errorCode: 0, errorMessage: null, authBytes: Buffer.from('{"status":"invalid_token"}').toString("base64") });
      }
    } else if (this.mechanism === "GSSAPI") { // a mechanism no model reads: the broker signs in someone
      code = 0;
      this.user = "kerberos-user";
      this.mechanism = null;
    } else if (this.mechanism != null) { // SCRAM: the first round goes on, the second may fail
      const first = this.scram++ === 0;
      if (first) {
        const m = /^n,,n=([^,]+),r=/.exec(auth.toString("utf8"));
        this.scramUser = m ? m[1].replaceAll("=2C", ",").replaceAll("=3D", "=") : null;
        code = m ? 0 : 58;
      } else {
        code = this.scramUser != null && same(this.scramUser) && r.chance(0.6) ? 0 : 58;
        if (code === 0) this.user = this.scramUser;
      }
      if (!first || code !== 0) this.mechanism = null;
    }
    return this.saslResponse(36, req.version, corr, { errorCode: code, errorMessage: code ? "Authentication failed" : null, authBytes: "" });
  }
}

// Kafka's answers that name what the request did not (by api key): listings of everything, and
// descriptions of a group's or transaction's topics, and a heartbeat's assignment.
const always = () => true;
const allTopics = (b) => (Array.isArray(b.groups) ? b.groups.some((g) => g.topics === null) : b.topics === null);
const LISTINGS = {
  3: { names: ["topicName"], when: (b, v) => b.topics == null || (v === 0 && b.topics.length === 0) },
  9: { names: ["topicName"], when: allTopics },
  16: { names: ["groupId"], when: always },
  35: { names: ["topicName"], when: (b) => b.topics == null },
  46: { names: ["topicName"], when: (b) => b.topics == null },
  65: { names: ["topicName"], when: always },
  66: { names: ["transactionalId"], when: always },
  68: { names: ["topicName"], when: (b) => b.subscribedTopicRegex != null || b.subscribedTopicNames == null },
  69: { names: ["topicName"], when: always },
  75: { names: ["topicName"], when: (b) => Array.isArray(b.topics) && b.topics.length === 0 },
  76: { names: ["topicName"], when: (b) => b.subscribedTopicNames == null },
  77: { names: ["topicName"], when: always },
  88: { names: ["topicName"], when: always },
  89: { names: ["topicName"], when: always },
  90: { names: ["topicName"], when: allTopics },
};

const HEARTBEATS = new Set([68, 76]);

function collectNames(plan, o, out, ids) {
  if (!plan || !o || typeof o !== "object") return;
  for (const n of plan) {
    const v = o[n.key];
    if (v == null) continue;
    const list = Array.isArray(v) ? v : [v];
    if (n.entity === "topicId") { for (const x of list) if (ids.has(x)) out.topicName.push(ids.get(x)); }
    else if (n.entity) { for (const x of list) if (typeof x === "string") out[n.entity].push(x); }
    else for (const x of list) collectNames(n.children, x, out, ids);
  }
}

// ---------------------------------------------------------------------------------------
// Running one VM: every host call guarded, every byte shown to the oracle, every event kept.

class Runner {
  constructor(ctx, { onForward = null, onEvent = null } = {}) {
    this.ctx = ctx;
    this.onForward = onForward;
    this.onEvent = onEvent;
    this.events = [];
    this.conns = new Map(); // id -> {c, o}
    this.dead = null;
    this.closedByFilter = 0;
    this.opened = 0;
    this.oracle = new Oracle({ codecs: ctx.codecs, plans: ctx.plans, policy: ctx.policy, pool: ctx.pool });
    sharedData.clear(); // Envoy's process-wide store: each case starts from an empty one, as its replay will
    this.host = new Host(ctx.wasm, { config: ctx.policyText });
    this.guard("configure", () => { if (!this.host.start()) throw new Error("configuration refused: " + JSON.stringify(this.host.logs.map((l) => l.msg))); });
  }

  get findings() { return this.oracle.findings; }

  /** Keeps an event (before it happens: a hang's last event is the one that hung). */
  record(e) {
    this.events.push(e);
    if (this.onEvent) this.onEvent(e);
  }

  guard(what, fn) {
    if (this.dead) return false;
    try { fn(); return true; }
    catch (e) {
      let message = String((e && e.message) || e).split("\n")[0];
      // AssemblyScript's abort: proc_exit after a log line saying where
      const abort = /^proc_exit \d+: (\{.*\})$/.exec(message);
      if (abort) { try { message = "abort: " + JSON.parse(abort[1]).msg; } catch { /* keep it whole */ } }
      this.dead = this.oracle.finding({ kind: "trap", during: what, error: e && e.constructor ? e.constructor.name : "Error", message });
      return false;
    } finally { this.drainLogs(); }
  }

  drainLogs() {
    const h = this.host;
    for (const l of h.logs) {
      const k = this.conns.get(l.ctx);
      if (k) k.o.logged(l.msg);
      else this.oracle.logged(l.msg);
    }
    h.logs.length = 0;
  }

  open(id, props) {
    this.record({ open: id, props });
    this.opened++;
    this.guard("a new connection", () => {
      const c = this.host.connect(id, props);
      const o = this.oracle.connection(id, props);
      if (this.onForward) o.onForward = (req) => this.onForward(id, req);
      this.conns.set(id, { c, o, wasClosed: false });
    });
  }

  feed(id, dir, data, end = false) {
    const k = this.conns.get(id);
    if (!k || this.dead) return;
    this.record({ c: id, dir, b: data, end });
    if (dir === "down") k.o.clientSent(data);
    else k.o.brokerSent(data);
    this.guard(dir === "down" ? "client data" : "broker data", () => k.c.feed(dir === "down" ? DOWNSTREAM : UPSTREAM, data, end));
    this.collect(k);
  }

  collect(k) {
    for (const type of [DOWNSTREAM, UPSTREAM]) {
      const sent = k.c.sent[type];
      for (const b of sent) type === DOWNSTREAM ? k.o.forwardedToBroker(b) : k.o.deliveredToClient(b);
      sent.length = 0;
    }
    if (!k.wasClosed && k.c.closed) { k.wasClosed = true; this.closedByFilter++; }
  }

  close(id) {
    const k = this.conns.get(id);
    if (!k || this.dead) return;
    this.record({ close: id });
    this.guard("closing a connection", () => k.c.close());
    this.collect(k);
    k.o.ended();
    this.conns.delete(id);
  }

  /**
   * The broker of connection `id` answered as Kafka never would (the fuzzer's chaotic broker):
   * answers are matched to requests by position, so one answered twice or not at all makes
   * every later answer look like another request's, type and correlation id included. From
   * here on, what the filter passes on to the client is that broker's word: not judged as leaks.
   */
  brokerNotKafka(id) {
    const k = this.conns.get(id);
    if (!k || this.dead) return;
    this.record({ notKafka: id });
    k.o.brokerIsKafka = false;
  }

  advance(ms) {
    if (this.dead) return;
    this.record({ advance: ms });
    this.guard("a tick", () => this.host.advance(ms));
    for (const k of this.conns.values()) this.collect(k);
  }

  closeAll() { for (const id of [...this.conns.keys()]) this.close(id); }
}

// ---------------------------------------------------------------------------------------
// One fuzz case.

/** Takes up to a random share of the queued bytes (single bytes now and then). */
function take(r, queue) {
  const total = queue.reduce((n, b) => n + b.length, 0);
  const want = r.chance(0.1) ? 1 : r.chance(0.3) ? r.range(1, 16) : r.chance(0.4) ? r.range(1, 600) : total;
  const all = queue.length === 1 ? queue[0] : Buffer.concat(queue);
  const n = Math.min(want, all.length);
  queue.length = 0;
  if (n < all.length) queue.push(all.subarray(n));
  return all.subarray(0, n);
}

function runCase(ctx, caseSeed, budget, onEvent = null) {
  const r = new Rng(caseSeed);
  const sides = new Map(); // id -> {client, broker, down: [], up: []}
  const count = { frames: 0 }; // every frame a client or broker sent (a burst is many)
  const runner = new Runner(ctx, {
    onEvent,
    onForward: (id, req) => {
      const s = sides.get(id);
      if (!s) return;
      const answers = s.broker.answer(req);
      if (s.broker.misbehaved && !s.notKafka) {
        s.notKafka = true;
        runner.brokerNotKafka(id);
      }
      for (const b of answers) { s.up.push(b); count.frames++; }
    },
  });
  let nextId = 2;
  const open = () => {
    const id = nextId++;
    const props = {};
    const src = r.pick(SOURCES), subject = r.pick(SUBJECTS);
    if (src) props["source.address"] = src;
    if (subject) props["connection.subject_peer_certificate"] = subject;
    sides.set(id, { client: new Client(ctx, new Rng(r.int(2 ** 32)), count), broker: new Broker(ctx, new Rng(r.int(2 ** 32))), down: [], up: [] });
    runner.open(id, props);
  };

  // Rarely, the memory attack: dozens of connections each claiming a ~100 MiB frame, some
  // sending a few MiB of it (past maxBufferedBytes all together).
  if (r.chance(0.003)) {
    const mib = Buffer.alloc(1 << 20);
    for (let i = 0; i < 48 && !runner.dead; i++) {
      open();
      const id = nextId - 1;
      runner.feed(id, "down", Buffer.concat([i32(104857600), Buffer.from([0, 3, 0, 12]), i32(i), Buffer.from([0xff, 0xff])]));
      for (let n = r.chance(0.5) ? r.range(1, 3) : 0; n > 0; n--) runner.feed(id, "down", mib);
      count.frames++;
    }
  }
  for (let n = r.range(1, 4); n > 0; n--) open();
  const pipelining = r.pick([0.3, 0.5, 0.7]); // how much the client runs ahead of the broker

  while (count.frames < budget && !runner.dead && runner.findings.length === 0) {
    if (sides.size === 0 || (sides.size < 8 && r.chance(0.003))) { open(); continue; }
    const id = r.pick([...sides.keys()]);
    const s = sides.get(id);
    const k = runner.conns.get(id);
    if (!k || k.c.closed) { runner.close(id); sides.delete(id); continue; }
    const x = r.next();
    if (x < 0.004) { // the client goes away, maybe mid-frame
      if (s.down.length && r.chance(0.5)) runner.feed(id, "down", take(r, s.down), true);
      runner.close(id);
      sides.delete(id);
    } else if (x < 0.02) {
      runner.advance(r.pick([1, 100, 1000, 5000, 31000, 120000]));
    } else if (x < 0.02 + pipelining * 0.5) {
      if (s.down.length === 0 || r.chance(0.3)) s.down.push(s.client.frame());
      runner.feed(id, "down", take(r, s.down));
    } else if (s.up.length) {
      const end = r.chance(0.002); // the broker goes away, maybe mid-frame
      runner.feed(id, "up", take(r, s.up), end);
      if (end) { runner.close(id); sides.delete(id); }
    } else if (s.down.length) {
      runner.feed(id, "down", take(r, s.down));
    } else {
      s.down.push(s.client.frame());
    }
  }
  runner.closeAll();
  return { runner, frames: count.frames };
}

// ---------------------------------------------------------------------------------------
// Findings: signatures, shrinking, regression files, replay.

function signature(ctx, f) {
  const api = f.apiKey !== undefined ? apiName(ctx, f.apiKey) : "";
  switch (f.kind) {
    case "trap": return `trap ${f.during}: ${f.message.replace(/\d+/g, "N")}`;
    case "forbidden-forward": return f.allowedTo ? "forbidden-forward allowed only to an earlier principal" : `forbidden-forward ${api} ${f.field}`;
    case "unchecked-forward": return `unchecked-forward ${api}`;
    case "foreign-session": return `foreign-session ${api}`;
    case "leak": return f.allowedTo ? "leak allowed only to an earlier principal" : `leak ${api} ${f.field}`;
    case "log-forgery": return `log-forgery ${(/^(?:"?)kafka filter: (\w+)/.exec(f.line) || [, "line"])[1]}`;
    default: return f.kind;
  }
}
const slug = (sig) => sig.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase().slice(0, 100);

function describe(f) {
  const { kind, ...rest } = f;
  return `${kind} ${JSON.stringify(rest)}`;
}

/** Runs recorded events on a fresh VM; returns the runner (findings, closes). */
function replayEvents(ctx, events) {
  const runner = new Runner(ctx);
  for (const e of events) {
    if (runner.dead) break;
    if (e.open !== undefined) runner.open(e.open, e.props || {});
    else if (e.close !== undefined) runner.close(e.close);
    else if (e.advance !== undefined) runner.advance(e.advance);
    else if (e.notKafka !== undefined) runner.brokerNotKafka(e.notKafka);
    else runner.feed(e.c, e.dir, e.b, e.end);
  }
  runner.closeAll();
  return runner;
}

/** Drops events while the same finding still shows (chunks, then single events), within `ms`. */
function shrink(ctx, events, sig, ms, alive = () => {}) {
  const deadline = Date.now() + ms;
  const reproduces = (evs) => { alive(); return replayEvents(ctx, evs).findings.some((f) => signature(ctx, f) === sig); };
  let n = 2;
  while (events.length > 1 && Date.now() < deadline) {
    const size = Math.ceil(events.length / n);
    let cut = false;
    for (let i = 0; i < events.length && Date.now() < deadline; i += size) {
      const candidate = events.slice(0, i).concat(events.slice(i + size));
      if (reproduces(candidate)) { events = candidate; n = Math.max(2, n - 1); cut = true; break; }
    }
    if (!cut) {
      if (size === 1) break;
      n = Math.min(events.length, n * 2);
    }
  }
  return events;
}

// Events in a file: bytes as base64, or (long runs of zeros, as the memory attack sends) a count.
const zeros = (b) => b.length >= 4096 && !b.some((x) => x !== 0);
const toFile = (events) => events.map((e) => (!e.b ? e
  : { c: e.c, dir: e.dir, ...(zeros(e.b) ? { zeros: e.b.length } : { b64: e.b.toString("base64") }), ...(e.end ? { end: true } : {}) }));
const fromFile = (events) => events.map((e) => (e.b64 !== undefined || e.zeros !== undefined
  ? { c: e.c, dir: e.dir, b: e.zeros !== undefined ? Buffer.alloc(e.zeros) : Buffer.from(e.b64, "base64"), end: !!e.end } : e));

// ---------------------------------------------------------------------------------------
// Workers. Every one runs under a watchdog in the main thread (supervised): a VM call that
// never returns is a finding too (a hang), found by silence, as a synchronous Wasm call cannot
// be interrupted from its own thread.

const HANG_MS = +(process.env.FUZZ_HANG_MS || 60000);

const newTotals = () => ({ frames: 0, cases: 0, connections: 0, closed: 0, inEnvoy: 0, inPlace: 0, inPlaceResponses: 0, traps: 0, bypasses: 0, byKind: {}, forwarded: 0, judged: 0, exempt: 0, leaksChecked: 0, unknownPrincipal: 0, lookups: 0, rawTokens: 0, behindSignIn: 0 });

function addTotals(into, x) {
  for (const k of Object.keys(into)) {
    if (k === "byKind") for (const [kind, n] of Object.entries(x.byKind)) into.byKind[kind] = (into.byKind[kind] || 0) + n;
    else into[k] += x[k];
  }
  return into;
}

/** Fuzz cases from `startCase` until `frames` frames are fuzzed; says which case it is in. */
function fuzzWorker(ctx, { o, index, frames, startCase, knownSignatures }) {
  const known = new Set(knownSignatures);
  const totals = newTotals();
  let lastReport = Date.now();
  for (let i = startCase; totals.frames < frames; i++) {
    const caseSeed = hash32(`${o.seed}:${index}:${i}`);
    const budget = Math.min(frames - totals.frames, 50 + new Rng(caseSeed ^ 0x5bd1e995).int(1500));
    parentPort.postMessage({ type: "case", caseIndex: i, caseSeed, budget, totals });
    const { runner, frames: n } = runCase(ctx, caseSeed, budget);
    totals.frames += Math.max(n, 1);
    totals.cases++;
    totals.connections += runner.opened;
    totals.closed += runner.closedByFilter;
    totals.inEnvoy += Number(runner.host.metric("kafka.request_frames_in_envoy"));
    totals.inPlace += Number(runner.host.metric("kafka.request_frames_in_place"));
    totals.inPlaceResponses += Number(runner.host.metric("kafka.response_frames_in_place"));
    for (const k of Object.keys(runner.oracle.stats)) totals[k] += runner.oracle.stats[k];
    for (const f of runner.findings) {
      if (f.kind === "trap") totals.traps++;
      else totals.bypasses++;
      totals.byKind[f.kind] = (totals.byKind[f.kind] || 0) + 1;
    }
    const first = new Map();
    for (const f of runner.findings) { const s = signature(ctx, f); if (!first.has(s)) first.set(s, f); }
    for (const [sig, f] of first) {
      if (known.has(sig)) { parentPort.postMessage({ type: "seen", sig }); continue; }
      known.add(sig);
      const alive = () => parentPort.postMessage({ type: "alive" });
      const events = o.shrink ? shrink(ctx, runner.events, sig, 10000, alive) : runner.events;
      parentPort.postMessage({ type: "finding", sig, finding: f, seed: o.seed, caseSeed, original: runner.events.length, events: toFile(events) });
    }
    if (Date.now() - lastReport > 2000) { parentPort.postMessage({ type: "progress", totals }); lastReport = Date.now(); }
  }
  parentPort.postMessage({ type: "done", totals });
}

/** Runs one case again, sending each event before it happens: a hang's events up to the call that hangs. */
function captureWorker(ctx, { caseSeed, budget }) {
  runCase(ctx, caseSeed, budget, (e) => parentPort.postMessage({ type: "event", event: toFile([e])[0] }));
  parentPort.postMessage({ type: "done" });
}

function replayWorker(ctx, { files }) {
  for (const file of files) {
    parentPort.postMessage({ type: "file", file });
    const reg = JSON.parse(fs.readFileSync(file, "utf8"));
    const runner = replayEvents({ ...ctx, policy: reg.policy, policyText: JSON.stringify(reg.policy) }, fromFile(reg.events));
    parentPort.postMessage({ type: "result", file, signature: reg.signature, count: runner.findings.length, findings: runner.findings.slice(0, 3) });
  }
  parentPort.postMessage({ type: "done" });
}

/**
 * Runs a worker; resolves {hung: false} when it is done, {hung: true} once it has said nothing
 * for HANG_MS (it is then terminated).
 */
function supervised(data, onMessage) {
  return new Promise((resolve, reject) => {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: data });
    let last = Date.now(), settled = false;
    const settle = (fn) => { if (!settled) { settled = true; clearInterval(watchdog); fn(); } };
    const watchdog = setInterval(() => {
      if (Date.now() - last > HANG_MS) settle(() => w.terminate().then(() => resolve({ hung: true }), reject));
    }, 1000);
    w.on("message", (m) => {
      last = Date.now();
      onMessage(m);
      if (m.type === "done") settle(() => resolve({ hung: false }));
    });
    w.on("error", (e) => settle(() => reject(e)));
    w.on("exit", (code) => settle(() => (code === 0 ? resolve({ hung: false }) : reject(new Error(`worker exited with ${code}`)))));
  });
}

// ---------------------------------------------------------------------------------------
// Main: workers, progress, regression files, the closing line.

function regressionFiles(targets) {
  const files = [];
  for (const t of targets) {
    if (!fs.existsSync(t)) continue;
    if (fs.statSync(t).isDirectory()) for (const f of fs.readdirSync(t).sort()) { if (f.endsWith(".json")) files.push(path.join(t, f)); }
    else files.push(t);
  }
  return files;
}

async function replay(o) {
  let passed = 0, failed = 0;
  const files = regressionFiles(o.replay);
  const name = (file) => path.relative(ROOT, file);
  for (let i = 0; i < files.length;) {
    let current = files[i];
    const r = await supervised({ mode: "replay", o, files: files.slice(i) }, (m) => {
      if (m.type === "file") current = m.file;
      if (m.type !== "result") return;
      i++;
      if (m.count === 0) { passed++; console.log(`PASS ${name(m.file)} (${m.signature})`); return; }
      failed++;
      console.log(`FAIL ${name(m.file)} (${m.signature}): ${m.count} finding(s)`);
      for (const f of m.findings) console.log(`  ${describe(f)}`);
    });
    if (r.hung) { i++; failed++; console.log(`FAIL ${name(current)}: the VM did not return within ${HANG_MS / 1000} s`); }
  }
  console.log(`replay: ${files.length} regression case(s) from ${o.replay.map((t) => path.relative(ROOT, t)).join(" ")}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0;
}

/** What a module was built from, as far as this checkout tells: its commit, and its digest. */
function builtFrom(wasm) {
  const digest = crypto.createHash("sha256").update(fs.readFileSync(wasm)).digest("hex").slice(0, 12);
  let head = "";
  try { head = fs.readFileSync(path.join(ROOT, ".git", "HEAD"), "utf8").trim(); } catch { /* no checkout */ }
  if (head.startsWith("ref: ")) { try { head = fs.readFileSync(path.join(ROOT, ".git", head.slice(5)), "utf8").trim(); } catch { head = ""; } }
  return `${path.relative(ROOT, wasm)} sha256:${digest}${head ? " (checkout at " + head.slice(0, 7) + ")" : ""}`;
}

async function fuzz(o) {
  const started = Date.now();
  console.log(`fuzz-filter: seed ${o.seed}, ${o.frames} frames, ${o.workers} worker(s), ${path.relative(ROOT, o.wasm)}, policy ${path.relative(ROOT, o.policy)}`);
  console.log(`  again: node ${path.relative(ROOT, fileURLToPath(import.meta.url))} --seed ${o.seed} --frames ${o.frames} --workers ${o.workers}`);
  const policy = JSON.parse(fs.readFileSync(o.policy, "utf8"));
  // Kept findings that still reproduce are open bugs: seen again, they are only counted. One
  // whose kept case the filter now passes shows up again as a new way to the same bypass, and
  // is kept beside the first.
  const existing = new Map(); // signature -> file, for the open ones
  const files = regressionFiles([o.out]);
  await supervised({ mode: "replay", o, files }, (m) => { if (m.type === "result" && m.count > 0) existing.set(m.signature, m.file); });
  const share = Math.ceil(o.frames / o.workers);
  const found = new Map(); // signature -> {count, file}
  const record = (m) => {
    const e = found.get(m.sig) || { count: 0, file: existing.get(m.sig) };
    e.count++;
    found.set(m.sig, e);
    if (m.type === "seen") return;
    console.log(`FINDING ${m.sig}\n  ${describe(m.finding)}\n  case seed ${m.caseSeed}: ${m.original} events${m.original !== m.events.length ? `, shrunk to ${m.events.length}` : ""}`);
    if (!o.save || e.file || m.events.length === 0) return;
    fs.mkdirSync(o.out, { recursive: true });
    const first = path.join(o.out, slug(m.sig) + ".json");
    e.file = fs.existsSync(first) ? path.join(o.out, `${slug(m.sig)}-${m.caseSeed}.json`) : first;
    const reg = { signature: m.sig, finding: m.finding, seed: m.seed, caseSeed: m.caseSeed, foundAgainst: o.foundAgainst || builtFrom(o.wasm), found: new Date().toISOString().slice(0, 10), policy, events: m.events };
    fs.writeFileSync(e.file, JSON.stringify(reg, null, 1) + "\n");
    console.log(`  kept as ${path.relative(ROOT, e.file)}`);
  };

  // A hung case is run again in a fresh worker that sends each event before it happens.
  const captureHang = async (c) => {
    const events = [];
    const r = await supervised({ mode: "capture", o, caseSeed: c.caseSeed, budget: c.budget }, (m) => { if (m.type === "event") events.push(m.event); });
    const e = events.at(-1) || {};
    const during = e.dir === "down" ? "client data" : e.dir === "up" ? "broker data" : e.open !== undefined ? "a new connection"
      : e.close !== undefined ? "closing a connection" : e.advance !== undefined ? "a tick" : "configure";
    const finding = { kind: "trap", during, error: "hang", message: `no return within ${HANG_MS / 1000} s` };
    record({ type: "finding", sig: r.hung ? `hang ${during}` : "hang (not reproduced)", finding, seed: o.seed, caseSeed: c.caseSeed, original: events.length, events: r.hung ? events : [] });
  };

  // One slot per worker; a worker that hangs is replaced, going on after the hung case.
  const slots = [];
  const runSlot = async (i) => {
    const slot = { done: newTotals(), current: newTotals() };
    slots.push(slot);
    let frames = Math.min(share, o.frames - i * share), startCase = 0;
    while (frames > 0) {
      let inCase = null;
      slot.current = newTotals();
      const r = await supervised({ mode: "fuzz", o, index: i, frames, startCase, knownSignatures: [...existing.keys()] }, (m) => {
        if (m.type === "case") { inCase = m; slot.current = m.totals; }
        if (m.type === "progress" || m.type === "done") slot.current = m.totals;
        if (m.type === "seen" || m.type === "finding") record(m);
      });
      if (!r.hung) { addTotals(slot.done, slot.current); slot.current = newTotals(); break; }
      const hung = { ...inCase.totals, frames: inCase.totals.frames + inCase.budget, cases: inCase.totals.cases + 1, traps: inCase.totals.traps + 1,
        byKind: { ...inCase.totals.byKind, hang: (inCase.totals.byKind.hang || 0) + 1 } };
      addTotals(slot.done, hung);
      slot.current = newTotals();
      console.log(`HANG worker ${i}, case seed ${inCase.caseSeed}: no answer for ${HANG_MS / 1000} s; running it again to keep its events`);
      await captureHang(inCase);
      frames -= hung.frames;
      startCase = inCase.caseIndex + 1;
    }
  };
  const workers = [];
  for (let i = 0; i < o.workers; i++) workers.push(runSlot(i));
  const sum = () => slots.reduce((t, s) => addTotals(addTotals(t, s.done), s.current), newTotals());
  const timer = setInterval(() => {
    const t = sum(), s = (Date.now() - started) / 1000;
    console.log(`progress: ${t.frames} frames (${Math.round(t.frames / s)}/s), ${t.cases} VMs, traps ${t.traps}, bypasses ${t.bypasses}, closed by filter ${t.closed}`);
  }, o.frames > 1e6 ? 30000 : 10000);
  try { await Promise.all(workers); } finally { clearInterval(timer); }
  const t = sum(), secs = (Date.now() - started) / 1000;
  console.log(`frames fuzzed: ${t.frames} in ${secs.toFixed(1)} s (${Math.round(t.frames / secs)}/s), ${t.cases} VMs, ${t.connections} connections, ${t.inEnvoy} request frames left in the host's buffer until whole, ${t.inPlace} Produce requests and ${t.inPlaceResponses} Fetch responses decided in place`);
  console.log(`requests forwarded: ${t.forwarded} (judged ${t.judged}, exempt names ${t.exempt}, unjudged after an unmodelled login ${t.unknownPrincipal}, the filter's own lookups ${t.lookups}, raw SASL tokens ${t.rawTokens}, judged as the user a sign-in ahead of them made ${t.behindSignIn}); responses checked for leaks: ${t.leaksChecked}`);
  console.log(`traps: ${t.traps}${t.byKind.hang ? ` (of which hangs: ${t.byKind.hang})` : ""}`);
  console.log(`bypasses: ${t.bypasses}${Object.keys(t.byKind).length ? " (" + Object.entries(t.byKind).filter(([k]) => k !== "trap" && k !== "hang").map(([k, n]) => `${k} ${n}`).join(", ") + ")" : ""}`);
  console.log(`connections closed by the filter: ${t.closed}`);
  if (found.size) console.log("distinct findings (VMs that showed each, where it is kept):");
  for (const [sig, e] of [...found].sort()) console.log(`  ${String(e.count).padStart(6)}  ${sig}${e.file ? "  -> " + path.relative(ROOT, e.file) : ""}`);
  const checks = [["no trap", t.traps === 0], ["no bypass", t.bypasses === 0]];
  for (const [name, ok] of checks) if (!ok) console.log(`FAIL ${name}`);
  console.log(`${checks.filter((c) => c[1]).length} passed, ${checks.filter((c) => !c[1]).length} failed`);
  return checks.every((c) => c[1]);
}

export { options, context, loadTemplates, runCase, replayEvents, signature, fromFile };

const invoked = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMainThread && invoked) {
  const o = options(process.argv.slice(2));
  const ok = o.replay ? await replay(o) : await fuzz(o);
  process.exit(ok ? 0 : 1);
} else if (!isMainThread) {
  const ctx = await context(workerData.o);
  if (workerData.mode !== "replay") loadTemplates(ctx);
  if (workerData.mode === "fuzz") fuzzWorker(ctx, workerData);
  else if (workerData.mode === "capture") captureWorker(ctx, workerData);
  else replayWorker(ctx, workerData);
}
