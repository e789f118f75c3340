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
