// A name that needs escaping, written into the question sent to the policy service, under the
// mock Envoy host. JsonWriter's quote() joined its pieces with Array.join(""), which in
// AssemblyScript 0.27 copies quadratically: on 47118a7 one Metadata request from any client,
// naming one topic of 32,760 U+0001 characters, grew the VM to 4 GiB and trapped it (every
// connection of the Envoy worker gone); 4,000 such characters grew it by 128 MiB. Every
// Array.join in the module was so (runtime/strings.ts): the service's answer is read with one
// too, and a reason that echoes such a name (`sprintf("no rule for %s", [input...name])`)
// did the same on the way back. Now:
//   - the question about it is asked, its JSON body names the topic exactly;
//   - the VM grows by less than 16 MiB;
//   - an answer whose reason holds 30,000 escapes decides (a denial), the VM grows by less
//     than 16 MiB reading it.
//
//   node assembly/filter/testing/external-escapes.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { metadataV1 } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();

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
const namesOf = (call) => { try { return JSON.parse(call.body.toString()).input.kafka.resource.name; } catch { return null; } };
const asked = h.httpCalls.map(namesOf);
check("the service is asked about the name, written exactly", asked.includes(name), `${h.httpCalls.length} calls`);
check("the VM grows by less than 16 MiB", grown < 16 * 1048576, `${(grown / 1048576).toFixed(0)} MiB`);

// The way back: an answer whose reason repeats the name. A question about another name, so
// that nothing is cached; the reason is written as OPA writes it (JSON.stringify's escapes).
const other = "\u0001".repeat(30000) + "x";
const c2 = h.connect(103, { "source.address": "10.0.0.7:40001", "destination.address": "127.0.0.1:19096", plugin_name: "kafka-opa" },
  { before: [{ id: 102, root: 2 }] });
const second = metadataV1(2, [other]);
c2.feed(DOWNSTREAM, second);
check("the second name is asked about", h.pendingCalls().filter((call) => namesOf(call) === other).length === 1);
// Every pending question (the first connection's too, and CREATE on the cluster, which
// Metadata v1's auto-creation asks) answered no.
const calls = h.pendingCalls();
const beforeAnswer = h.x.memory.buffer.byteLength;
let answerTrap = null;
try {
  for (const call of calls) h.answer(call.token, { status: 200, body: { result: { allowed: false, reason: "no rule for " + other } } });
} catch (e) { answerTrap = e; }
const grownOnAnswer = h.x.memory.buffer.byteLength - beforeAnswer;
check("reading the answer: no trap", answerTrap === null, String(answerTrap));
const refusal = h.logs.map((l) => l.msg).find((m) => m.startsWith("kafka-audit:") && m.includes('"correlationId":2,') && m.includes('"acl":"external"'));
check("the answer decides: the topic refused (audited with the service's reason), the request not sent on",
  refusal !== undefined && refusal.includes("no rule for ") && !c2.output(DOWNSTREAM).includes(second), String(refusal).slice(0, 300));
check("reading the answer, the VM grows by less than 16 MiB", grownOnAnswer < 16 * 1048576, `${(grownOnAnswer / 1048576).toFixed(0)} MiB`);

done();
