// Entry point of build/codecs.wasm, the module behind the `kafka-wasm` CLI and the oracle
// checks: the same generated codecs the filter runs, exposed as plain functions.

import { decodeRequest, decodeResponse, encodeFrame } from "./protocol/frame";
import { Writer } from "./protocol/writer";
import { JsonWriter } from "./json/writer";
import { Message } from "./protocol/message";
import { API_KEYS, apiName, latestVersionUnstable, listeners, maxVersion, minVersion, requestHeaderVersion, responseHeaderVersion } from "./messages/apis";

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
