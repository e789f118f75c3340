// Entry point of build/codecs.wasm, the module behind the `kafka-wasm` CLI and the oracle
// checks: the same generated codecs the filter runs, exposed as plain functions.

import { decodeRequest, decodeResponse, encodeFrame, unsupported } from "./codec/frame";
import { Writer } from "./protocol/writer";
import { JsonWriter } from "./json/writer";
import { Message } from "./protocol/message";
import { JsonFields, parseJson } from "./json/value";
import { Reader } from "./protocol/reader";
import { EntityKind, EntityWalk } from "./protocol/walk";
import { walkRequest, walkResponse } from "./views/index";
import { walkRequestHeader } from "./views/RequestHeader";
import { walkResponseHeader } from "./views/ResponseHeader";
import { saslUserName } from "./enforce/sasl-names";
import { RequestHeaderData } from "./messages/RequestHeader";
import { ResponseHeaderData } from "./messages/ResponseHeader";
import {
  API_KEYS, apiName, isSupported, latestVersionUnstable, listeners, maxVersion, minVersion,
  newRequest, newResponse, requestHeaderVersion, responseHeaderVersion,
} from "./messages/apis";

let lastError: string = "";

/** Why the last call returned nothing. */
export function error(): string { return lastError; }

function toJson(header: Message, headerVersion: i16, body: Message, version: i16): string {
  const j = new JsonWriter();
  j.beginObject();
  j.key("header");
  header.writeJson(j, headerVersion);
  j.key("body");
  body.writeJson(j, version);
  j.endObject();
  return j.toString();
}

/**
 * Decodes one frame (the bytes after its size prefix) to {"header":…, "body":…}.
 * Requests carry their api key and version; responses need them from the caller.
 * Returns "" on failure, with the reason in error().
 */
export function decode(frame: Uint8Array, isRequest: bool, apiKey: i16, version: i16): string {
  lastError = "";
  if (isRequest) {
    const d = decodeRequest(frame);
    if (d.error.length > 0) {
      lastError = d.error;
      return "";
    }
    return toJson(d.header, d.headerVersion, d.body!, d.apiVersion);
  }
  const d = decodeResponse(frame, apiKey, version);
  if (d.error.length > 0) {
    lastError = d.error;
    return "";
  }
  return toJson(d.header, d.headerVersion, d.body!, version);
}

/**
 * The user the filter takes from a SASL client's first message (`mechanism` as the handshake
 * named it) once the broker accepts the exchange; "" when it reads none (the filter then closes
 * the connection). test/oracle/broker-reads.ts compares it with the user Kafka's SASL servers
 * authenticate.
 */
export function saslUser(mechanism: string, token: Uint8Array): string { return saslUserName(mechanism, token); }

let lastBrokerMayRead = false;

/**
 * The request in `frame` (the bytes after its size prefix) read as the filter reads it to
 * decide on it, which is as Kafka's broker reads it: bytes after the body ignored. "" when it
 * does not read, with the reason in error() and, in brokerMayRead(), whether a broker may read
 * it anyway (the filter never passes such a frame on unread). test/oracle/broker-reads.ts
 * compares this with Kafka's own reading.
 */
export function readRequestAsBroker(frame: Uint8Array): string {
  lastError = "";
  const d = decodeRequest(frame, true);
  lastBrokerMayRead = d.brokerMayRead;
  if (d.error.length > 0) {
    lastError = d.error;
    return "";
  }
  return toJson(d.header, d.headerVersion, d.body!, d.apiVersion);
}

/** Whether the request readRequestAsBroker() last could not read is one a broker may read. */
export function brokerMayRead(): bool { return lastBrokerMayRead; }

const walked = new EntityWalk();
const reader = new Reader(new Uint8Array(0));

/**
 * The names the filter's view of the request in `frame` finds (its allow path decides on these
 * without decoding): a JSON array of "kind value" strings, one per topic name, topic id, group
 * id or transactional id, in the order of the bytes ("null" for a null name). "" when the walk
 * fails (error()).
 * test/oracle/broker-reads.ts compares them with the names in Kafka's reading.
 */
export function requestViewNames(frame: Uint8Array): string {
  lastError = "";
  walked.reset();
  const r = reader.over(frame);
  const apiKey = r.int16("RequestHeader.RequestApiKey");
  const version = r.int16("RequestHeader.RequestApiVersion");
  r.pos = 0;
  if (r.failed || !isSupported(apiKey, version)) {
    lastError = r.failed ? r.describeError() : unsupported(apiKey, version);
    r.release();
    return "";
  }
  walkRequestHeader(r, requestHeaderVersion(apiKey, version), walked);
  walkRequest(apiKey, r, version, walked);
  if (r.failed) {
    lastError = r.describeError();
    r.release();
    return "";
  }
  const j = new JsonWriter();
  j.beginArray();
  for (let i = 0; i < walked.count; i++) {
    const k = <EntityKind>walked.kind[i];
    if (k == EntityKind.TopicId) j.string("topicId " + walked.uuid(frame, i).toString());
    else if (k == EntityKind.TopicName || k == EntityKind.GroupId || k == EntityKind.TransactionalId) {
      const name = walked.text(frame, i);
      const word = k == EntityKind.TopicName ? "topic " : k == EntityKind.GroupId ? "group " : "transactionalId ";
      j.string(name == null ? word + "null" : word + name);
    }
  }
  j.endArray();
  r.release();
  return j.toString();
}
/** Bytes of the names walkFrames() decoded, so that the decoding is not optimized away. */
let namedBytes: i64 = 0;

/**
 * What the filter reads of frames (each the bytes after its size prefix) to decide on them or
 * learn from them: the generated view's walk of header and body, with every topic name, group
 * id and transactional id decoded to a string, as the policy asks about them. `frames` holds
 * the frames one after another; `table` four numbers per frame: start, end, api key, version.
 * Walks them all `rounds` times, in Wasm as the filter does (the bytes are in its memory
 * already). Returns the entities found in one round, -1 on failure (error()). For the codec
 * benchmark.
 */
export function walkFrames(frames: Uint8Array, table: Int32Array, isRequest: bool, rounds: i32): i32 {
  lastError = "";
  let found = 0;
  for (let round = 0; round < rounds; round++) {
    found = 0;
    for (let f = 0; f + 3 < table.length; f += 4) {
      const apiKey = <i16>table[f + 2], version = <i16>table[f + 3];
      walked.reset();
      const r = reader.over(frames, table[f], table[f + 1]);
      if (isRequest) {
        walkRequestHeader(r, requestHeaderVersion(apiKey, version), walked);
        walkRequest(apiKey, r, version, walked);
      } else {
        walkResponseHeader(r, responseHeaderVersion(apiKey, version), walked);
        walkResponse(apiKey, r, version, walked);
      }
      if (r.failed) {
        lastError = r.describeError();
        r.release();
        return -1;
      }
      for (let i = 0; i < walked.count; i++) {
        const k = <EntityKind>walked.kind[i];
        if (k != EntityKind.TopicName && k != EntityKind.GroupId && k != EntityKind.TransactionalId) continue;
        const name = walked.text(frames, i);
        if (name != null) namedBytes += name.length;
      }
      found += walked.count;
    }
  }
  reader.release();
  return found;
}

const rewritten = new Writer(1 << 16);

/**
 * The codecs on frames laid out as for walkFrames, `rounds` times, all in Wasm: each frame
 * decoded into the generated message objects and, with `encode`, written again into one reused
 * writer. For the codec benchmark, like for like with a Go codec's read and append: no copy
 * across the Wasm boundary per frame. Returns the bytes written in one round (with `encode`;
 * else 0), -1 on failure (error()).
 */
export function codecFrames(frames: Uint8Array, table: Int32Array, isRequest: bool, encode: bool, rounds: i32): i32 {
  lastError = "";
  let written = 0;
  for (let round = 0; round < rounds; round++) {
    written = 0;
    for (let f = 0; f + 3 < table.length; f += 4) {
      const frame = frames.subarray(table[f], table[f + 1]);
      const apiKey = <i16>table[f + 2], version = <i16>table[f + 3];
      rewritten.len = 0;
      if (isRequest) {
        const d = decodeRequest(frame);
        lastError = d.error;
        if (encode && d.error.length == 0) encodeFrame(rewritten, d.header, d.headerVersion, d.body!, d.apiVersion);
      } else {
        const d = decodeResponse(frame, apiKey, version);
        lastError = d.error;
        if (encode && d.error.length == 0) encodeFrame(rewritten, d.header, d.headerVersion, d.body!, version);
      }
      if (lastError.length > 0) return -1;
      if (rewritten.failed) {
        lastError = rewritten.error;
        return -1;
      }
      written += rewritten.len;
    }
  }
  return written;
}

/** The API table as JSON: one entry per api key. */
export function apis(): string {
  const j = new JsonWriter();
  j.beginArray();
  for (let i = 0; i < API_KEYS.length; i++) {
    const k = API_KEYS[i];
    const hi = maxVersion(k);
    j.beginObject();
    j.key("apiKey"); j.int(k);
    j.key("name"); j.string(apiName(k));
    j.key("minVersion"); j.int(minVersion(k));
    j.key("maxVersion"); j.int(hi);
    j.key("latestVersionUnstable"); j.bool(latestVersionUnstable(k));
    j.key("listeners");
    j.beginArray();
    const ls = listeners(k);
    if (ls.length > 0) {
      const parts = ls.split(",");
      for (let p = 0; p < parts.length; p++) j.string(parts[p]);
    }
    j.endArray();
    j.key("requestHeaderVersion"); j.int(hi < 0 ? -1 : requestHeaderVersion(k, hi));
    j.key("responseHeaderVersion"); j.int(hi < 0 ? -1 : responseHeaderVersion(k, hi));
    j.endObject();
  }
  j.endArray();
  return j.toString();
}

/**
 * Decodes one frame and encodes it again at the same version: the bytes must come back
 * unchanged (the oracle's byte-exact check). Returns null on failure, with error().
 */
export function reencode(frame: Uint8Array, isRequest: bool, apiKey: i16, version: i16): Uint8Array | null {
  lastError = "";
  const w = new Writer(frame.length + 16);
  if (isRequest) {
    const d = decodeRequest(frame);
    if (d.error.length > 0) {
      lastError = d.error;
      return null;
    }
    encodeFrame(w, d.header, d.headerVersion, d.body!, d.apiVersion);
  } else {
    const d = decodeResponse(frame, apiKey, version);
    if (d.error.length > 0) {
      lastError = d.error;
      return null;
    }
    encodeFrame(w, d.header, d.headerVersion, d.body!, version);
  }
  if (w.failed) {
    lastError = w.error;
    return null;
  }
  return w.bytes().slice(4);
}

/**
 * Encodes {"header":…, "body":…} (the form decode prints) to a size-prefixed frame.
 * Requests take api key and version from their header. Returns null on failure, with error().
 */
export function encode(json: string, isRequest: bool, apiKey: i16, version: i16): Uint8Array | null {
  lastError = "";
  const parsed = parseJson(json);
  if (parsed.value == null) {
    lastError = "input is not JSON: " + parsed.describe();
    return null;
  }
  const root = JsonFields.root(parsed.value);
  const headerJson = root.field("header");
  headerJson.requireObject();
  let header: Message;
  if (isRequest) {
    const h = new RequestHeaderData();
    apiKey = headerJson.field("requestApiKey").asI16();
    version = headerJson.field("requestApiVersion").asI16();
    header = h;
  } else {
    header = new ResponseHeaderData();
  }
  if (root.failed) {
    lastError = root.error;
    return null;
  }
  if (!isSupported(apiKey, version)) {
    lastError = "unsupported api key " + apiKey.toString() + " version " + version.toString();
    return null;
  }
  const headerVersion = isRequest ? requestHeaderVersion(apiKey, version) : responseHeaderVersion(apiKey, version);
  header.readJson(headerJson, headerVersion);
  const body = isRequest ? newRequest(apiKey)! : newResponse(apiKey)!;
  const bodyJson = root.field("body");
  bodyJson.requireObject();
  body.readJson(bodyJson, version);
  if (root.failed) {
    lastError = root.error;
    return null;
  }
  const w = new Writer();
  encodeFrame(w, header, headerVersion, body, version);
  if (w.failed) {
    lastError = w.error;
    return null;
  }
  return w.bytes().slice(0);
}
