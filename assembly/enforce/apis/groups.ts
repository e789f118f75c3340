// Consumer, share and streams group APIs, as Kafka 4.4's KafkaApis authorizes them: READ on
// the group to take part in it or commit to it, DESCRIBE to look at it, DELETE to delete it or
// its offsets; READ on the topics whose offsets are committed, altered or deleted, DESCRIBE on
// those whose offsets are fetched or that a member subscribes to; CREATE (and the CreateTopics
// limits) on the internal topics a streams topology makes the broker create. Refused parts are
// answered in each API's own response, as produce.ts does; listings, descriptions and
// assignments are cut to what may be described.
//
// Refused entries are answered through refuse.ts; a check narrows the decoded request in place
// (nothing reads it afterwards) before forwarding it.

import { Message } from "../../protocol/message";
import { Uuid } from "../../protocol/uuid";
import {
  TOPIC_AUTHORIZATION_FAILED, INVALID_PARTITIONS, STREAMS_INVALID_TOPOLOGY, COORDINATOR_LOAD_IN_PROGRESS, SHARE_SESSION_NOT_FOUND,
  SHARE_SESSION_LIMIT_REACHED, errorMessage,
} from "../../protocol/errors";
import { OffsetFetchRequestData, OffsetFetchRequestTopic, OffsetFetchRequestTopics, OffsetFetchRequestGroup } from "../../messages/OffsetFetchRequest";
import {
  OffsetFetchResponseData, OffsetFetchResponseTopic, OffsetFetchResponsePartition, OffsetFetchResponseTopics,
  OffsetFetchResponsePartitions, OffsetFetchResponseGroup,
} from "../../messages/OffsetFetchResponse";
import { FindCoordinatorRequestData } from "../../messages/FindCoordinatorRequest";
import { JoinGroupRequestData } from "../../messages/JoinGroupRequest";
import { JoinGroupResponseData } from "../../messages/JoinGroupResponse";
import { ListGroupsResponseData, ListedGroup } from "../../messages/ListGroupsResponse";
import { DeleteGroupsRequestData } from "../../messages/DeleteGroupsRequest";
import { ConsumerGroupHeartbeatRequestData } from "../../messages/ConsumerGroupHeartbeatRequest";
import {
  ConsumerGroupHeartbeatResponseData, Assignment as ConsumerHeartbeatAssignment, TopicPartitions as ConsumerHeartbeatTopicPartitions,
} from "../../messages/ConsumerGroupHeartbeatResponse";
import {
  ConsumerGroupDescribeResponseData, DescribedGroup as ConsumerDescribedGroup,
} from "../../messages/ConsumerGroupDescribeResponse";
import { ShareGroupHeartbeatRequestData } from "../../messages/ShareGroupHeartbeatRequest";
import {
  ShareGroupHeartbeatResponseData, Assignment as ShareHeartbeatAssignment, TopicPartitions as ShareHeartbeatTopicPartitions,
} from "../../messages/ShareGroupHeartbeatResponse";
import { ShareGroupDescribeResponseData, DescribedGroup as ShareDescribedGroup } from "../../messages/ShareGroupDescribeResponse";
import { ShareFetchRequestData, FetchTopic } from "../../messages/ShareFetchRequest";
import { ConsumerGroupDescribeRequestData } from "../../messages/ConsumerGroupDescribeRequest";
import { DescribeGroupsRequestData } from "../../messages/DescribeGroupsRequest";
import { DescribeGroupsResponseData } from "../../messages/DescribeGroupsResponse";
import { ShareGroupDescribeRequestData } from "../../messages/ShareGroupDescribeRequest";
import { StreamsGroupDescribeRequestData } from "../../messages/StreamsGroupDescribeRequest";
import {
  ShareFetchResponseData, ShareFetchableTopicResponse, PartitionData as ShareFetchPartitionData, AcquiredRecords,
} from "../../messages/ShareFetchResponse";
import { ShareAcknowledgeRequestData, AcknowledgeTopic } from "../../messages/ShareAcknowledgeRequest";
import { ShareAcknowledgeResponseData } from "../../messages/ShareAcknowledgeResponse";
import { DescribeShareGroupOffsetsRequestData, DescribeShareGroupOffsetsRequestGroup, DescribeShareGroupOffsetsRequestTopic } from "../../messages/DescribeShareGroupOffsetsRequest";
import {
  DescribeShareGroupOffsetsResponseData, DescribeShareGroupOffsetsResponseGroup,
  DescribeShareGroupOffsetsResponseTopic, DescribeShareGroupOffsetsResponsePartition,
} from "../../messages/DescribeShareGroupOffsetsResponse";
import {
  StreamsGroupHeartbeatRequestData, Topology as StreamsTopology, TopicInfo as StreamsTopicInfo,
} from "../../messages/StreamsGroupHeartbeatRequest";
import {
  StreamsGroupHeartbeatResponseData, TopicPartition as EndpointTopicPartition,
} from "../../messages/StreamsGroupHeartbeatResponse";
import {
  StreamsGroupDescribeResponseData, DescribedGroup as StreamsDescribedGroup, Topology as DescribedTopology,
  TopologyDescription, TopologyDescriptionNode,
} from "../../messages/StreamsGroupDescribeResponse";
import { ResourceType, AclOperation, CLUSTER_RESOURCE_NAME } from "../../policy/acl";
import { Verdict } from "../../filter/seam";
import { RequestContext } from "../context";
import { Answer } from "../external";
import { memberKey, AwaitedAssignment, ShareSessionOpeners, MAX_SHARE_SESSION_TOPICS } from "../session";
import { Rule, checkListed, checkListedWith } from "./rules";
import { ResponseRewrite } from "../rewrite";
import { walkForRewrite, lastWalk } from "../responses";
import { spliceEntries } from "./splice";
import { EntityKind, EntityWalk } from "../../protocol/walk";
import { topicName, topicNameOf } from "../topic-ids";
import { freshPartitionCount, MAX_COUNTS_ASKED } from "../topic-partitions";
import { nowNs } from "../../runtime/host";
import { PolicyViolation } from "../../policy/policy";
import { addShareAcknowledgeTopicsAnswers } from "../../messages/refusals";
import { Refusals, answer, TopicRefusals, checkTopics, NamedRefusals, SplitRefusals } from "./refuse";
import {
  isInternalTopic, isValidTopicName, clusterAllows, createAclRefusal, createLimitRefusal, authorizedOperations, mayCreate, mayCreateEveryTopic,
} from "./topics";
import { knownTopology, forgetTopology, takeLookupError, internalTopicsOf, StoredTopology } from "../streams-topologies";
import { join } from "../../runtime/strings";

/**
 * DESCRIBE on topics, each name checked once (and its refusal logged once) per request or
 * response, as Kafka's filterByAuthorized does.
 */
class TopicDescribeCheck {
  private readonly seen: Map<string, bool> = new Map<string, bool>();

  constructor(readonly ctx: RequestContext) {}

  allows(name: string): bool {
    if (this.seen.has(name)) return this.seen.get(name);
    const allowed = this.ctx.check(ResourceType.Topic, name, AclOperation.Describe) == 0;
    this.seen.set(name, allowed);
    return allowed;
  }

  /** Checks every name (so that each refusal is logged); true when all may be described. */
  allowAll(names: Array<string>): bool {
    let all = true;
    for (let i = 0; i < names.length; i++) if (!this.allows(unchecked(names[i]))) all = false;
    return all;
  }
}

/**
 * DESCRIBE on the topics of a response being cut, unlogged as Kafka's listings are, each name
 * asked once.
 */
class DescribableTopics {
  private readonly seen: Map<string, Answer>;

  /** `decided`: answers the request already had (a policy service's may have expired since). */
  constructor(readonly ctx: RequestContext, decided: Map<string, Answer> | null = null) {
    this.seen = decided != null ? decided : new Map<string, Answer>();
  }

  allows(name: string): bool { return this.answer(name) == Answer.Allowed; }

  /** Pending: a policy service has not answered yet (a response cannot wait for it). */
  answer(name: string): Answer {
    if (this.seen.has(name)) return this.seen.get(name);
    const answer = this.ctx.answer(ResourceType.Topic, name, AclOperation.Describe);
    this.seen.set(name, answer);
    return answer;
  }

  /** The entries (each naming its `topic`) whose topic may be described. */
  keep<T>(entries: Array<T>): Array<T> {
    const kept = new Array<T>();
    for (let i = 0; i < entries.length; i++) {
      const entry = unchecked(entries[i]);
      if (this.allows(entry.topic)) kept.push(entry);
    }
    return kept;
  }
}

/** A refused topic with the partitions it named. */
class RefusedTopic {
  constructor(readonly group: string, readonly name: string, readonly topicId: Uuid, readonly partitions: Array<i32>, readonly code: i16) {}
}

// ---------------------------------------------------------------------------------------
// Offsets of consumer groups.

/**
 * OffsetFetch: DESCRIBE on each group, then DESCRIBE on each named topic (by id from v10);
 * a fetch of all topics is cut to the topics the principal may describe.
 */
export function checkOffsetFetch(ctx: RequestContext, rule: Rule): Verdict {
  return ctx.version >= 8 ? checkOffsetFetchGroups(ctx) : checkOffsetFetchGroup(ctx);
}

/** Versions 1-7: one group, its error at the top (v2+) or on every partition (v1). */
function checkOffsetFetchGroup(ctx: RequestContext): Verdict {
  const req = changetype<OffsetFetchRequestData>(ctx.body);
  const refusals = new SingleGroupOffsetRefusals(ctx);
  const groupCode = ctx.check(ResourceType.Group, req.groupId, AclOperation.Describe);
  if (groupCode != 0 && ctx.version >= 2) return ctx.refuseWhole(groupCode, errorMessage(groupCode));
  // Version 1 has no group-level error: Kafka puts it on every partition asked for.
  if (groupCode != 0) refusals.whole = true;
  const topics = req.topics;
  if (topics == null) {
    refusals.watch = true;
    return answer(ctx, refusals, req);
  }
  const kept = new Array<OffsetFetchRequestTopic>();
  for (let i = 0; i < topics.length; i++) {
    const topic = unchecked(topics[i]);
    const code = groupCode != 0 ? groupCode : ctx.checkTopic(topic.name, Uuid.ZERO, AclOperation.Describe);
    if (code == 0) kept.push(topic);
    else refusals.refuse(new RefusedTopic(req.groupId, topic.name, Uuid.ZERO, topic.partitionIndexes, code));
  }
  req.topics = kept;
  return answer(ctx, refusals, kept.length > 0 ? req : null);
}

/** Versions 8+: groups in a batch, each answered with its own error or topics. */
function checkOffsetFetchGroups(ctx: RequestContext): Verdict {
  const req = changetype<OffsetFetchRequestData>(ctx.body);
  const byId = ctx.version >= 10;
  const refusals = new GroupOffsetRefusals(ctx, byId);
  const kept = new Array<OffsetFetchRequestGroup>();
  for (let g = 0; g < req.groups.length; g++) {
    const group = unchecked(req.groups[g]);
    const groupCode = ctx.check(ResourceType.Group, group.groupId, AclOperation.Describe);
    if (groupCode != 0) {
      refusals.refuseGroup(group.groupId, groupCode);
      continue;
    }
    const topics = group.topics;
    if (topics == null) {
      refusals.askAllTopics(group.groupId);
      kept.push(group);
      continue;
    }
    const keptTopics = new Array<OffsetFetchRequestTopics>();
    for (let i = 0; i < topics.length; i++) {
      const topic = unchecked(topics[i]);
      const code = ctx.checkTopic(byId ? null : topic.name, topic.topicId, AclOperation.Describe);
      if (code == 0) keptTopics.push(topic);
      else refusals.refuseTopic(new RefusedTopic(group.groupId, topic.name, topic.topicId, topic.partitionIndexes, code));
    }
    group.topics = keptTopics;
    // A group whose topics were all refused has nothing left to ask the broker.
    if (keptTopics.length > 0 || topics.length == 0) kept.push(group);
  }
  req.groups = kept;
  return answer(ctx, refusals, kept.length > 0 ? req : null);
}

/**
 * An answer of `apiKey` told from its view, when the decoded path would cut nothing from it:
 * every topic it names may be described. Topics count by name, and by id where this VM knows
 * the id; an id it does not know takes the decoded path when `unknownIdCut` (that answer drops
 * it: OffsetFetch, a heartbeat's assignment), else counts for nothing (a group describe judges
 * it by its name). The view records every topic field the decoded paths judge
 * (`entityType` in the definitions). The caller makes sure nothing refused is to be added.
 */
function describableFromView(ctx: RequestContext, apiKey: i16, frame: Uint8Array, version: i16, unknownIdCut: bool): Verdict | null {
  if (!walkForRewrite(frame, apiKey, version)) return null;
  const walk = lastWalk();
  const topics = new DescribableTopics(ctx);
  for (let i = 0; i < walk.count; i++) {
    const kind = <EntityKind>unchecked(walk.kind[i]);
    if (kind != EntityKind.TopicName && kind != EntityKind.TopicId) continue;
    const byId = kind == EntityKind.TopicId;
    const name = byId ? topicNameOf(walk.uuidHi(frame, i), walk.uuidLo(frame, i)) : walk.text(frame, i);
    if (name == null && byId && !unknownIdCut) continue;
    if (name == null || !topics.allows(name)) return null;
  }
  return Verdict.pass();
}

/** Refused topics of an OffsetFetch v1-7; a fetch of all topics is cut to the describable. */
class SingleGroupOffsetRefusals extends Refusals {
  readonly refused: Array<RefusedTopic> = new Array<RefusedTopic>();

  constructor(readonly ctx: RequestContext) { super(); }

  refuse(topic: RefusedTopic): void {
    this.refused.push(topic);
    this.count++;
  }

  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    return this.count > 0 ? null : describableFromView(this.ctx, 9, frame, version, true);
  }

  addTo(response: Message, version: i16): bool {
    const resp = changetype<OffsetFetchResponseData>(response);
    let changed = this.watch && this.keepDescribable(resp);
    // A group-level error is answered alone, as Kafka returns the coordinator's error as is.
    if (resp.errorCode != 0) return changed;
    for (let i = 0; i < this.refused.length; i++) {
      const r = unchecked(this.refused[i]);
      const entry = new OffsetFetchResponseTopic();
      entry.name = r.name;
      for (let p = 0; p < r.partitions.length; p++) {
        const partition = new OffsetFetchResponsePartition();
        partition.partitionIndex = unchecked(r.partitions[p]);
        partition.committedOffset = -1;
        partition.errorCode = r.code;
        entry.partitions.push(partition);
      }
      resp.topics.push(entry);
      changed = true;
    }
    return changed;
  }

  private keepDescribable(resp: OffsetFetchResponseData): bool {
    const kept = new Array<OffsetFetchResponseTopic>();
    for (let i = 0; i < resp.topics.length; i++) {
      const topic = unchecked(resp.topics[i]);
      if (this.ctx.allowed(ResourceType.Topic, topic.name, AclOperation.Describe)) kept.push(topic);
    }
    if (kept.length == resp.topics.length) return false;
    resp.topics = kept;
    return true;
  }
}

/**
 * Refusals of APIs batching groups, each naming its topics or asking for all of them
 * (OffsetFetch v8+, DescribeShareGroupOffsets): a refused group gets an error entry, refused
 * topics join their group's entry, and groups asked for all topics are cut to the topics the
 * principal may describe. Both APIs' responses share these field names: one generic serves.
 */
abstract class GroupBatchRefusals<Resp, RespGroup, RespTopic> extends Refusals {
  readonly groups: Array<string> = new Array<string>();
  readonly groupCodes: Array<i16> = new Array<i16>();
  readonly refused: Array<RefusedTopic> = new Array<RefusedTopic>();
  /** Groups asked for all their topics. */
  readonly allTopics: Set<string> = new Set<string>();

  constructor(readonly ctx: RequestContext) { super(); }

  /** A topic's name in the broker's answer; null when it cannot be named. */
  abstract nameOf(topic: RespTopic): string | null;
  /** A refused topic as the response gives it. */
  abstract refusedTopic(r: RefusedTopic): RespTopic;

  refuseGroup(groupId: string, code: i16): void {
    this.groups.push(groupId);
    this.groupCodes.push(code);
    this.count++;
  }

  refuseTopic(topic: RefusedTopic): void {
    this.refused.push(topic);
    this.count++;
  }

  askAllTopics(groupId: string): void {
    this.allTopics.add(groupId);
    this.watch = true;
  }

  addTo(response: Message, version: i16): bool {
    const resp = changetype<Resp>(response);
    // Cut before adding the refused topics, which are not describable.
    let changed = this.watch && this.keepDescribable(resp);
    for (let i = 0; i < this.groups.length; i++) {
      const entry = instantiate<RespGroup>();
      entry.groupId = unchecked(this.groups[i]);
      entry.errorCode = unchecked(this.groupCodes[i]);
      resp.groups.push(entry);
      changed = true;
    }
    // Entries found by map: a request can batch tens of thousands of groups and topics.
    const byGroup = new Map<string, RespGroup>();
    if (this.refused.length > 0) {
      for (let i = 0; i < resp.groups.length; i++) {
        const g = unchecked(resp.groups[i]);
        if (!byGroup.has(g.groupId)) byGroup.set(g.groupId, g);
      }
    }
    for (let i = 0; i < this.refused.length; i++) {
      const r = unchecked(this.refused[i]);
      const entry = this.entryOf(resp, byGroup, r.group);
      // A group-level error is answered alone, as Kafka returns the coordinator's error as is.
      if (entry.errorCode != 0) continue;
      entry.topics.push(this.refusedTopic(r));
      changed = true;
    }
    return changed;
  }

  /** The response's entry for `groupId`, added when the broker was not asked about it. */
  private entryOf(resp: Resp, byGroup: Map<string, RespGroup>, groupId: string): RespGroup {
    if (byGroup.has(groupId)) return byGroup.get(groupId);
    const entry = instantiate<RespGroup>();
    entry.groupId = groupId;
    resp.groups.push(entry);
    byGroup.set(groupId, entry);
    return entry;
  }

  private keepDescribable(resp: Resp): bool {
    let changed = false;
    for (let g = 0; g < resp.groups.length; g++) {
      const group = unchecked(resp.groups[g]);
      if (!this.allTopics.has(group.groupId)) continue;
      const kept = new Array<RespTopic>();
      for (let i = 0; i < group.topics.length; i++) {
        const topic = unchecked(group.topics[i]);
        const name = this.nameOf(topic);
        if (name != null && this.ctx.allowed(ResourceType.Topic, name, AclOperation.Describe)) kept.push(topic);
      }
      if (kept.length == group.topics.length) continue;
      group.topics = kept;
      changed = true;
    }
    return changed;
  }
}

class GroupOffsetRefusals extends GroupBatchRefusals<OffsetFetchResponseData, OffsetFetchResponseGroup, OffsetFetchResponseTopics> {
  constructor(ctx: RequestContext, readonly byId: bool) { super(ctx); }

  nameOf(topic: OffsetFetchResponseTopics): string | null { return this.byId ? topicName(topic.topicId) : topic.name; }

  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    return this.count > 0 ? null : describableFromView(this.ctx, 9, frame, version, true);
  }

  refusedTopic(r: RefusedTopic): OffsetFetchResponseTopics {
    const entry = new OffsetFetchResponseTopics();
    entry.name = r.name;
    entry.topicId = r.topicId;
    for (let p = 0; p < r.partitions.length; p++) {
      const partition = new OffsetFetchResponsePartitions();
      partition.partitionIndex = unchecked(r.partitions[p]);
      partition.committedOffset = -1;
      partition.errorCode = r.code;
      entry.partitions.push(partition);
    }
    return entry;
  }
}

// ---------------------------------------------------------------------------------------
// Coordinators.

const GROUP_KEY: i8 = 0;
const TRANSACTION_KEY: i8 = 1;
const SHARE_KEY: i8 = 2;

/**
 * FindCoordinator: DESCRIBE on the group (key type 0) or on the transactional id (1); share
 * keys (2, v6+) need CLUSTER_ACTION on the cluster, which fails the whole request. Older
 * share keys and unknown key types are refused by Kafka itself before any ACL check.
 */
export function checkFindCoordinator(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<FindCoordinatorRequestData>(ctx.body);
  const wholeCode = wholeCoordinatorCode(ctx, req.keyType);
  if (ctx.version < 4) {
    const code = wholeCode != 0 ? wholeCode : coordinatorKeyCode(ctx, req.keyType, req.key);
    // As FindCoordinatorResponse.prepareOldResponse: the error and no node (-1).
    return code == 0 ? ctx.pass() : ctx.refuseWhole(code, errorMessage(code));
  }
  const refusals = new NamedRefusals(ctx.apiKey);
  if (wholeCode != 0) refusals.whole = true;
  const kept = new Array<string>();
  for (let i = 0; i < req.coordinatorKeys.length; i++) {
    const key = unchecked(req.coordinatorKeys[i]);
    const code = wholeCode != 0 ? wholeCode : coordinatorKeyCode(ctx, req.keyType, key);
    if (code == 0) kept.push(key);
    else refusals.refuse(key, code);
  }
  req.coordinatorKeys = kept;
  return answer(ctx, refusals, kept.length > 0 ? req : null);
}

function wholeCoordinatorCode(ctx: RequestContext, keyType: i8): i16 {
  if (keyType == SHARE_KEY && ctx.version >= 6) {
    return ctx.check(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, AclOperation.ClusterAction);
  }
  return 0;
}

function coordinatorKeyCode(ctx: RequestContext, keyType: i8, key: string): i16 {
  if (keyType == GROUP_KEY) return ctx.check(ResourceType.Group, key, AclOperation.Describe);
  if (keyType == TRANSACTION_KEY) return ctx.check(ResourceType.TransactionalId, key, AclOperation.Describe);
  return 0;
}

// ---------------------------------------------------------------------------------------
// Classic groups.

/** JoinGroup: READ on the group; refused as JoinGroupRequest.getErrorResponse answers. */
export function checkJoinGroup(ctx: RequestContext, rule: Rule): Verdict {
  const code = ctx.check(ResourceType.Group, changetype<JoinGroupRequestData>(ctx.body).groupId, AclOperation.Read);
  if (code == 0) return ctx.pass();
  const resp = new JoinGroupResponseData();
  resp.errorCode = code;
  resp.generationId = -1;
  if (ctx.version >= 7) resp.protocolName = null;
  return ctx.respond(resp);
}

/**
 * ListGroups: with DESCRIBE on the cluster every group is listed; otherwise the broker's list
 * is cut to the groups the principal may describe. Kafka logs neither check's denials.
 */
export function checkListGroups(ctx: RequestContext, rule: Rule): Verdict {
  if (ctx.allowed(ResourceType.Cluster, CLUSTER_RESOURCE_NAME, AclOperation.Describe)) return ctx.pass();
  ctx.after = new DescribableGroupsOnly(ctx);
  return ctx.pass();
}

class DescribableGroupsOnly extends ResponseRewrite {
  constructor(readonly ctx: RequestContext) { super(); }

  apply(body: Message, version: i16): bool {
    const resp = changetype<ListGroupsResponseData>(body);
    const kept = new Array<ListedGroup>();
    for (let i = 0; i < resp.groups.length; i++) {
      const group = unchecked(resp.groups[i]);
      if (this.ctx.allowed(ResourceType.Group, group.groupId, AclOperation.Describe)) kept.push(group);
    }
    if (kept.length == resp.groups.length) return false;
    resp.groups = kept;
    return true;
  }

  /**
   * The same cut from the answer's view: the listing of a cluster's groups goes on as the broker
   * wrote it, less the entries of the groups hidden (an entry starts with its group id).
   */
  fromView(answerWalk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    if (!walkForRewrite(frame, 16, version)) return null;
    const walk = lastWalk();
    groupNames.length = 0;
    shownGroups.length = 0;
    let hidden = 0;
    for (let i = 0; i < walk.count; i++) {
      if (<EntityKind>unchecked(walk.kind[i]) != EntityKind.GroupId) continue;
      const shown = this.ctx.allowed(ResourceType.Group, walk.text(frame, i)!, AclOperation.Describe);
      if (!shown) hidden++;
      groupNames.push(i);
      shownGroups.push(shown);
    }
    if (hidden == 0) return Verdict.pass();
    const spliced = spliceEntries<ListedGroup>(walk, frame, version, version >= 3, 0, groupNames, shownGroups, hidden, NO_GROUPS);
    return spliced != null ? Verdict.replace(spliced) : null;
  }
}

// The group entries of the ListGroups answer DescribableGroupsOnly.fromView reads, and whether each is shown.
const groupNames = new Array<i32>();
const shownGroups = new Array<bool>();
const NO_GROUPS = new Array<ListedGroup>();

/** DeleteGroups: DELETE on each distinct group (Kafka deduplicates the names first). */
export function checkDeleteGroups(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<DeleteGroupsRequestData>(ctx.body);
  req.groupsNames = distinct(req.groupsNames);
  return checkListed(ctx, rule);
}

// ---------------------------------------------------------------------------------------
// Consumer groups (KIP-848).

/**
 * ConsumerGroupHeartbeat: READ on the group, DESCRIBE on every subscribed topic name. A
 * subscription by regular expression is resolved in the group coordinator, which keeps the
 * topics the member's principal may DESCRIBE by the broker's own authorizer; the filter does
 * the same with the policy on the assignment the broker sends back.
 */
export function checkConsumerGroupHeartbeat(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<ConsumerGroupHeartbeatRequestData>(ctx.body);
  const code = heartbeatCode(ctx, req.groupId, req.subscribedTopicNames);
  if (code != 0) return ctx.refuseWhole(code, errorMessage(code));
  const regex = req.subscribedTopicRegex;
  if (regex != null && regex.length > 0 && !ctx.allowedOnEveryResource(ResourceType.Topic, AclOperation.Describe)) {
    // Kafka's coordinator resolves a subscription by pattern to the topics the member may
    // describe (TopicRegexResolver, with the authorizer). The broker behind the filter has
    // none: it assigns every match, hidden ones too, and however the filter cuts the
    // assignment, the group's state (ConsumerGroupDescribe, the member epoch) would tell which
    // hidden topics a pattern matches, one pattern at a time. So a pattern is taken only from
    // a principal that may describe every topic; others subscribe by name (or with the classic
    // protocol, whose client resolves the pattern from the Metadata the filter cuts).
    ctx.deny("TOPIC:" + regex, "a subscription by pattern needs DESCRIBE on every topic: the broker resolves it against all of them",
      TOPIC_AUTHORIZATION_FAILED, "DESCRIBE");
    return ctx.refuseWhole(TOPIC_AUTHORIZATION_FAILED, "Subscribing by regular expression needs DESCRIBE on every topic through this proxy; subscribe by topic name");
  }
  ctx.after = new DescribableAssignmentOnly<ConsumerGroupHeartbeatResponseData, ConsumerHeartbeatAssignment, ConsumerHeartbeatTopicPartitions>(
    ctx, 68, req.groupId, req.memberId, req.memberEpoch);
  return ctx.pass();
}

/**
 * A heartbeat that names topics: READ on the group, then DESCRIBE on each topic, any
 * refusal failing the heartbeat with TOPIC_AUTHORIZATION_FAILED.
 */
function heartbeatCode(ctx: RequestContext, groupId: string, topics: Array<string> | null): i16 {
  const code = ctx.check(ResourceType.Group, groupId, AclOperation.Read);
  if (code != 0) return code;
  return topics != null && !new TopicDescribeCheck(ctx).allowAll(topics) ? TOPIC_AUTHORIZATION_FAILED : 0;
}

/**
 * Cuts from a consumer or share heartbeat's assignment the topics the principal may not
 * DESCRIBE, as the coordinator leaves them out of a regular expression's topics (unlogged, as
 * there). A member id is the client's own and ShareGroupDescribe shows it: a heartbeat under
 * another member's id gets that member's assignment, which must not name what this principal
 * may not see either. The two responses share these field names: one generic serves both
 * (`apiKey` says which).
 *
 * A topic whose id no broker answer through this Envoy has named cannot be judged, so it is cut
 * too: otherwise a subscription by pattern, or another member's id, would show the ids of hidden
 * topics nobody had listed here. Such an assignment is awaited (Session.awaitedAssignment): the
 * member's next heartbeat is preceded by a lookup of those ids (a Metadata request of the
 * filter's own), and its answer, which carries no assignment when it has not changed, is given
 * the whole assignment again, judged with the names learnt. The answer that cut them asks the
 * member to heartbeat again within AWAITED_HEARTBEAT_MS, so it takes those topics up about
 * that much later than it would straight to the broker. So too for a topic a policy service
 * has not answered about yet (its answers expire after cacheTtlMs, and a heartbeat's answer
 * cannot wait): the member's next heartbeat waits for the answer, and its answer shows the
 * topic. Cut outright instead, it would stay cut until the coordinator next changed the
 * assignment: a member starved under a policy service.
 */
class DescribableAssignmentOnly<Resp, Assignment, TopicPartitions> extends ResponseRewrite {
  /** The member's awaited assignment, its unknown ids asked of the broker ahead of this heartbeat. */
  private awaited: AwaitedAssignment | null = null;

  /**
   * DESCRIBE on the awaited topics, as decided while the heartbeat waited: they decide its
   * answer, however soon a policy service's answers expire (cacheTtlMs 0 included).
   */
  private decided: Map<string, Answer> | null = null;

  constructor(readonly ctx: RequestContext, readonly apiKey: i16, readonly groupId: string, readonly memberId: string, memberEpoch: i32) {
    super();
    const awaited = lookUpAwaited(ctx, apiKey, groupId, memberId, memberEpoch);
    this.awaited = awaited;
    if (awaited != null) this.decided = decideAwaited(ctx, awaited);
  }

  apply(body: Message, version: i16): bool {
    const resp = changetype<Resp>(body);
    const assignment = resp.assignment;
    if (assignment != null) return this.cut(resp, assignment);
    const awaited = this.awaited;
    if (awaited == null || awaited !== this.ctx.session.awaitedAssignment || resp.errorCode != 0) return false;
    return this.showAgain(resp, awaited);
  }

  /** The broker's assignment, less what may not be described or cannot be named yet. */
  private cut(resp: Resp, assignment: Assignment): bool {
    const topics = new DescribableTopics(this.ctx, this.decided);
    const kept = new Array<TopicPartitions>();
    let unknown = 0;
    for (let i = 0; i < assignment.topicPartitions.length; i++) {
      const topic = unchecked(assignment.topicPartitions[i]);
      const name = topicName(topic.topicId);
      const answer = name != null ? topics.answer(name) : Answer.Pending;
      if (answer == Answer.Allowed) kept.push(topic);
      else if (answer == Answer.Pending) unknown++;
    }
    const session = this.ctx.session;
    const memberId = resp.memberId;
    const key = memberKey(this.groupId, memberId != null && memberId.length > 0 ? memberId : this.memberId);
    if (unknown > 0 && key != null) {
      const awaited = new AwaitedAssignment(this.apiKey, key);
      for (let i = 0; i < assignment.topicPartitions.length; i++) {
        const topic = unchecked(assignment.topicPartitions[i]);
        awaited.add(topic.topicId, topic.partitions);
      }
      awaited.shown = kept.length;
      session.awaitedAssignment = awaited;
      heartbeatSoon(resp);
    } else if (session.awaitedAssignment === this.awaited) {
      session.awaitedAssignment = null; // the coordinator's new assignment replaces it
    }
    if (kept.length == assignment.topicPartitions.length) return false;
    assignment.topicPartitions = kept;
    return true;
  }

  /**
   * An answer without an assignment (unchanged) to a member whose assignment is awaited: the
   * whole of it again when the lookup ahead of this heartbeat named more of it that may be
   * described. What the lookup did not name (no such topic, or the broker would not say) stays
   * cut; an id not asked yet (one lookup carries so many) is awaited on.
   */
  private showAgain(resp: Resp, awaited: AwaitedAssignment): bool {
    const topics = new DescribableTopics(this.ctx, this.decided);
    const kept = new Array<TopicPartitions>();
    let waiting = false;
    for (let i = 0; i < awaited.ids.length; i++) {
      const id = unchecked(awaited.ids[i]);
      const name = topicName(id);
      if (name == null) {
        if (!unchecked(awaited.asked[i])) waiting = true;
        continue;
      }
      const answer = topics.answer(name);
      if (answer == Answer.Pending) waiting = true;
      else if (answer == Answer.Allowed) {
        const topic = instantiate<TopicPartitions>();
        topic.topicId = id;
        topic.partitions = unchecked(awaited.partitions[i]);
        kept.push(topic);
      }
    }
    if (!waiting) this.ctx.session.awaitedAssignment = null;
    else heartbeatSoon(resp);
    if (kept.length <= awaited.shown) return waiting;
    awaited.shown = kept.length;
    const assignment = instantiate<Assignment>();
    assignment.topicPartitions = kept;
    resp.assignment = assignment;
    return true;
  }

  /**
   * Most heartbeats' answers carry no assignment, or one whose every topic is known and may be
   * described: those go on as the broker sent them, told from the answer's view (its topic ids);
   * one to cut, or to give an awaited assignment, is decoded.
   */
  fromView(answerWalk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    if (this.awaited != null) return null;
    return describableFromView(this.ctx, this.apiKey, frame, version, true);
  }
}

/**
 * How soon a member whose assignment is awaited is told to heartbeat again: the lookup goes
 * ahead of that heartbeat, and the coordinator's interval (5 s by default) would keep the member
 * without those topics that long.
 */
const AWAITED_HEARTBEAT_MS: i32 = 250;

/** Asks the member of a heartbeat answer `resp` for its next heartbeat within AWAITED_HEARTBEAT_MS. */
function heartbeatSoon<Resp>(resp: Resp): void {
  if (resp.heartbeatIntervalMs > AWAITED_HEARTBEAT_MS) resp.heartbeatIntervalMs = AWAITED_HEARTBEAT_MS;
}

/**
 * The member's awaited assignment (Session.awaitedAssignment), its ids still unknown asked of the
 * broker ahead of this heartbeat; null when it awaits none (or leaves the group).
 */
function lookUpAwaited(ctx: RequestContext, apiKey: i16, groupId: string, memberId: string, memberEpoch: i32): AwaitedAssignment | null {
  const awaited = ctx.session.awaitedAssignment;
  if (awaited == null || awaited.apiKey != apiKey || memberKey(groupId, memberId) != awaited.key) return null;
  if (memberEpoch < 0) {
    ctx.session.awaitedAssignment = null;
    return null;
  }
  for (let i = 0; i < awaited.ids.length; i++) {
    const id = unchecked(awaited.ids[i]);
    if (topicName(id) == null && ctx.askTopicId(id)) unchecked(awaited.asked[i] = true);
  }
  return awaited;
}

/**
 * DESCRIBE on the awaited topics whose names are known, asked now, while the heartbeat can
 * wait for a policy service: its answer cannot.
 */
function decideAwaited(ctx: RequestContext, awaited: AwaitedAssignment): Map<string, Answer> {
  const decided = new Map<string, Answer>();
  for (let i = 0; i < awaited.ids.length; i++) {
    const name = topicName(unchecked(awaited.ids[i]));
    if (name == null || decided.has(name)) continue;
    const answer = ctx.answer(ResourceType.Topic, name, AclOperation.Describe);
    if (answer != Answer.Pending) decided.set(name, answer);
  }
  return decided;
}

/**
 * ConsumerGroupDescribe: DESCRIBE on each group; a described group whose assignments name a
 * topic the principal may not describe is replaced by a TOPIC_AUTHORIZATION_FAILED entry. The
 * members' subscribed topic names count too: Kafka 4.4 shows them unchecked, but they name
 * topics as much as the assignments do, and another principal's member may have subscribed.
 */
export function checkConsumerGroupDescribe(ctx: RequestContext, rule: Rule): Verdict {
  return checkListedWith(ctx, rule, new ConsumerGroupDescribeRefusals(ctx), false);
}

/**
 * DescribeGroups: DESCRIBE on each group; from v3 the described groups' authorized operations,
 * when asked, as the policy decides them (a broker without an authorizer reports all of them).
 */
export function checkDescribeGroups(ctx: RequestContext, rule: Rule): Verdict {
  const operations = ctx.version >= 3 && changetype<DescribeGroupsRequestData>(ctx.body).includeAuthorizedOperations;
  return checkListedWith(ctx, rule, new DescribedGroupsOperations(ctx, operations), false);
}

class DescribedGroupsOperations extends SplitRefusals {
  constructor(readonly ctx: RequestContext, readonly operations: bool) {
    super();
    this.watch = operations;
  }

  filter(response: Message): bool {
    if (!this.operations) return false;
    const groups = changetype<DescribeGroupsResponseData>(response).groups;
    let changed = false;
    for (let i = 0; i < groups.length; i++) changed = writeGroupOperations(this.ctx, unchecked(groups[i])) || changed;
    return changed;
  }
}

/** A described group's authorized operations as the policy decides them (an error entry keeps its own); true if changed. */
function writeGroupOperations<Group>(ctx: RequestContext, group: Group): bool {
  if (group.errorCode != 0) return false;
  const ops = authorizedOperations(ctx, ResourceType.Group, group.groupId);
  if (group.authorizedOperations == ops) return false;
  group.authorizedOperations = ops;
  return true;
}

/**
 * Refused groups of the KIP-848-style describes (consumer, share, streams), each answered
 * with an error entry. As Kafka does, a described group that uses a topic the principal may
 * not describe is replaced by a TOPIC_AUTHORIZATION_FAILED entry. The three responses share
 * these field names: one generic serves them.
 */
abstract class GroupDescribeRefusals<Resp, Group> extends SplitRefusals {
  /**
   * `operations`: the request asks for each group's authorized operations, which a broker
   * without an authorizer reports as all of them: written here as the policy decides them.
   */
  constructor(readonly ctx: RequestContext, readonly hiddenTopicsMessage: string, readonly operations: bool) {
    super();
    this.watch = true;
  }

  /** The topics a described group uses. */
  abstract topicsOf(group: Group): Array<string>;

  filter(response: Message): bool {
    const groups = changetype<Resp>(response).groups;
    const topics = new TopicDescribeCheck(this.ctx);
    let changed = false;
    for (let i = 0; i < groups.length; i++) {
      const group = unchecked(groups[i]);
      if (!topics.allowAll(this.topicsOf(group))) {
        unchecked(groups[i] = this.errorEntry(group.groupId, TOPIC_AUTHORIZATION_FAILED, this.hiddenTopicsMessage));
        changed = true;
      } else if (this.operations) {
        changed = writeGroupOperations(this.ctx, group) || changed;
      }
    }
    return changed;
  }

  private errorEntry(groupId: string, code: i16, message: string | null): Group {
    const entry = instantiate<Group>();
    entry.groupId = groupId;
    entry.errorCode = code;
    entry.errorMessage = message;
    return entry;
  }
}

/** Kafka's message for a consumer or share group that uses topics the principal may not describe. */
const HIDDEN_TOPICS_MESSAGE = "The group has described topic(s) that the client is not authorized to describe.";

class ConsumerGroupDescribeRefusals extends GroupDescribeRefusals<ConsumerGroupDescribeResponseData, ConsumerDescribedGroup> {
  constructor(ctx: RequestContext) { super(ctx, HIDDEN_TOPICS_MESSAGE, changetype<ConsumerGroupDescribeRequestData>(ctx.body).includeAuthorizedOperations); }

  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    return this.count > 0 || this.operations ? null : describableFromView(this.ctx, 69, frame, version, false);
  }

  topicsOf(group: ConsumerDescribedGroup): Array<string> { return consumerGroupTopics(group); }
}

/** The topics of every member's subscription, current and target assignment. */
function consumerGroupTopics(group: ConsumerDescribedGroup): Array<string> {
  const names = new Array<string>();
  for (let m = 0; m < group.members.length; m++) {
    const member = unchecked(group.members[m]);
    for (let i = 0; i < member.subscribedTopicNames.length; i++) names.push(unchecked(member.subscribedTopicNames[i]));
    addAssignedTopics(names, member.assignment.topicPartitions);
    addAssignedTopics(names, member.targetAssignment.topicPartitions);
  }
  return names;
}

/**
 * The topics of an assignment (consumer and share groups name its entries alike): each by
 * name, and by id too where the filter knows the id as another topic, so that the entry is
 * judged by both (a broker names each topic one way; the filter does not rely on it).
 */
function addAssignedTopics<T>(names: Array<string>, partitions: Array<T>): void {
  for (let i = 0; i < partitions.length; i++) {
    const p = unchecked(partitions[i]);
    names.push(p.topicName);
    if (p.topicId.isZero()) continue;
    const byId = topicName(p.topicId);
    if (byId != null && byId != p.topicName) names.push(byId);
  }
}

// ---------------------------------------------------------------------------------------
// Share groups (KIP-932).

/**
 * ShareGroupHeartbeat: READ on the group, DESCRIBE on every subscribed topic. Kafka refuses
 * an invalid member id (empty, or over 36 characters) before the topics: the broker answers it.
 * The assignment is cut to what the principal may describe (DescribableAssignmentOnly).
 */
export function checkShareGroupHeartbeat(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<ShareGroupHeartbeatRequestData>(ctx.body);
  const memberId = req.memberId;
  const validMember = memberId.length > 0 && memberId.length <= 36;
  const code = heartbeatCode(ctx, req.groupId, validMember ? req.subscribedTopicNames : null);
  if (code != 0) return ctx.refuseWhole(code, errorMessage(code));
  ctx.after = new DescribableAssignmentOnly<ShareGroupHeartbeatResponseData, ShareHeartbeatAssignment, ShareHeartbeatTopicPartitions>(
    ctx, 76, req.groupId, memberId, req.memberEpoch);
  return ctx.pass();
}

/** ShareGroupDescribe: as ConsumerGroupDescribe, over each member's assignment. */
export function checkShareGroupDescribe(ctx: RequestContext, rule: Rule): Verdict {
  return checkListedWith(ctx, rule, new ShareGroupDescribeRefusals(ctx), false);
}

class ShareGroupDescribeRefusals extends GroupDescribeRefusals<ShareGroupDescribeResponseData, ShareDescribedGroup> {
  constructor(ctx: RequestContext) { super(ctx, HIDDEN_TOPICS_MESSAGE, changetype<ShareGroupDescribeRequestData>(ctx.body).includeAuthorizedOperations); }

  topicsOf(group: ShareDescribedGroup): Array<string> { return shareGroupTopics(group); }
}

/**
 * The topics of every member's subscription and assignment. Kafka 4.4 checks only the
 * assignments (KafkaApis.handleShareGroupDescribe), which leaves the names other principals
 * subscribed to in plain view; the filter holds them to DESCRIBE as it does ConsumerGroupDescribe's.
 */
function shareGroupTopics(group: ShareDescribedGroup): Array<string> {
  const names = new Array<string>();
  for (let m = 0; m < group.members.length; m++) {
    const member = unchecked(group.members[m]);
    for (let i = 0; i < member.subscribedTopicNames.length; i++) names.push(unchecked(member.subscribedTopicNames[i]));
    addAssignedTopics(names, member.assignment.topicPartitions);
  }
  return names;
}

/**
 * ShareFetch: READ on the group (a top-level error), then READ on each topic. Refused
 * topics are answered per partition, but the request always reaches the broker: every share
 * fetch moves the share session's epoch on. The answer is READ-checked too (ShareFetchRefusals).
 */
export function checkShareFetch(ctx: RequestContext, rule: Rule): Verdict {
  return checkShareSession<ShareFetchRequestData, FetchTopic>(ctx, changetype<ShareFetchRequestData>(ctx.body), new ShareFetchRefusals(ctx));
}

/** ShareAcknowledge: as ShareFetch (the broker must see it to keep the session's epoch). */
export function checkShareAcknowledge(ctx: RequestContext, rule: Rule): Verdict {
  return checkShareSession<ShareAcknowledgeRequestData, AcknowledgeTopic>(ctx, changetype<ShareAcknowledgeRequestData>(ctx.body), new ShareAcknowledgeRefusals());
}

/**
 * The two share session requests share these field names: one generic serves both. A full
 * ShareFetch (epoch 0) opens the member's session with the topics it names, checked here; any
 * other epoch continues (or, FINAL_EPOCH, ends) a session whose other topics were named
 * before: only in one opened on this connection (Session.shareSessions). Elsewhere it is
 * answered as the broker answers a session it does not have, and the client starts over.
 */
function checkShareSession<Req, Topic>(ctx: RequestContext, req: Req, refusals: TopicRefusals<Topic>): Verdict {
  const groupId = req.groupId;
  // Kafka refuses a null group id as an invalid request before any ACL check.
  if (groupId == null) return ctx.pass();
  const groupCode = ctx.check(ResourceType.Group, groupId, AclOperation.Read);
  if (groupCode != 0) return ctx.refuseWhole(groupCode, errorMessage(groupCode));
  const key = memberKey(groupId, req.memberId);
  const opens = req.shareSessionEpoch == 0;
  if (opens) {
    // Only a ShareFetch opens one (replacing the member's session, whichever connection had
    // it); the broker refuses a ShareAcknowledge at epoch 0.
    if (ctx.apiKey == SHARE_FETCH_KEY && key != null) {
      ctx.session.shareSessions.remember(key, true);
      // Its opener is kept once the broker accepts it (ShareFetchRefusals.addTo).
      const r = changetype<ShareFetchRefusals>(refusals);
      r.opens = key;
      r.opener = ctx.session.principal;
    }
  } else {
    const ended = key == null || !ctx.session.shareSessions.opened(key) ? "share session not opened on this connection"
      : !ShareSessionOpeners.isOpener(ctx.session.principal, key) ? "share session reopened by another principal"
      : ctx.apiKey == SHARE_FETCH_KEY && !ctx.session.shareSessions.has(key) && !sessionStillAllowed(ctx, key) ? "READ withdrawn on a topic of the session: it ends"
      : null;
    if (ended != null) {
      ctx.deny("SHARE_SESSION:" + groupId + "/" + (req.memberId != null ? req.memberId! : ""), ended, SHARE_SESSION_NOT_FOUND);
      return ctx.respond(shareSessionError(ctx.apiKey, SHARE_SESSION_NOT_FOUND, errorMessage(SHARE_SESSION_NOT_FOUND)!));
    }
  }
  req.topics = checkTopics(ctx, req.topics, AclOperation.Read, refusals);
  if (ctx.apiKey == SHARE_FETCH_KEY && key != null) {
    const session = ctx.session.shareSessionTopics.named(key, opens, changetype<Array<FetchTopic>>(req.topics));
    if (session == null) {
      ctx.deny("SHARE_SESSION:" + groupId + "/" + (req.memberId != null ? req.memberId! : ""), "the connection's share sessions would hold more than "
        + MAX_SHARE_SESSION_TOPICS.toString() + " topics", SHARE_SESSION_LIMIT_REACHED);
      return ctx.respond(shareSessionError(ctx.apiKey, SHARE_SESSION_LIMIT_REACHED, errorMessage(SHARE_SESSION_LIMIT_REACHED)!));
    }
    changetype<ShareFetchRefusals>(refusals).session = session;
  }
  return answer(ctx, refusals, req);
}

/**
 * Whether a share session whose check no longer stands (a policy service's answers stand for
 * cacheTtlMs) may go on: Kafka authorizes every partition of the session at every fetch, so
 * its topics are asked again, READ, while the fetch waits for the answers; allowed, the check
 * stands again. Ending every such session instead (SHARE_SESSION_NOT_FOUND) failed the
 * acknowledgements riding on the fetch, so a share consumer had its records delivered again
 * every cacheTtlMs. A topic no longer allowed does end it (refused, logged): left in the
 * broker's session, its records would be acquired for the member at every fetch, locked and
 * counted towards their delivery limit however the answers were cut. The client's next full
 * fetch is checked, that topic refused. A ShareAcknowledge names every topic it acts on, and
 * each is checked: it goes on in a session opened here, however old.
 */
function sessionStillAllowed(ctx: RequestContext, key: string): bool {
  const topics = ctx.session.shareSessionTopics.of(key);
  let allowed = true;
  if (topics != null) {
    const ids = topics.values();
    for (let i = 0; i < ids.length; i++) {
      if (ctx.checkTopic(null, Uuid.parse(unchecked(ids[i]))!, AclOperation.Read) != 0) allowed = false;
    }
  }
  // Asked of the policy service: decided again, from the start, when the answers are in.
  const external = ctx.external;
  if (allowed && (external == null || external.pending == 0)) ctx.session.shareSessions.remember(key, true);
  return allowed;
}

/**
 * The broker's answer to a share session request it refuses as a whole (a session it does not
 * have, or one past its limit): the error alone.
 */
function shareSessionError(apiKey: i16, code: i16, message: string): Message {
  if (apiKey == SHARE_FETCH_KEY) {
    const resp = new ShareFetchResponseData();
    resp.errorCode = code;
    resp.errorMessage = message;
    return resp;
  }
  const resp = new ShareAcknowledgeResponseData();
  resp.errorCode = code;
  resp.errorMessage = message;
  return resp;
}

const SHARE_FETCH_KEY: i16 = 78;

/**
 * The refused topics of a ShareFetch, and the topics of its answer held to the session as this
 * connection checked it. The broker keys a share session by group and member id alone, and a
 * full ShareFetch from any connection replaces it: another client, with the member's id, can
 * refill the session this connection goes on with, so an incremental fetch here is answered
 * from partitions never named here. Kafka authorizes each of the session's partitions at every
 * fetch; here, a topic of the answer that no request checked on this connection named in the
 * session comes back with TOPIC_AUTHORIZATION_FAILED, no records, nothing acquired (decided
 * from what was checked, so no policy question waits at the answer, external ones included).
 */
class ShareFetchRefusals extends TopicRefusals<FetchTopic> {
  /** The topic ids this connection's requests were allowed in the member's session (Session.shareSessionTopics). */
  session: Set<string> | null = null;
  /** The session a full fetch opens (memberKey), and by whom: kept as its opener if the broker accepts it. */
  opens: string | null = null;
  opener: string = "";

  constructor(readonly ctx: RequestContext) {
    super();
    this.watch = true;
    this.checkedOnAnswer = ctx;
  }

  nameOf(topic: FetchTopic): string | null { return topicName(topic.topicId); }
  idOf(topic: FetchTopic): Uuid { return topic.topicId; }

  addTo(response: Message, version: i16): bool {
    const resp = changetype<ShareFetchResponseData>(response);
    const opens = this.opens;
    if (opens != null && resp.errorCode == 0) ShareSessionOpeners.opened(this.opener, opens);
    const changed = this.readableOnly(resp);
    for (let i = 0; i < this.topics.length; i++) {
      const topic = unchecked(this.topics[i]);
      const code = unchecked(this.codes[i]);
      const entry = new ShareFetchableTopicResponse();
      entry.topicId = topic.topicId;
      for (let p = 0; p < topic.partitions.length; p++) {
        const asked = unchecked(topic.partitions[p]);
        const partition = new ShareFetchPartitionData();
        partition.partitionIndex = asked.partitionIndex;
        partition.errorCode = code;
        // Acknowledgements riding on the fetch fail with the topic too.
        if (asked.acknowledgementBatches.length > 0) partition.acknowledgeErrorCode = code;
        partition.records = new Uint8Array(0);
        entry.partitions.push(partition);
      }
      resp.responses.push(entry);
    }
    return changed || this.topics.length > 0;
  }

  /** Empties the broker's entries of topics not checked in the session on this connection; true if any. */
  private readableOnly(resp: ShareFetchResponseData): bool {
    const session = this.session;
    let changed = false;
    let refused: Set<string> | null = null; // the request's refused ids, made when first needed
    const kept = new Array<ShareFetchableTopicResponse>();
    for (let i = 0; i < resp.responses.length; i++) {
      const entry = unchecked(resp.responses[i]);
      const id = entry.topicId.toString();
      if (session != null && session.has(id)) {
        kept.push(entry);
        continue;
      }
      changed = true;
      // A set, not a scan per entry: both lists are as long as a hostile pair of clients makes them.
      if (refused == null) refused = this.refusedIds();
      if (refused!.has(id)) continue; // answered with the request's refusals
      const name = topicName(entry.topicId);
      this.ctx.deny("TOPIC:" + (name != null ? name : id), "READ not checked on this connection: the member's share session " +
        "was refilled by another connection", TOPIC_AUTHORIZATION_FAILED, "READ");
      for (let p = 0; p < entry.partitions.length; p++) {
        const partition = unchecked(entry.partitions[p]);
        partition.errorCode = TOPIC_AUTHORIZATION_FAILED;
        partition.errorMessage = null;
        partition.records = new Uint8Array(0);
        partition.acquiredRecords = new Array<AcquiredRecords>();
      }
      kept.push(entry);
    }
    if (changed) resp.responses = kept;
    return changed;
  }

  private refusedIds(): Set<string> {
    const ids = new Set<string>();
    for (let i = 0; i < this.topics.length; i++) ids.add(unchecked(this.topics[i]).topicId.toString());
    return ids;
  }
}

class ShareAcknowledgeRefusals extends TopicRefusals<AcknowledgeTopic> {
  nameOf(topic: AcknowledgeTopic): string | null { return topicName(topic.topicId); }
  idOf(topic: AcknowledgeTopic): Uuid { return topic.topicId; }

  addTo(response: Message, version: i16): bool {
    addShareAcknowledgeTopicsAnswers(changetype<ShareAcknowledgeResponseData>(response), this.topics, this.codes, version, null);
    return true;
  }
}

/**
 * DescribeShareGroupOffsets: DESCRIBE on each group, then DESCRIBE on each named topic; a
 * group asked for all topics is answered with the describable ones only.
 */
export function checkDescribeShareGroupOffsets(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<DescribeShareGroupOffsetsRequestData>(ctx.body);
  const refusals = new ShareOffsetRefusals(ctx);
  const kept = new Array<DescribeShareGroupOffsetsRequestGroup>();
  for (let g = 0; g < req.groups.length; g++) {
    const group = unchecked(req.groups[g]);
    const groupCode = ctx.check(ResourceType.Group, group.groupId, AclOperation.Describe);
    if (groupCode != 0) {
      refusals.refuseGroup(group.groupId, groupCode);
      continue;
    }
    const topics = group.topics;
    if (topics == null) {
      refusals.askAllTopics(group.groupId);
      kept.push(group);
      continue;
    }
    const keptTopics = new Array<DescribeShareGroupOffsetsRequestTopic>();
    for (let i = 0; i < topics.length; i++) {
      const topic = unchecked(topics[i]);
      const code = ctx.checkTopic(topic.topicName, Uuid.ZERO, AclOperation.Describe);
      if (code == 0) keptTopics.push(topic);
      else refusals.refuseTopic(new RefusedTopic(group.groupId, topic.topicName, Uuid.ZERO, topic.partitions, code));
    }
    group.topics = keptTopics;
    if (keptTopics.length > 0 || topics.length == 0) kept.push(group);
  }
  req.groups = kept;
  return answer(ctx, refusals, kept.length > 0 ? req : null);
}

class ShareOffsetRefusals extends GroupBatchRefusals<DescribeShareGroupOffsetsResponseData, DescribeShareGroupOffsetsResponseGroup, DescribeShareGroupOffsetsResponseTopic> {
  nameOf(topic: DescribeShareGroupOffsetsResponseTopic): string | null { return topic.topicName; }

  /** As KafkaApis.describeShareGroupOffsetsForGroup: no start offset, no lag, the error. */
  refusedTopic(r: RefusedTopic): DescribeShareGroupOffsetsResponseTopic {
    const entry = new DescribeShareGroupOffsetsResponseTopic();
    entry.topicName = r.name;
    for (let p = 0; p < r.partitions.length; p++) {
      const partition = new DescribeShareGroupOffsetsResponsePartition();
      partition.partitionIndex = unchecked(r.partitions[p]);
      partition.startOffset = -1;
      partition.lag = -1;
      partition.errorCode = r.code;
      entry.partitions.push(partition);
    }
    return entry;
  }
}

// ---------------------------------------------------------------------------------------
// Streams groups (KIP-1071).

/**
 * StreamsGroupHeartbeat, in KafkaApis' order: READ on the group; then, for a topology (a
 * member sends it when it joins), Kafka's internal topics or invalid names in it make it
 * invalid, and every topic it names needs DESCRIBE.
 *
 * The broker then creates the topology's missing internal topics (repartition source topics
 * and changelogs) for the member, with CREATE on the cluster or on each topic, under the
 * controller's CreateTopics policy. Only the broker knows which are missing, so the filter
 * decides as if all were: each internal topic the topology declares needs CREATE (else
 * TOPIC_AUTHORIZATION_FAILED) and must pass limits.createTopics (else STREAMS_INVALID_TOPOLOGY),
 * the error message naming the topics. A topology that names existing internal topics the
 * principal may not create is refused too. A partition count the topology leaves to the broker
 * (0) is derived from the source topics: when limits.createTopics bounds partitions, the filter
 * asks the broker for their counts (answering the heartbeat COORDINATOR_LOAD_IN_PROGRESS, which
 * the member retries) and judges the counts the broker can derive from them; a topology reading
 * topics by pattern cannot be judged so and is refused. A replication factor of 0 is the
 * broker's default, unchecked as in CreateTopics.
 *
 * Any heartbeat, with a topology or not, can also make the broker create the missing internal
 * topics of the topology the group stored (from its first member, who may be another principal,
 * or a member that joined past the filter), with CREATE checked for the member heartbeating:
 * see storedTopologyRefusal.
 */
export function checkStreamsGroupHeartbeat(ctx: RequestContext, rule: Rule): Verdict {
  const req = changetype<StreamsGroupHeartbeatRequestData>(ctx.body);
  const groupCode = ctx.check(ResourceType.Group, req.groupId, AclOperation.Read);
  if (groupCode != 0) return ctx.refuseWhole(groupCode, errorMessage(groupCode));
  const topology = req.topology;
  if (topology != null) {
    const refusal = topologyRefusal(ctx, topology);
    if (refusal != null) return ctx.respond(refusal);
  }
  // A member leaving (epoch -1, or -2 for a static one) creates nothing (GroupMetadataManager.streamsGroupLeave).
  const leaving = req.memberEpoch == -1 || req.memberEpoch == -2;
  const stored: StreamsGroupHeartbeatResponseData | null = leaving ? null : storedTopologyRefusal(ctx, req.groupId);
  if (stored != null) return ctx.respond(stored);
  // A join may store its topology (the group's first, or the group's again): asked again next time.
  if (topology != null) forgetTopology(req.groupId);
  ctx.after = new DescribableEndpointsOnly(ctx);
  return ctx.pass();
}

/**
 * The answer refusing a heartbeat because the broker would create, for this principal, internal
 * topics of the group's stored topology that Kafka would not let it create, or outside the
 * CreateTopics limits; null when it may go on. Only missing topics are created, so only they are
 * judged (as Kafka checks CREATE on StreamsGroupHeartbeatResult.creatableTopics), each looked up
 * first (known within topic-partitions.ts' freshness, asked of the broker otherwise) unless the
 * principal may create it and no limit could refuse it. A missing one the principal may not
 * create refuses the heartbeat with TOPIC_AUTHORIZATION_FAILED, naming it, where Kafka would
 * answer it with a MISSING_INTERNAL_TOPICS status ("Unauthorized to CREATE"): the filter cannot
 * send it on without the broker creating them. The limits are judged as for a join's topology,
 * the counts left to the broker derived from the sources (asked of the broker too). The stored
 * topology is read from the broker (streams-topologies.ts): until it is known, and while these
 * lookups are answered, the heartbeat is answered COORDINATOR_LOAD_IN_PROGRESS.
 */
function storedTopologyRefusal(ctx: RequestContext, groupId: string): StreamsGroupHeartbeatResponseData | null {
  const limits = ctx.policy.createTopicLimits;
  const everyTopic = mayCreateEveryTopic(ctx);
  if (everyTopic && limits == null) return null;
  const lookupError = takeLookupError(ctx.session, groupId);
  if (lookupError != 0) return streamsHeartbeatError(lookupError, errorMessage(lookupError));
  const now = nowNs();
  const stored = knownTopology(groupId, now);
  if (stored == null) {
    ctx.topologyWanted = groupId;
    return streamsHeartbeatError(COORDINATOR_LOAD_IN_PROGRESS, "The proxy is reading the topology of streams group "
      + groupId + " from the broker; retry.");
  }
  const missing = new Array<StreamsTopicInfo>();
  const topics = refusableInternalTopics(ctx, stored, everyTopic);
  for (let i = 0; i < topics.length; i++) {
    const topic = unchecked(topics[i]);
    if (ctx.unknownPartitionCounts.length >= MAX_COUNTS_ASKED) break;
    const partitions = freshPartitionCount(topic.name, now);
    if (partitions < 0) ctx.unknownPartitionCounts.push(topic.name);
    else if (partitions == 0) missing.push(topic);
  }
  if (ctx.unknownPartitionCounts.length > 0) {
    // Not named: the principal may not describe them (Kafka names only the missing ones).
    return streamsHeartbeatError(COORDINATOR_LOAD_IN_PROGRESS, "The proxy is reading from the broker whether the internal topics of streams group "
      + groupId + "'s topology exist; retry.");
  }
  if (missing.length == 0) return null;
  const uncreatable = new Array<string>();
  const violations = new Array<string>();
  for (let i = 0; i < missing.length; i++) {
    const name = unchecked(missing[i]).name;
    const refusal = createAclRefusal(ctx, name, everyTopic);
    if (refusal == null) continue;
    if (refusal.errorCode == TOPIC_AUTHORIZATION_FAILED) uncreatable.push(name);
    else violations.push(refusal.message);
  }
  if (uncreatable.length > 0) {
    return streamsHeartbeatError(TOPIC_AUTHORIZATION_FAILED, "Unauthorized to CREATE on topics " + someOf(uncreatable)
      + " of the group's topology, which the broker would create.");
  }
  if (violations.length == 0) {
    // The sources not named: the principal may not describe them (a join's it must).
    const limitViolations = internalTopicsLimitRefusals(ctx, stored.topology, missing, false);
    if (limitViolations == null) {
      return streamsHeartbeatError(COORDINATOR_LOAD_IN_PROGRESS, "The proxy is reading the partition counts of the source topics of streams group "
        + groupId + "'s topology from the broker; retry.");
    }
    for (let i = 0; i < limitViolations.length; i++) violations.push(unchecked(limitViolations[i]));
  }
  if (violations.length > 0) {
    return streamsHeartbeatError(STREAMS_INVALID_TOPOLOGY, "Internal topics of the group's topology the broker would create, outside "
      + "limits.createTopics: " + join(distinct(violations), "; ") + ".");
  }
  return null;
}

/** Principals (with hosts) a stored topology remembers its judging for, before it starts over. */
const MAX_JUDGED_PRINCIPALS = 16;

/**
 * The stored topology's internal topics whose creation the policy could refuse this principal
 * (no CREATE, or limits.createTopics): created or not, nothing would refuse the others, so
 * their existence need not be known. Remembered per principal and host for as long as the
 * topology is (it cannot change while stored); judged afresh under another policy, or where
 * an answer may change or must be traced (a policy service, a trace).
 */
function refusableInternalTopics(ctx: RequestContext, stored: StoredTopology, everyTopic: bool): Array<StreamsTopicInfo> {
  const remember = ctx.external == null && ctx.trace == null;
  const key = ctx.session.principal + "\n" + ctx.session.host;
  if (remember) {
    if (stored.judgedUnder !== ctx.policy) {
      stored.judged.clear();
      stored.judgedUnder = ctx.policy;
    }
    if (stored.judged.has(key)) return stored.judged.get(key);
  }
  const refusable = new Array<StreamsTopicInfo>();
  const topics = stored.internalTopics;
  for (let i = 0; i < topics.length; i++) {
    const topic = unchecked(topics[i]);
    if (!mayCreate(ctx, topic.name, everyTopic) || limitsMayRefuse(ctx, topic)) refusable.push(topic);
  }
  if (remember) {
    if (stored.judged.size >= MAX_JUDGED_PRINCIPALS) stored.judged.clear();
    stored.judged.set(key, refusable);
  }
  return refusable;
}

/** The answer refusing a heartbeat's topology, or null when it may go to the broker. */
function topologyRefusal(ctx: RequestContext, topology: StreamsTopology): StreamsGroupHeartbeatResponseData | null {
  const required = distinct(topologyTopics(topology));
  const internal = namesWhere(ctx, required, isInternalTopic, "Kafka's internal topics cannot be used in a streams topology", STREAMS_INVALID_TOPOLOGY);
  if (internal.length > 0) {
    return streamsHeartbeatError(STREAMS_INVALID_TOPOLOGY, "Use of Kafka internal topics " + join(internal, ",") + " in a Kafka Streams topology is prohibited.");
  }
  const invalid = namesWhere(ctx, required, isInvalidTopicName, "not a valid topic name", STREAMS_INVALID_TOPOLOGY);
  if (invalid.length > 0) {
    return streamsHeartbeatError(STREAMS_INVALID_TOPOLOGY, "Topic names " + join(invalid, ",") + " are not valid topic names.");
  }
  if (!new TopicDescribeCheck(ctx).allowAll(required)) {
    return streamsHeartbeatError(TOPIC_AUTHORIZATION_FAILED, errorMessage(TOPIC_AUTHORIZATION_FAILED));
  }
  const created = internalTopicsOf(topology);
  const anyTopic = clusterAllows(ctx, AclOperation.Create);
  const uncreatable = new Array<string>();
  const violations = new Array<string>();
  const names = distinct(topicInfoNames(created));
  for (let i = 0; i < names.length; i++) {
    const name = unchecked(names[i]);
    const refusal = createAclRefusal(ctx, name, anyTopic);
    if (refusal == null) continue;
    // The one topic nobody may create is refused as a limit is, not as a missing ACL.
    if (refusal.errorCode == TOPIC_AUTHORIZATION_FAILED) uncreatable.push(name);
    else violations.push(refusal.message);
  }
  if (uncreatable.length > 0) {
    return streamsHeartbeatError(TOPIC_AUTHORIZATION_FAILED, "Unauthorized to CREATE on topics " + join(uncreatable, ", ") + ".");
  }
  if (violations.length == 0) {
    const limitViolations = internalTopicsLimitRefusals(ctx, topology, created, true);
    if (limitViolations == null) {
      // Answered again when the member retries, by then from the broker's answer to the lookup.
      return streamsHeartbeatError(COORDINATOR_LOAD_IN_PROGRESS, "The proxy is reading the partition counts of "
        + someOf(ctx.unknownPartitionCounts) + " from the broker; retry.");
    }
    for (let i = 0; i < limitViolations.length; i++) violations.push(unchecked(limitViolations[i]));
  }
  if (violations.length > 0) {
    return streamsHeartbeatError(STREAMS_INVALID_TOPOLOGY, "Internal topics outside limits.createTopics: " + join(distinct(violations), "; ") + ".");
  }
  return null;
}

/** Whether limits.createTopics could refuse `topic` as the broker would create it (a count left to it judged at any). */
function limitsMayRefuse(ctx: RequestContext, topic: StreamsTopicInfo): bool {
  const limits = ctx.policy.createTopicLimits;
  if (limits == null) return false;
  const rf: i16 = topic.replicationFactor == 0 ? -1 : topic.replicationFactor;
  if (topic.partitions == 0 && (limits.maxPartitions >= 0 || limits.minPartitions >= 0)) return true;
  return ctx.policy.checkCreateTopic(topic.name, topic.partitions == 0 ? -1 : topic.partitions, rf) != null;
}

/**
 * Why limits.createTopics refuses internal topics of `topology` the broker would create
 * (`created`), logged; null while source topics' partition counts are asked of the broker
 * (ctx.unknownPartitionCounts). The counts the topology declares first: a topology they refuse
 * needs no lookup.
 */
function internalTopicsLimitRefusals(ctx: RequestContext, topology: StreamsTopology, created: Array<StreamsTopicInfo>, nameSources: bool): Array<string> | null {
  const violations = new Array<string>();
  for (let i = 0; i < created.length; i++) {
    const topic = unchecked(created[i]);
    if (topic.partitions == 0) continue;
    const violation = internalTopicLimitRefusal(ctx, topic, NO_BOUNDS, nameSources);
    if (violation != null) violations.push(violation.message);
  }
  if (violations.length > 0) return violations;
  const bounds = derivedPartitionBounds(ctx, topology, created);
  if (bounds == null) return null;
  for (let i = 0; i < created.length; i++) {
    const topic = unchecked(created[i]);
    if (topic.partitions != 0) continue;
    const violation = internalTopicLimitRefusal(ctx, topic, bounds, nameSources);
    if (violation != null) violations.push(violation.message);
  }
  return violations;
}

/** The names for which `test` holds, each refusal logged with `reason`. */
function namesWhere(ctx: RequestContext, names: Array<string>, test: (name: string) => bool, reason: string, code: i16): Array<string> {
  const found = new Array<string>();
  for (let i = 0; i < names.length; i++) {
    const name = unchecked(names[i]);
    if (!test(name)) continue;
    ctx.deny("TOPIC:" + name, reason, code);
    found.push(name);
  }
  return found;
}

function isInvalidTopicName(name: string): bool { return !isValidTopicName(name); }

/**
 * The partition counts the broker can give the internal topics whose count the topology leaves
 * to it (0): it derives each from source topics, so each lies between the fewest and the most
 * partitions of the topology's source topics (those it reads from outside, as the broker counts
 * them now) and the counts it declares. NO_BOUNDS when they are not needed (no such topic, or
 * limits.createTopics does not bound partitions) or cannot be known (a source read by pattern);
 * `missing` names the sources the broker does not know (their counts, once they exist, would
 * be judged by no one); null while some source's count is unknown: asked of the broker now
 * (topic-partitions.ts, ctx.unknownPartitionCounts).
 */
function derivedPartitionBounds(ctx: RequestContext, topology: StreamsTopology, created: Array<StreamsTopicInfo>): PartitionBounds | null {
  const limits = ctx.policy.createTopicLimits;
  let derived = false;
  for (let i = 0; !derived && i < created.length; i++) derived = unchecked(created[i]).partitions == 0;
  if (!derived || limits == null || (limits.maxPartitions < 0 && limits.minPartitions < 0)) return NO_BOUNDS;
  const internal = new Set<string>();
  for (let i = 0; i < created.length; i++) internal.add(unchecked(created[i]).name);
  const seen = new Set<string>();
  const bounds = new PartitionBounds(i32.MAX_VALUE, 0);
  const now = nowNs();
  for (let s = 0; s < topology.subtopologies.length; s++) {
    const sub = unchecked(topology.subtopologies[s]);
    if (sub.sourceTopicRegex.length > 0) return NO_BOUNDS;
    for (let i = 0; i < sub.sourceTopics.length; i++) {
      const name = unchecked(sub.sourceTopics[i]);
      // Each name once (a Set: a hostile topology can name thousands).
      if (seen.has(name)) continue;
      seen.add(name);
      // As many as one lookup asks: the rest at the member's retries (not marked as wanted now).
      if (ctx.unknownPartitionCounts.length >= MAX_COUNTS_ASKED) return null;
      const n = freshPartitionCount(name, now);
      // An internal topic that exists counts as any source (the broker derives the others from
      // its count: a topology may list an existing topic as its changelog); one that is missing
      // is created with a count derived from the rest.
      if (n > 0) bounds.include(n);
      else if (n == 0) { if (!internal.has(name)) bounds.missing.push(name); }
      else ctx.unknownPartitionCounts.push(name);
    }
  }
  for (let i = 0; i < created.length; i++) {
    const declared = unchecked(created[i]).partitions;
    if (declared > 0) bounds.include(declared);
  }
  if (ctx.unknownPartitionCounts.length > 0) return null;
  return bounds.max > 0 || bounds.missing.length > 0 ? bounds : NO_BOUNDS;
}

class PartitionBounds {
  /** Source topics the broker named no partitions of: the counts derived from them cannot be judged. */
  missing: Array<string> = new Array<string>();
  constructor(public min: i32, public max: i32) {}
  include(n: i32): void {
    if (n < this.min) this.min = n;
    if (n > this.max) this.max = n;
  }
}

/** Bounds not known (or not needed): a derived count passes only where no limit bounds partitions. */
const NO_BOUNDS = new PartitionBounds(-1, -1);

/**
 * limits.createTopics on an internal topic as the broker would create it, logged; null when
 * within. A count left to the broker (0) is judged at both of its `bounds`.
 */
function internalTopicLimitRefusal(ctx: RequestContext, topic: StreamsTopicInfo, bounds: PartitionBounds, nameSources: bool): PolicyViolation | null {
  const derived = topic.partitions == 0;
  const rf: i16 = topic.replicationFactor == 0 ? -1 : topic.replicationFactor;
  if (derived && bounds.max > 0 && bounds.missing.length == 0) {
    const violation = createLimitRefusal(ctx, topic.name, bounds.max, rf);
    return violation != null ? violation : createLimitRefusal(ctx, topic.name, bounds.min, rf);
  }
  const violation = createLimitRefusal(ctx, topic.name, derived ? -1 : topic.partitions, rf);
  if (violation != null || !derived) return violation;
  const limits = ctx.policy.createTopicLimits;
  if (limits == null || (limits.maxPartitions < 0 && limits.minPartitions < 0)) return null;
  // The broker would create it once the sources exist, from a heartbeat without the topology.
  const why = bounds.missing.length > 0 ? "source topics the broker does not know" + (nameSources ? " (" + join(bounds.missing, ", ") + ")" : "")
    : "topics the topology reads by pattern, which the filter cannot count";
  const refusal = new PolicyViolation(INVALID_PARTITIONS, "topic \"" + topic.name
    + "\": its partition count is derived from " + why + ", and limits.createTopics bounds partitions");
  ctx.deny("TOPIC:" + topic.name, refusal.message, refusal.errorCode);
  return refusal;
}

function streamsHeartbeatError(code: i16, message: string | null): StreamsGroupHeartbeatResponseData {
  const resp = new StreamsGroupHeartbeatResponseData();
  resp.errorCode = code;
  resp.errorMessage = message;
  return resp;
}

/** The first ten of `names`, and how many more. */
function someOf(names: Array<string>): string {
  const shown = names.length <= 10 ? names : names.slice(0, 10);
  const more = names.length - shown.length;
  return join(shown, ", ") + (more > 0 ? " and " + more.toString() + " more" : "");
}

function distinct(names: Array<string>): Array<string> {
  const seen = new Set<string>();
  const kept = new Array<string>();
  for (let i = 0; i < names.length; i++) {
    const name = unchecked(names[i]);
    if (seen.has(name)) continue;
    seen.add(name);
    kept.push(name);
  }
  return kept;
}

/** Every topic a topology names: source, repartition sink and source, changelog. */
function topologyTopics(topology: StreamsTopology): Array<string> {
  const names = new Array<string>();
  for (let s = 0; s < topology.subtopologies.length; s++) {
    const sub = unchecked(topology.subtopologies[s]);
    for (let i = 0; i < sub.sourceTopics.length; i++) names.push(unchecked(sub.sourceTopics[i]));
    for (let i = 0; i < sub.repartitionSinkTopics.length; i++) names.push(unchecked(sub.repartitionSinkTopics[i]));
    for (let i = 0; i < sub.repartitionSourceTopics.length; i++) names.push(unchecked(sub.repartitionSourceTopics[i]).name);
    for (let i = 0; i < sub.stateChangelogTopics.length; i++) names.push(unchecked(sub.stateChangelogTopics[i]).name);
  }
  return names;
}

function topicInfoNames(topics: Array<StreamsTopicInfo>): Array<string> {
  const names = new Array<string>();
  for (let i = 0; i < topics.length; i++) names.push(unchecked(topics[i]).name);
  return names;
}

/**
 * Cuts from a streams heartbeat's endpoint-to-partitions map (which member serves which
 * partitions, for interactive queries) the topics the principal may not DESCRIBE. Kafka 4.4
 * sends the map unfiltered, trusting that each member described its topology's topics when it
 * joined; members of one group may be different principals, and the map covers them all.
 */
class DescribableEndpointsOnly extends ResponseRewrite {
  constructor(readonly ctx: RequestContext) { super(); }

  apply(body: Message, version: i16): bool {
    const endpoints = changetype<StreamsGroupHeartbeatResponseData>(body).partitionsByUserEndpoint;
    if (endpoints == null) return false;
    const topics = new DescribableTopics(this.ctx);
    let changed = false;
    for (let i = 0; i < endpoints.length; i++) {
      const endpoint = unchecked(endpoints[i]);
      const active = topics.keep<EndpointTopicPartition>(endpoint.activePartitions);
      const standby = topics.keep<EndpointTopicPartition>(endpoint.standbyPartitions);
      if (active.length == endpoint.activePartitions.length && standby.length == endpoint.standbyPartitions.length) continue;
      endpoint.activePartitions = active;
      endpoint.standbyPartitions = standby;
      changed = true;
    }
    return changed;
  }
}

/**
 * StreamsGroupDescribe: as ConsumerGroupDescribe, over the topics of the group's topology and
 * of its topology description (v1+; Kafka 4.4 checks the topology only, but the description,
 * which a member uploads, names source, sink and global store topics as well).
 */
export function checkStreamsGroupDescribe(ctx: RequestContext, rule: Rule): Verdict {
  return checkListedWith(ctx, rule, new StreamsGroupDescribeRefusals(ctx), false);
}

/** Kafka's message for a streams group whose topology uses topics the principal may not describe. */
const HIDDEN_TOPOLOGY_MESSAGE = "The described group uses topics that the client is not authorized to describe.";

class StreamsGroupDescribeRefusals extends GroupDescribeRefusals<StreamsGroupDescribeResponseData, StreamsDescribedGroup> {
  constructor(ctx: RequestContext) { super(ctx, HIDDEN_TOPOLOGY_MESSAGE, changetype<StreamsGroupDescribeRequestData>(ctx.body).includeAuthorizedOperations); }

  topicsOf(group: StreamsDescribedGroup): Array<string> {
    const topology = group.topology;
    const names = topology != null ? describedTopologyTopics(topology) : new Array<string>();
    const description = group.topologyDescription;
    if (description != null) addDescriptionTopics(names, description);
    return names;
  }
}

function addDescriptionTopics(names: Array<string>, description: TopologyDescription): void {
  for (let s = 0; s < description.subtopologies.length; s++) {
    const nodes = unchecked(description.subtopologies[s]).nodes;
    for (let i = 0; i < nodes.length; i++) addNodeTopics(names, unchecked(nodes[i]));
  }
  for (let g = 0; g < description.globalStores.length; g++) {
    const store = unchecked(description.globalStores[g]);
    addNodeTopics(names, store.source);
    addNodeTopics(names, store.processor);
  }
}

function addNodeTopics(names: Array<string>, node: TopologyDescriptionNode): void {
  for (let i = 0; i < node.sourceTopics.length; i++) names.push(unchecked(node.sourceTopics[i]));
  const sink = node.sinkTopic;
  if (sink != null) names.push(sink);
}

function describedTopologyTopics(topology: DescribedTopology): Array<string> {
  const names = new Array<string>();
  const subtopologies = topology.subtopologies;
  if (subtopologies == null) return names;
  for (let s = 0; s < subtopologies.length; s++) {
    const sub = unchecked(subtopologies[s]);
    for (let i = 0; i < sub.sourceTopics.length; i++) names.push(unchecked(sub.sourceTopics[i]));
    for (let i = 0; i < sub.repartitionSinkTopics.length; i++) names.push(unchecked(sub.repartitionSinkTopics[i]));
    for (let i = 0; i < sub.repartitionSourceTopics.length; i++) names.push(unchecked(sub.repartitionSourceTopics[i]).name);
    for (let i = 0; i < sub.stateChangelogTopics.length; i++) names.push(unchecked(sub.stateChangelogTopics[i]).name);
  }
  return names;
}
