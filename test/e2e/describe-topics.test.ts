// Kafka's own Admin.describeTopics (kafka-clients 4.4, as admin tools and UIs call it): against a
// 3.7+ broker it sends DescribeTopicPartitions, paging through partitions with a cursor. The
// filter decides the answers from their view (enforce/apis/topics.ts topicsFromView): topics
// refused, the policy's authorized operations written over the broker's, the broker's bytes
// otherwise. Through Envoy the principal must see exactly what Kafka's own authorizer shows it
// on the broker's listener, page by page.

import assert from "node:assert/strict";
import { join } from "node:path";
import { e2e } from "./lib/harness";
import { PLAINTEXT, BROKER_DIRECT, ROOT, unique } from "./lib/env";
import { directAdmin, ensureTopics } from "./lib/attack";
import { run } from "./lib/proc";

const CONSOLE_JARS = join(ROOT, ".cache", "clients", "console-4.4.0", "*");
const PROGRAM = join(ROOT, "test", "e2e", "clients", "admin", "DescribeTopics.java");

type Described = Record<string, { partitions?: Array<{ partition: number; leader: number }>; error?: string }>;

/** Admin.describeTopics of `topics` at `bootstrap`, `limit` partitions per answer. */
async function describe(bootstrap: string, limit: number, topics: string[]): Promise<Described> {
  const r = await run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, PROGRAM, bootstrap, String(limit), ...topics],
    { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`DescribeTopics at ${bootstrap} exited ${r.code}: ${r.stderr.slice(-800)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Described;
}

e2e("Admin.describeTopics through Envoy, paged a partition at a time and whole: what the broker's authorizer shows", async (c) => {
  const a = unique("e2e.describe.", "a"), b = unique("e2e.describe.", "b"), hidden = unique("secret.describe.", "c");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [a, b], 3);
  await ensureTopics(admin, [hidden], 2);
  const asked = [a, hidden, b, unique("e2e.describe.", "none")];
  for (const limit of [1, 2000]) {
    const [through, direct] = [await describe(PLAINTEXT, limit, asked), await describe(BROKER_DIRECT, limit, asked)];
    c.t.diagnostic(`limit ${limit}: ${JSON.stringify(through)}`);
    assert.deepEqual(through, direct, `limit ${limit}: through Envoy as on the broker's own listener`);
    assert.equal(through[a].partitions?.length, 3, `limit ${limit}: ${a} has its 3 partitions`);
    assert.equal(through[hidden].error, "TOPIC_AUTHORIZATION_FAILED", `limit ${limit}: ${hidden} is refused`);
  }
}, 180_000);
