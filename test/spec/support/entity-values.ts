// The entities of a decoded message, as the generated reference (test/generated/<request>.ts)
// finds them: kind, parent and the bytes each value has on the wire, to hold against what a
// view (assembly/views/) found in the frame.

import { EntityKind } from "../../../assembly/protocol/walk";

export class Entities {
  kind: Array<i32> = new Array<i32>();
  parent: Array<i32> = new Array<i32>();
  /** The value's bytes as written (a string's UTF-8, an int's big-endian bytes); null for null. */
  value: Array<Uint8Array | null> = new Array<Uint8Array | null>();

  add(kind: EntityKind, value: Uint8Array | null, parent: i32): i32 {
    this.kind.push(kind);
    this.parent.push(parent);
    this.value.push(value);
    return this.kind.length - 1;
  }
}

export function utf8(s: string | null): Uint8Array | null {
  return s == null ? null : Uint8Array.wrap(String.UTF8.encode(s));
}

export function bigEndian(v: i64, size: i32): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = <u8>(v >> (8 * (size - 1 - i)));
  return b;
}
