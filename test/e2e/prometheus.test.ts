// The filter's counters as Prometheus labels (issue 9 item 4): Envoy's /stats/prometheus,
// scraped after traffic this file makes, shows topics, principals, APIs and refusal reasons as
// labels (the stats_tags of envoy/envoy.yaml), never as metric names; and every metric the
// Grafana dashboard (envoy/grafana-dashboard.json) queries is one Envoy exports.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { e2e } from "./lib/harness";
import { unique, ROOT, ENVOY_ADMIN } from "./lib/env";
import { client, producer } from "./lib/kafkajs";
import * as kcat from "./lib/kcat";
import { Wire, ERR, produce, produceErrors, directAdmin, ensureTopics } from "./lib/attack";

interface Sample { name: string; labels: Record<string, string>; value: number }

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const r = await fetch(`${ENVOY_ADMIN}/stats/prometheus`, { signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 200);
  const text = await r.text();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, "$1");
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { text, samples };
}

/** The value of the sample `name` whose labels include `labels` (exactly one must match). */
function value(samples: Sample[], name: string, labels: Record<string, string>): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(hits.length, 1, `one ${name}${JSON.stringify(labels)}; found ${hits.length}: ${JSON.stringify(hits)}`);
  return hits[0].value;
}

e2e("/stats/prometheus: topics, principals, APIs and reasons are labels of the filter's metrics", async (c) => {
  const open = unique("e2e.open.", "prom");
  const readonly = unique("e2e.readonly.", "prom");
  const orders = unique("orders.", "prom");
  await ensureTopics(await directAdmin(c), [open, readonly, orders]);

  // ANONYMOUS produces 3 records to `open` and reads them back. admin (a super user) produces to
  // `readonly`, which gives it counters of its own; ANONYMOUS is then refused a produce to it.
  const p = await producer(c, client("anonymous"));
  await p.send({ topic: open, messages: [1, 2, 3].map((i) => ({ value: `prometheus record ${i}` })) });
  const r = await kcat.consumeAll("anonymous", open);
  assert.equal(r.stdout.split("\n").filter(Boolean).length, 3, kcat.show(r));
  await (await producer(c, client("admin"))).send({ topic: readonly, messages: [{ value: "from admin" }] });
  const w = await Wire.for(c, "plaintext");
  await w.send(await produce(1, readonly));
  const f = await w.next(8000);
  assert.ok(f !== null);
  assert.deepEqual(await produceErrors(f), [ERR.TOPIC_AUTHORIZATION_FAILED]);
  // alice (SASL) produces to orders.*.
  const alice = await producer(c, client("alice"));
  await alice.send({ topic: orders, messages: [{ value: "from alice" }] });

  const { text, samples } = await scrape();
  c.t.diagnostic("a few lines of /stats/prometheus:");
  for (const l of text.split("\n").filter((l) => /^kafka_/.test(l) && (l.includes(open) || l.includes(readonly) ||
    l.includes("User:alice") || /^kafka_(requests|denied)\{/.test(l))).slice(0, 12)) c.t.diagnostic("  " + l);

  assert.equal(value(samples, "kafka_topic_produce_records", { topic: open }), 3);
  assert.ok(value(samples, "kafka_topic_produce_bytes", { topic: open }) >= 3 * "prometheus record 1".length);
  assert.ok(value(samples, "kafka_topic_fetch_records", { topic: open }) >= 3);
  assert.equal(value(samples, "kafka_topic_produce_records", { topic: orders }), 1);
  assert.equal(value(samples, "kafka_topic_produce_records", { topic: readonly }), 1, "admin's record only, not the refused one");
  assert.equal(value(samples, "kafka_decisions", { decision: "denied", api: "produce", reason: "topic_authorization_failed", topic: readonly }), 1,
    "the refusal, labelled with the API, the reason and its topic (which has counters of its own)");
  assert.ok(value(samples, "kafka_requests", { api: "produce" }) >= 3);
  assert.ok(value(samples, "kafka_requests", { api: "fetch" }) >= 1);
  assert.ok(value(samples, "kafka_denied", { reason: "topic_authorization_failed" }) >= 1);
  assert.ok(value(samples, "kafka_principal_requests", { principal: "User:alice" }) >= 1);
  assert.ok(value(samples, "kafka_principal_denied", { principal: "User:ANONYMOUS" }) >= 1);
  // No name carries a topic or a principal: they are labels only.
  const names = new Set(samples.map((s) => s.name));
  const leaked = [...names].filter((n) => n.includes("prom") || n.includes("alice") || n.includes("ANONYMOUS"));
  assert.deepEqual(leaked, [], "no metric name holds a topic or principal");

  // The dashboard queries only what Envoy exports.
  const dashboard = JSON.parse(readFileSync(join(ROOT, "envoy", "grafana-dashboard.json"), "utf8"));
  const exprs: string[] = dashboard.panels.flatMap((panel: { targets: Array<{ expr: string }> }) => panel.targets.map((t) => t.expr));
  assert.ok(exprs.length >= 10, `the dashboard has its queries (${exprs.length})`);
  const queried = new Set(exprs.flatMap((e) => [...e.matchAll(/\bkafka_\w+/g)].map((m) => m[0])));
  const missing = [...queried].filter((n) => !names.has(n));
  assert.deepEqual(missing, [], `every metric the dashboard queries is exported (queried: ${[...queried].join(", ")})`);
});
