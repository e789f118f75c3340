// A denied Produce is answered, not dropped: the client gets Kafka's TOPIC_AUTHORIZATION_FAILED
// for the denied topic and its connection goes on serving. ANONYMOUS may read (so describe)
// "e2e.readonly." topics but not write them (policy: DENY WRITE TOPIC PREFIXED "e2e.readonly.").

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique } from "./lib/env";
import { client, producer, errorTypes, describeError, rejection } from "./lib/kafkajs";
import { stats, delta, K, DOWNSTREAM_CX, waitForLog, brief } from "./lib/envoy";
import * as kcat from "./lib/kcat";
import { Wire, API, request, metadata, PRODUCE_VERSION } from "./lib/attack";
import { recordBatch } from "../bench/lib/wire";

e2e("kafkajs: produce to a denied topic fails with TOPIC_AUTHORIZATION_FAILED and the same connection keeps serving", async (c) => {
  const allowed = unique("e2e.open.", "same-conn");
  const denied = unique("e2e.readonly.", "same-conn");
  const anon = client("anonymous");
  const p = await producer(c, anon);
  // Warm up: metadata + the broker connection for the allowed topic.
  await p.send({ topic: allowed, messages: [{ value: "before" }] });

  const before = await stats();
  const socketsBefore = anon.sockets.opened;

  const err = await rejection(p.send({ topic: denied, messages: [{ value: "nope" }] }), "send to " + denied);
  assert.equal((err as Error).name, "KafkaJSProtocolError", describeError(err));
  assert.equal((err as { type?: string }).type, "TOPIC_AUTHORIZATION_FAILED", describeError(err));

  // The same producer, on the connections it already has, is still served.
  const ok = await p.send({ topic: allowed, messages: [{ value: "after" }] });
  assert.equal(ok[0].errorCode, 0);

  const after = await stats();
  assert.equal(anon.sockets.opened, socketsBefore, `kafkajs opened no new connection: ${anon.sockets.describe()}`);
  assert.equal(anon.sockets.closed, 0, `no connection of this producer closed: ${anon.sockets.describe()}`);
  assert.equal(delta(before, after, DOWNSTREAM_CX.plaintext), 0, "Envoy accepted no new client connection on 19092");
  assert.equal(delta(before, after, K("connections")), 0, "the filter saw no new connection");
  assert.equal(delta(before, after, K("connections_closed_by_filter")), 0, "the filter closed no connection");
  assert.ok(delta(before, after, K("denied.topic_authorization_failed")) >= 1,
    "the denial is counted (kafka.denied.<error>)");

  const line = await waitForLog(c.mark, ["denied Produce", "principal=User:ANONYMOUS", `TOPIC:${denied}`]);
  assert.ok(line, `the filter logs the denial of ${denied}`);
  c.t.diagnostic(brief(line));
});

e2e("kcat: produce to a denied topic fails with librdkafka's 'Topic authorization failed'", async (c) => {
  const denied = unique("e2e.readonly.", "kcat");
  const r = await kcat.produce("anonymous", denied, ["nope"]);
  assert.match(r.stderr, /Delivery failed for message: Broker: Topic authorization failed/, kcat.show(r));
  assert.equal(r.timedOut, false, kcat.show(r));
  assert.notEqual(r.code, 0, "kcat exits non-zero when a message is not delivered");
  const line = await waitForLog(c.mark, ["denied", "principal=User:ANONYMOUS", denied]);
  assert.ok(line, `the filter logs a denial naming ${denied}`);
});

e2e("kafkajs: a sendBatch to an allowed and a denied topic partly succeeds", async (c) => {
  const allowed = unique("e2e.open.", "mixed");
  const denied = unique("e2e.readonly.", "mixed");
  const anon = client("anonymous");
  const p = await producer(c, anon);
  // Both topics exist first, so that both are in the one Produce request kafkajs sends.
  await p.send({ topic: allowed, messages: [{ key: "0", value: "first" }] });
  const admin = client("admin");
  const ap = await producer(c, admin);
  await ap.send({ topic: denied, messages: [{ key: "0", value: "by admin" }] });

  const err = await rejection(p.sendBatch({
    topicMessages: [
      { topic: allowed, messages: [{ key: "1", value: "mixed-a" }, { key: "2", value: "mixed-b" }] },
      { topic: denied, messages: [{ key: "1", value: "must not land" }] },
    ],
  }), "sendBatch");
  assert.ok(errorTypes(err).includes("TOPIC_AUTHORIZATION_FAILED"), describeError(err));

  // The allowed topic's messages landed; the denied topic has only admin's message.
  const a = await kcat.consumeAll("anonymous", allowed);
  assert.equal(a.stdout, "0=first\n1=mixed-a\n2=mixed-b\n", kcat.show(a));
  const d = await kcat.consumeAll("admin", denied);
  assert.equal(d.stdout, "0=by admin\n", kcat.show(d));
  assert.ok(await waitForLog(c.mark, ["denied Produce", `TOPIC:${denied}`]), "the filter logs the denied half");
});

// Kafka never answers a Produce with acks=0; refusing one, it closes the connection, after the
// answers to the requests before it (it reads a connection's requests one at a time). Through
// Envoy the same: the client's earlier requests are answered, then the connection closes (the
// build of 55a8663 closed at once, and those answers were lost).
e2e("a refused Produce with acks=0 closes the connection after the answers to the requests pipelined before it", async (c) => {
  const denied = unique("e2e.readonly.", "acks0");
  const w = await Wire.for(c, "plaintext");
  const acks0 = await request(API.Produce, PRODUCE_VERSION, 3, { transactionalId: null, acks: 0, timeoutMs: 5000,
    topicData: [{ name: denied, partitionData: [{ index: 0, records: recordBatch(1, 16).toString("base64") }] }] });
  await w.send(Buffer.concat([await metadata(1, null), await metadata(2, ["e2e.open.acks0"]), acks0, await metadata(4, null)]));
  const corrs: number[] = [];
  for (let f = await w.next(10_000); f !== null; f = await w.next(10_000)) corrs.push(f.readInt32BE(0));
  c.t.diagnostic(`answers before the close: ${JSON.stringify(corrs)}; closed ${w.closed}`);
  assert.deepEqual(corrs, [1, 2], "the two Metadata requests before the refused Produce are answered, in order, and nothing after it");
  assert.ok(w.closed, "then the connection closes");
  assert.ok(await waitForLog(c.mark, ["refused Produce with acks=0"]), "the filter says why it closed");
});
