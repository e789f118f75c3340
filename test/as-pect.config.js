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
  /** The specs need no host imports beyond as-pect's own. */
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  /** Write each spec's .wasm/.wat next to it (debugging only). */
  outputBinary: false,
};
