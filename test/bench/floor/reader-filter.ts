// A second floor: a proxy-wasm network filter that reads each chunk Envoy hands it, once, whole,
// and does nothing else (build/bench/reader-filter.wasm). Any filter that frames Kafka's byte
// stream must at least look at every chunk in both directions; what that costs in Envoy (the
// host call, its allocation callback into the VM, the copy) no framing filter can go below.
//   make bench BENCH_NOOP_WASM=build/bench/reader-filter.wasm
// puts it where the no-op floor stands (its columns keep the no-op's names).

export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, Context, registerRootContext, get_buffer_bytes } from "@solo-io/proxy-runtime/assembly/runtime";
import { BufferTypeValues, FilterStatusValues, PeerTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";

class Reader extends Context {
  /** What was read, kept so that the reads are not optimized away. */
  bytesRead: u64 = 0;
  onNewConnection(): FilterStatusValues { return FilterStatusValues.Continue; }
  onDownstreamData(size: usize, end: bool): FilterStatusValues {
    this.bytesRead += <u64>get_buffer_bytes(BufferTypeValues.NetworkDownstreamData, 0, <u32>size).byteLength;
    return FilterStatusValues.Continue;
  }
  onUpstreamData(size: usize, end: bool): FilterStatusValues {
    this.bytesRead += <u64>get_buffer_bytes(BufferTypeValues.NetworkUpstreamData, 0, <u32>size).byteLength;
    return FilterStatusValues.Continue;
  }
  onDownstreamConnectionClose(t: PeerTypeValues): void {}
  onUpstreamConnectionClose(t: PeerTypeValues): void {}
  onLog(): void {}
}

class ReaderRoot extends RootContext {
  onConfigure(configuration_size: u32): bool { return true; }
  createContext(context_id: u32): Context { return new Reader(context_id, this); }
}

// The root ids envoy/envoy.yaml names.
registerRootContext((context_id: u32): RootContext => new ReaderRoot(context_id), "kafka");
registerRootContext((context_id: u32): RootContext => new ReaderRoot(context_id), "kafka_resume");
