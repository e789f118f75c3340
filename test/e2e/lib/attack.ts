// Tools of the adversarial suite (test/e2e/adversarial-*.test.ts): raw connections to the three
// Envoy listeners that send crafted bytes and read back whatever comes, request frames built by
// the project's own codecs (build/codecs.wasm, through test/bench/lib/wire.ts), the broker seen
// directly (no filter in between: what really happened there), and the checks every attack
// ends with: no Wasm runtime error in Envoy's log, Envoy's memory sane, a fresh client served.

import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { requestFrame as encodeRequest, decodeResponse, recordBatch } from "../../bench/lib/wire";
import { envoyPid } from "../../bench/lib/envoy";
import { PLAINTEXT, SASL, TLS, BROKER_DIRECT, BROKER_INTERNAL, USERS, RUN, tlsFiles, type TlsFiles, type TlsUserName, type UserName } from "./env";
import { logSince, filterLogSince, brief } from "./envoy";
import { client, producer, errorTypes } from "./kafkajs";
import { within, type Ctx } from "./harness";

export type Listener = "plaintext" | "sasl" | "tls";
export const ADDRESS: Record<Listener, string> = { plaintext: PLAINTEXT, sasl: SASL, tls: TLS };
export const PORT: Record<Listener, number> = { plaintext: 19092, sasl: 19093, tls: 19094 };

/** The filter's default filter.maxInFlight (test/e2e/policy.json does not set it). */
export const MAX_IN_FLIGHT = 1024;
/** test/e2e/policy.json's filter.frameTimeoutMs. */
export const FRAME_TIMEOUT_MS = 3000;

// Kafka's api keys and error codes the tests use.
export const API = {
  Produce: 0, Fetch: 1, Metadata: 3, FindCoordinator: 10, SaslHandshake: 17, ApiVersions: 18,
  InitProducerId: 22, SaslAuthenticate: 36, GetTelemetrySubscriptions: 71, StreamsGroupHeartbeat: 88,
} as const;
export const ERR = {
  NONE: 0, TOPIC_AUTHORIZATION_FAILED: 29, CLUSTER_AUTHORIZATION_FAILED: 31, ILLEGAL_SASL_STATE: 34,
  SASL_AUTHENTICATION_FAILED: 58,
} as const;

// ---------------------------------------------------------------------------------------
// A raw connection: bytes out, response frames in, and whether (and when) the other side closed.

export class Wire {
  private chunks: Buffer[] = [];
  private have = 0;
  private waiters: Array<() => void> = [];
  /** Bytes received in all. */
  received = 0;
  closed = false;
  closedAt = 0;
  error: string | null = null;

  private constructor(private readonly s: net.Socket, readonly listener: Listener) {
    s.on("data", (d: Buffer) => { this.chunks.push(d); this.have += d.length; this.received += d.length; this.wake(); });
    s.on("close", () => { this.closed = true; this.closedAt = Date.now(); this.wake(); });
    s.on("error", (e: NodeJS.ErrnoException) => { this.error ??= e.code ?? e.message; });
  }

  /** Connects to `listener`; on TLS with `tlsUser`'s client certificate (or the files given). */
  static open(listener: Listener, tlsUser: TlsUserName | TlsFiles = "carol", timeoutMs = 3000): Promise<Wire> {
    const [host, port] = ADDRESS[listener].split(":");
    return new Promise((resolve, reject) => {
      let s: net.Socket;
      if (listener === "tls") {
        const f = typeof tlsUser === "string" ? tlsFiles(tlsUser) : tlsUser;
        s = tls.connect({ host, port: Number(port), ca: readFileSync(f.ca), cert: readFileSync(f.cert), key: readFileSync(f.key) });
      } else {
        s = net.connect({ host, port: Number(port) });
      }
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`connect ${listener}: timeout`)); }, timeoutMs);
      const failed = (e: Error): void => { clearTimeout(timer); reject(e); };
      s.once("error", failed);
      s.once(listener === "tls" ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        s.removeListener("error", failed);
        resolve(new Wire(s, listener));
      });
    });
  }

  /** A raw connection to the broker's own PLAINTEXT listener (no Envoy, no filter). */
  static direct(timeoutMs = 3000): Promise<Wire> { return Wire.at(BROKER_DIRECT, timeoutMs); }

  /** A raw plaintext connection to `hostPort` (another Envoy's listener, the broker). */
  static at(hostPort: string, timeoutMs = 3000): Promise<Wire> {
    const [host, port] = hostPort.split(":");
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port: Number(port) });
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`connect ${hostPort}: timeout`)); }, timeoutMs);
      s.once("error", (e) => { clearTimeout(timer); reject(e); });
      s.once("connect", () => { clearTimeout(timer); s.removeAllListeners("error"); resolve(new Wire(s, "plaintext")); });
    });
  }

  /** Opens a connection that `c` closes when its test ends. */
  static async for(c: Ctx, listener: Listener, tlsUser: TlsUserName = "carol"): Promise<Wire> {
    const w = await Wire.open(listener, tlsUser);
    c.cleanup(() => w.destroy());
    return w;
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

  /** Writes `bytes`; resolves once the socket took them (or failed). */
  send(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.s.destroyed) { resolve(); return; }
      this.s.write(bytes, () => resolve());
    });
  }

  /** Writes without waiting: for a client that keeps writing while it does not read. */
  write(bytes: Buffer): void { if (!this.s.destroyed) this.s.write(bytes); }

  /** Stops reading from the socket (the kernel's buffers fill, then TCP pushes back on Envoy). */
  pause(): void { this.s.pause(); }
  resume(): void { this.s.resume(); }

  /** The next whole response frame (without its size prefix), or null once the peer closed. */
  async next(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.take();
      if (f !== null) return f;
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.listener}: no whole response within ${timeoutMs} ms (${this.have} bytes pending)`);
      await this.changed(left);
    }
  }

  /** `n` response frames; fewer if the peer closes first. */
  async frames(n: number, timeoutMs = 10_000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    const out: Buffer[] = [];
    while (out.length < n) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (f === null) break;
      out.push(f);
    }
    return out;
  }

  /** Every whole frame until the peer closes or `ms` pass; `closed` says which. */
  async drain(ms: number): Promise<{ frames: Buffer[]; closed: boolean }> {
    const deadline = Date.now() + ms;
    const frames: Buffer[] = [];
    for (;;) {
      for (let f = this.take(); f !== null; f = this.take()) frames.push(f);
      if (this.closed || Date.now() >= deadline) return { frames, closed: this.closed };
      await this.changed(deadline - Date.now());
    }
  }

  /** True once the peer has closed, waiting up to `ms`. */
  async waitClosed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await this.changed(deadline - Date.now());
    return this.closed;
  }

  /** Bytes received that do not (yet) make a whole frame. */
  get pending(): number { return this.have; }

  private take(): Buffer | null {
    if (this.have < 4) return null;
    if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
    const size = this.chunks[0].readInt32BE(0);
    if (this.have < 4 + size) return null;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.have);
    const frame = all.subarray(4, 4 + size);
    const rest = all.subarray(4 + size);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.have = rest.length;
    return frame;
  }

  destroy(): void { this.s.destroy(); }
}

/** A response frame's correlation id. */
export const corrOf = (frame: Buffer): number => frame.readInt32BE(0);

// ---------------------------------------------------------------------------------------
// Request frames. The codecs encode from the JSON form `kafka-wasm decode` prints, so every
// request here is an ordinary, well-formed Kafka request: the attacks are in their order,
// their correlation ids and their contents, not in broken encodings.

export const CLIENT_ID = `e2e-adv-${RUN}`;

/** A size-prefixed request frame under correlation id `corr`. */
export async function request(apiKey: number, version: number, corr: number, body: unknown, clientId = CLIENT_ID): Promise<Buffer> {
  const f = await encodeRequest(apiKey, version, body, clientId);
  f.writeInt32BE(corr, 8);
  return f;
}

/** Decodes a response frame as the answer to (apiKey, version); the body as the codecs' JSON. */
export async function response(frame: Buffer, apiKey: number, version: number): Promise<any> {
  return (await decodeResponse(frame, apiKey, version)).body;
}

export const apiVersions = (corr: number): Promise<Buffer> => request(API.ApiVersions, 0, corr, {});

/** `n` ApiVersions v0 requests with correlation ids first, first+1, ...: cheap, always allowed, always answered. */
export async function fillers(first: number, n: number): Promise<Buffer> {
  const one = await apiVersions(0);
  const out = Buffer.alloc(one.length * n);
  for (let i = 0; i < n; i++) {
    one.copy(out, i * one.length);
    out.writeInt32BE(first + i, i * one.length + 8);
  }
  return out;
}

/** Metadata v4: every topic (null) or the named ones; never auto-creates. */
export const METADATA_VERSION = 4;
export const metadata = (corr: number, topics: string[] | null, clientId?: string): Promise<Buffer> =>
  request(API.Metadata, METADATA_VERSION, corr, { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: false }, clientId);

export const findCoordinator = (corr: number, group: string): Promise<Buffer> => request(API.FindCoordinator, 0, corr, { key: group });

/**
 * Waits (up to 20 s) until the broker, asked directly, names a coordinator for `group`. A broker
 * on a fresh storage (every CI run, the first run of a KAFKA_VERSION) creates __consumer_offsets
 * at the first FindCoordinator and answers COORDINATOR_NOT_AVAILABLE until the topic is ready.
 */
export async function coordinatorReady(group: string): Promise<void> {
  const w = await Wire.direct();
  try {
    for (let corr = 1, deadline = Date.now() + 20_000; ; corr++) {
      await w.send(await findCoordinator(corr, group));
      const f = await w.next(5000);
      const error = f === null ? null : (await response(f, API.FindCoordinator, 0)).errorCode;
      if (error === ERR.NONE) return;
      if (Date.now() >= deadline) throw new Error(`the broker names no coordinator for ${group}: ${f === null ? "no answer" : `error ${error}`}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    w.destroy();
  }
}

export const initProducerId = (corr: number): Promise<Buffer> =>
  request(API.InitProducerId, 0, corr, { transactionalId: null, transactionTimeoutMs: 60_000 });

/** Produce v3, acks=-1, one record (of `valueBytes`) to partition 0 of `topic`. */
export const PRODUCE_VERSION = 3;
export const produce = (corr: number, topic: string, clientId?: string, valueBytes = 16): Promise<Buffer> =>
  request(API.Produce, PRODUCE_VERSION, corr, {
    transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: recordBatch(1, valueBytes).toString("base64") }] }],
  }, clientId);

export const saslHandshake = (corr: number, mechanism: string): Promise<Buffer> => request(API.SaslHandshake, 1, corr, { mechanism });
export const saslAuthenticate = (corr: number, auth: Buffer): Promise<Buffer> =>
  request(API.SaslAuthenticate, 1, corr, { authBytes: auth.toString("base64") });
export const plainAuth = (user: string, password: string): Buffer => Buffer.from(`\0${user}\0${password}`, "utf8");

/** The id (base64url, as the codecs print it) of `topic`, asked of the broker itself (no Envoy saw it). */
export async function topicIdAtBroker(topic: string): Promise<string> {
  const w = await Wire.at(BROKER_INTERNAL);
  try {
    await w.send(await request(API.Metadata, 12, 1, { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: topic }],
      allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
    const f = await w.next(5000);
    assert.ok(f !== null, `the broker answers Metadata for ${topic}`);
    return (await response(f, API.Metadata, 12)).topics[0].topicId;
  } finally {
    w.destroy();
  }
}

/** The error code of each partition of a Produce response (v3). */
export async function produceErrors(frame: Buffer): Promise<number[]> {
  const body = await response(frame, API.Produce, PRODUCE_VERSION);
  return body.responses.flatMap((t: any) => t.partitionResponses.map((p: any) => p.errorCode as number));
}

/** Topic names (with their error codes) in a Metadata v4 response. */
export async function metadataTopics(frame: Buffer): Promise<Map<string, number>> {
  const body = await response(frame, API.Metadata, METADATA_VERSION);
  return new Map(body.topics.map((t: any) => [t.name as string, t.errorCode as number]));
}

/**
 * Signs in over SASL/PLAIN on `w` as clients do (SaslHandshake v1, its answer, then
 * SaslAuthenticate v1; correlation ids `corr`, `corr`+1); both error codes.
 */
export async function signIn(w: Wire, user: UserName, corr = 1): Promise<{ handshake: number; authenticate: number }> {
  await w.send(await saslHandshake(corr, "PLAIN"));
  const h = await w.next(5000);
  assert.ok(h !== null, `${user}: no answer to SaslHandshake (closed: ${w.closed})`);
  await w.send(await saslAuthenticate(corr + 1, plainAuth(user, USERS[user].password)));
  const a = await w.next(5000);
  assert.ok(a !== null, `${user}: no answer to SaslAuthenticate (closed: ${w.closed})`);
  return { handshake: (await response(h, API.SaslHandshake, 1)).errorCode, authenticate: (await response(a, API.SaslAuthenticate, 1)).errorCode };
}

/**
 * Who each listener's raw attacker is, before any trick: ANONYMOUS on PLAINTEXT, the client
 * certificate CN=carol on TLS, bob (signed in over SASL/PLAIN) on SASL. None of them may write
 * `orders.*` or `secret.*`; admin (a super user) may do anything.
 */
export async function attacker(c: Ctx, listener: Listener): Promise<{ w: Wire; principal: string; nextCorr: number }> {
  const w = await Wire.for(c, listener, "carol");
  if (listener !== "sasl") return { w, principal: listener === "tls" ? "User:CN=carol,OU=e2e" : "User:ANONYMOUS", nextCorr: 1 };
  const r = await signIn(w, "bob");
  assert.deepEqual(r, { handshake: 0, authenticate: 0 }, "bob signs in");
  return { w, principal: "User:bob", nextCorr: 3 };
}

// ---------------------------------------------------------------------------------------
// The broker directly (127.0.0.1:9092, no Envoy, no filter; it has no authorizer of its own):
// what really exists there, whatever the filter showed the attacker.

/** A kafkajs client of the brokers themselves (their INTERNAL listeners: no Envoy, no filter). */
export function directKafka(): Kafka {
  return new Kafka({
    clientId: "e2e-adv-direct", brokers: [BROKER_INTERNAL], logLevel: logLevel.NOTHING,
    connectionTimeout: 3000, requestTimeout: 10_000, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

/** An admin client on the broker directly, disconnected when the test ends. */
export async function directAdmin(c: Ctx): Promise<Admin> {
  const a = directKafka().admin();
  c.cleanup(() => a.disconnect());
  await within(a.connect(), 10_000, "direct admin connect");
  return a;
}

/**
 * Retries `fn` (up to 30 s) while kafkajs reports UNKNOWN_TOPIC_OR_PARTITION. A broker that
 * has just started names a topic it has just created only ~11 s later (directly as through
 * Envoy), and one creating many partitions (a streams test's 40) can lag a moment; kafkajs's
 * own retries (few and short here) give up before that.
 */
export async function whileUnknownTopic<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!errorTypes(e).includes("UNKNOWN_TOPIC_OR_PARTITION") || attempt >= 60) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Creates `topics` at the broker directly (one partition each by default) unless they exist,
 * and waits until every broker names them in Metadata, so that any client may use them at once.
 */
export async function ensureTopics(admin: Admin, topics: string[], numPartitions = 1): Promise<void> {
  await whileUnknownTopic(() => admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions })), waitForLeaders: true }));
  await everyBrokerNames(admin, topics, numPartitions);
}

/**
 * Waits (up to 30 s) until every broker of the cluster, asked on its own listener, names each of
 * `topics` with a leader for each of its `partitions`. `admin` must be a direct one (directAdmin):
 * the brokers it lists are then the brokers themselves. Each broker learns a new topic from the
 * metadata log on its own; on a 2-core CI machine a Kafka 3.9 node of three answered
 * UNKNOWN_TOPIC_OR_PARTITION for a topic the others served, so that a client's next Metadata
 * failed, and a consumer assigned a partition its broker did not know yet rejoined and read
 * records twice (kafkajs's stale-metadata recovery). kafkajs's fetchTopicMetadata asks one broker.
 */
export async function everyBrokerNames(admin: Admin, topics: string[], partitions: number): Promise<void> {
  for (const b of (await admin.describeCluster()).brokers) {
    const w = await Wire.at(`${b.host}:${b.port}`);
    try {
      let last = "no answer";
      for (let corr = 1, deadline = Date.now() + 30_000; ; corr++) {
        await w.send(await metadata(corr, topics));
        const f = await w.next(5000);
        assert.ok(f !== null, `broker ${b.nodeId} closed the connection`);
        const named = (await response(f, API.Metadata, METADATA_VERSION)).topics as any[];
        const lagging = topics.filter((name) => {
          const t = named.find((x) => x.name === name);
          const led = t?.partitions.filter((p: any) => p.errorCode === 0 && p.leaderId >= 0).length;
          return t?.errorCode !== 0 || led !== t.partitions.length || led < partitions;
        });
        if (lagging.length === 0) break;
        last = `not yet with leaders: ${lagging.join(", ")}`;
        assert.ok(Date.now() < deadline, `broker ${b.nodeId} (${b.host}:${b.port}) after 30 s: ${last}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      w.destroy();
    }
  }
}

/** The next offset of partition 0 of `topic` at the broker: how many records it ever took. */
export async function highWatermark(admin: Admin, topic: string): Promise<number> {
  const o = await admin.fetchTopicOffsets(topic);
  return Number(o.find((p) => p.partition === 0)?.high ?? NaN);
}

// ---------------------------------------------------------------------------------------
// After each attack.

/** What Envoy logs when the Wasm VM traps or a callback fails (the plugin then fails closed). */
export const WASM_FAILURE = /RuntimeError|Uncaught|Function: proxy_on_\w+ failed|\bunreachable\b|wasm vm (crashed|failed)/i;

/** Envoy's resident memory (VmRSS), MiB. */
export function envoyRssMiB(): number {
  const status = readFileSync(`/proc/${envoyPid()}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}

/**
 * "Sane" for Envoy's RSS. Envoy idles at ~120 MiB; each of its two VMs may hold up to
 * filter.maxBufferedBytes (256 MiB) of frames, and Wasm memory never shrinks once grown (plain
 * 9 MB fetch answers take each VM to ~160 MiB); the issue's attack took it to 1.95 GiB. Tests
 * that attack memory also check their own growth.
 */
export const RSS_SANE_MIB = 1024;

/** Fresh connections that must each be answered; several, so that both workers (VMs) are tried. */
const FRESH_CONNECTIONS = 6;

const freshMade = new Set<Listener>();
const freshTopics: Record<Listener, string> = {
  plaintext: `e2e.adv.fresh-${RUN}`, sasl: `orders.adv-fresh-${RUN}`, tls: `tls.adv-fresh-${RUN}`,
};

/**
 * The checks after an attack on `listener`: Envoy's log since the test began holds no Wasm
 * runtime error, Envoy's RSS is sane, fresh raw connections get ApiVersions answered, and a
 * fresh kafkajs client (the listener's ordinary user) produces.
 */
export async function afterAttack(c: Ctx, listener: Listener): Promise<void> {
  const failures = logSince(c.mark).filter((l) => WASM_FAILURE.test(l));
  assert.deepEqual(failures.map(brief), [], "no Wasm runtime error in Envoy's log");

  const rss = envoyRssMiB();
  assert.ok(rss < RSS_SANE_MIB, `Envoy's RSS ${rss.toFixed(0)} MiB stays under ${RSS_SANE_MIB} MiB`);

  for (let i = 0; i < FRESH_CONNECTIONS; i++) {
    const w = await Wire.open(listener);
    try {
      await w.send(await apiVersions(i + 1));
      const f = await w.next(5000);
      assert.ok(f !== null, `fresh connection ${i + 1} on ${listener} is answered (closed instead: ${w.error ?? "by peer"})`);
      assert.equal(corrOf(f), i + 1);
      assert.equal(f.readInt16BE(4), ERR.NONE, "ApiVersions error code");
    } finally {
      w.destroy();
    }
  }

  // The topic exists before (made at the broker directly): a broker busy creating an attack's
  // topics can take longer to auto-create one than kafkajs's short retries wait.
  if (!freshMade.has(listener)) {
    await ensureTopics(await directAdmin(c), [freshTopics[listener]]);
    freshMade.add(listener);
  }
  const who = listener === "plaintext" ? "anonymous" : listener === "tls" ? "carol" : "alice";
  const p = await producer(c, client(who));
  const res = await within(p.send({ topic: freshTopics[listener], messages: [{ value: `after ${c.t.name}` }] }), 15_000, "fresh client's send");
  assert.equal(res[0].errorCode, 0, "a fresh kafkajs client is served");
  c.t.diagnostic(`after the attack: Envoy RSS ${rss.toFixed(0)} MiB, ${FRESH_CONNECTIONS} fresh connections and a kafkajs ${who} client served`);
}

/** The filter's "closed by filter" lines since `mark`. */
export function closeLines(mark: number): string[] {
  return filterLogSince(mark).filter((l) => l.includes(" closed by filter: "));
}

/** The filter's "authenticated <principal> via SASL/..." lines since `mark`. */
export function authLines(mark: number, principal = "User:admin"): string[] {
  return filterLogSince(mark).filter((l) => l.includes(`authenticated ${principal} via SASL/`));
}
