// Garbage collection at safe points. filter.wasm is built with AssemblyScript's minimal
// runtime (two-colour mark & sweep, asconfig.json): it keeps no shadow stack of the references
// functions hold, which makes every allocation and call cheaper and the module smaller, but it
// may only collect when no Wasm frame holds a reference the heap does not also hold. The start
// of a host callback is such a place: below it there is only the SDK's export, whose context is
// in the SDK's global table. Envoy runs what a host call sets off in the VM (continueReading,
// closing) after the current call into the VM returns, so callbacks never nest.
//
// Collecting costs a walk of every live object, so it is done only when the heap had to grow
// since the last collection (garbage then fills it), or after COLLECT_EVERY callbacks, which
// bounds how long garbage holding pinned-off host buffers can linger on a quiet VM.

const COLLECT_EVERY: u32 = 4096;

let pagesAtLastCollect: i32 = memory.size();
let callbacksSinceCollect: u32 = 0;

/** Call first thing in a host callback (see above), never from anything a callback calls. */
export function collectAtCallbackStart(): void {
  callbacksSinceCollect++;
  const pages = memory.size();
  if (pages == pagesAtLastCollect && callbacksSinceCollect < COLLECT_EVERY) return;
  __collect();
  pagesAtLastCollect = memory.size();
  callbacksSinceCollect = 0;
}
