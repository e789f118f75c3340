// Cluster-wide APIs, as Kafka 4.4 authorizes them (KafkaApis, AclApis, ControllerApis): one
// operation on the CLUSTER resource "kafka-cluster", ACL administration (ALTER/DESCRIBE on the
// cluster), delegation tokens (CREATE_TOKENS/DESCRIBE_TOKENS on USER, DESCRIBE on
// DELEGATION_TOKEN) and DescribeCluster, which Kafka does not authorize at all.

import { Message } from "../../protocol/message";
import { AlterReplicaLogDirsRequestData } from "../../messages/AlterReplicaLogDirsRequest";
import {
  AlterReplicaLogDirsResponseData, AlterReplicaLogDirTopicResult, AlterReplicaLogDirPartitionResult,
} from "../../messages/AlterReplicaLogDirsResponse";
import { DescribeLogDirsResponseData } from "../../messages/DescribeLogDirsResponse";
import { ElectLeadersRequestData } from "../../messages/ElectLeadersRequest";
import { ElectLeadersResponseData, ReplicaElectionResult, PartitionResult } from "../../messages/ElectLeadersResponse";
import { AlterClientQuotasRequestData } from "../../messages/AlterClientQuotasRequest";
import {
  AlterClientQuotasResponseData, EntryData as QuotaEntryResult, EntityData as QuotaEntityResult,
} from "../../messages/AlterClientQuotasResponse";
import { AlterUserScramCredentialsRequestData } from "../../messages/AlterUserScramCredentialsRequest";
import {
  AlterUserScramCredentialsResponseData, AlterUserScramCredentialsResult,
} from "../../messages/AlterUserScramCredentialsResponse";
import { CreateAclsRequestData } from "../../messages/CreateAclsRequest";
import { CreateAclsResponseData, AclCreationResult } from "../../messages/CreateAclsResponse";
import { DeleteAclsRequestData } from "../../messages/DeleteAclsRequest";
import { DeleteAclsResponseData, DeleteAclsFilterResult } from "../../messages/DeleteAclsResponse";
import { CreateDelegationTokenRequestData } from "../../messages/CreateDelegationTokenRequest";
import { CreateDelegationTokenResponseData } from "../../messages/CreateDelegationTokenResponse";
import { DescribeDelegationTokenResponseData, DescribedDelegationToken } from "../../messages/DescribeDelegationTokenResponse";
import { ResourceType, AclOperation, CLUSTER_RESOURCE_NAME } from "../../policy/acl";
import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";
import { ResponseRewrite } from "../rewrite";

/**
 * `operation` on the cluster. A refusal is answered in the API's own shape: its top-level
 * error when it has one, else one error per entry for the admin APIs a client sends (as
 * Kafka's getErrorResponse builds them); broker-to-broker APIs without either are closed.
 */
export function checkClusterOperation(ctx: RequestContext, operation: i32): Verdict {
  const code = ctx.check(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, operation);
  if (code == 0) return ctx.pass();
  const perEntry = perEntryRefusal(ctx, code);
  if (perEntry != null) return ctx.respond(perEntry);
  return ctx.respondWithError(code);
}

/** The refusal of admin APIs whose response has no top-level error; null for the others. */
function perEntryRefusal(ctx: RequestContext, code: i16): Message | null {
  switch (ctx.apiKey) {
    case 30: return createAclsRefusal(changetype<CreateAclsRequestData>(ctx.body), code);
    case 31: return deleteAclsRefusal(changetype<DeleteAclsRequestData>(ctx.body), code);
    case 34: return alterReplicaLogDirsRefusal(changetype<AlterReplicaLogDirsRequestData>(ctx.body), code);
    // Before v3 there is no error field: Kafka answers a refused describe with no log dirs.
    case 35: return ctx.version < 3 ? new DescribeLogDirsResponseData() : null;
    case 43: return ctx.version < 1 ? electLeadersRefusal(changetype<ElectLeadersRequestData>(ctx.body), code) : null;
    case 49: return alterClientQuotasRefusal(changetype<AlterClientQuotasRequestData>(ctx.body), code);
    case 51: return alterScramRefusal(changetype<AlterUserScramCredentialsRequestData>(ctx.body), code);
    default: return null;
  }
}

function alterReplicaLogDirsRefusal(req: AlterReplicaLogDirsRequestData, code: i16): Message {
  const resp = new AlterReplicaLogDirsResponseData();
  for (let d = 0; d < req.dirs.length; d++) {
    const dir = unchecked(req.dirs[d]);
    for (let t = 0; t < dir.topics.length; t++) {
      const topic = unchecked(dir.topics[t]);
      const result = new AlterReplicaLogDirTopicResult();
      result.topicName = topic.name;
      for (let p = 0; p < topic.partitions.length; p++) {
        const partition = new AlterReplicaLogDirPartitionResult();
        partition.partitionIndex = unchecked(topic.partitions[p]);
        partition.errorCode = code;
        result.partitions.push(partition);
      }
      resp.results.push(result);
    }
  }
  return resp;
}

function electLeadersRefusal(req: ElectLeadersRequestData, code: i16): Message {
  const resp = new ElectLeadersResponseData();
  const topics = req.topicPartitions;
  if (topics == null) return resp; // "all partitions": Kafka answers with no results
  for (let t = 0; t < topics.length; t++) {
    const topic = unchecked(topics[t]);
    const result = new ReplicaElectionResult();
    result.topic = topic.topic;
    for (let p = 0; p < topic.partitions.length; p++) {
      const partition = new PartitionResult();
      partition.partitionId = unchecked(topic.partitions[p]);
      partition.errorCode = code;
      result.partitionResult.push(partition);
    }
    resp.replicaElectionResults.push(result);
  }
  return resp;
}

function alterClientQuotasRefusal(req: AlterClientQuotasRequestData, code: i16): Message {
  const resp = new AlterClientQuotasResponseData();
  for (let e = 0; e < req.entries.length; e++) {
    const entry = unchecked(req.entries[e]);
    const result = new QuotaEntryResult();
    result.errorCode = code;
    for (let i = 0; i < entry.entity.length; i++) {
      const entity = new QuotaEntityResult();
      entity.entityType = unchecked(entry.entity[i]).entityType;
      entity.entityName = unchecked(entry.entity[i]).entityName;
      result.entity.push(entity);
    }
    resp.entries.push(result);
  }
  return resp;
}

/** One result per user named by a deletion or an upsertion, each user once. */
function alterScramRefusal(req: AlterUserScramCredentialsRequestData, code: i16): Message {
  const users = new Array<string>();
  for (let i = 0; i < req.deletions.length; i++) addOnce(users, unchecked(req.deletions[i]).name);
  for (let i = 0; i < req.upsertions.length; i++) addOnce(users, unchecked(req.upsertions[i]).name);
  const resp = new AlterUserScramCredentialsResponseData();
  for (let i = 0; i < users.length; i++) {
    const result = new AlterUserScramCredentialsResult();
    result.user = unchecked(users[i]);
    result.errorCode = code;
    resp.results.push(result);
  }
  return resp;
}

function addOnce(names: Array<string>, name: string): void {
  if (!names.includes(name)) names.push(name);
}

/** DescribeAcls: DESCRIBE on the cluster (AclApis.handleDescribeAcls). */
export function checkDescribeAcls(ctx: RequestContext): Verdict {
  return checkClusterOperation(ctx, AclOperation.Describe);
}

/** CreateAcls: ALTER on the cluster (AclApis.handleCreateAcls). */
export function checkCreateAcls(ctx: RequestContext): Verdict {
  return checkClusterOperation(ctx, AclOperation.Alter);
}

/** DeleteAcls: ALTER on the cluster (AclApis.handleDeleteAcls). */
export function checkDeleteAcls(ctx: RequestContext): Verdict {
  return checkClusterOperation(ctx, AclOperation.Alter);
}

/** Every creation fails, as CreateAclsRequest.getErrorResponse answers. */
function createAclsRefusal(req: CreateAclsRequestData, code: i16): Message {
  const resp = new CreateAclsResponseData();
  for (let i = 0; i < req.creations.length; i++) {
    const result = new AclCreationResult();
    result.errorCode = code;
    resp.results.push(result);
  }
  return resp;
}

/** Every filter fails, as DeleteAclsRequest.getErrorResponse answers. */
function deleteAclsRefusal(req: DeleteAclsRequestData, code: i16): Message {
  const resp = new DeleteAclsResponseData();
  for (let i = 0; i < req.filters.length; i++) {
    const result = new DeleteAclsFilterResult();
    result.errorCode = code;
    resp.filterResults.push(result);
  }
  return resp;
}

/**
 * Delegation tokens. Create: CREATE_TOKENS on the USER that will own the token, checked
 * only when it is not the requester. Renew and expire: no ACL (the controller compares the
 * token's owner and renewers, which only it knows). Describe: the broker's answer is cut to
 * the tokens the principal may see.
 */
export function checkDelegationToken(ctx: RequestContext): Verdict {
  if (ctx.apiKey == 38) return checkCreateDelegationToken(ctx);
  if (ctx.apiKey == 41 && ctx.forcedError == 0) ctx.after = new VisibleTokensOnly(ctx);
  return passUnchecked(ctx);
}

function checkCreateDelegationToken(ctx: RequestContext): Verdict {
  const req = changetype<CreateDelegationTokenRequestData>(ctx.body);
  const requester = ctx.session.principal;
  const ownerName = req.ownerPrincipalName;
  const ownerType = req.ownerPrincipalType;
  const owner = ownerName != null && ownerName.length > 0
    ? (ownerType != null ? ownerType : "") + ":" + ownerName
    : requester;
  if (owner == requester && ctx.forcedError == 0) return ctx.pass();
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
    const owner = token.principalType + ":" + token.principalName;
    if (owner == principal) return true;
    if (version >= 3 && token.tokenRequesterPrincipalType + ":" + token.tokenRequesterPrincipalName == principal) return true;
    for (let i = 0; i < token.renewers.length; i++) {
      const renewer = unchecked(token.renewers[i]);
      if (renewer.principalType + ":" + renewer.principalName == principal) return true;
    }
    return this.ctx.allowed(ResourceType.DelegationToken, token.tokenId, AclOperation.Describe)
      || this.ctx.allowed(ResourceType.User, owner, AclOperation.DescribeTokens);
  }
}

/** DescribeCluster: Kafka authorizes nothing (it only computes the authorized operations). */
export function checkDescribeCluster(ctx: RequestContext): Verdict {
  return passUnchecked(ctx);
}

/**
 * A whole-request refusal (limits.apis) reaching a path where Kafka makes no ACL check:
 * logged, and its code returned; 0 when the request is not refused as a whole.
 */
export function forcedCode(ctx: RequestContext): i16 {
  if (ctx.forcedError == 0) return 0;
  ctx.deny(ctx.apiName, ctx.forcedReason, ctx.forcedError);
  return ctx.forcedError;
}

/** A request Kafka lets through without an ACL check: passed, unless refused as a whole. */
export function passUnchecked(ctx: RequestContext): Verdict {
  const code = forcedCode(ctx);
  return code == 0 ? ctx.pass() : ctx.respondWithError(code);
}
