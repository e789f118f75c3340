// Base64 as the JSON forms need it: standard (bytes, records) and URL-safe unpadded (Uuid).

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export function base64Encode(b: Uint8Array, urlSafe: bool = false, pad: bool = true): string {
  const alphabet = urlSafe ? URL : STD;
  const n = b.length;
  const rest = n % 3;
  const len = (n - rest) / 3 * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1);
  // Written in place: no string per character or per group (a topic id's text is made for
  // every refusal naming one, 200,000 in a request at most).
  const out = changetype<string>(__new(<usize>len << 1, idof<string>()));
  let o = changetype<usize>(out);
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (<u32>b[i] << 16) | (<u32>b[i + 1] << 8) | <u32>b[i + 2];
    store<u16>(o, alphabet.charCodeAt((v >> 18) & 63));
    store<u16>(o, alphabet.charCodeAt((v >> 12) & 63), 2);
    store<u16>(o, alphabet.charCodeAt((v >> 6) & 63), 4);
    store<u16>(o, alphabet.charCodeAt(v & 63), 6);
    o += 8;
  }
  if (rest > 0) {
    const v = (<u32>b[i] << 16) | (rest == 2 ? <u32>b[i + 1] << 8 : 0);
    store<u16>(o, alphabet.charCodeAt((v >> 18) & 63));
    store<u16>(o, alphabet.charCodeAt((v >> 12) & 63), 2);
    o += 4;
    if (rest == 2) {
      store<u16>(o, alphabet.charCodeAt((v >> 6) & 63));
      o += 2;
    } else if (pad) {
      store<u16>(o, 61);
      o += 2;
    }
    if (pad) store<u16>(o, 61);
  }
  return out;
}

function sextet(c: i32): i32 {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c == 43 || c == 45) return 62; // '+' or '-'
  if (c == 47 || c == 95) return 63; // '/' or '_'
  return -1;
}

/** Accepts both alphabets, padded or not; null on any other character or a bad length. */
export function base64Decode(s: string): Uint8Array | null {
  let n = s.length;
  while (n > 0 && s.charCodeAt(n - 1) == 61) n--; // '='
  if (n % 4 == 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  let acc: u32 = 0, bits = 0, o = 0;
  for (let i = 0; i < n; i++) {
    const v = sextet(s.charCodeAt(i));
    if (v < 0) return null;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = <u8>(acc >> bits);
    }
  }
  return out;
}
