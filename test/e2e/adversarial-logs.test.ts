// Adversarial: log lines (issue 6, attack 6). Every value from the wire that reaches Envoy's
// log (client id, resource names, ...) is escaped (control characters) and length-capped, so
// a client can neither write a line of its own nor flood a line. The audit trail's lines
// ("kafka-audit: {json}", issue 9 item 3) stay one valid JSON object each, whatever the client
// id holds: newlines, quotes, invalid UTF-8, 32 KiB. A client connecting in a loop cannot
// flood the log with the lines its connections write of themselves.

import assert from "node:assert/strict";
import { e2e, type Ctx } from "./lib/harness";
import { unique, RUN } from "./lib/env";
import { logSince, logMark, brief, auditSince, filterLogSince, stats, delta, K, concurrency, AUDIT_PREFIX, AUDIT_LINE } from "./lib/envoy";
import { Wire, ERR, afterAttack, apiVersions, corrOf, metadata, metadataTopics, produce, produceErrors } from "./lib/attack";

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

// A client that connects in a loop: each connection is a close line (and a login on SASL) where
// Envoy itself writes none. Each VM writes at most CONNECTION_LINES_PER_SECOND of them a second
// (assembly/filter/connection-lines.ts), the rest counted and summed up.
const CONNECTION_LINES_PER_SECOND = 100;
/** A summary line (which quotes the last line not logged). */
const SUMMARY = / kafka filter: \d+ more .* not logged \(over /;

/** Opens `n` connections to `listener`, `parallel` at a time; each sends `frame`, waits for an answer or a close, and hangs up. */
async function connectInALoop(listener: "plaintext", n: number, parallel: number, frame: Buffer): Promise<{ answered: number; closedByPeer: number }> {
  let next = 0, answered = 0, closedByPeer = 0;
  const one = async (): Promise<void> => {
    for (; next < n; ) {
      next++;
      const w = await Wire.open(listener);
      try {
        await w.send(frame);
        const f = await w.next(5000);
        if (f !== null) answered++;
        else if (w.closed) closedByPeer++;
      } finally {
        w.destroy();
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
  return { answered, closedByPeer };
}

/**
 * The log's mark and the counters once the earlier tests' connections (their clients hang up in
 * cleanup) have ended in the filter: their lines must not count against this test's.
 */
async function settled(): Promise<{ mark: number; before: Awaited<ReturnType<typeof stats>> }> {
  await new Promise((done) => setTimeout(done, 1500));
  return { mark: logMark(), before: await stats() };
}

/**
 * What the filter wrote and counted since `mark` and `before`: the lines that match `line`, the
 * sum of the summaries' counts, kafka.connection_lines_not_logged and `counter`. Connections end
 * in the filter after the client hangs up, and a VM's summary comes with its next tick (later on
 * a busy machine): read again until they account for `expected`, for up to 10 s.
 */
async function accounted(mark: number, before: Awaited<ReturnType<typeof stats>>, counter: string, line: RegExp, summary: RegExp,
  expected: number): Promise<{ lines: number; summed: number; notLogged: number; counted: number }> {
  for (const deadline = Date.now() + 10_000; ;) {
    const after = await stats();
    const all = filterLogSince(mark);
    const r = {
      lines: all.filter((l) => line.test(l) && !SUMMARY.test(l)).length,
      summed: all.map((l) => summary.exec(l)).filter((m) => m !== null).reduce((n, m) => n + Number(m![1]), 0),
      notLogged: delta(before, after, K("connection_lines_not_logged")),
      counted: delta(before, after, K(counter)),
    };
    if ((r.counted >= expected && r.lines + r.notLogged >= expected && r.summed >= r.notLogged) || Date.now() > deadline) return r;
    await new Promise((done) => setTimeout(done, 250));
  }
}

/**
 * Connections that each send `frame` and end as `ending` says, in rounds of `round`, until the
 * VMs' budgets are passed (kafka.connection_lines_not_logged moves; a slow machine connects
 * slower, and Envoy may run more VMs); then each of them is one line (`line`) or counted as not
 * logged, at most 100 lines a second per VM, the summaries (`summary`, its first group the
 * count) account for the rest, and `counter` counts every one.
 */
async function flood(c: Ctx, round: number, frame: Buffer, ending: "answered" | "closedByPeer", counter: string, line: RegExp, summary: RegExp): Promise<void> {
  const vms = await concurrency();
  const { mark, before } = await settled();
  const started = Date.now();
  let n = 0;
  for (let rounds = 0; rounds < 8; rounds++) {
    const r = await connectInALoop("plaintext", round, 30, frame);
    assert.equal(r[ending], round, `every connection ${ending === "answered" ? "is answered" : "is closed by the filter"}`);
    n += round;
    if (delta(before, await stats(), K("connection_lines_not_logged")) > 0) break;
  }
  const seconds = (Date.now() - started) / 1000;
  const { lines, summed, notLogged, counted } = await accounted(mark, before, counter, line, summary, n);
  c.t.diagnostic(`${n} connections in ${seconds.toFixed(1)} s: ${lines} lines, ${notLogged} not logged (summed up: ${summed}), ${vms} VMs`);
  assert.equal(counted, n, `kafka.${counter} counts every one`);
  assert.ok(notLogged > 0, `more than the budget in the time (${n} in ${seconds.toFixed(1)} s on ${vms} VMs)`);
  assert.equal(lines + notLogged, n, "each connection is a line or counted as not logged");
  assert.ok(lines <= CONNECTION_LINES_PER_SECOND * vms * (Math.ceil(seconds) + 1), `${lines} lines in ${seconds.toFixed(1)} s`);
  assert.equal(summed, notLogged, "the summaries account for every line not logged");
  await afterAttack(c, "plaintext");
}

e2e("[plaintext] a client connecting in a loop: close lines at most 100 a second per VM, every connection counted and accounted for", async (c) => {
  await flood(c, 1000, await apiVersions(1), "answered", "connections", / kafka connection \d+ closed: client closed the connection /,
    / kafka filter: (\d+) more connection lines not logged \(over 100 a second in this VM; kafka\.connections counts every connection\); by cause: client closed the connection \d+; the last: /);
}, 90_000);

e2e("[plaintext] garbage on each new connection: closes by the filter at most 100 a second per VM, apart from ordinary closes, every one counted", async (c) => {
  await flood(c, 1000, Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4]), "closedByPeer", "connections_closed_by_filter",
    / kafka connection \d+ closed by filter: request frame with negative size -16 /,
    / kafka filter: (\d+) more closes by the filter not logged \(over 100 a second in this VM; .*\); the last: kafka connection \d+ closed by filter: request frame with negative size/);
}, 90_000);
