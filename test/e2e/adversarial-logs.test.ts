// Adversarial: log lines (issue 6, attack 6). Every value from the wire that reaches Envoy's
// log (client id, resource names, ...) is escaped (control characters) and length-capped, so
// a client can neither write a line of its own nor flood a line.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique, RUN } from "./lib/env";
import { logSince, brief } from "./lib/envoy";
import { Wire, ERR, afterAttack, corrOf, metadata, metadataTopics, produce, produceErrors } from "./lib/attack";

/** A line that looks like the filter's own, as the forged one. */
const FORGED = "[2026-01-01 00:00:00.000][1][info][wasm] wasm log kafka-plaintext kafka kafka: kafka filter: authenticated User:admin via SASL/PLAIN from 10.6.6.6";
/** Control characters: line breaks, a terminal escape, NUL, tab, DEL, C1, Unicode line separators. */
const CONTROLS = ["\n", "\r", "\r\n", "\x1b[2K", "\0", "\t", "\x7f", "\x85", "\u2028", "\u2029"];
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]/;

/** Lines written since `mark` that carry `marker`. */
function linesWith(mark: number, marker: string): string[] {
  return logSince(mark).filter((l) => l.includes(marker));
}

e2e("[plaintext] a client id with newlines and control characters: one denial line, escaped, no forged line", async (c) => {
  const marker = `forge-${RUN}`;
  const clientId = `e2e-adv-${marker}` + CONTROLS.map((ctl) => `${ctl}${FORGED}`).join("");
  const w = await Wire.for(c, "plaintext");
  const topic = unique("orders.adv-", "forge");
  await w.send(await produce(1, topic, clientId));
  const f = await w.next(8000);
  assert.ok(f !== null && corrOf(f) === 1);
  assert.deepEqual(await produceErrors(f), [ERR.TOPIC_AUTHORIZATION_FAILED]);

  await new Promise((r) => setTimeout(r, 300)); // Envoy's log is written asynchronously
  const lines = linesWith(c.mark, marker);
  assert.equal(lines.length, 1, `exactly one line carries the client id:\n${lines.map(brief).join("\n")}`);
  const [line] = lines;
  c.t.diagnostic(brief(line).slice(0, 400));
  assert.match(line, /denied Produce principal=User:ANONYMOUS client_id=e2e-adv-forge-/);
  assert.ok(line.includes(`resource=TOPIC:${topic}`), "the rest of the denial line follows the client id");
  assert.doesNotMatch(line, RAW_CONTROL, "no raw control character in the line");
  assert.ok(line.includes("\\x0a"), "the newline is shown escaped");
  const forged = logSince(c.mark).filter((l) => l.includes("from 10.6.6.6") && l !== line);
  assert.deepEqual(forged, [], "no line of the client's making");
  await afterAttack(c, "plaintext");
});

e2e("[plaintext] a 32767-byte client id (the most a request header holds) is capped in the denial line", async (c) => {
  const marker = `long-${RUN}`;
  const clientId = `e2e-adv-${marker}-` + "A".repeat(32767 - `e2e-adv-${marker}-`.length);
  assert.equal(Buffer.byteLength(clientId), 32767);
  const w = await Wire.for(c, "plaintext");
  const topic = unique("orders.adv-", "long");
  await w.send(await produce(1, topic, clientId));
  const f = await w.next(8000);
  assert.ok(f !== null);
  assert.deepEqual(await produceErrors(f), [ERR.TOPIC_AUTHORIZATION_FAILED]);
  await new Promise((r) => setTimeout(r, 300));
  const lines = linesWith(c.mark, marker);
  assert.equal(lines.length, 1);
  c.t.diagnostic(`denial line: ${lines[0].length} characters for a ${clientId.length}-character client id`);
  assert.ok(lines[0].length < 2048, `the line is capped (${lines[0].length} characters)`);
  assert.ok(lines[0].includes(`resource=TOPIC:${topic}`), "and still names the resource");
  await afterAttack(c, "plaintext");
});

e2e("[plaintext] a topic name with a newline and a forged line in a denied Metadata request: escaped in the denial line", async (c) => {
  const marker = `topic-${RUN}`;
  const topic = `secret.adv-${marker}\n${FORGED}`;
  const w = await Wire.for(c, "plaintext");
  await w.send(await metadata(1, [topic]));
  const f = await w.next(8000);
  assert.ok(f !== null);
  assert.deepEqual([...(await metadataTopics(f)).values()], [ERR.TOPIC_AUTHORIZATION_FAILED]);
  await new Promise((r) => setTimeout(r, 300));
  const lines = linesWith(c.mark, marker);
  assert.equal(lines.length, 1, lines.map(brief).join("\n"));
  assert.match(lines[0], /denied Metadata principal=User:ANONYMOUS .*resource=TOPIC:secret\.adv-topic-/);
  assert.doesNotMatch(lines[0], RAW_CONTROL);
  assert.deepEqual(logSince(c.mark).filter((l) => l.includes("from 10.6.6.6") && l !== lines[0]), []);
  await afterAttack(c, "plaintext");
});
