// Emits assembly/messages/filter-codecs.ts: the codecs filter.wasm compiles in. The generic
// table (apis.ts, codec/frame.ts) reads and writes a body through Message's virtual
// read/write, and AssemblyScript then compiles the reader and the writer of every message
// class the module names, ~190 of each; the filter names every response class (it answers
// refusals of any API) and every request class (it reads every request). These functions call
// each class's read or write directly, so only the ones listed here are compiled in:
//   - every request reader (the policy decides on every request) and response writer (a
//     refusal is answered in the API's own response);
//   - response readers only for the responses the filter holds and decodes, request writers
//     only for the requests it forwards changed (below).
// An API missing from a list fails closed: its response does not decode (the connection is
// closed when a check waits for it), its changed request cannot be encoded (closed too).

import { Api } from "./emit-apis";
import { Code } from "./code";

/**
 * Responses the filter decodes (Enforcer.wantsResponse): those a check leaves a
 * ResponseRewrite for (`ctx.after` in assembly/enforce/apis/*.ts: the Split, Refusals and
 * *Only rewrites, SASL and ApiVersions notes), those that teach it (responses.ts hasLessons:
 * Fetch, Metadata, CreateTopics, DeleteTopics, DescribeTopicPartitions) and those whose broker addresses it
 * rewrites (addresses.ts: Metadata, FindCoordinator, DescribeCluster).
 */
export const FILTER_RESPONSE_READERS: string[] = [
  "Produce", "Fetch", "ListOffsets", "Metadata", "OffsetCommit", "OffsetFetch", "FindCoordinator",
  "DescribeGroups", "ListGroups", "SaslHandshake", "ApiVersions", "CreateTopics", "DeleteTopics",
  "DeleteRecords", "OffsetForLeaderEpoch", "TxnOffsetCommit", "DescribeConfigs", "AlterConfigs",
  "SaslAuthenticate", "CreatePartitions", "DescribeDelegationToken", "DeleteGroups",
  "IncrementalAlterConfigs", "OffsetDelete", "DescribeCluster", "DescribeProducers",
  "DescribeTransactions", "ListTransactions", "ConsumerGroupHeartbeat", "ConsumerGroupDescribe",
  "DescribeTopicPartitions", "ShareGroupHeartbeat", "ShareGroupDescribe", "ShareFetch", "ShareAcknowledge",
  "StreamsGroupHeartbeat", "StreamsGroupDescribe", "DescribeShareGroupOffsets",
  "AlterShareGroupOffsets", "DeleteShareGroupOffsets",
];

/**
 * Requests the filter forwards changed (`ctx.forward`: produce.ts, the Split of topics.ts,
 * `answer` in groups.ts for groups.ts and transactions.ts), plus Metadata, which topic-ids.ts
 * writes to ask the broker for topic ids.
 */
export const FILTER_REQUEST_WRITERS: string[] = [
  "Produce", "Fetch", "ListOffsets", "Metadata", "OffsetCommit", "OffsetFetch", "FindCoordinator",
  "DescribeGroups", "CreateTopics", "DeleteTopics", "DeleteRecords", "OffsetForLeaderEpoch",
  "TxnOffsetCommit", "DescribeConfigs", "AlterConfigs", "CreatePartitions", "DeleteGroups",
  "IncrementalAlterConfigs", "OffsetDelete", "DescribeProducers", "DescribeTransactions",
  "ConsumerGroupDescribe", "DescribeTopicPartitions", "ShareGroupDescribe", "ShareFetch",
  "ShareAcknowledge", "StreamsGroupDescribe", "DescribeShareGroupOffsets", "AlterShareGroupOffsets",
  "DeleteShareGroupOffsets",
];

function pick(apis: Api[], names: string[], what: string): Api[] {
  const byName = new Map(apis.map((a) => [a.name, a]));
  for (const n of names) if (!byName.has(n)) throw new Error(`${what}: no API named ${n}`);
  return apis.filter((a) => names.includes(a.name));
}

function reader(c: Code, name: string, apis: Api[], cls: (a: Api) => string): void {
  c.line(`export function ${name}(apiKey: i16, r: Reader, version: i16): Message | null {`);
  c.indent(() => {
    c.line("switch (apiKey) {");
    c.indent(() => {
      for (const a of apis) c.line(`case ${a.key}: { const m = new ${cls(a)}(); if (!r.failed) m.read(r, version); return m; }`);
      c.line("default: return null;");
    });
    c.line("}");
  });
  c.line("}");
  c.blank();
}

function writer(c: Code, name: string, apis: Api[], cls: (a: Api) => string): void {
  c.line(`export function ${name}(apiKey: i16, w: Writer, body: Message, version: i16): bool {`);
  c.indent(() => {
    c.line("switch (apiKey) {");
    c.indent(() => {
      for (const a of apis) {
        c.line(`case ${a.key}: {`);
        c.indent(() => {
          c.line(`if (!(body instanceof ${cls(a)})) return false;`);
          c.line(`changetype<${cls(a)}>(body).write(w, version);`);
          c.line("return true;");
        });
        c.line("}");
      }
      c.line("default: return false;");
    });
    c.line("}");
  });
  c.line("}");
  c.blank();
}

export function emitFilterCodecs(apis: Api[]): string {
  const responseReaders = pick(apis, FILTER_RESPONSE_READERS, "FILTER_RESPONSE_READERS");
  const requestWriters = pick(apis, FILTER_REQUEST_WRITERS, "FILTER_REQUEST_WRITERS");
  const request = (a: Api) => `${a.request.name}Data`;
  const response = (a: Api) => `${a.response.name}Data`;
  const c = new Code();
  c.line("// Generated by codegen/ from Kafka's message definitions. Do not edit.");
  c.line("// The codecs filter.wasm compiles in (codegen/emit-filter-codecs.ts says which and why):");
  c.line("// every request reader and response writer; response readers and request writers only for");
  c.line("// the APIs the filter reads the responses of or forwards changed. Each body is read or");
  c.line("// written by a direct call, never through Message's virtual read/write, which would compile");
  c.line("// every class's. null / false: this module has no such codec for the api key.");
  c.blank();
  c.line('import { Reader } from "../protocol/reader";');
  c.line('import { Writer } from "../protocol/writer";');
  c.line('import { Message } from "../protocol/message";');
  const imports = new Set<string>();
  for (const a of apis) imports.add(`import { ${request(a)} } from "./${a.request.name}";`);
  for (const a of apis) imports.add(`import { ${response(a)} } from "./${a.response.name}";`);
  for (const i of imports) c.line(i);
  c.blank();
  reader(c, "readFilterRequest", apis, request);
  reader(c, "readFilterResponse", responseReaders, response);
  writer(c, "writeFilterRequest", requestWriters, request);
  writer(c, "writeFilterResponse", apis, response);
  return c.toString().replace(/\n\n$/, "\n");
}
