// Names decoded from frames, kept for the next frame that carries the same bytes.
//
// A proxy sees the same few topic names, group ids and transactional ids over and over (every
// Produce, Fetch and Metadata of a client names its topics again); decoding each into a new
// string is most of what reading a small frame allocates. This is a direct-mapped table of the
// last name per slot, keyed by the bytes: a hit returns the string decoded earlier from the
// very same bytes, a miss decodes and takes the slot. Bounded (SLOTS names of at most
// MAX_BYTES bytes: what a client sends cannot grow it), and exact (a hit compares every byte).

import { decodeUtf8 } from "./utf8";

const SLOTS: i32 = 256;
/** Longer names are decoded every time (Kafka's topic names are at most 249 bytes). */
const MAX_BYTES: i32 = 255;

const bytes = new StaticArray<u8>(SLOTS * MAX_BYTES);
const lengths = new StaticArray<i32>(SLOTS); // -1: empty slot
const strings = new StaticArray<string | null>(SLOTS);
for (let i = 0; i < SLOTS; i++) lengths[i] = -1;

/** The string Java decodes from the `len` bytes at `ptr` (as decodeUtf8), shared with earlier calls on the same bytes. */
export function recentName(ptr: usize, len: usize): string {
  if (len > <usize>MAX_BYTES) return decodeUtf8(ptr, len);
  // FNV-1a over the bytes and the length.
  let h: u32 = 0x811c9dc5 ^ <u32>len;
  for (let i: usize = 0; i < len; i++) h = (h ^ <u32>load<u8>(ptr + i)) * 0x01000193;
  const slot = <i32>(h & <u32>(SLOTS - 1));
  const at = changetype<usize>(bytes) + <usize>(slot * MAX_BYTES);
  if (unchecked(lengths[slot]) == <i32>len && memory.compare(at, ptr, len) == 0) return unchecked(strings[slot])!;
  const s = decodeUtf8(ptr, len);
  memory.copy(at, ptr, len);
  unchecked(lengths[slot] = <i32>len);
  unchecked(strings[slot] = s);
  return s;
}
