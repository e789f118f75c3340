// A name that needs escaping, written into the question sent to the policy service, under the
// mock Envoy host. JsonWriter's quote() joined its pieces with Array.join(""), which in
// AssemblyScript 0.27 copies quadratically: on 47118a7 one Metadata request from any client,
// naming one topic of 32,760 U+0001 characters, grew the VM to 4 GiB and trapped it (every
// connection of the Envoy worker gone); 4,000 such characters grew it by 128 MiB. Now:
//   - the question about it is asked, its JSON body names the topic exactly;
//   - the VM grows by less than 16 MiB.
//
//   node assembly/filter/testing/external-escapes.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { i16, i32, sized } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();

function metadataV1(corr, names) {
  const header = Buffer.concat([i16(3), i16(1), i32(corr), i16(4), Buffer.from("test")]);
  return sized(Buffer.concat([header, i32(names.length), ...names.map((s) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]))]));
}

const config = JSON.stringify({ external: { cluster: "opa", timeoutMs: 500, cacheTtlMs: 600000, failOpen: false } });
const h = new Host(WASM, { config });
if (h.start() !== 1 || h.addRoot(2, "kafka_resume") !== 1) throw new Error("configure: " + JSON.stringify(h.logs.slice(-2)));
const c = h.connect(101, { "source.address": "10.0.0.7:40000", "destination.address": "127.0.0.1:19096", plugin_name: "kafka-opa" },
  { before: [{ id: 100, root: 2 }] });
const name = "\u0001".repeat(32760) + "\"\\\u0000";
const before = h.x.memory.buffer.byteLength;
let trap = null;
try { c.feed(DOWNSTREAM, metadataV1(1, [name])); } catch (e) { trap = e; }
const grown = h.x.memory.buffer.byteLength - before;
check("no trap", trap === null, String(trap));
const asked = h.httpCalls.map((call) => { try { return JSON.parse(call.body.toString()).input.kafka.resource.name; } catch { return null; } });
check("the service is asked about the name, written exactly", asked.includes(name), `${h.httpCalls.length} calls`);
check("the VM grows by less than 16 MiB", grown < 16 * 1048576, `${(grown / 1048576).toFixed(0)} MiB`);

done();
