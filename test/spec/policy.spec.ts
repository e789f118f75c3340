import {
  Policy, PolicyViolation, MESSAGE_TOO_LARGE, INVALID_REQUIRED_ACKS, TOPIC_AUTHORIZATION_FAILED,
  GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
  POLICY_VIOLATION, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, UNSUPPORTED_COMPRESSION_TYPE, kafkaApiName,
} from "../../assembly/policy/policy";
import {
  ResourceType, AclOperation, AuthzReason, CLUSTER_RESOURCE_NAME, parseOperation, operationName,
} from "../../assembly/policy/acl";
import { globMatch, ProduceLimit, ProduceLimits } from "../../assembly/policy/limits";
import { parseJson } from "../../assembly/json/value";
import { apiKeyByName } from "../../assembly/messages/apis";

const TOPIC = ResourceType.Topic;
const GROUP = ResourceType.Group;
const CLUSTER = ResourceType.Cluster;
const TXN = ResourceType.TransactionalId;

const READ = AclOperation.Read;
const WRITE = AclOperation.Write;
const CREATE = AclOperation.Create;
const DELETE = AclOperation.Delete;
const ALTER = AclOperation.Alter;
const DESCRIBE = AclOperation.Describe;
const DESCRIBE_CONFIGS = AclOperation.DescribeConfigs;
const ALTER_CONFIGS = AclOperation.AlterConfigs;
const CLUSTER_ACTION = AclOperation.ClusterAction;
const IDEMPOTENT_WRITE = AclOperation.IdempotentWrite;

const HOST = "10.0.0.1";

function acl(principal: string, op: string, perm: string, name: string, pattern: string = "LITERAL",
             type: string = "TOPIC", host: string = "*"): string {
  return "{\"principal\":\"" + principal + "\",\"host\":\"" + host + "\",\"resourceType\":\"" + type +
    "\",\"resourceName\":\"" + name + "\",\"resourcePatternType\":\"" + pattern + "\",\"operation\":\"" + op +
    "\",\"permissionType\":\"" + perm + "\"}";
}

function policyOf(acls: Array<string>, allowEveryone: bool = false, extra: string = ""): Policy {
  const json = "{\"allowEveryoneIfNoAclFound\":" + (allowEveryone ? "true" : "false") +
    ",\"acls\":[" + acls.join(",") + "]" + extra + "}";
  return load(json);
}

function load(json: string): Policy {
  const r = Policy.load(json);
  if (!r.ok) trace("unexpected load error: " + r.error + " in " + json);
  expect(r.error).toBe("");
  return r.policy!;
}

function loadError(json: string): string {
  const r = Policy.load(json);
  expect(r.policy).toBeNull();
  expect(r.ok).toBe(false);
  return r.error;
}

function aclError(aclJson: string): string {
  return loadError("{\"acls\":[" + aclJson + "]}");
}

function limitsError(limits: string): string {
  return loadError("{\"limits\":" + limits + "}");
}

function expectContains(actual: string, part: string): void {
  if (!actual.includes(part)) trace("\"" + actual + "\" does not contain \"" + part + "\"");
  expect(actual.includes(part)).toBe(true);
}

function allowed(p: Policy, principal: string, type: i32, name: string, op: i32, host: string = HOST): bool {
  const a = p.isAllowed(principal, host, type, name, op);
  // authorize() and isAllowed() must agree.
  expect(p.authorize(principal, host, type, name, op).allowed).toBe(a);
  return a;
}

describe("ACL semantics (StandardAuthorizer)", () => {
  it("allows a literal match and denies other principals on that resource", () => {
    const p = policyOf([acl("User:alice", "WRITE", "ALLOW", "orders")]);
    expect(allowed(p, "User:alice", TOPIC, "orders", WRITE)).toBe(true);
    expect(allowed(p, "User:bob", TOPIC, "orders", WRITE)).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "orders", READ)).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "orders2", WRITE)).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "order", WRITE)).toBe(false);
    const r = p.authorize("User:alice", HOST, TOPIC, "orders", WRITE);
    expect(r.reason).toBe(AuthzReason.AllowAcl);
    expect(r.aclIndex).toBe(0);
    expect(r.describe()).toBe("allowed by acls[0]");
    const d = p.authorize("User:bob", HOST, TOPIC, "orders", WRITE);
    expect(d.reason).toBe(AuthzReason.NoMatchingAllow);
    expect(d.aclIndex).toBe(-1);
  });

  it("matches PREFIXED names by prefix only", () => {
    const p = policyOf([acl("User:alice", "WRITE", "ALLOW", "orders.", "PREFIXED")]);
    expect(allowed(p, "User:alice", TOPIC, "orders.eu", WRITE)).toBe(true);
    expect(allowed(p, "User:alice", TOPIC, "orders.", WRITE)).toBe(true);
    expect(allowed(p, "User:alice", TOPIC, "orders.eu.west", WRITE)).toBe(true);
    expect(allowed(p, "User:alice", TOPIC, "orders", WRITE)).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "xorders.eu", WRITE)).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "Orders.eu", WRITE)).toBe(false);
  });

  it("does not treat a LITERAL name as a prefix", () => {
    const p = policyOf([acl("User:alice", "READ", "ALLOW", "orders")], true);
    // "orders.eu" has no ACL at all, so the default applies (here: allow everyone).
    expect(p.authorize("User:bob", HOST, TOPIC, "orders.eu", READ).reason).toBe(AuthzReason.NoAclAllowEveryone);
    expect(allowed(p, "User:bob", TOPIC, "orders", READ)).toBe(false);
  });

  it("treats LITERAL \"*\" as every name and PREFIXED \"*\" as a prefix", () => {
    let p = policyOf([acl("User:alice", "READ", "ALLOW", "*")]);
    expect(allowed(p, "User:alice", TOPIC, "anything", READ)).toBe(true);
    expect(allowed(p, "User:alice", TOPIC, "*", READ)).toBe(true);
    expect(allowed(p, "User:alice", GROUP, "anything", READ)).toBe(false);
    p = policyOf([acl("User:alice", "READ", "ALLOW", "*", "PREFIXED")]);
    expect(allowed(p, "User:alice", TOPIC, "anything", READ)).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "*x", READ)).toBe(true);
  });

  it("keeps a name starting with \"*\" out of LITERAL \"*\" ALLOWs, as Kafka does, but not out of its DENYs", () => {
    // StandardAuthorizer skips the wildcard for such a name (it takes it for a literal prefix).
    let p = policyOf([acl("User:alice", "READ", "ALLOW", "*", "LITERAL", "GROUP")]);
    expect(allowed(p, "User:alice", GROUP, "*x", READ)).toBe(false);
    expect(allowed(p, "User:alice", GROUP, "*", READ)).toBe(true);
    expect(allowed(p, "User:alice", GROUP, "x*", READ)).toBe(true);
    const ops: StaticArray<i32> = [READ, DESCRIBE];
    expect(p.authorizer.allowedOperations("User:alice", HOST, GROUP, "*x", ops)).toBe(0);
    // Nor does it count as an ACL of the resource: the default decides, as on Kafka.
    p = policyOf([acl("User:alice", "READ", "ALLOW", "*", "LITERAL", "GROUP")], true);
    expect(allowed(p, "User:bob", GROUP, "*x", READ)).toBe(true);
    expect(allowed(p, "User:bob", GROUP, "x", READ)).toBe(false);
    // A DENY of every name still denies it (Kafka would let it escape).
    p = policyOf([acl("User:*", "READ", "ALLOW", "*x", "PREFIXED", "GROUP"), acl("User:mallory", "ALL", "DENY", "*", "LITERAL", "GROUP")]);
    expect(allowed(p, "User:alice", GROUP, "*x", READ)).toBe(true);
    expect(allowed(p, "User:mallory", GROUP, "*x", READ)).toBe(false);
    expect(p.authorize("User:mallory", HOST, GROUP, "*x", READ).describe()).toBe("denied by acls[1]");
    expect(p.authorizer.allowedOperations("User:mallory", HOST, GROUP, "*x", ops)).toBe(0);
    expect(p.authorizer.allowedOperations("User:alice", HOST, GROUP, "*x", ops)).toBe((1 << READ) | (1 << DESCRIBE));
  });

  it("lets a DENY win over any ALLOW", () => {
    const p = policyOf([
      acl("User:*", "READ", "ALLOW", "*"),
      acl("User:alice", "READ", "DENY", "secret"),
      acl("User:alice", "ALL", "ALLOW", "secret"),
      acl("User:carol", "READ", "DENY", "pay", "PREFIXED"),
      acl("User:carol", "READ", "ALLOW", "payments"),
      acl("User:*", "READ", "DENY", "*"),
    ]);
    // The last ACL denies READ on every topic to everyone.
    expect(allowed(p, "User:bob", TOPIC, "x", READ)).toBe(false);
    const r = p.authorize("User:alice", HOST, TOPIC, "secret", READ);
    expect(r.allowed).toBe(false);
    expect(r.reason).toBe(AuthzReason.DenyAcl);
    expect(r.aclIndex).toBe(1);
    expect(r.describe()).toBe("denied by acls[1]");
    expect(p.authorize("User:carol", HOST, TOPIC, "payments", READ).aclIndex).toBe(3);
    // DENY READ does not deny WRITE.
    expect(allowed(p, "User:alice", TOPIC, "secret", WRITE)).toBe(true);
  });

  it("denies via a prefix over a literal ALLOW and via a wildcard over a prefix ALLOW", () => {
    let p = policyOf([
      acl("User:alice", "WRITE", "ALLOW", "orders.eu"),
      acl("User:alice", "WRITE", "DENY", "orders.", "PREFIXED"),
    ]);
    expect(allowed(p, "User:alice", TOPIC, "orders.eu", WRITE)).toBe(false);
    p = policyOf([
      acl("User:alice", "WRITE", "ALLOW", "orders.", "PREFIXED"),
      acl("User:alice", "WRITE", "DENY", "*"),
    ]);
    expect(allowed(p, "User:alice", TOPIC, "orders.eu", WRITE)).toBe(false);
    expect(p.authorize("User:alice", HOST, TOPIC, "orders.eu", WRITE).aclIndex).toBe(1);
  });

  it("implies DESCRIBE from READ, WRITE, DELETE and ALTER allows", () => {
    const ops = ["READ", "WRITE", "DELETE", "ALTER", "DESCRIBE"];
    for (let i = 0; i < ops.length; i++) {
      const p = policyOf([acl("User:alice", ops[i], "ALLOW", "t")]);
      expect(allowed(p, "User:alice", TOPIC, "t", DESCRIBE)).toBe(true, ops[i] + " implies DESCRIBE");
    }
    const not = ["CREATE", "ALTER_CONFIGS", "DESCRIBE_CONFIGS", "CLUSTER_ACTION", "IDEMPOTENT_WRITE"];
    for (let i = 0; i < not.length; i++) {
      const p = policyOf([acl("User:alice", not[i], "ALLOW", "t")]);
      expect(allowed(p, "User:alice", TOPIC, "t", DESCRIBE)).toBe(false, not[i] + " does not imply DESCRIBE");
    }
  });

  it("implies DESCRIBE_CONFIGS from ALTER_CONFIGS only", () => {
    let p = policyOf([acl("User:alice", "ALTER_CONFIGS", "ALLOW", "t")]);
    expect(allowed(p, "User:alice", TOPIC, "t", DESCRIBE_CONFIGS)).toBe(true);
    expect(allowed(p, "User:alice", TOPIC, "t", ALTER_CONFIGS)).toBe(true);
    p = policyOf([acl("User:alice", "DESCRIBE_CONFIGS", "ALLOW", "t")]);
    expect(allowed(p, "User:alice", TOPIC, "t", DESCRIBE_CONFIGS)).toBe(true);
    expect(allowed(p, "User:alice", TOPIC, "t", ALTER_CONFIGS)).toBe(false);
    p = policyOf([acl("User:alice", "ALTER", "ALLOW", "t")]);
    expect(allowed(p, "User:alice", TOPIC, "t", DESCRIBE_CONFIGS)).toBe(false);
  });

  it("does not imply other operations from an ALLOW", () => {
    const p = policyOf([acl("User:alice", "READ", "ALLOW", "t")]);
    expect(allowed(p, "User:alice", TOPIC, "t", WRITE)).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "t", DELETE)).toBe(false);
    const q = policyOf([acl("User:alice", "WRITE", "ALLOW", "t")]);
    expect(allowed(q, "User:alice", TOPIC, "t", READ)).toBe(false);
  });

  it("does not extend a DENY to implied operations", () => {
    const p = policyOf([
      acl("User:alice", "ALL", "ALLOW", "t"),
      acl("User:alice", "READ", "DENY", "t"),
      acl("User:alice", "ALTER_CONFIGS", "DENY", "t"),
    ]);
    expect(allowed(p, "User:alice", TOPIC, "t", READ)).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "t", DESCRIBE)).toBe(true);
    expect(allowed(p, "User:alice", TOPIC, "t", ALTER_CONFIGS)).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "t", DESCRIBE_CONFIGS)).toBe(true);
    expect(allowed(p, "User:alice", TOPIC, "t", WRITE)).toBe(true);
  });

  it("makes ALL match every operation, for ALLOW and DENY", () => {
    const p = policyOf([acl("User:alice", "ALL", "ALLOW", "t"), acl("User:bob", "ALL", "DENY", "t"),
      acl("User:bob", "READ", "ALLOW", "t")]);
    for (let op = AclOperation.Read; op <= AclOperation.TwoPhaseCommit; op++) {
      expect(allowed(p, "User:alice", TOPIC, "t", op)).toBe(true, operationName(op));
      expect(allowed(p, "User:bob", TOPIC, "t", op)).toBe(false, operationName(op));
    }
  });

  it("applies allowEveryoneIfNoAclFound only when no ACL names the resource", () => {
    const acls = [acl("User:alice", "READ", "ALLOW", "t", "LITERAL", "TOPIC", "192.168.0.9")];
    const open = policyOf(acls, true);
    const closed = policyOf(acls, false);
    expect(allowed(open, "User:bob", TOPIC, "other", WRITE)).toBe(true);
    expect(open.authorize("User:bob", HOST, TOPIC, "other", WRITE).describe())
      .toBe("allowed: no ACL for the resource and allowEveryoneIfNoAclFound is true");
    expect(allowed(closed, "User:bob", TOPIC, "other", WRITE)).toBe(false);
    expect(closed.authorize("User:bob", HOST, TOPIC, "other", WRITE).reason).toBe(AuthzReason.NoAclDeny);
    // An ACL on "t" exists, even though it matches neither bob, the host, nor WRITE.
    expect(allowed(open, "User:bob", TOPIC, "t", WRITE)).toBe(false);
    expect(open.authorize("User:bob", HOST, TOPIC, "t", WRITE).reason).toBe(AuthzReason.NoMatchingAllow);
    expect(allowed(open, "User:alice", TOPIC, "t", READ)).toBe(false); // wrong host
    expect(allowed(open, "User:alice", TOPIC, "t", READ, "192.168.0.9")).toBe(true);
    // ACLs of another resource type do not count.
    expect(allowed(open, "User:bob", GROUP, "t", READ)).toBe(true);
    // An empty policy: the default decides everything.
    expect(Policy.empty(true).isAllowed("User:x", HOST, CLUSTER, CLUSTER_RESOURCE_NAME, ALTER)).toBe(true);
    expect(Policy.empty(false).isAllowed("User:x", HOST, TOPIC, "t", READ)).toBe(false);
  });

  it("counts prefix and wildcard ACLs as naming the resource", () => {
    const p = policyOf([acl("User:alice", "READ", "ALLOW", "a.", "PREFIXED"),
      acl("User:alice", "READ", "ALLOW", "*", "LITERAL", "GROUP")], true);
    expect(allowed(p, "User:bob", TOPIC, "a.b", READ)).toBe(false);
    expect(allowed(p, "User:bob", TOPIC, "b", READ)).toBe(true);
    expect(allowed(p, "User:bob", GROUP, "g", READ)).toBe(false);
  });

  it("lets super users do anything, by exact principal", () => {
    const p = load("{\"superUsers\":[\"User:admin\",\"User:ops\"],\"acls\":[" +
      acl("User:admin", "ALL", "DENY", "*") + "]}");
    const r = p.authorize("User:admin", HOST, TOPIC, "t", WRITE);
    expect(r.allowed).toBe(true);
    expect(r.reason).toBe(AuthzReason.SuperUser);
    expect(r.describe()).toBe("allowed: super user");
    expect(allowed(p, "User:ops", CLUSTER, CLUSTER_RESOURCE_NAME, CLUSTER_ACTION)).toBe(true);
    expect(allowed(p, "User:Admin", TOPIC, "t", WRITE)).toBe(false);
    expect(allowed(p, "User:admin2", TOPIC, "t", WRITE)).toBe(false);
    expect(allowed(p, "Group:admin", TOPIC, "t", WRITE)).toBe(false);
  });

  it("matches hosts exactly or by \"*\"", () => {
    const p = policyOf([
      acl("User:alice", "READ", "ALLOW", "t", "LITERAL", "TOPIC", "10.0.0.1"),
      acl("User:alice", "READ", "DENY", "t", "LITERAL", "TOPIC", "10.0.0.66"),
      acl("User:bob", "READ", "ALLOW", "t", "LITERAL", "TOPIC", "*"),
    ]);
    expect(allowed(p, "User:alice", TOPIC, "t", READ, "10.0.0.1")).toBe(true);
    expect(allowed(p, "User:alice", TOPIC, "t", READ, "10.0.0.2")).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "t", READ, "10.0.0.66")).toBe(false);
    expect(allowed(p, "User:alice", TOPIC, "t", READ, "10.0.0.10")).toBe(false);
    expect(allowed(p, "User:bob", TOPIC, "t", READ, "10.0.0.66")).toBe(true);
    expect(allowed(p, "User:bob", TOPIC, "t", READ, "0:0:0:0:0:0:0:1")).toBe(true);
  });

  it("matches the wildcard principal User:* against every principal", () => {
    const p = policyOf([acl("User:*", "READ", "ALLOW", "t"), acl("User:mallory", "READ", "DENY", "t"),
      acl("Group:devs", "WRITE", "ALLOW", "t")]);
    expect(allowed(p, "User:bob", TOPIC, "t", READ)).toBe(true);
    expect(allowed(p, "User:ANONYMOUS", TOPIC, "t", READ)).toBe(true);
    expect(allowed(p, "Group:devs", TOPIC, "t", READ)).toBe(true);
    expect(allowed(p, "User:mallory", TOPIC, "t", READ)).toBe(false);
    // Principal types matter otherwise.
    expect(allowed(p, "Group:devs", TOPIC, "t", WRITE)).toBe(true);
    expect(allowed(p, "User:devs", TOPIC, "t", WRITE)).toBe(false);
  });

  it("keeps resource types apart and covers every type", () => {
    const p = policyOf([
      acl("User:a", "READ", "ALLOW", "x", "LITERAL", "GROUP"),
      acl("User:a", "CREATE", "ALLOW", "kafka-cluster", "LITERAL", "CLUSTER"),
      acl("User:a", "IDEMPOTENT_WRITE", "ALLOW", "kafka-cluster", "LITERAL", "cluster"),
      acl("User:a", "WRITE", "ALLOW", "tx-", "PREFIXED", "TRANSACTIONAL_ID"),
      acl("User:a", "DESCRIBE_TOKENS", "ALLOW", "*", "LITERAL", "USER"),
      acl("User:a", "DESCRIBE", "ALLOW", "tok", "LITERAL", "DELEGATION_TOKEN"),
    ]);
    expect(allowed(p, "User:a", GROUP, "x", READ)).toBe(true);
    expect(allowed(p, "User:a", TOPIC, "x", READ)).toBe(false);
    expect(allowed(p, "User:a", CLUSTER, CLUSTER_RESOURCE_NAME, CREATE)).toBe(true);
    expect(allowed(p, "User:a", CLUSTER, CLUSTER_RESOURCE_NAME, IDEMPOTENT_WRITE)).toBe(true);
    expect(allowed(p, "User:a", TXN, "tx-1", WRITE)).toBe(true);
    expect(allowed(p, "User:a", TXN, "tx-1", DESCRIBE)).toBe(true);
    expect(allowed(p, "User:a", ResourceType.User, "bob", AclOperation.DescribeTokens)).toBe(true);
    expect(allowed(p, "User:a", ResourceType.DelegationToken, "tok", DESCRIBE)).toBe(true);
    // Out-of-range types and operations are simply denied.
    expect(allowed(p, "User:a", 99, "x", READ)).toBe(false);
    expect(allowed(p, "User:a", -1, "x", READ)).toBe(false);
    expect(allowed(p, "User:a", GROUP, "x", 99)).toBe(false);
  });

  it("reports the lowest matching ALLOW", () => {
    const p = policyOf([acl("User:b", "READ", "ALLOW", "t"), acl("User:*", "READ", "ALLOW", "*"),
      acl("User:a", "READ", "ALLOW", "t", "PREFIXED"), acl("User:a", "READ", "ALLOW", "t")]);
    expect(p.authorize("User:a", HOST, TOPIC, "t", READ).aclIndex).toBe(1);
  });

  it("answers with the resource type's authorization error", () => {
    const p = policyOf([], false);
    let v = p.checkAcl("User:a", HOST, TOPIC, "t", WRITE)!;
    expect(v.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(v.message).toBe("User:a may not WRITE TOPIC \"t\" (denied: no ACL for the resource)");
    expect(p.checkAcl("User:a", HOST, GROUP, "g", READ)!.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    expect(p.checkAcl("User:a", HOST, CLUSTER, CLUSTER_RESOURCE_NAME, CREATE)!.errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(p.checkAcl("User:a", HOST, TXN, "x", WRITE)!.errorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(Policy.empty(true).checkAcl("User:a", HOST, TOPIC, "t", WRITE)).toBeNull();
  });

  it("allowedOperations answers every operation as decide() does, the resource looked up once", () => {
    const p = policyOf([
      acl("User:a", "READ", "ALLOW", "t", "PREFIXED"), acl("User:a", "WRITE", "ALLOW", "t.x"),
      acl("User:a", "ALL", "ALLOW", "u.", "PREFIXED"), acl("User:a", "ALTER", "DENY", "u.y", "PREFIXED"),
      acl("User:*", "DESCRIBE_CONFIGS", "ALLOW", "*"), acl("User:b", "ALL", "DENY", "t.", "PREFIXED"),
      acl("User:b", "ALTER_CONFIGS", "ALLOW", "t.x"), acl("User:admin", "READ", "DENY", "t.x"),
    ], false, ",\"superUsers\":[\"User:root\"]");
    const ops: StaticArray<i32> = [READ, WRITE, CREATE, DESCRIBE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS];
    const principals = ["User:a", "User:b", "User:c", "User:admin", "User:root"];
    const names = ["t", "t.x", "t.xy", "u.", "u.y", "u.yz", "v", ""];
    for (let i = 0; i < principals.length; i++) {
      for (let j = 0; j < names.length; j++) {
        let expected = 0;
        for (let k = 0; k < ops.length; k++) {
          if (p.isAllowed(principals[i], HOST, TOPIC, names[j], ops[k])) expected |= 1 << ops[k];
        }
        const got = p.authorizer.allowedOperations(principals[i], HOST, TOPIC, names[j], ops);
        if (got != expected) trace(principals[i] + " on " + names[j] + ": " + got.toString() + " != " + expected.toString());
        expect(got).toBe(expected);
      }
    }
    // Not vacuous: a's operations on t.x are READ (prefix t), WRITE (literal), DESCRIBE and DESCRIBE_CONFIGS (implied, wildcard).
    expect(p.authorizer.allowedOperations("User:a", HOST, TOPIC, "t.x", ops)).toBe((1 << READ) | (1 << WRITE) | (1 << DESCRIBE) | (1 << DESCRIBE_CONFIGS));
  });

  it("accepts enum names in any case and Kafka's defaults", () => {
    const p = load("{\"acls\":[{\"principal\":\"User:a\",\"resourceType\":\"topic\",\"resourceName\":\"t\"," +
      "\"operation\":\"Write\",\"permissionType\":\"allow\"}]}");
    expect(allowed(p, "User:a", TOPIC, "t", WRITE, "1.2.3.4")).toBe(true); // host defaults to "*"
    expect(allowed(p, "User:a", TOPIC, "t2", WRITE)).toBe(false);        // pattern defaults to LITERAL
    expect(parseOperation("cluster_action")).toBe(CLUSTER_ACTION);
  });
});

describe("Policy.load validation", () => {
  it("accepts an empty configuration", () => {
    const p = load("{}");
    expect(p.isAllowed("User:a", HOST, TOPIC, "t", READ)).toBe(false);
    expect(p.checkProduceBatch("t", 1 << 30, 0, 0)).toBeNull();
    expect(p.checkCreateTopic("t", 1000, 10)).toBeNull();
    expect(p.isApiAllowed("DeleteTopics")).toBe(true);
    expect(p.isApiKeyAllowed(20)).toBe(true);
    expect(load(" { \"acls\" : [ ] , \"limits\" : { } } ").isAllowed("User:a", HOST, TOPIC, "t", READ)).toBe(false);
  });

  it("loads a parsed sub-document with a path prefix", () => {
    const doc = parseJson("{\"max_frame_bytes\":1,\"policy\":{\"acls\":[" + acl("User:a", "READ", "ALLOW", "t") + "]}}").value!;
    const r = Policy.fromJson(doc.get("policy"), "policy");
    expect(r.ok).toBe(true);
    expect(r.policy!.isAllowed("User:a", HOST, TOPIC, "t", READ)).toBe(true);
    const bad = parseJson("{\"policy\":{\"acls\":[{\"principal\":1}]}}").value!;
    expect(Policy.fromJson(bad.get("policy"), "policy").error).toBe("policy.acls[0].principal: expected string, found number");
    expect(Policy.fromJson(null, "policy").error).toBe("policy: missing required field");
  });

  it("reports JSON syntax errors with their offset", () => {
    expect(loadError("{\"acls\":[}")).toBe("invalid JSON: expected a value, found '}' at offset 9");
    expect(loadError("{\"acls\":[] \"x\":1}")).toBe("invalid JSON: expected ',' or '}' at offset 11");
    expect(loadError("")).toBe("invalid JSON: unexpected end of input at offset 0");
  });

  it("rejects wrong top-level shapes and unknown keys", () => {
    expect(loadError("[]")).toBe("(root): expected object, found array");
    expect(loadError("null")).toBe("(root): expected object, found null");
    expect(loadError("{\"aclz\":[]}")).toBe("aclz: unknown field");
    expect(loadError("{\"acls\":[],\"acls\":[]}")).toBe("acls: duplicate field");
    expect(loadError("{\"allowEveryoneIfNoAclFound\":\"yes\"}"))
      .toBe("allowEveryoneIfNoAclFound: expected boolean, found string");
    expect(loadError("{\"acls\":{}}")).toBe("acls: expected array, found object");
    expect(loadError("{\"acls\":[\"x\"]}")).toBe("acls[0]: expected object, found string");
    expect(loadError("{\"limits\":[]}")).toBe("limits: expected object, found array");
    expect(loadError("{\"limits\":{\"quotas\":{}}}")).toBe("limits.quotas: unknown field");
  });

  it("validates superUsers", () => {
    expect(loadError("{\"superUsers\":\"User:a\"}")).toBe("superUsers: expected array, found string");
    expect(loadError("{\"superUsers\":[1]}")).toBe("superUsers[0]: expected string, found number");
    expect(loadError("{\"superUsers\":[\"User:a\",\"admin\"]}"))
      .toBe("superUsers[1]: expected a principal \"Type:name\" (e.g. \"User:admin\"), got \"admin\"");
    expect(loadError("{\"superUsers\":[\"User:*\"]}"))
      .toBe("superUsers[0]: \"User:*\" cannot be a super user (super users are exact principals)");
    // Kafka's super.users pasted whole: neither would be a super user.
    expect(loadError("{\"superUsers\":[\"User:admin;User:ops\"]}"))
      .toBe("superUsers[0]: one principal per entry (Kafka's super.users separates them with \";\"), got \"User:admin;User:ops\"");
  });

  it("takes \"User:\", an empty name, as Kafka does: the principal of a certificate with an empty subject", () => {
    const p = load("{\"superUsers\": [\"User:\"], \"acls\": [" + acl("User:", "READ", "ALLOW", "t") + "]}");
    expect(allowed(p, "User:", ResourceType.Cluster, "kafka-cluster", AclOperation.Alter)).toBe(true);
    const q = policyOf([acl("User:", "READ", "ALLOW", "t")]);
    expect(allowed(q, "User:", ResourceType.Topic, "t", AclOperation.Read)).toBe(true);
    expect(allowed(q, "User:alice", ResourceType.Topic, "t", AclOperation.Read)).toBe(false);
    expect(allowed(q, "User:ANONYMOUS", ResourceType.Topic, "t", AclOperation.Read)).toBe(false);
  });

  it("names the ACL and field of every ACL problem", () => {
    const good = acl("User:a", "READ", "ALLOW", "t");
    expect(loadError("{\"acls\":[" + good + "," + good + "," + acl("User:a", "WRIT", "ALLOW", "t") + "]}"))
      .toBe("acls[2].operation: unknown operation \"WRIT\"");
    expect(aclError("{\"resourceType\":\"TOPIC\",\"resourceName\":\"t\",\"operation\":\"READ\",\"permissionType\":\"ALLOW\"}"))
      .toBe("acls[0].principal: missing required field");
    expect(aclError("{\"principal\":7,\"resourceType\":\"TOPIC\",\"resourceName\":\"t\",\"operation\":\"READ\",\"permissionType\":\"ALLOW\"}"))
      .toBe("acls[0].principal: expected string, found number");
    expect(aclError(acl("alice", "READ", "ALLOW", "t")))
      .toBe("acls[0].principal: expected a principal \"Type:name\" (e.g. \"User:alice\" or \"User:*\"), got \"alice\"");
    expectContains(aclError(acl(":bob", "READ", "ALLOW", "t")), "acls[0].principal: expected a principal");
    expect(aclError(acl("User:a", "READ", "ALLOW", "t", "LITERAL", "TOPIC", "")))
      .toBe("acls[0].host: must not be empty (use \"*\" for any host)");
    expect(aclError(acl("User:a", "READ", "ALLOW", "t", "LITERAL", "TOPICS")))
      .toBe("acls[0].resourceType: unknown resource type \"TOPICS\"");
    expect(aclError(acl("User:a", "READ", "ALLOW", "t", "LITERAL", "ANY")))
      .toBe("acls[0].resourceType: \"ANY\" is not valid in an ACL (filters only)");
    expect(aclError(acl("User:a", "READ", "ALLOW", "t", "LITERAL", "UNKNOWN")))
      .toBe("acls[0].resourceType: \"UNKNOWN\" is not valid in an ACL (filters only)");
    expect(aclError(acl("User:a", "READ", "ALLOW", "")))
      .toBe("acls[0].resourceName: must not be empty");
    expect(aclError("{\"principal\":\"User:a\",\"resourceType\":\"TOPIC\",\"operation\":\"READ\",\"permissionType\":\"ALLOW\"}"))
      .toBe("acls[0].resourceName: missing required field");
    expect(aclError(acl("User:a", "READ", "ALLOW", "t", "PREFIX")))
      .toBe("acls[0].resourcePatternType: unknown pattern type \"PREFIX\"");
    expect(aclError(acl("User:a", "READ", "ALLOW", "t", "MATCH")))
      .toBe("acls[0].resourcePatternType: \"MATCH\" is not valid in an ACL (filters only)");
    expect(aclError(acl("User:a", "READ", "ALLOW", "t", "ANY")))
      .toBe("acls[0].resourcePatternType: \"ANY\" is not valid in an ACL (filters only)");
    expect(aclError(acl("User:a", "ANY", "ALLOW", "t")))
      .toBe("acls[0].operation: \"ANY\" is not valid in an ACL (filters only)");
    expect(aclError(acl("User:a", "READ", "PERMIT", "t")))
      .toBe("acls[0].permissionType: unknown permission type \"PERMIT\"");
    expect(aclError(acl("User:a", "READ", "ANY", "t")))
      .toBe("acls[0].permissionType: \"ANY\" is not valid in an ACL (filters only)");
    expect(aclError("{\"principal\":\"User:a\",\"resourceType\":\"TOPIC\",\"resourceName\":\"t\",\"operation\":\"READ\"}"))
      .toBe("acls[0].permissionType: missing required field");
    expect(aclError("{\"principal\":\"User:a\",\"resourceType\":\"TOPIC\",\"resourceName\":\"t\",\"operation\":\"READ\",\"permissionType\":\"ALLOW\",\"comment\":\"x\"}"))
      .toBe("acls[0].comment: unknown field");
    expect(aclError("{\"principal\":\"User:a\",\"resourceType\":\"TOPIC\",\"resourceName\":\"t\",\"operation\":\"READ\",\"permissionType\":true}"))
      .toBe("acls[0].permissionType: expected string, found boolean");
  });

  it("validates produce limits", () => {
    expect(limitsError("{\"produce\":{}}")).toBe("limits.produce: expected array, found object");
    expect(limitsError("{\"produce\":[{}]}")).toBe("limits.produce[0].topic: missing required field");
    expect(limitsError("{\"produce\":[{\"topic\":\"\"}]}")).toBe("limits.produce[0].topic: must not be empty");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"patternType\":\"MATCH\"}]}"))
      .toBe("limits.produce[0].patternType: unknown pattern type \"MATCH\" (expected LITERAL or PREFIXED)");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"maxBatchBytes\":0}]}"))
      .toBe("limits.produce[0].maxBatchBytes: 0 is out of range [1, 2147483647]");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"maxBatchBytes\":2147483648}]}"))
      .toBe("limits.produce[0].maxBatchBytes: 2147483648 is out of range [1, 2147483647]");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"maxBatchBytes\":1e6}]}"))
      .toBe("limits.produce[0].maxBatchBytes: expected an integer, found 1e6");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"maxBatchBytes\":\"1MB\"}]}"))
      .toBe("limits.produce[0].maxBatchBytes: expected number, found string");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"requiredAcks\":2}]}"))
      .toBe("limits.produce[0].requiredAcks: 2 is out of range [-1, 1]");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"compression\":\"yes\"}]}"))
      .toBe("limits.produce[0].compression: unknown compression rule \"yes\" (expected \"any\", \"required\" or \"forbidden\")");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"allowedCodecs\":[]}]}"))
      .toBe("limits.produce[0].allowedCodecs: must not be empty (omit it to allow any codec)");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"allowedCodecs\":[\"zstd\",\"brotli\"]}]}"))
      .toBe("limits.produce[0].allowedCodecs[1]: unknown codec \"brotli\" (expected gzip, snappy, lz4 or zstd)");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"allowedCodecs\":[\"none\"]}]}"))
      .toBe("limits.produce[0].allowedCodecs[0]: \"none\" is not a codec here; use \"compression\" to allow or forbid uncompressed batches");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"allowedCodecs\":[4]}]}"))
      .toBe("limits.produce[0].allowedCodecs[0]: expected string, found number");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"compression\":\"forbidden\",\"allowedCodecs\":[\"lz4\"]}]}"))
      .toBe("limits.produce[0].allowedCodecs: conflicts with \"compression\": \"forbidden\"");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\"},{\"topic\":\"u\"},{\"topic\":\"t\",\"patternType\":\"literal\"}]}"))
      .toBe("limits.produce[2].topic: same topic and patternType as limits.produce[0]");
    expect(limitsError("{\"produce\":[{\"topic\":\"t\",\"maxBytes\":5}]}"))
      .toBe("limits.produce[0].maxBytes: unknown field");
    // Same name, different pattern types: fine.
    load("{\"limits\":{\"produce\":[{\"topic\":\"t\"},{\"topic\":\"t\",\"patternType\":\"PREFIXED\"}]}}");
  });

  it("validates createTopics limits", () => {
    expect(limitsError("{\"createTopics\":[]}")).toBe("limits.createTopics: expected object, found array");
    expect(limitsError("{\"createTopics\":{\"maxPartitions\":0}}"))
      .toBe("limits.createTopics.maxPartitions: 0 is out of range [1, 2147483647]");
    expect(limitsError("{\"createTopics\":{\"minPartitions\":5,\"maxPartitions\":4}}"))
      .toBe("limits.createTopics.maxPartitions: is below minPartitions (5)");
    expect(limitsError("{\"createTopics\":{\"maxReplicationFactor\":40000}}"))
      .toBe("limits.createTopics.maxReplicationFactor: 40000 is out of range [1, 32767]");
    expect(limitsError("{\"createTopics\":{\"minReplicationFactor\":3,\"maxReplicationFactor\":2}}"))
      .toBe("limits.createTopics.maxReplicationFactor: is below minReplicationFactor (3)");
    expect(limitsError("{\"createTopics\":{\"topicNameGlob\":\"\"}}"))
      .toBe("limits.createTopics.topicNameGlob: must not be empty (omit it to allow any name)");
    expect(limitsError("{\"createTopics\":{\"topicNamePattern\":\"^a$\"}}"))
      .toBe("limits.createTopics.topicNamePattern: unknown field");
  });

  it("validates api lists", () => {
    expect(limitsError("{\"apis\":{}}")).toBe("limits.apis: needs exactly one of \"allow\" or \"deny\"");
    expect(limitsError("{\"apis\":{\"allow\":[],\"deny\":[]}}")).toBe("limits.apis: needs exactly one of \"allow\" or \"deny\"");
    expect(limitsError("{\"apis\":{\"deny\":[\"DeleteTopics\",\"DeleteTopic\"]}}"))
      .toBe("limits.apis.deny[1]: unknown API \"DeleteTopic\"");
    expect(limitsError("{\"apis\":{\"allow\":[-1]}}")).toBe("limits.apis.allow[0]: -1 is out of range [0, 32767]");
    expect(limitsError("{\"apis\":{\"allow\":[true]}}")).toBe("limits.apis.allow[0]: expected an API name or key, found boolean");
    expect(limitsError("{\"apis\":{\"allow\":\"Produce\"}}")).toBe("limits.apis.allow: expected array, found string");
    expect(limitsError("{\"apis\":{\"allowed\":[]}}")).toBe("limits.apis.allowed: unknown field");
  });

  it("never traps on mutated configurations", () => {
    const base = "{\"allowEveryoneIfNoAclFound\":false,\"superUsers\":[\"User:admin\"],\"acls\":[" +
      acl("User:alice", "WRITE", "ALLOW", "orders.", "PREFIXED") + "],\"limits\":{\"produce\":[{\"topic\":\"orders.\"," +
      "\"patternType\":\"PREFIXED\",\"maxBatchBytes\":1048576,\"requiredAcks\":-1,\"compression\":\"required\"," +
      "\"allowedCodecs\":[\"zstd\",\"lz4\"]}],\"createTopics\":{\"maxPartitions\":12,\"maxReplicationFactor\":3," +
      "\"topicNameGlob\":\"orders.*\"},\"apis\":{\"deny\":[\"DeleteTopics\"]}}}";
    expect(Policy.load(base).ok).toBe(true);
    const alphabet = "{}[],:\"\\ 0123456789-.eEtrufalsn*?xUTOPIC";
    let seed: u32 = 12345;
    let loaded = 0;
    for (let round = 0; round < 3000; round++) {
      let s = base;
      const edits = 1 + (round % 4);
      for (let e = 0; e < edits; e++) {
        seed = seed * 1103515245 + 12345;
        const pos = <i32>((seed >>> 8) % <u32>(s.length + 1));
        seed = seed * 1103515245 + 12345;
        const kind = (seed >>> 8) % 3;
        seed = seed * 1103515245 + 12345;
        const ch = alphabet.charAt(<i32>((seed >>> 8) % <u32>alphabet.length));
        if (kind == 0) s = s.substring(0, pos) + ch + s.substring(pos);                  // insert
        else if (kind == 1) s = s.substring(0, pos) + s.substring(pos + 1);              // delete
        else s = s.substring(0, pos) + ch + s.substring(pos + 1);                        // replace
      }
      const r = Policy.load(s);
      if (r.ok) {
        loaded++;
        const p = r.policy!;
        p.isAllowed("User:alice", HOST, TOPIC, "orders.x", WRITE);
        p.checkProduceBatch("orders.x", 100, -1, 4);
        p.checkCreateTopic("orders.x", 3, 3);
      } else {
        expect(r.error.length).toBeGreaterThan(0);
      }
    }
    expect(loaded).toBeGreaterThan(0);
  });
});

const LIMITS = ",\"limits\":{\"produce\":[" +
  "{\"topic\":\"*\",\"maxBatchBytes\":1000}," +
  "{\"topic\":\"orders.\",\"patternType\":\"PREFIXED\",\"maxBatchBytes\":2000,\"requiredAcks\":-1,\"compression\":\"required\",\"allowedCodecs\":[\"zstd\",\"LZ4\"]}," +
  "{\"topic\":\"orders.eu.\",\"patternType\":\"PREFIXED\",\"maxBatchBytes\":3000}," +
  "{\"topic\":\"orders.eu.audit\",\"compression\":\"forbidden\"}," +
  "{\"topic\":\"logs\",\"requiredAcks\":1}" +
  "]}";

describe("produce limits", () => {
  it("applies the most specific limit: literal, longest prefix, wildcard", () => {
    const p = policyOf([], false, LIMITS);
    // Wildcard: 1000 bytes, nothing else.
    expect(p.checkProduceBatch("other", 1000, 0, 2)).toBeNull();
    let v = p.checkProduceBatch("other", 1001, 0, 0)!;
    expect(v.errorCode).toBe(MESSAGE_TOO_LARGE);
    expect(v.message).toBe("record batch of 1001 bytes exceeds 1000 for topic \"other\" (limits.produce[0])");
    // orders.: 2000 bytes, acks=-1, compressed with zstd or lz4.
    expect(p.checkProduceBatch("orders.us", 2000, -1, 4)).toBeNull();
    expect(p.checkProduceBatch("orders.us", 2001, -1, 4)!.errorCode).toBe(MESSAGE_TOO_LARGE);
    // orders.eu. (longer prefix) replaces orders.: only 3000 bytes.
    expect(p.checkProduceBatch("orders.eu.x", 3000, 0, 0)).toBeNull();
    expectContains(p.checkProduceBatch("orders.eu.x", 3001, 0, 0)!.message, "(limits.produce[2])");
    // The literal limit replaces both prefixes: no size limit, compression forbidden.
    expect(p.checkProduceBatch("orders.eu.audit", 1 << 30, 1, 0)).toBeNull();
    // "orders" matches no prefix: the wildcard applies.
    expectContains(p.checkProduceBatch("orders", 1001, -1, 4)!.message, "(limits.produce[0])");
  });

  it("finds a topic's limit again after another topic's, and after a limit is added", () => {
    const limits = new ProduceLimits();
    const prefixed = new ProduceLimit();
    prefixed.topic = "orders.";
    prefixed.patternType = 4;
    limits.add(prefixed);
    const topic = "orders.eu"; // one string, asked once per partition
    expect(limits.find(topic)).toBe(prefixed);
    expect(limits.find(topic)).toBe(prefixed);
    expect(limits.find("logs")).toBeNull();
    expect(limits.find(topic)).toBe(prefixed);
    const literal = new ProduceLimit();
    literal.index = 1;
    literal.topic = "orders.eu";
    limits.add(literal);
    expect(limits.find(topic)).toBe(literal); // the more specific limit, not the one found before
  });

  it("checks acks", () => {
    const p = policyOf([], false, LIMITS);
    let v = p.checkProduceBatch("orders.us", 10, 1, 4)!;
    expect(v.errorCode).toBe(INVALID_REQUIRED_ACKS);
    expect(v.message).toBe("topic \"orders.us\" requires acks=-1, got acks=1 (limits.produce[1])");
    expect(p.checkProduceBatch("orders.us", 10, 0, 4)!.errorCode).toBe(INVALID_REQUIRED_ACKS);
    expect(p.checkProduceBatch("logs", 10, 1, 0)).toBeNull();
    expect(p.checkProduceBatch("logs", 10, -1, 0)!.errorCode).toBe(INVALID_REQUIRED_ACKS);
    const q = load("{\"limits\":{\"produce\":[{\"topic\":\"z\",\"requiredAcks\":0}]}}");
    expect(q.checkProduceBatch("z", 10, 0, 0)).toBeNull();
    expect(q.checkProduceBatch("z", 10, -1, 0)!.errorCode).toBe(INVALID_REQUIRED_ACKS);
  });

  it("checks compression", () => {
    const p = policyOf([], false, LIMITS);
    let v = p.checkProduceBatch("orders.us", 10, -1, 0)!;
    expect(v.errorCode).toBe(UNSUPPORTED_COMPRESSION_TYPE);
    expect(v.message).toBe("topic \"orders.us\" requires compressed batches (limits.produce[1])");
    v = p.checkProduceBatch("orders.us", 10, -1, 1)!;
    expect(v.errorCode).toBe(UNSUPPORTED_COMPRESSION_TYPE);
    expect(v.message).toBe("topic \"orders.us\" allows lz4, zstd, got gzip (limits.produce[1])");
    expect(p.checkProduceBatch("orders.us", 10, -1, 2)!.errorCode).toBe(UNSUPPORTED_COMPRESSION_TYPE);
    expect(p.checkProduceBatch("orders.us", 10, -1, 3)).toBeNull();
    expect(p.checkProduceBatch("orders.us", 10, -1, 4)).toBeNull();
    expectContains(p.checkProduceBatch("orders.us", 10, -1, 7)!.message, "got codec 7");
    v = p.checkProduceBatch("orders.eu.audit", 10, -1, 4)!;
    expect(v.errorCode).toBe(UNSUPPORTED_COMPRESSION_TYPE);
    expect(v.message).toBe("topic \"orders.eu.audit\" forbids compression, got zstd (limits.produce[3])");
    expect(p.checkProduceBatch("orders.eu.audit", 10, -1, 6)!.errorCode).toBe(UNSUPPORTED_COMPRESSION_TYPE);
    // "any" with no codec list lets unknown codecs through (the broker rejects them).
    expect(p.checkProduceBatch("other", 10, 0, 6)).toBeNull();
  });

  it("is silent when no limit applies", () => {
    const p = load("{\"limits\":{\"produce\":[{\"topic\":\"a\",\"maxBatchBytes\":1}]}}");
    expect(p.checkProduceBatch("b", 1 << 30, 0, 7)).toBeNull();
    expect(p.checkProduceBatch("a", 2, 0, 0)!.errorCode).toBe(MESSAGE_TOO_LARGE);
    expect(p.checkProduceBatch("a", -5, 0, 0)).toBeNull();
  });
});

function createTopicsPolicy(): Policy {
  return load("{\"limits\":{\"createTopics\":{\"minPartitions\":2,\"maxPartitions\":12,\"minReplicationFactor\":2," +
    "\"maxReplicationFactor\":3,\"topicNameGlob\":\"orders.*\"}}}");
}

describe("createTopics limits", () => {
  it("checks the name glob", () => {
    const p = createTopicsPolicy();
    expect(p.checkCreateTopic("orders.eu", 3, 3)).toBeNull();
    expect(p.checkCreateTopic("orders.", 3, 3)).toBeNull();
    const v = p.checkCreateTopic("payments", 3, 3)!;
    expect(v.errorCode).toBe(POLICY_VIOLATION);
    expect(v.message).toBe("topic name \"payments\" does not match \"orders.*\"");
    expect(p.checkCreateTopic("orders", 3, 3)!.errorCode).toBe(POLICY_VIOLATION);
  });

  it("checks partitions and replication factor, letting -1 (broker default) through", () => {
    const p = createTopicsPolicy();
    expect(p.checkCreateTopic("orders.a", 12, 2)).toBeNull();
    let v = p.checkCreateTopic("orders.a", 13, 3)!;
    expect(v.errorCode).toBe(INVALID_PARTITIONS);
    expect(v.message).toBe("topic \"orders.a\": 13 partitions exceed the maximum of 12");
    v = p.checkCreateTopic("orders.a", 1, 3)!;
    expect(v.errorCode).toBe(INVALID_PARTITIONS);
    expect(v.message).toBe("topic \"orders.a\": 1 partitions are below the minimum of 2");
    expect(p.checkCreateTopic("orders.a", 0, 3)!.errorCode).toBe(INVALID_PARTITIONS);
    v = p.checkCreateTopic("orders.a", 3, 4)!;
    expect(v.errorCode).toBe(INVALID_REPLICATION_FACTOR);
    expect(v.message).toBe("topic \"orders.a\": replication factor 4 exceeds the maximum of 3");
    v = p.checkCreateTopic("orders.a", 3, 1)!;
    expect(v.errorCode).toBe(INVALID_REPLICATION_FACTOR);
    expect(v.message).toBe("topic \"orders.a\": replication factor 1 is below the minimum of 2");
    expect(p.checkCreateTopic("orders.a", -1, -1)).toBeNull();
    expect(p.checkCreateTopic("orders.a", -1, 9)!.errorCode).toBe(INVALID_REPLICATION_FACTOR);
  });

  it("checks -1 (the broker's default) as the broker's stated defaults, as Kafka's CreateTopicPolicy sees it", () => {
    const p = load("{\"limits\":{\"createTopics\":{\"maxPartitions\":12,\"maxReplicationFactor\":2," +
      "\"brokerDefaultPartitions\":16,\"brokerDefaultReplicationFactor\":3}}}");
    let v = p.checkCreateTopic("t", 4, -1)!;
    expect(v.errorCode).toBe(INVALID_REPLICATION_FACTOR);
    expect(v.message).toBe("topic \"t\": replication factor 3 exceeds the maximum of 2");
    v = p.checkCreateTopic("t", -1, 2)!;
    expect(v.errorCode).toBe(INVALID_PARTITIONS);
    expect(v.message).toBe("topic \"t\": 16 partitions exceed the maximum of 12");
    expect(p.checkCreateTopic("t", 12, 2)).toBeNull();
    const within = load("{\"limits\":{\"createTopics\":{\"maxPartitions\":12,\"brokerDefaultPartitions\":6}}}");
    expect(within.checkCreateTopic("t", -1, -1)).toBeNull();
    expect(within.checkCreateTopic("t", 13, -1)!.errorCode).toBe(INVALID_PARTITIONS);
  });

  it("refuses a broker default that is not a count", () => {
    expect(loadError("{\"limits\":{\"createTopics\":{\"brokerDefaultReplicationFactor\":0}}}")).toBe("limits.createTopics.brokerDefaultReplicationFactor: 0 is out of range [1, 32767]");
  });

  it("allows anything when only some bounds are set", () => {
    const q = load("{\"limits\":{\"createTopics\":{\"maxReplicationFactor\":3}}}");
    expect(q.checkCreateTopic("anything", 100000, 3)).toBeNull();
    expect(q.checkCreateTopic("anything", 1, 4)!.errorCode).toBe(INVALID_REPLICATION_FACTOR);
  });
});

describe("globMatch", () => {
  it("matches * and ? over the whole name", () => {
    expect(globMatch("orders.*", "orders.eu")).toBe(true);
    expect(globMatch("orders.*", "orders.")).toBe(true);
    expect(globMatch("orders.*", "orders")).toBe(false);
    expect(globMatch("orders.*", "xorders.eu")).toBe(false);
    expect(globMatch("*", "")).toBe(true);
    expect(globMatch("*", "anything.at-all")).toBe(true);
    expect(globMatch("", "")).toBe(true);
    expect(globMatch("", "a")).toBe(false);
    expect(globMatch("a?c", "abc")).toBe(true);
    expect(globMatch("a?c", "ac")).toBe(false);
    expect(globMatch("a?c", "abbc")).toBe(false);
    expect(globMatch("*.audit", "orders.eu.audit")).toBe(true);
    expect(globMatch("*.audit", "orders.eu.audits")).toBe(false);
    expect(globMatch("a*b*c", "a-b-b-c")).toBe(true);
    expect(globMatch("a*b*c", "a-b-b-")).toBe(false);
    expect(globMatch("**x", "x")).toBe(true);
    expect(globMatch("team-??.*", "team-42.events")).toBe(true);
    expect(globMatch("team-??.*", "team-4.events")).toBe(false);
    expect(globMatch("exact", "exact")).toBe(true);
    expect(globMatch("exact", "exactly")).toBe(false);
  });

  it("stays fast on pathological input", () => {
    const name = "a".repeat(30000);
    expect(globMatch("*a*a*a*a*a*a*b", name)).toBe(false);
    expect(globMatch("*a*a*a*a*a*a*", name)).toBe(true);
  });
});

describe("api lists", () => {
  it("allows only listed APIs with an allow list", () => {
    const p = load("{\"limits\":{\"apis\":{\"allow\":[\"Produce\",\"fetch\",\"ApiVersions\",3]}}}");
    expect(p.isApiAllowed("Produce")).toBe(true);
    expect(p.isApiAllowed("Fetch")).toBe(true);
    expect(p.isApiAllowed("Metadata")).toBe(true);
    expect(p.isApiAllowed("DeleteTopics")).toBe(false);
    expect(p.isApiAllowed("NoSuchApi")).toBe(false);
    expect(p.isApiKeyAllowed(0)).toBe(true);
    expect(p.isApiKeyAllowed(18)).toBe(true);
    expect(p.isApiKeyAllowed(20)).toBe(false);
    expect(p.isApiKeyAllowed(-1)).toBe(false);
    expect(p.isApiKeyAllowed(999)).toBe(false);
  });

  it("refuses listed APIs with a deny list", () => {
    const p = load("{\"limits\":{\"apis\":{\"deny\":[\"DeleteTopics\",\"CreateAcls\",1000]}}}");
    expect(p.isApiAllowed("DeleteTopics")).toBe(false);
    expect(p.isApiAllowed("deletetopics")).toBe(false);
    expect(p.isApiAllowed("Produce")).toBe(true);
    expect(p.isApiAllowed("NoSuchApi")).toBe(true);
    expect(p.isApiKeyAllowed(20)).toBe(false);
    expect(p.isApiKeyAllowed(30)).toBe(false);
    expect(p.isApiKeyAllowed(1000)).toBe(false);
    expect(p.isApiKeyAllowed(0)).toBe(true);
  });

  it("knows Kafka's API names", () => {
    expect(apiKeyByName("Produce")).toBe(0);
    expect(apiKeyByName("CreateTopics")).toBe(19);
    expect(apiKeyByName("DeleteTopics")).toBe(20);
    expect(apiKeyByName("ApiVersions")).toBe(18);
    expect(apiKeyByName("SaslAuthenticate")).toBe(36);
    expect(apiKeyByName("nope")).toBe(-1);
    expect(kafkaApiName(19)).toBe("CreateTopics");
    expect(kafkaApiName(-1)).toBe("");
    expect(kafkaApiName(95)).toBe("");
    expect(apiKeyByName("describetopicpartitions")).toBe(75);
  });
});

// ---- PREFIXED patterns by the thousand (acl.ts PrefixIndex) ----

/** WRITE ACLs on topics, as JSON and as fields. */
class WriteAcls {
  json: Array<string> = new Array<string>();
  names: Array<string> = new Array<string>();
  patterns: Array<string> = new Array<string>();
  perms: Array<string> = new Array<string>();
  principals: Array<string> = new Array<string>();
  /** The PREFIXED names in the order of their first ACL, and each one's ACLs (sealed()). */
  prefixes: Array<string> = new Array<string>();
  prefixAcls: Array<Array<i32>> = new Array<Array<i32>>();

  add(principal: string, perm: string, name: string, pattern: string): void {
    this.json.push(acl(principal, "WRITE", perm, name, pattern));
    this.names.push(name);
    this.patterns.push(pattern);
    this.perms.push(perm);
    this.principals.push(principal);
  }

  /** After the last add(): the PREFIXED groups reference() reads. */
  sealed(): WriteAcls {
    for (let i = 0; i < this.names.length; i++) {
      if (this.patterns[i] != "PREFIXED") continue;
      let g = this.prefixes.indexOf(this.names[i]);
      if (g < 0) {
        g = this.prefixes.length;
        this.prefixes.push(this.names[i]);
        this.prefixAcls.push(new Array<i32>());
      }
      this.prefixAcls[g].push(i);
    }
    return this;
  }

  /**
   * What decide() answers, as it did by trying every PREFIXED pattern: LITERAL ACLs of the
   * name, then PREFIXED groups in the order of their first ACL; the first DENY of the
   * principal decides, else its lowest-indexed ALLOW.
   */
  reference(principal: string, name: string): string {
    const order = new Array<i32>();
    for (let i = 0; i < this.names.length; i++) if (this.patterns[i] == "LITERAL" && this.names[i] == name) order.push(i);
    for (let g = 0; g < this.prefixes.length; g++) {
      if (!name.startsWith(this.prefixes[g])) continue;
      const acls = this.prefixAcls[g];
      for (let k = 0; k < acls.length; k++) order.push(acls[k]);
    }
    let allow = -1;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      if (this.principals[i] != principal) continue;
      if (this.perms[i] == "DENY") return "denied by acls[" + i.toString() + "]";
      if (allow < 0 || i < allow) allow = i;
    }
    if (allow >= 0) return "allowed by acls[" + allow.toString() + "]";
    return order.length > 0 ? "denied: no ACL allows it" : "denied: no ACL for the resource";
  }
}

describe("ACLs of thousands of PREFIXED patterns", () => {
  it("decides as trying every pattern would, nested prefixes, DENYs and literals among them", () => {
    const a = new WriteAcls();
    // Two DENYs whose prefixes both match: the group whose first ACL came first decides (the
    // longer one here), as when every group was tried in order.
    a.add("User:mixed", "DENY", "mix.a.b.", "PREFIXED");
    a.add("User:mixed", "DENY", "mix.", "PREFIXED");
    for (let t = 0; t < 1500; t++) {
      const team = "team" + t.toString();
      a.add("User:" + team, "ALLOW", team + ".", "PREFIXED");
      if (t % 7 == 0) a.add("User:" + team, "DENY", team + ".secret.", "PREFIXED");
      if (t % 11 == 0) a.add("User:shared", "ALLOW", team + ".public", "PREFIXED");
      if (t % 13 == 0) a.add("User:" + team, "DENY", team + ".public.x", "LITERAL");
      if (t % 17 == 0) a.add("User:shared", "DENY", team, "PREFIXED"); // a prefix of team170, team1700... too
    }
    a.sealed();
    const p = policyOf(a.json);
    let wrong = 0, checked = 0;
    const who = ["User:team0", "User:team7", "User:team13", "User:team17", "User:shared", "User:team1499", "User:nobody"];
    for (let t = 0; t < 1500; t += 17) {
      const team = "team" + t.toString();
      const topics = [team + ".orders", team + ".secret.keys", team + ".public.x", team + ".publicity", team + "x", "other." + team, team];
      for (let w = 0; w < who.length; w++) {
        for (let k = 0; k < topics.length; k++) {
          const want = a.reference(who[w], topics[k]);
          const got = p.authorize(who[w], HOST, ResourceType.Topic, topics[k], AclOperation.Write).describe();
          if (got != want) {
            if (wrong < 5) trace(who[w] + " " + topics[k] + ": " + got + ", not " + want);
            wrong++;
          }
          checked++;
        }
      }
    }
    expect(checked).toBe(89 * 7 * 7);
    expect(wrong).toBe(0);
    expect(p.authorize("User:mixed", HOST, ResourceType.Topic, "mix.a.b.c", AclOperation.Write).describe()).toBe(a.reference("User:mixed", "mix.a.b.c"));
    expect(a.reference("User:mixed", "mix.a.b.c")).toBe("denied by acls[0]");
  });
});
