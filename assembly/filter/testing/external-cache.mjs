// The cache of external decisions (external.ts), under the mock Envoy host, against a client
// that asks many questions or long ones. A question's key holds the resource's name as the
// client sent it, up to 32,767 characters, and the cache was bounded by entries only: on
// 261e0b7, 1,000 answers about such names grew a VM by 556 MiB and kept most of it after the
// client left; and when the cache filled (maxCacheEntries) it started again empty, so a client
// asking 10,000 questions made every other client's answers be asked again. Now:
//   - 5,000 answers about names of 32,000 characters grow the VM by less than 256 MiB;
//   - an answer asked again while another client floods the cache with 24,000 questions is
//     still answered from the cache.
//
//   node assembly/filter/testing/external-cache.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { i32, sized, metadataV1 } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();
const MiB = (n) => (n / 1048576).toFixed(0) + " MiB";

/** The broker's Metadata v1 answer to the emptied request: no brokers, controller 1, no topics. */
const emptyAnswer = (corr) => sized(Buffer.concat([i32(corr), i32(0), i32(1), i32(0)]));

function start() {
  const config = JSON.stringify({ external: { cluster: "opa", timeoutMs: 500, cacheTtlMs: 600000, failOpen: false } });
  const h = new Host(WASM, { config });
  if (h.start() !== 1 || h.addRoot(2, "kafka_resume") !== 1) throw new Error("configure: " + JSON.stringify(h.logs.slice(-2)));
  let next = 100;
  h.client = () => {
    const g = next++, id = next++;
    return h.connect(id, { "source.address": "10.0.0.7:40000", "destination.address": "127.0.0.1:19096", plugin_name: "kafka-opa" },
      { before: [{ id: g, root: 2 }] });
  };
  /** `c` asks about `names` (Metadata `corr`); the service answers `allowed` to every call. */
  h.ask = (c, corr, names, allowed) => {
    c.feed(DOWNSTREAM, metadataV1(corr, names));
    while (h.pendingCalls().length) for (const call of h.pendingCalls()) h.answer(call.token, { body: { result: allowed } });
    c.feed(UPSTREAM, emptyAnswer(corr));
  };
  return h;
}

let name = 0;
const fresh = (length) => { const tag = (name++).toString(36); return "x".repeat(length - tag.length) + tag; };

// Long names.
{
  const h = start();
  const c = h.client();
  const before = h.x.memory.buffer.byteLength;
  for (let r = 0; r < 100; r++) h.ask(c, 1000 + r, Array.from({ length: 50 }, () => fresh(32000)), false);
  const grown = h.x.memory.buffer.byteLength - before;
  check("the service was asked about each name", h.httpCalls.length >= 5000, `${h.httpCalls.length} calls`);
  check("5,000 answers about names of 32,000 characters grow the VM by less than 256 MiB", grown < 256 * 1048576, MiB(grown));
  if (process.env.VERBOSE) console.log(`grown ${MiB(grown)}`);
}

// Another client floods the cache; an answer asked meanwhile stays.
{
  const h = start();
  const victim = h.client();
  h.ask(victim, 1, ["orders"], true);
  const flooder = h.client();
  let corr = 10;
  let kept = 0;
  for (let round = 0; round < 4; round++) {
    for (let r = 0; r < 6; r++) h.ask(flooder, corr++, Array.from({ length: 1000 }, () => fresh(12)), false);
    const calls = h.httpCalls.length;
    h.ask(victim, corr++, ["orders"], true);
    if (h.httpCalls.length === calls) kept++;
  }
  check("an answer asked again between floods of 6,000 questions (24,000 in all) is answered from the cache each time", kept === 4, `${kept} of 4`);
}

done();
