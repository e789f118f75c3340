// The plugin's policy: Kafka ACLs plus produce/CreateTopics/API limits, loaded from the
// plugin configuration (JSON) and queried by the filter per request. Pure logic, no host
// calls. Loading validates everything and reports the first problem with its JSON path;
// the per-request checks allocate nothing unless they return a violation.
//
// Configuration (every key optional; unknown keys are errors):
//
// {
//   "allowEveryoneIfNoAclFound": false,          // Kafka's allow.everyone.if.no.acl.found
//   "superUsers": ["User:admin"],                // Kafka's super.users (exact principals)
//   "acls": [{
//     "principal": "User:alice",                 // required, "Type:name"; "User:*" = anyone
//     "host": "*",                               // default "*"; else the client IP string
//     "resourceType": "TOPIC",                   // required: TOPIC GROUP CLUSTER TRANSACTIONAL_ID
//                                                //   DELEGATION_TOKEN USER
//     "resourceName": "orders.",                 // required, non-empty; "*" LITERAL = every name
//     "resourcePatternType": "PREFIXED",         // default LITERAL; or PREFIXED
//     "operation": "WRITE",                      // required: ALL READ WRITE CREATE DELETE ALTER
//                                                //   DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS
//                                                //   ALTER_CONFIGS IDEMPOTENT_WRITE CREATE_TOKENS
//                                                //   DESCRIBE_TOKENS TWO_PHASE_COMMIT
//     "permissionType": "ALLOW"                  // required: ALLOW or DENY
//   }],
//   "limits": {
//     "produce": [{
//       "topic": "orders.",                      // required, non-empty
//       "patternType": "PREFIXED",               // default LITERAL ("*" LITERAL = every topic)
//       "maxBatchBytes": 1048576,                // largest record batch, bytes
//       "requiredAcks": -1,                      // the only acks accepted: -1, 0 or 1
//       "compression": "required",               // "any" (default), "required", "forbidden"
//       "allowedCodecs": ["zstd", "lz4"]         // codecs allowed when compressed
//     }],
//     "createTopics": {
//       "minPartitions": 1, "maxPartitions": 12,  // max: also what CreatePartitions may grow a topic to
//       "minReplicationFactor": 2, "maxReplicationFactor": 3,  // max: also what a reassignment may give
//       "brokerDefaultPartitions": 6,            // the broker's num.partitions and
//       "brokerDefaultReplicationFactor": 3,     // default.replication.factor: what -1 means
//       "topicNameGlob": "orders.*"              // '*' any run, '?' one character
//     },
//     "apis": {"deny": ["DeleteTopics", 20]}     // or {"allow": [...]}: names or API keys
//   }
// }
//
// Enum names are Kafka's and case-insensitive; API names are Kafka's request names
// without "Request" (see apis.ts), also case-insensitive.

import { parseJson, JsonFields, JsonValue } from "../json/value";
import { parseCidr } from "./cidr";
import {
  Acl, AclAuthorizer, AuthzResult, ResourceType, AclOperation, PatternType, AclPermission,
  parseResourceType, parseOperation, parsePatternType, parsePermission, isValidPrincipal,
  decisionAllowed, resourceTypeName, operationName, WILDCARD_PRINCIPAL,
} from "./acl";
import {
  ProduceLimit, ProduceLimits, CreateTopicLimits, ApiFilter, CompressionRule, ACKS_ANY,
  parseCodec, codecName, globMatch,
} from "./limits";
import { apiKeyByName, apiName } from "../messages/apis";

// Kafka error codes (org.apache.kafka.common.protocol.Errors, checked against 4.4.0).
import {
  MESSAGE_TOO_LARGE, INVALID_TOPIC_EXCEPTION, INVALID_REQUIRED_ACKS, TOPIC_AUTHORIZATION_FAILED,
  GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED, INVALID_PARTITIONS,
  INVALID_REPLICATION_FACTOR, POLICY_VIOLATION, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  DELEGATION_TOKEN_AUTHORIZATION_FAILED, UNSUPPORTED_COMPRESSION_TYPE,
} from "../protocol/errors";
export {
  MESSAGE_TOO_LARGE, INVALID_TOPIC_EXCEPTION, INVALID_REQUIRED_ACKS, TOPIC_AUTHORIZATION_FAILED,
  GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED, INVALID_PARTITIONS,
  INVALID_REPLICATION_FACTOR, POLICY_VIOLATION, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  DELEGATION_TOKEN_AUTHORIZATION_FAILED, UNSUPPORTED_COMPRESSION_TYPE,
};

/** The Kafka error a denied ACL check on this resource type answers with. */
export function authorizationErrorCode(resourceType: i32): i16 {
  switch (resourceType) {
    case ResourceType.Topic: return TOPIC_AUTHORIZATION_FAILED;
    case ResourceType.Group: return GROUP_AUTHORIZATION_FAILED;
    case ResourceType.TransactionalId: return TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    case ResourceType.DelegationToken:
    case ResourceType.User: return DELEGATION_TOKEN_AUTHORIZATION_FAILED;
    default: return CLUSTER_AUTHORIZATION_FAILED;
  }
}

/** Why a request (or one of its topics) is refused: the Kafka error code to answer with. */
export class PolicyViolation {
  constructor(public errorCode: i16, public message: string) {}
  toString(): string { return "error " + this.errorCode.toString() + ": " + this.message; }
}

export class PolicyLoadResult {
  constructor(public policy: Policy | null, public error: string) {}
  get ok(): bool { return this.policy != null; }
}

export class Policy {
  readonly authorizer: AclAuthorizer;
  readonly produceLimits: ProduceLimits;
  /** null when "limits.createTopics" is absent. */
  readonly createTopicLimits: CreateTopicLimits | null;
  /** null when "limits.apis" is absent: every API passes. */
  readonly apiFilter: ApiFilter | null;

  constructor(authorizer: AclAuthorizer, produceLimits: ProduceLimits,
              createTopicLimits: CreateTopicLimits | null, apiFilter: ApiFilter | null) {
    this.authorizer = authorizer;
    this.produceLimits = produceLimits;
    this.createTopicLimits = createTopicLimits;
    this.apiFilter = apiFilter;
  }

  /** Parses and validates a configuration; never traps. */
  static load(json: string): PolicyLoadResult {
    const parsed = parseJson(json);
    if (!parsed.ok) return new PolicyLoadResult(null, "invalid JSON: " + parsed.describe());
    return Policy.fromJson(parsed.value, "");
  }

  /**
   * Validates an already parsed configuration, e.g. the "policy" member of the plugin
   * configuration; error paths start with `path` ("policy.acls[2].operation: ...").
   */
  static fromJson(value: JsonValue | null, path: string = ""): PolicyLoadResult {
    return Policy.fromFields(new JsonFields(value, path));
  }

  /**
   * Reads the policy's members of an object whose other members the caller has read already
   * (the plugin configuration's "filter" section): those count as known, any other is refused.
   */
  static fromFields(root: JsonFields): PolicyLoadResult {
    const policy = readPolicy(root);
    if (root.failed || policy == null) {
      return new PolicyLoadResult(null, root.failed ? root.error : "invalid policy");
    }
    return new PolicyLoadResult(policy, "");
  }

  /** An empty policy: no ACLs, no limits; allowEveryoneIfNoAclFound decides every ACL check. */
  static empty(allowEveryoneIfNoAclFound: bool): Policy {
    return new Policy(new AclAuthorizer(new Array<Acl>(), new Set<string>(), allowEveryoneIfNoAclFound),
      new ProduceLimits(), null, null);
  }

  /** The ACL decision with its reason. Allocates the result only. */
  authorize(principal: string, host: string, resourceType: i32, resourceName: string, operation: i32): AuthzResult {
    return this.authorizer.authorize(principal, host, resourceType, resourceName, operation);
  }

  /** The ACL decision only. Allocates nothing. */
  isAllowed(principal: string, host: string, resourceType: i32, resourceName: string, operation: i32): bool {
    return decisionAllowed(this.authorizer.decide(principal, host, resourceType, resourceName, operation));
  }

  /** null when allowed; else the resource type's *_AUTHORIZATION_FAILED with a message. */
  checkAcl(principal: string, host: string, resourceType: i32, resourceName: string, operation: i32): PolicyViolation | null {
    const d = this.authorizer.decide(principal, host, resourceType, resourceName, operation);
    if (decisionAllowed(d)) return null;
    const r = this.authorizer.authorize(principal, host, resourceType, resourceName, operation);
    return new PolicyViolation(authorizationErrorCode(resourceType),
      principal + " may not " + operationName(operation) + " " + resourceTypeName(resourceType) +
      " \"" + resourceName + "\" (" + r.describe() + ")");
  }

  /**
   * The produce limit that applies to `topic`, checked against one record batch:
   * acks (INVALID_REQUIRED_ACKS), size (MESSAGE_TOO_LARGE), then compression
   * (UNSUPPORTED_COMPRESSION_TYPE). `codec` is the batch's attributes & 7.
   * null when the batch passes (or no limit applies). ACLs are not checked here.
   */
  checkProduceBatch(topic: string, batchBytes: i32, acks: i16, codec: i32): PolicyViolation | null {
    const l = this.produceLimits.find(topic);
    if (l == null) return null;
    if (l.requiredAcks != ACKS_ANY && <i32>acks != l.requiredAcks) {
      return new PolicyViolation(INVALID_REQUIRED_ACKS, "topic \"" + topic + "\" requires acks=" +
        l.requiredAcks.toString() + ", got acks=" + acks.toString() + " (limits.produce[" + l.index.toString() + "])");
    }
    if (l.maxBatchBytes >= 0 && batchBytes > l.maxBatchBytes) {
      return new PolicyViolation(MESSAGE_TOO_LARGE, "record batch of " + batchBytes.toString() +
        " bytes exceeds " + l.maxBatchBytes.toString() + " for topic \"" + topic + "\" (limits.produce[" + l.index.toString() + "])");
    }
    if (codec == 0) {
      if (l.compression == CompressionRule.Required) {
        return new PolicyViolation(UNSUPPORTED_COMPRESSION_TYPE, "topic \"" + topic +
          "\" requires compressed batches (limits.produce[" + l.index.toString() + "])");
      }
      return null;
    }
    if (l.compression == CompressionRule.Forbidden) {
      return new PolicyViolation(UNSUPPORTED_COMPRESSION_TYPE, "topic \"" + topic + "\" forbids compression, got " +
        codecName(codec) + " (limits.produce[" + l.index.toString() + "])");
    }
    if (l.allowedCodecMask != 0 && (<u32>codec >= 32 || (l.allowedCodecMask & (1 << codec)) == 0)) {
      return new PolicyViolation(UNSUPPORTED_COMPRESSION_TYPE, "topic \"" + topic + "\" allows " +
        l.allowedCodecList() + ", got " + codecName(codec) + " (limits.produce[" + l.index.toString() + "])");
    }
    return null;
  }

  /**
   * "limits.createTopics" checked against one topic of a CreateTopics request. -1 for
   * partitions or replicationFactor means the broker's default: checked as the stated
   * brokerDefault*, else not checked. Name (POLICY_VIOLATION), partitions
   * (INVALID_PARTITIONS), replication factor (INVALID_REPLICATION_FACTOR). null when it passes.
   */
  checkCreateTopic(name: string, requestedPartitions: i32, replicationFactor: i16): PolicyViolation | null {
    const c = this.createTopicLimits;
    if (c == null) return null;
    const partitions = requestedPartitions == -1 ? c.brokerDefaultPartitions : requestedPartitions;
    if (c.topicNameGlob.length > 0 && !globMatch(c.topicNameGlob, name)) {
      return new PolicyViolation(POLICY_VIOLATION, "topic name \"" + name + "\" does not match \"" + c.topicNameGlob + "\"");
    }
    if (partitions != -1) {
      const over = this.checkPartitionCount(name, partitions);
      if (over != null) return over;
      if (c.minPartitions >= 0 && partitions < c.minPartitions) {
        return new PolicyViolation(INVALID_PARTITIONS, "topic \"" + name + "\": " + partitions.toString() +
          " partitions are below the minimum of " + c.minPartitions.toString());
      }
    }
    const rf = replicationFactor == -1 ? c.brokerDefaultReplicationFactor : <i32>replicationFactor;
    if (rf != -1) {
      const over = this.checkReplicaCount(name, rf);
      if (over != null) return over;
      if (c.minReplicationFactor >= 0 && rf < c.minReplicationFactor) {
        return new PolicyViolation(INVALID_REPLICATION_FACTOR, "topic \"" + name + "\": replication factor " +
          rf.toString() + " is below the minimum of " + c.minReplicationFactor.toString());
      }
    }
    return null;
  }

  /**
   * "limits.createTopics.maxPartitions" against the partitions a topic would have: at its
   * creation, or after a CreatePartitions (the limit bounds the topic, however it got them;
   * the minimum and the name are a creation's only). null when within.
   */
  checkPartitionCount(name: string, partitions: i32): PolicyViolation | null {
    const c = this.createTopicLimits;
    if (c == null || c.maxPartitions < 0 || partitions <= c.maxPartitions) return null;
    return new PolicyViolation(INVALID_PARTITIONS, "topic \"" + name + "\": " + partitions.toString() +
      " partitions exceed the maximum of " + c.maxPartitions.toString());
  }

  /**
   * "limits.createTopics.maxReplicationFactor" against the replicas a partition would have: at
   * its topic's creation, or after a reassignment (AlterPartitionReassignments). null when within.
   */
  checkReplicaCount(name: string, replicas: i32): PolicyViolation | null {
    const c = this.createTopicLimits;
    if (c == null || c.maxReplicationFactor < 0 || replicas <= c.maxReplicationFactor) return null;
    return new PolicyViolation(INVALID_REPLICATION_FACTOR, "topic \"" + name + "\": replication factor " +
      replicas.toString() + " exceeds the maximum of " + c.maxReplicationFactor.toString());
  }

  /** May the principal do `operation` on every resource of this type? (see AclAuthorizer) */
  isAllowedOnEveryResource(principal: string, host: string, resourceType: i32, operation: i32): bool {
    return this.authorizer.mayOnEveryResource(principal, host, resourceType, operation);
  }

  /** May the principal do `operation` on some resource of this type? (see AclAuthorizer) */
  isAllowedByResourceType(principal: string, host: string, resourceType: i32, operation: i32): bool {
    return this.authorizer.authorizeByResourceType(principal, host, resourceType, operation);
  }

  /** May requests of this API key pass "limits.apis"? */
  isApiKeyAllowed(apiKey: i16): bool {
    const f = this.apiFilter;
    return f == null || f.allows(<i32>apiKey);
  }

  /** May requests of this API (Kafka's name, e.g. "DeleteTopics") pass "limits.apis"? */
  isApiAllowed(name: string): bool {
    const f = this.apiFilter;
    if (f == null) return true;
    const key = apiKeyByName(name);
    if (key < 0) return !f.allowList; // unknown names are never listed
    return f.allows(key);
  }
}

// ---------------------------------------------------------------------------------------
// Loading. Every reader records its problems in the shared JsonErrors and carries on with
// zero values; Policy.load checks once at the end. Checks that would only repeat a problem
// ask whether that value failed (`tf.failed`), not the whole document, and loops read every
// element, so a JsonErrors that collects all problems gets each one (`kafka-wasm policy check`).

function readPolicy(root: JsonFields): Policy | null {
  if (!root.requireObject()) return null;
  const allowEveryone = root.field("allowEveryoneIfNoAclFound").asBoolOr(false);

  const superUsers = new Set<string>();
  const su = root.field("superUsers");
  for (let i = 0, n = su.length; i < n; i++) {
    const f = su.at(i);
    const p = f.asString();
    if (f.failed) continue;
    if (!isValidPrincipal(p)) f.fail("expected a principal \"Type:name\" (e.g. \"User:admin\"), got \"" + p + "\"");
    else if (p == WILDCARD_PRINCIPAL) f.fail("\"User:*\" cannot be a super user (super users are exact principals)");
    // Kafka's super.users splits on ";": no super user there has one in its name.
    else if (p.indexOf(";") >= 0) f.fail("one principal per entry (Kafka's super.users separates them with \";\"), got \"" + p + "\"");
    superUsers.add(p);
  }

  const acls = new Array<Acl>();
  const af = root.field("acls");
  for (let i = 0, n = af.length; i < n; i++) {
    const acl = readAcl(af.at(i), i);
    if (acl != null) acls.push(acl);
  }

  const produce = new ProduceLimits();
  let createTopics: CreateTopicLimits | null = null;
  let apis: ApiFilter | null = null;
  const limits = root.field("limits");
  if (limits.present && limits.requireObject()) {
    const pf = limits.field("produce");
    for (let i = 0, n = pf.length; i < n; i++) {
      const f = pf.at(i);
      const l = readProduceLimit(f, i);
      if (l == null) continue;
      const dup = produce.add(l);
      if (dup >= 0) f.field("topic").fail("same topic and patternType as limits.produce[" + dup.toString() + "]");
    }
    const cf = limits.field("createTopics");
    if (cf.present) createTopics = readCreateTopicLimits(cf);
    const apf = limits.field("apis");
    if (apf.present) apis = readApiFilter(apf);
    limits.finish();
  }
  root.finish();
  if (root.failed) return null;
  return new Policy(new AclAuthorizer(acls, superUsers, allowEveryone), produce, createTopics, apis);
}

/** A required enum: Kafka's name, case-insensitive; "ANY"/"UNKNOWN"/"MATCH" are filter-only. */
function readEnum(f: JsonFields, what: string, code: i32, name: string): i32 {
  if (f.failed) return -1;
  if (code < 0) {
    f.fail("unknown " + what + " \"" + name + "\"");
    return -1;
  }
  if (code <= 1 || (what == "pattern type" && code == PatternType.Match)) {
    f.fail("\"" + name + "\" is not valid in an ACL (filters only)");
    return -1;
  }
  return code;
}

function readAcl(f: JsonFields, index: i32): Acl | null {
  if (!f.requireObject()) return null;
  const pf = f.field("principal");
  const principal = pf.asString();
  if (!pf.failed && !isValidPrincipal(principal)) {
    pf.fail("expected a principal \"Type:name\" (e.g. \"User:alice\" or \"User:*\"), got \"" + principal + "\"");
  }
  const hf = f.field("host");
  const host = hf.asStringOr("*");
  if (!hf.failed && host.length == 0) hf.fail("must not be empty (use \"*\" for any host)");
  // As Kafka 4.4's controller refuses it (CidrUtils.validate).
  if (!hf.failed && host.indexOf("/") >= 0 && parseCidr(host) == null) {
    hf.fail("\"" + host + "\" is not a CIDR range Kafka reads (\"10.0.0.0/8\", \"2001:db8::/32\")");
  }

  const rtf = f.field("resourceType");
  const rtName = rtf.asString();
  const rt = readEnum(rtf, "resource type", parseResourceType(rtName), rtName);

  const rnf = f.field("resourceName");
  const resourceName = rnf.asString();
  if (!rnf.failed && resourceName.length == 0) rnf.fail("must not be empty");

  const ptf = f.field("resourcePatternType");
  const ptName = ptf.asStringOr("LITERAL");
  const pt = readEnum(ptf, "pattern type", parsePatternType(ptName), ptName);

  const opf = f.field("operation");
  const opName = opf.asString();
  const op = readEnum(opf, "operation", parseOperation(opName), opName);

  const permf = f.field("permissionType");
  const permName = permf.asString();
  const perm = readEnum(permf, "permission type", parsePermission(permName), permName);

  f.finish();
  if (f.failed) return null;
  return new Acl(index, principal, host, <ResourceType>rt, resourceName, <PatternType>pt,
    <AclOperation>op, <AclPermission>perm);
}

function readProduceLimit(f: JsonFields, index: i32): ProduceLimit | null {
  if (!f.requireObject()) return null;
  const l = new ProduceLimit();
  l.index = index;
  const tf = f.field("topic");
  l.topic = tf.asString();
  if (!tf.failed && l.topic.length == 0) tf.fail("must not be empty");

  const ptf = f.field("patternType");
  const ptName = ptf.asStringOr("LITERAL");
  const pt = parsePatternType(ptName);
  if (!ptf.failed && pt != PatternType.Literal && pt != PatternType.Prefixed) {
    ptf.fail("unknown pattern type \"" + ptName + "\" (expected LITERAL or PREFIXED)");
  }
  l.patternType = pt;

  l.maxBatchBytes = <i32>f.field("maxBatchBytes").asIntOr(-1, 1, i32.MAX_VALUE);

  const af = f.field("requiredAcks");
  if (af.present) {
    const acks = <i32>af.asInt(-1, 1);
    l.requiredAcks = acks;
  }

  const cf = f.field("compression");
  const comp = cf.asStringOr("any");
  if (comp == "any") l.compression = CompressionRule.Any;
  else if (comp == "required") l.compression = CompressionRule.Required;
  else if (comp == "forbidden") l.compression = CompressionRule.Forbidden;
  else if (!cf.failed) cf.fail("unknown compression rule \"" + comp + "\" (expected \"any\", \"required\" or \"forbidden\")");

  const lf = f.field("allowedCodecs");
  if (lf.present) {
    const n = lf.length;
    if (!lf.failed && n == 0) lf.fail("must not be empty (omit it to allow any codec)");
    for (let i = 0; i < n; i++) {
      const ef = lf.at(i);
      const name = ef.asString();
      if (ef.failed) continue;
      const codec = parseCodec(name);
      if (codec < 0) ef.fail("unknown codec \"" + name + "\" (expected gzip, snappy, lz4 or zstd)");
      else if (codec == 0) ef.fail("\"none\" is not a codec here; use \"compression\" to allow or forbid uncompressed batches");
      else l.allowedCodecMask |= 1 << <u32>codec;
    }
    if (!cf.failed && l.compression == CompressionRule.Forbidden) {
      lf.fail("conflicts with \"compression\": \"forbidden\"");
    }
  }
  f.finish();
  return f.failed ? null : l;
}

function readCreateTopicLimits(f: JsonFields): CreateTopicLimits | null {
  if (!f.requireObject()) return null;
  const c = new CreateTopicLimits();
  const minPf = f.field("minPartitions");
  c.minPartitions = <i32>minPf.asIntOr(-1, 1, i32.MAX_VALUE);
  const maxPf = f.field("maxPartitions");
  c.maxPartitions = <i32>maxPf.asIntOr(-1, 1, i32.MAX_VALUE);
  if (!minPf.failed && !maxPf.failed && c.minPartitions >= 0 && c.maxPartitions >= 0 && c.minPartitions > c.maxPartitions) {
    maxPf.fail("is below minPartitions (" + c.minPartitions.toString() + ")");
  }
  const minRf = f.field("minReplicationFactor");
  c.minReplicationFactor = <i32>minRf.asIntOr(-1, 1, i16.MAX_VALUE);
  const maxRf = f.field("maxReplicationFactor");
  c.maxReplicationFactor = <i32>maxRf.asIntOr(-1, 1, i16.MAX_VALUE);
  if (!minRf.failed && !maxRf.failed && c.minReplicationFactor >= 0 && c.maxReplicationFactor >= 0 && c.minReplicationFactor > c.maxReplicationFactor) {
    maxRf.fail("is below minReplicationFactor (" + c.minReplicationFactor.toString() + ")");
  }
  c.brokerDefaultPartitions = <i32>f.field("brokerDefaultPartitions").asIntOr(-1, 1, i32.MAX_VALUE);
  c.brokerDefaultReplicationFactor = <i32>f.field("brokerDefaultReplicationFactor").asIntOr(-1, 1, i16.MAX_VALUE);
  const gf = f.field("topicNameGlob");
  c.topicNameGlob = gf.asStringOr("");
  if (!gf.failed && gf.present && c.topicNameGlob.length == 0) gf.fail("must not be empty (omit it to allow any name)");
  f.finish();
  return f.failed ? null : c;
}

function readApiFilter(f: JsonFields): ApiFilter | null {
  if (!f.requireObject()) return null;
  const allow = f.field("allow");
  const deny = f.field("deny");
  f.finish();
  if (f.failed) return null;
  if (allow.present == deny.present) {
    f.fail("needs exactly one of \"allow\" or \"deny\"");
    return null;
  }
  const list = allow.present ? allow : deny;
  const filter = new ApiFilter(allow.present);
  const n = list.length;
  for (let i = 0; i < n; i++) {
    const ef = list.at(i);
    const v = ef.value;
    if (v != null && v.isNumber) {
      filter.add(<i32>ef.asInt(0, i16.MAX_VALUE));
      continue;
    }
    if (v != null && !v.isString) {
      ef.fail("expected an API name or key, found " + v.kindName);
      continue;
    }
    const name = ef.asString();
    const key = apiKeyByName(name);
    if (key < 0) ef.fail("unknown API \"" + name + "\"");
    else filter.add(key);
  }
  return f.failed ? null : filter;
}

/** Kafka's name for an API key, "" if unknown (for the filter's messages). */
export function kafkaApiName(apiKey: i16): string {
  const name = apiName(apiKey);
  return name != null ? name : "";
}
