// The topic APIs under the policy, with the checks Kafka 4.4 makes for each: KafkaApis on the
// broker, and ControllerApis for what a KRaft broker forwards to the controller (CreateTopics,
// DeleteTopics, CreatePartitions, AlterConfigs, IncrementalAlterConfigs). A refused topic or
// config resource is answered with the entry Kafka would put in its response; a request with
// allowed ones too goes on with only those, and the refused entries are added to the broker's
// response (Split). A request with nothing refused goes on untouched.

import { Message } from "../../protocol/message";
import { EntityKind, EntityWalk } from "../../protocol/walk";
import { Uuid } from "../../protocol/uuid";
import { Reader } from "../../protocol/reader";
import { uvarintSize } from "../../protocol/writer";
import {
  TOPIC_AUTHORIZATION_FAILED, INVALID_REQUEST, INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_ID, FETCH_SESSION_ID_NOT_FOUND, POLICY_VIOLATION, errorMessage,
} from "../../protocol/errors";
import { FetchRequestData, ForgottenTopic } from "../../messages/FetchRequest";
import { FetchResponseData } from "../../messages/FetchResponse";
import { MetadataRequestData, MetadataRequestTopic } from "../../messages/MetadataRequest";
import { MetadataResponseData, MetadataResponseTopic, MetadataResponsePartition } from "../../messages/MetadataResponse";
import { CreateTopicsRequestData, CreatableTopic } from "../../messages/CreateTopicsRequest";
import { CreateTopicsResponseData, CreatableTopicResult, CreatableTopicConfigs } from "../../messages/CreateTopicsResponse";
import { DeleteTopicsRequestData, DeleteTopicState } from "../../messages/DeleteTopicsRequest";
import { CreatePartitionsRequestData, CreatePartitionsTopic } from "../../messages/CreatePartitionsRequest";
import { DeleteTopicsResponseData, DeletableTopicResult } from "../../messages/DeleteTopicsResponse";
import { DescribeConfigsRequestData, DescribeConfigsResource } from "../../messages/DescribeConfigsRequest";
import { DescribeConfigsResponseData, DescribeConfigsResult } from "../../messages/DescribeConfigsResponse";
import { AlterConfigsRequestData, AlterConfigsResource } from "../../messages/AlterConfigsRequest";
import { AlterConfigsResponseData, AlterConfigsResourceResponse } from "../../messages/AlterConfigsResponse";
import {
  IncrementalAlterConfigsRequestData, AlterConfigsResource as IncrementalAlterConfigsResource,
} from "../../messages/IncrementalAlterConfigsRequest";
import {
  IncrementalAlterConfigsResponseData, AlterConfigsResourceResponse as IncrementalAlterConfigsResourceResponse,
} from "../../messages/IncrementalAlterConfigsResponse";
import {
  DescribeTopicPartitionsRequestData, TopicRequest as DescribedTopicRequest,
} from "../../messages/DescribeTopicPartitionsRequest";
import {
  DescribeTopicPartitionsResponseData, DescribeTopicPartitionsResponseTopic, DescribeTopicPartitionsResponsePartition,
  Cursor as ResponseCursor,
} from "../../messages/DescribeTopicPartitionsResponse";
import { answerDescribeTopicPartitionsTopics, answerCreateTopicsTopics } from "../../messages/refusals";
import { Policy, PolicyViolation } from "../../policy/policy";
import { ResourceType, AclOperation, CLUSTER_RESOURCE_NAME } from "../../policy/acl";
import { Verdict } from "../../filter/seam";
import { RequestContext, encodeResponse } from "../context";
import { TeachesNothing, ResponseRewrite } from "../rewrite";
import { Rule, NeedCheck, checkListed, checkListedWith } from "./rules";
import { topicName, metadataLookup, METADATA_LOOKUP_VERSION } from "../topic-ids";
import { Answer } from "../external";
import { Split, SplitRefusals } from "./refuse";
import { spliceEntries } from "./splice";
import { EntityCheck } from "../../messages/refusals";

// ---------------------------------------------------------------------------------------
// Shared by every API here.

/** A cluster-wide permission Kafka lets stand for every topic of a request (unlogged, as there). */
export function clusterAllows(ctx: RequestContext, operation: i32): bool {
  return ctx.allowed(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, operation);
}

// What Kafka reports in the *AuthorizedOperations bit fields (AclEntry.supportedOperations).
const TOPIC_OPERATIONS: StaticArray<i32> = [
  AclOperation.Read, AclOperation.Write, AclOperation.Create, AclOperation.Describe, AclOperation.Delete,
  AclOperation.Alter, AclOperation.DescribeConfigs, AclOperation.AlterConfigs,
];
const CLUSTER_OPERATIONS: StaticArray<i32> = [
  AclOperation.Create, AclOperation.ClusterAction, AclOperation.DescribeConfigs, AclOperation.AlterConfigs,
  AclOperation.IdempotentWrite, AclOperation.Alter, AclOperation.Describe,
];
const GROUP_OPERATIONS: StaticArray<i32> = [
  AclOperation.Read, AclOperation.Describe, AclOperation.Delete, AclOperation.DescribeConfigs, AclOperation.AlterConfigs,
];

/** Kafka's AuthHelper.authorizedOperations on a topic, a group or the cluster: bit `op` per allowed operation. */
export function authorizedOperations(ctx: RequestContext, resourceType: i32, name: string): i32 {
  const operations = resourceType == ResourceType.Topic ? TOPIC_OPERATIONS : resourceType == ResourceType.Group ? GROUP_OPERATIONS : CLUSTER_OPERATIONS;
  return ctx.allowedOperations(resourceType, name, operations);
}

/**
 * The cluster's authorized operations as Kafka's Metadata and DescribeCluster report them: none
 * without DESCRIBE on the cluster.
 */
export function clusterAuthorizedOperations(ctx: RequestContext): i32 {
  return ctx.allowed(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, AclOperation.Describe)
    ? authorizedOperations(ctx, ResourceType.Cluster, CLUSTER_RESOURCE_NAME) : 0;
}

// ---------------------------------------------------------------------------------------
// Fetch (1)

/** FetchRequest.FINAL_EPOCH: a full fetch outside any session, which closes the one it names. */
const FINAL_EPOCH: i32 = -1;

/** Refused fetch topics; Kafka's answer to a fetch failed as a whole, or throttled (KIP-219), lists no partition. */
class FetchRefusals extends SplitRefusals {
  apply(response: Message, version: i16): bool {
    const r = changetype<FetchResponseData>(response);
    if (r.errorCode != 0 || (r.responses.length == 0 && r.throttleTimeMs > 0)) return false;
    return super.apply(response, version);
  }
}

/** A follower allowed CLUSTER_ACTION (checkFetch) may fetch any partition: Kafka asks no READ of it. */
class FollowerCheck extends EntityCheck {
  code(name: string | null, id: Uuid): i16 { return 0; }
}

const FOLLOWER_CHECK = new FollowerCheck();

/**
 * Fetch's allow path reads first what checkFetch decides before any ACL: a follower (replica
 * id >= 0) needs CLUSTER_ACTION, and an incremental fetch in a session not opened on this
 * connection goes to the decoded check. (The table's READ on each topic is asked of a follower
 * too: the view may send more to the decoded check, never less.)
 */
export function fetchViewAllows(ctx: RequestContext, walk: EntityWalk, frame: Uint8Array): bool {
  let sessionId = 0, sessionEpoch = 0;
  for (let i = 0; i < walk.count; i++) {
    const kind = <EntityKind>unchecked(walk.kind[i]);
    if (kind == EntityKind.ReplicaId && walk.int32(frame, i) >= 0 && !clusterAllows(ctx, AclOperation.ClusterAction)) return false;
    if (kind == EntityKind.SessionId) sessionId = walk.int32(frame, i);
    else if (kind == EntityKind.SessionEpoch) sessionEpoch = walk.int32(frame, i);
  }
  const incremental = sessionEpoch != 0 && sessionEpoch != FINAL_EPOCH;
  return !(ctx.version >= 7 && sessionId != 0 && incremental && !ctx.session.fetchSessions.has(sessionId));
}

/** Consumers need READ on each topic (the table's row); v13+ name topics by id. */
export function checkFetch(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<FetchRequestData>(ctx.body);
  // An incremental fetch lists only changed partitions: it may go on only in a session this
  // connection opened with a full fetch checked here (and, with a policy service, checked
  // within its cacheTtlMs: Session.checkSessionsFor). Any other session id is answered as the
  // broker answers an unknown one, and the client starts over with a full fetch.
  // Kafka takes every epoch but 0 (a new session) and FINAL_EPOCH (none) as incremental.
  const incremental = req.sessionEpoch != 0 && req.sessionEpoch != FINAL_EPOCH;
  if (ctx.version >= 7 && req.sessionId != 0 && incremental && !ctx.session.fetchSessions.has(req.sessionId)) {
    ctx.deny("FETCH_SESSION:" + req.sessionId.toString(), "fetch session not opened on this connection, or its check has expired", FETCH_SESSION_ID_NOT_FOUND);
    const resp = new FetchResponseData();
    resp.errorCode = FETCH_SESSION_ID_NOT_FOUND;
    return ctx.respond(resp);
  }
  const follower = (ctx.version >= 15 ? req.replicaState.replicaId : req.replicaId) >= 0;
  // A follower needs CLUSTER_ACTION. Kafka refuses every partition of the fetch and of its
  // session without it; an incremental fetch lists only some, or none, so refused, nothing of
  // it goes on (it would be served the session's partitions as a follower, moving the follower's
  // offsets and reading past the high watermark).
  if (follower) {
    const code = ctx.check(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, AclOperation.ClusterAction);
    if (code != 0) return ctx.refuseWhole(TOPIC_AUTHORIZATION_FAILED, errorMessage(TOPIC_AUTHORIZATION_FAILED));
  }
  // Fetch sessions (KIP-227): the broker keeps each session's partitions, and an incremental
  // fetch lists only the changed ones. Forwarded in its session, a mixed fetch would leave the
  // broker's session without the refused partitions while the client's has them: they would
  // never be fetched nor refused again, where Kafka refuses them on every fetch. So a mixed
  // fetch goes on as a sessionless full fetch (FINAL_EPOCH, closing any session it names); the
  // broker answers with session id 0, which tells the client that its session is over
  // (FetchSessionHandler.handleResponse), and its next fetch is a full one, split again here.
  // Nothing refused: the request goes on as it came, and these changes are never sent.
  req.sessionEpoch = FINAL_EPOCH;
  req.forgottenTopicsData = new Array<ForgottenTopic>();
  return checkListedWith(ctx, rule, new FetchRefusals(), false, follower ? FOLLOWER_CHECK : null);
}

// ---------------------------------------------------------------------------------------
// Metadata (3) and DescribeTopicPartitions (75): DESCRIBE on each topic. Both answer with
// topic entries of one shape (name, topicAuthorizedOperations).

/**
 * A listing of every topic shows only those the principal may DESCRIBE; named topics it may
 * not are refused; authorized operations are the policy's, not the broker's. An answer to
 * named topics shows only those too: Kafka's names only what was asked, all of it allowed, but
 * a broker that answered one request twice would have its second answer taken for the next
 * request's (answers are matched by position), and this one is read anyway.
 */
class DescribedTopics<E, R, Response> extends Split<E, R> {
  /** The request asked for every topic. */
  listing: bool = false;
  /** Fill each described topic's topicAuthorizedOperations. */
  operations: bool = false;

  constructor(readonly ctx: RequestContext) { super(); }

  answers(response: Message): Array<R> { return changetype<Response>(response).topics; }

  apply(response: Message, version: i16): bool {
    const topics = this.answers(response);
    let changed = hideUndescribable<R>(this.ctx, topics, this.listing);
    // Before the refused are added: Kafka leaves theirs at the default.
    if (this.operations) changed = fillOperations<R>(this.ctx, topics) || changed;
    return super.apply(response, version) || changed;
  }

  /**
   * What apply() does, decided from the answer's view: topics hidden and the refused added
   * after the broker's by splicing its bytes (spliceEntries), authorized operations written over
   * the broker's in a copy. A listing's names are noted for a policy service, as
   * hideUndescribable notes them. Null when that takes decoding the answer: a name after the
   * entries that must be replaced (nextCursorShown), or what spliceEntries cannot place.
   */
  protected topicsFromView(walk: EntityWalk, frame: Uint8Array, version: i16, flexible: bool): Verdict | null {
    const ctx = this.ctx;
    const external = this.listing ? ctx.external : null;
    topicNames.length = 0;
    shownTopics.length = 0;
    operationsAt.length = 0;
    operationsOf.length = 0;
    let hidden = 0;
    let shown = false;
    let name: string | null = null;
    for (let i = 0; i < walk.count; i++) {
      const kind = <EntityKind>unchecked(walk.kind[i]);
      if (kind == EntityKind.TopicName && this.isEntryName(walk, i)) {
        name = walk.text(frame, i);
        if (name != null && external != null) external.noteListed(name);
        shown = name == null ? !this.listing : ctx.allowed(ResourceType.Topic, name, AclOperation.Describe);
        if (!shown) hidden++;
        topicNames.push(i);
        shownTopics.push(shown);
      } else if (kind == EntityKind.TopicOperations && this.operations && shown && name != null) {
        // The entry's own, after its partitions: a shown topic's operations are the policy's.
        const ops = authorizedOperations(ctx, ResourceType.Topic, name);
        if (walk.int32(frame, i) != ops) {
          operationsAt.push(unchecked(walk.start[i]));
          operationsOf.push(ops);
        }
      } else if (kind == EntityKind.TopicName && !this.nextCursorShown(walk, frame, i)) {
        return null;
      }
    }
    if (hidden == 0 && this.refused.length == 0 && operationsAt.length == 0) return Verdict.pass();
    let from = frame;
    if (operationsAt.length > 0) {
      from = frame.slice();
      for (let k = 0; k < operationsAt.length; k++) {
        store<u32>(from.dataStart + <usize>unchecked(operationsAt[k]), bswap<u32>(<u32>unchecked(operationsOf[k])));
      }
    }
    if (hidden == 0 && this.refused.length == 0) return Verdict.replace(from);
    // A topic entry starts with its error code (2 bytes), then its name.
    const spliced = spliceEntries<R>(walk, from, version, flexible, 2, topicNames, shownTopics, hidden, this.refused);
    return spliced != null ? Verdict.replace(spliced) : null;
  }

  /** Whether the TopicName entity `i` names a topic entry (not a name elsewhere in the answer). */
  protected isEntryName(walk: EntityWalk, i: i32): bool { return true; }

  /** Whether a name outside the topic entries (a next cursor) may go on as the broker gave it. */
  protected nextCursorShown(walk: EntityWalk, frame: Uint8Array, i: i32): bool { return true; }
}

// Where the shown topics' authorized operations differ from the policy's, and the policy's.
const operationsAt = new Array<i32>();
const operationsOf = new Array<i32>();

/**
 * Drops (in place) the topics the principal may not DESCRIBE, and in a `listing` those without
 * a name (outside one, a topic asked by id that the broker does not know has none); true if any.
 */
function hideUndescribable<T>(ctx: RequestContext, topics: Array<T>, listing: bool): bool {
  let shown = 0;
  const external = listing ? ctx.external : null;
  for (let i = 0; i < topics.length; i++) {
    const topic = unchecked(topics[i]);
    const name = topic.name;
    if (name != null && external != null) external.noteListed(name);
    if (name == null ? !listing : ctx.allowed(ResourceType.Topic, name, AclOperation.Describe)) unchecked(topics[shown++] = topic);
  }
  const hidden = shown != topics.length;
  topics.length = shown;
  return hidden;
}

function fillOperations<T>(ctx: RequestContext, topics: Array<T>): bool {
  let changed = false;
  for (let i = 0; i < topics.length; i++) {
    const topic = unchecked(topics[i]);
    const name = topic.name;
    if (name == null) continue;
    const ops = authorizedOperations(ctx, ResourceType.Topic, name);
    if (topic.topicAuthorizedOperations != ops) {
      topic.topicAuthorizedOperations = ops;
      changed = true;
    }
  }
  return changed;
}

class DescribedMetadata extends DescribedTopics<MetadataRequestTopic, MetadataResponseTopic, MetadataResponseData> {
  /** v8-10: fill clusterAuthorizedOperations. */
  clusterOperations: bool = false;
  /** A v0 request whose every topic was refused goes on as v0's listing: show none of it. */
  hideBrokerTopics: bool = false;

  /** Only a topic entry's name is a TopicName in a Metadata answer, one per entry, in order. */
  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    if (walk == null || this.clusterOperations || this.hideBrokerTopics) return null;
    return this.topicsFromView(walk, frame, version, version >= 9);
  }

  apply(response: Message, version: i16): bool {
    const m = changetype<MetadataResponseData>(response);
    let changed = false;
    if (this.hideBrokerTopics && m.topics.length > 0) {
      m.topics.length = 0;
      changed = true;
    }
    if (this.clusterOperations) {
      const ctx = this.ctx;
      m.clusterAuthorizedOperations = clusterAuthorizedOperations(ctx);
      changed = true;
    }
    return super.apply(response, version) || changed;
  }
}

// The topic entries of the answer topicsFromView reads: their names' entities, and whether each is shown.
const topicNames = new Array<i32>();
const shownTopics = new Array<bool>();
/** Kafka's internal topics (Topic.isInternal): the coordinators' own, never a client's to use as its own. */
export function isInternalTopic(name: string): bool {
  return name == "__consumer_offsets" || name == "__transaction_state" || name == "__share_group_state";
}

/** Kafka's Topic.isValid: 1 to 249 of [a-zA-Z0-9._-], and neither "." nor "..". */
export function isValidTopicName(name: string): bool { return invalidTopicReason(name) == null; }

/** Why Kafka's Topic.validate refuses `name`, in its words; null when it is valid (nothing allocated). */
export function invalidTopicReason(name: string): string | null {
  const n = name.length;
  if (n == 0) return "the empty string is not allowed";
  if (name == "." || name == "..") return "'" + name + "' is not allowed";
  if (n > 249) return "the length of '" + name + "' is longer than the max allowed length 249";
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 46 || c == 95 || c == 45;
    if (!ok) return "'" + name + "' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'";
  }
  return null;
}

/**
 * DescribeProducers: Kafka validates each name before it authorizes it (handleDescribeProducersRequest,
 * checkValidTopic), so an invalid name is answered INVALID_TOPIC_EXCEPTION whatever the ACLs
 * say. The filter answers so where the policy would refuse the name, and does not record it
 * as a refusal: Kafka never asks its authorizer about it. A name the policy allows goes on,
 * and the broker gives the same answer.
 */
export function checkDescribeProducers(ctx: RequestContext, rule: Rule): Verdict {
  return checkListedWith(ctx, rule, new SplitRefusals(), true, new ValidNameFirst(ctx, rule.needOf(EntityKind.TopicName)!, true));
}

class ValidNameFirst extends NeedCheck {
  code(name: string | null, id: Uuid): i16 {
    if (name != null) {
      const reason = invalidTopicReason(name);
      if (reason != null && this.ctx.answer(ResourceType.Topic, name, this.need.operation) != Answer.Allowed) {
        this.message = "Topic name is invalid: " + reason;
        return INVALID_TOPIC_EXCEPTION;
      }
    }
    return super.code(name, id);
  }
}

/** KafkaApis.metadataResponseTopic with no partitions. */
function refusedMetadataTopic(code: i16, name: string | null, id: Uuid, isInternal: bool): MetadataResponseTopic {
  const answer = new MetadataResponseTopic();
  answer.errorCode = code;
  answer.name = name;
  answer.topicId = id;
  answer.isInternal = isInternal;
  return answer;
}

/**
 * Sorts named topics into `described` as KafkaApis.handleTopicMetadataRequest does. A topic
 * the broker could auto-create though the principal may not CREATE it, or limits.createTopics
 * refuses it (the controller applies its CreateTopics policy to auto-created topics too), turns
 * auto-creation off (v4+; before v4 the request cannot, so the topic is refused). Returns
 * whether the request must go on rewritten. Only the broker knows whether the topic exists: the
 * check is made either way.
 */
function splitMetadataTopics(ctx: RequestContext, req: MetadataRequestData, topics: Array<MetadataRequestTopic>,
                             described: DescribedMetadata): bool {
  // As KafkaApis: from v12, once any entry has a topic id the broker looks up the ids alone and
  // ignores every name (entries without an id are dropped here, the broker would skip them).
  // Topics named by id are never auto-created.
  const byId = ctx.version >= 12 && anyTopicId(topics);
  const autoCreates = req.allowAutoTopicCreation && !byId;
  const anyTopic = autoCreates && clusterAllows(ctx, AclOperation.Create);
  let rewritten = false;
  // Kafka reads the list as a set: a topic named twice is checked and answered once.
  const refusedKeys = new Set<string>();
  for (let i = 0; i < topics.length; i++) {
    const topic = unchecked(topics[i]);
    if (byId && topic.topicId.isZero()) {
      rewritten = true;
      continue;
    }
    const listed = topic.name;
    const key = byId ? topic.topicId.toString() : listed != null ? listed : "";
    if (refusedKeys.has(key)) continue;
    const name = byId ? ctx.topicNameOf(topic.topicId) : topic.name;
    if (name == null) {
      refusedKeys.add(key);
      described.refused.push(refusedMetadataTopic(UNKNOWN_TOPIC_ID, null, topic.topicId, false));
      continue;
    }
    const code = ctx.check(ResourceType.Topic, name, AclOperation.Describe);
    // Kafka names a refused topic as the request did: by name with a zero id, or by id only.
    if (code != 0) {
      refusedKeys.add(key);
      described.refused.push(byId ? refusedMetadataTopic(code, null, topic.topicId, false)
        : refusedMetadataTopic(code, name, Uuid.ZERO, false));
      continue;
    }
    const refusal = autoCreates ? autoCreationRefusal(ctx, name, anyTopic) : null;
    if (refusal != null) {
      if (ctx.version >= 4) {
        req.allowAutoTopicCreation = false;
        rewritten = true;
      } else {
        refusedKeys.add(key);
        ctx.deny("TOPIC:" + name, refusal.message + ", and Metadata v" + ctx.version.toString()
          + " cannot turn auto-creation off", refusal.errorCode);
        described.refused.push(refusedMetadataTopic(refusal.errorCode, name, Uuid.ZERO, isInternalTopic(name)));
        continue;
      }
    }
    described.kept.push(topic);
  }
  return rewritten;
}

function anyTopicId(topics: Array<MetadataRequestTopic>): bool {
  for (let i = 0; i < topics.length; i++) if (!unchecked(topics[i]).topicId.isZero()) return true;
  return false;
}

/**
 * Why the broker may not auto-create `name` for this principal (unlogged: a v4+ request goes on
 * with auto-creation off). Auto-created topics get the broker's default partitions and
 * replication factor, which limits.createTopics leaves unchecked (as -1 in CreateTopics).
 */
function autoCreationRefusal(ctx: RequestContext, name: string, anyTopic: bool): PolicyViolation | null {
  const api = creationApiRefusal(ctx);
  if (api != null) return api;
  if (!anyTopic && !ctx.allowed(ResourceType.Topic, name, AclOperation.Create)) {
    return new PolicyViolation(TOPIC_AUTHORIZATION_FAILED, "CREATE not allowed");
  }
  return ctx.policy.checkCreateTopic(name, -1, -1);
}

/**
 * Metadata's allow path: named topics only (a listing's answer is cut, and an empty list is
 * left to the decoded check), no authorized operations asked, names or ids as
 * splitMetadataTopics reads them, and no topic the broker would auto-create that the principal
 * may not create or limits.createTopics refuses. The table's DESCRIBE on each topic follows.
 */
export function metadataViewAllows(ctx: RequestContext, walk: EntityWalk, frame: Uint8Array): bool {
  let names = 0, nullNames = 0, ids = 0, zeroIds = 0;
  let autoCreate = true; // before v4 a request cannot turn it off
  for (let i = 0; i < walk.count; i++) {
    const kind = <EntityKind>unchecked(walk.kind[i]);
    if (kind == EntityKind.TopicName) {
      names++;
      if (unchecked(walk.length[i]) < 0) nullNames++;
    } else if (kind == EntityKind.TopicId) {
      ids++;
      if (walk.uuidIsZero(frame, i)) zeroIds++;
    } else if (kind == EntityKind.AutoCreateTopics) autoCreate = walk.bool(frame, i);
    else if ((kind == EntityKind.ClusterOperations || kind == EntityKind.TopicOperations) && walk.bool(frame, i)) return false;
  }
  if (names == 0 && ids == 0) return false;
  // As splitMetadataTopics: from v12 one id makes the broker read ids alone, and an entry
  // without one would be dropped (a rewrite); topics by id are never auto-created.
  if (ctx.version >= 12 && ids > zeroIds) return zeroIds == 0;
  if (nullNames > 0) return false;
  if (!autoCreate) return true;
  const anyTopic = clusterAllows(ctx, AclOperation.Create);
  for (let i = 0; i < walk.count; i++) {
    if (<EntityKind>unchecked(walk.kind[i]) != EntityKind.TopicName) continue;
    if (autoCreationRefusal(ctx, walk.text(frame, i)!, anyTopic) != null) return false;
  }
  return true;
}

/**
 * Every topic (null list, or v0's empty one): the broker's answer is filtered. Named topics:
 * refused ones are not looked up (nor auto-created) and get TOPIC_AUTHORIZATION_FAILED; the
 * request always goes to the broker, whose broker list the client needs.
 */
export function checkMetadata(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<MetadataRequestData>(ctx.body);
  const described = new DescribedMetadata(ctx);
  described.operations = ctx.version >= 8 && req.includeTopicAuthorizedOperations;
  described.clusterOperations = ctx.version >= 8 && ctx.version <= 10 && req.includeClusterAuthorizedOperations;
  const topics = req.topics;
  if (topics == null || (ctx.version == 0 && topics.length == 0)) {
    described.listing = true;
    ctx.after = described;
    askAboutListedTopics(ctx);
    return ctx.pass();
  }
  const rewritten = splitMetadataTopics(ctx, req, topics, described);
  if (described.refused.length > 0 || described.operations || described.clusterOperations) ctx.after = described;
  if (described.refused.length == 0 && !rewritten) return ctx.pass();
  req.topics = described.kept;
  described.hideBrokerTopics = ctx.version == 0 && described.kept.length == 0;
  return ctx.forward(req);
}

class DescribedPartitions extends DescribedTopics<DescribedTopicRequest, DescribeTopicPartitionsResponseTopic,
    DescribeTopicPartitionsResponseData> {
  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    return walk != null ? this.topicsFromView(walk, frame, version, true) : null;
  }

  // An entry's name is followed by its id; the next cursor's name comes after the entries.
  protected isEntryName(walk: EntityWalk, i: i32): bool {
    return i + 1 < walk.count && <EntityKind>unchecked(walk.kind[i + 1]) == EntityKind.TopicId;
  }
}

/** As DescribeTopicPartitionsRequestHandler: an empty list is every topic; a cursor skips those before it. */
export function checkDescribeTopicPartitions(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<DescribeTopicPartitionsRequestData>(ctx.body);
  const described = new DescribedPartitions(ctx);
  // Kafka reports every described topic's authorized operations, unasked.
  described.operations = true;
  const cursor = req.cursor;
  if (req.topics.length == 0) {
    // Kafka refuses a cursor before the first partition before it lists anything; so does the broker.
    if (cursor != null && cursor.partitionIndex < 0) return ctx.pass();
    askAboutListedTopics(ctx);
    const h = ctx.header;
    const limit = max(min(LISTING_PAGE_LIMIT, req.responsePartitionLimit), 1);
    const listing = new ListingFromMetadata(ctx, cursor != null ? cursor.topicName : "", cursor != null ? cursor.partitionIndex : 0, limit);
    return ctx.respond(ctx.newResponse()).withAside(metadataLookup(null, h.correlationId, h.clientId), listing);
  }
  const first = cursor != null ? cursor.topicName : "";
  for (let i = 0; i < req.topics.length; i++) {
    const topic = unchecked(req.topics[i]);
    // Kafka neither describes nor refuses a topic before the cursor.
    if (topic.name < first) continue;
    const code = ctx.check(ResourceType.Topic, topic.name, AclOperation.Describe);
    if (code == 0) described.kept.push(topic);
    else described.refused.push(answerDescribeTopicPartitionsTopics(topic, ctx.version, code, null));
  }
  // The broker refuses a cursor whose topic is not listed; a refused one has nothing to resume.
  if (cursor != null && !ctx.allowed(ResourceType.Topic, cursor.topicName, AclOperation.Describe)) req.cursor = null;
  req.topics = described.kept;
  const verdict = described.settle(ctx, req);
  if (described.kept.length > 0) ctx.after = described;
  return verdict;
}

/** Kafka's default max.request.partition.size.limit: no page of a listing holds more partitions. */
const LISTING_PAGE_LIMIT: i32 = 2000;

/**
 * A DescribeTopicPartitions listing, answered by the filter from a Metadata listing of its own
 * (sent in the listing's place), paged as DescribeTopicPartitionsRequestHandler and
 * KRaftMetadataCache.describeTopicResponse page it: the topics at or after the cursor that the
 * principal may DESCRIBE, in order, until `limit` partitions. The broker behind the filter
 * pages over every topic, hidden ones included, so which of its pages ended where, or came
 * back empty once cut, told hidden topics' names and sizes (a cursor is any name). Metadata
 * does not carry eligible leader replicas: they are given empty, as Kafka gives them when
 * there are none.
 */
class ListingFromMetadata extends ResponseRewrite {
  constructor(readonly ctx: RequestContext, readonly cursorTopic: string, readonly cursorPartition: i32, readonly limit: i32) { super(); }

  apply(body: Message, version: i16): bool { return false; }

  keeps(frameSize: i32): i64 { return <i64>this.cursorTopic.length * 2 + 64; }

  get answersInstead(): bool { return true; }

  /**
   * The page, from the Metadata answer's view: only the topics on the page are decoded. A
   * listing of a whole cluster decoded whole at every page (20,000 topics of 10 partitions:
   * 216 MB and 150 ms a page in a VM) let any client that may describe a topic spend that at
   * will, two pages in flight per connection.
   */
  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    if (walk == null || version != METADATA_LOOKUP_VERSION) return Verdict.close("the broker's Metadata answer to the filter's own request was not walked");
    const ctx = this.ctx;
    const external = ctx.external;
    const shown = new Array<ListedTopic>();
    const n = walk.count;
    for (let i = 0; i < n; i++) {
      if (<EntityKind>unchecked(walk.kind[i]) != EntityKind.TopicName || unchecked(walk.parent[i]) != -1) continue;
      let partitions = 0;
      for (let j = i + 1; j < n && <EntityKind>unchecked(walk.kind[j]) != EntityKind.TopicName; j++) {
        if (<EntityKind>unchecked(walk.kind[j]) == EntityKind.Partition && unchecked(walk.parent[j]) >= i) partitions++;
      }
      const name = walk.text(frame, i);
      const length = unchecked(walk.length[i]);
      // A topic (v12, flexible): its error code, then its name's length (length + 1, unsigned varint), then the name.
      const at = unchecked(walk.start[i]) - uvarintSize(<u32>length + 1) - 2;
      if (name == null) continue;
      // A length not in its shortest form (no broker writes one) would put the topic elsewhere.
      if (at < 0 || !lengthAt(frame, at + 2, length + 1, unchecked(walk.start[i]))) {
        return Verdict.close("the broker's Metadata answer to the filter's own request writes a topic name's length in more bytes than it takes");
      }
      // A topic with an error (as one being deleted) is not described.
      if ((<i32>unchecked(frame[at]) | <i32>unchecked(frame[at + 1])) != 0) continue;
      if (external != null) external.noteListed(name);
      if (name < this.cursorTopic) continue;
      if (ctx.allowed(ResourceType.Topic, name, AclOperation.Describe)) shown.push(new ListedTopic(name, at, partitions));
    }
    sortListed(shown);
    const page = new DescribeTopicPartitionsResponseData();
    let remaining = this.limit;
    const r = new Reader(frame);
    for (let i = 0; i < shown.length; i++) {
      const listed = unchecked(shown[i]);
      const name = listed.name;
      if (remaining == 0) {
        page.nextCursor = cursorAt(name, 0);
        break;
      }
      r.pos = listed.at;
      const topic = new MetadataResponseTopic();
      topic.read(r, version);
      if (r.failed) return Verdict.close("the broker's Metadata answer to the filter's own request did not read: " + r.describeError());
      const count = listed.partitions;
      const start = name == this.cursorTopic ? this.cursorPartition : 0;
      const upper = <i32>min<i64>(<i64>count, <i64>start + <i64>remaining);
      const entry = describedTopic(ctx, topic, start, upper);
      page.topics.push(entry);
      if (upper < count) {
        page.nextCursor = cursorAt(name, upper);
        break;
      }
      remaining -= entry.partitions.length;
    }
    const h = ctx.header;
    const bytes = encodeResponse(h.correlationId, h.apiKey, h.apiVersion, page);
    return bytes != null ? Verdict.respond(bytes) : Verdict.close("could not encode a DescribeTopicPartitions page");
  }
}

/** Whether `frame` holds `value` as an unsigned varint from `at` to just before `end`. */
function lengthAt(frame: Uint8Array, at: i32, value: i32, end: i32): bool {
  let v: u32 = 0, shift: u32 = 0, i = at;
  while (i < end) {
    const b = <u32>unchecked(frame[i++]);
    v |= (b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
    shift += 7;
  }
  return i == end && v == <u32>value;
}

/** A topic of the Metadata answer a listing is paged from: where its struct starts, and its partitions. */
class ListedTopic {
  constructor(readonly name: string, readonly at: i32, readonly partitions: i32) {}
}

/**
 * Sorts topics by name, as Java's String.compareTo orders them (UTF-16 code units, as
 * AssemblyScript compares strings): a heap sort, smaller in the module than Array#sort's
 * instantiation for one more type.
 */
function sortListed(topics: Array<ListedTopic>): void {
  const n = topics.length;
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(topics, i, n);
  for (let end = n - 1; end > 0; end--) {
    const top = unchecked(topics[0]);
    unchecked(topics[0] = topics[end]);
    unchecked(topics[end] = top);
    siftDown(topics, 0, end);
  }
}

function siftDown(topics: Array<ListedTopic>, at: i32, n: i32): void {
  let i = at;
  while (true) {
    const left = 2 * i + 1;
    if (left >= n) return;
    let child = left;
    if (left + 1 < n && unchecked(topics[left + 1]).name > unchecked(topics[left]).name) child = left + 1;
    if (!(unchecked(topics[child]).name > unchecked(topics[i]).name)) return;
    const t = unchecked(topics[i]);
    unchecked(topics[i] = topics[child]);
    unchecked(topics[child] = t);
    i = child;
  }
}

function cursorAt(name: string, partition: i32): ResponseCursor {
  const c = new ResponseCursor();
  c.topicName = name;
  c.partitionIndex = partition;
  return c;
}

/** Partitions [start, upper) of a Metadata answer's topic, as DescribeTopicPartitions describes them. */
function describedTopic(ctx: RequestContext, topic: MetadataResponseTopic, start: i32, upper: i32): DescribeTopicPartitionsResponseTopic {
  const entry = new DescribeTopicPartitionsResponseTopic();
  entry.name = topic.name;
  entry.topicId = topic.topicId;
  entry.isInternal = topic.isInternal;
  entry.topicAuthorizedOperations = authorizedOperations(ctx, ResourceType.Topic, topic.name!);
  const byIndex = new Array<MetadataResponsePartition | null>(topic.partitions.length);
  for (let i = 0; i < topic.partitions.length; i++) {
    const p = unchecked(topic.partitions[i]);
    if (p.partitionIndex >= 0 && p.partitionIndex < byIndex.length) unchecked(byIndex[p.partitionIndex] = p);
  }
  for (let index = max(start, 0); index < upper; index++) {
    const p = unchecked(byIndex[index]);
    if (p == null) continue; // as Kafka skips a partition its image lacks
    const d = new DescribeTopicPartitionsResponsePartition();
    d.partitionIndex = index;
    d.leaderId = p.leaderId;
    d.leaderEpoch = p.leaderEpoch;
    d.replicaNodes = p.replicaNodes;
    d.isrNodes = p.isrNodes;
    d.offlineReplicas = p.offlineReplicas;
    d.eligibleLeaderReplicas = new Array<i32>();
    d.lastKnownElr = new Array<i32>();
    entry.partitions.push(d);
  }
  return entry;
}

/**
 * A policy service is asked before a listing, about the topics earlier listings showed: the
 * answer cannot wait for it, and would hide each topic not decided yet.
 */
function askAboutListedTopics(ctx: RequestContext): void {
  const external = ctx.external;
  if (external == null) return;
  const listed = external.listedTopics();
  for (let i = 0; i < listed.length; i++) ctx.allowed(ResourceType.Topic, unchecked(listed[i]), AclOperation.Describe);
}

// ---------------------------------------------------------------------------------------
// CreateTopics (19): CREATE on the cluster or on the topic, then limits.createTopics.

/** The one topic nobody may create (Topic.CLUSTER_METADATA_TOPIC_NAME). */
const CLUSTER_METADATA_TOPIC = "__cluster_metadata";

class CreateTopicsSplit extends Split<CreatableTopic, CreatableTopicResult> {
  /** Kept topics the principal may not DESCRIBE_CONFIGS. */
  readonly configsWithheld: Set<string> = new Set<string>();

  answers(response: Message): Array<CreatableTopicResult> { return changetype<CreateTopicsResponseData>(response).topics; }

  apply(response: Message, version: i16): bool {
    const added = super.apply(response, version);
    return (version >= 5 && this.withholdConfigs(changetype<CreateTopicsResponseData>(response))) || added;
  }

  // Kafka (ReplicationControlManager.createTopic) shows a created topic's configs, partition
  // count and replication factor only to a principal that may DESCRIBE_CONFIGS it.
  private withholdConfigs(r: CreateTopicsResponseData): bool {
    let changed = false;
    for (let i = 0; i < r.topics.length; i++) {
      const t = unchecked(r.topics[i]);
      if (t.errorCode != 0 || !this.configsWithheld.has(t.name)) continue;
      t.configs = new Array<CreatableTopicConfigs>();
      t.numPartitions = -1;
      t.replicationFactor = -1;
      t.topicConfigErrorCode = TOPIC_AUTHORIZATION_FAILED;
      changed = true;
    }
    return changed;
  }
}

function logged(ctx: RequestContext, topic: string, refusal: PolicyViolation): PolicyViolation {
  ctx.deny("TOPIC:" + topic, refusal.message, refusal.errorCode);
  return refusal;
}

/**
 * Why Kafka refuses to create `name` before any limit, logged; null if it does not: the one
 * topic nobody may create, then CREATE on the cluster (`anyTopic`, checked once by the caller)
 * or on the topic. CreateTopics and the internal topics of a streams topology share it.
 */
export function createAclRefusal(ctx: RequestContext, name: string, anyTopic: bool): PolicyViolation | null {
  if (name == CLUSTER_METADATA_TOPIC) {
    // Refused before any ACL, whoever asks.
    return logged(ctx, name, new PolicyViolation(INVALID_REQUEST,
      "Creation of internal topic " + CLUSTER_METADATA_TOPIC + " is prohibited."));
  }
  const api = creationApiRefusal(ctx);
  if (api != null) return logged(ctx, name, api);
  if (anyTopic) return null;
  const code = ctx.check(ResourceType.Topic, name, AclOperation.Create);
  if (code == 0) return null;
  return new PolicyViolation(code, "Authorization failed.");
}

/** Whether createAclRefusal would let the principal create `name` (unlogged). */
export function mayCreate(ctx: RequestContext, name: string, anyTopic: bool): bool {
  return name != CLUSTER_METADATA_TOPIC && creationApiRefusal(ctx) == null
    && (anyTopic || ctx.allowed(ResourceType.Topic, name, AclOperation.Create));
}

/** Whether the principal may create any topic but the one nobody may (CREATE on the cluster, CreateTopics allowed). */
export function mayCreateEveryTopic(ctx: RequestContext): bool {
  return creationApiRefusal(ctx) == null && clusterAllows(ctx, AclOperation.Create);
}

/**
 * Topics the broker creates for other APIs (Metadata's auto-creation, a streams topology's
 * internal topics) it creates with CreateTopics: not allowed by limits.apis, none is created.
 */
function creationApiRefusal(ctx: RequestContext): PolicyViolation | null {
  return ctx.policy.isApiKeyAllowed(CREATE_TOPICS_KEY) ? null : new PolicyViolation(POLICY_VIOLATION, "CreateTopics not allowed by limits.apis");
}

const CREATE_TOPICS_KEY: i16 = 19;
const DESCRIBE_CONFIGS_KEY: i16 = 32;

/** limits.createTopics on a topic Kafka would create (-1: the broker's default), logged; null if within. */
export function createLimitRefusal(ctx: RequestContext, name: string, partitions: i32, replicationFactor: i16): PolicyViolation | null {
  const violation = ctx.policy.checkCreateTopic(name, partitions, replicationFactor);
  return violation != null ? logged(ctx, name, violation) : null;
}

/** Why Kafka, or limits.createTopics, refuses to create `topic`; null if neither does. */
function creationRefusal(ctx: RequestContext, topic: CreatableTopic, anyTopic: bool): PolicyViolation | null {
  const refusal = createAclRefusal(ctx, topic.name, anyTopic);
  if (refusal != null) return refusal;
  const violation = createLimitViolation(ctx.policy, topic);
  return violation != null ? logged(ctx, topic.name, violation) : null;
}

/** The limits on what the topic would get: manual assignments fix both partitions and replicas. */
function createLimitViolation(policy: Policy, topic: CreatableTopic): PolicyViolation | null {
  const assignments = topic.assignments;
  if (assignments.length == 0) return policy.checkCreateTopic(topic.name, topic.numPartitions, topic.replicationFactor);
  let fewest = i32.MAX_VALUE, most = 0;
  for (let i = 0; i < assignments.length; i++) {
    const replicas = unchecked(assignments[i]).brokerIds.length;
    if (replicas < fewest) fewest = replicas;
    if (replicas > most) most = replicas;
  }
  const v = policy.checkCreateTopic(topic.name, assignments.length, <i16>min(most, <i32>i16.MAX_VALUE));
  return v != null ? v : policy.checkCreateTopic(topic.name, assignments.length, <i16>min(fewest, <i32>i16.MAX_VALUE));
}

export function checkCreateTopics(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<CreateTopicsRequestData>(ctx.body);
  const split = new CreateTopicsSplit();
  const anyTopic = clusterAllows(ctx, AclOperation.Create);
  // Configs are shown as DescribeConfigs would show them: limits.apis may not allow it either.
  const configsShown = ctx.policy.isApiKeyAllowed(DESCRIBE_CONFIGS_KEY);
  // A name listed twice is answered INVALID_REQUEST once, before any ACL, and neither entry is
  // created (ControllerApis.createTopics). Sent on with one of them refused, the other was.
  const twice = listedTwice(creatableNames(req.topics));
  for (let i = 0; i < req.topics.length; i++) {
    const topic = unchecked(req.topics[i]);
    if (twice.has(topic.name)) {
      if (twice.get(topic.name)) {
        twice.set(topic.name, false);
        ctx.deny("TOPIC:" + topic.name, "listed more than once (Kafka creates neither)", INVALID_REQUEST);
        split.refused.push(answerCreateTopicsTopics(topic, ctx.version, INVALID_REQUEST, "Duplicate topic name."));
      }
      continue;
    }
    const refusal = creationRefusal(ctx, topic, anyTopic);
    if (refusal != null) {
      split.refused.push(answerCreateTopicsTopics(topic, ctx.version, refusal.errorCode, refusal.message));
      continue;
    }
    split.kept.push(topic);
    if (!configsShown || !ctx.allowed(ResourceType.Topic, topic.name, AclOperation.DescribeConfigs)) split.configsWithheld.add(topic.name);
  }
  req.topics = split.kept;
  const verdict = split.settle(ctx, req);
  if (split.configsWithheld.size > 0) ctx.after = split;
  if (req.validateOnly) {
    // Kafka answers a validation with the ids the topics would get: random, never created.
    // Learnt, a client could fill the table of ids with thousands a request (topic-ids.ts).
    const after = ctx.after;
    if (after != null) after.teaches = false;
    else ctx.after = new TeachesNothing();
  }
  return verdict;
}

/** The keys (names, ids) listed more than once, each mapped to true (not answered yet). */
function listedTwice(keys: Array<string>): Map<string, bool> {
  const seen = new Set<string>();
  const twice = new Map<string, bool>();
  for (let i = 0; i < keys.length; i++) {
    const key = unchecked(keys[i]);
    if (seen.has(key)) twice.set(key, true);
    else seen.add(key);
  }
  return twice;
}

function creatableNames(topics: Array<CreatableTopic>): Array<string> {
  const names = new Array<string>(topics.length);
  for (let i = 0; i < topics.length; i++) unchecked(names[i] = unchecked(topics[i]).name);
  return names;
}

// ---------------------------------------------------------------------------------------
// CreatePartitions (37): ALTER on each topic, as ControllerApis checks; then the count it
// asks for against limits.createTopics.maxPartitions, which bounds the topic: a topic created
// within it must not grow past it (Kafka's CreateTopicPolicy is asked only at creation).

/** Partition counts cannot be seen in the view: with a maximum set, every request is decoded. */
export function createPartitionsViewAllows(ctx: RequestContext, walk: EntityWalk, frame: Uint8Array): bool {
  const limits = ctx.policy.createTopicLimits;
  return limits == null || limits.maxPartitions < 0;
}

export function checkCreatePartitions(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<CreatePartitionsRequestData>(ctx.body);
  return checkListedWith(ctx, rule, new SplitRefusals(), false, new PartitionGrowthCheck(ctx, req.topics));
}

class PartitionGrowthCheck extends EntityCheck {
  // Read in one pass: a request may name many topics, and each is asked about.
  /** Each topic's count asked for. */
  private readonly counts: Map<string, i32> = new Map<string, i32>();
  /** Topics named twice: the controller refuses them whole (INVALID_REQUEST), nothing grows. */
  private readonly twice: Set<string> = new Set<string>();

  constructor(readonly ctx: RequestContext, topics: Array<CreatePartitionsTopic>) {
    super();
    for (let i = 0; i < topics.length; i++) {
      const t = unchecked(topics[i]);
      if (this.counts.has(t.name)) this.twice.add(t.name);
      this.counts.set(t.name, t.count);
    }
  }

  code(name: string | null, id: Uuid): i16 {
    this.message = null;
    const code = this.ctx.checkTopic(name, id, AclOperation.Alter);
    if (code != 0 || name == null || !this.counts.has(name) || this.twice.has(name)) return code;
    const violation = this.ctx.policy.checkPartitionCount(name, this.counts.get(name));
    if (violation == null) return 0;
    logged(this.ctx, name, violation);
    this.message = violation.message;
    return violation.errorCode;
  }
}

// ---------------------------------------------------------------------------------------
// DeleteTopics (20): DELETE on the cluster (every topic) or on the topic; v6+ by name or id.

class DeleteTopicsSplit<E> extends Split<E, DeletableTopicResult> {
  answers(response: Message): Array<DeletableTopicResult> { return changetype<DeleteTopicsResponseData>(response).responses; }
}

function deletionAnswer(name: string | null, id: Uuid, code: i16, message: string | null = null): DeletableTopicResult {
  const answer = new DeletableTopicResult();
  answer.name = name;
  answer.topicId = id;
  answer.errorCode = code;
  answer.errorMessage = message != null ? message : errorMessage(code);
  return answer;
}

/** ControllerApis.deleteTopics' answer for a topic it will not delete, or null. */
function deletionRefusal(ctx: RequestContext, name: string | null, id: Uuid, anyTopic: bool): DeletableTopicResult | null {
  const resolved = name != null ? name : ctx.topicNameOf(id);
  if (resolved == null) return deletionAnswer(null, id, UNKNOWN_TOPIC_ID);
  if (anyTopic) return null;
  const code = ctx.check(ResourceType.Topic, resolved, AclOperation.Delete);
  if (code == 0) return null;
  if (name != null) return deletionAnswer(name, Uuid.ZERO, code);
  // A topic given by id is named only to a principal that may DESCRIBE it.
  const shown = ctx.allowed(ResourceType.Topic, resolved, AclOperation.Describe) ? resolved : null;
  return deletionAnswer(shown, id, code);
}

/**
 * Kafka answers some entries INVALID_REQUEST before any ACL and deletes none of them
 * (ControllerApis.deleteTopics): one with neither a name nor an id, or with both; a name, or
 * an id, listed twice (answered once). The filter answers them so, not with an ACL's
 * refusal, when it decides the request decoded; a request its view lets through goes on, and
 * the broker answers them the same.
 */
class DeletionEntries {
  private readonly names: Map<string, bool>;
  private readonly ids: Map<string, bool>;

  constructor(names: Array<string>, ids: Array<string>) {
    this.names = listedTwice(names);
    this.ids = listedTwice(ids);
  }

  /** Kafka's answer to the entry before any ACL (ALREADY_ANSWERED: a duplicate answered with its first), or null: checked as usual. */
  invalid(ctx: RequestContext, name: string | null, id: Uuid): DeletableTopicResult | null {
    if (name == null && id.isZero()) {
      ctx.deny("TOPIC:", "neither a name nor an id (Kafka deletes nothing for it)", INVALID_REQUEST);
      return deletionAnswer(null, id, INVALID_REQUEST, "Neither topic name nor id were specified.");
    }
    if (name != null && !id.isZero()) {
      ctx.deny("TOPIC:" + name, "both a name and an id (Kafka deletes neither)", INVALID_REQUEST);
      return deletionAnswer(name, id, INVALID_REQUEST, "You may not specify both topic name and topic id.");
    }
    const twice = name != null ? this.names : this.ids;
    const key = name != null ? name : id.toString();
    if (!twice.has(key)) return null;
    if (!twice.get(key)) return ALREADY_ANSWERED;
    twice.set(key, false);
    ctx.deny("TOPIC:" + key, "listed more than once (Kafka deletes neither)", INVALID_REQUEST);
    return name != null ? deletionAnswer(name, Uuid.ZERO, INVALID_REQUEST, "Duplicate topic name.")
      : deletionAnswer(null, id, INVALID_REQUEST, "Duplicate topic id.");
  }
}

const ALREADY_ANSWERED = new DeletableTopicResult();

/** v1-5 list names; v6+ list states, each with a name or an id. */
function splitDeletions<E>(ctx: RequestContext, entries: Array<E>): DeleteTopicsSplit<E> {
  const split = new DeleteTopicsSplit<E>();
  const anyTopic = clusterAllows(ctx, AclOperation.Delete);
  const names = new Array<string>(), ids = new Array<string>();
  for (let i = 0; i < entries.length; i++) {
    const entry = unchecked(entries[i]);
    if (isString<E>()) names.push(changetype<string>(entry));
    else if (entry.name != null && entry.topicId.isZero()) names.push(entry.name!);
    else if (entry.name == null && !entry.topicId.isZero()) ids.push(entry.topicId.toString());
  }
  const listed = new DeletionEntries(names, ids);
  for (let i = 0; i < entries.length; i++) {
    const entry = unchecked(entries[i]);
    const name: string | null = isString<E>() ? changetype<string>(entry) : entry.name;
    const id: Uuid = isString<E>() ? Uuid.ZERO : entry.topicId;
    let refusal = listed.invalid(ctx, name, id);
    if (refusal === ALREADY_ANSWERED) continue;
    if (refusal == null) refusal = deletionRefusal(ctx, name, id, anyTopic);
    if (refusal == null) split.kept.push(entry);
    else split.refused.push(refusal);
  }
  return split;
}

export function checkDeleteTopics(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<DeleteTopicsRequestData>(ctx.body);
  if (ctx.version >= 6) {
    const split = splitDeletions<DeleteTopicState>(ctx, req.topics);
    req.topics = split.kept;
    return split.settle(ctx, req);
  }
  const split = splitDeletions<string>(ctx, req.topicNames);
  req.topicNames = split.kept;
  return split.settle(ctx, req);
}

// ---------------------------------------------------------------------------------------
// OffsetForLeaderEpoch (23): CLUSTER_ACTION covers every topic (replicas), else DESCRIBE on
// each (consumers, KIP-320), whatever replica id the request gives.

export function checkOffsetForLeaderEpoch(ctx: RequestContext, rule: Rule): Verdict {
  return clusterAllows(ctx, AclOperation.ClusterAction) ? ctx.pass() : checkListed(ctx, rule);
}

// ---------------------------------------------------------------------------------------
// DescribeConfigs (32), AlterConfigs (33), IncrementalAlterConfigs (44): per config resource.

// ConfigResource.Type ids.
const CONFIG_TOPIC: i8 = 2;
const CONFIG_BROKER: i8 = 4;
const CONFIG_BROKER_LOGGER: i8 = 8;
const CONFIG_CLIENT_METRICS: i8 = 16;
const CONFIG_GROUP: i8 = 32;

/**
 * The ACL resource Kafka checks for a config resource type (ConfigHelper, ControllerApis
 * .authorizeAlterResource): topics and groups themselves, the broker-wide types the cluster.
 * Unknown for a type the API does not take.
 */
function configAclType(type: i8, takesBrokerLogger: bool): i32 {
  switch (type) {
    case CONFIG_TOPIC: return ResourceType.Topic;
    case CONFIG_GROUP: return ResourceType.Group;
    case CONFIG_BROKER:
    case CONFIG_CLIENT_METRICS: return ResourceType.Cluster;
    case CONFIG_BROKER_LOGGER: return takesBrokerLogger ? ResourceType.Cluster : ResourceType.Unknown;
    default: return ResourceType.Unknown;
  }
}

/**
 * Splits config resources by `operation`. A type the API does not take is refused with
 * INVALID_REQUEST, as Kafka refuses it before any ACL. The answers of all three APIs have the
 * same fields (errorCode, errorMessage, resourceType, resourceName).
 */
function splitConfigResources<E, R>(ctx: RequestContext, resources: Array<E>, split: Split<E, R>,
                                    operation: i32, takesBrokerLogger: bool): void {
  for (let i = 0; i < resources.length; i++) {
    const resource = unchecked(resources[i]);
    const aclType = configAclType(resource.resourceType, takesBrokerLogger);
    let code: i16;
    let message: string | null;
    if (aclType == ResourceType.Unknown) {
      const unknown = "Unknown resource type " + resource.resourceType.toString();
      code = INVALID_REQUEST;
      message = unknown;
      ctx.deny("CONFIG:" + resource.resourceType.toString() + ":" + resource.resourceName, unknown, code);
    } else {
      code = ctx.check(aclType, aclType == ResourceType.Cluster ? CLUSTER_RESOURCE_NAME : resource.resourceName, operation);
      if (code == 0) {
        split.kept.push(resource);
        continue;
      }
      message = errorMessage(code);
    }
    const answer = instantiate<R>();
    answer.errorCode = code;
    answer.errorMessage = message;
    answer.resourceType = resource.resourceType;
    answer.resourceName = resource.resourceName;
    split.refused.push(answer);
  }
}

class DescribeConfigsSplit extends Split<DescribeConfigsResource, DescribeConfigsResult> {
  answers(response: Message): Array<DescribeConfigsResult> { return changetype<DescribeConfigsResponseData>(response).results; }
}

/** The two AlterConfigs APIs: different classes of the same shape. */
class AlterConfigsSplit<E, R, Response> extends Split<E, R> {
  answers(response: Message): Array<R> { return changetype<Response>(response).responses; }
}

export function checkDescribeConfigs(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<DescribeConfigsRequestData>(ctx.body);
  const split = new DescribeConfigsSplit();
  splitConfigResources<DescribeConfigsResource, DescribeConfigsResult>(ctx, req.resources, split, AclOperation.DescribeConfigs, true);
  req.resources = split.kept;
  return split.settle(ctx, req);
}

export function checkAlterConfigs(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<AlterConfigsRequestData>(ctx.body);
  const split = new AlterConfigsSplit<AlterConfigsResource, AlterConfigsResourceResponse, AlterConfigsResponseData>();
  // The legacy API takes no BROKER_LOGGER (ConfigAdminManager.preprocess).
  splitConfigResources<AlterConfigsResource, AlterConfigsResourceResponse>(ctx, req.resources, split, AclOperation.AlterConfigs, false);
  req.resources = split.kept;
  return split.settle(ctx, req);
}

export function checkIncrementalAlterConfigs(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<IncrementalAlterConfigsRequestData>(ctx.body);
  const split = new AlterConfigsSplit<IncrementalAlterConfigsResource, IncrementalAlterConfigsResourceResponse,
    IncrementalAlterConfigsResponseData>();
  splitConfigResources<IncrementalAlterConfigsResource, IncrementalAlterConfigsResourceResponse>(
    ctx, req.resources, split, AclOperation.AlterConfigs, true);
  req.resources = split.kept;
  return split.settle(ctx, req);
}
