// Broker address rewriting for multi-broker clusters behind one Envoy, as Envoy's own Kafka
// broker filter offers it: every response that tells a client where brokers are (Metadata,
// FindCoordinator, DescribeCluster) names, for each broker id, the Envoy listener that fronts
// that broker instead of the broker's own address.

import { Message } from "../protocol/message";
import { MetadataResponseData } from "../messages/MetadataResponse";
import { FindCoordinatorResponseData } from "../messages/FindCoordinatorResponse";
import { DescribeClusterResponseData } from "../messages/DescribeClusterResponse";

export class BrokerAddress {
  constructor(readonly id: i32, readonly host: string, readonly port: i32) {}
}

export function rewritesAddresses(apiKey: i16): bool {
  return apiKey == 3 || apiKey == 10 || apiKey == 60;
}

function find(rules: Array<BrokerAddress>, id: i32): BrokerAddress | null {
  for (let i = 0; i < rules.length; i++) if (unchecked(rules[i]).id == id) return unchecked(rules[i]);
  return null;
}

/** Rewrites broker addresses in place; true if anything changed. */
export function rewriteBrokerAddresses(apiKey: i16, body: Message, rules: Array<BrokerAddress>): bool {
  let changed = false;
  if (apiKey == 3) {
    const m = changetype<MetadataResponseData>(body);
    for (let i = 0; i < m.brokers.length; i++) {
      const b = unchecked(m.brokers[i]);
      const r = find(rules, b.nodeId);
      if (r != null && (b.host != r.host || b.port != r.port)) { b.host = r.host; b.port = r.port; changed = true; }
    }
  } else if (apiKey == 10) {
    const f = changetype<FindCoordinatorResponseData>(body);
    const r = find(rules, f.nodeId);
    if (r != null && f.errorCode == 0 && (f.host != r.host || f.port != r.port)) { f.host = r.host; f.port = r.port; changed = true; }
    for (let i = 0; i < f.coordinators.length; i++) {
      const c = unchecked(f.coordinators[i]);
      const rc = find(rules, c.nodeId);
      if (rc != null && c.errorCode == 0 && (c.host != rc.host || c.port != rc.port)) { c.host = rc.host; c.port = rc.port; changed = true; }
    }
  } else if (apiKey == 60) {
    const d = changetype<DescribeClusterResponseData>(body);
    for (let i = 0; i < d.brokers.length; i++) {
      const b = unchecked(d.brokers[i]);
      const r = find(rules, b.brokerId);
      if (r != null && (b.host != r.host || b.port != r.port)) { b.host = r.host; b.port = r.port; changed = true; }
    }
  }
  return changed;
}
