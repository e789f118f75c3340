// The internal topics of streams groups' stored topologies (KIP-1071). Every heartbeat, not
// only a member's join, can make the broker create the missing repartition and changelog
// topics of the topology its group stored when the group's first member joined, and Kafka
// checks CREATE for the member sending that heartbeat (KafkaApis.handleStreamsGroupHeartbeat,
// on StreamsGroupHeartbeatResult.creatableTopics). That topology is not in a heartbeat after
// the join; it may have come from another principal, another proxy, or before this VM started.
// So the filter asks the broker for it: a StreamsGroupDescribe of its own, sent ahead of the
// member's heartbeat on the member's connection (the group's coordinator), whose answer only
// the filter reads, while the heartbeat is answered COORDINATOR_LOAD_IN_PROGRESS, which a
// member retries after its backoff. The retry, on the same connection and so in the same VM, is
// judged with the names the answer taught. A describe names every internal topic of the stored
// topology, configured or not (StreamsGroup.asDescribedGroup).
//
// A group's topology cannot change while the group lives (GroupMetadataManager
// .maybeUpdateTopology refuses "Topology updates"), so a topology learnt is used past FRESH_NS
// while it is asked again ahead of the next heartbeat. "No topology" (the group does not
// exist yet) is trusted only while fresh: the member joining next stores one.

import { Writer } from "../protocol/writer";
import { encodeRequestWith } from "../codec/frame";
import { writeFilterRequest } from "../messages/filter-codecs";
import { RequestHeaderData } from "../messages/RequestHeader";
import { requestHeaderVersion } from "../messages/apis";
import { Message } from "../protocol/message";
import { StreamsGroupDescribeRequestData } from "../messages/StreamsGroupDescribeRequest";
import { StreamsGroupDescribeResponseData } from "../messages/StreamsGroupDescribeResponse";
import { GROUP_ID_NOT_FOUND } from "../protocol/errors";
import { ResponseRewrite } from "./rewrite";
import { nowNs } from "../runtime/host";

const FRESH_NS: i64 = 60_000_000_000;
/**
 * Groups, and their ids' and internal topic names' characters, kept at most, over every group;
 * past either the table starts over (a client may heartbeat for any group it may read, with
 * ids of 32 KB).
 */
const MAX_GROUPS: i32 = 2000;
const MAX_CHARS: i64 = 4 * 1024 * 1024;
const DESCRIBE_KEY: i16 = 89;
const DESCRIBE_VERSION: i16 = 0;

export class StoredTopology {
  constructor(
    /** False: the broker knows no such group (so no topology). */
    readonly exists: bool,
    /** The repartition source and changelog topics, each once. */
    readonly internalTopics: Array<string>,
    readonly atNs: i64,
  ) {}

  /** Whether what was learnt must be asked again (it may still be used meanwhile: see `known`). */
  staleAt(now: i64): bool { return now < this.atNs || now - this.atNs > FRESH_NS; }
}

const stored = new Map<string, StoredTopology>();
let charsKept: i64 = 0;

/**
 * What the filter knows of `groupId`'s stored topology at `now`: null when it must be asked
 * before a heartbeat can be judged (never learnt, or "no topology" no longer fresh).
 */
export function knownTopology(groupId: string, now: i64): StoredTopology | null {
  if (!stored.has(groupId)) return null;
  const t = stored.get(groupId);
  return !t.exists && t.staleAt(now) ? null : t;
}

/** The broker described `groupId` (`exists`) with these internal topics. */
export function learnTopology(groupId: string, exists: bool, internalTopics: Array<string>, now: i64): void {
  if (stored.has(groupId)) charsKept -= charsOf(groupId, stored.get(groupId).internalTopics);
  const chars = charsOf(groupId, internalTopics);
  if (charsKept + chars > MAX_CHARS || (stored.size >= MAX_GROUPS && !stored.has(groupId))) {
    stored.clear();
    charsKept = 0;
  }
  stored.set(groupId, new StoredTopology(exists, internalTopics, now));
  charsKept += chars;
}

function charsOf(groupId: string, names: Array<string>): i64 {
  let n = <i64>groupId.length;
  for (let i = 0; i < names.length; i++) n += unchecked(names[i]).length;
  return n;
}

/** The StreamsGroupDescribe request (whole message, without size prefix) asking for `groupId`; null if it cannot be encoded. */
export function topologyLookup(groupId: string, correlationId: i32, clientId: string | null): Uint8Array | null {
  const header = new RequestHeaderData();
  header.requestApiKey = DESCRIBE_KEY;
  header.requestApiVersion = DESCRIBE_VERSION;
  header.correlationId = correlationId;
  header.clientId = clientId;
  const body = new StreamsGroupDescribeRequestData();
  body.groupIds.push(groupId);
  const w = new Writer(64 + groupId.length * 3);
  encodeRequestWith(w, header, requestHeaderVersion(DESCRIBE_KEY, DESCRIBE_VERSION), body, DESCRIBE_VERSION, writeFilterRequest);
  return w.failed ? null : w.bytes().slice(4);
}

/**
 * Reads the answer to topologyLookup (the note of its Verdict.aside). An error other than "no
 * such group" (the coordinator moved or is loading) teaches nothing: asked again next time.
 */
export class TopologyLesson extends ResponseRewrite {
  constructor(readonly groupId: string) { super(); }

  apply(body: Message, version: i16): bool {
    const groups = changetype<StreamsGroupDescribeResponseData>(body).groups;
    for (let i = 0; i < groups.length; i++) {
      const g = unchecked(groups[i]);
      if (g.groupId != this.groupId) continue;
      const names = new Array<string>();
      const topology = g.topology;
      if (g.errorCode == 0 && topology != null) {
        const subs = topology.subtopologies;
        if (subs != null) {
          const seen = new Set<string>();
          for (let s = 0; s < subs.length; s++) {
            const sub = unchecked(subs[s]);
            for (let j = 0; j < sub.repartitionSourceTopics.length; j++) addOnce(names, seen, unchecked(sub.repartitionSourceTopics[j]).name);
            for (let j = 0; j < sub.stateChangelogTopics.length; j++) addOnce(names, seen, unchecked(sub.stateChangelogTopics[j]).name);
          }
        }
      } else if (g.errorCode != GROUP_ID_NOT_FOUND) {
        return false;
      }
      learnTopology(this.groupId, g.errorCode == 0, names, nowNs());
    }
    return false;
  }

  // What the filter must know whatever the mode: audit mode reads it too.
  get enforcesPolicy(): bool { return false; }
}

function addOnce(names: Array<string>, seen: Set<string>, name: string): void {
  if (seen.has(name)) return;
  seen.add(name);
  names.push(name);
}
