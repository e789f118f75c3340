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
// Most of what a collection walks is long-lived: the state of the connections the VM serves,
// some 45 objects each, and the configuration's (a policy of 10,000 ACLs holds some 60,000).
// A VM serving thousands of connections walked it all every 512 frames, which made each frame
// pay for the marking of all of it: with 1,000 connections a Produce round trip cost 4 times
// its work alone, with 5,000 17 times, and with 10,000 ACLs 6 times. So the garbage allowed
// between collections grows with that state, estimated in objects (liveObjects): a frame per
// OBJECTS_PER_FRAME objects and HELD_BYTES_PER_OBJECT held bytes per object, past the floors
// above. A VM with much state keeps more garbage between collections (for 4,000 connections,
// about 8 KiB each), and each frame pays for marking a few objects, not all of them. Capped
// (MAX_FRAMES_BETWEEN, MAX_HELD_BYTES_BETWEEN): a client that opens thousands of idle
// connections must not buy itself room for unbounded garbage on another.

// A build with `--use COLLECT_AT_EVERY_SAFE_POINT=1` (build/filter-stress.wasm, mk/filter.mk)
// collects at every safe point, so that the shell and fuzz tests would see a reference the
// stack alone held being freed.
// @ts-ignore: compile-time constant, set with --use
const EVERY_SAFE_POINT: bool = isDefined(COLLECT_AT_EVERY_SAFE_POINT);
const COLLECT_AFTER_FRAMES: u32 = 512;
const COLLECT_AFTER_HELD_BYTES: i64 = 1 << 20;
const OBJECTS_PER_CONNECTION: i64 = 45;
// A request waiting for the broker's answer: its entry, header, note, a refusal's answer.
const OBJECTS_PER_WAITING_REQUEST: i64 = 8;
const OBJECTS_PER_FRAME: i64 = 5;
const HELD_BYTES_PER_OBJECT: i64 = 180;
// What an element read leaves to collect, at least: a small object and a slot in an array
// (measured: 200 to 600 bytes for a refused Produce partition or Metadata topic).
const HELD_BYTES_PER_ELEMENT: i64 = 256;
const MAX_FRAMES_BETWEEN: i64 = 32768;
const MAX_HELD_BYTES_BETWEEN: i64 = 32 << 20;

/** Connections open in this VM (noteConnectionOpened, noteConnectionClosed). */
let connections: i64 = 0;
/** Objects the configuration in force holds (setConfiguredObjects). */
let configured: i64 = 0;
/**
 * Requests of every connection waiting for the broker's answers (noteRequestsWaiting). Up to
 * filter.maxInFlight a connection: a client pipelining 16,000 requests under a raised limit
 * made each collection walk all those before it, and the chunk cost the square of its requests.
 */
let waiting: i64 = 0;
let framesAllowed: u32 = COLLECT_AFTER_FRAMES;
let heldBytesAllowed: i64 = COLLECT_AFTER_HELD_BYTES;

export function noteConnectionOpened(): void {
  connections++;
  pace();
}

export function noteConnectionClosed(): void {
  if (connections > 0) connections--;
  pace();
}

/** `delta` more requests (fewer, if negative) wait for the broker's answers. */
export function noteRequestsWaiting(delta: i32): void {
  waiting = max(waiting + <i64>delta, 0);
  pace();
}

/** The configuration now in force holds about `objects` objects. */
export function setConfiguredObjects(objects: i32): void {
  configured = <i64>max(objects, 0);
  pace();
}

/** Long-lived objects a collection walks, estimated. */
function liveObjects(): i64 { return connections * OBJECTS_PER_CONNECTION + configured + waiting * OBJECTS_PER_WAITING_REQUEST; }

function pace(): void {
  const objects = liveObjects();
  framesAllowed = <u32>min(max(<i64>COLLECT_AFTER_FRAMES, objects / OBJECTS_PER_FRAME), MAX_FRAMES_BETWEEN);
  heldBytesAllowed = min(max(COLLECT_AFTER_HELD_BYTES, objects * HELD_BYTES_PER_OBJECT), MAX_HELD_BYTES_BETWEEN);
}

let pagesAtLastCollect: i32 = memory.size();
let framesEnded: u32 = 0;
let heldBytes: i64 = 0;

/**
 * Call first thing in a host callback (see above), never from anything a callback calls.
 * Inlined: every callback, each read of a large frame too, asks; few collect.
 */
// @ts-ignore: decorator
@inline export function collectAtCallbackStart(): void { if (collectionDue()) collect(); }

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
 * `n` array elements or tagged fields were decoded into objects (codec/frame.ts; not the views'
 * walks, which allocate nothing per element): each an object or more, and the refusal, answer
 * and audit record the policy may make of it. A frame's bytes
 * alone undercount that by up to 100 times (a Produce partition refused: 6 bytes, some 600
 * allocated), and a client pipelining such frames grew a VM by 128 MiB before a collection came
 * due, where each frame alone grows it by 1.5 MiB.
 */
export function noteElementsRead(n: i32): void { heldBytes += <i64>n * HELD_BYTES_PER_ELEMENT; }

/**
 * `bytes` of a host buffer were copied into the VM (runtime/host.ts readBuffer): garbage once
 * read. Counted with the held frames: a large response streaming on in reads leaves its reads
 * behind besides its held copy, and a response read in place the pages fetched of it; without
 * them the heap doubled before anything was collected.
 */
export function noteBytesRead(bytes: u32): void { heldBytes += <i64>bytes; }

// @ts-ignore: decorator
@inline function collectionDue(): bool {
  return EVERY_SAFE_POINT || memory.size() != pagesAtLastCollect || framesEnded >= framesAllowed || heldBytes >= heldBytesAllowed;
}

function maybeCollect(): void {
  if (collectionDue()) collect();
}

function collect(): void {
  __collect();
  pagesAtLastCollect = memory.size();
  framesEnded = 0;
  heldBytes = 0;
}
