// Strings read off the wire exactly as Kafka's broker reads them: `new String(bytes, UTF_8)`.
// The policy must decide on the very name the broker will use. AssemblyScript's own decoder is
// lenient (it reads 0xFF as the lead of a 4-byte sequence, takes any byte as a continuation,
// stops at a cut sequence), so "ok.g1\xF0" would be "ok.g1" to the filter but "ok.g1\uFFFD" to
// Kafka. Java replaces ill-formed input with U+FFFD mostly as Unicode's "maximal subpart" rule
// says, but not everywhere: a surrogate written in three bytes (ED A0..BF xx) is one U+FFFD,
// not three; ED A0..BF followed by a non-continuation is one for the two bytes; and a sequence
// cut by the end of the bytes is one U+FFFD for all that is left of it. So this is JDK 17's
// String decoding (String.decodeUTF8_UTF16), step for step, checked against the JDK's own by
// test/oracle/broker-reads.ts.

const REPLACEMENT: u16 = 0xFFFD;

@inline function continuation(b: u32): bool { return (b & 0xC0) == 0x80; }

/** E0 80..9F: an overlong three-byte form; or a second byte that is no continuation. */
@inline function malformed3Second(b1: u32, b2: u32): bool { return (b1 == 0xE0 && (b2 & 0xE0) == 0x80) || !continuation(b2); }

/** F0 below 90 (overlong), F4 past 8F (past U+10FFFF), or no continuation. */
@inline function malformed4Second(b1: u32, b2: u32): bool {
  return (b1 == 0xF0 && (b2 < 0x90 || b2 > 0xBF)) || (b1 == 0xF4 && (b2 & 0xF0) != 0x80) || !continuation(b2);
}

/** The string Java decodes from the `len` bytes at `buf`. */
export function decodeUtf8(buf: usize, len: usize): string {
  const end = buf + len;
  // At most one UTF-16 unit per byte (a 4-byte sequence gives two).
  const out = __new(len << 1, idof<String>());
  let o = out;
  let p = buf;
  while (p < end) {
    const b1 = <u32>load<u8>(p++);
    if (b1 < 0x80) {
      store<u16>(o, <u16>b1);
      o += 2;
      continue;
    }
    let unit: u32 = REPLACEMENT;
    if (b1 >= 0xC2 && b1 <= 0xDF) {
      if (p >= end) { // cut: one replacement, and the bytes end
        o = put(o, REPLACEMENT);
        break;
      }
      const b2 = <u32>load<u8>(p);
      if (continuation(b2)) {
        unit = ((b1 & 0x1F) << 6) | (b2 & 0x3F);
        p++;
      }
    } else if (b1 >= 0xE0 && b1 <= 0xEF) {
      if (p + 1 < end) {
        const b2 = <u32>load<u8>(p), b3 = <u32>load<u8>(p + 1);
        if (malformed3Second(b1, b2) || !continuation(b3)) {
          // One replacement for the lead, or for lead and second byte when that one fits.
          if (!malformed3Second(b1, b2)) p++;
        } else {
          const c = ((b1 & 0x0F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F);
          p += 2;
          if (c < 0xD800 || c > 0xDFFF) unit = c; // a surrogate is one replacement for all three
        }
      } else {
        if (p < end && malformed3Second(b1, <u32>load<u8>(p))) {
          o = put(o, REPLACEMENT);
          continue;
        }
        o = put(o, REPLACEMENT); // cut: one replacement for what is left
        break;
      }
    } else if (b1 >= 0xF0 && b1 <= 0xF7) {
      if (p + 2 < end) {
        const b2 = <u32>load<u8>(p), b3 = <u32>load<u8>(p + 1), b4 = <u32>load<u8>(p + 2);
        const cp = ((b1 & 0x07) << 18) | ((b2 & 0x3F) << 12) | ((b3 & 0x3F) << 6) | (b4 & 0x3F);
        if (!continuation(b2) || !continuation(b3) || !continuation(b4) || cp < 0x10000 || cp > 0x10FFFF) {
          // As Java's malformed4: how much of it is one replacement.
          if (!(b1 > 0xF4 || malformed4Second(b1, b2))) p += continuation(b3) ? 2 : 1;
        } else {
          const c = cp - 0x10000;
          o = put(o, <u32>(0xD800 | (c >> 10)));
          unit = 0xDC00 | (c & 0x3FF);
          p += 3;
        }
      } else {
        if (b1 > 0xF4 || (p < end && malformed4Second(b1, <u32>load<u8>(p)))) {
          o = put(o, REPLACEMENT);
          continue;
        }
        p++;
        o = put(o, REPLACEMENT);
        if (p < end && !continuation(<u32>load<u8>(p))) continue;
        break; // cut: one replacement for what is left
      }
    }
    // Anything else (80..C1, F8..FF) is one replacement for its byte.
    o = put(o, unit);
  }
  // All ASCII (names usually are): the string already has its size.
  if (o - out == len << 1) return changetype<string>(out);
  return changetype<string>(__renew(out, o - out));
}

@inline function put(o: usize, unit: u32): usize {
  store<u16>(o, <u16>unit);
  return o + 2;
}
