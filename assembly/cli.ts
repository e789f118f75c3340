// Entry point of build/codecs.wasm, the module behind the `kafka-wasm` CLI and the oracle
// checks: the same generated codecs the filter runs, exposed as plain functions.

import { decodeRequest, decodeResponse, encodeFrame } from "./codec/frame";
import { Writer } from "./protocol/writer";
import { JsonWriter } from "./json/writer";
import { Message } from "./protocol/message";
import { JsonFields, parseJson } from "./json/value";
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
