// `kafka-wasm policy` as a user runs it: check, explain and import, with the decisions Kafka's
// authorizer makes (the expectations below are Kafka's semantics, not the tool's output), and
// clear one-line errors, never a crash, on bad input.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "policy-cli-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ["bin/kafka-wasm.mjs", "policy", ...args], { input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A failure a user can read: one "kafka-wasm: ..." line (plus usage), no stack trace. */
function assertCleanError(r: ReturnType<typeof cli>, status: number, message: RegExp): void {
  assert.equal(r.status, status, r.stdout + r.stderr);
  assert.match(r.stderr, /^kafka-wasm: /);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at |RuntimeError|unreachable/);
}

const acl = (principal: string, resourceType: string, resourceName: string, operation: string, permissionType: string, more: object = {}) =>
  ({ principal, resourceType, resourceName, operation, permissionType, ...more });

const POLICY = file("policy.json", JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  superUsers: ["User:admin"],
  acls: [
    acl("User:alice", "TOPIC", "orders.", "WRITE", "ALLOW", { resourcePatternType: "PREFIXED" }),
    acl("User:alice", "TOPIC", "orders.secret", "WRITE", "DENY"),
    acl("User:alice", "TOPIC", "orders.", "READ", "DENY", { resourcePatternType: "PREFIXED", host: "10.0.0.66" }),
    acl("User:*", "TOPIC", "public", "READ", "ALLOW"),
    acl("User:carol", "TOPIC", "*", "ALTER_CONFIGS", "ALLOW"),
    acl("User:alice", "GROUP", "app", "READ", "ALLOW"),
    acl("User:alice", "TRANSACTIONAL_ID", "tx-", "WRITE", "ALLOW", { resourcePatternType: "PREFIXED" }),
  ],
  limits: { apis: { deny: ["DeleteTopics"] } },
}));

function explain(principal: string, host: string, resource: string, operation: string) {
  const r = cli(["explain", POLICY, "--principal", principal, "--host", host, "--resource", resource, "--operation", operation, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("check: an accepted file gives one OK line and exit 0", () => {
  const r = cli(["check", "envoy/policy.example.json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n").length, 1);
  assert.match(r.stdout, /OK/);
});

test("check: every problem, each with its JSON path, exit 1", () => {
  const bad = file("bad.json", JSON.stringify({
    superUsers: ["admin"],
    acls: [
      acl("User:alice", "TOPIC", "orders.", "WRIT", "ALLOW"),
      { ...acl("User:bob", "TOPC", "", "READ", "ALLOW"), colour: "red" },
    ],
    limits: { createTopics: { maxPartitions: 0 } },
    filter: { onDecodeError: "drop" },
  }));
  const r = cli(["check", bad]);
  assert.equal(r.status, 1);
  const paths = r.stdout.trim().split("\n").slice(0, -1).map((l) => l.slice(bad.length + 2).split(":")[0]);
  assert.deepEqual(new Set(paths), new Set(["superUsers[0]", "acls[0].operation", "acls[1].resourceType", "acls[1].resourceName",
    "acls[1].colour", "limits.createTopics.maxPartitions", "filter.onDecodeError"]));
  assert.match(r.stdout, /7 problems/);
});

test("external decisions: check validates the section; explain says the service decides", () => {
  const ok = file("external.json", JSON.stringify({ external: { cluster: "opa", timeoutMs: 500, failOpen: false }, limits: { apis: { deny: ["DeleteTopics"] } } }));
  const r = cli(["check", ok]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const bad = file("external-acls.json", JSON.stringify({ external: { cluster: "opa" }, superUsers: ["User:admin"] }));
  const b = cli(["check", bad]);
  assert.equal(b.status, 1);
  assert.match(b.stdout, /superUsers: must be empty when "external" decides the ACL questions/);
  assertCleanError(cli(["explain", ok, "--principal", "User:alice", "--host", "10.0.0.1", "--resource", "TOPIC:orders.eu", "--operation", "WRITE"]),
    1, /hands every ACL question to an external policy service \("external": cluster "opa"/);
});

test("check: malformed JSON, a missing file", () => {
  const r = cli(["check", file("malformed.json", '{"acls": [')]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /invalid JSON: .*offset 10/);
  assertCleanError(cli(["check", join(dir, "absent.json")]), 1, /cannot read .*absent\.json: ENOENT/);
});

test("explain: DENY beats ALLOW, by host too; the ACL that decided is named", () => {
  const allowed = explain("User:alice", "10.0.0.1", "TOPIC:orders.eu", "WRITE");
  assert.equal(allowed.allowed, true);
  assert.equal(allowed.acl.index, 0);
  const denied = explain("User:alice", "10.0.0.1", "TOPIC:orders.secret", "WRITE");
  assert.equal(denied.allowed, false);
  assert.equal(denied.reason, "DENY_ACL");
  assert.equal(denied.acl.index, 1);
  assert.equal(explain("User:alice", "10.0.0.66", "TOPIC:orders.eu", "READ").acl.index, 2);
  // That DENY is for one host only; elsewhere alice has ACLs on orders.* but none allows READ.
  const other = explain("User:alice", "10.0.0.1", "TOPIC:orders.eu", "READ");
  assert.equal(other.allowed, false);
  assert.equal(other.reason, "NO_MATCHING_ALLOW");
});

test("explain: implied operations, wildcards, super users and the default", () => {
  // WRITE implies DESCRIBE; a DENY of READ denies no DESCRIBE.
  assert.equal(explain("User:alice", "10.0.0.66", "TOPIC:orders.eu", "DESCRIBE").allowed, true);
  // ALTER_CONFIGS implies DESCRIBE_CONFIGS, on the LITERAL "*" wildcard resource; not DESCRIBE.
  assert.equal(explain("User:carol", "10.0.0.1", "TOPIC:anything", "DESCRIBE_CONFIGS").allowed, true);
  assert.equal(explain("User:carol", "10.0.0.1", "TOPIC:anything", "DESCRIBE").allowed, false);
  // The principal wildcard User:*.
  assert.equal(explain("User:zed", "10.0.0.1", "TOPIC:public", "READ").allowed, true);
  const su = explain("User:admin", "10.0.0.1", "CLUSTER", "ALTER");
  assert.deepEqual([su.allowed, su.reason, su.acl], [true, "SUPER_USER", null]);
  // A group no ACL names: allowEveryoneIfNoAclFound (false) decides.
  const none = explain("User:alice", "10.0.0.1", "GROUP:nobody", "READ");
  assert.deepEqual([none.allowed, none.reason], [false, "NO_ACL_DENY"]);
});

test("explain: the text form says ALLOWED or DENIED and shows the deciding ACL's entry", () => {
  const r = cli(["explain", POLICY, "--principal", "User:alice", "--host", "10.0.0.1", "--resource", "TOPIC:orders.secret", "--operation", "write"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^DENIED: User:alice from 10\.0\.0\.1 WRITE TOPIC:orders\.secret\n/);
  assert.match(r.stdout, /acls\[1\] \{"principal":"User:alice",.*"resourceName":"orders\.secret".*"permissionType":"DENY"\}/);
});

function explainApi(args: string[]) {
  const r = cli(["explain", POLICY, "--principal", "User:alice", "--host", "10.0.0.1", ...args, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
const asked = (d: any) => d.checks.map((c: any) => `${c.operation} ${c.resourceType}:${c.resourceName ?? "*"} ${c.allowed ? "allowed" : "denied"}`);

test("explain --api: Produce and Fetch check each topic; the allowed part goes on", () => {
  const produce = explainApi(["--api", "Produce", "--topic", "orders.eu", "--topic", "orders.secret"]);
  assert.deepEqual(asked(produce), ["WRITE TOPIC:orders.eu allowed", "WRITE TOPIC:orders.secret denied"]);
  assert.equal(produce.verdict, "FORWARDED_REWRITTEN");
  assert.deepEqual(produce.denials.map((d: any) => [d.resource, d.error]), [["TOPIC:orders.secret", "topic_authorization_failed"]]);
  const fetch = explainApi(["--api", "fetch", "--topic", "public"]);
  assert.deepEqual(asked(fetch), ["READ TOPIC:public allowed"]);
  assert.equal(fetch.verdict, "FORWARDED");
});

test("explain --api: groups, transactions, Metadata, CreateTopics, and limits.apis", () => {
  assert.deepEqual(asked(explainApi(["--api", "JoinGroup", "--group", "app"])), ["READ GROUP:app allowed"]);
  const commit = explainApi(["--api", "OffsetCommit", "--group", "app", "--topic", "public"]);
  assert.deepEqual(asked(commit), ["READ GROUP:app allowed", "READ TOPIC:public allowed"]);
  assert.deepEqual(asked(explainApi(["--api", "InitProducerId", "--transactional-id", "tx-9"])), ["WRITE TRANSACTIONAL_ID:tx-9 allowed"]);
  const txProduce = explainApi(["--api", "Produce", "--transactional-id", "other", "--topic", "orders.eu"]);
  assert.deepEqual(asked(txProduce), ["WRITE TRANSACTIONAL_ID:other denied"]);
  assert.equal(txProduce.verdict, "ANSWERED_BY_FILTER");
  assert.deepEqual(asked(explainApi(["--api", "Metadata", "--topic", "public"])), ["DESCRIBE TOPIC:public allowed"]);
  // Kafka: CREATE on the cluster, else on each topic.
  assert.deepEqual(asked(explainApi(["--api", "CreateTopics", "--topic", "orders.new"])),
    ["CREATE CLUSTER:kafka-cluster denied", "CREATE TOPIC:orders.new denied"]);
  const del = explainApi(["--api", "DeleteTopics", "--topic", "orders.eu"]);
  assert.equal(del.apiAllowedByLimits, false);
  assert.equal(del.verdict, "ANSWERED_BY_FILTER");
  assert.match(del.denials[0].reason, /limits\.apis/);
});

test("explain --request: any request, in the form kafka-wasm decode prints", () => {
  const request = file("request.json", JSON.stringify({
    header: { requestApiKey: 42, requestApiVersion: 2, correlationId: 7, clientId: "ops" }, body: { groupsNames: ["app", "other"] },
  }));
  const d = explainApi(["--request", request]);
  assert.equal(d.api, "DeleteGroups");
  assert.deepEqual(asked(d), ["DELETE GROUP:app denied", "DELETE GROUP:other denied"]);
  assertCleanError(cli(["explain", POLICY, "--principal", "User:a", "--host", "h", "--request", file("bad-request.json", '{"header":{}}')]), 1,
    /the request does not encode: header\.requestApiKey: missing required field/);
});

test("explain: bad input is a clear error", () => {
  const base = ["explain", POLICY, "--principal", "User:alice", "--host", "10.0.0.1"];
  assertCleanError(cli([...base, "--resource", "TOPIC:x", "--operation", "WRIT"]), 1, /unknown operation "WRIT"/);
  assertCleanError(cli([...base, "--resource", "TOPC:x", "--operation", "READ"]), 1, /unknown resource type "TOPC"/);
  assertCleanError(cli([...base, "--resource", "TOPIC:", "--operation", "READ"]), 1, /names no resource/);
  assertCleanError(cli(["explain", POLICY, "--principal", "alice", "--host", "h", "--resource", "TOPIC:x", "--operation", "READ"]), 1, /principal "alice"/);
  assertCleanError(cli([...base, "--operation", "READ"]), 2, /one of --resource/);
  assertCleanError(cli([...base, "--api", "Frobnicate"]), 2, /unknown API 'Frobnicate'/);
  assertCleanError(cli([...base, "--api", "ApiVersions"]), 2, /is a Kafka API, but --api builds no request for it/);
  assertCleanError(cli([...base, "--api", "JoinGroup"]), 2, /needs --group/);
  const refused = file("refused.json", '{"acls": [{"principal": "User:a"}]}');
  assertCleanError(cli(["explain", refused, "--principal", "User:a", "--host", "h", "--resource", "TOPIC:x", "--operation", "READ"]), 1,
    /configuration is refused: acls\[0\]\.resourceType: missing required field/);
});

const LISTED = `Current ACLs for resource \`ResourcePattern(resourceType=TOPIC, name=orders., patternType=PREFIXED)\`:
 \t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)
 \t(principal=User:bob, host=10.0.0.1, operation=WRITE, permissionType=DENY)

Current ACLs for resource \`ResourcePattern(resourceType=GROUP, name=odd, name=x), patternType=LITERAL)\`:
 \t(principal=User:*, host=*, operation=READ, permissionType=ALLOW)

`;

test("import: kafka-acls.sh --list output becomes a policy the filter accepts", () => {
  const r = cli(["import", "--super-users", "User:admin;User:ops"], LISTED);
  assert.equal(r.status, 0, r.stderr);
  const policy = JSON.parse(r.stdout);
  assert.deepEqual(policy.superUsers, ["User:admin", "User:ops"]);
  assert.equal(policy.allowEveryoneIfNoAclFound, false);
  assert.deepEqual(policy.acls, [
    { principal: "User:alice", host: "*", resourceType: "TOPIC", resourceName: "orders.", resourcePatternType: "PREFIXED", operation: "WRITE", permissionType: "ALLOW" },
    { principal: "User:bob", host: "10.0.0.1", resourceType: "TOPIC", resourceName: "orders.", resourcePatternType: "PREFIXED", operation: "WRITE", permissionType: "DENY" },
    { principal: "User:*", host: "*", resourceType: "GROUP", resourceName: "odd, name=x)", resourcePatternType: "LITERAL", operation: "READ", permissionType: "ALLOW" },
  ]);
  const checked = cli(["check", file("imported.json", r.stdout)]);
  assert.equal(checked.status, 0, checked.stdout);
  // From a file too, with the broker's allow.everyone.if.no.acl.found.
  const fromFile = cli(["import", file("listed.txt", LISTED), "--allow-everyone-if-no-acl-found"]);
  assert.equal(JSON.parse(fromFile.stdout).allowEveryoneIfNoAclFound, true);
});

test("import: unreadable lines and entries the filter refuses name their line", () => {
  assertCleanError(cli(["import"], "Current ACLs for resource `Topic:LITERAL:x`:\n"), 1, /line 1: not a line of kafka-acls\.sh --list output/);
  assertCleanError(cli(["import"], " \t(principal=User:a, host=*, operation=READ, permissionType=ALLOW)\n"), 1, /line 1: an ACL before any 'Current ACLs for resource' line/);
  const badOp = LISTED.replace("operation=READ", "operation=FLY");
  assertCleanError(cli(["import"], badOp), 1, /line 6: acls\[2\]\.operation: unknown operation "FLY"/);
  assertCleanError(cli(["import"], ""), 1, /no ACLs in the input/);
  assertCleanError(cli(["import", "--super-users"]), 2, /--super-users needs a value/);
});

test("principal: a TLS client's name under the configured ssl.principal.mapping.rules, from Envoy's subject or Kafka's name", () => {
  const rules = file("rules.json", JSON.stringify({ acls: [], filter: { sslPrincipalMappingRules: "RULE:^CN=([^,]+),OU=eng.*$/$1/L" } }));
  // Envoy (and openssl -nameopt RFC2253) write the e-mail attribute by name; Kafka by OID and DER.
  const r = cli(["principal", rules, "--subject", "CN=Alice,emailAddress=a@x,OU=eng", "--kafka-name", "CN=Bob,OU=eng,O=acme", "--json"]);
  assert.equal(r.status, 1, "one of them has no name (the filter closes such a connection)");
  assert.deepEqual(r.stdout.trim().split("\n").map((l) => JSON.parse(l)), [
    { subject: "CN=Alice,emailAddress=a@x,OU=eng", principal: null, error: "ssl.principal.mapping.rules: no rule applies to CN=Alice,1.2.840.113549.1.9.1=#1603614078,OU=eng" },
    { kafkaName: "CN=Bob,OU=eng,O=acme", principal: "User:bob", error: null },
  ]);
});

test("principal: without rules the name is Kafka's DEFAULT; a rule Kafka refuses is refused with its reason", () => {
  const r = cli(["principal", "envoy/policy.example.json", "--subject", "CN=caf\\C3\\A9,OU=eng"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "User:CN=café,OU=eng");
  const bad = file("bad-rules.json", JSON.stringify({ acls: [], filter: { sslPrincipalMappingRules: "RULE:^CN=(.*)$/$1/LU" } }));
  assertCleanError(cli(["principal", bad, "--kafka-name", "CN=x"]), 1, /Invalid rule: `RULE:\^CN=\(\.\*\)\$\/\$1\/LU`, unmatched substring: `U`/);
});
