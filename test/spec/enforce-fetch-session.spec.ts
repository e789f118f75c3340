// Fetch sessions (KIP-227): an incremental fetch names only changed partitions, so it may go on
// only in a session the broker opened for this connection from a full fetch checked here.

import { BatchSummary } from "../../assembly/protocol/records";
import { FetchRequestData, FetchTopic, FetchPartition } from "../../assembly/messages/FetchRequest";
import { FetchResponseData } from "../../assembly/messages/FetchResponse";
import { ProduceRequestData, TopicProduceData, PartitionProduceData } from "../../assembly/messages/ProduceRequest";
import { VerdictKind, RequestHeader, ResponseInfo } from "../../assembly/filter/seam";
import { RequestContext, encodeResponse } from "../../assembly/enforce/context";
import { learnFromResponse, StreamedWalk } from "../../assembly/enforce/responses";
import { policyOf, session, run, respondedBody } from "./support/enforce";

const ctxs = new Array<RequestContext>();
const POLICY = `{"acls": [{"principal": "User:*", "resourceType": "TOPIC", "resourceName": "*", "operation": "ALL", "permissionType": "ALLOW"}]}`;

function fetch(sessionId: i32, epoch: i32, topic: string | null): FetchRequestData {
  const f = new FetchRequestData();
  f.replicaId = -1;
  f.sessionId = sessionId;
  f.sessionEpoch = epoch;
  if (topic != null) {
    const t = new FetchTopic();
    t.topic = topic;
    const p = new FetchPartition();
    t.partitions.push(p);
    f.topics.push(t);
  }
  return f;
}

describe("fetch sessions", () => {
  it("answers an incremental fetch in a session this connection never opened with FETCH_SESSION_ID_NOT_FOUND", () => {
    const v = run(policyOf(POLICY), session("User:eve"), 1, 12, fetch(1234567, 42, null), ctxs);
    const resp = changetype<FetchResponseData>(respondedBody(v, 1, 12));
    expect(resp.errorCode).toBe(70);
    expect(resp.sessionId).toBe(0);
  });

  it("lets incremental fetches go on in the session the broker opened for this connection", () => {
    const s = session("User:carol");
    const policy = policyOf(POLICY);
    expect(run(policy, s, 1, 12, fetch(0, 0, "t"), ctxs).kind).toBe(VerdictKind.Pass); // full fetch, new session
    const opened = new FetchResponseData();
    opened.sessionId = 777;
    expect(learnFromResponse(s, encodeResponse(9, 1, 12, opened)!, 1, 12)).toBe("");
    expect(run(policy, s, 1, 12, fetch(777, 1, null), ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(policy, s, 1, 12, fetch(778, 1, null), ctxs).kind).toBe(VerdictKind.Respond);
  });

  it("lets sessionless and session-opening fetches through as before", () => {
    expect(run(policyOf(POLICY), session("User:x"), 1, 12, fetch(0, -1, "t"), ctxs).kind).toBe(VerdictKind.Pass);
    expect(run(policyOf(POLICY), session("User:x"), 1, 6, fetch(0, 0, "t"), ctxs).kind).toBe(VerdictKind.Pass);
  });
});

describe("transactional produce", () => {
  it("checks WRITE on the transactional id only when a batch is transactional, as Kafka does", () => {
    const policy = policyOf(`{"acls": [{"principal": "User:*", "resourceType": "TOPIC", "resourceName": "*", "operation": "WRITE", "permissionType": "ALLOW"}]}`);
    const r = new ProduceRequestData();
    r.acks = -1;
    r.transactionalId = "txn-1";
    const t = new TopicProduceData();
    t.name = "t";
    const p = new PartitionProduceData();
    const batch = new Uint8Array(70);
    batch[11] = 58; // batch length 70 - 12
    batch[16] = 2;  // magic
    p.records = batch;
    t.partitionData.push(p);
    r.topicData.push(t);
    expect(run(policy, session("User:x"), 0, 9, r, ctxs).kind).toBe(VerdictKind.Pass);
    batch[22] = 0x10; // attributes: transactional
    expect(run(policy, session("User:x"), 0, 9, r, ctxs).kind).toBe(VerdictKind.Respond);
  });
});

function fetchResponseInfo(corr: i32): ResponseInfo {
  return new ResponseInfo(corr, 1, 12, new RequestHeader(1, 12, corr, "spec", 10, 100), 1 << 20);
}

/** What a walk read of a records field: `bytes` and `records` of its complete batches. */
function batchesRead(bytes: i64, records: i64): BatchSummary {
  const s = new BatchSummary();
  s.bytes = bytes;
  s.records = records;
  return s;
}

describe("a Fetch response read as it arrives: where each walk reads batches from (StreamedWalk)", () => {
  it("goes on from where the last walk read a records field found at the same start", () => {
    const w = new StreamedWalk().of(fetchResponseInfo(1));
    expect(w.from(0, 100)).toBe(100); // nothing read yet
    w.read(0, 100, batchesRead(1100, 3));
    w.read(1, 3000, batchesRead(0, 0));
    expect(w.from(0, 100)).toBe(1200);
    expect(w.from(1, 3000)).toBe(3000);
    expect(w.from(2, 5000)).toBe(5000);
  });

  it("keeps the bytes and records of the batches read so far, for the last walk", () => {
    const w = new StreamedWalk().of(fetchResponseInfo(1));
    w.read(0, 100, batchesRead(1100, 3));
    w.read(0, 100, batchesRead(500, 2)); // the next walk, from 1200
    expect(w.from(0, 100)).toBe(1700);
    const f = w.field(0, 100)!;
    expect(f.bytes).toBe(1600);
    expect(f.records).toBe(5);
    expect(w.field(0, 101)).toBeNull(); // found elsewhere: nothing known of it
    expect(w.field(1, 3000)).toBeNull();
  });

  it("reads a field from its start when the last walk found it elsewhere (a walk that stopped short)", () => {
    const w = new StreamedWalk().of(fetchResponseInfo(1));
    w.read(0, 1 << 20, batchesRead(0, 0)); // recorded past the point where that walk stopped
    expect(w.from(0, 100)).toBe(100);
    w.read(0, 100, batchesRead(1100, 3));
    expect(w.from(0, 100)).toBe(1200);
    expect(w.field(0, 100)!.bytes).toBe(1100); // nothing of the other start counted
  });

  it("forgets what was read of another response", () => {
    const w = new StreamedWalk();
    const first = fetchResponseInfo(1);
    w.of(first).read(0, 100, batchesRead(1100, 3));
    expect(w.of(first).from(0, 100)).toBe(1200);
    expect(w.of(fetchResponseInfo(2)).from(0, 100)).toBe(100);
    expect(w.field(0, 100)).toBeNull();
  });
});
