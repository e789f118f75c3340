// `kafka-wasm policy`: check, explain and import filter policies with the filter's own code
// (build/policy.wasm: its configuration loader, ACL authorizer and per-API checks). Nothing
// here decides anything; it reads files and flags, builds requests a client would send, and
// prints what the module answered.

import { readFileSync } from "node:fs";
import { loadPolicyModule, PolicyModule } from "./policy-module";

export class UsageError extends Error {}

export const POLICY_USAGE = `usage:
  kafka-wasm policy check FILE                 (FILE "-" is stdin, for explain too)
  kafka-wasm policy explain FILE --principal User:NAME --host IP --resource TYPE:NAME --operation OP [--json]
  kafka-wasm policy explain FILE --principal User:NAME --host IP --api NAME [--topic T]... [--group G]
                            [--transactional-id ID] [--json]
  kafka-wasm policy explain FILE --principal User:NAME --host IP --request REQUEST.json [--json]
  kafka-wasm policy import [FILE] [--allow-everyone-if-no-acl-found] [--super-users 'User:a;User:b']
  kafka-wasm policy principal FILE (--subject 'CN=a,OU=b' | --kafka-name 'CN=a,OU=b')... [--json]`;

/** Flags with values, repeatable ones collected; bare flags map to "". */
function parseFlags(argv: string[], valued: string[], bare: string[]): { positional: string[]; flags: Map<string, string[]> } {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) { positional.push(a); continue; }
    if (bare.includes(a)) { flags.set(a, [""]); continue; }
    if (!valued.includes(a)) throw new UsageError(`unknown argument '${a}'`);
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${a} needs a value`);
    flags.set(a, [...(flags.get(a) ?? []), v]);
  }
  return { positional, flags };
}

function one(flags: Map<string, string[]>, name: string, required: boolean): string | undefined {
  const v = flags.get(name);
  if (v === undefined) {
    if (required) throw new UsageError(`${name} is required`);
    return undefined;
  }
  if (v.length > 1) throw new UsageError(`${name} is given ${v.length} times`);
  return v[0];
}

/** A file's text; stdin when `file` is absent or "-". */
function readText(file: string | undefined): string {
  const stdin = file === undefined || file === "-";
  try {
    return readFileSync(stdin ? 0 : file, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${stdin ? "stdin" : file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------
// check

/** Exit 0 and one line when the filter accepts the file; else every problem, exit 1. */
export function check(module: PolicyModule, file: string, out: (line: string) => void): number {
  const problems = module.check(readText(file));
  if (problems.length === 0) {
    out(`${file}: OK (the filter accepts this configuration)`);
    return 0;
  }
  for (const p of problems) out(`${file}: ${p}`);
  out(`${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}; the filter refuses this configuration`);
  return 1;
}

// ---------------------------------------------------------------------------------------
// explain

export interface AclJson {
  index?: number; principal: string; host: string; resourceType: string; resourceName: string;
  resourcePatternType: string; operation: string; permissionType: string;
}

export interface AclDecision {
  principal: string; host: string; resourceType: string; resourceName: string; operation: string;
  allowed: boolean; reason: string; acl: AclJson | null; explanation: string;
}

export interface RequestCheck {
  resourceType: string; resourceName?: string; onSomeResource?: boolean; operation: string; allowed: boolean;
  reason?: string; acl?: AclJson | null; explanation?: string;
}

export interface RequestDecision {
  api: string; apiVersion: number; principal: string; host: string; apiAllowedByLimits: boolean;
  checks: RequestCheck[]; denials: { resource: string; reason: string; error: string }[];
  verdict: "FORWARDED" | "FORWARDED_REWRITTEN" | "ANSWERED_BY_FILTER" | "CONNECTION_CLOSED";
  closeReason?: string; responseEdited: boolean;
}

/** The ACL as its policy-file entry, so it can be found in the file. */
function aclText(acl: AclJson): string {
  const { index, ...entry } = acl;
  return `acls[${index}] ${JSON.stringify(entry)}`;
}

function decisionLines(d: { operation: string; explanation?: string; acl?: AclJson | null }, indent: string): string[] {
  const lines = [`${indent}${d.explanation}`];
  const acl = d.acl;
  if (acl) {
    // An ALLOW of READ, WRITE, DELETE or ALTER (ALTER_CONFIGS) decides DESCRIBE (DESCRIBE_CONFIGS) too.
    const implied = acl.operation !== d.operation && acl.operation !== "ALL" ? ` (${acl.operation} implies ${d.operation})` : "";
    lines.push(`${indent}  ${aclText(acl)}${implied}`);
  }
  return lines;
}

export function describeAclDecision(d: AclDecision): string[] {
  return [
    `${d.allowed ? "ALLOWED" : "DENIED"}: ${d.principal} from ${d.host} ${d.operation} ${d.resourceType}:${d.resourceName}`,
    ...decisionLines(d, "  "),
  ];
}

const VERDICT_TEXT: Record<RequestDecision["verdict"], string> = {
  FORWARDED: "forwarded to the broker unchanged",
  FORWARDED_REWRITTEN: "forwarded without the refused parts; the filter adds their errors to the broker's answer",
  ANSWERED_BY_FILTER: "not forwarded: the filter answers the client with the errors",
  CONNECTION_CLOSED: "the filter closes the connection",
};

export function describeRequestDecision(d: RequestDecision): string[] {
  const denied = d.denials.length > 0 || d.verdict === "CONNECTION_CLOSED";
  const outcome = !denied ? "ALLOWED" : d.verdict === "FORWARDED_REWRITTEN" ? "PARTLY DENIED" : "DENIED";
  const lines = [`${outcome}: ${d.api} v${d.apiVersion} from ${d.principal} at ${d.host}: ${VERDICT_TEXT[d.verdict]}` +
    (d.closeReason ? ` (${d.closeReason})` : "")];
  if (!d.apiAllowedByLimits) lines.push("  limits.apis refuses this API");
  lines.push(d.checks.length === 0 ? "  the filter asks no ACL question for this request" : "  ACL checks, in the order the filter makes them:");
  for (const c of d.checks) {
    const verdict = c.allowed ? "ALLOWED" : "DENIED";
    if (c.onSomeResource) {
      lines.push(`    ${c.operation} on some ${c.resourceType}: ${verdict} (Kafka's authorizeByResourceType: any ALLOW no DENY covers)`);
    } else {
      lines.push(`    ${c.operation} ${c.resourceType}:${c.resourceName}: ${verdict}`);
      lines.push(...decisionLines(c, "      "));
    }
  }
  for (const x of d.denials) lines.push(`  refused ${x.resource}: ${x.error} (${x.reason})`);
  if (d.responseEdited) lines.push("  the filter also edits the broker's answer to this request");
  return lines;
}

/** A record batch header (magic 2, no records): enough for the filter's batch checks. */
function emptyBatch(transactional: boolean): string {
  const b = Buffer.alloc(61);
  b.writeBigInt64BE(0n, 0); // base offset
  b.writeInt32BE(61 - 12, 8); // batch length after offset and length
  b.writeInt32BE(-1, 12); // partition leader epoch
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(transactional ? 0x10 : 0, 21); // attributes
  b.writeBigInt64BE(-1n, 43); // producer id
  b.writeInt16BE(-1, 51); // producer epoch
  b.writeInt32BE(-1, 53); // base sequence
  return b.toString("base64");
}

interface RequestParts { topics: string[]; group?: string; transactionalId?: string }

/**
 * The request a client sends for each API, at a version that names topics by name: the
 * filter's checks then run on it exactly as on the wire. [version, body, what it needs].
 */
const REQUESTS: Record<string, (p: RequestParts) => [number, unknown]> = {
  Produce: (p) => [12, {
    transactionalId: p.transactionalId ?? null, acks: -1, timeoutMs: 30000,
    topicData: p.topics.map((name) => ({ name, partitionData: [{ index: 0, records: emptyBatch(p.transactionalId !== undefined) }] })),
  }],
  Fetch: (p) => [12, {
    replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: p.topics.map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1048576 }] })),
    forgottenTopicsData: [], rackId: "",
  }],
  ListOffsets: (p) => [9, {
    replicaId: -1, isolationLevel: 0,
    topics: p.topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] })),
  }],
  Metadata: (p) => [12, {
    topics: p.topics.length === 0 ? null : p.topics.map((name) => ({ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name })),
    allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false,
  }],
  CreateTopics: (p) => [7, {
    topics: p.topics.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] })),
    timeoutMs: 60000, validateOnly: false,
  }],
  DeleteTopics: (p) => [5, { topicNames: p.topics, timeoutMs: 30000 }],
  FindCoordinator: (p) => [4, p.transactionalId !== undefined
    ? { keyType: 1, coordinatorKeys: [p.transactionalId] }
    : { keyType: 0, coordinatorKeys: [need(p.group, "--group or --transactional-id")] }],
  JoinGroup: (p) => [9, {
    groupId: need(p.group, "--group"), sessionTimeoutMs: 45000, rebalanceTimeoutMs: 300000, memberId: "", groupInstanceId: null,
    protocolType: "consumer", protocols: [{ name: "range", metadata: "" }], reason: null,
  }],
  OffsetCommit: (p) => [9, {
    groupId: need(p.group, "--group"), generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null,
    topics: p.topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null }] })),
  }],
  OffsetFetch: (p) => [8, {
    groups: [{ groupId: need(p.group, "--group"), topics: p.topics.length === 0 ? null : p.topics.map((name) => ({ name, partitionIndexes: [0] })) }],
    requireStable: false,
  }],
  DescribeGroups: (p) => [5, { groups: [need(p.group, "--group")], includeAuthorizedOperations: false }],
  DeleteGroups: (p) => [2, { groupsNames: [need(p.group, "--group")] }],
  InitProducerId: (p) => [5, { transactionalId: p.transactionalId ?? null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }],
  AddPartitionsToTxn: (p) => [3, {
    v3AndBelowTransactionalId: need(p.transactionalId, "--transactional-id"), v3AndBelowProducerId: 0, v3AndBelowProducerEpoch: 0,
    v3AndBelowTopics: p.topics.map((name) => ({ name, partitions: [0] })),
  }],
  TxnOffsetCommit: (p) => [3, {
    transactionalId: need(p.transactionalId, "--transactional-id"), groupId: need(p.group, "--group"), producerId: 0, producerEpoch: 0,
    generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null,
    topics: p.topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null }] })),
  }],
};

function need(v: string | undefined, flag: string): string {
  if (v === undefined) throw new UsageError(`this API needs ${flag}`);
  return v;
}

/** The request JSON (`kafka-wasm decode`'s form) a client would send for `--api`. */
export function requestFor(module: PolicyModule, api: string, parts: RequestParts): string {
  const name = Object.keys(REQUESTS).find((k) => k.toLowerCase() === api.toLowerCase());
  if (name === undefined) {
    const known = module.apiKey(api) >= 0 ? `${api} is a Kafka API, but --api builds no request for it; give one with --request` : `unknown API '${api}'`;
    throw new UsageError(`${known} (--api knows ${Object.keys(REQUESTS).join(", ")})`);
  }
  const [version, body] = REQUESTS[name](parts);
  const header = { requestApiKey: module.apiKey(name), requestApiVersion: version, correlationId: 1, clientId: "kafka-wasm-explain" };
  return JSON.stringify({ header, body });
}

function explain(module: PolicyModule, argv: string[], out: (line: string) => void): number {
  const { positional, flags } = parseFlags(argv,
    ["--principal", "--host", "--resource", "--operation", "--api", "--topic", "--group", "--transactional-id", "--request"], ["--json"]);
  if (positional.length !== 1) throw new UsageError("explain takes one policy FILE");
  const config = readText(positional[0]);
  const principal = one(flags, "--principal", true)!;
  const host = one(flags, "--host", true)!;
  const json = flags.has("--json");
  const resource = one(flags, "--resource", false);
  const api = one(flags, "--api", false);
  const requestFile = one(flags, "--request", false);
  if ([resource, api, requestFile].filter((x) => x !== undefined).length !== 1) {
    throw new UsageError("explain needs one of --resource (with --operation), --api or --request");
  }
  if (resource !== undefined) {
    for (const f of ["--topic", "--group", "--transactional-id"]) if (flags.has(f)) throw new UsageError(`${f} goes with --api`);
    const d = JSON.parse(module.explainAcl(config, principal, host, resource, one(flags, "--operation", true)!)) as AclDecision;
    (json ? [JSON.stringify(d, null, 2)] : describeAclDecision(d)).forEach((l) => out(l));
    return 0;
  }
  if (flags.has("--operation")) throw new UsageError("--operation goes with --resource (an --api request implies its operations)");
  const request = api !== undefined
    ? requestFor(module, api, { topics: flags.get("--topic") ?? [], group: one(flags, "--group", false), transactionalId: one(flags, "--transactional-id", false) })
    : readText(requestFile);
  const d = JSON.parse(module.explainRequest(config, principal, host, request)) as RequestDecision;
  (json ? [JSON.stringify(d, null, 2)] : describeRequestDecision(d)).forEach((l) => out(l));
  return 0;
}

// ---------------------------------------------------------------------------------------
// import

const RESOURCE_LINE = /^Current ACLs for resource `ResourcePattern\(resourceType=([A-Z_]+), name=(.*), patternType=([A-Z]+)\)`:\s*$/;
const ENTRY_LINE = /^\s*\(principal=(.*), host=(.*), operation=([A-Z_]+), permissionType=([A-Z]+)\)\s*$/;
// `kafka-acls.sh --list --principal P` puts this line before that principal's resources.
const PRINCIPAL_LINE = /^ACLs for principal `.*`\s*$/;

/**
 * The ACLs of `kafka-acls.sh --list` output (Kafka 2.0 and later print resources as
 * ResourcePattern(...)), in the order listed, each with the line it came from.
 */
export function parseAclList(text: string): { acls: AclJson[]; lines: number[] } {
  const acls: AclJson[] = [];
  const lines: number[] = [];
  let resource: { resourceType: string; resourceName: string; resourcePatternType: string } | null = null;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "" || PRINCIPAL_LINE.test(line)) return;
    const r = RESOURCE_LINE.exec(line);
    if (r) {
      resource = { resourceType: r[1], resourceName: r[2], resourcePatternType: r[3] };
      return;
    }
    const e = ENTRY_LINE.exec(line);
    if (e && resource) {
      acls.push({ principal: e[1], host: e[2], ...resource, operation: e[3], permissionType: e[4] });
      lines.push(i + 1);
      return;
    }
    const shown = line.length > 120 ? line.slice(0, 120) + "..." : line;
    throw new Error(`line ${i + 1}: ${e ? "an ACL before any 'Current ACLs for resource' line" : "not a line of kafka-acls.sh --list output"}: ${JSON.stringify(shown)}`);
  });
  return { acls, lines };
}

/** A policy of the listed ACLs; every problem the filter's loader finds names its input line. */
export function importAcls(module: PolicyModule, text: string, allowEveryoneIfNoAclFound: boolean, superUsers: string[]): string {
  const { acls, lines } = parseAclList(text);
  if (acls.length === 0) throw new Error("no ACLs in the input (expected the output of kafka-acls.sh --list)");
  // One ACL a line, as envoy/policy.example.json is written: a diff shows which ACL changed.
  const policy = `{\n  "allowEveryoneIfNoAclFound": ${allowEveryoneIfNoAclFound},\n  "superUsers": ${JSON.stringify(superUsers)},\n` +
    `  "acls": [\n${acls.map((a) => "    " + JSON.stringify(a)).join(",\n")}\n  ]\n}`;
  const problems = module.check(policy);
  if (problems.length > 0) {
    const located = problems.map((p) => {
      const m = /^acls\[(\d+)\]/.exec(p);
      return m ? `line ${lines[Number(m[1])]}: ${p}` : p;
    });
    throw new Error(`the filter would refuse these ACLs:\n${located.join("\n")}`);
  }
  return policy;
}

function importCommand(module: PolicyModule, argv: string[], out: (line: string) => void): number {
  const { positional, flags } = parseFlags(argv, ["--super-users"], ["--allow-everyone-if-no-acl-found"]);
  if (positional.length > 1) throw new UsageError("import reads one FILE (or stdin)");
  // Kafka's super.users syntax: principals separated by ';'.
  const superUsers = (one(flags, "--super-users", false) ?? "").split(";").map((s) => s.trim()).filter((s) => s !== "");
  out(importAcls(module, readText(positional[0]), flags.has("--allow-everyone-if-no-acl-found"), superUsers));
  return 0;
}

/**
 * The principal the filter gives TLS clients under FILE's filter.sslPrincipalMappingRules: from
 * each --subject as Envoy gives it (`openssl x509 -noout -subject -nameopt RFC2253` prints the
 * same), or each --kafka-name as Kafka writes the certificate's name. Exit 1 if one has none
 * (the filter closes such a connection).
 */
function principalCommand(module: PolicyModule, argv: string[], out: (line: string) => void): number {
  const { positional, flags } = parseFlags(argv, ["--subject", "--kafka-name"], ["--json"]);
  if (positional.length !== 1) throw new UsageError("principal takes one policy FILE");
  const config = readText(positional[0]);
  const asked = [...(flags.get("--subject") ?? []).map((s) => ({ s, kafka: false })), ...(flags.get("--kafka-name") ?? []).map((s) => ({ s, kafka: true }))];
  if (asked.length === 0) throw new UsageError("principal needs --subject or --kafka-name");
  const problems = module.check(config);
  if (problems.length > 0) throw new Error(`the configuration is refused: ${problems.join("; ")} (kafka-wasm policy check lists every problem)`);
  let failed = 0;
  for (const { s, kafka } of asked) {
    let principal: string | null = null, error: string | null = null;
    try {
      principal = (JSON.parse(module.tlsPrincipal(config, s, kafka)) as { principal: string }).principal;
    } catch (e) {
      error = (e as Error).message;
      failed++;
    }
    if (flags.has("--json")) out(JSON.stringify({ [kafka ? "kafkaName" : "subject"]: s, principal, error }));
    else out(principal ?? `${s}: no principal, the filter closes the connection: ${error}`);
  }
  return failed > 0 ? 1 : 0;
}

export async function policyCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "check" && sub !== "explain" && sub !== "import" && sub !== "principal") {
    throw new UsageError(sub === undefined ? "policy needs a command" : `unknown policy command '${sub}'`);
  }
  const module = await loadPolicyModule();
  if (sub === "check") {
    if (rest.length !== 1) throw new UsageError("check takes one FILE");
    return check(module, rest[0], out);
  }
  if (sub === "explain") return explain(module, rest, out);
  if (sub === "principal") return principalCommand(module, rest, out);
  return importCommand(module, rest, out);
}
