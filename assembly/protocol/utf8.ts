// Strings read off the wire exactly as Kafka's broker reads them: `new String(bytes, UTF_8)`,
// which replaces each maximal ill-formed subsequence (Unicode's "maximal subpart" rule) with
// one U+FFFD. The policy must decide on the very name the broker will use: AssemblyScript's
// own decoder is lenient (it reads 0xFF as the lead of a 4-byte sequence, takes any byte as a
// continuation, stops at a cut sequence), so "ok.g1\xF0" would be "ok.g1" to the filter but
// "ok.g1\uFFFD" to Kafka.

const REPLACEMENT: u16 = 0xFFFD;

/** The string Java decodes from the `len` bytes at `buf`. */
export function decodeUtf8(buf: usize, len: usize): string {
  const end = buf + len;
  // At most one UTF-16 unit per byte (a 4-byte sequence gives two).
  const out = __new(len << 1, idof<String>());
  let o = out;
  let p = buf;
  while (p < end) {
    const b0 = <u32>load<u8>(p);
    if (b0 < 0x80) {
      store<u16>(o, <u16>b0);
      o += 2;
      p++;
      continue;
    }
    // Expected length and the range the second byte must fall in (Unicode Table 3-7).
    let n = 0;
    let lo: u32 = 0x80, hi: u32 = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 3;
      if (b0 == 0xE0) lo = 0xA0;
      else if (b0 == 0xED) hi = 0x9F; // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 4;
      if (b0 == 0xF0) lo = 0x90;
      else if (b0 == 0xF4) hi = 0x8F;
    }
    p++;
    if (n == 0) { // not a lead byte
      store<u16>(o, REPLACEMENT);
      o += 2;
      continue;
    }
    let cp = b0 & (0xFF >> (n + 1));
    let taken = 1;
    while (taken < n && p < end) {
      const b = <u32>load<u8>(p);
      if (b < lo || b > hi) break;
      cp = (cp << 6) | (b & 0x3F);
      p++;
      taken++;
      lo = 0x80;
      hi = 0xBF;
    }
    if (taken < n) { // cut short: the valid prefix becomes one replacement
      store<u16>(o, REPLACEMENT);
      o += 2;
      continue;
    }
    if (cp < 0x10000) {
      store<u16>(o, <u16>cp);
      o += 2;
    } else {
      const c = cp - 0x10000;
      store<u16>(o, <u16>(0xD800 | (c >> 10)));
      store<u16>(o, <u16>(0xDC00 | (c & 0x3FF)), 2);
      o += 4;
    }
  }
  // All ASCII (names usually are): the string already has its size.
  if (o - out == len << 1) return changetype<string>(out);
  return changetype<string>(__renew(out, o - out));
}
