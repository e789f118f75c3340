// Bytes that are not Kafka close only their own connection (policy filter.onDecodeError
// "close"): another client's open connection keeps working, and the filter counts it.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique, PLAINTEXT, SASL } from "./lib/env";
import { client, producer } from "./lib/kafkajs";
import { sendRaw, requestFrame } from "./lib/raw";
import { stats, delta, K, waitForLog, brief } from "./lib/envoy";
import * as kcat from "./lib/kcat";

e2e("garbage from a raw socket (not a Kafka frame) closes that connection only", async (c) => {
  const topic = unique("e2e.open.", "garbage");
  const anon = client("anonymous");
  const p = await producer(c, anon);
  await p.send({ topic, messages: [{ value: "before" }] });
  const before = await stats();

  // "GET " read as a Kafka size prefix is a 1.1 GB frame: beyond filter.maxFrameBytes.
  const out = await sendRaw(PLAINTEXT, Buffer.from("GET / HTTP/1.1\r\nHost: kafka\r\n\r\n"));
  assert.equal(out.closed, true, `the connection is closed (after ${out.ms} ms, error ${out.error})`);
  assert.equal(out.received.length, 0, "nothing is answered to garbage");

  // The producer's connections were not touched.
  await p.send({ topic, messages: [{ value: "after" }] });
  assert.equal(anon.sockets.closed, 0, `the other client's connections stay open: ${anon.sockets.describe()}`);

  const after = await stats();
  assert.equal(delta(before, after, K("connections_closed_by_filter")), 1, "the filter closed exactly one connection");
  assert.equal(delta(before, after, K("decode_errors")), 1, "and counts a decode error");
  const line = await waitForLog(c.mark, ["closed by filter"]);
  assert.ok(line, "the filter logs why it closed the connection");
  c.t.diagnostic(brief(line));

  const r = await kcat.consumeAll("anonymous", topic);
  assert.equal(r.stdout, "=before\n=after\n", kcat.show(r));
});

e2e("a well-framed request whose body does not decode closes that connection (request_decode_errors)", async (c) => {
  const topic = unique("e2e.open.", "badbody");
  const anon = client("anonymous");
  const p = await producer(c, anon);
  await p.send({ topic, messages: [{ value: "before" }] });
  const before = await stats();

  // Metadata v12 (flexible header) whose body is 0xff...: the topics array's length varint never ends.
  const frame = requestFrame(3, 12, 7, "e2e-garbage", Buffer.alloc(16, 0xff), true);
  const out = await sendRaw(PLAINTEXT, frame);
  assert.equal(out.closed, true, `the connection is closed (after ${out.ms} ms)`);
  assert.equal(out.received.length, 0, "no response to an undecodable request");

  await p.send({ topic, messages: [{ value: "after" }] });
  assert.equal(anon.sockets.closed, 0, `the other client's connections stay open: ${anon.sockets.describe()}`);

  const after = await stats();
  assert.equal(delta(before, after, K("connections_closed_by_filter")), 1, "the filter closed exactly one connection");
  assert.equal(delta(before, after, K("request_decode_errors")), 1, "and counts a request decode error");
  const line = await waitForLog(c.mark, ["closed by filter", "did not decode"]);
  assert.ok(line, "the filter logs the decode error");
  c.t.diagnostic(brief(line));
});

e2e("garbage on the SASL listener before authentication closes that connection only", async (c) => {
  const topic = unique("orders.", "garbage");
  const alice = client("alice");
  const p = await producer(c, alice);
  await p.send({ topic, messages: [{ value: "before" }] });
  const before = await stats();

  const out = await sendRaw(SASL, Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8]));
  assert.equal(out.closed, true, `the connection is closed (after ${out.ms} ms)`);

  await p.send({ topic, messages: [{ value: "after" }] });
  assert.equal(alice.sockets.closed, 0, `alice's connections stay open: ${alice.sockets.describe()}`);
  const after = await stats();
  assert.equal(delta(before, after, K("connections_closed_by_filter")), 1, "the filter closed exactly one connection");
  assert.ok(await waitForLog(c.mark, ["closed by filter"]), "the filter logs it");
});
