// Counters in Envoy's stats: every name starts with "kafka.". Envoy puts custom Wasm stats in
// its "wasmcustom" namespace: admin /stats lists them as wasmcustom.kafka.requests.produce,
// /stats/prometheus as kafka_requests_produce (both checked in Envoy 1.40). Ids are per VM (one per worker thread);
// values are per name, shared by all VMs.

import { defineCounter, addCounter } from "../runtime/host";
import { apiName as kafkaApiName } from "../messages/apis";
import { join } from "../runtime/strings";

/** Kafka's API name in stat form: "ListOffsets" -> "list_offsets"; "unknown" for other keys. */
function statName(apiKey: i32): string {
  const name = apiKey >= i16.MIN_VALUE && apiKey <= i16.MAX_VALUE ? kafkaApiName(<i16>apiKey) : null;
  if (name == null) return "unknown";
  const out = new Array<string>();
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    if (upper && i > 0) out.push("_");
    out.push(String.fromCharCode(upper ? c + 32 : c));
  }
  return join(out);
}

/** Api keys up to this get a counter of their own; others share "unknown". */
const MAX_KEYED: i32 = 127;

/** Stat names of the api keys up to MAX_KEYED, made on first use (a refusal names its API's). */
const apiNames = new StaticArray<string | null>(MAX_KEYED + 1);

export function apiName(apiKey: i32): string {
  if (apiKey < 0 || apiKey > MAX_KEYED) return statName(apiKey);
  let name = unchecked(apiNames[apiKey]);
  if (name == null) {
    name = statName(apiKey);
    unchecked(apiNames[apiKey] = name);
  }
  return name;
}

/**
 * One connection's byte counters in one direction (kafka.request_bytes or response_bytes, and
 * the bytes of them read in place), added to Envoy's at frame boundaries, once TALLY_FLUSH_BYTES
 * have built up, and at close, instead of at every read: a 1 MiB frame arrives in 8 to 64
 * reads, and each increment is a host call. The bound keeps a busy connection whose reads
 * rarely end between frames (pipelined fetches) from showing nothing for long.
 */
export class ByteTally {
  bytes: i64 = 0;
  readInPlace: i64 = 0;

  constructor(private readonly bytesCounter: u32, private readonly inPlaceCounter: u32) {}

  /** `n` more bytes; added to Envoy's counter now if enough have built up. Inlined: once per read. */
  // @ts-ignore: decorator
  @inline count(n: i64): void {
    this.bytes += n;
    if (this.bytes >= TALLY_FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.bytes > 0) addCounter(this.bytesCounter, this.bytes);
    if (this.readInPlace > 0) addCounter(this.inPlaceCounter, this.readInPlace);
    this.bytes = 0;
    this.readInPlace = 0;
  }
}

const TALLY_FLUSH_BYTES: i64 = 1 << 20;

/** Fixed counters, defined once per VM on first use. */
export class Stats {
  connections: u32 = defineCounter("kafka.connections");
  requests: u32 = defineCounter("kafka.requests_total");
  responses: u32 = defineCounter("kafka.responses_total");
  requestBytes: u32 = defineCounter("kafka.request_bytes");
  /** Request frames left in Envoy's buffer until whole (filter.inEnvoyFrameBytes), not held in the VM. */
  framesInEnvoy: u32 = defineCounter("kafka.request_frames_in_envoy");
  /** Produce requests and Fetch responses decided in place (filter.inPlaceFrameBytes): their records never read into the VM. */
  requestFramesInPlace: u32 = defineCounter("kafka.request_frames_in_place");
  responseFramesInPlace: u32 = defineCounter("kafka.response_frames_in_place");
  /** Bytes of those frames the VM read (headers, names, batch headers): compare with kafka.request_bytes / response_bytes. */
  requestBytesReadInPlace: u32 = defineCounter("kafka.request_bytes_read_in_place");
  responseBytesReadInPlace: u32 = defineCounter("kafka.response_bytes_read_in_place");
  /** Fetch responses read as they arrive whose walks grew costly (many reads): copied from then on. */
  responseFramesInPlaceCopied: u32 = defineCounter("kafka.response_frames_in_place_copied");
  /** Requests that waited in Envoy's buffer for an answer (external decisions). */
  requestsWaited: u32 = defineCounter("kafka.requests_waited");
  responseBytes: u32 = defineCounter("kafka.response_bytes");
  decodeErrors: u32 = defineCounter("kafka.decode_errors");
  /** Responses that were not the answer to the oldest waiting request: each closes its connection. */
  unmatchedResponses: u32 = defineCounter("kafka.unmatched_responses");
  framesReplaced: u32 = defineCounter("kafka.frames_replaced");
  responsesSynthesized: u32 = defineCounter("kafka.responses_synthesized");
  /** Responses the policy learns from (topic ids, fetched bytes) sent on unread: their copy exceeded filter.maxBufferedBytes. */
  responsesUnobserved: u32 = defineCounter("kafka.responses_unobserved");
  closedByFilter: u32 = defineCounter("kafka.connections_closed_by_filter");
  /** Connections closed for having filter.maxInFlight requests waiting and sending one more. */
  inFlightOverflow: u32 = defineCounter("kafka.in_flight_limit_closed");
  /** Connections closed because their held bytes would exceed filter.maxBufferedBytes. */
  bufferBudgetClosed: u32 = defineCounter("kafka.buffer_budget_closed");
  /** Connections closed for sending out of turn around raw SASL (SaslHandshake v0). */
  saslOrderClosed: u32 = defineCounter("kafka.sasl_order_closed");
  /** Connections closed for a request frame left incomplete past filter.frameTimeoutMs. */
  frameTimeoutClosed: u32 = defineCounter("kafka.frame_timeout_closed");

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
    const known = statName(apiKey);
    const name = known != "unknown" ? known : slot <= MAX_KEYED ? "api_key_" + apiKey.toString() : "unknown";
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
