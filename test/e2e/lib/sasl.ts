// SASL by hand over a RawConnection (SaslHandshake v1, SaslAuthenticate v1), with a small
// SCRAM client (RFC 5802, as Kafka uses it: no channel binding, no authzid). For what the
// client libraries hide: the broker's session lifetime (KIP-368), its error code, and its
// closing the connection after a failed authentication.

import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { RawConnection, Reader, requestFrame, str16, bytes32 } from "./raw";

const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
/** Kafka's error code SASL_AUTHENTICATION_FAILED. */
export const SASL_AUTHENTICATION_FAILED = 58;

export interface AuthenticateResult {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  /** KIP-368: how long the session lasts (0: no limit); SaslAuthenticate v1+. */
  sessionLifetimeMs: bigint;
}

export interface ScramResult {
  /** Answer to client-first (server-first in authBytes). */
  first: AuthenticateResult;
  /** Answer to client-final (server-final on success); null when the first round failed. */
  final: AuthenticateResult | null;
}

/** A SASL exchange on one raw connection; correlation ids count up from 1. */
export class RawSasl {
  private corr = 0;
  constructor(readonly conn: RawConnection, private readonly clientId = "e2e-raw-sasl") {}

  static async open(hostPort: string): Promise<RawSasl> {
    return new RawSasl(await RawConnection.open(hostPort));
  }

  async handshake(mechanism: string): Promise<{ errorCode: number; mechanisms: string[] }> {
    const id = ++this.corr;
    const r = new Reader(await this.conn.request(requestFrame(SASL_HANDSHAKE, 1, id, this.clientId, str16(mechanism), false)));
    if (r.int32() !== id) throw new Error("SaslHandshake: unexpected correlation id");
    const errorCode = r.int16();
    const n = r.int32();
    const mechanisms: string[] = [];
    for (let i = 0; i < n; i++) mechanisms.push(r.string());
    return { errorCode, mechanisms };
  }

  async authenticate(auth: Buffer): Promise<AuthenticateResult> {
    const id = ++this.corr;
    const r = new Reader(await this.conn.request(requestFrame(SASL_AUTHENTICATE, 1, id, this.clientId, bytes32(auth), false)));
    if (r.int32() !== id) throw new Error("SaslAuthenticate: unexpected correlation id");
    return { errorCode: r.int16(), errorMessage: r.nullableString(), authBytes: Buffer.from(r.bytes()), sessionLifetimeMs: r.int64() };
  }

  /** SASL/PLAIN: one round. */
  async plain(username: string, password: string): Promise<AuthenticateResult> {
    const hs = await this.handshake("PLAIN");
    if (hs.errorCode !== 0) throw new Error(`SaslHandshake PLAIN: error ${hs.errorCode}`);
    return this.authenticate(Buffer.from(`\0${username}\0${password}`, "utf8"));
  }

  /** SASL/SCRAM-SHA-256 or -512: two rounds (client-first, client-final), with `password` right or wrong. */
  async scram(mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-512", username: string, password: string): Promise<ScramResult> {
    const hash = mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
    const hs = await this.handshake(mechanism);
    if (hs.errorCode !== 0) throw new Error(`SaslHandshake ${mechanism}: error ${hs.errorCode} (broker offers ${hs.mechanisms.join(", ")})`);

    const client = new ScramClient(mechanism, username, password);
    const first = await this.authenticate(client.first());
    if (first.errorCode !== 0) return { first, final: null };
    const final = await this.authenticate(client.final(first.authBytes));
    return { first, final };
  }

  close(): void { this.conn.destroy(); }
}

/** The client side of SCRAM (RFC 5802, as Kafka uses it: no channel binding, no authzid). */
export class ScramClient {
  private readonly hash: "sha256" | "sha512";
  private readonly nonce = randomBytes(18).toString("base64");
  private readonly firstBare: string;

  constructor(mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-512", username: string, private readonly password: string) {
    this.hash = mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
    this.firstBare = `n=${username.replaceAll("=", "=3D").replaceAll(",", "=2C")},r=${this.nonce}`;
  }

  /** client-first. */
  first(): Buffer { return Buffer.from(`n,,${this.firstBare}`, "utf8"); }

  /** client-final, with the proof computed from the server-first message. */
  final(serverFirstBytes: Buffer): Buffer {
    const hash = this.hash;
    const serverFirst = serverFirstBytes.toString("utf8");
    const attrs = new Map(serverFirst.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
    const nonce = attrs.get("r") ?? "";
    const salt = Buffer.from(attrs.get("s") ?? "", "base64");
    const iterations = Number(attrs.get("i"));
    if (!nonce.startsWith(this.nonce) || !(iterations > 0)) throw new Error(`unexpected server-first message: ${serverFirst}`);
    const keyLen = hash === "sha256" ? 32 : 64;
    const salted = pbkdf2Sync(Buffer.from(this.password, "utf8"), salt, iterations, keyLen, hash);
    const clientKey = createHmac(hash, salted).update("Client Key").digest();
    const storedKey = createHash(hash).update(clientKey).digest();
    const withoutProof = `c=${Buffer.from("n,,").toString("base64")},r=${nonce}`;
    const authMessage = `${this.firstBare},${serverFirst},${withoutProof}`;
    const signature = createHmac(hash, storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(keyLen);
    for (let i = 0; i < keyLen; i++) proof[i] = clientKey[i] ^ signature[i];
    return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`, "utf8");
  }
}
