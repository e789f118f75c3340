// kafka-wasm: decode and encode Kafka frames with the generated codecs (build/codecs.wasm,
// the same AssemblyScript the filter runs).
//
//   kafka-wasm decode [--api-key K --api-version V] < frame.bin > frame.json
//   kafka-wasm encode [--api-key K --api-version V] < frame.json > frame.bin
//   kafka-wasm apis
//   kafka-wasm policy check|explain|import ...   (tools/policy.ts: the filter's own policy code)
//
// A frame is one size-prefixed Kafka frame. Requests carry their api key and version in
// their header; responses do not, so they need both flags. Errors are one line on stderr.

import { readFileSync } from "node:fs";
import { loadCodecs } from "../test/lib/codecs";
import { policyCommand, POLICY_USAGE, UsageError } from "./policy";

const USAGE = "usage: kafka-wasm decode|encode [--api-key K --api-version V] | kafka-wasm apis | kafka-wasm policy ...\n" + POLICY_USAGE;

interface Args { command: string; apiKey: number | null; apiVersion: number | null }

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? "", apiKey: null, apiVersion: null };
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag !== "--api-key" && flag !== "--api-version") throw new UsageError(`unknown argument '${flag}'`);
    if (value === undefined || !/^\d+$/.test(value) || Number(value) > 32767) throw new UsageError(`${flag} needs a number from 0 to 32767`);
    if (flag === "--api-key") args.apiKey = Number(value);
    else args.apiVersion = Number(value);
    i++;
  }
  if ((args.apiKey === null) !== (args.apiVersion === null)) throw new UsageError("--api-key and --api-version go together (a response needs both)");
  return args;
}

function readStdin(): Buffer {
  try {
    return readFileSync(0);
  } catch {
    return Buffer.alloc(0);
  }
}

/** The frame's payload after its size prefix, which must match what was read. */
function unframe(input: Buffer): Uint8Array {
  if (input.length < 4) throw new Error(`input has ${input.length} bytes; a frame starts with a 4-byte size`);
  const size = input.readInt32BE(0);
  if (size < 0) throw new Error(`frame size ${size} is negative`);
  if (size !== input.length - 4) throw new Error(`frame size says ${size} bytes but ${input.length - 4} follow it`);
  return new Uint8Array(input.subarray(4));
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "policy") return policyCommand(argv.slice(1), (line) => process.stdout.write(line + "\n"));
  const args = parseArgs(argv);
  const isRequest = args.apiKey === null;
  const codecs = await loadCodecs();
  switch (args.command) {
    case "decode": {
      const json = codecs.decode(unframe(readStdin()), isRequest, args.apiKey ?? 0, args.apiVersion ?? 0);
      if (json === "") throw new Error(codecs.error());
      process.stdout.write(json + "\n");
      return 0;
    }
    case "encode": {
      const frame = codecs.encode(readStdin().toString("utf8"), isRequest, args.apiKey ?? 0, args.apiVersion ?? 0);
      if (frame === null) throw new Error(codecs.error());
      process.stdout.write(frame);
      return 0;
    }
    case "apis":
      process.stdout.write(JSON.stringify(JSON.parse(codecs.apis()), null, 2) + "\n");
      return 0;
    default:
      throw new UsageError(args.command === "" ? "missing command" : `unknown command '${args.command}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`kafka-wasm: ${message}\n`);
    if (e instanceof UsageError) process.stderr.write(USAGE + "\n");
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
