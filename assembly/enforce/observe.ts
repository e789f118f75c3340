// What operators see of the policy: one log line per denial, counters per denial reason, and
// bytes/records produced and fetched per topic with a bounded number of topic names.

import { defineCounter, addCounter, info, printable } from "../runtime/host";
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
  // Principal, client id, resource names and reasons come from the wire: escaped and capped.
  info("kafka filter: denied " + api + " principal=" + printable(s.principal) + " client_id=" + printable(s.clientId)
    + " host=" + s.host + " resource=" + printable(resource, 300) + " reason=\"" + printable(reason, 300) + "\" error=" + error);
}

// Topic names come from clients: past the limit, further topics share one "_other" series.
// Counter ids are kept per topic so the per-request path builds no stat names.
let topicLimit: i32 = 100;

class TopicCounters {
  produceBytes: u32;
  produceRecords: u32;
  fetchBytes: u32;
  fetchRecords: u32;
  constructor(label: string) {
    const prefix = "kafka.topic." + label + ".";
    this.produceBytes = counter(prefix + "produce_bytes");
    this.produceRecords = counter(prefix + "produce_records");
    this.fetchBytes = counter(prefix + "fetch_bytes");
    this.fetchRecords = counter(prefix + "fetch_records");
  }
}

const topicCounters = new Map<string, TopicCounters>();
let otherTopics: TopicCounters | null = null;

export function setTopicStatsLimit(n: i32): void { topicLimit = n; }

function countersFor(topic: string): TopicCounters {
  if (topicCounters.has(topic)) return topicCounters.get(topic);
  if (topicCounters.size < topicLimit) {
    const c = new TopicCounters(topic);
    topicCounters.set(topic, c);
    return c;
  }
  let other = otherTopics;
  if (other == null) otherTopics = other = new TopicCounters("_other");
  return other;
}

export function countProduced(topic: string, bytes: i64, records: i64): void {
  if (topicLimit <= 0) return;
  const c = countersFor(topic);
  addCounter(c.produceBytes, bytes);
  addCounter(c.produceRecords, records);
}

export function countFetched(topic: string, bytes: i64, records: i64): void {
  if (topicLimit <= 0) return;
  const c = countersFor(topic);
  addCounter(c.fetchBytes, bytes);
  addCounter(c.fetchRecords, records);
}
