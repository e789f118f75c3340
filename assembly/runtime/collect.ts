// Garbage collection at safe points. filter.wasm is built with AssemblyScript's minimal
// runtime (two-colour mark & sweep, asconfig.json): it keeps no shadow stack of the references
// functions hold, which makes every allocation and call cheaper and the module smaller, but it
// may only collect when no Wasm frame holds a reference the heap does not also hold. The start
// of a host callback is such a place: below it there is only the SDK's export, whose context is
// in the SDK's global table. Envoy runs what a host call sets off in the VM (continueReading,
// closing) after the current call into the VM returns, so callbacks never nest.
//
// The other safe point is between two frames of one chunk (Framer.process): a chunk can carry
// several large frames, each leaving its held copy and decode behind, and waiting for the next
// callback let one VM grow to ~900 MiB where the incremental collector stayed at ~360 MiB (the
// e2e test of 40 fetches of 9 MB read at once).
//
// Collecting costs a walk of every live object, so it is done only when the heap had to grow
// since the last collection (garbage then fills it), or, at callback starts, after
// COLLECT_EVERY callbacks, which bounds how long garbage can linger on a quiet VM.

const COLLECT_EVERY: u32 = 4096;

let pagesAtLastCollect: i32 = memory.size();
let callbacksSinceCollect: u32 = 0;

/** Call first thing in a host callback (see above), never from anything a callback calls. */
export function collectAtCallbackStart(): void {
  callbacksSinceCollect++;
  if (memory.size() == pagesAtLastCollect && callbacksSinceCollect < COLLECT_EVERY) return;
  collect();
}

/**
 * Call only where every reference the Wasm stack holds is also held by the heap: Framer.process
 * between frames (its caller keeps the chunk and the output in the connection's Output).
 */
export function collectBetweenFrames(): void {
  if (memory.size() != pagesAtLastCollect) collect();
}

function collect(): void {
  __collect();
  pagesAtLastCollect = memory.size();
  callbacksSinceCollect = 0;
}
