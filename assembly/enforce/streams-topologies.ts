// Streams groups' stored topologies (KIP-1071). Every heartbeat, not only a member's join, can
// make the broker create the missing repartition and changelog topics of the topology its group
// stored when the group's first member joined, with CREATE checked for the member sending that
// heartbeat (KafkaApis.handleStreamsGroupHeartbeat, on StreamsGroupHeartbeatResult
// .creatableTopics) and through the controller's CreateTopics path (the CreateTopics limits).
// That topology is not in a heartbeat after the join; it may have come from another principal,
// another proxy, or before this VM started. So the filter asks the broker for it: a
// StreamsGroupDescribe of its own, sent ahead of the member's heartbeat on the member's
// connection (the group's coordinator), whose answer only the filter reads, while the heartbeat
// is answered COORDINATOR_LOAD_IN_PROGRESS, which a member retries after its backoff. The retry,
// on the same connection and so in the same VM, is judged with what the answer taught. A
// describe names every internal topic of the stored topology, configured or not
// (StreamsGroup.asDescribedGroup), and its sources as far as they are named.
//
// A group's topology cannot change while the group lives (GroupMetadataManager
// .maybeUpdateTopology refuses "Topology updates"), but a group can be deleted and created again
// with another: what is learnt is trusted for FRESH_NS, "no such group" for NO_GROUP_FRESH_NS,
// and forgotten when a join or a DeleteGroups of the group goes through this VM. Past that the
// group is asked about again before its next heartbeat is judged.

import { Writer, writableClientId } from "../protocol/writer";
import { encodeRequestWith } from "../codec/frame";
import { writeFilterRequest } from "../messages/filter-codecs";
import { RequestHeaderData } from "../messages/RequestHeader";
import { requestHeaderVersion } from "../messages/apis";
import { Message } from "../protocol/message";
import { StreamsGroupDescribeRequestData } from "../messages/StreamsGroupDescribeRequest";
import {
  StreamsGroupDescribeResponseData, Topology as DescribedTopology, TopicInfo as DescribedTopicInfo,
} from "../messages/StreamsGroupDescribeResponse";
import { Topology, Subtopology, TopicInfo } from "../messages/StreamsGroupHeartbeatRequest";
import { GROUP_ID_NOT_FOUND, COORDINATOR_LOAD_IN_PROGRESS } from "../protocol/errors";
import { ResponseRewrite } from "./rewrite";
import { Session } from "./session";
import { nowNs } from "../runtime/host";
import { Policy } from "../policy/policy";

const FRESH_NS: i64 = 60_000_000_000;
const NO_GROUP_FRESH_NS: i64 = 2_000_000_000;
/**
 * Groups, and the characters of their ids and topic names, one generation holds at most (see
 * `recent`): a client may heartbeat for any group it may read, with ids of 32 KB.
 */
const GENERATION_GROUPS: i32 = 1000;
const GENERATION_CHARS: i64 = 2 * 1024 * 1024;
const DESCRIBE_KEY: i16 = 89;
const DESCRIBE_VERSION: i16 = 0;

export class StoredTopology {
  constructor(
    /** False: the broker knows no such group (so no topology). */
    readonly exists: bool,
    /** The group's topology in a heartbeat's terms (sources, internal topics and their counts). */
    readonly topology: Topology,
    /** The repartition source and changelog topics, each once. */
    readonly internalTopics: Array<TopicInfo>,
    readonly atNs: i64,
  ) {}

  /**
   * Per principal and host ("principal\nhost"), under `judgedUnder`: the internal topics whose
   * creation the policy could refuse them (apis/groups.ts refusableInternalTopics). Every
   * heartbeat of the group is judged on them, and a heartbeat carries none of its topology's
   * bytes: judged again at each, a topology of 8,000 internal topics made each 70-byte
   * heartbeat cost 735,000 steps, a chunk of them pipelined hundreds of milliseconds.
   */
  readonly judged: Map<string, Array<TopicInfo>> = new Map<string, Array<TopicInfo>>();
  judgedUnder: Policy | null = null;

  freshAt(now: i64): bool { return now >= this.atNs && now - this.atNs <= (this.exists ? FRESH_NS : NO_GROUP_FRESH_NS); }
}

// Two generations: a group learnt goes in `recent`; when `recent` holds GENERATION_GROUPS or
// GENERATION_CHARS it becomes `older`, whose groups are given up; one asked about meanwhile moves
// back. So a client heartbeating for thousands of groups pushes out groups no one heartbeats for,
// not a member's between its lookup and its retry.
let recent = new Map<string, StoredTopology>();
let older = new Map<string, StoredTopology>();
let recentChars: i64 = 0;

/** What the filter knows of `groupId`'s stored topology at `now`; null when it must be asked first. */
export function knownTopology(groupId: string, now: i64): StoredTopology | null {
  let t: StoredTopology | null = null;
  if (recent.has(groupId)) t = recent.get(groupId);
  else if (older.has(groupId)) {
    t = older.get(groupId);
    older.delete(groupId);
    keep(groupId, t!);
  }
  return t != null && t.freshAt(now) ? t : null;
}

/** Forgets `groupId`'s topology: a join or a DeleteGroups of it went to the broker. */
export function forgetTopology(groupId: string): void {
  recent.delete(groupId);
  older.delete(groupId);
}

/**
 * The error the broker answered this connection's last lookup of `groupId` with, once (0: none):
 * a coordinator that moved (NOT_COORDINATOR) must be told to the member, which would otherwise
 * retry at the same broker without end. The connection's own: another principal's lookup, or
 * another broker's answer, says nothing of this one.
 */
export function takeLookupError(session: Session, groupId: string): i16 {
  const group = session.refusedTopologyLookup;
  if (group == null || group != groupId) return 0;
  session.refusedTopologyLookup = null;
  return session.refusedTopologyLookupError;
}

/** The broker described `groupId` at `now`: `topology` is the one it stored, null when there is no such group. */
export function learnTopology(groupId: string, topology: Topology | null, now: i64): void {
  keep(groupId, topology != null ? new StoredTopology(true, topology, internalTopicsOf(topology), now)
    : new StoredTopology(false, new Topology(), new Array<TopicInfo>(), now));
}

function keep(groupId: string, t: StoredTopology): void {
  // Every name the topology keeps, and about an array slot's and a string header's worth each.
  let chars = <i64>groupId.length;
  const subs = t.topology.subtopologies;
  for (let s = 0; s < subs.length; s++) {
    const sub = unchecked(subs[s]);
    chars += charsOf(sub.sourceTopics) + charsOf(sub.repartitionSinkTopics);
    for (let i = 0; i < sub.repartitionSourceTopics.length; i++) chars += unchecked(sub.repartitionSourceTopics[i]).name.length + NAME_OVERHEAD;
    for (let i = 0; i < sub.stateChangelogTopics.length; i++) chars += unchecked(sub.stateChangelogTopics[i]).name.length + NAME_OVERHEAD;
  }
  if (recent.size > 0 && (recent.size >= GENERATION_GROUPS || recentChars + chars > GENERATION_CHARS)) {
    older = recent;
    recent = new Map<string, StoredTopology>();
    recentChars = 0;
  }
  recent.set(groupId, t);
  recentChars += chars;
}

const NAME_OVERHEAD: i64 = 16;

function charsOf(names: Array<string>): i64 {
  let n: i64 = 0;
  for (let i = 0; i < names.length; i++) n += unchecked(names[i]).length + NAME_OVERHEAD;
  return n;
}

/** The StreamsGroupDescribe request (whole message, without size prefix) asking for `groupId`; null if it cannot be encoded. */
export function topologyLookup(groupId: string, correlationId: i32, clientId: string | null): Uint8Array | null {
  const header = new RequestHeaderData();
  header.requestApiKey = DESCRIBE_KEY;
  header.requestApiVersion = DESCRIBE_VERSION;
  header.correlationId = correlationId;
  header.clientId = writableClientId(clientId);
  const body = new StreamsGroupDescribeRequestData();
  body.groupIds.push(groupId);
  const w = new Writer(64 + groupId.length * 3);
  encodeRequestWith(w, header, requestHeaderVersion(DESCRIBE_KEY, DESCRIBE_VERSION), body, DESCRIBE_VERSION, writeFilterRequest);
  return w.failed ? null : w.bytes().slice(4);
}

/**
 * Reads the answer to topologyLookup (the note of its Verdict.aside). A coordinator loading
 * teaches nothing (asked again at the retry); another error is told to the member's retry.
 */
export class TopologyLesson extends ResponseRewrite {
  constructor(readonly groupId: string, readonly session: Session) { super(); }

  apply(body: Message, version: i16): bool {
    const groups = changetype<StreamsGroupDescribeResponseData>(body).groups;
    for (let i = 0; i < groups.length; i++) {
      const g = unchecked(groups[i]);
      if (g.groupId != this.groupId) continue;
      const code = g.errorCode;
      const described = g.topology;
      if (code == 0 && described != null) {
        learnTopology(this.groupId, heartbeatTopology(described), nowNs());
      } else if (code == GROUP_ID_NOT_FOUND) {
        learnTopology(this.groupId, null, nowNs());
      } else if (code != 0 && code != COORDINATOR_LOAD_IN_PROGRESS) {
        this.session.refusedTopologyLookup = this.groupId;
        this.session.refusedTopologyLookupError = code;
      }
    }
    return false;
  }

  // What the filter must know whatever the mode: audit mode reads it too.
  get enforcesPolicy(): bool { return false; }
}

/** A described topology as a heartbeat carries one: what the checks of a join's topology read. */
function heartbeatTopology(described: DescribedTopology): Topology {
  const t = new Topology();
  t.epoch = described.epoch;
  const subs = described.subtopologies;
  if (subs == null) return t;
  for (let s = 0; s < subs.length; s++) {
    const d = unchecked(subs[s]);
    const sub = new Subtopology();
    sub.subtopologyId = d.subtopologyId;
    sub.sourceTopics = d.sourceTopics;
    sub.repartitionSinkTopics = d.repartitionSinkTopics;
    for (let i = 0; i < d.repartitionSourceTopics.length; i++) sub.repartitionSourceTopics.push(topicInfo(unchecked(d.repartitionSourceTopics[i])));
    for (let i = 0; i < d.stateChangelogTopics.length; i++) sub.stateChangelogTopics.push(topicInfo(unchecked(d.stateChangelogTopics[i])));
    t.subtopologies.push(sub);
  }
  return t;
}

function topicInfo(d: DescribedTopicInfo): TopicInfo {
  const t = new TopicInfo();
  t.name = d.name;
  t.partitions = d.partitions;
  t.replicationFactor = d.replicationFactor;
  return t;
}

/** The topics the broker creates when missing (repartition sources, changelogs), each name once. */
export function internalTopicsOf(topology: Topology): Array<TopicInfo> {
  const topics = new Array<TopicInfo>();
  const seen = new Set<string>();
  for (let s = 0; s < topology.subtopologies.length; s++) {
    const sub = unchecked(topology.subtopologies[s]);
    for (let i = 0; i < sub.repartitionSourceTopics.length; i++) addOnce(topics, seen, unchecked(sub.repartitionSourceTopics[i]));
    for (let i = 0; i < sub.stateChangelogTopics.length; i++) addOnce(topics, seen, unchecked(sub.stateChangelogTopics[i]));
  }
  return topics;
}

function addOnce(topics: Array<TopicInfo>, seen: Set<string>, t: TopicInfo): void {
  if (seen.has(t.name)) return;
  seen.add(t.name);
  topics.push(t);
}
