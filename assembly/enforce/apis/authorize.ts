// Kafka's authorization of every API key (KafkaApis, ControllerApis and AclApis in Kafka 4.4) as
// one table: the ACL each kind of entity a request names needs, and the check that answers
// refusals (rules.ts: the generic checks and the view's allow path). What the definitions
// cannot say is a hook in <family>.ts beside this file: listings and auto-creation, config
// resources, coordinator key types, fetch sessions, produce limits, SASL, ApiVersions.
// A check answers denied resources with the error its API defines, lets allowed ones
// through, and never forwards a denied request as it is.

import { Verdict } from "../../filter/seam";
import { CLUSTER_AUTHORIZATION_FAILED } from "../../protocol/errors";
import { EntityKind } from "../../protocol/walk";
import { AclOperation, ResourceType } from "../../policy/acl";
import { RequestContext } from "../context";
import { Need, Rule, Check, ViewHook, checkWhole, checkListed } from "./rules";
import {
  newFetchSplit, newListOffsetsSplit, newOffsetCommitSplit, newDescribeGroupsSplit, newDeleteRecordsSplit,
  newOffsetForLeaderEpochSplit, newTxnOffsetCommitSplit, newCreatePartitionsSplit, newDeleteGroupsSplit, newOffsetDeleteSplit,
  newDescribeProducersSplit, newDescribeTransactionsSplit, newConsumerGroupDescribeSplit, newShareGroupDescribeSplit,
  newStreamsGroupDescribeSplit, newAlterShareGroupOffsetsSplit, newDeleteShareGroupOffsetsSplit,
} from "../../messages/refusals";
import * as produce from "./produce";
import * as topics from "./topics";
import * as groups from "./groups";
import * as txn from "./transactions";
import * as cluster from "./cluster";
import * as conn from "./connection";

function topic(op: i32): Need { return new Need(EntityKind.TopicName, ResourceType.Topic, op); }
function group(op: i32): Need { return new Need(EntityKind.GroupId, ResourceType.Group, op); }
function transactionalId(op: i32): Need { return new Need(EntityKind.TransactionalId, ResourceType.TransactionalId, op); }
function onCluster(op: i32): Need { return new Need(EntityKind.None, ResourceType.Cluster, op); }

const NOTHING: StaticArray<Need> = [];

/** The rows by api key; an API without one is broker-to-broker or controller-only. */
const RULES = new StaticArray<Rule | null>(128);

/** A row whose view decides the allow path. */
function row(apiKey: i16, needs: StaticArray<Need>, check: Check, viewHook: ViewHook | null = null): Rule {
  const rule = new Rule(apiKey, needs, check, true, viewHook);
  RULES[apiKey] = rule;
  return rule;
}

/** A row decided on the decoded request only: its check does more than allow (a response to cut, a limit, a session). */
function decoded(apiKey: i16, needs: StaticArray<Need>, check: Check): Rule {
  const rule = new Rule(apiKey, needs, check, false);
  RULES[apiKey] = rule;
  return rule;
}

const R = AclOperation.Read, W = AclOperation.Write, D = AclOperation.Describe, DEL = AclOperation.Delete, A = AclOperation.Alter;
const CA = AclOperation.ClusterAction;

row(0, NOTHING, produce.checkProduce, produce.passesFromView); // Produce: WRITE on each topic, and limits (produce.ts)
row(1, [topic(R)], topics.checkFetch, topics.fetchViewAllows).lists(newFetchSplit); // Fetch
row(2, [topic(D)], checkListed).lists(newListOffsetsSplit); // ListOffsets
row(3, [topic(D)], topics.checkMetadata, topics.metadataViewAllows).zeroIdMeansByName(); // Metadata
row(8, [group(R), topic(R)], checkListed).lists(newOffsetCommitSplit); // OffsetCommit: the group first (a refusal fails every partition)
decoded(9, [group(D), topic(D)], groups.checkOffsetFetch);
decoded(10, NOTHING, groups.checkFindCoordinator);
row(11, [group(R)], groups.checkJoinGroup);
row(12, [group(R)], checkWhole); // Heartbeat
row(13, [group(R)], checkWhole); // LeaveGroup
row(14, [group(R)], checkWhole); // SyncGroup
decoded(15, [group(D)], groups.checkDescribeGroups).lists(newDescribeGroupsSplit); // DescribeGroups (and its authorized operations)
decoded(16, NOTHING, groups.checkListGroups);
decoded(17, NOTHING, conn.checkSaslHandshake);
decoded(18, NOTHING, conn.checkApiVersions);
decoded(19, [topic(AclOperation.Create)], topics.checkCreateTopics);
// Decoded always: entries Kafka answers before any ACL (topics.ts DeletionEntries) are not in the view.
decoded(20, [topic(DEL)], topics.checkDeleteTopics);
row(21, [topic(DEL)], checkListed).lists(newDeleteRecordsSplit); // DeleteRecords
decoded(22, NOTHING, txn.checkInitProducerId);
row(23, [topic(D)], topics.checkOffsetForLeaderEpoch).lists(newOffsetForLeaderEpochSplit);
decoded(24, NOTHING, txn.checkAddPartitionsToTxn);
row(25, [transactionalId(W), group(R)], checkWhole); // AddOffsetsToTxn
row(26, [transactionalId(W)], checkWhole); // EndTxn
row(27, [onCluster(CA)], cluster.checkWriteTxnMarkers); // WriteTxnMarkers: ALTER on the cluster, else CLUSTER_ACTION
row(28, [transactionalId(W), group(R), topic(R)], checkListed).lists(newTxnOffsetCommitSplit); // TxnOffsetCommit
decoded(29, [onCluster(D)], cluster.checkDescribeAcls); // DescribeAcls: answered from the policy
decoded(30, [onCluster(A)], cluster.checkAclChange); // CreateAcls: refused, the ACLs are the policy's
decoded(31, [onCluster(A)], cluster.checkAclChange); // DeleteAcls: likewise
decoded(32, NOTHING, topics.checkDescribeConfigs);
decoded(33, NOTHING, topics.checkAlterConfigs);
row(34, [onCluster(A)], checkWhole); // AlterReplicaLogDirs
row(35, [onCluster(D)], cluster.checkDescribeLogDirs);
decoded(36, NOTHING, conn.checkSaslAuthenticate);
row(37, [topic(A)], topics.checkCreatePartitions, topics.createPartitionsViewAllows).lists(newCreatePartitionsSplit); // CreatePartitions, and limits.createTopics
decoded(38, NOTHING, cluster.checkCreateDelegationToken);
row(39, NOTHING, checkWhole); // RenewDelegationToken: the controller checks the token's owner and renewers
row(40, NOTHING, checkWhole); // ExpireDelegationToken: likewise
decoded(41, NOTHING, cluster.checkDescribeDelegationToken);
row(42, [group(DEL)], groups.checkDeleteGroups).lists(newDeleteGroupsSplit);
row(43, [onCluster(A)], checkWhole); // ElectLeaders
decoded(44, NOTHING, topics.checkIncrementalAlterConfigs);
row(45, [onCluster(A)], cluster.checkAlterPartitionReassignments, cluster.reassignmentsViewAllows); // AlterPartitionReassignments, and limits.createTopics
row(46, [onCluster(D)], checkWhole); // ListPartitionReassignments
row(47, [group(DEL), topic(R)], checkListed).lists(newOffsetDeleteSplit); // OffsetDelete
row(48, [onCluster(AclOperation.DescribeConfigs)], checkWhole); // DescribeClientQuotas
row(49, [onCluster(AclOperation.AlterConfigs)], checkWhole); // AlterClientQuotas
row(50, [onCluster(D)], checkWhole); // DescribeUserScramCredentials
row(51, [onCluster(A)], checkWhole); // AlterUserScramCredentials
row(55, [onCluster(D)], checkWhole); // DescribeQuorum
row(57, [onCluster(A)], checkWhole); // UpdateFeatures
decoded(60, NOTHING, cluster.checkDescribeCluster); // DescribeCluster: Kafka authorizes nothing (its authorized operations are the policy's)
row(61, [topic(R)], topics.checkDescribeProducers).lists(newDescribeProducersSplit); // DescribeProducers
// Served on brokers too, which forward them to the controller: it asks ALTER on the cluster
// (ControllerApis), not the CLUSTER_ACTION of the APIs only brokers and controllers send.
row(64, [onCluster(A)], checkWhole); // UnregisterBroker
decoded(65, [transactionalId(D)], txn.checkDescribeTransactions).lists(newDescribeTransactionsSplit);
decoded(66, NOTHING, txn.checkListTransactions);
decoded(68, NOTHING, groups.checkConsumerGroupHeartbeat);
decoded(69, [group(D)], groups.checkConsumerGroupDescribe).lists(newConsumerGroupDescribeSplit);
row(71, NOTHING, checkWhole); // GetTelemetrySubscriptions: no ACL
row(72, NOTHING, checkWhole); // PushTelemetry: no ACL
row(74, [onCluster(AclOperation.DescribeConfigs)], checkWhole); // ListConfigResources
decoded(75, NOTHING, topics.checkDescribeTopicPartitions);
decoded(76, NOTHING, groups.checkShareGroupHeartbeat);
decoded(77, [group(D)], groups.checkShareGroupDescribe).lists(newShareGroupDescribeSplit);
decoded(78, NOTHING, groups.checkShareFetch);
decoded(79, NOTHING, groups.checkShareAcknowledge);
row(80, [onCluster(A)], checkWhole); // AddRaftVoter (forwarded to the controller, as UnregisterBroker)
row(81, [onCluster(A)], checkWhole); // RemoveRaftVoter (likewise)
decoded(88, NOTHING, groups.checkStreamsGroupHeartbeat);
decoded(89, [group(D)], groups.checkStreamsGroupDescribe).lists(newStreamsGroupDescribeSplit);
decoded(90, NOTHING, groups.checkDescribeShareGroupOffsets);
row(91, [group(R), topic(R)], checkListed).lists(newAlterShareGroupOffsetsSplit); // AlterShareGroupOffsets
row(92, [group(DEL), topic(R)], checkListed).lists(newDeleteShareGroupOffsetsSplit); // DeleteShareGroupOffsets
row(93, [group(R)], checkWhole); // StreamsGroupTopologyDescriptionUpdate
row(94, [onCluster(A)], checkWhole); // UnregisterController (forwarded to the controller, as UnregisterBroker)

/** Broker-to-broker and controller APIs: a client needs CLUSTER_ACTION for these. */
const BROKER_ONLY = new Rule(-1, [onCluster(CA)], checkWhole, true);

/** The row of `apiKey`. */
export function ruleOf(apiKey: i16): Rule {
  const rule = apiKey >= 0 && apiKey < RULES.length ? RULES[apiKey] : null;
  return rule != null ? rule : BROKER_ONLY;
}

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
export function isConnectionSetUp(apiKey: i16): bool {
  return apiKey == 18 || apiKey == 17 || apiKey == 36;
}

export function authorize(ctx: RequestContext): Verdict {
  const rule = ruleOf(ctx.apiKey);
  return rule.check(ctx, rule);
}

/**
 * Refuses the whole request with `code` (limits.apis), before any ACL: one refusal of the
 * API (not of each resource: no ACL was asked), answered with `code` on everything it names.
 */
export function denyWholeRequest(ctx: RequestContext, reason: string, code: i16): Verdict {
  ctx.deny(ctx.apiName, reason, code, "", "limits.apis");
  // A request the broker never answers (a Produce with acks=0) is refused as any refused acks=0
  // Produce is (produce.ts): its answer would be dropped, and the client would think it written.
  if (!ctx.header.expectsResponse) return Verdict.closeOnceAnswered(reason + " (a Produce with acks=0: Kafka closes the connection)");
  return ctx.refuseWhole(code, reason);
}
