// The filter caps ApiVersions: a client is only offered versions the filter's codecs can parse
// (`npx kafka-wasm apis`), so it never speaks a version the policy could not read.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Partitioners } from "kafkajs";
import { promisify } from "node:util";
import { e2e } from "./lib/harness";
import { PLAINTEXT, SASL, BROKER_DIRECT, ROOT, unique } from "./lib/env";
import { negotiatedVersions, client, type VersionTable } from "./lib/kafkajs";

interface CodecApi { apiKey: number; name: string; minVersion: number; maxVersion: number }

let codecApis: Map<number, CodecApi> | null = null;
async function codecs(): Promise<Map<number, CodecApi>> {
  if (codecApis === null) {
    // The CLI itself (bin/kafka-wasm.mjs), not npx: npx may consult the registry first.
    const { stdout } = await promisify(execFile)(process.execPath, ["bin/kafka-wasm.mjs", "apis"], { cwd: ROOT, timeout: 20_000 });
    codecApis = new Map((JSON.parse(stdout) as CodecApi[]).map((a) => [a.apiKey, a]));
  }
  return codecApis;
}

function table(v: VersionTable): Array<[number, number, number]> {
  return Object.entries(v).map(([k, r]) => [Number(k), r.minVersion, r.maxVersion] as [number, number, number]).sort((a, b) => a[0] - b[0]);
}

for (const [name, address] of [["PLAINTEXT", PLAINTEXT], ["SASL", SASL]] as const) {
  e2e(`kafkajs through Envoy (${name}) sees only versions within the codecs' range`, async (c) => {
    const known = await codecs();
    const seen = await negotiatedVersions([address]);
    const outside: string[] = [];
    for (const [key, lo, hi] of table(seen)) {
      const k = known.get(key);
      if (k === undefined) outside.push(`api key ${key} v${lo}-${hi}: unknown to the codecs`);
      else if (lo < k.minVersion || hi > k.maxVersion) outside.push(`${k.name} (${key}) v${lo}-${hi}: codecs know v${k.minVersion}-${k.maxVersion}`);
    }
    assert.deepEqual(outside, [], "every api key and version offered is one the filter can decode");
    assert.ok(seen[0] && seen[3] && seen[18], "Produce, Metadata and ApiVersions are offered");
    c.t.diagnostic(`${Object.keys(seen).length} api keys offered through ${address}`);
  });
}

e2e("the offered ranges are exactly the broker's ranges intersected with the codecs'", async (c) => {
  const known = await codecs();
  const broker = await negotiatedVersions([BROKER_DIRECT]); // the broker itself, bypassing Envoy
  const seen = await negotiatedVersions([PLAINTEXT]);
  const want: Array<[number, number, number]> = [];
  for (const [key, lo, hi] of table(broker)) {
    const k = known.get(key);
    if (k === undefined) continue;
    const l = Math.max(lo, k.minVersion), h = Math.min(hi, k.maxVersion);
    if (l <= h) want.push([key, l, h]);
  }
  assert.deepEqual(table(seen), want);
  const capped = table(broker).filter(([key, lo, hi]) => {
    const s = seen[key];
    return s === undefined || s.minVersion !== lo || s.maxVersion !== hi;
  });
  c.t.diagnostic(`${capped.length} of ${Object.keys(broker).length} broker api keys capped or dropped: ` +
    capped.map(([k, lo, hi]) => `${known.get(k)?.name ?? k} v${lo}-${hi}`).join(", "));
});

e2e("kafkajs requests use versions within the codecs' range", async (c) => {
  const known = await codecs();
  const anon = client("anonymous");
  const used = new Map<string, number>();
  const p = anon.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  c.cleanup(() => p.disconnect());
  p.on(p.events.REQUEST, (e) => { used.set(`${e.payload.apiName} (${e.payload.apiKey})`, e.payload.apiVersion); });
  await p.connect();
  await p.send({ topic: unique("e2e.open.", "versions"), messages: [{ value: "v" }] });
  const bad = [...used].filter(([n, v]) => {
    const key = Number(/\((\d+)\)$/.exec(n)![1]);
    const k = known.get(key);
    return k === undefined || v < k.minVersion || v > k.maxVersion;
  });
  assert.deepEqual(bad, []);
  c.t.diagnostic("kafkajs used: " + [...used].map(([n, v]) => `${n} v${v}`).join(", "));
});
