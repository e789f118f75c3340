// Allowed traffic goes through untouched: ANONYMOUS may write and read "e2e." topics
// (policy: ALLOW READ/WRITE TOPIC PREFIXED "e2e.", groups "e2e.group.").

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique } from "./lib/env";
import { client, producer, consume } from "./lib/kafkajs";
import * as kcat from "./lib/kcat";

e2e("kafkajs: ANONYMOUS produces to an allowed topic and reads it back in a consumer group", async (c) => {
  const topic = unique("e2e.open.", "kjs");
  const anon = client("anonymous");
  const p = await producer(c, anon);
  const sent = ["one", "two", "three"].map((v, i) => ({ key: `k${i}`, value: v }));
  const res = await p.send({ topic, messages: sent });
  assert.equal(res.length, 1, "one partition answered");
  assert.equal(res[0].errorCode, 0);

  const got = await consume(c, anon, topic, unique("e2e.group.", "kjs"), sent.length);
  assert.deepEqual(got.map((m) => [m.key, m.value]), sent.map((m) => [m.key, m.value]));
});

e2e("kcat: ANONYMOUS produces to an allowed topic and reads it back", async () => {
  const topic = unique("e2e.open.", "kcat");
  const p = await kcat.produce("anonymous", topic, ["alpha", "beta", "gamma"], "key");
  assert.equal(p.code, 0, kcat.show(p));
  assert.doesNotMatch(p.stderr, /fail|error/i, kcat.show(p));

  const r = await kcat.consumeAll("anonymous", topic);
  assert.equal(r.code, 0, kcat.show(r));
  assert.equal(r.stdout, "key=alpha\nkey=beta\nkey=gamma\n", kcat.show(r));
});

e2e("kafkajs writes, kcat reads (and the other way round) through the filter", async (c) => {
  const t1 = unique("e2e.open.", "kjs-to-kcat");
  const anon = client("anonymous");
  const p = await producer(c, anon);
  await p.send({ topic: t1, messages: [{ key: "a", value: "from kafkajs" }] });
  const r = await kcat.consumeAll("anonymous", t1);
  assert.equal(r.stdout, "a=from kafkajs\n", kcat.show(r));

  const t2 = unique("e2e.open.", "kcat-to-kjs");
  const w = await kcat.produce("anonymous", t2, ["from kcat"], "b");
  assert.equal(w.code, 0, kcat.show(w));
  const got = await consume(c, anon, t2, unique("e2e.group.", "kcat-to-kjs"), 1);
  assert.deepEqual(got.map((m) => [m.key, m.value]), [["b", "from kcat"]]);
});
