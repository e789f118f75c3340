// What a request header costs the VM to read before a frame is decided, counted: build/filter-work.wasm
// calls env.log_execution at every function entry and loop iteration.
//
// A Produce v9+ header ends with tagged fields, as many as a client likes (tag 0, size 0: two
// bytes each), and the filter reads the header up to acks before it decides. It asks how many
// bytes the header needs, and asks again when more arrive; each ask reads from the start, and
// each tagged field makes the answer a byte more. Asked at every read, a header sent in small
// reads cost the square of its length: on ff6cbb2, 10,000 tags in 16-byte reads held in the VM
// cost 63x the work of 1,250 (745 million entries), and decided in place, where the header was
// asked about a byte at a time even in one read, 13,600x (672 million; a 64 KiB header held a
// worker 7.7 s). Now each new ask waits for twice the bytes (5.6x to 8.0x), and a section of
// over 10,000 tagged fields is refused, as Kafka 4.4 refuses it. For each way a frame is read,
// 1,250 and 10,000 tags: 8x the tags within 12x the work (linear: 8x, plus the reads' own
// work); and 10,001 closes the connection, nothing sent on. On ff6cbb2, 7 of these 12 fail.
//
//   node assembly/filter/testing/header-costs.mjs [build/filter-work.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { produce, batch, uvarint } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter-work.wasm";
const { check, done } = checker();

const READ = 16;
const ways = [
  // [what, filter settings, bytes per read]
  ["held in the VM, in 16-byte reads", { inEnvoyFrameBytes: 0, inPlaceFrameBytes: 0 }, READ],
  ["left in Envoy's buffer, in 16-byte reads", { inEnvoyFrameBytes: 8 << 20, inPlaceFrameBytes: 0 }, READ],
  ["decided in place, in one read", { inEnvoyFrameBytes: 8 << 20, inPlaceFrameBytes: 1024 }, 0],
  ["decided in place, in 16-byte reads", { inEnvoyFrameBytes: 8 << 20, inPlaceFrameBytes: 1024 }, READ],
];

/** A Produce v12 to "t" whose header carries `n` empty tagged fields. */
const frame = (n) => produce(1, "t", [batch(1, 64)], { headerTags: Buffer.concat([uvarint(n), Buffer.alloc(2 * n)]) });

/** Work reading `f` in `read`-byte pieces (0: at once) on a new connection; what reached the broker. */
function cost(filter, f, read) {
  let entries = 0;
  const h = new Host(WASM, { config: JSON.stringify({ allowEveryoneIfNoAclFound: true, filter }), imports: { env: { log_execution: () => { entries++; } } } });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-3)));
  const c = h.connect(2);
  entries = 0;
  if (read === 0) c.feed(DOWNSTREAM, f);
  else for (let at = 0; at < f.length && !c.closed; at += read) c.feed(DOWNSTREAM, f.subarray(at, at + read));
  return { work: entries, sent: c.output(DOWNSTREAM), closed: c.closed };
}

for (const [what, filter, read] of ways) {
  const small = frame(1250), large = frame(10000); // 10,000: Kafka's maximum (protocol/reader.ts)
  const a = cost(filter, small, read), b = cost(filter, large, read);
  check(`${what}: the frame of 10,000 header tags goes on to the broker as it came`, !b.closed && b.sent.equals(large), `closed ${b.closed}, ${b.sent.length} of ${large.length} bytes sent`);
  check(`${what}: work for 8x the header tags within 12x`, b.work / a.work < 12,
    `${b.work} against ${a.work} (x${(b.work / a.work).toFixed(1)})`);
  console.log(`${what}: ${a.work} and ${b.work}`);
}

for (const [what, filter, read] of ways) {
  const over = cost(filter, frame(10001), read);
  check(`${what}: 10,001 header tags close the connection, nothing sent on`, over.closed && over.sent.length === 0, `closed ${over.closed}, ${over.sent.length} bytes sent`);
}

done();
