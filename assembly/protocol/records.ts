// Record-batch headers (magic v2) read in place, without decompressing: enough for limits
// (sizes, compression) and stats (record counts) on the Produce and Fetch paths.
//
// Layout (bytes): baseOffset 8, batchLength 4, partitionLeaderEpoch 4, magic 1, crc 4,
// attributes 2, lastOffsetDelta 4, baseTimestamp 8, maxTimestamp 8, producerId 8,
// producerEpoch 2, baseSequence 4, recordCount 4, then the records.

export const BATCH_HEADER_BYTES: i32 = 61;
const LOG_OVERHEAD: i32 = 12; // baseOffset + batchLength
const MAGIC_OFFSET: i32 = 16;
const ATTRIBUTES_OFFSET: i32 = 21;
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
  /** Empty unless a batch header is malformed (magic other than 2, negative length). */
  error: string = "";
}

function int32At(b: Uint8Array, at: i32): i32 {
  return (<i32>b[at] << 24) | (<i32>b[at + 1] << 16) | (<i32>b[at + 2] << 8) | <i32>b[at + 3];
}

/**
 * Whether the first batch is transactional: what Kafka's produce path looks at, without
 * walking the rest (a v3+ Produce carries one batch per partition).
 */
export function firstBatchIsTransactional(records: Uint8Array | null): bool {
  if (records == null || records.length < BATCH_HEADER_BYTES || <i32>records[MAGIC_OFFSET] != 2) return false;
  return (<i32>records[ATTRIBUTES_OFFSET + 1] & 0x10) != 0;
}

/** Walks the batches of `records` (null counts as none). Never reads past the slice. */
export function summarizeBatches(records: Uint8Array | null): BatchSummary {
  const s = new BatchSummary();
  if (records == null) return s;
  const n = records.length;
  let at = 0;
  while (n - at >= BATCH_HEADER_BYTES) {
    const batchLength = int32At(records, at + 8);
    const magic = <i32>records[at + MAGIC_OFFSET];
    if (magic != 2) {
      s.error = "record batch at offset " + at.toString() + " has magic " + magic.toString() + ", not 2";
      return s;
    }
    if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD) {
      s.error = "record batch at offset " + at.toString() + " has length " + batchLength.toString();
      return s;
    }
    const size = LOG_OVERHEAD + batchLength;
    if (size > n - at) break; // a partial batch: Fetch responses may end with one
    const attributes = (<i32>records[at + ATTRIBUTES_OFFSET] << 8) | <i32>records[at + ATTRIBUTES_OFFSET + 1];
    s.batches++;
    s.records += <i64>max(0, int32At(records, at + RECORD_COUNT_OFFSET));
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
