// The "kafka_resume" filter: a second, tiny filter placed just before "kafka" on a listener
// whose policy waits for answers from outside (external decisions). It passes everything on;
// its only use is as the point Envoy resumes from.
//
// Why it exists: a network filter that returned StopIteration is resumed by continueReading()
// on some filter's callbacks, and Envoy then runs the filters AFTER that one on the connection's
// read buffer. Resumed from "kafka" itself, tcp_proxy would get the waiting request unread;
// resumed from this filter, "kafka" gets its onDownstreamData again and decides the request.
// Both filters share the Wasm VM (same vm_config), so "kafka" finds this filter's context by
// Envoy's connection id (property connection.id). A host without that property: Envoy runs
// onNewConnection of a connection's filters in order, on one thread, so the gate created last
// and not yet claimed is the one in front of the connection that claims it.

import { Context, RootContext, FilterStatusValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { getPropertyBytes } from "../runtime/host";

export const RESUME_ROOT_ID = "kafka_resume";

/** Gates by Envoy's connection id (property connection.id), until their connection claims them. */
const gates = new Map<string, u32>();
/** The gate created last and not yet claimed: the link when the host gives no connection id. */
let unclaimed: u32 = 0;

function connectionKey(): string | null {
  const id = getPropertyBytes(["connection", "id"]);
  if (id == null || id.length == 0) return null;
  let key = "";
  for (let i = 0; i < id.length; i++) key += String.fromCharCode(<i32>unchecked(id[i]));
  return key;
}

/** The resume gate in front of the connection whose onNewConnection runs now (0: none). */
export function claimResumeGate(): u32 {
  const key = connectionKey();
  let g: u32 = 0;
  if (key != null) {
    if (gates.has(key)) {
      g = gates.get(key);
      gates.delete(key);
    }
  } else {
    g = unclaimed;
  }
  unclaimed = 0;
  return g;
}

class ResumeGate extends Context {
  private key: string | null = null;

  onNewConnection(): FilterStatusValues {
    const key = connectionKey();
    this.key = key;
    if (key != null) gates.set(key, this.context_id);
    else unclaimed = this.context_id;
    return FilterStatusValues.Continue;
  }
  onDownstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onUpstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onDone(): bool {
    const key = this.key;
    if (key != null && gates.has(key) && gates.get(key) == this.context_id) gates.delete(key);
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
