// Turns corpus-capture's pcap (client matrix through Envoy + filter, tcpdump on loopback) into
// the corpus: test/corpus/frames/<client>.jsonl, one line per distinct request (README.md).
//
//   node --import tsx test/corpus/extract.ts test/corpus/frames .cache/corpus/matrix-<Kafka version>.pcap...
//
// Every capture (one per Kafka version the matrix ran against) adds to the same corpus.
//
// Which client sent a connection's frames: the matrix names every topic and group after the
// client of its cell ("e2e.matrix.<client>-<run>-<n>"); a connection that names none (a topic
// listing) belongs to the cell whose named connections used its client id, else to the cell
// that was running when it opened, as cells run one at a time.

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { tcpStreams, type TcpStream } from "./pcap";
import { loadCodecs, type Codecs } from "../lib/codecs";
import { decodeRequest, unknownTaggedFields, type Decoded } from "./decode";
import { BROKER_DIRECT, PLAINTEXT, SASL, SASL_BROKER_DIRECT, SCRAM_USERS, USERS } from "../e2e/lib/env";

const port = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));
const LISTENERS = new Map([[port(PLAINTEXT), "PLAINTEXT"], [port(SASL), "SASL_PLAINTEXT"]]);
const BROKER_PORTS = new Set([port(BROKER_DIRECT), port(SASL_BROKER_DIRECT)]);
const PASSWORDS = [...Object.values(USERS), ...Object.values(SCRAM_USERS)].map((u) => u.password);
const CELL_NAME = /matrix[.-](?:denied-)?([a-z0-9-]+?)-[0-9a-z]{7,10}-[0-9a-f]{6}-\d/;
const SASL_HANDSHAKE = 17, SASL_AUTHENTICATE = 36;

/** Size-prefixed frames (prefix kept); a cut-off last frame is left out. */
function frames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos + 4 <= bytes.length;) {
    const n = bytes.readInt32BE(pos);
    if (n < 0 || pos + 4 + n > bytes.length) break;
    out.push(bytes.subarray(pos, pos + 4 + n));
    pos += 4 + n;
  }
  return out;
}

/** The requests of one connection, without the raw SASL tokens that follow SaslHandshake v0. */
function requests(stream: TcpStream): { frames: Buffer[]; rawTokens: number } {
  const out: Buffer[] = [];
  let rawTokens = 0, tokenNext = false;
  for (const f of frames(stream.bytes)) {
    if (tokenNext) { rawTokens++; tokenNext = false; continue; }
    if (f.length >= 8 && f.readInt16BE(4) === SASL_HANDSHAKE && f.readInt16BE(6) === 0) tokenNext = true;
    out.push(f);
  }
  return { frames: out, rawTokens };
}

/** The client ids in a connection's request headers (every header version starts the same). */
const clientIds = (stream: TcpStream) => [...new Set(requests(stream).frames.filter((f) => f.length >= 14 && f.readInt16BE(12) >= 0)
  .map((f) => f.toString("utf8", 14, 14 + f.readInt16BE(12))))];

const correlationIds = (stream: TcpStream | undefined) =>
  new Set(stream === undefined ? [] : frames(stream.bytes).filter((f) => f.length >= 8).map((f) => f.readInt32BE(4)));

/** The structure of a decoded request: field names, null / empty / non-empty lists, number signs. */
function shape(o: unknown): string {
  if (o === null) return "null";
  if (Array.isArray(o)) return o.length === 0 ? "[]" : `[${[...new Set(o.map(shape))].sort().join("|")}]`;
  if (typeof o === "object") return `{${Object.entries(o).filter(([k]) => k !== "correlationId").map(([k, v]) => `${k}:${shape(v)}`).join(",")}}`;
  if (typeof o === "number") return o < 0 ? "-" : o === 0 ? "0" : "+";
  return typeof o === "string" ? "s" : typeof o;
}

/** SASL/PLAIN's password (authzid NUL user NUL password) replaced in place by as many '*'. */
function scrubPlainPassword(frame: Buffer, d: Decoded): string | null {
  const auth = Buffer.from(String(d.json?.body.authBytes ?? ""), "base64");
  const second = auth.indexOf(0, auth.indexOf(0) + 1);
  if (auth.indexOf(0) < 0 || second < 0) return null;
  const at = frame.indexOf(auth);
  if (at < 0) throw new Error("SaslAuthenticate: authBytes not found in the frame");
  frame.fill("*", at + second + 1, at + auth.length);
  return "SASL/PLAIN password replaced by as many '*' (same length, the frame decodes as sent)";
}

export const NOT_FORWARDED = "not forwarded as sent (answered or rewritten by the filter, or the connection closed)";

/** What direct.ts recorded for a capture: the broker's own verdict on frames the filter never passed on, by hex. */
export const directFile = (pcapFile: string, kafka: string) => join(dirname(pcapFile), `direct-${kafka}.json`);

export interface Entry {
  client: string; software: string | null; clientIds: Set<string>; listener: string; apiKey: number; name: string; version: number;
  frame: Buffer; trailingBytes: number; unknownTaggedFields: string[]; decodeError: string | null; scrubbed: string | null;
  seen: number; kafka: Set<string>; broker: Map<string, number>; clientAnswered: Map<string, number>;
}

interface Counts { frames: number; connections: number; rawTokens: number }

/** Adds the requests of one capture (`kafka`: the broker's version) to `entries`. */
export function extract(pcapFile: string, kafka: string, codecs: Codecs, names: Map<number, string>, entries: Map<string, Entry>): Counts {
  const streams = tcpStreams(pcapFile);
  const byConnection = new Map<number, TcpStream[]>();
  for (const s of streams) byConnection.set(s.connection, [...(byConnection.get(s.connection) ?? []), s]);

  // What the broker answered: requests Envoy passed on, and the correlation ids that came back.
  const sentToBroker = new Set<string>(), answeredByBroker = new Set<string>();
  const direct: Record<string, string> = existsSync(directFile(pcapFile, kafka)) ? JSON.parse(readFileSync(directFile(pcapFile, kafka), "utf8")) : {};
  for (const [, pair] of byConnection) {
    const up = pair.find((s) => BROKER_PORTS.has(port(s.to)));
    if (up === undefined) continue;
    const answered = correlationIds(pair.find((s) => s !== up));
    for (const f of requests(up).frames) {
      sentToBroker.add(f.toString("hex"));
      if (f.length >= 12 && answered.has(f.readInt32BE(8))) answeredByBroker.add(f.toString("hex"));
    }
  }

  // The clients' connections, each given to a client.
  const connections = [...byConnection.values()].flatMap((pair) => {
    const up = pair.find((s) => LISTENERS.has(port(s.to)));
    return up === undefined ? [] : [{ up, down: pair.find((s) => s !== up), cell: CELL_NAME.exec(up.bytes.toString("latin1"))?.[1].replace(/-+$/, "") ?? null }];
  });
  // An untagged connection: the cell whose tagged connections used its client id (kafka-python's
  // "kafka-python-3.0.12" may reconnect after its cell ended), else the cell running when it opened.
  const cellStarts = new Map<string, number>();
  const cellsOfClientId = new Map<string, Set<string>>();
  for (const c of connections) {
    if (c.cell === null) continue;
    if (!cellStarts.has(c.cell)) cellStarts.set(c.cell, c.up.opened);
    for (const id of clientIds(c.up)) cellsOfClientId.set(id, (cellsOfClientId.get(id) ?? new Set()).add(c.cell));
  }
  const cellOf = (up: TcpStream): string => {
    const byId = new Set(clientIds(up).flatMap((id) => [...(cellsOfClientId.get(id) ?? [])]));
    if (byId.size === 1) return [...byId][0];
    return [...cellStarts].filter(([cell, s]) => s <= up.opened && (byId.size === 0 || byId.has(cell)))
      .sort((a, b) => b[1] - a[1])[0]?.[0] ?? "unattributed";
  };

  let rawTokens = 0, total = 0;
  for (const c of connections) {
    const client = c.cell ?? cellOf(c.up);
    const answered = correlationIds(c.down);
    const r = requests(c.up);
    rawTokens += r.rawTokens;
    let software: string | null = null;
    for (const original of r.frames) {
      total++;
      const hex = original.toString("hex");
      const frame = Buffer.from(original);
      const d = decodeRequest(codecs, frame);
      const apiKey = frame.readInt16BE(4), version = frame.readInt16BE(6);
      const body = d.json?.body;
      if (apiKey === 18 && body?.clientSoftwareName) software = `${body.clientSoftwareName} ${body.clientSoftwareVersion}`;
      const scrubbed = apiKey === SASL_AUTHENTICATE ? scrubPlainPassword(frame, d) : null;
      const unknown = d.json ? unknownTaggedFields(d.json) : [];
      const key = [client, apiKey, version, d.json ? shape(d.json) : `undecodable ${d.error}`, d.trailingBytes, unknown.join()].join("\u0000");
      let e = entries.get(key);
      if (e === undefined) {
        e = {
          client, software, clientIds: new Set(), listener: LISTENERS.get(port(c.up.to))!, apiKey, name: names.get(apiKey) ?? `api key ${apiKey}`,
          version, frame, trailingBytes: d.trailingBytes, unknownTaggedFields: unknown, decodeError: d.error, scrubbed,
          seen: 0, kafka: new Set(), broker: new Map(), clientAnswered: new Map(),
        };
        entries.set(key, e);
      }
      e.seen++;
      e.kafka.add(kafka);
      e.software ??= software;
      e.clientIds.add(String(d.json?.header.clientId ?? ""));
      const broker = answeredByBroker.has(hex) ? "answered" : sentToBroker.has(hex) ? "forwarded, no answer seen"
        : direct[hex] !== undefined ? `${NOT_FORWARDED}; sent to the broker directly: ${direct[hex]}` : NOT_FORWARDED;
      e.broker.set(broker, (e.broker.get(broker) ?? 0) + 1);
      const back = answered.has(frame.readInt32BE(8)) ? "answered" : "no answer seen";
      e.clientAnswered.set(back, (e.clientAnswered.get(back) ?? 0) + 1);
    }
  }
  return { frames: total, connections: connections.length, rawTokens };
}

async function main(): Promise<void> {
  const [outDir, ...pcaps] = process.argv.slice(2);
  if (pcaps.length === 0) throw new Error("usage: extract.ts <corpus dir> <matrix-<Kafka version>.pcap>...");
  const codecs = await loadCodecs();
  const names = new Map((JSON.parse(codecs.apis()) as Array<{ apiKey: number; name: string }>).map((a) => [a.apiKey, a.name]));
  const entries = new Map<string, Entry>();
  for (const pcap of pcaps) {
    const kafka = /matrix-([^/]+)\.pcap$/.exec(pcap)?.[1] ?? pcap;
    const n = extract(pcap, kafka, codecs, names, entries);
    console.log(`Kafka ${kafka}: ${n.frames} request frames on ${n.connections} client connections (${n.rawTokens} raw SASL tokens after SaslHandshake v0 left out)`);
  }

  for (const f of readdirSync(outDir)) if (f.endsWith(".jsonl") && f !== "handmade.jsonl") rmSync(join(outDir, f));
  const byClient = new Map<string, Entry[]>();
  for (const e of entries.values()) byClient.set(e.client, [...(byClient.get(e.client) ?? []), e]);
  console.log(`${entries.size} kept`);
  for (const [client, list] of [...byClient].sort()) {
    list.sort((a, b) => a.apiKey - b.apiKey || a.version - b.version);
    const n = new Map<string, number>();
    const lines = list.map((e) => {
      const variant = `${e.name}-v${e.version}`;
      n.set(variant, (n.get(variant) ?? 0) + 1);
      const text = e.frame.toString("latin1");
      const leaked = PASSWORDS.find((p) => text.includes(p));
      if (leaked !== undefined) throw new Error(`${client} ${variant}: a SASL password is still in the frame`);
      return JSON.stringify({
        client, software: e.software, clientIds: [...e.clientIds].sort(), listener: e.listener, apiKey: e.apiKey, name: e.name,
        version: e.version, variant: `${variant}-${n.get(variant)}`, frame: e.frame.toString("base64"),
        trailingBytes: e.trailingBytes, unknownTaggedFields: e.unknownTaggedFields, decodeError: e.decodeError,
        scrubbed: e.scrubbed, seen: e.seen, kafka: [...e.kafka].sort(), broker: Object.fromEntries(e.broker), clientAnswered: Object.fromEntries(e.clientAnswered),
      });
    });
    writeFileSync(join(outDir, `${client}.jsonl`), lines.join("\n") + "\n");
    const apis = [...new Set(list.map((e) => `${e.name} v${e.version}`))];
    console.log(`  ${client} (${list.find((e) => e.software)?.software ?? "no ApiVersions v3"}): ${list.length} frames, ${apis.length} api versions: ${apis.join(", ")}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
