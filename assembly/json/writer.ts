// Compact JSON text writer: the CLI's output form of messages, written as Kafka's own JSON
// converters write them (lowerCamelCase names, int64 exact, bytes as base64).

import { base64Encode } from "./base64";
import { join } from "../runtime/strings";

export class JsonWriter {
  private parts: Array<string> = new Array<string>();
  // One flag per open container: does the next value need a comma before it?
  private needComma: Array<bool> = [false];

  toString(): string { return join(this.parts); }

  /** The text written so far as the pieces toString() would join (not a copy: write no more). */
  pieces(): Array<string> { return this.parts; }

  /** Text that goes before the JSON as it is (a log line's prefix). */
  raw(text: string): void { this.parts.push(text); }

  /** Empty again, for the next text: a writer kept for lines written one after another. */
  reset(): JsonWriter {
    this.parts.length = 0;
    this.needComma.length = 1;
    unchecked(this.needComma[0] = false);
    this.pendingKey = false;
    return this;
  }

  // Set between a key and its value, which then needs no comma of its own.
  private pendingKey: bool = false;

  private beforeValue(): void {
    if (this.pendingKey) {
      this.pendingKey = false;
      return;
    }
    const top = this.needComma.length - 1;
    if (unchecked(this.needComma[top])) this.parts.push(",");
    unchecked(this.needComma[top] = true);
  }

  /** Object key; the value written next belongs to it. */
  key(name: string): void {
    this.beforeValue();
    if (plainTo(name, name.length, false)) this.quotedParts(name, "\":");
    else {
      this.parts.push(quote(name));
      this.parts.push(":");
    }
    this.pendingKey = true;
  }

  // Nothing to escape (keys, names: the usual case): the text goes in as it is, between the
  // quotes, with no quoted copy made of it (toString joins the parts in one allocation).
  private plainValue(text: string): void {
    this.beforeValue();
    this.quotedParts(text, "\"");
  }

  private quotedParts(text: string, close: string): void {
    this.parts.push("\"");
    this.parts.push(text);
    this.parts.push(close);
  }

  private value(text: string): void {
    this.beforeValue();
    this.parts.push(text);
  }

  private open(text: string): void {
    this.value(text);
    this.needComma.push(false);
  }

  beginObject(): void { this.open("{"); }
  endObject(): void { this.needComma.pop(); this.parts.push("}"); }
  beginArray(): void { this.open("["); }
  endArray(): void { this.needComma.pop(); this.parts.push("]"); }

  nullValue(): void { this.value("null"); }
  bool(v: bool): void { this.value(v ? "true" : "false"); }
  int(v: i64): void { this.value(v.toString()); }
  uint(v: u64): void { this.value(v.toString()); }
  float64(v: f64): void { this.value(formatDouble(v)); }
  string(v: string | null): void {
    if (v == null) this.nullValue();
    else if (plainTo(v, v.length, false)) this.plainValue(v);
    else this.value(quote(v));
  }
  bytes(v: Uint8Array | null): void {
    if (v == null) this.nullValue();
    else this.value(quote(base64Encode(v)));
  }
  /** `v` as quoteAscii writes it: ASCII only, at most `maxChars` characters of it. */
  asciiString(v: string, maxChars: i32): void {
    if (v.length <= maxChars && plainTo(v, v.length, true)) this.plainValue(v);
    else this.value(quoteAscii(v, maxChars));
  }
}

// Jackson writes doubles the way Java's Double.toString does ("1.0", "1.0E10", "NaN"); the
// checks compare numerically, so any exact round-trip form is fine here.
function formatDouble(v: f64): string {
  if (isNaN(v)) return "\"NaN\"";
  if (!isFinite(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  return v.toString();
}

const HEX = "0123456789abcdef";

/**
 * `s` as a JSON string, in one allocation: its length counted first, then written. A client's
 * name may be 32,760 control characters, and a piece per escape was garbage the minimal
 * runtime keeps until the callback ends: 125 such names in one request, each quoted for a
 * policy service, came to hundreds of MiB.
 */
export function quote(s: string): string {
  const n = s.length;
  if (plainTo(s, n, false)) return quoted(s, n);
  let len = 2;
  for (let i = 0; i < n; i++) len += escapedLength(s.charCodeAt(i));
  const out = openQuote(len);
  let at = changetype<usize>(out) + 2;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (isPlain(c)) {
      store<u16>(at, <u16>c);
      at += 2;
      continue;
    }
    store<u16>(at, 0x5c);
    if (c == 0x22 || c == 0x5c) store<u16>(at, <u16>c, 2);
    else if (c == 0x0a) store<u16>(at, 0x6e, 2); // n
    else if (c == 0x0d) store<u16>(at, 0x72, 2); // r
    else if (c == 0x09) store<u16>(at, 0x74, 2); // t
    else storeUnicodeEscape(at, c); // below 0x20
    at += <usize>escapedLength(c) << 1;
  }
  store<u16>(at, 0x22);
  return out;
}

/** The characters quote() writes for `c`. */
@inline function escapedLength(c: i32): i32 {
  if (isPlain(c)) return 1;
  return c == 0x22 || c == 0x5c || c == 0x0a || c == 0x0d || c == 0x09 ? 2 : 6;
}

/**
 * `s` as a JSON string of printable ASCII only, cut to its first `maxChars` characters (never
 * between the halves of a surrogate pair): everything else as \uXXXX, a lone surrogate as
 * \ufffd. Log pipelines re-encode and split text; this survives any of them, and a strict JSON
 * parser never meets invalid Unicode.
 */
export function quoteAscii(s: string, maxChars: i32): string {
  let end = min(s.length, max(0, maxChars));
  if (end > 0 && end < s.length && isHighSurrogate(s.charCodeAt(end - 1))) end--;
  if (plainTo(s, end, true)) return quoted(s, end);
  // Counted, then written in one allocation, as quote() is: a piece per escape was garbage
  // until the callback ended, thousands for each refused name of control characters audited.
  let len = 2;
  for (let i = 0; i < end; i++) {
    if (pairAt(s, i, end)) {
      len += 12;
      i++;
    } else len += asciiLength(s.charCodeAt(i));
  }
  const out = openQuote(len);
  let at = changetype<usize>(out) + 2;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (pairAt(s, i, end)) at = storeUnicodeEscape(storeUnicodeEscape(at, c), s.charCodeAt(++i));
    else at = storeAscii(at, c);
  }
  store<u16>(at, 0x22);
  return out;
}

/** The characters quoteAscii() writes for `c`, not half of a surrogate pair. */
@inline function asciiLength(c: i32): i32 {
  if (isPlainAscii(c)) return 1;
  return c == 0x22 || c == 0x5c ? 2 : 6;
}

/** `c` (not half of a surrogate pair) as quoteAscii() writes it, at `at`; returns where it ends. */
function storeAscii(at: usize, c: i32): usize {
  if (isPlainAscii(c)) {
    store<u16>(at, <u16>c);
    return at + 2;
  }
  if (c != 0x22 && c != 0x5c) return storeUnicodeEscape(at, isHighSurrogate(c) || isLowSurrogate(c) ? 0xfffd : c);
  store<u16>(at, 0x5c);
  store<u16>(at, <u16>c, 2);
  return at + 4;
}

/** A string of `len` characters, the first of them the opening quote; the rest to fill. */
function openQuote(len: i32): string {
  const out = changetype<string>(__new(<usize>len << 1, idof<string>()));
  store<u16>(changetype<usize>(out), 0x22);
  return out;
}

/** A surrogate pair starts at `i` of `s`, within its first `end` characters. */
@inline function pairAt(s: string, i: i32, end: i32): bool {
  return isHighSurrogate(s.charCodeAt(i)) && i + 1 < end && isLowSurrogate(s.charCodeAt(i + 1));
}

// What needs no escape in quote() and quoteAscii().
@inline function isPlain(c: i32): bool { return c >= 0x20 && c != 0x22 && c != 0x5c; }
@inline function isPlainAscii(c: i32): bool { return c >= 0x20 && c < 0x7f && c != 0x22 && c != 0x5c; }

/** Whether the first `end` characters of `s` need no escape (as quote, or quoteAscii with `ascii`, sees them). */
function plainTo(s: string, end: i32, ascii: bool): bool {
  // The units read straight, four at a time: a refusal's audit line checks a few hundred.
  const p = changetype<usize>(s);
  end = min(end, s.length);
  let i = 0;
  for (; i + 4 <= end; i += 4) {
    const v = load<u64>(p + (<usize>i << 1));
    if (ascii && ((v & 0xff80_ff80_ff80_ff80) != 0 || ((v + LANES) & 0x0080_0080_0080_0080) != 0)) return false; // >= 0x80, 0x7f
    if (anyBelow(v, 0x20) || anyBelow(v ^ (LANES * 0x22), 1) || anyBelow(v ^ (LANES * 0x5c), 1)) return false;
  }
  for (; i < end; i++) {
    const c = <i32>load<u16>(p + (<usize>i << 1));
    if (ascii ? !isPlainAscii(c) : !isPlain(c)) return false;
  }
  return true;
}

// Four UTF-16 units in a u64, one per 16-bit lane.
const LANES: u64 = 0x0001_0001_0001_0001;

/**
 * Whether any lane of `v` is below `n` (at most 0x8000): a lane below `n` borrows, which sets
 * its top bit where its own is clear. A borrow can carry into the lanes above, but only from
 * a lane that is itself below `n`, so the answer for "any" is exact.
 */
@inline function anyBelow(v: u64, n: u64): bool { return ((v - LANES * n) & ~v & 0x8000_8000_8000_8000) != 0; }

/**
 * The first `end` characters of `s` in quotes, in one allocation: the usual case (keys, names),
 * with nothing to escape. An audit line quotes a dozen strings per refusal.
 */
function quoted(s: string, end: i32): string {
  const out = openQuote(end + 2);
  const p = changetype<usize>(out);
  memory.copy(p + 2, changetype<usize>(s), <usize>end << 1);
  store<u16>(p + (<usize>(end + 1) << 1), 0x22);
  return out;
}

@inline function isHighSurrogate(c: i32): bool { return c >= 0xd800 && c <= 0xdbff; }
@inline function isLowSurrogate(c: i32): bool { return c >= 0xdc00 && c <= 0xdfff; }

/** \uXXXX of `c` (lower-case hex) at `at`, 6 characters; returns where they end. */
function storeUnicodeEscape(at: usize, c: i32): usize {
  store<u16>(at, 0x5c);
  store<u16>(at, 0x75, 2);
  store<u16>(at, HEX.charCodeAt((c >> 12) & 15), 4);
  store<u16>(at, HEX.charCodeAt((c >> 8) & 15), 6);
  store<u16>(at, HEX.charCodeAt((c >> 4) & 15), 8);
  store<u16>(at, HEX.charCodeAt(c & 15), 10);
  return at + 12;
}
