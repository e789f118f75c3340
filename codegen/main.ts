// Generates assembly/messages/ from Kafka's message definitions.
// Usage: tsx codegen/main.ts <schema dir> <output dir>

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadMessages } from "./model";
import { emitMessage } from "./emit-messages";
import { emitApis, pairApis } from "./emit-apis";

const [schemaDir, outDir] = process.argv.slice(2);
if (!schemaDir || !outDir) {
  console.error("usage: tsx codegen/main.ts <schema dir> <output dir>");
  process.exit(2);
}

const messages = loadMessages(schemaDir).filter((m) => m.kind !== "data");
mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir)) if (f.endsWith(".ts")) rmSync(join(outDir, f));
for (const m of messages) writeFileSync(join(outDir, `${m.name}.ts`), emitMessage(m));
const apis = pairApis(messages);
writeFileSync(join(outDir, "apis.ts"), emitApis(apis));
console.log(`codegen: ${messages.length} definitions, ${apis.length} apis -> ${outDir}`);
