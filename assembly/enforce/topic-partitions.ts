// Partition counts of the topics a streams topology reads. A streams group's heartbeat
// (KIP-1071) leaves the partition counts of most internal topics to the broker, which derives
// them from the topology's source topics; limits.createTopics bounds partitions, so the filter
// must know those counts to judge the topics the broker would create. It asks the broker: a
// Metadata request by name sent ahead of the member's heartbeat on its own connection, whose
// answer only the filter reads (as topic-ids.ts asks for ids), while the heartbeat is answered
// COORDINATOR_LOAD_IN_PROGRESS, which a member retries after its backoff. The retry, on the
// same connection and so in the same VM, is judged with the counts the answer taught.
//
// Only the names asked about are learnt (every topic of every Metadata answer would be tens of
// thousands of strings for the collector to visit), and a count is trusted for FRESH_NS: a
// topic can gain partitions, and a member joining later asks again.

import { MetadataRequestTopic } from "../messages/MetadataRequest";
import { metadataLookup } from "./topic-ids";

const FRESH_NS: i64 = 10_000_000_000;
/** Names kept at most; past them the table starts over (a topology names a few dozen). */
const MAX_NAMES: i32 = 10000;
/**
 * Names one lookup asks at most: a hostile topology can name hundreds of thousands of sources,
 * each a name in the filter's request to the broker and in the answer to the member. The
 * member's retries ask the rest, the counts learnt before kept (FRESH_NS).
 */
export const MAX_COUNTS_ASKED: i32 = 1000;

class Count {
  /** -1: not answered yet; 0: the broker named no partitions (no such topic, or not for the filter). */
  partitions: i32 = -1;
  atNs: i64 = 0;
}

const asked = new Map<string, Count>();
/**
 * Entries of `asked` waiting for an answer (partitions -1). Metadata answers are read for
 * counts only while some are: reading one decodes each topic's name, which a VM serving
 * listings of thousands of topics must not pay for ever after one member asked once.
 */
let waiting: i32 = 0;

/** Whether a Metadata answer may teach a count someone waits for (learnFromResponse's test). */
export function partitionCountsWanted(): bool { return waiting > 0; }

/**
 * The topic's partition count, learnt within FRESH_NS before `now`: 0 when the broker named none
 * (the topic does not exist); -1 when not learnt (it is wanted from now on).
 */
export function freshPartitionCount(name: string, now: i64): i32 {
  if (asked.has(name)) {
    const c = asked.get(name);
    if (c.partitions >= 0 && now >= c.atNs && now - c.atNs <= FRESH_NS) return c.partitions;
    if (c.partitions >= 0) { // stale: wanted again
      c.partitions = -1;
      waiting++;
    }
    return -1;
  }
  if (asked.size >= MAX_NAMES) {
    asked.clear();
    waiting = 0;
  }
  asked.set(name, new Count());
  waiting++;
  return -1;
}

/** The broker's answer named `partitions` partitions of `name`, 0 for an error (kept only when asked about). */
export function learnPartitionCount(name: string, partitions: i32, now: i64): void {
  if (partitions < 0 || !asked.has(name)) return;
  const c = asked.get(name);
  if (c.partitions < 0) waiting--;
  c.partitions = partitions;
  c.atNs = now;
}

/**
 * Forgets what was learnt of `name`: a DeleteTopics named it. A streams heartbeat whose group's
 * topology has it looks it up again rather than trust, for FRESH_NS, that it exists (a client
 * that may delete it would have the broker create it again, unjudged, within that time).
 */
export function forgetPartitionCount(name: string): void {
  if (!asked.has(name)) return;
  if (asked.get(name).partitions < 0) waiting--;
  asked.delete(name);
}

/** The Metadata request (whole message, without size prefix) that asks for `names`; null if it cannot be encoded. */
export function partitionCountLookup(names: Array<string>, correlationId: i32, clientId: string | null): Uint8Array | null {
  const topics = new Array<MetadataRequestTopic>();
  for (let i = 0; i < names.length; i++) {
    const t = new MetadataRequestTopic();
    t.name = unchecked(names[i]);
    topics.push(t);
  }
  return metadataLookup(topics, correlationId, clientId);
}
