// librdkafka's kcat, spawned: produce (-P), consume (-C), list metadata (-L), always bounded
// in time (killed after `timeoutMs`) and with librdkafka's own timeouts kept short.

import { run, type Proc } from "./proc";
import { PLAINTEXT, SASL, TLS, TLS_CA, USERS, isTlsUser, tlsFiles, type Principal, type ScramMechanism } from "./env";

export interface KcatResult extends Proc {
  args: string[];
}

/** TLS to 127.0.0.1:19094 trusting the test CA; with `user`'s client certificate if given. */
export function tlsArgs(user?: Principal): string[] {
  const args = ["-b", TLS, "-X", "security.protocol=ssl", "-X", `ssl.ca.location=${TLS_CA}`];
  if (user === undefined) return args;
  if (!isTlsUser(user)) throw new Error(`${user} has no client certificate`);
  const f = tlsFiles(user);
  return [...args, "-X", `ssl.certificate.location=${f.cert}`, "-X", `ssl.key.location=${f.key}`];
}

/** Connection flags for `principal`: ANONYMOUS on PLAINTEXT, SASL/PLAIN, or a TLS client certificate. */
export function connArgs(principal: Principal): string[] {
  if (principal === "anonymous") return ["-b", PLAINTEXT];
  if (isTlsUser(principal)) return tlsArgs(principal);
  const u = USERS[principal];
  return ["-b", SASL, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN",
    "-X", `sasl.username=${u.username}`, "-X", `sasl.password=${u.password}`];
}

/** SASL/SCRAM with any user name and password (right or wrong), on 127.0.0.1:19093 unless `broker` says otherwise. */
export function scramArgs(user: { username: string; password: string }, mechanism: ScramMechanism = "scram-sha-256", broker = SASL): string[] {
  return ["-b", broker, "-X", "security.protocol=SASL_PLAINTEXT", "-X", `sasl.mechanism=${mechanism.toUpperCase()}`,
    "-X", `sasl.username=${user.username}`, "-X", `sasl.password=${user.password}`];
}

let rdkafka: Promise<number[]> | null = null;
/** The librdkafka version kcat runs with (from `kcat -V`), e.g. [2, 0, 2]. */
export function librdkafkaVersion(): Promise<number[]> {
  rdkafka ??= kcat(["-V"], { timeoutMs: 5000 }).then((r) => {
    const m = /librdkafka (\d+)\.(\d+)\.(\d+)/.exec(r.stdout + r.stderr);
    if (m === null) throw new Error(`no librdkafka version in kcat -V: ${show(r)}`);
    return m.slice(1).map(Number);
  });
  return rdkafka;
}

export async function kcat(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KcatResult> {
  return { ...(await run("kcat", args, { input: opts.input, timeoutMs: opts.timeoutMs ?? 20_000 })), args };
}

/** Short librdkafka timeouts, so that a failure shows in seconds. */
const QUICK = ["-X", "socket.timeout.ms=10000"];

/**
 * Produces one message per line of `lines` as `principal` (or with connection flags `conn`,
 * e.g. scramArgs()); each with key `key` if given.
 */
export function produce(principal: Principal | string[], topic: string, lines: string[], key?: string): Promise<KcatResult> {
  const conn = Array.isArray(principal) ? principal : connArgs(principal);
  const args = ["-P", ...conn, ...QUICK, "-X", "message.timeout.ms=10000", "-t", topic];
  if (key !== undefined) args.push("-k", key);
  return kcat(args, { input: lines.map((l) => l + "\n").join("") });
}

/** Reads `topic` from the beginning to its end (no consumer group); one "key=value" line per message. */
export function consumeAll(principal: Principal | string[], topic: string, timeoutMs = 20_000): Promise<KcatResult> {
  const conn = Array.isArray(principal) ? principal : connArgs(principal);
  return kcat(["-C", ...conn, ...QUICK, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k=%s\\n"], { timeoutMs });
}

/** Metadata (-L) as `principal`, for all topics or one (-t). */
export function list(principal: Principal, topic?: string): Promise<KcatResult> {
  const args = ["-L", ...connArgs(principal), ...QUICK, "-m", "10"];
  if (topic !== undefined) args.push("-t", topic);
  return kcat(args, { timeoutMs: 15_000 });
}

/** For assertion messages. */
export function show(r: KcatResult): string {
  return `kcat ${r.args.filter((a) => !a.startsWith("sasl.password")).join(" ")}\n  exit ${r.code}${r.signal ? ` (${r.signal})` : ""}${r.timedOut ? " TIMED OUT" : ""}\n  stdout: ${JSON.stringify(r.stdout.slice(0, 1500))}\n  stderr: ${JSON.stringify(r.stderr.slice(0, 1500))}`;
}
