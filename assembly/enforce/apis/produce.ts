// Produce: WRITE on the transactional id (if any) for the whole request, WRITE on each topic,
// then the produce limits on each partition's record batches. Allowed topics go on; denied
// ones are answered per partition in the same response, as Kafka's broker would.

import { Message } from "../../protocol/message";
import { firstBatchIsTransactional, summarizeBatches } from "../../protocol/records";
import { INVALID_RECORD } from "../../protocol/errors";
import { ProduceRequestData, TopicProduceData } from "../../messages/ProduceRequest";
import { ProduceResponseData, TopicProduceResponse, PartitionProduceResponse } from "../../messages/ProduceResponse";
import { ResourceType, AclOperation } from "../../policy/acl";
import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";
import { ResponseRewrite } from "../rewrite";
import { topicName } from "../topic-ids";
import { countProduced } from "../observe";

/** One refused partition, answered in the client's response. */
class Refused {
  constructor(readonly topic: TopicProduceData, readonly partition: i32, readonly code: i16, readonly message: string | null) {}
}

export function checkProduce(ctx: RequestContext): Verdict {
  const req = changetype<ProduceRequestData>(ctx.body);
  const refused = new Array<Refused>();
  const kept = new Array<TopicProduceData>();

  // Transactional records need WRITE on the transactional id, or the request fails as a whole
  // (Kafka checks it only when some batch is transactional).
  let wholeCode: i16 = 0;
  const txnId = req.transactionalId;
  if (txnId != null && hasTransactionalBatch(req)) wholeCode = ctx.check(ResourceType.TransactionalId, txnId, AclOperation.Write);

  for (let t = 0; t < req.topicData.length; t++) {
    const topic = unchecked(req.topicData[t]);
    const name = ctx.version >= 13 ? topicName(topic.topicId) : topic.name;
    let code = wholeCode;
    if (code == 0 && name == null) code = ctx.refuseUnknownTopicId(topic.topicId);
    if (code == 0) code = ctx.check(ResourceType.Topic, name!, AclOperation.Write);
    if (code != 0) {
      for (let p = 0; p < topic.partitionData.length; p++) refused.push(new Refused(topic, unchecked(topic.partitionData[p]).index, code, null));
      continue;
    }
    // Limits apply per partition: one bad batch refuses its partition only.
    const keptPartitions = topic.partitionData.slice(0);
    keptPartitions.length = 0;
    for (let p = 0; p < topic.partitionData.length; p++) {
      const part = unchecked(topic.partitionData[p]);
      const batches = summarizeBatches(part.records);
      if (batches.error.length > 0) {
        refused.push(new Refused(topic, part.index, INVALID_RECORD, batches.error));
        ctx.denyMalformed("TOPIC:" + name!, batches.error, INVALID_RECORD);
        continue;
      }
      const violation = limitViolation(ctx, name!, batches.largestBatch, req.acks, batches.codecs);
      if (violation != null) {
        refused.push(new Refused(topic, part.index, violation.errorCode, violation.message));
        ctx.deny("TOPIC:" + name!, violation.message, violation.errorCode);
        continue;
      }
      keptPartitions.push(part);
      countProduced(name!, batches.bytes, batches.records);
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
  // acks=0 gets no response: Kafka closes such a connection when a produce fails.
  if (req.acks == 0) return Verdict.close("refused Produce with acks=0 (Kafka closes the connection)");
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

class LimitViolation {
  constructor(readonly errorCode: i16, readonly message: string) {}
}

function limitViolation(ctx: RequestContext, topic: string, largestBatch: i32, acks: i16, codecs: u32): LimitViolation | null {
  // Each codec the batches use is checked; an empty partition still has its acks checked.
  for (let c = 0; c < 8; c++) {
    if (codecs != 0 && (codecs & (1 << <u32>c)) == 0) continue;
    const v = ctx.policy.checkProduceBatch(topic, largestBatch, acks, c);
    if (v != null) return new LimitViolation(v.errorCode, v.message);
    if (codecs == 0) break;
  }
  return null;
}

/** Puts refused partitions into a Produce response, grouped by topic as Kafka does. */
function addRefused(resp: ProduceResponseData, refused: Array<Refused>, version: i16): void {
  for (let i = 0; i < refused.length; i++) {
    const r = unchecked(refused[i]);
    let entry: TopicProduceResponse | null = null;
    for (let j = 0; j < resp.responses.length; j++) {
      const e = unchecked(resp.responses[j]);
      if (version >= 13 ? e.topicId.equals(r.topic.topicId) : e.name == r.topic.name) {
        entry = e;
        break;
      }
    }
    if (entry == null) {
      entry = new TopicProduceResponse();
      entry.name = r.topic.name;
      entry.topicId = r.topic.topicId;
      resp.responses.push(entry);
    }
    const p = new PartitionProduceResponse();
    p.index = r.partition;
    p.errorCode = r.code;
    p.baseOffset = -1;
    p.errorMessage = r.message;
    entry.partitionResponses.push(p);
  }
}

class AddRefusedPartitions extends ResponseRewrite {
  constructor(readonly refused: Array<Refused>) { super(); }

  apply(body: Message, version: i16): bool {
    addRefused(changetype<ProduceResponseData>(body), this.refused, version);
    return true;
  }
}
