// Questions in flight (external.maxPendingCalls, per VM) against one client that asks many,
// under the mock Envoy host. On 47118a7 one request could take every call in flight: a
// Metadata request naming 1,000 made-up topics (no permission needed) made the VM's 1,000
// calls, and until the service answered them every other client's new question was refused
// at once (over the limit, whatever failOpen says): TOPIC_AUTHORIZATION_FAILED to producers
// and consumers that may write and read. A listing after listings had shown more topics than
// maxPendingCalls did the same, asked by any client. Now a connection has at most an eighth
// of them in flight at a time for its requests (the rest asked as those are answered, the
// request waiting meanwhile), and as many for its responses (past it, a response refuses the
// resource, as it refuses one not answered yet):
//   - another client's question, asked while one client's request names 1,000 topics, is asked
//     and waits for its answer, and is allowed;
//   - the flooding request is decided once all its questions are answered, every one asked once;
//   - one connection never has more than maxPendingCalls / 8 calls in flight for its requests;
//   - the calls in flight hold at most 16 MiB (bodies and keys): a count alone let 1,000 calls
//     about names of 32,000 control characters hold 182 MiB of bodies. A request of 125 such
//     names asks within that, and the rest once answers make room, until it is decided.
//
//   node assembly/filter/testing/external-pending.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { metadataV1 } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();

const nameOf = (call) => JSON.parse(call.body.toString()).input.kafka.resource.name;

const config = JSON.stringify({ external: { cluster: "opa", timeoutMs: 500, cacheTtlMs: 600000, failOpen: false, maxPendingCalls: 1000 } });
const h = new Host(WASM, { config });
if (h.start() !== 1 || h.addRoot(2, "kafka_resume") !== 1) throw new Error("configure: " + JSON.stringify(h.logs.slice(-2)));
let next = 100;
const client = (host) => {
  const g = next++, id = next++;
  return h.connect(id, { "source.address": host + ":40000", "destination.address": "127.0.0.1:19096", plugin_name: "kafka-opa" },
    { before: [{ id: g, root: 2 }] });
};

const flooder = client("10.0.0.7");
const names = Array.from({ length: 1000 }, (_, i) => "made-up-" + i);
const flood = metadataV1(1, names);
flooder.feed(DOWNSTREAM, flood);
const fromFlood = h.pendingCalls().length;
check("one connection's request has at most maxPendingCalls / 8 calls in flight", fromFlood <= 125, `${fromFlood} calls`);

// From another host: none of its questions is one the flooder asked (a question asked is joined, not asked again).
const victim = client("10.0.0.8");
const req = metadataV1(2, ["orders"]);
victim.feed(DOWNSTREAM, req);
const victims = h.pendingCalls().filter((c) => JSON.parse(c.body.toString()).input.kafka.host === "10.0.0.8");
const asked = victims.filter((c) => nameOf(c) === "orders");
check("another client's question is asked meanwhile, not refused over the limit", asked.length === 1 && victim.output(DOWNSTREAM).length === 0,
  `${asked.length} calls about it, ${victim.output(DOWNSTREAM).length} bytes upstream, over_pending_limit ${h.metric("kafka.external.over_pending_limit")}`);
for (const call of victims) h.answer(call.token, { body: { result: true } });
check("and allowed once answered", victim.output(DOWNSTREAM).equals(req), `${victim.output(DOWNSTREAM).length} bytes upstream`);

// The flooding request: answered round after round, every name asked once, then decided.
let most = 0, rounds = 0;
while (h.pendingCalls().length && rounds < 100) {
  const pending = h.pendingCalls();
  most = Math.max(most, pending.length);
  for (const call of pending) h.answer(call.token, { body: { result: true } });
  rounds++;
}
const askedNames = h.httpCalls.map(nameOf).filter((n) => n.startsWith("made-up-"));
check("every name of the flooding request asked once", askedNames.length === 1000 && new Set(askedNames).size === 1000, `${askedNames.length} calls`);
check("at most maxPendingCalls / 8 in flight for it at a time", most <= 125, `${most}`);
check("the flooding request is decided (allowed: passed on as it came)", flooder.output(DOWNSTREAM).equals(flood), `${flooder.output(DOWNSTREAM).length} bytes upstream after ${rounds} rounds`);

// Bytes in flight: a fresh VM, one request of 125 names of 32,000 control characters (each
// question's body about 192 KB escaped).
{
  const b = new Host(WASM, { config });
  if (b.start() !== 1 || b.addRoot(2, "kafka_resume") !== 1) throw new Error("configure: " + JSON.stringify(b.logs.slice(-2)));
  const c = b.connect(201, { "source.address": "10.0.0.9:40000", "destination.address": "127.0.0.1:19096", plugin_name: "kafka-opa" },
    { before: [{ id: 200, root: 2 }] });
  const long = Array.from({ length: 125 }, (_, i) => "\u0001".repeat(32000) + "-" + i);
  const frame = metadataV1(9, long);
  c.feed(DOWNSTREAM, frame);
  let heaviest = 0, rounds = 0, first = b.pendingCalls().length;
  while (b.pendingCalls().length && rounds < 100) {
    const pending = b.pendingCalls();
    heaviest = Math.max(heaviest, pending.reduce((n, call) => n + call.body.length, 0));
    for (const call of pending) b.answer(call.token, { body: { result: true } });
    rounds++;
  }
  check("calls in flight hold at most 16 MiB of bodies", heaviest <= 16 * 1048576 && first < 125,
    `${(heaviest / 1048576).toFixed(1)} MiB at most, ${first} calls at first`);
  const asked = b.httpCalls.map(nameOf).filter((n) => n.startsWith("\u0001"));
  check("every long name asked once, the request decided (allowed: passed on as it came)",
    new Set(asked).size === 125 && asked.length === 125 && c.output(DOWNSTREAM).equals(frame),
    `${asked.length} calls, ${new Set(asked).size} names, ${c.output(DOWNSTREAM).length} bytes upstream after ${rounds} rounds`);
}

done();
