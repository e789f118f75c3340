// Garbage collection at safe points. filter.wasm is built with AssemblyScript's minimal
// runtime (two-colour mark & sweep, asconfig.json): it keeps no shadow stack of the references
// functions hold, which makes every allocation and call cheaper and the module smaller, but it
// may only collect when no Wasm frame holds a reference the heap does not also hold.
//
// Safe points:
// - the start of a host callback: below it there is only the SDK's export, whose context is in
//   the SDK's global table. Envoy runs what a host call sets off in the VM (continueReading,
//   closing) after the current call into the VM returns, so callbacks never nest;
// - between two frames of one chunk (Framer.process, whose caller keeps the chunk and the
//   output on the heap): a chunk can carry several large frames, each leaving its held copy and
//   its decode behind.
//
// When: the runtime cannot say how much garbage there is, so it is estimated. The allocator
// doubles the heap whenever a block does not fit; collecting only after that let the heap double
// again on every fill (one VM reached ~700 MiB reading 40 fetches of 9 MB, where the incremental
// collector stayed near 360 MiB). So a collection also comes after COLLECT_AFTER_HELD_BYTES of
// held frames (their copies and decodes are most of the garbage, about 3x their size) or
// COLLECT_AFTER_FRAMES frames (small requests and their answers), whichever is first. Frames, not
// callbacks: a read inside a frame leaves next to nothing (a large response's records go by
// unread, a large request waits in Envoy's buffer), and counting those reads made a 1 MiB
// response in 17 reads pay for five times the collections of a 1 KiB one. A collection walks the
// live objects only: with a VM's usual few thousand, tens of microseconds.
//
// Most of what a collection walks is the state of the connections the VM serves, some 45
// objects each. A VM serving thousands walked it every 512 frames, which made each frame pay
// for the marking of all of them: with 1,000 connections a Produce round trip cost 4 times
// its work alone, with 5,000 17 times. So the garbage allowed between collections grows with
// the connections open, as a share of their state: FRAMES_PER_CONNECTION frames and
// HELD_BYTES_PER_CONNECTION held bytes each, past the floors above (more memory for garbage
// in a VM that serves many connections, a collection's cost spread over as many frames).

// A build with `--use COLLECT_AT_EVERY_SAFE_POINT=1` (build/filter-stress.wasm, mk/filter.mk)
// collects at every safe point, so that the shell and fuzz tests would see a reference the
// stack alone held being freed.
// @ts-ignore: compile-time constant, set with --use
const EVERY_SAFE_POINT: bool = isDefined(COLLECT_AT_EVERY_SAFE_POINT);
const COLLECT_AFTER_FRAMES: u32 = 512;
const COLLECT_AFTER_HELD_BYTES: i64 = 1 << 20;
const FRAMES_PER_CONNECTION: u32 = 8;
const HELD_BYTES_PER_CONNECTION: i64 = 8 << 10;

/** Connections open in this VM (noteConnectionOpened, noteConnectionClosed). */
let connections: u32 = 0;
let framesAllowed: u32 = COLLECT_AFTER_FRAMES;
let heldBytesAllowed: i64 = COLLECT_AFTER_HELD_BYTES;

export function noteConnectionOpened(): void { paceFor(connections + 1); }
export function noteConnectionClosed(): void { paceFor(connections > 0 ? connections - 1 : 0); }

function paceFor(n: u32): void {
  connections = n;
  framesAllowed = max(COLLECT_AFTER_FRAMES, n * FRAMES_PER_CONNECTION);
  heldBytesAllowed = max(COLLECT_AFTER_HELD_BYTES, <i64>n * HELD_BYTES_PER_CONNECTION);
}

let pagesAtLastCollect: i32 = memory.size();
let framesEnded: u32 = 0;
let heldBytes: i64 = 0;

/** Call first thing in a host callback (see above), never from anything a callback calls. */
export function collectAtCallbackStart(): void { maybeCollect(); }

/**
 * Call only where every reference the Wasm stack holds is also held by the heap: Framer.process
 * between frames (see above).
 */
export function collectBetweenFrames(): void {
  framesEnded++;
  maybeCollect();
}

/** A frame of `bytes` was held and handed to the handler: garbage of about that order follows. */
export function noteHeldFrame(bytes: i32): void { heldBytes += bytes; }

/**
 * `bytes` of a host buffer were copied into the VM (runtime/host.ts readBuffer): garbage once
 * read. Counted with the held frames: a large response streaming on in reads leaves its reads
 * behind besides its held copy, and a response read in place the pages fetched of it; without
 * them the heap doubled before anything was collected.
 */
export function noteBytesRead(bytes: u32): void { heldBytes += <i64>bytes; }

function maybeCollect(): void {
  if (!EVERY_SAFE_POINT && memory.size() == pagesAtLastCollect && framesEnded < framesAllowed && heldBytes < heldBytesAllowed) return;
  __collect();
  pagesAtLastCollect = memory.size();
  framesEnded = 0;
  heldBytes = 0;
}
