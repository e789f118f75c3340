// Entry point of build/filter.wasm: the proxy-wasm ABI (proxy_* exports and the malloc Envoy
// calls) and the filter's root contexts (root.ts). Everything exported here becomes a Wasm
// export, so nothing else is.

export * from "@solo-io/proxy-runtime/assembly/exports";
// The host's allocator is ours, not the SDK's: a read can land where its bytes go (readInto).
export { malloc, free } from "./runtime/host";
import "./root";
