// Adversarial: the in-flight table (issue 6, attacks 1-3). A broker answers the requests of
// one connection in order, so the filter matches each response to the oldest waiting request
// by position; a client cannot make one request's answer pass for another's by reusing
// correlation ids, nor have a request forgotten by sending more than filter.maxInFlight: past
// that the filter closes the connection. Every attack is tried on the three listeners, each
// by its ordinary unprivileged user (ANONYMOUS, bob, the certificate CN=carol).

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique } from "./lib/env";
import { stats, delta, K, waitForLog, brief } from "./lib/envoy";
import {
  Wire, API, ERR, MAX_IN_FLIGHT, PORT, afterAttack, attacker, authLines, closeLines, corrOf, directAdmin, ensureTopics,
  coordinatorReady, fillers, findCoordinator, highWatermark, initProducerId, metadata, metadataTopics, plainAuth, produce, produceErrors,
  response, saslAuthenticate, saslHandshake, type Listener,
} from "./lib/attack";

const LISTENERS: Listener[] = ["plaintext", "sasl", "tls"];

/** Topic prefixes each listener's attacker may not describe (test/e2e/policy.json). */
const HIDDEN: Record<Listener, string[]> = {
  plaintext: ["orders.", "secret.", "tls.", "scram."],
  sasl: ["secret.", "tls.", "scram.", "e2e."],
  tls: ["orders.", "secret.", "scram.", "e2e."],
};
/** A topic prefix each listener's attacker may describe: an all-topics answer must show it. */
const VISIBLE: Record<Listener, string> = { plaintext: "e2e.adv.", sasl: "orders.adv-", tls: "tls.adv-" };

const hiddenIn = (names: Iterable<string>, l: Listener): string[] => [...names].filter((n) => HIDDEN[l].some((p) => n.startsWith(p)));

/** The line the filter logs when a client goes past maxInFlight (assembly/filter/connection.ts). */
const OVERFLOW_LINE = [" closed by filter: ", `client has ${MAX_IN_FLIGHT} requests waiting`, "filter.maxInFlight"];

for (const l of LISTENERS) {
  e2e(`[${l}] in-flight overflow + a reused correlation id: no SASL success for User:admin, the connection is closed, the denied produce never reaches the broker`, async (c) => {
    const target = unique("orders.adv-", "overflow");
    const admin = await directAdmin(c);
    await ensureTopics(admin, [target]);
    const { w, principal, nextCorr: first } = await attacker(c, l);
    const before = await stats();

    // The attack: an ordinary request (InitProducerId, 16 bytes of answer, error 0)
    // under correlation id R, more than maxInFlight requests after it to push it out of the
    // table, then SaslHandshake + SaslAuthenticate as admin (wrong password) reusing R. Then,
    // once R's answer is back, a produce that only admin may send.
    const R = first + 4;
    const overflow = MAX_IN_FLIGHT + 100;
    await w.send(Buffer.concat([
      await initProducerId(R),
      await fillers(10_000, overflow),
      await saslHandshake(first, "PLAIN"),
      await saslAuthenticate(R, plainAuth("admin", "not-the-password")),
    ]));
    const got = await w.drain(8000);
    if (!got.closed) await w.send(await produce(first + 5, target));
    const rest = await w.drain(3000);
    const frames = [...got.frames, ...rest.frames];

    // What the attack was after: admin's rights. It gets none.
    assert.deepEqual(authLines(c.mark).map(brief), [], `the filter never takes User:admin (the attacker is ${principal})`);
    for (const f of frames.filter((f) => corrOf(f) === first + 5)) {
      assert.notDeepEqual(await produceErrors(f), [ERR.NONE], "the produce is not accepted");
    }
    assert.equal(await highWatermark(admin, target), 0, `nothing reached ${target} at the broker`);
    // How: the filter closed the connection at maxInFlight + 1, answers until then in request order.
    assert.equal(rest.closed, true, `the connection is closed (received ${frames.length} responses)`);
    const line = await waitForLog(c.mark, OVERFLOW_LINE);
    assert.ok(line, `the filter logs why it closed: ${closeLines(c.mark).map(brief).join(" | ")}`);
    c.t.diagnostic(brief(line));
    const after = await stats();
    assert.equal(delta(before, after, K("in_flight_limit_closed")), 1, "kafka.in_flight_limit_closed counts it");
    assert.ok(frames.length <= MAX_IN_FLIGHT, `no more answers than requests it kept (${frames.length})`);
    const expected = [R, ...Array.from({ length: overflow }, (_, i) => 10_000 + i)];
    assert.deepEqual(frames.map(corrOf), expected.slice(0, frames.length), "answers come back in request order");
    await afterAttack(c, l);
  }, 45_000);

  e2e(`[${l}] one correlation id for InitProducerId, SaslHandshake + SaslAuthenticate(admin, wrong password) and a denied produce in one write: each answer is its own request's`, async (c) => {
    const target = unique("orders.adv-", "reuse");
    const admin = await directAdmin(c);
    await ensureTopics(admin, [target]);
    const { w, nextCorr: first } = await attacker(c, l);
    const R = first + 4;

    // Within maxInFlight nothing is forgotten; a correlation id used three times needs no special case.
    await w.send(Buffer.concat([
      await initProducerId(R), await saslHandshake(first, "PLAIN"), await saslAuthenticate(R, plainAuth("admin", "not-the-password")),
      await produce(R, target),
    ]));
    const frames = await w.frames(4, 8000);
    if (l !== "sasl") {
      // Not signed in yet: the produce came before the broker answered the sign-in ahead of it,
      // which Kafka would run it after (as whoever that signs in), so the filter closes.
      assert.equal(await w.waitClosed(5000), true, "the filter closes the connection");
      assert.ok(await waitForLog(c.mark, [" closed by filter: ", "produce request sent before the broker answered the SASL exchange ahead of it"]));
      assert.deepEqual(frames.map(corrOf), [R, first, R].slice(0, frames.length), "what was answered before, in request order");
      assert.deepEqual(authLines(c.mark), [], "the filter never takes User:admin");
      assert.equal(await highWatermark(admin, target), 0, `nothing reached ${target} at the broker`);
      await afterAttack(c, l);
      return;
    }
    assert.ok(frames.length >= 3, `InitProducerId, SaslHandshake and SaslAuthenticate are answered (${frames.length}, closed: ${w.closed})`);
    const [ipid, hs, auth] = frames;
    assert.deepEqual(frames.map(corrOf), [R, first, R, R].slice(0, frames.length), "in request order");
    const ip = await response(ipid, API.InitProducerId, 0);
    const a = await response(auth, API.SaslAuthenticate, 1);
    c.t.diagnostic(`InitProducerId: error ${ip.errorCode}, producer id ${ip.producerId}; SaslHandshake: error ` +
      `${(await response(hs, API.SaslHandshake, 1)).errorCode}; SaslAuthenticate: error ${a.errorCode} ${JSON.stringify(a.errorMessage)}`);
    assert.notEqual(a.errorCode, ERR.NONE, "the broker refuses the authentication");
    // A failed re-authentication ends the connection at the broker; the produce gets no answer.
    assert.equal(a.errorCode, ERR.SASL_AUTHENTICATION_FAILED);
    assert.equal(frames.length, 3, "nothing after the refused re-authentication");
    assert.equal(await w.waitClosed(5000), true, "the broker closes the connection");
    assert.deepEqual(authLines(c.mark), [], "the filter never takes User:admin");
    assert.equal(await highWatermark(admin, target), 0, `nothing reached ${target} at the broker`);
    await afterAttack(c, l);
  });

  e2e(`[${l}] Metadata(all topics) sharing its correlation id with other Metadata requests: every answer is filtered`, async (c) => {
    const visible = unique(VISIBLE[l], "meta");
    const secret = unique("secret.adv-", "meta");
    const orders = unique("orders.adv-", "meta");
    const admin = await directAdmin(c);
    await ensureTopics(admin, [visible, secret, orders]);
    const atBroker = new Set(await admin.listTopics());
    assert.ok([visible, secret, orders].every((t) => atBroker.has(t)), "the broker has all three topics");
    const { w, nextCorr: first } = await attacker(c, l);
    const R = first + 6;
    const hidden = l === "sasl" ? secret : orders;

    // Requests with and without something for the filter to do to their answers, one correlation id.
    await w.send(Buffer.concat([
      await metadata(R, [visible]), await metadata(R, null), await metadata(R, [visible, hidden]), await metadata(R, null),
    ]));
    const frames = await w.frames(4, 8000);
    assert.equal(frames.length, 4, `four answers (closed: ${w.closed})`);
    assert.deepEqual(frames.map(corrOf), [R, R, R, R]);
    const [one, all1, named, all2] = await Promise.all(frames.map(metadataTopics));
    for (const [i, all] of [all1, all2].entries()) {
      assert.ok(all.has(visible), `all-topics answer ${i + 1} lists ${visible}: it is an all-topics answer`);
      assert.deepEqual(hiddenIn(all.keys(), l), [], `all-topics answer ${i + 1} lists nothing ${l}'s user may not describe`);
    }
    assert.deepEqual([...one], [[visible, ERR.NONE]]);
    assert.equal(named.get(visible), ERR.NONE);
    assert.equal(named.get(hidden), ERR.TOPIC_AUTHORIZATION_FAILED, "a named hidden topic is refused");
    assert.equal(w.closed, false, "duplicate correlation ids are no reason to close");
    await afterAttack(c, l);
  });

  e2e(`[${l}] Metadata(all topics) followed by more than maxInFlight requests: closed, and no answer leaks a hidden topic`, async (c) => {
    const visible = unique(VISIBLE[l], "pushed");
    const admin = await directAdmin(c);
    await ensureTopics(admin, [visible, unique("secret.adv-", "pushed"), unique("orders.adv-", "pushed")]);
    const { w, nextCorr: first } = await attacker(c, l);
    const before = await stats();

    await w.send(Buffer.concat([await metadata(first, null), await fillers(first + 1, MAX_IN_FLIGHT + 50), await metadata(first, null)]));
    const got = await w.drain(8000);
    const answers = got.frames.filter((f) => corrOf(f) === first);
    for (const f of answers) {
      assert.deepEqual(hiddenIn((await metadataTopics(f)).keys(), l), [], "no Metadata answer lists a hidden topic");
    }
    assert.equal(got.closed, true, `closed (after ${got.frames.length} answers)`);
    const line = await waitForLog(c.mark, OVERFLOW_LINE);
    assert.ok(line, `the filter logs why: ${closeLines(c.mark).map(brief).join(" | ")}`);
    assert.equal(delta(before, await stats(), K("in_flight_limit_closed")), 1);
    await afterAttack(c, l);
  }, 45_000);

  e2e(`[${l}] FindCoordinator v0 and Metadata(all) under one correlation id, both orders, 10 connections: each decoded as its own type`, async (c) => {
    const visible = unique(VISIBLE[l], "fc");
    await ensureTopics(await directAdmin(c), [visible]);
    const group = unique("e2e.group.", "adv-fc");
    await coordinatorReady(group);
    let named = 0;
    for (let i = 0; i < 10; i++) {
      const { w, nextCorr: first } = await attacker(c, l);
      const R = first + 8;
      const fc = await findCoordinator(R, group);
      const md = await metadata(R, null);
      await w.send(Buffer.concat(i % 2 === 0 ? [fc, md] : [md, fc]));
      const frames = await w.frames(2, 8000);
      assert.equal(frames.length, 2, `connection ${i + 1}: both answered (closed: ${w.closed})`);
      const [fcFrame, mdFrame] = i % 2 === 0 ? frames : [frames[1], frames[0]];
      const coordinator = await response(fcFrame, API.FindCoordinator, 0);
      // A fresh broker may still move its offsets partitions: a retriable coordinator error is
      // the broker's own answer, decoded as FindCoordinator all the same.
      if (COORDINATOR_WARMING.includes(coordinator.errorCode)) {
        c.t.diagnostic(`connection ${i + 1}: FindCoordinator error ${coordinator.errorCode} (the broker's coordinator is moving)`);
      } else {
        assert.equal(coordinator.errorCode, ERR.NONE, JSON.stringify(coordinator));
        assert.equal(coordinator.port, PORT[l], "the coordinator is named at this listener's address");
        named++;
      }
      const md4 = await response(mdFrame, API.Metadata, 4);
      assert.deepEqual(md4.brokers.map((b: any) => b.port), [PORT[l]]);
      const topics = md4.topics.map((t: any) => t.name as string);
      assert.ok(topics.includes(visible), `Metadata lists ${visible}`);
      assert.deepEqual(hiddenIn(topics, l), []);
      // The connection still works.
      await w.send(await metadata(R + 1, [visible]));
      const again = await w.next(5000);
      assert.ok(again !== null && corrOf(again) === R + 1, "the connection serves the next request");
      w.destroy();
    }
    assert.ok(named > 0, "the coordinator was named at this listener's address at least once");
    await afterAttack(c, l);
  });
}

/** COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE. */
const COORDINATOR_WARMING = [14, 15];

e2e("thousands of pipelined requests within maxInFlight (windows of 500, 5000 in all) are all answered, in order", async (c) => {
  const w = await Wire.for(c, "plaintext");
  const before = await stats();
  const total = 5000, window = 500;
  for (let sent = 0; sent < total; sent += window) {
    await w.send(await fillers(sent + 1, window));
    const frames = await w.frames(window, 10_000);
    assert.equal(frames.length, window, `window at ${sent}: ${frames.length} answers (closed: ${w.closed})`);
    assert.deepEqual(frames.map(corrOf), Array.from({ length: window }, (_, i) => sent + 1 + i));
  }
  assert.equal(delta(before, await stats(), K("requests.api_versions")), total);
  assert.deepEqual(closeLines(c.mark), []);
  await afterAttack(c, "plaintext");
});

e2e("a pipeline of exactly maxInFlight requests in one write is answered in full", async (c) => {
  const w = await Wire.for(c, "plaintext");
  await w.send(await fillers(1, MAX_IN_FLIGHT));
  const frames = await w.frames(MAX_IN_FLIGHT, 15_000);
  assert.equal(frames.length, MAX_IN_FLIGHT, `closed: ${w.closed}`);
  assert.deepEqual(frames.map(corrOf), Array.from({ length: MAX_IN_FLIGHT }, (_, i) => 1 + i));
  assert.deepEqual(closeLines(c.mark), []);
  await afterAttack(c, "plaintext");
});

e2e("5000 pipelined requests in one write: closed at maxInFlight + 1, the answers before it in order", async (c) => {
  const w = await Wire.for(c, "plaintext");
  const before = await stats();
  await w.send(await fillers(1, 5000));
  const got = await w.drain(10_000);
  assert.equal(got.closed, true, `closed (after ${got.frames.length} answers)`);
  assert.ok(got.frames.length <= MAX_IN_FLIGHT, `${got.frames.length} answers`);
  assert.deepEqual(got.frames.map(corrOf), Array.from({ length: got.frames.length }, (_, i) => 1 + i));
  const line = await waitForLog(c.mark, OVERFLOW_LINE);
  assert.ok(line, closeLines(c.mark).map(brief).join(" | "));
  c.t.diagnostic(brief(line));
  assert.equal(delta(before, await stats(), K("in_flight_limit_closed")), 1);
  await afterAttack(c, "plaintext");
});
