// A stand-in for Envoy's proxy-wasm host, enough to drive a network filter module in Node:
// the imports the filter uses, with Envoy's semantics for the network buffers (as in
// source/extensions/common/wasm/context.cc, and checked against Envoy 1.40 by smoke.mjs):
//   - the DownstreamData / UpstreamData buffer holds what arrived and was not yet sent on;
//     the callback's data_size is its whole length;
//   - set_buffer_bytes(start 0, length n, data) drains n bytes then prepends data;
//     start >= size appends; anything else is BadArgument;
//   - Continue sends the whole buffer on and empties it; StopIteration leaves it in place
//     (the next callback sees old + new bytes).
// Beyond the buffers: a clock the test moves (proxy_get_current_time_nanoseconds), the tick
// period the root asks for and tick() to drive proxy_on_tick, proxy_set_effective_context
// (later host calls act on that context, as Envoy's do), and per-connection properties
// "source.address" and "connection.subject_peer_certificate" (connect's `props`).
//
// For external decisions (a request waiting for an HTTP answer):
//   - several root contexts in the one VM, each with its own plugin_root_id (start() makes
//     root 1 with `rootId`; addRoot() makes more, e.g. "kafka_resume");
//   - a connection may run several filters of the module in order (connect's `before`, e.g.
//     the resume gate in front of "kafka"): each is created and gets proxy_on_new_connection in
//     that order; downstream data goes through them in order (Continue hands the same buffer to
//     the next one; Continue from the last sends it upstream), upstream data in reverse order;
//   - proxy_http_call records the call (`httpCalls`: cluster, headers, body, the context that
//     made it) and returns a token; answer() / failCall() deliver proxy_on_http_call_response
//     to that context, with ":status" (proxy_get_header_map_value, HttpCallResponseHeaders)
//     and the body (buffer type 4, HttpCallResponseBody);
//   - proxy_continue_stream(Downstream) is Envoy's continueReading on the effective context's
//     filter, deferred until the host's current call into the module returns: the filters
//     AFTER that one get the connection's downstream buffer (only if it is not empty, or the
//     client ended its stream; nothing if the connection was closed);
//   - proxy_set_effective_context answers BadArgument for a context that does not exist.

import fs from "node:fs";

const Ok = 0, NotFound = 1, BadArgument = 2;
export const DOWNSTREAM = 2, UPSTREAM = 3, PLUGIN_CONFIGURATION = 7;
/** Buffer and header map types of an HTTP call's answer (proxy-wasm ABI). */
export const HTTP_CALL_RESPONSE_BODY = 4, HTTP_CALL_RESPONSE_HEADERS = 6;
/** Envoy's shared data store, process-wide: every Host (VM) made here sees the same one. */
export const sharedData = new Map();

// Compiling the module is the slow part of a fresh VM: once per path and process.
const modules = new Map();
function compiled(wasmPath) {
  let m = modules.get(wasmPath);
  if (!m) { m = new WebAssembly.Module(fs.readFileSync(wasmPath)); modules.set(wasmPath, m); }
  return m;
}

/**
 * A connection buffer as Envoy keeps one: a chain of slices, so that appending a read or
 * dropping a prefix copies nothing (a filter that leaves a frame in the buffer while it arrives
 * costs the host no more than one that takes each read).
 */
export class Chunks {
  constructor(parts = []) {
    this.parts = parts.filter((p) => p.length > 0);
    this.length = this.parts.reduce((n, p) => n + p.length, 0);
  }

  append(data) { return new Chunks([...this.parts, data]); }

  /** Bytes [start, end), copied only when they span slices. */
  subarray(start, end = this.length) {
    let at = 0;
    for (const p of this.parts) {
      if (start >= at && end <= at + p.length) return p.subarray(start - at, end - at);
      at += p.length;
    }
    return this.toBuffer().subarray(start, end);
  }

  /** The chain without its first `n` bytes. */
  drop(n) {
    const kept = [];
    let at = 0;
    for (const p of this.parts) {
      if (at + p.length > n) kept.push(n > at ? p.subarray(n - at) : p);
      at += p.length;
    }
    return new Chunks(kept);
  }

  equals(other) { return this.toBuffer().equals(other); }

  toBuffer() {
    if (this.parts.length !== 1) this.parts = [Buffer.concat(this.parts)];
    return this.parts[0] ?? Buffer.alloc(0);
  }
}

export class Host {
  /** `imports`: more import modules, e.g. {rtrace: {...}} for a module built with RTRACE (alloc.mjs). */
  constructor(wasmPath, { config = "", rootId = "kafka", logLevel = 2, imports: extra = {} } = {}) {
    this.module = compiled(wasmPath);
    this.config = Buffer.from(config);
    this.rootId = rootId;
    this.logLevel = logLevel;
    this.logs = [];
    this.metrics = new Map(); // id -> {name, value}
    this.metricIds = new Map(); // name -> id
    this.closed = new Set(); // context ids closed by the filter
    this.buffers = new Map(); // type -> Buffer, for the context being called
    this.bytesGiven = {}; // buffer type -> bytes get_buffer_bytes gave the VM
    this.current = 0;
    this.nowNs = 1_000_000_000n;
    this.tickPeriodMs = 0;
    this.props = new Map(); // context id -> {"source.address": ..., "connection.subject_peer_certificate": ...}
    this.roots = new Map(); // root context id -> plugin root id ("kafka", "kafka_resume")
    this.rootConfigs = new Map(); // root context id (other than 1) -> its plugin configuration
    this.rootOf = new Map(); // filter context id -> its root context id
    this.live = new Set(); // context ids created and not deleted
    this.filterConns = new Map(); // filter context id -> its Conn
    this.httpCalls = []; // {token, ctx, cluster, headers: [[name, value]], body: Buffer, timeoutMs, done}
    this.nextToken = 1;
    this.httpCallResult = Ok; // what proxy_http_call answers (e.g. BadArgument: no such cluster)
    this.callResponse = null; // {headers: [[name, value]]} while an answer is delivered
    this.deferred = []; // continueReading actions, run when the current call returns
    this.continueCalls = []; // every proxy_continue_stream: {ctx, type}
    this.refuseRead = null; // (type, start, length) => true to fail that get_buffer_bytes (a test's host fault)
    this.hostCalls = new Map(); // import name -> how many times the VM called it
    const self = this;
    const env = {
      proxy_log(level, ptr, len) { self.logs.push({ level, msg: self.str(ptr, len), ctx: self.current }); return Ok; },
      proxy_get_log_level(ptr) { self.view().setUint32(ptr, self.logLevel, true); return Ok; },
      proxy_get_property(pathPtr, pathLen, valuePtrPtr, valueSizePtr) {
        const path = self.str(pathPtr, pathLen);
        let value = path === "plugin_root_id" ? self.rootIdOf(self.current) : undefined;
        if (value === undefined) { // the connection's own; paths arrive NUL-separated
          const props = self.props.get(self.current);
          value = props ? props[path.split("\0").join(".")] : undefined;
        }
        if (value == null) return NotFound;
        self.giveBytes(Buffer.from(value), valuePtrPtr, valueSizePtr);
        return Ok;
      },
      proxy_set_effective_context(id) {
        if (!self.live.has(id)) return BadArgument;
        self.current = id;
        return Ok;
      },
      // A clock the test moves (advance()), and the tick period the filter asks for.
      proxy_get_current_time_nanoseconds(ptr) { self.view().setBigUint64(ptr, self.nowNs, true); return Ok; },
      proxy_set_tick_period_milliseconds(ms) { self.tickPeriodMs = ms; return Ok; },
      // Envoy's shared data: one store per process, seen by every VM (Host) in it.
      proxy_get_shared_data(keyPtr, keyLen, valuePtrPtr, valueSizePtr, casPtr) {
        const v = sharedData.get(self.str(keyPtr, keyLen));
        if (v === undefined) return NotFound;
        self.view().setUint32(casPtr, 1, true);
        self.giveBytes(v, valuePtrPtr, valueSizePtr);
        return Ok;
      },
      proxy_set_shared_data(keyPtr, keyLen, valuePtr, valueLen) {
        sharedData.set(self.str(keyPtr, keyLen), Buffer.from(self.bytes(valuePtr, valueLen)));
        return Ok;
      },
      proxy_get_buffer_bytes(type, start, length, ptrPtr, sizePtr) {
        const b = type === PLUGIN_CONFIGURATION ? self.configOf(self.current) : self.buffers.get(type);
        if (!b) return NotFound;
        if (self.refuseRead && self.refuseRead(type, start, length)) return BadArgument;
        if (start > b.length) length = 0;
        else if (start + length > b.length) length = b.length - start;
        if (length === 0) {
          self.view().setUint32(ptrPtr, 0, true);
          self.view().setUint32(sizePtr, 0, true);
          return Ok;
        }
        self.giveBytes(b.subarray(start, start + length), ptrPtr, sizePtr);
        self.bytesGiven[type] = (self.bytesGiven[type] ?? 0) + length;
        return Ok;
      },
      proxy_set_buffer_bytes(type, start, length, dataPtr, dataSize) {
        const b = self.buffers.get(type);
        if (!b) return NotFound;
        const data = Buffer.from(self.bytes(dataPtr, dataSize));
        if (start === 0) self.buffers.set(type, new Chunks([data, ...b.drop(Math.min(length, b.length)).parts]));
        else if (start >= b.length) self.buffers.set(type, b.append(data));
        else return BadArgument;
        self.setCalls = (self.setCalls || 0) + 1;
        return Ok;
      },
      proxy_get_buffer_status() { return Ok; },
      proxy_close_stream(type) { if (type === DOWNSTREAM || type === UPSTREAM) { self.closed.add(self.current); return Ok; } return BadArgument; },
      // Envoy: continueReading() on the effective context's filter, after the current call.
      proxy_continue_stream(type) {
        self.continueCalls.push({ ctx: self.current, type });
        const conn = self.filterConns.get(self.current);
        if (type === DOWNSTREAM && conn) self.deferred.push({ conn, from: self.current });
        return Ok;
      },
      proxy_http_call(clusterPtr, clusterLen, headersPtr, headersLen, bodyPtr, bodyLen, trailersPtr, trailersLen, timeoutMs, tokenPtr) {
        if (self.httpCallResult !== Ok) return self.httpCallResult;
        const token = self.nextToken++;
        self.httpCalls.push({
          token, ctx: self.current, cluster: self.str(clusterPtr, clusterLen),
          headers: self.pairs(headersPtr, headersLen), body: Buffer.from(self.bytes(bodyPtr, bodyLen)),
          timeoutMs, done: false,
        });
        self.view().setUint32(tokenPtr, token, true);
        return Ok;
      },
      proxy_get_header_map_value(type, keyPtr, keyLen, valuePtrPtr, valueSizePtr) {
        if (type !== HTTP_CALL_RESPONSE_HEADERS || !self.callResponse) return BadArgument;
        const key = self.str(keyPtr, keyLen).toLowerCase();
        const h = self.callResponse.headers.find(([k]) => k === key);
        if (!h) return NotFound;
        self.giveBytes(Buffer.from(h[1]), valuePtrPtr, valueSizePtr);
        return Ok;
      },
      proxy_define_metric(type, namePtr, nameLen, idPtr) {
        const name = self.str(namePtr, nameLen);
        let id = self.metricIds.get(name);
        if (id === undefined) { id = self.metricIds.size + 1; self.metricIds.set(name, id); self.metrics.set(id, { name, value: 0n }); }
        self.view().setUint32(idPtr, id, true);
        return Ok;
      },
      proxy_increment_metric(id, offset) {
        const m = self.metrics.get(id);
        if (!m) return NotFound;
        if (offset <= 0n) return BadArgument;
        m.value += offset;
        return Ok;
      },
    };
    const missing = (mod, name) => () => { throw new Error(`host: ${mod}.${name} not provided`); };
    const imports = { ...extra, env: { ...extra.env }, wasi_snapshot_preview1: { proc_exit(code) { throw new Error("proc_exit " + code + ": " + JSON.stringify(self.logs.at(-1))); } } };
    // Every i32 of the ABI is unsigned (pointers past 2 GiB arrive negative in JS).
    const unsigned = (fn) => (...args) => fn(...args.map((a) => (typeof a === "number" ? a >>> 0 : a)));
    const counted = (name, fn) => (...args) => { self.hostCalls.set(name, (self.hostCalls.get(name) ?? 0) + 1); return fn(...args); };
    for (const imp of WebAssembly.Module.imports(this.module)) {
      const ns = imports[imp.module] || (imports[imp.module] = {});
      if (!(imp.name in ns)) ns[imp.name] = env[imp.name] ? counted(imp.name, unsigned(env[imp.name])) : missing(imp.module, imp.name);
    }
    this.instance = new WebAssembly.Instance(this.module, imports);
    this.x = this.instance.exports;
  }

  view() { return new DataView(this.x.memory.buffer); }
  bytes(ptr, len) { return new Uint8Array(this.x.memory.buffer, ptr, len); }
  str(ptr, len) { return Buffer.from(this.bytes(ptr, len)).toString(); }
  giveBytes(buf, ptrPtr, sizePtr) {
    const p = this.x.malloc(buf.length) >>> 0;
    this.bytes(p, buf.length).set(buf);
    this.view().setUint32(ptrPtr, p, true);
    this.view().setUint32(sizePtr, buf.length, true);
  }

  /** The proxy-wasm header map encoding (count, sizes, NUL-ended names and values) as pairs. */
  pairs(ptr, len) {
    const b = Buffer.from(this.bytes(ptr, len));
    const n = b.readUInt32LE(0);
    const out = [];
    let p = 4 + 8 * n;
    for (let i = 0; i < n; i++) {
      const k = b.readUInt32LE(4 + 8 * i), v = b.readUInt32LE(8 + 8 * i);
      const name = b.subarray(p, p + k).toString(); p += k + 1;
      const value = b.subarray(p, p + v).toString(); p += v + 1;
      out.push([name, value]);
    }
    return out;
  }

  rootIdOf(ctx) {
    const root = this.rootOf.get(ctx) ?? ctx;
    return this.roots.get(root) ?? this.rootId;
  }

  configOf(ctx) {
    const root = this.rootOf.get(ctx) ?? ctx;
    return root === 1 ? this.config : (this.rootConfigs.get(root) ?? Buffer.alloc(0));
  }

  /** _initialize, root context 1, vm start, configure; returns proxy_on_configure's result. */
  start() {
    if (this.x._initialize) this.x._initialize();
    return this.addRoot(1, this.rootId);
  }

  /**
   * Another root context of the VM (another plugin of the same vm_config), e.g.
   * addRoot(2, "kafka_resume"); returns proxy_on_configure's result.
   */
  addRoot(id, rootId, config = "") {
    this.roots.set(id, rootId);
    if (id !== 1) this.rootConfigs.set(id, Buffer.from(config));
    this.live.add(id);
    this.current = id;
    this.x.proxy_on_context_create(id, 0);
    this.x.proxy_on_vm_start(id, 0);
    const size = this.configOf(id).length;
    this.current = id;
    const r = this.x.proxy_on_configure(id, size);
    this.runDeferred();
    return r;
  }

  /**
   * `props`: this connection's host properties, e.g. {"source.address": "10.0.0.1:4000"}.
   * `before`: filters of this module in front of this one, [{id, root}] (root: the root
   * context id, e.g. the "kafka_resume" root's); `root`: this filter's root context id.
   */
  connect(id, props = {}, { before = [], root = 1 } = {}) {
    const filters = [...before, { id, root }];
    const conn = new Conn(this, id, filters.map((f) => f.id));
    for (const f of filters) {
      this.props.set(f.id, props);
      this.rootOf.set(f.id, f.root);
      this.live.add(f.id);
      this.filterConns.set(f.id, conn);
    }
    // As Envoy's Wasm network filter does: each filter's context is created in its
    // onNewConnection, and the filters get it in their order on the connection.
    for (const f of filters) {
      this.current = f.id;
      this.x.proxy_on_context_create(f.id, f.root);
      this.current = f.id;
      const st = this.x.proxy_on_new_connection(f.id);
      if (st !== 0) break;
    }
    this.runDeferred();
    return conn;
  }

  /** Moves the clock by `ms` and, if the filter asked for ticks, delivers one to the root. */
  advance(ms) {
    this.nowNs += BigInt(Math.round(ms * 1e6));
    if (this.tickPeriodMs > 0) { this.current = 1; this.x.proxy_on_tick(1); }
    this.runDeferred();
  }

  /** Envoy's timer firing: proxy_on_tick on the root context. */
  tick() {
    this.current = 1;
    this.x.proxy_on_tick(1);
    this.runDeferred();
  }

  /** The HTTP calls not answered yet. */
  pendingCalls() { return this.httpCalls.filter((c) => !c.done); }

  /**
   * Delivers the answer to call `token` (from httpCalls): `status` and `body`, plus any other
   * `headers` ([[name, value]]). Runs what the module deferred (e.g. continueReading).
   */
  answer(token, { status = 200, body = "", headers = [] } = {}) {
    const hs = status == null ? headers : [[":status", String(status)], ...headers];
    this.respond(token, hs, Buffer.from(typeof body === "string" ? body : JSON.stringify(body)));
  }

  /** The call was reset: Envoy's answer with no headers (a timeout is a 504 answer: see answer()). */
  failCall(token) { this.respond(token, null, Buffer.alloc(0)); }

  respond(token, headers, body) {
    const call = this.httpCalls.find((c) => c.token === token);
    if (!call) throw new Error(`host: no HTTP call with token ${token}`);
    if (call.done) throw new Error(`host: HTTP call ${token} was answered already`);
    call.done = true;
    this.callResponse = headers ? { headers: headers.map(([k, v]) => [k.toLowerCase(), v]) } : null;
    const saved = this.buffers;
    this.buffers = new Map([[HTTP_CALL_RESPONSE_BODY, body]]);
    this.current = call.ctx;
    try {
      this.x.proxy_on_http_call_response(call.ctx, token, headers ? headers.length : 0, headers ? body.length : 0, 0);
    } finally {
      this.callResponse = null;
      this.buffers = saved;
    }
    this.runDeferred();
  }

  /** Envoy's deferred continueReading calls, in the order they were asked for. */
  runDeferred() {
    while (this.deferred.length) {
      const { conn, from } = this.deferred.shift();
      if (conn.deleted || conn.closed) continue; // the connection is not open any more
      conn.continueReading(conn.filters.indexOf(from) + 1);
    }
  }

  metric(name) { const id = this.metricIds.get(name); return id ? this.metrics.get(id).value : 0n; }
}

/** One connection: feed bytes from either side, collect what the filter sends on. */
export class Conn {
  constructor(host, id, filters = [id]) {
    this.host = host;
    this.id = id;
    /** The connection's filter contexts, in their order on the listener (`id` is the last). */
    this.filters = filters;
    this.deleted = false;
    /** The client ended its stream (a downstream callback had end_of_stream). */
    this.downstreamEnded = false;
    this.pending = { [DOWNSTREAM]: new Chunks(), [UPSTREAM]: new Chunks() };
    this.sent = { [DOWNSTREAM]: [], [UPSTREAM]: [] };
    this.sentBytes = { [DOWNSTREAM]: 0, [UPSTREAM]: 0 };
    this.calls = 0;
  }

  /** Delivers `data` from the client (DOWNSTREAM) or broker (UPSTREAM); returns the filter status. */
  feed(type, data, end = false) {
    if (this.deleted) throw new Error(`host: connection ${this.id} is closed`);
    this.pending[type] = this.pending[type].append(data);
    this.calls++;
    if (type === DOWNSTREAM && end) this.downstreamEnded = true;
    // Reads go through the filters in order, writes in reverse order (as Envoy's filter manager).
    const order = type === DOWNSTREAM ? this.filters : [...this.filters].reverse();
    const status = this.run(type, order, 0, end, true);
    this.host.runDeferred();
    return status;
  }

  /** Envoy's continueReading: the filters from index `from` on get the downstream buffer. */
  continueReading(from) {
    return this.run(DOWNSTREAM, this.filters, from, this.downstreamEnded, false);
  }

  /**
   * Calls the filters of `order` from index `from` with this direction's buffer until one
   * returns StopIteration; if none does, the buffer is sent on (and emptied). Returns the last
   * status (Continue when no filter was called). The first filter of a new callback is
   * called even for an empty buffer (as the tests always did); the others, as in Envoy,
   * only when the buffer holds bytes or the stream ended.
   */
  run(type, order, from, end, callFirst) {
    const h = this.host;
    h.buffers = new Map([[type, this.pending[type]]]);
    let status = 0;
    for (let i = from; i < order.length; i++) {
      const b = h.buffers.get(type);
      if (!(callFirst && i === from) && b.length === 0 && !end) continue;
      const id = order[i];
      h.current = id;
      const fn = type === DOWNSTREAM ? h.x.proxy_on_downstream_data : h.x.proxy_on_upstream_data;
      status = fn(id, b.length, end ? 1 : 0);
      if (status !== 0) break;
    }
    const after = h.buffers.get(type);
    if (status === 0) { // Continue: Envoy sends the buffer on
      if (after.length) { this.sent[type].push(Buffer.from(after.toBuffer())); this.sentBytes[type] += after.length; }
      this.pending[type] = new Chunks();
    } else {
      this.pending[type] = after;
    }
    return status;
  }

  output(type) { return Buffer.concat(this.sent[type]); }
  get closed() { return this.filters.some((id) => this.host.closed.has(id)); }

  close() {
    const h = this.host;
    for (const id of this.filters) {
      h.current = id;
      h.x.proxy_on_downstream_connection_close(id, 2);
    }
    for (const id of this.filters) {
      h.current = id;
      h.x.proxy_on_done(id);
      h.x.proxy_on_log(id);
      h.x.proxy_on_delete(id);
      h.props.delete(id);
      h.live.delete(id);
      h.filterConns.delete(id);
    }
    this.deleted = true;
    h.runDeferred();
  }
}
