// Envoy's buffer laid out in VM memory with its first frame decided in place
// (protocol/in-place.ts) when it is a large frame that carries records: a Produce request or a
// Fetch response. Its size prefix and header are fetched, and whatever follows the frame; of
// the frame itself only what policy reads (topic names, partition headers, batch headers),
// never the records. Passed, the frame goes on from Envoy's buffer as it is.

import { BufferTypeValues, readInto } from "../runtime/host";
import { noteBytesRead } from "../runtime/collect";
import { IN_PLACE_PAGE, PageSource, beginInPlace, makeReadable } from "../protocol/in-place";
import { requestHeaderNeed } from "./header";

class EnvoyBuffer extends PageSource {
  typ: BufferTypeValues = BufferTypeValues.NetworkDownstreamData;
  /** Where in Envoy's buffer the source's offset 0 is. */
  base: u32 = 0;

  // Lands where the page goes: no garbage to count towards the next collection.
  fetch(offset: u32, length: u32, into: usize): bool { return readInto(this.typ, this.base + offset, length, into); }
}

const envoyBuffer = new EnvoyBuffer();

/**
 * Envoy's `typ` buffer from byte `base` on, as the source of the pages of a frame read as it
 * arrives (valid until the next call).
 */
export function envoyPages(typ: BufferTypeValues, base: u32): PageSource {
  envoyBuffer.typ = typ;
  envoyBuffer.base = base;
  return envoyBuffer;
}

/**
 * The memory in-place chunks, and chunks read whole (scratchChunk), are laid out in, reused:
 * nothing refers to a chunk once the callback that read it returns (the framer copies what it
 * keeps of an unfinished frame). Left unfilled: it is read only where fetched (the minimal
 * runtime's allocation does not zero it; ArrayBuffer's constructor would, touching every page
 * of it). Kept up to SCRATCH_KEPT bytes, as layouts are (below): a larger chunk (Envoy may
 * hand over up to its connection buffer limit at once) gets memory of its own, garbage after
 * its callback, which the allocator can give to anything else; kept, it would serve chunks only.
 */
let scratch: ArrayBuffer = new ArrayBuffer(0);
const SCRATCH_STEP: u32 = 64 * 1024;
const SCRATCH_KEPT: u32 = 8 << 20;

function scratchOf(size: u32): ArrayBuffer {
  if (<u32>scratch.byteLength >= size) return scratch;
  const rounded = (<usize>size + SCRATCH_STEP - 1) & ~(<usize>SCRATCH_STEP - 1);
  const b = changetype<ArrayBuffer>(__new(rounded, idof<ArrayBuffer>()));
  if (rounded <= <usize>SCRATCH_KEPT) scratch = b;
  else noteBytesRead(size);
  return b;
}

/**
 * Envoy's `typ` buffer of `size` bytes copied into the scratch memory in-place chunks use, for a
 * chunk read whole: no block allocated per read, nothing left to collect (valid until the next
 * callback reads a chunk); null when the host does not give it.
 */
export function scratchChunk(typ: BufferTypeValues, size: u32): Uint8Array | null {
  const chunk = Uint8Array.wrap(scratchOf(size), 0, <i32>size);
  return readInto(typ, 0, size, chunk.dataStart) ? chunk : null;
}

// Memory Fetch responses read as they arrive are laid out in (streamed-response.ts),
// reused across frames and connections: a layout is written only where pages were fetched and
// read only where fetched (in-place.ts keeps which), so what an earlier frame left in it is
// never read. Without reuse, every large response left a layout of its size to the collector,
// and the allocator doubled the heap to find the next one. Up to LAYOUTS_KEPT bytes are kept.
const layouts = new Array<ArrayBuffer>();
let layoutsKept: i64 = 0;
const LAYOUTS_KEPT: i64 = 8 << 20;

/** Memory for a frame of `size` bytes: the smallest kept layout that fits, or a new one. */
export function takeLayout(size: u32): ArrayBuffer {
  let best = -1;
  for (let i = 0; i < layouts.length; i++) {
    const n = unchecked(layouts[i]).byteLength;
    if (<u32>n >= size && (best < 0 || n < unchecked(layouts[best]).byteLength)) best = i;
  }
  if (best >= 0) {
    const b = unchecked(layouts[best]);
    unchecked(layouts[best] = layouts[layouts.length - 1]);
    layouts.pop();
    layoutsKept -= <i64>b.byteLength;
    return b;
  }
  const rounded = (<usize>size + SCRATCH_STEP - 1) & ~(<usize>SCRATCH_STEP - 1);
  return changetype<ArrayBuffer>(__new(rounded, idof<ArrayBuffer>()));
}

/** Gives a layout back; false when it is not kept (garbage now). */
export function giveLayout(b: ArrayBuffer): bool {
  if (layoutsKept + <i64>b.byteLength > LAYOUTS_KEPT) return false;
  layouts.push(b);
  layoutsKept += <i64>b.byteLength;
  return true;
}

/**
 * The first page of Envoy's buffer as frameAtStart has it (firstPageLength bytes at
 * firstPagePtr; 0: none), for the inPlaceChunk that follows it in the same callback (one host
 * read for both).
 */
let firstPagePtr: usize = 0;
let firstPageLength: u32 = 0;

// One page of memory, reused, that the first bytes of Envoy's buffers are read into when they
// are not a chunk themselves (readHead): a large frame's first page, copied into its layout
// when it is decided in place. Whoever read into it last holds it: a reader keeps the ticket
// its read returned, and the page is still its own while no read came after (headAt). So a
// connection can keep its frame's first page while the frame waits in Envoy's buffer, and
// reads it again only if another connection read into the page meanwhile. Tickets are 64-bit:
// a frame may wait up to a day (frameTimeoutMs), long enough for 2^32 reads by another
// connection to bring a 32-bit ticket round to the waiting one's, with that connection's
// bytes in the page.
const headPage = new ArrayBuffer(<i32>IN_PLACE_PAGE);
let headTicket: u64 = 0;
let headLength: u32 = 0;

/** Reads the first `size` bytes (IN_PLACE_PAGE at most) of Envoy's `typ` buffer into the head page: its ticket, 0 if the host does not give them. */
export function readHead(typ: BufferTypeValues, size: u32): u64 {
  if (size > IN_PLACE_PAGE || !readInto(typ, 0, size, changetype<usize>(headPage))) return 0;
  headLength = size;
  return ++headTicket;
}

/** The head page, if `ticket` still holds it with `size` bytes; else 0. */
export function headAt(ticket: u64, size: u32): usize {
  return ticket != 0 && ticket == headTicket && headLength == size ? changetype<usize>(headPage) : 0;
}

/**
 * The size (prefix included) of the frame that starts Envoy's `size` byte buffer, of at least
 * `minBytes`, and, for a request (`apiKey` >= 0), of that api key; 0 when not (the buffer is
 * read as usual). Whole there (at most `size`), or only begun when `begun`. `start`, or the
 * head page under `ticket`: the buffer's first bytes if they were read already.
 */
export function frameAtStart(typ: BufferTypeValues, size: u32, minBytes: u32, begun: bool, apiKey: i32 = -1, start: Uint8Array | null = null, ticket: u64 = 0): u32 {
  firstPagePtr = 0;
  if (minBytes == 0 || size < minBytes) return 0;
  const first = min(size, IN_PLACE_PAGE);
  if (first < 6) return 0;
  let head = start != null && <u32>start.length == first ? start.dataStart : headAt(ticket, first);
  if (head == 0) {
    if (readHead(typ, first) == 0) return 0;
    head = changetype<usize>(headPage);
  }
  const declared = bswap<u32>(load<u32>(head));
  if (apiKey >= 0 && <i32>bswap<u16>(load<u16>(head, 4)) != apiKey) return 0;
  // A negative or oversized claim is the framer's to refuse, from the buffer read as usual.
  if (declared >= <u32>i32.MAX_VALUE - 4 || (!begun && declared + 4 > size) || declared + 4 < minBytes) return 0;
  firstPagePtr = head;
  firstPageLength = first;
  return declared + 4;
}

/**
 * Envoy's `size` byte buffer in VM memory (in `into`, else in scratch memory), its first
 * `frame` bytes, or all of it when the frame goes on past it, in place until endInPlace();
 * null when the host does not give what is fetched.
 */
export function inPlaceChunk(typ: BufferTypeValues, size: u32, frame: u32, into: ArrayBuffer | null = null): Uint8Array | null {
  const chunk = Uint8Array.wrap(into != null ? into : scratchOf(size), 0, <i32>size);
  const at = chunk.dataStart;
  envoyBuffer.typ = typ;
  envoyBuffer.base = 0;
  const inPlace = min(frame, size);
  // Fetched with the prefix: the request header and, usually, the topic names.
  const first = min(inPlace, IN_PLACE_PAGE);
  const page = firstPagePtr;
  firstPagePtr = 0;
  if (page != 0 && firstPageLength >= first) memory.copy(at, page, first);
  else if (!envoyBuffer.fetch(0, first, at)) return null;
  if (size > frame && !envoyBuffer.fetch(frame, size - frame, at + <usize>frame)) return null;
  beginInPlace(at, inPlace, envoyBuffer, first);
  // The framer reads a request's header (up to Produce's acks) without a Reader: fetched now,
  // however long the client id or transactional id. A response's is its correlation id.
  if (typ != BufferTypeValues.NetworkDownstreamData) return chunk;
  let have = <i32>first - 4;
  while (true) {
    const need = requestHeaderNeed(chunk.subarray(4, 4 + have), <i32>frame - 4);
    if (need <= have) break; // enough, or malformed: the framer says so
    // At least twice as much each time: each ask reads the header from its start, and header
    // v2's tagged fields ask for one byte more at a time (a 64 KiB frame of empty ones took
    // 7.7 s asked byte by byte, quadratic in its size: in-place-attacks.mjs).
    const more = min(max(need, have << 1), <i32>frame - 4);
    if (!makeReadable(at + 4 + <usize>have, <usize>(more - have))) return null;
    have = more;
  }
  return chunk;
}
