// Produce: WRITE on the transactional id (if any) for the whole request, WRITE on each topic,
// then the produce limits on each partition's record batches. Allowed topics go on; denied
// ones are answered per partition in the same response, as Kafka's broker would.
//
// Two paths share these rules (transactionalCode, ctx.checkTopic, partitionViolation):
//   - passesFromView: the allow path. It reads the frame's bytes through the generated view
//     (assembly/views/ProduceRequest.ts) and the batch headers in place; when every topic and
//     partition passes, the request goes on unchanged, never decoded, its records never copied;
//   - checkProduce: the decoded request. Whatever the view would refuse comes here (Enforcer),
//     so refusals, their responses and their audit lines have one implementation.

import { Message } from "../../protocol/message";
import { Uuid } from "../../protocol/uuid";
import { EntityKind, EntityWalk } from "../../protocol/walk";
import { BatchSummary, firstBatchIsTransactional, summarizeBatches } from "../../protocol/records";
import { INVALID_RECORD, TRANSACTIONAL_ID_AUTHORIZATION_FAILED } from "../../protocol/errors";
import { ProduceRequestData, TopicProduceData } from "../../messages/ProduceRequest";
import { ProduceResponseData, TopicProduceResponse, PartitionProduceResponse } from "../../messages/ProduceResponse";
import { ResourceType, AclOperation } from "../../policy/acl";
import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";
import { Rule } from "./rules";
import { ResponseRewrite } from "../rewrite";
import { topicName } from "../topic-ids";
import { countProduced } from "../observe";

/** One refused partition, answered in the client's response. */
class Refused {
  constructor(readonly topic: TopicProduceData, readonly partition: i32, readonly code: i16, readonly message: string | null) {}
}

/**
 * Transactional records need WRITE on the transactional id (Kafka checks it only when some batch
 * is transactional). Without an id they are refused as Kafka refuses them: the broker behind the
 * filter would append them unverified, inside another producer's open transaction whose
 * producer id and epoch they carry (DescribeProducers shows them).
 */
function transactionalCode(ctx: RequestContext, txnId: string | null, transactional: bool): i16 {
  if (!transactional) return 0;
  if (txnId != null) return ctx.check(ResourceType.TransactionalId, txnId, AclOperation.Write);
  if (ctx.explainsRefusals) {
    ctx.deny("TRANSACTIONAL_ID:", "transactional records without a transactional id", TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "WRITE");
  }
  return TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
}

class LimitViolation {
  constructor(readonly errorCode: i16, readonly message: string) {}
}

/** Why one partition's batches may not go on, recorded as a refusal; null when they pass. */
function partitionViolation(ctx: RequestContext, topic: string, batches: BatchSummary, acks: i16): LimitViolation | null {
  if (batches.error.length > 0) {
    ctx.denyMalformed("TOPIC:" + topic, batches.error, INVALID_RECORD);
    return new LimitViolation(INVALID_RECORD, batches.error);
  }
  const violation = limitViolation(ctx, topic, batches.largestBatch, acks, batches.codecs);
  if (violation != null) ctx.deny("TOPIC:" + topic, violation.message, violation.errorCode);
  return violation;
}

// Reused by every Produce the allow path reads.
const batches = new BatchSummary();
// What each passing topic counts (countProduced), kept until the whole request has passed.
const countedTopics = new Array<string>();
const countedBytes = new Array<i64>();
const countedRecords = new Array<i64>();

/**
 * The allow path (see the top of this file): true when the Produce in `frame` (a whole frame,
 * header first) passes every check, counted as checkProduce counts it; false, with nothing
 * counted, when anything in it would be refused or it does not walk whole, for checkProduce
 * to decide on the decoded request with a fresh context. `ctx` must neither keep allowed
 * checks (audit allow logging) nor ask a policy service: its refusals are thrown away (the
 * Enforcer's does not explain them: RequestContext.explainsRefusals).
 */
export function passesFromView(ctx: RequestContext, walk: EntityWalk, frame: Uint8Array): bool {
  let txnId: string | null = null;
  let acks: i16 = 0;
  let transactional = false;
  for (let i = 0; i < walk.count; i++) {
    const kind = <EntityKind>unchecked(walk.kind[i]);
    if (kind == EntityKind.TransactionalId) txnId = walk.text(frame, i);
    else if (kind == EntityKind.Acks) acks = walk.int16(frame, i);
    else if (kind == EntityKind.Records && !transactional) {
      const start = unchecked(walk.start[i]);
      transactional = firstBatchIsTransactional(frame, start, start + unchecked(walk.length[i]));
    }
  }
  const wholeCode = transactionalCode(ctx, txnId, transactional);
  if (wholeCode != 0) return false;

  // Entities come in the order of the bytes: a topic, its partitions, each with its records.
  // A topic's partitions add to one count: two host calls per topic, not per partition.
  countedTopics.length = 0;
  countedBytes.length = 0;
  countedRecords.length = 0;
  let name: string | null = null;
  let counting: string | null = null;
  let bytes: i64 = 0, records: i64 = 0;
  for (let i = 0; i < walk.count; i++) {
    const kind = <EntityKind>unchecked(walk.kind[i]);
    if (kind == EntityKind.TopicName || kind == EntityKind.TopicId) {
      const id = kind == EntityKind.TopicId ? walk.uuid(frame, i) : Uuid.ZERO;
      name = kind == EntityKind.TopicId ? topicName(id) : walk.text(frame, i);
      if (ctx.checkTopic(name, id, AclOperation.Write) != 0) return false;
    } else if (kind == EntityKind.Records) {
      const start = unchecked(walk.start[i]);
      summarizeBatches(frame, start, start + unchecked(walk.length[i]), batches);
      if (partitionViolation(ctx, name!, batches, acks) != null) return false;
      if (counting == null || counting != name!) {
        if (counting != null) keepCount(counting, bytes, records);
        counting = name;
        bytes = 0;
        records = 0;
      }
      bytes += batches.bytes;
      records += batches.records;
    }
  }
  if (counting != null) keepCount(counting, bytes, records);
  // Everything passes: counted once, now that no fallback can count it again.
  for (let i = 0; i < countedTopics.length; i++) {
    countProduced(unchecked(countedTopics[i]), unchecked(countedBytes[i]), unchecked(countedRecords[i]));
  }
  return true;
}

function keepCount(topic: string, bytes: i64, records: i64): void {
  countedTopics.push(topic);
  countedBytes.push(bytes);
  countedRecords.push(records);
}

export function checkProduce(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<ProduceRequestData>(ctx.body);
  const refused = new Array<Refused>();
  const kept = new Array<TopicProduceData>();

  // Refuses the request as a whole when it fails.
  const wholeCode = transactionalCode(ctx, req.transactionalId, hasTransactionalBatch(req));

  for (let t = 0; t < req.topicData.length; t++) {
    const topic = unchecked(req.topicData[t]);
    const name = ctx.version >= 13 ? topicName(topic.topicId) : topic.name;
    const code = wholeCode != 0 ? wholeCode : ctx.checkTopic(name, topic.topicId, AclOperation.Write);
    if (code != 0) {
      for (let p = 0; p < topic.partitionData.length; p++) refused.push(new Refused(topic, unchecked(topic.partitionData[p]).index, code, null));
      continue;
    }
    // Limits apply per partition: one bad batch refuses its partition only.
    const keptPartitions = topic.partitionData.slice(0);
    keptPartitions.length = 0;
    for (let p = 0; p < topic.partitionData.length; p++) {
      const part = unchecked(topic.partitionData[p]);
      const summary = summarizeBatches(part.records);
      const violation = partitionViolation(ctx, name!, summary, req.acks);
      if (violation != null) {
        refused.push(new Refused(topic, part.index, violation.errorCode, violation.message));
        continue;
      }
      keptPartitions.push(part);
      countProduced(name!, summary.bytes, summary.records);
    }
    if (keptPartitions.length == topic.partitionData.length) kept.push(topic);
    else if (keptPartitions.length > 0) {
      const copy = new TopicProduceData();
      copy.name = topic.name;
      copy.topicId = topic.topicId;
      copy.partitionData = keptPartitions;
      copy.unknownTaggedFields = topic.unknownTaggedFields;
      kept.push(copy);
    }
  }

  if (refused.length == 0 && wholeCode == 0) return ctx.pass();
  // acks=0 gets no response: Kafka closes such a connection when a produce fails, after the
  // answers to the requests before it (it reads one request at a time).
  if (req.acks == 0) return Verdict.closeOnceAnswered("refused Produce with acks=0 (Kafka closes the connection)");
  if (kept.length == 0) {
    const resp = new ProduceResponseData();
    addRefused(resp, refused, ctx.version);
    return ctx.respond(resp);
  }
  const rewritten = new ProduceRequestData();
  rewritten.transactionalId = req.transactionalId;
  rewritten.acks = req.acks;
  rewritten.timeoutMs = req.timeoutMs;
  rewritten.topicData = kept;
  rewritten.unknownTaggedFields = req.unknownTaggedFields;
  ctx.after = new AddRefusedPartitions(refused);
  return ctx.forward(rewritten);
}

function hasTransactionalBatch(req: ProduceRequestData): bool {
  for (let t = 0; t < req.topicData.length; t++) {
    const partitions = unchecked(req.topicData[t]).partitionData;
    for (let p = 0; p < partitions.length; p++) {
      if (firstBatchIsTransactional(unchecked(partitions[p]).records)) return true;
    }
  }
  return false;
}

function limitViolation(ctx: RequestContext, topic: string, largestBatch: i32, acks: i16, codecs: u32): LimitViolation | null {
  // Each codec the batches use is checked (lowest first); an empty partition still has its
  // acks checked.
  let rest = codecs;
  do {
    const c = rest != 0 ? <i32>ctz(rest) : 0;
    const v = ctx.policy.checkProduceBatch(topic, largestBatch, acks, c);
    if (v != null) return new LimitViolation(v.errorCode, v.message);
    rest &= rest - 1;
  } while (rest != 0);
  return null;
}

/**
 * Puts refused partitions into a Produce response, grouped by topic as Kafka does (by name, or
 * by id from v13): the broker's entries and the filter's found through a map, so that a request
 * refused on tens of thousands of topics is answered in time linear in them.
 */
function addRefused(resp: ProduceResponseData, refused: Array<Refused>, version: i16): void {
  const byTopic = new Map<string, TopicProduceResponse>();
  const byId = version >= 13;
  for (let j = 0; j < resp.responses.length; j++) {
    const e = unchecked(resp.responses[j]);
    const key = byId ? e.topicId.toString() : e.name;
    if (!byTopic.has(key)) byTopic.set(key, e);
  }
  let lastTopic: TopicProduceData | null = null;
  let entry: TopicProduceResponse | null = null;
  for (let i = 0; i < refused.length; i++) {
    const r = unchecked(refused[i]);
    // A topic's refused partitions come one after another: its key is made once.
    if (r.topic !== lastTopic) {
      lastTopic = r.topic;
      const key = byId ? r.topic.topicId.toString() : r.topic.name;
      if (byTopic.has(key)) entry = byTopic.get(key);
      else {
        entry = new TopicProduceResponse();
        entry.name = r.topic.name;
        entry.topicId = r.topic.topicId;
        resp.responses.push(entry);
        byTopic.set(key, entry);
      }
    }
    const p = new PartitionProduceResponse();
    p.index = r.partition;
    p.errorCode = r.code;
    p.baseOffset = -1;
    p.errorMessage = r.message;
    entry!.partitionResponses.push(p);
  }
}

class AddRefusedPartitions extends ResponseRewrite {
  constructor(readonly refused: Array<Refused>) { super(); }

  // The refused partitions only, not the records that make most of a Produce's bytes.
  keeps(frameSize: i32): i64 { return <i64>this.refused.length * 128; }

  apply(body: Message, version: i16): bool {
    addRefused(changetype<ProduceResponseData>(body), this.refused, version);
    return true;
  }
}
