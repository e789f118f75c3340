// The corpus's hand-made requests (test/corpus/README.md): what Kafka's request parsing accepts
// beyond what the generated codecs write, so what the filter must accept too. Each is built
// with build/codecs.wasm, sent to the broker's own PLAINTEXT listener (no Envoy) on a fresh
// connection, and written to the corpus file named on the command line with the broker's verdict
// for its Kafka version (the verdicts of other versions already in the file are kept).
//
//   node --import tsx test/corpus/handmade.ts send test/corpus/frames/handmade.jsonl 4.4.0
// (the stack must be up: make corpus-capture runs it)

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadCodecs } from "../lib/codecs";
import { brokerVerdict } from "./broker";

const CLIENT_ID = "corpus-handmade";
const TOPIC = "e2e.corpus.handmade";
/** A tagged field no version of Kafka defines at these places (tags are per struct). */
const unknownTag = (tag: number, data: number[]) => ({ tag, data: Buffer.from(data).toString("base64") });

interface Variant {
  name: string; apiKey: number; version: number; header: object; body: object; trailing?: number[];
  /** Where the unknown tagged fields are, as the sweep reports them (decode.ts unknownTaggedFields). */
  unknownTaggedFields?: string[];
  why: string;
}

const VARIANTS: Variant[] = [
  {
    name: "trailing-3-flexible", apiKey: 3, version: 12, header: {}, trailing: [0, 0, 0],
    body: { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
    why: "3 bytes after a flexible body, as librdkafka 2.16 sends them with Metadata v13 (issue 7)",
  },
  {
    name: "trailing-2-classic", apiKey: 3, version: 4, header: {}, trailing: [0xde, 0xad],
    body: { topics: [{ name: TOPIC }], allowAutoTopicCreation: false },
    why: "2 bytes after a non-flexible body that names a topic",
  },
  {
    name: "unknown-tags-header-body-entry", apiKey: 3, version: 12,
    header: { _unknownTaggedFields: [unknownTag(7, [1, 2, 3])] }, unknownTaggedFields: ["header", "body.topics[]", "body"],
    body: {
      topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: TOPIC, _unknownTaggedFields: [unknownTag(5, [9])] }],
      allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false,
      _unknownTaggedFields: [unknownTag(9, [4, 5]), unknownTag(200, [])],
    },
    why: "unknown tagged fields in the request header, the body and a topic entry",
  },
  {
    name: "unknown-tags-apiversions", apiKey: 18, version: 3,
    header: { _unknownTaggedFields: [unknownTag(1, [0])] }, unknownTaggedFields: ["header", "body"],
    body: { clientSoftwareName: CLIENT_ID, clientSoftwareVersion: "1", _unknownTaggedFields: [unknownTag(3, [1])] },
    why: "unknown tagged fields in ApiVersions, the first request of every connection",
  },
];

async function main(): Promise<void> {
  const [mode, out, kafka] = process.argv.slice(2);
  if (mode !== "send" || kafka === undefined) throw new Error("usage: handmade.ts send <corpus file> <Kafka version>");
  const earlier = new Map<string, Record<string, string>>(existsSync(out) ? readFileSync(out, "utf8").split("\n")
    .filter((l) => l.length > 0).map((l) => JSON.parse(l)).map((l) => [l.variant, typeof l.broker === "object" ? l.broker : {}]) : []);
  const codecs = await loadCodecs();
  const lines: string[] = [];
  let failures = 0;
  for (const [i, v] of VARIANTS.entries()) {
    const correlationId = 7000 + i;
    const json = JSON.stringify({
      header: { requestApiKey: v.apiKey, requestApiVersion: v.version, correlationId, clientId: CLIENT_ID, ...v.header },
      body: v.body,
    });
    const encoded = codecs.encode(json, true, v.apiKey, v.version);
    if (encoded === null) throw new Error(`${v.name}: does not encode: ${codecs.error()}`);
    // encode() gives a whole frame, size first: the extra bytes go inside it, after the body.
    const payload = Buffer.concat([Buffer.from(encoded).subarray(4), Buffer.from(v.trailing ?? [])]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    const frame = Buffer.concat([size, payload]);
    const broker = await brokerVerdict(frame, codecs);
    if (broker !== "answered") failures++;
    console.log(`${v.name}: ${v.apiKey} v${v.version}, ${payload.length} bytes: Kafka ${kafka} ${broker}`);
    lines.push(JSON.stringify({
      client: "handmade", variant: v.name, why: v.why, apiKey: v.apiKey, version: v.version,
      frame: frame.toString("base64"), trailingBytes: v.trailing?.length ?? 0, unknownTaggedFields: v.unknownTaggedFields ?? [],
      broker: { ...earlier.get(v.name), [kafka]: broker },
    }));
  }
  writeFileSync(out, lines.join("\n") + "\n");
  console.log(`handmade: ${VARIANTS.length} variants written to ${out}, ${failures} not answered by the broker`);
  process.exit(failures === 0 ? 0 : 1);
}

await main();
