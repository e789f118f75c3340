// SASL/OAUTHBEARER through the filter. The e2e broker's SASL listener takes OAUTHBEARER with
// Kafka's unsecured validator (test/e2e/kafka/server.properties.in): a token is an unsigned JWS
// and its sub claim is the principal. The filter reads that principal from the token the broker
// accepted, as Kafka's server does, so the policy's rights for that user apply: alice may write
// orders.*, bob may not. Kafka's Java client, kafkajs and librdkafka (confluent-kafka) are the
// clients; raw exchanges check the corners where a filter could read another user than Kafka.
// A mechanism whose user the filter cannot read (GSSAPI) is closed on at the handshake.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { e2e } from "./lib/harness";
import { SASL, unique } from "./lib/env";
import { CONSOLE_JARS, PYTHON } from "./lib/drivers";
import { run } from "./lib/proc";
import { waitForLog, brief, stats, delta, K } from "./lib/envoy";
import { errorTypes } from "./lib/kafkajs";
import {
  Wire, API, ERR, afterAttack, authLines, directAdmin, ensureTopics, highWatermark, produce, produceErrors, response, saslAuthenticate, saslHandshake,
} from "./lib/attack";

const b64 = (text: string): string => Buffer.from(text).toString("base64url");

/** An unsecured JWS (alg none) with `claims` as JSON text, as Kafka's unsecured login module makes them. */
function jws(claims: string): string {
  return `${b64('{"alg":"none"}')}.${b64(claims)}.`;
}

const claimsFor = (sub: string): string => {
  const now = Math.floor(Date.now() / 1000);
  return JSON.stringify({ sub, iat: now, exp: now + 3600 });
};

/** OAUTHBEARER's first client message (RFC 7628) carrying `token`, for authzid `authzid` if given. */
function initialResponse(token: string, authzid = ""): Buffer {
  return Buffer.from(`n,${authzid ? `a=${authzid}` : ""},\x01auth=Bearer ${token}\x01\x01`);
}

/** SaslHandshake(OAUTHBEARER), then SaslAuthenticate with `message` on `w`: the broker's answer to the latter. */
async function signIn(w: Wire, message: Buffer): Promise<{ errorCode: number; authBytes?: Buffer }> {
  await w.send(await saslHandshake(1, "OAUTHBEARER"));
  assert.equal((await response((await w.next(5000))!, API.SaslHandshake, 1)).errorCode, ERR.NONE, "the broker takes OAUTHBEARER");
  await w.send(await saslAuthenticate(2, message));
  return response((await w.next(5000))!, API.SaslAuthenticate, 1);
}

/** A kafkajs producer signing in with an unsecured token for `sub`: what its first send gives. */
async function kafkajsSend(sub: string, topic: string): Promise<string> {
  const kafka = new Kafka({
    clientId: "e2e-oauthbearer", brokers: [SASL], logLevel: logLevel.NOTHING, retry: { retries: 1 },
    sasl: { mechanism: "oauthbearer", oauthBearerProvider: async () => ({ value: jws(claimsFor(sub)) }) },
  });
  const p = kafka.producer();
  try {
    await p.connect();
    await p.send({ topic, messages: [{ value: `from ${sub}` }] });
    return "ok";
  } catch (e) {
    return errorTypes(e).join(",") || String(e);
  } finally {
    await p.disconnect();
  }
}

e2e("kafkajs with OAUTHBEARER: the token's subject is the principal; alice writes orders.*, bob is refused (TOPIC_AUTHORIZATION_FAILED)", async (c) => {
  const topic = unique("orders.", "oauth-kafkajs");
  await ensureTopics(await directAdmin(c), [topic]);
  assert.equal(await kafkajsSend("alice", topic), "ok");
  assert.ok(await waitForLog(c.mark, ["authenticated User:alice via SASL/OAUTHBEARER"]), "the filter takes User:alice from the token");
  assert.match(await kafkajsSend("bob", topic), /TOPIC_AUTHORIZATION_FAILED/);
  const denial = await waitForLog(c.mark, ["denied Produce", "principal=User:bob ", topic]);
  assert.ok(denial, "refused as bob's");
  c.t.diagnostic(brief(denial));
});

const LIBRDKAFKA_PRODUCER = `
import sys, confluent_kafka
p = confluent_kafka.Producer({"bootstrap.servers": sys.argv[1], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
    "enable.sasl.oauthbearer.unsecure.jwt": True, "sasl.oauthbearer.config": "principal=" + sys.argv[2], "message.timeout.ms": 10000})
errors = []
p.produce(sys.argv[3], b"x", on_delivery=lambda err, msg: errors.append(err.name() if err else "ok"))
p.flush(15)
print(",".join(errors))
`;

e2e("Kafka's console producer and librdkafka (confluent-kafka) with OAUTHBEARER: alice's rights apply, bob's are refused", async (c) => {
  const topic = unique("orders.", "oauth-clients");
  await ensureTopics(await directAdmin(c), [topic]);
  const java = async (sub: string): Promise<string> => {
    const f = join(mkdtempSync(join(tmpdir(), "e2e-oauth-")), "client.properties");
    writeFileSync(f, ["security.protocol=SASL_PLAINTEXT", "sasl.mechanism=OAUTHBEARER",
      `sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="${sub}";`].join("\n"));
    const r = await run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", CONSOLE_JARS, "org.apache.kafka.tools.ConsoleProducer",
      "--bootstrap-server", SASL, "--topic", topic, "--command-config", f], { input: `from ${sub}\n`, timeoutMs: 60_000 });
    // bob may write no topic, so his idempotent producer is refused at InitProducerId already.
    const refused = /(Topic|Cluster)AuthorizationException/.exec(r.stderr);
    return refused ? `${refused[1].toUpperCase()}_AUTHORIZATION_FAILED` : r.code === 0 ? "ok" : `exit ${r.code}: ${r.stderr.slice(-300)}`;
  };
  const librdkafka = async (sub: string): Promise<string> =>
    (await run(PYTHON, ["-c", LIBRDKAFKA_PRODUCER, SASL, sub, topic], { timeoutMs: 60_000 })).stdout.trim();
  assert.equal(await java("alice"), "ok");
  assert.match(await java("bob"), /^(TOPIC|CLUSTER)_AUTHORIZATION_FAILED$/);
  assert.equal(await librdkafka("alice"), "ok");
  assert.match(await librdkafka("bob"), /AUTHORIZATION_FAILED/);
  const admin = await directAdmin(c);
  assert.equal(await highWatermark(admin, topic), 2, "alice's two records, none of bob's");
}, 120_000);

e2e("[sasl] OAUTHBEARER read as Kafka reads it: a sub claim given twice is the last (Kafka's and the filter's alice); an authzid naming admin for alice's token is refused by the broker, no principal taken", async (c) => {
  const topic = unique("orders.", "oauth-raw");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [topic]);
  // bob first, alice last: Jackson keeps the last, so does the filter; bob may not write orders.*.
  const w = await Wire.for(c, "sasl");
  const twice = jws(`{"sub":"bob","iat":${Math.floor(Date.now() / 1000)},"exp":${Math.floor(Date.now() / 1000) + 3600},"sub":"alice"}`);
  const signedIn = await signIn(w, initialResponse(twice));
  assert.equal(signedIn.errorCode, ERR.NONE, JSON.stringify(signedIn));
  assert.ok(await waitForLog(c.mark, ["authenticated User:alice via SASL/OAUTHBEARER"]), "the filter takes the last sub, alice");
  await w.send(await produce(3, topic));
  assert.deepEqual(await produceErrors((await w.next(5000))!), [ERR.NONE], "alice's produce goes through");

  // An authzid other than the token's subject: Kafka refuses the sign-in.
  const x = await Wire.for(c, "sasl");
  const refused = await signIn(x, initialResponse(jws(claimsFor("alice")), "admin"));
  c.t.diagnostic(`authzid admin, sub alice: ${JSON.stringify(refused)}`);
  assert.ok(refused.errorCode !== ERR.NONE || (refused.authBytes?.length ?? 0) > 0, "the broker does not sign anyone in (an error, or a challenge)");
  assert.deepEqual(authLines(c.mark), [], "the filter never takes User:admin");
  assert.equal(await highWatermark(admin, topic), 1);
  await afterAttack(c, "sasl");
});

e2e("[sasl] a SaslHandshake for GSSAPI: the filter cannot read whom it signs in, so it closes the connection, saying so", async (c) => {
  const before = await stats();
  const w = await Wire.for(c, "sasl");
  await w.send(await saslHandshake(1, "GSSAPI"));
  const got = await w.drain(3000);
  assert.equal(got.closed, true, "closed");
  const line = await waitForLog(c.mark, [" closed by filter: ", "SASL mechanism GSSAPI: the filter reads principals from PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER only"]);
  assert.ok(line, "the filter says why");
  c.t.diagnostic(brief(line));
  assert.equal(delta(before, await stats(), K("sasl.mechanisms_refused")), 1);
  await afterAttack(c, "sasl");
});

// KIP-368: a client re-authenticates on its connection with a new token. Kafka refuses a token
// naming another user ("Cannot change principals during re-authentication"); the filter never
// takes that user, and what was sent behind the new token is decided as the signed-in user's.
e2e("[sasl] OAUTHBEARER re-authentication: alice's connection presents a token for admin with a produce to secret.* behind it; Kafka refuses, the filter never takes admin", async (c) => {
  const secret = unique("secret.adv-", "oauth-reauth");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [secret]);
  const w = await Wire.for(c, "sasl");
  assert.equal((await signIn(w, initialResponse(jws(claimsFor("alice"))))).errorCode, ERR.NONE);
  assert.ok(await waitForLog(c.mark, ["authenticated User:alice via SASL/OAUTHBEARER"]));
  // alice may read secret.* but not write it; admin may do anything.
  await w.send(Buffer.concat([await saslHandshake(3, "OAUTHBEARER"), await saslAuthenticate(4, initialResponse(jws(claimsFor("admin")))), await produce(5, secret)]));
  const got = await w.drain(5000);
  c.t.diagnostic(`answers ${got.frames.length}, closed ${got.closed}`);
  assert.equal(got.closed, true, "the connection ends");
  assert.deepEqual(authLines(c.mark), [], "the filter never takes User:admin");
  assert.equal(await highWatermark(admin, secret), 0, `nothing reached ${secret} at the broker`);
  await afterAttack(c, "sasl");
});

// Kafka's OAUTHBEARER server answers a token it refuses with a challenge and reads the client's
// next message, unless it is a lone %x01, as a new token: a client may try again on the same
// exchange. A refused (expired) token, then alice's, signs alice in; her rights apply, not
// ANONYMOUS's from before (ANONYMOUS may write e2e.*, alice may not).
e2e("[sasl] OAUTHBEARER: a token Kafka refuses, then alice's on the same exchange: Kafka signs alice in, and alice's rights apply, not ANONYMOUS's", async (c) => {
  const anonymous = unique("e2e.", "oauth-retry"), hers = unique("orders.", "oauth-retry");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [anonymous, hers]);
  const w = await Wire.for(c, "sasl");
  const past = Math.floor(Date.now() / 1000) - 7200;
  const expired = await signIn(w, initialResponse(jws(JSON.stringify({ sub: "bob", iat: past, exp: past + 60 }))));
  assert.equal(expired.errorCode, ERR.NONE, "Kafka answers a token it refuses with a challenge, error 0");
  assert.ok((expired.authBytes?.length ?? 0) > 0, `a challenge: ${JSON.stringify(expired)}`);
  await w.send(await saslAuthenticate(3, initialResponse(jws(claimsFor("alice")))));
  const retried = await response((await w.next(5000))!, API.SaslAuthenticate, 1);
  assert.equal(retried.errorCode, ERR.NONE, "Kafka takes the second token");
  assert.equal(retried.authBytes?.length ?? 0, 0, `no challenge: alice is signed in (${JSON.stringify(retried)})`);
  await w.send(await produce(4, anonymous));
  assert.deepEqual(await produceErrors((await w.next(5000))!), [ERR.TOPIC_AUTHORIZATION_FAILED], "alice may not write e2e.* (ANONYMOUS may)");
  await w.send(await produce(5, hers));
  assert.deepEqual(await produceErrors((await w.next(5000))!), [ERR.NONE], "alice writes orders.*");
  assert.equal(await highWatermark(admin, anonymous), 0, `nothing reached ${anonymous}`);
  assert.ok(await waitForLog(c.mark, ["authenticated User:alice via SASL/OAUTHBEARER"]), "the filter says it took alice");
  await afterAttack(c, "sasl");
});
