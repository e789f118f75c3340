// What a client can choose to make a VM spend, counted: build/filter-work.wasm calls
// env.log_execution at every function entry and loop iteration (binaryen's log-execution pass),
// so the work of one request is the same on any machine under any load.
//
// 1. Names chosen to share a hash bucket cost no more than any names. AssemblyScript's Map and
//    Set keep no hash per entry and walk a bucket comparing keys; their stock string hash was
//    unkeyed (XXH32, seed 0), so a request naming thousands of names that share one cost the
//    square of their count (a Metadata request of 80,000 such names held a VM 44 s on the build
//    of 55a8663). The std library is patched (patches/assemblyscript+0.27.37.patch: SipHash-1-3
//    keyed per VM, runtime/hash-seed.ts). For each request shape, N names that collide under the
//    stock hash against N ordinary names of the same length: within 1.5x, at two sizes.
// 2. A TLS client certificate subject chosen to make ssl.principal.mapping.rules backtrack
//    (Kafka's documented rules, a subject with no C=): its naming stops at the step budget, and
//    a client reconnecting with it is named from the VM's memory of it (55a8663 named it again
//    at every connection, 145-270 ms each in Node), whichever listener it alternates with.
// 3. Refused names chosen to share the refusal log's kind hash cost no more than any names. The
//    refusals past audit.refusalsLoggedPerSecond are summed up by kind, kinds found by a hash of
//    their parts and chained when it is equal; that hash was an unkeyed FNV-1a (261e0b7), so each
//    such name was compared with every kind of a 100-long chain (4.8 times the work). Now each
//    part is hashed with the runtime's keyed hash.
// 4. Names checked against many ACLs of one pattern, each about another principal or host (a
//    LITERAL "*" or a short prefix granted per service and address) cost what they cost against
//    a few. Each check picked the ACLs about the client from all of the pattern's (a Metadata
//    request of 40,000 names against 4,000 such ACLs held a VM 4.5 s on 47118a7); now a
//    client's are picked once per pattern (policy/acl.ts ClientAcls). What 4,000 more names
//    cost against 4,000 such ACLs: within 1.5x of against 40, for a wildcard and for a prefix.
// 5. Requests pipelined in one chunk cost what each costs alone, however many wait for the
//    broker's answers (up to a raised filter.maxInFlight). A collection comes every few hundred
//    frames and walks what the waiting requests hold; the pacing did not count them, so a chunk
//    of 16,000 refused Metadata requests did 4 times the work per request of one of 1,000 (186
//    million on 47118a7). Work per request of 16,000 within 1.5x of 2,000's.
//
//   node assembly/filter/testing/chosen-costs.mjs [build/filter-work.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { i16, i32, sized } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter-work.wasm";
const { check, done } = checker();

// ---- AssemblyScript's stock string hash, and names it gives one value ----
const P1 = 2654435761, P2 = 2246822519;
const mul = (a, b) => Math.imul(a, b) >>> 0;
const rotl = (x, r) => ((x << r) | (x >>> (32 - r))) >>> 0;
const rotr = (x, r) => ((x >>> r) | (x << (32 - r))) >>> 0;
const lane = (h, k) => mul(rotl((h + mul(k, P2)) >>> 0, 13), P1);
/** The inverse of odd `a` modulo 2^32 (Newton's iteration). */
function inverse(a) { let x = a; for (let i = 0; i < 5; i++) x = mul(x, (2 - mul(a, x)) >>> 0); return x; }
const iP1 = inverse(P1), iP2 = inverse(P2);

/**
 * `n` names of 16 UTF-16 units (ASCII, then units that are no surrogates) whose four XXH32
 * lanes all end in the same state after the stock hash's one 16-byte block: equal hashes.
 * Each name's first 8 units are its own; the last 8 are solved for, lane by lane.
 */
function collidingNames(n) {
  const target = [0x12345678, 0x9abcdef0, 0x0badf00d, 0x600dcafe];
  const seeds = [(P1 + P2) >>> 0, P2, 0, (0 - P1) >>> 0];
  const out = [];
  for (let i = 0; out.length < n; i++) {
    const head = ("t" + i.toString(36)).padStart(8, "_");
    const fix = [];
    for (let l = 0; l < 4; l++) {
      // Lane l takes units 2l and 2l+1 of the head in the first block, of the fix-up in the second.
      const word = (head.charCodeAt(2 * l) | (head.charCodeAt(2 * l + 1) << 16)) >>> 0;
      const after = lane(seeds[l], word);
      const k = mul((rotr(mul(target[l], iP1), 13) - after) >>> 0, iP2);
      fix.push(k & 0xffff, k >>> 16);
    }
    if (fix.some((u) => u >= 0xd800 && u <= 0xdfff)) continue;
    out.push(head + String.fromCharCode(...fix));
  }
  return out;
}
/** `n` ordinary names of the same length. */
const ordinaryNames = (n) => Array.from({ length: n }, (_, i) => ("o" + i.toString(36)).padStart(16, "_"));

// ---- requests ----
const utf8 = (s) => Buffer.from(s, "utf8");
const str = (s) => { const b = utf8(s); return Buffer.concat([i16(b.length), b]); };
function request(apiKey, version, body) {
  return sized(Buffer.concat([i16(apiKey), i16(version), i32(1), str("flood"), body]));
}
/** Metadata v1 naming `names` (refused: the policy grants nothing). */
const metadata = (names) => request(3, 1, Buffer.concat([i32(names.length), ...names.map(str)]));
/** DeleteGroups v1 naming `names` (Kafka deduplicates them first: a set of client strings). */
const deleteGroups = (names) => request(42, 1, Buffer.concat([i32(names.length), ...names.map(str)]));

const POLICY = JSON.stringify({ allowEveryoneIfNoAclFound: false, acls: [] });
function work(frame) {
  let entries = 0;
  const h = new Host(WASM, { config: POLICY, imports: { env: { log_execution: () => { entries++; } } } });
  if (!h.start()) throw new Error("configure failed");
  const c = h.connect(9);
  entries = 0;
  c.feed(DOWNSTREAM, frame);
  return entries;
}

for (const [what, make] of [["Metadata v1", metadata], ["DeleteGroups v1", deleteGroups]]) {
  for (const n of [4000, 16000]) {
    const colliding = work(make(collidingNames(n)));
    const ordinary = work(make(ordinaryNames(n)));
    const ratio = colliding / ordinary;
    check(`${what}, ${n} names sharing a stock hash: work within 1.5x of ${n} ordinary names`, ratio < 1.5,
      `${colliding} against ${ordinary} (x${ratio.toFixed(1)})`);
  }
}

// ---- 3. refused names sharing the refusal log's old kind hash (FNV-1a, unkeyed) ----
{
  const P = 16777619;
  const step = (h, c) => mul((h ^ c) >>> 0, P);
  const hashInto = (h, text) => { for (let i = 0; i < text.length; i++) h = step(h, text.charCodeAt(i)); return mul((h ^ text.length) >>> 0, P); };
  // What was hashed before the name: enforcing, the principal, the client's host, the API, the resource type.
  let before = 0x811c9dc5;
  for (const part of ["User:ANONYMOUS", "10.0.0.9", "Metadata", "TOPIC"]) before = hashInto(before, part);
  const L = 2000, common = "k".repeat(L - 8);
  let afterCommon = before;
  for (let i = 0; i < common.length; i++) afterCommon = step(afterCommon, common.charCodeAt(i));
  const usable = (c) => c >= 0x20 && c !== 0x7f && !(c >= 0xd800 && c <= 0xdfff) && c !== 0xfffd && c !== 0xfeff;
  /** `n` names of L units: a common prefix, a 6-unit tag, two units solved to reach one FNV-1a state. */
  const sharingKindHash = (n) => {
    const target = mul(0x1234abcd, inverse(P)); // the state before the last step's multiply
    const out = [];
    for (let t = 0; out.length < n; t++) {
      const tag = t.toString(36).padStart(6, "0");
      let h = afterCommon;
      for (let i = 0; i < 6; i++) h = step(h, tag.charCodeAt(i));
      for (let c1 = 0x20; c1 < 0x10000; c1++) {
        const x = mul((h ^ c1) >>> 0, P);
        if ((x >>> 16) !== (target >>> 16)) continue;
        const c2 = (x ^ target) & 0xffff;
        if (usable(c1) && usable(c2)) { out.push(common + tag + String.fromCharCode(c1, c2)); break; }
      }
    }
    return out;
  };
  const plainNames = (n) => Array.from({ length: n }, (_, t) => common + t.toString(36).padStart(6, "0") + "zz");
  const refusedWork = (names) => {
    let entries = 0;
    const h = new Host(WASM, { config: POLICY, imports: { env: { log_execution: () => { entries++; } } } });
    if (!h.start()) throw new Error("configure failed");
    const c = h.connect(9, { "source.address": "10.0.0.9:1" });
    entries = 0;
    c.feed(DOWNSTREAM, metadata(names));
    return entries;
  };
  const n = 1000;
  const colliding = refusedWork(sharingKindHash(n)), ordinary = refusedWork(plainNames(n));
  check(`Metadata v1, ${n} refused names sharing the old kind hash: work within 1.5x of ${n} ordinary names`, colliding / ordinary < 1.5,
    `${colliding} against ${ordinary} (x${(colliding / ordinary).toFixed(1)})`);
}

// ---- 2. a subject that makes the mapping rules backtrack ----
{
  const rules = "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L," +
    "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT";
  let entries = 0;
  const h = new Host(WASM, { config: JSON.stringify({ allowEveryoneIfNoAclFound: true, filter: { sslPrincipalMappingRules: rules } }),
    imports: { env: { log_execution: () => { entries++; } } } });
  if (!h.start()) throw new Error("configure failed");
  // A second listener's configuration (its own rules, the same text) in the same VM.
  if (h.addRoot(3, "kafka", JSON.stringify({ allowEveryoneIfNoAclFound: true, filter: { sslPrincipalMappingRules: rules } })) !== 1) throw new Error("second root");
  const connectAs = (id, subject, root = 1) => {
    const c = h.connect(id, { "source.address": "10.0.0.9:1", "connection.subject_peer_certificate": subject, "connection.mtls": Buffer.from([1]) }, { root });
    entries = 0;
    c.feed(DOWNSTREAM, request(18, 0, Buffer.alloc(0)));
    return { work: entries, closed: c.closed };
  };
  const plain = connectAs(100, "CN=alice,OU=eng,O=org,L=x,ST=y,C=US");
  const subject = "CN=a," + "OU=a,O=a,L=a,ST=a,".repeat(40) + "UID=b";
  const first = connectAs(101, subject);
  const again = connectAs(102, subject);
  check("a backtracking subject's naming stops at the step budget (the connection refused)", first.closed && first.work < 40_000_000,
    `${first.work} (an ordinary subject: ${plain.work}), closed ${first.closed}`);
  check("the same subject again is named from memory", again.closed && again.work < plain.work * 3,
    `${again.work} against ${first.work} the first time (an ordinary subject: ${plain.work})`);
  // Through the other listener, then the first again: each listener's names are kept apart.
  connectAs(103, subject, 3);
  const back = connectAs(104, subject);
  check("connections alternating between two listeners' rules do not forget the names", back.closed && back.work < plain.work * 3,
    `${back.work} (an ordinary subject: ${plain.work})`);
}

// ---- 4. many ACLs of one pattern, none about the client ----
{
  const aclsOf = (k, name, patternType) => Array.from({ length: k }, (_, i) => ({
    principal: "User:svc-" + String(i).padStart(6, "0"), host: "10." + (i % 200) + ".0.0/16", resourceType: "TOPIC",
    resourceName: name, resourcePatternType: patternType, operation: "READ", permissionType: "ALLOW",
  }));
  const checkedWork = (acls, names) => {
    let entries = 0;
    const h = new Host(WASM, { config: JSON.stringify({ allowEveryoneIfNoAclFound: false, acls }),
      imports: { env: { log_execution: () => { entries++; } } } });
    if (!h.start()) throw new Error("configure failed");
    const c = h.connect(9, { "source.address": "10.250.0.9:1" });
    entries = 0;
    c.feed(DOWNSTREAM, metadata(names));
    return entries;
  };
  const names = (n) => Array.from({ length: n }, (_, i) => "t" + i);
  // What 4,000 more names cost: the picking and the configuration's walk by a collection cost
  // the same at any count of names.
  const more = (acls) => checkedWork(acls, names(8000)) - checkedWork(acls, names(4000));
  for (const [what, name, patternType] of [["LITERAL \"*\"", "*", "LITERAL"], ["PREFIXED \"t\"", "t", "PREFIXED"]]) {
    const many = more(aclsOf(4000, name, patternType)), few = more(aclsOf(40, name, patternType));
    check(`Metadata v1, 4000 more names against 4000 ${what} ACLs about others: work within 1.5x of against 40`, many / few < 1.5,
      `${many} against ${few} (x${(many / few).toFixed(1)})`);
  }
}

// ---- 5. many requests waiting in one chunk ----
{
  const pipelined = (n) => {
    let entries = 0;
    const h = new Host(WASM, { config: JSON.stringify({ allowEveryoneIfNoAclFound: false, filter: { maxInFlight: 1 << 20 } }),
      imports: { env: { log_execution: () => { entries++; } } } });
    if (!h.start()) throw new Error("configure failed");
    const c = h.connect(9, { "source.address": "10.0.0.9:1" });
    const frames = Array.from({ length: n }, (_, i) => sized(Buffer.concat([i16(3), i16(1), i32(i + 1), str("flood"), i32(1), str("t" + i)])));
    entries = 0;
    c.feed(DOWNSTREAM, Buffer.concat(frames));
    return entries / n;
  };
  const few = pipelined(2000), many = pipelined(16000);
  check("16,000 refused Metadata requests in one chunk: work per request within 1.5x of 2,000's", many / few < 1.5,
    `${many.toFixed(0)} against ${few.toFixed(0)} (x${(many / few).toFixed(2)})`);
}

done();
