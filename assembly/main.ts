// Entry point of build/filter.wasm: the proxy-wasm ABI (proxy_* exports and the malloc Envoy
// calls) and the filter's root contexts (root.ts). Everything exported here becomes a Wasm
// export, so nothing else is.

export * from "@solo-io/proxy-runtime/assembly/proxy";
import "./root";
