// Loads build/policy.wasm (assembly/policy-cli.ts): the filter's own validator, authorizer and
// per-API checks. Its checks log and count through the proxy-wasm host; outside Envoy these
// stand-ins accept the calls and keep nothing (the answers come back as JSON, not as logs).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export interface PolicyModule {
  /** Every problem of a plugin configuration, as "path: why" ([] when the filter accepts it). */
  check(config: string): string[];
  /** Kafka's API key for a name ("Produce", any case); -1 when unknown. */
  apiKey(name: string): number;
  /** JSON text, or throws with the module's reason. */
  explainAcl(config: string, principal: string, host: string, resource: string, operation: string): string;
  explainRequest(config: string, principal: string, host: string, requestJson: string): string;
  /** Answer lines to ACL questions (see policy-cli.ts authorizeAll), or throws with the module's reason. */
  authorizeAll(config: string, questions: string): string;
  /** The principal of a TLS client (JSON {"principal"}), from Envoy's subject or Kafka's name of it. */
  tlsPrincipal(config: string, subject: string, isKafkaName: boolean): string;
}

const WASM = join(dirname(fileURLToPath(import.meta.url)), "..", "build", "policy.wasm");
const LOG_LEVEL_CRITICAL = 5; // nothing below is logged, so no log line is even built
const NOT_FOUND = 1;

interface Exports {
  memory: WebAssembly.Memory;
  __new(size: number, classId: number): number;
  __pin(ptr: number): number;
  __unpin(ptr: number): void;
  [name: string]: unknown;
}

export async function loadPolicyModule(): Promise<PolicyModule> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(WASM);
  } catch {
    throw new Error(`${WASM} is missing: run 'make policy-tool'`);
  }
  let memory: WebAssembly.Memory | null = null;
  const view = (): DataView => new DataView(memory!.buffer);
  let nextMetric = 1;
  const env = {
    abort: () => { throw new Error("policy.wasm aborted"); },
    proxy_log: () => 0,
    proxy_get_log_level: (ptr: number) => { view().setUint32(ptr, LOG_LEVEL_CRITICAL, true); return 0; },
    proxy_define_metric: (_type: number, _name: number, _len: number, idPtr: number) => { view().setUint32(idPtr, nextMetric++, true); return 0; },
    proxy_increment_metric: () => 0,
    proxy_get_shared_data: () => NOT_FOUND,
    proxy_set_shared_data: () => 0, // one process, no other VM to tell
    proxy_get_current_time_nanoseconds: (ptr: number) => { view().setBigUint64(ptr, BigInt(Date.now()) * 1_000_000n, true); return 0; },
    // External decisions ("external") are the service's to explain: the CLI never calls it.
    proxy_http_call: () => NOT_FOUND,
    proxy_set_effective_context: () => 0,
  };
  const { instance } = await WebAssembly.instantiate(new Uint8Array(bytes), { env });
  const x = instance.exports as unknown as Exports;
  memory = x.memory;

  const STRING_CLASS_ID = 2; // AssemblyScript's ~lib/string/String
  const lower = (s: string): number => {
    const ptr = x.__pin(x.__new(s.length << 1, STRING_CLASS_ID)) >>> 0;
    const u16 = new Uint16Array(x.memory.buffer, ptr, s.length);
    for (let i = 0; i < s.length; i++) u16[i] = s.charCodeAt(i);
    return ptr;
  };
  const lift = (ptr: number): string => {
    ptr >>>= 0;
    const length = new Uint32Array(x.memory.buffer)[(ptr - 4) >>> 2] >>> 1;
    const u16 = new Uint16Array(x.memory.buffer, ptr, length);
    let s = "";
    for (let i = 0; i < length; i += 4096) s += String.fromCharCode(...u16.subarray(i, i + 4096));
    return s;
  };
  /** Calls an export that takes strings (and booleans) and returns a string. */
  const call = (name: string, ...args: Array<string | boolean>): string => {
    const ptrs = args.filter((a): a is string => typeof a === "string").map(lower);
    let next = 0;
    const values = args.map((a) => (typeof a === "string" ? ptrs[next++] : a ? 1 : 0));
    try {
      return lift((x[name] as (...a: number[]) => number)(...values));
    } finally {
      for (const p of ptrs) x.__unpin(p);
    }
  };
  const answer = (json: string): string => {
    if (json === "") throw new Error(call("error"));
    return json;
  };
  return {
    check: (config) => JSON.parse(call("check", config)) as string[],
    apiKey: (name) => {
      const p = lower(name);
      try {
        return (x.apiKey as (p: number) => number)(p);
      } finally {
        x.__unpin(p);
      }
    },
    explainAcl: (config, principal, host, resource, operation) => answer(call("explainAcl", config, principal, host, resource, operation)),
    explainRequest: (config, principal, host, request) => answer(call("explainRequest", config, principal, host, request)),
    authorizeAll: (config, questions) => answer(call("authorizeAll", config, questions)),
    tlsPrincipal: (config, subject, isKafkaName) => answer(call("tlsPrincipal", config, subject, isKafkaName)),
  };
}
