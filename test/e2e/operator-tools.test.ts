// Kafka's own operator tools (kafka-tools 4.4, as kafka-consumer-groups.sh, kafka-get-offsets.sh,
// kafka-delete-records.sh, kafka-transactions.sh, kafka-metadata-quorum.sh, kafka-log-dirs.sh,
// kafka-reassign-partitions.sh, kafka-leader-election.sh, kafka-features.sh, kafka-cluster.sh and
// kafka-client-metrics.sh run them) pointed at the proxy, as the SASL user admin (a super user)
// and as ANONYMOUS on PLAINTEXT. What admin gets is what the broker itself answers (asked on its
// INTERNAL listener, no Envoy); what ANONYMOUS gets is what Kafka's authorizer would give it under
// test/e2e/policy.json: listings cut to what it may DESCRIBE, records deleted only with DELETE,
// the cluster's own state only with DESCRIBE or ALTER on the cluster (it has neither).

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { e2e, type Ctx } from "./lib/harness";
import { BROKER_INTERNAL, PLAINTEXT, SASL, unique } from "./lib/env";
import { directAdmin, directKafka, ensureTopics } from "./lib/attack";
import { kafkaTool } from "./lib/kafka-tools";
import { POLICY_ACLS, patternCovers, fromLoopback } from "./lib/policy";
import type { Proc } from "./lib/proc";

type As = "admin" | "anonymous" | "broker";

/** Tool `className` as admin through the proxy, ANONYMOUS through the proxy, or at the broker itself. */
function tool(as: As, className: string, args: string[], subcommand?: string): Promise<Proc> {
  if (as === "admin") return kafkaTool(className, SASL, "admin", args, subcommand);
  return kafkaTool(className, as === "anonymous" ? PLAINTEXT : BROKER_INTERNAL, null, args, subcommand);
}

const output = (p: Proc): string => `${p.stdout}\n${p.stderr}`;
const lines = (p: Proc): string[] => p.stdout.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);

/**
 * Whether the policy lets ANONYMOUS DESCRIBE group `name`: an ALLOW of DESCRIBE or of an
 * operation that implies it (READ, WRITE, DELETE, ALTER), no DENY of DESCRIBE.
 */
function anonymousDescribesGroup(name: string): boolean {
  const about = POLICY_ACLS.filter((a) => a.resourceType === "GROUP" && ["User:ANONYMOUS", "User:*"].includes(a.principal) && patternCovers(a, name) && fromLoopback(a));
  const denied = about.some((a) => a.permissionType === "DENY" && ["DESCRIBE", "ALL"].includes(a.operation));
  return !denied && about.some((a) => a.permissionType === "ALLOW" && ["DESCRIBE", "READ", "WRITE", "DELETE", "ALTER", "ALL"].includes(a.operation));
}

/** A topic of `partitions` with `records` records written at the broker directly. */
async function topicWith(c: Ctx, topic: string, records: number, partitions = 2): Promise<void> {
  await ensureTopics(await directAdmin(c), [topic], partitions);
  const p = directKafka().producer();
  await p.connect();
  c.cleanup(() => p.disconnect());
  await p.send({ topic, messages: Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: "x" })) });
}

/** The rows kafka-consumer-groups --describe prints for `group`: topic-partition -> current offset. */
function describedOffsets(p: Proc, group: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of lines(p)) {
    const [g, topic, partition, current] = l.split(/\s+/);
    if (g === group && topic !== undefined) m.set(`${topic}-${partition}`, current);
  }
  return m;
}

e2e("kafka-consumer-groups through the filter: ANONYMOUS lists only the groups it may describe, resets and describes its own group's offsets, may not delete them (no DELETE on the group); admin lists every group and deletes them", async (c) => {
  const topic = unique("e2e.ops.", "groups");
  await topicWith(c, topic, 3);
  const group = unique("e2e.group.ops-", "mine"), hidden = unique("secret.group.ops-", "hidden");

  const reset = await tool("anonymous", "consumer.group.ConsumerGroupCommand", ["--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute"]);
  assert.equal(reset.code, 0, output(reset));
  const hiddenReset = await tool("admin", "consumer.group.ConsumerGroupCommand", ["--reset-offsets", "--group", hidden, "--topic", topic, "--to-latest", "--execute"]);
  assert.equal(hiddenReset.code, 0, output(hiddenReset));

  const described = await tool("anonymous", "consumer.group.ConsumerGroupCommand", ["--describe", "--group", group]);
  assert.deepEqual(describedOffsets(described, group), new Map([[`${topic}-0`, "0"], [`${topic}-1`, "0"]]), output(described));
  const atBroker = await tool("broker", "consumer.group.ConsumerGroupCommand", ["--describe", "--group", group]);
  assert.deepEqual(described.stdout, atBroker.stdout.replaceAll(BROKER_INTERNAL, PLAINTEXT), "the same table as the broker's own");

  // Other tests' groups stay (their offsets are kept for days), but one whose coordinator
  // expires it may go between two listings: the broker is asked before and after ANONYMOUS.
  const before = lines(await tool("broker", "consumer.group.ConsumerGroupCommand", ["--list"]));
  const anonymous = lines(await tool("anonymous", "consumer.group.ConsumerGroupCommand", ["--list"]));
  const admin = lines(await tool("admin", "consumer.group.ConsumerGroupCommand", ["--list"]));
  const after = lines(await tool("broker", "consumer.group.ConsumerGroupCommand", ["--list"]));
  assert.ok(anonymous.includes(group) && !anonymous.includes(hidden), `ANONYMOUS lists ${group}, not ${hidden}`);
  assert.deepEqual(anonymous.filter((g) => !anonymousDescribesGroup(g) || !(before.includes(g) || after.includes(g))), [],
    "only groups the broker has and the policy lets ANONYMOUS describe");
  assert.deepEqual(before.filter((g) => after.includes(g) && anonymousDescribesGroup(g) && !anonymous.includes(g)), [],
    "every group the broker has that ANONYMOUS may describe");
  assert.ok(anonymous.length < before.length, "some of the broker's groups are hidden from ANONYMOUS");
  assert.deepEqual(after.filter((g) => before.includes(g) && !admin.includes(g)), [], "admin lists every group");

  const refused = await tool("anonymous", "consumer.group.ConsumerGroupCommand", ["--delete-offsets", "--group", group, "--topic", topic]);
  assert.match(output(refused), /GroupAuthorizationException|GROUP_AUTHORIZATION_FAILED/, output(refused));
  const deleted = await tool("admin", "consumer.group.ConsumerGroupCommand", ["--delete-offsets", "--group", group, "--topic", topic]);
  assert.equal(deleted.code, 0, output(deleted));
  assert.deepEqual(describedOffsets(await tool("broker", "consumer.group.ConsumerGroupCommand", ["--describe", "--group", group]), group), new Map(),
    "admin's deletion reached the broker");
}, 120_000);

// A group's offsets committed at the broker directly, on a topic no answer through the filter
// has named yet: kafka-consumer-groups 4.4 fetches every offset of the group (OffsetFetch, which
// from v10 names topics by id only), and the filter must know each id to judge it.
e2e("kafka-consumer-groups --describe through the filter, the group's offsets committed past it on a topic the filter never saw: the broker's table", async (c) => {
  const topic = unique("e2e.ops.", "unseen");
  await topicWith(c, topic, 3);
  const group = unique("e2e.group.ops-", "unseen");
  const reset = await tool("broker", "consumer.group.ConsumerGroupCommand", ["--reset-offsets", "--group", group, "--topic", topic, "--to-latest", "--execute"]);
  assert.equal(reset.code, 0, output(reset));
  const described = await tool("anonymous", "consumer.group.ConsumerGroupCommand", ["--describe", "--group", group]);
  const atBroker = await tool("broker", "consumer.group.ConsumerGroupCommand", ["--describe", "--group", group]);
  assert.equal(describedOffsets(atBroker, group).size, 2, output(atBroker));
  assert.deepEqual(describedOffsets(described, group), describedOffsets(atBroker, group), output(described));
}, 60_000);

e2e("kafka-get-offsets and kafka-delete-records through the filter: ANONYMOUS gets the offsets of what it may describe and no hidden topic's; deleting records needs DELETE (refused to ANONYMOUS, done for admin)", async (c) => {
  const open = unique("e2e.ops.", "offsets"), hidden = unique("secret.ops-", "offsets");
  await topicWith(c, open, 4);
  await topicWith(c, hidden, 2);

  const pattern = (t: string): string => t.replaceAll(".", "\\.") + ".*";
  const anonymous = await tool("anonymous", "GetOffsetShell", ["--topic-partitions", pattern(open)]);
  const broker = await tool("broker", "GetOffsetShell", ["--topic-partitions", pattern(open)]);
  assert.deepEqual(lines(anonymous).sort(), lines(broker).sort(), output(anonymous));
  assert.equal(lines(anonymous).reduce((n, l) => n + Number(l.split(":")[2]), 0), 4, "end offsets of the 4 records");

  const unseen = await tool("anonymous", "GetOffsetShell", ["--topic-partitions", pattern(hidden)]);
  assert.match(output(unseen), /Could not match any topic-partitions/, `a hidden topic matches nothing: ${output(unseen)}`);
  assert.equal(lines(await tool("admin", "GetOffsetShell", ["--topic-partitions", pattern(hidden)])).length, 2, "admin sees its 2 partitions");

  const spec = JSON.stringify({ version: 1, partitions: [{ topic: open, partition: 0, offset: 1 }] });
  const file = join(mkdtempSync(join(tmpdir(), "e2e-delete-records-")), "offsets.json");
  writeFileSync(file, spec);
  const refused = await tool("anonymous", "DeleteRecordsCommand", ["--offset-json-file", file]);
  assert.match(output(refused), /TopicAuthorizationException/, output(refused));
  const done = await tool("admin", "DeleteRecordsCommand", ["--offset-json-file", file]);
  assert.match(done.stdout, new RegExp(`partition: ${pattern(open).slice(0, -2)}-0\\s+low_watermark: 1`), output(done));
  const earliest = await tool("broker", "GetOffsetShell", ["--topic", open, "--partitions", "0", "--time", "-2"]);
  assert.deepEqual(lines(earliest), [`${open}:0:1`], "the broker's log now starts at 1");
}, 120_000);

e2e("kafka-transactions through the filter: ANONYMOUS lists and describes only the transactional ids it may describe, and the producers of topics it may read; admin lists every one", async (c) => {
  const topic = unique("e2e.ops.", "txn");
  await topicWith(c, topic, 0, 1);
  const mine = unique("e2e.tx.ops-", "mine"), hidden = unique("secret.tx.ops-", "hidden");
  for (const id of [mine, hidden]) {
    const p = directKafka().producer({ transactionalId: id, maxInFlightRequests: 1, idempotent: true });
    await p.connect();
    c.cleanup(() => p.disconnect());
    const txn = await p.transaction();
    await txn.send({ topic, messages: [{ value: id }] });
    await txn.commit();
  }
  const ids = (p: Proc): string[] => lines(p).slice(1).map((l) => l.split(/\s+/)[0]);
  const anonymous = ids(await tool("anonymous", "TransactionsCommand", ["list"]));
  const admin = ids(await tool("admin", "TransactionsCommand", ["list"]));
  assert.ok(anonymous.includes(mine) && !anonymous.includes(hidden), `ANONYMOUS lists ${mine}, not ${hidden}: ${anonymous.join(" ")}`);
  assert.ok(admin.includes(mine) && admin.includes(hidden), "admin lists both");

  const described = await tool("anonymous", "TransactionsCommand", ["describe", "--transactional-id", mine]);
  assert.match(described.stdout, new RegExp(`${mine.replaceAll(".", "\\.")}\\s.*CompleteCommit`), output(described));
  const refused = await tool("anonymous", "TransactionsCommand", ["describe", "--transactional-id", hidden]);
  assert.match(output(refused), /authorization failure/, output(refused));

  const producers = await tool("anonymous", "TransactionsCommand", ["describe-producers", "--topic", topic, "--partition", "0"]);
  const atBroker = await tool("broker", "TransactionsCommand", ["describe-producers", "--topic", topic, "--partition", "0"]);
  assert.equal(lines(producers).length, 1 + 2, `a header and the two producers: ${output(producers)}`);
  assert.deepEqual(lines(producers), lines(atBroker));
}, 120_000);

e2e("Cluster tools through the filter (kafka-metadata-quorum, kafka-log-dirs, kafka-reassign-partitions, kafka-leader-election, kafka-client-metrics): admin gets the broker's answers; ANONYMOUS, with no grant on the cluster, is refused as Kafka refuses it; kafka-features and kafka-cluster answer both", async (c) => {
  const topic = unique("e2e.ops.", "cluster");
  await topicWith(c, topic, 1);
  const quorum = (p: Proc): string[] => lines(p).filter((l) => /^(ClusterId|LeaderId|CurrentVoters):/.test(l));
  const both = async (className: string, args: string[]): Promise<{ admin: Proc; anonymous: Proc }> =>
    ({ admin: await tool("admin", className, args), anonymous: await tool("anonymous", className, args) });
  const refusedCluster = (p: Proc, what: string): void =>
    assert.match(output(p), /ClusterAuthorizationException|Not authorized to perform leader election/, `${what} refused to ANONYMOUS: ${output(p)}`);

  const q = await both("MetadataQuorumCommand", ["describe", "--status"]);
  assert.equal(quorum(q.admin).length, 3, output(q.admin));
  assert.deepEqual(quorum(q.admin), quorum(await tool("broker", "MetadataQuorumCommand", ["describe", "--status"])));
  refusedCluster(q.anonymous, "DescribeQuorum");

  const dirs = await both("LogDirsCommand", ["--describe", "--topic-list", topic]);
  const json = JSON.parse(lines(dirs.admin).find((l) => l.startsWith("{"))!) as { brokers: Array<{ logDirs: Array<{ partitions: Array<{ partition: string }> }> }> };
  assert.deepEqual(json.brokers.flatMap((b) => b.logDirs.flatMap((d) => d.partitions.map((p) => p.partition))).sort(), [`${topic}-0`, `${topic}-1`]);
  refusedCluster(dirs.anonymous, "DescribeLogDirs");

  const reassign = await both("reassign.ReassignPartitionsCommand", ["--list"]);
  assert.match(reassign.admin.stdout, /No partition reassignments found/, output(reassign.admin));
  refusedCluster(reassign.anonymous, "ListPartitionReassignments");

  const elect = await both("LeaderElectionCommand", ["--election-type", "preferred", "--topic", topic, "--partition", "0"]);
  assert.match(elect.admin.stdout, new RegExp(`Valid replica already elected for partitions ${topic.replaceAll(".", "\\.")}-0`), output(elect.admin));
  refusedCluster(elect.anonymous, "ElectLeaders");

  const name = unique("e2e-ops-", "metrics");
  const alter = await both("ClientMetricsCommand", ["--alter", "--name", name, "--metrics", "org.apache.kafka.producer.", "--interval", "60000"]);
  assert.equal(alter.admin.code, 0, output(alter.admin));
  refusedCluster(alter.anonymous, "altering client metrics");
  c.cleanup(() => tool("admin", "ClientMetricsCommand", ["--delete", "--name", name]));
  const described = await both("ClientMetricsCommand", ["--describe", "--name", name]);
  assert.match(described.admin.stdout, /interval\.ms=60000/, output(described.admin));
  refusedCluster(described.anonymous, "describing client metrics");

  const features = (p: Proc): string[] => lines(p).map((l) => l.replace(/\s+Epoch: \d+$/, ""));
  const f = await both("FeatureCommand", ["describe"]);
  const brokerFeatures = features(await tool("broker", "FeatureCommand", ["describe"]));
  assert.ok(brokerFeatures.some((l) => l.startsWith("Feature: metadata.version")), brokerFeatures.join("\n"));
  assert.deepEqual(features(f.admin), brokerFeatures);
  assert.deepEqual(features(f.anonymous), brokerFeatures);

  const clusterId = (p: Proc): string | undefined => lines(p).find((l) => l.startsWith("Cluster ID:"));
  const brokerClusterId = clusterId(await tool("broker", "ClusterTool", [], "cluster-id"));
  assert.ok(brokerClusterId, "the broker names its cluster");
  for (const as of ["admin", "anonymous"] as const) assert.equal(clusterId(await tool(as, "ClusterTool", [], "cluster-id")), brokerClusterId, as);
}, 180_000);
