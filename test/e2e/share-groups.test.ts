// Share groups (KIP-932, Kafka 4.x queues) through Envoy, with Kafka's own share consumer
// (kafka-tools' ConsoleShareConsumer, as kafka-console-share-consumer.sh runs it) and with
// crafted bytes, and kafka-share-groups.sh's view of a group's offsets. ANONYMOUS may READ
// "e2e.*" topics and "e2e.group.*" groups but not "e2e.group.denied.*", and may not even
// DESCRIBE "secret.*" (test/e2e/policy.json).
//
// Kafka's share consumer, subscribed to a topic it may not describe, heartbeats again at once on
// each TOPIC_AUTHORIZATION_FAILED: thousands of refusals a second on one connection. The test
// of that case also checks that the filter logs at most audit.refusalsLoggedPerSecond of them a
// second per VM and accounts for every other one (assembly/enforce/refusal-log.ts).

import assert from "node:assert/strict";
import { Partitioners } from "kafkajs";
import { e2e, type ApiNeed, type Ctx } from "./lib/harness";
import { CONSOLE_JARS } from "./lib/drivers";
import { run, type Proc } from "./lib/proc";
import { PLAINTEXT, BROKER_INTERNAL, unique } from "./lib/env";
import { Wire, request, response, directAdmin, directKafka, ensureTopics, signIn, topicIdAtBroker, ERR } from "./lib/attack";
import { stats, delta, K, concurrency, filterLogSince, auditSince, waitForLog, type AuditRecord } from "./lib/envoy";

// The consumer's own heartbeat errors (one line per refused heartbeat) are left out.
const QUIET = ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients.consumer.internals=off"];
const SHARE: ApiNeed[] = [{ api: "ShareGroupHeartbeat", key: 76, version: 1 }, { api: "ShareFetch", key: 78, version: 1 }];
/** The filter's default audit.refusalsLoggedPerSecond (test/e2e/policy.json leaves it). */
const REFUSALS_LOGGED_PER_SECOND = 100;
const SHARE_GROUP_HEARTBEAT = 76, SHARE_GROUP_DESCRIBE = 77, SHARE_FETCH = 78, METADATA = 3;
const UNKNOWN_TOPIC_ID = 100, SHARE_SESSION_NOT_FOUND = 122;

function shareConsumer(bootstrap: string, topic: string, group: string, max: number, timeoutMs: number): Promise<Proc> {
  return run("java", [...QUIET, "-cp", CONSOLE_JARS, "org.apache.kafka.tools.consumer.ConsoleShareConsumer", "--bootstrap-server", bootstrap,
    "--topic", topic, "--group", group, "--max-messages", String(max), "--timeout-ms", String(timeoutMs)], { timeoutMs: timeoutMs + 60_000 });
}

const recordsOf = (p: Proc): string[] => p.stdout.split("\n").filter((l) => l.length > 0 && !l.startsWith("Processed")).sort();

/** A share group starts at the log's end unless told otherwise (a group config, set on the broker directly). */
async function fromEarliest(group: string): Promise<void> {
  const r = await run("java", [...QUIET, "-cp", CONSOLE_JARS, "org.apache.kafka.tools.ConfigCommand", "--bootstrap-server", BROKER_INTERNAL,
    "--entity-type", "groups", "--entity-name", group, "--alter", "--add-config", "share.auto.offset.reset=earliest"], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `share.auto.offset.reset for ${group}: ${r.stderr.slice(-500)}`);
}

/** Topics with records `values` each, written on the broker directly. */
async function topicsWith(c: Ctx, topics: string[], values: (topic: string) => string[]): Promise<void> {
  await ensureTopics(await directAdmin(c), topics);
  const p = directKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await p.connect();
  c.cleanup(() => p.disconnect());
  for (const t of topics) await p.send({ topic: t, messages: values(t).map((value) => ({ value })) });
}

/**
 * Joins `group` as `memberId` on `w`, subscribed to `topics`: the heartbeat's answer, retried
 * while the coordinator is still loading (error 0 once joined).
 */
async function joinShareGroup(w: Wire, group: string, memberId: string, topics: string[]): Promise<any> {
  let member: any = null;
  for (let corr = 10; corr < 40; corr++) {
    await w.send(await request(SHARE_GROUP_HEARTBEAT, 1, corr, { groupId: group, memberId, memberEpoch: 0, rackId: null, subscribedTopicNames: topics }));
    member = await response((await w.next(5000))!, SHARE_GROUP_HEARTBEAT, 1);
    if (member.errorCode === ERR.NONE) break;
    await new Promise((done) => setTimeout(done, 250)); // the coordinator may still be loading
  }
  return member;
}

e2e("Kafka's share consumer through Envoy reads a topic it may read, in a group it may read", async (c) => {
  const topic = unique("e2e.share.", "read"), group = unique("e2e.group.share.", "read");
  await topicsWith(c, [topic], () => ["a", "b", "c"]);
  await fromEarliest(group);
  const r = await shareConsumer(PLAINTEXT, topic, group, 3, 20_000);
  assert.deepEqual(recordsOf(r), ["a", "b", "c"], `the topic's records (${r.stderr.slice(-300)})`);
}, 90_000, SHARE);

e2e("Kafka's share consumer on a group it may not read: GroupAuthorizationException, nothing read", async (c) => {
  const topic = unique("e2e.share.", "group"), group = unique("e2e.group.denied.share.", "group");
  await topicsWith(c, [topic], () => ["a"]);
  await fromEarliest(group);
  const r = await shareConsumer(PLAINTEXT, topic, group, 1, 10_000);
  assert.deepEqual(recordsOf(r), [], "nothing read");
  assert.match(r.stderr, /GroupAuthorizationException/);
  assert.ok(await waitForLog(c.mark, ["denied ShareGroupHeartbeat", `GROUP:${group}`, "group_authorization_failed"]), "the filter's refusal");
}, 90_000, SHARE);

e2e("Kafka's share consumer on a topic it may not describe: refused thousands of times a second, logged at most audit.refusalsLoggedPerSecond a second per VM, every refusal counted", async (c) => {
  const hidden = unique("secret.share.", "flood"), group = unique("e2e.group.share.", "flood");
  await topicsWith(c, [hidden], () => ["s1", "s2"]);
  await fromEarliest(group);
  // The broker itself (no authorizer) serves the same group and topic: the refusals are the filter's.
  const directGroup = unique("e2e.group.share.", "direct");
  await fromEarliest(directGroup);
  const direct = await shareConsumer(BROKER_INTERNAL, hidden, directGroup, 2, 20_000);
  const vms = await concurrency();
  const before = await stats();
  const started = Date.now();
  const r = await shareConsumer(PLAINTEXT, hidden, group, 2, 5_000);
  const seconds = (Date.now() - started) / 1000;
  assert.deepEqual(recordsOf(r), [], "nothing read through Envoy");
  assert.match(r.stderr, /TopicAuthorizationException/);
  // The summary of each VM's last second comes with its next tick (within a second; later on a
  // busy machine): the log is read again until it accounts for the counters, for up to 10 s.
  const after = await stats();
  const refused = delta(before, after, K("denials_total"));
  const notLogged = delta(before, after, K("audit.refusals_not_logged"));
  let logged = 0, summed = 0;
  let notLoggedRecords: AuditRecord[] = [];
  for (const deadline = Date.now() + 10_000; ;) {
    const lines = filterLogSince(c.mark);
    logged = lines.filter((l) => / kafka filter: denied /.test(l)).length;
    summed = lines.map((l) => / kafka filter: (\d+) refusals not logged /.exec(l)).filter((m) => m !== null).reduce((n, m) => n + Number(m![1]), 0);
    notLoggedRecords = auditSince(c.mark).map((a) => a.record).filter((a) => a.decision === "NOT_LOGGED");
    if ((summed >= notLogged && logged + notLogged >= refused) || Date.now() > deadline) break;
    await new Promise((done) => setTimeout(done, 250));
  }
  c.t.diagnostic(`direct: ${JSON.stringify(recordsOf(direct))}; through Envoy in ${seconds.toFixed(1)} s: ${refused} refusals, ` +
    `${logged} logged, ${notLogged} not (summed up in ${notLoggedRecords.length} audit lines), ${vms} VMs`);
  assert.deepEqual(recordsOf(direct), ["s1", "s2"], "the broker's own listener serves the records");
  assert.ok(refused > 2 * REFUSALS_LOGGED_PER_SECOND, `the consumer retried its refused heartbeats (${refused} refusals)`);
  assert.equal(logged + notLogged, refused, "each refusal is logged or counted as not");
  assert.ok(logged <= REFUSALS_LOGGED_PER_SECOND * vms * (Math.ceil(seconds) + 1), `${logged} lines in ${seconds.toFixed(1)} s`);
  assert.equal(summed, notLogged, "the operator's summaries account for every refusal not logged");
  assert.equal(notLoggedRecords.reduce((n, a) => n + Number(a.count), 0), notLogged, "so do the audit trail's NOT_LOGGED lines");
  assert.ok(notLoggedRecords.every((a) => a.api === "ShareGroupHeartbeat" || a.api === "Metadata"), "naming what was refused");
}, 120_000, SHARE);

// Crafted bytes: a member of a group it may read asks ShareFetch for a topic it may read and one
// it may not, by topic id (learnt elsewhere: here from the broker directly).
e2e("ShareFetch naming a topic it may not read, by id, in a group it may read: that topic refused, the other served", async (c) => {
  const visible = unique("e2e.share.", "fetch"), hidden = unique("secret.share.", "fetch"), group = unique("e2e.group.share.", "fetch");
  await topicsWith(c, [visible, hidden], (t) => [`${t}-1`, `${t}-2`]);
  await fromEarliest(group);
  const ids = new Map<string, string>();
  const broker = await Wire.at(BROKER_INTERNAL);
  c.cleanup(() => broker.destroy());
  await broker.send(await request(METADATA, 12, 1, { topics: [visible, hidden].map((name) => ({ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name })),
    allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
  for (const t of (await response((await broker.next(5000))!, METADATA, 12)).topics) ids.set(t.name, t.topicId);
  assert.equal(ids.size, 2, "both topics' ids");

  const w = await Wire.at(PLAINTEXT);
  c.cleanup(() => w.destroy());
  const memberId = "e2eSharefetchMember000";
  const member = await joinShareGroup(w, group, memberId, [visible]);
  assert.equal(member.errorCode, ERR.NONE, `joined the share group: ${JSON.stringify(member)}`);

  const fetch = (corr: number): Promise<Buffer> => request(SHARE_FETCH, 1, corr, {
    groupId: group, memberId, shareSessionEpoch: 0, maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100,
    topics: [visible, hidden].map((t) => ({ topicId: ids.get(t), partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] })),
    forgottenTopicsData: [],
  });
  // An id the filter has not seen is UNKNOWN_TOPIC_ID while the filter asks the broker its name
  // (as topic-ids.test.ts shows); asked again, it is judged by name.
  let frame: Buffer | null = null;
  let answer: any = null;
  let byId = new Map<string, any>();
  for (let corr = 50; corr < 54; corr++) {
    await w.send(await fetch(corr));
    frame = await w.next(10_000);
    assert.ok(frame !== null, `answered, the connection open (closed: ${w.closed})`);
    answer = await response(frame!, SHARE_FETCH, 1);
    byId = new Map<string, any>(answer.responses.map((t: any) => [t.topicId, t.partitions[0]]));
    if (byId.get(ids.get(hidden)!)?.errorCode !== UNKNOWN_TOPIC_ID) break;
    await new Promise((done) => setTimeout(done, 200));
  }
  const refusedPart = byId.get(ids.get(hidden)!);
  c.t.diagnostic(`ShareFetch: error ${answer.errorCode}; ${[...byId].map(([id, p]) => `${id === ids.get(hidden) ? "hidden" : "visible"} ` +
    `error ${p.errorCode}, ${p.records ? Buffer.from(p.records, "base64").length : 0} record bytes`).join("; ")}`);
  assert.equal(answer.errorCode, ERR.NONE, "no top-level error: the group may be read");
  assert.ok(refusedPart !== undefined, "the hidden topic is answered");
  assert.equal(refusedPart.errorCode, ERR.TOPIC_AUTHORIZATION_FAILED, "refused");
  assert.ok(!refusedPart.records || Buffer.from(refusedPart.records, "base64").length === 0, "with no records");
  assert.notEqual(byId.get(ids.get(visible)!)?.errorCode, ERR.TOPIC_AUTHORIZATION_FAILED, "the visible topic is not refused");
  assert.ok(!frame!.includes(Buffer.from(`${hidden}-1`)), "no record of the hidden topic anywhere in the answer");
  assert.ok(await waitForLog(c.mark, ["denied ShareFetch", `TOPIC:${hidden}`, "topic_authorization_failed"]), "the filter's refusal");
}, 90_000, SHARE);

// A share session belongs to (group, member id), not to a connection, and an incremental
// ShareFetch names only what changed: the broker serves every partition of the session. Member
// ids are the clients' own and shown by ShareGroupDescribe. ANONYMOUS, which may read the group
// but not the topic, must not be served records of a session another principal opened.
e2e("ShareFetch in a share session another connection opened (a member id taken from a principal that may read the topic): nothing of it served", async (c) => {
  const hidden = unique("secret.share.", "session"), group = unique("e2e.group.share.", "session");
  await topicsWith(c, [hidden], () => []);
  await fromEarliest(group);
  const ids = new Map<string, string>();
  const broker = await Wire.at(BROKER_INTERNAL);
  c.cleanup(() => broker.destroy());
  await broker.send(await request(METADATA, 12, 1, { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: hidden }],
    allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
  for (const t of (await response((await broker.next(5000))!, METADATA, 12)).topics) ids.set(t.name, t.topicId);

  // The victim: admin (a super user) over SASL joins and opens a session on the hidden topic.
  const victim = await Wire.for(c, "sasl");
  assert.deepEqual(await signIn(victim, "admin"), { handshake: 0, authenticate: 0 }, "admin signs in");
  const memberId = "e2eShareSessionVictim0";
  const member = await joinShareGroup(victim, group, memberId, [hidden]);
  assert.equal(member.errorCode, ERR.NONE, `the victim joined the share group: ${JSON.stringify(member)}`);
  const shareFetch = (corr: number, epoch: number, topics: string[]) => request(SHARE_FETCH, 1, corr, {
    groupId: group, memberId, shareSessionEpoch: epoch, maxWaitMs: 200, minBytes: 1, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100,
    topics: topics.map((t) => ({ topicId: ids.get(t), partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] })), forgottenTopicsData: [],
  });
  let opened: any = null;
  for (let corr = 50; corr < 60; corr++) {
    await victim.send(await shareFetch(corr, 0, [hidden]));
    opened = await response((await victim.next(10_000))!, SHARE_FETCH, 1);
    const code = opened.errorCode || opened.responses[0]?.partitions[0]?.errorCode;
    if (code === ERR.NONE) break;
    await new Promise((done) => setTimeout(done, 250)); // an id the filter has not seen yet, or the share partition loading
  }
  assert.equal(opened.errorCode, ERR.NONE, `the victim's session opened: ${JSON.stringify(opened)}`);

  // Records arrive for the session; the attacker asks for them in the victim's session.
  const p = directKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await p.connect();
  c.cleanup(() => p.disconnect());
  await p.send({ topic: hidden, messages: [{ value: `${hidden}-secret` }] });
  const attacker = await Wire.at(PLAINTEXT);
  c.cleanup(() => attacker.destroy());
  const answers: string[] = [];
  for (let epoch = 1; epoch <= 3; epoch++) {
    await attacker.send(await shareFetch(70 + epoch, epoch, []));
    const frame = await attacker.next(10_000);
    if (frame === null) { answers.push("closed"); break; }
    assert.ok(!frame.includes(Buffer.from(`${hidden}-secret`)), `epoch ${epoch}: a record of the hidden topic was served to ANONYMOUS`);
    const a = await response(frame, SHARE_FETCH, 1);
    answers.push(`epoch ${epoch}: error ${a.errorCode}, topics ${JSON.stringify(a.responses.map((t: any) => [t.topicId === ids.get(hidden) ? "hidden" : t.topicId, t.partitions.map((x: any) => x.errorCode)]))}`);
  }
  c.t.diagnostic(`the attacker's ShareFetch in the victim's session: ${answers.join("; ")}`);
  // The session was there to take: its owner, continuing it on its own connection, is served.
  let served = false;
  for (let epoch = 1; epoch <= 10 && !served; epoch++) {
    await victim.send(await shareFetch(80 + epoch, epoch, []));
    const frame = await victim.next(10_000);
    assert.ok(frame !== null, `the victim's connection stays open (closed: ${victim.closed})`);
    assert.equal((await response(frame, SHARE_FETCH, 1)).errorCode, ERR.NONE, `the victim's session goes on (epoch ${epoch})`);
    served = frame.includes(Buffer.from(`${hidden}-secret`));
  }
  assert.ok(served, "the victim's own incremental ShareFetch gets the record");

  // The attacker opens a session of its own under the victim's member id (a full ShareFetch,
  // naming nothing), then continues it while more records arrive: only what it named is its.
  await attacker.send(await shareFetch(90, 0, []));
  const full = await attacker.next(10_000);
  assert.ok(full !== null, "the attacker's full ShareFetch is answered");
  const fullAnswer = await response(full, SHARE_FETCH, 1);
  await p.send({ topic: hidden, messages: [{ value: `${hidden}-secret` }] });
  const after: string[] = [`epoch 0: error ${fullAnswer.errorCode}`];
  for (let epoch = 1; epoch <= 3; epoch++) {
    await attacker.send(await shareFetch(90 + epoch, epoch, []));
    const frame = await attacker.next(10_000);
    if (frame === null) { after.push("closed"); break; }
    assert.ok(!frame.includes(Buffer.from(`${hidden}-secret`)), `its own session, epoch ${epoch}: a record of the hidden topic was served to ANONYMOUS`);
    after.push(`epoch ${epoch}: error ${(await response(frame, SHARE_FETCH, 1)).errorCode}`);
  }
  c.t.diagnostic(`the attacker's own session under the victim's member id: ${after.join("; ")}`);
}, 90_000, SHARE);

// Member ids are the clients' own: a heartbeat under another member's id and epoch is that
// member's, and is answered with its assignment. ANONYMOUS may read the group, not the topic
// the member (the super user) subscribed to: the assignment it gets names nothing it may not
// describe (the previous build handed it the hidden topic's id).
/**
 * A victim (admin) joins `group` subscribed to a hidden topic, through Envoy (its Metadata first,
 * as a consumer's, teaching the filter the topic's id) or straight to the broker (no answer
 * through this Envoy names the id); ANONYMOUS then heartbeats through Envoy under the victim's
 * member id until the coordinator answers with the member's assignment.
 */
async function heartbeatAsVictim(c: Ctx, victimThroughEnvoy: boolean, tag: string): Promise<void> {
  const hidden = unique("secret.share.", tag), group = unique("e2e.group.share.", tag);
  await topicsWith(c, [hidden], () => []);
  const hiddenId = await topicIdAtBroker(hidden);
  const victim = victimThroughEnvoy ? await Wire.for(c, "sasl") : await Wire.at(BROKER_INTERNAL);
  c.cleanup(() => victim.destroy());
  if (victimThroughEnvoy) {
    assert.deepEqual(await signIn(victim, "admin"), { handshake: 0, authenticate: 0 }, "admin signs in");
    await victim.send(await request(METADATA, 12, 5, { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: hidden }],
      allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
    assert.ok((await victim.next(5000)) !== null, "the victim's Metadata is answered");
  }
  const memberId = `e2eShareVictim${tag}`.slice(0, 22);
  const joined = await joinShareGroup(victim, group, memberId, [hidden]);
  assert.equal(joined.errorCode, ERR.NONE, `the victim joined: ${JSON.stringify(joined)}`);

  // The attacker heartbeats as the victim until an assignment naming a topic comes (the
  // coordinator sends the member's assignment once it is computed).
  const attacker = await Wire.at(PLAINTEXT);
  c.cleanup(() => attacker.destroy());
  let epoch = joined.memberEpoch;
  let answers = 0, assignments = 0;
  for (let corr = 50, deadline = Date.now() + 20_000; Date.now() < deadline; corr++) {
    await attacker.send(await request(SHARE_GROUP_HEARTBEAT, 1, corr, { groupId: group, memberId, memberEpoch: epoch, rackId: null, subscribedTopicNames: null }));
    const frame = await attacker.next(5000);
    assert.ok(frame !== null, `the attacker's heartbeat is answered (closed: ${attacker.closed})`);
    answers++;
    assert.ok(!frame.includes(Buffer.from(hiddenId, "base64url")), "the hidden topic's id is in the answer");
    const hb = await response(frame, SHARE_GROUP_HEARTBEAT, 1);
    if (hb.errorCode === ERR.NONE) epoch = hb.memberEpoch;
    if (hb.assignment) assignments++;
    // Straight to the broker the member's assignment names the topic by now.
    if (assignments > 0 && (await brokerAssigned(group, memberId)).includes(hiddenId)) break;
    await new Promise((done) => setTimeout(done, 250));
  }
  c.t.diagnostic(`the attacker's heartbeats as the victim (${victimThroughEnvoy ? "through Envoy" : "straight to the broker"}): ${answers} answered, ${assignments} with an assignment, none naming the hidden topic`);
  assert.ok(assignments > 0, "the coordinator answered the attacker with the member's assignment");
  assert.ok((await brokerAssigned(group, memberId)).includes(hiddenId), "the member's assignment at the broker names the hidden topic");
}

/** The topic ids of `memberId`'s assignment in share group `group`, as the broker describes it. */
async function brokerAssigned(group: string, memberId: string): Promise<string[]> {
  const w = await Wire.at(BROKER_INTERNAL);
  try {
    await w.send(await request(SHARE_GROUP_DESCRIBE, 1, 1, { groupIds: [group], includeAuthorizedOperations: false }));
    const described = await response((await w.next(5000))!, SHARE_GROUP_DESCRIBE, 1);
    const member = (described.groups[0]?.members ?? []).find((m: any) => m.memberId === memberId);
    return member ? member.assignment.topicPartitions.map((t: any) => t.topicId) : [];
  } finally {
    w.destroy();
  }
}

e2e("ShareGroupHeartbeat under another member's id: the assignment it is answered with names no topic the principal may not describe", async (c) => {
  await heartbeatAsVictim(c, true, "hb");
}, 90_000, SHARE);

// The same with the victim straight to the broker: no answer through this Envoy has named the
// hidden topic's id, so the filter cannot judge it; it cuts it and asks the broker for it ahead of
// the attacker's next heartbeat (groups.ts DescribableAssignmentOnly). The build before showed it.
e2e("ShareGroupHeartbeat under the id of a member straight to the broker: the hidden topic's id, never named through Envoy, is not shown either", async (c) => {
  await heartbeatAsVictim(c, false, "hbdirect");
}, 90_000, SHARE);

// A member of its own whose topic no answer through this Envoy has named (made on the broker,
// never listed here): its assignment is cut at first, then given again one heartbeat later,
// once the filter has asked the broker for the id ahead of it.
e2e("a share member subscribed to a topic never named through Envoy is assigned it once the filter has asked the broker for its id", async (c) => {
  const visible = unique("e2e.share.", "unnamed"), group = unique("e2e.group.share.", "unnamed");
  await topicsWith(c, [visible], () => []);
  const visibleId = await topicIdAtBroker(visible);
  const w = await Wire.for(c, "plaintext");
  const memberId = "e2eShareUnnamedTopic";
  const joined = await joinShareGroup(w, group, memberId, [visible]);
  assert.equal(joined.errorCode, ERR.NONE, `joined: ${JSON.stringify(joined)}`);
  let epoch = joined.memberEpoch, assigned: string[] = joined.assignment ? joined.assignment.topicPartitions.map((t: any) => t.topicId) : [];
  const shown: number[] = [];
  let heartbeats = 0;
  for (let corr = 50, deadline = Date.now() + 30_000; Date.now() < deadline && !assigned.includes(visibleId); corr++) {
    await w.send(await request(SHARE_GROUP_HEARTBEAT, 1, corr, { groupId: group, memberId, memberEpoch: epoch, rackId: null, subscribedTopicNames: null }));
    const hb = await response((await w.next(5000))!, SHARE_GROUP_HEARTBEAT, 1);
    heartbeats++;
    if (hb.errorCode === ERR.NONE) epoch = hb.memberEpoch;
    if (hb.assignment) {
      assigned = hb.assignment.topicPartitions.map((t: any) => t.topicId);
      shown.push(assigned.length);
    }
    if (!assigned.includes(visibleId)) await new Promise((done) => setTimeout(done, 250));
  }
  c.t.diagnostic(`${heartbeats} heartbeats after the join; topics in each assignment shown: ${JSON.stringify(shown)}`);
  assert.deepEqual(assigned, [visibleId], "the member is assigned its topic");
}, 90_000, SHARE);

// An admin's view (kafka-share-groups.sh --describe: DescribeShareGroupOffsets) of a group that
// has consumed a topic the principal may describe and one it may not: through Envoy, the first
// only; the broker's own listener, the reference, shows both.
e2e("kafka-share-groups --describe through Envoy: the group's share offsets less the topics the principal may not DESCRIBE", async (c) => {
  const visible = unique("e2e.share.", "offsets"), hidden = unique("secret.share.", "offsets"), group = unique("e2e.group.share.", "offsets");
  await topicsWith(c, [visible, hidden], () => ["a", "b"]);
  await fromEarliest(group);
  for (const t of [visible, hidden]) assert.deepEqual(recordsOf(await shareConsumer(BROKER_INTERNAL, t, group, 2, 20_000)), ["a", "b"], `${t} consumed in ${group}`);
  const describe = async (bootstrap: string): Promise<string[]> => {
    const r = await run("java", [...QUIET, "-cp", CONSOLE_JARS, "org.apache.kafka.tools.consumer.group.ShareGroupCommand", "--bootstrap-server", bootstrap,
      "--describe", "--group", group], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `describe through ${bootstrap}: ${r.stderr.slice(-400)}`);
    // GROUP TOPIC PARTITION START-OFFSET LAG
    return r.stdout.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f[0] === group).map((f) => f[1]).sort();
  };
  assert.deepEqual(await describe(BROKER_INTERNAL), [visible, hidden].sort(), "the broker has both");
  assert.deepEqual(await describe(PLAINTEXT), [visible], `${hidden} is cut`);
}, 120_000, SHARE);

// The broker keys a share session by group and member id, and a full ShareFetch from any
// connection replaces it. ANONYMOUS opens the victim's session on its own connection (epoch 0,
// naming nothing); the victim reopens it on its connection with the hidden topic, as its client
// does after INVALID_SHARE_SESSION_EPOCH; ANONYMOUS's next, incremental, ShareFetch is answered
// from the session as the victim left it. The filter holds that answer to what was checked on
// ANONYMOUS's connection: the hidden topic comes back refused, none of its records (the build
// before served them).
e2e("ShareFetch in a share session the member reopened on another connection after this one opened it: over for this connection (SHARE_SESSION_NOT_FOUND), no records", async (c) => {
  const hidden = unique("secret.share.", "reopened"), group = unique("e2e.group.share.", "reopened");
  await topicsWith(c, [hidden], () => []);
  await fromEarliest(group);
  const hiddenId = await topicIdAtBroker(hidden);
  const victim = await Wire.for(c, "sasl");
  assert.deepEqual(await signIn(victim, "admin"), { handshake: 0, authenticate: 0 }, "admin signs in");
  await victim.send(await request(METADATA, 12, 5, { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: hidden }],
    allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
  assert.ok((await victim.next(5000)) !== null, "the victim's Metadata is answered (the filter learns the id)");
  const memberId = "e2eShareReopenedVictim";
  assert.equal((await joinShareGroup(victim, group, memberId, [hidden])).errorCode, ERR.NONE, "the victim joined the share group");
  const shareFetch = (corr: number, epoch: number, ids: string[]) => request(SHARE_FETCH, 1, corr, {
    groupId: group, memberId, shareSessionEpoch: epoch, maxWaitMs: 200, minBytes: 1, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100,
    topics: ids.map((topicId) => ({ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] })), forgottenTopicsData: [],
  });
  const attacker = await Wire.at(PLAINTEXT);
  c.cleanup(() => attacker.destroy());
  await attacker.send(await shareFetch(60, 0, []));
  assert.equal((await response((await attacker.next(10_000))!, SHARE_FETCH, 1)).errorCode, ERR.NONE, "ANONYMOUS opens the member's session");
  let reopened: any = null;
  for (let corr = 61; corr < 75; corr++) {
    await victim.send(await shareFetch(corr, 0, [hiddenId]));
    reopened = await response((await victim.next(10_000))!, SHARE_FETCH, 1);
    if ((reopened.errorCode || reopened.responses[0]?.partitions[0]?.errorCode) === ERR.NONE) break;
    await new Promise((done) => setTimeout(done, 250)); // the share partition loading
  }
  assert.equal(reopened.errorCode, ERR.NONE, `the victim reopened the session with the hidden topic: ${JSON.stringify(reopened)}`);
  const p = directKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await p.connect();
  c.cleanup(() => p.disconnect());
  await p.send({ topic: hidden, messages: [{ value: `${hidden}-secret` }] });

  const answers: string[] = [];
  let refused = 0;
  for (let epoch = 1; epoch <= 8 && refused === 0; epoch++) {
    await attacker.send(await shareFetch(80 + epoch, epoch, []));
    const frame = await attacker.next(10_000);
    assert.ok(frame !== null, `ANONYMOUS's connection stays open (epoch ${epoch})`);
    assert.ok(!frame.includes(Buffer.from(`${hidden}-secret`)), `epoch ${epoch}: a record of the hidden topic was served to ANONYMOUS`);
    const a = await response(frame, SHARE_FETCH, 1);
    const hiddenEntry = a.responses.find((t: any) => t.topicId === hiddenId);
    // Reopened by another principal, as Envoy's shared data tells every worker: the session is over here.
    if (a.errorCode === SHARE_SESSION_NOT_FOUND) refused++;
    answers.push(`epoch ${epoch}: error ${a.errorCode}, hidden ${hiddenEntry ? JSON.stringify(hiddenEntry.partitions.map((x: any) => [x.errorCode, x.acquiredRecords.length])) : "absent"}`);
    await new Promise((done) => setTimeout(done, 200));
  }
  c.t.diagnostic(`ANONYMOUS's incremental ShareFetch after the member reopened the session: ${answers.join("; ")}`);
  assert.equal(refused, 1, "ANONYMOUS's first incremental ShareFetch after the member reopened the session: SHARE_SESSION_NOT_FOUND");
  assert.ok(await waitForLog(c.mark, ["denied ShareFetch principal=User:ANONYMOUS", "reopened by another principal"]), "the refusal is logged");
}, 90_000, SHARE);
