// Whole frames: the header selected by Kafka's rules, then the body, for any API the
// generated table knows. A frame here is the payload after the int32 size prefix.

import { Reader } from "./reader";
import { Writer } from "./writer";
import { Message } from "./message";
import { RequestHeaderData } from "../messages/RequestHeader";
import { ResponseHeaderData } from "../messages/ResponseHeader";
import {
  isSupported, newRequest, newResponse, requestHeaderVersion, responseHeaderVersion,
} from "../messages/apis";

export class DecodedRequest {
  header: RequestHeaderData = new RequestHeaderData();
  headerVersion: i16 = -1;
  body: Message | null = null;
  /** Empty when the frame decoded whole; else what failed, where. */
  error: string = "";
  get apiKey(): i16 { return this.header.requestApiKey; }
  get apiVersion(): i16 { return this.header.requestApiVersion; }
}

export class DecodedResponse {
  header: ResponseHeaderData = new ResponseHeaderData();
  headerVersion: i16 = -1;
  body: Message | null = null;
  error: string = "";
}

function finish(r: Reader, what: string, trailing: bool = false): string {
  if (r.failed) return what + ": " + r.describeError();
  if (r.remaining != 0 && !trailing) return what + ": " + r.remaining.toString() + " bytes left over after the body at offset " + r.pos.toString();
  return "";
}

function unsupported(apiKey: i16, version: i16): string {
  return "unsupported api key " + apiKey.toString() + " version " + version.toString();
}

/**
 * `asBroker`: read the request as Kafka's broker does, which reads the fields its version
 * defines and ignores any bytes after them (librdkafka sends some). Without it, left-over
 * bytes are an error (the CLI shows a capture exactly).
 */
export function decodeRequest(frame: Uint8Array, asBroker: bool = false): DecodedRequest {
  const d = new DecodedRequest();
  const peek = new Reader(frame);
  const apiKey = peek.int16("RequestHeader.RequestApiKey");
  const version = peek.int16("RequestHeader.RequestApiVersion");
  if (peek.failed) {
    d.error = "request header: " + peek.describeError();
    return d;
  }
  if (!isSupported(apiKey, version)) {
    d.error = unsupported(apiKey, version);
    return d;
  }
  const r = new Reader(frame);
  d.headerVersion = requestHeaderVersion(apiKey, version);
  d.header.read(r, d.headerVersion);
  const body = newRequest(apiKey)!;
  if (!r.failed) body.read(r, version);
  d.body = body;
  d.error = finish(r, "request", asBroker);
  return d;
}

export function decodeResponse(frame: Uint8Array, apiKey: i16, version: i16): DecodedResponse {
  const d = new DecodedResponse();
  if (!isSupported(apiKey, version)) {
    d.error = unsupported(apiKey, version);
    return d;
  }
  const r = new Reader(frame);
  d.headerVersion = responseHeaderVersion(apiKey, version);
  d.header.read(r, d.headerVersion);
  const body = newResponse(apiKey)!;
  if (!r.failed) body.read(r, version);
  d.body = body;
  d.error = finish(r, "response");
  return d;
}

/** Writes `int32 size, header, body`; check `w.failed` for a value the version cannot carry. */
export function encodeFrame(w: Writer, header: Message, headerVersion: i16, body: Message, version: i16): void {
  const start = w.len;
  w.int32(0);
  header.write(w, headerVersion);
  body.write(w, version);
  w.patchInt32(start, w.len - start - 4);
}
