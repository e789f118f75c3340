// Client telemetry (KIP-714) through the filter. The e2e broker runs a telemetry receiver
// (test/e2e/kafka/plugin/E2eTelemetry.java), so it offers GetTelemetrySubscriptions and
// PushTelemetry as a broker with an operator's receiver installed does, and writes one line per
// push it receives. An operator subscribes clients to their metrics through the proxy
// (kafka-client-metrics as admin); Kafka's Java client and librdkafka then ask for their
// subscription and push their metrics (OTLP, compressed) through Envoy and the filter, the last
// push when they close. Neither API needs an ACL, with Kafka's authorizer as here.

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { e2e, type ApiNeed } from "./lib/harness";
import { PLAINTEXT, ROOT, SASL, unique } from "./lib/env";
import { API } from "./lib/attack";
import { CONSOLE_JARS, PYTHON } from "./lib/drivers";
import { kafkaTool } from "./lib/kafka-tools";
import { run } from "./lib/proc";
import { stats, delta, K } from "./lib/envoy";

const TELEMETRY_NEEDS: ApiNeed[] = [{ api: "GetTelemetrySubscriptions", key: API.GetTelemetrySubscriptions, version: 0 }];

interface Push { principal: string; clientId: string; listener: string; contentType: string; bytes: number; terminating: boolean }

/** Every push the receiver wrote, whichever Kafka version and node count run (each node its own file). */
function pushes(): Push[] {
  const kafka = join(ROOT, ".cache", "kafka");
  const files: string[] = [];
  for (const version of existsSync(kafka) ? readdirSync(kafka) : []) {
    for (const logs of readdirSync(join(kafka, version)).filter((d) => d.startsWith("logs"))) {
      const dir = join(kafka, version, logs);
      files.push(join(dir, "telemetry.jsonl"), ...readdirSync(dir).filter((d) => d.startsWith("node-")).map((n) => join(dir, n, "telemetry.jsonl")));
    }
  }
  return files.filter((f) => existsSync(f)).flatMap((f) => readFileSync(f, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Push));
}

const LIBRDKAFKA_PRODUCER = `
import sys, confluent_kafka
p = confluent_kafka.Producer({"bootstrap.servers": sys.argv[1], "client.id": sys.argv[2]})
for i in range(8):
    p.produce(sys.argv[3], b"x")
    p.poll(0.25)
p.flush(10)
`;

e2e("KIP-714 client telemetry through the filter: subscribed by admin with kafka-client-metrics, Kafka's Java client and librdkafka fetch their subscription and push their metrics to the broker's receiver", async (c) => {
  const prefix = unique("e2e-telemetry-", "clients");
  const name = unique("e2e-telemetry-", "subscription");
  const subscribe = await kafkaTool("ClientMetricsCommand", SASL, "admin", ["--alter", "--name", name, "--metrics", "*", "--interval", "500",
    "--match", `client_id=${prefix}-.*`]);
  assert.equal(subscribe.code, 0, subscribe.stdout + subscribe.stderr);
  c.cleanup(() => kafkaTool("ClientMetricsCommand", SASL, "admin", ["--delete", "--name", name]));
  const topic = unique("e2e.telemetry.", "records");
  const before = await stats();

  const java = await run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", CONSOLE_JARS, "org.apache.kafka.tools.ConsoleProducer",
    "--bootstrap-server", PLAINTEXT, "--topic", topic, "--command-property", `client.id=${prefix}-java`], { input: "a\nb\nc\n", timeoutMs: 60_000 });
  assert.equal(java.code, 0, java.stderr.slice(-1500));
  const librdkafka = await run(PYTHON, ["-c", LIBRDKAFKA_PRODUCER, PLAINTEXT, `${prefix}-librdkafka`, topic], { timeoutMs: 60_000 });
  assert.equal(librdkafka.code, 0, librdkafka.stderr.slice(-1500));

  const seen = pushes().filter((p) => p.clientId.startsWith(`${prefix}-`));
  c.t.diagnostic(JSON.stringify(seen));
  for (const client of ["java", "librdkafka"]) {
    const its = seen.filter((p) => p.clientId === `${prefix}-${client}`);
    assert.ok(its.length >= 1, `the receiver got ${client}'s metrics`);
    assert.ok(its.every((p) => p.principal === "User:ANONYMOUS" && p.listener === "PLAINTEXT" && p.contentType === "OTLP" && p.bytes > 0),
      `${client}: pushed as ANONYMOUS on PLAINTEXT, OTLP, not empty: ${JSON.stringify(its)}`);
    assert.ok(its.some((p) => p.terminating), `${client}'s last push, when it closed`);
  }
  const after = await stats();
  assert.ok(delta(before, after, K("requests.get_telemetry_subscriptions")) >= 2, "both asked for their subscription through the filter");
  assert.ok(delta(before, after, K("requests.push_telemetry")) >= seen.length, "every push went through the filter");
  assert.equal(delta(before, after, K("decode_errors")), 0, "the filter read every request and response");
}, 120_000, TELEMETRY_NEEDS);
