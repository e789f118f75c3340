// Answers cut from the broker's own bytes: a listing the policy shows only part of (topics,
// groups) goes on as the broker wrote it less the entries the principal may not see, with the
// entries the filter adds (refused ones) after the rest, never decoded. The entries are found by
// the names the answer's view recorded; everything else is copied as it came.

import { Reader } from "../../protocol/reader";
import { Writer, uvarintSize } from "../../protocol/writer";
import { EntityWalk } from "../../protocol/walk";

// Reads the layout spliceEntries checks (released after each answer).
const layout = new Reader(new Uint8Array(0));

/**
 * `frame` (an answer: header and body, entries of type T in one array) without the entries
 * not `shown` and with `added` after the rest, the array counted again. `names` are the
 * entities of the entries' names, one per entry, in order; an entry starts `lead` bytes before
 * its name's length prefix (fields of fixed size before the name), and the last one ends where
 * the codec's reader says. Null when there is no entry to find the array by, or the layout is
 * not the one expected (the caller's decoded path then decides).
 */
export function spliceEntries<T>(walk: EntityWalk, frame: Uint8Array, version: i16, flexible: bool, lead: i32, names: Array<i32>,
                                 shown: Array<bool>, hidden: i32, added: Array<T>): Uint8Array | null {
  if (names.length == 0) return null;
  const spliced = splice<T>(walk, frame, version, flexible, lead, names, shown, hidden, added);
  layout.release();
  return spliced;
}

function splice<T>(walk: EntityWalk, frame: Uint8Array, version: i16, flexible: bool, lead: i32, names: Array<i32>,
                   shown: Array<bool>, hidden: i32, added: Array<T>): Uint8Array | null {
  const n = names.length;
  const starts = new StaticArray<i32>(n + 1);
  const at = layout.over(frame);
  for (let k = 0; k < n; k++) {
    const i = unchecked(names[k]);
    const len = unchecked(walk.length[i]);
    const prefix = flexible ? uvarintSize(<u32>(len < 0 ? 0 : len + 1)) : 2;
    const start = unchecked(walk.start[i]) - prefix - lead;
    if (start < 0) return null;
    // The name's length prefix is where the layout puts it.
    at.pos = start + lead;
    const written = flexible ? <i32>at.uvarint(0) - 1 : <i32>at.int16(0);
    if (at.failed || written != len || at.pos != unchecked(walk.start[i])) return null;
    unchecked(starts[k] = start);
  }
  at.pos = unchecked(starts[n - 1]);
  instantiate<T>().read(at, version);
  if (at.failed) return null;
  unchecked(starts[n] = at.pos);
  // The count before the first entry must be the entries' count.
  const countAt = unchecked(starts[0]) - (flexible ? uvarintSize(<u32>(n + 1)) : 4);
  if (countAt < 0) return null;
  at.pos = countAt;
  const counted = flexible ? <i64>at.uvarint(0) - 1 : <i64>at.int32(0);
  if (at.failed || counted != n || at.pos != unchecked(starts[0])) return null;
  const w = new Writer(frame.length + 64 * added.length);
  w.raw(frame.subarray(0, countAt));
  const entries = n - hidden + added.length;
  if (flexible) w.uvarint(<u32>(entries + 1));
  else w.int32(entries);
  for (let k = 0; k < n; k++) {
    if (unchecked(shown[k])) w.raw(frame.subarray(unchecked(starts[k]), unchecked(starts[k + 1])));
  }
  for (let k = 0; k < added.length; k++) unchecked(added[k]).write(w, version);
  w.raw(frame.subarray(unchecked(starts[n])));
  return w.failed ? null : w.bytes();
}
