// Cluster-wide APIs, as Kafka 4.4 authorizes them (KafkaApis, AclApis, ControllerApis): one
// operation on the CLUSTER resource "kafka-cluster", ACL administration (ALTER/DESCRIBE on the
// cluster), delegation tokens (CREATE_TOKENS/DESCRIBE_TOKENS on USER, DESCRIBE on
// DELEGATION_TOKEN) and DescribeCluster, which Kafka does not authorize at all.

import { Message } from "../../protocol/message";
import { errorMessage } from "../../protocol/errors";
import { DescribeLogDirsResponseData } from "../../messages/DescribeLogDirsResponse";
import { CreateDelegationTokenRequestData } from "../../messages/CreateDelegationTokenRequest";
import { CreateDelegationTokenResponseData } from "../../messages/CreateDelegationTokenResponse";
import { DescribeDelegationTokenResponseData, DescribedDelegationToken } from "../../messages/DescribeDelegationTokenResponse";
import { ResourceType, AclOperation, CLUSTER_RESOURCE_NAME } from "../../policy/acl";
import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";
import { Rule } from "./rules";
import { ResponseRewrite } from "../rewrite";

/**
 * `operation` on the cluster. A refusal is the request's whole refusal, as Kafka's
 * getErrorResponse builds it: the top-level error and one per entry the request names;
 * broker-to-broker APIs whose response has neither are closed.
 */
export function checkClusterOperation(ctx: RequestContext, operation: i32): Verdict {
  const code = ctx.check(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, operation);
  return code == 0 ? ctx.pass() : ctx.refuseWhole(code, errorMessage(code));
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
  const owner = ownerName != null && ownerName.length > 0
    ? (ownerType != null ? ownerType : "") + ":" + ownerName
    : requester;
  if (owner == requester) return ctx.pass();
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

