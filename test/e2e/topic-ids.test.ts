// Topic ids across Envoy workers and Envoy processes (issue 7 item 2), with franz-go, the client
// of the report: Produce v13 and Fetch v13+ name topics by 16-byte id only.
//
// - One Envoy, several workers (one Wasm VM each): the first Envoy (`make up`, --concurrency 2 by
//   default, `make up ENVOY_CONCURRENCY=4`) and a second Envoy process with --concurrency 4
//   (`make envoy-b-up`, started and stopped by this file; `make down` stops it too). franz-go
//   creates N fresh topics, produces one record to each at once (by id), reads each back.
//   Before ids were shared between VMs, 3 of 6 such topics failed with UNKNOWN_TOPIC_ID.
// - Two Envoys: topics created and described through Envoy B; franz-go bootstraps there, and the
//   broker advertises the first Envoy (127.0.0.1:19092), so its Produce and Fetch by id reach
//   Envoy A, which has never seen those ids. A asks the broker on the client's connection
//   (kafka.topic_id_lookups) and answers that attempt UNKNOWN_TOPIC_ID (retriable); the retry
//   must succeed. A topic the policy denies stays denied (TOPIC_AUTHORIZATION_FAILED) by id too.
// What franz-go did underneath (Produce requests per topic, errors it retried, request versions)
// comes from its own debug log, through the driver (test/e2e/clients/franz-go, `make clients`).

import assert from "node:assert/strict";
import { before, after } from "node:test";
import { join } from "node:path";
import { e2e, type Ctx } from "./lib/harness";
import {
  PLAINTEXT, PLAINTEXT_B, ENVOY_ADMIN, ENVOY_B_ADMIN, ENVOY_LOG, ENVOY_B_LOG, BROKER_DIRECT, ROOT, RUN, unique,
} from "./lib/env";
import { stats, stat, K, concurrency, logMark, filterLogSince, brief } from "./lib/envoy";
import { negotiatedVersions } from "./lib/kafkajs";
import { run } from "./lib/proc";

const FRANZ = join(ROOT, ".cache", "clients", "franz-go");
const STEP_TIMEOUT_MS = 20_000;
const TEST_MS = 240_000;
/** Fresh topics per scenario, as in the report. */
const N = 6;
const TAF = "TOPIC_AUTHORIZATION_FAILED";

interface Envoy { name: string; admin: string; plaintext: string; log: string }
const A: Envoy = { name: "Envoy A", admin: ENVOY_ADMIN, plaintext: PLAINTEXT, log: ENVOY_LOG };
const B: Envoy = { name: "Envoy B", admin: ENVOY_B_ADMIN, plaintext: PLAINTEXT_B, log: ENVOY_B_LOG };

async function make(target: string): Promise<void> {
  const r = await run("make", ["--no-print-directory", target], { timeoutMs: 90_000, cwd: ROOT });
  if (r.code !== 0) throw new Error(`make ${target}: exit ${r.code}${r.timedOut ? " (timed out)" : ""}: ${r.stderr.slice(-2000)}`);
}

before(() => make("envoy-b-up"), { timeout: 100_000 });
after(() => make("envoy-b-down"), { timeout: 100_000 });

// ---------------------------------------------------------------------------------------
// The franz-go driver's steps (test/e2e/clients/README.md)

type Requests = Record<string, number>;
interface TopicResult { ok: boolean; attempts: number; errors: string[]; error?: string; message?: string }
interface Out {
  op: string; ok: boolean; error?: string; message?: string;
  ids?: Record<string, string>; topics?: Record<string, TopicResult>; values?: string[]; stripped?: string[];
  requests?: Requests;
}

async function franz(steps: string[]): Promise<Out[]> {
  const r = await run(FRANZ, steps, {
    timeoutMs: steps.length * (STEP_TIMEOUT_MS + 10_000), env: { MATRIX_TIMEOUT_MS: String(STEP_TIMEOUT_MS) },
  });
  const out = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Out);
  assert.equal(out.length, steps.length,
    `franz-go driver answered ${out.length} of ${steps.length} steps (exit ${r.code}${r.timedOut ? ", killed" : ""}): ${r.stderr.slice(-800)}`);
  return out;
}

const lookups = async (e: Envoy): Promise<number> =>
  stat(await stats("wasmcustom\\.kafka\\.topic_id_lookups", e.admin), K("topic_id_lookups"));

/** Request versions franz-go wrote for `api` ("Produce"), e.g. [13]. */
const versions = (o: Out, api: string): number[] =>
  Object.keys(o.requests ?? {}).filter((k) => k.startsWith(api + " v")).map((k) => Number(k.slice(api.length + 2)));

/** The broker's highest version of an api key, asked directly (no Envoy in between). */
let brokerApis: ReturnType<typeof negotiatedVersions> | null = null;
async function brokerMax(key: number): Promise<number> {
  brokerApis ??= negotiatedVersions([BROKER_DIRECT]);
  return (await brokerApis)[key]?.maxVersion ?? -1;
}

/** One line per topic of a produce-each step (and the fetch that read it back, if any). */
function report(c: Ctx, produced: Out, fetched: Map<string, Out> = new Map()): void {
  for (const [topic, r] of Object.entries(produced.topics ?? {})) {
    const f = fetched.get(topic);
    const fetch = f === undefined ? "" : `; fetch ${f.ok ? `ok ${JSON.stringify(f.values)}` : `FAILED ${f.error}`}` +
      ` (${Object.entries(f.requests ?? {}).filter(([k]) => k.startsWith("Fetch")).map(([k, n]) => `${k} x${n}`).join(", ")}` +
      `${f.stripped?.length ? `; retried: ${f.stripped.join(" | ")}` : ""})`;
    c.t.diagnostic(`  ${topic}: produce attempts=${r.attempts} errors=[${r.errors.join(",")}] ` +
      `${r.ok ? "ok" : `FAILED ${r.error}`}${fetch}`);
  }
}

/** Runs `fn`; when it throws, prints the filter's lines of Envoy B's log since `mark` first. */
async function withEnvoyBLog(c: Ctx, mark: number, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const lines = filterLogSince(mark, B.log);
    c.t.diagnostic(`Envoy B's filter log lines during this test (${lines.length}):`);
    for (const l of lines.slice(-25)) c.t.diagnostic("  " + brief(l));
    throw e;
  }
}

function assertProduced(o: Out, topics: string[], envoy: string): void {
  for (const t of topics) {
    const r = o.topics?.[t];
    assert.ok(r !== undefined, `${t}: no result (${o.error ?? ""} ${o.message ?? ""})`);
    assert.ok(r.ok, `${t}: franz-go's produce through ${envoy} failed with ${r.error}: ${r.message} (after ${r.attempts} Produce requests, errors ${r.errors.join(",")})`);
  }
}

function assertFetched(o: Out, topic: string, value: string, envoy: string): void {
  assert.ok(o.ok, `${topic}: fetch through ${envoy} failed with ${o.error}: ${o.message}`);
  assert.deepEqual(o.values, [value], `${topic}: the record produced is read back through ${envoy}`);
}

function assertDenied(o: { ok: boolean; error?: string; message?: string } | undefined, what: string): void {
  assert.ok(o !== undefined, `${what}: no result`);
  assert.equal(o.ok, false, `${what} must be refused`);
  assert.equal(o.error, TAF, `${what}: ${o.message}`);
}

// ---------------------------------------------------------------------------------------

for (const e of [A, B]) {
  e2e(`${e.name} alone (its workers): ${N} fresh topics created by franz-go, produced to at once by topic id, each read back; a denied topic stays denied`, async (c) => {
    const workers = await concurrency(e.admin);
    // Envoy B's listener sends clients to Envoy A's address: "+pin" keeps every connection on B.
    const conn = e === A ? `@${e.plaintext}` : `@${e.plaintext}+pin`;
    const topics = Array.from({ length: N }, () => unique("e2e.ids.", "franz"));
    const denied = unique("e2e.readonly.ids.", "franz");
    const value = `by-id-${RUN}`;
    const markB = logMark(B.log);
    const before = await lookups(e);
    const [created, produced, ...fetched] = await franz([
      `create|${conn}|${[...topics, denied].join(",")}`,
      `produce-each|${conn}|${[...topics, denied].join(",")}|${value}`,
      ...topics.map((t) => `fetch|${conn}|${t}|1`),
    ]);
    const n = (await lookups(e)) - before;
    c.t.diagnostic(`${e.name} (--concurrency ${workers}): kafka.topic_id_lookups +${n}; Produce versions ${versions(produced, "Produce")}`);
    report(c, produced, new Map(topics.map((t, i) => [t, fetched[i]])));
    await withEnvoyBLog(c, markB, async () => {
      assert.ok(created.ok, `create: ${created.error}: ${created.message}`);
      if (await brokerMax(0) >= 13) assert.ok(versions(produced, "Produce").includes(13), "franz-go produced by topic id (Produce v13)");
      assertProduced(produced, topics, e.name);
      topics.forEach((t, i) => assertFetched(fetched[i], t, value, e.name));
      assertDenied(produced.topics?.[denied], `produce to ${denied}`);
    });
  }, TEST_MS);
}

e2e(`two Envoys: topics created and described through Envoy B, produced and fetched by topic id through Envoy A, which never saw them; denials hold by id`, async (c) => {
  const pinB = `@${B.plaintext}+pin`; // every connection on B
  const viaB = `@${B.plaintext}`; // Metadata through B, the partition leader (127.0.0.1:19092) through A
  const topics = Array.from({ length: N }, () => unique("e2e.ids.", "cross"));
  const fetchTopics = Array.from({ length: 2 }, () => unique("e2e.ids.", "cross-fetch"));
  const denied = unique("e2e.readonly.ids.", "cross");
  const writeOnly = unique("e2e.writeonly.ids.", "cross");
  const value = `cross-${RUN}`;
  const markB = logMark(B.log);
  const produceById = (await brokerMax(0)) >= 13;

  // Only Envoy B sees these topics: created there, described there, and the fetch tests' records written there.
  const a0 = await lookups(A);
  const [created, seeded] = await franz([
    `create|${pinB}|${[...topics, ...fetchTopics, denied, writeOnly].join(",")}`,
    `produce-each|${pinB}|${[...fetchTopics, writeOnly].join(",")}|${value}`,
  ]);
  const a1 = await lookups(A);

  // Produce by id: Metadata answered through B, Produce v13 sent to A; the denied topic in the same request.
  const [produced] = await franz([`produce-each|${viaB}|${[...topics, denied].join(",")}|${value}`]);
  const a2 = await lookups(A);

  // Fetch by id through A of topics only B has seen; then what the produce step wrote, read back through A.
  const fetched = await franz([
    ...fetchTopics.map((t) => `fetch|${viaB}|${t}|1`),
    `fetch|${viaB}|${writeOnly}|1`,
    ...topics.map((t) => `fetch|@${A.plaintext}|${t}|1`),
  ]);
  const a3 = await lookups(A);
  const fetchedCross = fetched.slice(0, fetchTopics.length);
  const fetchedDenied = fetched[fetchTopics.length];
  const fetchedBack = fetched.slice(fetchTopics.length + 1);

  c.t.diagnostic(`Envoy A --concurrency ${await concurrency(A.admin)}, Envoy B --concurrency ${await concurrency(B.admin)}`);
  c.t.diagnostic(`Envoy A kafka.topic_id_lookups: +${a1 - a0} while only B was used, +${a2 - a1} for the produce steps, +${a3 - a2} for the fetch steps`);
  c.t.diagnostic(`produce through A, metadata from B (Produce versions ${versions(produced, "Produce")}); read back through A:`);
  report(c, produced, new Map(topics.map((t, i) => [t, fetchedBack[i]])));
  c.t.diagnostic(`written through B only; fetch through A, metadata from B (Fetch versions ${versions(fetchedCross[0], "Fetch")}):`);
  report(c, seeded, new Map([...fetchTopics.map((t, i): [string, Out] => [t, fetchedCross[i]]), [writeOnly, fetchedDenied]]));

  await withEnvoyBLog(c, markB, async () => {
    assert.ok(created.ok, `create through B: ${created.error}: ${created.message}`);
    assertProduced(seeded, [...fetchTopics, writeOnly], "Envoy B");
    assert.equal(a1 - a0, 0, "Envoy A took no part while the client was pinned to Envoy B");

    if (produceById) {
      assert.ok(versions(produced, "Produce").includes(13), "franz-go produced by topic id (Produce v13)");
      // The case under test happened: A met ids it had never seen and asked the broker.
      assert.ok(a2 - a1 >= 1, `Envoy A looked topic ids up for the produce (kafka.topic_id_lookups +${a2 - a1})`);
    }
    assertProduced(produced, topics, "Envoy A (metadata from Envoy B)");
    assertDenied(produced.topics?.[denied], `produce by id to ${denied} through Envoy A`);

    assert.ok(versions(fetchedCross[0], "Fetch").some((v) => v >= 13), "franz-go fetched by topic id (Fetch v13+)");
    assert.ok(a3 - a2 >= 1, `Envoy A looked topic ids up for the fetch (kafka.topic_id_lookups +${a3 - a2})`);
    fetchTopics.forEach((t, i) => assertFetched(fetchedCross[i], t, value, "Envoy A (metadata from Envoy B)"));
    assertDenied(fetchedDenied, `fetch by id of ${writeOnly} through Envoy A`);
    topics.forEach((t, i) => assertFetched(fetchedBack[i], t, value, "Envoy A"));
  });
}, TEST_MS);
