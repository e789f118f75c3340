// Refusals logged line by line up to "audit.refusalsLoggedPerSecond" a second per VM, the rest
// counted and summed up (assembly/enforce/refusal-log.ts), under the mock Envoy host:
//   1. over the limit in one second: the first `limit` refusals write both lines, the rest none;
//      every one is answered and counted as without a limit (same bytes to the client, same
//      counters but kafka.audit.refusals_not_logged);
//   2. the tick after the second: one operator line sums up the rest (how many, of how many
//      kinds, the kind with the most), and one audit line per kind (decision, principal, host,
//      API, resource, error) says how many, from when to when; the next refusal starts a new second;
//   3. no tick: the summary comes with the first refusal after the second;
//   4. the count is the VM's: a second connection's refusal in the same second is not logged,
//      but its kind has its own audit line, apart from the flood's; past 100 kinds in a
//      second, one line counts the rest;
//   5. 0 logs every refusal; the default is 100;
//   6. values from the wire in the summary are escaped (one line each; the audit line parses);
//   7. warnings a client can set off per request (a request passed on undecoded under
//      "onDecodeError": "pass") are bounded the same way: 100 a second per VM, the rest
//      counted (kafka.warnings_not_logged) and summed up in one line (assembly/enforce/warnings.ts).
//
//   node assembly/filter/testing/refusal-log.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { batch, produce } from "./kafka-bytes.mjs";
import { checker } from "./frames.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();

const policy = (audit) => JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [{ principal: "User:ANONYMOUS", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" }],
  ...(audit ? { audit } : {}),
});

function vm(audit) {
  const h = new Host(WASM, { config: policy(audit) });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-2)));
  return h;
}

let corr = 0;
/** One refused Produce round trip on `c`: what the client got. */
function refuse(c, topic = "secret.t", clientId = "alloc") {
  corr++;
  c.sent[UPSTREAM] = [];
  c.feed(DOWNSTREAM, produce(corr, topic, [batch(2, 100)], { clientId }));
  // The broker's answer to the filter's probe (an ApiVersions v0 error): the refusal takes its place.
  const probe = Buffer.from([0, 0, 0, 10, 0, 0, 0, 0, 0, 35, 0, 0, 0, 0]);
  probe.writeInt32BE(corr, 4);
  c.feed(UPSTREAM, probe);
  return c.output(UPSTREAM);
}

const lines = (h, from) => h.logs.slice(from).filter((l) => l.level <= 2).map((l) => l.msg);
const operator = (ls) => ls.filter((m) => m.startsWith("kafka filter: denied "));
const audits = (ls) => ls.filter((m) => m.startsWith("kafka-audit: ")).map((m) => JSON.parse(m.slice("kafka-audit: ".length)));
const summaries = (ls) => ls.filter((m) => / refusals not logged /.test(m));
const counter = (h, name) => h.metric(name);
/** The answer with its correlation id zeroed, to compare answers to different requests. */
const uncorrelated = (b) => { const x = Buffer.from(b); if (x.length >= 8) x.writeInt32BE(0, 4); return x; };

// 1. Over the limit in one second.
const limited = vm({ refusalsLoggedPerSecond: 5 });
const unlimited = vm({ refusalsLoggedPerSecond: 0 });
const lc = limited.connect(7), uc = unlimited.connect(7);
const start = limited.logs.length;
const answers = [], reference = [];
for (let i = 0; i < 12; i++) {
  answers.push(uncorrelated(refuse(lc)));
  reference.push(uncorrelated(refuse(uc)));
}
const first = lines(limited, start);
check("1: the first 5 refusals write the operator's line", operator(first).length === 5, JSON.stringify(first).slice(0, 400));
check("1: and the audit line", audits(first).length === 5 && audits(first).every((a) => a.decision === "DENIED"));
check("1: no summary before the second ends", summaries(first).length === 0);
check("1: every refusal is answered as without a limit", answers.every((a, i) => a.length > 0 && a.equals(reference[i])));
check("1: the connection stays open", !lc.closed);
check("1: kafka.denials_total counts all 12", counter(limited, "kafka.denials_total") === 12n, String(counter(limited, "kafka.denials_total")));
check("1: kafka.audit.refusals_not_logged counts 7", counter(limited, "kafka.audit.refusals_not_logged") === 7n,
  String(counter(limited, "kafka.audit.refusals_not_logged")));
const names = [...new Set([...limited.metrics.values(), ...unlimited.metrics.values()].map((m) => m.name))];
const differing = names.filter((n) => n !== "kafka.audit.refusals_not_logged" && counter(limited, n) !== counter(unlimited, n));
check("1: every other counter as without a limit", differing.length === 0, differing.join(", "));
check("1: without a limit every refusal writes both lines", operator(lines(unlimited, 0)).length === 12 && audits(lines(unlimited, 0)).length === 12);

// 2. The tick after the second sums up the rest.
let mark = limited.logs.length;
limited.advance(400);
check("2: a tick within the second writes nothing", lines(limited, mark).length === 0, JSON.stringify(lines(limited, mark)));
limited.advance(700);
const summed = lines(limited, mark);
const op = summaries(summed);
check("2: the tick after the second writes one operator summary", op.length === 1, JSON.stringify(summed).slice(0, 600));
check("2: it says how many, of how many kinds, and the kind with the most", op.length === 1 && /^kafka filter: 7 refusals not logged one by one \(over audit\.refusalsLoggedPerSecond 5 in this VM; counted as every refusal is; the audit trail has each kind\), 1 kinds; the most, 7: denied Produce principal=User:ANONYMOUS client_id=alloc host=\S* resource=TOPIC:secret\.t error=topic_authorization_failed$/.test(op[0]),
  op[0]);
const sa = audits(summed);
check("2: and one audit line, decision NOT_LOGGED", sa.length === 1 && sa[0].decision === "NOT_LOGGED", JSON.stringify(sa));
check("2: with the count, the limit and the kind", sa.length === 1 && sa[0].count === 7 && sa[0].refusalsLoggedPerSecond === 5 &&
  sa[0].refusal === "DENIED" && sa[0].principal === "User:ANONYMOUS" && sa[0].api === "Produce" && sa[0].resourceType === "TOPIC" && sa[0].resourceName === "secret.t" &&
  sa[0].error === "TOPIC_AUTHORIZATION_FAILED" && sa[0].mode === "enforce", JSON.stringify(sa[0]));
check("2: from and to: when the first and the last of them were refused", sa.length === 1 && sa[0].from === "1970-01-01T00:00:01.000Z" && sa[0].to === sa[0].from,
  JSON.stringify(sa[0]));
mark = limited.logs.length;
limited.advance(1100);
check("2: the next tick has nothing more to say", lines(limited, mark).length === 0, JSON.stringify(lines(limited, mark)));
refuse(lc);
check("2: the next refusal is logged (a new second)", operator(lines(limited, mark)).length === 1 && audits(lines(limited, mark)).length === 1);

// 3. No tick: the summary comes with the first refusal after the second.
const quiet = vm({ refusalsLoggedPerSecond: 2 });
const qc = quiet.connect(9);
for (let i = 0; i < 5; i++) refuse(qc);
mark = quiet.logs.length;
quiet.nowNs += 1_500_000_000n; // time passes, no tick
refuse(qc, "secret.u");
const after = lines(quiet, mark);
check("3: the summary of the second before, then the new refusal's lines", after.length === 4 &&
  / 3 refusals not logged one by one .* resource=TOPIC:secret\.t /.test(after[0]) && audits([after[1]])[0].count === 3 &&
  operator([after[2]]).length === 1 && after[2].includes("TOPIC:secret.u"), JSON.stringify(after).slice(0, 800));

// 4. The count is the VM's; the summary tells kinds apart.
const shared = vm({ refusalsLoggedPerSecond: 3 });
const a = shared.connect(11), b = shared.connect(12, { "source.address": "10.9.9.9:4242" });
for (let i = 0; i < 3; i++) refuse(a);
for (let i = 0; i < 20; i++) refuse(a); // the flood
mark = shared.logs.length;
refuse(b, "secret.b", "other-client"); // the probe
check("4: another connection's refusal in the same second is not logged", lines(shared, mark).length === 0, JSON.stringify(lines(shared, mark)));
refuse(a); // the flood goes on
shared.advance(1000);
const kinds = audits(lines(shared, mark));
check("4: the operator's line counts both kinds and names the flood's", summaries(lines(shared, mark)).some((m) =>
  / 22 refusals not logged one by one .*, 2 kinds; the most, 21: denied Produce .*resource=TOPIC:secret\.t /.test(m)), JSON.stringify(lines(shared, mark)));
check("4: one audit line per kind: the flood's and the probe's", kinds.length === 2 && kinds[0].count === 21 && kinds[0].resourceName === "secret.t" &&
  kinds[1].count === 1 && kinds[1].resourceName === "secret.b" && kinds[1].clientId === "other-client" && kinds[1].clientAddress === "10.9.9.9:4242",
  JSON.stringify(kinds));
const many = vm({ refusalsLoggedPerSecond: 1 });
const mc = many.connect(15);
refuse(mc);
for (let i = 0; i < 130; i++) refuse(mc, `secret.k${i}`);
mark = many.logs.length;
many.advance(1000);
const told = audits(lines(many, mark));
check("4: past 100 kinds in a second, one line counts the rest", told.length === 101 && told.slice(0, 100).every((k) => k.count === 1 && k.resourceName.startsWith("secret.k")) &&
  told[100].otherKinds === true && told[100].count === 30 && told[100].principal === undefined, JSON.stringify(told.slice(-2)));
check("4: and the operator's line says so", summaries(lines(many, mark)).some((m) => / 130 refusals not logged one by one .*, 100\+ kinds; /.test(m)), JSON.stringify(summaries(lines(many, mark))));

// 5. The default.
const byDefault = vm(null);
check("5: the configuration line says the default", byDefault.logs.some((l) => / audit\.refusalsLoggedPerSecond=100( |$)/.test(l.msg)),
  JSON.stringify(byDefault.logs.map((l) => l.msg)).slice(0, 600));
const dc = byDefault.connect(13);
mark = byDefault.logs.length;
for (let i = 0; i < 150; i++) refuse(dc);
check("5: 100 refusals logged in a second by default", operator(lines(byDefault, mark)).length === 100);
check("5: 50 counted as not logged", counter(byDefault, "kafka.audit.refusals_not_logged") === 50n);
const refused = new Host(WASM, { config: policy({ refusalsLoggedPerSecond: -1 }) });
check("5: a negative limit is refused", !refused.start() && refused.logs.some((l) => /refusalsLoggedPerSecond/.test(l.msg)),
  JSON.stringify(refused.logs.map((l) => l.msg)).slice(0, 400));

// 6. Values from the wire in the summary.
const hostile = vm({ refusalsLoggedPerSecond: 1 });
const hc = hostile.connect(14);
refuse(hc);
const forged = "x\nkafka-audit: {\"decision\":\"ALLOWED\"}\u0000";
refuse(hc, "secret.t", forged);
mark = hostile.logs.length;
hostile.advance(1000);
const out = lines(hostile, mark);
check("6: two summary lines, no control character in them", out.length === 2 && out.every((m) => !/[\u0000-\u001f\u007f]/.test(m)), JSON.stringify(out));
const parsed = audits(out.filter((m) => m.startsWith("kafka-audit: ")));
check("6: the audit line parses and holds the client id as data", parsed.length === 1 && parsed[0].clientId === forged, JSON.stringify(parsed));

// 7. Warnings: a Metadata v12 request whose body does not read, passed on under "pass".
const lenient = new Host(WASM, { config: JSON.stringify({ ...JSON.parse(policy(null)), filter: { onDecodeError: "pass" } }) });
if (!lenient.start()) throw new Error("configure failed: " + JSON.stringify(lenient.logs.slice(-2)));
const wc = lenient.connect(16);
const garbled = (corr) => {
  const header = Buffer.from([0, 3, 0, 12, 0, 0, 0, 0, 0, 2, 0x61, 0x62, 0]);
  header.writeInt32BE(corr, 4);
  const body = Buffer.from([0x05, 0xff, 0xff, 0xff, 0xff, 0xff]); // 4 topics, then a name longer than the frame
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length);
  return Buffer.concat([size, header, body]);
};
mark = lenient.logs.length;
let passed = 0;
for (let i = 1; i <= 150; i++) {
  wc.sent[DOWNSTREAM] = [];
  const f = garbled(i);
  wc.feed(DOWNSTREAM, f);
  if (wc.output(DOWNSTREAM).equals(f)) passed++;
}
const warned = lenient.logs.slice(mark).filter((l) => l.level === 3 && l.msg.startsWith("kafka filter: passed on (onDecodeError: pass): request did not decode: "));
check("7: every garbled request is passed on (onDecodeError: pass)", passed === 150 && !wc.closed, `${passed} passed, closed ${wc.closed}`);
check("7: 100 warnings written in the second", warned.length === 100, String(warned.length));
check("7: every one counted", counter(lenient, "kafka.request_decode_errors") === 150n && counter(lenient, "kafka.warnings_not_logged") === 50n,
  `${counter(lenient, "kafka.request_decode_errors")} decode errors, ${counter(lenient, "kafka.warnings_not_logged")} not logged`);
mark = lenient.logs.length;
lenient.advance(1000);
const more = lenient.logs.slice(mark).filter((l) => l.level === 3).map((l) => l.msg);
check("7: the tick after the second says how many were not written and the last", more.length === 1 &&
  /^kafka filter: 50 more warnings not logged \(over 100 a second in this VM; their counters count them\); the last: kafka filter: passed on \(onDecodeError: pass\): request did not decode: /.test(more[0]),
  JSON.stringify(more));

done();
