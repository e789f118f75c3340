// SASL after SaslHandshake v0 (still valid in Kafka 4.4): the client then sends its tokens raw,
// size-prefixed without a Kafka header, and the broker answers each the same way (PLAIN's
// success is an empty frame; a failed round closes the connection). The filter passes the
// tokens as they are and takes the principal only when the broker answers the last one; Kafka
// frames resume after that.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique, USERS, SCRAM_USERS } from "./lib/env";
import { waitForLog } from "./lib/envoy";
import {
  Wire, API, ERR, afterAttack, authLines, directAdmin, ensureTopics, highWatermark, plainAuth, produce, produceErrors, request, response,
} from "./lib/attack";
import { ScramClient } from "./lib/sasl";

/** A raw SASL token as Kafka reads it after SaslHandshake v0: int32 size, then the bytes. */
function rawToken(token: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(token.length);
  return Buffer.concat([size, token]);
}

/** SaslHandshake v0 for `mechanism` on `w`; the broker's error code. */
async function handshakeV0(w: Wire, mechanism: string): Promise<number> {
  await w.send(await request(API.SaslHandshake, 0, 1, { mechanism }));
  const answer = await w.next(5000);
  assert.ok(answer !== null, `no answer to SaslHandshake v0 (closed: ${w.closed})`);
  return (await response(answer, API.SaslHandshake, 0)).errorCode;
}

e2e("[sasl] SaslHandshake v0 and a raw PLAIN token: alice's rights apply, and Kafka requests follow on the same connection", async (c) => {
  const mine = unique("orders.v0-", "alice");
  const notMine = unique("scram.v0-", "alice");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [mine, notMine]);
  const w = await Wire.for(c, "sasl");
  assert.equal(await handshakeV0(w, "PLAIN"), ERR.NONE);
  await w.send(rawToken(plainAuth("alice", USERS.alice.password)));
  const answer = await w.next(5000);
  assert.ok(answer !== null, `no answer to the raw token (closed: ${w.closed})`);
  assert.equal(answer.length, 0, "PLAIN's success is an empty frame");
  assert.ok(await waitForLog(c.mark, ["authenticated User:alice via SASL/PLAIN"]), "the filter takes alice once the broker answered");

  await w.send(Buffer.concat([await produce(2, mine), await produce(3, notMine)]));
  const [ok, denied] = await w.frames(2, 8000);
  assert.deepEqual(await produceErrors(ok), [ERR.NONE], "alice may write orders.*");
  assert.deepEqual(await produceErrors(denied), [ERR.TOPIC_AUTHORIZATION_FAILED], "but not scram.*");
  assert.equal(await highWatermark(admin, mine), 1);
  assert.equal(await highWatermark(admin, notMine), 0);
  await afterAttack(c, "sasl");
});

e2e("[sasl] SaslHandshake v0 and a raw PLAIN token with a wrong password: the broker closes the connection, the filter takes no principal", async (c) => {
  const w = await Wire.for(c, "sasl");
  assert.equal(await handshakeV0(w, "PLAIN"), ERR.NONE);
  await w.send(rawToken(plainAuth("admin", "not-the-password")));
  const got = await w.drain(5000);
  assert.equal(got.closed, true, "the broker closes the connection");
  assert.deepEqual(got.frames, [], "without an answer");
  assert.deepEqual(authLines(c.mark), [], "no principal taken");
  await afterAttack(c, "sasl");
});

e2e("[sasl] SaslHandshake v0 and raw SCRAM-SHA-256 (two rounds): dave's rights apply only after the broker's second answer", async (c) => {
  const mine = unique("scram.v0-", "dave");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [mine]);
  const w = await Wire.for(c, "sasl");
  assert.equal(await handshakeV0(w, "SCRAM-SHA-256"), ERR.NONE);
  const scram = new ScramClient("SCRAM-SHA-256", "dave", SCRAM_USERS.dave.password);
  await w.send(rawToken(scram.first()));
  const serverFirst = await w.next(5000);
  assert.ok(serverFirst !== null && serverFirst.length > 0, "server-first");
  await w.send(rawToken(scram.final(serverFirst)));
  const serverFinal = await w.next(5000);
  assert.ok(serverFinal !== null && serverFinal.toString("utf8").startsWith("v="), "server-final carries the server's signature");
  assert.ok(await waitForLog(c.mark, ["authenticated User:dave via SASL/SCRAM-SHA-256"]));

  await w.send(await produce(3, mine));
  const [frame] = await w.frames(1, 8000);
  assert.deepEqual(await produceErrors(frame), [ERR.NONE], "dave may write scram.*");
  assert.equal(await highWatermark(admin, mine), 1);
  await afterAttack(c, "sasl");
});

e2e("[sasl] a raw token pipelined behind SaslHandshake v0: the filter closes (only the broker's answer says what those bytes are)", async (c) => {
  const w = await Wire.for(c, "sasl");
  await w.send(Buffer.concat([await request(API.SaslHandshake, 0, 1, { mechanism: "PLAIN" }), rawToken(plainAuth("admin", USERS.admin.password))]));
  const got = await w.drain(5000);
  assert.equal(got.closed, true, "closed");
  assert.ok(await waitForLog(c.mark, ["closed by filter: client sent more before the broker answered its SaslHandshake v0"]));
  assert.deepEqual(authLines(c.mark), []);
  await afterAttack(c, "sasl");
});
