// Loads build/codecs.wasm (the generated codecs, as the CLI runs them) for Node-side tests.

import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export interface Codecs {
  decode(frame: Uint8Array, isRequest: boolean, apiKey: number, version: number): string;
  reencode(frame: Uint8Array, isRequest: boolean, apiKey: number, version: number): Uint8Array | null;
  encode(json: string, isRequest: boolean, apiKey: number, version: number): Uint8Array | null;
  apis(): string;
  error(): string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export async function loadCodecs(): Promise<Codecs> {
  return (await import(join(root, "build", "codecs.js"))) as Codecs;
}
