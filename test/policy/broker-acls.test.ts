// Round trip against a real broker: ACLs made with kafka-acls.sh on Kafka 4.4.0 with its
// StandardAuthorizer, listed with `kafka-acls.sh --list`, imported with `kafka-wasm policy
// import`; then, for every (principal, client host, resource, operation) the broker will
// answer for, the broker's decision must be the filter's (`policy explain`).
//
// The broker is asked per probe, signed in as the principal over SASL/PLAIN from 127.0.0.1 or
// 127.0.0.2: Metadata, DescribeGroups and DescribeCluster with the "authorized operations" flag
// (the broker runs its authorizer on each operation the resource type supports and returns
// the allowed ones), DescribeTransactions (DESCRIBE on a transactional id) and InitProducerId
// (WRITE on one). Where the broker refuses DESCRIBE it says nothing else about that resource,
// so only DESCRIBE is compared there. Then whole requests: the Produce, Fetch and OffsetCommit
// that `policy explain --api` builds go to the broker as each principal, and the topics and
// groups the broker refuses must be those the filter's checks refuse.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { AclBroker, AclClient, USERS, jarsPresent } from "./acl-broker";
import { loadPolicyModule } from "../../tools/policy-module";
import { requestFor, type AclDecision, type RequestDecision } from "../../tools/policy";

// Kafka's AclOperation codes, and the operations its authorizedOperations fields cover per
// resource type (AclEntry.supportedOperations).
const OP = { READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12 } as const;
type OpName = keyof typeof OP;
const SUPPORTED: Record<string, OpName[]> = {
  TOPIC: ["READ", "WRITE", "CREATE", "DESCRIBE", "DELETE", "ALTER", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"],
  GROUP: ["READ", "DESCRIBE", "DELETE"],
  CLUSTER: ["CREATE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "ALTER", "DESCRIBE"],
};
const ERR = { NONE: 0, TOPIC_AUTHORIZATION_FAILED: 29, GROUP_AUTHORIZATION_FAILED: 30, TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53 };

// Allow and deny, literal, prefixed and the literal wildcard, every resource type, host-specific
// entries, and implied operations (READ/WRITE/DELETE imply DESCRIBE, ALTER_CONFIGS implies
// DESCRIBE_CONFIGS). Each line is one kafka-acls.sh --add run.
const ACL_COMMANDS: string[][] = [
  ["--resource-pattern-type", "prefixed", "--topic", "orders.", "--allow-principal", "User:alice", "--deny-principal", "User:bob", "--operation", "Write"],
  ["--topic", "orders.eu", "--allow-principal", "User:alice", "--allow-host", "127.0.0.2", "--deny-principal", "User:carol", "--deny-host", "127.0.0.1", "--operation", "Read"],
  ["--topic", "*", "--allow-principal", "User:bob", "--operation", "All"],
  ["--topic", "public", "--allow-principal", "User:*", "--deny-principal", "User:carol", "--operation", "Describe"],
  ["--topic", "configs", "--allow-principal", "User:carol", "--operation", "AlterConfigs", "--operation", "Delete"],
  ["--resource-pattern-type", "prefixed", "--group", "analytics", "--allow-principal", "User:alice", "--operation", "Read"],
  ["--group", "analytics-eu", "--allow-principal", "User:*", "--deny-principal", "User:bob", "--deny-host", "127.0.0.2", "--operation", "Read"],
  ["--cluster", "--allow-principal", "User:alice", "--operation", "IdempotentWrite", "--operation", "Describe"],
  ["--resource-pattern-type", "prefixed", "--transactional-id", "tx-", "--allow-principal", "User:alice", "--operation", "Write"],
  ["--transactional-id", "tx-blocked", "--deny-principal", "User:*", "--operation", "Write"],
];
/** Entries those runs make: principals x hosts x operations, allow and deny, per resource. */
const ACL_COUNT = 2 + 2 + 1 + 2 + 2 + 1 + 2 + 2 + 1 + 1;

const TOPICS = ["orders.eu", "orders.us", "public", "configs", "free"];
const GROUPS = ["analytics-eu", "analytics-x", "other"];
const TRANSACTIONAL_IDS = ["tx-1", "tx-blocked", "free-tx"];
const HOSTS = ["127.0.0.1", "127.0.0.2"];
const PROBE_USERS = USERS.filter((u) => u !== "admin");

interface Probe { principal: string; host: string; resource: string; operation: OpName; allowed: boolean }

/** What the broker says `user` at `host` may do, as probes. */
async function askBroker(bootstrap: string, user: string, host: string): Promise<Probe[]> {
  const c = await AclClient.signIn(bootstrap, user, host);
  const principal = `User:${user}`;
  const probes: Probe[] = [];
  const fromBits = (type: string, name: string, bits: number): void => {
    for (const op of SUPPORTED[type]) probes.push({ principal, host, resource: `${type}:${name}`, operation: op, allowed: (bits & (1 << OP[op])) !== 0 });
  };
  const describeDenied = (type: string, name: string): void => {
    probes.push({ principal, host, resource: `${type}:${name}`, operation: "DESCRIBE", allowed: false });
  };
  try {
    const md = await c.call(3, 12, { topics: TOPICS.map((name) => ({ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
    for (const t of md.topics) {
      if (t.errorCode === ERR.TOPIC_AUTHORIZATION_FAILED) describeDenied("TOPIC", t.name);
      else { assert.equal(t.errorCode, 0, `Metadata ${t.name} as ${user}`); fromBits("TOPIC", t.name, t.topicAuthorizedOperations); }
    }
    const dg = await c.call(15, 5, { groups: GROUPS, includeAuthorizedOperations: true });
    for (const g of dg.groups) {
      if (g.errorCode === ERR.GROUP_AUTHORIZATION_FAILED) describeDenied("GROUP", g.groupId);
      else { assert.equal(g.errorCode, 0, `DescribeGroups ${g.groupId} as ${user}`); fromBits("GROUP", g.groupId, g.authorizedOperations); }
    }
    const dc = await c.call(60, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    // 0: DESCRIBE on the cluster was refused, and nothing else was asked.
    if (dc.clusterAuthorizedOperations === 0) describeDenied("CLUSTER", "kafka-cluster");
    else fromBits("CLUSTER", "kafka-cluster", dc.clusterAuthorizedOperations);
    const dt = await c.call(65, 0, { transactionalIds: TRANSACTIONAL_IDS });
    for (const t of dt.transactionStates) {
      probes.push({ principal, host, resource: `TRANSACTIONAL_ID:${t.transactionalId}`, operation: "DESCRIBE", allowed: t.errorCode !== ERR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    }
    for (const id of TRANSACTIONAL_IDS) {
      const ip = await c.call(22, 5, { transactionalId: id, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
      probes.push({ principal, host, resource: `TRANSACTIONAL_ID:${id}`, operation: "WRITE", allowed: ip.errorCode !== ERR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    }
  } finally {
    c.close();
  }
  return probes;
}

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ["bin/kafka-wasm.mjs", ...args], { input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const missing = jarsPresent();
let broker: AclBroker | null = null;
after(async () => { await broker?.stop(); });

interface Setup { broker: AclBroker; config: string; startedMs: number }
let setupOnce: Promise<Setup> | null = null;

/** The broker with the ACLs, its topics and a group coordinator, and the imported policy. */
function setup(): Promise<Setup> {
  setupOnce ??= (async () => {
    const t0 = Date.now();
    broker = await AclBroker.start();
    const startedMs = Date.now() - t0;
    // Two kafka-acls runs at a time: each is a JVM, and CI has two cores.
    for (let i = 0; i < ACL_COMMANDS.length; i += 2) {
      await Promise.all(ACL_COMMANDS.slice(i, i + 2).map((a) => broker!.kafkaAcls(["--add", "--force", ...a])));
    }
    const admin = await AclClient.signIn(broker.bootstrap, "admin", "127.0.0.1");
    const created = await admin.call(19, 7, { topics: TOPICS.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 30000, validateOnly: false });
    for (const t of created.topics) assert.equal(t.errorCode, 0, `creating ${t.name}: ${t.errorMessage}`);
    // Groups are described by their coordinator: wait until the broker is one (it creates its
    // offsets topic on the first FindCoordinator).
    for (let tries = 0; ; tries++) {
      const fc = await admin.call(10, 4, { keyType: 0, coordinatorKeys: GROUPS });
      if (fc.coordinators.every((x: { errorCode: number }) => x.errorCode === 0)) break;
      assert.ok(tries < 100, `no group coordinator: ${JSON.stringify(fc.coordinators)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    admin.close();

    const listed = await broker.kafkaAcls(["--list"]);
    const imported = cli(["policy", "import", "--super-users", "User:admin;User:ANONYMOUS", "--allow-everyone-if-no-acl-found"], listed);
    assert.equal(imported.status, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).acls.length, ACL_COUNT, `every entry of:\n${listed}`);
    return { broker, config: imported.stdout, startedMs };
  })();
  return setupOnce;
}

const options = { skip: missing ?? false, timeout: 240000 };

test("ACLs made with kafka-acls.sh on a broker with StandardAuthorizer: imported, the filter decides as the broker", options, async () => {
  const { broker, config, startedMs } = await setup();
  const probes: Probe[] = [];
  for (const user of PROBE_USERS) for (const host of HOSTS) probes.push(...await askBroker(broker.bootstrap, user, host));

  const module = await loadPolicyModule();
  const mismatches: string[] = [];
  const reasons = new Map<string, number>();
  for (const p of probes) {
    const d = JSON.parse(module.explainAcl(config, p.principal, p.host, p.resource, p.operation)) as AclDecision;
    reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
    if (d.allowed !== p.allowed) {
      mismatches.push(`${p.principal}@${p.host} ${p.operation} ${p.resource}: broker ${p.allowed ? "ALLOWED" : "DENIED"}, filter ${d.allowed ? "ALLOWED" : "DENIED"} (${d.explanation})`);
    }
  }
  const summary = `${probes.length} probes (${probes.filter((p) => p.allowed).length} allowed by the broker); filter reasons ${JSON.stringify(Object.fromEntries(reasons))}; broker up in ${startedMs} ms`;
  console.log(`broker-acls: ${summary}`);
  assert.deepEqual(mismatches, [], summary);
  // The probes reach every way a decision is made, else the comparison proves little.
  for (const r of ["ALLOW_ACL", "DENY_ACL", "NO_ACL_ALLOW_EVERYONE", "NO_MATCHING_ALLOW"]) assert.ok((reasons.get(r) ?? 0) > 0, `a probe decided by ${r}`);
  assert.ok(probes.some((p) => p.allowed) && probes.some((p) => !p.allowed));

  // The CLI itself, on probes of each kind: same answers, as text and as JSON.
  for (const p of [probes.find((x) => x.allowed)!, probes.find((x) => !x.allowed)!]) {
    const args = ["policy", "explain", "-", "--principal", p.principal, "--host", p.host, "--resource", p.resource, "--operation", p.operation];
    const json = cli([...args, "--json"], config);
    assert.equal(json.status, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).allowed, p.allowed);
    const text = cli(args, config);
    assert.match(text.stdout, new RegExp(`^${p.allowed ? "ALLOWED" : "DENIED"}: `));
  }
});

/** Every error code in a response body, wherever it sits, with the topic or group it belongs to. */
function refusals(body: any, owner = ""): Set<string> {
  const found = new Set<string>();
  const walk = (v: any, at: string): void => {
    if (Array.isArray(v)) { v.forEach((x) => walk(x, at)); return; }
    if (v === null || typeof v !== "object") return;
    const here = typeof v.name === "string" ? `TOPIC:${v.name}` : typeof v.topic === "string" ? `TOPIC:${v.topic}` : at;
    if (v.errorCode === ERR.TOPIC_AUTHORIZATION_FAILED) found.add(here);
    if (v.errorCode === ERR.GROUP_AUTHORIZATION_FAILED) found.add(owner);
    for (const x of Object.values(v)) walk(x, here);
  };
  walk(body, owner);
  return found;
}

test("whole requests: the resources the broker refuses are the ones `policy explain --api` refuses", options, async () => {
  const { broker, config } = await setup();
  const module = await loadPolicyModule();
  // The very request explain builds goes to the broker, as each principal from each host.
  const requests: [string, { topics: string[]; group?: string }][] = [
    ["Produce", { topics: TOPICS }],
    ["Fetch", { topics: TOPICS }],
    ["OffsetCommit", { group: "analytics-eu", topics: TOPICS }],
    ["OffsetCommit", { group: "analytics-x", topics: TOPICS }],
  ];
  const mismatches: string[] = [];
  let refused = 0;
  let compared = 0;
  for (const user of PROBE_USERS) {
    for (const host of HOSTS) {
      const c = await AclClient.signIn(broker.bootstrap, user, host);
      try {
        for (const [api, parts] of requests) {
          const request = requestFor(module, api, parts);
          const { header, body } = JSON.parse(request);
          const answer = await c.call(header.requestApiKey, header.requestApiVersion, body);
          const byBroker = [...refusals(answer, `GROUP:${parts.group}`)].sort();
          const d = JSON.parse(module.explainRequest(config, `User:${user}`, host, request)) as RequestDecision;
          const byFilter = d.denials.filter((x) => x.error.endsWith("_authorization_failed")).map((x) => x.resource).sort();
          compared++;
          refused += byBroker.length;
          if (JSON.stringify(byBroker) !== JSON.stringify(byFilter)) {
            mismatches.push(`User:${user}@${host} ${api} ${JSON.stringify(parts)}: broker refuses ${JSON.stringify(byBroker)}, filter ${JSON.stringify(byFilter)}`);
          }
        }
      } finally {
        c.close();
      }
    }
  }
  console.log(`broker-acls: ${compared} requests compared, ${refused} refusals by the broker`);
  assert.deepEqual(mismatches, []);
  assert.ok(refused > 0, "some request refused by the broker");
});
