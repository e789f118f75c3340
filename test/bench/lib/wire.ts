// A minimal Kafka client for the proxy bench: one TCP connection, requests as pre-built frames
// (encoded once by the project's own codecs, build/codecs.wasm), responses matched by
// correlation id. Nothing on the timed path decodes JSON or builds a message: each request is
// a copy of a template frame with the correlation id (and, for Fetch, the offset) patched in,
// so the client costs the same whichever proxy is in front of the broker.

import net from "node:net";
import { loadCodecs, type Codecs } from "../../lib/codecs";

let codecsPromise: Promise<Codecs> | null = null;
export function codecs(): Promise<Codecs> {
  codecsPromise ??= loadCodecs();
  return codecsPromise;
}

/** A size-prefixed request frame, from the JSON form the codecs (and `kafka-wasm decode`) use. */
export async function requestFrame(apiKey: number, apiVersion: number, body: unknown, clientId = "bench"): Promise<Buffer> {
  const c = await codecs();
  // int64 fields may be given as bigint: written as exact JSON numbers.
  const json = JSON.stringify({ header: { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId: 0, clientId }, body },
    (_k, v) => (typeof v === "bigint" ? `#int64#${v}` : v)).replace(/"#int64#(-?\d+)"/g, "$1");
  const bytes = c.encode(json, true, apiKey, apiVersion);
  if (bytes === null) throw new Error(`encode api ${apiKey} v${apiVersion}: ${c.error()}`);
  return Buffer.from(bytes);
}

/** Decodes a response frame (bytes after the size prefix) to the codecs' JSON, parsed. */
export async function decodeResponse(frame: Buffer, apiKey: number, apiVersion: number): Promise<{ header: any; body: any }> {
  const c = await codecs();
  const json = c.decode(new Uint8Array(frame), false, apiKey, apiVersion);
  if (json === "") throw new Error(`decode response api ${apiKey} v${apiVersion}: ${c.error()}`);
  return JSON.parse(json);
}

/** Correlation id sits after size (4), api key (2) and version (2). */
const CORR_AT = 8;

export class Conn {
  private sock: net.Socket;
  private chunks: Buffer[] = [];
  private have = 0;
  private waiting = new Map<number, (frame: Buffer) => void>();
  private nextCorr = 1;
  private failed: Error | null = null;
  closed = false;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => this.onData(d));
    const fail = (e: Error): void => {
      this.closed = true;
      this.failed ??= e;
      for (const [, w] of this.waiting) w(Buffer.alloc(0));
      this.waiting.clear();
    };
    sock.on("error", fail);
    sock.on("close", () => fail(new Error("connection closed by peer")));
  }

  /** `localAddress`: the client's own address (e.g. 127.0.0.2, for ACLs of another host). */
  static connect(hostPort: string, localAddress?: string): Promise<Conn> {
    const [host, port] = hostPort.split(":");
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port: Number(port), localAddress });
      s.once("connect", () => { s.removeListener("error", reject); resolve(new Conn(s)); });
      s.once("error", reject);
    });
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.have += d.length;
    while (this.have >= 4) {
      let head = this.chunks[0];
      if (head.length < 4) { head = Buffer.concat(this.chunks); this.chunks = [head]; }
      const size = head.readInt32BE(0);
      if (this.have < 4 + size) return;
      const all = this.chunks.length === 1 ? head : Buffer.concat(this.chunks, this.have);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.have = rest.length;
      const corr = frame.readInt32BE(0);
      const w = this.waiting.get(corr);
      if (w === undefined) { this.failed ??= new Error(`response with unexpected correlation id ${corr}`); continue; }
      this.waiting.delete(corr);
      w(frame);
    }
  }

  /**
   * Sends a copy of `template` (a size-prefixed request frame) under a fresh correlation id,
   * `patch` applied to the copy first; resolves with the response frame (after its size
   * prefix), or rejects when the connection fails.
   */
  request(template: Buffer, patch?: (frame: Buffer) => void): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    const frame = Buffer.allocUnsafe(template.length);
    template.copy(frame);
    const corr = this.nextCorr++;
    frame.writeInt32BE(corr, CORR_AT);
    if (patch) patch(frame);
    return new Promise((resolve, reject) => {
      this.waiting.set(corr, (f) => (f.length === 0 ? reject(this.failed ?? new Error("connection failed")) : resolve(f)));
      this.sock.write(frame);
    });
  }

  /** `body` (the codecs' JSON form) as request `apiKey` v`apiVersion`; the answer's body, decoded. Off the timed path. */
  async call(apiKey: number, apiVersion: number, body: unknown, clientId = "bench"): Promise<any> {
    const frame = await this.request(await requestFrame(apiKey, apiVersion, body, clientId));
    return (await decodeResponse(frame, apiKey, apiVersion)).body;
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------------------------------
// Record batches (magic v2), built once per run.

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC32C_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function varint(out: number[], v: number): void {
  let z = (v << 1) ^ (v >> 31); // zig-zag, 32 bits
  z >>>= 0;
  while (z >= 0x80) { out.push((z & 0x7f) | 0x80); z >>>= 7; }
  out.push(z);
}

/** One uncompressed record batch of `count` records with `valueBytes`-byte values, no keys, no headers. */
export function recordBatch(count: number, valueBytes: number, timestamp = Date.now()): Buffer {
  const records: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const value = Buffer.alloc(valueBytes, 0x61 + (i % 26));
    const body: number[] = [0]; // attributes
    varint(body, 0); // timestamp delta
    varint(body, i); // offset delta
    varint(body, -1); // key: null
    varint(body, valueBytes);
    const tail: number[] = [];
    varint(tail, 0); // headers
    const len: number[] = [];
    varint(len, body.length + valueBytes + tail.length);
    records.push(Buffer.from(len), Buffer.from(body), value, Buffer.from(tail));
  }
  const recs = Buffer.concat(records);
  // From attributes to the end: covered by the CRC.
  const afterCrc = Buffer.alloc(2 + 4 + 8 + 8 + 8 + 2 + 4 + 4);
  let p = 0;
  afterCrc.writeInt16BE(0, p); p += 2; // attributes: no compression, CreateTime
  afterCrc.writeInt32BE(count - 1, p); p += 4; // last offset delta
  afterCrc.writeBigInt64BE(BigInt(timestamp), p); p += 8; // base timestamp
  afterCrc.writeBigInt64BE(BigInt(timestamp), p); p += 8; // max timestamp
  afterCrc.writeBigInt64BE(-1n, p); p += 8; // producer id
  afterCrc.writeInt16BE(-1, p); p += 2; // producer epoch
  afterCrc.writeInt32BE(-1, p); p += 4; // base sequence
  afterCrc.writeInt32BE(count, p); p += 4;
  const crcd = Buffer.concat([afterCrc, recs]);
  const head = Buffer.alloc(8 + 4 + 4 + 1 + 4);
  head.writeBigInt64BE(0n, 0); // base offset (the broker assigns it)
  head.writeInt32BE(4 + 1 + 4 + crcd.length, 8); // batch length: from partition leader epoch on
  head.writeInt32BE(-1, 12); // partition leader epoch
  head.writeInt8(2, 16); // magic
  head.writeUInt32BE(crc32c(crcd), 17);
  return Buffer.concat([head, crcd]);
}

// ---------------------------------------------------------------------------------------
// Just enough of a Fetch v12 response (flexible, header v1) to walk on: per partition the
// error code and the record batches' last offsets and record counts.

class Cursor {
  constructor(public b: Buffer, public p = 0) {}
  i8(): number { return this.b.readInt8(this.p++); }
  i16(): number { const v = this.b.readInt16BE(this.p); this.p += 2; return v; }
  i32(): number { const v = this.b.readInt32BE(this.p); this.p += 4; return v; }
  i64(): bigint { const v = this.b.readBigInt64BE(this.p); this.p += 8; return v; }
  uvarint(): number {
    let v = 0, shift = 0;
    for (;;) {
      const x = this.b[this.p++];
      v |= (x & 0x7f) << shift;
      if ((x & 0x80) === 0) return v >>> 0;
      shift += 7;
    }
  }
  skip(n: number): void { this.p += n; }
  tags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) { this.uvarint(); this.skip(this.uvarint()); }
  }
}

export interface FetchedPartition { errorCode: number; highWatermark: bigint; records: number; bytes: number; nextOffset: bigint | null }

export function parseFetchV12(frame: Buffer): { errorCode: number; partitions: FetchedPartition[] } {
  const c = new Cursor(frame);
  c.i32(); // correlation id
  c.tags();
  c.i32(); // throttle
  const errorCode = c.i16();
  c.i32(); // session id
  const partitions: FetchedPartition[] = [];
  const topics = c.uvarint() - 1;
  for (let t = 0; t < topics; t++) {
    c.skip(c.uvarint() - 1); // topic name
    const parts = c.uvarint() - 1;
    for (let q = 0; q < parts; q++) {
      c.i32(); // partition index
      const pe = c.i16();
      const highWatermark = c.i64();
      c.i64(); c.i64(); // last stable offset, log start offset
      const aborted = c.uvarint() - 1;
      for (let a = 0; a < aborted; a++) { c.i64(); c.i64(); c.tags(); }
      c.i32(); // preferred read replica
      const len = c.uvarint() - 1;
      let records = 0, nextOffset: bigint | null = null;
      if (len > 0) {
        const end = c.p + len;
        let b = c.p;
        while (b + 61 <= end) {
          const batchLen = frame.readInt32BE(b + 8);
          if (b + 12 + batchLen > end) break; // a batch cut short at the size limit
          nextOffset = frame.readBigInt64BE(b) + BigInt(frame.readInt32BE(b + 23)) + 1n;
          records += frame.readInt32BE(b + 57);
          b += 12 + batchLen;
        }
        c.p = end;
      }
      c.tags();
      partitions.push({ errorCode: pe, highWatermark, records, bytes: Math.max(len, 0), nextOffset });
    }
    c.tags();
  }
  return { errorCode, partitions };
}
