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
//     AutoCreateTopics, ClusterOperations, TopicOperations: a Metadata request's flags.
// Parent: only topics (name or id) and partitions are parents. An entity field of a struct has
// the struct's parent; the struct's nested structs, array elements and records hang under the
// last topic or partition the struct recorded before them, or under the struct's parent when
// it recorded none. So a Produce partition's parent is its topic, its records' parent is the
// partition, and a transactional id or group id has no parent (-1) at the top level.

import { recentName } from "./names";
import { Uuid } from "./uuid";

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

  reset(): void { this.count = 0; }

  /** Records one entity; returns its index. */
  add(kind: EntityKind, start: i32, length: i32, parent: i32): i32 {
    const i = this.count;
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

function bigEndian64(frame: Uint8Array, at: i32): i64 {
  // Within the frame, as every entity the walk recorded is: one load, not eight checked reads.
  if (at < 0 || at > frame.length - 8) return 0;
  return bswap<i64>(load<i64>(frame.dataStart + <usize>at));
}
