// Kafka's own Admin.describeTopics (kafka-clients 4.4, as admin tools and UIs call it): against a
// 3.7+ broker it sends DescribeTopicPartitions, paging through partitions with a cursor. The
// filter decides the answers from their view (enforce/apis/topics.ts topicsFromView): topics
// refused, the policy's authorized operations written over the broker's, the broker's bytes
// otherwise. Through Envoy the principal sees what the broker itself answers (on its INTERNAL
// listener: no Envoy, no filter, no authorizer), but for the topics it may not DESCRIBE, refused
// with TOPIC_AUTHORIZATION_FAILED as Kafka's authorizer refuses them; page by page and whole.

import assert from "node:assert/strict";
import { join } from "node:path";
import { e2e } from "./lib/harness";
import { PLAINTEXT, BROKER_INTERNAL, ROOT, unique } from "./lib/env";
import { directAdmin, ensureTopics } from "./lib/attack";
import { CONSOLE_JARS } from "./lib/drivers";
import { run } from "./lib/proc";

const PROGRAM = join(ROOT, "test", "e2e", "clients", "admin", "DescribeTopics.java");

type Described = Record<string, { partitions?: Array<{ partition: number; leader: number }>; error?: string }>;

/** Admin.describeTopics of `topics` at `bootstrap`, `limit` partitions per answer. */
async function describe(bootstrap: string, limit: number, topics: string[]): Promise<Described> {
  const r = await run("java", ["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", CONSOLE_JARS, PROGRAM, bootstrap, String(limit), ...topics],
    { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`DescribeTopics at ${bootstrap} exited ${r.code}: ${r.stderr.slice(-800)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Described;
}

e2e("Admin.describeTopics through Envoy, paged a partition at a time and whole: the broker's answer less what the principal may not see", async (c) => {
  const a = unique("e2e.describe.", "a"), b = unique("e2e.describe.", "b"), hidden = unique("secret.describe.", "c");
  const admin = await directAdmin(c);
  await ensureTopics(admin, [a, b], 3);
  await ensureTopics(admin, [hidden], 2);
  const asked = [a, hidden, b, unique("e2e.describe.", "none")];
  for (const limit of [1, 2000]) {
    const [through, direct] = [await describe(PLAINTEXT, limit, asked), await describe(BROKER_INTERNAL, limit, asked)];
    c.t.diagnostic(`limit ${limit}: through Envoy ${JSON.stringify(through)}`);
    assert.equal(direct[hidden].partitions?.length, 2, `limit ${limit}: the broker itself describes ${hidden}`);
    assert.equal(direct[a].partitions?.length, 3, `limit ${limit}: the broker itself describes ${a}'s 3 partitions`);
    assert.deepEqual(through, { ...direct, [hidden]: { error: "TOPIC_AUTHORIZATION_FAILED" } },
      `limit ${limit}: through Envoy, the broker's answer with ${hidden} refused`);
  }
}, 180_000);
