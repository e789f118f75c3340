// Kafka's 128-bit Uuid, printed as Kafka prints it: 22 characters of URL-safe base64, no padding.

import { base64Encode, base64Decode } from "../json/base64";

export class Uuid {
  constructor(public hi: i64 = 0, public lo: i64 = 0) {}

  static readonly ZERO: Uuid = new Uuid(0, 0);

  equals(o: Uuid): bool { return this.hi == o.hi && this.lo == o.lo; }

  isZero(): bool { return this.hi == 0 && this.lo == 0; }

  toBytes(): Uint8Array {
    const b = new Uint8Array(16);
    for (let i = 0; i < 8; i++) {
      b[i] = <u8>(this.hi >>> (56 - 8 * i));
      b[8 + i] = <u8>(this.lo >>> (56 - 8 * i));
    }
    return b;
  }

  toString(): string { return base64Encode(this.toBytes(), true, false); }

  /** Parses Kafka's textual form; null when it is not 16 bytes of URL-safe base64. */
  static parse(s: string): Uuid | null {
    const b = base64Decode(s);
    if (b == null || b.length != 16) return null;
    let hi: i64 = 0, lo: i64 = 0;
    for (let i = 0; i < 8; i++) {
      hi = (hi << 8) | <i64>b[i];
      lo = (lo << 8) | <i64>b[8 + i];
    }
    return new Uuid(hi, lo);
  }
}
