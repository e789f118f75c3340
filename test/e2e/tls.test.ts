// TLS client certificates as principals: Envoy terminates TLS on 127.0.0.1:19094 (client
// certificate required, test CA from `make envoy-tls`) in front of the broker's PLAINTEXT
// listener, and the filter's principal is the one Kafka's own SSL listener would give the
// certificate ("User:" + the subject in Java's RFC 2253: "User:CN=carol,OU=e2e"; subjects where
// Envoy's text differs from Java's: tls-principal.test.ts). carol may read, write and
// create "tls." topics; mallory has no ACL at all; ANONYMOUS none on "tls.".
// The broker advertises 127.0.0.1:19092 on that listener: the TLS listener's filter rewrites
// broker 1's address to 127.0.0.1:19094 (filter.brokerAddresses, envoy/envoy.yaml), without
// which kafkajs and librdkafka would follow Metadata to 19092 and fail TLS there.

import assert from "node:assert/strict";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import { e2e, within } from "./lib/harness";
import { TLS, TLS_CA, TLS_USERS, unique } from "./lib/env";
import { client, producer, admin, consume, errorTypes, describeError, rejection } from "./lib/kafkajs";
import { stats, delta, TLS_LISTENER, waitForLog, brief } from "./lib/envoy";
import * as kcat from "./lib/kcat";

e2e("kafkajs: carol (client certificate) produces and consumes tls.* through 127.0.0.1:19094 only", async (c) => {
  const topic = unique("tls.", "kjs");
  const carol = client("carol");
  const p = await producer(c, carol);
  const res = await p.send({ topic, messages: [{ key: "c1", value: "over TLS" }, { key: "c2", value: "still TLS" }] });
  assert.equal(res[0].errorCode, 0);

  // A consumer group: FindCoordinator's answer is rewritten too.
  const got = await consume(c, carol, topic, unique("e2e.group.", "carol"), 2);
  assert.deepEqual(got.map((m) => [m.key, m.value]), [["c1", "over TLS"], ["c2", "still TLS"]]);

  const elsewhere = carol.sockets.targets.filter((t) => t !== TLS);
  assert.deepEqual(elsewhere, [], `every connection went to ${TLS}: ${carol.sockets.targets.join(", ")}`);
});

e2e("kafkajs: Metadata through the TLS listener names broker 1 at 127.0.0.1:19094 (19092 elsewhere)", async (c) => {
  const viaTls = await (await admin(c, client("carol"))).describeCluster();
  assert.deepEqual(viaTls.brokers.map((b) => [b.nodeId, b.host, b.port]), [[1, "127.0.0.1", 19094]]);

  const viaPlain = await (await admin(c, client("anonymous"))).describeCluster();
  assert.deepEqual(viaPlain.brokers.map((b) => [b.nodeId, b.host, b.port]), [[1, "127.0.0.1", 19092]],
    "the PLAINTEXT listener's filter has no brokerAddresses: the broker's own advertised address");
});

e2e("kafkajs: mallory (client certificate, no ACL) gets TOPIC_AUTHORIZATION_FAILED on carol's topic", async (c) => {
  const topic = unique("tls.", "mallory");
  const pc = await producer(c, client("carol"));
  await pc.send({ topic, messages: [{ value: "carol's" }] });

  const pm = await producer(c, client("mallory"));
  const err = await rejection(pm.send({ topic, messages: [{ value: "mallory's" }] }), "mallory's send");
  assert.ok(errorTypes(err).includes("TOPIC_AUTHORIZATION_FAILED"), describeError(err));

  const line = await waitForLog(c.mark, ["denied", `principal=${TLS_USERS.mallory}`, `TOPIC:${topic}`]);
  assert.ok(line, `the filter's denial names ${TLS_USERS.mallory}`);
  c.t.diagnostic(brief(line));
});

e2e("kcat: carol produces and consumes over TLS, mallory's produce fails with 'Topic authorization failed'", async (c) => {
  const topic = unique("tls.", "kcat");
  const w = await kcat.produce("carol", topic, ["from carol"], "c");
  assert.equal(w.code, 0, kcat.show(w));

  const r = await kcat.consumeAll("carol", topic);
  assert.equal(r.code, 0, kcat.show(r));
  assert.equal(r.stdout, "c=from carol\n", kcat.show(r));

  const d = await kcat.produce("mallory", topic, ["from mallory"], "m");
  assert.match(d.stderr, /Topic authorization failed/i, kcat.show(d));
  assert.notEqual(d.code, 0, kcat.show(d));
  assert.ok(await waitForLog(c.mark, ["denied", `principal=${TLS_USERS.mallory}`, topic]), "the filter logs mallory's denial");
});

e2e("kcat -L over TLS: librdkafka is told broker 1 is at 127.0.0.1:19094", async () => {
  const l = await kcat.list("carol");
  assert.equal(l.code, 0, kcat.show(l));
  assert.match(l.stdout, /broker 1 at 127\.0\.0\.1:19094/, kcat.show(l));
});

e2e("a client without a certificate is refused in Envoy's TLS handshake (node tls and kcat)", async (c) => {
  const counter = TLS_LISTENER("ssl.fail_verify_no_cert");
  const before = await stats("ssl\\.");

  // Node: the server is trusted, but no client certificate is sent.
  const outcome = await within(new Promise<{ error: string; data: number }>((resolve) => {
    let data = 0;
    const s = tls.connect({ host: "127.0.0.1", port: 19094, ca: readFileSync(TLS_CA) });
    s.on("data", (d: Buffer) => { data += d.length; });
    // With TLS 1.3 the client's side of the handshake completes first; the refusal comes
    // as an alert on the first read.
    s.on("secureConnect", () => s.write(Buffer.from([0, 0, 0, 0])));
    s.on("error", (e: NodeJS.ErrnoException) => { resolve({ error: `${e.code ?? ""} ${e.message}`, data }); s.destroy(); });
    s.on("close", () => resolve({ error: "closed without an error", data }));
  }), 8000, "TLS connection without a client certificate");
  c.t.diagnostic(`node tls: ${outcome.error}`);
  assert.equal(outcome.data, 0, "nothing is served");
  assert.match(outcome.error, /CERTIFICATE_REQUIRED|certificate required|HANDSHAKE_FAILURE/i, outcome.error);

  // librdkafka: security.protocol=ssl with the CA only.
  const k = await kcat.kcat(["-L", ...kcat.tlsArgs(), "-X", "socket.timeout.ms=3000", "-m", "3"], { timeoutMs: 15_000 });
  assert.notEqual(k.code, 0, kcat.show(k));
  assert.match(k.stderr, /certificate required|handshake|SSL/i, kcat.show(k));

  const after = await stats("ssl\\.");
  assert.ok(delta(before, after, counter) >= 2, `Envoy counts both in ${counter} (${delta(before, after, counter)})`);
});
