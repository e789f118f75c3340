// Kafka's own authorizer as the judge of what the filter lets through. Every request frame
// Kafka's classes build (make oracle: .cache/oracle/frames.jsonl, every api key and version,
// random contents; SASL's own and acks=0 produces left out) is sent with its random names
// (nothing the policy grants: the deny paths), and again with every topic name, group id and
// transactional id replaced by names the policy grants in part (READ but not WRITE, CREATE
// only, DESCRIBE_CONFIGS only, a DENY under an ALLOW, ACLs bound to the clients' host 127.0.0.1
// and to another, ...), as ANONYMOUS and as alice. Each time
// it goes two ways:
//   - through Envoy as ANONYMOUS on PLAINTEXT (alice: signed in on SASL), under
//     test/e2e/policy.json, to the e2e broker (which has no authorizer: every authorization error
//     the client sees is the filter's);
//   - straight to a second broker running Kafka's StandardAuthorizer (test/policy/acl-broker.ts),
//     signed in as bob, to whom the same ACLs grant what the policy grants ANONYMOUS (alice: as
//     herself, with her entries; the User:* entries as they are; made there with CreateAcls;
//     allow.everyone.if.no.acl.found false, as in the policy).
// A bypass is an authorization error (TOPIC_, GROUP_, CLUSTER_, TRANSACTIONAL_ID_,
// DELEGATION_TOKEN_AUTHORIZATION_FAILED) in Kafka's answer that the filter's answer lacks: at the
// same entity (placed by the names around it) or around it (a whole-request refusal covers its
// parts), any of those codes; unless the filter closed the connection. Neither the filter's own table
// nor the fuzzer's oracle (both written from reading KafkaApis) is the judge here: the broker is.
// Where the filter refuses more than Kafka, the case is listed, not failed: the policy's limits
// (DeleteTopics is denied), and requests Kafka fails for another reason before it authorizes
// (a fetch session it does not know, an invalid isolation level, topic ids in Metadata).

import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { after, before } from "node:test";
import { e2e, within, brokerLacks, type Ctx } from "./lib/harness";
import { ROOT, BROKER_DIRECT, type UserName } from "./lib/env";
import { Wire, signIn } from "./lib/attack";
import { stats, stat, K } from "./lib/envoy";
import { AclBroker, AclClient, jarsPresent, KAFKA_PIN } from "../policy/acl-broker";
import { Conn, requestFrame, decodeResponse } from "../bench/lib/wire";
import { loadMessages, type MessageSpec, type FieldSpec } from "../../codegen/model";

const FRAMES = join(ROOT, ".cache", "oracle", "frames.jsonl");
const POLICY = join(ROOT, "test", "e2e", "policy.json");
const SCHEMAS = join(ROOT, ".cache", "schemas", `kafka-${KAFKA_PIN}`);
/** Who on the authorizer's broker stands for the filter's ANONYMOUS. */
const STAND_IN = "bob";
const ANSWER_MS = 5000;
/** A topic each principal compared may describe (READ on e2e.*, WRITE on orders.*). */
const DESCRIBABLE: Record<string, string> = { ANONYMOUS: "e2e.authorizer-probe", alice: "orders.authorizer-probe" };
/** AUTHORIZER_VERBOSE=1: the request and Kafka's answer beside each "stricter" line. */
const VERBOSE = process.env.AUTHORIZER_VERBOSE === "1";

const AUTHORIZATION_FAILED: Record<number, string> = {
  29: "TOPIC_AUTHORIZATION_FAILED", 30: "GROUP_AUTHORIZATION_FAILED", 31: "CLUSTER_AUTHORIZATION_FAILED",
  53: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", 65: "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
};
// Kafka's AclOperation, AclPermissionType, ResourceType and PatternType codes.
const OPERATION: Record<string, number> = { ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14, TWO_PHASE_COMMIT: 15 };
const PERMISSION: Record<string, number> = { DENY: 2, ALLOW: 3 };
const RESOURCE: Record<string, number> = { TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 };
const PATTERN: Record<string, number> = { LITERAL: 3, PREFIXED: 4 };

interface OracleFrame { name: string; apiKey: number; version: number; variant: number; frame: string; body: any }
interface Answer { closed: boolean; codes: Map<string, number>; body?: unknown; note?: string }

/** Requests left out, and why: each would change the connection's state, not ask for anything. */
function leftOut(f: OracleFrame): string | null {
  if (f.apiKey === 17 || f.apiKey === 36) return "SASL (the connection's sign-in; adversarial-sasl and sasl-* test it)";
  if (f.apiKey === 0 && f.body.acks === 0) return "Produce with acks=0 (no answer to compare)";
  return null;
}

// Fields that name what an error in a response is about: an error is placed by the names of the
// object it sits in and of the objects around it, not by array positions (the filter merges its
// refusals into the broker's answer, where the order may differ). A topic id only where no name is.
const NAMING = ["name", "topic", "topicName", "partitionIndex", "index", "partition", "partitionId", "groupId", "transactionalId",
  "resourceType", "resourceName", "user", "key", "keyType", "entityType", "entityName", "memberId"];

/** Each authorization error in a decoded response, by where it is (an identity path) and its code. */
function authorizationErrors(body: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) { v.forEach((x, i) => walk(x, `${at}[${i}]`)); return; }
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    const names = NAMING.filter((k) => k in o && (typeof o[k] === "string" || typeof o[k] === "number")).map((k) => `${k}=${o[k]}`);
    if (names.length === 0 && typeof o.topicId === "string") names.push(`topicId=${o.topicId}`);
    const here = names.length > 0 ? `${at.replace(/\[\d+\]$/, "")}{${names.join(",")}}` : at;
    for (const [k, x] of Object.entries(o)) {
      if (/errorcode$/i.test(k) && typeof x === "number" && x in AUTHORIZATION_FAILED) out.set(here, x);
      else walk(x, `${here}.${k}`);
    }
  };
  walk(body, "");
  return out;
}

/** Whether an error at `where` is covered by one in `refused`: there, or at an object around it. */
function covered(where: string, refused: Map<string, number>): boolean {
  for (const at of refused.keys()) if (where === at || where.startsWith(`${at}.`) || at === "") return true;
  return false;
}

async function answerOf(frame: Buffer | null, f: OracleFrame, closed: boolean): Promise<Answer> {
  if (frame === null) return { closed, codes: new Map(), note: closed ? "closed" : "no answer" };
  try {
    const body = (await decodeResponse(frame, f.apiKey, f.version)).body;
    return { closed: false, codes: authorizationErrors(body), body };
  } catch (e) {
    return { closed: false, codes: new Map(), note: `undecodable answer: ${(e as Error).message}` };
  }
}

/** A user's connection to the authorizer's broker, signed in again whenever the broker closed it. */
class Judge {
  private client: AclClient | null = null;
  constructor(private readonly broker: AclBroker, private readonly user = STAND_IN) {}

  private async signedIn(): Promise<Conn> {
    if (this.client === null || this.client.closed) this.client = await AclClient.signIn(this.broker.bootstrap, this.user);
    return this.client.conn;
  }

  async ask(f: OracleFrame, bytes: Buffer, again = false): Promise<Answer> {
    const c = await this.signedIn();
    let frame: Buffer | null = null;
    try {
      frame = await within(c.request(bytes), ANSWER_MS, `${f.name} v${f.version}`);
    } catch {
      c.close();
    }
    return answerOf(frame, f, c.closed);
  }

  /**
   * Waits until the ACLs are in force: StandardAuthorizer learns them from the metadata log, a
   * moment after CreateAcls answered. `topic`: one the user may describe.
   */
  async granted(topic: string): Promise<void> {
    const probe = { name: "MetadataRequest", apiKey: 3, version: 12, variant: 0, frame: "", body: {} };
    const bytes = await requestFrame(3, 12, { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, "authz");
    const deadline = Date.now() + 15_000;
    for (;;) {
      const a = await this.ask(probe, bytes);
      if (a.note === undefined && a.codes.size === 0) return;
      if (Date.now() > deadline) assert.fail(`the ACLs were not in force after 15 s (${a.note ?? [...a.codes.keys()].join(",")})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  close(): void { this.client?.close(); }
}

/**
 * A connection through Envoy: ANONYMOUS's on the PLAINTEXT listener, or `user`'s signed in on the
 * SASL listener; opened again whenever it closed.
 */
class Filtered {
  private w: Wire | null = null;
  private closedByFilter = -1;
  /** Requests asked again after the broker closed the connection (ask). */
  askedAgain = 0;
  constructor(private readonly user: UserName | null = null) {}

  /** Whether the filter closed the connection that just closed (its counter moved), not the broker behind it. */
  private async filterClosed(): Promise<boolean> {
    const before = this.closedByFilter;
    // The close and its count come from the same callback; the count may reach /stats a moment later.
    for (let i = 0; i < 20; i++) {
      this.closedByFilter = stat(await stats("wasmcustom.kafka.connections_closed_by_filter"), K("connections_closed_by_filter"));
      if (before >= 0 && this.closedByFilter > before) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  async ask(f: OracleFrame, bytes: Buffer, again = false): Promise<Answer> {
    if (this.closedByFilter < 0) await this.filterClosed();
    if (this.w === null || this.w.closed) {
      this.w = await Wire.open(this.user === null ? "plaintext" : "sasl");
      if (this.user !== null) assert.deepEqual(await signIn(this.w, this.user), { handshake: 0, authenticate: 0 }, `${this.user} signs in through Envoy`);
    }
    const w = this.w;
    await w.send(bytes);
    let frame: Buffer | null = null;
    try {
      frame = await w.next(ANSWER_MS);
    } catch {
      w.destroy();
      return { closed: false, codes: new Map(), note: "no answer" };
    }
    if (frame === null) {
      w.destroy();
      if (!(await this.filterClosed())) {
        // The close may be the broker's answer to the request before this one (Kafka 3.9
        // answers an OffsetFetch v8 naming no group with an error, then closes), arriving after
        // this request was sent: asked again on a fresh connection, a request the filter
        // forwards is answered, or closed on, again.
        if (!again) {
          this.askedAgain++;
          return this.ask(f, bytes, true);
        }
        return { closed: false, codes: new Map(), note: "forwarded, then the broker closed the connection" };
      }
    }
    return answerOf(frame, f, frame === null);
  }

  close(): void { this.w?.destroy(); }
}

/**
 * The policy's ACLs for ANONYMOUS (as the stand-in's), alice (as hers) and everyone, as CreateAcls
 * entries. Others' are left out: the stand-in is one of them.
 */
function standInAcls(): unknown[] {
  const policy = JSON.parse(readFileSync(POLICY, "utf8")) as { allowEveryoneIfNoAclFound: boolean; acls: any[] };
  assert.equal(policy.allowEveryoneIfNoAclFound, false, "the authorizer's broker runs with allow.everyone.if.no.acl.found=false, as the policy");
  const principal: Record<string, string> = { "User:ANONYMOUS": `User:${STAND_IN}`, "User:alice": "User:alice", "User:*": "User:*" };
  return policy.acls.filter((a) => a.principal in principal).map((a) => ({
    resourceType: RESOURCE[a.resourceType], resourceName: a.resourceName, resourcePatternType: PATTERN[a.resourcePatternType ?? "LITERAL"],
    principal: principal[a.principal], host: a.host,
    operation: OPERATION[a.operation], permissionType: PERMISSION[a.permissionType],
  }));
}

async function grant(broker: AclBroker): Promise<number> {
  const c = await AclClient.signIn(broker.bootstrap, "admin");
  try {
    const creations = standInAcls();
    const r = await c.call(30, 3, { creations });
    for (const res of r.results) assert.equal(res.errorCode, 0, `CreateAcls: ${res.errorMessage}`);
    return creations.length;
  } finally {
    c.close();
  }
}

// Names the policy grants ANONYMOUS in part (test/e2e/policy.json), put in place of the random
// names of the second pass, so that the two enforcers are compared where the answer is not
// always no. Unique to the run: what either broker creates or commits is this test's alone.
const RUN = `authz${Date.now().toString(36)}`;
const POOL: Record<"topicName" | "groupId" | "transactionalId", string[]> = {
  topicName: [`e2e.${RUN}`, `e2e.readonly.${RUN}`, `e2e.writeonly.${RUN}`, `e2e${RUN}`, `e2e.mm2-${RUN}`, `e2e.e2e.mm2-${RUN}`,
    `mm2-offset-syncs.${RUN}`, `orders.${RUN}`, `secret.${RUN}`, `${RUN}.other`, `e2e.hostbound.${RUN}`, `elsewhere.${RUN}`],
  groupId: [`e2e.group.${RUN}`, `e2e.group.denied.${RUN}`, `${RUN}.group`, `elsewhere.group.${RUN}`],
  transactionalId: [`e2e.tx.${RUN}`, `${RUN}.tx`],
};

let schemas: Map<string, MessageSpec> | null = null;
function specOf(name: string): MessageSpec {
  schemas ??= new Map(loadMessages(SCHEMAS).map((m) => [m.name, m]));
  const m = schemas.get(name);
  if (m === undefined) throw new Error(`no message definition for ${name} in ${SCHEMAS}`);
  return m;
}

/**
 * The body with every topic name, group id and transactional id (Kafka's entityType; and a
 * config or ACL resource of type TOPIC, and FindCoordinator's keys, which no entityType marks)
 * replaced by one of the pool's, in turn.
 */
function withPoolNames(f: OracleFrame): unknown {
  const turn = { topicName: f.variant, groupId: f.variant, transactionalId: f.variant };
  const pick = (kind: keyof typeof POOL): string => POOL[kind][turn[kind]++ % POOL[kind].length];
  const rename = (v: unknown, kind: keyof typeof POOL): unknown =>
    typeof v === "string" ? pick(kind) : Array.isArray(v) ? v.map((x) => rename(x, kind)) : v;
  const walk = (body: Record<string, unknown>, fields: FieldSpec[]): void => {
    for (const field of fields) {
      const v = body[field.jsonName];
      if (v === undefined || v === null) continue;
      const e = field.entityType;
      if (e === "topicName" || e === "groupId" || e === "transactionalId") body[field.jsonName] = rename(v, e);
      let t = field.type;
      while (t.kind === "array") t = t.element;
      if (t.kind === "struct") for (const x of Array.isArray(v) ? v : [v]) if (x !== null && typeof x === "object") walk(x as Record<string, unknown>, t.struct.fields);
    }
    if (body.resourceType === 2 && typeof body.resourceName === "string") body.resourceName = pick("topicName");
  };
  const body = structuredClone(f.body);
  walk(body, specOf(f.name).root.fields);
  if (f.apiKey === 10) {
    const kind = body.keyType === 1 ? "transactionalId" : "groupId";
    if (typeof body.key === "string") body.key = pick(kind);
    if (Array.isArray(body.coordinatorKeys)) body.coordinatorKeys = rename(body.coordinatorKeys, kind);
  }
  return body;
}

interface Outcome { bypasses: string[]; stricter: string[]; notes: string[]; compared: number; refusedByKafka: number }

/** Each request asked of Kafka's authorizer and of the filter, as described at the top. */
async function compare(broker: AclBroker, requests: Array<{ f: OracleFrame; bytes: Buffer }>, user: UserName | null = null): Promise<Outcome> {
  const judge = new Judge(broker, user ?? STAND_IN);
  const filtered = new Filtered(user);
  const out: Outcome = { bypasses: [], stricter: [], notes: [], compared: 0, refusedByKafka: 0 };
  const unjudged = new Map<string, number>();
  let closedThrough = 0, brokerClosed = 0, notOffered = 0;
  try {
    await judge.granted(DESCRIBABLE[user ?? "ANONYMOUS"]);
    for (const { f, bytes } of requests) {
      // A version the broker behind Envoy does not offer (3.9.1's brokers): no client sends it, and
      // that broker closes on it, so what the filter forwarded of it cannot be told.
      if ((await brokerLacks([{ api: f.name, key: f.apiKey, version: f.version }])) !== null) { notOffered++; continue; }
      const kafka = await judge.ask(f, bytes);
      const filter = await filtered.ask(f, bytes);
      const label = `${f.name} v${f.version} #${f.variant}`;
      if (kafka.note !== undefined) { unjudged.set(kafka.note, (unjudged.get(kafka.note) ?? 0) + 1); continue; }
      out.compared++;
      if (kafka.codes.size > 0) out.refusedByKafka++;
      if (filter.closed) { closedThrough++; continue; }
      if (filter.note !== undefined && filter.note.startsWith("forwarded")) brokerClosed++;
      const codes = (m: Map<string, number>) => [...m].map(([at, k]) => `${at || "(whole response)"} ${AUTHORIZATION_FAILED[k]}`).join("; ") || "none";
      const short = [...kafka.codes.keys()].filter((at) => !covered(at, filter.codes));
      if (short.length > 0 || (filter.note !== undefined && kafka.codes.size > 0)) {
        out.bypasses.push(`${label} ${JSON.stringify(f.body).slice(0, 400)}\n  Kafka's authorizer refuses ${codes(kafka.codes)}\n  through the filter: ${filter.note ?? codes(filter.codes)}\n  ${(JSON.stringify(filter.body) ?? "").slice(0, 600)}`);
      } else if ([...filter.codes.keys()].some((at) => !covered(at, kafka.codes))) {
        out.stricter.push(`${label}: Kafka's authorizer: ${codes(kafka.codes)}; through the filter: ${codes(filter.codes)}` +
          (VERBOSE ? `\n  request ${JSON.stringify(f.body).slice(0, 500)}\n  Kafka ${JSON.stringify(kafka.body).slice(0, 500)}` : ""));
      }
    }
  } finally {
    judge.close();
    filtered.close();
  }
  out.notes.push(`${requests.length} requests: ${out.compared} compared, ${out.refusedByKafka} with Kafka's authorization errors; ` +
    `${closedThrough} closed by the filter, ${brokerClosed} forwarded and closed on by the broker behind it; ` +
    `${filtered.askedAgain} asked again on a fresh connection after a close that was not the filter's`);
  if (notOffered > 0) out.notes.push(`not compared ${notOffered}: a version the broker behind Envoy does not offer`);
  for (const [why, n] of unjudged) out.notes.push(`not compared ${n}: Kafka's broker gave ${why}`);
  return out;
}

const missing = jarsPresent() ?? (existsSync(FRAMES) ? null : `no ${FRAMES} (make oracle)`);
let broker: AclBroker | null = null;
let frames: OracleFrame[] = [];
after(async () => { await broker?.stop(); });

before(async () => {
  if (missing !== null) return;
  broker = await AclBroker.start(90_000, false);
  await grant(broker);
  frames = readFileSync(FRAMES, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l))
    .filter((f) => f.kind === "request" && leftOut(f) === null) as OracleFrame[];
}, { timeout: 120_000 });

function report(c: Ctx, o: Outcome): void {
  for (const n of o.notes) c.t.diagnostic(n);
  for (const s of o.stricter) c.t.diagnostic(`stricter than Kafka: ${s}`);
  assert.deepEqual(o.bypasses, [], "requests the filter let through that Kafka's authorizer refuses");
}

e2e("every request Kafka's classes build, random names: the filter lets none through that Kafka's authorizer refuses", async (c) => {
  assert.equal(missing, null, "what this test needs");
  const o = await compare(broker!, frames.map((f) => ({ f, bytes: Buffer.from(f.frame, "base64") })));
  report(c, o);
  // Nothing is granted under random names, yet Kafka fails some requests before it authorizes.
  assert.ok(o.refusedByKafka > o.compared / 2, `Kafka's authorizer refused something in ${o.refusedByKafka} of ${o.compared} requests`);
}, 300_000);

/** The oracle's requests with names from the pool, encoded again. */
async function poolRequests(c: Ctx): Promise<Array<{ f: OracleFrame; bytes: Buffer }>> {
  const requests: Array<{ f: OracleFrame; bytes: Buffer }> = [];
  let unencodable = 0;
  for (const f of frames) {
    const body = withPoolNames(f);
    try {
      const bytes = await requestFrame(f.apiKey, f.version, body, "authz");
      requests.push({ f: { ...f, body }, bytes });
    } catch {
      unencodable++; // an int64 beyond a double's precision, read from the oracle's JSON
    }
  }
  c.t.diagnostic(`${unencodable} requests could not be encoded again from JSON`);
  assert.ok(unencodable < frames.length / 10, `${unencodable} of ${frames.length} requests encoded again`);
  return requests;
}

for (const user of [null, "alice"] as const) {
  const who = user === null ? "ANONYMOUS on PLAINTEXT" : `${user} on SASL`;
  e2e(`every request Kafka's classes build, names the policy grants in part, as ${who}: the filter lets none through that Kafka's authorizer refuses`, async (c) => {
    assert.equal(missing, null, "what this test needs");
    const o = await compare(broker!, await poolRequests(c), user);
    report(c, o);
    // Granted in part: Kafka refuses some requests, not all.
    assert.ok(o.refusedByKafka > o.compared / 4 && o.refusedByKafka < o.compared * 3 / 4, `Kafka's authorizer refused something in ${o.refusedByKafka} of ${o.compared} requests`);
  }, 300_000);
}

// Listings: what each side shows of the same topics, groups and transactional ids. Both brokers
// get them (made by a super user: admin on the authorizer's broker, the e2e broker directly on its
// own listener): the pool's topics, each pool group with offsets committed for every pool topic,
// each pool transactional id initialised. Then ANONYMOUS through the filter and bob at Kafka ask
// for every listing; of the pool's names, each side must show the same ones: one the filter shows
// and Kafka hides is a leak, one it hides and Kafka shows a client that misses what it may see.
// As ANONYMOUS (bob at Kafka) and as alice over SASL.

const LIST_RUN = `${RUN}l`;
const LISTED = {
  topics: POOL.topicName.map((n) => n.replace(RUN, LIST_RUN)),
  groups: POOL.groupId.map((n) => n.replace(RUN, LIST_RUN)),
  transactionalIds: POOL.transactionalId.map((n) => n.replace(RUN, LIST_RUN)),
};
const LISTED_NAMES = new Set([...LISTED.topics, ...LISTED.groups, ...LISTED.transactionalIds]);

/** Makes the listed topics, groups and transactional ids on the broker behind `c` (a super user's connection). */
async function populate(c: Conn): Promise<void> {
  const created = await c.call(19, 7, { topics: LISTED.topics.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 30_000, validateOnly: false });
  const TOPIC_ALREADY_EXISTS = 36; // made for the listing before
  for (const t of created.topics) assert.ok(t.errorCode === 0 || t.errorCode === TOPIC_ALREADY_EXISTS, `CreateTopics ${t.name}: ${t.errorMessage}`);
  // FindCoordinator makes the offsets and transaction state topics on a fresh broker; until
  // their partitions load, the commits and inits below are retried.
  await c.call(10, 4, { keyType: 0, coordinatorKeys: LISTED.groups });
  await c.call(10, 4, { keyType: 1, coordinatorKeys: LISTED.transactionalIds });
  for (const groupId of LISTED.groups) {
    const topics = LISTED.topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: "" }] }));
    // The topics' leaders may need a moment after CreateTopics.
    for (let attempt = 0; ; attempt++) {
      const r = await c.call(8, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics });
      const errors = r.topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode)).filter((e: number) => e !== 0);
      if (errors.length === 0) break;
      if (attempt > 100) assert.fail(`OffsetCommit for ${groupId}: errors ${errors.join(",")}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  for (const transactionalId of LISTED.transactionalIds) {
    for (let attempt = 0; ; attempt++) {
      const r = await c.call(22, 5, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      if (r.errorCode === 0) break;
      if (attempt > 100) assert.fail(`InitProducerId ${transactionalId}: error ${r.errorCode}`);
      await new Promise((res) => setTimeout(res, 200)); // the transaction coordinator loading
    }
  }
}

/** The listings asked, each with the request's body, at versions 3.9.1 and 4.4.0 both offer. */
const LISTINGS: Array<{ name: string; apiKey: number; version: number; body: unknown }> = [
  { name: "Metadata of all topics", apiKey: 3, version: 12, body: { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false } },
  { name: "DescribeTopicPartitions of all topics", apiKey: 75, version: 0, body: { topics: [], responsePartitionLimit: 2000, cursor: null } },
  { name: "ListGroups", apiKey: 16, version: 4, body: { statesFilter: [] } },
  { name: "ListTransactions", apiKey: 66, version: 1, body: { stateFilters: [], producerIdFilters: [], durationFilter: -1 } },
  ...LISTED.groups.map((groupId) => ({ name: `OffsetFetch of every topic, group ${groupId}`, apiKey: 9, version: 9,
    body: { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }], requireStable: false } })),
  { name: "ListConfigResources (client metrics)", apiKey: 74, version: 0, body: {} },
  { name: "DescribeLogDirs of all topics", apiKey: 35, version: 4, body: { topics: null } },
];

/** The listed names an answer shows, and its authorization errors. */
function shown(body: unknown): string {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === "string" && LISTED_NAMES.has(v)) names.add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(body);
  const refused = [...new Set(authorizationErrors(body).values())].map((k) => AUTHORIZATION_FAILED[k]).sort();
  return [...[...names].sort(), ...refused].join(", ") || "nothing";
}

for (const user of [null, "alice"] as const) {
  e2e(`listings as ${user === null ? "ANONYMOUS on PLAINTEXT" : `${user} on SASL`}: the filter shows the topics, groups and transactional ids Kafka's authorizer shows, no more, no less`, async (c) => {
    assert.equal(missing, null, "what this test needs");
    const admin = await AclClient.signIn(broker!.bootstrap, "admin");
    const direct = await Conn.connect(BROKER_DIRECT);
    c.cleanup(() => { admin.close(); direct.close(); });
    await Promise.all([populate(admin.conn), populate(direct)]);
    const judge = new Judge(broker!, user ?? STAND_IN);
    const filtered = new Filtered(user);
    c.cleanup(() => { judge.close(); filtered.close(); });
    await judge.granted(DESCRIBABLE[user ?? "ANONYMOUS"]);
    const differ: string[] = [];
    for (const l of LISTINGS) {
      const bytes = await requestFrame(l.apiKey, l.version, l.body, "authz");
      const f = { name: l.name, apiKey: l.apiKey, version: l.version, variant: 0, frame: "", body: l.body };
      const kafka = await judge.ask(f, bytes);
      const filter = await filtered.ask(f, bytes);
      assert.equal(kafka.note, undefined, `Kafka's answer to ${l.name}`);
      assert.equal(filter.note, undefined, `the answer through the filter to ${l.name}`);
      const k = shown(kafka.body), fl = shown(filter.body);
      c.t.diagnostic(`${l.name}: Kafka shows ${k}${k === fl ? "; the filter the same" : `; the filter ${fl}`}`);
      if (k !== fl) differ.push(`${l.name}: Kafka's authorizer shows ${k}; the filter ${fl}`);
    }
    assert.deepEqual(differ, [], "what each side shows of the listed names");
  }, 120_000);
}
