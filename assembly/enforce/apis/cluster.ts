// Cluster-wide APIs, as Kafka 4.4 authorizes them (KafkaApis, AclApis, ControllerApis): one
// operation on the CLUSTER resource "kafka-cluster", ACL administration (ALTER/DESCRIBE on the
// cluster), delegation tokens (CREATE_TOKENS/DESCRIBE_TOKENS on USER, DESCRIBE on
// DELEGATION_TOKEN) and DescribeCluster, which Kafka does not authorize at all. ACL
// administration is answered by the filter: the ACLs in force are the policy's.

import { Message } from "../../protocol/message";
import { errorMessage, INVALID_REQUEST, SECURITY_DISABLED } from "../../protocol/errors";
import { DescribeAclsRequestData } from "../../messages/DescribeAclsRequest";
import { DescribeAclsResponseData, DescribeAclsResource, AclDescription } from "../../messages/DescribeAclsResponse";
import { CreateAclsRequestData } from "../../messages/CreateAclsRequest";
import { CreateAclsResponseData, AclCreationResult } from "../../messages/CreateAclsResponse";
import { DeleteAclsRequestData } from "../../messages/DeleteAclsRequest";
import { DeleteAclsResponseData, DeleteAclsFilterResult } from "../../messages/DeleteAclsResponse";
import { DescribeLogDirsResponseData } from "../../messages/DescribeLogDirsResponse";
import { AlterPartitionReassignmentsRequestData } from "../../messages/AlterPartitionReassignmentsRequest";
import { EntityWalk } from "../../protocol/walk";
import { CreateDelegationTokenRequestData } from "../../messages/CreateDelegationTokenRequest";
import { CreateDelegationTokenResponseData } from "../../messages/CreateDelegationTokenResponse";
import { DescribeDelegationTokenResponseData, DescribedDelegationToken } from "../../messages/DescribeDelegationTokenResponse";
import { ResourceType, AclOperation, AclFilter, CLUSTER_RESOURCE_NAME } from "../../policy/acl";
import { Verdict, VerdictKind } from "../../filter/seam";
import { DescribeClusterRequestData } from "../../messages/DescribeClusterRequest";
import { DescribeClusterResponseData } from "../../messages/DescribeClusterResponse";
import { clusterAuthorizedOperations } from "./topics";
import { RequestContext } from "../context";
import { metadataLookup } from "../topic-ids";
import { MetadataRequestTopic } from "../../messages/MetadataRequest";
import { Rule, checkWhole } from "./rules";
import { ResponseRewrite } from "../rewrite";

/**
 * `operation` on the cluster. A refusal is the request's whole refusal, as Kafka's
 * getErrorResponse builds it: the top-level error and one per entry the request names;
 * broker-to-broker APIs whose response has neither are closed.
 */
export function checkClusterOperation(ctx: RequestContext, operation: i32): Verdict {
  const refused = clusterRefusal(ctx, operation);
  return refused != null ? refused : ctx.pass();
}

/** The request's whole refusal when `operation` on the cluster is not allowed; null when it is. */
function clusterRefusal(ctx: RequestContext, operation: i32): Verdict | null {
  const code = ctx.check(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, operation);
  return code == 0 ? null : ctx.refuseWhole(code, errorMessage(code));
}

/**
 * AlterPartitionReassignments: ALTER on the cluster; then limits.createTopics.maxReplicationFactor
 * on each partition's new replicas, which bounds the topic as it bounds its creation. A
 * reassignment past it is refused whole (INVALID_REPLICATION_FACTOR), as Kafka answers a
 * request it will not start: none of its partitions moves.
 */
export function checkAlterPartitionReassignments(ctx: RequestContext, rule: Rule): Verdict {
  const refused = clusterRefusal(ctx, rule.clusterOperation);
  if (refused != null) return refused;
  const topics = changetype<AlterPartitionReassignmentsRequestData>(ctx.body).topics;
  for (let t = 0; t < topics.length; t++) {
    const topic = unchecked(topics[t]);
    for (let p = 0; p < topic.partitions.length; p++) {
      const replicas = unchecked(topic.partitions[p]).replicas;
      if (replicas == null) continue; // cancels a reassignment
      const violation = ctx.policy.checkReplicaCount(topic.name, replicas.length);
      if (violation == null) continue;
      ctx.deny("TOPIC:" + topic.name, violation.message, violation.errorCode);
      return ctx.refuseWhole(violation.errorCode, violation.message);
    }
  }
  return ctx.pass();
}

/** Replica counts cannot be seen in the view: with a maximum set, every request is decoded. */
export function reassignmentsViewAllows(ctx: RequestContext, walk: EntityWalk, frame: Uint8Array): bool {
  const limits = ctx.policy.createTopicLimits;
  return limits == null || limits.maxReplicationFactor < 0;
}

/**
 * DescribeLogDirs: DESCRIBE on the cluster. Before v3 its response has no error field, and
 * Kafka answers a refused describe with no log dirs.
 */
export function checkDescribeLogDirs(ctx: RequestContext, rule: Rule): Verdict {
  if (ctx.version >= 3) return checkClusterOperation(ctx, rule.clusterOperation);
  const code = ctx.check(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, rule.clusterOperation);
  return code == 0 ? ctx.pass() : ctx.respond(new DescribeLogDirsResponseData());
}

/**
 * DescribeCluster: Kafka authorizes nothing, but reports the principal's authorized operations
 * on the cluster when asked, which a broker without an authorizer reports as all of them.
 */
export function checkDescribeCluster(ctx: RequestContext, rule: Rule): Verdict {
  const verdict = checkWhole(ctx, rule);
  if (verdict.kind == VerdictKind.Pass && changetype<DescribeClusterRequestData>(ctx.body).includeClusterAuthorizedOperations) {
    ctx.after = new ClusterOperationsShown(ctx);
  }
  return verdict;
}

class ClusterOperationsShown extends ResponseRewrite {
  constructor(readonly ctx: RequestContext) { super(); }

  apply(body: Message, version: i16): bool {
    const r = changetype<DescribeClusterResponseData>(body);
    const ops = r.errorCode == 0 ? clusterAuthorizedOperations(this.ctx) : r.clusterAuthorizedOperations;
    if (ops == r.clusterAuthorizedOperations) return false;
    r.clusterAuthorizedOperations = ops;
    return true;
  }
}

/**
 * WriteTxnMarkers: Kafka lets ALTER on the cluster through first (kafka-transactions.sh abort,
 * KIP-664), asked without logging a refusal, then requires CLUSTER_ACTION (the transaction
 * coordinator's own markers).
 */
export function checkWriteTxnMarkers(ctx: RequestContext, rule: Rule): Verdict {
  if (ctx.allowed(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, AclOperation.Alter)) return ctx.pass();
  return checkWhole(ctx, rule);
}

/**
 * DescribeAcls: DESCRIBE on the cluster, then answered from the policy's ACLs, which are what
 * this proxy enforces: the broker behind it has no authorizer of its own to list (it would
 * answer SECURITY_DISABLED), and one that had would list rules that are not these. When a
 * policy service decides ("external"), there is no list: SECURITY_DISABLED, saying why.
 */
export function checkDescribeAcls(ctx: RequestContext, rule: Rule): Verdict {
  const refused = clusterRefusal(ctx, rule.clusterOperation);
  if (refused != null) return refused;
  const req = changetype<DescribeAclsRequestData>(ctx.body);
  const resp = new DescribeAclsResponseData();
  resp.errorMessage = null;
  if (ctx.external != null) {
    resp.errorCode = SECURITY_DISABLED;
    resp.errorMessage = "this proxy asks a policy service about each request; it has no ACLs to list";
    return ctx.respond(resp);
  }
  const filter = new AclFilter(req.resourceTypeFilter, req.resourceNameFilter, req.patternTypeFilter,
    req.principalFilter, req.hostFilter, req.operation, req.permissionType);
  const unknown = filter.unknownPart();
  if (unknown != null) {
    resp.errorCode = INVALID_REQUEST;
    resp.errorMessage = "the filter's " + unknown + " is UNKNOWN";
    return ctx.respond(resp);
  }
  // One entry per resource pattern, in the policy's order, as Kafka groups AclBindings.
  const byPattern = new Map<string, DescribeAclsResource>();
  const acls = ctx.policy.authorizer.acls;
  for (let i = 0; i < acls.length; i++) {
    const acl = unchecked(acls[i]);
    if (!filter.matches(acl)) continue;
    const key = (<i32>acl.resourceType).toString() + ":" + (<i32>acl.patternType).toString() + ":" + acl.resourceName;
    let res: DescribeAclsResource;
    if (byPattern.has(key)) {
      res = byPattern.get(key);
    } else {
      res = new DescribeAclsResource();
      res.resourceType = <i8>acl.resourceType;
      res.resourceName = acl.resourceName;
      res.patternType = <i8>acl.patternType;
      byPattern.set(key, res);
      resp.resources.push(res);
    }
    const d = new AclDescription();
    d.principal = acl.principal;
    d.host = acl.host;
    d.operation = <i8>acl.operation;
    d.permissionType = <i8>acl.permission;
    res.acls.push(d);
  }
  // The one answer the filter writes from its own data. Kafka serves it only to a signed-in
  // client on a SASL listener (before that, anything but ApiVersions and SaslHandshake closes
  // the connection), and the filter does not know the listener's protocol: so the broker is
  // asked something it answers only then, an empty Metadata, and the list follows its answer.
  // Before a sign-in on a SASL listener the broker closes the connection instead, as Kafka does.
  const h = ctx.header;
  return ctx.respond(resp).withAside(metadataLookup(new Array<MetadataRequestTopic>(), h.correlationId, h.clientId));
}

/** Why ACLs cannot be created or deleted through this proxy (with SECURITY_DISABLED on each). */
const ACLS_ARE_THE_POLICY = "the ACLs this proxy enforces are its policy's; change them in the policy, not through Kafka's API";

/**
 * CreateAcls and DeleteAcls: ALTER on the cluster, then every creation or filter answered
 * SECURITY_DISABLED: the ACLs in force are the policy's (DescribeAcls lists them), and the
 * broker's own authorizer, if it had one, is not what this proxy enforces.
 */
export function checkAclChange(ctx: RequestContext, rule: Rule): Verdict {
  const refused = clusterRefusal(ctx, rule.clusterOperation);
  if (refused != null) return refused;
  if (ctx.apiKey == 30) {
    const created = new CreateAclsResponseData();
    answerEach<AclCreationResult>(changetype<CreateAclsRequestData>(ctx.body).creations.length, created.results);
    return ctx.respond(created);
  }
  const deleted = new DeleteAclsResponseData();
  answerEach<DeleteAclsFilterResult>(changetype<DeleteAclsRequestData>(ctx.body).filters.length, deleted.filterResults);
  return ctx.respond(deleted);
}

/** `n` results (one per creation or filter asked), each SECURITY_DISABLED saying why. */
function answerEach<T>(n: i32, results: Array<T>): void {
  for (let i = 0; i < n; i++) {
    const r = instantiate<T>();
    r.errorCode = SECURITY_DISABLED;
    r.errorMessage = ACLS_ARE_THE_POLICY;
    results.push(r);
  }
}

/**
 * CreateDelegationToken: CREATE_TOKENS on the USER that will own the token, checked only when
 * it is not the requester. (Renew and expire need no ACL: the controller compares the token's
 * owner and renewers, which only it knows.)
 */
export function checkCreateDelegationToken(ctx: RequestContext, rule: Rule): Verdict {
  return createDelegationToken(ctx);
}

/** DescribeDelegationToken: the broker's answer is cut to the tokens the principal may see. */
export function checkDescribeDelegationToken(ctx: RequestContext, rule: Rule): Verdict {
  ctx.after = new VisibleTokensOnly(ctx);
  return ctx.pass();
}

function createDelegationToken(ctx: RequestContext): Verdict {
  const req = changetype<CreateDelegationTokenRequestData>(ctx.body);
  const requester = ctx.session.principal;
  const ownerName = req.ownerPrincipalName;
  const ownerType = req.ownerPrincipalType;
  const named = ownerName != null && ownerName.length > 0;
  if (!named || samePrincipal(ownerType, ownerName!, requester)) return ctx.pass();
  const owner = (ownerType != null ? ownerType : "") + ":" + ownerName!;
  const code = ctx.check(ResourceType.User, owner, AclOperation.CreateTokens);
  if (code == 0) return ctx.pass();
  // As CreateDelegationTokenResponse.prepareResponse: the owner and requester, no token.
  const resp = new CreateDelegationTokenResponseData();
  resp.errorCode = code;
  resp.principalType = principalType(owner);
  resp.principalName = principalName(owner);
  resp.tokenRequesterPrincipalType = principalType(requester);
  resp.tokenRequesterPrincipalName = principalName(requester);
  return ctx.respond(resp);
}

function principalType(principal: string): string {
  const colon = principal.indexOf(":");
  return colon < 0 ? "" : principal.substring(0, colon);
}

function principalName(principal: string): string {
  return principal.substring(principal.indexOf(":") + 1);
}

/**
 * Whether type and name are `principal`'s, compared apart as Kafka compares KafkaPrincipals:
 * joined, ("User:x", "y") would pass for the principal User named "x:y".
 */
function samePrincipal(type: string | null, name: string, principal: string): bool {
  return type != null && type == principalType(principal) && name == principalName(principal);
}

/**
 * KafkaApis.handleDescribeTokensRequest keeps a token when the principal owns it, requested
 * it or may renew it, or has DESCRIBE on the token or DESCRIBE_TOKENS on its owner. The
 * requester is only on the wire from v3, so older versions judge without it.
 */
class VisibleTokensOnly extends ResponseRewrite {
  constructor(readonly ctx: RequestContext) { super(); }

  apply(body: Message, version: i16): bool {
    const resp = changetype<DescribeDelegationTokenResponseData>(body);
    const kept = new Array<DescribedDelegationToken>();
    for (let i = 0; i < resp.tokens.length; i++) {
      const token = unchecked(resp.tokens[i]);
      if (this.maySee(token, version)) kept.push(token);
    }
    if (kept.length == resp.tokens.length) return false;
    resp.tokens = kept;
    return true;
  }

  private maySee(token: DescribedDelegationToken, version: i16): bool {
    const principal = this.ctx.session.principal;
    if (samePrincipal(token.principalType, token.principalName, principal)) return true;
    if (version >= 3 && samePrincipal(token.tokenRequesterPrincipalType, token.tokenRequesterPrincipalName, principal)) return true;
    for (let i = 0; i < token.renewers.length; i++) {
      const renewer = unchecked(token.renewers[i]);
      if (samePrincipal(renewer.principalType, renewer.principalName, principal)) return true;
    }
    const owner = token.principalType + ":" + token.principalName;
    return this.ctx.allowed(ResourceType.DelegationToken, token.tokenId, AclOperation.Describe)
      || this.ctx.allowed(ResourceType.User, owner, AclOperation.DescribeTokens);
  }
}

