// Request header (v1/v2 prefix: api_key, api_version, correlation_id, client_id) and the
// correlation id that starts every response, read with the protocol Reader.

import { Reader } from "../protocol/reader";
import { RequestHeader } from "./seam";
import { requestHeaderVersion } from "../messages/apis";

@inline function int16At(b: Uint8Array, at: i32): i32 {
  return <i32><i16>((<i32>unchecked(b[at]) << 8) | <i32>unchecked(b[at + 1]));
}

/** Only request header v0 (ControlledShutdown v0, by the generated table's rule) has no client_id. */
@inline function hasClientId(apiKey: i32, apiVersion: i32): bool {
  return requestHeaderVersion(<i16>apiKey, <i16>apiVersion) != 0;
}

/**
 * Bytes of the frame needed to read the request header up to and including client_id,
 * given the first `avail.length` bytes; a negative HeaderError if the frame cannot hold one.
 */
export function requestHeaderNeed(avail: Uint8Array, frameSize: i32): i32 {
  if (frameSize < 8) return HeaderError.TooShort;
  if (avail.length < 8) return 8;
  if (!hasClientId(int16At(avail, 0), int16At(avail, 2))) return 8;
  if (frameSize < 10) return HeaderError.TooShort;
  if (avail.length < 10) return 10;
  const n = int16At(avail, 8);
  if (n < -1) return HeaderError.BadClientIdLength;
  const need = 10 + max(n, 0);
  return need <= frameSize ? need : HeaderError.ClientIdPastFrame;
}

export const enum HeaderError { TooShort = -1, BadClientIdLength = -2, ClientIdPastFrame = -3 }

export function headerErrorText(e: i32): string {
  if (e == HeaderError.BadClientIdLength) return "negative client_id length";
  if (e == HeaderError.ClientIdPastFrame) return "client_id runs past the end of the frame";
  return "too short for a request header";
}

/** Reads the header from `head` (at least requestHeaderNeed bytes); null if malformed. */
export function readRequestHeader(head: Uint8Array, frameSize: i32): RequestHeader | null {
  const r = new Reader(head);
  const apiKey = r.int16("api_key");
  const apiVersion = r.int16("api_version");
  const correlationId = r.int32("correlation_id");
  let clientId: string | null = null;
  if (hasClientId(apiKey, apiVersion)) clientId = r.nullableString("client_id", false, true);
  if (r.failed) return null;
  return new RequestHeader(apiKey, apiVersion, correlationId, clientId, r.pos, frameSize);
}

/** Bytes of a response frame needed for its correlation id; -1 if too short to have one. */
export function responseHeaderNeed(frameSize: i32): i32 {
  return frameSize < 4 ? -1 : 4;
}

export function readCorrelationId(head: Uint8Array): i32 {
  return new Reader(head).int32("correlation_id");
}
