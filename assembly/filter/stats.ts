// Counters in Envoy's stats: every name starts with "kafka.". Envoy puts custom Wasm stats in
// its "wasmcustom" namespace: admin /stats lists them as wasmcustom.kafka.requests.produce,
// /stats/prometheus as kafka_requests_produce (both checked in Envoy 1.40). Ids are per VM (one per worker thread);
// values are per name, shared by all VMs.

import { defineCounter, addCounter } from "../runtime/host";

/** Stat-name form of the api keys Kafka 4.4 defines (index = api key). */
const API_NAMES: StaticArray<string> = [
  "produce", "fetch", "list_offsets", "metadata", "leader_and_isr", "stop_replica",
  "update_metadata", "controlled_shutdown", "offset_commit", "offset_fetch", "find_coordinator",
  "join_group", "heartbeat", "leave_group", "sync_group", "describe_groups", "list_groups",
  "sasl_handshake", "api_versions", "create_topics", "delete_topics", "delete_records",
  "init_producer_id", "offset_for_leader_epoch", "add_partitions_to_txn", "add_offsets_to_txn",
  "end_txn", "write_txn_markers", "txn_offset_commit", "describe_acls", "create_acls",
  "delete_acls", "describe_configs", "alter_configs", "alter_replica_log_dirs",
  "describe_log_dirs", "sasl_authenticate", "create_partitions", "create_delegation_token",
  "renew_delegation_token", "expire_delegation_token", "describe_delegation_token",
  "delete_groups", "elect_leaders", "incremental_alter_configs", "alter_partition_reassignments",
  "list_partition_reassignments", "offset_delete", "describe_client_quotas",
  "alter_client_quotas", "describe_user_scram_credentials", "alter_user_scram_credentials",
  "vote", "begin_quorum_epoch", "end_quorum_epoch", "describe_quorum", "alter_partition",
  "update_features", "envelope", "fetch_snapshot", "describe_cluster", "describe_producers",
  "broker_registration", "broker_heartbeat", "unregister_broker", "describe_transactions",
  "list_transactions", "allocate_producer_ids", "consumer_group_heartbeat",
  "consumer_group_describe", "controller_registration", "get_telemetry_subscriptions",
  "push_telemetry", "assign_replicas_to_dirs", "list_config_resources",
  "describe_topic_partitions", "share_group_heartbeat", "share_group_describe", "share_fetch",
  "share_acknowledge", "add_raft_voter", "remove_raft_voter", "update_raft_voter",
  "initialize_share_group_state", "read_share_group_state", "write_share_group_state",
  "delete_share_group_state", "read_share_group_state_summary", "streams_group_heartbeat",
  "streams_group_describe", "describe_share_group_offsets", "alter_share_group_offsets",
  "delete_share_group_offsets", "streams_group_topology_description_update",
  "unregister_controller"
];

/** Api keys up to this get a counter of their own; others share "unknown". */
const MAX_KEYED: i32 = 127;

export function apiName(apiKey: i32): string {
  if (apiKey >= 0 && apiKey < API_NAMES.length) return unchecked(API_NAMES[apiKey]);
  return "unknown";
}

/** Fixed counters, defined once per VM on first use. */
export class Stats {
  connections: u32 = defineCounter("kafka.connections");
  requests: u32 = defineCounter("kafka.requests_total");
  responses: u32 = defineCounter("kafka.responses_total");
  requestBytes: u32 = defineCounter("kafka.request_bytes");
  responseBytes: u32 = defineCounter("kafka.response_bytes");
  decodeErrors: u32 = defineCounter("kafka.decode_errors");
  unmatchedResponses: u32 = defineCounter("kafka.unmatched_responses");
  framesReplaced: u32 = defineCounter("kafka.frames_replaced");
  responsesSynthesized: u32 = defineCounter("kafka.responses_synthesized");
  closedByFilter: u32 = defineCounter("kafka.connections_closed_by_filter");
  inFlightEvicted: u32 = defineCounter("kafka.in_flight_evicted");

  // Per api key, defined lazily: index 0..MAX_KEYED, MAX_KEYED+1 = unknown.
  private perRequest: StaticArray<u32> = new StaticArray<u32>(MAX_KEYED + 2);
  private perResponse: StaticArray<u32> = new StaticArray<u32>(MAX_KEYED + 2);

  request(apiKey: i32): void {
    addCounter(this.requests, 1);
    addCounter(keyed(this.perRequest, "kafka.requests.", apiKey), 1);
  }

  response(apiKey: i32): void {
    addCounter(this.responses, 1);
    addCounter(keyed(this.perResponse, "kafka.responses.", apiKey), 1);
  }
}

function keyed(ids: StaticArray<u32>, prefix: string, apiKey: i32): u32 {
  const slot = apiKey >= 0 && apiKey <= MAX_KEYED ? apiKey : MAX_KEYED + 1;
  let id = unchecked(ids[slot]);
  if (id == 0) {
    const name = apiKey >= 0 && apiKey < API_NAMES.length ? unchecked(API_NAMES[apiKey])
      : slot <= MAX_KEYED ? "api_key_" + apiKey.toString() : "unknown";
    id = defineCounter(prefix + name);
    unchecked(ids[slot] = id);
  }
  return id;
}

let stats: Stats | null = null;

export function getStats(): Stats {
  let s = stats;
  if (s == null) stats = s = new Stats();
  return s;
}

export { addCounter };
