// What one round trip (request and response) costs the filter in the mock host (host.mjs),
// after warm-up round trips (first-use allocations: config lookups, stat names, grown buffers):
//   - Metadata v12 for one topic (the bench's per-request figure), and a Produce of 1 KiB to a
//     denied topic (answered by the filter after its ApiVersions probe, as in the bench), 50 a
//     second (each logged) and as fast as it comes (past audit.refusalsLoggedPerSecond); a
//     Metadata listing of 200 topics of 10 partitions, half of them hidden from the principal,
//     and the same page of DescribeTopicPartitions (the policy's authorized operations filled in);
//   - Produce (acks=1, 1 KiB records): 1 KiB, 101 KiB and 1 MiB in one partition, 101 KiB spread over
//     100 partitions;
//   - Fetch: a response of 101 KiB and of 1 MiB of records in one partition, 101 KiB over 100;
//   - a new connection: opened, its ApiVersions round trip (Kafka 4.4's answer, Produce's range
//     narrowed to the codecs'), closed;
//   - the Produce of 1 KiB again in a VM that has learnt 50,000 topic ids, and with 2,000
//     other connections open; then, with filter.brokerAddresses, the Metadata round trip and
//     the listing with their brokers readdressed, and, with DESCRIBE on half of 1,000 groups,
//     their ListGroups listing, measured last;
//   - the 1 MiB ones again, each frame in 64 KiB reads (as Envoy hands a large frame over), a
//     1 MiB Fetch response of ten batches in 16 KiB reads, one of 64 batches and one of 100
//     partitions whole and in 16 KiB reads, and how much of each frame went on before its last
//     read arrived.
// Figures:
//   - time: per round trip, the mock host's own work included (median of 5 runs), and of it the
//     time in the filter's data callbacks (its host calls, as the copies into the VM, included):
//     what Envoy would spend in the filter; and how much of a Produce request or Fetch response
//     decided in place (filter.inPlaceFrameBytes) the filter read into the VM;
//   - allocation, with a module built with AssemblyScript's RTRACE hooks, which report every
//     block the runtime allocates or grows in place: the sum of their sizes;
//   - work, with filter.wasm instrumented by binaryen's log-execution pass (a call at every
//     function entry and loop iteration): those calls, the host reads (and bytes read) and
//     counter increments per round trip. Unlike time, these do not move with the machine's
//     load or with the caches the mock host's own copies of a 1 MiB frame flush, so they show
//     whether the filter's work grows with the payload (issue 8: within 10% from 1 KiB to 1 MiB).
//
//   make round-trip-cost, or
//   node assembly/filter/testing/round-trip-cost.mjs build/filter.wasm [policy]        # time
//   node assembly/filter/testing/round-trip-cost.mjs build/filter-rtrace.wasm [policy] # allocation
//   node assembly/filter/testing/round-trip-cost.mjs build/filter-work.wasm [policy]   # work
//     (ROUND_TRIP_JSON=file: the work figures also as JSON, for make bench's report)
// (build/filter-rtrace.wasm, build/filter-work.wasm: mk/filter.mk)
//
// Figures for test/bench/README.md, not a test.

import fs from "node:fs";
import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import {
  batch, produce, produceResponse, fetch, fetchResponse, metadata, metadataResponse, metadataListing, metadataResponseTopics,
  describeTopicPartitionsListing, apiVersions, apiVersionsResponse, KAFKA_44_API_RANGES,
  listGroups, listGroupsResponse,
} from "./kafka-bytes.mjs";

const [wasm = "build/filter.wasm", policy = "test/bench/policy.json"] = process.argv.slice(2);

let allocated = 0;
let blocks = 0;
let memory = null;
const blockSize = (ptr) => new DataView(memory.buffer).getUint32(ptr >>> 0, true) & ~3;
const rtrace = {
  onalloc(ptr) { allocated += blockSize(ptr); blocks++; },
  // oldSize counts the block header (4 bytes); the header word holds the size without it.
  onresize(ptr, oldSize) { allocated += Math.max(0, blockSize(ptr) + 4 - (oldSize >>> 0)); },
  onmove() {}, onvisit() { return true; }, onfree() {}, oninit() {}, onstore(p) { return p; }, onload(p) { return p; },
  oninterrupt() {}, onyield() {}, oncollect() {},
};

// Time spent in the filter's data callbacks.
let inFilterNs = 0n;
const timed = (fn) => (...args) => {
  const t0 = process.hrtime.bigint();
  try { return fn(...args); } finally { inFilterNs += process.hrtime.bigint() - t0; }
};

// Function entries and loop iterations of a module built with log-execution.
let entries = 0;
const log_execution = () => { entries++; };

const moduleImports = WebAssembly.Module.imports(new WebAssembly.Module(fs.readFileSync(wasm)));
const traced = moduleImports.some((i) => i.module === "rtrace");
const counted = moduleImports.some((i) => i.module === "env" && i.name === "log_execution");
/** A VM of `wasm` configured with `config`, its data callbacks timed; the one measure() measures until the next. */
function vm(config) {
  const v = new Host(wasm, { config, imports: { rtrace, env: { log_execution } } });
  memory = v.x.memory;
  v.x = { ...v.x, proxy_on_downstream_data: timed(v.x.proxy_on_downstream_data), proxy_on_upstream_data: timed(v.x.proxy_on_upstream_data) };
  if (!v.start()) throw new Error("configure failed: " + JSON.stringify(v.logs));
  return v;
}
let h = vm(fs.readFileSync(policy, "utf8"));

/**
 * Runs `trip(correlationId, check)` after a warm-up (checked: the bytes went on unchanged) and
 * prints its time or allocation per round trip (unchecked: the host's work only).
 */
function measure(what, kib, trip) {
  for (let i = 0; i < 20; i++) trip(1 + i, true);
  if (counted) {
    // Enough round trips that the collections (one per 1 MiB noted or 1,024 callbacks) average out.
    const rounds = 4096;
    entries = 0;
    h.hostCalls.clear();
    const given = Object.values(h.bytesGiven).reduce((a, b) => a + b, 0);
    for (let i = 0; i < rounds; i++) trip(100 + i, false);
    const read = Object.values(h.bytesGiven).reduce((a, b) => a + b, 0) - given;
    const per = (n) => (n / rounds).toFixed(1);
    const w = {
      entries: entries / rounds,
      reads: (h.hostCalls.get("proxy_get_buffer_bytes") ?? 0) / rounds,
      readBytes: read / rounds,
      counters: (h.hostCalls.get("proxy_increment_metric") ?? 0) / rounds,
      // Logging, writing Envoy's buffers, the clock, shared data, ...
      otherCalls: ([...h.hostCalls.values()].reduce((a, b) => a + b, 0) - (h.hostCalls.get("proxy_get_buffer_bytes") ?? 0) - (h.hostCalls.get("proxy_increment_metric") ?? 0)) / rounds,
    };
    work.set(what, w);
    console.log(`work ${what}: ${per(entries)} Wasm calls and loop iterations, ${per(w.reads * rounds)} host reads ` +
      `(${(read / rounds / 1024).toFixed(1)} KiB), ${per(w.counters * rounds)} counter increments, ${per(w.otherCalls * rounds)} other host calls per round trip`);
  } else if (traced) {
    allocated = 0;
    blocks = 0;
    const rounds = 5;
    for (let i = 0; i < rounds; i++) trip(100 + i, false);
    console.log(`alloc ${what}: ${(allocated / rounds / 1024).toFixed(1)} KiB per round trip (${(blocks / rounds).toFixed(0)} blocks)`);
  } else {
    const rounds = kib > 200 ? 40 : 200;
    const runs = [];
    const readBefore = { request: metric("kafka.request_bytes_read_in_place"), response: metric("kafka.response_bytes_read_in_place") };
    for (let run = 0; run < 5; run++) {
      inFilterNs = 0n;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) trip(1000 + run * rounds + i, false);
      runs.push({ all: Number(process.hrtime.bigint() - t0) / 1e3 / rounds, filter: Number(inFilterNs) / 1e3 / rounds });
    }
    const readInPlace = (side) => `${(Number(metric(`kafka.${side}_bytes_read_in_place`) - readBefore[side]) / 1024 / (5 * rounds)).toFixed(1)} KiB`;
    const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[2];
    const list = (key) => runs.map((r) => r[key].toFixed(1)).join(", ");
    console.log(`time ${what}: ${median("all").toFixed(1)} us per round trip (runs ${list("all")}), ` +
      `in the filter ${median("filter").toFixed(1)} us (runs ${list("filter")}), read in place: request ${readInPlace("request")}, response ${readInPlace("response")}`);
  }
}

/** Work per round trip (a log-execution build): what -> {entries, reads}. */
const work = new Map();

const metric = (name) => [...h.metrics.values()].find((m) => m.name === name)?.value ?? 0n;

let connection = 10;

/** `request` and the broker's `response` on `c`, both with correlation id `corr`: what went up, what came down. */
function exchange(c, request, response, corr) {
  request.writeInt32BE(corr, 8);
  response.writeInt32BE(corr, 4);
  c.sent[DOWNSTREAM] = [];
  c.sent[UPSTREAM] = [];
  c.feed(DOWNSTREAM, request);
  c.feed(UPSTREAM, response);
  return { up: c.output(DOWNSTREAM), down: c.output(UPSTREAM) };
}

{
  // Metadata for one topic, allowed; then a Produce the policy refuses (bench.denied.*): the
  // filter answers it after a probe (ApiVersions v0, answered here as the broker would).
  const c = h.connect(connection++);
  const req = metadata(0, "bench.meta");
  const resp = metadataResponse(0, "bench.meta", Buffer.alloc(16, 7));
  measure("metadata", 0, (corr, check) => {
    const { up, down } = exchange(c, req, resp, corr);
    if (check && !(up.equals(req) && down.equals(resp))) throw new Error("the Metadata round trip did not pass unchanged: " + JSON.stringify(h.logs.slice(-3)));
  });
  const denied = produce(0, "bench.denied.x", [batch(1, 1024)]);
  const probeAnswer = Buffer.from([0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // ApiVersions v0: no error, no keys, throttle 0
  const refuse = (corr, check, logged) => {
    // The probe reuses the refused request's correlation id.
    const from = h.logs.length;
    const answer = exchange(c, denied, probeAnswer, corr).down;
    const line = h.logs.slice(from).some((l) => l.msg.startsWith("kafka filter: denied Produce"));
    if (check && !(answer.length > probeAnswer.length && answer.readInt32BE(4) === corr && line === logged)) {
      throw new Error(`the denied Produce was not refused and answered (its lines ${logged ? "" : "not "}written): ` + JSON.stringify(h.logs.slice(-3)));
    }
  };
  // 50 refusals a second, under audit.refusalsLoggedPerSecond (100): each writes its two lines.
  measure("produce 1 KiB denied", 1, (corr, check) => {
    h.nowNs += 20_000_000n;
    refuse(corr, check, true);
  });
  // As fast as the client sends, past the limit: counted, not logged one by one (refusal-log.ts).
  // The clock stands still from here: the first 100 use up this second's lines.
  for (let i = 0; i < 100; i++) refuse(60_000 + i, false, true);
  measure("produce 1 KiB denied, past audit.refusalsLoggedPerSecond", 1, (corr, check) => refuse(corr, check, false));
  c.close();
}
// One record of 1 KiB, 100 in one partition (the bench's Produce), 1,000 in one, 100 in 100 partitions of one each.
for (const [records, partitions] of [[1, 1], [100, 1], [1000, 1], [100, 100]]) {
  const batches = Array.from({ length: partitions }, () => batch(records / partitions, 1024));
  const kib = batches.reduce((n, b) => n + b.length, 0) / 1024;
  const where = `${kib.toFixed(0)} KiB in ${partitions} partition${partitions > 1 ? "s" : ""}`;
  for (const api of ["produce", "fetch"]) {
    const c = h.connect(connection++);
    // Built once; each round trip only sets its correlation id (after the size prefix, key and version; after the size prefix).
    const req = api === "produce" ? produce(0, "bench.alloc", batches) : fetch(0, "bench.alloc", partitions);
    const resp = api === "produce" ? produceResponse(0, "bench.alloc", partitions) : fetchResponse(0, "bench.alloc", batches);
    measure(`${api} ${where}`, kib, (corr, check) => {
      req.writeInt32BE(corr, 8);
      resp.writeInt32BE(corr, 4);
      c.sent[DOWNSTREAM] = []; // what earlier round trips sent: not kept
      c.sent[UPSTREAM] = [];
      c.feed(DOWNSTREAM, req);
      if (check && !c.output(DOWNSTREAM).equals(req)) throw new Error(`the ${api} request did not pass unchanged: ` + JSON.stringify(h.logs.slice(-3)));
      c.feed(UPSTREAM, resp);
      if (check && !c.output(UPSTREAM).equals(resp)) throw new Error(`the ${api} response did not pass unchanged: ` + JSON.stringify(h.logs.slice(-3)));
    });
    c.close();
  }
}

/** Feeds `buf` in reads of `n` bytes, as Envoy hands a large frame over in several callbacks. */
function feedInReads(c, side, buf, n) {
  if (n === 0) return c.feed(side, buf); // whole
  for (let pos = 0; pos < buf.length; pos += n) c.feed(side, buf.subarray(pos, pos + n));
}

// The 1 MiB round trips again, each frame arriving in 64 KiB reads, a 1 MiB Fetch response
// of ten batches in 16 KiB reads (Envoy hands a large frame over in reads of 16 KiB and more),
// and one of 64 batches of 16 KiB (a producer's default batch.size) whole and in 16 KiB reads;
// a consumer's 1 MiB Fetch response over 100 partitions, whole and in 16 KiB reads; and how
// much of each frame went on before its last read arrived (a frame held until whole: only what
// preceded it).
const KiB = 1 << 10;
const batches64 = Array.from({ length: 64 }, () => batch(16, 1000));
const partitions100 = Array.from({ length: 100 }, () => batch(10, 1000));
const cases = [ // api, batches, read size (0: whole), whether each batch is a partition's
  ["produce", [batch(1000, 1024)], 64 * KiB, false],
  ["fetch", [batch(1000, 1024)], 64 * KiB, false],
  ["fetch", Array.from({ length: 10 }, () => batch(100, 1024)), 16 * KiB, false],
  ["fetch", batches64, 0, false],
  ["fetch", batches64, 16 * KiB, false],
  ["fetch", partitions100, 0, true],
  ["fetch", partitions100, 16 * KiB, true],
];
for (const [api, big, read, spread] of cases) {
  const c = h.connect(connection++);
  const req = api === "produce" ? produce(0, "bench.alloc", big) : fetch(0, "bench.alloc", spread ? big.length : 1);
  const resp = api === "produce" ? produceResponse(0, "bench.alloc", 1) : fetchResponse(0, "bench.alloc", spread ? big : [Buffer.concat(big)]);
  const frame = api === "produce" ? req : resp;
  const side = api === "produce" ? DOWNSTREAM : UPSTREAM;
  const kib = big.reduce((n, b) => n + b.length, 0) / KiB;
  const parts = spread ? ` in ${big.length} partitions` : big.length > 1 ? ` of ${big.length} batches` : "";
  const what = `${api} ${kib.toFixed(0)} KiB${parts} ${read ? `in ${read / KiB} KiB reads` : "whole"}`;
  measure(what, kib, (corr, check) => {
    req.writeInt32BE(corr, 8);
    resp.writeInt32BE(corr, 4);
    c.sent[DOWNSTREAM] = [];
    c.sent[UPSTREAM] = [];
    feedInReads(c, DOWNSTREAM, req, read);
    feedInReads(c, UPSTREAM, resp, read);
    if (check && !c.output(UPSTREAM).equals(resp)) throw new Error(`the ${api} response did not pass unchanged: ` + JSON.stringify(h.logs.slice(-3)));
  });
  if (!traced && read) {
    c.sent[DOWNSTREAM] = [];
    c.sent[UPSTREAM] = [];
    if (api === "fetch") feedInReads(c, DOWNSTREAM, req, read);
    const last = Math.floor((frame.length - 1) / read) * read;
    feedInReads(c, side, frame.subarray(0, last), read);
    const early = c.output(side).length;
    c.feed(side, frame.subarray(last));
    console.log(`stream ${what}: ${(100 * early / frame.length).toFixed(0)}% sent on before its last read arrived`);
  }
  c.close();
}

// Last, so that the topic ids its answer teaches do not weigh on the collections of the others:
// a listing of every topic, 200 of 10 partitions each, half of them the principal may not
// describe (bench.* against other.*), cut from the broker's answer.
{
  const c = h.connect(connection++);
  const listing = metadataListing(0);
  const topics = Array.from({ length: 200 }, (_, i) => [(i % 2 ? "bench.t" : "other.t") + i, Buffer.alloc(16, i + 1), 10]);
  const everything = metadataResponseTopics(0, topics);
  const shown = metadataResponseTopics(0, topics.filter(([name]) => name.startsWith("bench.")));
  measure("metadata listing of 200 topics, half hidden", 0, (corr, check) => {
    shown.writeInt32BE(corr, 4);
    const { up, down } = exchange(c, listing, everything, corr);
    if (check && !(up.equals(listing) && down.equals(shown))) throw new Error("the listing did not come back cut: " + JSON.stringify(h.logs.slice(-3)));
  });
  // The filter answers it from a Metadata listing of its own, sent in its place (the broker's
  // answer here: the same 200 topics).
  const described = describeTopicPartitionsListing(0);
  measure("describeTopicPartitions listing of 200 topics, half hidden", 0, (corr, check) => {
    const { up, down } = exchange(c, described, everything, corr);
    // listings.mjs holds the answer to Kafka's paging; here, that it was asked and cut.
    if (check && !(up.readInt16BE(4) === 3 && down.includes("bench.t1") && !down.includes("other.t"))) {
      throw new Error("the DescribeTopicPartitions listing did not come back cut: " + JSON.stringify(h.logs.slice(-3)));
    }
  });
  c.close();
}

/** measure() of `request` and its `response` on `c`, which the filter must let through unchanged. */
function measurePassing(what, c, request, response) {
  measure(what, 1, (corr, check) => {
    const { up, down } = exchange(c, request, response, corr);
    if (check && !(up.equals(request) && down.equals(response))) throw new Error(`${what}: did not pass unchanged: ` + JSON.stringify(h.logs.slice(-3)));
  });
}

// A new connection, as clients open them: its first round trip is ApiVersions, whose answer
// the filter narrows to the versions its codecs read (connection.ts CapApiVersions).
{
  const request = apiVersions(0), answer = apiVersionsResponse(0, KAFKA_44_API_RANGES);
  const narrowed = apiVersionsResponse(0, KAFKA_44_API_RANGES.map(([k, lo, hi]) => [k, k === 0 ? 3 : lo, hi]));
  measure("new connection, ApiVersions round trip", 0, (corr, check) => {
    const c = h.connect(connection++);
    narrowed.writeInt32BE(corr, 4);
    const { up, down } = exchange(c, request, answer, corr);
    c.close();
    if (check && !(up.equals(request) && down.equals(narrowed))) throw new Error("ApiVersions did not come back narrowed: " + JSON.stringify(h.logs.slice(-3)));
  });
}

// A VM of a large cluster: the Produce of 1 KiB again, once Metadata listings have taught it
// 50,000 topic ids (a collection then meets all it learnt; enforce/topic-ids.ts).
{
  const c = h.connect(connection++);
  for (let k = 0; k < 50000; k += 1000) {
    const topics = Array.from({ length: 1000 }, (_, i) => {
      const id = Buffer.alloc(16);
      id.writeUInt32BE(k + i + 1, 0);
      id.writeUInt32BE(0x5eed, 12);
      return [`bench.ids.t${k + i}`, id, 1];
    });
    exchange(c, metadataListing(0), metadataResponseTopics(0, topics), k / 1000 + 1);
  }
  const req = produce(0, "bench.alloc", [batch(1, 1024)]), resp = produceResponse(0, "bench.alloc", 1);
  // Past a collection first: what teaching them left behind is not this Produce's garbage.
  for (let i = 0; i < 300; i++) exchange(c, req, resp, 100 + i);
  measurePassing("produce 1 KiB in 1 partition, 50,000 topic ids known", c, req, resp);
  c.close();
}

// A VM serving many clients: the Produce of 1 KiB again with 2,000 other connections open,
// each after a Metadata and a Produce of its own (their state is most of what a collection
// walks; runtime/collect.ts).
{
  const others = [];
  const meta = metadata(0, "bench.meta"), metaAnswer = metadataResponse(0, "bench.meta", Buffer.alloc(16, 7));
  const req = produce(0, "bench.alloc", [batch(1, 1024)]), resp = produceResponse(0, "bench.alloc", 1);
  for (let i = 0; i < 2000; i++) {
    const o = h.connect(connection++);
    exchange(o, meta, metaAnswer, 1);
    exchange(o, req, resp, 2);
    others.push(o);
  }
  const c = h.connect(connection++);
  for (let i = 0; i < 300; i++) exchange(c, req, resp, 100 + i);
  measurePassing("produce 1 KiB in 1 partition, 2,000 other connections open", c, req, resp);
  c.close();
  for (const o of others) o.close();
}

// Brokers readdressed (filter.brokerAddresses, for clusters whose brokers advertise their own
// addresses): every Metadata answer is rewritten; its brokers are read and written again, the
// topics spliced as the listing's above (enforce/addresses.ts readdressMetadata).
{
  const config = JSON.parse(fs.readFileSync(policy, "utf8"));
  h = vm(JSON.stringify({ ...config, filter: { ...config.filter, brokerAddresses: [{ id: 1, host: "envoy.example", port: 29092 }] } }));
  const c = h.connect(connection++);
  const readdressed = (b) => Buffer.from(b.toString("latin1").replace("\x0a127.0.0.1\x00\x00\x23\x84", "\x0eenvoy.example\x00\x00\x71\xa4"), "latin1");
  const meta = metadata(0, "bench.meta"), metaAnswer = metadataResponse(0, "bench.meta", Buffer.alloc(16, 7));
  const listing = metadataListing(0);
  const topics = Array.from({ length: 200 }, (_, i) => [(i % 2 ? "bench.t" : "other.t") + i, Buffer.alloc(16, i + 1), 10]);
  const everything = metadataResponseTopics(0, topics);
  for (const [what, request, response, expected] of [
    ["metadata, brokers readdressed", meta, metaAnswer, readdressed(metaAnswer)],
    ["metadata listing of 200 topics, half hidden, brokers readdressed", listing, everything,
      readdressed(metadataResponseTopics(0, topics.filter(([name]) => name.startsWith("bench."))))],
  ]) {
    if (expected.includes("127.0.0.1")) throw new Error(`${what}: the expected answer was not readdressed`);
    measure(what, 0, (corr, check) => {
      expected.writeInt32BE(expected.length - 4, 0);
      expected.writeInt32BE(corr, 4);
      const { up, down } = exchange(c, request, response, corr);
      if (check && !(up.equals(request) && down.equals(expected))) throw new Error(`${what}: the answer did not come back readdressed: ` + JSON.stringify(h.logs.slice(-3)));
    });
  }
  c.close();
}

// ListGroups by a principal that may DESCRIBE half of a cluster's 1,000 groups (and not the
// cluster): the broker's list is cut (groups.ts DescribableGroupsOnly).
{
  const config = JSON.parse(fs.readFileSync(policy, "utf8"));
  const acl = { principal: "User:*", host: "*", resourceType: "GROUP", resourceName: "bench.", resourcePatternType: "PREFIXED", operation: "DESCRIBE", permissionType: "ALLOW" };
  h = vm(JSON.stringify({ ...config, acls: [...config.acls, acl] }));
  const c = h.connect(connection++);
  const groups = Array.from({ length: 1000 }, (_, i) => (i % 2 ? "bench.g" : "other.g") + i);
  const request = listGroups(0), everything = listGroupsResponse(0, groups);
  const shown = listGroupsResponse(0, groups.filter((g) => g.startsWith("bench.")));
  measure("listGroups of 1,000 groups, half hidden", 0, (corr, check) => {
    shown.writeInt32BE(corr, 4);
    const { up, down } = exchange(c, request, everything, corr);
    if (check && !(up.equals(request) && down.equals(shown))) throw new Error("the ListGroups listing did not come back cut: " + JSON.stringify(h.logs.slice(-3)));
  });
  c.close();
}

// The payload goal: the filter's work for a 1 MiB frame against a 1 KiB one, whole and in reads.
if (counted) {
  const ratios = {};
  for (const api of ["produce", "fetch"]) {
    const small = work.get(`${api} 1 KiB in 1 partition`);
    for (const large of [`${api} 1008 KiB in 1 partition`, `${api} 1008 KiB in 64 KiB reads`]) {
      const w = work.get(large);
      ratios[large] = w.entries / small.entries;
      console.log(`work ratio ${large} / 1 KiB: ${(w.entries / small.entries).toFixed(2)} (Wasm calls and loop iterations), host reads ${w.reads.toFixed(1)} / ${small.reads.toFixed(1)}`);
    }
  }
  // Many batches, many partitions: reading their headers is work in proportion to their
  // number, whole or not; what arriving in reads adds on top.
  const kibOf = (batches) => (batches.reduce((n, b) => n + b.length, 0) / KiB).toFixed(0);
  for (const many of [`fetch ${kibOf(batches64)} KiB of 64 batches`, `fetch ${kibOf(partitions100)} KiB in 100 partitions`]) {
    const whole = work.get(`${many} whole`), inReads = work.get(`${many} in 16 KiB reads`);
    ratios[`${many} in 16 KiB reads / whole`] = inReads.entries / whole.entries;
    console.log(`work ratio ${many} in 16 KiB reads / whole: ${(inReads.entries / whole.entries).toFixed(2)} (Wasm calls and loop iterations), host reads ${inReads.reads.toFixed(1)} / ${whole.reads.toFixed(1)}`);
  }
  if (process.env.ROUND_TRIP_JSON) fs.writeFileSync(process.env.ROUND_TRIP_JSON, JSON.stringify({ cases: Object.fromEntries(work), ratios }, null, 1));
}
