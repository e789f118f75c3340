// ACL administration through the filter with Kafka's own kafka-acls tool (kafka-tools 4.4's
// AclCommand, as kafka-acls.sh runs it): the ACLs in force are the policy's, so a principal
// with DESCRIBE on the cluster lists the policy's ACLs (the broker behind Envoy has no
// authorizer and would answer SECURITY_DISABLED), filtered as Kafka filters them; adding or
// removing ACLs is answered SECURITY_DISABLED saying where ACLs are changed; a principal
// without the cluster grant is refused with CLUSTER_AUTHORIZATION_FAILED. The expected lists
// are computed here from test/e2e/policy.json; the listing imported (`kafka-wasm policy
// import`) gives the policy's ACLs back.

import assert from "node:assert/strict";
import { join } from "node:path";
import { e2e } from "./lib/harness";
import { PLAINTEXT, ROOT, SASL } from "./lib/env";
import { POLICY_ACLS, patternCovers, type PolicyAcl } from "./lib/policy";
import { kafkaTool } from "./lib/kafka-tools";
import { waitForLog } from "./lib/envoy";
import { run, type Proc } from "./lib/proc";


/** kafka-acls as the SASL user admin (a super user) or ANONYMOUS on PLAINTEXT. */
const kafkaAclsAs = (as: "admin" | "anonymous", args: string[]): Promise<Proc> =>
  kafkaTool("AclCommand", as === "admin" ? SASL : PLAINTEXT, as === "admin" ? "admin" : null, args);

/** kafka-acls --list output: resource pattern -> its ACL lines, each as the tool prints them. */
function listed(out: string): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  let cur: Set<string> | null = null;
  for (const line of out.split("\n")) {
    const res = /^Current ACLs for resource `ResourcePattern\(resourceType=(\w+), name=(.*), patternType=(\w+)\)`:/.exec(line);
    if (res) m.set(`${res[1]}:${res[3]}:${res[2]}`, cur = new Set());
    else if (cur && line.trim().startsWith("(principal=")) cur.add(line.trim());
  }
  return m;
}

/** The policy's ACLs as kafka-acls prints them, those `keep` selects. */
function expected(keep: (a: PolicyAcl) => boolean): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const a of POLICY_ACLS.filter(keep)) {
    const key = `${a.resourceType}:${a.resourcePatternType ?? "LITERAL"}:${a.resourceName}`;
    if (!m.has(key)) m.set(key, new Set());
    m.get(key)!.add(`(principal=${a.principal}, host=${a.host ?? "*"}, operation=${a.operation}, permissionType=${a.permissionType})`);
  }
  return m;
}

e2e("kafka-acls --list through the filter lists the policy's ACLs, filtered as Kafka filters them", async (c) => {
  const all = await kafkaAclsAs("admin", ["--list"]);
  assert.equal(all.code, 0, all.stderr.slice(-800));
  assert.deepEqual(listed(all.stdout), expected(() => true), "every ACL of the policy, by resource pattern");

  // --resource-pattern-type match: the ACLs that apply to topic orders.x (LITERAL of that name, "*", PREFIXED of a prefix).
  const match = await kafkaAclsAs("admin", ["--list", "--topic", "orders.x", "--resource-pattern-type", "match"]);
  assert.equal(match.code, 0, match.stderr.slice(-800));
  const applies = (a: PolicyAcl): boolean => a.resourceType === "TOPIC" && patternCovers(a, "orders.x");
  assert.ok(expected(applies).size > 0, "the policy has ACLs for orders.x");
  assert.deepEqual(listed(match.stdout), expected(applies));

  const byPrincipal = await kafkaAclsAs("admin", ["--list", "--principal", "User:alice"]);
  assert.deepEqual(listed(byPrincipal.stdout), expected((a) => a.principal === "User:alice"));

  // The listing round-trips: `kafka-wasm policy import` of it gives the policy's ACLs back.
  const imported = await run(process.execPath, [join(ROOT, "bin", "kafka-wasm.mjs"), "policy", "import"], { input: all.stdout, timeoutMs: 60_000 });
  assert.equal(imported.code, 0, imported.stderr.slice(-800));
  const norm = (a: PolicyAcl): string => [a.principal, a.host ?? "*", a.resourceType, a.resourceName, a.resourcePatternType ?? "LITERAL",
    a.operation, a.permissionType].join(" ");
  assert.deepEqual((JSON.parse(imported.stdout) as { acls: PolicyAcl[] }).acls.map(norm).sort(), POLICY_ACLS.map(norm).sort());
}, 120_000);

e2e("kafka-acls --add and --remove are answered SECURITY_DISABLED (the ACLs are the policy's); without the cluster grant, CLUSTER_AUTHORIZATION_FAILED", async (c) => {
  const add = await kafkaAclsAs("admin", ["--add", "--allow-principal", "User:eve", "--operation", "Read", "--topic", "e2e.acls"]);
  assert.notEqual(add.code, 0);
  assert.match(add.stdout + add.stderr, /SecurityDisabledException: the ACLs this proxy enforces are its policy's/);
  const remove = await kafkaAclsAs("admin", ["--remove", "--force", "--allow-principal", "User:ANONYMOUS", "--operation", "Read", "--topic", "e2e.", "--resource-pattern-type", "prefixed"]);
  assert.match(remove.stdout + remove.stderr, /SecurityDisabledException/);
  const after = await kafkaAclsAs("admin", ["--list", "--principal", "User:ANONYMOUS"]);
  assert.deepEqual(listed(after.stdout), expected((a) => a.principal === "User:ANONYMOUS"), "nothing changed");

  const anon = await kafkaAclsAs("anonymous", ["--list"]);
  assert.notEqual(anon.code, 0);
  assert.match(anon.stdout + anon.stderr, /ClusterAuthorizationException/);
  assert.ok(await waitForLog(c.mark, ["denied DescribeAcls", "principal=User:ANONYMOUS"]), "the filter logs the refusal");
}, 120_000);
