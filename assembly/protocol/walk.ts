// What a request's or response's view (assembly/views/, generated) found in a frame: every entity Kafka's
// definitions name, where its value lies in the frame, and the entity it belongs to.
//
// One EntityWalk is kept and reset for each frame: its arrays only grow (doubling) when a
// frame has more entities than any before it, so walking a frame allocates nothing.
//
// Which fields are entities (codegen/emit-views.ts decides it from the definitions):
//   - a field with Kafka's `entityType` topicName, groupId or transactionalId, or each element
//     of an array of them (producerId and brokerId fields are walked past: no policy asks);
//   - TopicId: a uuid field of that name (Kafka gives topic ids no entityType);
//   - Partition: in a struct that names a topic, an array whose name starts with "Partition":
//     each element of an []int32, or the element struct's first int32 field named Partition,
//     PartitionIndex or Index;
//   - Records: every records field; Acks: ProduceRequest.Acks (what produce limits read);
//     ErrorCode and SessionId: a Fetch response's top-level ones (its fetch session);
//     ReplicaId, SessionId and SessionEpoch: a Fetch request's (a follower, its fetch session);
//     AutoCreateTopics, ClusterOperations, TopicOperations: a Metadata request's flags;
//     Endpoint: the NodeId of each NodeEndpoint in a Produce, Fetch, ShareFetch or
//     ShareAcknowledge answer (the addresses filter.brokerAddresses rewrites).
// Parent: only topics (name or id) and partitions are parents. An entity field of a struct has
// the struct's parent; the struct's nested structs, array elements and records hang under the
// last topic or partition the struct recorded before them, or under the struct's parent when
// it recorded none. So a Produce partition's parent is its topic, its records' parent is the
// partition, and a transactional id or group id has no parent (-1) at the top level.
//
// Going on where the last walk stopped. A frame read as it arrives (in-place.ts StreamedFrame)
// is walked at each read that brings what its last walk stopped at, until one gets through.
// Each walk would walk again every entity before that point: a Fetch response of hundreds of
// partitions in dozens of reads, quadratic. So the views tell the walk where they are in
// arrays of structs (enterArray, element, leaveArray), and when the reader stops short inside
// them, the walk keeps the elements it was in, one per depth. The next walk of the same frame
// (resume) reads the frame's first fields again, and at each of those arrays moves straight to
// that element, the entities before it kept as they were: the same entities as a walk from the
// start, in the same places, since the bytes before that point are the same.

import { recentName } from "./names";
import { Uuid } from "./uuid";
import { Reader } from "./reader";

/** Arrays of structs nested deeper than this are walked, not gone on in (no message nests 8). */
const MAX_DEPTH = 8;
// What the walk keeps per depth of nested arrays of structs, 4 values at depth * 4 + ...
/** Where the array's elements begin: which array this is. */
const ARRAY = 0;
/** Where the element the walk is in begins, */
const ELEMENT = 1;
/** its index, */
const INDEX = 2;
/** and how many entities come before it. */
const BEFORE = 3;

export enum EntityKind {
  /** In no view: what enforce/apis/rules.ts needs of the request as a whole (the cluster). */
  None = 0,
  TopicName = 1,
  TopicId = 2,
  Partition = 3,
  GroupId = 4,
  TransactionalId = 5,
  Records = 8,
  Acks = 9,
  ErrorCode = 10,
  SessionId = 11,
  ReplicaId = 12,
  SessionEpoch = 13,
  AutoCreateTopics = 14,
  ClusterOperations = 15,
  TopicOperations = 16,
  /** A leader's address in a Produce, Fetch, ShareFetch or ShareAcknowledge answer: its NodeId (Host and Port follow). */
  Endpoint = 17,
}

export class EntityWalk {
  /** Entities recorded for the current frame, in the order of their bytes. */
  count: i32 = 0;
  kind: StaticArray<u8> = new StaticArray<u8>(16);
  /** Offset of the value's bytes in the frame (after a string's or records' length). */
  start: StaticArray<i32> = new StaticArray<i32>(16);
  /** The value's byte length; -1 for null. */
  length: StaticArray<i32> = new StaticArray<i32>(16);
  /** Index of the entity this one belongs to; -1 for none. */
  parent: StaticArray<i32> = new StaticArray<i32>(16);

  /** Arrays of structs the walk is inside now. */
  private depth: i32 = 0;
  /** Per depth, the element the walk is in (ARRAY, ELEMENT, INDEX, BEFORE). */
  private path: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH * 4);
  /** The elements the last walk was in where it stopped short, `stopDepth` of them (-1: none yet). */
  private stop: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH * 4);
  private stopDepth: i32 = -1;
  /** Going on from `stop`: its first `resumeDepth` depths, and the `kept` entities before its last element. */
  private resumeDepth: i32 = 0;
  private kept: i32 = 0;
  /** Going on: how many entities the walk before this one got to, which recorded() does not count. */
  private reached: i32 = 0;

  /** For a walk of another frame (or of the same one from its start). */
  reset(): void {
    this.count = 0;
    this.depth = 0;
    this.stopDepth = -1;
    this.resumeDepth = 0;
    this.kept = 0;
    this.reached = 0;
  }

  /**
   * For the next walk of the frame the last walk stopped short in, grown since (a frame read
   * as it arrives): it goes on where that one stopped (see the top of this file); when that
   * one stopped outside any array of structs, or got through, this is reset().
   */
  resume(): void {
    const depth = max(this.stopDepth, 0);
    this.reached = depth > 0 ? this.count : 0;
    this.count = 0;
    this.depth = 0;
    this.stopDepth = -1;
    this.resumeDepth = depth;
    this.kept = depth > 0 ? unchecked(this.stop[(depth - 1) * 4 + BEFORE]) : 0;
  }

  /**
   * Of a walk that stopped short, the entities before the element it stopped in, which the next
   * walk keeps (resume): recorded before the reader failed (those after are at the wrong places,
   * the reader's sticky failure). 0 when it stopped outside every array of structs.
   */
  beforeStop(): i32 { return this.stopDepth > 0 ? unchecked(this.stop[(this.stopDepth - 1) * 4 + BEFORE]) : 0; }

  /**
   * Entities this walk recorded past those the walk it went on from got to: its cost, but for
   * the element it went on in, walked again from its start (resume), and the fields before it.
   */
  recorded(): i32 { return max(this.count - this.reached, 0); }

  /**
   * Before the elements of an array of structs, at `r`'s position: the index of the first one
   * to walk. 0, but for the array the walk goes on in (resume): there, the element the last
   * walk stopped inside, `r` moved to it, and the entities before it kept.
   */
  @inline enterArray(r: Reader): i32 {
    const d = this.depth++;
    if (d >= MAX_DEPTH) return 0;
    const at = d * 4;
    put(this.path, at + ARRAY, r.pos);
    put(this.path, at + INDEX, -1); // in no element yet
    if (d >= this.resumeDepth || r.failed || unchecked(this.stop[at + ARRAY]) != r.pos) return 0;
    r.pos = unchecked(this.stop[at + ELEMENT]);
    this.count = unchecked(this.stop[at + BEFORE]);
    return unchecked(this.stop[at + INDEX]);
  }

  /** Before element `i` of the array entered last, at `r`'s position. */
  @inline element(r: Reader, i: i32): void {
    const d = this.depth - 1;
    if (d >= MAX_DEPTH) return;
    const at = d * 4;
    put(this.path, at + ELEMENT, r.pos);
    put(this.path, at + INDEX, i);
    put(this.path, at + BEFORE, this.count);
  }

  /**
   * After the loop over the array entered last. The first array left, after the reader failed,
   * from inside one of its elements is the innermost one the walk was in when it failed: the
   * elements it was in are kept for resume(). (Arrays entered after the failure have none.)
   */
  @inline leaveArray(r: Reader): void {
    const d = --this.depth;
    if (r.failed && this.stopDepth < 0 && d < MAX_DEPTH && load<i32>(changetype<usize>(this.path) + (<usize>(d * 4 + INDEX) << 2)) >= 0) {
      this.stopHere(d + 1);
    }
  }

  private stopHere(depth: i32): void {
    this.stopDepth = depth;
    memory.copy(changetype<usize>(this.stop), changetype<usize>(this.path), <usize>(depth * 4) << 2);
  }

  /** Records one entity; returns its index. */
  add(kind: EntityKind, start: i32, length: i32, parent: i32): i32 {
    const i = this.count;
    if (i < this.kept) {
      // Found again by a walk that goes on (resume): kept as the walk before recorded it.
      if (unchecked(this.start[i]) == start) {
        this.count = i + 1;
        return i;
      }
      // Cannot happen over the same bytes; if it did, no more is taken from the last walk.
      this.kept = i;
      this.resumeDepth = 0;
    }
    if (i == this.kind.length) this.grow();
    // Stored straight (i is below every array's length): each view calls this per entity, and
    // the arrays' own setters stay calls in the optimized module.
    store<u8>(changetype<usize>(this.kind) + <usize>i, <u8>kind);
    store<i32>(changetype<usize>(this.start) + (<usize>i << 2), start);
    store<i32>(changetype<usize>(this.length) + (<usize>i << 2), length);
    store<i32>(changetype<usize>(this.parent) + (<usize>i << 2), parent);
    this.count = i + 1;
    return i;
  }

  // The values of entity `i` in `frame`, the bytes the walk ran over.

  /**
   * A string, decoded as the codecs' Reader decodes it (ACLs match the same name either way);
   * a name seen recently is not decoded again (names.ts).
   */
  text(frame: Uint8Array, i: i32): string | null {
    const n = unchecked(this.length[i]);
    return n < 0 ? null : recentName(frame.dataStart + <usize>unchecked(this.start[i]), <usize>n);
  }

  uuid(frame: Uint8Array, i: i32): Uuid { return new Uuid(this.uuidHi(frame, i), this.uuidLo(frame, i)); }

  // The halves of a uuid, for lookups that need no Uuid object (one allocation per topic id).
  @inline uuidHi(frame: Uint8Array, i: i32): i64 { return bigEndian64(frame, unchecked(this.start[i])); }
  @inline uuidLo(frame: Uint8Array, i: i32): i64 { return bigEndian64(frame, unchecked(this.start[i]) + 8); }
  uuidIsZero(frame: Uint8Array, i: i32): bool { return this.uuidHi(frame, i) == 0 && this.uuidLo(frame, i) == 0; }

  bool(frame: Uint8Array, i: i32): bool { return frame[unchecked(this.start[i])] != 0; }

  int16(frame: Uint8Array, i: i32): i16 {
    const at = unchecked(this.start[i]);
    return <i16>((<i32>frame[at] << 8) | <i32>frame[at + 1]);
  }

  int32(frame: Uint8Array, i: i32): i32 {
    const at = unchecked(this.start[i]);
    return (<i32>frame[at] << 24) | (<i32>frame[at + 1] << 16) | (<i32>frame[at + 2] << 8) | <i32>frame[at + 3];
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const kind = new StaticArray<u8>(n);
    const start = new StaticArray<i32>(n);
    const length = new StaticArray<i32>(n);
    const parent = new StaticArray<i32>(n);
    for (let i = 0; i < this.count; i++) {
      unchecked(kind[i] = this.kind[i]);
      unchecked(start[i] = this.start[i]);
      unchecked(length[i] = this.length[i]);
      unchecked(parent[i] = this.parent[i]);
    }
    this.kind = kind;
    this.start = start;
    this.length = length;
    this.parent = parent;
  }
}

/** `a[i] = v` for an i below a's length, stored straight (StaticArray's setter stays a call). */
@inline function put(a: StaticArray<i32>, i: i32, v: i32): void {
  store<i32>(changetype<usize>(a) + (<usize>i << 2), v);
}

function bigEndian64(frame: Uint8Array, at: i32): i64 {
  // Within the frame, as every entity the walk recorded is: one load, not eight checked reads.
  if (at < 0 || at > frame.length - 8) return 0;
  return bswap<i64>(load<i64>(frame.dataStart + <usize>at));
}
