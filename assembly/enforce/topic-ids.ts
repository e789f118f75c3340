// Topic id <-> name, learnt from the broker's responses (Metadata, CreateTopics,
// DescribeTopicPartitions). APIs that name topics by id (Fetch v13+, Produce v13+, ...)
// resolve names here; an id never learnt cannot be authorized and is denied.
//
// Envoy runs one VM per worker thread and a client's connections land on any worker, so
// what one VM learns is published in the host's shared data (one store per Envoy process,
// shared by every VM of the plugin) and read from there by the others on a miss.

import { Uuid } from "../protocol/uuid";
import { getSharedText, setSharedText } from "../runtime/host";

// Bounded so that a client cannot grow it without end by asking for made-up topics.
const MAX_TOPICS: i32 = 100000;
const SHARED_PREFIX = "kafka.topic_id.";

const names = new Map<string, string>();

function key(id: Uuid): string { return id.hi.toString() + ":" + id.lo.toString(); }

export function learnTopicId(id: Uuid, name: string | null): void {
  if (name == null || id.isZero()) return;
  const k = key(id);
  if (names.has(k) && names.get(k) == name) return;
  if (names.size >= MAX_TOPICS && !names.has(k)) return;
  names.set(k, name);
  // Ids come only from the broker's answers, never from clients: safe to share.
  setSharedText(SHARED_PREFIX + k, name);
}

/** The topic's name, or null when no VM of this Envoy has seen the id in a broker's answer. */
export function topicName(id: Uuid): string | null {
  const k = key(id);
  if (names.has(k)) return names.get(k);
  const shared = getSharedText(SHARED_PREFIX + k);
  if (shared != null && names.size < MAX_TOPICS) names.set(k, shared);
  return shared;
}
