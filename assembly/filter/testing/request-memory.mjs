// What one large hostile request makes a VM's linear memory grow by, per byte of its frame,
// under the mock Envoy host. A VM collects only between frames and callbacks (runtime/collect.ts),
// so everything one request's decision allocates is held at once, and the allocator doubles the
// heap whenever a block does not fit; memory is reused after, never given back. Envoy runs a VM
// per worker: a few such requests cost hundreds of MiB. Each case below sends one request (after
// a small one of the same kind, so that first-use allocations are not counted), answers whatever
// goes to the broker or the policy service, and checks that the client was answered and that the
// VM grew by less than a bound per frame byte.
//
//                                                                  ff6cbb2's build    4dce498's          this one
//   Produce v13, one unknown topic id, 64,000 partitions (375 KiB)   63.5 MiB (173/B)   31.5 MiB (86/B)    31.5 MiB (86/B)    bound 128/B
//   Metadata v1, 125 names of 32,000 control characters (3.9 MB)     36.0 MiB (9.4/B)   36.0 MiB (9.4/B)   36.0 MiB (9.4/B)   bound 12/B
//   ... the same asked of an external policy service                 291.5 MiB (76/B)   145.5 MiB (38/B)   36.0 MiB (9.4/B)   bound 12/B
//   DeleteTopics v5, 50,000 refused names (344 KiB)                   31.5 MiB (94/B)    15.5 MiB (46/B)    15.5 MiB (46/B)    bound 64/B
//   OffsetFetch v8, 20,000 refused groups (331 KiB)                   31.5 MiB (98/B)    15.5 MiB (48/B)    15.5 MiB (48/B)    bound 64/B
//   OffsetCommit v8, 30,000 refused topics (790 KiB)                  21.5 MiB (28/B)    21.5 MiB (28/B)    21.5 MiB (28/B)    bound 40/B
//   DescribeConfigs v4, 50,000 refused topics (490 KiB)               33.5 MiB (70/B)    33.5 MiB (70/B)    16.5 MiB (34/B)    bound 48/B
//
// Where the bytes went on ff6cbb2 (an rtrace build's allocations by call site): each refused
// entry's answer object carried an empty array (an AssemblyScript Array reserves 8 elements) and
// a default struct per such field; Writer.string encoded each string into a buffer of its own;
// an answer's output queue grew fourfold past its size; a question to the policy service was
// joined into one UTF-16 string before it was encoded, and a refusal it decided copied the name
// twice. On 4dce498: each question's name was still quoted as UTF-16 (12 bytes per control
// character) before its body was encoded, the body kept until the callback ended, and every
// look-up of the question (asked, explained, audited) joined a key copying the name; an answer
// naming the refused topics was copied once more before it was queued; a generated nullable
// array whose default is an empty array (DescribeConfigsResource.configurationKeys) was
// allocated with its object and replaced when read. The cases with a bound every build meets
// keep what is left from growing: growth moves in doublings, so a bound sits between this
// build's figure and the next doubling.
//
//   node assembly/filter/testing/request-memory.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure; VERBOSE=1 prints each figure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { i16, i32, i64, uvarint, compactString, sized, metadataV1, metadataResponseTopics, apiVersionsResponse, KAFKA_44_API_RANGES } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();
const tags = uvarint(0);
const MiB = 2 ** 20;

/** Request header v2 (flexible) of `apiKey` v`version`. */
const header2 = (apiKey, version, corr) => Buffer.concat([i16(apiKey), i16(version), i32(corr), i16(1), Buffer.from("m"), tags]);
const compactArray = (items) => Buffer.concat([uvarint(items.length + 1), ...items]);

/** Produce v13 naming one topic id no broker answer told, with `n` empty partitions. */
function produceV13(corr, n) {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(77, 12);
  const parts = [header2(0, 13, corr), uvarint(0), i16(-1), i32(30000), uvarint(2), id, uvarint(n + 1)];
  for (let k = 0; k < n; k++) parts.push(i32(k), uvarint(1), tags);
  parts.push(tags, tags);
  return sized(Buffer.concat(parts));
}

/** DeleteTopics v5 naming `names`. */
const deleteTopicsV5 = (corr, names) => sized(Buffer.concat([header2(20, 5, corr), compactArray(names.map(compactString)), i32(30000), tags]));

/** OffsetFetch v8 of `groups` groups, each asking for one partition of one topic. */
const offsetFetchV8 = (corr, groups) => sized(Buffer.concat([header2(9, 8, corr),
  compactArray(groups.map((g) => Buffer.concat([compactString(g), compactArray([Buffer.concat([compactString("t"), compactArray([i32(0)]), tags])]), tags]))),
  Buffer.from([0]), tags]));

/** OffsetCommit v8 by group "g" of partition 0 of each of `topics`. */
const offsetCommitV8 = (corr, topics) => sized(Buffer.concat([header2(8, 8, corr), compactString("g"), i32(-1), compactString(""), uvarint(0),
  compactArray(topics.map((t) => Buffer.concat([compactString(t), compactArray([Buffer.concat([i32(0), i64(0), i32(-1), uvarint(0), tags])]), tags]))),
  tags]));

/** DescribeConfigs v4 of `names` (topics), all their configs. */
const describeConfigsV4 = (corr, names) => sized(Buffer.concat([header2(32, 4, corr),
  compactArray(names.map((n) => Buffer.concat([Buffer.from([2]), compactString(n), uvarint(0), tags]))), Buffer.from([0, 0]), tags]));

const names = (n, prefix = "no.") => Array.from({ length: n }, (_, k) => prefix + k.toString(36));

const acls = [{ principal: "User:*", host: "*", resourceType: "GROUP", resourceName: "g", resourcePatternType: "LITERAL", operation: "ALL", permissionType: "ALLOW" }];
const local = JSON.stringify({ allowEveryoneIfNoAclFound: false, acls });
const external = JSON.stringify({ external: { cluster: "opa", timeoutMs: 500, cacheTtlMs: 600000, failOpen: false } });

/** Answers what went upstream since the last call: ApiVersions as Kafka 4.4 does, Metadata naming no topic; anything else is unexpected. */
function answerBroker(c, state) {
  const up = c.output(DOWNSTREAM);
  for (; state.at + 4 <= up.length; state.at += 4 + up.readInt32BE(state.at)) {
    const [apiKey, version, corr] = [up.readInt16BE(state.at + 4), up.readInt16BE(state.at + 6), up.readInt32BE(state.at + 8)];
    if (apiKey === 18) { c.feed(UPSTREAM, apiVersionsResponse(corr, KAFKA_44_API_RANGES)); continue; }
    if (apiKey !== 3) { state.unexpected.push(apiKey); continue; }
    c.feed(UPSTREAM, version >= 12 ? metadataResponseTopics(corr, []) : sized(Buffer.concat([i32(corr), i32(0), i32(1), i32(0)])));
  }
}

/** `denials`: what kafka.denials_total counts of the request (a topic id no answer told counts once). */
function measure(what, denials, bound, config, make) {
  const h = new Host(WASM, { config });
  if (h.start() !== 1) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-1)));
  const isExternal = config === external;
  if (isExternal && h.addRoot(2, "kafka_resume") !== 1) throw new Error("configure resume root: " + JSON.stringify(h.logs.slice(-1)));
  const c = isExternal
    ? h.connect(101, { "source.address": "10.0.0.7:40000", "destination.address": "127.0.0.1:19096", plugin_name: "kafka-opa" }, { before: [{ id: 100, root: 2 }] })
    : h.connect(101);
  const state = { at: 0, unexpected: [] };
  const run = (frame) => {
    const answeredBefore = c.output(UPSTREAM).length;
    c.feed(DOWNSTREAM, frame);
    for (let round = 0; round < 4; round++) {
      for (const call of h.pendingCalls()) h.answer(call.token, { status: 200, body: { result: { allowed: false, reason: "no" } } });
      answerBroker(c, state);
    }
    return c.output(UPSTREAM).length - answeredBefore;
  };
  // Warmed up: a small frame of the kind first, so that what is measured is the large one's.
  run(make(1, true));
  const frame = make(2, false);
  const before = h.x.memory.buffer.byteLength;
  const deniedBefore = h.metric("kafka.denials_total");
  let trap = null, answered = 0;
  try { answered = run(frame); } catch (e) { trap = String(e).slice(0, 200); }
  const grown = h.x.memory.buffer.byteLength - before;
  check(`${what}: no trap, answered`, trap === null && !c.closed && answered > 8 && state.unexpected.length === 0,
    trap ?? `${answered} bytes back, upstream ${state.unexpected}, ${h.logs.slice(-1).map((l) => l.msg).join("")}`);
  const denied = h.metric("kafka.denials_total") - deniedBefore;
  check(`${what}: refused, ${denials} denials counted`, denied === BigInt(denials), `${denied} denials`);
  const perByte = grown / frame.length;
  check(`${what}: the VM grows by less than ${bound} bytes per frame byte`, perByte < bound,
    `${(grown / MiB).toFixed(1)} MiB for ${(frame.length / 1024).toFixed(0)} KiB: ${perByte.toFixed(1)} per byte`);
  if (process.env.VERBOSE) console.log(`${what}: ${(frame.length / 1024).toFixed(0)} KiB frame, +${(grown / MiB).toFixed(1)} MiB, ${perByte.toFixed(1)} per frame byte`);
}

const longNames = (n) => Array.from({ length: n }, (_, k) => "\u0001".repeat(32000 - 8) + k.toString().padStart(8, "0"));
measure("Produce v13, 64,000 partitions of an unknown topic id", 1, 128, local, (corr, small) => produceV13(corr, small ? 10 : 64000));
measure("Metadata v1, 125 names of 32,000 control characters", 125, 12, local, (corr, small) => metadataV1(corr, small ? ["x"] : longNames(125)));
measure("Metadata v1, 125 names of 32,000 control characters, external service", 125, 12, external, (corr, small) => metadataV1(corr, small ? ["x"] : longNames(125)));
measure("DeleteTopics v5, 50,000 refused names", 50000, 64, local, (corr, small) => deleteTopicsV5(corr, names(small ? 3 : 50000)));
measure("OffsetFetch v8, 20,000 refused groups", 20000, 64, local, (corr, small) => offsetFetchV8(corr, names(small ? 3 : 20000)));
measure("OffsetCommit v8, 30,000 refused topics", 30000, 40, local, (corr, small) => offsetCommitV8(corr, names(small ? 3 : 30000)));
measure("DescribeConfigs v4, 50,000 refused topics", 50000, 48, local, (corr, small) => describeConfigsV4(corr, names(small ? 3 : 50000)));

done();
