// as-pect 8 configuration for the AssemblyScript unit specs in test/spec.
// Run from the repository root (as test/run-all.sh does):
//   npx asp --config test/as-pect.config.js --as-config test/as-pect.asconfig.json
// The asconfig adds @as-pect/transform and the @as-pect/assembly entry to each spec's build.
export default {
  /** Spec files: each is compiled and run as its own module. */
  entries: ["test/spec/**/*.spec.ts"],
  /** Files added to every spec's compilation. */
  include: ["test/spec/**/*.include.ts"],
  /** Spec paths matching any of these are skipped. */
  disclude: [/node_modules/],
  /**
   * Specs of the policy layer reach the proxy-wasm host for logs and counters; these stand-ins
   * accept them (results are checked through what the code returns, not through the host).
   */
  async instantiate(memory, createImports, instantiate, binary) {
    let nextMetric = 1;
    const u32 = (ptr, value) => new DataView(memory.buffer).setUint32(ptr, value, true);
    const host = {
      proxy_log: () => 0,
      proxy_get_log_level: (ptr) => { u32(ptr, 2); return 0; }, // info
      proxy_define_metric: (_type, _name, _len, idPtr) => { u32(idPtr, nextMetric++); return 0; },
      proxy_increment_metric: () => 0,
      proxy_get_property: () => 1, // NotFound
      proxy_get_shared_data: () => 1, // NotFound: each spec's VM learns alone
      proxy_set_shared_data: () => 2, // BadArgument: no shared data here (session.ts ShareSessionOpeners)
      proxy_http_call: () => 1, // no cluster: external decisions fail (their specs ask nothing)
      proxy_get_header_map_value: () => 1,
      proxy_continue_stream: () => 0,
      proxy_set_effective_context: () => 0,
      proxy_get_current_time_nanoseconds: (ptr) => { new DataView(memory.buffer).setBigUint64(ptr, 1n, true); return 0; },
    };
    return instantiate(binary, createImports({ env: { memory, ...host } }));
  },
  /** Write each spec's .wasm/.wat next to it (debugging only). */
  outputBinary: false,
};
