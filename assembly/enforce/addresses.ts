// Broker address rewriting for multi-broker clusters behind one Envoy, as Envoy's own Kafka
// broker filter offers it: every response that tells a client where brokers are (Metadata,
// FindCoordinator, DescribeCluster, and since KIP-951 the leaders' endpoints of Produce, Fetch,
// ShareFetch and ShareAcknowledge answers) names, for each broker id, the Envoy listener that
// fronts that broker instead of the broker's own address. Kafka's Java client takes a leader's
// endpoint over the address it had for that id (Metadata.updatePartitionLeadership), so one
// endpoint left as the broker wrote it sends the client past Envoy.

import { Message } from "../protocol/message";
import { Reader } from "../protocol/reader";
import { Writer } from "../protocol/writer";
import { EntityKind, EntityWalk } from "../protocol/walk";
import { responseHeaderVersion } from "../messages/apis";
import { ResponseHeaderData } from "../messages/ResponseHeader";
import { MetadataResponseBroker, MetadataResponseData } from "../messages/MetadataResponse";
import { FindCoordinatorResponseData } from "../messages/FindCoordinatorResponse";
import { DescribeClusterResponseData } from "../messages/DescribeClusterResponse";
import { ProduceResponseData } from "../messages/ProduceResponse";
import { FetchResponseData } from "../messages/FetchResponse";
import { ShareFetchResponseData } from "../messages/ShareFetchResponse";
import { ShareAcknowledgeResponseData } from "../messages/ShareAcknowledgeResponse";

export class BrokerAddress {
  constructor(readonly id: i32, readonly host: string, readonly port: i32) {}
}

/** Whether answers of this API at this version may name brokers' addresses. */
export function rewritesAddresses(apiKey: i16, version: i16): bool {
  switch (apiKey) {
    case 3: case 10: case 60: case 78: case 79: return true;
    case 0: return version >= 10; // NodeEndpoints (KIP-951)
    case 1: return version >= 16;
    default: return false;
  }
}

/** Whether the answers of this API name brokers only as leaders' endpoints (EntityKind.Endpoint in their views). */
export function namesEndpoints(apiKey: i16): bool {
  return apiKey == 0 || apiKey == 1 || apiKey == 78 || apiKey == 79;
}

function find(rules: Array<BrokerAddress>, id: i32): BrokerAddress | null {
  for (let i = 0; i < rules.length; i++) if (unchecked(rules[i]).id == id) return unchecked(rules[i]);
  return null;
}

/** Metadata's brokers or a leader's endpoints: each class has nodeId, host and port. */
function readdressNodes<T>(nodes: Array<T>, rules: Array<BrokerAddress>): bool {
  let changed = false;
  for (let i = 0; i < nodes.length; i++) {
    const b = unchecked(nodes[i]);
    const r = find(rules, b.nodeId);
    if (r != null && (b.host != r.host || b.port != r.port)) { b.host = r.host; b.port = r.port; changed = true; }
  }
  return changed;
}

/** Rewrites broker addresses in place; true if anything changed. */
export function rewriteBrokerAddresses(apiKey: i16, body: Message, rules: Array<BrokerAddress>): bool {
  let changed = false;
  if (apiKey == 3) {
    changed = readdressNodes(changetype<MetadataResponseData>(body).brokers, rules);
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
  } else if (apiKey == 0) {
    changed = readdressNodes(changetype<ProduceResponseData>(body).nodeEndpoints, rules);
  } else if (apiKey == 1) {
    changed = readdressNodes(changetype<FetchResponseData>(body).nodeEndpoints, rules);
  } else if (apiKey == 78) {
    changed = readdressNodes(changetype<ShareFetchResponseData>(body).nodeEndpoints, rules);
  } else if (apiKey == 79) {
    changed = readdressNodes(changetype<ShareAcknowledgeResponseData>(body).nodeEndpoints, rules);
  }
  return changed;
}

/**
 * Whether a leader's endpoint the view of an answer walked (`w` over `frame`) has an address
 * `rules` rewrite. Few answers have any (a partition whose leader moved): only those are
 * decoded and written again.
 */
export function endpointsToReaddress(frame: Uint8Array, w: EntityWalk, rules: Array<BrokerAddress>): bool {
  const r = reader.over(frame);
  let found = false;
  for (let i = 0; i < w.count && !found && !r.failed; i++) {
    if (<EntityKind>unchecked(w.kind[i]) != EntityKind.Endpoint) continue;
    // NodeId, Host, Port: every version with endpoints is flexible.
    r.pos = unchecked(w.start[i]);
    const rule = find(rules, r.int32("NodeEndpoint.NodeId"));
    if (rule == null) continue;
    const host = r.string("NodeEndpoint.Host", true);
    found = host != rule.host || r.int32("NodeEndpoint.Port") != rule.port;
  }
  // The walk read these bytes already: a failure here is not one to report.
  r.release();
  return found;
}

// Reads the header and brokers of the Metadata answers readdressMetadata splices, and leaders' endpoints.
const reader = new Reader(new Uint8Array(0));

/**
 * A Metadata answer (header and body, no size prefix) with its brokers' addresses rewritten:
 * the brokers array is read and written again, every other byte copied as the broker sent it.
 * The brokers come before the topics, so an answer about thousands of partitions costs what its
 * few brokers do, where decoding it whole cost what all its partitions do. `frame` itself when
 * no address changes; null when the brokers do not read (the caller decodes the answer whole,
 * and says why).
 */
export function readdressMetadata(frame: Uint8Array, version: i16, rules: Array<BrokerAddress>): Uint8Array | null {
  const r = reader.over(frame);
  new ResponseHeaderData().read(r, responseHeaderVersion(3, version));
  if (version >= 3) r.int32("MetadataResponse.ThrottleTimeMs");
  const start = r.pos;
  const flexible = version >= 9;
  const n = r.arrayLength("MetadataResponse.Brokers", flexible, false);
  const brokers = new Array<MetadataResponseBroker>();
  for (let i = 0; i < n && !r.failed; i++) {
    const b = new MetadataResponseBroker();
    b.read(r, version);
    brokers.push(b);
  }
  const end = r.pos;
  const failed = r.failed;
  r.release();
  if (failed) return null;
  if (!readdressNodes(brokers, rules)) return frame;
  const w = new Writer(frame.length + 64 * brokers.length);
  w.raw(frame.subarray(0, start));
  w.length(brokers.length, flexible, true);
  for (let i = 0; i < brokers.length; i++) unchecked(brokers[i]).write(w, version);
  w.raw(frame.subarray(end));
  return w.failed ? null : w.bytes();
}
