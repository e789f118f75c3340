// JSON written straight as UTF-8 bytes: the text JsonWriter writes (quote()'s escapes) as
// String.UTF8.encode encodes it (a lone surrogate as its three WTF-8 bytes), with no UTF-16 text
// in between. A question to the policy service names a resource of up to 32,767 characters: a
// control character is 12 bytes of UTF-16 once quoted (\u0001), then 6 of UTF-8, and 125 such
// names in one request were 72 MB of quoted names and bodies held until the callback ended.
//
// The same calls run twice: counting (no buffer), then writing into a buffer of the length
// counted, so that the two cannot disagree and nothing is allocated to find the length.

export class Utf8Json {
  /** Bytes written, or counted, so far. */
  length: usize = 0;

  /** `out`: where the bytes go, with room for all of them; 0 counts them only. */
  constructor(private readonly out: usize = 0) {}

  /** `text` as it is: ASCII that needs no escape (the document's own punctuation and keys). */
  ascii(text: string): void {
    const n = <usize>text.length;
    const out = this.out;
    if (out != 0) {
      const to = out + this.length;
      const from = changetype<usize>(text);
      for (let i: usize = 0; i < n; i++) store<u8>(to + i, load<u8>(from + (i << 1)));
    }
    this.length += n;
  }

  /** `s` as a JSON string: quoted, escaped as quote() escapes (json/writer.ts). */
  string(s: string): void {
    this.byte(0x22);
    const n = s.length;
    const p = changetype<usize>(s);
    for (let i = 0; i < n; i++) {
      const c = <i32>load<u16>(p + (<usize>i << 1));
      if (c < 0x80) this.asciiChar(c);
      else if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 63));
      } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && (<i32>load<u16>(p + (<usize>(i + 1) << 1)) & 0xfc00) == 0xdc00) {
        const u = 0x10000 + ((c & 0x3ff) << 10) + (<i32>load<u16>(p + (<usize>(++i) << 1)) & 0x3ff);
        this.byte(0xf0 | (u >> 18));
        this.byte(0x80 | ((u >> 12) & 63));
        this.byte(0x80 | ((u >> 6) & 63));
        this.byte(0x80 | (u & 63));
      } else {
        this.byte(0xe0 | (c >> 12));
        this.byte(0x80 | ((c >> 6) & 63));
        this.byte(0x80 | (c & 63));
      }
    }
    this.byte(0x22);
  }

  int(v: i32): void { this.ascii(v.toString()); }

  bool(v: bool): void { this.ascii(v ? "true" : "false"); }

  /** An ASCII character of a string, escaped as quote() escapes it. */
  private asciiChar(c: i32): void {
    if (c >= 0x20 && c != 0x22 && c != 0x5c) {
      this.byte(c);
      return;
    }
    this.byte(0x5c);
    if (c == 0x22 || c == 0x5c) this.byte(c);
    else if (c == 0x0a) this.byte(0x6e); // n
    else if (c == 0x0d) this.byte(0x72); // r
    else if (c == 0x09) this.byte(0x74); // t
    else {
      this.byte(0x75); // u
      this.byte(0x30);
      this.byte(0x30);
      this.byte(hexDigit(c >> 4));
      this.byte(hexDigit(c & 15));
    }
  }

  @inline private byte(b: i32): void {
    const out = this.out;
    if (out != 0) store<u8>(out + this.length, <u8>b);
    this.length++;
  }
}

/** Lower-case, as quote() writes \uXXXX. */
@inline function hexDigit(v: i32): i32 { return v < 10 ? 0x30 + v : 0x57 + v; }
