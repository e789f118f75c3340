// The "kafka_resume" filter: a second, tiny filter placed just before "kafka" on a listener
// whose policy waits for answers from outside (external decisions). It passes everything on;
// its only use is as the point Envoy resumes from.
//
// Why it exists: a network filter that returned StopIteration is resumed by continueReading()
// on some filter's callbacks, and Envoy then runs the filters AFTER that one on the connection's
// read buffer. Resumed from "kafka" itself, tcp_proxy would get the waiting request unread;
// resumed from this filter, "kafka" gets its onDownstreamData again and decides the request.
// Both filters share the Wasm VM (same vm_config), so "kafka" finds this filter's context: Envoy
// runs onNewConnection of a connection's filters in order, on one thread, so the gate created
// last and not yet claimed is the one in front of the connection that claims it.

import { Context, RootContext, FilterStatusValues } from "@solo-io/proxy-runtime/assembly/runtime";

export const RESUME_ROOT_ID = "kafka_resume";

let unclaimed: u32 = 0;

/** The resume gate of the connection whose onNewConnection runs now (0: none in front of it). */
export function claimResumeGate(): u32 {
  const g = unclaimed;
  unclaimed = 0;
  return g;
}

class ResumeGate extends Context {
  onNewConnection(): FilterStatusValues {
    unclaimed = this.context_id;
    return FilterStatusValues.Continue;
  }
  onDownstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onUpstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onDone(): bool {
    if (unclaimed == this.context_id) unclaimed = 0;
    return true;
  }
  onLog(): void {}
  onDelete(): void {}
}

export class ResumeRoot extends RootContext {
  onConfigure(configuration_size: u32): bool { return true; }
  createContext(context_id: u32): Context { return new ResumeGate(context_id, this); }
}
