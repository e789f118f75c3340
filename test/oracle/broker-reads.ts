// A differential fuzzer of the request reader against Kafka's broker: the filter decides on a
// request as its codecs read it, the broker serves it as Kafka's classes read it, and any frame
// the two read apart is a way past the policy. Request frames Kafka's classes wrote (the oracle)
// and real clients sent (test/corpus) are mutated, with changes aimed at encodings (a varint
// written longer, a fifth varint byte with high bits, a tagged field's size off by one, bytes
// inserted, dropped, changed or appended, a frame cut short), then read by both:
//   - Kafka reads it, the codecs read it: the JSON must be the same (else the policy would
//     decide on other names than the broker serves: a bypass in every mode);
//   - Kafka reads it, the codecs do not: the codecs must say a broker may read it
//     (brokerMayRead), so that the filter never passes it on unread (under onDecodeError "pass"
//     it would otherwise reach the broker unjudged);
//   - Kafka reads it and the filter's view walks it (its allow path decides on the view alone):
//     the view must find the topics, topic ids, groups and transactional ids Kafka reads;
//   - the codecs read what Kafka does not (stricter checks of Kafka's request classes, such as
//     DeleteAcls filters of unknown types): counted, not a failure: the broker refuses it.
// And SASL first messages (PLAIN, SCRAM, OAUTHBEARER, generated with their loose corners): for
// each one Kafka's own SASL server accepts, the user the filter would take once the broker
// accepts the exchange must be the user Kafka authenticates, or none (the filter then closes).
// Kafka reads with test/oracle's BrokerReads (RequestHeader.parse, AbstractRequest.parseRequest)
// and BrokerSasl (PlainSaslServer, ScramSaslServer, OAuthBearerSaslServer).
//
//   npx tsx test/oracle/broker-reads.ts <frames.jsonl> <corpus dir> <schema dir> <classpath> [--mutants N] [--sasl N] [--seed S]
// Prints "N passed, M failed": one check per group of frames (the originals, the mutants of each
// kind, those mutated twice, the client ids made of every short sequence of bytes at UTF-8's
// edges, the SASL messages of each mechanism), passed when every frame of it is read alike; the
// frames read apart are listed. BROKER_READS_SHOW=1 also lists what one side alone reads.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { loadCodecs } from "../lib/codecs";
import { firstDifference, Json, parseLossless } from "../lib/lossless-json";
import { seededRandom } from "../lib/seeded-random";
import { loadMessages, type StructSpec } from "../../codegen/model";

const args = process.argv.slice(2);
const [framesFile, corpusDir, schemaDir, classpath] = args;
if (!framesFile || !corpusDir || !schemaDir || !classpath) {
  console.error("usage: tsx test/oracle/broker-reads.ts <frames.jsonl> <corpus dir> <schema dir> <classpath> [--mutants N] [--seed S]");
  process.exit(2);
}
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MUTANTS = option("--mutants", 30000);
const SEED = option("--seed", 20261206);
const random = seededRandom(SEED);
const below = (n: number): number => Math.floor(random() * n);

// ---- the frames: the bytes after the size prefix ----
const originals: Buffer[] = [];
for (const line of readFileSync(framesFile, "utf8").split("\n")) {
  if (!line) continue;
  const f = JSON.parse(line) as { kind: string; frame: string };
  if (f.kind === "request") originals.push(Buffer.from(f.frame, "base64").subarray(4));
}
const fromOracle = originals.length;
for (const file of readdirSync(corpusDir).filter((n) => n.endsWith(".jsonl")).sort()) {
  for (const line of readFileSync(join(corpusDir, file), "utf8").split("\n")) {
    if (line) originals.push(Buffer.from((JSON.parse(line) as { frame: string }).frame, "base64").subarray(4));
  }
}

// ---- mutations aimed at encodings; the api key and version stay (bytes 0-3) ----
const HEADER = 4;
const at = (f: Buffer): number => HEADER + below(Math.max(1, f.length - HEADER));
const splice = (f: Buffer, i: number, drop: number, insert: number[]): Buffer =>
  Buffer.concat([f.subarray(0, i), Buffer.from(insert), f.subarray(Math.min(f.length, i + drop))]);

const UTF8_EDGES = [0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef,
  0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfe, 0xff];
const MUTATIONS: Array<[string, (f: Buffer) => Buffer]> = [
  // A byte below 0x80 that is a varint, written in two bytes: the same value for Kafka.
  ["varint written longer", (f) => {
    for (let tries = 0; tries < 8; tries++) {
      const i = at(f);
      if (f[i] < 0x80) return splice(f, i, 1, [f[i] | 0x80, 0x00]);
    }
    return f;
  }],
  // The same in five bytes, the fifth carrying bits past the 32nd, which Kafka drops.
  ["fifth varint byte with high bits", (f) => {
    for (let tries = 0; tries < 8; tries++) {
      const i = at(f);
      if (f[i] < 0x80) return splice(f, i, 1, [f[i] | 0x80, 0x80, 0x80, 0x80, 0x10 << below(3)]);
    }
    return f;
  }],
  // Bytes at UTF-8's edges in place of others (inside a name, often): Kafka's String decoding.
  ["UTF-8 edge bytes", (f) => {
    const n = 1 + below(4);
    return splice(f, at(f), n, Array.from({ length: n }, () => UTF8_EDGES[below(UTF8_EDGES.length)]));
  }],
  ["byte one more", (f) => { const i = at(f); return splice(f, i, 1, [(f[i] + 1) & 0xff]); }],
  ["byte one less", (f) => { const i = at(f); return splice(f, i, 1, [(f[i] + 255) & 0xff]); }],
  ["byte changed", (f) => splice(f, at(f), 1, [below(256)])],
  ["bytes inserted", (f) => splice(f, at(f), 0, Array.from({ length: 1 + below(3) }, () => below(256)))],
  ["bytes dropped", (f) => splice(f, at(f), 1 + below(3), [])],
  ["cut short", (f) => f.subarray(0, at(f))],
  ["bytes appended", (f) => Buffer.concat([f, Buffer.from(Array.from({ length: 1 + below(4) }, () => below(256)))])],
  // A last byte of 0 is often an empty tagged-field section: one unknown tag in its place.
  ["tagged field added", (f) => f[f.length - 1] === 0 ? Buffer.concat([f.subarray(0, f.length - 1), Buffer.from([1, 100 + below(20), 1, below(256)])]) : f],
  // A low tag: one a struct of this or another version knows, its value random.
  ["known tag added", (f) => {
    if (f[f.length - 1] !== 0) return f;
    const value = Array.from({ length: below(20) }, () => below(4) === 0 ? 0 : below(256));
    return Buffer.concat([f.subarray(0, f.length - 1), Buffer.from([1, below(4), value.length, ...value])]);
  }],
  // Kafka 4.4 reads at most 10,000 tagged fields in a section and refuses the frame past that:
  // 9,999 to 10,001 empty unknown tags in place of an empty last section.
  ["tagged fields at Kafka's maximum", (f) => {
    if (f[f.length - 1] !== 0) return f;
    const n = 9999 + below(3);
    const count = Buffer.from([0x80 | (n & 0x7f), n >> 7]);
    return Buffer.concat([f.subarray(0, f.length - 1), count, Buffer.alloc(2 * n).map((_, i) => i % 2 === 0 ? 0x7f : 0)]);
  }],
];

interface Case { frame: Buffer; what: string; original: number }
const cases: Case[] = originals.map((frame, i) => ({ frame, what: "as sent", original: i }));
for (let n = 0; n < MUTANTS; n++) {
  const original = below(originals.length);
  let frame = originals[original];
  const steps: string[] = [];
  for (let k = 0, count = 1 + (random() < 0.2 ? 1 : 0); k < count; k++) {
    const [what, mutate] = MUTATIONS[below(MUTATIONS.length)];
    frame = mutate(frame);
    steps.push(what);
  }
  cases.push({ frame, what: steps.join(", "), original });
}

// Every string of one to three bytes at UTF-8's edges, and every four-byte one over the leads
// and a few others, as a client id between "x" and "y" (ApiVersions v0: header v1, no body).
const clientIdFrame = (bytes: number[]): Buffer => {
  const id = Buffer.from([0x78, ...bytes, 0x79]);
  const head = Buffer.alloc(10);
  head.writeInt16BE(18, 0);
  head.writeInt32BE(1, 4);
  head.writeInt16BE(id.length, 8);
  return Buffer.concat([head, id]);
};
const FOUR_BYTE_EDGES = [0x41, 0x80, 0x90, 0xbf, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
const strings: number[][] = [];
const grow = (prefix: number[], edges: number[], left: number): void => {
  if (prefix.length > 0) strings.push(prefix);
  if (left > 0) for (const b of edges) grow([...prefix, b], edges, left - 1);
};
grow([], UTF8_EDGES, 3);
for (const a of FOUR_BYTE_EDGES) for (const b of FOUR_BYTE_EDGES) for (const c of FOUR_BYTE_EDGES) for (const d of FOUR_BYTE_EDGES) strings.push([a, b, c, d]);
for (const bytes of strings) cases.push({ frame: clientIdFrame(bytes), what: "UTF-8 client id", original: -1 });

// ---- Kafka's reading, all frames in one JVM ----
/** Runs `mainClass` on `lines` in batches (one JVM reads a batch: a string of millions of lines is past Node's limit); its answers, one per line. */
function askKafka(mainClass: string, lines: string[]): string[] {
  const BATCH = 100_000;
  const answers: string[] = [];
  for (let at = 0; at < lines.length; at += BATCH) {
    const run = spawnSync("java", ["-cp", classpath, `dev.kafkawasm.oracle.${mainClass}`], {
      input: lines.slice(at, at + BATCH).join("\n") + "\n", maxBuffer: 1 << 30, encoding: "utf8",
    });
    const got = run.stdout.split("\n").filter((l) => l.length > 0);
    if (run.status !== 0 || got.length !== Math.min(BATCH, lines.length - at)) {
      console.error(`${mainClass} failed (${run.status}, ${got.length} answers to ${Math.min(BATCH, lines.length - at)}): ${run.stderr}`);
      process.exit(1);
    }
    for (const a of got) answers.push(a);
  }
  return answers;
}
const kafka = askKafka("BrokerReads", cases.map((c) => c.frame.toString("base64")));

// ---- ours, and the comparison ----
const codecs = await loadCodecs();
// Kafka's converters print records as "" whatever they hold; the bytes are the same slice. Its
// RequestHeader.parse makes a null client id "", as the filter does (its session's client id).
const lenient = (key: string, expected: Json, actual: Json): boolean =>
  (key === "records" && expected === "" && typeof actual === "string") || (key === "clientId" && expected === "" && actual === null);

/** Kafka keeps the tags it does not know, as the codecs do, but its converters do not print them. */
function withoutUnknownTags(j: Json): Json {
  if (Array.isArray(j)) return j.map(withoutUnknownTags);
  if (j === null || typeof j !== "object" || !(j.constructor === Object)) return j;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(j)) if (k !== "_unknownTaggedFields") out[k] = withoutUnknownTags(v);
  return out;
}

const failures: string[] = [];
/** Frames, and frames read apart, per group: a check each. */
const groups = new Map<string, { frames: number; apart: number }>();
const groupOf = (c: Case): string => c.what.includes(", ") ? "mutated twice" : c.what;
const tally = { bothRead: 0, neitherReads: 0, kafkaOnlyFlagged: 0, oursOnly: 0, viewWalked: 0 };

// The names in Kafka's reading, as the view records them: fields annotated with a topic name,
// group id or transactional id entityType, and topic ids (walk.ts; codegen/emit-views.ts).
const requestRoots = new Map<number, StructSpec>();
for (const m of loadMessages(schemaDir)) if (m.kind === "request" && m.apiKey !== null) requestRoots.set(m.apiKey, m.root);
const ENTITY_WORDS: Record<string, string> = { topicName: "topic", groupId: "group", transactionalId: "transactionalId" };
function namesIn(s: StructSpec, j: Json, out: string[]): string[] {
  if (j === null || typeof j !== "object" || Array.isArray(j)) return out;
  const o = j as { [k: string]: Json };
  for (const f of s.fields) {
    if (!(f.jsonName in o)) continue;
    const v = o[f.jsonName];
    const word = f.entityType !== null ? ENTITY_WORDS[f.entityType]
      : f.name === "TopicId" && f.type.kind === "primitive" && f.type.name === "uuid" ? "topicId" : undefined;
    const element = f.type.kind === "array" ? f.type.element : f.type;
    const values = f.type.kind === "array" ? (Array.isArray(v) ? v : []) : [v]; // a null array names nothing
    if (word !== undefined) for (const x of values) out.push(`${word} ${x === null ? "null" : String(x)}`);
    else if (element.kind === "struct") for (const x of values) namesIn(element.struct, x, out);
  }
  return out;
}
const oursOnly = new Map<string, number>();
const shown: string[] = []; // BROKER_READS_SHOW=1: what Kafka alone and the codecs alone read
for (let i = 0; i < cases.length; i++) {
  const c = cases[i];
  const k = parseLossless(kafka[i]) as { ok: boolean; header?: Json; body?: Json; error?: string };
  const json = codecs.readRequestAsBroker(new Uint8Array(c.frame));
  const ourError = codecs.error(), mayRead = codecs.brokerMayRead();
  const describe = (): string => `${c.what} (frame ${c.original}, api ${c.frame.readInt16BE(0)} v${c.frame.readInt16BE(2)}): ${c.frame.toString("base64")}`;
  let problem: string | null = null;
  if (k.ok && json !== "") {
    const d = firstDifference({ header: k.header!, body: k.body! }, withoutUnknownTags(parseLossless(json)), lenient);
    if (d) problem = `read apart from Kafka: ${d}`;
    else tally.bothRead++;
  } else if (k.ok) {
    if (mayRead) {
      tally.kafkaOnlyFlagged++;
      shown.push(`Kafka alone: ${ourError}; ${describe()}`);
    } else problem = `Kafka reads it, the codecs do not and do not say a broker may: ${ourError}`;
  } else if (json !== "") {
    tally.oursOnly++;
    const kind = String(k.error).split(":")[0];
    oursOnly.set(kind, (oursOnly.get(kind) ?? 0) + 1);
    shown.push(`the codecs alone (Kafka: ${k.error}); ${describe()}`);
  } else {
    tally.neitherReads++;
  }
  if (k.ok && problem === null) {
    const view = codecs.requestViewNames(new Uint8Array(c.frame));
    if (codecs.error() === "") {
      tally.viewWalked++;
      const expected = namesIn(requestRoots.get(c.frame.readInt16BE(0))!, k.body!, []).sort();
      const found = (JSON.parse(view) as string[]).sort();
      if (JSON.stringify(expected) !== JSON.stringify(found)) problem = `the view finds other names than Kafka reads: ${JSON.stringify(found)} against ${JSON.stringify(expected)}`;
    }
  }
  const g = groups.get(groupOf(c)) ?? { frames: 0, apart: 0 };
  groups.set(groupOf(c), g);
  g.frames++;
  if (problem !== null) {
    g.apart++;
    failures.push(`${problem}; ${describe()}`);
  }
}

console.log(`broker-reads: ${originals.length} frames (${fromOracle} oracle, ${originals.length - fromOracle} corpus), ${MUTANTS} mutants, seed ${SEED}, ${strings.length} UTF-8 client ids`);
console.log(`  both read alike ${tally.bothRead}, neither reads ${tally.neitherReads}, Kafka alone (flagged) ${tally.kafkaOnlyFlagged}, the codecs alone ${tally.oursOnly}`
  + (oursOnly.size > 0 ? ` (Kafka: ${[...oursOnly].map(([e, n]) => `${e} ${n}`).join(", ")})` : ""));
// ---- SASL: the user the filter takes once the broker accepts, against Kafka's SASL servers ----
const SASL_CASES = option("--sasl", 30000);
const pick = <T>(xs: T[]): T => xs[below(xs.length)];
/** The usual value most of the time (so that Kafka accepts many messages), else one of the others. */
const usually = <T>(usual: T, others: T[]): T => random() < 0.8 ? usual : pick(others);
const USERS = ["alice", "admin", "bob", "", "al=2Cice", "al=3Dice", "al=2cice", "al=ice", "al,ice", "=", "=3", "==", "é", "日本",
  "a\u0000b", "ad min", " alice", "alice ", "owner", "tok123"];
const edgeBytes = (): string => Buffer.from(Array.from({ length: 1 + below(3) }, () => UTF8_EDGES[below(UTF8_EDGES.length)])).toString("latin1");
/** A user name, sometimes with bytes at UTF-8's edges in it (latin1: one char per byte). */
const userName = (): string => {
  const u = Buffer.from(pick(USERS), "utf8").toString("latin1");
  return random() < 0.2 ? u.slice(0, below(u.length + 1)) + edgeBytes() + u.slice(below(u.length + 1)) : u;
};
const b64url = (text: string): string => Buffer.from(text, "utf8").toString("base64url");
const claimsOf = (): string => {
  // Fixed times (issued in 2023, expiring in 2096), so that a seed repeats its messages byte for byte.
  const issued = 1_700_000_000, expires = 4_000_000_000;
  const sub = (): string => usually(JSON.stringify(pick(USERS)), ["\"\\u0061lice\"", "\"\\ud800\"", "42", "null", "[\"alice\"]", "{\"a\":1}", "\"ad\\u006din\"", "\"a\\/b\""]);
  const parts = [`"sub":${sub()}`, `"exp":${expires}`, `"iat":${issued}`];
  if (random() < 0.2) parts.push(`"sub":${sub()}`);
  if (random() < 0.1) parts.splice(below(parts.length), 1);
  if (random() < 0.1) parts.push(`"scope":"x"`);
  let json = `{${parts.join(",")}}`;
  if (random() < 0.1) json = pick([" ", "\ufeff", "\n"]) + json;
  if (random() < 0.1) json += pick([" ", "x", "{}", "{\"sub\":\"admin\"}", ",", "\u0000"]);
  return json;
};
const SASL_MAKERS: Array<[string, () => string]> = [
  ["PLAIN", () => {
    const user = userName();
    const parts = [pick(["", user, userName()]), user, pick(["pw", "", "p\u0000w"])];
    if (random() < 0.15) parts.push(pick(["", "x"]));
    if (random() < 0.1) parts.splice(below(parts.length), 1);
    return parts.join("\u0000");
  }],
  ["SCRAM-SHA-256", () => {
    const user = userName();
    const gs2 = usually("n,,", [`n,a=${user},`, `n,a=${userName()},`, "y,,", "p=tls-unique,,", "n,a=,"]);
    const reserved = random() < 0.1 ? "m=x," : "";
    const extension = random() < 0.3 ? pick([",tokenauth=true", ",tokenauth=false", ",foo=bar", ",n=admin", ",tokenauth=true,x=y"]) : "";
    const nonce = usually("r0N/Ce", ["abc", "a,b", "", "ab c", "é"]);
    let m = `${gs2}${reserved}n=${user},r=${nonce}${extension}`;
    if (random() < 0.1) m = m.replace(",r=", pick([",", ",n=x,r="]));
    return m;
  }],
  ["OAUTHBEARER", () => {
    const header = b64url(usually("{\"alg\":\"none\"}", ["{\"alg\":\"HS256\"}", "{}", "{\"alg\":\"none\",\"alg\":\"x\"}"]));
    let payload = b64url(claimsOf());
    if (random() < 0.1) payload = pick([payload + "=", payload.replace(/-/g, "+"), payload + "!", payload.slice(0, -1)]);
    const token = usually(`${header}.${payload}.`, [`${header}.${payload}`, `${header}.${payload}.sig`, `${header}.${payload}..`, ` ${header}.${payload}.`]);
    const authzid = usually("", [`a=${pick(USERS)}`, "a=", "x=y"]);
    const scheme = usually("Bearer ", ["bearer ", "Bearer  ", "Bearer\t", "BEARER ", "Bearer"]);
    const kv = usually("", ["host=h\u0001", "auth=Bearer x\u0001", "port=1\u0001"]);
    const tail = usually("\u0001\u0001", ["\u0001", "\u0001\u0001x", "\u0001x=y\u0001\u0001"]);
    return `n,${authzid},\u0001${kv}auth=${scheme}${token}${tail}`;
  }],
];
interface SaslCase { mechanism: string; message: Buffer }
const saslCases: SaslCase[] = [];
for (let n = 0; n < SASL_CASES; n++) {
  const [mechanism, make] = SASL_MAKERS[n % SASL_MAKERS.length];
  // Characters below 256 stand for bytes (userName's edge bytes); the rest are written in UTF-8.
  const text = make();
  const message = /^[\u0000-\u00ff]*$/.test(text) ? Buffer.from(text, "latin1") : Buffer.from(text, "utf8");
  saslCases.push({ mechanism: mechanism === "SCRAM-SHA-256" && random() < 0.5 ? "SCRAM-SHA-512" : mechanism, message });
}
const kafkaUsers = askKafka("BrokerSasl", saslCases.map((c) => `${c.mechanism} ${c.message.toString("base64")}`));
const saslTally = { accepted: 0, alike: 0, unread: 0 };
const acceptedBy = new Map<string, number>();
for (let i = 0; i < saslCases.length; i++) {
  const c = saslCases[i];
  const group = `SASL ${c.mechanism.replace(/-\d+$/, "")}`;
  const g = groups.get(group) ?? { frames: 0, apart: 0 };
  groups.set(group, g);
  g.frames++;
  if (kafkaUsers[i] === "-") continue;
  saslTally.accepted++;
  acceptedBy.set(group, (acceptedBy.get(group) ?? 0) + 1);
  const theirs = Buffer.from(kafkaUsers[i], "base64").toString("utf8");
  const ours = codecs.saslUser(c.mechanism, new Uint8Array(c.message));
  if (ours === theirs) saslTally.alike++;
  else if (ours === "") { // the filter closes such a connection: no principal taken
    saslTally.unread++;
    shown.push(`${c.mechanism}: Kafka authenticates ${JSON.stringify(theirs)}, the filter reads none; ${JSON.stringify(c.message.toString("latin1"))}`);
  }
  else {
    g.apart++;
    failures.push(`${c.mechanism}: Kafka authenticates ${JSON.stringify(theirs)}, the filter would take ${JSON.stringify(ours)}; ${c.message.toString("base64")}`);
  }
}

if (process.env.BROKER_READS_SHOW) for (const e of shown) console.log(e);
for (const f of failures.slice(0, 20)) console.log(`FAIL ${f}`);
if (failures.length > 20) console.log(`... and ${failures.length - 20} more`);
let passed = 0, failed = 0;
console.log(`  SASL: ${saslCases.length} first messages, Kafka accepts ${saslTally.accepted} (${[...acceptedBy].map(([m, n]) => `${m.slice(5)} ${n}`).join(", ")}):`
  + ` the filter takes the same user for ${saslTally.alike}, none (it closes) for ${saslTally.unread}`);
console.log(`  the view walked ${tally.viewWalked} of the frames Kafka reads; every frame passed found the names Kafka reads`);
for (const [name, g] of [...groups].sort()) {
  console.log(`  ${g.apart === 0 ? "ok  " : "FAIL"} ${name}: ${g.frames} frames${g.apart > 0 ? `, ${g.apart} read apart` : ""}`);
  if (g.apart === 0) passed++;
  else failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
