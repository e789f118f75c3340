// Audit mode end to end (issue 9 item 2): the same policy with "mode": "audit" lets a produce
// the policy refuses reach the broker, and logs and counts it as WOULD_DENY; protections
// against hostile clients (here: a frame over filter.maxFrameBytes) still hold; put back in
// enforce mode by a configuration reload, the same produce is refused again.
//
// The reload is the stack's own: `make envoy-up POLICY=...` renders the config again and
// restarts Envoy (lib/envoy.ts reloadPolicy). The file ends with test/e2e/policy.json in force.

import assert from "node:assert/strict";
import { after } from "node:test";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { e2e, type Ctx } from "./lib/harness";
import { unique, RUN, POLICY_FILE } from "./lib/env";
import { stats, delta, K, logMark, waitForLog, waitForAudit, reloadPolicy, brief } from "./lib/envoy";
import { Wire, ERR, produce, produceErrors, directAdmin, ensureTopics, highWatermark } from "./lib/attack";

const AUDIT_POLICY = join(tmpdir(), `kafka-wasm-audit-policy-${RUN}.json`);
writeFileSync(AUDIT_POLICY, JSON.stringify({ ...JSON.parse(readFileSync(POLICY_FILE, "utf8")), mode: "audit" }));

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

  await reloadPolicy(AUDIT_POLICY);
  let mark = logMark();
  assert.ok(await waitForLog(0, ["kafka filter configured", "mode=audit"], 5000), "Envoy runs the policy in audit mode");
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

  await reloadPolicy(POLICY_FILE);
  mark = logMark();
  assert.ok(await waitForLog(0, ["kafka filter configured", "mode=enforce"], 5000), "Envoy runs the policy in enforce mode again");
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
