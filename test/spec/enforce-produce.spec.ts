// Produce under the policy: allowed topics pass untouched, denied ones are answered per
// partition with TOPIC_AUTHORIZATION_FAILED, a mixed request is split, limits refuse batches.

import { ProduceRequestData, TopicProduceData, PartitionProduceData } from "../../assembly/messages/ProduceRequest";
import { ProduceResponseData, TopicProduceResponse, PartitionProduceResponse } from "../../assembly/messages/ProduceResponse";
import { VerdictKind, RequestHeader, ResponseInfo } from "../../assembly/filter/seam";
import { MetadataRequestData } from "../../assembly/messages/MetadataRequest";
import { MetadataResponseData, MetadataResponseTopic } from "../../assembly/messages/MetadataResponse";
import { Enforcer } from "../../assembly/enforce/handler";
import { encodeResponse } from "../../assembly/enforce/context";
import { learnTopicId } from "../../assembly/enforce/topic-ids";
import { loadConfig } from "../../assembly/enforce/config";
import { decodeRequest } from "../../assembly/codec/frame";
import { Uuid } from "../../assembly/protocol/uuid";
import { RequestContext } from "../../assembly/enforce/context";
import { policyOf, session, run, respondedBody, forwardedBody, rewriteResponse, requestBytes, contextFor } from "./support/enforce";
import { authorize, ruleOf } from "../../assembly/enforce/apis/authorize";
import { passesFromView } from "../../assembly/enforce/apis/rules";

const POLICY = `{"acls": [
  {"principal": "User:alice", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "WRITE", "permissionType": "ALLOW"}],
  "limits": {"produce": [{"topic": "orders.big", "maxBatchBytes": 100}]}}`;

/** A v2 record batch header with `count` records, codec and total size `size` (>= 61). */
function batch(size: i32, codec: i32): Uint8Array {
  const b = new Uint8Array(size);
  const len = size - 12;
  b[8] = <u8>(len >> 24); b[9] = <u8>(len >> 16); b[10] = <u8>(len >> 8); b[11] = <u8>len;
  b[16] = 2; // magic
  b[22] = <u8>codec;
  b[60] = 1; // one record
  return b;
}

function produce(acks: i16, topics: Array<string>, size: i32 = 70): ProduceRequestData {
  const r = new ProduceRequestData();
  r.acks = acks;
  r.timeoutMs = 1000;
  for (let i = 0; i < topics.length; i++) {
    const t = new TopicProduceData();
    t.name = topics[i];
    const p = new PartitionProduceData();
    p.index = 0;
    p.records = batch(size, 0);
    t.partitionData.push(p);
    r.topicData.push(t);
  }
  return r;
}

const ctxs = new Array<RequestContext>();

describe("Produce", () => {
  it("passes an allowed topic untouched", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 0, 11, produce(-1, ["orders.eu"]), ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
  });

  it("answers a denied topic with TOPIC_AUTHORIZATION_FAILED, keeping the connection", () => {
    const v = run(policyOf(POLICY), session("User:bob"), 0, 11, produce(-1, ["orders.eu"]), ctxs);
    const resp = changetype<ProduceResponseData>(respondedBody(v, 0, 11));
    expect(resp.responses.length).toBe(1);
    expect(resp.responses[0].name).toBe("orders.eu");
    expect(resp.responses[0].partitionResponses[0].errorCode).toBe(29);
  });

  it("splits a mixed request and adds the denied topic to the broker's response", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 0, 11, produce(1, ["orders.eu", "payments"]), ctxs);
    const fwd = changetype<ProduceRequestData>(forwardedBody(v));
    expect(fwd.topicData.length).toBe(1);
    expect(fwd.topicData[0].name).toBe("orders.eu");
    const broker = new ProduceResponseData();
    const t = new TopicProduceResponse();
    t.name = "orders.eu";
    const p = new PartitionProduceResponse();
    t.partitionResponses.push(p);
    broker.responses.push(t);
    expect(rewriteResponse(ctxs[ctxs.length - 1], 0, 11, broker)).toBe(true);
    expect(broker.responses.length).toBe(2);
    expect(broker.responses[1].name).toBe("payments");
    expect(broker.responses[1].partitionResponses[0].errorCode).toBe(29);
  });

  it("refuses a batch over the topic's size limit with MESSAGE_TOO_LARGE", () => {
    const v = run(policyOf(POLICY), session("User:alice"), 0, 11, produce(-1, ["orders.big"], 200), ctxs);
    const resp = changetype<ProduceResponseData>(respondedBody(v, 0, 11));
    expect(resp.responses[0].partitionResponses[0].errorCode).toBe(10);
  });

  it("closes the connection for a refused acks=0 produce, as Kafka does", () => {
    const v = run(policyOf(POLICY), session("User:bob"), 0, 11, produce(0, ["orders.eu"]), ctxs);
    expect(v.kind).toBe(VerdictKind.Close);
  });
});

describe("a topic id no broker answer has told", () => {
  it("is refused with UNKNOWN_TOPIC_ID, asked of the broker in the refusal's place, and known to the retry", () => {
    const e = new Enforcer(loadConfig(POLICY).config!, "127.0.0.1", "");
    e.session.principal = "User:alice";
    const id = new Uuid(0x7777, 0x8888);
    const req = produce(-1, ["ignored at v13"]);
    req.topicData[0].topicId = id;
    const frame = requestBytes(0, 13, req);
    const header = new RequestHeader(0, 13, 41, "spec-client", 0, frame.length);

    const first = e.onRequest(frame, header);
    expect(first.kind).toBe(VerdictKind.Respond);
    const refused = changetype<ProduceResponseData>(respondedBody(first, 0, 13));
    expect(refused.responses[0].partitionResponses[0].errorCode).toBe(100); // UNKNOWN_TOPIC_ID
    // The request that stands in for the client's: Metadata v12 by id, never creating a topic.
    expect(first.aside).not.toBeNull();
    const lookup = decodeRequest(first.aside!);
    expect(lookup.error).toBe("");
    expect(lookup.header.requestApiKey).toBe(3);
    expect(lookup.header.requestApiVersion).toBe(12);
    expect(lookup.header.clientId).toBe("spec-client");
    const asked = changetype<MetadataRequestData>(lookup.body);
    expect(asked.topics!.length).toBe(1);
    expect(asked.topics![0].topicId.equals(id)).toBe(true);
    expect(asked.allowAutoTopicCreation).toBe(false);

    // The broker's answer teaches the id.
    const answer = new MetadataResponseData();
    const t = new MetadataResponseTopic();
    t.name = "orders.eu";
    t.topicId = id;
    answer.topics.push(t);
    const bytes = encodeResponse(41, 3, 12, answer)!;
    e.onResponse(bytes, new ResponseInfo(41, 3, 12, header, bytes.length, null));

    const retry = e.onRequest(frame, header);
    expect(retry.kind).toBe(VerdictKind.Pass);
    expect(retry.aside).toBeNull();
  });

  it("rides along with the topics that go on: one Metadata request for every unknown id, before them", () => {
    const e = new Enforcer(loadConfig(POLICY).config!, "127.0.0.1", "");
    e.session.principal = "User:alice";
    learnTopicId(new Uuid(1, 1), "orders.known");
    const req = produce(-1, ["a", "b", "c"]);
    req.topicData[0].topicId = new Uuid(1, 1);
    req.topicData[1].topicId = new Uuid(2, 2);
    req.topicData[2].topicId = new Uuid(2, 2);
    const frame = requestBytes(0, 13, req);
    const v = e.onRequest(frame, new RequestHeader(0, 13, 42, "spec-client", 0, frame.length));
    expect(v.kind).toBe(VerdictKind.Replace);
    const asked = changetype<MetadataRequestData>(decodeRequest(v.aside!).body);
    expect(asked.topics!.length).toBe(1);
  });
});

// The allow path (passesFromView, from the frame's bytes) must pass exactly what checkProduce
// passes whole, at every Produce version, and leave everything else to it.
const BOTH_POLICY = `{"acls": [
  {"principal": "User:alice", "resourceType": "TOPIC", "resourceName": "orders.", "resourcePatternType": "PREFIXED", "operation": "WRITE", "permissionType": "ALLOW"},
  {"principal": "User:alice", "resourceType": "TRANSACTIONAL_ID", "resourceName": "tx-ok", "resourcePatternType": "LITERAL", "operation": "WRITE", "permissionType": "ALLOW"}],
  "limits": {"produce": [{"topic": "orders.big", "maxBatchBytes": 100}, {"topic": "orders.acks", "requiredAcks": -1}]}}`;

function transactionalBatch(): Uint8Array {
  const b = batch(70, 0);
  b[22] = 0x10;
  return b;
}

/** A case: topics, acks, transactional id, whether the batch is transactional, or broken. */
function produceCase(topics: Array<string>, acks: i16, txn: string | null, txnBatch: bool, broken: bool): ProduceRequestData {
  const r = produce(acks, topics);
  r.transactionalId = txn;
  for (let i = 0; i < r.topicData.length; i++) {
    const p = r.topicData[i].partitionData[0];
    if (txnBatch) p.records = transactionalBatch();
    if (broken) p.records![16] = 1; // magic 1
    const second = new PartitionProduceData();
    second.index = 1;
    second.records = null;
    r.topicData[i].partitionData.push(second);
  }
  return r;
}

/** A v2 batch of `size` bytes (>= 26: Kafka reads no shorter one), transactional, header cut short. */
function shortTransactionalBatch(size: i32, magic: u8): Uint8Array {
  const b = new Uint8Array(size);
  const len = size - 12;
  b[8] = <u8>(len >> 24); b[9] = <u8>(len >> 16); b[10] = <u8>(len >> 8); b[11] = <u8>len;
  b[16] = magic;
  b[22] = 0x10;
  return b;
}

describe("Produce of transactional records", () => {
  // The broker behind the filter appends transactional records with no transactional id
  // unverified, inside the open transaction of the producer whose id and epoch they carry.
  it("refuses them without a transactional id, as Kafka does: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, nothing forwarded", () => {
    for (let v: i16 = 3; v <= 12; v++) {
      const r = produce(-1, ["orders.eu"]);
      r.topicData[0].partitionData[0].records = transactionalBatch();
      const verdict = run(policyOf(POLICY), session("User:alice"), 0, v, r, ctxs);
      const resp = changetype<ProduceResponseData>(respondedBody(verdict, 0, v));
      expect(resp.responses[0].partitionResponses[0].errorCode).toBe(53);
    }
  });

  it("reads the flag of a first batch shorter than a whole header, as Kafka's batch iterator does", () => {
    const cases: Array<Uint8Array> = [shortTransactionalBatch(26, 2), shortTransactionalBatch(60, 2)];
    for (let i = 0; i < cases.length; i++) {
      const r = produce(-1, ["orders.eu"]);
      r.topicData[0].partitionData[0].records = cases[i];
      const verdict = run(policyOf(POLICY), session("User:alice"), 0, 9, r, ctxs);
      const resp = changetype<ProduceResponseData>(respondedBody(verdict, 0, 9));
      expect(resp.responses[0].partitionResponses[0].errorCode).toBe(53);
    }
    // Not batches Kafka reads as transactional: magic 1, a length under 14, a batch cut short.
    const legacy = shortTransactionalBatch(30, 1);
    const tiny = shortTransactionalBatch(30, 2);
    tiny[11] = 13;
    const cut = shortTransactionalBatch(40, 2).subarray(0, 39);
    const others: Array<Uint8Array> = [legacy, tiny, cut];
    for (let i = 0; i < others.length; i++) {
      const r = produce(-1, ["orders.eu"]);
      r.topicData[0].partitionData[0].records = others[i];
      const verdict = run(policyOf(POLICY), session("User:alice"), 0, 9, r, ctxs);
      expect(verdict.kind).not.toBe(VerdictKind.Respond);
    }
  });
});

describe("Produce's allow path", () => {
  it("passes from the bytes exactly what the full check passes, at every version", () => {
    const policy = policyOf(BOTH_POLICY);
    const cases = [
      produceCase(["orders.eu"], -1, null, false, false),
      produceCase(["orders.eu", "orders.us"], 1, null, false, false),
      produceCase(["orders.eu", "payments"], 1, null, false, false),
      produceCase(["payments"], -1, null, false, false),
      produceCase(["orders.big"], -1, null, false, false),
      produceCase(["orders.acks"], 1, null, false, false),
      produceCase(["orders.acks"], -1, null, false, false),
      produceCase(["orders.eu"], -1, "tx-ok", true, false),
      produceCase(["orders.eu"], -1, "tx-other", true, false),
      produceCase(["orders.eu"], -1, "tx-other", false, false),
      produceCase(["orders.eu"], -1, null, true, false),
      produceCase(["orders.eu"], -1, null, false, true),
      produceCase([], -1, null, false, false),
    ];
    let passed = 0, refused = 0;
    for (let v: i16 = 3; v <= 12; v++) {
      for (let i = 0; i < cases.length; i++) {
        for (let who = 0; who < 2; who++) {
          const s = session(who == 0 ? "User:alice" : "User:bob");
          const full = contextFor(policy, s, 0, v, cases[i]);
          const verdict = authorize(full);
          const wholePass = verdict.kind == VerdictKind.Pass && full.refusals.length == 0;
          const view = contextFor(policy, s, 0, v, cases[i]);
          const frame = requestBytes(0, v, cases[i]);
          const fromView = passesFromView(view, ruleOf(0), frame);
          if (fromView != wholePass) log("v" + v.toString() + " case " + i.toString() + " principal " + who.toString() + ": view " + fromView.toString() + ", full " + wholePass.toString());
          expect(fromView).toBe(wholePass);
          if (fromView) passed++;
          else refused++;
        }
      }
    }
    expect(passed).toBeGreaterThan(30);
    expect(refused).toBeGreaterThan(30);
  });

  it("leaves a frame that does not walk whole to the full decode", () => {
    const policy = policyOf(BOTH_POLICY);
    const frame = requestBytes(0, 9, produceCase(["orders.eu"], -1, null, false, false));
    for (let n = 0; n < frame.length; n++) {
      const ctx = contextFor(policy, session("User:alice"), 0, 9, produceCase(["orders.eu"], -1, null, false, false));
      expect(passesFromView(ctx, ruleOf(0), frame.subarray(0, n))).toBe(false);
    }
  });
});
