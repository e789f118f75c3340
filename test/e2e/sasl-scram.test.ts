// SASL/SCRAM principals and SASL re-authentication (KIP-368) on 127.0.0.1:19093.
// dave is a SCRAM user (SCRAM-SHA-256 and -512, made when kafka.sh formats the storage): he may
// write, read and create "scram." topics and has no ACL on "orders." (alice writes those, over
// PLAIN). The filter takes the SCRAM principal after the second successful SaslAuthenticate
// round, as Kafka does, and keeps it across a re-authentication of the same user.
// The broker announces a 60 s session lifetime (listener.name.sasl_plaintext.connections.max.reauth.ms);
// the re-authentication tests make kafkajs re-authenticate after ~2 s instead of ~50 s by raising
// its reauthenticationThreshold (re-authenticate when less than that is left of the session).

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { e2e } from "./lib/harness";
import { unique, SASL, SASL_BROKER_DIRECT, USERS, SCRAM_USERS, SASL_SESSION_LIFETIME_MS } from "./lib/env";
import { client, scramClient, producer, consume, describeError, errorNames, errorTypes, rejection } from "./lib/kafkajs";
import { stats, delta, K, DOWNSTREAM_CX, waitForLog, filterLogSince, logMark, brief } from "./lib/envoy";
import { RawSasl, SASL_AUTHENTICATION_FAILED } from "./lib/sasl";
import * as kcat from "./lib/kcat";

const dave = SCRAM_USERS.dave;
/** kafkajs re-authenticates a connection this long after its last authentication (see the header). */
const REAUTH_AFTER_MS = 2000;
const reauthSoon = { reauthenticationThreshold: SASL_SESSION_LIFETIME_MS - REAUTH_AFTER_MS };

/** The filter's "authenticated <principal> via SASL/<mechanism>" lines since `mark`. */
function authLines(mark: number, principal: string): string[] {
  return filterLogSince(mark).filter((l) => l.includes(`authenticated ${principal} via SASL/`));
}

e2e("kafkajs SCRAM-SHA-256: dave produces and consumes scram.*, gets TOPIC_AUTHORIZATION_FAILED on orders.*", async (c) => {
  const mine = unique("scram.", "kjs");
  const orders = unique("orders.", "scram");
  // alice creates the orders topic, so dave's refusal is about his rights, not a missing topic.
  await (await producer(c, client("alice"))).send({ topic: orders, messages: [{ value: "alice's" }] });

  const d = scramClient("dave");
  const p = await producer(c, d);
  const res = await p.send({ topic: mine, messages: [{ key: "k1", value: "one" }, { key: "k2", value: "two" }] });
  assert.equal(res[0].errorCode, 0);
  const auth = await waitForLog(c.mark, ["authenticated User:dave via SASL/SCRAM-SHA-256"]);
  assert.ok(auth, "the filter takes dave's SCRAM principal");
  c.t.diagnostic(brief(auth));

  const err = await rejection(p.send({ topic: orders, messages: [{ value: "dave's" }] }), "dave's send to " + orders);
  assert.ok(errorTypes(err).includes("TOPIC_AUTHORIZATION_FAILED"), describeError(err));
  const line = await waitForLog(c.mark, ["denied", "principal=User:dave", `TOPIC:${orders}`]);
  assert.ok(line, "the denial names dave's SCRAM principal");
  c.t.diagnostic(brief(line));

  const got = await consume(c, d, mine, unique("e2e.group.", "dave"), 2);
  assert.deepEqual(got.map((m) => [m.key, m.value]), [["k1", "one"], ["k2", "two"]]);
});

e2e("kafkajs SCRAM-SHA-512: dave produces to scram.*", async (c) => {
  const topic = unique("scram.", "kjs512");
  const p = await producer(c, scramClient("dave", { mechanism: "scram-sha-512" }));
  const res = await p.send({ topic, messages: [{ value: "sha-512" }] });
  assert.equal(res[0].errorCode, 0);
  assert.ok(await waitForLog(c.mark, ["authenticated User:dave via SASL/SCRAM-SHA-512"]), "the filter takes the SCRAM-SHA-512 principal");
});

let kcatScram: Promise<boolean> | null = null;
/**
 * Whether the broker itself (127.0.0.1:9093, no Envoy) takes kcat's SCRAM-SHA-256 for dave
 * (`kcat -L`). librdkafka < 2.6.1 repeats the client nonce in its client-final message; Kafka 4.x
 * refuses that proof ("invalid credentials"), Kafka 3.9.1 takes it. Which of the two kcat tests
 * below applies is decided by what the broker does, not by version numbers.
 */
function brokerTakesKcatScram(): Promise<boolean> {
  kcatScram ??= kcat.kcat([...kcat.scramArgs(dave, "scram-sha-256", SASL_BROKER_DIRECT), "-L", "-m", "10"], { timeoutMs: 20_000 })
    .then((r) => {
      if (r.code === 0) return true;
      if (/invalid credentials with SASL mechanism SCRAM-SHA-256/.test(r.stderr)) return false;
      throw new Error(`kcat SCRAM at the broker directly neither succeeded nor was refused: ${kcat.show(r)}`);
    });
  return kcatScram;
}

e2e("kcat SCRAM-SHA-256: dave produces and consumes scram.*, orders.* fails with 'Topic authorization failed'", async (c) => {
  if (!(await brokerTakesKcatScram())) {
    const v = await kcat.librdkafkaVersion();
    c.t.skip(`the broker itself refuses the SCRAM of kcat's librdkafka ${v.join(".")} (as Kafka 4.x does before librdkafka 2.6.1): see the next test`);
    return;
  }
  const mine = unique("scram.", "kcat");
  const orders = unique("orders.", "scram-kcat");
  const conn = kcat.scramArgs(dave);

  const w = await kcat.produce(conn, mine, ["from dave"], "d");
  assert.equal(w.code, 0, kcat.show(w));
  assert.ok(await waitForLog(c.mark, ["authenticated User:dave via SASL/SCRAM-SHA-256"]), "the filter takes dave's SCRAM principal");

  const a = await kcat.produce("alice", orders, ["from alice"]);
  assert.equal(a.code, 0, kcat.show(a));
  const d = await kcat.produce(conn, orders, ["from dave"]);
  assert.match(d.stderr, /Topic authorization failed/, kcat.show(d));
  assert.notEqual(d.code, 0, kcat.show(d));
  assert.ok(await waitForLog(c.mark, ["denied", "principal=User:dave", orders]), "the filter logs dave's denial");

  const r = await kcat.consumeAll(conn, mine);
  assert.equal(r.code, 0, kcat.show(r));
  assert.equal(r.stdout, "d=from dave\n", kcat.show(r));
});

e2e("kcat with librdkafka < 2.6.1: Kafka 4.4 refuses its SCRAM, through the filter as directly; the filter takes no principal", async (c) => {
  const v = await kcat.librdkafkaVersion();
  if (await brokerTakesKcatScram()) {
    c.t.skip(`the broker itself takes the SCRAM of kcat's librdkafka ${v.join(".")}: the test above runs`);
    return;
  }
  const topic = unique("scram.", "oldkcat");
  const viaFilter = await kcat.produce(kcat.scramArgs(dave), topic, ["x"]);
  const direct = await kcat.produce(kcat.scramArgs(dave, "scram-sha-256", SASL_BROKER_DIRECT), topic, ["x"]);
  for (const r of [viaFilter, direct]) {
    assert.match(r.stderr, /invalid credentials with SASL mechanism SCRAM-SHA-256/, kcat.show(r));
    assert.notEqual(r.code, 0, kcat.show(r));
  }
  c.t.diagnostic(`librdkafka ${v.join(".")}: the broker refuses its SCRAM proof (client nonce repeated, confluentinc/librdkafka#4895)`);
  assert.deepEqual(authLines(c.mark, "User:dave"), [], "the filter took no principal from the refused authentication");
});

e2e("a wrong SCRAM password is refused by the broker; the connection gets no principal and is closed", async (c) => {
  const before = await stats();

  // By hand: the first round succeeds (server-first), the proof of the final round does not.
  const raw = await RawSasl.open(SASL);
  c.cleanup(() => raw.close());
  const out = await raw.scram("SCRAM-SHA-256", dave.username, "wrong");
  assert.equal(out.first.errorCode, 0, "client-first is answered with server-first");
  assert.ok(out.final, "the final round is answered");
  assert.equal(out.final.errorCode, SASL_AUTHENTICATION_FAILED, `final round: ${JSON.stringify(out.final.errorMessage)}`);
  assert.ok(await raw.conn.waitClosed(3000), "the broker closes the connection after the failed authentication");

  // kafkajs sees the refusal as such (kcat: see above; librdkafka < 2.6.1 fails even with the right one).
  const bad = scramClient("dave", { password: "wrong" });
  const p = bad.kafka.producer();
  c.cleanup(() => p.disconnect());
  const err = await rejection(p.connect(), "kafkajs connect with a wrong SCRAM password");
  assert.ok(errorNames(err).includes("KafkaJSSASLAuthenticationError"), describeError(err));

  const after = await stats();
  assert.ok(delta(before, after, K("responses.sasl_authenticate")) >= 2, "the broker's answers went through the filter");
  assert.equal(delta(before, after, K("requests.produce")), 0, "nothing was produced");
  assert.deepEqual(authLines(c.mark, "User:dave"), [], "the filter took no principal from a failed authentication");
  // The final round's refusal names the user of the first (which succeeded).
  assert.ok(delta(before, after, K("sasl.authentication_failures")) >= 2, "kafka.sasl.authentication_failures counts both");
  const refused = await waitForLog(c.mark, ["kafka filter: SASL/SCRAM-SHA-256 authentication as User:dave from 127.0.0.1 failed: sasl_authentication_failed"]);
  assert.ok(refused, "the filter logs the refused login, naming the user");
  c.t.diagnostic(brief(refused));
});

e2e("the broker announces a session lifetime (KIP-368); the filter keeps the principal when the same user re-authenticates", async (c) => {
  const raw = await RawSasl.open(SASL);
  c.cleanup(() => raw.close());
  const first = await raw.scram("SCRAM-SHA-256", dave.username, dave.password);
  assert.equal(first.final?.errorCode, 0, JSON.stringify(first.final?.errorMessage));
  assert.equal(first.final?.sessionLifetimeMs, BigInt(SASL_SESSION_LIFETIME_MS), "SaslAuthenticate v1 carries connections.max.reauth.ms");
  assert.ok(await waitForLog(c.mark, ["authenticated User:dave via SASL/SCRAM-SHA-256"]), "raw SCRAM: the filter takes the principal");

  // Re-authentication on the same connection: a new SaslHandshake + two SaslAuthenticate rounds.
  const before = await stats();
  const again = await raw.scram("SCRAM-SHA-256", dave.username, dave.password);
  assert.equal(again.final?.errorCode, 0, JSON.stringify(again.final?.errorMessage));
  assert.equal(raw.conn.closed, false);
  const after = await stats();
  assert.equal(delta(before, after, K("requests.sasl_handshake")), 1);
  assert.equal(delta(before, after, K("requests.sasl_authenticate")), 2);
  assert.equal(delta(before, after, K("connections")), 0, "the same connection");
  assert.equal(authLines(c.mark, "User:dave").length, 1, "the principal did not change, so it is not logged again");

  const plain = await RawSasl.open(SASL);
  c.cleanup(() => plain.close());
  const a = await plain.plain(USERS.alice.username, USERS.alice.password);
  assert.equal(a.errorCode, 0, JSON.stringify(a.errorMessage));
  assert.equal(a.sessionLifetimeMs, BigInt(SASL_SESSION_LIFETIME_MS), "PLAIN sessions have the same lifetime");
});

e2e("re-authentication as another user is refused by the broker and does not change the filter's principal", async (c) => {
  const raw = await RawSasl.open(SASL);
  c.cleanup(() => raw.close());
  const a = await raw.plain(USERS.alice.username, USERS.alice.password);
  assert.equal(a.errorCode, 0, JSON.stringify(a.errorMessage));
  assert.ok(await waitForLog(c.mark, ["authenticated User:alice via SASL/PLAIN"]));

  const b = await raw.plain(USERS.bob.username, USERS.bob.password);
  assert.equal(b.errorCode, SASL_AUTHENTICATION_FAILED, `Kafka refuses a change of principal: ${JSON.stringify(b.errorMessage)}`);
  c.t.diagnostic(`broker: ${b.errorMessage}`);
  assert.ok(await raw.conn.waitClosed(3000), "and closes the connection");
  assert.deepEqual(authLines(c.mark, "User:bob"), [], "the filter never took bob as this connection's principal");
});

e2e("kafkajs (PLAIN): alice's producer re-authenticates on its connection and still writes orders.*", async (c) => {
  const topic = unique("orders.", "reauth");
  const alice = client("alice", reauthSoon);
  const p = await producer(c, alice);
  await p.send({ topic, messages: [{ value: "before" }] });
  // Let the first authentication age past REAUTH_AFTER_MS on every connection.
  await sleep(REAUTH_AFTER_MS + 1000);
  const before = await stats();
  const socketsBefore = alice.sockets.opened;
  const mark = logMark();

  const res = await p.send({ topic, messages: [{ value: "after re-authentication" }] });
  assert.equal(res[0].errorCode, 0);

  const after = await stats();
  const show = `sasl_handshake +${delta(before, after, K("requests.sasl_handshake"))}, ` +
    `sasl_authenticate +${delta(before, after, K("requests.sasl_authenticate"))}, produce +${delta(before, after, K("requests.produce"))}`;
  c.t.diagnostic(show);
  assert.ok(delta(before, after, K("requests.sasl_handshake")) >= 1, `kafkajs re-authenticated: ${show}`);
  assert.ok(delta(before, after, K("requests.sasl_authenticate")) >= 1, `kafkajs re-authenticated: ${show}`);
  assert.ok(delta(before, after, K("requests.produce")) >= 1, show);
  assert.equal(delta(before, after, K("connections")), 0, "the filter saw no new connection");
  assert.equal(delta(before, after, DOWNSTREAM_CX.sasl), 0, "Envoy accepted no new connection on 19093");
  assert.equal(alice.sockets.opened, socketsBefore, `kafkajs opened no new connection: ${alice.sockets.describe()}`);
  assert.equal(alice.sockets.closed, 0, `no connection closed: ${alice.sockets.describe()}`);
  assert.deepEqual(authLines(mark, "User:alice"), [], "same principal after re-authentication: nothing new logged");

  const got = await kcat.consumeAll("bob", topic);
  assert.equal(got.stdout, "=before\n=after re-authentication\n", kcat.show(got));
});

e2e("kafkajs (SCRAM): dave's producer re-authenticates (two rounds) and keeps his rights, no more", async (c) => {
  const mine = unique("scram.", "reauth");
  const orders = unique("orders.", "scram-reauth");
  await (await producer(c, client("alice"))).send({ topic: orders, messages: [{ value: "alice's" }] });

  const d = scramClient("dave", {}, reauthSoon);
  const p = await producer(c, d);
  await p.send({ topic: mine, messages: [{ value: "before" }] });
  await sleep(REAUTH_AFTER_MS + 1000);
  const before = await stats();
  const socketsBefore = d.sockets.opened;

  const res = await p.send({ topic: mine, messages: [{ value: "after" }] });
  assert.equal(res[0].errorCode, 0);
  const after = await stats();
  const rounds = delta(before, after, K("requests.sasl_authenticate"));
  assert.ok(delta(before, after, K("requests.sasl_handshake")) >= 1 && rounds >= 2, `re-authenticated with SCRAM: ${rounds} rounds`);
  assert.equal(delta(before, after, K("connections")), 0, "the filter saw no new connection");
  assert.equal(d.sockets.opened, socketsBefore, `kafkajs opened no new connection: ${d.sockets.describe()}`);

  const err = await rejection(p.send({ topic: orders, messages: [{ value: "dave's" }] }), "dave's send to " + orders);
  assert.ok(errorTypes(err).includes("TOPIC_AUTHORIZATION_FAILED"), describeError(err));
  assert.ok(await waitForLog(c.mark, ["denied", "principal=User:dave", `TOPIC:${orders}`]), "still dave after re-authentication");
  assert.equal(d.sockets.closed, 0, `no connection closed: ${d.sockets.describe()}`);
});
