// Producer ids and transactions, as Kafka 4.4's KafkaApis authorizes them: WRITE on the
// transactional id for everything a transactional producer does, IDEMPOTENT_WRITE on the
// cluster (or WRITE on some topic) for an idempotent one, WRITE or READ on what the
// transaction touches, DESCRIBE to look at transactions.

import { Message } from "../../protocol/message";
import { TOPIC_AUTHORIZATION_FAILED, OPERATION_NOT_ATTEMPTED } from "../../protocol/errors";
import { InitProducerIdRequestData } from "../../messages/InitProducerIdRequest";
import { AddPartitionsToTxnRequestData, AddPartitionsToTxnTopic } from "../../messages/AddPartitionsToTxnRequest";
import {
  AddPartitionsToTxnResponseData, AddPartitionsToTxnTopicResult, AddPartitionsToTxnPartitionResult,
} from "../../messages/AddPartitionsToTxnResponse";
import { DescribeTransactionsResponseData, TopicData } from "../../messages/DescribeTransactionsResponse";
import { ListTransactionsResponseData, TransactionState as ListedTransaction } from "../../messages/ListTransactionsResponse";
import { ResourceType, AclOperation, CLUSTER_RESOURCE_NAME } from "../../policy/acl";
import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";
import { Rule, checkListedWith } from "./rules";
import { SplitRefusals } from "./refuse";
import { ResponseRewrite } from "../rewrite";
import { checkClusterOperation } from "./cluster";
import { isInternalTopic } from "./topics";

/**
 * InitProducerId: a transactional producer needs WRITE on its transactional id (and
 * TWO_PHASE_COMMIT on it to enable 2PC); an idempotent one needs IDEMPOTENT_WRITE on the
 * cluster or WRITE on some topic. Refused as InitProducerIdRequest.getErrorResponse answers.
 */
export function checkInitProducerId(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<InitProducerIdRequestData>(ctx.body);
  const txnId = req.transactionalId;
  let code: i16 = 0;
  if (txnId != null) {
    code = ctx.check(ResourceType.TransactionalId, txnId, AclOperation.Write);
    if (code == 0 && req.enable2Pc) code = ctx.check(ResourceType.TransactionalId, txnId, AclOperation.TwoPhaseCommit);
  } else if (!mayProduceIdempotently(ctx)) {
    // Logs the refusal; Kafka's own IDEMPOTENT_WRITE check does not log it.
    code = ctx.check(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, AclOperation.IdempotentWrite);
  }
  // No producer id (-1), as InitProducerIdRequest.getErrorResponse answers.
  return code == 0 ? ctx.pass() : ctx.refuseWhole(code, null);
}

function mayProduceIdempotently(ctx: RequestContext): bool {
  return ctx.allowed(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, AclOperation.IdempotentWrite)
    || ctx.allowedOnSomeResource(ResourceType.Topic, AclOperation.Write);
}

/**
 * AddPartitionsToTxn. Versions 4+ are sent by brokers (verification batches): CLUSTER_ACTION.
 * Versions 0-3: WRITE on the transactional id, then WRITE on each topic (never on an
 * internal one); one refused topic fails the request, the other partitions answered
 * OPERATION_NOT_ATTEMPTED, as Kafka adds no partition unless it may add them all.
 */
export function checkAddPartitionsToTxn(ctx: RequestContext, rule: Rule): Verdict {
  if (ctx.version >= 4) return checkClusterOperation(ctx, AclOperation.ClusterAction);
  const req = changetype<AddPartitionsToTxnRequestData>(ctx.body);
  const topics = req.v3AndBelowTopics;
  const txnCode = ctx.check(ResourceType.TransactionalId, req.v3AndBelowTransactionalId, AclOperation.Write);
  if (txnCode != 0) return ctx.respond(addPartitionsResponse(topics, allCodes(topics.length, txnCode)));
  const codes = new Array<i16>();
  let refused = false;
  for (let i = 0; i < topics.length; i++) {
    const code = writeTopicCode(ctx, unchecked(topics[i]).name);
    codes.push(code);
    if (code != 0) refused = true;
  }
  if (!refused) return ctx.pass();
  for (let i = 0; i < codes.length; i++) if (unchecked(codes[i]) == 0) unchecked(codes[i] = OPERATION_NOT_ATTEMPTED);
  return ctx.respond(addPartitionsResponse(topics, codes));
}

/** WRITE on a topic; Kafka's internal topics never join a transaction, whatever the ACLs. */
function writeTopicCode(ctx: RequestContext, name: string): i16 {
  if (!isInternalTopic(name)) return ctx.check(ResourceType.Topic, name, AclOperation.Write);
  ctx.deny("TOPIC:" + name, "internal topics cannot be added to a transaction", TOPIC_AUTHORIZATION_FAILED);
  return TOPIC_AUTHORIZATION_FAILED;
}

function allCodes(n: i32, code: i16): Array<i16> {
  const codes = new Array<i16>(n);
  codes.fill(code);
  return codes;
}

/** A v0-3 response: each topic's partitions with that topic's code. */
function addPartitionsResponse(topics: Array<AddPartitionsToTxnTopic>, codes: Array<i16>): Message {
  const resp = new AddPartitionsToTxnResponseData();
  for (let i = 0; i < topics.length; i++) {
    const topic = unchecked(topics[i]);
    const result = new AddPartitionsToTxnTopicResult();
    result.name = topic.name;
    for (let p = 0; p < topic.partitions.length; p++) {
      const partition = new AddPartitionsToTxnPartitionResult();
      partition.partitionIndex = unchecked(topic.partitions[p]);
      partition.partitionErrorCode = unchecked(codes[i]);
      result.resultsByPartition.push(partition);
    }
    resp.resultsByTopicV3AndBelow.push(result);
  }
  return resp;
}

/**
 * DescribeTransactions: DESCRIBE on each transactional id; the broker's answers are cut to
 * the topics the principal may describe.
 */
export function checkDescribeTransactions(ctx: RequestContext, rule: Rule): Verdict {
  return checkListedWith(ctx, rule, new DescribeTransactionsRefusals(ctx), false);
}

class DescribeTransactionsRefusals extends SplitRefusals {
  constructor(readonly ctx: RequestContext) {
    super();
    this.watch = true;
  }

  filter(response: Message): bool {
    const states = changetype<DescribeTransactionsResponseData>(response).transactionStates;
    let changed = false;
    for (let s = 0; s < states.length; s++) {
      const state = unchecked(states[s]);
      const kept = new Array<TopicData>();
      for (let i = 0; i < state.topics.length; i++) {
        const topic = unchecked(state.topics[i]);
        if (this.ctx.allowed(ResourceType.Topic, topic.topic, AclOperation.Describe)) kept.push(topic);
      }
      if (kept.length == state.topics.length) continue;
      state.topics = kept;
      changed = true;
    }
    return changed;
  }
}

/** ListTransactions: the broker's list is cut to the transactional ids the principal may describe. */
export function checkListTransactions(ctx: RequestContext, rule: Rule): Verdict {
  ctx.after = new DescribableTransactionsOnly(ctx);
  return ctx.pass();
}

class DescribableTransactionsOnly extends ResponseRewrite {
  constructor(readonly ctx: RequestContext) { super(); }

  apply(body: Message, version: i16): bool {
    const resp = changetype<ListTransactionsResponseData>(body);
    const kept = new Array<ListedTransaction>();
    for (let i = 0; i < resp.transactionStates.length; i++) {
      const state = unchecked(resp.transactionStates[i]);
      if (this.ctx.allowed(ResourceType.TransactionalId, state.transactionalId, AclOperation.Describe)) kept.push(state);
    }
    if (kept.length == resp.transactionStates.length) return false;
    resp.transactionStates = kept;
    return true;
  }
}
