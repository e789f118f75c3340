// Reading the corpus (test/corpus/README.md): its files, and a request as Kafka's broker reads
// it, for extract.ts (at capture) and the sweep (assembly/filter/testing/sweep.mjs --corpus).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Codecs } from "../lib/codecs";

/** One corpus line: a request frame (size prefix included, base64) and what is known of it. */
export interface CorpusFrame {
  client: string; apiKey: number; version: number; variant: string; frame: string;
  /** Set at capture; the sweep checks its own reading against them. */
  trailingBytes?: number; unknownTaggedFields?: string[];
  /** Clients' frames: verdict -> frames; hand-made ones: Kafka version -> verdict. */
  broker: Record<string, number | string>;
  [more: string]: unknown;
}

/** Every line of every .jsonl file in `dir`. */
export function readCorpus(dir: string): CorpusFrame[] {
  return readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()
    .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as CorpusFrame));
}

export interface Decoded { json: { header: Record<string, unknown>; body: Record<string, unknown> } | null; trailingBytes: number; error: string | null }

/**
 * The frame (size prefix included) as the codecs read it. They refuse bytes after the body
 * (the CLI shows a frame exactly); Kafka ignores them, so the body is read again without them
 * and their count reported.
 */
export function decodeRequest(codecs: Codecs, frame: Buffer): Decoded {
  const payload = frame.subarray(4);
  const text = codecs.decode(payload, true, 0, 0);
  if (text) return { json: JSON.parse(text), trailingBytes: 0, error: null };
  const error = codecs.error();
  const m = /^request: (\d+) bytes left over after the body at offset (\d+)$/.exec(error);
  if (m === null) return { json: null, trailingBytes: 0, error };
  const again = codecs.decode(payload.subarray(0, Number(m[2])), true, 0, 0);
  if (!again) return { json: null, trailingBytes: 0, error: `${error}; without them: ${codecs.error()}` };
  return { json: JSON.parse(again), trailingBytes: Number(m[1]), error: null };
}

/** Where the decoded request carries tagged fields no version defines ("header", "body.topics[]"...). */
export function unknownTaggedFields(o: unknown, path = ""): string[] {
  if (Array.isArray(o)) return [...new Set(o.flatMap((x) => unknownTaggedFields(x, `${path}[]`)))];
  if (o === null || typeof o !== "object") return [];
  return Object.entries(o).flatMap(([k, v]) => (k === "_unknownTaggedFields"
    ? [path || "."] : unknownTaggedFields(v, path ? `${path}.${k}` : k)));
}

