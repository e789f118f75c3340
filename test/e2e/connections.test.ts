// Many clients at once. Each client connection is one upstream connection to its broker, so
// what bounds the clients Envoy serves is the broker clusters' circuit breakers (envoy/envoy.yaml).
// At Envoy's defaults (1,024 connections) every client past the 1,024th was reset, answered
// nothing, and counted in cluster.<name>.upstream_cx_overflow: a busy cluster's operator would
// see clients fail only in production. Every connection here stays open until all are answered.

import assert from "node:assert/strict";
import { e2e } from "./lib/harness";
import { stats, delta } from "./lib/envoy";
import { Wire, apiVersions, corrOf } from "./lib/attack";

const CLIENTS = 1200;
const AT_ONCE = 100;
const OVERFLOW = "cluster.kafka_plaintext.upstream_cx_overflow";

e2e(`${CLIENTS} client connections open at once through one listener: each is answered, none reset`, async (c) => {
  const before = await stats("upstream_cx_overflow|downstream_cx_total");
  const request = await apiVersions(1);
  const wires: Wire[] = [];
  const answered: boolean[] = [];
  for (let first = 0; first < CLIENTS; first += AT_ONCE) {
    const batch = await Promise.all(Array.from({ length: Math.min(AT_ONCE, CLIENTS - first) }, () => Wire.for(c, "plaintext")));
    wires.push(...batch);
    const frames = await Promise.all(batch.map(async (w) => {
      await w.send(request);
      return w.next(10_000).catch(() => null);
    }));
    answered.push(...frames.map((f) => f !== null && corrOf(f) === 1));
  }
  const closed = wires.filter((w) => w.closed).length;
  const after = await stats("upstream_cx_overflow|downstream_cx_total");
  const overflow = delta(before, after, OVERFLOW);
  c.t.diagnostic(`${answered.filter(Boolean).length} of ${CLIENTS} answered, ${closed} closed, ${overflow} upstream overflows`);
  assert.equal(overflow, 0, `${OVERFLOW}: Envoy refused ${overflow} upstream connections`);
  assert.equal(answered.filter((a) => !a).length, 0, `connections not answered: first at ${answered.indexOf(false)}`);
  assert.equal(closed, 0, "no connection closed while all are open");
}, 120_000);
