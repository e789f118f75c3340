// Every API key to the checks Kafka's own authorizer makes for it (KafkaApis in Kafka 4.4),
// each implemented in <family>.ts beside this file. A check answers denied resources with the
// error its API defines, lets allowed ones through, and never forwards a denied request as it is.

import { Verdict } from "../../filter/seam";
import { CLUSTER_AUTHORIZATION_FAILED } from "../../protocol/errors";
import { AclOperation } from "../../policy/acl";
import { RequestContext } from "../context";
import * as produce from "./produce";
import * as topics from "./topics";
import * as groups from "./groups";
import * as txn from "./transactions";
import * as cluster from "./cluster";
import * as conn from "./connection";

/** The whole decision on one request: limits.apis first, then the API's own checks. */
export function checkRequest(ctx: RequestContext): Verdict {
  if (!isConnectionSetUp(ctx.apiKey) && !ctx.policy.isApiKeyAllowed(ctx.apiKey)) {
    return denyWholeRequest(ctx, "API not allowed by limits.apis", CLUSTER_AUTHORIZATION_FAILED);
  }
  return authorize(ctx);
}

/**
 * ApiVersions, SaslHandshake, SaslAuthenticate: what every client sends before anything else.
 * limits.apis never refuses them (an allow list that leaves them out would let no client in),
 * and Kafka's authorizer checks none of them.
 */
function isConnectionSetUp(apiKey: i16): bool {
  return apiKey == 18 || apiKey == 17 || apiKey == 36;
}

export function authorize(ctx: RequestContext): Verdict {
  switch (ctx.apiKey) {
    case 0: return produce.checkProduce(ctx);
    case 1: return topics.checkFetch(ctx);
    case 2: return topics.checkListOffsets(ctx);
    case 3: return topics.checkMetadata(ctx);
    case 8: return groups.checkOffsetCommit(ctx);
    case 9: return groups.checkOffsetFetch(ctx);
    case 10: return groups.checkFindCoordinator(ctx);
    case 11: return groups.checkJoinGroup(ctx);
    case 12: return groups.checkHeartbeat(ctx);
    case 13: return groups.checkLeaveGroup(ctx);
    case 14: return groups.checkSyncGroup(ctx);
    case 15: return groups.checkDescribeGroups(ctx);
    case 16: return groups.checkListGroups(ctx);
    case 17: return conn.checkSaslHandshake(ctx);
    case 18: return conn.checkApiVersions(ctx);
    case 19: return topics.checkCreateTopics(ctx);
    case 20: return topics.checkDeleteTopics(ctx);
    case 21: return topics.checkDeleteRecords(ctx);
    case 22: return txn.checkInitProducerId(ctx);
    case 23: return topics.checkOffsetForLeaderEpoch(ctx);
    case 24: return txn.checkAddPartitionsToTxn(ctx);
    case 25: return txn.checkAddOffsetsToTxn(ctx);
    case 26: return txn.checkEndTxn(ctx);
    case 27: return cluster.checkClusterOperation(ctx, AclOperation.ClusterAction); // WriteTxnMarkers
    case 28: return txn.checkTxnOffsetCommit(ctx);
    case 29: return cluster.checkDescribeAcls(ctx);
    case 30: return cluster.checkCreateAcls(ctx);
    case 31: return cluster.checkDeleteAcls(ctx);
    case 32: return topics.checkDescribeConfigs(ctx);
    case 33: return topics.checkAlterConfigs(ctx);
    case 34: return cluster.checkClusterOperation(ctx, AclOperation.Alter); // AlterReplicaLogDirs
    case 35: return cluster.checkClusterOperation(ctx, AclOperation.Describe); // DescribeLogDirs
    case 36: return conn.checkSaslAuthenticate(ctx);
    case 37: return topics.checkCreatePartitions(ctx);
    case 38:
    case 39:
    case 40:
    case 41: return cluster.checkDelegationToken(ctx);
    case 42: return groups.checkDeleteGroups(ctx);
    case 43: return cluster.checkClusterOperation(ctx, AclOperation.Alter); // ElectLeaders
    case 44: return topics.checkIncrementalAlterConfigs(ctx);
    case 45: return cluster.checkClusterOperation(ctx, AclOperation.Alter); // AlterPartitionReassignments
    case 46: return cluster.checkClusterOperation(ctx, AclOperation.Describe); // ListPartitionReassignments
    case 47: return groups.checkOffsetDelete(ctx);
    case 48: return cluster.checkClusterOperation(ctx, AclOperation.DescribeConfigs); // DescribeClientQuotas
    case 49: return cluster.checkClusterOperation(ctx, AclOperation.AlterConfigs); // AlterClientQuotas
    case 50: return cluster.checkClusterOperation(ctx, AclOperation.Describe); // DescribeUserScramCredentials
    case 51: return cluster.checkClusterOperation(ctx, AclOperation.Alter); // AlterUserScramCredentials
    case 55: return cluster.checkClusterOperation(ctx, AclOperation.Describe); // DescribeQuorum
    case 57: return cluster.checkClusterOperation(ctx, AclOperation.Alter); // UpdateFeatures
    case 60: return cluster.checkDescribeCluster(ctx);
    case 61: return topics.checkDescribeProducers(ctx);
    case 65: return txn.checkDescribeTransactions(ctx);
    case 66: return txn.checkListTransactions(ctx);
    case 68: return groups.checkConsumerGroupHeartbeat(ctx);
    case 69: return groups.checkConsumerGroupDescribe(ctx);
    case 71:
    case 72: return conn.checkTelemetry(ctx);
    case 74: return topics.checkListConfigResources(ctx);
    case 75: return topics.checkDescribeTopicPartitions(ctx);
    case 76: return groups.checkShareGroupHeartbeat(ctx);
    case 77: return groups.checkShareGroupDescribe(ctx);
    case 78: return groups.checkShareFetch(ctx);
    case 79: return groups.checkShareAcknowledge(ctx);
    case 88: return groups.checkStreamsGroupHeartbeat(ctx);
    case 89: return groups.checkStreamsGroupDescribe(ctx);
    case 90: return groups.checkDescribeShareGroupOffsets(ctx);
    case 91: return groups.checkAlterShareGroupOffsets(ctx);
    case 92: return groups.checkDeleteShareGroupOffsets(ctx);
    case 93: return groups.checkStreamsGroupTopologyDescriptionUpdate(ctx);
    // Broker-to-broker and controller APIs: a client needs CLUSTER_ACTION for these.
    default: return cluster.checkClusterOperation(ctx, AclOperation.ClusterAction);
  }
}

/**
 * Refuses the whole request with `code` (limits.apis), before any ACL: one refusal of the
 * API (not of each resource: no ACL was asked), answered with `code` on everything it names.
 */
export function denyWholeRequest(ctx: RequestContext, reason: string, code: i16): Verdict {
  ctx.deny(ctx.apiName, reason, code, "", "limits.apis");
  return ctx.refuseWhole(code, reason);
}
