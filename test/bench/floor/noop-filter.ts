// The bench's floor: a proxy-wasm network filter that does nothing (build/bench/noop-filter.wasm).
// Envoy loads it exactly as it loads build/filter.wasm (same listeners, root ids, vm_id and
// plugin configurations, which it ignores), so an Envoy running it costs what Envoy's Wasm
// machinery alone costs: the V8 isolates, the module's compiled code, a host call per read in
// each direction. `make bench` measures it beside the pass-through and the filter; what the
// filter costs above it is the filter's own.

export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, Context, registerRootContext } from "@solo-io/proxy-runtime/assembly/runtime";
import { FilterStatusValues, PeerTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";

/** Every network callback returns at once: no log call, no buffer read. */
class Noop extends Context {
  onNewConnection(): FilterStatusValues { return FilterStatusValues.Continue; }
  onDownstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onUpstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onDownstreamConnectionClose(t: PeerTypeValues): void {}
  onUpstreamConnectionClose(t: PeerTypeValues): void {}
  onLog(): void {}
}

class NoopRoot extends RootContext {
  onConfigure(configuration_size: u32): bool { return true; }
  createContext(context_id: u32): Context { return new Noop(context_id, this); }
}

// The root ids envoy/envoy.yaml names.
registerRootContext((context_id: u32): RootContext => new NoopRoot(context_id), "kafka");
registerRootContext((context_id: u32): RootContext => new NoopRoot(context_id), "kafka_resume");
