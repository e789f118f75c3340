// Principals come from SASL/PLAIN on 127.0.0.1:19093 and differ in what they may do:
// alice may write "orders." topics (ALLOW WRITE + CREATE), bob may only read them (ALLOW READ),
// admin is a super user.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique } from "./lib/env";
import { client, producer, consume, describeError, rejection } from "./lib/kafkajs";
import { waitForLog, brief, stats, delta, K } from "./lib/envoy";
import * as kcat from "./lib/kcat";

e2e("kafkajs: alice may write orders.*, bob may not, bob may read what alice wrote", async (c) => {
  const topic = unique("orders.", "kjs");
  const alice = client("alice");
  const bob = client("bob");

  const pa = await producer(c, alice);
  const res = await pa.send({ topic, messages: [{ key: "o1", value: "2 apples" }, { key: "o2", value: "3 pears" }] });
  assert.equal(res[0].errorCode, 0);

  const pb = await producer(c, bob);
  const err = await rejection(pb.send({ topic, messages: [{ key: "o3", value: "bob was here" }] }), "bob's send");
  assert.equal((err as { type?: string }).type, "TOPIC_AUTHORIZATION_FAILED", describeError(err));
  const line = await waitForLog(c.mark, ["denied Produce", "principal=User:bob", `TOPIC:${topic}`]);
  assert.ok(line, "the denial names bob's SASL principal");
  c.t.diagnostic(brief(line));

  const got = await consume(c, bob, topic, unique("e2e.group.", "bob"), 2);
  assert.deepEqual(got.map((m) => [m.key, m.value]), [["o1", "2 apples"], ["o2", "3 pears"]]);
});

e2e("kcat: alice may write orders.*, bob may not, bob may read", async (c) => {
  const topic = unique("orders.", "kcat");
  const w = await kcat.produce("alice", topic, ["from alice"], "a");
  assert.equal(w.code, 0, kcat.show(w));

  const d = await kcat.produce("bob", topic, ["from bob"], "b");
  assert.match(d.stderr, /Topic authorization failed/, kcat.show(d));
  assert.notEqual(d.code, 0, kcat.show(d));
  assert.ok(await waitForLog(c.mark, ["denied", "principal=User:bob", topic]), "the filter logs bob's denial");

  const r = await kcat.consumeAll("bob", topic);
  assert.equal(r.code, 0, kcat.show(r));
  assert.equal(r.stdout, "a=from alice\n", kcat.show(r));
});

e2e("the filter learns the principal from a successful SASL/PLAIN authentication", async (c) => {
  const topic = unique("orders.", "principal");
  const before = await stats();
  const w = await kcat.produce("alice", topic, ["x"]);
  assert.equal(w.code, 0, kcat.show(w));
  const line = await waitForLog(c.mark, ["authenticated User:alice via SASL/PLAIN"]);
  assert.ok(line, "the filter logs the principal it will enforce for this connection");
  assert.ok(delta(before, await stats(), K("sasl.authentications")) >= 1, "kafka.sasl.authentications counts it");
});

e2e("a wrong SASL password is refused (by the broker, through the filter), counted and logged with who and from where", async (c) => {
  const topic = unique("orders.", "badpw");
  const before = await stats();
  const r = await kcat.kcat(["-P", "-b", "127.0.0.1:19093", "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN",
    "-X", "sasl.username=alice", "-X", "sasl.password=wrong", "-X", "message.timeout.ms=5000", "-t", topic], { input: "x\n", timeoutMs: 15_000 });
  assert.match(r.stderr, /Authentication failed|SASL authentication error/i, kcat.show(r));
  assert.notEqual(r.code, 0, kcat.show(r));
  const line = await waitForLog(c.mark, ["kafka filter: SASL/PLAIN authentication as User:alice from 127.0.0.1 failed: sasl_authentication_failed"]);
  assert.ok(line, "the filter logs the refused login");
  c.t.diagnostic(brief(line));
  const after = await stats();
  assert.ok(delta(before, after, K("sasl.authentication_failures")) >= 1, "kafka.sasl.authentication_failures counts it");
  assert.equal(delta(before, after, K("sasl.authentications")), 0, "and kafka.sasl.authentications does not");
});
