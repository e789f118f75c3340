// Adversarial: a streams group creates topics (issue 6, attack 5). A StreamsGroupHeartbeat
// that joins a group carries the application's topology; the broker creates the repartition
// and changelog topics it names that do not exist yet. Kafka requires CREATE (on the cluster
// or the topic) for that; through the filter, so do the CreateTopics limits of the policy
// (test/e2e/policy.json: at most 12 partitions, names matching "*.*"). Each test checks at the
// broker directly that the topics were not created, after the same heartbeat sent to the
// broker directly (no filter) has shown that it does create them. Streams groups (KIP-1071)
// came with Kafka 4.x: against a broker whose ApiVersions lacks StreamsGroupHeartbeat v0
// (3.9.x) every test here is skipped, saying so. The last test: a heartbeat without a topology,
// from a member of a group whose topology was stored past the filter, creates its topics too.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Admin } from "kafkajs";
import { e2e, type ApiNeed, type Ctx } from "./lib/harness";
import { unique, RUN } from "./lib/env";
import { waitForLog, filterLogSince, brief } from "./lib/envoy";
import { Wire, API, afterAttack, attacker, corrOf, directAdmin, ensureTopics, request, response, type Listener } from "./lib/attack";

interface Internal { name: string; partitions: number; configs?: Record<string, string> }

/** What every test here sends (the version join() writes). */
const NEEDS: ApiNeed[] = [{ api: "StreamsGroupHeartbeat", key: API.StreamsGroupHeartbeat, version: 0 }];

/** StreamsGroupHeartbeat v0 joining `group` with a two-step topology: `source` -> repartition (-> changelog). */
function join(corr: number, group: string, source: string, repartition: Internal, changelog: Internal | null): Promise<Buffer> {
  const info = (t: Internal) => ({
    name: t.name, partitions: t.partitions, replicationFactor: 0,
    topicConfigs: Object.entries(t.configs ?? {}).map(([key, value]) => ({ key, value })),
  });
  const sub = (id: string, over: object) => ({
    subtopologyId: id, sourceTopics: [], sourceTopicRegex: [], stateChangelogTopics: [], repartitionSinkTopics: [],
    repartitionSourceTopics: [], copartitionGroups: [], ...over,
  });
  return request(API.StreamsGroupHeartbeat, 0, corr, {
    groupId: group, memberId: randomUUID(), memberEpoch: 0, endpointInformationEpoch: 0, instanceId: null, rackId: null,
    rebalanceTimeoutMs: 30_000,
    topology: {
      epoch: 0,
      subtopologies: [
        sub("0", { sourceTopics: [source], repartitionSinkTopics: [repartition.name] }),
        sub("1", { repartitionSourceTopics: [info(repartition)], stateChangelogTopics: changelog ? [info(changelog)] : [] }),
      ],
    },
    activeTasks: [], standbyTasks: [], warmupTasks: [], processId: randomUUID(), userEndpoint: null, clientTags: [],
    taskOffsets: [], taskEndOffsets: [], shutdownApplication: false,
  });
}

/** What a heartbeat got back, for the test's diagnostics. */
async function describe(frame: Buffer | null): Promise<string> {
  if (frame === null) return "no answer (connection closed)";
  const r = await response(frame, API.StreamsGroupHeartbeat, 0);
  return `error ${r.errorCode} ${JSON.stringify(r.errorMessage)}, status ${JSON.stringify(r.status)}`;
}

/**
 * The broker's topic names. A topic being created (40 partitions, leaders not elected yet) can
 * make kafkajs's metadata call fail for a moment: retried.
 */
async function brokerTopics(admin: Admin): Promise<Set<string>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return new Set(await admin.listTopics());
    } catch (e) {
      if (attempt >= 10) throw e;
      await sleep(300);
    }
  }
}

/** Polls the broker until every topic of `names` exists (true) or `ms` pass (false). */
async function appear(admin: Admin, names: string[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const have = await brokerTopics(admin);
    if (names.every((n) => have.has(n))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(250);
  }
}

/**
 * The same heartbeat, sent to the broker directly: the topics it names do get created there
 * (so the request is valid and the attack's topics would have been created by now too).
 */
async function controlDirect(c: Ctx, admin: Admin, source: string, internal: (tag: string) => [Internal, Internal]): Promise<void> {
  const [repartition, changelog] = internal("direct");
  const w = await Wire.direct();
  c.cleanup(() => w.destroy());
  await w.send(await join(1, unique("e2e.group.", "adv-streams-direct"), source, repartition, changelog));
  const f = await w.next(8000);
  c.t.diagnostic(`the same heartbeat at the broker directly: ${await describe(f)}`);
  assert.ok(await appear(admin, [repartition.name, changelog.name], 8000),
    `the broker itself creates ${repartition.name} and ${changelog.name} for a heartbeat sent to it directly`);
}

interface Case {
  listener: Listener;
  who: string;
  why: string;
  source: (tag: string) => string;
  internal: (tag: string) => [Internal, Internal];
}

const CASES: Case[] = [
  {
    listener: "sasl", who: "bob", why: "no CREATE anywhere",
    source: (t) => unique("orders.adv-", `src-${t}`),
    internal: (t) => [
      { name: `orders.adv-${t}-${RUN}-repartition`, partitions: 40, configs: { "retention.ms": "1" } },
      { name: `orders.adv-${t}-${RUN}-changelog`, partitions: 0 },
    ],
  },
  {
    listener: "plaintext", who: "ANONYMOUS", why: "CREATE on e2e*, but 40 partitions > limits.createTopics.maxPartitions 12",
    source: (t) => unique("e2e.adv.", `src-${t}`),
    internal: (t) => [
      { name: `e2e.adv.${t}-${RUN}-repartition`, partitions: 40, configs: { "retention.ms": "1" } },
      { name: `e2e.adv.${t}-${RUN}-changelog`, partitions: 0 },
    ],
  },
  {
    listener: "plaintext", who: "ANONYMOUS", why: "CREATE on e2e*, but no DESCRIBE on e2eflat-* and names outside the *.* glob",
    source: (t) => unique("e2e.adv.", `src-${t}`),
    internal: (t) => [
      { name: `e2eflat-${t}-${RUN}-repartition`, partitions: 1 },
      { name: `e2eflat-${t}-${RUN}-changelog`, partitions: 0 },
    ],
  },
];

for (const k of CASES) {
  e2e(`[${k.listener}] StreamsGroupHeartbeat by ${k.who} (${k.why}) naming new repartition and changelog topics: the topics are not created`, async (c) => {
    const admin = await directAdmin(c);
    const source = k.source("attack");
    const directSource = k.source("direct");
    await ensureTopics(admin, [source, directSource]);
    const [repartition, changelog] = k.internal("attack");
    const { w, nextCorr } = await attacker(c, k.listener);

    await w.send(await join(nextCorr, unique("e2e.group.", "adv-streams"), source, repartition, changelog));
    const f = await w.next(8000);
    c.t.diagnostic(`${k.who} got: ${await describe(f)}`);
    if (f !== null) assert.equal(corrOf(f), nextCorr);

    // Only after the same request, sent directly, had its topics created, look for the attack's.
    await controlDirect(c, admin, directSource, k.internal);
    const have = await brokerTopics(admin);
    assert.deepEqual([repartition.name, changelog.name].filter((t) => have.has(t)), [], "no internal topic was created for the attacker");
    const denial = filterLogSince(c.mark).find((l) => l.includes("denied StreamsGroupHeartbeat") && l.includes(repartition.name));
    assert.ok(denial, "the filter logs the refusal, naming the topic");
    c.t.diagnostic(brief(denial));
    await afterAttack(c, k.listener);
  }, 45_000, NEEDS);
}

// A changelog topic takes its partition count from its subtopology's source topics, which the
// filter cannot see, so with limits.createTopics bounding partitions it cannot be judged and the
// filter refuses it; a repartition topic declares its count. This one is within every limit.
e2e("[plaintext] StreamsGroupHeartbeat by ANONYMOUS within its rights (CREATE on e2e*, a 1-partition repartition topic with a dot): the topic is created", async (c) => {
  const admin = await directAdmin(c);
  const source = unique("e2e.adv.", "src-allowed");
  await ensureTopics(admin, [source]);
  const repartition = { name: `e2e.adv.allowed-${RUN}-repartition`, partitions: 1 };
  const w = await Wire.for(c, "plaintext");
  const group = unique("e2e.group.", "adv-streams-allowed");
  // Answered COORDINATOR_LOAD_IN_PROGRESS while the filter asks the broker about the group
  // (streams-topologies.ts): retried, as a member does.
  let f: Buffer | null = null;
  for (let corr = 1; corr <= 5; corr++) {
    await w.send(await join(corr, group, source, repartition, null));
    f = await w.next(8000);
    c.t.diagnostic(`ANONYMOUS got: ${await describe(f)}`);
    if (f === null || (await response(f, API.StreamsGroupHeartbeat, 0)).errorCode !== 14) break;
    await sleep(100);
  }
  assert.ok(f !== null);
  assert.equal((await response(f, API.StreamsGroupHeartbeat, 0)).errorCode, 0);
  assert.ok(await appear(admin, [repartition.name], 8000), "the broker creates it, as Kafka would for a principal with CREATE");
  const meta = await admin.fetchTopicMetadata({ topics: [repartition.name] });
  assert.equal(meta.topics[0].partitions.length, 1);
  assert.equal(await waitForLog(c.mark, ["denied StreamsGroupHeartbeat"], 500), null, "nothing is refused");
  await afterAttack(c, "plaintext");
}, undefined, NEEDS);

/** A heartbeat after the join (no topology), as member `memberId` at `memberEpoch`. */
function beat(corr: number, group: string, memberId: string, memberEpoch: number): Promise<Buffer> {
  return request(API.StreamsGroupHeartbeat, 0, corr, {
    groupId: group, memberId, memberEpoch, endpointInformationEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: -1,
    topology: null, activeTasks: null, standbyTasks: null, warmupTasks: null, processId: null, userEndpoint: null, clientTags: null,
    taskOffsets: null, taskEndOffsets: null, shutdownApplication: false,
  });
}

/**
 * A group whose topology a member stored at the broker directly (past the filter, as an
 * application of an operator's or behind another proxy would), reading a source topic that does
 * not exist yet: the broker creates none of its internal topics then. The source appears; the
 * next heartbeat of any member makes the broker create them, with CREATE checked for whoever
 * sends it (KafkaApis.handleStreamsGroupHeartbeat). `send` sends that heartbeat, as the member
 * (member ids are the client's own; StreamsGroupDescribe shows them), retrying while it is
 * answered COORDINATOR_LOAD_IN_PROGRESS; returns the internal topics' names and the last answer.
 */
async function storedThenBeat(c: Ctx, admin: Admin, tag: string, send: (f: Buffer) => Promise<Buffer | null>): Promise<{ topics: string[]; last: string }> {
  const group = unique("e2e.group.", `adv-stored-${tag}`);
  const source = unique("orders.adv-", `late-${tag}`);
  const repartition = { name: `orders.adv-stored-${tag}-${RUN}-repartition`, partitions: 1 };
  const changelog = { name: `orders.adv-stored-${tag}-${RUN}-changelog`, partitions: 0 };
  const member = await Wire.direct();
  c.cleanup(() => member.destroy());
  await member.send(await join(1, group, source, repartition, changelog));
  const joined = await member.next(8000);
  assert.ok(joined !== null, "the member joins at the broker directly");
  const j = await response(joined, API.StreamsGroupHeartbeat, 0);
  assert.equal(j.errorCode, 0, `the join is accepted: ${await describe(joined)}`);
  assert.deepEqual((await brokerTopics(admin)).has(repartition.name), false, "nothing is created while the source is missing");
  await ensureTopics(admin, [source]);
  let last = "";
  for (let attempt = 0; attempt < 8; attempt++) {
    const f = await send(await beat(0, group, j.memberId, j.memberEpoch));
    last = await describe(f);
    if (f === null || (await response(f, API.StreamsGroupHeartbeat, 0)).errorCode !== 14) break;
    await sleep(200);
  }
  return { topics: [repartition.name, changelog.name], last };
}

// Kafka checks CREATE on a streams group's missing internal topics at every heartbeat, for the
// member sending it; on 261e0b7 the filter checked only the topology a join carries.
e2e("[sasl] StreamsGroupHeartbeat by bob (no CREATE anywhere) as a member of a group whose topology was stored past the filter: its internal topics are not created", async (c) => {
  const admin = await directAdmin(c);
  // Control: the same heartbeat at the broker directly has the topics created.
  const direct = await Wire.direct();
  c.cleanup(() => direct.destroy());
  let corr = 100;
  const control = await storedThenBeat(c, admin, "direct", async (f) => {
    f.writeInt32BE(++corr, 8);
    await direct.send(f);
    return direct.next(8000);
  });
  c.t.diagnostic(`at the broker directly: ${control.last}`);
  assert.ok(await appear(admin, control.topics, 8000), `the broker creates ${control.topics.join(", ")} for a heartbeat sent to it directly`);

  const { w, nextCorr } = await attacker(c, "sasl");
  corr = nextCorr;
  const attack = await storedThenBeat(c, admin, "attack", async (f) => {
    f.writeInt32BE(corr, 8);
    await w.send(f);
    const a = await w.next(8000);
    if (a !== null) assert.equal(corrOf(a), corr);
    corr++;
    return a;
  });
  c.t.diagnostic(`bob got: ${attack.last}`);
  assert.match(attack.last, /error 29 .*Unauthorized to CREATE/, "bob's heartbeat is refused TOPIC_AUTHORIZATION_FAILED");
  await sleep(2000);
  const have = await brokerTopics(admin);
  assert.deepEqual(attack.topics.filter((t) => have.has(t)), [], "no internal topic was created for bob");
  const denial = filterLogSince(c.mark).find((l) => l.includes("denied StreamsGroupHeartbeat") && l.includes(attack.topics[0]));
  assert.ok(denial, "the filter logs the refusal, naming the topic");
  c.t.diagnostic(brief(denial));
  await afterAttack(c, "sasl");
}, 60_000, NEEDS);
