// Thin layer over @solo-io/proxy-runtime for a network filter: buffer access without extra
// copies, levelled logging that skips building messages the host would drop, counters.
//
// Everything here talks to the host through the (patched) SDK's imports; nothing here traps:
// host errors come back as WasmResult codes and are turned into null/false for the caller.

import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { noteBytesRead } from "./collect";
import { log as sdkLog, LogLevelValues, WasmResultValues, BufferTypeValues, StreamTypeValues, MetricTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { join } from "./strings";

export { LogLevelValues, BufferTypeValues };

// proxy_get_log_level is a host function of ABI 0.2.1 (the SDK predates it).
// @ts-ignore: decorator
@external("env", "proxy_get_log_level")
declare function proxy_get_log_level(level_ptr: usize): u32;

// Out-parameters for host calls: static memory, not on the GC heap.
const outPtr: usize = memory.data(8);
const outSize: usize = memory.data(8);

/**
 * What the host call that returned `r` left at outPtr / outSize: null when it failed, else the
 * bytes, which the host allocated through our exported malloc (pinned): we take ownership and
 * unpin, so the GC manages them from here on. No copy.
 */
function taken(r: WasmResultValues): Uint8Array | null {
  if (r != WasmResultValues.Ok) return null;
  const ptr = load<usize>(outPtr);
  const got = <i32>load<u32>(outSize);
  if (ptr == 0 || got <= 0) return new Uint8Array(0);
  const ab = changetype<ArrayBuffer>(ptr);
  __unpin(ptr);
  return Uint8Array.wrap(ab, 0, min(got, ab.byteLength));
}

/** taken(r) as UTF-8 text. */
function takenText(r: WasmResultValues): string | null {
  const b = taken(r);
  return b != null ? String.UTF8.decodeUnsafe(b.dataStart, <usize>b.length) : null;
}

/** Clears the out-parameters before a host call that fills them. */
function clearOut(): void {
  store<usize>(outPtr, 0);
  store<usize>(outSize, 0);
}

// Memory the next host allocation lands in (readInto): the caller's, where the bytes go.
let landingPtr: usize = 0;
let landingSize: usize = 0;

/**
 * The VM's allocator for the host (exported as `malloc` by main.ts): what the host hands over
 * (get_buffer_bytes, properties, shared data) is a new pinned ArrayBuffer, which taken() wraps
 * and unpins; during readInto, the caller's memory instead. Not zeroed: the host writes all of
 * it.
 */
export function malloc(size: i32): usize {
  if (landingPtr != 0 && <usize>max(size, 0) <= landingSize) {
    const p = landingPtr;
    landingPtr = 0;
    return p;
  }
  return __pin(__new(<usize>max(size, 0), idof<ArrayBuffer>()));
}

/** The ABI's counterpart of malloc (Envoy does not call it). */
export function free(ptr: usize): void { __unpin(ptr); }

/**
 * Copies `size` bytes starting at `start` of a host buffer straight to `into` (VM memory the
 * caller owns): no block allocated, no second copy. False unless the host gives all of them.
 * For pages of a frame read in place, whose bytes are copied where they go at once.
 */
export function readInto(typ: BufferTypeValues, start: u32, size: u32, into: usize): bool {
  if (size == 0) return true;
  clearOut();
  landingPtr = into;
  landingSize = <usize>size;
  const r = imports.proxy_get_buffer_bytes(typ, start, size, outPtr, outSize);
  landingPtr = 0;
  if (r != WasmResultValues.Ok) return false;
  const ptr = load<usize>(outPtr);
  const got = load<u32>(outSize);
  if (ptr == 0 || ptr == into) return ptr != 0 && got == size;
  // A host that allocated otherwise (none known does): its block, copied.
  const ok = got == size && <usize>got <= <usize>changetype<ArrayBuffer>(ptr).byteLength;
  if (ok) memory.copy(into, ptr, <usize>size);
  __unpin(ptr);
  return ok;
}

/**
 * Copies `size` bytes starting at `start` of a host buffer (DownstreamData, UpstreamData,
 * plugin configuration...) into the VM (see taken()). Returns null if the host has no such
 * buffer now.
 */
export function readBuffer(typ: BufferTypeValues, size: u32, start: u32 = 0): Uint8Array | null {
  if (size == 0) return new Uint8Array(0);
  clearOut();
  const bytes = taken(imports.proxy_get_buffer_bytes(typ, start, size, outPtr, outSize));
  // Garbage once read (copied where it goes, or handed on): counted towards the next collection.
  if (bytes != null) noteBytesRead(<u32>bytes.length);
  return bytes;
}

/**
 * Replaces the first `length` bytes of a host buffer with `data` (Envoy: drain(length) then
 * prepend(data); start 0 is the only position Envoy supports besides appending at the end).
 */
export function replaceBufferPrefix(typ: BufferTypeValues, length: u32, data: Uint8Array): bool {
  const r = imports.proxy_set_buffer_bytes(typ, 0, length, data.dataStart, <usize>data.length);
  return r == WasmResultValues.Ok;
}

/**
 * A host property as UTF-8 text (e.g. ["source", "address"] -> "127.0.0.1:51234"); null when
 * the host has none. Path segments are joined by NUL, as the ABI asks.
 */
export function getProperty(path: Array<string>): string | null {
  const joined = String.UTF8.encode(join(path, "\0"));
  clearOut();
  return takenText(imports.proxy_get_property(changetype<usize>(joined), <usize>joined.byteLength, outPtr, outSize));
}

/** Closes the client connection (Envoy: FlushWrite close, deferred until the VM call returns). */
export function closeDownstream(): bool {
  return imports.proxy_close_stream(StreamTypeValues.Downstream) == WasmResultValues.Ok;
}

// ---- logging ----

let cachedLevel: i32 = -1;

/** The host's current log level (trace 0 .. critical 5); refreshed by refreshLogLevel(). */
export function logLevel(): i32 {
  if (cachedLevel < 0) refreshLogLevel();
  return cachedLevel;
}

/** Asks the host again: at configure, at each new connection and at each tick. Cheap (no allocation). */
export function refreshLogLevel(): void {
  store<u32>(outSize, <u32>LogLevelValues.info);
  if (proxy_get_log_level(outSize) == WasmResultValues.Ok) cachedLevel = <i32>load<u32>(outSize);
  else cachedLevel = <i32>LogLevelValues.info;
}

@inline export function enabled(level: LogLevelValues): bool { return <i32>level >= logLevel(); }

export function log(level: LogLevelValues, msg: string): void {
  if (enabled(level)) sdkLog(level, msg);
}

/** Where logParts writes a line; kept between lines up to LINE_KEPT_BYTES. */
let lineBuffer = new ArrayBuffer(1024);
const LINE_KEPT_BYTES = 64 << 10;

/**
 * Logs the line that `parts` make, one after another, written as UTF-8 straight into a reused
 * buffer: a refusal's two lines would otherwise each be joined into one string, then encoded
 * into another.
 */
export function logParts(level: LogLevelValues, parts: Array<string>): void {
  if (!enabled(level)) return;
  // Room for the longest encoding (3 bytes per UTF-16 unit), not each part's measured first.
  let units = 0;
  for (let i = 0; i < parts.length; i++) units += unchecked(parts[i]).length;
  let buf = lineBuffer;
  if (buf.byteLength < units * 3) {
    buf = new ArrayBuffer(max(units * 3, buf.byteLength << 1));
    if (buf.byteLength <= LINE_KEPT_BYTES) lineBuffer = buf;
  }
  const start = changetype<usize>(buf);
  let at = start;
  for (let i = 0; i < parts.length; i++) at += writeUtf8(unchecked(parts[i]), at);
  imports.proxy_log(level, start, at - start);
}

/**
 * Writes `s` as UTF-8 at `at` (room for 3 bytes per unit), as String.UTF8.encodeUnsafe does;
 * returns the bytes written. Log lines are mostly ASCII: taken four units at a time until one
 * is not, then encoded from there by the standard library.
 */
export function writeUtf8(s: string, at: usize): usize {
  const src = changetype<usize>(s);
  const n = <usize>s.length;
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) {
    const v = load<u64>(src + (i << 1));
    if ((v & 0xff80_ff80_ff80_ff80) != 0) break;
    store<u32>(at + i, <u32>(v & 0xff) | <u32>((v >> 8) & 0xff00) | <u32>((v >> 16) & 0xff_0000) | <u32>((v >> 24) & 0xff00_0000));
  }
  return i + String.UTF8.encodeUnsafe(src + (i << 1), <i32>(n - i), at + i);
}
/**
 * A value from the wire as it may appear in a log line: control characters (C0, DEL, C1, and
 * the Unicode line and paragraph separators) and backslashes escaped, so that no client can
 * start a line of its own, and at most `maxChars` characters of it, the rest counted.
 */
export function printable(s: string | null, maxChars: i32 = 200): string {
  if (s == null) return "null";
  return printableOf(s, maxChars, s.length);
}

/**
 * printable(head + s, maxChars), without joining all of `s` to `head` first: what is cut is
 * not copied (a resource's name may be 32,767 characters, and a line is written per refusal).
 */
export function printableJoined(head: string, s: string, maxChars: i32): string {
  const n = head.length + s.length;
  return printableOf(n <= maxChars ? head + s : head + s.substring(0, max(0, maxChars - head.length)), maxChars, n);
}

/** printable() of text `n` characters long whose first min(n, maxChars) are `s`'s. */
@inline function printableOf(s: string, maxChars: i32, n: i32): string {
  let clean = n <= maxChars;
  const p = changetype<usize>(s);
  for (let i = 0; clean && i < n; i++) if (needsEscape(<i32>load<u16>(p + (<usize>i << 1)))) clean = false;
  if (clean) return s;
  const parts = new Array<string>();
  let from = 0;
  const end = min(n, maxChars);
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!needsEscape(c)) continue;
    if (i > from) parts.push(s.substring(from, i));
    parts.push(c == 0x5c ? "\\\\" : c < 0x100 ? "\\x" + hex(c, 2) : "\\u" + hex(c, 4));
    from = i + 1;
  }
  if (end > from) parts.push(s.substring(from, end));
  if (n > end) parts.push("...(" + (n - end).toString() + " more chars)");
  return join(parts);
}

@inline function needsEscape(c: i32): bool {
  return c < 0x20 || c == 0x5c || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029;
}

function hex(v: i32, digits: i32): string {
  let s = v.toString(16);
  while (s.length < digits) s = "0" + s;
  return s;
}

export function debug(msg: string): void { log(LogLevelValues.debug, msg); }
export function info(msg: string): void { log(LogLevelValues.info, msg); }
export function warn(msg: string): void { log(LogLevelValues.warn, msg); }

// ---- metrics ----

/** Defines (or finds: Envoy dedups by name) a counter; 0 if the host refused. */
export function defineCounter(name: string): u32 {
  const utf8 = String.UTF8.encode(name);
  store<u32>(outSize, 0);
  const r = imports.proxy_define_metric(MetricTypeValues.Counter, changetype<usize>(utf8), <usize>utf8.byteLength, outSize);
  return r == WasmResultValues.Ok ? load<u32>(outSize) : 0;
}

/** Adds `by` (> 0) to a counter; ids of 0 (undefined) and non-positive amounts are ignored. */
export function addCounter(id: u32, by: i64): void {
  if (id != 0 && by > 0) imports.proxy_increment_metric(id, by);
}

// ---- shared data (one store per Envoy process, shared by all VMs of the plugin) ----

/** The text stored under `key`, or null when there is none. */
export function getSharedText(key: string): string | null {
  const k = String.UTF8.encode(key);
  clearOut();
  return takenText(imports.proxy_get_shared_data(changetype<usize>(k), <usize>k.byteLength, outPtr, outSize, casOut));
}

/** Stores `value` under `key` for every VM (last writer wins); false if the host refused. */
export function setSharedText(key: string, value: string): bool {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  return imports.proxy_set_shared_data(changetype<usize>(k), <usize>k.byteLength, changetype<usize>(v), <usize>v.byteLength, 0) == WasmResultValues.Ok;
}

const casOut: usize = memory.data(4);

// ---- time ----

/** The host's wall clock in nanoseconds (0 if the host refuses). */
export function nowNs(): i64 {
  store<u64>(outPtr, 0);
  imports.proxy_get_current_time_nanoseconds(outPtr);
  return <i64>load<u64>(outPtr);
}

/** Asks the host to call the root context's onTick every `ms` milliseconds (0: never). */
export function setTickPeriod(ms: u32): void {
  imports.proxy_set_tick_period_milliseconds(ms);
}

/** Makes later host calls act on connection `contextId` (e.g. closing it from a tick). */
export function actOnContext(contextId: u32): bool {
  return imports.proxy_set_effective_context(contextId) == WasmResultValues.Ok;
}

// ---- HTTP calls to an Envoy cluster (external decisions) ----

/**
 * Sends an HTTP request to Envoy cluster `cluster` on behalf of the context in effect (its
 * proxy_on_http_call_response gets the answer). `headers` alternate name, value (":method",
 * ":path" and ":authority" are required by Envoy). Returns the call's token, or 0 when the host
 * refused it (e.g. no such cluster): the caller treats that as a failed call.
 */
export function httpCall(cluster: string, headers: Array<string>, body: usize, bodyLength: usize, timeoutMs: u32): u32 {
  const c = String.UTF8.encode(cluster);
  const pairs = serializePairs(headers);
  store<u32>(outSize, 0);
  const r = imports.proxy_http_call(changetype<usize>(c), <usize>c.byteLength, pairs.dataStart, <usize>pairs.length,
    body, bodyLength, 0, 0, timeoutMs, outSize);
  return r == WasmResultValues.Ok ? load<u32>(outSize) : 0;
}

/** Proxy-wasm's header map encoding: count, then each name and value size, then the NUL-ended bytes. */
function serializePairs(kv: Array<string>): Uint8Array {
  const n = kv.length >> 1;
  const encoded = new Array<ArrayBuffer>(kv.length);
  let size = 4 + 8 * n;
  for (let i = 0; i < kv.length; i++) {
    const e = String.UTF8.encode(unchecked(kv[i]));
    unchecked(encoded[i] = e);
    size += e.byteLength + 1;
  }
  const out = new Uint8Array(size);
  const d = out.dataStart;
  store<u32>(d, <u32>n);
  let p = 4 + 8 * n;
  for (let i = 0; i < kv.length; i++) {
    const e = unchecked(encoded[i]);
    store<u32>(d + 4 + 4 * <usize>i, <u32>e.byteLength);
    memory.copy(d + <usize>p, changetype<usize>(e), <usize>e.byteLength);
    p += e.byteLength + 1; // the NUL is already 0
  }
  return out;
}

/** A header of the HTTP call's response being delivered (e.g. ":status"); null when absent. */
export function httpCallResponseHeader(name: string): string | null {
  const k = String.UTF8.encode(name);
  clearOut();
  return takenText(imports.proxy_get_header_map_value(6 /* HttpCallResponseHeaders */, changetype<usize>(k), <usize>k.byteLength, outPtr, outSize));
}

/**
 * Asks Envoy to run the filters after the context in effect on the connection's read buffer
 * again (continueReading). Envoy defers it until the current VM call returns.
 */
export function continueDownstream(): bool {
  return imports.proxy_continue_stream(StreamTypeValues.Downstream) == WasmResultValues.Ok;
}

/** A host property's raw bytes (e.g. ["connection", "id"], an 8-byte integer); null when absent. */
export function getPropertyBytes(path: Array<string>): Uint8Array | null {
  const joined = String.UTF8.encode(join(path, "\0"));
  clearOut();
  return taken(imports.proxy_get_property(changetype<usize>(joined), <usize>joined.byteLength, outPtr, outSize));
}
