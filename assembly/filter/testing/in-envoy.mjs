// Request frames left in Envoy's buffer until whole (filter.inEnvoyFrameBytes, connection.ts),
// under the mock Envoy host, deterministically:
//   1. a frame at the start of the buffer, arriving in pieces, stays there unread (nothing goes
//      upstream, nothing drained) and goes on exactly as sent once whole; a refused one never
//      goes upstream and is answered in order; counted in kafka.request_frames_in_envoy;
//   2. what is held in the VM as before: a first piece too short to show the size prefix, a
//      frame over the limit, a frame behind a whole one in the same read (the whole one must go
//      on now, and Envoy sends a buffer whole or not at all);
//   3. a frame left incomplete past frameTimeoutMs closes its connection, as a held one does;
//   4. the client leaving mid-frame: the cut frame, never judged, is dropped, as a held one is; the
//      client ending its side with the frame's last piece: served, and not closed as stalled;
//   5. with the setting off (0), nothing is left in Envoy's buffer;
//   4c. bytes left in Envoy's buffer count in filter.maxBufferedBytes as held ones do;
//   4e. and each waiting request's header with its client id (32 KB ones took a VM to a trap);
//   4d. so does what a request keeps while it waits for the broker's answer (refused entries to
//      merge into it): a client past the budget is closed, answers and closes give it back; the
//      request's refusals reach Envoy's counters once per counter;
//   6. kafka.request_bytes is added once per frame, not per read, yet shows the bytes of a
//      connection whose reads never end between frames once 1 MiB has built up.
//
//   node assembly/filter/testing/in-envoy.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";
import { batch } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { codecs, template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

const LIMIT = 4096;
const policy = (limit, filter = {}) => JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [{ principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" }],
  filter: { inEnvoyFrameBytes: limit, frameTimeoutMs: 1000, ...filter },
});

const PRODUCE_V = 9;
/** A Produce to `topic`, partition 0, no records; `clientIdBytes` of client id make it as long as a test needs. */
function produce(corr, topic, clientIdBytes = 8, recordBytes = 0) {
  const t = template("request", 0, PRODUCE_V);
  t.header = { ...t.header, correlationId: corr, clientId: "c".repeat(clientIdBytes) };
  const records = recordBytes > 0 ? batch(1, recordBytes).toString("base64") : null;
  t.body = { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
  return frame(t, true, 0, PRODUCE_V);
}
function decode(f, isRequest, apiKey, version) {
  const text = codecs.decode(f.subarray(4), isRequest, apiKey, version);
  return text ? JSON.parse(text) : null;
}

function start(limit = LIMIT, filter = {}) {
  const h = new Host(WASM, { config: policy(limit, filter) });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs));
  return h;
}

/** Feeds all of `f` but its last byte, in pieces of `n` bytes. */
function feedAllButLast(c, f, n) {
  for (let pos = 0; pos < f.length - 1; pos += n) c.feed(DOWNSTREAM, f.subarray(pos, Math.min(pos + n, f.length - 1)));
}

// ---- 1. left in Envoy's buffer until whole ----
{
  const h = start();
  const c = h.connect(2);
  const f = produce(1, "ok.orders", 600);
  let upstreamEarly = 0, stopped = true, unread = true;
  for (let pos = 0; pos < f.length - 1; pos += 97) {
    const end = Math.min(pos + 97, f.length - 1);
    stopped = c.feed(DOWNSTREAM, f.subarray(pos, end)) !== 0 && stopped;
    upstreamEarly += c.output(DOWNSTREAM).length;
    unread = unread && c.pending[DOWNSTREAM].equals(f.subarray(0, end));
  }
  check("1: each piece but the last stops iteration", stopped);
  check("1: nothing goes upstream before the frame is whole", upstreamEarly === 0);
  check("1: Envoy's buffer holds every byte so far, unread", unread);
  c.feed(DOWNSTREAM, f.subarray(f.length - 1));
  check("1: the whole frame goes on exactly as sent", c.output(DOWNSTREAM).equals(f));
  check("1: Envoy's buffer is empty after it", c.pending[DOWNSTREAM].length === 0);
  check("1: counted once in kafka.request_frames_in_envoy", h.metric("kafka.request_frames_in_envoy") === 1n,
    String(h.metric("kafka.request_frames_in_envoy")));
  check("1: kafka.request_bytes counts each byte once", h.metric("kafka.request_bytes") === BigInt(f.length),
    `${h.metric("kafka.request_bytes")} for ${f.length}`);

  c.close();
}
{
  // On a connection of its own: the allowed request above is never answered.
  const h = start();
  const c = h.connect(3);
  const denied = produce(2, "secret.orders", 600);
  feedAllButLast(c, denied, 200);
  check("1 deny: nothing upstream while it arrives", c.output(DOWNSTREAM).length === 0);
  c.feed(DOWNSTREAM, denied.subarray(denied.length - 1));
  // Refused: upstream gets the shell's ApiVersions probe in its place (answers stay in order).
  const probe = c.output(DOWNSTREAM);
  check("1 deny: the frame is not sent upstream; an ApiVersions probe is", probe.length > 8 && probe.readInt16BE(4) === 18,
    `${probe.length} bytes, api key ${probe.length > 6 ? probe.readInt16BE(4) : "-"}`);
  const v0 = template("response", 18, 0);
  v0.header = { correlationId: probe.readInt32BE(8) };
  v0.body = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 9 }] };
  c.feed(UPSTREAM, frame(v0, false, 18, 0));
  const answer = c.output(UPSTREAM);
  const resp = answer.length > 0 ? decode(answer, false, 0, PRODUCE_V) : null;
  check("1 deny: answered TOPIC_AUTHORIZATION_FAILED (29) in the probe's place", resp !== null && resp.header.correlationId === 2
    && resp.body.responses[0].partitionResponses[0].errorCode === 29, JSON.stringify(resp));
  check("1 deny: the connection stays open", !c.closed);
  c.close();
}

// ---- 2. held in the VM as before ----
{
  const h = start();
  const c = h.connect(2);
  const f = produce(1, "ok.orders", 600);
  c.feed(DOWNSTREAM, f.subarray(0, 3));
  check("2 short prefix: the first 3 bytes are taken into the VM", c.pending[DOWNSTREAM].length === 0);
  feedAllButLast(c, f.subarray(3), 100);
  c.feed(DOWNSTREAM, f.subarray(f.length - 1));
  check("2 short prefix: the frame goes on exactly as sent", c.output(DOWNSTREAM).equals(f));

  const big = produce(2, "ok.orders", LIMIT);
  c.sent[DOWNSTREAM] = [];
  let drained = true;
  for (let pos = 0; pos < big.length - 1; pos += 500) {
    c.feed(DOWNSTREAM, big.subarray(pos, Math.min(pos + 500, big.length - 1)));
    drained = drained && c.pending[DOWNSTREAM].length === 0;
  }
  check("2 over the limit: each piece is taken into the VM", drained);
  c.feed(DOWNSTREAM, big.subarray(big.length - 1));
  check("2 over the limit: the frame goes on exactly as sent", c.output(DOWNSTREAM).equals(big));

  const a = produce(3, "ok.a", 100), b = produce(4, "ok.b", 600);
  c.sent[DOWNSTREAM] = [];
  c.feed(DOWNSTREAM, Buffer.concat([a, b.subarray(0, 50)]));
  check("2 behind a whole frame: the whole one goes on now", c.output(DOWNSTREAM).equals(a));
  check("2 behind a whole frame: the partial one is taken into the VM", c.pending[DOWNSTREAM].length === 0);
  c.feed(DOWNSTREAM, b.subarray(50));
  check("2 behind a whole frame: then it goes on exactly as sent", c.output(DOWNSTREAM).equals(Buffer.concat([a, b])));
  check("2: none of these was left in Envoy's buffer", h.metric("kafka.request_frames_in_envoy") === 0n);
  c.close();
}

// ---- 3. a stalled frame left in Envoy's buffer closes its connection ----
{
  const h = start();
  const c = h.connect(2);
  const f = produce(1, "ok.orders", 600);
  c.feed(DOWNSTREAM, f.subarray(0, 300));
  h.advance(500);
  check("3: still open within frameTimeoutMs", !c.closed);
  h.advance(1200);
  check("3: closed past frameTimeoutMs", c.closed);
  check("3: the close says why", h.logs.some((l) => /request frame incomplete for \d+ ms \(300 bytes received; filter.frameTimeoutMs is 1000\)/.test(l.msg)),
    JSON.stringify(h.logs.slice(-3).map((l) => l.msg)));
  check("3: counted in kafka.frame_timeout_closed", h.metric("kafka.frame_timeout_closed") === 1n);
}

// ---- 4. the client leaves mid-frame ----
{
  const h = start();
  const c = h.connect(2);
  const f = produce(1, "ok.orders", 600);
  c.feed(DOWNSTREAM, f.subarray(0, 300));
  c.feed(DOWNSTREAM, f.subarray(300, 400), true);
  check("4: the cut frame, never judged, is dropped", c.output(DOWNSTREAM).length === 0 && c.pending[DOWNSTREAM].length === 0,
    `${c.output(DOWNSTREAM).length} bytes sent on, ${c.pending[DOWNSTREAM].length} left in Envoy's buffer`);
}

// ---- 4b. the client ends its side with the frame's last piece: served, and no stall later ----
{
  const h = start();
  const c = h.connect(2);
  const f = produce(1, "ok.orders", 600);
  c.feed(DOWNSTREAM, f.subarray(0, 300));
  c.feed(DOWNSTREAM, f.subarray(300), true);
  check("4b: the frame goes on exactly as sent", c.output(DOWNSTREAM).equals(f));
  h.advance(2500);
  check("4b: the connection is not closed as stalled afterwards", !c.closed && !h.logs.some((l) => /request frame incomplete/.test(l.msg)),
    JSON.stringify(h.logs.slice(-2).map((l) => l.msg)));
}

// ---- 4c. bytes left in Envoy's buffer count in maxBufferedBytes, as held ones do ----
{
  const h = start(200000, { maxBufferedBytes: 65536 });
  // Frames of about 30 KB (one record of 30000 bytes); 25000 bytes of each are sent.
  const frames = [1, 2, 3, 4, 5].map((i) => produce(i, "ok.t" + i, 8, 30000));
  const [a, b, x] = [h.connect(2), h.connect(3), h.connect(4)];
  a.feed(DOWNSTREAM, frames[0].subarray(0, 25000));
  b.feed(DOWNSTREAM, frames[1].subarray(0, 25000));
  check("4c: two frames' 25000 bytes each stay in Envoy's buffers", a.pending[DOWNSTREAM].length === 25000 && b.pending[DOWNSTREAM].length === 25000 && !a.closed && !b.closed);
  x.feed(DOWNSTREAM, frames[2].subarray(0, 25000));
  check("4c: a third would pass 65536 in all: its connection is closed", x.closed);
  check("4c: nothing of it went upstream, Envoy's buffer is emptied", x.output(DOWNSTREAM).length === 0 && x.pending[DOWNSTREAM].length === 0);
  check("4c: the close says why", h.logs.some((l) => /leaving 25000 bytes of it in Envoy's buffer would exceed filter.maxBufferedBytes \(65536/.test(l.msg)),
    JSON.stringify(h.logs.slice(-2).map((l) => l.msg)));
  check("4c: counted in kafka.buffer_budget_closed", h.metric("kafka.buffer_budget_closed") === 1n);
  a.feed(DOWNSTREAM, frames[0].subarray(25000));
  check("4c: the first frame, whole, goes on exactly as sent", a.output(DOWNSTREAM).equals(frames[0]));
  const d = h.connect(5);
  d.feed(DOWNSTREAM, frames[3].subarray(0, 25000));
  check("4c: its bytes given back, another frame may stay in Envoy's buffer", !d.closed && d.pending[DOWNSTREAM].length === 25000);
  b.close();
  const e = h.connect(6);
  e.feed(DOWNSTREAM, frames[4].subarray(0, 25000));
  check("4c: a closed connection's bytes are given back too", !e.closed && e.pending[DOWNSTREAM].length === 25000);
}

// ---- 4e. so does each waiting request's header, client id and all ----
{
  // Metadata v1 for one topic, with a client id of 32,767 bytes (the most a header holds).
  const clientId = "c".repeat(32767);
  const request = (corr) => {
    const t = template("request", 3, 1);
    t.header = { ...t.header, correlationId: corr, clientId };
    t.body = { topics: [{ name: "ok.orders" }] };
    return frame(t, true, 3, 1);
  };
  // Each counts its client id's 65,534 bytes of UTF-16 and the entry's 128: 15 fit in 1 MiB.
  const h = start(0, { maxBufferedBytes: 1 << 20 });
  const c = h.connect(2);
  let sent = 0;
  for (let corr = 1; corr <= 40 && !c.closed; corr++, sent++) c.feed(DOWNSTREAM, request(corr));
  check("4e: requests the broker has not answered, with 32 KB client ids, close their client at the budget", c.closed && sent === 16, `${sent} sent, closed ${c.closed}`);
  check("4e: the close says why", h.logs.some((l) => /keeping the metadata request \(counted as 65662 bytes\) until the broker answers would exceed filter.maxBufferedBytes/.test(l.msg)),
    JSON.stringify(h.logs.slice(-2).map((l) => l.msg)));
}

// ---- 5. the setting off ----
{
  const h = start(0);
  const c = h.connect(2);
  const f = produce(1, "ok.orders", 600);
  let drained = true;
  for (let pos = 0; pos < f.length - 1; pos += 97) {
    c.feed(DOWNSTREAM, f.subarray(pos, Math.min(pos + 97, f.length - 1)));
    drained = drained && c.pending[DOWNSTREAM].length === 0;
  }
  c.feed(DOWNSTREAM, f.subarray(f.length - 1));
  check("5 off: each piece is taken into the VM", drained);
  check("5 off: the frame goes on exactly as sent", c.output(DOWNSTREAM).equals(f));
  check("5 off: nothing counted", h.metric("kafka.request_frames_in_envoy") === 0n);
}

// ---- 4d. what waiting requests keep counts in maxBufferedBytes ----
{
  const METADATA_V = 12;
  /** Metadata naming 1,000 topics no ACL allows: forwarded naming none, 1,000 refusals kept for the answer. */
  const refusedNames = (corr) => {
    const t = template("request", 3, METADATA_V);
    t.header = { ...t.header, correlationId: corr, clientId: "budget" };
    t.body = { topics: Array.from({ length: 1000 }, (_, k) => ({ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: `deny.t${k}` })),
      allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false };
    return frame(t, true, 3, METADATA_V);
  };
  const answer = (corr) => {
    const t = template("response", 3, METADATA_V);
    t.header = { correlationId: corr };
    t.body = { ...t.body, topics: [] };
    return frame(t, false, 3, METADATA_V);
  };
  const size = refusedNames(1).length - 4;
  // Each is counted as 8 bytes per byte of its frame, or 384 per refused entry when that is
  // more (apis/refuse.ts BYTES_PER_REFUSED_ENTRY): room for four, not five.
  const keeps = Math.max(8 * size, 1000 * 384);
  const h = start(0, { maxBufferedBytes: 4 * keeps + 1000 });
  const [a, b] = [h.connect(2), h.connect(3)];
  const calls = (name) => h.hostCalls.get(name) ?? 0;
  const [increments, lookups] = [calls("proxy_increment_metric"), calls("proxy_get_shared_data")];
  a.feed(DOWNSTREAM, refusedNames(1));
  // Its 1,000 refusals are counted once per counter, and look few topic labels up in shared data.
  check("4d: 1,000 refusals counted", h.metric("kafka.denials_total") === 1000n && h.metric("kafka.denied.topic_authorization_failed") === 1000n);
  check("4d: ... in a few counter increments", calls("proxy_increment_metric") - increments <= 12, `${calls("proxy_increment_metric") - increments} increments`);
  check("4d: ... and at most 16 shared-data lookups of topic labels", calls("proxy_get_shared_data") - lookups <= 16, `${calls("proxy_get_shared_data") - lookups} lookups`);
  for (let corr = 2; corr <= 4; corr++) a.feed(DOWNSTREAM, refusedNames(corr));
  check("4d: four waiting requests' refusals fit", !a.closed && a.output(DOWNSTREAM).length > 0, JSON.stringify(h.logs.slice(-1).map((l) => l.msg)));
  b.feed(DOWNSTREAM, refusedNames(1));
  check("4d: a fifth on another connection of the worker would pass the budget: closed", b.closed);
  check("4d: the close says why", h.logs.some((l) => /keeping the metadata request's pending rewrite \(counted as \d+ bytes\) until the broker answers would exceed filter.maxBufferedBytes/.test(l.msg)),
    JSON.stringify(h.logs.slice(-2).map((l) => l.msg)));
  check("4d: counted in kafka.buffer_budget_closed", h.metric("kafka.buffer_budget_closed") === 1n);
  a.feed(UPSTREAM, answer(1));
  const first = decode(a.output(UPSTREAM), false, 3, METADATA_V);
  check("4d: the broker's answer carries the 1,000 refusals", first !== null && first.body.topics.length === 1000 && first.body.topics.every((t) => t.errorCode === 29));
  const c = h.connect(4);
  c.feed(DOWNSTREAM, refusedNames(1));
  check("4d: an answered request gives its share back", !c.closed);
  a.close();
  for (let corr = 2; corr <= 4; corr++) c.feed(DOWNSTREAM, refusedNames(corr));
  check("4d: a closed connection gives back what its waiting requests kept", !c.closed, JSON.stringify(h.logs.slice(-1).map((l) => l.msg)));
}

// ---- 6. byte counters of a connection whose reads never end between frames ----
{
  const h = start();
  const c = h.connect(60);
  // Every read ends one byte into the next frame: the framer holds a byte after each.
  const frames = Array.from({ length: 400 }, (_, i) => produce(i + 1, "ok.orders", 4000));
  const all = Buffer.concat(frames);
  let pos = 0, fed = 0;
  for (const f of frames) {
    const end = Math.min(pos + f.length + (pos === 0 ? 1 : 0), all.length - 1);
    c.feed(DOWNSTREAM, all.subarray(pos, end));
    fed += end - pos;
    pos = end;
  }
  const counted = h.metric("kafka.request_bytes");
  check(`6: ${fed} bytes fed in reads that each end inside a frame: at least all but the last MiB counted`,
    counted >= BigInt(fed - (1 << 20)) && counted <= BigInt(fed), `${counted} of ${fed}`);
  c.feed(DOWNSTREAM, all.subarray(pos));
  check("6: and every byte once the last frame is whole", h.metric("kafka.request_bytes") === BigInt(all.length),
    `${h.metric("kafka.request_bytes")} of ${all.length}`);
  c.close();
}

done();
