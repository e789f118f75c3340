// Request header (v1/v2 prefix: api_key, api_version, correlation_id, client_id) and the
// correlation id that starts every response. For Produce the shell also reads `acks`: a
// Produce with acks=0 is the one request a broker never answers, and matching responses by
// position needs to know which requests will be answered.

import { Reader, MAX_TAGGED_FIELDS } from "../protocol/reader";
import { RequestHeader } from "./seam";
import { requestHeaderVersion } from "../messages/apis";

@inline function int16At(b: Uint8Array, at: i32): i32 {
  return <i32><i16>((<i32>unchecked(b[at]) << 8) | <i32>unchecked(b[at + 1]));
}

/** Only request header v0 (ControlledShutdown v0, by the generated table's rule) has no client_id. */
@inline function hasClientId(apiKey: i32, apiVersion: i32): bool {
  return requestHeaderVersion(<i16>apiKey, <i16>apiVersion) != 0;
}

const PRODUCE: i32 = 0;
/** Produce v9+ is flexible: header v2 (tagged fields after client_id), compact transactional_id. */
const PRODUCE_FLEXIBLE: i32 = 9;
/** Produce v3+ starts with transactional_id before acks. */
const PRODUCE_TRANSACTIONAL: i32 = 3;

export const enum HeaderError { TooShort = -1, BadClientIdLength = -2, ClientIdPastFrame = -3, BadProduceHeader = -4, TooManyTaggedFields = -5 }

/**
 * Bytes of the frame needed to read the request header up to and including client_id (for
 * Produce: up to and including acks), given the first `avail.length` bytes; a negative
 * HeaderError if the frame cannot hold one. Asked again with more bytes until satisfied.
 */
export function requestHeaderNeed(avail: Uint8Array, frameSize: i32): i32 {
  if (frameSize < 8) return HeaderError.TooShort;
  if (avail.length < 8) return 8;
  const apiKey = int16At(avail, 0), apiVersion = int16At(avail, 2);
  let need = 8;
  if (hasClientId(apiKey, apiVersion)) {
    if (frameSize < 10) return HeaderError.TooShort;
    if (avail.length < 10) return 10;
    const n = int16At(avail, 8);
    if (n < -1) return HeaderError.BadClientIdLength;
    need = 10 + max(n, 0);
    if (need > frameSize) return HeaderError.ClientIdPastFrame;
  }
  if (apiKey != PRODUCE || avail.length < need) return need;
  const at = acksOffset(avail, need, apiVersion);
  if (at == MALFORMED) return HeaderError.BadProduceHeader;
  if (at == TOO_MANY_TAGS) return HeaderError.TooManyTaggedFields;
  const want = at == SHORT ? wanted : at + 2;
  return want <= frameSize ? want : HeaderError.BadProduceHeader;
}

export function headerErrorText(e: i32): string {
  if (e == HeaderError.BadClientIdLength) return "negative client_id length";
  if (e == HeaderError.ClientIdPastFrame) return "client_id runs past the end of the frame";
  if (e == HeaderError.BadProduceHeader) return "Produce header fields (tagged fields, transactional_id, acks) do not fit the frame";
  if (e == HeaderError.TooManyTaggedFields) return "over " + MAX_TAGGED_FIELDS.toString() + " tagged fields in the request header (Kafka's most)";
  return "too short for a request header";
}

// One reader for every header read here (Reader.over): one allocation less per frame.
const headerReader = new Reader(new Uint8Array(0));

/** Reads the header from `head` (at least requestHeaderNeed bytes); null if malformed. */
export function readRequestHeader(head: Uint8Array, frameSize: i32): RequestHeader | null {
  const r = headerReader.over(head);
  const apiKey = r.int16("api_key");
  const apiVersion = r.int16("api_version");
  const correlationId = r.int32("correlation_id");
  let clientId: string | null = null;
  // A client sends the same id with every request: decoded once (names.ts).
  if (hasClientId(apiKey, apiVersion)) clientId = r.nullableName("client_id", false, true);
  const failed = r.failed, end = r.pos;
  r.release();
  if (failed) return null;
  let expectsResponse = true;
  if (apiKey == PRODUCE) {
    const at = acksOffset(head, end, apiVersion);
    if (at < 0 || at + 2 > head.length) return null;
    expectsResponse = int16At(head, at) != 0;
  }
  return new RequestHeader(apiKey, apiVersion, correlationId, clientId, end, frameSize, expectsResponse);
}

// acksOffset's answers besides an offset; `wanted` holds how many bytes SHORT needs.
const SHORT: i32 = -1;
const MALFORMED: i32 = -2;
const TOO_MANY_TAGS: i32 = -3;
let wanted: i32 = 0;
let varintEnd: i32 = 0;

/**
 * Offset of Produce's acks in `b`, whose header fields end at `pos` (after client_id):
 * header v2 tagged fields, then transactional_id, then acks. SHORT (with `wanted` set) when
 * `b` ends before it is known, MALFORMED for a varint longer than 5 bytes or a negative length,
 * TOO_MANY_TAGS past Kafka's most tagged fields.
 */
function acksOffset(b: Uint8Array, pos: i32, version: i32): i32 {
  const flexible = version >= PRODUCE_FLEXIBLE;
  if (flexible) {
    let tags = uvarintAt(b, pos);
    if (tags < 0) return tags;
    if (tags > MAX_TAGGED_FIELDS) return TOO_MANY_TAGS; // as Kafka's reader of the header refuses it
    pos = varintEnd;
    for (; tags > 0; tags--) {
      const tag = uvarintAt(b, pos);
      if (tag < 0) return tag;
      const size = uvarintAt(b, varintEnd);
      if (size < 0) return size;
      pos = varintEnd + size;
      if (pos < 0) return MALFORMED;
    }
  }
  if (version >= PRODUCE_TRANSACTIONAL) {
    let len: i32;
    if (flexible) {
      const n = uvarintAt(b, pos);
      if (n < 0) return n;
      len = n == 0 ? 0 : n - 1;
      pos = varintEnd;
    } else {
      if (pos + 2 > b.length) return short(pos + 2);
      len = int16At(b, pos);
      if (len < -1) return MALFORMED;
      pos += 2;
      if (len < 0) len = 0;
    }
    pos += len;
    if (pos < 0) return MALFORMED;
  }
  if (pos + 2 > b.length) return short(pos + 2);
  return pos;
}

function short(need: i32): i32 {
  wanted = need;
  return SHORT;
}

/** An unsigned varint of at most 5 bytes at `pos` (its end in `varintEnd`), or SHORT/MALFORMED. */
function uvarintAt(b: Uint8Array, pos: i32): i32 {
  let v: u32 = 0;
  for (let i = 0; i < 5; i++) {
    if (pos + i >= b.length) return short(pos + i + 1);
    const x = <u32>unchecked(b[pos + i]);
    v |= (x & 0x7f) << (7 * i);
    if ((x & 0x80) == 0) {
      if (<i32>v < 0) return MALFORMED;
      varintEnd = pos + i + 1;
      return <i32>v;
    }
  }
  return MALFORMED;
}

/** Bytes of a response frame needed for its correlation id; -1 if too short to have one. */
export function responseHeaderNeed(frameSize: i32): i32 {
  return frameSize < 4 ? -1 : 4;
}

/** The correlation id heading `head`; 0 when it is shorter than one (responseHeaderNeed). */
export function readCorrelationId(head: Uint8Array): i32 {
  // Read by a Reader: a frame decided in place has its bytes fetched as they are read.
  const id = headerReader.over(head).int32("correlation_id");
  headerReader.release();
  return id;
}
