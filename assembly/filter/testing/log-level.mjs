// A refusal's log lines follow Envoy's log level, under the mock Envoy host:
//   1. at warn (the host drops info lines) a denied Produce is answered and counted exactly as at
//      info: the same bytes to the client, the same counters; neither the operator's line nor
//      the audit line is written;
//   2. at info both lines are written;
//   3. turned up to info while a connection runs (Envoy's /logging), the refusals after the
//      next tick (at most a second) write both lines.
//
//   node assembly/filter/testing/log-level.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { batch, produce } from "./kafka-bytes.mjs";
import { checker } from "./frames.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();

const INFO = 2, WARN = 3;
const POLICY = JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [{ principal: "User:ANONYMOUS", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" }],
});

/** Three refused Produce round trips on one connection: what the client got, the counters, the info lines. */
function refusals(logLevel, turnUpAfter = -1) {
  const h = new Host(WASM, { config: POLICY, logLevel });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs));
  const c = h.connect(7);
  const configured = h.logs.length;
  const linesPerTrip = [];
  for (let corr = 1; corr <= 3; corr++) {
    const before = h.logs.length;
    c.feed(DOWNSTREAM, produce(corr, "secret.t", [batch(2, 100)]));
    // The broker's answer to the filter's probe (an ApiVersions v0 error): the refusal takes its place.
    const probe = Buffer.from([0, 0, 0, 10, 0, 0, 0, 0, 0, 35, 0, 0, 0, 0]);
    probe.writeInt32BE(corr, 4);
    c.feed(UPSTREAM, probe);
    linesPerTrip.push(h.logs.slice(before).filter((l) => l.level <= INFO).map((l) => l.msg));
    if (corr === turnUpAfter) {
      h.logLevel = INFO;
      h.tick();
    }
  }
  const counters = new Map([...h.metrics.values()].map((m) => [m.name, m.value]));
  return { client: c.output(UPSTREAM), closed: c.closed, counters, linesPerTrip, infoAtStart: h.logs.slice(configured).filter((l) => l.level <= INFO) };
}

const isOperatorLine = (m) => m.startsWith("kafka filter: denied Produce ");
const isAuditLine = (m) => m.startsWith("kafka-audit: {");

const info = refusals(INFO);
const warn = refusals(WARN);

// 1. At warn: the same answers and counters, no lines.
check("1: at warn, the client gets the same bytes as at info", warn.client.length > 0 && warn.client.equals(info.client),
  `${warn.client.length} vs ${info.client.length} bytes`);
check("1: at warn, the connection stays open", !warn.closed);
const differing = [...new Set([...info.counters.keys(), ...warn.counters.keys()])]
  .filter((k) => info.counters.get(k) !== warn.counters.get(k));
check("1: at warn, every counter as at info", differing.length === 0, differing.join(", "));
check("1: kafka.denials_total counts the three refusals", info.counters.get("kafka.denials_total") === 3n,
  String(info.counters.get("kafka.denials_total")));
check("1: at warn, no info line is written", warn.linesPerTrip.every((lines) => lines.length === 0),
  JSON.stringify(warn.linesPerTrip));

// 2. At info: the operator's line and the audit line, per refusal.
check("2: at info, each refusal writes the operator's line and the audit line",
  info.linesPerTrip.every((lines) => lines.length === 2 && isOperatorLine(lines[0]) && isAuditLine(lines[1])),
  JSON.stringify(info.linesPerTrip).slice(0, 600));

// 3. Turned up while the connection runs.
const turned = refusals(WARN, 1);
check("3: before the level is turned up, no line", turned.linesPerTrip[0].length === 0, JSON.stringify(turned.linesPerTrip[0]));
check("3: after it and a tick, each refusal writes both lines", turned.linesPerTrip.slice(1).every((lines) =>
  lines.length === 2 && isOperatorLine(lines[0]) && isAuditLine(lines[1])), JSON.stringify(turned.linesPerTrip.slice(1)).slice(0, 600));
check("3: the audit line names its request", turned.linesPerTrip[2].some((m) => m.includes("\"correlationId\":3,")));

done();
