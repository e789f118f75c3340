// The filter's ACL authorizer (assembly/policy/acl.ts) against Kafka's StandardAuthorizer, on
// random policies. The broker test (broker-acls.test.ts) and the e2e judge hold the filter to a
// real broker on a few chosen ACL sets; this one asks both authorizers the same questions about
// many random sets (test/oracle AclDecisions: StandardAuthorizer configured with super.users and
// allow.everyone.if.no.acl.found, loaded with the ACLs as a metadata snapshot).
//
// The ACLs are drawn from small pools so that they collide: names that are prefixes of one
// another, the literal wildcard, PREFIXED "*", names differing in case or by a character outside
// ASCII, DENY under ALLOW, ALL, host-bound entries (IPv6 as Java prints it and as it does not),
// "User:*", an empty user, another principal type, super users. Each question is asked the
// three ways the filter asks: one operation at a time (decide(): every request's check), all the
// resource type's operations at once (allowedOperations(): the authorized operations of a
// Metadata or Describe answer), and authorizeByResourceType() (InitProducerId of an idempotent
// producer). An answer the filter allows and Kafka refuses is a bypass; one it refuses and Kafka
// allows, a client refused what its broker would grant. Both fail, but for one difference the
// filter makes on purpose: Kafka lets a name that starts with "*" (a group or transactional id
// can) escape a LITERAL "*" DENY, the filter does not (assembly/policy/acl.ts, head); those
// answers are counted and printed. ACL_DIFF_SEED=<n> repeats a run; ACL_DIFF_POLICIES=<n> sets
// how many policies (400).

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BlockList } from "node:net";
import { loadPolicyModule } from "../../tools/policy-module";
import { seededRandom } from "../lib/seeded-random";

const ROOT = join(import.meta.dirname, "..", "..");
const SEED = Number(process.env.ACL_DIFF_SEED ?? Date.now() % 1_000_000);
const POLICIES = Number(process.env.ACL_DIFF_POLICIES ?? 400);
const QUESTIONS_PER_POLICY = 40;
const BY_TYPE_QUESTIONS_PER_POLICY = 8;

// Kafka's operations per resource type (AclEntry.supportedOperations): what an authorized
// operations field lists. ALL is no operation a request asks for.
const OPERATIONS: Record<string, string[]> = {
  TOPIC: ["READ", "WRITE", "CREATE", "DESCRIBE", "DELETE", "ALTER", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"],
  GROUP: ["READ", "DESCRIBE", "DELETE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"],
  CLUSTER: ["CREATE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "ALTER", "DESCRIBE"],
  TRANSACTIONAL_ID: ["DESCRIBE", "WRITE", "TWO_PHASE_COMMIT"],
};
const ACL_OPERATIONS = ["ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION",
  "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS", "TWO_PHASE_COMMIT"];
const RESOURCE_TYPES = Object.keys(OPERATIONS);

// Names that are prefixes of one another, the wildcard, case, a dot, characters outside ASCII
// (one outside the BMP: two UTF-16 units in both languages).
const NAMES = ["a", "ab", "a.", "a.b", "a.b.c", "b", "A", "*", "a*", "é", "é.x", "😀", "😀a", "kafka-cluster", "kafka", " a"];
const ACL_PRINCIPALS = ["User:alice", "User:bob", "User:*", "User:", "User:Alice", "Group:alice", "User:alice:x"];
// Not "User:*" (a user named "*"): Kafka's authorizer throws on it (StandardAuthorizerData.
// matchingPrincipals makes Set.of(principal, User:*)), so a broker fails its every request.
const PRINCIPALS = ["User:alice", "User:bob", "User:carol", "User:admin", "User:", "User:Alice", "Group:alice", "User:alice:x"];
// The client's address as Java prints it (the filter's hostOf does the same); "::1" never
// matches a client (Java prints it 0:0:0:0:0:0:0:1), as on a broker. CIDR ranges (Kafka 4.4):
// IPv4 from /0 to /32, network and broadcast addresses, IPv6 compressed and not, a range that
// holds 0.0.0.0 (in none, to commons-net's SubnetUtils), IPv6 with an IPv4 tail.
const ACL_HOSTS = ["*", "*", "*", "127.0.0.1", "10.0.0.1", "0:0:0:0:0:0:0:1", "::1",
  "10.0.0.0/8", "127.0.0.1/32", "10.0.0.0/31", "0.0.0.0/0", "192.168.1.0/24", "10.0.0.1/30",
  "::/0", "::1/128", "0:0:0:0:0:0:0:0/127", "fe80::/10", "2001:db8::/32", "::10.0.0.0/120", "[2001:db8::]/48"];
const HOSTS = ["127.0.0.1", "10.0.0.1", "0:0:0:0:0:0:0:1", "10.0.0.0", "10.0.0.3", "10.255.255.255", "192.168.1.255",
  "0.0.0.0", "fe80:0:0:0:0:0:0:1", "2001:db8:0:0:0:0:0:5", "2001:db9:0:0:0:0:0:5", "0:0:0:0:0:0:a00:1", "0:0:0:0:0:0:0:0"];
const SUPER_USERS = ["User:admin", "User:alice", "User:"];

interface AclEntry {
  principal: string; host: string; resourceType: string; resourceName: string;
  resourcePatternType: string; operation: string; permissionType: string;
}
interface Policy { allowEveryoneIfNoAclFound: boolean; superUsers: string[]; acls: AclEntry[] }
type Question =
  | { principal: string; host: string; resourceType: string; resourceName: string; operations: string[] }
  | { principal: string; host: string; resourceType: string; operation: string; byResourceType: true };

function randomPolicy(next: () => number): { policy: Policy; questions: Question[] } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const acls: AclEntry[] = [];
  const count = 1 + Math.floor(next() * next() * 30);
  // Most policies about one or two types, so that entries meet on the same resources.
  const types = [pick(RESOURCE_TYPES), pick(RESOURCE_TYPES)];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const resourceType = pick(types);
    const acl = {
      principal: pick(ACL_PRINCIPALS), host: pick(ACL_HOSTS), resourceType,
      resourceName: resourceType === "CLUSTER" && next() < 0.7 ? "kafka-cluster" : pick(NAMES),
      resourcePatternType: next() < 0.5 ? "LITERAL" : "PREFIXED",
      operation: pick(ACL_OPERATIONS), permissionType: next() < 0.3 ? "DENY" : "ALLOW",
    };
    // Kafka keeps a set: the same entry twice is one ACL (CreateAcls), or a snapshot it refuses.
    if (!seen.has(JSON.stringify(acl))) acls.push(acl);
    seen.add(JSON.stringify(acl));
  }
  const superUsers = SUPER_USERS.filter(() => next() < 0.15);
  const policy = { allowEveryoneIfNoAclFound: next() < 0.5, superUsers, acls };
  const questions: Question[] = [];
  for (let i = 0; i < QUESTIONS_PER_POLICY; i++) {
    const resourceType = next() < 0.8 ? pick(types) : pick(RESOURCE_TYPES);
    // Names the ACLs name, and longer ones they are prefixes of.
    const base = next() < 0.6 ? pick(acls).resourceName : pick(NAMES);
    const resourceName = next() < 0.4 ? base + pick(NAMES) : base;
    questions.push({ principal: pick(PRINCIPALS), host: pick(HOSTS), resourceType, resourceName, operations: OPERATIONS[resourceType] });
  }
  for (let i = 0; i < BY_TYPE_QUESTIONS_PER_POLICY; i++) {
    const resourceType = next() < 0.8 ? pick(types) : pick(RESOURCE_TYPES);
    questions.push({ principal: pick(PRINCIPALS), host: pick(HOSTS), resourceType, operation: pick(OPERATIONS[resourceType]), byResourceType: true });
  }
  return { policy, questions };
}

/** Kafka's answers: per question, one boolean per operation, or one for a by-type question. */
function kafkaAnswers(cases: Array<{ policy: Policy; questions: Question[] }>): Array<{ answers?: Array<boolean[] | boolean>; error?: string }> {
  const dir = join(ROOT, "test", "oracle");
  const cp = `${join(dir, "target", "classes")}:${readFileSync(join(dir, "target", "classpath.txt"), "utf8").trim()}`;
  const input = cases.map((c) => JSON.stringify({ ...c.policy, questions: c.questions })).join("\n") + "\n";
  const out = execFileSync("java", ["-cp", cp, "dev.kafkawasm.oracle.AclDecisions"], { input, encoding: "utf8", maxBuffer: 256 << 20 });
  return out.trim().split("\n").map((l) => JSON.parse(l));
}

/** The filter's answer line for a question, as authorizeAll writes it. */
function questionLine(q: Question): string {
  return "byResourceType" in q
    ? ["type", q.principal, q.host, q.resourceType, "-", q.operation].join("\t")
    : ["ops", q.principal, q.host, q.resourceType, q.resourceName, q.operations.join(",")].join("\t");
}

const bits = (xs: boolean[]): string => xs.map((b) => (b ? "1" : "0")).join("");

/**
 * Whether a LITERAL "*" DENY of the policy denies `operation` on this name that Kafka lets out
 * of the wildcard's reach (it starts with "*" and is not "*"): the filter's one stricter answer.
 */
function wildcardDenyKafkaSkips(policy: Policy, q: { principal: string; host: string; resourceType: string; resourceName: string }, operation: string): boolean {
  if (q.resourceName.length < 2 || !q.resourceName.startsWith("*") || policy.superUsers.includes(q.principal)) return false;
  return policy.acls.some((a) => a.permissionType === "DENY" && a.resourcePatternType === "LITERAL" && a.resourceName === "*" &&
    a.resourceType === q.resourceType && (a.principal === q.principal || a.principal === "User:*") &&
    hostCovers(a.host, q.host) && (a.operation === "ALL" || a.operation === operation));
}

/** An ACL's host covers the client's: "*", the same string, or a CIDR range holding it (Node's BlockList; never 0.0.0.0). */
function hostCovers(aclHost: string, host: string): boolean {
  if (aclHost === "*" || aclHost === host) return true;
  const slash = aclHost.indexOf("/");
  if (slash < 0 || host === "0.0.0.0") return false;
  const family = aclHost.includes(":") ? "ipv6" : "ipv4";
  if ((family === "ipv6") !== host.includes(":")) return false;
  const ranges = new BlockList();
  ranges.addSubnet(aclHost.slice(0, slash).replace(/^\[(.*)\]$/, "$1"), Number(aclHost.slice(slash + 1)), family);
  return ranges.check(host, family);
}

test(`the filter's ACL decisions are Kafka's StandardAuthorizer's, over ${POLICIES} random policies (seed ${SEED}; ACL_DIFF_SEED repeats it)`, async (t) => {
  const module = await loadPolicyModule();
  const next = seededRandom(SEED);
  const cases = Array.from({ length: POLICIES }, () => randomPolicy(next));
  const kafka = kafkaAnswers(cases);
  assert.equal(kafka.length, cases.length, "one answer line from Kafka per policy");
  const differences: string[] = [];
  let refusedByKafka = 0, asked = 0, allowed = 0, denied = 0, stricter = 0;
  for (let i = 0; i < cases.length; i++) {
    const { policy, questions } = cases[i];
    const k = kafka[i];
    const config = JSON.stringify(policy);
    const problems = module.check(config);
    if (k.error !== undefined) {
      refusedByKafka++;
      // A policy Kafka's authorizer will not load, the filter must not load either.
      if (problems.length === 0) differences.push(`policy ${i}: Kafka refuses it (${k.error}), the filter loads it: ${config}`);
      continue;
    }
    assert.deepEqual(problems, [], `policy ${i} (Kafka loads it): ${config}`);
    const lines = module.authorizeAll(config, questions.map(questionLine).join("\n")).split("\n");
    assert.equal(lines.length, questions.length, `one answer line from the filter per question, policy ${i}`);
    for (let j = 0; j < questions.length; j++) {
      const q = questions[j];
      asked++;
      const expected = k.answers![j];
      const where = `policy ${i} ${config}\n    question ${JSON.stringify(q)}`;
      if (typeof expected === "boolean") {
        if (expected) allowed++; else denied++;
        const got = lines[j] === "1";
        if (got !== expected) differences.push(`${got ? "BYPASS" : "over-denial"} (authorizeByResourceType): Kafka ${expected ? "allows" : "refuses"}, the filter ${got ? "allows" : "refuses"}\n    ${where}`);
        continue;
      }
      for (const b of expected) if (b) allowed++; else denied++;
      const asked1 = q as Extract<Question, { operations: string[] }>;
      const ops = asked1.operations;
      const strict = ops.map((op) => wildcardDenyKafkaSkips(policy, asked1, op));
      stricter += expected.filter((b, n) => b && strict[n]).length;
      const want = bits(expected.map((b, n) => b && !strict[n]));
      const [one, listed] = lines[j].split(" ");
      for (const [how, got] of [["decide", one], ["allowedOperations", listed]] as const) {
        if (got === want) continue;
        const bypass = ops.filter((_, n) => got[n] === "1" && want[n] === "0");
        const over = ops.filter((_, n) => got[n] === "0" && want[n] === "1");
        differences.push(`${bypass.length > 0 ? "BYPASS" : "over-denial"} (${how}): the filter allows ${bypass.join(",") || "nothing more"}` +
          ` and refuses ${over.join(",") || "nothing more"} than Kafka\n    ${where}`);
      }
    }
  }
  t.diagnostic(`${cases.length} policies (${refusedByKafka} refused by Kafka), ${asked} questions: Kafka allowed ${allowed} operations, refused ${denied}; ` +
    `${stricter} allowed by Kafka refused by the filter on purpose (a "*" DENY that Kafka lets a name starting with "*" escape)`);
  // Both answers must occur often, or the comparison shows little.
  assert.ok(allowed > asked && denied > asked, `Kafka allowed ${allowed} and refused ${denied} operations over ${asked} questions`);
  assert.deepEqual(differences.slice(0, 5), [], `${differences.length} answers differ from Kafka's`);
});
