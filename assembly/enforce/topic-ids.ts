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
import { Writer } from "../protocol/writer";
import { encodeRequestWith } from "../codec/frame";
import { writeFilterRequest } from "../messages/filter-codecs";
import { RequestHeaderData } from "../messages/RequestHeader";
import { MetadataRequestData, MetadataRequestTopic } from "../messages/MetadataRequest";
import { requestHeaderVersion } from "../messages/apis";
import { getSharedText, setSharedText } from "../runtime/host";

// Bounded so that a client cannot grow it without end by asking for made-up topics.
const MAX_TOPICS: i32 = 100000;
const SHARED_PREFIX = "kafka.topic_id.";

/** A topic id learnt, and the next one whose halves mix to the same map key. */
class Known {
  constructor(public hi: i64, public lo: i64, public name: string, public next: Known | null) {}
}

// Keyed by the id's two halves mixed, not by its text: looked up for every topic of every
// Metadata answer and every request by id, a string key would cost four allocations each.
const known = new Map<i64, Known>();
let knownCount: i32 = 0;

// An id is passed as its two halves (hi, lo): read from a frame, it needs no Uuid object.

@inline function mixed(hi: i64, lo: i64): i64 { return hi ^ (lo * 0x9E3779B97F4A7C15); }

function find(hi: i64, lo: i64): Known | null {
  const k = mixed(hi, lo);
  if (!known.has(k)) return null;
  let e: Known | null = known.get(k);
  while (e != null) {
    if (e.hi == hi && e.lo == lo) return e;
    e = e.next;
  }
  return null;
}

/** Adds the id, not known yet, with its name; false when the bound leaves no room. */
function add(hi: i64, lo: i64, name: string): bool {
  if (knownCount >= MAX_TOPICS) return false;
  const k = mixed(hi, lo);
  known.set(k, new Known(hi, lo, name, known.has(k) ? known.get(k) : null));
  knownCount++;
  return true;
}

/** The key of the id in the host's shared data. */
function sharedKey(hi: i64, lo: i64): string { return SHARED_PREFIX + hi.toString() + ":" + lo.toString(); }

/** The broker named the topic of `id` `name`. */
export function learnTopicId(id: Uuid, name: string | null): void { learnTopicIdOf(id.hi, id.lo, name); }

export function learnTopicIdOf(hi: i64, lo: i64, name: string | null): void {
  if (name == null || (hi == 0 && lo == 0)) return;
  const e = find(hi, lo);
  if (e != null) {
    if (e.name == name) return;
    e.name = name;
  } else if (!add(hi, lo, name)) return;
  // Ids come only from the broker's answers, never from clients: safe to share.
  setSharedText(sharedKey(hi, lo), name);
}

/** The topic's name, or null when no VM of this Envoy has seen the id in a broker's answer. */
export function topicName(id: Uuid): string | null { return topicNameOf(id.hi, id.lo); }

export function topicNameOf(hi: i64, lo: i64): string | null {
  const e = find(hi, lo);
  if (e != null) return e.name;
  const shared = getSharedText(sharedKey(hi, lo));
  if (shared != null) add(hi, lo, shared);
  return shared;
}

/** Metadata v12, the first version that looks topics up by id (Kafka 3.1, like Fetch v13). */
const LOOKUP_VERSION: i16 = 12;

/**
 * The Metadata request (whole message, without size prefix) that asks the broker for `ids`,
 * never creating a topic; null if it cannot be encoded.
 */
export function topicIdLookup(ids: Array<Uuid>, correlationId: i32, clientId: string | null): Uint8Array | null {
  const header = new RequestHeaderData();
  header.requestApiKey = 3;
  header.requestApiVersion = LOOKUP_VERSION;
  header.correlationId = correlationId;
  header.clientId = clientId;
  const body = new MetadataRequestData();
  const topics = new Array<MetadataRequestTopic>();
  for (let i = 0; i < ids.length; i++) {
    const t = new MetadataRequestTopic();
    t.topicId = unchecked(ids[i]);
    t.name = null;
    topics.push(t);
  }
  body.topics = topics;
  body.allowAutoTopicCreation = false;
  const w = new Writer(64 + ids.length * 20);
  encodeRequestWith(w, header, requestHeaderVersion(3, LOOKUP_VERSION), body, LOOKUP_VERSION, writeFilterRequest);
  return w.failed ? null : w.bytes().slice(4);
}
