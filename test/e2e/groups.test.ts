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
import { Wire, request, response, directAdmin, directKafka, ensureTopics, topicIdAtBroker, coordinatorReady, ERR } from "./lib/attack";
import { waitForLog, brief, stats, stat, K } from "./lib/envoy";
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

// The consumer group protocol of KIP-848 (group.protocol=consumer, Kafka 4.x): Kafka's own
// console consumer through Envoy. Subscribed by a pattern that also matches a topic the
// principal may not DESCRIBE, it is assigned and reads only the topic it may see: the broker's
// heartbeat answers are cut (groups.ts DescribableAssignmentOnly) when they name the other.
const KIP_848: ApiNeed[] = [{ api: "ConsumerGroupHeartbeat", key: 68, version: 1 }];
const CONSUMER_GROUP_HEARTBEAT = 68, CONSUMER_GROUP_DESCRIBE = 69;

e2e("a KIP-848 consumer through Envoy, subscribed by a pattern over a visible and a hidden topic, reads the visible one only", async (c) => {
  const run0 = unique("", "kip848").replace(/[^a-z0-9]/gi, "");
  const visible = `e2e.kip848.${run0}`, hidden = `secret.kip848.${run0}`;
  const direct = await directAdmin(c);
  await ensureTopics(direct, [visible, hidden]);
  const records = directKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await records.connect();
  c.cleanup(() => records.disconnect());
  await records.send({ topic: visible, messages: ["a", "b", "c"].map((value) => ({ value })) });
  await records.send({ topic: hidden, messages: ["s1", "s2"].map((value) => ({ value })) });
  const r = await run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "--bootstrap-server", PLAINTEXT, "--include", `(e2e|secret)\\.kip848\\.${run0}`, "--group", unique("e2e.group.", "kip848"),
    "--from-beginning", "--max-messages", "5", "--timeout-ms", "15000", "--command-property", "group.protocol=consumer"], { timeoutMs: 60_000 });
  const got = r.stdout.split("\n").filter((l) => l.length > 0 && !l.startsWith("Processed"));
  c.t.diagnostic(`read ${JSON.stringify(got)}; ${r.stderr.split("\n").filter((l) => l.includes("ERROR")).map((l) => l.slice(0, 160)).join(" | ")}`);
  // Five asked, three visible: the consumer reads those and gives up waiting for more (TimeoutException).
  assert.deepEqual([...got].sort(), ["a", "b", "c"], "the visible topic's records, none of the hidden one's");
  assert.ok(!/Authorization/.test(r.stderr), "no authorization error: the hidden topic was never assigned to it");
}, 90_000, KIP_848);

// The same subscription by pattern, with crafted bytes, over topics no answer through this
// Envoy has named yet (made on the broker directly, never listed here): the coordinator's
// assignment names them by id only, and an id the filter cannot name cannot be judged. The
// filter cuts both, asks the broker for the ids ahead of the member's next heartbeat, and gives
// the assignment again with what may be described (groups.ts DescribableAssignmentOnly). The
// build before showed the hidden topic's id (an id nobody had listed here stayed in).
e2e("a KIP-848 member subscribed by pattern to topics never named through Envoy: assigned the visible one once its id is asked, never shown the hidden one's id", async (c) => {
  const run0 = unique("", "regexids").replace(/[^a-z0-9]/gi, "");
  const visible = `e2e.regexids.${run0}`, hidden = `secret.regexids.${run0}`, group = unique("e2e.group.", "regexids");
  await ensureTopics(await directAdmin(c), [visible, hidden]);
  const visibleId = await topicIdAtBroker(visible), hiddenId = await topicIdAtBroker(hidden);
  await coordinatorReady(group);
  const lookups = async (): Promise<number> => stat(await stats(), K("topic_id_lookups"));
  const lookupsBefore = await lookups();
  const w = await Wire.for(c, "plaintext");
  const memberId = `regexids${run0}`.slice(0, 22);
  let epoch = 0, assigned: string[] = [], heartbeats = 0;
  const shown: string[][] = [];
  for (let corr = 1, deadline = Date.now() + 40_000; Date.now() < deadline && !assigned.includes(visibleId); corr++) {
    const joining = epoch === 0;
    await w.send(await request(CONSUMER_GROUP_HEARTBEAT, 1, corr, {
      groupId: group, memberId, memberEpoch: epoch, instanceId: null, rackId: null, rebalanceTimeoutMs: joining ? 30_000 : -1,
      subscribedTopicNames: null, subscribedTopicRegex: joining ? `(e2e|secret)\\.regexids\\.${run0}` : null, serverAssignor: null,
      // A member reports what it owns once it has taken an assignment (KIP-848).
      topicPartitions: joining ? [] : assigned.map((topicId) => ({ topicId, partitions: [0] })),
    }));
    const frame = await w.next(5000);
    assert.ok(frame !== null, `heartbeat ${corr} is answered (closed: ${w.closed})`);
    heartbeats++;
    assert.ok(!frame.includes(Buffer.from(hiddenId, "base64url")), `heartbeat ${corr}: the hidden topic's id is in the answer`);
    const hb = await response(frame, CONSUMER_GROUP_HEARTBEAT, 1);
    if (hb.errorCode !== ERR.NONE) { await new Promise((done) => setTimeout(done, 500)); continue; }
    epoch = hb.memberEpoch;
    if (hb.assignment) {
      assigned = hb.assignment.topicPartitions.map((t: any) => t.topicId);
      shown.push(assigned.map((id) => (id === visibleId ? "visible" : id)));
    }
    if (!assigned.includes(visibleId)) await new Promise((done) => setTimeout(done, 500));
  }
  c.t.diagnostic(`${heartbeats} heartbeats; assignments shown: ${JSON.stringify(shown)}; topic id lookups +${(await lookups()) - lookupsBefore}`);
  assert.deepEqual(assigned, [visibleId], "the member is assigned the visible topic, and only it");
  assert.ok((await lookups()) > lookupsBefore, "the filter asked the broker for the ids it could not name");
  // Straight to the broker: the coordinator has given this member both topics.
  const direct = await Wire.at(BROKER_INTERNAL);
  c.cleanup(() => direct.destroy());
  await direct.send(await request(CONSUMER_GROUP_DESCRIBE, 0, 1, { groupIds: [group], includeAuthorizedOperations: false }));
  const described = await response((await direct.next(5000))!, CONSUMER_GROUP_DESCRIBE, 0);
  const atBroker = described.groups[0].members.flatMap((m: any) => m.targetAssignment.topicPartitions.map((t: any) => t.topicId));
  assert.deepEqual([...atBroker].sort(), [visibleId, hiddenId].sort(), "the coordinator's target assignment has both topics");
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
