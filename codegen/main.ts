// Generates the codecs (assembly/messages/), the views (assembly/views/) and the spec
// samples (test/generated/) from Kafka's message definitions.
// Usage: tsx codegen/main.ts <schema dir> <output root>   (the repository root, normally)

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadMessages } from "./model";
import { emitMessage } from "./emit-messages";
import { Labels } from "./labels";
import { emitApis, pairApis } from "./emit-apis";
import { emitFilterCodecs } from "./emit-filter-codecs";
import { emitRefusals } from "./emit-refusals";
import { emitSampleIndex, emitSamples } from "./emit-samples";
import { emitReference, emitReferenceIndex, emitView, emitViewIndex } from "./emit-views";

const [schemaDir, outRoot] = process.argv.slice(2);
if (!schemaDir || !outRoot) {
  console.error("usage: tsx codegen/main.ts <schema dir> <output root>");
  process.exit(2);
}

/** Empties a generated folder so that a definition Kafka dropped leaves no file behind. */
function freshDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith(".ts")) rmSync(join(dir, f));
  return dir;
}

const messages = loadMessages(schemaDir).filter((m) => m.kind !== "data");
const apis = pairApis(messages);

const codecs = freshDir(join(outRoot, "assembly", "messages"));
const labels = new Labels();
for (const m of messages) writeFileSync(join(codecs, `${m.name}.ts`), emitMessage(m, labels));
writeFileSync(join(codecs, "apis.ts"), emitApis(apis));
writeFileSync(join(codecs, "filter-codecs.ts"), emitFilterCodecs(apis));
writeFileSync(join(codecs, "refusals.ts"), emitRefusals(apis));

// After the codecs: the views name fields with the labels the codecs gave them.
const views = freshDir(join(outRoot, "assembly", "views"));
const headers = messages.filter((m) => m.name === "RequestHeader" || m.name === "ResponseHeader");
for (const m of [...headers, ...apis.flatMap((a) => [a.request, a.response])]) writeFileSync(join(views, `${m.name}.ts`), emitView(m, labels));
writeFileSync(join(views, "index.ts"), emitViewIndex(apis));
writeFileSync(join(codecs, "labels.ts"), labels.emit());

const samples = freshDir(join(outRoot, "test", "generated"));
for (const a of apis) {
  writeFileSync(join(samples, `${a.request.name}.ts`), emitSamples(a.request, emitReference(a.request)));
  writeFileSync(join(samples, `${a.response.name}.ts`), emitSamples(a.response, emitReference(a.response)));
}
writeFileSync(join(samples, "index.ts"), emitSampleIndex(apis));
writeFileSync(join(samples, "entities.ts"), emitReferenceIndex(apis));

console.log(`codegen: ${messages.length} definitions, ${apis.length} apis`);
