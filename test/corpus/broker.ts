// What Kafka's broker says to one request frame sent on its own PLAINTEXT listener (no Envoy):
// at capture, for the hand-made requests and for the clients' requests the filter never passed on.

import type { Codecs } from "../lib/codecs";
import { BROKER_DIRECT } from "../e2e/lib/env";
import { RawConnection } from "../e2e/lib/raw";

/** "answered" when the response on a fresh connection carries the correlation id and decodes; else what happened. */
export async function brokerVerdict(frame: Buffer, codecs: Codecs): Promise<string> {
  const apiKey = frame.readInt16BE(4), version = frame.readInt16BE(6), correlationId = frame.readInt32BE(8);
  let c: RawConnection | null = null;
  try {
    c = await RawConnection.open(BROKER_DIRECT);
    const response = await c.request(frame, 5000);
    if (response.readInt32BE(0) !== correlationId) return `answered another correlation id (${response.readInt32BE(0)})`;
    return codecs.decode(response, false, apiKey, version) ? "answered" : "answered with a response that does not decode";
  } catch (e) {
    return `no answer: ${(e as Error).message}`;
  } finally {
    c?.destroy();
  }
}
