// MirrorMaker 2 through Envoy + the filter: Kafka's dedicated MirrorMaker (connect-mirror from
// Maven Central; 4.4.0 is not served there, 4.3.1 is the newest that resolves) replicating the
// cluster into itself as ANONYMOUS on PLAINTEXT, both "clusters" behind the same listener. The
// source cluster's alias is "e2e", so a remote topic is "e2e.<topic>", under the policy's e2e.*
// grants; the policy adds what MirrorMaker needs beyond a plain client (DESCRIBE_CONFIGS on the
// source topics, ALTER_CONFIGS on their copies, its offset-syncs topic).
//   An allowed topic is copied (records and the topic's configs), and a group's committed offset
//   is translated onto the copy (MirrorMaker's checkpoints and group-offset sync).
//   A topic ANONYMOUS may not describe (secret.*), and a group it may not describe
//   (e2e.group.denied.*), both named by MirrorMaker's patterns and made by the superuser, are
//   hidden from its listings: neither is copied. (The same MirrorMaker straight to the broker
//   copies both; not run here, as it also creates MirrorMaker's "heartbeats" topic, which every
//   MirrorMaker replicates whatever its patterns: through the filter, which refuses ANONYMOUS
//   that topic, that stops every copy, as Kafka's authorizer would.)
// MirrorMaker's ACL sync is left on: DescribeAcls is refused (CLUSTER_AUTHORIZATION_FAILED, no
// cluster grant) and MirrorMaker goes on without it. Heartbeats are off: the topic's name
// ("heartbeats") has no dot, which limits.createTopics.topicNameGlob refuses.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { e2e, type Ctx } from "./lib/harness";
import { PLAINTEXT, unique } from "./lib/env";
import { CLIENTS_DIR } from "./lib/drivers";
import { admin, client, consume, producer } from "./lib/kafkajs";
import { startService, until, type Service } from "./lib/proc";

const MIRROR_VERSION = "4.3.1";

/** Java's properties escape a backslash: a regex for MirrorMaker's `topics` and `groups` lists. */
const literal = (name: string): string => name.replace(/[.\-]/g, (ch) => `\\\\${ch}`);

/** MirrorMaker replicating `topics` and `groups` (names) from alias "e2e" to "dst", both `bootstrap`. */
function startMirrorMaker(c: Ctx, bootstrap: string, tag: string, topics: string[], groups: string[]): Service {
  const dir = mkdtempSync(join(tmpdir(), "e2e-mm2-"));
  const props = [
    "clusters = e2e, dst",
    `e2e.bootstrap.servers = ${bootstrap}`,
    `dst.bootstrap.servers = ${bootstrap}`,
    "e2e->dst.enabled = true",
    `e2e->dst.topics = ${topics.map(literal).join("|")}`,
    `e2e->dst.groups = ${groups.map(literal).join("|")}`,
    // The Connect worker's own group and topics, under the e2e grants (a fresh set per run).
    `dst.group.id = ${unique("e2e.group.mm2-worker-", tag)}`,
    `dst.config.storage.topic = ${unique("e2e.mm2-worker-", `${tag}-configs`)}`,
    `dst.offset.storage.topic = ${unique("e2e.mm2-worker-", `${tag}-offsets`)}`,
    `dst.status.storage.topic = ${unique("e2e.mm2-worker-", `${tag}-status`)}`,
    "offset.storage.partitions = 5", // Connect's default 25 is over limits.createTopics.maxPartitions
    "replication.factor = 1", "checkpoints.topic.replication.factor = 1", "offset-syncs.topic.replication.factor = 1",
    "offset.storage.replication.factor = 1", "status.storage.replication.factor = 1", "config.storage.replication.factor = 1",
    "emit.heartbeats.enabled = false",
    "offset.lag.max = 0", // an offset sync per record: a group's offset translates exactly
    // The broker may auto-create a copy (its producer asks first) before MirrorMaker creates it
    // with the source's configs: the config sync mends that.
    "sync.topic.configs.interval.seconds = 2",
    "refresh.topics.interval.seconds = 2", "refresh.groups.interval.seconds = 2",
    "emit.checkpoints.interval.seconds = 2", "sync.group.offsets.enabled = true", "sync.group.offsets.interval.seconds = 2",
  ];
  writeFileSync(join(dir, "mm2.properties"), props.join("\n") + "\n");
  const jars = join(CLIENTS_DIR, `mirror-${MIRROR_VERSION}`);
  return startService(c, "java", ["-cp", `${jars}/*`, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "org.apache.kafka.connect.mirror.MirrorMaker", "mm2.properties", "--clusters", "dst"], dir);
}

e2e("MirrorMaker 2: copies an allowed topic, its configs and a group's offset; a hidden topic and a hidden group stay hidden", async (c) => {
  const anon = client("anonymous"), su = client("admin");
  const suAdmin = await admin(c, su);
  const source = unique("e2e.mm2-", "data"), secret = unique("secret.mm2-", "data");
  const group = unique("e2e.group.mm2-", "app"), deniedGroup = unique("e2e.group.denied.mm2-", "app");
  const remote = `e2e.${source}`, remoteSecret = `e2e.${secret}`;

  await suAdmin.createTopics({ waitForLeaders: true, topics: [
    { topic: source, numPartitions: 1, configEntries: [{ name: "retention.ms", value: "123456789" }] },
    { topic: secret, numPartitions: 1 },
  ] });
  const p = await producer(c, anon);
  await p.send({ topic: source, messages: ["a", "b", "c"].map((value) => ({ value })) });
  const ps = await producer(c, su);
  await ps.send({ topic: secret, messages: [{ value: "s1" }, { value: "s2" }] });
  // A group of ANONYMOUS's at the end of the source; one it may not describe, committed by the superuser.
  await (await admin(c, anon)).setOffsets({ groupId: group, topic: source, partitions: [{ partition: 0, offset: "3" }] });
  await suAdmin.setOffsets({ groupId: deniedGroup, topic: source, partitions: [{ partition: 0, offset: "2" }] });

  const mm = startMirrorMaker(c, PLAINTEXT, "filtered", [source, secret], [group, deniedGroup]);
  const logTail = (): string => mm.log().slice(-1500);

  const created = await until(120_000, async () => ((await suAdmin.listTopics()).includes(remote) ? true : null));
  assert.ok(created, `MirrorMaker created ${remote} (log: ${logTail()})`);
  const copied = await consume(c, anon, remote, unique("e2e.group.mm2-", "check"), 3, 60_000);
  assert.deepEqual(copied.map((m) => m.value), ["a", "b", "c"], "the records were copied");

  const retention = async (): Promise<string | undefined> => (await suAdmin.describeConfigs({ includeSynonyms: false,
    resources: [{ type: 2, name: remote, configNames: ["retention.ms"] }] })).resources[0].configEntries[0]?.configValue;
  await until(30_000, async () => ((await retention()) === "123456789" ? true : null));
  assert.equal(await retention(), "123456789", "the topic's configs were copied");

  const offsetOf = async (groupId: string): Promise<string> =>
    (await suAdmin.fetchOffsets({ groupId, topics: [remote] }))[0].partitions[0].offset;
  const translated = await until(60_000, async () => ((await offsetOf(group)) === "3" ? "3" : null));
  assert.equal(translated, "3", `the group's offset was translated onto the copy (now ${await offsetOf(group)}; log: ${logTail()})`);

  // The hidden topic and group were named by the same patterns and listed in the same rounds as
  // the allowed ones: had MirrorMaker seen them, they would have been copied by now.
  const topics = await suAdmin.listTopics();
  assert.ok(!topics.includes(remoteSecret), `${remoteSecret} was not created`);
  assert.equal(await offsetOf(deniedGroup), "-1", "the hidden group's offset was not copied");
  assert.doesNotMatch(mm.log(), new RegExp(secret.replace(/\./g, "\\.")), "MirrorMaker never named the hidden topic");
  assert.match(mm.log(), /ClusterAuthorizationException occurred while trying to describe ACLs/, "ACL sync was refused");
  assert.ok(!mm.exited(), "MirrorMaker runs on");

}, 240_000);
