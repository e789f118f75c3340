// What a TLS client certificate's subject costs the VM to name (enforce/tls-principal.ts),
// counted: build/filter-work.wasm calls env.log_execution at every function entry and loop
// iteration, and the VM's memory shows what its copies left behind (the minimal runtime
// collects only between callbacks, so every string a naming makes stays until it returns).
//
// The subject is Envoy's connection.subject_peer_certificate, from a certificate a trusted CA
// signed, but its length is the CA's to allow: a CN of 16,000 characters, 4,000 RDNs, a title
// (a DirectoryString, written in each of its five encodings) of 4,000. Their naming appended
// to strings one character (or one attribute, or one hex pair) at a time, each append copying
// all before it: memory grew with the square of the subject (a 4,000-character title: 1 GiB
// in one callback on the build of b2558d3; twice that would pass 4 GiB and trap the VM, every
// connection of the worker with it). For each shape, at 1x and 8x: work within 10x (linear,
// 8x), and the memory grown at 8x at most 4 KiB per character of the subject.
//
//   node assembly/filter/testing/subject-costs.mjs [build/filter-work.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { i16, i32, sized } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter-work.wasm";
const { check, done } = checker();

const apiVersions = sized(Buffer.concat([i16(18), i16(0), i32(1), i16(7), Buffer.from("subject")]));

const shapes = [
  ["a long CN", (m) => "CN=" + "a".repeat(2000 * m) + ",O=x"],
  ["many RDNs", (m) => Array.from({ length: 500 * m }, (_, i) => "OU=u" + i).join(",") + ",CN=a"],
  ["a multi-valued RDN", (m) => Array.from({ length: 500 * m }, (_, i) => "OU=u" + i).join("+") + ",CN=a"],
  ["a CN of escapes", (m) => "CN=" + "\\,".repeat(1000 * m)],
  ["a long emailAddress (an OID and DER in Java's name)", (m) => "CN=a,emailAddress=" + "e".repeat(1000 * m)],
  ["a long title (a DirectoryString: five encodings)", (m) => "CN=a,title=" + "t".repeat(500 * m)],
];

/** Work and memory grown naming `subject` on a new connection's first request. */
function naming(subject) {
  let entries = 0;
  const h = new Host(WASM, { config: JSON.stringify({ allowEveryoneIfNoAclFound: true }), imports: { env: { log_execution: () => { entries++; } } } });
  if (!h.start()) throw new Error("configure failed");
  const before = h.x.memory.buffer.byteLength;
  entries = 0;
  const c = h.connect(9, { "source.address": "10.0.0.9:1", "connection.subject_peer_certificate": subject, "connection.mtls": Buffer.from([1]) });
  c.feed(DOWNSTREAM, apiVersions);
  return { work: entries, grown: h.x.memory.buffer.byteLength - before };
}

for (const [what, subject] of shapes) {
  const small = naming(subject(1)), large = naming(subject(8));
  const chars = subject(8).length;
  check(`${what}: work naming 8x the subject within 10x of 1x`, large.work / small.work < 10,
    `${large.work} against ${small.work} (x${(large.work / small.work).toFixed(1)})`);
  check(`${what}: memory grown naming a subject of ${chars} characters at most 4 KiB a character`, large.grown <= 4096 * chars,
    `${(large.grown / 1048576).toFixed(1)} MiB (${(large.grown / chars).toFixed(0)} bytes a character)`);
}

done();
