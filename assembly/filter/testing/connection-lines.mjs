// Lines a connection writes of itself, bounded per VM (assembly/filter/connection-lines.ts),
// under the mock Envoy host:
//   1. 150 connections opened and dropped in one second: the first 100 close lines are written,
//      the rest counted in kafka.connection_lines_not_logged; kafka.connections counts all 150;
//   2. the tick after the second: one info line says how many, by cause, and the last;
//   3. closes by the filter have a budget of their own: after the churn has spent the info
//      budget, a connection closed for garbage still gets its warning; 150 of them, 100 written;
//   4. SASL's "authenticated" line shares the connection budget (a client logging in on each
//      new connection is the same flood); logged or not, the login sets the principal (4b);
//   5. no tick: the summary comes with the first line after the second;
//   6. at warn level the close lines are neither written nor counted as not logged;
//   7. a forged principal in a line not logged stays escaped in the summary (one line);
//   8. SASL outcomes are counted (kafka.sasl.authentications, kafka.sasl.authentication_failures)
//      and a refused round is a line of its own (who, from where, the broker's error) in the
//      same budget, its user escaped; the principal does not change.
//
//   node assembly/filter/testing/connection-lines.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { i16, i32, sized, apiVersions, produce, batch } from "./kafka-bytes.mjs";
import { checker } from "./frames.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();
const INFO = 2, WARN = 3;
const POLICY = JSON.stringify({ allowEveryoneIfNoAclFound: true });

function vm(logLevel = INFO) {
  const h = new Host(WASM, { config: POLICY, logLevel });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-2)));
  return h;
}

let nextId = 100;
const linesAt = (h, from, level) => h.logs.slice(from).filter((l) => l.level === level).map((l) => l.msg);
const closeLines = (ls) => ls.filter((m) => /^kafka connection \d+ closed: /.test(m));
const filterCloses = (ls) => ls.filter((m) => /^kafka connection \d+ closed by filter: /.test(m));
const summaries = (ls) => ls.filter((m) => /^kafka filter: \d+ more /.test(m));

/** A connection that sends one ApiVersions, gets its answer, and is dropped by the client. */
function churn(h) {
  const c = h.connect(nextId++);
  c.feed(DOWNSTREAM, apiVersions(1));
  c.close();
}

/** A connection the filter closes: a frame whose size is negative. */
function garbage(h) {
  const c = h.connect(nextId++);
  c.feed(DOWNSTREAM, Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4]));
  const closed = c.closed;
  c.close();
  return closed;
}

const str16 = (s) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
const header = (key, version, corr) => Buffer.concat([i16(key), i16(version), i32(corr), str16("lines")]);

/** SASL/PLAIN over SaslHandshake v1 and SaslAuthenticate v1, the broker accepting `user` (or refusing: `refused`). */
function login(h, user, refused = false) {
  const c = h.connect(nextId++);
  c.feed(DOWNSTREAM, sized(Buffer.concat([header(17, 1, 1), str16("PLAIN")])));
  c.feed(UPSTREAM, sized(Buffer.concat([i32(1), i16(0), i32(1), str16("PLAIN")])));
  const token = Buffer.from(`\0${user}\0secret`);
  c.feed(DOWNSTREAM, sized(Buffer.concat([header(36, 1, 2), i32(token.length), token])));
  const outcome = refused ? Buffer.concat([i16(58), str16("Authentication failed: Invalid username or password")]) : Buffer.concat([i16(0), i16(-1)]);
  c.feed(UPSTREAM, sized(Buffer.concat([i32(2), outcome, i32(0), Buffer.alloc(8)])));
  return c;
}

// 1-2. Churn over the budget in one second, then the tick.
{
  const h = vm();
  const from = h.logs.length;
  for (let i = 0; i < 150; i++) churn(h);
  const info = linesAt(h, from, INFO);
  check("1: 100 close lines written in the second", closeLines(info).length === 100, String(closeLines(info).length));
  check("1: every connection counted", h.metric("kafka.connections") === 150n, String(h.metric("kafka.connections")));
  check("1: the other 50 counted as not logged", h.metric("kafka.connection_lines_not_logged") === 50n,
    String(h.metric("kafka.connection_lines_not_logged")));
  check("1: no summary before the second ends", summaries(info).length === 0);
  const mark = h.logs.length;
  h.advance(1000);
  const after = linesAt(h, mark, INFO);
  check("2: the tick after the second sums up the rest, by cause, with the last line", after.length === 1 &&
    /^kafka filter: 50 more connection lines not logged \(over 100 a second in this VM; kafka\.connections counts every connection\); by cause: client closed the connection 50; the last: kafka connection \d+ closed: client closed the connection \(requests 1, /.test(after[0]),
    JSON.stringify(after));
  h.advance(1000);
  check("2: once", linesAt(h, mark, INFO).length === 1);
  const next = h.logs.length;
  churn(h);
  check("2: a new second writes again", closeLines(linesAt(h, next, INFO)).length === 1);
}

// 3. Closes by the filter: a budget of their own.
{
  const h = vm();
  for (let i = 0; i < 120; i++) churn(h);
  const from = h.logs.length;
  check("3: garbage closes the connection", garbage(h));
  check("3: its warning is written though the churn spent the connection budget", filterCloses(linesAt(h, from, WARN)).length === 1,
    JSON.stringify(linesAt(h, from, WARN)));
  for (let i = 0; i < 149; i++) garbage(h);
  const warns = linesAt(h, from, WARN);
  check("3: 100 closes by the filter written in the second", filterCloses(warns).length === 100, String(filterCloses(warns).length));
  check("3: all 150 counted as closed by the filter", h.metric("kafka.connections_closed_by_filter") === 150n,
    String(h.metric("kafka.connections_closed_by_filter")));
  check("3: 20 churn + 50 closes counted as not logged", h.metric("kafka.connection_lines_not_logged") === 70n,
    String(h.metric("kafka.connection_lines_not_logged")));
  const mark = h.logs.length;
  h.advance(1000);
  const warnSummary = summaries(linesAt(h, mark, WARN));
  check("3: the tick sums up the closes at warn level", warnSummary.length === 1 &&
    /^kafka filter: 50 more closes by the filter not logged \(over 100 a second in this VM; kafka\.connections_closed_by_filter counts every one, and a counter for each cause\); the last: kafka connection \d+ closed by filter: request frame with negative size -16 \(requests 0, /.test(warnSummary[0]),
    JSON.stringify(warnSummary));
  check("3: and the churn at info", summaries(linesAt(h, mark, INFO)).length === 1);
}

// 4. SASL's authenticated line shares the connection budget.
{
  const h = vm();
  const from = h.logs.length;
  const conns = [];
  for (let i = 0; i < 60; i++) conns.push(login(h, "user" + i));
  const info = linesAt(h, from, INFO);
  const authenticated = info.filter((m) => m.startsWith("kafka filter: authenticated User:user"));
  check("4: each login is logged while the budget lasts", authenticated.length === 60, String(authenticated.length));
  for (const c of conns) c.close();
  const all = linesAt(h, from, INFO);
  check("4: logins and closes share the 100", closeLines(all).length === 40 && h.metric("kafka.connection_lines_not_logged") === 20n,
    `${closeLines(all).length} close lines, ${h.metric("kafka.connection_lines_not_logged")} not logged`);
  const before = h.logs.length;
  const c = login(h, "late");
  check("4: past the budget a login is not logged", linesAt(h, before, INFO).length === 0);
  const mark = h.logs.length;
  h.advance(1000);
  const summary = summaries(linesAt(h, mark, INFO));
  check("4: the summary counts logins apart from closes", summary.length === 1 &&
    /; by cause: client closed the connection 20, authenticated 1; the last: kafka filter: authenticated User:late via SASL\/PLAIN from /.test(summary[0]),
    JSON.stringify(summary));
  c.close();
}

// 4b. Logged or not, a login sets the principal the filter judges by: only User:late may write
// late.*; its Produce goes on after a login past the budget, another user's is refused.
{
  const h = new Host(WASM, { config: JSON.stringify({ allowEveryoneIfNoAclFound: false, acls: [{ principal: "User:late", host: "*",
    resourceType: "TOPIC", resourceName: "late.", resourcePatternType: "PREFIXED", operation: "WRITE", permissionType: "ALLOW" }] }) });
  if (!h.start()) throw new Error("configure failed");
  for (let i = 0; i < 100; i++) churn(h);
  const late = login(h, "late"), other = login(h, "other");
  check("4b: neither login logged (the budget is spent)", !h.logs.some((l) => /authenticated User:(late|other)/.test(l.msg)));
  const write = produce(3, "late.t", [batch(1, 10)]);
  late.sent[DOWNSTREAM] = [];
  late.feed(DOWNSTREAM, write);
  check("4b: User:late's Produce goes on to the broker", late.output(DOWNSTREAM).equals(write));
  other.sent[DOWNSTREAM] = [];
  other.feed(DOWNSTREAM, write);
  check("4b: User:other's is not", !other.output(DOWNSTREAM).includes(Buffer.from("late.t")),
    `${other.output(DOWNSTREAM).length} bytes sent on`);
  late.close();
  other.close();
}

// 5. No tick: the next line after the second brings the summary first.
{
  const h = vm();
  for (let i = 0; i < 101; i++) churn(h);
  h.nowNs += 1_500_000_000n; // the clock moves, no tick
  const mark = h.logs.length;
  churn(h);
  const info = linesAt(h, mark, INFO);
  check("5: summary, then the new second's line", info.length === 2 && /^kafka filter: 1 more connection lines not logged /.test(info[0]) &&
    /^kafka connection \d+ closed: /.test(info[1]), JSON.stringify(info));
}

// 6. At warn level.
{
  const h = vm(WARN);
  for (let i = 0; i < 150; i++) churn(h);
  h.advance(1000);
  check("6: at warn level no close line, none counted as not logged", closeLines(h.logs.map((l) => l.msg)).length === 0 &&
    h.metric("kafka.connection_lines_not_logged") === 0n && h.metric("kafka.connections") === 150n,
    `${h.metric("kafka.connection_lines_not_logged")} not logged`);
  check("6: the counter is defined (at 0) with the first connection", h.metricIds.has("kafka.connection_lines_not_logged"));
}

// 7. A forged principal past the budget.
{
  const h = vm();
  for (let i = 0; i < 100; i++) churn(h);
  const c = login(h, "evil\nkafka filter: authenticated User:admin");
  const mark = h.logs.length;
  h.advance(1000);
  const all = h.logs.slice(mark).map((l) => l.msg);
  check("7: the summary keeps the forged name escaped, on one line", all.length === 1 && !all[0].includes("\n") &&
    all[0].includes("authenticated User:evil\\x0akafka filter: authenticated User:admin via SASL/PLAIN"), JSON.stringify(all));
  c.close();
}

// 8. SASL outcomes.
{
  const h = vm();
  const from = h.logs.length;
  const ok = login(h, "alice");
  const bad = login(h, "mallory\nkafka filter: authenticated User:admin", true);
  const info = linesAt(h, from, INFO);
  check("8: a login the broker accepts is counted", h.metric("kafka.sasl.authentications") === 1n, String(h.metric("kafka.sasl.authentications")));
  check("8: one it refuses too", h.metric("kafka.sasl.authentication_failures") === 1n, String(h.metric("kafka.sasl.authentication_failures")));
  const failed = info.filter((m) => m.startsWith("kafka filter: SASL/PLAIN authentication as User:"));
  check("8: the refusal is a line: who, from where, the broker's error and message, the user escaped", failed.length === 1 &&
    failed[0].startsWith("kafka filter: SASL/PLAIN authentication as User:mallory\\x0akafka filter: authenticated User:admin from ") &&
    failed[0].endsWith(" failed: sasl_authentication_failed (Authentication failed: Invalid username or password)"), JSON.stringify(failed));
  check("8: no line says the refused user authenticated", !info.some((m) => m.startsWith("kafka filter: authenticated User:mallory")));
  const fresh = vm();
  fresh.connect(10);
  check("8: both counters are defined (at 0) with the first connection",
    fresh.metricIds.has("kafka.sasl.authentications") && fresh.metricIds.has("kafka.sasl.authentication_failures"));
  for (let i = 0; i < 150; i++) login(h, "guess" + i, true).close();
  check("8: every refusal counted", h.metric("kafka.sasl.authentication_failures") === 151n);
  const mark = h.logs.length;
  h.advance(1000);
  const summary = summaries(linesAt(h, mark, INFO));
  check("8: past the budget they are summed up by cause", summary.length === 1 && /; by cause: authentication failed \d+, client closed the connection \d+; the last: /.test(summary[0]),
    JSON.stringify(summary));
  ok.close();
  bad.close();
}

done();
