// The topic APIs under the policy: allowed requests pass untouched, refused topics and config
// resources are answered with the entries Kafka 4.4 would give them, mixed requests go on with
// the allowed part and the refused entries are merged into the broker's response. Every
// answer is checked after encoding and decoding it at the request's version.

import { Message } from "../../assembly/protocol/message";
import { Uuid } from "../../assembly/protocol/uuid";
import { FETCH_SESSION_ID_NOT_FOUND } from "../../assembly/protocol/errors";
import { decodeResponse, decodeRequest } from "../../assembly/codec/frame";
import { VerdictKind, Verdict, RequestHeader, ResponseInfo, RequestNote } from "../../assembly/filter/seam";
import { RequestContext, encodeResponse } from "../../assembly/enforce/context";
import { denyWholeRequest } from "../../assembly/enforce/apis/authorize";
import { learnTopicId, topicName } from "../../assembly/enforce/topic-ids";
import { Enforcer } from "../../assembly/enforce/handler";
import { loadConfig } from "../../assembly/enforce/config";
import { FetchRequestData, FetchTopic, FetchPartition, ForgottenTopic } from "../../assembly/messages/FetchRequest";
import { FetchResponseData, FetchableTopicResponse, PartitionData } from "../../assembly/messages/FetchResponse";
import { ListOffsetsRequestData, ListOffsetsTopic, ListOffsetsPartition } from "../../assembly/messages/ListOffsetsRequest";
import { ListOffsetsResponseData, ListOffsetsTopicResponse } from "../../assembly/messages/ListOffsetsResponse";
import { MetadataRequestData, MetadataRequestTopic } from "../../assembly/messages/MetadataRequest";
import { MetadataResponseData, MetadataResponseTopic, MetadataResponsePartition } from "../../assembly/messages/MetadataResponse";
import { ResponseRewrite } from "../../assembly/enforce/rewrite";
import { walkForRewrite, lastWalk } from "../../assembly/enforce/responses";
import { CreateTopicsRequestData, CreatableTopic, CreatableReplicaAssignment } from "../../assembly/messages/CreateTopicsRequest";
import { CreateTopicsResponseData, CreatableTopicResult, CreatableTopicConfigs } from "../../assembly/messages/CreateTopicsResponse";
import { DeleteTopicsRequestData, DeleteTopicState } from "../../assembly/messages/DeleteTopicsRequest";
import { DeleteTopicsResponseData, DeletableTopicResult } from "../../assembly/messages/DeleteTopicsResponse";
import { DeleteRecordsRequestData, DeleteRecordsTopic, DeleteRecordsPartition } from "../../assembly/messages/DeleteRecordsRequest";
import { DeleteRecordsResponseData, DeleteRecordsTopicResult } from "../../assembly/messages/DeleteRecordsResponse";
import {
  OffsetForLeaderEpochRequestData, OffsetForLeaderTopic, OffsetForLeaderPartition,
} from "../../assembly/messages/OffsetForLeaderEpochRequest";
import { OffsetForLeaderEpochResponseData, OffsetForLeaderTopicResult } from "../../assembly/messages/OffsetForLeaderEpochResponse";
import { DescribeConfigsRequestData, DescribeConfigsResource } from "../../assembly/messages/DescribeConfigsRequest";
import { DescribeConfigsResponseData, DescribeConfigsResult } from "../../assembly/messages/DescribeConfigsResponse";
import { AlterConfigsRequestData, AlterConfigsResource } from "../../assembly/messages/AlterConfigsRequest";
import { AlterConfigsResponseData, AlterConfigsResourceResponse } from "../../assembly/messages/AlterConfigsResponse";
import {
  IncrementalAlterConfigsRequestData, AlterConfigsResource as IncrementalResource,
} from "../../assembly/messages/IncrementalAlterConfigsRequest";
import {
  IncrementalAlterConfigsResponseData, AlterConfigsResourceResponse as IncrementalResourceResponse,
} from "../../assembly/messages/IncrementalAlterConfigsResponse";
import { CreatePartitionsRequestData, CreatePartitionsTopic } from "../../assembly/messages/CreatePartitionsRequest";
import { CreatePartitionsResponseData, CreatePartitionsTopicResult } from "../../assembly/messages/CreatePartitionsResponse";
import { DescribeProducersRequestData, TopicRequest as ProducersTopic } from "../../assembly/messages/DescribeProducersRequest";
import { DescribeProducersResponseData, TopicResponse as ProducersTopicResponse } from "../../assembly/messages/DescribeProducersResponse";
import { ListConfigResourcesRequestData } from "../../assembly/messages/ListConfigResourcesRequest";
import { ListConfigResourcesResponseData } from "../../assembly/messages/ListConfigResourcesResponse";
import {
  DescribeTopicPartitionsRequestData, TopicRequest as DescribedTopic, Cursor as RequestCursor,
} from "../../assembly/messages/DescribeTopicPartitionsRequest";
import {
  DescribeTopicPartitionsResponseData, DescribeTopicPartitionsResponseTopic, Cursor as ResponseCursor,
} from "../../assembly/messages/DescribeTopicPartitionsResponse";
import {
  policyOf, session, run, contextFor, respondedBody, forwardedBody, requestBytes, CORRELATION_ID,
} from "./support/enforce";

// alice: everything on orders.*, ALTER_CONFIGS on group g1; carol: READ on orders.* (so
// DESCRIBE, not CREATE); dave: CREATE and READ on orders.* (not DESCRIBE_CONFIGS); replica:
// CLUSTER_ACTION; ops: DESCRIBE and DESCRIBE_CONFIGS on the cluster; admin: super user.
const POLICY = `{"superUsers": ["User:admin"], "acls": [
  {"principal": "User:alice", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "ALL", "permissionType": "ALLOW"},
  {"principal": "User:alice", "resourceType": "GROUP", "resourceName": "g1", "operation": "ALTER_CONFIGS", "permissionType": "ALLOW"},
  {"principal": "User:carol", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:dave", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "CREATE", "permissionType": "ALLOW"},
  {"principal": "User:dave", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "READ", "permissionType": "ALLOW"},
  {"principal": "User:replica", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "CLUSTER_ACTION", "permissionType": "ALLOW"},
  {"principal": "User:ops", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "DESCRIBE_CONFIGS", "permissionType": "ALLOW"},
  {"principal": "User:ops", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "DESCRIBE", "permissionType": "ALLOW"}],
  "limits": {"createTopics": {"maxPartitions": 12, "maxReplicationFactor": 3, "minReplicationFactor": 2, "topicNameGlob": "orders.*"}}}`;

const TAF: i16 = 29;
const GAF: i16 = 30;
const CAF: i16 = 31;
const INVALID_REQUEST: i16 = 42;
const POLICY_VIOLATION: i16 = 44;
const UNKNOWN_TOPIC_ID: i16 = 100;

const ctxs = new Array<RequestContext>();

function check(principal: string, apiKey: i16, version: i16, body: Message): Verdict {
  return run(policyOf(POLICY), session(principal), apiKey, version, body, ctxs);
}

/** The broker's response after the last request's rewrite, as the client would decode it. */
function rewritten(apiKey: i16, version: i16, response: Message, expectChange: bool = true): Message {
  const after = ctxs[ctxs.length - 1].after;
  if (after == null) abort("no response rewrite was left");
  expect(after!.apply(response, version)).toBe(expectChange);
  return reencoded(apiKey, version, response);
}

function reencoded(apiKey: i16, version: i16, response: Message): Message {
  const bytes = encodeResponse(CORRELATION_ID, apiKey, version, response);
  if (bytes == null) abort("rewritten response does not encode");
  const d = decodeResponse(bytes!, apiKey, version);
  if (d.error.length > 0) abort("rewritten response does not decode: " + d.error);
  return d.body!;
}

function noRewrite(): void {
  expect(ctxs[ctxs.length - 1].after == null).toBe(true);
}

const ORDERS_ID = new Uuid(0x1111, 0x2222);
const PAYMENTS_ID = new Uuid(0x3333, 0x4444);
const UNSEEN_ID = new Uuid(0x5555, 0x6666);
learnTopicId(ORDERS_ID, "orders.eu");
learnTopicId(PAYMENTS_ID, "payments");

// ---------------------------------------------------------------------------------------

function fetch(names: Array<string>, ids: Array<Uuid>): FetchRequestData {
  const r = new FetchRequestData();
  for (let i = 0; i < names.length; i++) {
    const t = new FetchTopic();
    t.topic = names[i];
    t.topicId = ids[i];
    for (let p = 0; p < 2; p++) {
      const fp = new FetchPartition();
      fp.partition = p;
      t.partitions.push(fp);
    }
    r.topics.push(t);
  }
  return r;
}

function byName(names: Array<string>): FetchRequestData {
  const ids = new Array<Uuid>();
  for (let i = 0; i < names.length; i++) ids.push(Uuid.ZERO);
  return fetch(names, ids);
}

function byId(ids: Array<Uuid>): FetchRequestData {
  const names = new Array<string>();
  for (let i = 0; i < ids.length; i++) names.push("");
  return fetch(names, ids);
}

function fetchAnswer(name: string, id: Uuid): FetchableTopicResponse {
  const t = new FetchableTopicResponse();
  t.topic = name;
  t.topicId = id;
  const p = new PartitionData();
  p.records = new Uint8Array(0);
  t.partitions.push(p);
  return t;
}

describe("Fetch", () => {
  it("passes a consumer's fetch of readable topics untouched (v4, v12)", () => {
    expect(check("User:alice", 1, 4, byName(["orders.eu"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:carol", 1, 12, byName(["orders.eu", "orders.us"])).kind).toBe(VerdictKind.Pass);
    noRewrite();
  });

  it("answers an unreadable topic per partition as FetchResponse.partitionResponse does (v4, v12)", () => {
    for (let v: i16 = 4; v <= 12; v += 8) {
      const resp = changetype<FetchResponseData>(respondedBody(check("User:alice", 1, v, byName(["payments"])), 1, v));
      expect(resp.responses.length).toBe(1);
      expect(resp.responses[0].topic).toBe("payments");
      expect(resp.responses[0].partitions.length).toBe(2);
      expect(resp.responses[0].partitions[1].partitionIndex).toBe(1);
      expect(resp.responses[0].partitions[1].errorCode).toBe(TAF);
      expect(resp.responses[0].partitions[1].highWatermark).toBe(-1);
      expect(resp.sessionId).toBe(0);
    }
  });

  it("forwards a mixed fetch with only the readable topic, outside any session, and merges the refusal", () => {
    const req = byName(["orders.eu", "payments"]);
    req.sessionId = 77;
    req.sessionEpoch = 3;
    const forgotten = new ForgottenTopic();
    forgotten.topic = "orders.old";
    req.forgottenTopicsData.push(forgotten);
    // Session 77 was opened for this connection by an earlier full fetch.
    const alice = session("User:alice");
    alice.fetchSessions.remember(77, false);
    const fwd = changetype<FetchRequestData>(forwardedBody(run(policyOf(POLICY), alice, 1, 12, req, ctxs)));
    expect(fwd.topics.length).toBe(1);
    expect(fwd.topics[0].topic).toBe("orders.eu");
    expect(fwd.sessionId).toBe(77);
    expect(fwd.sessionEpoch).toBe(-1);
    expect(fwd.forgottenTopicsData.length).toBe(0);
    const broker = new FetchResponseData();
    broker.responses.push(fetchAnswer("orders.eu", Uuid.ZERO));
    const resp = changetype<FetchResponseData>(rewritten(1, 12, broker));
    expect(resp.responses.length).toBe(2);
    expect(resp.responses[1].topic).toBe("payments");
    expect(resp.responses[1].partitions[0].errorCode).toBe(TAF);
  });

  it("adds nothing to a throttled empty response or a failed fetch, as Kafka lists no partition then", () => {
    const fwd = check("User:alice", 1, 12, byName(["orders.eu", "payments"]));
    expect(fwd.kind).toBe(VerdictKind.Replace);
    const throttled = new FetchResponseData();
    throttled.throttleTimeMs = 100;
    rewritten(1, 12, throttled, false);
    expect(throttled.responses.length).toBe(0);
    const failed = new FetchResponseData();
    failed.errorCode = 70;
    rewritten(1, 12, failed, false);
  });

  it("names topics by id from v13: known ids are checked, unknown ones fail closed (v13, v18)", () => {
    expect(check("User:alice", 1, 13, byId([ORDERS_ID])).kind).toBe(VerdictKind.Pass);
    const resp = changetype<FetchResponseData>(respondedBody(check("User:alice", 1, 18, byId([UNSEEN_ID, PAYMENTS_ID])), 1, 18));
    expect(resp.responses.length).toBe(2);
    expect(resp.responses[0].topicId.equals(UNSEEN_ID)).toBe(true);
    expect(resp.responses[0].partitions[0].errorCode).toBe(UNKNOWN_TOPIC_ID);
    expect(resp.responses[1].topicId.equals(PAYMENTS_ID)).toBe(true);
    expect(resp.responses[1].partitions[0].errorCode).toBe(TAF);
  });

  it("splits a v18 fetch by id and merges the refused topic by id", () => {
    const fwd = changetype<FetchRequestData>(forwardedBody(check("User:alice", 1, 18, byId([ORDERS_ID, PAYMENTS_ID]))));
    expect(fwd.topics.length).toBe(1);
    expect(fwd.topics[0].topicId.equals(ORDERS_ID)).toBe(true);
    const broker = new FetchResponseData();
    broker.responses.push(fetchAnswer("", ORDERS_ID));
    const resp = changetype<FetchResponseData>(rewritten(1, 18, broker));
    expect(resp.responses[1].topicId.equals(PAYMENTS_ID)).toBe(true);
    expect(resp.responses[1].partitions[1].errorCode).toBe(TAF);
  });

  it("needs CLUSTER_ACTION for a follower's fetch and refuses it per partition (v12 replicaId, v15 replicaState)", () => {
    const old = byName(["orders.eu"]);
    old.replicaId = 2;
    const resp = changetype<FetchResponseData>(respondedBody(check("User:alice", 1, 12, old), 1, 12));
    expect(resp.responses[0].partitions[0].errorCode).toBe(TAF);
    const req = byId([PAYMENTS_ID]);
    req.replicaState.replicaId = 2;
    expect(check("User:replica", 1, 15, req).kind).toBe(VerdictKind.Pass);
  });

  it("refuses a follower's incremental fetch without CLUSTER_ACTION even when it lists nothing, in a session this connection opened (the broker would serve the session's partitions to it as a follower)", () => {
    const alice = session("User:alice");
    alice.fetchSessions.remember(4242, false);
    const incremental = byName([]);
    incremental.replicaId = 2;
    incremental.sessionId = 4242;
    incremental.sessionEpoch = 1;
    const v = run(policyOf(POLICY), alice, 1, 12, incremental, ctxs);
    expect(v.kind).toBe(VerdictKind.Respond);
    expect(ctxs[ctxs.length - 1].refusals.length).toBe(1);
    // The same as a consumer goes on in its session.
    const consumer = byName([]);
    consumer.sessionId = 4242;
    consumer.sessionEpoch = 1;
    expect(run(policyOf(POLICY), alice, 1, 12, consumer, ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("takes every epoch but 0 and -1 as incremental, as Kafka does: -2 in a session not opened here is FETCH_SESSION_ID_NOT_FOUND", () => {
    const req = byName(["orders.eu"]);
    req.sessionId = 99;
    req.sessionEpoch = -2;
    const resp = changetype<FetchResponseData>(respondedBody(check("User:alice", 1, 12, req), 1, 12));
    expect(resp.errorCode).toBe(FETCH_SESSION_ID_NOT_FOUND);
  });
});

// ---------------------------------------------------------------------------------------

function listOffsets(names: Array<string>): ListOffsetsRequestData {
  const r = new ListOffsetsRequestData();
  r.replicaId = -1;
  for (let i = 0; i < names.length; i++) {
    const t = new ListOffsetsTopic();
    t.name = names[i];
    const p = new ListOffsetsPartition();
    p.partitionIndex = 3;
    t.partitions.push(p);
    r.topics.push(t);
  }
  return r;
}

describe("ListOffsets", () => {
  it("passes topics the principal may DESCRIBE (v1, v11)", () => {
    expect(check("User:carol", 2, 1, listOffsets(["orders.eu"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:alice", 2, 11, listOffsets(["orders.eu"])).kind).toBe(VerdictKind.Pass);
  });

  it("answers a refused topic per partition with unknown offsets (v1, v11)", () => {
    for (let v: i16 = 1; v <= 11; v += 10) {
      const resp = changetype<ListOffsetsResponseData>(respondedBody(check("User:alice", 2, v, listOffsets(["payments"])), 2, v));
      const p = resp.topics[0].partitions[0];
      expect(resp.topics[0].name).toBe("payments");
      expect(p.partitionIndex).toBe(3);
      expect(p.errorCode).toBe(TAF);
      expect(p.offset).toBe(-1);
      expect(p.timestamp).toBe(-1);
    }
  });

  it("splits a mixed request and merges the refusal", () => {
    const fwd = changetype<ListOffsetsRequestData>(forwardedBody(check("User:alice", 2, 7, listOffsets(["payments", "orders.eu"]))));
    expect(fwd.topics.length).toBe(1);
    expect(fwd.topics[0].name).toBe("orders.eu");
    const broker = new ListOffsetsResponseData();
    const t = new ListOffsetsTopicResponse();
    t.name = "orders.eu";
    broker.topics.push(t);
    const resp = changetype<ListOffsetsResponseData>(rewritten(2, 7, broker));
    expect(resp.topics.length).toBe(2);
    expect(resp.topics[1].name).toBe("payments");
    expect(resp.topics[1].partitions[0].errorCode).toBe(TAF);
  });

  it("answers every topic with the limits.apis refusal", () => {
    const ctx = contextFor(policyOf(POLICY), session("User:admin"), 2, 11, listOffsets(["orders.eu"]));
    const v = denyWholeRequest(ctx, "API not allowed by limits.apis", CAF);
    const resp = changetype<ListOffsetsResponseData>(respondedBody(v, 2, 11));
    expect(resp.topics[0].partitions[0].errorCode).toBe(CAF);
  });
});

// ---------------------------------------------------------------------------------------

function metadata(names: Array<string>): MetadataRequestData {
  const r = new MetadataRequestData();
  for (let i = 0; i < names.length; i++) {
    const t = new MetadataRequestTopic();
    t.name = names[i];
    r.topics!.push(t);
  }
  return r;
}

function metadataById(ids: Array<Uuid>): MetadataRequestData {
  const r = new MetadataRequestData();
  for (let i = 0; i < ids.length; i++) {
    const t = new MetadataRequestTopic();
    t.name = null;
    t.topicId = ids[i];
    r.topics!.push(t);
  }
  return r;
}

function brokerMetadata(names: Array<string>): MetadataResponseData {
  const m = new MetadataResponseData();
  for (let i = 0; i < names.length; i++) {
    const t = new MetadataResponseTopic();
    t.name = names[i];
    t.topicId = new Uuid(i + 1, 1);
    m.topics.push(t);
  }
  return m;
}

function metadataNames(m: MetadataResponseData): string {
  const names = new Array<string>();
  for (let i = 0; i < m.topics.length; i++) {
    const n = m.topics[i].name;
    names.push(n != null ? n : "<null>");
  }
  return names.join(",");
}

describe("Metadata", () => {
  it("passes a listing of every topic and hides the topics the principal may not DESCRIBE (v1, v12)", () => {
    for (let v: i16 = 1; v <= 12; v += 11) {
      const req = new MetadataRequestData();
      req.topics = null;
      expect(check("User:carol", 3, v, req).kind).toBe(VerdictKind.Pass);
      const resp = changetype<MetadataResponseData>(rewritten(3, v, brokerMetadata(["orders.eu", "payments", "orders.us"])));
      expect(metadataNames(resp)).toBe("orders.eu,orders.us");
    }
  });

  it("treats v0's empty list as a listing", () => {
    expect(check("User:carol", 3, 0, metadata([])).kind).toBe(VerdictKind.Pass);
    const resp = changetype<MetadataResponseData>(rewritten(3, 0, brokerMetadata(["payments", "orders.eu"])));
    expect(metadataNames(resp)).toBe("orders.eu");
  });

  it("leaves a listing the principal may see whole untouched", () => {
    const req = new MetadataRequestData();
    req.topics = null;
    check("User:admin", 3, 12, req);
    rewritten(3, 12, brokerMetadata(["orders.eu", "payments"]), false);
  });

  it("passes named topics the principal may DESCRIBE and CREATE (v1, v13)", () => {
    expect(check("User:alice", 3, 1, metadata(["orders.eu"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:alice", 3, 13, metadata(["orders.eu", "orders.us"])).kind).toBe(VerdictKind.Pass);
    noRewrite();
  });

  it("does not look up a refused named topic and answers it with TOPIC_AUTHORIZATION_FAILED", () => {
    const fwd = changetype<MetadataRequestData>(forwardedBody(check("User:alice", 3, 12, metadata(["orders.eu", "payments"]))));
    expect(fwd.topics!.length).toBe(1);
    expect(fwd.topics![0].name).toBe("orders.eu");
    const resp = changetype<MetadataResponseData>(rewritten(3, 12, brokerMetadata(["orders.eu"])));
    expect(metadataNames(resp)).toBe("orders.eu,payments");
    const refused = resp.topics[1];
    expect(refused.errorCode).toBe(TAF);
    expect(refused.topicId.isZero()).toBe(true);
    expect(refused.isInternal).toBe(false);
    expect(refused.partitions.length).toBe(0);
  });

  it("shows no topic the principal may not DESCRIBE in an answer to named topics, nor drops one without a name", () => {
    // Kafka names only what was asked; a broker that answered the request before this one
    // twice would have that answer taken for this one's (answers are matched by position).
    check("User:alice", 3, 12, metadata(["orders.eu", "payments"]));
    const answer = brokerMetadata(["orders.eu", "secret", "payments"]);
    const unknown = new MetadataResponseTopic();
    unknown.name = null;
    unknown.errorCode = 100; // UNKNOWN_TOPIC_ID
    answer.topics.push(unknown);
    const resp = changetype<MetadataResponseData>(rewritten(3, 12, answer));
    // The broker's "payments" is hidden; the refusal the filter adds names it, as Kafka would.
    expect(metadataNames(resp)).toBe("orders.eu,<null>,payments");
    expect(resp.topics[2].errorCode).toBe(TAF);
  });

  it("still asks the broker (for its brokers) when every named topic is refused (v1, v0)", () => {
    const fwd = changetype<MetadataRequestData>(forwardedBody(check("User:alice", 3, 1, metadata(["payments"]))));
    expect(fwd.topics!.length).toBe(0);
    expect(metadataNames(changetype<MetadataResponseData>(rewritten(3, 1, brokerMetadata([]))))).toBe("payments");
    // v0's empty list asks for every topic: none of the broker's is shown.
    check("User:alice", 3, 0, metadata(["payments"]));
    const resp = changetype<MetadataResponseData>(rewritten(3, 0, brokerMetadata(["orders.eu", "secret"])));
    expect(metadataNames(resp)).toBe("payments");
  });

  it("turns auto-creation off when the principal may not CREATE a named topic (v4, v12)", () => {
    for (let v: i16 = 4; v <= 12; v += 8) {
      const fwd = changetype<MetadataRequestData>(forwardedBody(check("User:carol", 3, v, metadata(["orders.new"]))));
      expect(fwd.allowAutoTopicCreation).toBe(false);
      expect(fwd.topics!.length).toBe(1);
    }
    const off = metadata(["orders.new"]);
    off.allowAutoTopicCreation = false;
    expect(check("User:carol", 3, 12, off).kind).toBe(VerdictKind.Pass);
    expect(check("User:dave", 3, 12, metadata(["orders.new"])).kind).toBe(VerdictKind.Pass);
  });

  it("turns auto-creation off for a topic limits.createTopics refuses, whoever asks (v4, v12)", () => {
    // admin may CREATE anything, but "payments" is outside the name glob "orders.*".
    for (let v: i16 = 4; v <= 12; v += 8) {
      const fwd = changetype<MetadataRequestData>(forwardedBody(check("User:admin", 3, v, metadata(["orders.new", "payments"]))));
      expect(fwd.allowAutoTopicCreation).toBe(false);
      expect(fwd.topics!.length).toBe(2);
    }
    expect(check("User:admin", 3, 12, metadata(["orders.new"])).kind).toBe(VerdictKind.Pass);
  });

  // The broker auto-creates with CreateTopics: limits.apis denying it denies this way too.
  it("turns auto-creation off when limits.apis does not allow CreateTopics, and refuses the topic before v4", () => {
    const noCreate = policyOf(POLICY.replace('"limits": {"createTopics"', '"limits": {"apis": {"deny": ["CreateTopics"]}, "createTopics"'));
    const fwd = changetype<MetadataRequestData>(forwardedBody(run(noCreate, session("User:admin"), 3, 12, metadata(["orders.new"]), ctxs)));
    expect(fwd.allowAutoTopicCreation).toBe(false);
    const old = changetype<MetadataRequestData>(forwardedBody(run(noCreate, session("User:admin"), 3, 3, metadata(["orders.eu", "orders.new"]), ctxs)));
    expect(old.topics!.length).toBe(0);
    expect(run(policyOf(POLICY), session("User:admin"), 3, 12, metadata(["orders.new"]), ctxs).kind).toBe(VerdictKind.Pass);
  });

  it("refuses a topic limits.createTopics forbids before v4, with the limit's error", () => {
    const fwd = changetype<MetadataRequestData>(forwardedBody(check("User:admin", 3, 3, metadata(["orders.eu", "payments"]))));
    expect(fwd.topics!.length).toBe(1);
    expect(fwd.topics![0].name).toBe("orders.eu");
    const resp = changetype<MetadataResponseData>(rewritten(3, 3, brokerMetadata(["orders.eu"])));
    expect(metadataNames(resp)).toBe("orders.eu,payments");
    expect(resp.topics[1].errorCode).toBe(POLICY_VIOLATION);
  });

  it("refuses a topic it cannot keep from being auto-created before v4", () => {
    const v = check("User:carol", 3, 3, metadata(["orders.eu", "__consumer_offsets"]));
    const fwd = changetype<MetadataRequestData>(forwardedBody(v));
    expect(fwd.topics!.length).toBe(0);
    const resp = changetype<MetadataResponseData>(rewritten(3, 3, brokerMetadata([])));
    expect(resp.topics.length).toBe(2);
    // orders.eu: describable, not creatable; __consumer_offsets: not even describable.
    expect(resp.topics[0].name).toBe("orders.eu");
    expect(resp.topics[0].errorCode).toBe(TAF);
    expect(resp.topics[0].isInternal).toBe(false);
    expect(resp.topics[1].name).toBe("__consumer_offsets");
    expect(resp.topics[1].errorCode).toBe(TAF);
  });

  it("resolves topics named by id (v12): unknown ids get UNKNOWN_TOPIC_ID, refused ones stay unnamed", () => {
    const fwd = changetype<MetadataRequestData>(forwardedBody(check("User:alice", 3, 12, metadataById([ORDERS_ID, UNSEEN_ID, PAYMENTS_ID]))));
    expect(fwd.topics!.length).toBe(1);
    expect(fwd.topics![0].topicId.equals(ORDERS_ID)).toBe(true);
    const resp = changetype<MetadataResponseData>(rewritten(3, 12, brokerMetadata(["orders.eu"])));
    expect(resp.topics.length).toBe(3);
    expect(resp.topics[1].errorCode).toBe(UNKNOWN_TOPIC_ID);
    expect(resp.topics[1].topicId.equals(UNSEEN_ID)).toBe(true);
    expect(resp.topics[1].name == null).toBe(true);
    expect(resp.topics[2].errorCode).toBe(TAF);
    expect(resp.topics[2].topicId.equals(PAYMENTS_ID)).toBe(true);
    expect(resp.topics[2].name == null).toBe(true);
  });

  it("decides on the id when an entry carries both, and drops named entries Kafka would ignore (v12)", () => {
    // As KafkaApis: once any entry has an id, the broker looks up ids alone. alice may describe
    // orders.eu but not payments: the names here are decoys.
    const req = metadataById([PAYMENTS_ID, ORDERS_ID]);
    req.topics![0].name = "orders.eu";
    req.topics![1].name = "payments";
    const decoy = new MetadataRequestTopic();
    decoy.name = "payments";
    req.topics!.push(decoy);
    const fwd = changetype<MetadataRequestData>(forwardedBody(check("User:alice", 3, 12, req)));
    expect(fwd.topics!.length).toBe(1);
    expect(fwd.topics![0].topicId.equals(ORDERS_ID)).toBe(true);
    expect(fwd.allowAutoTopicCreation).toBe(true); // ids are never auto-created: left as sent
    const resp = changetype<MetadataResponseData>(rewritten(3, 12, brokerMetadata(["orders.eu"])));
    expect(resp.topics.length).toBe(2);
    expect(resp.topics[1].errorCode).toBe(TAF);
    expect(resp.topics[1].topicId.equals(PAYMENTS_ID)).toBe(true);
    expect(resp.topics[1].name == null).toBe(true);
  });

  it("reports authorized operations from the policy when asked (v8 cluster and topics, v12 topics)", () => {
    const req = metadata(["orders.eu", "payments"]);
    req.includeTopicAuthorizedOperations = true;
    req.includeClusterAuthorizedOperations = true;
    check("User:carol", 3, 8, req);
    const resp = changetype<MetadataResponseData>(rewritten(3, 8, brokerMetadata(["orders.eu"])));
    // carol: READ and DESCRIBE (3, 8) on orders.eu; nothing on the cluster (no DESCRIBE).
    expect(resp.topics[0].topicAuthorizedOperations).toBe((1 << 3) | (1 << 8));
    expect(resp.topics[1].topicAuthorizedOperations).toBe(i32.MIN_VALUE);
    expect(resp.clusterAuthorizedOperations).toBe(0);
    const listing = new MetadataRequestData();
    listing.topics = null;
    listing.includeTopicAuthorizedOperations = true;
    listing.includeClusterAuthorizedOperations = true;
    check("User:ops", 3, 10, listing);
    const all = changetype<MetadataResponseData>(rewritten(3, 10, brokerMetadata(["orders.eu"])));
    expect(all.topics.length).toBe(0);
    expect(all.clusterAuthorizedOperations).toBe((1 << 8) | (1 << 10));
    const named = metadata(["orders.eu"]);
    named.includeTopicAuthorizedOperations = true;
    expect(check("User:alice", 3, 12, named).kind).toBe(VerdictKind.Pass);
    const mine = changetype<MetadataResponseData>(rewritten(3, 12, brokerMetadata(["orders.eu"])));
    // Every topic operation (AclEntry.supportedOperations): READ..DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
    expect(mine.topics[0].topicAuthorizedOperations).toBe(0xdf8);
  });

  it("answers a limits.apis refusal with the top-level error (v13)", () => {
    const ctx = contextFor(policyOf(POLICY), session("User:admin"), 3, 13, metadata(["orders.eu"]));
    const resp = changetype<MetadataResponseData>(respondedBody(denyWholeRequest(ctx, "API not allowed by limits.apis", CAF), 3, 13));
    expect(resp.errorCode).toBe(CAF);
  });
});

// ---------------------------------------------------------------------------------------

function createTopics(names: Array<string>, partitions: i32 = 3, replicationFactor: i16 = 2): CreateTopicsRequestData {
  const r = new CreateTopicsRequestData();
  for (let i = 0; i < names.length; i++) {
    const t = new CreatableTopic();
    t.name = names[i];
    t.numPartitions = partitions;
    t.replicationFactor = replicationFactor;
    r.topics.push(t);
  }
  return r;
}

function created(name: string): CreatableTopicResult {
  const r = new CreatableTopicResult();
  r.name = name;
  r.errorMessage = null;
  r.numPartitions = 3;
  r.replicationFactor = 2;
  const c = new CreatableTopicConfigs();
  c.name = "cleanup.policy";
  c.value = "delete";
  r.configs!.push(c);
  return r;
}

function createdAnswer(r: CreateTopicsResponseData, name: string): CreatableTopicResult {
  for (let i = 0; i < r.topics.length; i++) if (r.topics[i].name == name) return r.topics[i];
  abort("no answer for " + name);
  return new CreatableTopicResult();
}

describe("CreateTopics", () => {
  it("passes topics the principal may CREATE within the limits (v2, v7)", () => {
    expect(check("User:alice", 19, 2, createTopics(["orders.eu"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:admin", 19, 7, createTopics(["orders.eu", "orders.us"], -1, -1)).kind).toBe(VerdictKind.Pass);
    noRewrite();
  });

  it("answers a topic without CREATE as ControllerApis does (v2, v7)", () => {
    for (let v: i16 = 2; v <= 7; v += 5) {
      const resp = changetype<CreateTopicsResponseData>(respondedBody(check("User:carol", 19, v, createTopics(["orders.eu"])), 19, v));
      const t = resp.topics[0];
      expect(t.name).toBe("orders.eu");
      expect(t.errorCode).toBe(TAF);
      expect(t.errorMessage).toBe("Authorization failed.");
      expect(t.numPartitions).toBe(-1);
      expect(t.replicationFactor).toBe(-1);
      expect(t.topicConfigErrorCode).toBe(0);
    }
  });

  it("splits a mixed request and merges the refusal", () => {
    const fwd = changetype<CreateTopicsRequestData>(forwardedBody(check("User:alice", 19, 5, createTopics(["orders.eu", "payments"]))));
    expect(fwd.topics.length).toBe(1);
    expect(fwd.topics[0].name).toBe("orders.eu");
    const broker = new CreateTopicsResponseData();
    broker.topics.push(created("orders.eu"));
    const resp = changetype<CreateTopicsResponseData>(rewritten(19, 5, broker));
    expect(resp.topics.length).toBe(2);
    expect(resp.topics[0].configs!.length).toBe(1);
    expect(resp.topics[1].name).toBe("payments");
    expect(resp.topics[1].errorCode).toBe(TAF);
  });

  it("refuses what limits.createTopics forbids, with its message", () => {
    const v = check("User:admin", 19, 7, createTopics(["orders.big", "payments"], 20, 2));
    expect(v.kind).toBe(VerdictKind.Respond);
    const resp = changetype<CreateTopicsResponseData>(respondedBody(v, 19, 7));
    expect(resp.topics[0].errorCode).toBe(37); // INVALID_PARTITIONS
    expect(resp.topics[1].errorCode).toBe(POLICY_VIOLATION); // name outside orders.*
    expect(resp.topics[1].errorMessage!.includes("does not match")).toBe(true);
    const req = createTopics(["orders.thin", "orders.ok"], 3, 1);
    req.topics[1].replicationFactor = 2;
    const fwd = changetype<CreateTopicsRequestData>(forwardedBody(check("User:admin", 19, 7, req)));
    expect(fwd.topics.length).toBe(1);
    expect(fwd.topics[0].name).toBe("orders.ok");
  });

  // ControllerApis.createTopics: a name listed twice is answered INVALID_REQUEST once, before any
  // ACL, and neither entry is created. One entry refused by a limit and the other sent on had
  // the broker create the topic (a review session's finding).
  it("answers a name listed twice INVALID_REQUEST once and sends neither entry on", () => {
    const req = createTopics(["orders.t", "orders.t", "orders.eu"], 3, 2);
    req.topics[0].numPartitions = 1000; // past maxPartitions: refused alone, the other went on
    const fwd = changetype<CreateTopicsRequestData>(forwardedBody(check("User:admin", 19, 7, req)));
    expect(fwd.topics.length).toBe(1);
    expect(fwd.topics[0].name).toBe("orders.eu");
    const broker = new CreateTopicsResponseData();
    broker.topics.push(created("orders.eu"));
    const resp = changetype<CreateTopicsResponseData>(rewritten(19, 7, broker));
    expect(resp.topics.length).toBe(2);
    expect(resp.topics[1].name).toBe("orders.t");
    expect(resp.topics[1].errorCode).toBe(INVALID_REQUEST);
    expect(resp.topics[1].errorMessage).toBe("Duplicate topic name.");
    // Before any ACL: carol may not create orders.*, and is told the same.
    const all = check("User:carol", 19, 7, createTopics(["orders.t", "orders.t"]));
    expect(all.kind).toBe(VerdictKind.Respond);
    const answered = changetype<CreateTopicsResponseData>(respondedBody(all, 19, 7));
    expect(answered.topics.length).toBe(1);
    expect(answered.topics[0].errorCode).toBe(INVALID_REQUEST);
  });

  it("counts manual assignments: one per partition, each with its replicas", () => {
    const req = createTopics(["orders.eu"], -1, -1);
    for (let p = 0; p < 13; p++) {
      const a = new CreatableReplicaAssignment();
      a.partitionIndex = p;
      a.brokerIds = [1, 2];
      req.topics[0].assignments.push(a);
    }
    const resp = changetype<CreateTopicsResponseData>(respondedBody(check("User:alice", 19, 7, req), 19, 7));
    expect(resp.topics[0].errorCode).toBe(37);
    req.topics[0].assignments.length = 2;
    req.topics[0].assignments[1].brokerIds = [1];
    const thin = changetype<CreateTopicsResponseData>(respondedBody(check("User:alice", 19, 7, req), 19, 7));
    expect(thin.topics[0].errorCode).toBe(38); // INVALID_REPLICATION_FACTOR
  });

  // Kafka answers a validation with the ids the topics would get: random, never created. A
  // client could fill the VM's table of ids with them, a thousand a request.
  it("learns topic ids from a creation's answer, not from a validation's (validateOnly), in audit mode too", () => {
    for (let run = 0; run < 4; run++) {
    const audit = run >= 2;
    const config = audit ? POLICY.replace('{"superUsers"', '{"mode": "audit", "superUsers"') : POLICY;
    const e = new Enforcer(loadConfig(config).config!, "127.0.0.1", "");
    e.session.principal = "User:dave"; // may CREATE, not DESCRIBE_CONFIGS: the answer is rewritten too
    const validate = run % 2;
    {
      const name = (validate == 1 ? "orders.validated" : "orders.created") + run.toString();
      const id = new Uuid(0x5151 + run, 0x6161);
      const req = createTopics([name]);
      req.validateOnly = validate == 1;
      const frame = requestBytes(19, 7, req);
      const header = new RequestHeader(19, 7, 50 + validate, "spec-client", 0, frame.length);
      const v = e.onRequest(frame, header);
      expect(v.kind).toBe(VerdictKind.Pass);
      const answer = new CreateTopicsResponseData();
      const t = created(name);
      t.topicId = id;
      answer.topics.push(t);
      const bytes = encodeResponse(50 + validate, 19, 7, answer)!;
      const out = e.onResponse(bytes, new ResponseInfo(50 + validate, 19, 7, header, bytes.length, v.note));
      expect(out.kind).not.toBe(VerdictKind.Close);
      if (validate == 1) expect(topicName(id)).toBeNull();
      else expect(topicName(id)).toBe(name);
    }
    }
  });

  it("refuses __cluster_metadata to anyone, as Kafka does before any ACL", () => {
    const resp = changetype<CreateTopicsResponseData>(respondedBody(check("User:admin", 19, 7, createTopics(["__cluster_metadata"])), 19, 7));
    expect(resp.topics[0].errorCode).toBe(INVALID_REQUEST);
  });

  it("withholds a created topic's configs from a principal without DESCRIBE_CONFIGS (v5+)", () => {
    expect(check("User:dave", 19, 7, createTopics(["orders.eu"])).kind).toBe(VerdictKind.Pass);
    const broker = new CreateTopicsResponseData();
    broker.topics.push(created("orders.eu"));
    const t = createdAnswer(changetype<CreateTopicsResponseData>(rewritten(19, 7, broker)), "orders.eu");
    expect(t.errorCode).toBe(0);
    expect(t.configs!.length).toBe(0);
    expect(t.numPartitions).toBe(-1);
    expect(t.replicationFactor).toBe(-1);
    expect(t.topicConfigErrorCode).toBe(TAF);
  });

  // A validation is answered with the configs a topic would get: DescribeConfigs by another name.
  it("withholds them too when limits.apis does not allow DescribeConfigs, whoever asks", () => {
    const noDescribe = policyOf(POLICY.replace('"limits": {"createTopics"', '"limits": {"apis": {"deny": ["DescribeConfigs"]}, "createTopics"'));
    const req = createTopics(["orders.eu"]);
    req.validateOnly = true;
    expect(run(noDescribe, session("User:admin"), 19, 7, req, ctxs).kind).toBe(VerdictKind.Pass);
    const broker = new CreateTopicsResponseData();
    broker.topics.push(created("orders.eu"));
    const t = createdAnswer(changetype<CreateTopicsResponseData>(rewritten(19, 7, broker)), "orders.eu");
    expect(t.configs!.length).toBe(0);
    expect(t.topicConfigErrorCode).toBe(TAF);
  });
});

// ---------------------------------------------------------------------------------------

function deleteByName(names: Array<string>): DeleteTopicsRequestData {
  const r = new DeleteTopicsRequestData();
  for (let i = 0; i < names.length; i++) r.topicNames.push(names[i]);
  return r;
}

function deleteStates(names: Array<string | null>, ids: Array<Uuid>): DeleteTopicsRequestData {
  const r = new DeleteTopicsRequestData();
  for (let i = 0; i < names.length; i++) {
    const s = new DeleteTopicState();
    s.name = names[i];
    s.topicId = ids[i];
    r.topics.push(s);
  }
  return r;
}

describe("DeleteTopics", () => {
  it("passes topics the principal may DELETE (v1 names, v6 ids), and any with DELETE on the cluster", () => {
    expect(check("User:alice", 20, 1, deleteByName(["orders.eu"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:alice", 20, 6, deleteStates([null], [ORDERS_ID])).kind).toBe(VerdictKind.Pass);
    expect(check("User:admin", 20, 6, deleteStates(["payments"], [Uuid.ZERO])).kind).toBe(VerdictKind.Pass);
  });

  it("answers refused names with TOPIC_AUTHORIZATION_FAILED (v1, v5 with its message)", () => {
    const old = changetype<DeleteTopicsResponseData>(respondedBody(check("User:carol", 20, 1, deleteByName(["orders.eu"])), 20, 1));
    expect(old.responses[0].name).toBe("orders.eu");
    expect(old.responses[0].errorCode).toBe(TAF);
    const v5 = changetype<DeleteTopicsResponseData>(respondedBody(check("User:carol", 20, 5, deleteByName(["orders.eu"])), 20, 5));
    expect(v5.responses[0].errorMessage).toBe("Topic authorization failed.");
  });

  it("names a refused topic given by id only to a principal that may DESCRIBE it; unknown ids fail closed (v6)", () => {
    const v = check("User:carol", 20, 6, deleteStates([null, null, null], [ORDERS_ID, PAYMENTS_ID, UNSEEN_ID]));
    const resp = changetype<DeleteTopicsResponseData>(respondedBody(v, 20, 6));
    expect(resp.responses[0].name).toBe("orders.eu");
    expect(resp.responses[0].topicId.equals(ORDERS_ID)).toBe(true);
    expect(resp.responses[0].errorCode).toBe(TAF);
    expect(resp.responses[1].name == null).toBe(true);
    expect(resp.responses[1].errorCode).toBe(TAF);
    expect(resp.responses[2].name == null).toBe(true);
    expect(resp.responses[2].errorCode).toBe(UNKNOWN_TOPIC_ID);
  });

  it("splits mixed requests and merges the refusals (v1, v6)", () => {
    const fwd = changetype<DeleteTopicsRequestData>(forwardedBody(check("User:alice", 20, 1, deleteByName(["orders.eu", "payments"]))));
    expect(fwd.topicNames.length).toBe(1);
    expect(fwd.topicNames[0]).toBe("orders.eu");
    const broker = new DeleteTopicsResponseData();
    const ok = new DeletableTopicResult();
    ok.name = "orders.eu";
    broker.responses.push(ok);
    const resp = changetype<DeleteTopicsResponseData>(rewritten(20, 1, broker));
    expect(resp.responses[1].name).toBe("payments");
    expect(resp.responses[1].errorCode).toBe(TAF);
    const byIds = changetype<DeleteTopicsRequestData>(forwardedBody(check("User:alice", 20, 6, deleteStates([null, "payments"], [ORDERS_ID, Uuid.ZERO]))));
    expect(byIds.topics.length).toBe(1);
    expect(byIds.topics[0].topicId.equals(ORDERS_ID)).toBe(true);
  });

  // ControllerApis.deleteTopics answers these before any ACL, and deletes none of them.
  it("answers an entry with neither a name nor an id, or with both, INVALID_REQUEST with Kafka's message (v6)", () => {
    const resp = changetype<DeleteTopicsResponseData>(respondedBody(check("User:carol", 20, 6, deleteStates([null, "payments"], [Uuid.ZERO, PAYMENTS_ID])), 20, 6));
    expect(resp.responses.length).toBe(2);
    expect(resp.responses[0].name == null && resp.responses[0].topicId.isZero()).toBe(true);
    expect(resp.responses[0].errorCode).toBe(INVALID_REQUEST);
    expect(resp.responses[0].errorMessage).toBe("Neither topic name nor id were specified.");
    expect(resp.responses[1].name).toBe("payments");
    expect(resp.responses[1].topicId.equals(PAYMENTS_ID)).toBe(true);
    expect(resp.responses[1].errorMessage).toBe("You may not specify both topic name and topic id.");
  });

  it("answers a name or an id listed twice INVALID_REQUEST once (v1, v6)", () => {
    const names = changetype<DeleteTopicsResponseData>(respondedBody(check("User:carol", 20, 1, deleteByName(["payments", "payments"])), 20, 1));
    expect(names.responses.length).toBe(1);
    expect(names.responses[0].name).toBe("payments");
    expect(names.responses[0].errorCode).toBe(INVALID_REQUEST);
    const ids = changetype<DeleteTopicsResponseData>(respondedBody(check("User:carol", 20, 6, deleteStates([null, null], [PAYMENTS_ID, PAYMENTS_ID])), 20, 6));
    expect(ids.responses.length).toBe(1);
    expect(ids.responses[0].name == null).toBe(true);
    expect(ids.responses[0].topicId.equals(PAYMENTS_ID)).toBe(true);
    expect(ids.responses[0].errorMessage).toBe("Duplicate topic id.");
  });
});

// ---------------------------------------------------------------------------------------

function deleteRecords(names: Array<string>): DeleteRecordsRequestData {
  const r = new DeleteRecordsRequestData();
  for (let i = 0; i < names.length; i++) {
    const t = new DeleteRecordsTopic();
    t.name = names[i];
    const p = new DeleteRecordsPartition();
    p.partitionIndex = 1;
    p.offset = 10;
    t.partitions.push(p);
    r.topics.push(t);
  }
  return r;
}

describe("DeleteRecords", () => {
  it("passes topics the principal may DELETE (v0, v2)", () => {
    expect(check("User:alice", 21, 0, deleteRecords(["orders.eu"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:alice", 21, 2, deleteRecords(["orders.eu"])).kind).toBe(VerdictKind.Pass);
  });

  it("answers refused partitions with low watermark -1 (v0, v2)", () => {
    for (let v: i16 = 0; v <= 2; v += 2) {
      const resp = changetype<DeleteRecordsResponseData>(respondedBody(check("User:carol", 21, v, deleteRecords(["orders.eu"])), 21, v));
      expect(resp.topics[0].partitions[0].partitionIndex).toBe(1);
      expect(resp.topics[0].partitions[0].errorCode).toBe(TAF);
      expect(resp.topics[0].partitions[0].lowWatermark).toBe(-1);
    }
  });

  it("splits a mixed request and merges the refusal", () => {
    const fwd = changetype<DeleteRecordsRequestData>(forwardedBody(check("User:alice", 21, 2, deleteRecords(["payments", "orders.eu"]))));
    expect(fwd.topics.length).toBe(1);
    const broker = new DeleteRecordsResponseData();
    const t = new DeleteRecordsTopicResult();
    t.name = "orders.eu";
    broker.topics.push(t);
    const resp = changetype<DeleteRecordsResponseData>(rewritten(21, 2, broker));
    expect(resp.topics[1].name).toBe("payments");
  });
});

// ---------------------------------------------------------------------------------------

function leaderEpochs(names: Array<string>, replicaId: i32): OffsetForLeaderEpochRequestData {
  const r = new OffsetForLeaderEpochRequestData();
  r.replicaId = replicaId;
  for (let i = 0; i < names.length; i++) {
    const t = new OffsetForLeaderTopic();
    t.topic = names[i];
    const p = new OffsetForLeaderPartition();
    p.partition = 4;
    t.partitions.push(p);
    r.topics.push(t);
  }
  return r;
}

describe("OffsetForLeaderEpoch", () => {
  it("passes every topic with CLUSTER_ACTION, and DESCRIBE-able topics otherwise (v2, v4)", () => {
    expect(check("User:replica", 23, 4, leaderEpochs(["payments"], 1)).kind).toBe(VerdictKind.Pass);
    expect(check("User:carol", 23, 2, leaderEpochs(["orders.eu"], -2)).kind).toBe(VerdictKind.Pass);
    // As in Kafka, the replica id grants nothing by itself.
    expect(check("User:carol", 23, 4, leaderEpochs(["orders.eu"], 1)).kind).toBe(VerdictKind.Pass);
  });

  it("answers refused partitions per topic (v2, v4)", () => {
    for (let v: i16 = 2; v <= 4; v += 2) {
      const resp = changetype<OffsetForLeaderEpochResponseData>(respondedBody(check("User:carol", 23, v, leaderEpochs(["payments"], -1)), 23, v));
      expect(resp.topics[0].topic).toBe("payments");
      expect(resp.topics[0].partitions[0].partition).toBe(4);
      expect(resp.topics[0].partitions[0].errorCode).toBe(TAF);
      expect(resp.topics[0].partitions[0].endOffset).toBe(-1);
    }
  });

  it("splits a mixed request and merges the refusal", () => {
    const fwd = changetype<OffsetForLeaderEpochRequestData>(forwardedBody(check("User:carol", 23, 4, leaderEpochs(["orders.eu", "payments"], -1))));
    expect(fwd.topics.length).toBe(1);
    const broker = new OffsetForLeaderEpochResponseData();
    const t = new OffsetForLeaderTopicResult();
    t.topic = "orders.eu";
    broker.topics.push(t);
    const resp = changetype<OffsetForLeaderEpochResponseData>(rewritten(23, 4, broker));
    expect(resp.topics[1].topic).toBe("payments");
  });
});

// ---------------------------------------------------------------------------------------

function describeConfigs(types: Array<i8>, names: Array<string>): DescribeConfigsRequestData {
  const r = new DescribeConfigsRequestData();
  for (let i = 0; i < types.length; i++) {
    const c = new DescribeConfigsResource();
    c.resourceType = types[i];
    c.resourceName = names[i];
    c.configurationKeys = null;
    r.resources.push(c);
  }
  return r;
}

function alterConfigs(types: Array<i8>, names: Array<string>): AlterConfigsRequestData {
  const r = new AlterConfigsRequestData();
  for (let i = 0; i < types.length; i++) {
    const c = new AlterConfigsResource();
    c.resourceType = types[i];
    c.resourceName = names[i];
    r.resources.push(c);
  }
  return r;
}

function incrementalAlterConfigs(types: Array<i8>, names: Array<string>): IncrementalAlterConfigsRequestData {
  const r = new IncrementalAlterConfigsRequestData();
  for (let i = 0; i < types.length; i++) {
    const c = new IncrementalResource();
    c.resourceType = types[i];
    c.resourceName = names[i];
    r.resources.push(c);
  }
  return r;
}

describe("DescribeConfigs", () => {
  it("passes resources the principal may DESCRIBE_CONFIGS (v1, v4)", () => {
    expect(check("User:alice", 32, 1, describeConfigs([2], ["orders.eu"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:ops", 32, 4, describeConfigs([4, 8, 16], ["1", "1", "m"])).kind).toBe(VerdictKind.Pass);
  });

  it("answers each refused resource with its type's error and Kafka's message (v1, v4)", () => {
    for (let v: i16 = 1; v <= 4; v += 3) {
      const req = describeConfigs([2, 4, 32, 9], ["payments", "1", "g2", "x"]);
      const resp = changetype<DescribeConfigsResponseData>(respondedBody(check("User:carol", 32, v, req), 32, v));
      expect(resp.results.length).toBe(4);
      expect(resp.results[0].errorCode).toBe(TAF);
      expect(resp.results[0].errorMessage).toBe("Topic authorization failed.");
      expect(resp.results[0].resourceName).toBe("payments");
      expect(resp.results[1].errorCode).toBe(CAF);
      expect(resp.results[1].resourceType).toBe(4);
      expect(resp.results[2].errorCode).toBe(GAF);
      expect(resp.results[3].errorCode).toBe(INVALID_REQUEST);
    }
  });

  it("splits a mixed request and merges the refusal", () => {
    const fwd = changetype<DescribeConfigsRequestData>(forwardedBody(check("User:alice", 32, 4, describeConfigs([2, 4], ["orders.eu", "1"]))));
    expect(fwd.resources.length).toBe(1);
    expect(fwd.resources[0].resourceName).toBe("orders.eu");
    const broker = new DescribeConfigsResponseData();
    const ok = new DescribeConfigsResult();
    ok.resourceType = 2;
    ok.resourceName = "orders.eu";
    broker.results.push(ok);
    const resp = changetype<DescribeConfigsResponseData>(rewritten(32, 4, broker));
    expect(resp.results[1].resourceName).toBe("1");
    expect(resp.results[1].errorCode).toBe(CAF);
  });
});

describe("AlterConfigs", () => {
  it("passes resources the principal may ALTER_CONFIGS (v0, v2)", () => {
    expect(check("User:alice", 33, 0, alterConfigs([2, 32], ["orders.eu", "g1"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:admin", 33, 2, alterConfigs([4], ["1"])).kind).toBe(VerdictKind.Pass);
  });

  it("refuses BROKER_LOGGER, which the legacy API does not take, and what the principal may not alter", () => {
    for (let v: i16 = 0; v <= 2; v += 2) {
      const resp = changetype<AlterConfigsResponseData>(respondedBody(check("User:admin", 33, v, alterConfigs([8], ["1"])), 33, v));
      expect(resp.responses[0].errorCode).toBe(INVALID_REQUEST);
      expect(resp.responses[0].errorMessage).toBe("Unknown resource type 8");
    }
    const resp = changetype<AlterConfigsResponseData>(respondedBody(check("User:carol", 33, 2, alterConfigs([2, 16], ["orders.eu", "m"])), 33, 2));
    expect(resp.responses[0].errorCode).toBe(TAF);
    expect(resp.responses[1].errorCode).toBe(CAF);
    expect(resp.responses[1].errorMessage).toBe("Cluster authorization failed.");
  });

  it("splits a mixed request and merges the refusal", () => {
    const fwd = changetype<AlterConfigsRequestData>(forwardedBody(check("User:alice", 33, 1, alterConfigs([2, 2], ["orders.eu", "payments"]))));
    expect(fwd.resources.length).toBe(1);
    const broker = new AlterConfigsResponseData();
    const ok = new AlterConfigsResourceResponse();
    ok.resourceName = "orders.eu";
    broker.responses.push(ok);
    const resp = changetype<AlterConfigsResponseData>(rewritten(33, 1, broker));
    expect(resp.responses[1].resourceName).toBe("payments");
    expect(resp.responses[1].errorCode).toBe(TAF);
  });
});

describe("IncrementalAlterConfigs", () => {
  it("passes resources the principal may ALTER_CONFIGS (v0, v1)", () => {
    expect(check("User:alice", 44, 0, incrementalAlterConfigs([32], ["g1"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:admin", 44, 1, incrementalAlterConfigs([8], ["1"])).kind).toBe(VerdictKind.Pass);
  });

  it("checks BROKER_LOGGER on the cluster and groups on themselves (v0, v1)", () => {
    for (let v: i16 = 0; v <= 1; v++) {
      const req = incrementalAlterConfigs([8, 32], ["1", "g2"]);
      const resp = changetype<IncrementalAlterConfigsResponseData>(respondedBody(check("User:alice", 44, v, req), 44, v));
      expect(resp.responses[0].errorCode).toBe(CAF);
      expect(resp.responses[1].errorCode).toBe(GAF);
      expect(resp.responses[1].errorMessage).toBe("Group authorization failed.");
    }
  });

  it("splits a mixed request and merges the refusal", () => {
    const fwd = changetype<IncrementalAlterConfigsRequestData>(forwardedBody(check("User:alice", 44, 1, incrementalAlterConfigs([32, 4], ["g1", "1"]))));
    expect(fwd.resources.length).toBe(1);
    const broker = new IncrementalAlterConfigsResponseData();
    const ok = new IncrementalResourceResponse();
    ok.resourceType = 32;
    ok.resourceName = "g1";
    broker.responses.push(ok);
    const resp = changetype<IncrementalAlterConfigsResponseData>(rewritten(44, 1, broker));
    expect(resp.responses[1].resourceType).toBe(4);
    expect(resp.responses[1].errorCode).toBe(CAF);
  });
});

// ---------------------------------------------------------------------------------------

function createPartitions(names: Array<string>): CreatePartitionsRequestData {
  const r = new CreatePartitionsRequestData();
  for (let i = 0; i < names.length; i++) {
    const t = new CreatePartitionsTopic();
    t.name = names[i];
    t.count = 6;
    t.assignments = null;
    r.topics.push(t);
  }
  return r;
}

describe("CreatePartitions", () => {
  it("passes topics the principal may ALTER (v0, v3)", () => {
    expect(check("User:alice", 37, 0, createPartitions(["orders.eu"])).kind).toBe(VerdictKind.Pass);
    expect(check("User:alice", 37, 3, createPartitions(["orders.eu"])).kind).toBe(VerdictKind.Pass);
  });

  it("answers refused topics without a message, as ControllerApis does (v0, v3)", () => {
    for (let v: i16 = 0; v <= 3; v += 3) {
      const resp = changetype<CreatePartitionsResponseData>(respondedBody(check("User:carol", 37, v, createPartitions(["orders.eu"])), 37, v));
      expect(resp.results[0].name).toBe("orders.eu");
      expect(resp.results[0].errorCode).toBe(TAF);
      expect(resp.results[0].errorMessage == null).toBe(true);
    }
  });

  it("splits a mixed request and merges the refusal", () => {
    const fwd = changetype<CreatePartitionsRequestData>(forwardedBody(check("User:alice", 37, 3, createPartitions(["payments", "orders.eu"]))));
    expect(fwd.topics.length).toBe(1);
    const broker = new CreatePartitionsResponseData();
    const ok = new CreatePartitionsTopicResult();
    ok.name = "orders.eu";
    broker.results.push(ok);
    const resp = changetype<CreatePartitionsResponseData>(rewritten(37, 3, broker));
    expect(resp.results[1].name).toBe("payments");
  });

  it("grows a topic no further than limits.createTopics.maxPartitions, whoever asks, after ALTER (v0, v3)", () => {
    for (let v: i16 = 0; v <= 3; v += 3) {
      const req = createPartitions(["orders.wide", "orders.eu"]);
      req.topics[0].count = 13;
      req.topics[1].count = 12; // at the limit: goes on
      const fwd = changetype<CreatePartitionsRequestData>(forwardedBody(check("User:admin", 37, v, req)));
      expect(fwd.topics.length).toBe(1);
      expect(fwd.topics[0].name).toBe("orders.eu");
      const broker = new CreatePartitionsResponseData();
      const ok = new CreatePartitionsTopicResult();
      ok.name = "orders.eu";
      broker.results.push(ok);
      const resp = changetype<CreatePartitionsResponseData>(rewritten(37, v, broker));
      expect(resp.results[1].name).toBe("orders.wide");
      expect(resp.results[1].errorCode).toBe(37); // INVALID_PARTITIONS
      expect(resp.results[1].errorMessage).toBe("topic \"orders.wide\": 13 partitions exceed the maximum of 12");
    }
    // Without ALTER the answer is the ACL's, whatever the count.
    const wide = createPartitions(["orders.wide"]);
    wide.topics[0].count = 100;
    const refused = changetype<CreatePartitionsResponseData>(respondedBody(check("User:carol", 37, 3, wide), 37, 3));
    expect(refused.results[0].errorCode).toBe(TAF);
  });

  it("leaves a topic named twice to the controller, which refuses both entries (INVALID_REQUEST)", () => {
    const req = createPartitions(["orders.eu", "orders.eu"]);
    req.topics[0].count = 100;
    expect(check("User:alice", 37, 3, req).kind).toBe(VerdictKind.Pass);
  });
});

// ---------------------------------------------------------------------------------------

function describeProducers(names: Array<string>): DescribeProducersRequestData {
  const r = new DescribeProducersRequestData();
  for (let i = 0; i < names.length; i++) {
    const t = new ProducersTopic();
    t.name = names[i];
    t.partitionIndexes = [0, 5];
    r.topics.push(t);
  }
  return r;
}

describe("DescribeProducers", () => {
  it("passes topics the principal may READ (v0)", () => {
    expect(check("User:carol", 61, 0, describeProducers(["orders.eu"])).kind).toBe(VerdictKind.Pass);
  });

  it("answers each partition of a refused topic (v0)", () => {
    const resp = changetype<DescribeProducersResponseData>(respondedBody(check("User:carol", 61, 0, describeProducers(["payments"])), 61, 0));
    expect(resp.topics[0].partitions.length).toBe(2);
    expect(resp.topics[0].partitions[1].partitionIndex).toBe(5);
    expect(resp.topics[0].partitions[1].errorCode).toBe(TAF);
    expect(resp.topics[0].partitions[1].errorMessage).toBe("Topic authorization failed.");
  });

  it("splits a mixed request and merges the refusal", () => {
    const fwd = changetype<DescribeProducersRequestData>(forwardedBody(check("User:carol", 61, 0, describeProducers(["payments", "orders.eu"]))));
    expect(fwd.topics.length).toBe(1);
    const broker = new DescribeProducersResponseData();
    const t = new ProducersTopicResponse();
    t.name = "orders.eu";
    broker.topics.push(t);
    const resp = changetype<DescribeProducersResponseData>(rewritten(61, 0, broker));
    expect(resp.topics[1].name).toBe("payments");
  });

  // Kafka validates each name before it authorizes it (KafkaApis.checkValidTopic).
  it("answers an invalid name the principal may not READ INVALID_TOPIC_EXCEPTION, with Kafka's message, not as a refusal", () => {
    const resp = changetype<DescribeProducersResponseData>(respondedBody(check("User:carol", 61, 0, describeProducers(["pay ments", ".."])), 61, 0));
    expect(ctxs[ctxs.length - 1].refusals.length).toBe(0);
    expect(resp.topics[0].partitions[1].errorCode).toBe(17);
    expect(resp.topics[0].partitions[1].errorMessage).toBe("Topic name is invalid: 'pay ments' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'");
    expect(resp.topics[1].partitions[0].errorMessage).toBe("Topic name is invalid: '..' is not allowed");
  });

  it("sends on an invalid name the principal may READ: the broker answers it the same", () => {
    expect(check("User:carol", 61, 0, describeProducers(["orders.é"])).kind).toBe(VerdictKind.Pass);
  });

  it("refuses a valid name it may not READ as before, beside an invalid one", () => {
    const resp = changetype<DescribeProducersResponseData>(respondedBody(check("User:carol", 61, 0, describeProducers(["payments", "pay/ments"])), 61, 0));
    expect(ctxs[ctxs.length - 1].refusals.length).toBe(1);
    expect(resp.topics[0].partitions[0].errorCode).toBe(TAF);
    expect(resp.topics[1].partitions[0].errorCode).toBe(17);
  });
});

// ---------------------------------------------------------------------------------------

describe("ListConfigResources", () => {
  it("passes with DESCRIBE_CONFIGS on the cluster (v0, v1)", () => {
    expect(check("User:ops", 74, 0, new ListConfigResourcesRequestData()).kind).toBe(VerdictKind.Pass);
    const req = new ListConfigResourcesRequestData();
    req.resourceTypes = [2, 32];
    expect(check("User:ops", 74, 1, req).kind).toBe(VerdictKind.Pass);
  });

  it("answers CLUSTER_AUTHORIZATION_FAILED without it (v0, v1)", () => {
    for (let v: i16 = 0; v <= 1; v++) {
      const resp = changetype<ListConfigResourcesResponseData>(respondedBody(check("User:alice", 74, v, new ListConfigResourcesRequestData()), 74, v));
      expect(resp.errorCode).toBe(CAF);
      expect(resp.configResources.length).toBe(0);
    }
  });
});

// ---------------------------------------------------------------------------------------

function describeTopics(names: Array<string>): DescribeTopicPartitionsRequestData {
  const r = new DescribeTopicPartitionsRequestData();
  for (let i = 0; i < names.length; i++) {
    const t = new DescribedTopic();
    t.name = names[i];
    r.topics.push(t);
  }
  return r;
}

function brokerDescription(names: Array<string>, next: string | null): DescribeTopicPartitionsResponseData {
  const r = new DescribeTopicPartitionsResponseData();
  for (let i = 0; i < names.length; i++) {
    const t = new DescribeTopicPartitionsResponseTopic();
    t.name = names[i];
    t.topicId = new Uuid(9, i + 1);
    r.topics.push(t);
  }
  if (next != null) {
    const c = new ResponseCursor();
    c.topicName = next;
    c.partitionIndex = 7;
    r.nextCursor = c;
  }
  return r;
}

function describedNames(r: DescribeTopicPartitionsResponseData): string {
  const names = new Array<string>();
  for (let i = 0; i < r.topics.length; i++) {
    const n = r.topics[i].name;
    names.push(n != null ? n : "<null>");
  }
  return names.join(",");
}

/** The page a listing's note writes from the broker's Metadata `listing` (v12, as the filter asks), read from its view. */
function pageFrom(note: RequestNote | null, listing: MetadataResponseData): DescribeTopicPartitionsResponseData {
  const frame = encodeResponse(CORRELATION_ID, 3, 12, listing)!;
  expect(walkForRewrite(frame, 3, 12)).toBe(true);
  const v = changetype<ResponseRewrite>(note).fromView(lastWalk(), frame, 12)!;
  return changetype<DescribeTopicPartitionsResponseData>(respondedBody(v, 75, 0));
}

describe("DescribeTopicPartitions", () => {
  // The broker behind the filter pages a listing over every topic, hidden ones included: which
  // of its pages ended where told hidden topics' names and sizes. Kafka pages the describable.
  it("answers a listing from a Metadata listing of its own, asked in its place: the DESCRIBE-able topics, paged as Kafka pages them (v0)", () => {
    const req = describeTopics([]);
    req.responsePartitionLimit = 3;
    const v = check("User:carol", 75, 0, req);
    expect(v.kind).toBe(VerdictKind.Respond);
    const asked = decodeRequest(v.aside!);
    expect(asked.header.requestApiKey).toBe(<i16>3);
    expect(changetype<MetadataRequestData>(asked.body).topics).toBeNull();
    const listing = new MetadataResponseData();
    // A name past 127 characters (its length takes two bytes), and a topic the broker answers with an error (not described).
    const long = "orders.zz" + "z".repeat(140);
    const names = ["payments", "orders.us", "orders.eu", "orders.ap", "orders.gone", long];
    const sizes = [5, 1, 2, 4, 1, 1];
    for (let i = 0; i < names.length; i++) {
      const t = new MetadataResponseTopic();
      t.name = names[i];
      if (names[i] == "orders.gone") t.errorCode = 3;
      for (let p = 0; p < sizes[i]; p++) {
        const part = new MetadataResponsePartition();
        part.partitionIndex = p;
        part.leaderId = 100 + p;
        t.partitions.push(part);
      }
      listing.topics.push(t);
    }
    const page = pageFrom(v.asideNote, listing);
    // orders.ap's 4 partitions fill the page past its 3: the next page resumes at its fourth.
    expect(describedNames(page)).toBe("orders.ap");
    expect(page.topics[0].partitions.length).toBe(3);
    expect(page.topics[0].partitions[2].leaderId).toBe(102);
    expect(page.topics[0].topicAuthorizedOperations).toBe((1 << 3) | (1 << 8));
    expect(page.nextCursor!.topicName).toBe("orders.ap");
    expect(page.nextCursor!.partitionIndex).toBe(3);
    const next = describeTopics([]);
    next.responsePartitionLimit = 3;
    next.cursor = new RequestCursor();
    next.cursor!.topicName = "orders.ap";
    next.cursor!.partitionIndex = 3;
    const v2 = check("User:carol", 75, 0, next);
    const page2 = pageFrom(v2.asideNote, listing);
    expect(describedNames(page2)).toBe("orders.ap,orders.eu");
    expect(page2.nextCursor!.topicName).toBe("orders.us");
    expect(page2.nextCursor!.partitionIndex).toBe(0);
    next.cursor!.topicName = "orders.us";
    next.cursor!.partitionIndex = 0;
    const page3 = pageFrom(check("User:carol", 75, 0, next).asideNote, listing);
    expect(describedNames(page3)).toBe("orders.us," + long);
    expect(page3.nextCursor).toBeNull();
  });

  it("answers named topics the principal may not DESCRIBE without asking the broker (v0)", () => {
    const resp = changetype<DescribeTopicPartitionsResponseData>(respondedBody(check("User:carol", 75, 0, describeTopics(["payments"])), 75, 0));
    expect(resp.topics[0].name).toBe("payments");
    expect(resp.topics[0].errorCode).toBe(TAF);
    expect(resp.topics[0].topicId.isZero()).toBe(true);
    expect(resp.topics[0].topicAuthorizedOperations).toBe(i32.MIN_VALUE);
  });

  it("splits a mixed request, fills the operations and merges the refusal", () => {
    const fwd = changetype<DescribeTopicPartitionsRequestData>(forwardedBody(check("User:carol", 75, 0, describeTopics(["orders.eu", "payments"]))));
    expect(fwd.topics.length).toBe(1);
    const resp = changetype<DescribeTopicPartitionsResponseData>(rewritten(75, 0, brokerDescription(["orders.eu"], null)));
    expect(describedNames(resp)).toBe("orders.eu,payments");
    expect(resp.topics[0].topicAuthorizedOperations).toBe((1 << 3) | (1 << 8));
    expect(resp.topics[1].topicAuthorizedOperations).toBe(i32.MIN_VALUE);
  });

  it("follows the cursor: topics before it are skipped, a refused cursor topic drops the cursor", () => {
    const req = describeTopics(["a.before", "payments", "orders.eu"]);
    const cursor = new RequestCursor();
    cursor.topicName = "orders.eu";
    cursor.partitionIndex = 2;
    req.cursor = cursor;
    // a.before sorts before the cursor: Kafka neither describes nor refuses it.
    expect(check("User:carol", 75, 0, req).kind).toBe(VerdictKind.Replace);
    const resumed = describeTopics(["bank", "orders.eu"]);
    const refusedCursor = new RequestCursor();
    refusedCursor.topicName = "bank";
    resumed.cursor = refusedCursor;
    const fwd = changetype<DescribeTopicPartitionsRequestData>(forwardedBody(check("User:carol", 75, 0, resumed)));
    expect(fwd.cursor == null).toBe(true);
    expect(fwd.topics.length).toBe(1);
    const ok = describeTopics(["a.before", "orders.eu"]);
    ok.cursor = cursor;
    expect(check("User:carol", 75, 0, ok).kind).toBe(VerdictKind.Pass);
  });
});
