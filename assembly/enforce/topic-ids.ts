// Topic id <-> name, learnt from the Metadata responses this VM sees (every connection of an
// Envoy worker shares one VM). APIs that name topics by id (Fetch v13+, Produce v13+, ...)
// resolve names here; an id never seen cannot be authorized and is denied.

import { Uuid } from "../protocol/uuid";

// Bounded so that a client cannot grow it without end by asking for made-up topics.
const MAX_TOPICS: i32 = 100000;

const names = new Map<string, string>();

function key(id: Uuid): string { return id.hi.toString() + ":" + id.lo.toString(); }

export function learnTopicId(id: Uuid, name: string | null): void {
  if (name == null || id.isZero()) return;
  const k = key(id);
  if (names.size >= MAX_TOPICS && !names.has(k)) return;
  names.set(k, name);
}

/** The topic's name, or null when this VM has not seen the id in a Metadata response. */
export function topicName(id: Uuid): string | null {
  const k = key(id);
  return names.has(k) ? names.get(k) : null;
}
