// What operators see of the policy: one log line per denial, counters per denial reason, and
// bytes/records produced and fetched per topic with a bounded number of topic names.

import { defineCounter, addCounter, info } from "../runtime/host";
import { Session } from "./session";

const counters = new Map<string, u32>();

/** A counter by name, defined on first use (Envoy deduplicates names across VMs). */
export function counter(name: string): u32 {
  if (counters.has(name)) return counters.get(name);
  const id = defineCounter(name);
  counters.set(name, id);
  return id;
}

export function count(name: string, by: i64 = 1): void { addCounter(counter(name), by); }

export function logDenial(s: Session, api: string, resource: string, reason: string, error: string): void {
  count("kafka.denials_total");
  count("kafka.denied." + error);
  info("kafka filter: denied " + api + " principal=" + s.principal + " client_id=" + s.clientId
    + " host=" + s.host + " resource=" + resource + " reason=\"" + reason + "\" error=" + error);
}

// Topic names come from clients: past the limit, further topics share one "_other" series.
let topicLimit: i32 = 100;
const topicsWithStats = new Set<string>();

export function setTopicStatsLimit(n: i32): void { topicLimit = n; }

function topicLabel(topic: string): string {
  if (topicsWithStats.has(topic)) return topic;
  if (topicsWithStats.size < topicLimit) {
    topicsWithStats.add(topic);
    return topic;
  }
  return "_other";
}

/** Adds to kafka.topic.<topic>.<what>_bytes and _records (what: "produce" or "fetch"). */
export function countTopic(topic: string, what: string, bytes: i64, records: i64): void {
  if (topicLimit <= 0) return;
  const label = topicLabel(topic);
  count("kafka.topic." + label + "." + what + "_bytes", bytes);
  count("kafka.topic." + label + "." + what + "_records", records);
}
