// Adversarial: SASL out of order. The principal changes only on the broker's error-0 answer to
// the SaslAuthenticate that carried the user, for the mechanism of a SaslHandshake the broker
// accepted. Each test tries a sequence a client library would never send and checks what the
// broker answered, that the filter took no principal the broker did not grant, and that a
// request only that principal may make is still refused.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique, USERS } from "./lib/env";
import { waitForLog, brief } from "./lib/envoy";
import {
  Wire, API, ERR, afterAttack, authLines, corrOf, directAdmin, ensureTopics, highWatermark, metadata, metadataTopics,
  plainAuth, produce, produceErrors, response, saslAuthenticate, saslHandshake, signIn, type Listener,
} from "./lib/attack";

e2e("[sasl] SaslAuthenticate(admin, right password) without a SaslHandshake: the broker closes the connection, the filter takes no principal", async (c) => {
  const w = await Wire.for(c, "sasl");
  await w.send(await saslAuthenticate(1, plainAuth("admin", USERS.admin.password)));
  const got = await w.drain(5000);
  assert.equal(got.closed, true, "the broker closes the connection");
  assert.deepEqual(got.frames.map(corrOf), [], "with no answer");
  assert.ok(await waitForLog(c.mark, ["closed: broker closed the connection"]), "the filter sees the broker close it");
  assert.deepEqual(authLines(c.mark), []);
  await afterAttack(c, "sasl");
});

for (const l of ["plaintext", "tls"] as Listener[]) {
  const principal = l === "plaintext" ? "User:ANONYMOUS" : "User:CN=carol,OU=e2e";

  e2e(`[${l}] SaslAuthenticate(admin, right password) with and without a SaslHandshake on a listener without SASL: ILLEGAL_SASL_STATE, the principal stays ${principal}`, async (c) => {
    const target = unique("orders.adv-", "nosasl");
    const admin = await directAdmin(c);
    await ensureTopics(admin, [target]);
    const w = await Wire.for(c, l, "carol");
    const right = plainAuth("admin", USERS.admin.password);
    await w.send(Buffer.concat([await saslAuthenticate(1, right), await saslHandshake(2, "PLAIN"), await saslAuthenticate(3, right)]));
    const frames = await w.frames(3, 8000);
    assert.deepEqual(frames.map(corrOf), [1, 2, 3], `three answers in order (closed: ${w.closed})`);
    assert.equal((await response(frames[0], API.SaslAuthenticate, 1)).errorCode, ERR.ILLEGAL_SASL_STATE);
    assert.equal((await response(frames[1], API.SaslHandshake, 1)).errorCode, ERR.ILLEGAL_SASL_STATE);
    assert.equal((await response(frames[2], API.SaslAuthenticate, 1)).errorCode, ERR.ILLEGAL_SASL_STATE);
    // Answered: what follows is decided as the connection's principal, which did not change.
    await w.send(await produce(4, target));
    const answer = await w.next(5000);
    assert.ok(answer !== null, "the produce is answered");
    assert.deepEqual(await produceErrors(answer), [ERR.TOPIC_AUTHORIZATION_FAILED]);
    assert.ok(await waitForLog(c.mark, ["denied Produce", `principal=${principal} `, target]));
    assert.deepEqual(authLines(c.mark), []);
    assert.equal(await highWatermark(admin, target), 0);
    await afterAttack(c, l);
  });
}

// Kafka runs a request sent behind a SASL exchange after it, as the user it signs in. Before the
// broker's answer the filter cannot know who that is: deciding the request as the principal the
// connection had (ANONYMOUS may write e2e.*, alice may not) would give alice ANONYMOUS's rights.
e2e("[sasl] a produce pipelined behind the first SaslHandshake and SaslAuthenticate (alice's): the filter closes before deciding it; nothing reaches the topic", async (c) => {
  const target = unique("e2e.adv-", "signing-in");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [target]);
  const w = await Wire.for(c, "sasl");
  await w.send(Buffer.concat([await saslHandshake(1, "PLAIN"), await saslAuthenticate(2, plainAuth("alice", USERS.alice.password)), await produce(3, target)]));
  const got = await w.drain(5000);
  assert.equal(got.closed, true, "the connection ends");
  const line = await waitForLog(c.mark, [" closed by filter: ", "produce request sent before the broker answered the SASL exchange ahead of it"]);
  assert.ok(line, "the filter says why it closed");
  c.t.diagnostic(brief(line));
  assert.equal(await highWatermark(admin, target), 0, `nothing reached ${target} at the broker`);
  await afterAttack(c, "sasl");
});

for (const l of ["plaintext", "tls"] as Listener[]) {
  e2e(`[${l}] a produce pipelined behind SaslAuthenticate on a listener without SASL: closed as well (the filter does not know the broker's listeners)`, async (c) => {
    const target = unique("e2e.adv-", "nosasl-pipelined");
    const admin = await directAdmin(c);
    await ensureTopics(admin, [target]);
    const w = await Wire.for(c, l, "carol");
    await w.send(Buffer.concat([await saslHandshake(1, "PLAIN"), await saslAuthenticate(2, plainAuth("admin", USERS.admin.password)), await produce(3, target)]));
    const got = await w.drain(5000);
    assert.equal(got.closed, true, "the connection ends");
    assert.ok(await waitForLog(c.mark, [" closed by filter: ", "sent before the broker answered the SASL exchange ahead of it"]));
    assert.equal(await highWatermark(admin, target), 0);
    await afterAttack(c, l);
  });
}

e2e("[sasl] a second SaslHandshake after an accepted one: the broker closes the connection, no principal", async (c) => {
  const w = await Wire.for(c, "sasl");
  await w.send(await saslHandshake(1, "SCRAM-SHA-256"));
  const first = await w.next(5000);
  assert.ok(first !== null);
  assert.equal((await response(first, API.SaslHandshake, 1)).errorCode, ERR.NONE, "the first handshake is accepted");
  // Then PLAIN, and admin's PLAIN token: the broker is in the middle of SCRAM.
  await w.send(Buffer.concat([await saslHandshake(2, "PLAIN"), await saslAuthenticate(3, plainAuth("admin", USERS.admin.password))]));
  const got = await w.drain(5000);
  // Kafka answers the second handshake with an error and closes; admin's token is never answered.
  assert.deepEqual(got.frames.map(corrOf), [2], "only the second handshake is answered");
  const second = await response(got.frames[0], API.SaslHandshake, 1);
  c.t.diagnostic(`second SaslHandshake: error ${second.errorCode}, mechanisms ${JSON.stringify(second.mechanisms)}`);
  assert.equal(second.errorCode, ERR.ILLEGAL_SASL_STATE, "the second handshake is refused");
  assert.equal(got.closed, true, "the broker closes the connection");
  assert.deepEqual(authLines(c.mark), []);
  await afterAttack(c, "sasl");
});

e2e("[sasl] SaslHandshake and SaslAuthenticate pipelined in one write (the broker accepts both): the filter takes bob, as the broker does", async (c) => {
  const orders = unique("orders.adv-", "pipelined-signin");
  await ensureTopics(await directAdmin(c), [orders]);
  const w = await Wire.for(c, "sasl");
  await w.send(Buffer.concat([await saslHandshake(1, "PLAIN"), await saslAuthenticate(2, plainAuth("bob", USERS.bob.password))]));
  const [h, a] = await w.frames(2, 5000);
  assert.equal((await response(h, API.SaslHandshake, 1)).errorCode, ERR.NONE);
  assert.equal((await response(a, API.SaslAuthenticate, 1)).errorCode, ERR.NONE, "the broker signs bob in");
  assert.ok(await waitForLog(c.mark, ["authenticated User:bob via SASL/PLAIN"]), "the filter takes User:bob");
  // bob may describe orders.* (READ): ANONYMOUS may not.
  await w.send(await metadata(3, [orders]));
  const m = await w.next(5000);
  assert.ok(m !== null);
  assert.equal((await metadataTopics(m)).get(orders), ERR.NONE, "bob's rights apply on this connection");
  await afterAttack(c, "sasl");
});

for (const password of ["right", "wrong"] as const) {
  e2e(`[sasl] alice re-authenticates as admin (${password} password) with a produce to secret.* pipelined behind: Kafka refuses, the filter never takes admin`, async (c) => {
    const secret = unique("secret.adv-", "reauth");
    const admin = await directAdmin(c);
    await ensureTopics(admin, [secret]);
    const w = await Wire.for(c, "sasl");
    assert.deepEqual(await signIn(w, "alice"), { handshake: 0, authenticate: 0 });
    assert.ok(await waitForLog(c.mark, ["authenticated User:alice via SASL/PLAIN"]));

    // alice may read secret.* but not write it; admin may do anything.
    await w.send(Buffer.concat([
      await saslHandshake(3, "PLAIN"),
      await saslAuthenticate(4, plainAuth("admin", password === "right" ? USERS.admin.password : "not-the-password")),
      await produce(5, secret),
    ]));
    const got = await w.drain(5000);
    assert.equal(got.closed, true, "the connection ends");
    if (password === "wrong") {
      // The broker refuses the token at once, in order, and closes.
      assert.deepEqual(got.frames.map(corrOf), [3, 4]);
      const a = await response(got.frames[1], API.SaslAuthenticate, 1);
      assert.equal(a.errorCode, ERR.SASL_AUTHENTICATION_FAILED, JSON.stringify(a));
    } else {
      // Kafka 4.4 accepts admin's token, then refuses the change of principal ("Cannot change
      // principals during re-authentication") only after answering the request behind it (5,
      // here the filter's stand-in for the refused produce): out of order, so the filter closes.
      assert.deepEqual(got.frames.map(corrOf), [3, 4].slice(0, got.frames.length), "whatever came back is in order");
      const line = await waitForLog(c.mark, [" closed by filter: response with correlation id 5 where the oldest waiting request (sasl_authenticate) has 4"]);
      assert.ok(line, "the filter closes on the answer out of order");
      c.t.diagnostic(brief(line));
    }
    assert.deepEqual(authLines(c.mark), [], "the filter never takes User:admin");
    assert.equal(await highWatermark(admin, secret), 0, `nothing reached ${secret} at the broker`);
    // The produce came in behind the re-authentication: checked as alice's, refused.
    const denial = await waitForLog(c.mark, ["denied Produce", "principal=User:alice ", secret]);
    assert.ok(denial, "the produce is refused as alice's");
    await afterAttack(c, "sasl");
  });
}
