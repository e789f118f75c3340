// A pcap file of loopback TCP (tcpdump -i lo -w) as byte streams: one per connection and
// direction, in capture order. Enough for what corpus-capture records: no loss is expected on
// loopback, but retransmitted and out-of-order segments are put back in sequence all the same.

import { readFileSync } from "node:fs";

export interface TcpStream {
  /** "ip:port" of each end; `to` is the side that received these bytes. */
  from: string;
  to: string;
  /** The connection, shared by both directions: its SYN's order in the capture. */
  connection: number;
  /** Seconds since the epoch of the connection's first packet. */
  opened: number;
  bytes: Buffer;
}

interface Flow { stream: TcpStream; next: number | null; chunks: Buffer[]; pending: Map<number, Buffer> }

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;

/** Every TCP byte stream in `file`, in the order their connections opened. */
export function tcpStreams(file: string): TcpStream[] {
  const pcap = readFileSync(file);
  const magic = pcap.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && pcap.readUInt32BE(0) !== 0xa1b2c3d4 && pcap.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a pcap file`);
  const u32 = (at: number) => (le ? pcap.readUInt32LE(at) : pcap.readUInt32BE(at));
  const linktype = u32(20);
  if (linktype !== LINKTYPE_ETHERNET && linktype !== LINKTYPE_LINUX_SLL) throw new Error(`${file}: link type ${linktype} (capture with -i lo)`);
  const flows = new Map<string, Flow>();
  const connections = new Map<string, number>(); // both directions' key -> connection number
  const streams: TcpStream[] = [];
  const all: Flow[] = []; // a port pair used again replaces its entry in `flows`
  let connectionCount = 0;
  for (let pos = 24; pos + 16 <= pcap.length;) {
    const ts = u32(pos);
    const caplen = u32(pos + 8);
    if (pos + 16 + caplen > pcap.length) break; // cut off: the capture still being written
    const packet = pcap.subarray(pos + 16, pos + 16 + caplen);
    pos += 16 + caplen;
    const l2 = linktype === LINKTYPE_ETHERNET ? 14 : 16;
    if (packet.length < l2) continue;
    const ethertype = packet.readUInt16BE(l2 - 2);
    let ip: Buffer, src: string, dst: string, tcp: Buffer;
    if (ethertype === 0x0800) {
      ip = packet.subarray(l2);
      if (ip[9] !== 6) continue;
      const ihl = (ip[0] & 0x0f) * 4;
      src = ip.subarray(12, 16).join(".");
      dst = ip.subarray(16, 20).join(".");
      tcp = ip.subarray(ihl, ip.readUInt16BE(2));
    } else if (ethertype === 0x86dd) {
      ip = packet.subarray(l2);
      if (ip[6] !== 6) continue;
      src = `[${ip.subarray(8, 24).toString("hex")}]`;
      dst = `[${ip.subarray(24, 40).toString("hex")}]`;
      tcp = ip.subarray(40, 40 + ip.readUInt16BE(4));
    } else continue;
    const from = `${src}:${tcp.readUInt16BE(0)}`;
    const to = `${dst}:${tcp.readUInt16BE(2)}`;
    const seq = tcp.readUInt32BE(4);
    const flags = tcp[13];
    const payload = tcp.subarray((tcp[12] >> 4) * 4);
    const key = `${from}>${to}`;
    const pair = [from, to].sort().join("|");
    let flow = flows.get(key);
    const syn = (flags & 0x02) !== 0;
    if (syn || flow === undefined) {
      // A SYN opens a new connection (a port pair may be used again); its reply joins it.
      const replyOfOpen = syn && (flags & 0x10) !== 0 && connections.has(pair);
      if (!replyOfOpen && (syn || !connections.has(pair))) connections.set(pair, ++connectionCount);
      const stream: TcpStream = { from, to, connection: connections.get(pair)!, opened: ts, bytes: Buffer.alloc(0) };
      flow = { stream, next: syn ? (seq + 1) >>> 0 : seq, chunks: [], pending: new Map() };
      flows.set(key, flow);
      all.push(flow);
      streams.push(stream);
    }
    if (payload.length === 0) continue;
    flow.pending.set(seq, payload);
    // Take every segment that starts at or before the next expected byte (retransmits overlap).
    for (let progressed = true; progressed;) {
      progressed = false;
      for (const [s, data] of flow.pending) {
        const ahead = (s - flow.next!) | 0; // signed distance, sequence numbers wrap
        if (ahead > 0) continue;
        flow.pending.delete(s);
        if (-ahead < data.length) {
          flow.chunks.push(data.subarray(-ahead));
          flow.next = (flow.next! + data.length + ahead) >>> 0;
        }
        progressed = true;
      }
    }
  }
  for (const flow of all) flow.stream.bytes = Buffer.concat(flow.chunks);
  return streams.sort((a, b) => a.connection - b.connection);
}
