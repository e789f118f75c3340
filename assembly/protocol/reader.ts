// Reader over one Kafka frame's bytes.
//
// AssemblyScript cannot catch exceptions, so a hostile frame must never make a read trap.
// Like franz-go's kbin reader, every read checks its bounds and, on a short or malformed
// read, records the first failure in a sticky error and returns a zero value; callers keep
// going and check `failed` once at the end. Reads never allocate more than the bytes present.

import { Uuid } from "./uuid";
import { RawTaggedField } from "./tagged";
import { decodeUtf8 } from "./utf8";
import { recentName } from "./names";
import { inPlace, inPlaceNotYet, makeReadable, readableEnd } from "./in-place";
/** Label id -> "Struct.Field"; the generated codecs' table installs itself here (messages/labels.ts). */
export type LabelNames = (id: i32) => string;

function labelNumber(id: i32): string { return "label " + id.toString(); }

let labelNames: LabelNames = labelNumber;

/** Called once, by the generated label table: this layer sits below the generated code. */
export function setLabelNames(names: LabelNames): void { labelNames = names; }

/** Reader.error of a read past what has arrived of a frame read as it arrives. */
const NOT_ARRIVED = "bytes not arrived yet";

/**
 * What a read or write names the field it is at with, for the report of a failure: a string
 * (hand-written callers) or a generated codec's label id (codegen/labels.ts), turned into its
 * "Struct.Field" text only when a failure is reported.
 */
export function labelText<F>(field: F): string {
  if (isString<F>()) return changetype<string>(field);
  else return labelNames(<i32>field);
}

const NO_BYTES = new Uint8Array(0);

// What one read of a frame may take of array elements and tagged fields (the filter's
// filter.maxRequestElements while it reads a request; no limit elsewhere). Bytes bound them
// too, but not what they cost: each is an object, or an entity the walk records and the policy
// decides, and a VM collects garbage only between frames. A 100 MB frame of 3-byte elements
// would otherwise take more memory than a Wasm VM has, and a VM that cannot allocate dies with
// every connection of its worker.
export const NO_ELEMENT_LIMIT: i32 = i32.MAX_VALUE;

/**
 * The most tagged fields one tagged-field section may declare: Kafka 4.4's generated readers
 * refuse more ("Tried to read N tagged fields, which exceeds the maximum allowed count of
 * 10000"), and the broker closes the connection. 3.9's read any number.
 */
export const MAX_TAGGED_FIELDS: i32 = 10000;

/**
 * The most elements one array may declare: Kafka 4.4's generated readers refuse more ("Tried
 * to read a collection of size N, which exceeds the maximum allowed size of 1000000"); 3.9's
 * read any number. filter.maxRequestElements, 200,000 unless raised, closes a request first.
 */
export const MAX_ARRAY_ELEMENTS: i32 = 1000000;
let elementLimit: i32 = NO_ELEMENT_LIMIT;
let elementLimitReached = false;

/** Readers made or reset (over) from now on take at most `n` array elements and tagged fields each. */
export function limitElements(n: i32): void {
  elementLimit = n;
  elementLimitReached = false;
}

/** Whether a reader failed on the element limit since limitElements. */
export function reachedElementLimit(): bool { return elementLimitReached; }

export class Reader {
  buf: Uint8Array;
  pos: i32;
  end: i32;
  /**
   * Reads up to here need no check but the bounds: `end`, except over a frame decided in
   * place (protocol/in-place.ts), where it is the end of what was fetched from `pos` on.
   */
  private readable: i32;
  failed: bool = false;
  /** What failed first: the field being read and why. Empty while !failed. */
  error: string = "";
  errorOffset: i32 = -1;
  /** Array elements and tagged fields this reader may still take (limitElements). */
  private elementsLeft: i32 = NO_ELEMENT_LIMIT;
  /** elementsLeft when the reader was set over its frame. */
  private elementsAtStart: i32 = NO_ELEMENT_LIMIT;
  /**
   * Set with a failure that Kafka's own reader may not make: a known tagged field whose value
   * does not fill its size exactly, or whose size runs past the frame. Kafka's generated
   * readers read such a value from the frame and ignore its size, so a broker may read on (and
   * see other fields than these readers would). Or an array or a tagged-field section larger
   * than Kafka 4.4 reads, which 3.9 reads. Such a frame must never go on unread.
   */
  brokerMayRead: bool = false;

  constructor(buf: Uint8Array, pos: i32 = 0, end: i32 = -1) {
    this.buf = buf;
    this.pos = 0;
    this.end = 0;
    this.readable = 0;
    this.over(buf, pos, end);
  }

  /**
   * This reader, over `buf` from `pos` as if new: for a walk that reads one frame after
   * another and keeps no reader of the last (one allocation less per frame; release() after,
   * so that the reader kept does not keep the frame).
   */
  over(buf: Uint8Array, pos: i32 = 0, end: i32 = -1): Reader {
    this.buf = buf;
    this.pos = pos;
    this.end = end < 0 ? buf.length : min(end, buf.length);
    this.readable = this.end;
    if (inPlace()) this.readable = <i32>(readableEnd(buf.dataStart + <usize>pos, buf.dataStart + <usize>this.end) - buf.dataStart);
    this.failed = false;
    this.error = "";
    this.errorOffset = -1;
    this.elementsLeft = elementLimit;
    this.elementsAtStart = elementLimit;
    this.brokerMayRead = false;
    return this;
  }

  /** Array elements and tagged fields read since over(). */
  elementsRead(): i32 { return this.elementsAtStart - this.elementsLeft; }

  /** Lets go of the bytes read (see over()). */
  release(): void {
    this.buf = NO_BYTES;
    this.pos = 0;
    this.end = 0;
    this.readable = 0;
  }

  @inline get remaining(): i32 { return this.end - this.pos; }

  /** Records the first failure only: later reads of a failed reader are noise. */
  fail<F>(field: F, why: string): void {
    if (this.failed) return;
    this.failed = true;
    this.errorOffset = this.pos;
    this.error = labelText(field) + ": " + why;
    this.pos = this.end; // every later read is a short read that returns a zero value
  }

  private failNotYet(): void {
    if (this.failed) return;
    this.failed = true;
    this.errorOffset = this.pos;
    this.error = NOT_ARRIVED;
    this.pos = this.end;
  }

  /** Reports the position with the message: "field: why at offset N". */
  describeError(): string {
    return this.error + " at offset " + this.errorOffset.toString();
  }

  // Every read asks: the common case inline, the rest (failures, fetches) in a call.
  @inline private need<F>(n: i32, field: F): bool {
    if (!this.failed && n >= 0 && n <= this.readable - this.pos) return true;
    return this.needMore(n, field);
  }

  private needMore<F>(n: i32, field: F): bool {
    if (this.failed) return false;
    return this.within(n, field) && this.fetch(n, field);
  }

  /** The bounds check alone: `n` bytes are there from `pos` (read or not). */
  private within<F>(n: i32, field: F): bool {
    if (this.failed) return false;
    if (n < 0 || n > this.end - this.pos) {
      this.fail(field, "needs " + n.toString() + " bytes, " + this.remaining.toString() + " left");
      return false;
    }
    return true;
  }

  /** Over a frame decided in place: fetches the `n` bytes at `pos` before they are read. */
  private fetch<F>(n: i32, field: F): bool {
    const base = this.buf.dataStart;
    if (!makeReadable(base + <usize>this.pos, <usize>n)) {
      // Not arrived yet (a frame read as it arrives): expected at every read but the last,
      // and nobody reports it, so no message is built (a walk of many reads built one each).
      if (inPlaceNotYet()) this.failNotYet();
      else this.fail(field, "needs " + n.toString() + " bytes the host's buffer did not give");
      return false;
    }
    this.readable = <i32>(readableEnd(base + <usize>this.pos, base + <usize>this.end) - base);
    return true;
  }

  @inline private at(i: i32): u32 { return <u32>unchecked(this.buf[this.pos + i]); }

  int8<F>(field: F): i8 {
    if (!this.need(1, field)) return 0;
    const v = <i8>this.at(0);
    this.pos += 1;
    return v;
  }

  bool<F>(field: F): bool { return this.int8(field) != 0; }

  int16<F>(field: F): i16 {
    if (!this.need(2, field)) return 0;
    const v = <i16>((this.at(0) << 8) | this.at(1));
    this.pos += 2;
    return v;
  }

  uint16<F>(field: F): u16 { return <u16>this.int16(field); }

  int32<F>(field: F): i32 {
    if (!this.need(4, field)) return 0;
    const v = <i32>((this.at(0) << 24) | (this.at(1) << 16) | (this.at(2) << 8) | this.at(3));
    this.pos += 4;
    return v;
  }

  uint32<F>(field: F): u32 { return <u32>this.int32(field); }

  int64<F>(field: F): i64 {
    if (!this.need(8, field)) return 0;
    const hi = <u64><u32>this.int32(field);
    const lo = <u64><u32>this.int32(field);
    return <i64>((hi << 32) | lo);
  }

  float64<F>(field: F): f64 { return reinterpret<f64>(this.int64(field)); }

  uuid<F>(field: F): Uuid {
    const hi = this.int64(field);
    const lo = this.int64(field);
    return new Uuid(hi, lo);
  }

  /**
   * Unsigned LEB128 varint as Kafka reads it (ByteUtils.readUnsignedVarint): at most 5 bytes;
   * the fifth's bits past the 32nd are dropped, not refused, so the value is the one the broker
   * will use.
   */
  uvarint<F>(field: F): u32 {
    // Lengths, counts and tags are nearly always below 128: one byte.
    if (!this.failed && this.pos < this.readable) {
      const b = this.at(0);
      if (b < 0x80) {
        this.pos += 1;
        return b;
      }
    }
    let value: u32 = 0;
    for (let i = 0; i < 5; i++) {
      if (!this.need(1, field)) return 0;
      const b = this.at(0);
      this.pos += 1;
      if (i == 4 && (b & 0x80) != 0) break;
      value |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) return value;
    }
    this.fail(field, "malformed varint");
    return 0;
  }

  /** Zig-zag varint (record fields). */
  varint<F>(field: F): i32 {
    const u = this.uvarint(field);
    return <i32>((u >>> 1) ^ -(u & 1));
  }

  /** Zig-zag varlong as Kafka reads it: at most 10 bytes, the tenth's bits past the 64th dropped. */
  varlong<F>(field: F): i64 {
    let value: u64 = 0;
    for (let i = 0; i < 10; i++) {
      if (!this.need(1, field)) return 0;
      const b = <u64>this.at(0);
      this.pos += 1;
      if (i == 9 && (b & 0x80) != 0) break;
      value |= (b & 0x7f) << (7 * <u64>i);
      if ((b & 0x80) == 0) return <i64>((value >>> 1) ^ -(value & 1));
    }
    this.fail(field, "malformed varlong");
    return 0;
  }

  /**
   * Length of a string, bytes or array: int16/int32 in classic versions, unsigned varint
   * minus one in compact (flexible) versions. Negative means null (checkLength).
   */
  private length<F>(field: F, compact: bool, wide: bool): i32 {
    if (compact) {
      const n = this.uvarint(field);
      return <i32>n - 1; // 0 -> null (-1); lengths of 2^31 and more wrap negative
    }
    return wide ? this.int32(field) : <i32>this.int16(field);
  }

  /**
   * As Kafka's generated readers: any negative length is null (-1 the one writers use), and
   * refused where the field may not be null.
   */
  private checkLength<F>(n: i32, nullable: bool, field: F): bool {
    if (this.failed) return false;
    if (n < 0 && !nullable) {
      this.fail(field, n == -1 ? "null where not nullable" : "negative length " + n.toString());
      return false;
    }
    return true;
  }

  /** A string in a version where it may be null; null when it is. */
  nullableString<F>(field: F, compact: bool, nullable: bool): string | null { return this.text(field, compact, nullable, false); }

  /**
   * As nullableString, for a name sent again and again (a client id, a topic): one decoded
   * earlier from the same bytes is returned instead of a new string (names.ts).
   */
  nullableName<F>(field: F, compact: bool, nullable: bool): string | null { return this.text(field, compact, nullable, true); }

  private text<F>(field: F, compact: bool, nullable: bool, recent: bool): string | null {
    const n = this.length(field, compact, false);
    if (!this.checkLength(n, nullable, field) || n < 0) return null;
    if (!this.need(n, field)) return null;
    const at = this.buf.dataStart + <usize>this.pos;
    const s = recent ? recentName(at, <usize>n) : decodeUtf8(at, <usize>n);
    this.pos += n;
    return s;
  }

  /** A string that is never null; "" after a failure. */
  string<F>(field: F, compact: bool): string {
    const s = this.nullableString(field, compact, false);
    return s == null ? "" : s;
  }

  /** Zero-copy: the result is a view on the frame, not a copy. */
  nullableBytes<F>(field: F, compact: bool, nullable: bool): Uint8Array | null {
    const n = this.length(field, compact, true);
    if (!this.checkLength(n, nullable, field) || n < 0) return null;
    // Bounds only: over a frame decided in place the value is fetched by whoever reads it
    // (records.ts's batch walk, Writer.raw, Output), so a refused Produce is answered without
    // its records read into the VM. Such a view is checked only until the callback's
    // endInPlace: nothing decoded from a frame in place outlives it (a request that waits is
    // fetched whole and decided again from Envoy's buffer).
    if (!this.within(n, field)) return null;
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Bytes that are never null; empty after a failure. */
  bytes<F>(field: F, compact: bool): Uint8Array {
    const b = this.nullableBytes(field, compact, false);
    return b == null ? new Uint8Array(0) : b;
  }

  /**
   * Array element count, -1 for null. As Kafka does, refuses a count larger than the bytes
   * left, so a hostile count cannot make us allocate.
   */
  arrayLength<F>(field: F, compact: bool, nullable: bool): i32 {
    const n = this.length(field, compact, true);
    if (!this.checkLength(n, nullable, field) || n < 0) return -1;
    if (n > this.remaining) {
      this.fail(field, "array of " + n.toString() + " elements with only " + this.remaining.toString() + " bytes left");
      return -1;
    }
    if (n > MAX_ARRAY_ELEMENTS) {
      this.fail(field, "array of " + n.toString() + " elements, over Kafka's maximum of " + MAX_ARRAY_ELEMENTS.toString());
      this.brokerMayRead = true; // a 3.9 broker does: closed under every onDecodeError
      return -1;
    }
    return n <= 0 || this.takeElements(n, field) ? n : -1;
  }

  private takeElements<F>(n: i32, field: F): bool {
    if (n <= this.elementsLeft) {
      this.elementsLeft -= n;
      return true;
    }
    this.fail(field, "more than " + elementLimit.toString() + " array elements and tagged fields in one frame");
    elementLimitReached = true;
    return false;
  }

  /**
   * Reads the tagged-field section header and returns how many fields follow; the caller
   * reads each tag with `tag` and either decodes a known one or keeps it raw.
   */
  taggedCount<F>(field: F): i32 {
    const n = <i32>this.uvarint(field);
    if (n < 0 || n > this.remaining) {
      this.fail(field, "tagged field count " + n.toString() + " with only " + this.remaining.toString() + " bytes left");
      return 0;
    }
    if (n > MAX_TAGGED_FIELDS) {
      this.fail(field, n.toString() + " tagged fields, over Kafka's maximum of " + MAX_TAGGED_FIELDS.toString());
      this.brokerMayRead = true; // a 3.9 broker does: closed under every onDecodeError
      return 0;
    }
    return n == 0 || this.takeElements(n, field) ? n : 0;
  }

  /**
   * Reads one tagged field (tag, size, data) and moves past it; known tags are then
   * decoded from the returned view with a Reader of their own.
   */
  taggedField<F>(field: F): RawTaggedField | null {
    const tag = this.uvarint(field);
    const size = <i32>this.uvarint(field);
    if (!this.need(size, field)) return this.tagPastEnd();
    const data = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return new RawTaggedField(tag, data);
  }

  /**
   * A reader of a known tagged field's value (`taggedField`'s data), with what is left of this
   * one's element budget: the field's arrays count against the frame's limit.
   */
  tagged(data: Uint8Array): Reader {
    const t = new Reader(data);
    t.elementsLeft = this.elementsLeft;
    return t;
  }

  /**
   * Folds the reader of a known tagged field's value (`tagged`) into this one: its failure,
   * or bytes of the value it left unread, fail this reader where Kafka's would read on
   * (brokerMayRead).
   */
  absorb<F>(inner: Reader, field: F): void {
    this.elementsLeft = inner.elementsLeft;
    if (this.failed || (!inner.failed && inner.remaining == 0)) return;
    if (inner.failed) this.fail(field, inner.error + " (tagged field data offset " + inner.errorOffset.toString() + ")");
    else this.fail(field, inner.remaining.toString() + " unread bytes in tagged field");
    this.brokerMayRead = true;
  }

  skip<F>(n: i32, field: F): void {
    if (this.need(n, field)) this.pos += n;
  }

  // Walks (assembly/views/) move past values with these instead of reading them: the same
  // checks as the reads above, no allocation.

  /**
   * Moves past a string (`wide` false) or bytes/records value (`wide` true); returns its
   * length, -1 for null or after a failure. Its bytes are the `length` bytes before `pos`:
   * a string's are readable, a bytes value's are not fetched over a frame decided in place
   * (records.ts fetches the batch headers it reads).
   */
  skipValue<F>(field: F, compact: bool, nullable: bool, wide: bool): i32 {
    const n = this.length(field, compact, wide);
    if (!this.checkLength(n, nullable, field) || n < 0) return -1;
    if (wide ? !this.within(n, field) : !this.need(n, field)) return -1;
    this.pos += n;
    return n;
  }

  /** Moves past `n` elements of `size` bytes each (an array of fixed-size values). */
  skipElements<F>(n: i32, size: i32, field: F): void {
    if (n <= 0) return;
    const bytes = <i64>n * <i64>size;
    this.skip(bytes > <i64>i32.MAX_VALUE ? i32.MAX_VALUE : <i32>bytes, field);
  }

  /** Reads a tagged field's size; returns where its data ends (`pos` after a failure). */
  taggedEnd<F>(field: F): i32 {
    const size = <i32>this.uvarint(field);
    if (!this.need(size, field)) {
      this.tagPastEnd();
      return this.pos;
    }
    return this.pos + size;
  }

  /**
   * A tagged field's size runs past the frame: Kafka reads a known tag's value whatever its
   * size says, so a broker may read on (brokerMayRead); the tag may be unknown, which Kafka
   * does not read, but a frame that fails here never goes on unread either way.
   */
  private tagPastEnd(): RawTaggedField | null {
    this.brokerMayRead = true;
    return null;
  }

  /** After walking a known tagged field: its value must fill exactly its size, as `absorb` requires. */
  closeTagged<F>(end: i32, field: F): void {
    if (this.failed || this.pos == end) return;
    if (this.pos < end) this.fail(field, (end - this.pos).toString() + " unread bytes in tagged field");
    else this.fail(field, "tagged field value runs " + (this.pos - end).toString() + " bytes past its size");
    this.brokerMayRead = true;
  }
}

/**
 * `a` with no elements: a generated reader reads an array field that cannot be null into the
 * empty array the field's default already holds, instead of allocating another.
 */
export function emptied<T>(a: Array<T>): Array<T> {
  if (a.length != 0) a.length = 0;
  return a;
}
