// CreateTopics under limits.createTopics {maxPartitions 12, maxReplicationFactor 3,
// topicNameGlob "*.*"}: ANONYMOUS may CREATE topics whose names start with "e2e" (ACL), but the
// limits still apply: a name without a namespace dot is a POLICY_VIOLATION (44), too many
// partitions INVALID_PARTITIONS (37). limits.apis denies DeleteTopics to everyone, super users
// included.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique } from "./lib/env";
import { client, admin, producer, errorTypes, describeError, rejection } from "./lib/kafkajs";
import { waitForLog, brief } from "./lib/envoy";

e2e("kafkajs: CreateTopics with a name outside topicNameGlob fails with POLICY_VIOLATION", async (c) => {
  const bad = unique("e2e-flat-", "create"); // covered by the CREATE ACL on "e2e", but has no dot
  const a = await admin(c, client("anonymous"));
  const err = await rejection(a.createTopics({ topics: [{ topic: bad, numPartitions: 1 }], timeout: 5000 }), `create ${bad}`);
  assert.deepEqual(errorTypes(err), ["POLICY_VIOLATION"], describeError(err));
  const line = await waitForLog(c.mark, ["denied CreateTopics", bad]);
  assert.ok(line, `the filter logs the refused name ${bad}`);
  c.t.diagnostic(brief(line));

  const all = await (await admin(c, client("admin"))).listTopics();
  assert.ok(!all.includes(bad), `${bad} must not exist`);
});

e2e("kafkajs: CreateTopics with more partitions than maxPartitions fails with INVALID_PARTITIONS", async (c) => {
  const wide = unique("e2e.open.", "wide");
  const a = await admin(c, client("anonymous"));
  const err = await rejection(a.createTopics({ topics: [{ topic: wide, numPartitions: 64 }], timeout: 5000 }), `create ${wide}`);
  assert.deepEqual(errorTypes(err), ["INVALID_PARTITIONS"], describeError(err));
  assert.ok(await waitForLog(c.mark, ["denied CreateTopics", wide]), "the filter logs the refusal");
  const all = await (await admin(c, client("admin"))).listTopics();
  assert.ok(!all.includes(wide), `${wide} must not exist`);
});

e2e("kafkajs: CreateTopics within the limits succeeds; in one request only the bad topic fails", async (c) => {
  const good = unique("e2e.open.", "created");
  const bad = unique("e2e-flat-", "mixed");
  const a = await admin(c, client("anonymous"));
  const err = await rejection(a.createTopics({
    topics: [{ topic: good, numPartitions: 3 }, { topic: bad, numPartitions: 1 }],
    timeout: 5000,
  }), "mixed createTopics");
  const errs = (err as { errors?: Array<{ topic?: string; type?: string }> }).errors ?? [];
  assert.deepEqual(errs.map((e) => [e.topic, e.type]), [[bad, "POLICY_VIOLATION"]], describeError(err));

  const md = await a.fetchTopicMetadata({ topics: [good] });
  assert.deepEqual(md.topics.map((t) => [t.name, t.partitions.length]), [[good, 3]], "the good topic exists with 3 partitions");
});

e2e("kafkajs: CreateTopics of a name without a CREATE ACL fails with TOPIC_AUTHORIZATION_FAILED", async (c) => {
  const other = unique("orders.", "anon-create"); // ANONYMOUS has no CREATE on orders.*
  const a = await admin(c, client("anonymous"));
  const err = await rejection(a.createTopics({ topics: [{ topic: other, numPartitions: 1 }], timeout: 5000 }), `create ${other}`);
  assert.deepEqual(errorTypes(err), ["TOPIC_AUTHORIZATION_FAILED"], describeError(err));
});

e2e("kafkajs: DeleteTopics is refused by limits.apis, even for the super user", async (c) => {
  const topic = unique("e2e.open.", "undeletable");
  const adm = client("admin");
  await (await producer(c, adm)).send({ topic, messages: [{ value: "stays" }] });
  const a = await admin(c, adm);
  const err = await rejection(a.deleteTopics({ topics: [topic], timeout: 5000 }), `delete ${topic}`);
  assert.ok(errorTypes(err).some((t) => t.endsWith("AUTHORIZATION_FAILED")), describeError(err));
  assert.ok(await waitForLog(c.mark, ["denied DeleteTopics", "principal=User:admin"]), "the filter logs the refusal");
  assert.ok((await a.listTopics()).includes(topic), `${topic} still exists`);
});
