// What every response teaches the filter, whatever the policy did with its request: topic ids
// (for APIs that name topics by id) and fetched bytes and records per topic. (SASL outcomes
// are notes on their own requests: apis/connection.ts.)
//
// Read from the response's bytes through the generated views (assembly/views/), never
// decoded: a Fetch response is mostly records, and only their batch headers are read, in
// place. The response itself goes on as it came unless a check asked to rewrite it.

import { Reader } from "../protocol/reader";
import { EntityKind, EntityWalk } from "../protocol/walk";
import { BatchSummary, summarizeBatches } from "../protocol/records";
import { isSupported, responseHeaderVersion } from "../messages/apis";
import { readProblem, unsupported } from "../codec/frame";
import { walkResponseHeader } from "../views/ResponseHeader";
import { walkFetchResponse } from "../views/FetchResponse";
import { walkMetadataResponse } from "../views/MetadataResponse";
import { walkCreateTopicsResponse } from "../views/CreateTopicsResponse";
import { walkDeleteTopicsResponse } from "../views/DeleteTopicsResponse";
import { walkDescribeTopicPartitionsResponse } from "../views/DescribeTopicPartitionsResponse";
import { walkListGroupsResponse } from "../views/ListGroupsResponse";
import { walkOffsetFetchResponse } from "../views/OffsetFetchResponse";
import { walkConsumerGroupDescribeResponse } from "../views/ConsumerGroupDescribeResponse";
import { walkConsumerGroupHeartbeatResponse } from "../views/ConsumerGroupHeartbeatResponse";
import { walkShareGroupHeartbeatResponse } from "../views/ShareGroupHeartbeatResponse";
import { walkProduceResponse } from "../views/ProduceResponse";
import { walkShareFetchResponse } from "../views/ShareFetchResponse";
import { walkShareAcknowledgeResponse } from "../views/ShareAcknowledgeResponse";
import { clearNotYet, inPlaceNotYet } from "../protocol/in-place";
import { Session } from "./session";
import { learnTopicIdFrom, topicNameOf } from "./topic-ids";
import { learnPartitionCount, partitionCountsWanted, forgetPartitionCount } from "./topic-partitions";
import { nowNs } from "../runtime/host";
import { countFetched, countsTopics } from "./observe";
import { ResponseInfo } from "../filter/seam";

/** Whether responses of this API carry something learnFromResponse learns from. */
export function hasLessons(apiKey: i16): bool {
  return apiKey == 1 || apiKey == 3 || apiKey == 19 || apiKey == 20 || apiKey == 75;
}

/** What learnFromResponse says of a response read as it arrives whose bytes it still needs. */
export const STILL_ARRIVING = "still arriving";

/** Whether learnFromResponse can read this API's responses while they arrive (streamed in place). */
export function learnsAsItStreams(apiKey: i16): bool { return apiKey == 1; }

// Reused for every response read whole: walking one allocates nothing per field.
const walk = new EntityWalk();
const reader = new Reader(new Uint8Array(0));
const batches = new BatchSummary();
/** Entities and record batches the last learnFromResponse walked. */
let work: i32 = 0;

/** What the walks of a response read as it arrives have read of one records field. */
class FieldRead {
  /** Where the field starts in the frame. */
  start: i32 = 0;
  /** The first batch whose header they have not read. */
  from: i32 = 0;
  /** Bytes and records of the batches before `from`. */
  bytes: i64 = 0;
  records: i64 = 0;
}

/**
 * How far the walks of one response read as it arrives have read each of its records fields,
 * so that neither the next walk nor learnFromFetch, once the response is whole, reads those
 * batch headers again. One per connection: walks of several connections' responses interleave.
 */
export class StreamedWalk {
  private response: ResponseInfo | null = null;
  /**
   * The entities of this response's walks: each goes on where the last one stopped short
   * (EntityWalk.resume), the entities before that point kept. Made for the connection's first
   * response read as it arrives: most never have one, and a collection walks every connection.
   */
  private walk: EntityWalk | null = null;
  /**
   * Per records field, in the order of the bytes (the first `known` are this response's; the
   * rest are kept for the next). A walk that stopped short records what it walked after that
   * point at the wrong places (the reader's sticky failure), so what was read is used only for
   * a field found at the same start again.
   */
  private fields: Array<FieldRead> = new Array<FieldRead>();
  private known: i32 = 0;
  /**
   * The records fields whose batches are all read, from the first on, and the entities up to
   * the last of them: readBatchHeaders, after each walk, starts after them.
   */
  fieldsRead: i32 = 0;
  entitiesRead: i32 = 0;
  /**
   * The records field whose batches the last walk stopped inside, waiting for the next batch
   * header to arrive (-1: none), and where it starts and ends: the next walk goes on there
   * (continueBatches) without walking the entities before it again.
   */
  waitingField: i32 = -1;
  waitingStart: i32 = 0;
  waitingEnd: i32 = 0;

  /** The walks that follow are of `response`: what was read of another one is forgotten. */
  of(response: ResponseInfo): StreamedWalk {
    if (this.response !== response) {
      this.response = response;
      this.entities.reset();
      this.known = 0;
      this.fieldsRead = 0;
      this.entitiesRead = 0;
      this.waitingField = -1;
    }
    return this;
  }

  get entities(): EntityWalk {
    let w = this.walk;
    if (w == null) this.walk = w = new EntityWalk();
    return w;
  }

  /** The last walk stopped inside the batches of the `field`th records field, [start, end). */
  waitInside(field: i32, start: i32, end: i32): void {
    this.waitingField = field;
    this.waitingStart = start;
    this.waitingEnd = end;
  }

  /** What was read of the `field`th records field, at `start`; null: nothing. */
  field(field: i32, start: i32): FieldRead | null {
    if (field >= this.known) return null;
    const f = unchecked(this.fields[field]);
    return f.start == start ? f : null;
  }

  /** Where to read the batches of the `field`th records field, at `start`, from. */
  from(field: i32, start: i32): i32 {
    const f = this.field(field, start);
    return f != null ? max(start, f.from) : start;
  }

  /** The batches of the `field`th records field, at `start`, were read from from() on: `read` says what of them. */
  read(field: i32, start: i32, read: BatchSummary): void {
    let f = this.field(field, start);
    if (f == null) {
      if (field > this.known) return; // fields are met in order; not reached, it is read again
      if (field == this.known) {
        if (this.known == this.fields.length) this.fields.push(new FieldRead());
        this.known++;
      }
      f = unchecked(this.fields[field]);
      f.start = start;
      f.from = start;
      f.bytes = 0;
      f.records = 0;
    }
    f.from = max(start, f.from) + <i32>read.bytes;
    f.bytes += read.bytes;
    f.records += read.records;
  }
}

/** What the last learnFromResponse walked: entities and record batches. */
export function lastWalkWork(): i32 { return work; }

/**
 * The entities the last learnFromResponse of a response read whole walked, header first;
 * valid until the next walk (a response read as it arrives keeps its own: StreamedWalk).
 */
export function lastWalk(): EntityWalk { return walk; }

/**
 * Walks the body of an answer of `apiKey` from `r` into `w`: the APIs whose answers teach the
 * filter (hasLessons), those a rewrite decides on from their view (OffsetFetch, ListGroups,
 * ConsumerGroupHeartbeat, ConsumerGroupDescribe, ShareGroupHeartbeat) and those that may name
 * leaders' endpoints (Produce, ShareFetch, ShareAcknowledge: addresses.ts); false, with
 * nothing walked, for any other.
 * Not views/index.ts walkResponse: that would compile every response's walker into filter.wasm.
 */
function walkAnswerBody(apiKey: i16, r: Reader, version: i16, w: EntityWalk): bool {
  switch (apiKey) {
    case 0: walkProduceResponse(r, version, w); return true;
    case 1: walkFetchResponse(r, version, w); return true;
    case 3: walkMetadataResponse(r, version, w); return true;
    case 9: walkOffsetFetchResponse(r, version, w); return true;
    case 16: walkListGroupsResponse(r, version, w); return true;
    case 19: walkCreateTopicsResponse(r, version, w); return true;
    case 20: walkDeleteTopicsResponse(r, version, w); return true;
    case 68: walkConsumerGroupHeartbeatResponse(r, version, w); return true;
    case 69: walkConsumerGroupDescribeResponse(r, version, w); return true;
    case 76: walkShareGroupHeartbeatResponse(r, version, w); return true;
    case 75: walkDescribeTopicPartitionsResponse(r, version, w); return true;
    case 78: walkShareFetchResponse(r, version, w); return true;
    case 79: walkShareAcknowledgeResponse(r, version, w); return true;
    default: return false;
  }
}

/**
 * Walks an answer (header and body) a rewrite decides on from its view into the walk lastWalk()
 * gives; false when it does not walk whole, or is of an API walkAnswerBody does not know.
 */
export function walkForRewrite(frame: Uint8Array, apiKey: i16, version: i16): bool {
  if (!isSupported(apiKey, version)) return false;
  walk.reset();
  const r = reader.over(frame);
  walkResponseHeader(r, responseHeaderVersion(apiKey, version), walk);
  const whole = walkAnswerBody(apiKey, r, version, walk) && readProblem(r, "response").length == 0;
  r.release();
  return whole;
}

/**
 * Learns from one response (`frame`: header and body, no size prefix) of an API with lessons.
 * Returns "" when it walked whole, STILL_ARRIVING when a streamed frame's bytes it needs have
 * not arrived yet, else why not; nothing was learnt from it unless "".
 */
export function learnFromResponse(session: Session, frame: Uint8Array, apiKey: i16, version: i16, streamed: StreamedWalk | null = null): string {
  // Only after a walk of this response, which the check below let through.
  if (streamed != null && continueBatches(frame, streamed)) return STILL_ARRIVING;
  // A version the codecs do not know would be walked in another version's layout.
  if (!isSupported(apiKey, version)) return unsupported(apiKey, version);
  // A response read as it arrives: this walk goes on where the last one of it stopped short.
  const w = streamed != null ? streamed.entities : walk;
  if (streamed != null) w.resume();
  else w.reset();
  const r = reader.over(frame);
  walkResponseHeader(r, responseHeaderVersion(apiKey, version), w);
  if (!hasLessons(apiKey) || !walkAnswerBody(apiKey, r, version, w)) {
    r.release();
    return "";
  }
  work = w.recorded();
  if (r.failed && inPlaceNotYet()) {
    r.release();
    // Read as it arrives: what the batch walk will need of the bytes here now must be read now.
    if (apiKey == 1) readBatchHeaders(w, frame, streamed);
    return STILL_ARRIVING;
  }
  const problem = readProblem(r, "response");
  r.release();
  if (problem.length > 0) return problem;
  if (apiKey == 1) learnFromFetch(w, session, frame, streamed);
  else if (apiKey == 20) forgetDeleted(w, frame);
  else {
    learnTopicIds(w, frame);
    if (apiKey == 3 && partitionCountsWanted()) learnPartitionCounts(w, frame);
  }
  return "";
}

/** DeleteTopics: what was learnt of the topics it named is forgotten (deleted or not). */
function forgetDeleted(walk: EntityWalk, frame: Uint8Array): void {
  for (let i = 0; i < walk.count; i++) {
    if (<EntityKind>unchecked(walk.kind[i]) != EntityKind.TopicName) continue;
    const name = walk.text(frame, i);
    if (name != null) forgetPartitionCount(name);
  }
}

/**
 * Metadata: each topic's partitions follow its name, children of its name or (v10+) of its id
 * (topic-partitions.ts keeps the counts of the topics it was asked about).
 */
function learnPartitionCounts(walk: EntityWalk, frame: Uint8Array): void {
  const now = nowNs();
  let topic = -1, partitions = 0;
  for (let i = 0; i <= walk.count; i++) {
    const kind = i < walk.count ? <EntityKind>unchecked(walk.kind[i]) : EntityKind.TopicName;
    if (kind == EntityKind.TopicName) {
      // A topic with an error (it does not exist) comes with no partitions: learnt as 0.
      if (topic >= 0) {
        const name = walk.text(frame, topic);
        if (name != null) learnPartitionCount(name, partitions, now);
      }
      topic = i;
      partitions = 0;
    } else if (kind == EntityKind.Partition && topic >= 0 && unchecked(walk.parent[i]) >= topic) {
      partitions++;
    }
  }
}

/** Metadata, CreateTopics, DescribeTopicPartitions: each topic's name comes right before its id. */
function learnTopicIds(walk: EntityWalk, frame: Uint8Array): void {
  for (let i = 1; i < walk.count; i++) {
    if (<EntityKind>unchecked(walk.kind[i]) != EntityKind.TopicId) continue;
    const before = i - 1;
    if (<EntityKind>unchecked(walk.kind[before]) != EntityKind.TopicName || unchecked(walk.parent[before]) != unchecked(walk.parent[i])) continue;
    learnTopicIdFrom(walk.uuidHi(frame, i), walk.uuidLo(frame, i), frame.dataStart + <usize>unchecked(walk.start[before]), unchecked(walk.length[before]));
  }
}

/**
 * The batch headers of the records walked so far, as learnFromFetch will read them; those the
 * walks before this one of the same response read (`streamed`) are not read again.
 */
function readBatchHeaders(walk: EntityWalk, frame: Uint8Array, streamed: StreamedWalk | null): void {
  clearNotYet(); // the walk's
  if (streamed != null) streamed.waitingField = -1;
  // Fields read whole by the walks before are not looked at again (each read would look at
  // every one). Only fields before the element the walk stopped in count as read whole: a
  // records field recorded after the reader failed is at the wrong place.
  const settled = walk.beforeStop();
  let field = streamed != null ? streamed.fieldsRead : 0;
  for (let i = streamed != null ? streamed.entitiesRead : 0; i < walk.count; i++) {
    if (<EntityKind>unchecked(walk.kind[i]) != EntityKind.Records) continue;
    const start = unchecked(walk.start[i]), end = start + max(unchecked(walk.length[i]), 0);
    const from = streamed != null ? streamed.from(field, start) : start;
    summarizeBatches(frame, from, end, batches);
    work += batches.batches;
    if (streamed != null) streamed.read(field, start, batches);
    if (inPlaceNotYet()) { // the records after these have not arrived either
      if (streamed != null) streamed.waitInside(field, start, end);
      return;
    }
    if (streamed != null && streamed.fieldsRead == field && i < settled) {
      streamed.fieldsRead = field + 1;
      streamed.entitiesRead = i + 1;
    }
    field++;
  }
}

/**
 * Goes on reading the batch headers of the records field the last walk of this response
 * stopped inside (StreamedWalk.waitingField), without walking the entities before it again: a
 * response of many batches arriving in many reads would be walked whole at each. True when it
 * stops inside them again; false when there is no such field, or its batches are all read now
 * (the whole walk then goes on past it).
 */
function continueBatches(frame: Uint8Array, streamed: StreamedWalk): bool {
  const field = streamed.waitingField;
  if (field < 0) return false;
  const start = streamed.waitingStart;
  const from = streamed.from(field, start);
  clearNotYet();
  summarizeBatches(frame, from, streamed.waitingEnd, batches);
  work = batches.batches;
  streamed.read(field, start, batches);
  if (inPlaceNotYet()) return true;
  streamed.waitingField = -1;
  return false;
}

/**
 * The fetch session the broker opened or kept (v7+), and per topic the bytes and records of
 * the complete batches fetched. Entities come in the order of the bytes: a topic (name before
 * v13, id after), its partitions, each with its records. Of a response read as it arrived
 * (`streamed`), only the batches its walks have not read yet are read.
 */
function learnFromFetch(walk: EntityWalk, session: Session, frame: Uint8Array, streamed: StreamedWalk | null): void {
  let errorCode: i16 = -1;
  let sessionId = 0;
  const counts = countsTopics();
  let name: string | null = null;
  let bytes: i64 = 0, records: i64 = 0;
  let field = 0;
  for (let i = 0; i < walk.count; i++) {
    const kind = <EntityKind>unchecked(walk.kind[i]);
    if (kind == EntityKind.ErrorCode) errorCode = walk.int16(frame, i);
    else if (kind == EntityKind.SessionId) sessionId = walk.int32(frame, i);
    else if (!counts) continue;
    else if (kind == EntityKind.TopicName || kind == EntityKind.TopicId) {
      if (name != null) countFetched(name, bytes, records);
      name = kind == EntityKind.TopicId ? topicNameOf(walk.uuidHi(frame, i), walk.uuidLo(frame, i)) : walk.text(frame, i);
      bytes = 0;
      records = 0;
    } else if (kind == EntityKind.Records) {
      const start = unchecked(walk.start[i]);
      const read = streamed != null ? streamed.field(field, start) : null;
      field++;
      if (name == null) continue;
      let from = start;
      if (read != null) {
        from = max(start, read.from);
        bytes += read.bytes;
        records += read.records;
      }
      summarizeBatches(frame, from, start + max(unchecked(walk.length[i]), 0), batches);
      bytes += batches.bytes;
      records += batches.records;
    }
  }
  if (name != null) countFetched(name, bytes, records);
  // Only v7+ has the two (the walk found them); a session is remembered when the fetch succeeded.
  if (errorCode == 0 && sessionId != 0) session.fetchSessions.remember(sessionId, false);
}
