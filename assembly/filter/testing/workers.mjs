// Topic ids across Envoy workers: each worker runs its own VM, and a client's connections land
// on any of them. A topic id one VM learnt from the broker must resolve in the others (Envoy's
// shared data), or a Fetch/Produce by id on another worker gets UNKNOWN_TOPIC_ID.
// Two VMs of the product module under the mock host (host.mjs shares one data store per process).
//
//   node assembly/filter/testing/workers.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl]
// Topic labels of the stats too: a topic one VM's allowed traffic gave counters of its own is
// named in refusals on the other VM, after a bounded number of refusals that VM had counted
// under _other while no VM had admitted it (enforce/observe.ts, LabelBudget.known).
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";
import { batch, produce } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

const TOPIC_ID = "q1w2e3r4t5y6u7i8o9p0aQ"; // any 16 bytes, base64url as Kafka prints them
const policy = '{"allowEveryoneIfNoAclFound": true}';
const vmA = new Host(WASM, { config: policy }), vmB = new Host(WASM, { config: policy });
check("both VMs configure", vmA.start() === 1 && vmB.start() === 1);

// A Fetch v13 naming the topic by id only (as franz-go and Java clients do).
const fetch = template("request", 1, 13);
fetch.header = { ...fetch.header, correlationId: 7, clientId: "workers" };
Object.assign(fetch.body, { replicaId: -1, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: "" });
if (fetch.body.replicaState) fetch.body.replicaState.replicaId = -1;
fetch.body.topics = [{ topic: "", topicId: TOPIC_ID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1048576 }] }];
const fetchFrame = frame(fetch, true, 1, 13);

function sendFetch(vm, id) {
  const c = vm.connect(id);
  c.feed(DOWNSTREAM, fetchFrame);
  const forwarded = c.output(DOWNSTREAM).equals(fetchFrame);
  c.close();
  return forwarded;
}

check("before any VM learnt the id, a Fetch by that id is not forwarded", !sendFetch(vmB, 10));

// VM A sees the broker's Metadata answer naming the topic with its id.
const mreq = template("request", 3, 12);
mreq.header = { ...mreq.header, correlationId: 1, clientId: "workers" };
mreq.body = { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false };
const mresp = template("response", 3, 12);
mresp.header = { correlationId: 1 };
mresp.body.topics = [{ errorCode: 0, name: "orders", topicId: TOPIC_ID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 }];
const a = vmA.connect(20);
a.feed(DOWNSTREAM, frame(mreq, true, 3, 12));
a.feed(UPSTREAM, frame(mresp, false, 3, 12));
check("VM A passes the Metadata answer on", a.output(UPSTREAM).length > 0 && !a.closed, JSON.stringify(vmA.logs.slice(-2)));
a.close();

check("VM A resolves the id it learnt", sendFetch(vmA, 21));
check("VM B resolves the id VM A learnt (shared data)", sendFetch(vmB, 11), JSON.stringify(vmB.logs.filter((l) => l.level >= 2).slice(-3)));

// Topic labels. Batches over 4 KiB to "payments" are refused (a limit), smaller ones pass.
const limits = '{"allowEveryoneIfNoAclFound": true, "limits": {"produce": [{"topic": "payments", "maxBatchBytes": 4096}]}}';
const vmC = new Host(WASM, { config: limits }), vmD = new Host(WASM, { config: limits });
check("both label VMs configure", vmC.start() === 1 && vmD.start() === 1);
const small = produce(0, "payments", [batch(1, 100)]), large = produce(0, "payments", [batch(10, 1000)]);
const refusalsOn = (vm, label) => [...vm.metrics.values()]
  .filter((m) => m.name.startsWith("kafka.decisions.denied.produce.") && m.name.endsWith("." + label))
  .reduce((n, m) => n + Number(m.value), 0);
let corr = 100;
/** Sends `f` on a new connection of `vm`; whether it was kept from the broker (refused). */
function sendProduce(vm, f) {
  const c = vm.connect(corr);
  f.writeInt32BE(corr++, 8);
  c.feed(DOWNSTREAM, f);
  const refused = !c.output(DOWNSTREAM).equals(f);
  c.close();
  return refused;
}
check("VM D refuses the oversized batch", sendProduce(vmD, large));
check("... and counts it under _other: no traffic admitted \"payments\" yet", refusalsOn(vmD, "_other") === 1 && refusalsOn(vmD, "payments") === 0);
check("VM C passes a small batch (admitting \"payments\")", !sendProduce(vmC, small), JSON.stringify(vmC.logs.slice(-2)));
let named = 0;
for (let i = 1; i <= 16 && named === 0; i++) {
  sendProduce(vmD, large);
  if (refusalsOn(vmD, "payments") > 0) named = i;
}
console.log(`VM D named "payments" in refusal ${named} after C admitted it`);
check(`VM D names "payments" within 16 refusals of C admitting it (in refusal ${named})`, named >= 1 && named <= 16);
const before = refusalsOn(vmD, "payments");
sendProduce(vmD, large);
check("... and in every refusal from then on", refusalsOn(vmD, "payments") === before + 1);

done();
