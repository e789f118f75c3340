// The non-ACL parts of a policy: per-topic produce limits, CreateTopics limits, and which
// Kafka APIs may pass at all. Loaded and validated by Policy.load (policy.ts).

import { apiName } from "../messages/apis";
import { join } from "../runtime/strings";

/** Kafka's record batch compression codecs (attributes & 7), as CompressionType ids. */
export enum Codec { None = 0, Gzip = 1, Snappy = 2, Lz4 = 3, Zstd = 4 }

const CODEC_NAMES: StaticArray<string> = ["none", "gzip", "snappy", "lz4", "zstd"];

export function codecName(codec: i32): string {
  return <u32>codec < <u32>CODEC_NAMES.length ? unchecked(CODEC_NAMES[codec]) : "codec " + codec.toString();
}

/** "gzip" (case-insensitive) to its id; -1 when unknown. */
export function parseCodec(name: string): i32 {
  const lower = name.toLowerCase();
  for (let i = 0; i < CODEC_NAMES.length; i++) {
    if (unchecked(CODEC_NAMES[i]) == lower) return i;
  }
  return -1;
}

/** What a produce limit requires of a batch's compression. */
export enum CompressionRule { Any = 0, Required = 1, Forbidden = 2 }

/** Sentinel of ProduceLimit.requiredAcks: no requirement. */
export const ACKS_ANY: i32 = i32.MIN_VALUE;

/** One entry of "limits.produce". Unset numeric limits are -1 / ACKS_ANY. */
export class ProduceLimit {
  /** Position in "limits.produce". */
  index: i32 = 0;
  topic: string = "";
  /** PatternType.Literal (3) or PatternType.Prefixed (4). */
  patternType: i32 = 3;
  /** Largest record batch in bytes; -1 for no limit. */
  maxBatchBytes: i32 = -1;
  /** The acks a request must carry (-1, 0 or 1), or ACKS_ANY. */
  requiredAcks: i32 = ACKS_ANY;
  compression: CompressionRule = CompressionRule.Any;
  /** Bit i set: codec i allowed for compressed batches. 0 means any codec. */
  allowedCodecMask: u32 = 0;

  /** The codec list as configured ("zstd,lz4"), for messages. */
  allowedCodecList(): string {
    const parts = new Array<string>();
    for (let c = 1; c < CODEC_NAMES.length; c++) {
      if ((this.allowedCodecMask & (1 << c)) != 0) parts.push(unchecked(CODEC_NAMES[c]));
    }
    return join(parts, ", ");
  }
}

/**
 * The produce limits, indexed by topic pattern. Exactly one limit applies to a topic, the
 * most specific: a LITERAL limit naming it, else the longest matching PREFIXED limit, else
 * the LITERAL "*" limit, else none.
 */
export class ProduceLimits {
  readonly all: Array<ProduceLimit> = new Array<ProduceLimit>();
  private literal: Map<string, ProduceLimit> = new Map<string, ProduceLimit>();
  /** Longest prefix first, so the first match is the most specific. */
  private prefixed: Array<ProduceLimit> = new Array<ProduceLimit>();
  private wildcard: ProduceLimit | null = null;

  /** The index of each limit by its pattern: a config of 40,000 limits loaded in 17 s scanning them all. */
  private byPattern: Map<string, i32> = new Map<string, i32>();

  /** Adds a limit; returns the index of an earlier limit with the same pattern, or -1. */
  add(limit: ProduceLimit): i32 {
    this.lastTopic = null;
    const pattern = limit.patternType.toString() + ":" + limit.topic;
    if (this.byPattern.has(pattern)) return this.byPattern.get(pattern);
    this.byPattern.set(pattern, limit.index);
    this.all.push(limit);
    if (limit.patternType == 4) {
      // Insert keeping longer prefixes first (stable: equal lengths keep config order).
      const p = this.prefixed;
      p.push(limit);
      let i = p.length - 1;
      while (i > 0 && unchecked(p[i - 1]).topic.length < limit.topic.length) {
        unchecked(p[i] = p[i - 1]);
        i--;
      }
      unchecked(p[i] = limit);
    } else if (limit.topic == "*") {
      this.wildcard = limit;
    } else {
      this.literal.set(limit.topic, limit);
    }
    return -1;
  }

  // The last topic looked up: a Produce asks once per partition, with the same string for each
  // partition of a topic (so the comparison ends at the strings' identity).
  private lastTopic: string | null = null;
  private lastLimit: ProduceLimit | null = null;

  /** The limit that applies to `topic`, or null. Allocates nothing. */
  find(topic: string): ProduceLimit | null {
    if (topic === this.lastTopic) return this.lastLimit;
    const l = this.lookUp(topic);
    this.lastTopic = topic;
    this.lastLimit = l;
    return l;
  }

  private lookUp(topic: string): ProduceLimit | null {
    if (this.literal.has(topic)) return this.literal.get(topic);
    const p = this.prefixed;
    for (let i = 0, n = p.length; i < n; i++) {
      const l = unchecked(p[i]);
      if (topic.startsWith(l.topic)) return l;
    }
    return this.wildcard;
  }
}

/** "limits.createTopics". Unset bounds are -1. */
export class CreateTopicLimits {
  minPartitions: i32 = -1;
  maxPartitions: i32 = -1;
  minReplicationFactor: i32 = -1;
  maxReplicationFactor: i32 = -1;
  /**
   * The broker's num.partitions and default.replication.factor, as the operator states them:
   * a request that leaves a value to the broker (-1) is checked with the broker's, as Kafka's
   * own CreateTopicPolicy sees it. -1 when not stated: such a request is not checked.
   */
  brokerDefaultPartitions: i32 = -1;
  brokerDefaultReplicationFactor: i32 = -1;
  /** "" for any name. */
  topicNameGlob: string = "";
}

/** "limits.apis": an allow list or a deny list of API keys. */
export class ApiFilter {
  /** true: only listed APIs pass; false: listed APIs are refused. */
  readonly allowList: bool;
  private keys: Set<i32> = new Set<i32>();

  constructor(allowList: bool) { this.allowList = allowList; }

  add(apiKey: i32): void { this.keys.add(apiKey); }

  allows(apiKey: i32): bool { return this.keys.has(apiKey) == this.allowList; }

  /** The listed APIs' names (or keys when unnamed), for messages. */
  describe(): string {
    const ks = this.keys.values();
    ks.sort();
    const parts = new Array<string>();
    for (let i = 0; i < ks.length; i++) {
      const name = apiName(<i16>unchecked(ks[i]));
      parts.push(name != null ? name : unchecked(ks[i]).toString());
    }
    return (this.allowList ? "allow " : "deny ") + join(parts, ", ");
  }
}

/**
 * Glob match of a whole string: '*' matches any run of characters (also empty, also '.'),
 * '?' matches exactly one, every other character matches itself. No escapes, no classes.
 * Linear backtracking on the last '*': O(|glob| * |s|) time, no allocation, no recursion.
 */
export function globMatch(glob: string, s: string): bool {
  const gl = glob.length;
  const sl = s.length;
  let g = 0;
  let i = 0;
  let starG = -1;
  let starI = 0;
  while (i < sl) {
    if (g < gl) {
      const c = glob.charCodeAt(g);
      if (c == 0x2a) { // *
        starG = g++;
        starI = i;
        continue;
      }
      if (c == 0x3f || c == s.charCodeAt(i)) { // ? or the same character
        g++;
        i++;
        continue;
      }
    }
    if (starG < 0) return false;
    g = starG + 1;
    i = ++starI;
  }
  while (g < gl && glob.charCodeAt(g) == 0x2a) g++;
  return g == gl;
}
