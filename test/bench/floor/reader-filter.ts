// A second floor: a proxy-wasm network filter that reads each chunk Envoy hands it, once and
// whole, and does nothing else (build/bench/reader-filter.wasm). For small frames (Metadata) it is
// what any filter that frames Kafka's stream reads; for large ones (a 101 KiB Produce, a 1 MiB
// Fetch response) the filter reads less than this, only the headers policy needs, the records
// left in Envoy's buffer (in place): there the reader shows what reading every byte would cost.
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
    // The minimal runtime collects only when asked: each read is garbage once counted.
    __collect();
    this.bytesRead += <u64>get_buffer_bytes(BufferTypeValues.NetworkDownstreamData, 0, <u32>size).byteLength;
    return FilterStatusValues.Continue;
  }
  onUpstreamData(size: usize, end: bool): FilterStatusValues {
    __collect();
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
