// Garbage that many small requests leave, counted towards the next collection, under the mock
// Envoy host. A VM collects only at safe points, when a collection is due (runtime/collect.ts),
// and its memory never shrinks. The framer counted a frame's bytes as its garbage, but a frame of
// small elements leaves some 100 times its size: a refused Produce partition is 6 bytes on the
// wire and some 600 bytes of objects, answer and audit record. So a client pipelining such frames
// filled the heap many times over before a collection came due, each fill doubling it: on
// 9e2537e, 300 Produce v13 frames of 2,000 partitions of an unknown topic id (12 KB each, 3.6 MB
// in all) grew a VM by 128 MiB (37 bytes per frame byte), where one alone grows it by 1.5 MiB.
// Elements read now count too (runtime/collect.ts noteElementsRead). Checked:
//   1. each frame is answered (every partition refused, UNKNOWN_TOPIC_ID);
//   2. the VM grows by less than 4 bytes per byte of all the frames (about 1 on the fix);
//   3. the same for 300 Metadata v1 requests of 2,000 refused names each.
//
//   node assembly/filter/testing/pipelined-garbage.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { i16, i32, uvarint, sized, metadataResponseTopics } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();
const FRAMES = 300;
const MAX_GROWTH_PER_BYTE = 4;

/** Produce v13 naming one topic id no broker answer told, with `n` empty partitions. */
function produceV13(corr, n) {
  const tags = uvarint(0);
  const id = Buffer.alloc(16);
  id.writeUInt32BE(77, 12);
  const parts = [i16(0), i16(13), i32(corr), i16(1), Buffer.from("p"), tags, uvarint(0), i16(-1), i32(30000), uvarint(2), id, uvarint(n + 1)];
  for (let k = 0; k < n; k++) parts.push(i32(k), uvarint(1), tags);
  parts.push(tags, tags);
  return sized(Buffer.concat(parts));
}

/** Metadata v1 naming `n` topics no ACL allows. */
function metadataV1(corr, n) {
  const names = Array.from({ length: n }, (_, k) => `no.${k}`);
  const header = Buffer.concat([i16(3), i16(1), i32(corr), i16(1), Buffer.from("m")]);
  return sized(Buffer.concat([header, i32(n), ...names.map((s) => Buffer.concat([i16(s.length), Buffer.from(s)]))]));
}

/**
 * The broker: answers each request gone upstream since the last call, the filter's own
 * Metadata v12 (a topic id lookup) and the client's Metadata v1 (its refused names taken out),
 * naming no topic, so that nothing waits and what the VM keeps is garbage only.
 */
const answeredUpTo = new WeakMap();
function answerBroker(c) {
  const up = c.output(DOWNSTREAM);
  for (let at = answeredUpTo.get(c) ?? 0; at + 4 <= up.length; at += 4 + up.readInt32BE(at)) {
    const [apiKey, version, corr] = [up.readInt16BE(at + 4), up.readInt16BE(at + 6), up.readInt32BE(at + 8)];
    answeredUpTo.set(c, at + 4 + up.readInt32BE(at));
    if (apiKey !== 3) throw new Error(`unexpected request upstream: api key ${apiKey}`);
    c.feed(UPSTREAM, version >= 12 ? metadataResponseTopics(corr, []) : sized(Buffer.concat([i32(corr), i32(0), i32(1), i32(0)])));
  }
}

const policy = JSON.stringify({ allowEveryoneIfNoAclFound: false });

function pipelined(what, make) {
  const h = new Host(WASM, { config: policy });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-1)));
  const c = h.connect(2);
  // Warmed up: the first frame's own growth (scratch memory kept for chunks) is not what is measured.
  c.feed(DOWNSTREAM, make(1));
  answerBroker(c);
  const before = h.x.memory.buffer.byteLength;
  let bytes = 0;
  let trap = null;
  try {
    for (let i = 0; i < FRAMES && !c.closed; i++) {
      const f = make(2 + i);
      bytes += f.length;
      c.feed(DOWNSTREAM, f);
      answerBroker(c);
    }
  } catch (e) { trap = String(e).slice(0, 200); }
  const grown = h.x.memory.buffer.byteLength - before;
  const answers = h.metric("kafka.denials_total");
  check(`${what}: no trap, not closed`, trap === null && !c.closed, trap ?? h.logs.slice(-1).map((l) => l.msg).join(""));
  const out = c.output(UPSTREAM);
  let answered = 0;
  for (let at = 0; at + 4 <= out.length; at += 4 + out.readInt32BE(at)) answered++;
  check(`${what}: each frame answered`, answered === FRAMES + 1, `${answered} answers`);
  const perByte = grown / bytes;
  check(`${what}: ${FRAMES} frames of ${(bytes / FRAMES / 1000).toFixed(0)} KB grow the VM by less than ${MAX_GROWTH_PER_BYTE} bytes per frame byte`,
    perByte < MAX_GROWTH_PER_BYTE, `${(grown / 2 ** 20).toFixed(0)} MiB for ${(bytes / 2 ** 20).toFixed(1)} MiB: ${perByte.toFixed(1)} per byte`);
  if (process.env.VERBOSE) console.log(`${what}: +${(grown / 2 ** 20).toFixed(1)} MiB for ${(bytes / 2 ** 20).toFixed(1)} MiB (${perByte.toFixed(2)}/B), denials ${answers}`);
}

pipelined("Produce v13, 2,000 partitions of an unknown topic id", (corr) => produceV13(corr, 2000));
pipelined("Metadata v1, 2,000 refused names", (corr) => metadataV1(corr, 2000));

done();
