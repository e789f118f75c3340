// Raw TCP to a listener: write bytes, then see what comes back and whether the peer closes.

import net from "node:net";

export interface RawOutcome {
  /** Bytes the other side sent before it closed (or before the wait ended). */
  received: Buffer;
  /** Closed by the other side (FIN or RST) within the wait. */
  closed: boolean;
  /** Error seen on the socket (e.g. ECONNRESET), if any. */
  error: string | null;
  ms: number;
}

/** Connects to host:port, writes `bytes`, and waits up to `waitMs` for the other side to close. */
export function sendRaw(hostPort: string, bytes: Buffer, waitMs = 5000): Promise<RawOutcome> {
  const [host, port] = hostPort.split(":");
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const chunks: Buffer[] = [];
    let error: string | null = null;
    let settled = false;
    const s = net.connect({ host, port: Number(port) });
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ received: Buffer.concat(chunks), closed, error, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    s.on("connect", () => s.write(bytes));
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNREFUSED") { clearTimeout(timer); settled = true; reject(e); return; }
      error = e.code ?? e.message;
    });
    s.on("end", () => finish(true));
    s.on("close", () => finish(true));
  });
}

/** A Kafka request frame: size, api key, version, correlation id, client id, then `rest` as is. */
export function requestFrame(apiKey: number, apiVersion: number, correlationId: number, clientId: string, rest: Buffer, flexibleHeader: boolean): Buffer {
  const id = Buffer.from(clientId, "utf8");
  const head = Buffer.alloc(10);
  head.writeInt16BE(apiKey, 0);
  head.writeInt16BE(apiVersion, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(id.length, 8);
  const parts: Buffer[] = [head, id];
  if (flexibleHeader) parts.push(Buffer.from([0])); // no tagged fields
  parts.push(rest);
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

// ---------------------------------------------------------------------------------------
// A raw connection that speaks request/response: for the SASL exchanges, where a test needs
// what kafkajs and kcat do not show (the broker's session lifetime, its error code, whether
// it closes the connection afterwards).

/** One TCP connection: sends request frames, hands back whole response frames in order. */
export class RawConnection {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private readonly s: net.Socket) {
    s.on("data", (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake(); });
    s.on("close", () => { this.closed = true; this.wake(); });
    s.on("error", () => undefined); // seen as a close
  }

  static open(hostPort: string, timeoutMs = 3000): Promise<RawConnection> {
    const [host, port] = hostPort.split(":");
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port: Number(port) });
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`connect ${hostPort}: timeout`)); }, timeoutMs);
      const failed = (e: Error): void => { clearTimeout(timer); reject(e); };
      s.once("error", failed);
      s.once("connect", () => { clearTimeout(timer); s.removeListener("error", failed); resolve(new RawConnection(s)); });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  send(frame: Buffer): void { this.s.write(frame); }

  /** The next response frame, without its size prefix (it starts with the correlation id). */
  async next(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length >= 4 + size) {
          const frame = this.buf.subarray(4, 4 + size);
          this.buf = this.buf.subarray(4 + size);
          return frame;
        }
      }
      if (this.closed) throw new Error("connection closed before a whole response arrived");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no whole response within ${timeoutMs} ms`);
      await this.changed(left);
    }
  }

  /** Sends `frame` and returns its response. */
  async request(frame: Buffer, timeoutMs = 5000): Promise<Buffer> {
    this.send(frame);
    return this.next(timeoutMs);
  }

  /** True once the other side has closed, waiting up to `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.changed(deadline - Date.now());
    return this.closed;
  }

  destroy(): void { this.s.destroy(); }
}

/** Reads a response body field by field (non-flexible versions: int16-length strings, int32-length bytes). */
export class Reader {
  private pos = 0;
  constructor(private readonly b: Buffer) {}
  int16(): number { const v = this.b.readInt16BE(this.pos); this.pos += 2; return v; }
  int32(): number { const v = this.b.readInt32BE(this.pos); this.pos += 4; return v; }
  int64(): bigint { const v = this.b.readBigInt64BE(this.pos); this.pos += 8; return v; }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const v = this.b.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  string(): string { return this.nullableString() ?? ""; }
  bytes(): Buffer {
    const n = this.int32();
    const v = this.b.subarray(this.pos, this.pos + Math.max(n, 0));
    this.pos += Math.max(n, 0);
    return v;
  }
}

/** Kafka's int16-length string / int32-length bytes, for request bodies of non-flexible versions. */
export function str16(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  const n = Buffer.alloc(2);
  n.writeInt16BE(b.length, 0);
  return Buffer.concat([n, b]);
}

export function bytes32(b: Buffer): Buffer {
  const n = Buffer.alloc(4);
  n.writeInt32BE(b.length, 0);
  return Buffer.concat([n, b]);
}
