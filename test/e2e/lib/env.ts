// Where the e2e stack lives and who talks to it (see test/e2e/README-notes.md).
// Kafka + Envoy are started once for the whole suite by `make test-e2e`
// (`make up POLICY=test/e2e/policy.json`); every test file checks that first.

import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Envoy listeners in front of Kafka (the broker advertises these, so clients stay behind Envoy). */
export const PLAINTEXT = "127.0.0.1:19092";
export const SASL = "127.0.0.1:19093";
/** Envoy terminates TLS here (client certificate required) in front of the broker's PLAINTEXT listener. */
export const TLS = "127.0.0.1:19094";
/** The broker's own PLAINTEXT listener, bypassing Envoy (used only to learn the broker's own ApiVersions). */
export const BROKER_DIRECT = "127.0.0.1:9092";
/**
 * Kafka's INTERNAL listener of node 1 (the inter-broker one): it advertises every node's own
 * INTERNAL listener, so a client bootstrapping here reaches each node directly, never Envoy,
 * on one node or a cluster (`make up BROKERS=3`). What really happened at the brokers.
 */
export const BROKER_INTERNAL = "127.0.0.1:9095";
/** The broker's own SASL_PLAINTEXT listener, bypassing Envoy (to tell the broker's refusals from the filter's). */
export const SASL_BROKER_DIRECT = "127.0.0.1:9093";
export const ENVOY_ADMIN = "http://127.0.0.1:9901";
export const ENVOY_LOG = join(ROOT, ".cache", "envoy", "envoy.log");
/**
 * A second Envoy process in front of the same broker (`make envoy-b-up`, stopped by `make down`):
 * the first one's config on other ports. Its PLAINTEXT listener does not rewrite addresses, so a
 * client bootstrapping there is sent to the first Envoy's 127.0.0.1:19092 for the partition leader.
 */
export const PLAINTEXT_B = "127.0.0.1:29092";
export const ENVOY_B_ADMIN = "http://127.0.0.1:9911";
export const ENVOY_B_LOG = join(ROOT, ".cache", "envoy-b", "envoy.log");
export const POLICY_FILE = join(ROOT, "test", "e2e", "policy.json");
/** Test CA and certificates, made by `make envoy-tls` (test/e2e/bin/tls-certs.sh). */
export const TLS_DIR = join(ROOT, ".cache", "envoy", "tls");
export const TLS_CA = join(TLS_DIR, "ca.crt");

/** SASL/PLAIN users the broker knows (test/e2e/kafka/server.properties.in). */
export const USERS = {
  alice: { username: "alice", password: "alice-secret" },
  bob: { username: "bob", password: "bob-secret" },
  admin: { username: "admin", password: "admin-secret" },
} as const;
export type UserName = keyof typeof USERS;

/**
 * SASL/SCRAM users: credentials for SCRAM-SHA-256 and SCRAM-SHA-512, written into the metadata
 * log when test/e2e/bin/kafka.sh formats the storage. Not PLAIN users (the broker's PLAIN list
 * does not name them), so they are not `Principal`s of client()/connArgs().
 */
export const SCRAM_USERS = {
  dave: { username: "dave", password: "dave-secret" },
} as const;
export type ScramUserName = keyof typeof SCRAM_USERS;
/** kafkajs's names for them; librdkafka's are the upper-case forms. */
export type ScramMechanism = "scram-sha-256" | "scram-sha-512";

/** The broker's connections.max.reauth.ms on the SASL listener (server.properties.in): the session lifetime it announces. */
export const SASL_SESSION_LIFETIME_MS = 60_000;

/**
 * TLS clients (certificates in TLS_DIR/<name>.crt, .key) and the principal Kafka would give
 * each: "User:" + the certificate subject in RFC 2253 form (these subjects read the same in
 * Java's form, Kafka's, and BoringSSL's, Envoy's).
 */
export const TLS_USERS = {
  carol: "User:CN=carol,OU=e2e",
  mallory: "User:CN=mallory,OU=e2e",
} as const;
export type TlsUserName = keyof typeof TLS_USERS;

export function isTlsUser(p: string): p is TlsUserName {
  return Object.hasOwn(TLS_USERS, p);
}

/** PEM paths of the test CA and of a TLS user's certificate and key. */
/** A TLS client's files: the CA it trusts, its certificate and key (PEM). */
export interface TlsFiles { ca: string; cert: string; key: string }

export function tlsFiles(user: TlsUserName): TlsFiles {
  return { ca: TLS_CA, cert: join(TLS_DIR, `${user}.crt`), key: join(TLS_DIR, `${user}.key`) };
}

/** Who a client is: ANONYMOUS on the PLAINTEXT listener, a SASL user, or a TLS client certificate. */
export type Principal = "anonymous" | UserName | TlsUserName;

/** One id per test process: every topic and group name of a run is new. */
export const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;

let seq = 0;
/** A fresh name under `prefix`, e.g. unique("e2e.open.", "kjs") -> "e2e.open.kjs-<run>-1". */
export function unique(prefix: string, what: string): string {
  seq++;
  return `${prefix}${what}-${RUN}-${seq}`;
}

/** No single test may run longer than this (node:test timeout). */
export const TEST_TIMEOUT_MS = 30_000;
