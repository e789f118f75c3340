// Metadata hides what a principal may not DESCRIBE: ANONYMOUS has no ACL on "secret." topics
// (only alice may read them), so a list of all topics leaves them out and asking for one by
// name answers TOPIC_AUTHORIZATION_FAILED; the super user admin sees everything.

import assert from "node:assert/strict";
import { e2e, type Ctx } from "./lib/harness";
import { unique } from "./lib/env";
import { POLICY_ACLS, patternCovers, fromLoopback } from "./lib/policy";
import { client, producer, admin, describeError, rejection } from "./lib/kafkajs";
import * as kcat from "./lib/kcat";

// Kafka: an ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE (CREATE does not).
const DESCRIBING = new Set(["READ", "WRITE", "DELETE", "ALTER", "DESCRIBE", "ALL"]);

/** Does an ALLOW ACL of the e2e policy let ANONYMOUS describe `topic`? (The policy has no DENY of DESCRIBE.) */
function anonymousMayDescribe(topic: string): boolean {
  return POLICY_ACLS.some((a) => (a.principal === "User:ANONYMOUS" || a.principal === "User:*") && a.resourceType === "TOPIC"
    && a.permissionType === "ALLOW" && DESCRIBING.has(a.operation) && patternCovers(a, topic) && fromLoopback(a));
}

/** A secret and an open topic, both made by admin (auto-created by producing one message each). */
async function fixtures(c: Ctx): Promise<{ secret: string; open: string }> {
  const secret = unique("secret.", "meta");
  const open = unique("e2e.open.", "meta");
  const p = await producer(c, client("admin"));
  await p.send({ topic: secret, messages: [{ value: "classified" }] });
  await p.send({ topic: open, messages: [{ value: "public" }] });
  return { secret, open };
}

e2e("kafkajs: listTopics as ANONYMOUS leaves out topics it may not describe; admin sees them", async (c) => {
  const { secret, open } = await fixtures(c);

  const anonTopics = await (await admin(c, client("anonymous"))).listTopics();
  assert.ok(anonTopics.includes(open), `ANONYMOUS sees ${open}`);
  assert.ok(!anonTopics.includes(secret), `ANONYMOUS must not see ${secret}`);
  const leaked = anonTopics.filter((t) => !anonymousMayDescribe(t));
  assert.deepEqual(leaked, [], "ANONYMOUS sees only topics an ACL of the policy lets it describe");

  const adminTopics = await (await admin(c, client("admin"))).listTopics();
  assert.ok(adminTopics.includes(secret) && adminTopics.includes(open), "admin (super user) sees both");
});

e2e("kafkajs: fetchTopicMetadata of a hidden topic fails with TOPIC_AUTHORIZATION_FAILED for ANONYMOUS, works for admin", async (c) => {
  const { secret, open } = await fixtures(c);
  const anon = await admin(c, client("anonymous"));

  const mine = await anon.fetchTopicMetadata({ topics: [open] });
  assert.deepEqual(mine.topics.map((t) => [t.name, t.partitions.length]), [[open, 1]]);

  const err = await rejection(anon.fetchTopicMetadata({ topics: [secret] }), "ANONYMOUS fetchTopicMetadata");
  assert.equal((err as { type?: string }).type, "TOPIC_AUTHORIZATION_FAILED", describeError(err));

  const su = await admin(c, client("admin"));
  const theirs = await su.fetchTopicMetadata({ topics: [secret] });
  assert.deepEqual(theirs.topics.map((t) => [t.name, t.partitions.length]), [[secret, 1]]);
});

e2e("kafkajs: bob (SASL) sees the orders.* topics he may read, not secret.*", async (c) => {
  const { secret } = await fixtures(c);
  const orders = unique("orders.", "meta");
  const pa = await producer(c, client("alice"));
  await pa.send({ topic: orders, messages: [{ value: "o" }] });

  const topics = await (await admin(c, client("bob"))).listTopics();
  assert.ok(topics.includes(orders), `bob sees ${orders}`);
  assert.ok(!topics.includes(secret), `bob must not see ${secret}`);
  assert.deepEqual(topics.filter((t) => !t.startsWith("orders.")), [], "bob sees orders.* (READ) and nothing he has no ACL for");
});

e2e("kcat -L: ANONYMOUS's listing leaves out the secret topic, admin's includes it", async (c) => {
  const { secret, open } = await fixtures(c);
  const a = await kcat.list("anonymous");
  assert.equal(a.code, 0, kcat.show(a));
  assert.ok(a.stdout.includes(`topic "${open}"`), kcat.show(a));
  assert.ok(!a.stdout.includes(secret), `ANONYMOUS must not see ${secret}\n${kcat.show(a)}`);

  const s = await kcat.list("admin");
  assert.equal(s.code, 0, kcat.show(s));
  assert.ok(s.stdout.includes(`topic "${secret}"`), kcat.show(s));
});
