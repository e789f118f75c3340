// Group APIs under the policy (apis/groups.ts): allowed requests pass untouched, refused groups
// and topics are answered in each API's own response at the request's version, batches are
// split, listings and fetches of everything are cut to what the principal may describe.

import { Message } from "../../assembly/protocol/message";
import { Uuid } from "../../assembly/protocol/uuid";
import { VerdictKind } from "../../assembly/filter/seam";
import { RequestContext } from "../../assembly/enforce/context";
import { Session } from "../../assembly/enforce/session";
import { denyWholeRequest } from "../../assembly/enforce/apis/authorize";
import { learnTopicId } from "../../assembly/enforce/topic-ids";
import { learnPartitionCount, partitionCountsWanted, freshPartitionCount } from "../../assembly/enforce/topic-partitions";
import { learnTopology } from "../../assembly/enforce/streams-topologies";
import { nowNs } from "../../assembly/runtime/host";
import { OffsetCommitRequestData, OffsetCommitRequestTopic, OffsetCommitRequestPartition } from "../../assembly/messages/OffsetCommitRequest";
import { OffsetCommitResponseData, OffsetCommitResponseTopic } from "../../assembly/messages/OffsetCommitResponse";
import { OffsetFetchRequestData, OffsetFetchRequestTopic, OffsetFetchRequestTopics, OffsetFetchRequestGroup } from "../../assembly/messages/OffsetFetchRequest";
import { OffsetFetchResponseData, OffsetFetchResponseTopic, OffsetFetchResponseTopics, OffsetFetchResponseGroup } from "../../assembly/messages/OffsetFetchResponse";
import { FindCoordinatorRequestData } from "../../assembly/messages/FindCoordinatorRequest";
import { FindCoordinatorResponseData, Coordinator } from "../../assembly/messages/FindCoordinatorResponse";
import { JoinGroupRequestData } from "../../assembly/messages/JoinGroupRequest";
import { JoinGroupResponseData } from "../../assembly/messages/JoinGroupResponse";
import { HeartbeatRequestData } from "../../assembly/messages/HeartbeatRequest";
import { HeartbeatResponseData } from "../../assembly/messages/HeartbeatResponse";
import { LeaveGroupRequestData } from "../../assembly/messages/LeaveGroupRequest";
import { LeaveGroupResponseData } from "../../assembly/messages/LeaveGroupResponse";
import { SyncGroupRequestData } from "../../assembly/messages/SyncGroupRequest";
import { SyncGroupResponseData } from "../../assembly/messages/SyncGroupResponse";
import { DescribeGroupsRequestData } from "../../assembly/messages/DescribeGroupsRequest";
import { DescribeGroupsResponseData, DescribedGroup } from "../../assembly/messages/DescribeGroupsResponse";
import { ListGroupsRequestData } from "../../assembly/messages/ListGroupsRequest";
import { ListGroupsResponseData, ListedGroup } from "../../assembly/messages/ListGroupsResponse";
import { DeleteGroupsRequestData } from "../../assembly/messages/DeleteGroupsRequest";
import { DeleteGroupsResponseData, DeletableGroupResult } from "../../assembly/messages/DeleteGroupsResponse";
import { OffsetDeleteRequestData, OffsetDeleteRequestTopic, OffsetDeleteRequestPartition } from "../../assembly/messages/OffsetDeleteRequest";
import { OffsetDeleteResponseData, OffsetDeleteResponseTopic } from "../../assembly/messages/OffsetDeleteResponse";
import { ConsumerGroupHeartbeatRequestData } from "../../assembly/messages/ConsumerGroupHeartbeatRequest";
import {
  ConsumerGroupHeartbeatResponseData, Assignment as HeartbeatAssignment, TopicPartitions as HeartbeatTopicPartitions,
} from "../../assembly/messages/ConsumerGroupHeartbeatResponse";
import { ConsumerGroupDescribeRequestData } from "../../assembly/messages/ConsumerGroupDescribeRequest";
import {
  ConsumerGroupDescribeResponseData, DescribedGroup as ConsumerGroup, Member as ConsumerMember,
  TopicPartitions as ConsumerTopicPartitions,
} from "../../assembly/messages/ConsumerGroupDescribeResponse";
import { ShareGroupHeartbeatRequestData } from "../../assembly/messages/ShareGroupHeartbeatRequest";
import {
  ShareGroupHeartbeatResponseData, Assignment as ShareHeartbeatAssignment, TopicPartitions as ShareHeartbeatTopicPartitions,
} from "../../assembly/messages/ShareGroupHeartbeatResponse";
import { ShareGroupDescribeRequestData } from "../../assembly/messages/ShareGroupDescribeRequest";
import {
  ShareGroupDescribeResponseData, DescribedGroup as ShareGroup, Member as ShareMember, TopicPartitions as ShareTopicPartitions,
} from "../../assembly/messages/ShareGroupDescribeResponse";
import { ShareFetchRequestData, FetchTopic, FetchPartition, AcknowledgementBatch } from "../../assembly/messages/ShareFetchRequest";
import { ShareFetchResponseData } from "../../assembly/messages/ShareFetchResponse";
import { ShareAcknowledgeRequestData, AcknowledgeTopic, AcknowledgePartition } from "../../assembly/messages/ShareAcknowledgeRequest";
import { ShareAcknowledgeResponseData } from "../../assembly/messages/ShareAcknowledgeResponse";
import {
  DescribeShareGroupOffsetsRequestData, DescribeShareGroupOffsetsRequestGroup, DescribeShareGroupOffsetsRequestTopic,
} from "../../assembly/messages/DescribeShareGroupOffsetsRequest";
import {
  DescribeShareGroupOffsetsResponseData, DescribeShareGroupOffsetsResponseGroup, DescribeShareGroupOffsetsResponseTopic,
} from "../../assembly/messages/DescribeShareGroupOffsetsResponse";
import { AlterShareGroupOffsetsRequestData, AlterShareGroupOffsetsRequestTopic, AlterShareGroupOffsetsRequestPartition } from "../../assembly/messages/AlterShareGroupOffsetsRequest";
import { AlterShareGroupOffsetsResponseData } from "../../assembly/messages/AlterShareGroupOffsetsResponse";
import { DeleteShareGroupOffsetsRequestData, DeleteShareGroupOffsetsRequestTopic } from "../../assembly/messages/DeleteShareGroupOffsetsRequest";
import { DeleteShareGroupOffsetsResponseData } from "../../assembly/messages/DeleteShareGroupOffsetsResponse";
import { StreamsGroupHeartbeatRequestData, Topology, Subtopology, TopicInfo, KeyValue } from "../../assembly/messages/StreamsGroupHeartbeatRequest";
import {
  StreamsGroupHeartbeatResponseData, EndpointToPartitions, TopicPartition as EndpointTopicPartition,
} from "../../assembly/messages/StreamsGroupHeartbeatResponse";
import { StreamsGroupDescribeRequestData } from "../../assembly/messages/StreamsGroupDescribeRequest";
import {
  StreamsGroupDescribeResponseData, DescribedGroup as StreamsGroup, Topology as DescribedTopology,
  Subtopology as DescribedSubtopology, TopologyDescription, TopologyDescriptionGlobalStore,
} from "../../assembly/messages/StreamsGroupDescribeResponse";
import { StreamsGroupTopologyDescriptionUpdateRequestData } from "../../assembly/messages/StreamsGroupTopologyDescriptionUpdateRequest";
import { StreamsGroupTopologyDescriptionUpdateResponseData } from "../../assembly/messages/StreamsGroupTopologyDescriptionUpdateResponse";
import { policyOf, session, run, contextFor, respondedBody, forwardedBody, rewriteResponse, rewriteFromBytes } from "./support/enforce";

// alice: READ and DELETE on groups "app.*", READ on topics "orders.*" (both imply DESCRIBE).
// ops: DESCRIBE on the cluster (lists every group). bob: nothing.
const POLICY = `{"acls": [
  {"principal": "User:alice", "resourceType": "GROUP", "resourceName": "app.", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:alice", "resourceType": "GROUP", "resourceName": "app.", "resourcePatternType": "PREFIXED", "operation": "DELETE", "permissionType": "ALLOW"},
  {"principal": "User:alice", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:ops", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "DESCRIBE", "permissionType": "ALLOW"}]}`;

const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
const GROUP_AUTHORIZATION_FAILED: i16 = 30;
const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;
const UNKNOWN_TOPIC_ID: i16 = 100;

// Topic ids as a Metadata response would have taught them.
const ORDERS_ID = new Uuid(1, 1);
const PAYMENTS_ID = new Uuid(2, 2);
const UNSEEN_ID = new Uuid(9, 9);
learnTopicId(ORDERS_ID, "orders.eu");
learnTopicId(PAYMENTS_ID, "payments");

const ctxs = new Array<RequestContext>();

function alice(apiKey: i16, version: i16, body: Message): RequestContext {
  return contextFor(policyOf(POLICY), session("User:alice"), apiKey, version, body);
}

function lastCtx(): RequestContext { return ctxs[ctxs.length - 1]; }

// --- request builders ------------------------------------------------------------------

function offsetCommit(group: string, names: Array<string>, ids: Array<Uuid>): OffsetCommitRequestData {
  const r = new OffsetCommitRequestData();
  r.groupId = group;
  for (let i = 0; i < names.length; i++) {
    const t = new OffsetCommitRequestTopic();
    t.name = names[i];
    t.topicId = ids[i];
    const p = new OffsetCommitRequestPartition();
    p.partitionIndex = 3;
    t.partitions.push(p);
    r.topics.push(t);
  }
  return r;
}

function fetchTopicsV1(names: Array<string>): Array<OffsetFetchRequestTopic> {
  const topics = new Array<OffsetFetchRequestTopic>();
  for (let i = 0; i < names.length; i++) {
    const t = new OffsetFetchRequestTopic();
    t.name = names[i];
    t.partitionIndexes = [0, 1];
    topics.push(t);
  }
  return topics;
}

function offsetFetchV1(group: string, topics: Array<OffsetFetchRequestTopic> | null): OffsetFetchRequestData {
  const r = new OffsetFetchRequestData();
  r.groupId = group;
  r.topics = topics;
  return r;
}

function fetchGroup(group: string, names: Array<string> | null, ids: Array<Uuid> | null = null): OffsetFetchRequestGroup {
  const g = new OffsetFetchRequestGroup();
  g.groupId = group;
  if (names == null) {
    g.topics = null;
    return g;
  }
  const topics = new Array<OffsetFetchRequestTopics>();
  for (let i = 0; i < names.length; i++) {
    const t = new OffsetFetchRequestTopics();
    t.name = names[i];
    if (ids != null) t.topicId = ids[i];
    t.partitionIndexes = [0];
    topics.push(t);
  }
  g.topics = topics;
  return g;
}

function findCoordinator(keyType: i8, keys: Array<string>): FindCoordinatorRequestData {
  const r = new FindCoordinatorRequestData();
  r.keyType = keyType;
  r.key = keys[0];
  r.coordinatorKeys = keys;
  return r;
}

function describeGroups(groups: Array<string>): DescribeGroupsRequestData {
  const r = new DescribeGroupsRequestData();
  r.groups = groups;
  return r;
}

function offsetDelete(group: string, names: Array<string>): OffsetDeleteRequestData {
  const r = new OffsetDeleteRequestData();
  r.groupId = group;
  for (let i = 0; i < names.length; i++) {
    const t = new OffsetDeleteRequestTopic();
    t.name = names[i];
    const p = new OffsetDeleteRequestPartition();
    p.partitionIndex = 1;
    t.partitions.push(p);
    r.topics.push(t);
  }
  return r;
}

function consumerHeartbeat(group: string, topics: Array<string> | null): ConsumerGroupHeartbeatRequestData {
  const r = new ConsumerGroupHeartbeatRequestData();
  r.groupId = group;
  r.memberId = "m1";
  r.subscribedTopicNames = topics;
  return r;
}

function shareFetch(group: string | null, ids: Array<Uuid>): ShareFetchRequestData {
  const r = new ShareFetchRequestData();
  r.groupId = group;
  r.memberId = "m1";
  for (let i = 0; i < ids.length; i++) {
    const t = new FetchTopic();
    t.topicId = ids[i];
    const p = new FetchPartition();
    p.partitionIndex = 2;
    const b = new AcknowledgementBatch();
    b.acknowledgeTypes = [1];
    p.acknowledgementBatches.push(b);
    t.partitions.push(p);
    r.topics.push(t);
  }
  return r;
}

function shareAcknowledge(group: string, ids: Array<Uuid>): ShareAcknowledgeRequestData {
  const r = new ShareAcknowledgeRequestData();
  r.groupId = group;
  r.memberId = "m1";
  for (let i = 0; i < ids.length; i++) {
    const t = new AcknowledgeTopic();
    t.topicId = ids[i];
    const p = new AcknowledgePartition();
    p.partitionIndex = 4;
    t.partitions.push(p);
    r.topics.push(t);
  }
  return r;
}

function shareOffsetsGroup(group: string, names: Array<string> | null): DescribeShareGroupOffsetsRequestGroup {
  const g = new DescribeShareGroupOffsetsRequestGroup();
  g.groupId = group;
  if (names == null) {
    g.topics = null;
    return g;
  }
  const topics = new Array<DescribeShareGroupOffsetsRequestTopic>();
  for (let i = 0; i < names.length; i++) {
    const t = new DescribeShareGroupOffsetsRequestTopic();
    t.topicName = names[i];
    t.partitions = [0];
    topics.push(t);
  }
  g.topics = topics;
  return g;
}

function streamsHeartbeat(group: string, source: string, changelog: string): StreamsGroupHeartbeatRequestData {
  const r = new StreamsGroupHeartbeatRequestData();
  r.groupId = group;
  r.memberId = "m1";
  const topology = new Topology();
  const sub = new Subtopology();
  sub.subtopologyId = "0";
  sub.sourceTopics = [source];
  sub.stateChangelogTopics.push(topicInfo(changelog, 0, 0));
  topology.subtopologies.push(sub);
  r.topology = topology;
  return r;
}

function topicInfo(name: string, partitions: i32, replicationFactor: i16): TopicInfo {
  const info = new TopicInfo();
  info.name = name;
  info.partitions = partitions;
  info.replicationFactor = replicationFactor;
  return info;
}

/** A join with a topology: `source` read, repartitioned through `repartition`, a store logged to `changelog`. */
function streamsJoin(group: string, source: string, repartition: TopicInfo, changelog: TopicInfo): StreamsGroupHeartbeatRequestData {
  const r = new StreamsGroupHeartbeatRequestData();
  r.groupId = group;
  r.memberId = "m1";
  const topology = new Topology();
  const first = new Subtopology();
  first.subtopologyId = "0";
  first.sourceTopics = [source];
  first.repartitionSinkTopics = [repartition.name];
  const second = new Subtopology();
  second.subtopologyId = "1";
  second.repartitionSourceTopics.push(repartition);
  second.stateChangelogTopics.push(changelog);
  topology.subtopologies = [first, second];
  r.topology = topology;
  return r;
}

function endpointWith(host: string, active: Array<string>, standby: Array<string>): EndpointToPartitions {
  const e = new EndpointToPartitions();
  e.userEndpoint.host = host;
  e.userEndpoint.port = 8080;
  for (let i = 0; i < active.length; i++) {
    const tp = new EndpointTopicPartition();
    tp.topic = active[i];
    tp.partitions = [0, 1];
    e.activePartitions.push(tp);
  }
  for (let i = 0; i < standby.length; i++) {
    const tp = new EndpointTopicPartition();
    tp.topic = standby[i];
    tp.partitions = [2];
    e.standbyPartitions.push(tp);
  }
  return e;
}

function topicNames(tps: Array<EndpointTopicPartition>): string {
  const names = new Array<string>();
  for (let i = 0; i < tps.length; i++) names.push(tps[i].topic);
  return names.join(",");
}

// --- response builders (what the broker would answer) ----------------------------------

function consumerGroupWith(group: string, topic: string): ConsumerGroup {
  const g = new ConsumerGroup();
  g.groupId = group;
  const m = new ConsumerMember();
  const tp = new ConsumerTopicPartitions();
  tp.topicName = topic;
  m.targetAssignment.topicPartitions.push(tp);
  g.members.push(m);
  return g;
}

function shareGroupWith(group: string, topic: string): ShareGroup {
  const g = new ShareGroup();
  g.groupId = group;
  const m = new ShareMember();
  const tp = new ShareTopicPartitions();
  tp.topicName = topic;
  m.assignment.topicPartitions.push(tp);
  g.members.push(m);
  return g;
}

function streamsGroupWith(group: string, repartitionSink: string): StreamsGroup {
  const g = new StreamsGroup();
  g.groupId = group;
  const topology = new DescribedTopology();
  const sub = new DescribedSubtopology();
  sub.repartitionSinkTopics = [repartitionSink];
  topology.subtopologies = [sub];
  g.topology = topology;
  return g;
}

// ---------------------------------------------------------------------------------------

describe("OffsetCommit", () => {
  it("passes an allowed group and topic untouched (v2)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 8, 2, offsetCommit("app.g1", ["orders.eu"], [Uuid.ZERO]), ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
  });

  it("fails every partition with GROUP_AUTHORIZATION_FAILED when the group is refused (v10)", () => {
    const v = run(policyOf(POLICY), session("User:bob"), 8, 10, offsetCommit("app.g1", ["", ""], [ORDERS_ID, PAYMENTS_ID]), ctxs);
    const resp = changetype<OffsetCommitResponseData>(respondedBody(v, 8, 10));
    expect(resp.topics.length).toBe(2);
    expect(resp.topics[0].topicId.equals(ORDERS_ID)).toBe(true);
    expect(resp.topics[0].partitions[0].partitionIndex).toBe(3);
    expect(resp.topics[0].partitions[0].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    expect(resp.topics[1].partitions[0].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("forwards allowed topics and answers refused and unknown ids in the broker's response (v10)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 8, 10, offsetCommit("app.g1", ["", "", ""], [ORDERS_ID, PAYMENTS_ID, UNSEEN_ID]), ctxs);
    const fwd = changetype<OffsetCommitRequestData>(forwardedBody(v));
    expect(fwd.topics.length).toBe(1);
    expect(fwd.topics[0].topicId.equals(ORDERS_ID)).toBe(true);
    const broker = new OffsetCommitResponseData();
    const t = new OffsetCommitResponseTopic();
    t.topicId = ORDERS_ID;
    broker.topics.push(t);
    expect(rewriteResponse(lastCtx(), 8, 10, broker)).toBe(true);
    expect(broker.topics.length).toBe(3);
    expect(broker.topics[1].topicId.equals(PAYMENTS_ID)).toBe(true);
    expect(broker.topics[1].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.topics[2].partitions[0].errorCode).toBe(UNKNOWN_TOPIC_ID);
  });

  it("answers a commit whose topics are all refused without the broker (v2)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 8, 2, offsetCommit("app.g1", ["payments"], [Uuid.ZERO]), ctxs);
    const resp = changetype<OffsetCommitResponseData>(respondedBody(v, 8, 2));
    expect(resp.topics[0].name).toBe("payments");
    expect(resp.topics[0].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });

  it("refuses every partition with the whole-request code under limits.apis", () => {
    const ctx = alice(8, 10, offsetCommit("app.g1", [""], [ORDERS_ID]));
    const v = denyWholeRequest(ctx, "API not allowed by limits.apis", CLUSTER_AUTHORIZATION_FAILED);
    const resp = changetype<OffsetCommitResponseData>(respondedBody(v, 8, 10));
    expect(resp.topics[0].partitions[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });
});

describe("OffsetFetch", () => {
  it("passes an allowed group and topic untouched (v1)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 9, 1, offsetFetchV1("app.g1", fetchTopicsV1(["orders.eu"])), ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
  });

  it("puts a refused group's error on every partition at v1", () => {
    const v = run(policyOf(POLICY), session("User:bob"), 9, 1, offsetFetchV1("app.g1", fetchTopicsV1(["orders.eu"])), ctxs);
    const resp = changetype<OffsetFetchResponseData>(respondedBody(v, 9, 1));
    expect(resp.topics[0].partitions.length).toBe(2);
    expect(resp.topics[0].partitions[1].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    expect(resp.topics[0].partitions[1].committedOffset).toBe(-1);
  });

  it("answers a refused group with the top-level error at v7", () => {
    const v = run(policyOf(POLICY), session("User:bob"), 9, 7, offsetFetchV1("app.g1", null), ctxs);
    const resp = changetype<OffsetFetchResponseData>(respondedBody(v, 9, 7));
    expect(resp.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("adds refused topics to the broker's answer at v7", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 9, 7, offsetFetchV1("app.g1", fetchTopicsV1(["orders.eu", "payments"])), ctxs);
    const fwd = changetype<OffsetFetchRequestData>(forwardedBody(v));
    expect(fwd.topics!.length).toBe(1);
    const broker = new OffsetFetchResponseData();
    const t = new OffsetFetchResponseTopic();
    t.name = "orders.eu";
    broker.topics.push(t);
    expect(rewriteResponse(lastCtx(), 9, 7, broker)).toBe(true);
    expect(broker.topics.length).toBe(2);
    expect(broker.topics[1].name).toBe("payments");
    expect(broker.topics[1].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });

  it("cuts a fetch of all topics to those the principal may describe (v7)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 9, 7, offsetFetchV1("app.g1", null), ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
    const broker = new OffsetFetchResponseData();
    const a = new OffsetFetchResponseTopic();
    a.name = "orders.eu";
    const b = new OffsetFetchResponseTopic();
    b.name = "payments";
    broker.topics = [a, b];
    // From the answer's bytes: a topic to cut takes the decoded answer; once cut, it goes on as it is.
    expect(rewriteFromBytes(lastCtx(), 9, 7, broker)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 9, 7, broker)).toBe(true);
    expect(broker.topics.length).toBe(1);
    expect(broker.topics[0].name).toBe("orders.eu");
    expect(rewriteFromBytes(lastCtx(), 9, 7, broker)).toBe(<i32>VerdictKind.Pass);
  });

  it("splits a batch: refused groups and topics answered, fetches of all topics cut (v8)", () => {
    const req = new OffsetFetchRequestData();
    req.groups = [fetchGroup("app.g1", ["orders.eu", "payments"]), fetchGroup("other", ["orders.eu"]), fetchGroup("app.all", null)];
    const v = run(policyOf(POLICY), session("User:alice"), 9, 8, req, ctxs);
    const fwd = changetype<OffsetFetchRequestData>(forwardedBody(v));
    expect(fwd.groups.length).toBe(2);
    expect(fwd.groups[0].topics!.length).toBe(1);
    expect(fwd.groups[1].topics).toBeNull();

    const broker = new OffsetFetchResponseData();
    const g1 = new OffsetFetchResponseGroup();
    g1.groupId = "app.g1";
    const t1 = new OffsetFetchResponseTopics();
    t1.name = "orders.eu";
    g1.topics.push(t1);
    const all = new OffsetFetchResponseGroup();
    all.groupId = "app.all";
    const t2 = new OffsetFetchResponseTopics();
    t2.name = "orders.us";
    const t3 = new OffsetFetchResponseTopics();
    t3.name = "secret";
    all.topics = [t2, t3];
    broker.groups = [g1, all];
    // Refused entries to add: never from the bytes alone.
    expect(rewriteFromBytes(lastCtx(), 9, 8, broker)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 9, 8, broker)).toBe(true);
    expect(broker.groups.length).toBe(3);
    expect(broker.groups[0].topics.length).toBe(2);
    expect(broker.groups[0].topics[1].name).toBe("payments");
    expect(broker.groups[0].topics[1].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.groups[1].topics.length).toBe(1);
    expect(broker.groups[1].topics[0].name).toBe("orders.us");
    expect(broker.groups[2].groupId).toBe("other");
    expect(broker.groups[2].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("answers groups whose topics are all refused without the broker (v10, by id)", () => {
    const req = new OffsetFetchRequestData();
    req.groups = [fetchGroup("app.g1", ["", ""], [PAYMENTS_ID, UNSEEN_ID]), fetchGroup("other", null)];
    const v = run(policyOf(POLICY), session("User:alice"), 9, 10, req, ctxs);
    const resp = changetype<OffsetFetchResponseData>(respondedBody(v, 9, 10));
    expect(resp.groups.length).toBe(2);
    expect(resp.groups[0].groupId).toBe("other");
    expect(resp.groups[0].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    expect(resp.groups[1].groupId).toBe("app.g1");
    expect(resp.groups[1].topics[0].topicId.equals(PAYMENTS_ID)).toBe(true);
    expect(resp.groups[1].topics[0].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(resp.groups[1].topics[1].partitions[0].errorCode).toBe(UNKNOWN_TOPIC_ID);
  });

  it("cuts all-topics answers by id, dropping ids it cannot name (v10)", () => {
    const req = new OffsetFetchRequestData();
    req.groups = [fetchGroup("app.g1", null)];
    const v = run(policyOf(POLICY), session("User:alice"), 9, 10, req, ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
    const broker = new OffsetFetchResponseData();
    const g = new OffsetFetchResponseGroup();
    g.groupId = "app.g1";
    const a = new OffsetFetchResponseTopics();
    a.topicId = ORDERS_ID;
    const b = new OffsetFetchResponseTopics();
    b.topicId = PAYMENTS_ID;
    const c = new OffsetFetchResponseTopics();
    c.topicId = UNSEEN_ID;
    g.topics = [a, b, c];
    broker.groups.push(g);
    expect(rewriteFromBytes(lastCtx(), 9, 10, broker)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 9, 10, broker)).toBe(true);
    expect(broker.groups[0].topics.length).toBe(1);
    expect(broker.groups[0].topics[0].topicId.equals(ORDERS_ID)).toBe(true);
    // Every id named and describable: the broker's bytes go on.
    expect(rewriteFromBytes(lastCtx(), 9, 10, broker)).toBe(<i32>VerdictKind.Pass);
  });
});

describe("FindCoordinator", () => {
  it("passes a group the principal may describe (v0)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 10, 0, findCoordinator(0, ["app.g1"]), ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
  });

  it("answers a refused group with no node (v0)", () => {
    const v = run(policyOf(POLICY), session("User:bob"), 10, 0, findCoordinator(0, ["app.g1"]), ctxs);
    const resp = changetype<FindCoordinatorResponseData>(respondedBody(v, 10, 0));
    expect(resp.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    expect(resp.nodeId).toBe(-1);
  });

  it("answers a refused transactional id with TRANSACTIONAL_ID_AUTHORIZATION_FAILED (v3)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 10, 3, findCoordinator(1, ["tx.1"]), ctxs);
    const resp = changetype<FindCoordinatorResponseData>(respondedBody(v, 10, 3));
    expect(resp.errorCode).toBe(53);
    expect(resp.port).toBe(-1);
  });

  it("splits a batch of keys and adds the refused ones to the broker's answer (v6)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 10, 6, findCoordinator(0, ["app.g1", "other"]), ctxs);
    const fwd = changetype<FindCoordinatorRequestData>(forwardedBody(v));
    expect(fwd.coordinatorKeys.length).toBe(1);
    expect(fwd.coordinatorKeys[0]).toBe("app.g1");
    const broker = new FindCoordinatorResponseData();
    const c = new Coordinator();
    c.key = "app.g1";
    broker.coordinators.push(c);
    expect(rewriteResponse(lastCtx(), 10, 6, broker)).toBe(true);
    expect(broker.coordinators[1].key).toBe("other");
    expect(broker.coordinators[1].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    expect(broker.coordinators[1].nodeId).toBe(-1);
  });

  it("fails every share key without CLUSTER_ACTION on the cluster (v6)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 10, 6, findCoordinator(2, ["app.g1:t:0", "app.g1:t:1"]), ctxs);
    const resp = changetype<FindCoordinatorResponseData>(respondedBody(v, 10, 6));
    expect(resp.coordinators.length).toBe(2);
    expect(resp.coordinators[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(resp.coordinators[1].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });
});

describe("JoinGroup, Heartbeat, LeaveGroup, SyncGroup", () => {
  it("pass an allowed group untouched", () => {
    const join = new JoinGroupRequestData();
    join.groupId = "app.g1";
    expect(run(policyOf(POLICY), session("User:alice"), 11, 9, join, ctxs).kind).toBe(VerdictKind.Pass);
    const hb = new HeartbeatRequestData();
    hb.groupId = "app.g1";
    expect(run(policyOf(POLICY), session("User:alice"), 12, 0, hb, ctxs).kind).toBe(VerdictKind.Pass);
    const leave = new LeaveGroupRequestData();
    leave.groupId = "app.g1";
    expect(run(policyOf(POLICY), session("User:alice"), 13, 5, leave, ctxs).kind).toBe(VerdictKind.Pass);
    const sync = new SyncGroupRequestData();
    sync.groupId = "app.g1";
    expect(run(policyOf(POLICY), session("User:alice"), 14, 0, sync, ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("answers a refused JoinGroup as Kafka does: no generation, null protocol from v7", () => {
    const join = new JoinGroupRequestData();
    join.groupId = "app.g1";
    const v9 = changetype<JoinGroupResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 11, 9, join, ctxs), 11, 9));
    expect(v9.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    expect(v9.generationId).toBe(-1);
    expect(v9.protocolName).toBeNull();
    const v0 = changetype<JoinGroupResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 11, 0, join, ctxs), 11, 0));
    expect(v0.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("answers refused Heartbeat, LeaveGroup and SyncGroup with their top-level error", () => {
    const hb = new HeartbeatRequestData();
    hb.groupId = "app.g1";
    expect(changetype<HeartbeatResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 12, 4, hb, ctxs), 12, 4)).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const leave = new LeaveGroupRequestData();
    leave.groupId = "app.g1";
    expect(changetype<LeaveGroupResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 13, 0, leave, ctxs), 13, 0)).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const sync = new SyncGroupRequestData();
    sync.groupId = "app.g1";
    sync.protocolType = "consumer";
    sync.protocolName = "range";
    expect(changetype<SyncGroupResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 14, 5, sync, ctxs), 14, 5)).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });
});

describe("DescribeGroups", () => {
  it("passes describable groups untouched (v0)", () => {
    expect(run(policyOf(POLICY), session("User:alice"), 15, 0, describeGroups(["app.g1", "app.g2"]), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("splits a batch and adds an error entry per refused group (v6)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 15, 6, describeGroups(["app.g1", "other"]), ctxs);
    expect(changetype<DescribeGroupsRequestData>(forwardedBody(v)).groups).toStrictEqual(["app.g1"]);
    const broker = new DescribeGroupsResponseData();
    const g = new DescribedGroup();
    g.groupId = "app.g1";
    broker.groups.push(g);
    expect(rewriteResponse(lastCtx(), 15, 6, broker)).toBe(true);
    expect(broker.groups[1].groupId).toBe("other");
    expect(broker.groups[1].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("writes a described group's authorized operations as the policy decides them, when asked (v3+)", () => {
    const req = describeGroups(["app.g1"]);
    req.includeAuthorizedOperations = true;
    expect(run(policyOf(POLICY), session("User:alice"), 15, 5, req, ctxs).kind).toBe(VerdictKind.Pass);
    const broker = new DescribeGroupsResponseData();
    const g = new DescribedGroup();
    g.groupId = "app.g1";
    g.authorizedOperations = 0xc58; // READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS: a broker without an authorizer
    broker.groups.push(g);
    expect(rewriteResponse(lastCtx(), 15, 5, broker)).toBe(true);
    // alice may READ (implying DESCRIBE) and DELETE app.*, nothing else.
    expect(broker.groups[0].authorizedOperations).toBe((1 << 3) | (1 << 8) | (1 << 6));
    // Not asked: nothing to rewrite.
    expect(run(policyOf(POLICY), session("User:alice"), 15, 5, describeGroups(["app.g1"]), ctxs).kind).toBe(VerdictKind.Pass);
    expect(lastCtx().after).toBeNull();
  });

  it("answers a batch of refused groups without the broker (v0)", () => {
    const v = run(policyOf(POLICY), session("User:bob"), 15, 0, describeGroups(["app.g1", "app.g2"]), ctxs);
    const resp = changetype<DescribeGroupsResponseData>(respondedBody(v, 15, 0));
    expect(resp.groups.length).toBe(2);
    expect(resp.groups[1].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("refuses every group with the whole-request code under limits.apis", () => {
    const ctx = alice(15, 6, describeGroups(["app.g1", "app.g2"]));
    const v = denyWholeRequest(ctx, "API not allowed by limits.apis", CLUSTER_AUTHORIZATION_FAILED);
    const resp = changetype<DescribeGroupsResponseData>(respondedBody(v, 15, 6));
    expect(resp.groups.length).toBe(2);
    expect(resp.groups[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    // The reason travels beside each code, as in every whole-request refusal (messages/refusals.ts).
    expect(resp.groups[0].errorMessage).toBe("API not allowed by limits.apis");
  });
});

describe("ListGroups", () => {
  it("lists every group for DESCRIBE on the cluster: untouched, nothing to rewrite (v0)", () => {
    const v = run(policyOf(POLICY), session("User:ops"), 16, 0, new ListGroupsRequestData(), ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
    expect(lastCtx().after).toBeNull();
  });

  it("cuts the broker's list to the groups the principal may describe (v5)", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 16, 5, new ListGroupsRequestData(), ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
    const broker = new ListGroupsResponseData();
    const a = new ListedGroup();
    a.groupId = "app.g1";
    const b = new ListedGroup();
    b.groupId = "other";
    broker.groups = [a, b];
    expect(rewriteResponse(lastCtx(), 16, 5, broker)).toBe(true);
    expect(broker.groups.length).toBe(1);
    expect(broker.groups[0].groupId).toBe("app.g1");
  });

  it("is refused with its top-level error under limits.apis", () => {
    const ctx = alice(16, 5, new ListGroupsRequestData());
    const v = denyWholeRequest(ctx, "API not allowed by limits.apis", CLUSTER_AUTHORIZATION_FAILED);
    expect(changetype<ListGroupsResponseData>(respondedBody(v, 16, 5)).errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
  });
});

describe("DeleteGroups", () => {
  it("passes deletable groups untouched (v0)", () => {
    const r = new DeleteGroupsRequestData();
    r.groupsNames = ["app.g1"];
    expect(run(policyOf(POLICY), session("User:alice"), 42, 0, r, ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("answers each refused group once and forwards the others (v3)", () => {
    const r = new DeleteGroupsRequestData();
    r.groupsNames = ["app.g1", "other", "other"];
    const v = run(policyOf(POLICY), session("User:alice"), 42, 3, r, ctxs);
    expect(changetype<DeleteGroupsRequestData>(forwardedBody(v)).groupsNames).toStrictEqual(["app.g1"]);
    const broker = new DeleteGroupsResponseData();
    const ok = new DeletableGroupResult();
    ok.groupId = "app.g1";
    broker.results.push(ok);
    expect(rewriteResponse(lastCtx(), 42, 3, broker)).toBe(true);
    expect(broker.results.length).toBe(2);
    expect(broker.results[1].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("answers refused groups without the broker (v0)", () => {
    const r = new DeleteGroupsRequestData();
    r.groupsNames = ["app.g1"];
    const resp = changetype<DeleteGroupsResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 42, 0, r, ctxs), 42, 0));
    expect(resp.results[0].groupId).toBe("app.g1");
    expect(resp.results[0].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });
});

describe("OffsetDelete", () => {
  it("passes an allowed group and topics untouched", () => {
    expect(run(policyOf(POLICY), session("User:alice"), 47, 0, offsetDelete("app.g1", ["orders.eu"]), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("answers a refused group with the top-level error", () => {
    const resp = changetype<OffsetDeleteResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 47, 0, offsetDelete("app.g1", ["orders.eu"]), ctxs), 47, 0));
    expect(resp.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("forwards allowed topics and adds the refused ones to the broker's answer", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 47, 0, offsetDelete("app.g1", ["orders.eu", "payments"]), ctxs);
    expect(changetype<OffsetDeleteRequestData>(forwardedBody(v)).topics.length).toBe(1);
    const broker = new OffsetDeleteResponseData();
    const t = new OffsetDeleteResponseTopic();
    t.name = "orders.eu";
    broker.topics.push(t);
    expect(rewriteResponse(lastCtx(), 47, 0, broker)).toBe(true);
    expect(broker.topics[1].name).toBe("payments");
    expect(broker.topics[1].partitions[0].partitionIndex).toBe(1);
    expect(broker.topics[1].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });
});

describe("ConsumerGroupHeartbeat", () => {
  it("passes an allowed group and describable subscriptions (v0)", () => {
    expect(run(policyOf(POLICY), session("User:alice"), 68, 0, consumerHeartbeat("app.g1", ["orders.eu"]), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("answers a refused group with GROUP_AUTHORIZATION_FAILED (v1)", () => {
    const resp = changetype<ConsumerGroupHeartbeatResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 68, 1, consumerHeartbeat("app.g1", null), ctxs), 68, 1));
    expect(resp.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("answers a subscription to an undescribable topic with TOPIC_AUTHORIZATION_FAILED (v1)", () => {
    const resp = changetype<ConsumerGroupHeartbeatResponseData>(respondedBody(run(policyOf(POLICY), session("User:alice"), 68, 1, consumerHeartbeat("app.g1", ["orders.eu", "payments"]), ctxs), 68, 1));
    expect(resp.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });

  it("takes a subscription by pattern only from a principal that may describe every topic: the broker resolves it against all (v1)", () => {
    const r = consumerHeartbeat("app.g1", null);
    r.subscribedTopicRegex = "orders\\..*";
    const resp = changetype<ConsumerGroupHeartbeatResponseData>(respondedBody(run(policyOf(POLICY), session("User:alice"), 68, 1, r, ctxs), 68, 1));
    expect(resp.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(lastCtx().refusals.length).toBe(1);
    // DESCRIBE on every topic (a LITERAL "*" ALLOW, no DENY of it), or a super user.
    const everyTopic = policyOf(`{"superUsers": ["User:root"], "acls": [
      {"principal": "User:*", "resourceType": "GROUP", "resourceName": "app.", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
      {"principal": "User:all", "resourceType": "TOPIC", "resourceName": "*", "operation": "READ", "permissionType": "ALLOW"},
      {"principal": "User:most", "resourceType": "TOPIC", "resourceName": "*", "operation": "ALL", "permissionType": "ALLOW"},
      {"principal": "User:most", "resourceType": "TOPIC", "resourceName": "hr.", "resourcePatternType": "PREFIXED", "operation": "DESCRIBE", "permissionType": "DENY"}]}`);
    expect(run(everyTopic, session("User:all"), 68, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(everyTopic, session("User:root"), 68, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(everyTopic, session("User:most"), 68, 1, r, ctxs).kind).toBe(VerdictKind.Respond);
    // The pattern is sent when the subscription changes only: the heartbeats after it name none.
    expect(run(policyOf(POLICY), session("User:alice"), 68, 1, consumerHeartbeat("app.g1", null), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("cuts undescribable topics from the assignment, as the coordinator cuts a regex's topics, and those not named yet (v1)", () => {
    // A heartbeat without a subscription (after a join, or under another member's id) gets the member's assignment.
    const r = consumerHeartbeat("app.g1", null);
    expect(run(policyOf(POLICY), session("User:alice"), 68, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    const broker = consumerAssignment([ORDERS_ID, PAYMENTS_ID, UNSEEN_ID]);
    // From the answer's bytes: an assigned topic to cut takes the decoded answer.
    expect(rewriteFromBytes(lastCtx(), 68, 1, broker)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 68, 1, broker)).toBe(true);
    const kept = broker.assignment!.topicPartitions;
    // payments may not be described; an id never seen in a Metadata response cannot be named.
    expect(kept.length).toBe(1);
    expect(kept[0].topicId.equals(ORDERS_ID)).toBe(true);
    // What is left goes on as the broker would send it, told from its bytes.
    expect(rewriteFromBytes(lastCtx(), 68, 1, broker)).toBe(<i32>VerdictKind.Pass);
    // A heartbeat answer without an assignment is left as it is.
    run(policyOf(POLICY), session("User:alice"), 68, 1, consumerHeartbeat("app.g1", null), ctxs);
    expect(rewriteFromBytes(lastCtx(), 68, 1, new ConsumerGroupHeartbeatResponseData())).toBe(<i32>VerdictKind.Pass);
    expect(rewriteResponse(lastCtx(), 68, 1, new ConsumerGroupHeartbeatResponseData())).toBe(false);
  });

  it("gives an assignment cut for ids not yet named again at the member's next heartbeat, which asks the broker for them first (v1)", () => {
    const s = session("User:alice");
    const later = new Uuid(21, 21), hiddenLater = new Uuid(22, 22), gone = new Uuid(23, 23);
    const hb = (epoch: i32, member: string = "m1"): ConsumerGroupHeartbeatRequestData => {
      const r = consumerHeartbeat("app.g1", null);
      r.memberId = member;
      r.memberEpoch = epoch;
      return r;
    };
    run(policyOf(POLICY), s, 68, 1, hb(0), ctxs);
    expect(lastCtx().unknownTopicIds.length).toBe(0);
    const first = consumerAssignment([ORDERS_ID, later, hiddenLater, gone]);
    first.memberId = "m1";
    first.heartbeatIntervalMs = 5000;
    expect(rewriteResponse(lastCtx(), 68, 1, first)).toBe(true);
    expect(first.assignment!.topicPartitions.length).toBe(1);
    // Asked to heartbeat again soon: the lookup goes ahead of that heartbeat.
    expect(first.heartbeatIntervalMs).toBe(250);
    // Another member's heartbeat on the connection neither asks nor is given it.
    run(policyOf(POLICY), s, 68, 1, hb(3, "m2"), ctxs);
    expect(lastCtx().unknownTopicIds.length).toBe(0);
    expect(rewriteFromBytes(lastCtx(), 68, 1, new ConsumerGroupHeartbeatResponseData())).toBe(<i32>VerdictKind.Pass);
    // The member's next heartbeat asks the broker for the three ids ahead of it.
    run(policyOf(POLICY), s, 68, 1, hb(3), ctxs);
    const asked = lastCtx().unknownTopicIds;
    expect(asked.length).toBe(3);
    expect(asked[0].equals(later) && asked[1].equals(hiddenLater) && asked[2].equals(gone)).toBe(true);
    // The lookup's answer names two of them (one the principal may not describe) and not the third.
    learnTopicId(later, "orders.late");
    learnTopicId(hiddenLater, "payments.late");
    const unchanged = new ConsumerGroupHeartbeatResponseData();
    unchanged.memberEpoch = 3;
    unchanged.heartbeatIntervalMs = 5000;
    expect(rewriteFromBytes(lastCtx(), 68, 1, unchanged)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 68, 1, unchanged)).toBe(true);
    expect(unchanged.heartbeatIntervalMs).toBe(5000);
    const shown = unchanged.assignment!.topicPartitions;
    expect(shown.length).toBe(2);
    expect(shown[0].topicId.equals(ORDERS_ID) && shown[1].topicId.equals(later)).toBe(true);
    expect(shown[1].partitions.length).toBe(2);
    // Given once: every id was asked, so nothing is awaited any more.
    expect(s.awaitedAssignment == null).toBe(true);
    run(policyOf(POLICY), s, 68, 1, hb(3), ctxs);
    expect(lastCtx().unknownTopicIds.length).toBe(0);
    expect(rewriteResponse(lastCtx(), 68, 1, new ConsumerGroupHeartbeatResponseData())).toBe(false);
  });

  it("an awaited assignment ends when the coordinator sends a new one, when the member leaves, and is not given to an error (v1)", () => {
    const s = session("User:alice");
    awaitAssignment(s);
    run(policyOf(POLICY), s, 68, 1, consumerHeartbeat("app.g1", null), ctxs);
    expect(rewriteResponse(lastCtx(), 68, 1, consumerAssignment([ORDERS_ID]))).toBe(false);
    expect(s.awaitedAssignment == null).toBe(true);
    awaitAssignment(s);
    const leave = consumerHeartbeat("app.g1", null);
    leave.memberEpoch = -1;
    run(policyOf(POLICY), s, 68, 1, leave, ctxs);
    expect(s.awaitedAssignment == null).toBe(true);
    expect(lastCtx().unknownTopicIds.length).toBe(0);
    awaitAssignment(s);
    run(policyOf(POLICY), s, 68, 1, consumerHeartbeat("app.g1", null), ctxs);
    learnTopicId(new Uuid(31, 31), "orders.awaited");
    const fenced = new ConsumerGroupHeartbeatResponseData();
    fenced.errorCode = 110; // FENCED_MEMBER_EPOCH
    expect(rewriteResponse(lastCtx(), 68, 1, fenced)).toBe(false);
    expect(fenced.assignment == null).toBe(true);
  });
});

/** Member m1 of app.g1 on `s`, given an assignment with an id not yet named. */
function awaitAssignment(s: Session): void {
  run(policyOf(POLICY), s, 68, 1, consumerHeartbeat("app.g1", null), ctxs);
  expect(rewriteResponse(lastCtx(), 68, 1, consumerAssignment([ORDERS_ID, new Uuid(31, 31)]))).toBe(true);
  expect(s.awaitedAssignment != null).toBe(true);
}

function consumerAssignment(ids: Array<Uuid>): ConsumerGroupHeartbeatResponseData {
  const broker = new ConsumerGroupHeartbeatResponseData();
  const assignment = new HeartbeatAssignment();
  for (let i = 0; i < ids.length; i++) {
    const tp = new HeartbeatTopicPartitions();
    tp.topicId = ids[i];
    tp.partitions = [0, 1];
    assignment.topicPartitions.push(tp);
  }
  broker.assignment = assignment;
  return broker;
}

describe("ConsumerGroupDescribe", () => {
  it("passes describable groups, still checking the topics the broker describes (v0)", () => {
    const r = new ConsumerGroupDescribeRequestData();
    r.groupIds = ["app.g1", "app.g2"];
    expect(run(policyOf(POLICY), session("User:alice"), 69, 0, r, ctxs).kind).toBe(VerdictKind.Pass);
    const broker = new ConsumerGroupDescribeResponseData();
    broker.groups = [consumerGroupWith("app.g1", "orders.eu"), consumerGroupWith("app.g2", "payments")];
    // From the answer's bytes: a group to hide takes the decoded answer; describable ones go on.
    expect(rewriteFromBytes(lastCtx(), 69, 0, broker)).toBe(-1);
    const describable = new ConsumerGroupDescribeResponseData();
    describable.groups = [consumerGroupWith("app.g1", "orders.eu")];
    expect(rewriteFromBytes(lastCtx(), 69, 0, describable)).toBe(<i32>VerdictKind.Pass);
    expect(rewriteResponse(lastCtx(), 69, 0, broker)).toBe(true);
    expect(broker.groups[0].members.length).toBe(1);
    expect(broker.groups[1].groupId).toBe("app.g2");
    expect(broker.groups[1].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.groups[1].members.length).toBe(0);
  });

  it("writes each described group's authorized operations as the policy decides them, when asked, from the decoded answer (v0)", () => {
    const r = new ConsumerGroupDescribeRequestData();
    r.groupIds = ["app.g1"];
    r.includeAuthorizedOperations = true;
    expect(run(policyOf(POLICY), session("User:alice"), 69, 0, r, ctxs).kind).toBe(VerdictKind.Pass);
    const broker = new ConsumerGroupDescribeResponseData();
    broker.groups = [consumerGroupWith("app.g1", "orders.eu")];
    broker.groups[0].authorizedOperations = 0xc58;
    expect(rewriteFromBytes(lastCtx(), 69, 0, broker)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 69, 0, broker)).toBe(true);
    expect(broker.groups[0].authorizedOperations).toBe((1 << 3) | (1 << 8) | (1 << 6));
  });

  it("splits a batch and answers refused groups (v1)", () => {
    const r = new ConsumerGroupDescribeRequestData();
    r.groupIds = ["app.g1", "other"];
    const v = run(policyOf(POLICY), session("User:alice"), 69, 1, r, ctxs);
    expect(changetype<ConsumerGroupDescribeRequestData>(forwardedBody(v)).groupIds).toStrictEqual(["app.g1"]);
    const broker = new ConsumerGroupDescribeResponseData();
    broker.groups = [consumerGroupWith("app.g1", "orders.eu")];
    expect(rewriteResponse(lastCtx(), 69, 1, broker)).toBe(true);
    expect(broker.groups.length).toBe(2);
    expect(broker.groups[0].errorCode).toBe(0);
    expect(broker.groups[1].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("hides a group whose members subscribe to an undescribable topic, assigned or not (v1)", () => {
    const r = new ConsumerGroupDescribeRequestData();
    r.groupIds = ["app.g1", "app.g2"];
    expect(run(policyOf(POLICY), session("User:alice"), 69, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    const subscribed = consumerGroupWith("app.g1", "orders.eu");
    subscribed.members[0].subscribedTopicNames = ["orders.eu", "payments"];
    const fine = consumerGroupWith("app.g2", "orders.eu");
    fine.members[0].subscribedTopicNames = ["orders.eu"];
    const broker = new ConsumerGroupDescribeResponseData();
    broker.groups = [subscribed, fine];
    expect(rewriteFromBytes(lastCtx(), 69, 1, broker)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 69, 1, broker)).toBe(true);
    expect(broker.groups[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.groups[0].members.length).toBe(0);
    expect(broker.groups[1].errorCode).toBe(0);
    expect(broker.groups[1].members.length).toBe(1);
  });

  it("judges an assigned topic by its id too, where the filter knows the id as another topic (v1)", () => {
    const r = new ConsumerGroupDescribeRequestData();
    r.groupIds = ["app.g1"];
    expect(run(policyOf(POLICY), session("User:alice"), 69, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    const g = consumerGroupWith("app.g1", "orders.eu");
    g.members[0].targetAssignment.topicPartitions[0].topicId = PAYMENTS_ID; // payments' id, orders.eu's name
    const broker = new ConsumerGroupDescribeResponseData();
    broker.groups = [g];
    expect(rewriteFromBytes(lastCtx(), 69, 1, broker)).toBe(-1);
    // An id the filter has not seen counts for nothing: judged by its name, the group is shown.
    const unseen = consumerGroupWith("app.g1", "orders.eu");
    unseen.members[0].targetAssignment.topicPartitions[0].topicId = UNSEEN_ID;
    const shown = new ConsumerGroupDescribeResponseData();
    shown.groups = [unseen];
    expect(rewriteFromBytes(lastCtx(), 69, 1, shown)).toBe(<i32>VerdictKind.Pass);
    expect(rewriteResponse(lastCtx(), 69, 1, shown)).toBe(false);
    expect(rewriteResponse(lastCtx(), 69, 1, broker)).toBe(true);
    expect(broker.groups[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.groups[0].members.length).toBe(0);
  });

  it("answers refused groups without the broker (v1)", () => {
    const r = new ConsumerGroupDescribeRequestData();
    r.groupIds = ["other"];
    const resp = changetype<ConsumerGroupDescribeResponseData>(respondedBody(run(policyOf(POLICY), session("User:alice"), 69, 1, r, ctxs), 69, 1));
    expect(resp.groups[0].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });
});

describe("share groups", () => {
  it("ShareGroupHeartbeat: passes, refuses the group, refuses undescribable subscriptions", () => {
    const r = new ShareGroupHeartbeatRequestData();
    r.groupId = "app.g1";
    r.memberId = "m1";
    r.subscribedTopicNames = ["orders.eu"];
    expect(run(policyOf(POLICY), session("User:alice"), 76, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    expect(changetype<ShareGroupHeartbeatResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 76, 1, r, ctxs), 76, 1)).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    r.subscribedTopicNames = ["payments"];
    expect(changetype<ShareGroupHeartbeatResponseData>(respondedBody(run(policyOf(POLICY), session("User:alice"), 76, 1, r, ctxs), 76, 1)).errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });

  it("ShareGroupHeartbeat: cuts undescribable topics from the assignment (a heartbeat under another member's id gets that member's)", () => {
    const r = new ShareGroupHeartbeatRequestData();
    r.groupId = "app.g1";
    r.memberId = "victim-member";
    r.memberEpoch = 3;
    r.subscribedTopicNames = null;
    expect(run(policyOf(POLICY), session("User:alice"), 76, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    const broker = new ShareGroupHeartbeatResponseData();
    const assignment = new ShareHeartbeatAssignment();
    const ids = [ORDERS_ID, PAYMENTS_ID, UNSEEN_ID];
    for (let i = 0; i < ids.length; i++) {
      const tp = new ShareHeartbeatTopicPartitions();
      tp.topicId = ids[i];
      tp.partitions = [0, 1];
      assignment.topicPartitions.push(tp);
    }
    broker.assignment = assignment;
    expect(rewriteFromBytes(lastCtx(), 76, 1, broker)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 76, 1, broker)).toBe(true);
    const kept = broker.assignment!.topicPartitions;
    // As for consumer groups: an id never seen in a Metadata response is cut and awaited.
    expect(kept.length).toBe(1);
    expect(kept[0].topicId.equals(ORDERS_ID)).toBe(true);
    expect(rewriteFromBytes(lastCtx(), 76, 1, broker)).toBe(<i32>VerdictKind.Pass);
    run(policyOf(POLICY), session("User:alice"), 76, 1, r, ctxs);
    expect(rewriteFromBytes(lastCtx(), 76, 1, new ShareGroupHeartbeatResponseData())).toBe(<i32>VerdictKind.Pass);
  });

  it("ShareGroupHeartbeat: an assignment cut for ids not yet named is given again, judged, after a lookup ahead of the member's next heartbeat", () => {
    const s = session("User:alice");
    const r = new ShareGroupHeartbeatRequestData();
    r.groupId = "app.g1";
    r.memberId = "share-member";
    r.memberEpoch = 0;
    r.subscribedTopicNames = ["orders.share"];
    run(policyOf(POLICY), s, 76, 1, r, ctxs);
    const later = new Uuid(41, 41);
    const broker = new ShareGroupHeartbeatResponseData();
    broker.memberId = "share-member";
    broker.assignment = new ShareHeartbeatAssignment();
    const tp = new ShareHeartbeatTopicPartitions();
    tp.topicId = later;
    tp.partitions = [0, 1, 2];
    broker.assignment!.topicPartitions.push(tp);
    expect(rewriteResponse(lastCtx(), 76, 1, broker)).toBe(true);
    expect(broker.assignment!.topicPartitions.length).toBe(0);
    r.memberEpoch = 1;
    r.subscribedTopicNames = null;
    run(policyOf(POLICY), s, 76, 1, r, ctxs);
    expect(lastCtx().unknownTopicIds.length).toBe(1);
    learnTopicId(later, "orders.share");
    const unchanged = new ShareGroupHeartbeatResponseData();
    unchanged.memberEpoch = 1;
    expect(rewriteFromBytes(lastCtx(), 76, 1, unchanged)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 76, 1, unchanged)).toBe(true);
    expect(unchanged.assignment!.topicPartitions.length).toBe(1);
    expect(unchanged.assignment!.topicPartitions[0].partitions.length).toBe(3);
  });

  it("ShareGroupHeartbeat: leaves an invalid member id to the broker, which refuses it before the topics", () => {
    const r = new ShareGroupHeartbeatRequestData();
    r.groupId = "app.g1";
    r.memberId = "";
    r.subscribedTopicNames = ["payments"];
    expect(run(policyOf(POLICY), session("User:alice"), 76, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    r.memberId = "m".repeat(37);
    expect(run(policyOf(POLICY), session("User:alice"), 76, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    // The group is checked first all the same.
    expect(changetype<ShareGroupHeartbeatResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 76, 1, r, ctxs), 76, 1)).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("ShareGroupDescribe: answers refused groups and hides groups using undescribable topics", () => {
    const r = new ShareGroupDescribeRequestData();
    r.groupIds = ["app.g1", "other"];
    const v = run(policyOf(POLICY), session("User:alice"), 77, 1, r, ctxs);
    expect(changetype<ShareGroupDescribeRequestData>(forwardedBody(v)).groupIds).toStrictEqual(["app.g1"]);
    const broker = new ShareGroupDescribeResponseData();
    broker.groups = [shareGroupWith("app.g1", "payments")];
    expect(rewriteResponse(lastCtx(), 77, 1, broker)).toBe(true);
    expect(broker.groups[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.groups[1].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const all = new ShareGroupDescribeRequestData();
    all.groupIds = ["app.g1"];
    expect(run(policyOf(POLICY), session("User:alice"), 77, 1, all, ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("ShareGroupDescribe: hides a group whose members subscribe to an undescribable topic, assigned or not (v1)", () => {
    const r = new ShareGroupDescribeRequestData();
    r.groupIds = ["app.g1", "app.g2"];
    expect(run(policyOf(POLICY), session("User:alice"), 77, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    const subscribed = shareGroupWith("app.g1", "orders.eu");
    subscribed.members[0].subscribedTopicNames = ["orders.eu", "payments"];
    const fine = shareGroupWith("app.g2", "orders.eu");
    fine.members[0].subscribedTopicNames = ["orders.eu"];
    const broker = new ShareGroupDescribeResponseData();
    broker.groups = [subscribed, fine];
    expect(rewriteFromBytes(lastCtx(), 77, 1, broker)).toBe(-1);
    expect(rewriteResponse(lastCtx(), 77, 1, broker)).toBe(true);
    expect(broker.groups[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.groups[0].members.length).toBe(0);
    expect(broker.groups[1].errorCode).toBe(0);
    expect(broker.groups[1].members.length).toBe(1);
  });

  it("ShareFetch: passes allowed topics untouched (v1)", () => {
    expect(run(policyOf(POLICY), session("User:alice"), 78, 1, shareFetch("app.g1", [ORDERS_ID]), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("ShareFetch: answers a refused group with the top-level error (v2)", () => {
    const resp = changetype<ShareFetchResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 78, 2, shareFetch("app.g1", [ORDERS_ID]), ctxs), 78, 2));
    expect(resp.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("ShareFetch: always reaches the broker (the share session's epoch), refused topics added to its answer", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 78, 2, shareFetch("app.g1", [PAYMENTS_ID]), ctxs);
    expect(changetype<ShareFetchRequestData>(forwardedBody(v)).topics.length).toBe(0);
    const broker = new ShareFetchResponseData();
    expect(rewriteResponse(lastCtx(), 78, 2, broker)).toBe(true);
    expect(broker.responses.length).toBe(1);
    expect(broker.responses[0].topicId.equals(PAYMENTS_ID)).toBe(true);
    expect(broker.responses[0].partitions[0].partitionIndex).toBe(2);
    expect(broker.responses[0].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.responses[0].partitions[0].acknowledgeErrorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });

  it("ShareFetch: leaves a request without a group id to the broker (it refuses it as invalid)", () => {
    expect(run(policyOf(POLICY), session("User:bob"), 78, 1, shareFetch(null, [ORDERS_ID]), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("ShareFetch, ShareAcknowledge: continue only a share session this connection opened (its group and member id)", () => {
    const policy = policyOf(POLICY);
    const conn = session("User:alice");
    const incremental = (member: string, epoch: i32): ShareFetchRequestData => {
      const r = shareFetch("app.g1", []);
      r.memberId = member;
      r.shareSessionEpoch = epoch;
      return r;
    };
    const refused = changetype<ShareFetchResponseData>(respondedBody(run(policy, conn, 78, 1, incremental("m1", 1), ctxs), 78, 1));
    expect(refused.errorCode).toBe(122); // SHARE_SESSION_NOT_FOUND, as the broker answers one it does not have
    expect(refused.responses.length).toBe(0);
    const close = shareAcknowledge("app.g1", []);
    close.shareSessionEpoch = -1;
    expect(changetype<ShareAcknowledgeResponseData>(respondedBody(run(policy, conn, 79, 1, close, ctxs), 79, 1)).errorCode).toBe(122);

    // A ShareAcknowledge at epoch 0 (the broker refuses it) opens nothing.
    const ackAtZero = shareAcknowledge("app.g1", []);
    expect(run(policy, conn, 79, 1, ackAtZero, ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(policy, conn, 78, 1, incremental("m1", 1), ctxs).kind).toBe(VerdictKind.Respond);
    expect(run(policy, conn, 78, 1, shareFetch("app.g1", [ORDERS_ID]), ctxs).kind).toBe(VerdictKind.Pass); // a ShareFetch at epoch 0 opens it
    expect(run(policy, conn, 78, 1, incremental("m1", 1), ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(policy, conn, 79, 1, close, ctxs).kind).toBe(VerdictKind.Pass);
    // A member id too long to keep (Kafka's are 22 characters) opens nothing the connection could continue.
    const long = "m".repeat(2000);
    const opening = shareFetch("app.g1", [ORDERS_ID]);
    opening.memberId = long;
    expect(run(policy, conn, 78, 1, opening, ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(policy, conn, 78, 1, incremental(long, 1), ctxs).kind).toBe(VerdictKind.Respond);
    // Another member's session, or this one from another connection of the same principal: not opened there.
    expect(run(policy, conn, 78, 1, incremental("m2", 1), ctxs).kind).toBe(VerdictKind.Respond);
    expect(run(policy, session("User:alice"), 78, 1, incremental("m1", 2), ctxs).kind).toBe(VerdictKind.Respond);
  });

  it("ShareAcknowledge: passes, refuses the group, answers refused and unknown topics (v1, v2)", () => {
    expect(run(policyOf(POLICY), session("User:alice"), 79, 1, shareAcknowledge("app.g1", [ORDERS_ID]), ctxs).kind).toBe(VerdictKind.Pass);
    expect(changetype<ShareAcknowledgeResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 79, 1, shareAcknowledge("app.g1", [ORDERS_ID]), ctxs), 79, 1)).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const v = run(policyOf(POLICY), session("User:alice"), 79, 2, shareAcknowledge("app.g1", [ORDERS_ID, UNSEEN_ID]), ctxs);
    expect(changetype<ShareAcknowledgeRequestData>(forwardedBody(v)).topics.length).toBe(1);
    const broker = new ShareAcknowledgeResponseData();
    expect(rewriteResponse(lastCtx(), 79, 2, broker)).toBe(true);
    expect(broker.responses[0].topicId.equals(UNSEEN_ID)).toBe(true);
    expect(broker.responses[0].partitions[0].errorCode).toBe(UNKNOWN_TOPIC_ID);
  });

  it("DescribeShareGroupOffsets: passes, answers refused groups and topics, cuts all-topics answers", () => {
    const ok = new DescribeShareGroupOffsetsRequestData();
    ok.groups = [shareOffsetsGroup("app.g1", ["orders.eu"])];
    expect(run(policyOf(POLICY), session("User:alice"), 90, 0, ok, ctxs).kind).toBe(VerdictKind.Pass);

    const r = new DescribeShareGroupOffsetsRequestData();
    r.groups = [shareOffsetsGroup("app.g1", ["orders.eu", "payments"]), shareOffsetsGroup("other", null), shareOffsetsGroup("app.all", null)];
    const v = run(policyOf(POLICY), session("User:alice"), 90, 1, r, ctxs);
    expect(changetype<DescribeShareGroupOffsetsRequestData>(forwardedBody(v)).groups.length).toBe(2);
    const broker = new DescribeShareGroupOffsetsResponseData();
    const g1 = new DescribeShareGroupOffsetsResponseGroup();
    g1.groupId = "app.g1";
    const all = new DescribeShareGroupOffsetsResponseGroup();
    all.groupId = "app.all";
    const hidden = new DescribeShareGroupOffsetsResponseTopic();
    hidden.topicName = "secret";
    all.topics.push(hidden);
    broker.groups = [g1, all];
    expect(rewriteResponse(lastCtx(), 90, 1, broker)).toBe(true);
    expect(broker.groups[0].topics[0].topicName).toBe("payments");
    expect(broker.groups[0].topics[0].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.groups[0].topics[0].partitions[0].startOffset).toBe(-1);
    expect(broker.groups[1].topics.length).toBe(0);
    expect(broker.groups[2].groupId).toBe("other");
    expect(broker.groups[2].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("AlterShareGroupOffsets: READ on the group and on each topic", () => {
    const r = new AlterShareGroupOffsetsRequestData();
    r.groupId = "app.g1";
    const t = new AlterShareGroupOffsetsRequestTopic();
    t.topicName = "payments";
    const p = new AlterShareGroupOffsetsRequestPartition();
    p.partitionIndex = 5;
    t.partitions.push(p);
    r.topics.push(t);
    expect(changetype<AlterShareGroupOffsetsResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 91, 0, r, ctxs), 91, 0)).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const resp = changetype<AlterShareGroupOffsetsResponseData>(respondedBody(run(policyOf(POLICY), session("User:alice"), 91, 0, r, ctxs), 91, 0));
    expect(resp.errorCode).toBe(0);
    expect(resp.responses[0].topicName).toBe("payments");
    expect(resp.responses[0].partitions[0].partitionIndex).toBe(5);
    expect(resp.responses[0].partitions[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    t.topicName = "orders.eu";
    expect(run(policyOf(POLICY), session("User:alice"), 91, 0, r, ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("DeleteShareGroupOffsets: DELETE on the group, READ on each topic", () => {
    const r = new DeleteShareGroupOffsetsRequestData();
    r.groupId = "app.g1";
    const a = new DeleteShareGroupOffsetsRequestTopic();
    a.topicName = "orders.eu";
    const b = new DeleteShareGroupOffsetsRequestTopic();
    b.topicName = "payments";
    r.topics = [a, b];
    expect(changetype<DeleteShareGroupOffsetsResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 92, 0, r, ctxs), 92, 0)).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const v = run(policyOf(POLICY), session("User:alice"), 92, 0, r, ctxs);
    expect(changetype<DeleteShareGroupOffsetsRequestData>(forwardedBody(v)).topics.length).toBe(1);
    const broker = new DeleteShareGroupOffsetsResponseData();
    expect(rewriteResponse(lastCtx(), 92, 0, broker)).toBe(true);
    expect(broker.responses[0].topicName).toBe("payments");
    expect(broker.responses[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });
});

// Streams applications of group "app.s": app may READ its source and internal topics and
// CREATE the internal ones ("app.s-*"); reader the same without CREATE; creator may CREATE on
// the cluster and READ every topic. limits.createTopics: at most 12 partitions (in the bounded
// variant), replication factor 3, names "app.*".
function streamsPolicy(partitionBound: bool): string {
  const limits = partitionBound ? `"maxPartitions": 12, ` : "";
  return `{"acls": [
  {"principal": "User:app", "resourceType": "GROUP", "resourceName": "app.s", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:app", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:app", "resourceType": "TOPIC", "resourceName": "app.s-", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:app", "resourceType": "TOPIC", "resourceName": "app.s-", "resourcePatternType": "PREFIXED", "operation": "CREATE", "permissionType": "ALLOW"},
  {"principal": "User:reader", "resourceType": "GROUP", "resourceName": "app.s", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:reader", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:reader", "resourceType": "TOPIC", "resourceName": "app.s-", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:creator", "resourceType": "GROUP", "resourceName": "app.s", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:creator", "resourceType": "TOPIC", "resourceName": "*", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:creator", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "CREATE", "permissionType": "ALLOW"}],
  "limits": {"createTopics": {${limits}"maxReplicationFactor": 3, "topicNameGlob": "app.*"}}}`;
}

const STREAMS_INVALID_TOPOLOGY: i16 = 130;
const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;

function streamsAnswer(principal: string, partitionBound: bool, r: StreamsGroupHeartbeatRequestData, version: i16 = 1): StreamsGroupHeartbeatResponseData {
  return changetype<StreamsGroupHeartbeatResponseData>(respondedBody(run(policyOf(streamsPolicy(partitionBound)), session(principal), 88, version, r, ctxs), 88, version));
}

function streamsVerdict(principal: string, partitionBound: bool, r: StreamsGroupHeartbeatRequestData): VerdictKind {
  return run(policyOf(streamsPolicy(partitionBound)), session(principal), 88, 0, r, ctxs).kind;
}

/**
 * The broker described group "app.s" to the filter (streams-topologies.ts): a new group (no
 * topics), or one whose stored topology has these internal topics, their partition counts
 * learnt too (0: missing).
 */
function groupDescribed(internal: Array<string>, partitions: i32 = 3): void {
  const now = nowNs();
  let topology: Topology | null = null;
  if (internal.length > 0) {
    const sub = new Subtopology();
    sub.sourceTopics = ["orders.eu"];
    for (let i = 0; i < internal.length; i++) sub.stateChangelogTopics.push(topicInfo(internal[i], 0, 0));
    topology = new Topology();
    topology!.subtopologies.push(sub);
  }
  learnTopology("app.s", topology, now);
  for (let i = 0; i < internal.length; i++) {
    freshPartitionCount(internal[i], now);
    learnPartitionCount(internal[i], partitions, now);
  }
}

describe("streams groups", () => {
  it("StreamsGroupHeartbeat: passes a topology whose internal topics the member may create within the limits", () => {
    // A new group (each join that goes on has the group asked about again: it may have stored the topology).
    groupDescribed([]);
    const derived = streamsJoin("app.s", "orders.eu", topicInfo("app.s-rep-repartition", 6, 3), topicInfo("app.s-store-changelog", 0, 0));
    expect(streamsVerdict("User:app", false, derived)).toBe(VerdictKind.Pass);
    groupDescribed([]);
    const fixed = streamsJoin("app.s", "orders.eu", topicInfo("app.s-rep-repartition", 6, 3), topicInfo("app.s-store-changelog", 12, 0));
    expect(streamsVerdict("User:app", true, fixed)).toBe(VerdictKind.Pass);
    // CREATE on the cluster covers every internal topic.
    groupDescribed([]);
    expect(streamsVerdict("User:creator", false, derived)).toBe(VerdictKind.Pass);
  });

  it("StreamsGroupHeartbeat: refuses internal topics the member may not CREATE, naming them (the 40-partition attack)", () => {
    const retention = new KeyValue();
    retention.key = "retention.ms";
    retention.value = "1";
    const repartition = topicInfo("app.s-rep-repartition", 40, 0);
    repartition.topicConfigs.push(retention);
    const changelog = topicInfo("app.s-store-changelog", 40, 0);
    changelog.topicConfigs.push(retention);
    const resp = streamsAnswer("User:reader", true, streamsJoin("app.s", "orders.eu", repartition, changelog), 0);
    expect(resp.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    const message = resp.errorMessage!;
    expect(message.includes("CREATE")).toBe(true);
    expect(message.includes("app.s-rep-repartition")).toBe(true);
    expect(message.includes("app.s-store-changelog")).toBe(true);
  });

  it("StreamsGroupHeartbeat: refuses internal topics outside limits.createTopics with STREAMS_INVALID_TOPOLOGY", () => {
    const tooMany = streamsAnswer("User:app", true, streamsJoin("app.s", "orders.eu", topicInfo("app.s-rep-repartition", 40, 0), topicInfo("app.s-store-changelog", 6, 0)));
    expect(tooMany.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(tooMany.errorMessage!.includes("app.s-rep-repartition")).toBe(true);
    expect(tooMany.errorMessage!.includes("app.s-store-changelog")).toBe(false);
    const replicated = streamsAnswer("User:app", false, streamsJoin("app.s", "orders.eu", topicInfo("app.s-rep-repartition", 6, 5), topicInfo("app.s-store-changelog", 0, 0)));
    expect(replicated.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(replicated.errorMessage!.includes("app.s-rep-repartition")).toBe(true);
    // CREATE on the cluster does not lift the limits: a name outside the glob.
    const named = streamsAnswer("User:creator", false, streamsJoin("app.s", "orders.eu", topicInfo("app.s-rep-repartition", 6, 0), topicInfo("other-store-changelog", 0, 0)));
    expect(named.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(named.errorMessage!.includes("other-store-changelog")).toBe(true);
    // Nobody may create the metadata log, whatever the ACLs (as CreateTopics refuses it).
    const metadataLog = streamsAnswer("User:creator", false, streamsJoin("app.s", "orders.eu", topicInfo("app.s-rep-repartition", 6, 0), topicInfo("__cluster_metadata", 0, 0)));
    expect(metadataLog.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(metadataLog.errorMessage!.includes("__cluster_metadata")).toBe(true);
  });

  it("StreamsGroupHeartbeat: a partition count left to the broker, with limits.createTopics bounding partitions, is judged from the source topics' counts, asked of the broker first", () => {
    groupDescribed([]);
    // Not known yet: the broker is asked (a Metadata request by name goes ahead of the answer) and the member told to retry.
    const join = streamsJoin("app.s", "orders.derived", topicInfo("app.s-rep-repartition", 6, 0), topicInfo("app.s-store-changelog", 0, 0));
    const asked = streamsAnswer("User:app", true, join);
    expect(asked.errorCode).toBe(COORDINATOR_LOAD_IN_PROGRESS);
    expect(asked.errorMessage!.includes("orders.derived")).toBe(true);
    expect(lastCtx().unknownPartitionCounts).toStrictEqual(["orders.derived"]);
    // The broker's answer says 4: every count the broker can derive (4 to 6, with the declared 6) is within 12.
    expect(partitionCountsWanted()).toBe(true);
    learnPartitionCount("orders.derived", 4, nowNs());
    // Nothing waits for a count now: Metadata answers are not read for counts.
    expect(partitionCountsWanted()).toBe(false);
    expect(streamsVerdict("User:app", true, join)).toBe(VerdictKind.Pass);
    expect(lastCtx().unknownPartitionCounts.length).toBe(0);
    // A source of 40 partitions: the changelog could get 40, past the limit; named in the refusal.
    const big = streamsJoin("app.s", "orders.big", topicInfo("app.s-rep-repartition", 6, 0), topicInfo("app.s-store-changelog", 0, 0));
    expect(streamsAnswer("User:app", true, big).errorCode).toBe(COORDINATOR_LOAD_IN_PROGRESS);
    learnPartitionCount("orders.big", 40, nowNs());
    const resp = streamsAnswer("User:app", true, big);
    expect(resp.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(resp.errorMessage!.includes("app.s-store-changelog")).toBe(true);
    expect(resp.errorMessage!.includes("app.s-rep-repartition")).toBe(false);
    // A source the broker does not know (its answer names no partitions): the counts derived
    // from it could not be judged when it appears, so the topology is refused, naming it.
    const missing = streamsJoin("app.s", "orders.missing", topicInfo("app.s-rep-repartition", 6, 0), topicInfo("app.s-store-changelog", 0, 0));
    expect(streamsAnswer("User:app", true, missing).errorCode).toBe(COORDINATOR_LOAD_IN_PROGRESS);
    learnPartitionCount("orders.missing", 0, nowNs());
    const gone = streamsAnswer("User:app", true, missing);
    expect(gone.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(gone.errorMessage!.includes("source topics the broker does not know (orders.missing)")).toBe(true);
    // A count learnt without being asked is not kept (only names a topology asked about are).
    learnPartitionCount("orders.unasked", 3, nowNs());
    const unasked = streamsJoin("app.s", "orders.unasked", topicInfo("app.s-rep-repartition", 6, 0), topicInfo("app.s-store-changelog", 0, 0));
    expect(streamsAnswer("User:app", true, unasked).errorCode).toBe(COORDINATOR_LOAD_IN_PROGRESS);
  });

  it("StreamsGroupHeartbeat: an existing topic listed as a changelog counts as a source: the broker derives the others from it", () => {
    // Kafka's ChangelogTopics gives each changelog of a subtopology the largest count of its
    // sources, existing internal topics included; the existing one is not created again (the
    // member may create it: a name of its prefix, made before the limit, 64 partitions).
    const join = streamsJoin("app.s", "orders.small2", topicInfo("app.s-rep-repartition", 6, 0), topicInfo("app.s-store-changelog", 0, 0));
    const first = join.topology!.subtopologies[0];
    first.sourceTopics = ["orders.small2", "app.s-huge"];
    first.stateChangelogTopics = [topicInfo("app.s-huge", 0, 0), topicInfo("app.s-own-changelog", 0, 0)];
    expect(streamsAnswer("User:app", true, join).errorCode).toBe(COORDINATOR_LOAD_IN_PROGRESS);
    expect(lastCtx().unknownPartitionCounts.includes("app.s-huge")).toBe(true);
    learnPartitionCount("orders.small2", 1, nowNs());
    learnPartitionCount("app.s-huge", 64, nowNs());
    const resp = streamsAnswer("User:app", true, join);
    expect(resp.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(resp.errorMessage!.includes("app.s-own-changelog")).toBe(true);
  });

  it("StreamsGroupHeartbeat: a topology of 2,500 sources not yet counted is asked about 1,000 at a time, at the member's retries", () => {
    groupDescribed([]);
    const join = streamsJoin("app.s", "orders.many0", topicInfo("app.s-rep-repartition", 6, 0), topicInfo("app.s-store-changelog", 0, 0));
    const sources = join.topology!.subtopologies[0].sourceTopics;
    for (let k = 1; k < 2500; k++) sources.push("orders.many" + k.toString());
    for (let round = 0; round < 3; round++) {
      const asked = streamsAnswer("User:app", true, join);
      expect(asked.errorCode).toBe(COORDINATOR_LOAD_IN_PROGRESS);
      const names = lastCtx().unknownPartitionCounts;
      expect(names.length).toBe(round < 2 ? 1000 : 500);
      expect(names[0]).toBe("orders.many" + (round * 1000).toString());
      // The answer names ten of them, and how many more.
      expect(asked.errorMessage!.includes("orders.many" + (round * 1000 + 9).toString() + " and " + (names.length - 10).toString() + " more")).toBe(true);
      for (let i = 0; i < names.length; i++) learnPartitionCount(names[i], 4, nowNs());
    }
    expect(streamsVerdict("User:app", true, join)).toBe(VerdictKind.Pass);
  });

  it("StreamsGroupHeartbeat: a topology reading topics by pattern cannot be judged so: refused when limits.createTopics bounds partitions", () => {
    const join = streamsJoin("app.s", "orders.eu", topicInfo("app.s-rep-repartition", 6, 0), topicInfo("app.s-store-changelog", 0, 0));
    join.topology!.subtopologies[0].sourceTopicRegex = ["orders\\..*"];
    const resp = streamsAnswer("User:app", true, join);
    expect(resp.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(resp.errorMessage!.includes("app.s-store-changelog")).toBe(true);
    expect(resp.errorMessage!.includes("by pattern")).toBe(true);
  });

  it("StreamsGroupHeartbeat: Kafka's own validations come before DESCRIBE: internal topics, invalid names", () => {
    const internal = streamsAnswer("User:app", false, streamsHeartbeat("app.s", "__consumer_offsets", "app.s-store-changelog"));
    expect(internal.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(internal.errorMessage!.includes("__consumer_offsets")).toBe(true);
    const invalid = streamsAnswer("User:app", false, streamsHeartbeat("app.s", "orders.eu", "app.s-store/changelog"));
    expect(invalid.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
    expect(invalid.errorMessage!.includes("app.s-store/changelog")).toBe(true);
    const long = streamsAnswer("User:app", false, streamsHeartbeat("app.s", "orders.eu", "app.s-" + "x".repeat(250)));
    expect(long.errorCode).toBe(STREAMS_INVALID_TOPOLOGY);
  });

  it("StreamsGroupHeartbeat: passes a heartbeat without a topology and cuts its endpoint map to describable topics", () => {
    const r = new StreamsGroupHeartbeatRequestData();
    r.groupId = "app.s";
    r.memberId = "m1";
    r.memberEpoch = 3;
    // The group's stored topology (another principal's): its internal topics exist, so the
    // broker creates nothing for the reader, who may not create them.
    groupDescribed(["app.s-rep-repartition", "app.s-store-changelog"]);
    expect(streamsVerdict("User:reader", true, r)).toBe(VerdictKind.Pass);
    const broker = new StreamsGroupHeartbeatResponseData();
    broker.partitionsByUserEndpoint = [
      endpointWith("h1", ["orders.eu", "secret"], ["app.s-rep-repartition"]),
      endpointWith("h2", ["secret"], ["payments"]),
      endpointWith("h3", ["orders.us"], []),
    ];
    expect(rewriteResponse(lastCtx(), 88, 0, broker)).toBe(true);
    const endpoints = broker.partitionsByUserEndpoint!;
    expect(endpoints.length).toBe(3);
    expect(topicNames(endpoints[0].activePartitions)).toBe("orders.eu");
    expect(topicNames(endpoints[0].standbyPartitions)).toBe("app.s-rep-repartition");
    expect(endpoints[1].activePartitions.length).toBe(0);
    expect(endpoints[1].standbyPartitions.length).toBe(0);
    expect(topicNames(endpoints[2].activePartitions)).toBe("orders.us");
    // An answer without the map (its epoch unchanged) is left as it is.
    expect(streamsVerdict("User:reader", true, r)).toBe(VerdictKind.Pass);
    expect(rewriteResponse(lastCtx(), 88, 0, new StreamsGroupHeartbeatResponseData())).toBe(false);
    // One of them is gone: the broker would create it, for a member without CREATE.
    groupDescribed(["app.s-store-changelog"], 0);
    const refused = streamsAnswer("User:reader", true, r, 0);
    expect(refused.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(refused.errorMessage!.includes("app.s-store-changelog")).toBe(true);
  });

  it("StreamsGroupHeartbeat: refuses the group, then any undescribable topology topic (v1)", () => {
    const refusedGroup = changetype<StreamsGroupHeartbeatResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 88, 1, streamsHeartbeat("app.s", "orders.eu", "orders.c"), ctxs), 88, 1));
    expect(refusedGroup.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const refusedTopic = changetype<StreamsGroupHeartbeatResponseData>(respondedBody(run(policyOf(POLICY), session("User:alice"), 88, 1, streamsHeartbeat("app.s", "orders.eu", "app.s-store-changelog"), ctxs), 88, 1));
    expect(refusedTopic.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
  });

  it("StreamsGroupDescribe: answers refused groups, hides groups whose topology is undescribable", () => {
    const r = new StreamsGroupDescribeRequestData();
    r.groupIds = ["app.s", "app.t", "other"];
    const v = run(policyOf(POLICY), session("User:alice"), 89, 1, r, ctxs);
    expect(changetype<StreamsGroupDescribeRequestData>(forwardedBody(v)).groupIds.length).toBe(2);
    const broker = new StreamsGroupDescribeResponseData();
    broker.groups = [streamsGroupWith("app.s", "orders.repartition"), streamsGroupWith("app.t", "secret")];
    expect(rewriteResponse(lastCtx(), 89, 1, broker)).toBe(true);
    expect(broker.groups[0].errorCode).toBe(0);
    expect(broker.groups[1].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.groups[1].topology).toBeNull();
    expect(broker.groups[2].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const refused = new StreamsGroupDescribeRequestData();
    refused.groupIds = ["app.s"];
    const resp = changetype<StreamsGroupDescribeResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 89, 0, refused, ctxs), 89, 0));
    expect(resp.groups[0].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });

  it("StreamsGroupDescribe: hides groups whose topology description names undescribable topics (v1)", () => {
    const r = new StreamsGroupDescribeRequestData();
    r.groupIds = ["app.s", "app.t"];
    expect(run(policyOf(POLICY), session("User:alice"), 89, 1, r, ctxs).kind).toBe(VerdictKind.Pass);
    const withGlobal = streamsGroupWith("app.s", "orders.repartition");
    const description = new TopologyDescription();
    const store = new TopologyDescriptionGlobalStore();
    store.source.sourceTopics = ["secret"];
    description.globalStores.push(store);
    withGlobal.topologyDescription = description;
    const fine = streamsGroupWith("app.t", "orders.repartition");
    const plain = new TopologyDescription();
    const sink = new TopologyDescriptionGlobalStore();
    sink.processor.sinkTopic = "orders.out";
    plain.globalStores.push(sink);
    fine.topologyDescription = plain;
    const broker = new StreamsGroupDescribeResponseData();
    broker.groups = [withGlobal, fine];
    expect(rewriteResponse(lastCtx(), 89, 1, broker)).toBe(true);
    expect(broker.groups[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(broker.groups[0].topologyDescription).toBeNull();
    expect(broker.groups[1].errorCode).toBe(0);
  });

  it("StreamsGroupTopologyDescriptionUpdate: READ on the group", () => {
    const r = new StreamsGroupTopologyDescriptionUpdateRequestData();
    r.groupId = "app.s";
    expect(run(policyOf(POLICY), session("User:alice"), 93, 0, r, ctxs).kind).toBe(VerdictKind.Pass);
    const resp = changetype<StreamsGroupTopologyDescriptionUpdateResponseData>(respondedBody(run(policyOf(POLICY), session("User:bob"), 93, 0, r, ctxs), 93, 0));
    expect(resp.errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
  });
});
