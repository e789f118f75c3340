// Kafka's wire primitives for tests that write frames by hand (crafted or malformed ones the
// project's codecs would not write): big-endian integers, unsigned varints, compact strings.

export const int16 = (v: number): Buffer => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
export const int32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };

/** Kafka's unsigned varint (compact lengths, tag counts). */
export function uvarint(v: number): Buffer {
  const out: number[] = [];
  do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; out.push(b); } while (v);
  return Buffer.from(out);
}

/** A compact string: its UTF-8 length + 1 as an unsigned varint, then the bytes. */
export const compactString = (s: string): Buffer => Buffer.concat([uvarint(Buffer.byteLength(s) + 1), Buffer.from(s)]);
