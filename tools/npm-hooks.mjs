// The package's npm lifecycle scripts:
//   postinstall: apply patches/ to node_modules (the reviewed @solo-io/proxy-runtime patch);
//   prepare:     build build/codecs.wasm and build/policy.wasm, which the kafka-wasm CLI runs.
// npm 11's `npx kafka-wasm` in a checkout links the checkout into npx's cache and runs these
// scripts again there (npm_command=exec), where the dev tools are not on the PATH; the
// checkout's own `npm ci` has done the work, so they are skipped then.
import { execFileSync } from "node:child_process";

const hook = process.argv[2];
if (process.env.npm_command === "exec") process.exit(0);

const run = (bin, args) => execFileSync(process.execPath, [bin, ...args], { stdio: "inherit" });
if (hook === "postinstall") run("node_modules/patch-package/index.js", []);
else if (hook === "prepare") {
  run("node_modules/assemblyscript/bin/asc.js", ["assembly/cli.ts", "--config", "asconfig.json", "--target", "codecs"]);
  run("node_modules/assemblyscript/bin/asc.js", ["assembly/policy-cli.ts", "--config", "asconfig.json", "--target", "policy"]);
}
else {
  console.error(`npm-hooks: unknown hook '${hook}'`);
  process.exit(2);
}
