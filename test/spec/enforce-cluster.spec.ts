// Cluster, ACL, delegation token (apis/cluster.ts) and transaction (apis/transactions.ts) APIs
// under the policy: allowed requests pass untouched; refusals are answered in each API's own
// response at the request's version (top-level error, or one per entry where the response has
// no top-level error); listings are cut to what the principal may describe.

import { Message } from "../../assembly/protocol/message";
import { VerdictKind } from "../../assembly/filter/seam";
import { RequestContext } from "../../assembly/enforce/context";
import { authorize, denyWholeRequest } from "../../assembly/enforce/apis/authorize";
import { ElectLeadersRequestData, TopicPartitions as ElectTopicPartitions } from "../../assembly/messages/ElectLeadersRequest";
import { ElectLeadersResponseData } from "../../assembly/messages/ElectLeadersResponse";
import { AlterReplicaLogDirsRequestData, AlterReplicaLogDir, AlterReplicaLogDirTopic } from "../../assembly/messages/AlterReplicaLogDirsRequest";
import { AlterReplicaLogDirsResponseData } from "../../assembly/messages/AlterReplicaLogDirsResponse";
import { DescribeLogDirsRequestData } from "../../assembly/messages/DescribeLogDirsRequest";
import { DescribeLogDirsResponseData } from "../../assembly/messages/DescribeLogDirsResponse";
import { AlterClientQuotasRequestData, EntryData as QuotaEntry, EntityData as QuotaEntity } from "../../assembly/messages/AlterClientQuotasRequest";
import { AlterClientQuotasResponseData } from "../../assembly/messages/AlterClientQuotasResponse";
import { AlterUserScramCredentialsRequestData, ScramCredentialDeletion, ScramCredentialUpsertion } from "../../assembly/messages/AlterUserScramCredentialsRequest";
import { AlterUserScramCredentialsResponseData } from "../../assembly/messages/AlterUserScramCredentialsResponse";
import { AlterPartitionReassignmentsRequestData, ReassignableTopic, ReassignablePartition } from "../../assembly/messages/AlterPartitionReassignmentsRequest";
import { AlterPartitionReassignmentsResponseData } from "../../assembly/messages/AlterPartitionReassignmentsResponse";
import { DescribeClientQuotasRequestData } from "../../assembly/messages/DescribeClientQuotasRequest";
import { DescribeClientQuotasResponseData } from "../../assembly/messages/DescribeClientQuotasResponse";
import { WriteTxnMarkersRequestData } from "../../assembly/messages/WriteTxnMarkersRequest";
import { DescribeAclsRequestData } from "../../assembly/messages/DescribeAclsRequest";
import { DescribeAclsResponseData } from "../../assembly/messages/DescribeAclsResponse";
import { MetadataRequestData } from "../../assembly/messages/MetadataRequest";
import { decodeRequest } from "../../assembly/codec/frame";
import { CreateAclsRequestData, AclCreation } from "../../assembly/messages/CreateAclsRequest";
import { CreateAclsResponseData } from "../../assembly/messages/CreateAclsResponse";
import { DeleteAclsRequestData, DeleteAclsFilter } from "../../assembly/messages/DeleteAclsRequest";
import { DeleteAclsResponseData } from "../../assembly/messages/DeleteAclsResponse";
import { CreateDelegationTokenRequestData } from "../../assembly/messages/CreateDelegationTokenRequest";
import { CreateDelegationTokenResponseData } from "../../assembly/messages/CreateDelegationTokenResponse";
import { RenewDelegationTokenRequestData } from "../../assembly/messages/RenewDelegationTokenRequest";
import { RenewDelegationTokenResponseData } from "../../assembly/messages/RenewDelegationTokenResponse";
import { ExpireDelegationTokenRequestData } from "../../assembly/messages/ExpireDelegationTokenRequest";
import { DescribeDelegationTokenRequestData } from "../../assembly/messages/DescribeDelegationTokenRequest";
import {
  DescribeDelegationTokenResponseData, DescribedDelegationToken, DescribedDelegationTokenRenewer,
} from "../../assembly/messages/DescribeDelegationTokenResponse";
import { DescribeClusterRequestData } from "../../assembly/messages/DescribeClusterRequest";
import { DescribeClusterResponseData } from "../../assembly/messages/DescribeClusterResponse";
import { InitProducerIdRequestData } from "../../assembly/messages/InitProducerIdRequest";
import { InitProducerIdResponseData } from "../../assembly/messages/InitProducerIdResponse";
import { AddPartitionsToTxnRequestData, AddPartitionsToTxnTopic, AddPartitionsToTxnTransaction } from "../../assembly/messages/AddPartitionsToTxnRequest";
import { AddPartitionsToTxnResponseData } from "../../assembly/messages/AddPartitionsToTxnResponse";
import { AddOffsetsToTxnRequestData } from "../../assembly/messages/AddOffsetsToTxnRequest";
import { AddOffsetsToTxnResponseData } from "../../assembly/messages/AddOffsetsToTxnResponse";
import { EndTxnRequestData } from "../../assembly/messages/EndTxnRequest";
import { EndTxnResponseData } from "../../assembly/messages/EndTxnResponse";
import { TxnOffsetCommitRequestData, TxnOffsetCommitRequestTopic, TxnOffsetCommitRequestPartition } from "../../assembly/messages/TxnOffsetCommitRequest";
import { TxnOffsetCommitResponseData, TxnOffsetCommitResponseTopic } from "../../assembly/messages/TxnOffsetCommitResponse";
import { DescribeTransactionsRequestData } from "../../assembly/messages/DescribeTransactionsRequest";
import { DescribeTransactionsResponseData, TransactionState as DescribedTransaction, TopicData } from "../../assembly/messages/DescribeTransactionsResponse";
import { ListTransactionsRequestData } from "../../assembly/messages/ListTransactionsRequest";
import { ListTransactionsResponseData, TransactionState as ListedTransaction } from "../../assembly/messages/ListTransactionsResponse";
import { Policy } from "../../assembly/policy/policy";
import { newRequest, newResponse, minVersion, maxVersion } from "../../assembly/messages/apis";
import { policyOf, session, run, contextFor, respondedBody, forwardedBody, rewriteResponse } from "./support/enforce";

// admin: everything on the cluster. alice: WRITE on transactional ids "tx.*", READ on groups
// "app.*", READ on topics "orders.*", CREATE_TOKENS for User:svc, DESCRIBE_TOKENS of User:team.
// bob: nothing.
const POLICY = `{"acls": [
  {"principal": "User:admin", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "ALL", "permissionType": "ALLOW"},
  {"principal": "User:alice", "resourceType": "TRANSACTIONAL_ID", "resourceName": "tx.", "resourcePatternType": "PREFIXED", "operation": "WRITE", "permissionType": "ALLOW"},
  {"principal": "User:alice", "resourceType": "GROUP", "resourceName": "app.", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:alice", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:alice", "resourceType": "USER", "resourceName": "User:svc", "operation": "CREATE_TOKENS", "permissionType": "ALLOW"},
  {"principal": "User:alice", "resourceType": "USER", "resourceName": "User:team", "operation": "DESCRIBE_TOKENS", "permissionType": "ALLOW"}]}`;

const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
const GROUP_AUTHORIZATION_FAILED: i16 = 30;
const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;
const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: i16 = 53;
const OPERATION_NOT_ATTEMPTED: i16 = 55;
const DELEGATION_TOKEN_AUTHORIZATION_FAILED: i16 = 65;

const ctxs = new Array<RequestContext>();

function lastCtx(): RequestContext { return ctxs[ctxs.length - 1]; }

function asAdmin(apiKey: i16, version: i16, body: Message): VerdictKind {
  return run(policyOf(POLICY), session("User:admin"), apiKey, version, body, ctxs).kind;
}

function refusedFor(principal: string, apiKey: i16, version: i16, body: Message): Message {
  return respondedBody(run(policyOf(POLICY), session(principal), apiKey, version, body, ctxs), apiKey, version);
}

function forced(apiKey: i16, version: i16, body: Message): Message {
  const ctx = contextFor(policyOf(POLICY), session("User:admin"), apiKey, version, body);
  return respondedBody(denyWholeRequest(ctx, "API not allowed by limits.apis", CLUSTER_AUTHORIZATION_FAILED), apiKey, version);
}

// --- request builders ------------------------------------------------------------------

function electLeaders(topics: Array<string> | null): ElectLeadersRequestData {
  const r = new ElectLeadersRequestData();
  if (topics == null) {
    r.topicPartitions = null;
    return r;
  }
  const list = new Array<ElectTopicPartitions>();
  for (let i = 0; i < topics.length; i++) {
    const t = new ElectTopicPartitions();
    t.topic = topics[i];
    t.partitions = [0, 1];
    list.push(t);
  }
  r.topicPartitions = list;
  return r;
}

function alterReplicaLogDirs(): AlterReplicaLogDirsRequestData {
  const r = new AlterReplicaLogDirsRequestData();
  const dir = new AlterReplicaLogDir();
  dir.path = "/data/2";
  const t = new AlterReplicaLogDirTopic();
  t.name = "orders.eu";
  t.partitions = [4];
  dir.topics.push(t);
  r.dirs.push(dir);
  return r;
}

function alterClientQuotas(): AlterClientQuotasRequestData {
  const r = new AlterClientQuotasRequestData();
  const e = new QuotaEntry();
  const entity = new QuotaEntity();
  entity.entityType = "user";
  entity.entityName = "alice";
  e.entity.push(entity);
  r.entries.push(e);
  return r;
}

function alterScram(): AlterUserScramCredentialsRequestData {
  const r = new AlterUserScramCredentialsRequestData();
  const d = new ScramCredentialDeletion();
  d.name = "alice";
  d.mechanism = 1;
  const u1 = new ScramCredentialUpsertion();
  u1.name = "alice";
  u1.mechanism = 2;
  u1.iterations = 4096;
  const u2 = new ScramCredentialUpsertion();
  u2.name = "bob";
  u2.mechanism = 1;
  u2.iterations = 4096;
  r.deletions = [d];
  r.upsertions = [u1, u2];
  return r;
}

function createToken(ownerType: string | null, ownerName: string | null): CreateDelegationTokenRequestData {
  const r = new CreateDelegationTokenRequestData();
  r.ownerPrincipalType = ownerType;
  r.ownerPrincipalName = ownerName;
  r.maxLifetimeMs = -1;
  return r;
}

function token(id: string, ownerName: string, requesterName: string, renewer: string | null): DescribedDelegationToken {
  const t = new DescribedDelegationToken();
  t.tokenId = id;
  t.principalType = "User";
  t.principalName = ownerName;
  t.tokenRequesterPrincipalType = "User";
  t.tokenRequesterPrincipalName = requesterName;
  if (renewer != null) {
    const r = new DescribedDelegationTokenRenewer();
    r.principalType = "User";
    r.principalName = renewer;
    t.renewers.push(r);
  }
  return t;
}

function initProducerId(txnId: string | null): InitProducerIdRequestData {
  const r = new InitProducerIdRequestData();
  r.transactionalId = txnId;
  r.transactionTimeoutMs = 60000;
  return r;
}

function addPartitionsV3(txnId: string, topics: Array<string>): AddPartitionsToTxnRequestData {
  const r = new AddPartitionsToTxnRequestData();
  r.v3AndBelowTransactionalId = txnId;
  for (let i = 0; i < topics.length; i++) {
    const t = new AddPartitionsToTxnTopic();
    t.name = topics[i];
    t.partitions = [0, 1];
    r.v3AndBelowTopics.push(t);
  }
  return r;
}

function txnOffsetCommit(txnId: string, group: string, topics: Array<string>): TxnOffsetCommitRequestData {
  const r = new TxnOffsetCommitRequestData();
  r.transactionalId = txnId;
  r.groupId = group;
  for (let i = 0; i < topics.length; i++) {
    const t = new TxnOffsetCommitRequestTopic();
    t.name = topics[i];
    const p = new TxnOffsetCommitRequestPartition();
    p.partitionIndex = 7;
    t.partitions.push(p);
    r.topics.push(t);
  }
  return r;
}

function aclPolicy(acls: string): Policy {
  return policyOf(`{"acls": [` + acls + `]}`);
}

function topicWrite(pattern: string, name: string, permission: string): string {
  return `{"principal": "User:alice", "resourceType": "TOPIC", "resourceName": "` + name + `", "resourcePatternType": "` + pattern +
    `", "operation": "WRITE", "permissionType": "` + permission + `"}`;
}

// ---------------------------------------------------------------------------------------

describe("cluster operations", () => {
  it("pass for a principal allowed the operation", () => {
    expect(asAdmin(43, 0, electLeaders(["orders.eu"]))).toBe(VerdictKind.Pass);
    expect(asAdmin(34, 2, alterReplicaLogDirs())).toBe(VerdictKind.Pass);
    expect(asAdmin(35, 5, new DescribeLogDirsRequestData())).toBe(VerdictKind.Pass);
  });

  it("ElectLeaders v0 (no top-level error): every partition refused", () => {
    const resp = changetype<ElectLeadersResponseData>(refusedFor("User:bob", 43, 0, electLeaders(["orders.eu", "payments"])));
    expect(resp.replicaElectionResults.length).toBe(2);
    expect(resp.replicaElectionResults[1].topic).toBe("payments");
    expect(resp.replicaElectionResults[1].partitionResult[1].partitionId).toBe(1);
    expect(resp.replicaElectionResults[1].partitionResult[1].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("ElectLeaders v2: the top-level error", () => {
    const resp = changetype<ElectLeadersResponseData>(refusedFor("User:bob", 43, 2, electLeaders(null)));
    expect(resp.errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("AlterReplicaLogDirs (v1, v2): every partition refused", () => {
    const v1 = changetype<AlterReplicaLogDirsResponseData>(refusedFor("User:bob", 34, 1, alterReplicaLogDirs()));
    expect(v1.results[0].topicName).toBe("orders.eu");
    expect(v1.results[0].partitions[0].partitionIndex).toBe(4);
    expect(v1.results[0].partitions[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    const v2 = changetype<AlterReplicaLogDirsResponseData>(refusedFor("User:bob", 34, 2, alterReplicaLogDirs()));
    expect(v2.results[0].partitions[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("DescribeLogDirs: no log dirs before v3, the top-level error from v3", () => {
    const v1 = changetype<DescribeLogDirsResponseData>(refusedFor("User:bob", 35, 1, new DescribeLogDirsRequestData()));
    expect(v1.results.length).toBe(0);
    const v5 = changetype<DescribeLogDirsResponseData>(refusedFor("User:bob", 35, 5, new DescribeLogDirsRequestData()));
    expect(v5.errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("AlterClientQuotas (v0, v1): every entry refused", () => {
    expect(asAdmin(49, 1, alterClientQuotas())).toBe(VerdictKind.Pass);
    const v0 = changetype<AlterClientQuotasResponseData>(refusedFor("User:bob", 49, 0, alterClientQuotas()));
    expect(v0.entries[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(v0.entries[0].entity[0].entityName).toBe("alice");
    const v1 = changetype<AlterClientQuotasResponseData>(refusedFor("User:bob", 49, 1, alterClientQuotas()));
    expect(v1.entries[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("AlterUserScramCredentials: one refusal per user named", () => {
    const resp = changetype<AlterUserScramCredentialsResponseData>(refusedFor("User:bob", 51, 0, alterScram()));
    expect(resp.results.length).toBe(2);
    expect(resp.results[0].user).toBe("alice");
    expect(resp.results[1].user).toBe("bob");
    expect(resp.results[1].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("APIs with a top-level error are answered with it (AlterPartitionReassignments, DescribeClientQuotas)", () => {
    expect(changetype<AlterPartitionReassignmentsResponseData>(refusedFor("User:bob", 45, 0, new AlterPartitionReassignmentsRequestData())).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(changetype<DescribeClientQuotasResponseData>(refusedFor("User:bob", 48, 1, new DescribeClientQuotasRequestData())).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("AlterPartitionReassignments past limits.createTopics.maxReplicationFactor is refused whole, for anyone allowed ALTER (v0, v1)", () => {
    const limited = policyOf(POLICY.slice(0, POLICY.length - 1) + `, "limits": {"createTopics": {"maxReplicationFactor": 3}}}`);
    for (let v: i16 = 0; v <= 1; v++) {
      const req = reassign("orders.eu", [[1, 2, 3], [1, 2, 3, 4]]);
      const resp = changetype<AlterPartitionReassignmentsResponseData>(respondedBody(run(limited, session("User:admin"), 45, v, req, ctxs), 45, v));
      expect(resp.errorCode).toBe(38); // INVALID_REPLICATION_FACTOR
      expect(resp.errorMessage).toBe("topic \"orders.eu\": replication factor 4 exceeds the maximum of 3");
      expect(resp.responses[0].partitions.length).toBe(2);
      expect(resp.responses[0].partitions[0].errorCode).toBe(38);
      // Within the limit, or cancelling (null replicas): it goes on.
      expect(run(limited, session("User:admin"), 45, v, reassign("orders.eu", [[1, 2, 3]]), ctxs).kind).toBe(VerdictKind.Pass);
      const cancel = reassign("orders.eu", [[1]]);
      cancel.topics[0].partitions[0].replicas = null;
      expect(run(limited, session("User:admin"), 45, v, cancel, ctxs).kind).toBe(VerdictKind.Pass);
    }
    // Without ALTER on the cluster the answer is the ACL's.
    const bob = changetype<AlterPartitionReassignmentsResponseData>(respondedBody(run(limited, session("User:bob"), 45, 0, reassign("orders.eu", [[1, 2, 3, 4]]), ctxs), 45, 0));
    expect(bob.errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("closes a refused broker-to-broker API whose response cannot carry the error (WriteTxnMarkers)", () => {
    expect(run(policyOf(POLICY), session("User:bob"), 27, 1, new WriteTxnMarkersRequestData(), ctxs).kind).toBe(VerdictKind.Close);
    expect(asAdmin(27, 1, new WriteTxnMarkersRequestData())).toBe(VerdictKind.Pass);
  });

  it("WriteTxnMarkers: ALTER on the cluster, else CLUSTER_ACTION (kafka-transactions.sh abort, KIP-664)", () => {
    for (let op = 0; op < 2; op++) {
      const p = policyOf(`{"acls": [{"principal": "User:ops", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "` +
        (op == 0 ? "ALTER" : "CLUSTER_ACTION") + `", "permissionType": "ALLOW"}]}`);
      expect(run(p, session("User:ops"), 27, 1, new WriteTxnMarkersRequestData(), ctxs).kind).toBe(VerdictKind.Pass);
    }
  });

  it("DescribeCluster: the cluster's authorized operations as the policy decides them, none without DESCRIBE (a broker without an authorizer reports all)", () => {
    for (let who = 0; who < 2; who++) {
      const req = new DescribeClusterRequestData();
      req.includeClusterAuthorizedOperations = true;
      expect(run(policyOf(POLICY), session(who == 0 ? "User:admin" : "User:bob"), 60, 1, req, ctxs).kind).toBe(VerdictKind.Pass);
      const resp = new DescribeClusterResponseData();
      resp.clusterAuthorizedOperations = 0x3ff8; // every cluster operation, as the broker reports it
      const all = (1 << 5) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 7) | (1 << 8);
      expect(rewriteResponse(lastCtx(), 60, 1, resp)).toBe(true);
      expect(resp.clusterAuthorizedOperations).toBe(who == 0 ? all : 0);
    }
    // Not asked: the broker's answer goes on untouched.
    expect(run(policyOf(POLICY), session("User:bob"), 60, 1, new DescribeClusterRequestData(), ctxs).kind).toBe(VerdictKind.Pass);
    expect(lastCtx().after).toBeNull();
  });

  it("UnregisterBroker, AddRaftVoter, RemoveRaftVoter, UnregisterController: ALTER on the cluster, as the controller asks, not CLUSTER_ACTION", () => {
    const brokers = policyOf(`{"acls": [{"principal": "User:broker", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "CLUSTER_ACTION", "permissionType": "ALLOW"},
      {"principal": "User:ops", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "ALTER", "permissionType": "ALLOW"}]}`);
    const keys: StaticArray<i16> = [64, 80, 81, 94];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const version = minVersion(key);
      const refused = run(brokers, session("User:broker"), key, version, newRequest(key)!, ctxs);
      expect(refused.kind == VerdictKind.Respond || refused.kind == VerdictKind.Close).toBe(true, "CLUSTER_ACTION alone: refused");
      expect(lastCtx().refusals.length).toBe(1);
      expect(run(brokers, session("User:ops"), key, version, newRequest(key)!, ctxs).kind).toBe(VerdictKind.Pass);
    }
  });
});

function reassign(topic: string, replicas: Array<Array<i32>>): AlterPartitionReassignmentsRequestData {
  const r = new AlterPartitionReassignmentsRequestData();
  const t = new ReassignableTopic();
  t.name = topic;
  for (let p = 0; p < replicas.length; p++) {
    const part = new ReassignablePartition();
    part.partitionIndex = p;
    part.replicas = replicas[p];
    t.partitions.push(part);
  }
  r.topics.push(t);
  return r;
}

function aclFilter(resourceType: i8, name: string | null, patternType: i8, principal: string | null): DescribeAclsRequestData {
  const r = new DescribeAclsRequestData();
  r.resourceTypeFilter = resourceType;
  r.resourceNameFilter = name;
  r.patternTypeFilter = patternType;
  r.principalFilter = principal;
  r.hostFilter = null;
  r.operation = 1; // ANY
  r.permissionType = 1; // ANY
  return r;
}

function describedAs(principal: string, version: i16, r: DescribeAclsRequestData): DescribeAclsResponseData {
  return changetype<DescribeAclsResponseData>(refusedFor(principal, 29, version, r));
}

const ANY: i8 = 1, MATCH: i8 = 2, LITERAL: i8 = 3, PREFIXED: i8 = 4, TOPIC: i8 = 2, GROUP: i8 = 3;
const SECURITY_DISABLED: i16 = 54, INVALID_REQUEST: i16 = 42;

describe("ACL administration", () => {
  it("DescribeAcls: refused without DESCRIBE on the cluster (v1, v3)", () => {
    expect(describedAs("User:bob", 1, aclFilter(ANY, null, ANY, null)).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(describedAs("User:bob", 3, aclFilter(ANY, null, ANY, null)).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("DescribeAcls: answered from the policy, one resource per pattern in the policy's order (v1, v3)", () => {
    for (let v: i16 = 1; v <= 3; v += 2) {
      const all = describedAs("User:admin", v, aclFilter(ANY, null, ANY, null));
      expect(all.errorCode).toBe(0);
      expect(all.resources.length).toBe(6);
      expect(all.resources[0].resourceType).toBe(<i8>4); // CLUSTER
      expect(all.resources[1].resourceName).toBe("tx.");
      expect(all.resources[1].patternType).toBe(PREFIXED);
      expect(all.resources[1].acls[0].principal).toBe("User:alice");
      expect(all.resources[1].acls[0].operation).toBe(<i8>4); // WRITE
      expect(all.resources[1].acls[0].permissionType).toBe(<i8>3); // ALLOW
      expect(all.resources[1].acls[0].host).toBe("*");
    }
  });

  // Kafka serves DescribeAcls on a SASL listener only after a sign-in; the filter does not know
  // the listener's protocol, so the broker is asked something it serves only then.
  it("DescribeAcls: the list follows an empty Metadata request of the filter's own, which a SASL listener's broker serves only after a sign-in", () => {
    const v = run(policyOf(POLICY), session("User:admin"), 29, 3, aclFilter(ANY, null, ANY, null), ctxs);
    expect(v.kind).toBe(VerdictKind.Respond);
    expect(v.aside).not.toBeNull();
    const asked = decodeRequest(v.aside!);
    expect(asked.error).toBe("");
    expect(asked.header.requestApiKey).toBe(<i16>3);
    const body = changetype<MetadataRequestData>(asked.body);
    expect(body.topics).not.toBeNull();
    expect(body.topics!.length).toBe(0);
    expect(body.allowAutoTopicCreation).toBe(false);
    // A refusal carries nothing the broker would not tell: no such request.
    expect(run(policyOf(POLICY), session("User:bob"), 29, 3, aclFilter(ANY, null, ANY, null), ctxs).aside).toBeNull();
  });

  it("DescribeAcls: Kafka's filter semantics (type, MATCH against a name, exact patterns, principal)", () => {
    // MATCH: the ACLs that apply to topic orders.eu (alice's PREFIXED orders.).
    const match = describedAs("User:admin", 3, aclFilter(TOPIC, "orders.eu", MATCH, null));
    expect(match.resources.length).toBe(1);
    expect(match.resources[0].resourceName).toBe("orders.");
    // An exact pattern must name the pattern itself.
    expect(describedAs("User:admin", 3, aclFilter(TOPIC, "orders.eu", PREFIXED, null)).resources.length).toBe(0);
    expect(describedAs("User:admin", 3, aclFilter(TOPIC, "orders.", PREFIXED, null)).resources.length).toBe(1);
    expect(describedAs("User:admin", 3, aclFilter(TOPIC, "orders.", LITERAL, null)).resources.length).toBe(0);
    expect(describedAs("User:admin", 3, aclFilter(GROUP, null, ANY, null)).resources[0].resourceName).toBe("app.");
    expect(describedAs("User:admin", 3, aclFilter(ANY, null, ANY, "User:alice")).resources.length).toBe(5);
    expect(describedAs("User:admin", 3, aclFilter(ANY, null, ANY, "User:bob")).resources.length).toBe(0);
  });

  it("DescribeAcls: a filter with an UNKNOWN part is INVALID_REQUEST", () => {
    const r = describedAs("User:admin", 3, aclFilter(0, null, ANY, null));
    expect(r.errorCode).toBe(INVALID_REQUEST);
    expect(r.errorMessage!).toBe("the filter's resource type is UNKNOWN");
  });

  it("CreateAcls: ALTER on the cluster, then every creation answered SECURITY_DISABLED (v1, v3)", () => {
    const r = new CreateAclsRequestData();
    r.creations = [new AclCreation(), new AclCreation()];
    const admin = changetype<CreateAclsResponseData>(refusedFor("User:admin", 30, 3, r));
    expect(admin.results.length).toBe(2);
    expect(admin.results[1].errorCode).toBe(SECURITY_DISABLED);
    const v1 = changetype<CreateAclsResponseData>(refusedFor("User:bob", 30, 1, r));
    expect(v1.results.length).toBe(2);
    expect(v1.results[1].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(changetype<CreateAclsResponseData>(refusedFor("User:bob", 30, 3, r)).results[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("DeleteAcls: ALTER on the cluster, then every filter answered SECURITY_DISABLED (v1, v3)", () => {
    const r = new DeleteAclsRequestData();
    r.filters = [new DeleteAclsFilter()];
    expect(changetype<DeleteAclsResponseData>(refusedFor("User:admin", 31, 1, r)).filterResults[0].errorCode).toBe(SECURITY_DISABLED);
    expect(changetype<DeleteAclsResponseData>(refusedFor("User:bob", 31, 1, r)).filterResults[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(changetype<DeleteAclsResponseData>(refusedFor("User:bob", 31, 3, r)).filterResults[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });
});

describe("delegation tokens", () => {
  it("CreateDelegationToken: a principal's own token needs no ACL (v1, v3)", () => {
    expect(run(policyOf(POLICY), session("User:bob"), 38, 1, createToken(null, null), ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(policyOf(POLICY), session("User:bob"), 38, 3, createToken("User", "bob"), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("CreateDelegationToken: a token for another owner needs CREATE_TOKENS on that user (v3)", () => {
    expect(run(policyOf(POLICY), session("User:alice"), 38, 3, createToken("User", "svc"), ctxs).kind).toBe(VerdictKind.Pass);
    const resp = changetype<CreateDelegationTokenResponseData>(refusedFor("User:alice", 38, 3, createToken("User", "root")));
    expect(resp.errorCode).toBe(DELEGATION_TOKEN_AUTHORIZATION_FAILED);
    expect(resp.principalName).toBe("root");
    expect(resp.tokenRequesterPrincipalName).toBe("alice");
  });

  // Kafka compares KafkaPrincipals, type and name apart: joined, the owner ("User:x", "y") is
  // the string of the principal User named "x:y", and needed no ACL.
  it("CreateDelegationToken: the owner is the requester only when type and name are the requester's, compared apart (v3)", () => {
    const resp = changetype<CreateDelegationTokenResponseData>(refusedFor("User:x:y", 38, 3, createToken("User:x", "y")));
    expect(resp.errorCode).toBe(DELEGATION_TOKEN_AUTHORIZATION_FAILED);
    expect(run(policyOf(POLICY), session("User:x:y"), 38, 3, createToken("User", "x:y"), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("Renew and Expire: no ACL (the controller checks the token), unless refused as a whole", () => {
    expect(run(policyOf(POLICY), session("User:bob"), 39, 1, new RenewDelegationTokenRequestData(), ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(policyOf(POLICY), session("User:bob"), 40, 2, new ExpireDelegationTokenRequestData(), ctxs).kind).toBe(VerdictKind.Pass);
    expect(changetype<RenewDelegationTokenResponseData>(forced(39, 2, new RenewDelegationTokenRequestData())).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("DescribeDelegationToken: the broker's answer is cut to the tokens the principal may see (v3)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 41, 3, new DescribeDelegationTokenRequestData(), ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
    const broker = new DescribeDelegationTokenResponseData();
    broker.tokens = [
      token("own", "alice", "alice", null),
      token("requested", "svc", "alice", null),
      token("renewable", "svc", "svc", "alice"),
      token("team", "team", "team", null),
      token("hidden", "root", "root", null),
    ];
    expect(rewriteResponse(lastCtx(), 41, 3, broker)).toBe(true);
    expect(broker.tokens.length).toBe(4);
    expect(broker.tokens[3].tokenId).toBe("team");
  });

  it("DescribeDelegationToken: before v3 the requester is unknown and does not count (v1)", () => {
    run(policyOf(POLICY), session("User:alice"), 41, 1, new DescribeDelegationTokenRequestData(), ctxs);
    const broker = new DescribeDelegationTokenResponseData();
    broker.tokens = [token("requested", "svc", "alice", null)];
    expect(rewriteResponse(lastCtx(), 41, 1, broker)).toBe(true);
    expect(broker.tokens.length).toBe(0);
  });
});

describe("DescribeCluster", () => {
  it("passes without any ACL (v0, v2)", () => {
    expect(run(policyOf(POLICY), session("User:bob"), 60, 0, new DescribeClusterRequestData(), ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(policyOf(POLICY), session("User:bob"), 60, 2, new DescribeClusterRequestData(), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("is refused with its top-level error under limits.apis", () => {
    expect(changetype<DescribeClusterResponseData>(forced(60, 2, new DescribeClusterRequestData())).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });
});

describe("InitProducerId", () => {
  it("passes a transactional producer with WRITE on its transactional id (v0)", () => {
    expect(run(policyOf(POLICY), session("User:alice"), 22, 0, initProducerId("tx.1"), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("refuses a transactional id without WRITE, with no producer id (v6)", () => {
    const resp = changetype<InitProducerIdResponseData>(refusedFor("User:bob", 22, 6, initProducerId("tx.1")));
    expect(resp.errorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(resp.producerId).toBe(-1);
    expect(resp.producerEpoch).toBe(-1);
  });

  it("needs TWO_PHASE_COMMIT on the transactional id to enable 2PC (v6)", () => {
    const r = initProducerId("tx.1");
    r.enable2Pc = true;
    expect(changetype<InitProducerIdResponseData>(refusedFor("User:alice", 22, 6, r)).errorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it("passes an idempotent producer with IDEMPOTENT_WRITE on the cluster", () => {
    expect(asAdmin(22, 4, initProducerId(null))).toBe(VerdictKind.Pass);
  });

  it("refuses an idempotent producer that may write no topic with CLUSTER_AUTHORIZATION_FAILED (v0)", () => {
    expect(changetype<InitProducerIdResponseData>(refusedFor("User:bob", 22, 0, initProducerId(null))).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });

  it("passes an idempotent producer allowed to WRITE some topic, as authorizeByResourceType decides", () => {
    const prefixed = aclPolicy(topicWrite("PREFIXED", "orders.", "ALLOW"));
    expect(run(prefixed, session("User:alice"), 22, 4, initProducerId(null), ctxs).kind).toBe(VerdictKind.Pass);
    const literal = aclPolicy(topicWrite("LITERAL", "orders.eu", "ALLOW") + "," + topicWrite("PREFIXED", "pay", "DENY"));
    expect(run(literal, session("User:alice"), 22, 4, initProducerId(null), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("refuses an idempotent producer whose WRITE ACLs are all covered by DENYs", () => {
    const covered = aclPolicy(topicWrite("PREFIXED", "orders.eu", "ALLOW") + "," + topicWrite("PREFIXED", "orders.", "DENY"));
    expect(changetype<InitProducerIdResponseData>(respondedBody(run(covered, session("User:alice"), 22, 4, initProducerId(null), ctxs), 22, 4)).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    const wildcardDeny = aclPolicy(topicWrite("LITERAL", "*", "ALLOW") + "," + topicWrite("LITERAL", "*", "DENY"));
    expect(run(wildcardDeny, session("User:alice"), 22, 4, initProducerId(null), ctxs).kind).toBe(VerdictKind.Respond);
    const sameLiteral = aclPolicy(topicWrite("LITERAL", "orders.eu", "ALLOW") + "," + topicWrite("LITERAL", "orders.eu", "DENY"));
    expect(run(sameLiteral, session("User:alice"), 22, 4, initProducerId(null), ctxs).kind).toBe(VerdictKind.Respond);
  });

  it("passes an idempotent producer when no ACL applies and allowEveryoneIfNoAclFound is set", () => {
    expect(run(policyOf(`{"allowEveryoneIfNoAclFound": true}`), session("User:bob"), 22, 4, initProducerId(null), ctxs).kind).toBe(VerdictKind.Pass);
  });
});

describe("AddPartitionsToTxn", () => {
  it("passes allowed topics untouched (v0)", () => {
    const allowAll = aclPolicy(`{"principal": "User:alice", "resourceType": "TRANSACTIONAL_ID", "resourceName": "tx.1", "operation": "WRITE", "permissionType": "ALLOW"},` + topicWrite("PREFIXED", "orders.", "ALLOW"));
    expect(run(allowAll, session("User:alice"), 24, 0, addPartitionsV3("tx.1", ["orders.eu"]), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("fails every partition when the transactional id is refused (v0)", () => {
    const resp = changetype<AddPartitionsToTxnResponseData>(refusedFor("User:bob", 24, 0, addPartitionsV3("tx.1", ["orders.eu", "payments"])));
    expect(resp.resultsByTopicV3AndBelow.length).toBe(2);
    expect(resp.resultsByTopicV3AndBelow[1].resultsByPartition[1].partitionErrorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it("adds no partition when one topic is refused: the others OPERATION_NOT_ATTEMPTED (v3)", () => {
    const p = aclPolicy(`{"principal": "User:alice", "resourceType": "TRANSACTIONAL_ID", "resourceName": "tx.1", "operation": "WRITE", "permissionType": "ALLOW"},` + topicWrite("LITERAL", "*", "ALLOW"));
    const v = run(p, session("User:alice"), 24, 3, addPartitionsV3("tx.1", ["orders.eu", "__consumer_offsets"]), ctxs);
    const resp = changetype<AddPartitionsToTxnResponseData>(respondedBody(v, 24, 3));
    expect(resp.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(OPERATION_NOT_ATTEMPTED);
    expect(resp.resultsByTopicV3AndBelow[1].name).toBe("__consumer_offsets");
    expect(resp.resultsByTopicV3AndBelow[1].resultsByPartition[0].partitionErrorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });

  it("needs CLUSTER_ACTION for the brokers' batches (v4, v5)", () => {
    const r = new AddPartitionsToTxnRequestData();
    const t = new AddPartitionsToTxnTransaction();
    t.transactionalId = "tx.1";
    r.transactions.push(t);
    expect(asAdmin(24, 5, r)).toBe(VerdictKind.Pass);
    expect(changetype<AddPartitionsToTxnResponseData>(refusedFor("User:alice", 24, 4, r)).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(changetype<AddPartitionsToTxnResponseData>(refusedFor("User:alice", 24, 5, r)).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });
});

describe("AddOffsetsToTxn and EndTxn", () => {
  it("AddOffsetsToTxn: WRITE on the transactional id, then READ on the group (v0, v4)", () => {
    const r = new AddOffsetsToTxnRequestData();
    r.transactionalId = "tx.1";
    r.groupId = "app.g1";
    expect(run(policyOf(POLICY), session("User:alice"), 25, 0, r, ctxs).kind).toBe(VerdictKind.Pass);
    expect(changetype<AddOffsetsToTxnResponseData>(refusedFor("User:bob", 25, 4, r)).errorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    r.groupId = "other";
    expect(changetype<AddOffsetsToTxnResponseData>(refusedFor("User:alice", 25, 0, r)).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("EndTxn: WRITE on the transactional id (v0, v5)", () => {
    const r = new EndTxnRequestData();
    r.transactionalId = "tx.1";
    expect(run(policyOf(POLICY), session("User:alice"), 26, 5, r, ctxs).kind).toBe(VerdictKind.Pass);
    expect(changetype<EndTxnResponseData>(refusedFor("User:bob", 26, 0, r)).errorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(changetype<EndTxnResponseData>(refusedFor("User:bob", 26, 5, r)).errorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });
});

describe("TxnOffsetCommit", () => {
  it("passes an allowed transactional id, group and topics (v0)", () => {
    expect(run(policyOf(POLICY), session("User:alice"), 28, 0, txnOffsetCommit("tx.1", "app.g1", ["orders.eu"]), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("fails every partition when the transactional id or the group is refused", () => {
    const byTxn = changetype<TxnOffsetCommitResponseData>(refusedFor("User:bob", 28, 3, txnOffsetCommit("tx.1", "app.g1", ["orders.eu"])));
    expect(byTxn.topics[0].partitions[0].errorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const byGroup = changetype<TxnOffsetCommitResponseData>(refusedFor("User:alice", 28, 0, txnOffsetCommit("tx.1", "other", ["orders.eu"])));
    expect(byGroup.topics[0].partitions[0].partitionIndex).toBe(7);
    expect(byGroup.topics[0].partitions[0].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("forwards allowed topics and adds the refused ones to the broker's answer (v5)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 28, 5, txnOffsetCommit("tx.1", "app.g1", ["orders.eu", "payments"]), ctxs);
    expect(changetype<TxnOffsetCommitRequestData>(forwardedBody(v)).topics.length).toBe(1);
    const broker = new TxnOffsetCommitResponseData();
    const t = new TxnOffsetCommitResponseTopic();
    t.name = "orders.eu";
    broker.topics.push(t);
    expect(rewriteResponse(lastCtx(), 28, 5, broker)).toBe(true);
    expect(broker.topics[1].name).toBe("payments");
    expect(broker.topics[1].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });

  it("answers topics named by an unseen id with UNKNOWN_TOPIC_ID (v6)", () => {
    const resp = changetype<TxnOffsetCommitResponseData>(refusedFor("User:alice", 28, 6, txnOffsetCommit("tx.1", "app.g1", [""])));
    expect(resp.topics[0].partitions[0].errorCode).toBe(100);
  });
});

describe("DescribeTransactions", () => {
  it("splits transactional ids and cuts undescribable topics from the broker's answer", () => {
    const r = new DescribeTransactionsRequestData();
    r.transactionalIds = ["tx.1", "other"];
    const v = run(policyOf(POLICY), session("User:alice"), 65, 0, r, ctxs);
    expect(changetype<DescribeTransactionsRequestData>(forwardedBody(v)).transactionalIds).toStrictEqual(["tx.1"]);
    const broker = new DescribeTransactionsResponseData();
    const state = new DescribedTransaction();
    state.transactionalId = "tx.1";
    const a = new TopicData();
    a.topic = "orders.eu";
    const b = new TopicData();
    b.topic = "payments";
    state.topics = [a, b];
    broker.transactionStates.push(state);
    expect(rewriteResponse(lastCtx(), 65, 0, broker)).toBe(true);
    expect(broker.transactionStates[0].topics.length).toBe(1);
    expect(broker.transactionStates[1].transactionalId).toBe("other");
    expect(broker.transactionStates[1].errorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it("passes describable ids and answers refused ones without the broker", () => {
    const r = new DescribeTransactionsRequestData();
    r.transactionalIds = ["tx.1"];
    expect(run(policyOf(POLICY), session("User:alice"), 65, 0, r, ctxs).kind).toBe(VerdictKind.Pass);
    const resp = changetype<DescribeTransactionsResponseData>(refusedFor("User:bob", 65, 0, r));
    expect(resp.transactionStates[0].errorCode).toBe(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });
});

describe("ListTransactions", () => {
  it("cuts the broker's list to the transactional ids the principal may describe (v0, v2)", () => {
    expect(run(policyOf(POLICY), session("User:alice"), 66, 0, new ListTransactionsRequestData(), ctxs).kind).toBe(VerdictKind.Pass);
    run(policyOf(POLICY), session("User:alice"), 66, 2, new ListTransactionsRequestData(), ctxs);
    const broker = new ListTransactionsResponseData();
    const a = new ListedTransaction();
    a.transactionalId = "tx.1";
    const b = new ListedTransaction();
    b.transactionalId = "other";
    broker.transactionStates = [a, b];
    expect(rewriteResponse(lastCtx(), 66, 2, broker)).toBe(true);
    expect(broker.transactionStates.length).toBe(1);
    expect(broker.transactionStates[0].transactionalId).toBe("tx.1");
  });

  it("is refused with its top-level error under limits.apis", () => {
    expect(changetype<ListTransactionsResponseData>(forced(66, 0, new ListTransactionsRequestData())).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });
});

// Every API key routed to groups.ts, transactions.ts and cluster.ts.
const SWEPT_APIS: StaticArray<i16> = [
  8, 9, 10, 11, 12, 13, 14, 15, 16, 22, 24, 25, 26, 27, 28, 29, 30, 31, 34, 35, 38, 39, 40, 41, 42, 43, 45, 46,
  47, 48, 49, 50, 51, 55, 57, 60, 65, 66, 68, 69, 76, 77, 78, 79, 88, 89, 90, 91, 92, 93,
];

/** Runs a default request; a synthesized answer must decode, a rewrite must not trap. */
function sweep(ctx: RequestContext, wholeCode: i16): void {
  const v = wholeCode != 0 ? denyWholeRequest(ctx, "swept", wholeCode) : authorize(ctx);
  if (v.kind == VerdictKind.Respond) respondedBody(v, ctx.apiKey, ctx.version);
  const response = newResponse(ctx.apiKey);
  if (response != null) rewriteResponse(ctx, ctx.apiKey, ctx.version, response);
}

describe("every API of groups.ts, transactions.ts and cluster.ts", () => {
  it("answers a default request at every version, allowed, refused or refused as a whole, without trapping", () => {
    let runs = 0;
    for (let i = 0; i < SWEPT_APIS.length; i++) {
      const apiKey = SWEPT_APIS[i];
      for (let version = minVersion(apiKey); version <= maxVersion(apiKey); version++) {
        const body = newRequest(apiKey);
        if (body == null) continue;
        sweep(contextFor(policyOf(POLICY), session("User:admin"), apiKey, version, body), 0);
        sweep(contextFor(policyOf(POLICY), session("User:bob"), apiKey, version, body), 0);
        sweep(contextFor(policyOf(POLICY), session("User:bob"), apiKey, version, body), CLUSTER_AUTHORIZATION_FAILED);
        runs += 3;
      }
    }
    expect(runs).toBeGreaterThan(400);
  });
});
