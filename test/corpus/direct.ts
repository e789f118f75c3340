// At capture, while the stack is still up: the clients' requests the filter never passed on as
// sent (it refused or rewrote them every time) are sent once to the broker's own PLAINTEXT
// listener, so that the corpus says whether Kafka answers them too. Requests of the SASL
// listener are left out (the broker would want the SASL exchange first).
//
//   node --import tsx test/corpus/direct.ts .cache/corpus/matrix-4.4.0.pcap 4.4.0
// writes .cache/corpus/direct-4.4.0.json, which extract.ts reads.

import { writeFileSync } from "node:fs";
import { loadCodecs } from "../lib/codecs";
import { brokerVerdict } from "./broker";
import { NOT_FORWARDED, directFile, extract, type Entry } from "./extract";

const [pcap, kafka] = process.argv.slice(2);
if (kafka === undefined) throw new Error("usage: direct.ts <pcap> <Kafka version>");
const codecs = await loadCodecs();
const names = new Map((JSON.parse(codecs.apis()) as Array<{ apiKey: number; name: string }>).map((a) => [a.apiKey, a.name]));
const entries = new Map<string, Entry>();
extract(pcap, kafka, codecs, names, entries);
const verdicts: Record<string, string> = {};
for (const e of entries.values()) {
  if (e.listener !== "PLAINTEXT" || [...e.broker.keys()].some((k) => k !== NOT_FORWARDED)) continue;
  verdicts[e.frame.toString("hex")] = await brokerVerdict(e.frame, codecs);
  console.log(`direct: ${e.client} ${e.name} v${e.version}: ${verdicts[e.frame.toString("hex")]}`);
}
writeFileSync(directFile(pcap, kafka), JSON.stringify(verdicts, null, 1) + "\n");
console.log(`direct: ${Object.keys(verdicts).length} requests the filter never passed on, sent to Kafka ${kafka} directly`);
