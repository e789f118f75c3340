// Topic id <-> name, learnt from the broker's responses (Metadata, CreateTopics,
// DescribeTopicPartitions). APIs that name topics by id (Fetch v13+, Produce v13+, ...)
// resolve names here; an id never learnt cannot be authorized and is denied.
//
// Envoy runs one VM per worker thread and a client's connections land on any worker, so
// what one VM learns is published in the host's shared data (one store per Envoy process,
// shared by every VM of the plugin) and read from there by the others on a miss.
//
// An id no VM has seen (the client learnt it through another Envoy, or a worker whose
// answer is not shared yet) is asked of the broker on the client's own connection: a Metadata
// request by id that the filter sends before the client's request and whose answer only the
// filter reads (Verdict.aside). The client's request is refused with UNKNOWN_TOPIC_ID, which
// clients retry after refreshing their metadata; by then the answer has taught the id. (It
// cannot wait for the answer instead: the network-filter ABI lets a filter send to the broker
// only while it handles bytes from the client, and the client sends nothing while it waits.)

import { Uuid } from "../protocol/uuid";
import { Writer, writableClientId } from "../protocol/writer";
import { recentName } from "../protocol/names";
import { encodeRequestWith } from "../codec/frame";
import { writeFilterRequest } from "../messages/filter-codecs";
import { RequestHeaderData } from "../messages/RequestHeader";
import { MetadataRequestData, MetadataRequestTopic } from "../messages/MetadataRequest";
import { requestHeaderVersion } from "../messages/apis";
import { getSharedText, setSharedText } from "../runtime/host";

// Bounded so that a client cannot grow it without end by asking for made-up topics.
const MAX_TOPICS: i32 = 100000;
/** And their names' bytes (100,000 names of 249 bytes would be 25 MB of a VM's memory). */
const MAX_NAMES_BYTES: i32 = 16 * 1024 * 1024;
/** What an empty table starts with (it grows as ids come). */
const FIRST_SLOTS: i32 = 1024;
const FIRST_NAMES_BYTES: i32 = 16 * 1024;
/**
 * Ids one VM publishes in the shared data, which keeps every key for the life of Envoy: a
 * client that has topics created and deleted over and over cannot grow it past this per VM.
 * Past it, an id another VM has not learnt itself is asked of the broker.
 */
const MAX_PUBLISHED: i32 = 200000;
let published: i32 = 0;
/** Kafka's longest topic name (Topic.isValid): an answer naming a longer one teaches nothing. */
const MAX_NAME_BYTES: i32 = 249;
const SHARED_PREFIX = "kafka.topic_id.";

/**
 * The ids learnt and their names, where the collector does not look. A VM of a large cluster
 * learns tens of thousands (a Metadata listing teaches every topic's), and a table of objects,
 * an entry and a name string per id, was visited at every collection: a VM that knew 50,000
 * did 7.3 times the work per Produce round trip. Here an open-addressing table holds the ids'
 * halves and where each name's UTF-8 bytes lie in one byte store: arrays of numbers, which a
 * collection passes in one step whatever their size. A name is made a string when asked for,
 * through the table of recent names the views use (protocol/names.ts).
 */
class IdTable {
  /** Slots, a power of two; an id (hi, lo) at 2 * slot (hi) and 2 * slot + 1 (lo); (0, 0): free. */
  private slots: i32 = FIRST_SLOTS;
  private ids: StaticArray<i64> = new StaticArray<i64>(2 * FIRST_SLOTS);
  /** Per slot, where its name's bytes start in `names`, and how many. */
  private nameAt: StaticArray<i32> = new StaticArray<i32>(FIRST_SLOTS);
  private nameLength: StaticArray<i32> = new StaticArray<i32>(FIRST_SLOTS);
  private names: StaticArray<u8> = new StaticArray<u8>(FIRST_NAMES_BYTES);
  /** Bytes of `names` written, and of them those no slot points at any more (renamed). */
  private namesEnd: i32 = 0;
  private namesDropped: i32 = 0;
  count: i32 = 0;

  /** The slot of the id, or -1. */
  find(hi: i64, lo: i64): i32 {
    if (hi == 0 && lo == 0) return -1; // what a free slot holds, never an id
    const mask = this.slots - 1;
    let slot = slotOf(hi, lo) & mask;
    // Ends at a free slot: at most three in four are taken (set).
    for (let n = 0; n < this.slots; n++) {
      const h = unchecked(this.ids[2 * slot]), l = unchecked(this.ids[2 * slot + 1]);
      if (h == hi && l == lo) return slot;
      if (h == 0 && l == 0) break;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  /** The name of the id in `slot` (find). */
  name(slot: i32): string {
    return recentName(changetype<usize>(this.names) + <usize>unchecked(this.nameAt[slot]), <usize>unchecked(this.nameLength[slot]));
  }

  /** Whether the name of the id in `slot` is the `len` bytes at `ptr`. */
  named(slot: i32, ptr: usize, len: i32): bool {
    return unchecked(this.nameLength[slot]) == len &&
      memory.compare(changetype<usize>(this.names) + <usize>unchecked(this.nameAt[slot]), ptr, <usize>len) == 0;
  }

  /**
   * The id, named the `len` bytes at `ptr`, in `slot` (find), or added when -1. At the bound
   * the table starts over, empty: refusing new ids instead, a table filled once (by a client
   * that had the broker name many topics) would have kept every topic created later from being
   * used by id until Envoy restarted. What it forgot is read again from the shared data, or
   * asked of the broker, on a miss.
   */
  set(slot: i32, hi: i64, lo: i64, ptr: usize, len: i32): void {
    if (slot < 0) {
      if (this.count >= MAX_TOPICS || this.namesEnd - this.namesDropped + len > MAX_NAMES_BYTES) this.clear();
      if ((this.count + 1) * 4 > this.slots * 3) this.grow();
      const mask = this.slots - 1;
      slot = slotOf(hi, lo) & mask;
      while (unchecked(this.ids[2 * slot]) != 0 || unchecked(this.ids[2 * slot + 1]) != 0) slot = (slot + 1) & mask;
      unchecked(this.ids[2 * slot] = hi);
      unchecked(this.ids[2 * slot + 1] = lo);
      this.count++;
    } else {
      // Its old name is dropped (makeRoom keeps no bytes for it).
      this.namesDropped += unchecked(this.nameLength[slot]);
      unchecked(this.nameLength[slot] = 0);
    }
    if (this.namesEnd + len > this.names.length) this.makeRoom(len);
    memory.copy(changetype<usize>(this.names) + <usize>this.namesEnd, ptr, <usize>len);
    unchecked(this.nameAt[slot] = this.namesEnd);
    unchecked(this.nameLength[slot] = len);
    this.namesEnd += len;
  }

  private clear(): void {
    this.slots = FIRST_SLOTS;
    this.ids = new StaticArray<i64>(2 * FIRST_SLOTS);
    this.nameAt = new StaticArray<i32>(FIRST_SLOTS);
    this.nameLength = new StaticArray<i32>(FIRST_SLOTS);
    this.names = new StaticArray<u8>(FIRST_NAMES_BYTES);
    this.namesEnd = 0;
    this.namesDropped = 0;
    this.count = 0;
  }

  private grow(): void {
    const ids = this.ids, nameAt = this.nameAt, nameLength = this.nameLength, old = this.slots;
    const slots = old * 2, mask = slots - 1;
    this.slots = slots;
    this.ids = new StaticArray<i64>(2 * slots);
    this.nameAt = new StaticArray<i32>(slots);
    this.nameLength = new StaticArray<i32>(slots);
    for (let i = 0; i < old; i++) {
      const hi = unchecked(ids[2 * i]), lo = unchecked(ids[2 * i + 1]);
      if (hi == 0 && lo == 0) continue;
      let slot = slotOf(hi, lo) & mask;
      while (unchecked(this.ids[2 * slot]) != 0 || unchecked(this.ids[2 * slot + 1]) != 0) slot = (slot + 1) & mask;
      unchecked(this.ids[2 * slot] = hi);
      unchecked(this.ids[2 * slot + 1] = lo);
      unchecked(this.nameAt[slot] = nameAt[i]);
      unchecked(this.nameLength[slot] = nameLength[i]);
    }
  }

  /**
   * Room for `len` more bytes of names: the names in use copied into a new store, twice their
   * size or more (renamed ids leave their old names behind; a broker that renames ids over and
   * over cannot grow the store past twice what is in use).
   */
  private makeRoom(len: i32): void {
    const live = this.namesEnd - this.namesDropped;
    const names = new StaticArray<u8>(max(2 * (live + len), FIRST_NAMES_BYTES));
    let end = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      if (unchecked(this.ids[2 * slot]) == 0 && unchecked(this.ids[2 * slot + 1]) == 0) continue;
      const n = unchecked(this.nameLength[slot]);
      memory.copy(changetype<usize>(names) + <usize>end, changetype<usize>(this.names) + <usize>unchecked(this.nameAt[slot]), <usize>n);
      unchecked(this.nameAt[slot] = end);
      end += n;
    }
    this.names = names;
    this.namesEnd = end;
    this.namesDropped = 0;
  }
}

/** Where an id's slots begin: its halves mixed (ids are random, but clients can choose theirs). */
@inline function slotOf(hi: i64, lo: i64): i32 {
  const k = (hi ^ (lo * 0x9E3779B97F4A7C15)) * 0xBF58476D1CE4E5B9;
  return <i32>(k >>> 40);
}

const known = new IdTable();

// An id is passed as its two halves (hi, lo): read from a frame, it needs no Uuid object.

/** The key of the id in the host's shared data. */
function sharedKey(hi: i64, lo: i64): string { return SHARED_PREFIX + hi.toString() + ":" + lo.toString(); }

/** The broker named the topic of `id` `name`. */
export function learnTopicId(id: Uuid, name: string | null): void { learnTopicIdOf(id.hi, id.lo, name); }

export function learnTopicIdOf(hi: i64, lo: i64, name: string | null): void {
  if (name == null) return;
  const bytes = String.UTF8.encode(name);
  learnTopicIdFrom(hi, lo, changetype<usize>(bytes), bytes.byteLength);
}

/** The broker named the topic of the id the `len` bytes at `ptr` (as in its answer; -1: null). */
export function learnTopicIdFrom(hi: i64, lo: i64, ptr: usize, len: i32): void {
  if (len < 0 || len > MAX_NAME_BYTES || (hi == 0 && lo == 0)) return;
  const slot = known.find(hi, lo);
  if (slot >= 0 && known.named(slot, ptr, len)) return;
  known.set(slot, hi, lo, ptr, len);
  // Ids come only from the broker's answers, never from clients: safe to share.
  if (published >= MAX_PUBLISHED) return;
  published++;
  setSharedText(sharedKey(hi, lo), recentName(ptr, <usize>len));
}

/** The topic's name, or null when no VM of this Envoy has seen the id in a broker's answer. */
export function topicName(id: Uuid): string | null { return topicNameOf(id.hi, id.lo); }

export function topicNameOf(hi: i64, lo: i64): string | null {
  const slot = known.find(hi, lo);
  if (slot >= 0) return known.name(slot);
  if (hi == 0 && lo == 0) return null;
  const shared = getSharedText(sharedKey(hi, lo));
  if (shared != null) {
    const bytes = String.UTF8.encode(shared);
    if (bytes.byteLength <= MAX_NAME_BYTES) known.set(-1, hi, lo, changetype<usize>(bytes), bytes.byteLength);
  }
  return shared;
}

/** Metadata v12, the first version that looks topics up by id (Kafka 3.1, like Fetch v13). */
export const METADATA_LOOKUP_VERSION: i16 = 12;

/**
 * The Metadata request (whole message, without size prefix) that asks the broker for `ids`,
 * never creating a topic; null if it cannot be encoded.
 */
export function topicIdLookup(ids: Array<Uuid>, correlationId: i32, clientId: string | null): Uint8Array | null {
  const topics = new Array<MetadataRequestTopic>();
  for (let i = 0; i < ids.length; i++) {
    const t = new MetadataRequestTopic();
    t.topicId = unchecked(ids[i]);
    t.name = null;
    topics.push(t);
  }
  return metadataLookup(topics, correlationId, clientId);
}

/**
 * The filter's own Metadata request for `topics` (whole message, without size prefix; null:
 * every topic), never creating a topic; null if it cannot be encoded. Topics by id or by name,
 * not both: Kafka ignores the names of a request that has ids.
 */
export function metadataLookup(topics: Array<MetadataRequestTopic> | null, correlationId: i32, clientId: string | null): Uint8Array | null {
  const header = new RequestHeaderData();
  header.requestApiKey = 3;
  header.requestApiVersion = METADATA_LOOKUP_VERSION;
  header.correlationId = correlationId;
  header.clientId = writableClientId(clientId);
  const body = new MetadataRequestData();
  body.topics = topics;
  body.allowAutoTopicCreation = false;
  const w = new Writer(64 + (topics != null ? topics.length * 64 : 0));
  encodeRequestWith(w, header, requestHeaderVersion(3, METADATA_LOOKUP_VERSION), body, METADATA_LOOKUP_VERSION, writeFilterRequest);
  return w.failed ? null : w.bytes().slice(4);
}
