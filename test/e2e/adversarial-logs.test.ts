// Adversarial: log lines (issue 6, attack 6). Every value from the wire that reaches Envoy's
// log (client id, resource names, ...) is escaped (control characters) and length-capped, so
// a client can neither write a line of its own nor flood a line. The audit trail's lines
// ("kafka-audit: {json}", issue 9 item 3) stay one valid JSON object each, whatever the client
// id holds: newlines, quotes, invalid UTF-8, 32 KiB.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { unique, RUN } from "./lib/env";
import { logSince, brief, auditSince, AUDIT_PREFIX, AUDIT_LINE } from "./lib/envoy";
import { Wire, ERR, afterAttack, corrOf, metadata, metadataTopics, produce, produceErrors } from "./lib/attack";

/** A line that looks like the filter's own, as the forged one. */
const FORGED = "[2026-01-01 00:00:00.000][1][info][wasm] wasm log kafka-plaintext kafka kafka: kafka filter: authenticated User:admin via SASL/PLAIN from 10.6.6.6";
/** Control characters: line breaks, a terminal escape, NUL, tab, DEL, C1, Unicode line separators. */
const CONTROLS = ["\n", "\r", "\r\n", "\x1b[2K", "\0", "\t", "\x7f", "\x85", "\u2028", "\u2029"];
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]/;

/** The filter's operator lines (not its audit lines) written since `mark` that carry `marker`. */
function linesWith(mark: number, marker: string): string[] {
  return logSince(mark).filter((l) => l.includes(marker) && !AUDIT_LINE.test(l));
}

/** The audit lines written since `mark` whose client id or resource carries `marker`. */
function auditWith(mark: number, marker: string): ReturnType<typeof auditSince> {
  return auditSince(mark).filter((a) => a.record.clientId.includes(marker) || a.record.resourceName.includes(marker));
}

/** Printable ASCII only: what every audit line's JSON is made of. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

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
  const audit = auditWith(c.mark, marker);
  assert.equal(audit.length, 1, "and exactly one audit line");
  assert.equal(audit[0].record.clientId, clientId.slice(0, 256), "its client id is the client's, escaped as JSON and capped");
  const forged = logSince(c.mark).filter((l) => l.includes("from 10.6.6.6") && l !== line && !AUDIT_LINE.test(l));
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
  assert.deepEqual(logSince(c.mark).filter((l) => l.includes("from 10.6.6.6") && l !== lines[0] && !AUDIT_LINE.test(l)), []);
  await afterAttack(c, "plaintext");
});

e2e("[plaintext] audit lines: a 32 KiB client id of newlines, quotes, a forged audit object and invalid UTF-8 is one valid JSON object", async (c) => {
  const marker = `audit-${RUN}`;
  const head = `e2e-adv-${marker}`;
  // What the client id holds after `head`: bytes, not text, so that it can be invalid UTF-8.
  const hostile = Buffer.concat([
    Buffer.from(`\n"},{"decision":"ALLOWED","principal":"User:admin"}\r\n${AUDIT_PREFIX}{"decision":"ALLOWED"}\\"\u2028\t`, "utf8"),
    Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xe2, 0x82, 0x00, 0x1b]), // invalid UTF-8, NUL, ESC
  ]);
  const length = 32767;
  // The codecs take text, so the frame is made with a placeholder of the same byte length.
  const placeholder = head + "Q".repeat(length - head.length);
  const topic = unique("orders.adv-", "audit");
  const frame = await produce(1, topic, placeholder);
  const at = frame.indexOf(Buffer.from(placeholder, "utf8"));
  assert.ok(at > 0);
  for (let i = head.length; i < length; i += hostile.length) hostile.copy(frame, at + i, 0, Math.min(hostile.length, length - i));

  const w = await Wire.for(c, "plaintext");
  await w.send(frame);
  const f = await w.next(8000);
  assert.ok(f !== null && corrOf(f) === 1);
  assert.deepEqual(await produceErrors(f), [ERR.TOPIC_AUTHORIZATION_FAILED]);
  await new Promise((r) => setTimeout(r, 300));

  const raw = logSince(c.mark).filter((l) => AUDIT_LINE.test(l) && l.includes(marker));
  assert.equal(raw.length, 1, `one audit line for the request:\n${raw.map(brief).join("\n")}`);
  // The operator's line quotes the client id, forged prefix included, but not at its start.
  const quoting = linesWith(c.mark, marker);
  assert.equal(quoting.length, 1, "one operator line");
  assert.ok(quoting[0].includes(AUDIT_PREFIX) && quoting[0].includes("denied Produce"), "which quotes the forged prefix, as data");
  const [audit] = auditWith(c.mark, marker); // JSON.parse: throws on anything but one valid object
  c.t.diagnostic(`audit JSON: ${audit.json.length} characters for a ${length}-byte client id: ${audit.json.slice(0, 300)}...`);
  assert.match(audit.json, PRINTABLE_ASCII, "printable ASCII only: no raw newline, control character or invalid UTF-8");
  assert.ok(audit.json.length < 4096, `capped (${audit.json.length} characters)`);
  assert.ok(raw[0].endsWith(audit.json), "the object ends the line");
  const r = audit.record;
  assert.equal(r.decision, "DENIED", "the client's forged decision is data in clientId, not a field");
  assert.equal(r.principal, "User:ANONYMOUS");
  assert.equal(r.resourceName, topic);
  assert.equal(r.error, "TOPIC_AUTHORIZATION_FAILED");
  assert.ok(r.clientId.startsWith(head + "\n\"},{\"decision\":\"ALLOWED\""), "the client id comes back as sent, once parsed");
  assert.equal(r.clientId.length, 256, "capped at 256 characters");
  assert.ok(r.clientIdLength > 256, `and its full length told (${r.clientIdLength})`);
  assert.ok(r.clientId.includes("\ufffd"), "invalid UTF-8 reads as U+FFFD");
  await afterAttack(c, "plaintext");
});
