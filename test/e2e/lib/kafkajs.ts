// kafkajs clients for the e2e tests: quiet, few and short retries, and a socket factory that
// records every TCP connection a client opens (how a test proves that a request was served on
// a connection that already existed).

import net from "node:net";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import {
  Kafka, logLevel, Partitioners, type Producer, type Consumer, type Admin, type ISocketFactory,
  type KafkaConfig, type ProducerConfig, type ConsumerConfig,
} from "kafkajs";
import {
  PLAINTEXT, SASL, TLS, USERS, SCRAM_USERS, isTlsUser, tlsFiles, type Principal, type ScramUserName, type ScramMechanism,
} from "./env";
import type { Ctx } from "./harness";
import { within } from "./harness";

/** Every TCP connection one kafkajs client opened, and how many of them have closed. */
export class SocketLog {
  opened = 0;
  closed = 0;
  readonly sockets: net.Socket[] = [];
  /** "host:port" each connection went to (kafkajs follows the addresses Metadata gives). */
  readonly targets: string[] = [];
  get open(): number { return this.opened - this.closed; }
  /** For assertion messages. */
  describe(): string {
    return `${this.opened} opened, ${this.closed} closed (local ports ${this.sockets.map((s) => s.localPort).join(", ")})`;
  }
}

function trackingSocketFactory(log: SocketLog): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    // As kafkajs's default factory: TLS when `ssl` is set, with SNI only for a host name (RFC 6066).
    const socket = ssl
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    log.opened++;
    log.sockets.push(socket);
    log.targets.push(`${host}:${port}`);
    socket.once("close", () => { log.closed++; });
    return socket;
  };
}

const LOG_LEVEL = process.env.E2E_KAFKAJS_LOG === "debug" ? logLevel.DEBUG
  : process.env.E2E_KAFKAJS_LOG === "info" ? logLevel.INFO : logLevel.NOTHING;

export interface Client {
  kafka: Kafka;
  sockets: SocketLog;
  principal: Principal | ScramUserName;
}

/** PEM contents for kafkajs's `ssl` (tls.connect options) as TLS user `user`. */
export function tlsOptions(user: Principal): tls.ConnectionOptions {
  if (!isTlsUser(user)) throw new Error(`${user} has no client certificate`);
  const f = tlsFiles(user);
  return { ca: readFileSync(f.ca), cert: readFileSync(f.cert), key: readFileSync(f.key) };
}

/**
 * A kafkajs client as `principal`: ANONYMOUS on PLAINTEXT 19092, SASL/PLAIN on 19093, or a
 * client certificate (carol, mallory) on TLS 19094.
 */
export function client(principal: Principal, extra: Partial<KafkaConfig> = {}): Client {
  const sockets = new SocketLog();
  const base = baseConfig(`e2e-${principal}`, principal === "anonymous" ? PLAINTEXT : isTlsUser(principal) ? TLS : SASL, sockets);
  if (isTlsUser(principal)) base.ssl = tlsOptions(principal);
  else if (principal !== "anonymous") base.sasl = { mechanism: "plain", ...USERS[principal] };
  return { kafka: new Kafka({ ...base, ...extra }), sockets, principal };
}

/**
 * A kafkajs client as SCRAM user `user` (SASL/SCRAM-SHA-256 or -512) on 19093; `opts.password`
 * replaces the user's own, to fail authentication on purpose.
 */
export function scramClient(user: ScramUserName, opts: { mechanism?: ScramMechanism; password?: string } = {},
  extra: Partial<KafkaConfig> = {}): Client {
  const sockets = new SocketLog();
  const base = baseConfig(`e2e-${user}`, SASL, sockets);
  const { username, password } = SCRAM_USERS[user];
  const secret = { username, password: opts.password ?? password };
  base.sasl = opts.mechanism === "scram-sha-512" ? { mechanism: "scram-sha-512", ...secret } : { mechanism: "scram-sha-256", ...secret };
  return { kafka: new Kafka({ ...base, ...extra }), sockets, principal: user };
}

function baseConfig(clientId: string, broker: string, sockets: SocketLog): KafkaConfig {
  return {
    clientId,
    brokers: [broker],
    connectionTimeout: 3000,
    authenticationTimeout: 5000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: LOG_LEVEL,
    socketFactory: trackingSocketFactory(sockets),
  };
}

/** A connected producer, disconnected when the test ends. */
export async function producer(c: Ctx, cl: Client, cfg: ProducerConfig = {}): Promise<Producer> {
  const p = cl.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...cfg });
  c.cleanup(() => p.disconnect());
  await within(p.connect(), 10_000, `${cl.principal} producer connect`);
  return p;
}

/** A connected admin client, disconnected when the test ends. */
export async function admin(c: Ctx, cl: Client): Promise<Admin> {
  const a = cl.kafka.admin();
  c.cleanup(() => a.disconnect());
  await within(a.connect(), 10_000, `${cl.principal} admin connect`);
  return a;
}

export function consumer(c: Ctx, cl: Client, cfg: ConsumerConfig): Consumer {
  const consumer = cl.kafka.consumer({
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 300,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500, restartOnFailure: async () => false },
    ...cfg,
  });
  c.cleanup(() => consumer.disconnect());
  return consumer;
}

export interface Consumed { key: string | null; value: string | null; partition: number; offset: string }

/**
 * Reads `count` messages of `topic` from the beginning in consumer group `groupId` (consumer
 * settings `cfg` over consumer()'s); rejects if the consumer crashes or `timeoutMs` passes first.
 */
export async function consume(c: Ctx, cl: Client, topic: string, groupId: string, count: number, timeoutMs = 15_000,
  cfg: Partial<ConsumerConfig> = {}): Promise<Consumed[]> {
  const cons = consumer(c, cl, { ...cfg, groupId });
  const got: Consumed[] = [];
  await within(cons.connect(), 10_000, `${cl.principal} consumer connect`);
  await cons.subscribe({ topics: [topic], fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    cons.on(cons.events.CRASH, (e) => reject(e.payload.error));
    void cons.run({
      eachMessage: async ({ partition, message }) => {
        got.push({
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          partition,
          offset: message.offset,
        });
        if (got.length >= count) resolve();
      },
    }).catch(reject);
  });
  await within(done, timeoutMs, `${cl.principal} reading ${count} message(s) of ${topic} (got ${got.length})`);
  await cons.disconnect();
  return got;
}

/** Walks an error and what it wraps (cause, originalError, errors[]). */
function errorChain(e: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const seen = new Set<unknown>();
  const walk = (x: unknown): void => {
    if (x == null || typeof x !== "object" || seen.has(x)) return;
    seen.add(x);
    const o = x as Record<string, unknown>;
    out.push(o);
    walk(o.cause);
    walk(o.originalError);
    if (Array.isArray(o.errors)) o.errors.forEach(walk);
  };
  walk(e);
  return out;
}

/** What kafkajs put in an error: its Kafka error types (KafkaJSProtocolError.type) anywhere in the chain. */
export function errorTypes(e: unknown): string[] {
  return errorChain(e).map((o) => o.type).filter((t): t is string => typeof t === "string");
}

/** The error class names in the chain (e.g. KafkaJSNonRetriableError, KafkaJSGroupCoordinatorNotFound). */
export function errorNames(e: unknown): string[] {
  return errorChain(e).map((o) => o.name).filter((t): t is string => typeof t === "string");
}

/** "name: message [types]" of a kafkajs error, for assertion messages. */
export function describeError(e: unknown): string {
  const err = e as Error;
  return `${err?.name}: ${err?.message} [types: ${errorTypes(e).join(", ")}; chain: ${errorNames(e).join(" <- ")}]`;
}

/** Awaits `p`, which must reject; returns the error. */
export async function rejection(p: Promise<unknown>, what: string): Promise<unknown> {
  try {
    const v = await p;
    throw new Error(`${what}: expected an error, but it succeeded with ${JSON.stringify(v)?.slice(0, 300)}`);
  } catch (e) {
    if ((e as Error).message?.startsWith(`${what}: expected an error`)) throw e;
    return e;
  }
}

// ---------------------------------------------------------------------------------------
// kafkajs's view of the broker's ApiVersions. kafkajs negotiates versions with ApiVersions
// when it connects its seed broker, and keeps the table on the cluster's broker pool; no
// public API exposes it, so this reaches the cluster through the client's private factory.

export type VersionTable = Record<number, { minVersion: number; maxVersion: number }>;

export async function negotiatedVersions(brokers: string[]): Promise<VersionTable> {
  const kafka = new Kafka({
    clientId: "e2e-apiversions",
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 1, initialRetryTime: 100 },
    logLevel: LOG_LEVEL,
  });
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === "private:Kafka:createCluster");
  if (sym === undefined) throw new Error("kafkajs changed: no private:Kafka:createCluster (expected kafkajs 2.2.x)");
  const createCluster = (kafka as unknown as Record<symbol, (o: object) => unknown>)[sym];
  const cluster = createCluster({}) as {
    connect(): Promise<void>; disconnect(): Promise<void>; brokerPool: { versions: VersionTable | null };
  };
  try {
    await within(cluster.connect(), 10_000, `ApiVersions via ${brokers.join(",")}`);
    const v = cluster.brokerPool.versions;
    if (v == null) throw new Error("kafkajs connected but kept no ApiVersions table");
    return v;
  } finally {
    await within(cluster.disconnect(), 5000, "cluster disconnect").catch(() => undefined);
  }
}
