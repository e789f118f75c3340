// Loads build/codecs.wasm (the generated codecs, as the CLI runs them) for Node-side tests.

import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export interface Codecs {
  decode(frame: Uint8Array, isRequest: boolean, apiKey: number, version: number): string;
  /** A request read as the filter and Kafka's broker read it (bytes after the body ignored); "" when it does not read (error(), brokerMayRead()). */
  readRequestAsBroker(frame: Uint8Array): string;
  /** Whether the request readRequestAsBroker() last could not read is one a broker may read anyway. */
  brokerMayRead(): boolean;
  /** The user the filter takes from a SASL client's first message once the broker accepts it; "" when it reads none. */
  saslUser(mechanism: string, token: Uint8Array): string;
  /** The names the filter's view of a request finds: a JSON array of "kind value", in the order of the bytes; "" when the walk fails (error()). */
  requestViewNames(frame: Uint8Array): string;
  reencode(frame: Uint8Array, isRequest: boolean, apiKey: number, version: number): Uint8Array | null;
  /** The generated views' walk of frames laid out by `table` (start, end, api key, version each), names decoded, `rounds` times: entities found, -1 on failure. */
  walkFrames(frames: Uint8Array, table: Int32Array, isRequest: boolean, rounds: number): number;
  /** The codecs on frames laid out as for walkFrames, all in Wasm: each decoded, and with `encode` written again, `rounds` times: bytes written in one round, -1 on failure. */
  codecFrames(frames: Uint8Array, table: Int32Array, isRequest: boolean, encode: boolean, rounds: number): number;
  encode(json: string, isRequest: boolean, apiKey: number, version: number): Uint8Array | null;
  apis(): string;
  error(): string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export async function loadCodecs(): Promise<Codecs> {
  return (await import(join(root, "build", "codecs.js"))) as Codecs;
}
