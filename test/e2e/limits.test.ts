// Produce limits (limits.produce): "e2e.small." topics take record batches of at most 1024 bytes;
// "orders." topics require acks=-1. A refused batch is answered with Kafka's own error for it.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique } from "./lib/env";
import { client, producer, describeError, rejection } from "./lib/kafkajs";
import { waitForLog, brief } from "./lib/envoy";
import * as kcat from "./lib/kcat";

e2e("kafkajs: a record batch over maxBatchBytes fails with MESSAGE_TOO_LARGE; a small one passes", async (c) => {
  const topic = unique("e2e.small.", "batch");
  const p = await producer(c, client("anonymous"));
  const ok = await p.send({ topic, messages: [{ value: "small enough" }] });
  assert.equal(ok[0].errorCode, 0);

  const err = await rejection(p.send({ topic, messages: [{ value: "x".repeat(4096) }] }), "4 KiB batch");
  assert.equal((err as { type?: string }).type, "MESSAGE_TOO_LARGE", describeError(err));
  const line = await waitForLog(c.mark, ["denied Produce", `TOPIC:${topic}`, "exceeds 1024"]);
  assert.ok(line, "the filter logs the limit it applied");
  c.t.diagnostic(brief(line));

  const r = await kcat.consumeAll("anonymous", topic);
  assert.equal(r.stdout, "=small enough\n", kcat.show(r));
});

e2e("kafkajs: acks=1 to a topic that requires acks=-1 fails with INVALID_REQUIRED_ACKS", async (c) => {
  const topic = unique("orders.", "acks");
  const p = await producer(c, client("alice"));
  await p.send({ topic, messages: [{ value: "acks=-1 is fine" }] }); // kafkajs's default acks is -1
  const err = await rejection(p.send({ topic, acks: 1, messages: [{ value: "acks=1" }] }), "acks=1 send");
  assert.equal((err as { type?: string }).type, "INVALID_REQUIRED_ACKS", describeError(err));
});
