// Consumer groups are resources too. Everyone may use groups "e2e.group.*" (ALLOW User:* READ
// GROUP PREFIXED "e2e.group."), except that ANONYMOUS is denied READ on "e2e.group.denied.*"
// (DENY wins; DESCRIBE stays allowed through the READ ALLOW, so FindCoordinator succeeds and
// JoinGroup is what gets GROUP_AUTHORIZATION_FAILED). A group no ACL names ("e2e.nogroup.*")
// is denied from FindCoordinator on (allowEveryoneIfNoAclFound false).

import assert from "node:assert/strict";
import { e2e, within, type ApiNeed, type Ctx } from "./lib/harness";
import { Partitioners } from "kafkajs";
import { CONSOLE_JARS } from "./lib/drivers";
import { run } from "./lib/proc";
import { PLAINTEXT, BROKER_INTERNAL, unique } from "./lib/env";
import { client, producer, consumer, admin, errorTypes, errorNames, describeError, type Client } from "./lib/kafkajs";
import { Wire, request, response, directAdmin, directKafka, ensureTopics, coordinatorReady, signIn, ERR } from "./lib/attack";
import { waitForLog, brief } from "./lib/envoy";
import * as kcat from "./lib/kcat";

interface Crash { error: unknown; restart: boolean; delivered: number }

/** Runs a kafkajs consumer of `topic` in `group` until it crashes (or 15 s pass). */
async function consumeUntilCrash(c: Ctx, cl: Client, topic: string, group: string): Promise<Crash> {
  const cons = consumer(c, cl, { groupId: group });
  await within(cons.connect(), 10_000, "consumer connect");
  await cons.subscribe({ topics: [topic], fromBeginning: true });
  let delivered = 0;
  const crashed = new Promise<Crash>((resolve) => {
    cons.on(cons.events.CRASH, (e) => resolve({ error: e.payload.error, restart: e.payload.restart, delivered }));
  });
  void cons.run({ eachMessage: async () => { delivered++; } }).catch(() => undefined);
  return within(crashed, 15_000, `consumer in group ${group} to fail`);
}

e2e("kafkajs: a consumer in a denied group crashes with GROUP_AUTHORIZATION_FAILED", async (c) => {
  const topic = unique("e2e.open.", "group-denied");
  const group = unique("e2e.group.denied.", "kjs");
  const anon = client("anonymous");
  await (await producer(c, anon)).send({ topic, messages: [{ value: "x" }] });

  const crash = await consumeUntilCrash(c, anon, topic, group);
  assert.ok(errorTypes(crash.error).includes("GROUP_AUTHORIZATION_FAILED"), describeError(crash.error));
  assert.equal(crash.restart, false, "not retriable: kafkajs does not restart the consumer");
  assert.equal(crash.delivered, 0, "no message was delivered to the denied group");

  const line = await waitForLog(c.mark, ["denied", "principal=User:ANONYMOUS", `GROUP:${group}`, "group_authorization_failed"]);
  assert.ok(line, `the filter logs the denial of group ${group}`);
  c.t.diagnostic(brief(line));
});

e2e("kafkajs: the same group name works for a principal the DENY does not name (bob)", async (c) => {
  const topic = unique("orders.", "group-denied-bob");
  await (await producer(c, client("alice"))).send({ topic, messages: [{ value: "for bob" }] });
  const group = unique("e2e.group.denied.", "bob");
  const bob = client("bob");
  const cons = consumer(c, bob, { groupId: group });
  await within(cons.connect(), 10_000, "consumer connect");
  await cons.subscribe({ topics: [topic], fromBeginning: true });
  const got = await within(new Promise<string>((resolve, reject) => {
    cons.on(cons.events.CRASH, (e) => reject(e.payload.error));
    void cons.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }).catch(reject);
  }), 15_000, `bob reading in ${group}`);
  assert.equal(got, "for bob");
});

e2e("kcat -G: a group no ACL names fails at FindCoordinator (librdkafka raises it as a consumer error)", async (c) => {
  const topic = unique("e2e.open.", "group-denied-kcat");
  const group = unique("e2e.nogroup.", "kcat");
  const w = await kcat.produce("anonymous", topic, ["x"]);
  assert.equal(w.code, 0, kcat.show(w));

  const r = await kcat.kcat(["-C", ...kcat.connArgs("anonymous"), "-G", group, topic, "-c", "1", "-q",
    "-X", "auto.offset.reset=earliest"], { timeoutMs: 8000 });
  assert.equal(r.stdout, "", `no message is consumed in a denied group\n${kcat.show(r)}`);
  // librdkafka turns a FindCoordinator error into a consumer error only for
  // GROUP_AUTHORIZATION_FAILED, with the response's error message (or its own text for it).
  assert.match(r.stderr, /Consumer error: FindCoordinator response error|Group authorization failed/i, kcat.show(r));
  assert.equal(r.timedOut, false, `kcat gives up by itself\n${kcat.show(r)}`);
  const line = await waitForLog(c.mark, ["denied FindCoordinator", `GROUP:${group}`, "group_authorization_failed"]);
  assert.ok(line, "the filter logs the denial");
  c.t.diagnostic(brief(line));
});

e2e("kafkajs: a group no ACL names fails fast (kafkajs reports it as 'Failed to find group coordinator')", async (c) => {
  const topic = unique("e2e.open.", "nogroup");
  const group = unique("e2e.nogroup.", "kjs");
  const anon = client("anonymous");
  await (await producer(c, anon)).send({ topic, messages: [{ value: "x" }] });

  // kafkajs 2.2.4 drops the FindCoordinator error (BrokerPool.withBroker catches it) and
  // throws KafkaJSGroupCoordinatorNotFound instead; the filter's log has the real reason.
  const crash = await consumeUntilCrash(c, anon, topic, group);
  assert.equal(crash.delivered, 0);
  assert.equal(crash.restart, false);
  assert.ok(errorTypes(crash.error).includes("GROUP_AUTHORIZATION_FAILED") ||
    errorNames(crash.error).includes("KafkaJSGroupCoordinatorNotFound"), describeError(crash.error));
  const line = await waitForLog(c.mark, ["denied FindCoordinator", "principal=User:ANONYMOUS", `GROUP:${group}`, "group_authorization_failed"]);
  assert.ok(line, "the filter answered FindCoordinator with GROUP_AUTHORIZATION_FAILED");
});

// ListGroups without DESCRIBE on the cluster: the broker's list cut to the groups the principal
// may DESCRIBE, from the answer's bytes (groups.ts DescribableGroupsOnly.fromView). The broker's
// own list, on its INTERNAL listener (no Envoy, no filter), is the reference.
e2e("ListGroups through Envoy: the broker's groups less those the principal may not DESCRIBE", async (c) => {
  const topic = unique("e2e.", "listgroups");
  const seen = unique("e2e.group.", "listed"), denied = unique("e2e.group.denied.", "listed"), hidden = unique("secret.group.", "listed");
  const direct = await directAdmin(c);
  await ensureTopics(direct, [topic]);
  // An offset commit makes a (simple) group the broker lists.
  for (const groupId of [seen, denied, hidden]) await direct.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "0" }] });
  const all = (await direct.listGroups()).groups.map((g) => g.groupId);
  for (const g of [seen, denied, hidden]) assert.ok(all.includes(g), `the broker lists ${g}`);
  const through = (await (await admin(c, client("anonymous"))).listGroups()).groups.map((g) => g.groupId);
  c.t.diagnostic(`${all.length} groups at the broker, ${through.length} listed through Envoy`);
  assert.ok(through.includes(seen), `${seen} is listed`);
  // As Kafka's authorizer: READ allowed on e2e.group.* implies DESCRIBE, and a READ deny does not take it away.
  assert.ok(through.includes(denied), `${denied} (READ denied, DESCRIBE implied by the prefix's READ) is listed`);
  assert.ok(!through.includes(hidden), `${hidden} (no ACL) is not`);
  assert.deepEqual(through.filter((g) => !all.includes(g)), [], "only groups the broker lists");
});

// The consumer group protocol of KIP-848 (group.protocol=consumer, Kafka 4.x). A subscription by
// pattern is resolved by the coordinator; Kafka's resolves it to the topics the member may
// describe, the broker behind the filter (no authorizer) to every match. Whatever the filter
// cut from the assignment, the group's state (ConsumerGroupDescribe: refused when it uses a
// hidden topic; the member epoch) then told which hidden topics a pattern matched, one pattern
// at a time: whole names could be read. So the filter takes a pattern only from a principal that
// may describe every topic (groups.ts checkConsumerGroupHeartbeat). Kafka's Java consumer sends
// one only for a SubscriptionPattern (RE2J); a java.util.regex Pattern it resolves itself from
// Metadata, which the filter cuts, and subscribes by name, under either group protocol.
const KIP_848: ApiNeed[] = [{ api: "ConsumerGroupHeartbeat", key: 68, version: 1 }];
const CONSUMER_GROUP_HEARTBEAT = 68, CONSUMER_GROUP_DESCRIBE = 69;

e2e("Kafka's console consumer subscribed by a pattern over a visible and a hidden topic reads the visible one only, with either group protocol (it resolves a java.util.regex pattern itself, from Metadata the filter cuts)", async (c) => {
  const run0 = unique("", "kip848").replace(/[^a-z0-9]/gi, "");
  const visible = `e2e.kip848.${run0}`, hidden = `secret.kip848.${run0}`;
  const direct = await directAdmin(c);
  await ensureTopics(direct, [visible, hidden]);
  const records = directKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await records.connect();
  c.cleanup(() => records.disconnect());
  await records.send({ topic: visible, messages: ["a", "b", "c"].map((value) => ({ value })) });
  await records.send({ topic: hidden, messages: ["s1", "s2"].map((value) => ({ value })) });
  for (const protocol of ["consumer", "classic"]) {
    const r = await run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, "org.apache.kafka.tools.consumer.ConsoleConsumer",
      "--bootstrap-server", PLAINTEXT, "--include", `(e2e|secret)\\.kip848\\.${run0}`, "--group", unique("e2e.group.", `kip848${protocol}`),
      "--from-beginning", "--max-messages", "5", "--timeout-ms", "15000", "--command-property", `group.protocol=${protocol}`], { timeoutMs: 60_000 });
    const got = r.stdout.split("\n").filter((l) => l.length > 0 && !l.startsWith("Processed"));
    c.t.diagnostic(`group.protocol=${protocol}: read ${JSON.stringify(got)}`);
    // Five asked, three visible: the consumer reads those and gives up waiting for more (TimeoutException).
    assert.deepEqual([...got].sort(), ["a", "b", "c"], `group.protocol=${protocol}: the visible topic's records, none of the hidden one's`);
    assert.ok(!/Authorization/.test(r.stderr), `group.protocol=${protocol}: no authorization error`);
  }
}, 120_000, KIP_848);

// With crafted bytes: the join by pattern is refused before the broker sees it, so the
// coordinator never resolves it (straight to the broker, the group has no member); a super user,
// who may describe every topic, joins by the same pattern.
e2e("a KIP-848 join by pattern: refused with TOPIC_AUTHORIZATION_FAILED for ANONYMOUS, never resolved by the broker; taken from a super user", async (c) => {
  const run0 = unique("", "regexids").replace(/[^a-z0-9]/gi, "");
  const visible = `e2e.regexids.${run0}`, hidden = `secret.regexids.${run0}`, group = unique("e2e.group.", "regexids");
  await ensureTopics(await directAdmin(c), [visible, hidden]);
  await coordinatorReady(group);
  const join = (memberId: string) => request(CONSUMER_GROUP_HEARTBEAT, 1, 1, {
    groupId: group, memberId, memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: null, subscribedTopicRegex: `(e2e|secret)\\.regexids\\.${run0}`, serverAssignor: null, topicPartitions: [],
  });
  const anonymous = await Wire.for(c, "plaintext");
  await anonymous.send(await join(`anon${run0}`.slice(0, 22)));
  const refused = await response((await anonymous.next(5000))!, CONSUMER_GROUP_HEARTBEAT, 1);
  assert.equal(refused.errorCode, ERR.TOPIC_AUTHORIZATION_FAILED, JSON.stringify(refused));
  assert.ok(await waitForLog(c.mark, ["denied ConsumerGroupHeartbeat principal=User:ANONYMOUS", "a subscription by pattern needs DESCRIBE on every topic"]), "the refusal is logged");
  const direct = await Wire.at(BROKER_INTERNAL);
  c.cleanup(() => direct.destroy());
  const membersAtBroker = async (): Promise<number> => {
    await direct.send(await request(CONSUMER_GROUP_DESCRIBE, 0, 1, { groupIds: [group], includeAuthorizedOperations: false }));
    const described = await response((await direct.next(5000))!, CONSUMER_GROUP_DESCRIBE, 0);
    return described.groups[0].errorCode === ERR.NONE ? described.groups[0].members.length : 0;
  };
  assert.equal(await membersAtBroker(), 0, "the broker never saw the join");
  const admin = await Wire.for(c, "sasl");
  assert.deepEqual(await signIn(admin, "admin"), { handshake: 0, authenticate: 0 }, "admin signs in");
  await admin.send(await join(`admin${run0}`.slice(0, 22)));
  const joined = await response((await admin.next(5000))!, CONSUMER_GROUP_HEARTBEAT, 1);
  assert.equal(joined.errorCode, ERR.NONE, `a super user joins by pattern: ${JSON.stringify(joined)}`);
  assert.equal(await membersAtBroker(), 1, "its join reached the broker");
}, 90_000, KIP_848);

// OffsetFetch of all a group's topics (lag monitors' question): the broker's answer less the
// topics the principal may not DESCRIBE; when it may describe them all, the broker's bytes go on
// (groups.ts offsetsFromView). The broker's own answer, on its INTERNAL listener, is the reference.
e2e("OffsetFetch of all topics through Envoy: the group's committed offsets less the topics the principal may not DESCRIBE", async (c) => {
  const visible = unique("e2e.", "offsets"), hidden = unique("secret.", "offsets"), group = unique("e2e.group.", "offsets");
  const direct = await directAdmin(c);
  await ensureTopics(direct, [visible, hidden]);
  const through = await admin(c, client("anonymous"));
  const topicsOf = (offsets: Array<{ topic: string }>): string[] => offsets.map((o) => o.topic).sort();
  await direct.setOffsets({ groupId: group, topic: visible, partitions: [{ partition: 0, offset: "3" }] });
  assert.deepEqual(topicsOf(await through.fetchOffsets({ groupId: group })), [visible], "every topic describable: all of them");
  await direct.setOffsets({ groupId: group, topic: hidden, partitions: [{ partition: 0, offset: "5" }] });
  assert.deepEqual(topicsOf(await direct.fetchOffsets({ groupId: group })), [visible, hidden].sort(), "the broker has both");
  const shown = await through.fetchOffsets({ groupId: group });
  assert.deepEqual(topicsOf(shown), [visible], `${hidden} is cut`);
  assert.equal(shown[0].partitions[0].offset, "3", "the visible topic's offset as committed");
});
