// A request is read as Kafka's broker reads it, or does not go on (issue 8's hostile-clients
// work; assembly/filter/testing/kafka-reads.mjs has the same cases under the mock host). Each
// case is first sent straight to the broker, to show that Kafka reads the bytes, then through
// Envoy:
//   - a Metadata whose topic count is a varint with a fifth byte Kafka reads (its bits past the
//     32nd dropped), or -2 (null to Kafka, as any negative length: every topic): answered as
//     the broker answers it, the policy deciding on the topics the broker reads; the build
//     before closed such a client, and under "pass" passed the listing on unjudged, hidden
//     topics and all;
//   - under filter.onDecodeError "pass" (a configuration reload), a Fetch of a topic the client
//     may not read whose ClusterId tag does not fill its size (Kafka reads the value and ignores
//     the size) is closed; the build before passed it on unjudged and the broker served the
//     topic's records;
//   - under "pass", a Produce v2 (a version the codecs do not know; Kafka 3.9 serves it) to a
//     topic the client may not write is closed and nothing is written (skipped against a broker
//     that closes Produce v2 itself, as Kafka 4.x does: `make test-e2e KAFKA_VERSION=3.9.1` runs it).
// The file ends with test/e2e/policy.json in force again.

import assert from "node:assert/strict";
import { after } from "node:test";
import { readFileSync, writeFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { e2e, type Ctx } from "./lib/harness";
import { unique, RUN, POLICY_FILE } from "./lib/env";
import { stats, delta, K, waitForLog, reloadPolicy, brief } from "./lib/envoy";
import { Wire, API, ERR, response, produce, produceErrors, directAdmin, ensureTopics, highWatermark } from "./lib/attack";
import { requestFrame } from "./lib/raw";
import { int16, int32, uvarint, compactString } from "./lib/bytes";

const PASS_POLICY = join(tmpdir(), `kafka-wasm-reads-pass-policy-${RUN}.json`);
{
  const base = JSON.parse(readFileSync(POLICY_FILE, "utf8"));
  writeFileSync(PASS_POLICY, JSON.stringify({ ...base, filter: { ...base.filter, onDecodeError: "pass" } }));
}

const CLIENT = `e2e-reads-${RUN}`;

/** One topic, its count written in five bytes: Kafka's readUnsignedVarint reads 2 | (0x10 << 28) as 2. */
const ONE_TOPIC_IN_FIVE_BYTES = Buffer.from([0x82, 0x80, 0x80, 0x80, 0x10]);

/** Metadata v12 naming `topic`, its topic count in five bytes. */
function metadataV12(corr: number, topic: string): Buffer {
  const body = Buffer.concat([ONE_TOPIC_IN_FIVE_BYTES, Buffer.alloc(16), compactString(topic), Buffer.from([0]), Buffer.from([0, 0]), Buffer.from([0])]);
  return requestFrame(API.Metadata, 12, corr, CLIENT, body, true);
}

/** Metadata v4 whose topic count is -2: null to Kafka's reader (any negative length is), a listing of every topic. */
const metadataV4All = (corr: number): Buffer => requestFrame(API.Metadata, 4, corr, CLIENT, Buffer.concat([int32(-2), Buffer.from([0])]), false);
async function listed(frame: Buffer): Promise<string[]> {
  return (await response(frame, API.Metadata, 4)).topics.map((t: any) => t.name as string);
}

/** Fetch v12 of partition 0 of `topic` from offset 0; its ClusterId tag (tag 0) says it is `size` bytes, its value 3. */
function fetchV12(corr: number, topic: string, size: number): Buffer {
  const partition = Buffer.concat([int32(0), int32(-1), Buffer.alloc(8), int32(-1), Buffer.alloc(8, 0xff), int32(1 << 20), Buffer.from([0])]);
  const clusterId = compactString("c1");
  const tagged = Buffer.concat([uvarint(1), uvarint(0), uvarint(size), clusterId, Buffer.alloc(Math.max(0, size - clusterId.length))]);
  const body = Buffer.concat([
    int32(-1), int32(0), int32(1), int32(1 << 20), Buffer.from([0]), int32(0), int32(-1), // replica, wait, min, max, isolation, session, epoch
    uvarint(2), compactString(topic), uvarint(2), partition, Buffer.from([0]), // one topic, one partition
    uvarint(1), compactString(""), tagged, // no forgotten topics, rack id, the tag
  ]);
  return requestFrame(API.Fetch, 12, corr, CLIENT, body, true);
}

/** Produce v2 (acks -1) of one magic-1 message to partition 0 of `topic`. */
function produceV2(corr: number, topic: string): Buffer {
  const value = Buffer.from("written past the policy");
  const content = Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(8), int32(-1), int32(value.length), value]); // magic, attributes, timestamp, null key, value
  const message = Buffer.concat([int32(crc32(content) | 0), content]);
  const set = Buffer.concat([Buffer.alloc(8), int32(message.length), message]);
  const body = Buffer.concat([int16(-1), int32(5000), int32(1), int16(Buffer.byteLength(topic)), Buffer.from(topic), int32(1), int32(0), int32(set.length), set]);
  return requestFrame(API.Produce, 2, corr, CLIENT, body, false);
}

/** The error code of the first partition in a Produce v2 answer (the codecs know no v2). */
function produceV2Error(frame: Buffer): number {
  let at = 4 + 4; // correlation id, topic count
  at += 2 + frame.readInt16BE(at); // topic name
  at += 4 + 4; // partition count, index
  return frame.readInt16BE(at);
}

/** Records bytes Fetch v12's answer carries for the first partition (0 when none). */
async function recordBytes(frame: Buffer): Promise<{ error: number; bytes: number }> {
  const body = await response(frame, API.Fetch, 12);
  const p = body.responses[0]?.partitions[0];
  const records = p?.records;
  return { error: p?.errorCode ?? -1, bytes: typeof records === "string" ? Buffer.from(records, "base64").length : 0 };
}

/** Sends `frame` on `w` and returns the next answer, or null when the peer closed (or none came within 5 s). */
async function ask(w: Wire, frame: Buffer): Promise<Buffer | null> {
  await w.send(frame);
  const f = await w.next(5000);
  return f;
}

after(() => reloadPolicy(POLICY_FILE), { timeout: 150_000 });

e2e("a Metadata whose topic count has a fifth byte, or is -2, is read as Kafka reads it: the topics decided, the client answered", async (c) => {
  const open = unique("e2e.open.", "fivebyte");
  const hidden = unique("hidden.", "fivebyte");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [open, hidden]);

  // Kafka reads the count as one topic.
  const direct = await Wire.direct();
  c.cleanup(() => direct.destroy());
  const straight = await ask(direct, metadataV12(1, open));
  assert.ok(straight !== null, "the broker answers the Metadata itself");
  const fromBroker = (await response(straight, API.Metadata, 12)).topics;
  assert.deepEqual(fromBroker.map((t: any) => [t.name, t.errorCode]), [[open, 0]], "the broker reads one topic");

  const w = await Wire.for(c, "plaintext");
  const before = await stats();
  const allowed = await ask(w, metadataV12(2, open));
  assert.ok(allowed !== null, `answered through Envoy, not closed (closed: ${w.closed})`);
  const topics = (await response(allowed, API.Metadata, 12)).topics;
  assert.deepEqual(topics.map((t: any) => [t.name, t.errorCode, t.partitions.length]), [[open, 0, 1]], "the topic the client may describe, as the broker names it");

  const refused = await ask(w, metadataV12(3, hidden));
  assert.ok(refused !== null, "a topic it may not describe: answered too");
  const hiddenTopics = (await response(refused, API.Metadata, 12)).topics;
  assert.deepEqual(hiddenTopics.map((t: any) => [t.name, t.errorCode, t.partitions.length]), [[hidden, ERR.TOPIC_AUTHORIZATION_FAILED, 0]],
    "refused as the topic Kafka reads, nothing of it shown");
  // A topic count of -2 is null to Kafka: every topic. Through Envoy, a listing the policy cuts.
  const everything = await ask(direct, metadataV4All(4));
  assert.ok(everything !== null, "the broker answers a Metadata whose topic count is -2");
  const all = await listed(everything);
  assert.ok(all.includes(open) && all.includes(hidden), `the broker lists every topic (${all.length})`);
  const cut = await ask(w, metadataV4All(5));
  assert.ok(cut !== null, `answered through Envoy, not closed (closed: ${w.closed})`);
  const shown = await listed(cut);
  assert.ok(shown.includes(open) && !shown.includes(hidden), `the listing through Envoy shows ${open}, not ${hidden} (${shown.length} topics)`);

  const after = await stats();
  assert.equal(delta(before, after, K("request_decode_errors")), 0, "nothing failed to decode");
  assert.equal(w.closed, false, "the connection stays open");
});

e2e("under onDecodeError pass, a Metadata whose topic count is -2 lists only what the client may describe", async (c) => {
  const hidden = unique("hidden.", "negative");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [hidden]);
  await reloadPolicy(PASS_POLICY);
  const w = await Wire.for(c, "plaintext");
  const answer = await ask(w, metadataV4All(1));
  assert.ok(answer !== null, `answered (closed: ${w.closed})`);
  const shown = (await listed(answer)).sort();
  assert.ok(shown.length > 0 && !shown.includes(hidden), `${hidden} is not listed (${shown.length} topics shown)`);
  // -2 is null to Kafka: the same listing as the -1 clients send, cut the same way.
  const asNull = await ask(w, requestFrame(API.Metadata, 4, 2, CLIENT, Buffer.concat([int32(-1), Buffer.from([0])]), false));
  assert.ok(asNull !== null);
  assert.deepEqual(shown, (await listed(asNull)).sort(), "the listing of a -1 count, topic for topic");
});

e2e("under onDecodeError pass, a Fetch whose ClusterId tag does not fill its size is closed, not served", async (c) => {
  const topic = unique("e2e.writeonly.", "tagsize"); // the client may write, not read
  const admin = await directAdmin(c);
  await ensureTopics(admin, [topic]);
  const producer = await Wire.direct();
  c.cleanup(() => producer.destroy());
  const produced = await ask(producer, await produce(1, topic));
  assert.ok(produced !== null);
  assert.deepEqual(await produceErrors(produced), [0], "a record written at the broker");

  // Kafka reads the tag's value and ignores its size: it serves the records.
  for (const size of [4, 2]) {
    const direct = await Wire.direct();
    c.cleanup(() => direct.destroy());
    const served = await ask(direct, fetchV12(1, topic, size));
    assert.ok(served !== null, `the broker answers a Fetch whose 3-byte ClusterId says ${size} bytes`);
    const r = await recordBytes(served);
    assert.ok(r.error === 0 && r.bytes > 0, `the broker serves the records (error ${r.error}, ${r.bytes} bytes)`);
  }

  await reloadPolicy(PASS_POLICY);
  for (const size of [4, 2]) {
    const before = await stats();
    const w = await Wire.for(c, "plaintext");
    const answer = await ask(w, fetchV12(2, topic, size));
    const closed = await w.waitClosed(5000);
    assert.equal(answer, null, `nothing is answered through Envoy (${answer === null ? "" : JSON.stringify(await recordBytes(answer))})`);
    assert.equal(closed, true, "the connection is closed");
    const after = await stats();
    assert.equal(delta(before, after, K("connections_closed_by_filter")), 1, "by the filter");
    const line = await waitForLog(c.mark, ["closed by filter", "not passed on under onDecodeError pass: a broker may read it"]);
    assert.ok(line, "the line says why");
    c.t.diagnostic(brief(line));
  }
});

e2e("under onDecodeError pass, a Produce v2 (a version the codecs do not know) is closed and nothing is written", async (c) => {
  const topic = unique("e2e.readonly.", "v2"); // the client may read, not write
  const admin = await directAdmin(c);
  await ensureTopics(admin, [topic]);

  // Kafka 3.9 serves Produce v2. Kafka 4.x still offers Produce v0 in ApiVersions (for old
  // librdkafka) but closes v0-v2: nothing to show there.
  const direct = await Wire.direct();
  c.cleanup(() => direct.destroy());
  const written = await ask(direct, produceV2(1, topic));
  if (written === null) {
    c.t.skip("the broker closes a Produce v2 itself (Kafka 4.x); run with KAFKA_VERSION=3.9.1");
    return;
  }
  assert.equal(produceV2Error(written), 0, "the broker writes a Produce v2");
  assert.equal(await highWatermark(admin, topic), 1, "its message is there");

  await reloadPolicy(PASS_POLICY);
  const w = await Wire.for(c, "plaintext");
  const answer = await ask(w, produceV2(2, topic));
  assert.equal(answer, null, "nothing is answered through Envoy");
  assert.equal(await w.waitClosed(5000), true, "the connection is closed");
  assert.equal(await highWatermark(admin, topic), 1, "nothing more was written");
  const line = await waitForLog(c.mark, ["closed by filter", "unsupported api key 0 version 2"]);
  assert.ok(line, "the line says why");
  c.t.diagnostic(brief(line));
});
