// Whole frames: the header selected by Kafka's rules, then the body, for any API the
// generated table knows. A frame here is the payload after the int32 size prefix.

import { Reader } from "../protocol/reader";
import { Writer } from "../protocol/writer";
import { Message } from "../protocol/message";
import { RequestHeaderData } from "../messages/RequestHeader";
import { ResponseHeaderData } from "../messages/ResponseHeader";
import {
  apiName, isSupported, newRequest, newResponse, requestHeaderVersion, responseHeaderVersion,
} from "../messages/apis";
import { noteElementsRead } from "../runtime/collect";

export class DecodedRequest {
  header: RequestHeaderData = new RequestHeaderData();
  headerVersion: i16 = -1;
  body: Message | null = null;
  /** The bytes decoded (header and body, no size prefix): what the generated views walk. */
  frame: Uint8Array | null = null;
  /** Empty when the frame decoded whole; else what failed, where. */
  error: string = "";
  /**
   * With an error: a broker may still read this frame, so it must not go on unread. Its API
   * or version is one these codecs do not know (another Kafka release may), or it failed
   * where Kafka's reader reads on (Reader.brokerMayRead).
   */
  brokerMayRead: bool = false;
  get apiKey(): i16 { return this.header.requestApiKey; }
  get apiVersion(): i16 { return this.header.requestApiVersion; }
}

export class DecodedResponse {
  header: ResponseHeaderData = new ResponseHeaderData();
  headerVersion: i16 = -1;
  body: Message | null = null;
  error: string = "";
}

/**
 * Why a read of a whole `what` ("request", "response") from `r` is not good, "" when it is:
 * the reader failed, or bytes are left after the body (allowed when `trailing`).
 */
export function readProblem(r: Reader, what: string, trailing: bool = false): string {
  if (r.failed) return what + ": " + r.describeError();
  if (r.remaining != 0 && !trailing) return what + ": " + r.remaining.toString() + " bytes left over after the body at offset " + r.pos.toString();
  return "";
}

export function unsupported(apiKey: i16, version: i16): string {
  return "unsupported api key " + apiKey.toString() + " version " + version.toString();
}

/**
 * Reads a body of `apiKey` at `version` from `r` (a fresh default one when `r` has failed
 * already); null when the module has no reader for it. The `any*` ones below read any API
 * through Message's virtual read; filter.wasm passes its own (messages/filter-codecs.ts), so
 * that only the readers it uses are compiled in.
 */
export type BodyReader = (apiKey: i16, r: Reader, version: i16) => Message | null;
/** Writes `body` of `apiKey` at `version`; false when the module has no writer for it. */
export type BodyWriter = (apiKey: i16, w: Writer, body: Message, version: i16) => bool;

function readAnyRequest(apiKey: i16, r: Reader, version: i16): Message | null {
  const body = newRequest(apiKey)!;
  if (!r.failed) body.read(r, version);
  return body;
}

function readAnyResponse(apiKey: i16, r: Reader, version: i16): Message | null {
  const body = newResponse(apiKey)!;
  if (!r.failed) body.read(r, version);
  return body;
}

/**
 * `asBroker`: read the request as Kafka's broker does, which reads the fields its version
 * defines and ignores any bytes after them (librdkafka sends some). Without it, left-over
 * bytes are an error (the CLI shows a capture exactly).
 */
export function decodeRequest(frame: Uint8Array, asBroker: bool = false): DecodedRequest {
  return decodeRequestWith(frame, asBroker, readAnyRequest);
}

export function decodeRequestWith(frame: Uint8Array, asBroker: bool, readBody: BodyReader): DecodedRequest {
  const d = new DecodedRequest();
  d.frame = frame;
  const peek = new Reader(frame);
  const apiKey = peek.int16("RequestHeader.RequestApiKey");
  const version = peek.int16("RequestHeader.RequestApiVersion");
  if (peek.failed) {
    d.error = "request header: " + peek.describeError();
    return d;
  }
  if (!isSupported(apiKey, version)) {
    d.error = unsupported(apiKey, version);
    d.brokerMayRead = true;
    return d;
  }
  const r = new Reader(frame);
  d.headerVersion = requestHeaderVersion(apiKey, version);
  d.header.read(r, d.headerVersion);
  d.body = readBody(apiKey, r, version);
  noteElementsRead(r.elementsRead());
  d.error = d.body == null ? noCodec("reader", apiKey, "requests") : readProblem(r, "request", asBroker);
  d.brokerMayRead = d.error.length > 0 && (d.body == null || r.brokerMayRead);
  return d;
}

export function decodeResponse(frame: Uint8Array, apiKey: i16, version: i16): DecodedResponse {
  return decodeResponseWith(frame, apiKey, version, readAnyResponse);
}

export function decodeResponseWith(frame: Uint8Array, apiKey: i16, version: i16, readBody: BodyReader): DecodedResponse {
  const d = new DecodedResponse();
  if (!isSupported(apiKey, version)) {
    d.error = unsupported(apiKey, version);
    return d;
  }
  const r = new Reader(frame);
  d.headerVersion = responseHeaderVersion(apiKey, version);
  d.header.read(r, d.headerVersion);
  d.body = readBody(apiKey, r, version);
  noteElementsRead(r.elementsRead());
  d.error = d.body == null ? noCodec("reader", apiKey, "responses") : readProblem(r, "response");
  return d;
}

function noCodec(what: string, apiKey: i16, messages: string): string {
  const name = apiName(apiKey);
  return "this module has no " + what + " for " + (name != null ? name : "api key " + apiKey.toString()) + " " + messages;
}

/** Writes `int32 size, header, body`; check `w.failed` for a value the version cannot carry. */
export function encodeFrame(w: Writer, header: Message, headerVersion: i16, body: Message, version: i16): void {
  const start = w.len;
  w.int32(0);
  header.write(w, headerVersion);
  body.write(w, version);
  w.patchInt32(start, w.len - start - 4);
}

/** encodeFrame of a request, its body written by `writeBody` (see BodyReader). */
export function encodeRequestWith(w: Writer, header: RequestHeaderData, headerVersion: i16, body: Message, version: i16, writeBody: BodyWriter): void {
  const start = w.len;
  w.int32(0);
  header.write(w, headerVersion);
  const apiKey = header.requestApiKey;
  endFrame(w, start, writeBody(apiKey, w, body, version), apiKey, "requests");
}

/** encodeFrame of a response of `apiKey`, its body written by `writeBody` (see BodyReader). */
export function encodeResponseWith(w: Writer, header: ResponseHeaderData, headerVersion: i16, apiKey: i16, body: Message, version: i16, writeBody: BodyWriter): void {
  const start = w.len;
  w.int32(0);
  header.write(w, headerVersion);
  endFrame(w, start, writeBody(apiKey, w, body, version), apiKey, "responses");
}

function endFrame(w: Writer, start: i32, written: bool, apiKey: i16, messages: string): void {
  if (!written) w.fail("body", noCodec("writer", apiKey, messages));
  w.patchInt32(start, w.len - start - 4);
}
