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

import fs from "node:fs";

const Ok = 0, NotFound = 1, BadArgument = 2;
export const DOWNSTREAM = 2, UPSTREAM = 3, PLUGIN_CONFIGURATION = 7;
/** Envoy's shared data store, process-wide: every Host (VM) made here sees the same one. */
export const sharedData = new Map();

// Compiling the module is the slow part of a fresh VM: once per path and process.
const modules = new Map();
function compiled(wasmPath) {
  let m = modules.get(wasmPath);
  if (!m) { m = new WebAssembly.Module(fs.readFileSync(wasmPath)); modules.set(wasmPath, m); }
  return m;
}

export class Host {
  constructor(wasmPath, { config = "", rootId = "kafka", logLevel = 2 } = {}) {
    this.module = compiled(wasmPath);
    this.config = Buffer.from(config);
    this.rootId = rootId;
    this.logLevel = logLevel;
    this.logs = [];
    this.metrics = new Map(); // id -> {name, value}
    this.metricIds = new Map(); // name -> id
    this.closed = new Set(); // context ids closed by the filter
    this.buffers = new Map(); // type -> Buffer, for the context being called
    this.current = 0;
    this.nowNs = 1_000_000_000n;
    this.tickPeriodMs = 0;
    this.props = new Map(); // context id -> {"source.address": ..., "connection.subject_peer_certificate": ...}
    const self = this;
    const env = {
      proxy_log(level, ptr, len) { self.logs.push({ level, msg: self.str(ptr, len), ctx: self.current }); return Ok; },
      proxy_get_log_level(ptr) { self.view().setUint32(ptr, self.logLevel, true); return Ok; },
      proxy_get_property(pathPtr, pathLen, valuePtrPtr, valueSizePtr) {
        const path = self.str(pathPtr, pathLen);
        let value = path === "plugin_root_id" ? self.rootId : undefined;
        if (value === undefined) { // the connection's own; paths arrive NUL-separated
          const props = self.props.get(self.current);
          value = props ? props[path.split("\0").join(".")] : undefined;
        }
        if (value == null) return NotFound;
        self.giveBytes(Buffer.from(value), valuePtrPtr, valueSizePtr);
        return Ok;
      },
      proxy_set_effective_context(id) { self.current = id; return Ok; },
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
        const b = type === PLUGIN_CONFIGURATION ? self.config : self.buffers.get(type);
        if (!b) return NotFound;
        if (start > b.length) length = 0;
        else if (start + length > b.length) length = b.length - start;
        if (length === 0) {
          self.view().setUint32(ptrPtr, 0, true);
          self.view().setUint32(sizePtr, 0, true);
          return Ok;
        }
        self.giveBytes(b.subarray(start, start + length), ptrPtr, sizePtr);
        return Ok;
      },
      proxy_set_buffer_bytes(type, start, length, dataPtr, dataSize) {
        const b = self.buffers.get(type);
        if (!b) return NotFound;
        const data = Buffer.from(self.bytes(dataPtr, dataSize));
        if (start === 0) self.buffers.set(type, Buffer.concat([data, b.subarray(Math.min(length, b.length))]));
        else if (start >= b.length) self.buffers.set(type, Buffer.concat([b, data]));
        else return BadArgument;
        self.setCalls = (self.setCalls || 0) + 1;
        return Ok;
      },
      proxy_get_buffer_status() { return Ok; },
      proxy_close_stream(type) { if (type === DOWNSTREAM || type === UPSTREAM) { self.closed.add(self.current); return Ok; } return BadArgument; },
      proxy_continue_stream() { return Ok; },
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
    const imports = { env: {}, wasi_snapshot_preview1: { proc_exit(code) { throw new Error("proc_exit " + code + ": " + JSON.stringify(self.logs.at(-1))); } } };
    // Every i32 of the ABI is unsigned (pointers past 2 GiB arrive negative in JS).
    const unsigned = (fn) => (...args) => fn(...args.map((a) => (typeof a === "number" ? a >>> 0 : a)));
    for (const imp of WebAssembly.Module.imports(this.module)) {
      const ns = imports[imp.module] || (imports[imp.module] = {});
      if (!(imp.name in ns)) ns[imp.name] = env[imp.name] ? unsigned(env[imp.name]) : missing(imp.module, imp.name);
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

  /** _initialize, root context 1, vm start, configure; returns proxy_on_configure's result. */
  start() {
    if (this.x._initialize) this.x._initialize();
    this.current = 1;
    this.x.proxy_on_context_create(1, 0);
    this.x.proxy_on_vm_start(1, 0);
    return this.x.proxy_on_configure(1, this.config.length);
  }

  /** `props`: this connection's host properties, e.g. {"source.address": "10.0.0.1:4000"}. */
  connect(id, props = {}) {
    this.props.set(id, props);
    this.current = id;
    this.x.proxy_on_context_create(id, 1);
    this.x.proxy_on_new_connection(id);
    return new Conn(this, id);
  }

  /** Moves the clock by `ms` and, if the filter asked for ticks, delivers one to the root. */
  advance(ms) {
    this.nowNs += BigInt(Math.round(ms * 1e6));
    if (this.tickPeriodMs > 0) { this.current = 1; this.x.proxy_on_tick(1); }
  }

  /** Envoy's timer firing: proxy_on_tick on the root context. */
  tick() {
    this.current = 1;
    this.x.proxy_on_tick(1);
  }

  metric(name) { const id = this.metricIds.get(name); return id ? this.metrics.get(id).value : 0n; }
}

/** One connection: feed bytes from either side, collect what the filter sends on. */
export class Conn {
  constructor(host, id) {
    this.host = host;
    this.id = id;
    this.pending = { [DOWNSTREAM]: Buffer.alloc(0), [UPSTREAM]: Buffer.alloc(0) };
    this.sent = { [DOWNSTREAM]: [], [UPSTREAM]: [] };
    this.sentBytes = { [DOWNSTREAM]: 0, [UPSTREAM]: 0 };
    this.calls = 0;
  }

  /** Delivers `data` from the client (DOWNSTREAM) or broker (UPSTREAM); returns the filter status. */
  feed(type, data, end = false) {
    const h = this.host;
    h.current = this.id;
    const buf = this.pending[type].length ? Buffer.concat([this.pending[type], data]) : data;
    h.buffers = new Map([[type, buf]]);
    this.calls++;
    const fn = type === DOWNSTREAM ? h.x.proxy_on_downstream_data : h.x.proxy_on_upstream_data;
    const status = fn(this.id, buf.length, end ? 1 : 0);
    const after = h.buffers.get(type);
    if (status === 0) { // Continue: Envoy sends the buffer on
      if (after.length) { this.sent[type].push(Buffer.from(after)); this.sentBytes[type] += after.length; }
      this.pending[type] = Buffer.alloc(0);
    } else {
      this.pending[type] = Buffer.from(after);
    }
    return status;
  }

  output(type) { return Buffer.concat(this.sent[type]); }
  get closed() { return this.host.closed.has(this.id); }

  close() {
    const h = this.host;
    h.current = this.id;
    h.x.proxy_on_downstream_connection_close(this.id, 2);
    h.x.proxy_on_done(this.id);
    h.x.proxy_on_log(this.id);
    h.x.proxy_on_delete(this.id);
    h.props.delete(this.id);
  }
}
