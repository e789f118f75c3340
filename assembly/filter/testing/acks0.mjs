// A refused Produce with acks=0, under the mock Envoy host. The broker never answers acks=0,
// so Kafka refuses one by closing the connection; it reads one request of a connection at a
// time, so the requests before it have their answers first. The filter closed at once (55a8663
// and before), and a client's answers still on their way from the broker were lost.
// Now:
//   - with requests before it still unanswered, nothing of it nor after it reaches the broker,
//     the connection stays open until those answers have reached the client, in order, and
//     closes at the next tick after the last;
//   - with nothing unanswered, it closes at once, as before;
//   - an allowed acks=0 Produce goes on, and the connection stays open.
//
//   node assembly/filter/testing/acks0.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { batch, metadata, metadataResponse, produceTopics } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();

const POLICY = JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [{ principal: "User:*", host: "*", resourceType: "TOPIC", resourceName: "ok.", resourcePatternType: "PREFIXED", operation: "ALL", permissionType: "ALLOW" }],
});
const acks0 = (corr, topic) => produceTopics(corr, [[topic, [batch(1, 10)]]], { acks: 0 });
const corrsOf = (b) => {
  const out = [];
  for (let at = 0; at + 8 <= b.length; at += 4 + b.readInt32BE(at)) out.push(b.readInt32BE(at + 4));
  return out;
};

function start() {
  const h = new Host(WASM, { config: POLICY });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-1)));
  return h;
}

// Two Metadata requests in flight, then a refused acks=0 Produce, then another Metadata.
{
  const h = start();
  const c = h.connect(7);
  c.feed(DOWNSTREAM, Buffer.concat([metadata(1, "ok.a"), metadata(2, "ok.b")]));
  const before = c.output(DOWNSTREAM).length;
  c.feed(DOWNSTREAM, Buffer.concat([acks0(3, "secret.t"), metadata(4, "ok.c")]));
  check("the refused acks=0 Produce and what follows it do not reach the broker", c.output(DOWNSTREAM).length === before,
    `${c.output(DOWNSTREAM).length - before} more bytes`);
  check("the connection stays open while answers are on their way", !c.closed);
  c.feed(UPSTREAM, metadataResponse(1, "ok.a", Buffer.alloc(16, 1)));
  h.advance(1500);
  check("one answer still on its way: still open after a tick", !c.closed);
  c.feed(UPSTREAM, metadataResponse(2, "ok.b", Buffer.alloc(16, 2)));
  check("the answers reach the client, in order", JSON.stringify(corrsOf(c.output(UPSTREAM))) === "[1,2]", JSON.stringify(corrsOf(c.output(UPSTREAM))));
  check("not closed from the callback that passed the last answer", !c.closed);
  c.feed(DOWNSTREAM, metadata(5, "ok.d"));
  check("bytes the client sends meanwhile do not reach the broker", c.output(DOWNSTREAM).length === before);
  h.advance(1500);
  check("closed at the next tick", c.closed);
  check("the close says why", h.logs.some((l) => l.msg.includes("refused Produce with acks=0")), JSON.stringify(h.logs.slice(-2).map((l) => l.msg)));
  check("the refusal is logged as one", h.logs.some((l) => /denied Produce .*secret\.t/.test(l.msg)), JSON.stringify(h.logs.map((l) => l.msg)));
}

// Nothing unanswered: closed at once.
{
  const h = start();
  const c = h.connect(7);
  c.feed(DOWNSTREAM, acks0(1, "secret.t"));
  check("with nothing unanswered, a refused acks=0 Produce closes at once", c.closed && c.output(DOWNSTREAM).length === 0);
}

// Allowed: goes on, and the connection with it.
{
  const h = start();
  const c = h.connect(7);
  const p = acks0(1, "ok.t");
  c.feed(DOWNSTREAM, p);
  c.feed(DOWNSTREAM, metadata(2, "ok.a"));
  c.feed(UPSTREAM, metadataResponse(2, "ok.a", Buffer.alloc(16, 1)));
  h.advance(1500);
  check("an allowed acks=0 Produce goes on, the connection open", c.output(DOWNSTREAM).subarray(0, p.length).equals(p) && !c.closed &&
    JSON.stringify(corrsOf(c.output(UPSTREAM))) === "[2]");
}

{
  // Refused by limits.apis rather than by an ACL: the same (its answer was dropped, nothing sent
  // on, the connection left open: the client took its records as written; a review's finding).
  const h = new Host(WASM, { config: JSON.stringify({ allowEveryoneIfNoAclFound: true, limits: { apis: { deny: ["Produce"] } } }) });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-2)));
  const c = h.connect(4);
  c.feed(DOWNSTREAM, acks0(1, "t"));
  h.advance(1500);
  check("an acks=0 Produce refused by limits.apis closes the connection, nothing sent on",
    c.closed && c.output(DOWNSTREAM).length === 0 && h.logs.some((l) => /denied Produce/.test(l.msg)), JSON.stringify(h.logs.slice(-2).map((l) => l.msg)));
}

done();
