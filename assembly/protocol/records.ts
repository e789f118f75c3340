// Record-batch headers (magic v2) read in place, without decompressing: enough for limits
// (sizes, compression) and stats (record counts) on the Produce and Fetch paths.
//
// Layout (bytes): baseOffset 8, batchLength 4, partitionLeaderEpoch 4, magic 1, crc 4,
// attributes 2, lastOffsetDelta 4, baseTimestamp 8, maxTimestamp 8, producerId 8,
// producerEpoch 2, baseSequence 4, recordCount 4, then the records.
//
// Over a frame decided in place (in-place.ts) only the headers read here are fetched.

import { makeReadable } from "./in-place";

export const BATCH_HEADER_BYTES: i32 = 61;
const LOG_OVERHEAD: i32 = 12; // baseOffset + batchLength
const MAGIC_OFFSET: i32 = 16;
const ATTRIBUTES_OFFSET: i32 = 21;
/** The smallest batch length Kafka reads (LegacyRecord.RECORD_OVERHEAD_V0); less is corrupt. */
const MIN_RECORD_SIZE: i32 = 14;
const RECORD_COUNT_OFFSET: i32 = 57;

/** What the batch headers of one records field say. */
export class BatchSummary {
  batches: i32 = 0;
  records: i64 = 0;
  /** Bytes of the complete batches. */
  bytes: i64 = 0;
  largestBatch: i32 = 0;
  /** Bit n set when a batch uses compression codec n (attributes & 7: 0 none .. 4 zstd). */
  codecs: u32 = 0;
  transactional: bool = false;
  control: bool = false;
  /** Bytes after the last complete batch: normal at the end of a Fetch response, not in a Produce. */
  trailingBytes: i32 = 0;
  /** Why the walk stopped before the end; the text (error) is made only when asked for. */
  problem: BatchProblem = BatchProblem.None;
  /** The stopping batch's offset in the records, and its magic or length. */
  problemAt: i32 = 0;
  problemValue: i32 = 0;

  /**
   * Empty unless a batch header is malformed (magic other than 2, negative length) or could
   * not be read. Made on demand: a walk of a response read as it arrives stops at a header not
   * arrived yet at most reads, and nothing reads why.
   */
  get error(): string {
    if (this.problem == BatchProblem.None) return "";
    const at = "record batch at offset " + this.problemAt.toString();
    switch (this.problem) {
      case BatchProblem.Unreadable: return at + ": its header could not be read from the host's buffer";
      case BatchProblem.Magic: return at + " has magic " + this.problemValue.toString() + ", not 2";
      case BatchProblem.Length: return at + " has length " + this.problemValue.toString();
      default: return "";
    }
  }

  /** Records why the walk stops here (summarizeBatches). */
  stop(problem: BatchProblem, at: i32, value: i32 = 0): BatchSummary {
    this.problem = problem;
    this.problemAt = at;
    this.problemValue = value;
    return this;
  }
}

export enum BatchProblem { None, Unreadable, Magic, Length }

function int32At(b: Uint8Array, at: i32): i32 {
  return (<i32>unchecked(b[at]) << 24) | (<i32>unchecked(b[at + 1]) << 16) | (<i32>unchecked(b[at + 2]) << 8) | <i32>unchecked(b[at + 3]);
}

@inline function headerReadable(buf: Uint8Array, at: i32): bool {
  return makeReadable(buf.dataStart + <usize>at, <usize>BATCH_HEADER_BYTES);
}

/** The records field's bytes `buf[start, end)`; `end` -1 for the end of `buf`, which holds them. */
function endOf(buf: Uint8Array, end: i32): i32 { return end < 0 ? buf.length : min(end, buf.length); }

/**
 * Whether the first batch is transactional: what Kafka's produce path looks at, without
 * walking the rest (a v3+ Produce carries one batch per partition).
 */
export function firstBatchIsTransactional(buf: Uint8Array | null, start: i32 = 0, end: i32 = -1): bool {
  // As Kafka's batch iterator reads the first batch (ByteBufferLogInputStream): a length of at
  // least 14 bytes whose batch is all there, magic 2; then its attributes, however short the
  // rest of the header (a shorter batch fails later, but its flag has been read).
  if (buf == null || start < 0) return false;
  const n = endOf(buf, end);
  if (n - start < LOG_OVERHEAD + MIN_RECORD_SIZE || !makeReadable(buf.dataStart + <usize>start, <usize>(ATTRIBUTES_OFFSET + 2))) return false;
  const size = int32At(buf, start + 8);
  if (size < MIN_RECORD_SIZE || size > n - start - LOG_OVERHEAD) return false;
  if (<i32>unchecked(buf[start + MAGIC_OFFSET]) != 2) return false;
  return (<i32>unchecked(buf[start + ATTRIBUTES_OFFSET + 1]) & 0x10) != 0;
}

/**
 * Walks the batches of the records in `buf[start, end)` (null counts as none), in place: the
 * records are read where they lie in the frame, never copied. Never reads outside the range.
 * `into` is reset and filled (the allow path reuses one).
 */
export function summarizeBatches(buf: Uint8Array | null, start: i32 = 0, end: i32 = -1, into: BatchSummary = new BatchSummary()): BatchSummary {
  const s = into;
  s.batches = 0;
  s.records = 0;
  s.bytes = 0;
  s.largestBatch = 0;
  s.codecs = 0;
  s.transactional = false;
  s.control = false;
  s.trailingBytes = 0;
  s.problem = BatchProblem.None;
  if (buf == null || start < 0) return s;
  const n = endOf(buf, end);
  let at = min(start, n);
  while (n - at >= BATCH_HEADER_BYTES) {
    if (!headerReadable(buf, at)) return s.stop(BatchProblem.Unreadable, at - start);
    const batchLength = int32At(buf, at + 8);
    const magic = <i32>unchecked(buf[at + MAGIC_OFFSET]);
    if (magic != 2) return s.stop(BatchProblem.Magic, at - start, magic);
    if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD) return s.stop(BatchProblem.Length, at - start, batchLength);
    // A partial batch: Fetch responses may end with one. (Compared before adding, so a length
    // near 2^31 cannot wrap.)
    if (batchLength > n - at - LOG_OVERHEAD) break;
    const size = LOG_OVERHEAD + batchLength;
    const attributes = (<i32>unchecked(buf[at + ATTRIBUTES_OFFSET]) << 8) | <i32>unchecked(buf[at + ATTRIBUTES_OFFSET + 1]);
    s.batches++;
    s.records += <i64>max(0, int32At(buf, at + RECORD_COUNT_OFFSET));
    s.bytes += size;
    if (size > s.largestBatch) s.largestBatch = size;
    s.codecs |= 1 << <u32>(attributes & 7);
    if ((attributes & 0x10) != 0) s.transactional = true;
    if ((attributes & 0x20) != 0) s.control = true;
    at += size;
  }
  s.trailingBytes = n - at;
  return s;
}
