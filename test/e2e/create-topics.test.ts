// CreateTopics under limits.createTopics {maxPartitions 12, maxReplicationFactor 3,
// topicNameGlob "*.*"}: ANONYMOUS may CREATE topics whose names start with "e2e" (ACL), but the
// limits still apply: a name without a namespace dot is a POLICY_VIOLATION (44), too many
// partitions INVALID_PARTITIONS (37), also when asked later of CreatePartitions (the limit bounds
// the topic, not only its creation). limits.apis denies DeleteTopics to everyone, super users
// included.

import assert from "node:assert/strict";
import { e2e, type Ctx } from "./lib/harness";
import { unique } from "./lib/env";
import { client, admin, producer, errorTypes, describeError, rejection } from "./lib/kafkajs";
import { waitForLog, brief } from "./lib/envoy";
import { SASL } from "./lib/env";
import { kafkaTool } from "./lib/kafka-tools";
import { Wire, signIn, request, response } from "./lib/attack";

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

/** The partitions `topic` has, as the super user sees them through the proxy. */
async function partitionCount(c: Ctx, topic: string): Promise<number> {
  const a = await admin(c, client("admin"));
  for (let attempt = 0; ; attempt++) {
    try {
      return (await a.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length;
    } catch (e) {
      // A topic just created or grown may not be served everywhere yet (retriable).
      if (attempt >= 20 || !(e as { retriable?: boolean }).retriable) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

e2e("kafkajs: CreatePartitions past maxPartitions fails with INVALID_PARTITIONS, even for the super user; within it succeeds", async (c) => {
  const topic = unique("e2e.open.", "grown");
  const a = await admin(c, client("admin"));
  await a.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  // One request: a topic grown past the limit, another within it (only the first is refused).
  const within = unique("e2e.open.", "grown-ok");
  await a.createTopics({ topics: [{ topic: within, numPartitions: 1 }], waitForLeaders: true });
  const err = await rejection(a.createPartitions({ topicPartitions: [{ topic, count: 64 }, { topic: within, count: 12 }], timeout: 5000 }),
    `grow ${topic} to 64 partitions`);
  assert.deepEqual(errorTypes(err), ["INVALID_PARTITIONS"], describeError(err));
  const line = await waitForLog(c.mark, ["denied CreatePartitions", topic]);
  assert.ok(line, `the filter logs the refused topic ${topic}`);
  assert.match(line!, /64 partitions exceed the maximum of 12/);
  c.t.diagnostic(brief(line));
  assert.equal(await partitionCount(c, topic), 2, `${topic} keeps its 2 partitions`);
  assert.equal(await partitionCount(c, within), 12, `${within} grew to 12, the limit`);
});

e2e("a crafted CreatePartitions naming a topic twice, past maxPartitions, grows nothing: Kafka refuses both entries", async (c) => {
  const topic = unique("e2e.open.", "twice");
  await (await admin(c, client("admin"))).createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const w = await Wire.for(c, "sasl");
  assert.deepEqual(await signIn(w, "admin"), { handshake: 0, authenticate: 0 }, "admin signs in");
  // The filter leaves a topic named twice to the controller (which grows neither entry):
  // the second entry must not ride past the limit on the first one's check.
  const entries = [{ name: topic, count: 6, assignments: null }, { name: topic, count: 64, assignments: null }];
  await w.send(await request(37, 3, 7, { topics: entries, timeoutMs: 5000, validateOnly: false }));
  const frame = await w.next(10_000);
  assert.ok(frame !== null, `an answer to the CreatePartitions (closed: ${w.closed})`);
  const results = (await response(frame, 37, 3)).results as Array<{ name: string; errorCode: number }>;
  assert.ok(results.length > 0 && results.every((r) => r.name === topic && r.errorCode === 42), // INVALID_REQUEST
    `every entry refused as a duplicate: ${JSON.stringify(results)}`);
  assert.equal(await partitionCount(c, topic), 2, `${topic} keeps its 2 partitions`);
});

e2e("a crafted CreateTopics naming a topic twice, one entry past maxPartitions, creates nothing: Kafka refuses both entries", async (c) => {
  const topic = unique("e2e.open.", "created-twice");
  const w = await Wire.for(c, "sasl");
  assert.deepEqual(await signIn(w, "admin"), { handshake: 0, authenticate: 0 }, "admin signs in");
  // The controller answers a name listed twice INVALID_REQUEST once and creates neither entry
  // (ControllerApis.createTopics); the filter refused the one past the limit alone and sent the
  // other on, which the broker created.
  const entry = (numPartitions: number) => ({ name: topic, numPartitions, replicationFactor: 1, assignments: [], configs: [] });
  await w.send(await request(19, 7, 7, { topics: [entry(1000), entry(1)], timeoutMs: 5000, validateOnly: false }));
  const frame = await w.next(10_000);
  assert.ok(frame !== null, `an answer to the CreateTopics (closed: ${w.closed})`);
  const results = (await response(frame, 19, 7)).topics as Array<{ name: string; errorCode: number; errorMessage: string | null }>;
  assert.deepEqual(results.map((r) => [r.name, r.errorCode, r.errorMessage]), [[topic, 42, "Duplicate topic name."]], "one answer: INVALID_REQUEST");
  const names = await (await admin(c, client("admin"))).listTopics();
  assert.ok(!names.includes(topic), `${topic} was not created`);
});

e2e("kafka-topics --alter --partitions past maxPartitions is refused with the filter's reason", async (c) => {
  const topic = unique("e2e.open.", "altered");
  await (await admin(c, client("admin"))).createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const p = await kafkaTool("TopicCommand", SASL, "admin", ["--alter", "--topic", topic, "--partitions", "13"]);
  assert.notEqual(p.code, 0, `kafka-topics must fail: ${p.stdout}\n${p.stderr}`);
  assert.match(`${p.stdout}\n${p.stderr}`, /InvalidPartitionsException: .*13 partitions exceed the maximum of 12/);
  assert.equal(await partitionCount(c, topic), 1, `${topic} keeps its one partition`);
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
