// Growable big-endian writer, the encoding side of Reader.

import { Uuid } from "./uuid";
import { RawTaggedField } from "./tagged";
import { labelText } from "./reader";
import { makeReadable } from "./in-place";

/**
 * `clientId` if the filter can write it in a request header of its own (its UTF-8 fits an int16
 * length), else null: a client id read from the wire may not, once its invalid bytes are
 * written as U+FFFD, and the filter's own requests must go out whatever the client sent.
 */
export function writableClientId(clientId: string | null): string | null {
  return clientId != null && String.UTF8.byteLength(clientId) <= <i32>i16.MAX_VALUE ? clientId : null;
}

export class Writer {
  private buf: Uint8Array;
  len: i32 = 0;
  /** Sticky, like Reader's: the first value that cannot be written at the version asked. */
  failed: bool = false;
  error: string = "";

  constructor(capacity: i32 = 256) {
    this.buf = new Uint8Array(max(capacity, 16));
  }

  private reserve(n: i32): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    memory.copy(next.dataStart, this.buf.dataStart, <usize>this.len);
    this.buf = next;
  }

  /** `field`: a string or a generated codec's label id (see Reader's labelText). */
  fail<F>(field: F, why: string): void {
    if (this.failed) return;
    this.failed = true;
    this.error = labelText(field) + ": " + why;
  }

  /** The bytes written so far (a view; copy it before writing more if it must stay). */
  bytes(): Uint8Array { return this.buf.subarray(0, this.len); }

  int8(v: i8): void {
    this.reserve(1);
    unchecked(this.buf[this.len++] = <u8>v);
  }

  bool(v: bool): void { this.int8(v ? 1 : 0); }

  int16(v: i16): void {
    this.reserve(2);
    unchecked(this.buf[this.len] = <u8>(v >> 8));
    unchecked(this.buf[this.len + 1] = <u8>v);
    this.len += 2;
  }

  uint16(v: u16): void { this.int16(<i16>v); }

  int32(v: i32): void {
    this.reserve(4);
    unchecked(this.buf[this.len] = <u8>(v >>> 24));
    unchecked(this.buf[this.len + 1] = <u8>(v >>> 16));
    unchecked(this.buf[this.len + 2] = <u8>(v >>> 8));
    unchecked(this.buf[this.len + 3] = <u8>v);
    this.len += 4;
  }

  uint32(v: u32): void { this.int32(<i32>v); }

  int64(v: i64): void {
    this.int32(<i32>(v >>> 32));
    this.int32(<i32>v);
  }

  float64(v: f64): void { this.int64(reinterpret<i64>(v)); }

  uuid(v: Uuid): void {
    this.int64(v.hi);
    this.int64(v.lo);
  }

  uvarint(v: u32): void {
    while ((v & ~0x7f) != 0) {
      this.int8(<i8>((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    this.int8(<i8>v);
  }

  varint(v: i32): void { this.uvarint(<u32>((v << 1) ^ (v >> 31))); }

  varlong(v: i64): void {
    let u = <u64>((v << 1) ^ (v >> 63));
    while ((u & ~<u64>0x7f) != 0) {
      this.int8(<i8>((u & 0x7f) | 0x80));
      u >>>= 7;
    }
    this.int8(<i8>u);
  }

  /** Length prefix for strings (int16), bytes and arrays (int32), or compact (uvarint n+1). */
  length(n: i32, compact: bool, wide: bool): void {
    if (!wide && n > <i32>i16.MAX_VALUE) {
      // A string decoded from the wire grows when written again: each invalid UTF-8 byte read
      // as U+FFFD is written as three. Wrapped, an int16 length would tell Kafka to read the
      // string's own bytes as what follows it (negative: a null string; Kafka took a client
      // id's bytes for the request body); a compact one Kafka refuses past 32,767 too.
      this.fail("string", "its " + n.toString() + " UTF-8 bytes do not fit an int16 length");
    } else if (compact) this.uvarint(<u32>(n + 1));
    else if (wide) this.int32(n);
    else this.int16(<i16>n);
  }

  raw(b: Uint8Array): void {
    // A value read from a frame decided in place may not have been fetched yet (Reader.nullableBytes).
    if (!makeReadable(b.dataStart, <usize>b.length)) {
      this.fail("bytes", "the host's buffer did not give " + b.length.toString() + " bytes of the frame");
      return;
    }
    this.reserve(b.length);
    memory.copy(this.buf.dataStart + <usize>this.len, b.dataStart, <usize>b.length);
    this.len += b.length;
  }

  string(s: string | null, compact: bool): void {
    if (s == null) {
      this.length(-1, compact, false);
      return;
    }
    // Encoded in place, not through String.UTF8.encode's buffer: an answer of many refused
    // names made one such garbage buffer per name (DeleteTopics: 18 bytes per frame byte).
    const n = String.UTF8.byteLength(s);
    this.length(n, compact, false);
    this.reserve(n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.buf.dataStart + <usize>this.len);
    this.len += n;
  }

  bytesField(b: Uint8Array | null, compact: bool): void {
    if (b == null) {
      this.length(-1, compact, true);
      return;
    }
    this.length(b.length, compact, true);
    this.raw(b);
  }

  /** One tagged field: tag, size, data. */
  taggedField(tag: u32, data: Uint8Array): void {
    this.uvarint(tag);
    this.uvarint(<u32>data.length);
    this.raw(data);
  }

  /** Unknown tagged fields with a tag below `below`, starting at index `from`; returns the next index. */
  rawTaggedBefore(fields: Array<RawTaggedField> | null, from: i32, below: u64): i32 {
    if (fields == null) return from;
    let i = from;
    while (i < fields.length && <u64>unchecked(fields[i]).tag < below) {
      const f = unchecked(fields[i]);
      this.taggedField(f.tag, f.data);
      i++;
    }
    return i;
  }

  /** Overwrites 4 bytes at `at` (a frame's size prefix once the frame is written). */
  patchInt32(at: i32, v: i32): void {
    unchecked(this.buf[at] = <u8>(v >>> 24));
    unchecked(this.buf[at + 1] = <u8>(v >>> 16));
    unchecked(this.buf[at + 2] = <u8>(v >>> 8));
    unchecked(this.buf[at + 3] = <u8>v);
  }
}

/** How many bytes Writer.uvarint writes for `v`. */
export function uvarintSize(v: u32): i32 {
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}
