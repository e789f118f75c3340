// Audit mode end to end (issue 9 item 2): the same policy with "mode": "audit" lets a produce
// the policy refuses reach the broker, and logs and counts it as WOULD_DENY; protections
// against hostile clients (here: a frame over filter.maxFrameBytes) still hold; put back in
// enforce mode by a configuration reload, the same produce is refused again.
//
// The reload is an operator's: the stack's Envoy takes its listeners (and so the filter's plugin
// configuration, the policy) from LDS, a file it watches; `make envoy-reload POLICY=...` renames
// a new listeners file over it and waits for Envoy's listener_manager.lds.update_success
// (lib/envoy.ts reloadPolicy). Envoy keeps running (same pid). A connection opened before the
// reload keeps its old filter chain (the old policy) until Envoy drains it (--drain-time-s), then
// is closed. A policy the filter refuses makes Envoy reject the listeners (lds.update_rejected)
// and the previous policy stays in force. The file ends with test/e2e/policy.json in force.

import assert from "node:assert/strict";
import { after } from "node:test";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { e2e, type Ctx } from "./lib/harness";
import { unique, RUN, POLICY_FILE } from "./lib/env";
import { stats, delta, K, logMark, logSince, waitForLog, waitForAudit, reloadPolicy, tryReloadPolicy, drainTimeMs, brief } from "./lib/envoy";
import { Wire, ERR, produce, produceErrors, directAdmin, ensureTopics, highWatermark } from "./lib/attack";
import { envoyPid } from "../bench/lib/envoy";

const BASE_POLICY = JSON.parse(readFileSync(POLICY_FILE, "utf8")) as { acls: Array<Record<string, unknown>> };
const AUDIT_POLICY = join(tmpdir(), `kafka-wasm-audit-policy-${RUN}.json`);
writeFileSync(AUDIT_POLICY, JSON.stringify({ ...BASE_POLICY, mode: "audit" }));
/** Valid JSON the filter's validator refuses (its proxy_on_configure returns false). */
const REFUSED_POLICY = join(tmpdir(), `kafka-wasm-refused-policy-${RUN}.json`);
writeFileSync(REFUSED_POLICY, JSON.stringify({ ...BASE_POLICY, acls: [{ ...BASE_POLICY.acls[0], operation: "WRIT" }, ...BASE_POLICY.acls.slice(1)] }));

/** Envoy's LDS counters (listener_manager.lds.update_*). */
const LDS = (name: "update_success" | "update_rejected"): string => `listener_manager.lds.${name}`;
const ldsStats = () => stats("^listener_manager\\.lds\\.update_");

/** Reloads `policyFile` into the running Envoy: it must load it (lds.update_success +1) in the same process. */
async function reloadInPlace(c: Ctx, policyFile: string, what: string): Promise<void> {
  const pid = envoyPid();
  const before = await ldsStats();
  const lines = await reloadPolicy(policyFile);
  const after = await ldsStats();
  for (const l of lines.filter((l) => /lds\.update_|reloaded/.test(l))) c.t.diagnostic(`${what}: ${l}`);
  assert.equal(delta(before, after, LDS("update_success")), 1, `${what}: Envoy loaded the new listeners (lds.update_success +1)`);
  assert.equal(delta(before, after, LDS("update_rejected")), 0);
  assert.equal(envoyPid(), pid, `${what}: the same Envoy process (pid ${pid}) runs on`);
  c.t.diagnostic(`${what}: Envoy pid ${pid} before and ${envoyPid()} after the reload`);
}

after(() => reloadPolicy(POLICY_FILE), { timeout: 150_000 });

/** Produces one record to `topic` on a fresh PLAINTEXT connection (ANONYMOUS); the partition's error code. */
async function produceOnce(c: Ctx, topic: string): Promise<number> {
  const w = await Wire.for(c, "plaintext");
  await w.send(await produce(1, topic));
  const f = await w.next(10_000);
  assert.ok(f !== null, `an answer to the produce (closed: ${w.closed})`);
  const [error] = await produceErrors(f);
  w.destroy();
  return error;
}

e2e("audit mode: a produce the policy refuses reaches the broker, logged and counted as would-deny; back in enforce mode it is refused", async (c) => {
  const admin = await directAdmin(c);
  // ANONYMOUS may not write e2e.readonly.* (test/e2e/policy.json: acls[3], DENY WRITE).
  const topic = unique("e2e.readonly.", "audit");
  await ensureTopics(admin, [topic]);

  // A client connected before the reload, in enforce mode.
  const early = await Wire.for(c, "plaintext");
  await early.send(await produce(1, topic));
  const first = await early.next(10_000);
  assert.ok(first !== null, "the early connection is answered");
  assert.equal((await produceErrors(first))[0], ERR.TOPIC_AUTHORIZATION_FAILED, "enforce mode: refused");

  let mark = logMark();
  await reloadInPlace(c, AUDIT_POLICY, "enforce -> audit");
  const reloadedAt = Date.now();
  assert.ok(await waitForLog(mark, ["kafka filter configured", "mode=audit"], 5000), "Envoy runs the policy in audit mode");

  // The early connection keeps the filter chain it was accepted with (enforce mode) while Envoy
  // drains it, then Envoy closes it.
  await early.send(await produce(2, topic));
  const second = await early.next(5000);
  assert.ok(second !== null, `the early connection is still served after the reload (closed: ${early.closed})`);
  assert.equal((await produceErrors(second))[0], ERR.TOPIC_AUTHORIZATION_FAILED,
    "a connection opened before the reload keeps the old policy (enforce mode) until drained");
  assert.equal(await highWatermark(admin, topic), 0, "nothing reached the broker through the early connection");
  const drain = await drainTimeMs();
  assert.ok(await early.waitClosed(drain + 5000), `Envoy closes the early connection once drained (--drain-time-s ${drain / 1000})`);
  const closedAfter = early.closedAt - reloadedAt;
  c.t.diagnostic(`connection opened before the reload: refused as in enforce mode after it, closed by Envoy ${closedAfter} ms after the reload returned (drain time ${drain} ms)`);
  assert.ok(closedAfter <= drain + 2000, `closed within the drain time (${closedAfter} ms)`);

  mark = logMark();
  const before = await stats();
  assert.equal(await produceOnce(c, topic), ERR.NONE, "audit mode: the broker took the record");
  assert.equal(await highWatermark(admin, topic), 1, "the record is at the broker");
  const would = await waitForAudit(mark, (r) => r.resourceName === topic);
  assert.ok(would !== null, "an audit line names the topic");
  c.t.diagnostic(`audit line: ${JSON.stringify(would)}`);
  assert.equal(would.decision, "WOULD_DENY");
  assert.equal(would.mode, "audit");
  assert.equal(would.principal, "User:ANONYMOUS");
  assert.equal(would.listener, "kafka-plaintext");
  assert.equal(would.api, "Produce");
  assert.equal(would.resourceType, "TOPIC");
  assert.equal(would.operation, "WRITE");
  assert.equal(would.acl, "acls[3]", "the DENY ACL decided");
  assert.equal(would.error, "TOPIC_AUTHORIZATION_FAILED", "the error enforce mode would have sent");
  assert.match(would.clientAddress, /^127\.0\.0\.1:\d+$/);
  const text = await waitForLog(mark, ["would deny Produce", `TOPIC:${topic}`]);
  assert.ok(text !== null, "and the operator's line says 'would deny'");
  const afterAudit = await stats();
  assert.equal(delta(before, afterAudit, K("audit.would_deny.topic_authorization_failed")), 1, "counted as would-deny");
  assert.equal(delta(before, afterAudit, K("audit.would_deny_total")), 1);
  assert.equal(delta(before, afterAudit, K("decisions.would_deny.produce.topic_authorization_failed._other")), 1,
    "per API, error and topic (a topic only refusals named shares _other)");
  assert.equal(delta(before, afterAudit, K("denials_total")), 0, "nothing was denied");

  // Not policy: a frame over filter.maxFrameBytes still closes its connection in audit mode.
  const big = await Wire.for(c, "plaintext");
  const claim = Buffer.alloc(14);
  claim.writeInt32BE(200 * 1024 * 1024, 0);
  await big.send(claim);
  assert.ok(await big.waitClosed(5000), "a 200 MiB frame claim is refused in audit mode too");

  mark = logMark();
  await reloadInPlace(c, POLICY_FILE, "audit -> enforce");
  assert.ok(await waitForLog(mark, ["kafka filter configured", "mode=enforce"], 5000), "Envoy runs the policy in enforce mode again");
  assert.equal(await produceOnce(c, topic), ERR.TOPIC_AUTHORIZATION_FAILED, "enforce mode: refused");
  assert.equal(await highWatermark(admin, topic), 1, "nothing more reached the broker");
  const denied = await waitForAudit(mark, (r) => r.resourceName === topic);
  assert.ok(denied !== null, "an audit line names the topic");
  c.t.diagnostic(`audit line: ${brief(JSON.stringify(denied))}`);
  assert.equal(denied.decision, "DENIED");
  assert.equal(denied.mode, "enforce");
  assert.equal(denied.acl, "acls[3]");
  assert.equal(denied.error, "TOPIC_AUTHORIZATION_FAILED");
}, 240_000);

e2e("a policy the filter refuses on reload: Envoy rejects the listeners (lds.update_rejected) and the previous policy (audit mode) stays in force", async (c) => {
  const admin = await directAdmin(c);
  const topic = unique("e2e.readonly.", "audit-kept");
  await ensureTopics(admin, [topic]);
  await reloadInPlace(c, AUDIT_POLICY, "enforce -> audit");

  const pid = envoyPid();
  const mark = logMark();
  const before = await ldsStats();
  const r = await tryReloadPolicy(REFUSED_POLICY);
  const after = await ldsStats();
  for (const l of r.lines.filter((l) => /lds\.update_|refused|previous|reloading/.test(l))) c.t.diagnostic(`refused reload: ${l}`);
  assert.equal(r.ok, false, "make envoy-reload fails");
  assert.ok(delta(before, after, LDS("update_rejected")) >= 1, "Envoy rejected the listeners (lds.update_rejected)");
  assert.equal(envoyPid(), pid, "the same Envoy process runs on");
  const refused = logSince(mark).find((l) => l.includes("kafka filter: configuration refused") && l.includes('unknown operation "WRIT"'));
  assert.ok(refused !== undefined, "the filter says why it refused the policy");
  c.t.diagnostic(`refused reload: ${brief(refused)}`);
  const rejected = logSince(mark).find((l) => /lds: listener 'kafka_plaintext' config rejected/.test(l));
  assert.ok(rejected !== undefined, "Envoy says it rejected the listener");
  c.t.diagnostic(`refused reload: ${rejected.replace(/^.*\]\[warning\]\[upstream\] \[[^\]]*\] /, "")}`);

  // Still audit mode, on new connections.
  const kept = logMark();
  assert.equal(await produceOnce(c, topic), ERR.NONE, "the previous policy (audit mode) is in force: the broker took the record");
  assert.equal(await highWatermark(admin, topic), 1);
  const would = await waitForAudit(kept, (a) => a.resourceName === topic);
  assert.ok(would !== null && would.decision === "WOULD_DENY" && would.mode === "audit", "logged as would-deny in audit mode");
  c.t.diagnostic(`after the refused reload: ${would.decision} mode=${would.mode} ${would.resourceType}:${would.resourceName}`);

  await reloadInPlace(c, POLICY_FILE, "audit -> enforce");
  assert.equal(await produceOnce(c, topic), ERR.TOPIC_AUTHORIZATION_FAILED, "enforce mode again: refused");
}, 120_000);
