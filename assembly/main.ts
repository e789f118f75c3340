// Entry point of build/filter.wasm: the proxy-wasm ABI (proxy_* exports and the malloc Envoy
// calls) and the filter's root contexts (root.ts). Everything exported here becomes a Wasm
// export, so nothing else is.

export * from "@solo-io/proxy-runtime/assembly/exports";
// The host's allocator is ours, not the SDK's: a read can land where its bytes go (readInto).
export { malloc, free } from "./runtime/host";
import { proxy_on_context_create as createContext } from "@solo-io/proxy-runtime/assembly/exports";
import { seedHashesOnce } from "./runtime/hash-seed";
import { registerRoots } from "./root";
import { LogLevelValues, log } from "@solo-io/proxy-runtime/assembly/runtime";

/**
 * The SDK's, after the first call has keyed the string hashes and registered the root contexts
 * (whose factories the SDK keeps in a map by root id): nothing may fill a map before that.
 */
export function proxy_on_context_create(context_id: u32, root_context_id: u32): void {
  if (!rootsRegistered) {
    rootsRegistered = true;
    if (!seedHashesOnce()) log(LogLevelValues.critical, "kafka filter: a string was hashed before the hashes were keyed; a map may not find it");
    registerRoots();
  }
  createContext(context_id, root_context_id);
}

let rootsRegistered = false;
