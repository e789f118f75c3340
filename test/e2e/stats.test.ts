// The filter's counters in Envoy's admin endpoint (/stats, "wasmcustom.kafka.*"): requests per
// API, denials per error, and bytes/records produced and fetched per topic.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique } from "./lib/env";
import { client, producer, rejection } from "./lib/kafkajs";
import { stats, stat, delta, K } from "./lib/envoy";
import * as kcat from "./lib/kcat";

e2e("stats count requests, denials and per-topic produce/fetch bytes and records", async (c) => {
  const topic = unique("e2e.open.", "stats");
  const denied = unique("e2e.readonly.", "stats");
  const before = await stats();

  const anon = client("anonymous");
  const p = await producer(c, anon);
  const messages = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `value number ${i}` }));
  await p.send({ topic, messages });
  await rejection(p.send({ topic: denied, messages: [{ value: "nope" }] }), "denied send");
  const r = await kcat.consumeAll("anonymous", topic);
  assert.equal(r.stdout.split("\n").filter(Boolean).length, 5, kcat.show(r));

  const after = await stats();
  const show = (): string => [...after].filter(([n]) => n.startsWith("wasmcustom.kafka.") && !n.includes(".topic.") ||
    n.includes(topic) || n.includes(denied)).map(([n, v]) => `${n}: ${v}`).join("\n");

  assert.ok(delta(before, after, K("requests.produce")) >= 2, `produce requests counted\n${show()}`);
  assert.ok(delta(before, after, K("requests.metadata")) >= 1, `metadata requests counted\n${show()}`);
  assert.ok(delta(before, after, K("requests.fetch")) >= 1, `fetch requests counted\n${show()}`);
  assert.ok(delta(before, after, K("requests_total")) >= 5, `all requests counted\n${show()}`);
  assert.ok(delta(before, after, K("denials_total")) >= 1, `denials counted\n${show()}`);
  assert.ok(delta(before, after, K("denied.topic_authorization_failed")) >= 1, `denials counted by error\n${show()}`);

  // Per topic: new names, so the counters start at 0 in this test.
  assert.equal(stat(after, K(`topic.produce_records.${topic}`)), 5, `produced records of ${topic}\n${show()}`);
  const bytes = stat(after, K(`topic.produce_bytes.${topic}`));
  assert.ok(bytes >= 5 * "value number 0".length && bytes < 4096, `produced bytes of ${topic}: ${bytes}\n${show()}`);
  assert.ok(stat(after, K(`topic.fetch_records.${topic}`)) >= 5, `fetched records of ${topic}\n${show()}`);
  assert.ok(stat(after, K(`topic.fetch_bytes.${topic}`)) >= bytes, `fetched bytes of ${topic}\n${show()}`);
  assert.equal(stat(after, K(`topic.produce_records.${denied}`)), 0, "nothing counted as produced to the denied topic");
});

e2e("stats are also served in Prometheus format", async () => {
  const res = await fetch("http://127.0.0.1:9901/stats/prometheus", { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  assert.match(text, /^kafka_requests_total(\{[^}]*\})? \d+/m, "kafka_requests_total is exported");
  assert.match(text, /^kafka_denials_total(\{[^}]*\})? \d+/m, "kafka_denials_total is exported");
});
