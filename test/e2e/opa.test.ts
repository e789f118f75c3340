// External decisions with a real OPA (issue 9 item 5): the kafka_opa listeners (19096, fail
// closed; 19097, fail open; envoy/envoy.yaml) send every ACL question to OPA, built from its Go
// module (`make opa`) and serving envoy/opa/kafka.rego (`make opa-up`, started and stopped by
// this file). What is checked, from the outside:
//   - OPA's answers are enforced with Kafka's own errors, on a connection that stays up;
//   - OPA gets the ext_authz-shaped input with the Kafka fields (its decision log shows it);
//   - answers are cached for cacheTtlMs (3 s here), then asked again; a fetch session's check
//     stands no longer;
//   - a request waiting for OPA holds up neither other connections nor its own order;
//   - an OPA that does not answer in time (timeoutMs 2000) fails closed on 19096, open on 19097.

import assert from "node:assert/strict";
import { before, after } from "node:test";
import net from "node:net";
import { readFileSync, existsSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { e2e, type Ctx, type ApiNeed } from "./lib/harness";
import { unique, ROOT, USERS, BROKER_INTERNAL, type UserName } from "./lib/env";
import { stats, delta, K, logMark, logSince, brief, waitForAudit, filterLogSince } from "./lib/envoy";
import { CONSOLE_JARS, writeSaslProperties } from "./lib/drivers";
import { run } from "./lib/proc";
import {
  Wire, ERR, produce, produceErrors, metadata, metadataTopics, signIn, directAdmin, directKafka, ensureTopics, highWatermark, corrOf, apiVersions,
  request, response, WASM_FAILURE,
} from "./lib/attack";
import { client, producer, consume, errorTypes, rejection } from "./lib/kafkajs";
import { make } from "./lib/proc";
import { kafkaTool } from "./lib/kafka-tools";

const OPA = "127.0.0.1:19096";
const SHARE: ApiNeed[] = [{ api: "ShareGroupHeartbeat", key: 76, version: 1 }, { api: "ShareFetch", key: 78, version: 1 }];
const OPA_OPEN = "127.0.0.1:19097";
const OPA_PORT = 8181;
const OPA_LOG = join(ROOT, ".cache", "opa", "run", "opa.log");
/** The listeners' settings (envoy/envoy.yaml). */
const CACHE_TTL_MS = 3000;
// Long enough for OPA on a loaded 2-core machine to answer a listing's burst (one question per
// topic the broker has: hundreds in a test run).
const TIMEOUT_MS = 2000;

before(() => make("opa-up", 300_000), { timeout: 310_000 });
after(() => make("opa-down"), { timeout: 60_000 });

interface OpaDecision { input: any; result: unknown }

/** OPA's decision log (console lines) from byte `mark` on. */
function decisionsSince(mark: number): OpaDecision[] {
  if (!existsSync(OPA_LOG)) return [];
  const text = readFileSync(OPA_LOG).subarray(mark).toString("utf8");
  const out: OpaDecision[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes("Decision Log")) continue;
    try {
      const d = JSON.parse(line);
      out.push({ input: d.input, result: d.result });
    } catch { /* a line cut by the writer */ }
  }
  return out;
}
const opaMark = (): number => (existsSync(OPA_LOG) ? readFileSync(OPA_LOG).length : 0);

/** The decisions about `op` on topic `topic`. */
const about = (ds: OpaDecision[], topic: string, op: string): OpaDecision[] =>
  ds.filter((d) => d.input?.kafka?.resource?.name === topic && d.input?.kafka?.operation === op);

/** A raw connection to `listener`, signed in as `user`; closed when the test ends. */
async function signedIn(c: Ctx, listener: string, user: UserName): Promise<Wire> {
  const w = await Wire.at(listener);
  c.cleanup(() => w.destroy());
  const r = await signIn(w, user);
  assert.deepEqual(r, { handshake: 0, authenticate: 0 }, `${user} signs in on ${listener}`);
  return w;
}

/** Sends one Produce of `topic` (correlation `corr`) and times its answer: [error code, ms]. */
async function timedProduce(w: Wire, corr: number, topic: string): Promise<[number, number]> {
  const t0 = Date.now();
  await w.send(await produce(corr, topic));
  const f = await w.next(10_000);
  assert.ok(f !== null, `an answer to the produce of ${topic} (closed: ${w.closed})`);
  assert.equal(corrOf(f), corr);
  const [error] = await produceErrors(f);
  return [error, Date.now() - t0];
}

e2e("OPA decides: alice produces to orders.*, bob may read but not write it, secret.* is hidden; OPA sees the ext_authz input", async (c) => {
  const admin = await directAdmin(c);
  const topic = unique("orders.opa-", "decide");
  const secret = unique("secret.opa-", "decide");
  await ensureTopics(admin, [topic, secret]);
  const mark = opaMark();
  const log = logMark();

  const alice = client("alice", { brokers: [OPA] });
  const p = await producer(c, alice);
  await p.send({ topic, acks: -1, messages: [{ value: "from alice" }] });
  assert.equal(await highWatermark(admin, topic), 1, "alice's record is at the broker");

  const bob = client("bob", { brokers: [OPA] });
  const bp = await producer(c, bob);
  const e = await rejection(bp.send({ topic, acks: -1, messages: [{ value: "from bob" }] }), "bob's produce");
  assert.ok(errorTypes(e).includes("TOPIC_AUTHORIZATION_FAILED"), `bob is refused with TOPIC_AUTHORIZATION_FAILED: ${errorTypes(e)}`);
  assert.equal(await highWatermark(admin, topic), 1, "bob's record never reached the broker");
  const refusal = await waitForAudit(log, (r) => r.resourceName === topic && r.principal === "User:bob");
  assert.ok(refusal !== null, "an audit line for bob's refusal");
  c.t.diagnostic(`audit line: ${JSON.stringify(refusal)}`);
  assert.equal(refusal.acl, "external");
  assert.equal(refusal.listener, "kafka-opa");
  assert.equal(refusal.error, "TOPIC_AUTHORIZATION_FAILED");

  const got = await consume(c, bob, topic, unique("e2e.opa.group-", "decide"), 1);
  assert.deepEqual(got.map((m) => m.value), ["from alice"], "bob reads what alice wrote");

  // The input OPA got for alice's write: ext_authz's attributes plus the Kafka fields.
  const writes = about(decisionsSince(mark), topic, "WRITE");
  const aliceWrite = writes.find((d) => d.input.kafka.principal === "User:alice");
  assert.ok(aliceWrite, `OPA was asked about alice's WRITE (decisions about it: ${writes.length})`);
  c.t.diagnostic(`OPA input: ${JSON.stringify(aliceWrite.input)} -> ${JSON.stringify(aliceWrite.result)}`);
  assert.equal(aliceWrite.result, true);
  assert.deepEqual(aliceWrite.input.kafka, {
    principal: "User:alice", host: "127.0.0.1", listener: "kafka-opa", operation: "WRITE",
    resource: { type: "TOPIC", name: topic, anyResource: false },
  });
  assert.equal(aliceWrite.input.attributes.source.address.socketAddress.address, "127.0.0.1");
  assert.equal(aliceWrite.input.attributes.source.principal, "User:alice");
  assert.deepEqual(aliceWrite.input.attributes.destination.address.socketAddress, { address: "127.0.0.1", portValue: 19096 });

  // Listings: a response cannot wait, so it shows what OPA has answered; the first listing
  // asks about the rest, the next one shows them. secret.* is never shown to bob.
  const w = await signedIn(c, OPA, "bob");
  let shown = new Map<string, number>();
  for (let i = 0; i < 20 && !shown.has(topic); i++) {
    await w.send(await metadata(100 + i, null));
    const f = await w.next(10_000);
    assert.ok(f !== null, "an answer to Metadata(all topics)");
    shown = await metadataTopics(f);
    if (!shown.has(topic)) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(shown.has(topic), `bob's listing shows ${topic}`);
  assert.ok(!shown.has(secret), `bob's listing hides ${secret}`);
  // Once the answers have expired, a listing asks first about the topics listings showed (its
  // request waits), so it has no gap: one listing is enough.
  await new Promise((r) => setTimeout(r, CACHE_TTL_MS + 300));
  await w.send(await metadata(200, null));
  const again = await w.next(10_000);
  assert.ok(again !== null, "an answer to the listing after the TTL");
  const after = await metadataTopics(again);
  assert.ok(after.has(topic), `the listing after the TTL shows ${topic} at once`);
  assert.ok(!after.has(secret), `and still hides ${secret}`);
});

e2e("kafka-acls --list under OPA: the ACL questions are OPA's, so there is no ACL list (SECURITY_DISABLED); without DESCRIBE on the cluster, CLUSTER_AUTHORIZATION_FAILED", async () => {
  const admin = await kafkaTool("AclCommand", OPA, "admin", ["--list"]);
  assert.notEqual(admin.code, 0);
  assert.match(admin.stdout + admin.stderr, /SecurityDisabledException: this proxy asks a policy service about each request; it has no ACLs to list/);
  const alice = await kafkaTool("AclCommand", OPA, "alice", ["--list"]);
  assert.match(alice.stdout + alice.stderr, /ClusterAuthorizationException/);
}, 120_000);

e2e("OPA's answers are cached for cacheTtlMs, then asked again", async (c) => {
  const admin = await directAdmin(c);
  const topic = unique("orders.opa-", "cache");
  await ensureTopics(admin, [topic]);
  const w = await signedIn(c, OPA, "alice");
  const mark = opaMark();
  const before = await stats();
  assert.equal((await timedProduce(w, 10, topic))[0], ERR.NONE);
  assert.equal((await timedProduce(w, 11, topic))[0], ERR.NONE);
  assert.equal((await timedProduce(w, 12, topic))[0], ERR.NONE);
  await new Promise((r) => setTimeout(r, 300)); // OPA writes its log line after answering
  const first = about(decisionsSince(mark), topic, "WRITE").length;
  assert.equal(first, 1, "three produces within the TTL: OPA asked once");
  const mid = await stats();
  assert.ok(delta(before, mid, K("external.cache_hits")) >= 2, "the other two were answered from the cache");
  await new Promise((r) => setTimeout(r, CACHE_TTL_MS + 300));
  assert.equal((await timedProduce(w, 13, topic))[0], ERR.NONE);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(about(decisionsSince(mark), topic, "WRITE").length, 2, "after the TTL: asked again");
  assert.equal(await highWatermark(admin, topic), 4);
});

/** A Fetch v12 (by name) of partition 0 of `topic`: a full one (session 0, epoch 0) or an incremental one naming nothing. */
function fetchRequest(corr: number, topic: string, session: number, epoch: number): Promise<Buffer> {
  const topics = epoch > 0 ? [] : [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1,
    logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }];
  return request(1, 12, corr, { clusterId: null, replicaId: -1, maxWaitMs: 100, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
    sessionId: session, sessionEpoch: epoch, topics, forgottenTopicsData: [], rackId: "" });
}

/** Sends a Fetch and reads its answer: the top-level error, the session, partition 0's error, and whether `marker` is in it. */
async function fetched(w: Wire, frame: Buffer, marker: string): Promise<{ error: number; session: number; partition: number | null; has: boolean }> {
  await w.send(frame);
  const f = await w.next(10_000);
  assert.ok(f !== null, `an answer to the fetch (closed: ${w.closed})`);
  const body = await response(f, 1, 12);
  return { error: body.errorCode, session: body.sessionId, partition: body.responses[0]?.partitions[0]?.errorCode ?? null, has: f.includes(Buffer.from(marker)) };
}

/**
 * Runs `fn` with OPA replaced by a server that accepts connections and never answers, so every
 * question times out (timeoutMs); OPA is back afterwards.
 */
async function withSilentOpa(fn: () => Promise<void>): Promise<void> {
  await make("opa-down");
  const held: net.Socket[] = [];
  const silent = net.createServer((s) => { held.push(s); s.on("error", () => {}); });
  await new Promise<void>((resolve, reject) => { silent.once("error", reject); silent.listen(OPA_PORT, "127.0.0.1", resolve); });
  try {
    // Answers cached before this point must expire first.
    await new Promise((r) => setTimeout(r, CACHE_TTL_MS + 200));
    await fn();
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
    await make("opa-up", 120_000);
  }
}

// Kafka authorizes every partition of a fetch session at every fetch; an incremental fetch
// names none, so the filter cannot ask about them. Past cacheTtlMs the session ends here (the
// client starts over with a full fetch, which is asked again): an answer withdrawn, or a
// service gone silent on a listener that fails closed, reaches a consumer in a session too.
e2e("a fetch session stands no longer than OPA's answers: past cacheTtlMs an incremental fetch starts over, and the full fetch is asked again (OPA silent: refused)", async (c) => {
  const admin = await directAdmin(c);
  const topic = unique("orders.opa-", "session");
  await ensureTopics(admin, [topic]);
  const w = await signedIn(c, OPA, "bob"); // OPA lets bob read orders.*
  const marker = `${topic}-after`;
  const opened = await fetched(w, await fetchRequest(10, topic, 0, 0), marker);
  assert.deepEqual([opened.error, opened.partition], [ERR.NONE, ERR.NONE], `bob's full fetch is allowed: ${JSON.stringify(opened)}`);
  assert.notEqual(opened.session, 0, "the broker opened a fetch session");
  const within = await fetched(w, await fetchRequest(11, topic, opened.session, 1), marker);
  assert.equal(within.error, ERR.NONE, "within cacheTtlMs the session goes on");
  await withSilentOpa(async () => {
    const p = directKafka().producer();
    await p.connect();
    c.cleanup(() => p.disconnect());
    await p.send({ topic, messages: [{ value: marker }] });
    const later = await fetched(w, await fetchRequest(12, topic, opened.session, 2), marker);
    assert.ok(!later.has, "a record written after the answers expired was served in the old session");
    assert.equal(later.error, 70, "FETCH_SESSION_ID_NOT_FOUND: the client starts over with a full fetch");
    const again = await fetched(w, await fetchRequest(13, topic, 0, 0), marker);
    assert.ok(!again.has, "the full fetch, asked of a silent service, was served");
    assert.equal(again.partition, ERR.TOPIC_AUTHORIZATION_FAILED, "fails closed on 19096");
  });
});

// A share consumer lives longer than OPA's answers: its assignment comes in a heartbeat's
// answer, which cannot wait for OPA, and its share session outlives cacheTtlMs. Kafka's own
// share consumer (kafka-tools 4.4) through the fail-closed listener, as bob (READ on orders.*
// and e2e.opa.*), reading records written one every 750 ms, four cacheTtlMs in all: every record
// once, and no share session ended by the filter (its acknowledgements ride on the fetches).
e2e("Kafka's share consumer under OPA gets its assignment and reads every record once, across several cacheTtlMs", async (c) => {
  const topic = unique("orders.opa-", "share"), group = unique("e2e.opa.", "share");
  await ensureTopics(await directAdmin(c), [topic]);
  const config = ["--bootstrap-server", BROKER_INTERNAL, "--entity-type", "groups", "--entity-name", group, "--alter", "--add-config", "share.auto.offset.reset=earliest"];
  const set = await run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, "org.apache.kafka.tools.ConfigCommand", ...config], { timeoutMs: 60_000 });
  assert.equal(set.code, 0, `share.auto.offset.reset: ${set.stderr.slice(-300)}`);
  const props = join(mkdtempSync(join(tmpdir(), "e2e-opa-share-")), "client.properties");
  writeSaslProperties(props, "PLAIN", USERS.bob.username, USERS.bob.password);
  const mark = logMark();
  const N = 16;
  const consumer = run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, "org.apache.kafka.tools.consumer.ConsoleShareConsumer",
    "--bootstrap-server", OPA, "--command-config", props, "--topic", topic, "--group", group, "--max-messages", String(N), "--timeout-ms", "30000"],
  { timeoutMs: 90_000 });
  const p = directKafka().producer();
  await p.connect();
  c.cleanup(() => p.disconnect());
  for (let i = 1; i <= N; i++) {
    await p.send({ topic, messages: [{ value: `r${i}` }] });
    await new Promise((r) => setTimeout(r, 750));
  }
  const r = await consumer;
  const read = r.stdout.split("\n").filter((l) => /^r\d+$/.test(l));
  assert.deepEqual([...read].sort(), Array.from({ length: N }, (_, i) => `r${i + 1}`).sort(),
    `every record once (${read.length} read; exit ${r.code}; ${r.stderr.slice(-400)})`);
  const ended = filterLogSince(mark).filter((l) => l.includes("SHARE_SESSION"));
  assert.deepEqual(ended, [], "no share session ended by the filter");
}, 150_000, SHARE);

e2e("a request waiting for OPA holds up neither other connections nor the order of its own; OPA silent: 19096 fails closed, 19097 fails open", async (c) => {
  const admin = await directAdmin(c);
  const known = unique("orders.opa-", "known");
  const fresh = unique("orders.opa-", "fresh");
  const open = unique("orders.opa-", "open");
  await ensureTopics(admin, [known, fresh, open]);

  // In order: a pipeline whose first request waits for OPA and whose second does not.
  const p = await signedIn(c, OPA, "alice");
  await p.send(Buffer.concat([await produce(20, unique("orders.opa-", "pipelined")), await produce(21, known)]));
  const answers = await p.frames(2, 10_000);
  assert.deepEqual(answers.map(corrOf), [20, 21], "answers in the order of the requests");

  await withSilentOpa(async () => {
    const before = await stats();
    const log = logMark();
    const waiting = await signedIn(c, OPA, "alice");
    const other = await signedIn(c, OPA, "alice");
    // Every cached answer has expired, so the other connection sends what needs no ACL.
    const slow = timedProduce(waiting, 30, fresh);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await other.send(await apiVersions(31));
    const av = await other.next(5000);
    const otherMs = Date.now() - t0;
    assert.ok(av !== null, "the other connection is answered");
    const [error, slowMs] = await slow;
    c.t.diagnostic(`waiting for OPA: ${slowMs} ms (timeoutMs ${TIMEOUT_MS}); the other connection meanwhile: ${otherMs} ms`);
    assert.equal(error, ERR.TOPIC_AUTHORIZATION_FAILED, "no answer from OPA: 19096 fails closed");
    assert.ok(slowMs >= TIMEOUT_MS - 50, `the produce waited for the timeout (${slowMs} ms)`);
    assert.ok(otherMs < slowMs - 200, `the other connection was not held up (${otherMs} ms vs ${slowMs} ms)`);
    assert.equal(await highWatermark(admin, fresh), 0, "nothing reached the broker");
    const line = await waitForAudit(log, (r) => r.resourceName === fresh);
    assert.ok(line !== null, "an audit line for the refusal");
    c.t.diagnostic(`audit line: ${JSON.stringify(line)}`);
    assert.match(line.reason, new RegExp(`no answer within ${TIMEOUT_MS} ms.*failing closed`));
    // The connection stays up and usable.
    assert.equal((await timedProduce(waiting, 32, fresh))[0], ERR.TOPIC_AUTHORIZATION_FAILED, "still refused (held failure), connection up");

    const o = await signedIn(c, OPA_OPEN, "alice");
    assert.equal((await timedProduce(o, 40, open))[0], ERR.NONE, "no answer from OPA: 19097 fails open");
    assert.equal(await highWatermark(admin, open), 1, "the record reached the broker");
    const after = await stats();
    assert.ok(delta(before, after, K("external.failures")) >= 2, "failures counted");
    assert.ok(delta(before, after, K("external.failed_open")) >= 1, "fail-open counted");
    assert.ok(delta(before, after, K("requests_waited")) >= 2, "requests waited");
  });
}, 60_000);

// Adversarial (a review's finding): the filter quotes every name it asks OPA about. Its JSON
// quoting joined a piece per escaped character with AssemblyScript's Array.join, which at the
// filter's build settings copies quadratically: one Metadata naming a topic of 32,760 U+0001
// characters grew the VM until it trapped, taking every connection of its Envoy worker. Now
// the question is asked, OPA refuses it, the client gets TOPIC_AUTHORIZATION_FAILED on a
// connection that stays up, and the worker serves the next client.
e2e("a topic name of 32,760 control characters asked of OPA: refused with TOPIC_AUTHORIZATION_FAILED, no Wasm failure, the next client served", async (c) => {
  const name = "\u0001".repeat(32760);
  const mark = opaMark();
  const log = logMark();
  const w = await signedIn(c, OPA, "bob");
  await w.send(await request(3, 1, 7, { topics: [{ name }] }));
  const f = await w.next(20_000);
  assert.ok(f !== null, `an answer to the Metadata (closed: ${w.closed}, ${w.error ?? ""})`);
  const topics = (await response(f, 3, 1)).topics as Array<{ name: string; errorCode: number }>;
  assert.deepEqual(topics.map((t) => [t.name.length, t.errorCode]), [[32760, ERR.TOPIC_AUTHORIZATION_FAILED]]);
  assert.ok(about(decisionsSince(mark), name, "DESCRIBE").length > 0, "OPA was asked about the name, written exactly");
  const failures = logSince(log).filter((l) => WASM_FAILURE.test(l));
  assert.deepEqual(failures.map(brief), [], "no Wasm runtime error in Envoy's log");
  const next = await signedIn(c, OPA, "alice");
  const topic = unique("orders.opa-", "after");
  await ensureTopics(await directAdmin(c), [topic]);
  const [error] = await timedProduce(next, 9, topic);
  assert.equal(error, ERR.NONE, "alice produces after it");
});
