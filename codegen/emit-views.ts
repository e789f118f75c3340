// Emits assembly/views/: per request and response (and both headers), a walk over the frame's
// bytes that records every entity the definitions name into an EntityWalk (assembly/protocol/
// walk.ts says which fields are entities and whose child each is) without building the
// message. It reads exactly what the generated reader reads, with the same checks, so a frame
// walks whole where it decodes whole; values are skipped, not copied.
//
// Also emits, into the spec samples (test/generated/), the same entities taken from a decoded
// message: what the views are checked against (test/spec/views.spec.ts).

import { EntityType, FieldSpec, FieldType, MessageSpec, StructSpec, Versions } from "./model";
import { Code } from "./code";
import { Labels } from "./labels";
import { Api } from "./emit-apis";
import {
  and, canBeNull, compactCheck, inlineCheck, isDefaultExpr, propertyName, taggedCheck, taggedFieldsOf, versionCheck,
} from "./emit-messages";

const KINDS: Partial<Record<EntityType, string>> = {
  topicName: "TopicName", groupId: "GroupId", transactionalId: "TransactionalId",
};

/**
 * Fields the filter reads beyond the entities, by message, struct and field: what produce
 * limits read, what a Fetch request is decided on before any ACL (a follower, its fetch
 * session), what a Metadata request asks beyond its topics (auto-creation, authorized
 * operations), what a Fetch response teaches (its fetch session), where a topic's authorized
 * operations are in the answers the policy fills them in, and where answers name brokers'
 * addresses outside Metadata, FindCoordinator and DescribeCluster.
 */
const OTHER_FIELDS: Record<string, Record<string, string>> = {
  "ProduceRequest.ProduceRequestData": { Acks: "Acks" },
  "FetchRequest.FetchRequestData": { ReplicaId: "ReplicaId", SessionId: "SessionId", SessionEpoch: "SessionEpoch" },
  "FetchRequest.ReplicaState": { ReplicaId: "ReplicaId" },
  "MetadataRequest.MetadataRequestData": {
    AllowAutoTopicCreation: "AutoCreateTopics", IncludeClusterAuthorizedOperations: "ClusterOperations",
    IncludeTopicAuthorizedOperations: "TopicOperations",
  },
  "FetchResponse.FetchResponseData": { ErrorCode: "ErrorCode", SessionId: "SessionId" },
  "MetadataResponse.MetadataResponseTopic": { TopicAuthorizedOperations: "TopicOperations" },
  "DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic": { TopicAuthorizedOperations: "TopicOperations" },
  // Leaders' addresses (KIP-951), which filter.brokerAddresses rewrites as Metadata's.
  "ProduceResponse.NodeEndpoint": { NodeId: "Endpoint" },
  "FetchResponse.NodeEndpoint": { NodeId: "Endpoint" },
  "ShareFetchResponse.NodeEndpoint": { NodeId: "Endpoint" },
  "ShareAcknowledgeResponse.NodeEndpoint": { NodeId: "Endpoint" },
};

const PARTITION_FIELDS = new Set(["Partition", "PartitionIndex", "Index"]);

/**
 * Messages the filter reads as they arrive, walking them again at each read that brings what
 * the last walk stopped at (assembly/enforce/responses.ts learnsAsItStreams): their walks go
 * on in the element of each array of structs where the last one stopped (protocol/walk.ts).
 * Only these: the bookkeeping, inlined in every such loop, would grow every view.
 */
const READ_AS_THEY_ARRIVE = new Set(["FetchResponse"]);

const FIXED_SIZES: Record<string, number> = {
  int8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16,
};

function isTopicId(f: FieldSpec): boolean {
  return f.name === "TopicId" && f.type.kind === "primitive" && f.type.name === "uuid" && f.entityType === null;
}

function base(t: FieldType): FieldType { return t.kind === "array" ? t.element : t; }

function isInt32(t: FieldType): boolean { return t.kind === "primitive" && t.name === "int32"; }

/** Which fields of one message are entities, and of what kind (walk.ts states the rules). */
class EntityPlan {
  private readonly partitionFields = new Map<StructSpec, string>();
  private readonly partitionArrays = new Set<FieldSpec>();

  constructor(private readonly msg: MessageSpec) {
    for (const s of [...msg.structs, msg.root]) {
      if (!s.fields.some((f) => f.entityType === "topicName" || isTopicId(f))) continue;
      for (const f of s.fields) {
        if (f.type.kind !== "array" || !f.name.startsWith("Partition")) continue;
        const e = f.type.element;
        if (isInt32(e)) this.partitionArrays.add(f);
        else if (e.kind === "struct") {
          const index = e.struct.fields.find((g) => isInt32(g.type) && PARTITION_FIELDS.has(g.name));
          if (index) this.partitionFields.set(e.struct, index.name);
        }
      }
    }
  }

  /** "EntityKind.X" for an entity field (or array of them), else null. */
  kindOf(s: StructSpec, f: FieldSpec): string | null {
    const k = this.kindName(s, f);
    if (k === null) return null;
    if (base(f.type).kind !== "primitive") throw new Error(`${this.msg.name}.${f.name}: entity of a struct type`);
    return `EntityKind.${k}`;
  }

  private kindName(s: StructSpec, f: FieldSpec): string | null {
    const other = OTHER_FIELDS[`${this.msg.name}.${s.name}`]?.[f.name];
    if (other !== undefined) return other;
    // Broker and producer ids are entities to Kafka, not to the policy: walked past.
    if (f.entityType !== null) return KINDS[f.entityType] ?? null;
    if (isTopicId(f)) return "TopicId";
    if (this.partitionArrays.has(f) || this.partitionFields.get(s) === f.name) return "Partition";
    const t = f.type;
    if (t.kind === "primitive" && t.name === "records") return "Records";
    return null;
  }
}

/** Entities others hang under: topics and partitions (walk.ts). */
function anchors(kind: string | null): boolean {
  return kind === "EntityKind.TopicName" || kind === "EntityKind.TopicId" || kind === "EntityKind.Partition";
}

/** A struct's own entity fields make the anchor its nested parts hang under. */
function hasAnchors(plan: EntityPlan, s: StructSpec): boolean {
  return s.fields.some((f) => f.type.kind === "primitive" && anchors(plan.kindOf(s, f)));
}

function within(msg: MessageSpec): Versions { return msg.validVersions.empty ? Versions.ALL : msg.validVersions; }

function walkFn(s: StructSpec): string { return `walk${s.name}`; }

class ViewEmitter {
  private readonly within: Versions;

  constructor(private readonly msg: MessageSpec, private readonly plan: EntityPlan, private readonly labels: Labels) {
    this.within = within(msg);
  }

  emitStruct(c: Code, s: StructSpec): void {
    const anchor = hasAnchors(this.plan, s) ? "anchor" : "parent";
    c.line(`function ${walkFn(s)}(r: Reader, version: i16, w: EntityWalk, parent: i32): void {`);
    c.indent(() => {
      if (anchor === "anchor") c.line("let anchor = parent;");
      // Fixed-size values nothing reads, one after another, are passed in one step: a Fetch
      // response's partition has five of them, a consumer's fetch hundreds of partitions.
      let run: FieldSpec[] = [];
      const pass = () => {
        this.skipRun(c, s, run);
        run = [];
      };
      for (const f of s.fields) {
        const cond = inlineCheck(this.msg, f, this.within);
        if (cond === "false") continue;
        if (this.skippedWhole(s, f)) {
          run.push(f);
          continue;
        }
        pass();
        c.block(cond, () => this.field(c, s, f, anchor));
      }
      pass();
      const flex = versionCheck(this.msg.flexibleVersions, this.within);
      if (flex !== "false") c.block(flex, () => this.tagged(c, s, anchor));
    });
    c.line("}");
  }

  private tagged(c: Code, s: StructSpec, anchor: string): void {
    const label = this.labels.arg(s.name, null);
    c.line(`const count = r.taggedCount(${label});`);
    c.line("for (let i = 0; i < count && !r.failed; i++) {");
    c.indent(() => {
      const known = taggedFieldsOf(s).filter((f) => taggedCheck(f, this.within) !== "false");
      c.line(`${known.length > 0 ? "const tag = " : ""}r.uvarint(${label});`);
      c.line(`const end = r.taggedEnd(${label});`);
      const skip = "r.pos = end; // a tag this version does not know: skipped, as the reader keeps it raw";
      known.forEach((f, i) => {
        c.line(`${i === 0 ? "" : "} else "}if (${and(`tag == ${f.tag}`, taggedCheck(f, this.within))}) {`);
        c.indent(() => {
          this.field(c, s, f, anchor);
          c.line(`r.closeTagged(end, ${this.labels.arg(s.name, f.name)});`);
        });
      });
      if (known.length === 0) return c.line(skip);
      c.line("} else {");
      c.indent(() => c.line(skip));
      c.line("}");
    });
    c.line("}");
  }

  private field(c: Code, s: StructSpec, f: FieldSpec, anchor: string): void {
    const label = this.labels.arg(s.name, f.name);
    const compact = compactCheck(this.msg, f, this.within);
    const nullable = versionCheck(f.nullableVersions, this.within);
    const kind = this.plan.kindOf(s, f);
    const t = f.type;
    if (t.kind === "array") {
      c.line(`const n = r.arrayLength(${label}, ${compact}, ${nullable});`);
      const e = t.element;
      if (e.kind === "primitive" && kind === null && FIXED_SIZES[e.name]) {
        c.line(`r.skipElements(n, ${FIXED_SIZES[e.name]}, ${label});`);
        return;
      }
      if (e.kind === "struct" && READ_AS_THEY_ARRIVE.has(this.msg.name)) {
        c.line("for (let i = w.enterArray(r); i < n && !r.failed; i++) {");
        c.indent(() => {
          c.line("w.element(r, i);");
          c.line(`${walkFn(e.struct)}(r, version, w, ${anchor});`);
        });
        c.line("}");
        c.line("w.leaveArray(r);");
        return;
      }
      c.line("for (let i = 0; i < n && !r.failed; i++) {");
      c.indent(() => {
        if (e.kind === "struct") c.line(`${walkFn(e.struct)}(r, version, w, ${anchor});`);
        else {
          const value = this.value(c, e, label, compact, "false", kind, anchor);
          if (value !== null) c.line(`${value};`);
        }
      });
      c.line("}");
    } else if (t.kind === "struct") {
      const walk = `${walkFn(t.struct)}(r, version, w, ${anchor});`;
      c.line(canBeNull(f) && nullable !== "false" ? `if (!(${nullable} && r.int8(${label}) < 0)) ${walk}` : walk);
    } else {
      const records = kind === "EntityKind.Records";
      const value = this.value(c, t, label, compact, canBeNull(f) ? nullable : "false", kind, records ? anchor : "parent");
      if (value !== null) c.line(anchors(kind) ? `anchor = ${value};` : `${value};`);
    }
  }

  /** A fixed-size value the walk moves past without recording it. */
  private skippedWhole(s: StructSpec, f: FieldSpec): boolean {
    return f.type.kind === "primitive" && FIXED_SIZES[f.type.name] !== undefined && this.plan.kindOf(s, f) === null;
  }

  /**
   * Moves past `run`, fields skippedWhole() and next to each other, in one skip of their sizes
   * at this version; a short read is reported at the first of them the version has.
   */
  private skipRun(c: Code, s: StructSpec, run: FieldSpec[]): void {
    if (run.length === 0) return;
    const sizeOf = (f: FieldSpec) => FIXED_SIZES[(f.type as { name: string }).name];
    const label = (f: FieldSpec) => this.labels.arg(s.name, f.name);
    if (run.length === 1) {
      c.block(inlineCheck(this.msg, run[0], this.within), () => c.line(`r.skip(${sizeOf(run[0])}, ${label(run[0])});`));
      return;
    }
    let always = 0;
    const sometimes: string[] = [];
    for (const f of run) {
      const cond = inlineCheck(this.msg, f, this.within);
      if (cond === "true") always += sizeOf(f);
      else sometimes.push(`(${cond} ? ${sizeOf(f)} : 0)`);
    }
    const size = [...(always > 0 ? [String(always)] : []), ...sometimes].join(" + ");
    // The first field this version has: conditions in order, up to one every version has.
    let first = "";
    for (let i = run.length - 1; i >= 0; i--) {
      const cond = inlineCheck(this.msg, run[i], this.within);
      first = cond === "true" || first === "" ? label(run[i]) : `${cond} ? ${label(run[i])} : ${first}`;
    }
    c.line(`r.skip(${size}, ${first}); // ${run.map((f) => f.name).join(", ")}`);
  }

  /** Moves past one primitive value; when it is an entity, records it and returns the index expression. */
  private value(c: Code, t: FieldType, label: string, compact: string, nullable: string, kind: string | null, parent: string): string | null {
    if (t.kind !== "primitive") throw new Error("not a primitive");
    const size = FIXED_SIZES[t.name];
    const wide = t.name !== "string";
    if (kind === null) {
      c.line(size ? `r.skip(${size}, ${label});` : `r.skipValue(${label}, ${compact}, ${nullable}, ${wide});`);
      return null;
    }
    if (size) {
      c.line("const at = r.pos;");
      c.line(`r.skip(${size}, ${label});`);
      return `w.add(${kind}, at, ${size}, ${parent})`;
    }
    c.line(`const len = r.skipValue(${label}, ${compact}, ${nullable}, ${wide});`);
    return `w.add(${kind}, r.pos - max(len, 0), len, ${parent})`;
  }
}

/** assembly/views/<message>.ts for a request, a response or a header. */
export function emitView(msg: MessageSpec, labels: Labels): string {
  const c = new Code();
  c.line(`// Generated by codegen/emit-views.ts from Kafka's ${msg.name}.json. Do not edit.`);
  c.line(`// The walk of its entities over the frame's bytes (assembly/protocol/walk.ts).`);
  c.blank();
  c.line('import { Reader } from "../protocol/reader";');
  c.line('import { EntityKind, EntityWalk } from "../protocol/walk";');
  const e = new ViewEmitter(msg, new EntityPlan(msg), labels);
  for (const s of [...msg.structs, msg.root]) {
    c.blank();
    e.emitStruct(c, s);
  }
  c.blank();
  c.line(`/** Walks a ${msg.name} at \`version\` from \`r\`'s position; check \`r.failed\` after. */`);
  c.line(`export function walk${msg.name}(r: Reader, version: i16, w: EntityWalk): void {`);
  c.line(`  ${walkFn(msg.root)}(r, version, w, -1);`);
  c.line("}");
  return c.toString();
}

/** assembly/views/index.ts: any request's or response's walk by api key (the specs use it; the filter imports the views it needs). */
export function emitViewIndex(apis: Api[]): string {
  const c = new Code();
  c.line("// Generated by codegen/emit-views.ts: every request's and response's walk by api key. Do not edit.");
  c.blank();
  c.line('import { Reader } from "../protocol/reader";');
  c.line('import { EntityWalk } from "../protocol/walk";');
  for (const a of apis) {
    for (const m of [a.request, a.response]) c.line(`import { walk${m.name} } from "./${m.name}";`);
  }
  for (const side of ["request", "response"] as const) {
    c.blank();
    c.line(`/** False when \`apiKey\` has no ${side} view. */`);
    c.line(`export function walk${side === "request" ? "Request" : "Response"}(apiKey: i16, r: Reader, version: i16, w: EntityWalk): bool {`);
    c.indent(() => {
      c.line("switch (apiKey) {");
      c.indent(() => {
        for (const a of apis) c.line(`case ${a.key}: walk${a[side].name}(r, version, w); return true;`);
        c.line("default: return false;");
      });
      c.line("}");
    });
    c.line("}");
  }
  return c.toString();
}

// ---- the reference: the same entities from a decoded message ---------------------------

function entitiesFn(s: StructSpec): string { return `entities${s.name}`; }

const VALUE_BYTES: Record<string, (v: string) => string> = {
  string: (v) => `utf8(${v})`, bytes: (v) => v, records: (v) => v, uuid: (v) => `${v}.toBytes()`,
  bool: (v) => `bigEndian(${v} ? 1 : 0, 1)`, int8: (v) => `bigEndian(<i64>${v}, 1)`, int16: (v) => `bigEndian(<i64>${v}, 2)`,
  int32: (v) => `bigEndian(<i64>${v}, 4)`, int64: (v) => `bigEndian(${v}, 8)`,
};

class ReferenceEmitter {
  private readonly within: Versions;

  constructor(private readonly msg: MessageSpec, private readonly plan: EntityPlan) {
    this.within = within(msg);
  }

  emitStruct(c: Code, s: StructSpec): void {
    const anchor = hasAnchors(this.plan, s) ? "anchor" : "parent";
    c.line(`export function ${entitiesFn(s)}(m: ${s.name}, version: i16, e: Entities, parent: i32): void {`);
    c.indent(() => {
      if (anchor === "anchor") c.line("let anchor = parent;");
      // In the order of the bytes: the fixed layout, then the tagged fields a writer wrote.
      const holds = (f: FieldSpec) => this.plan.kindOf(s, f) !== null || base(f.type).kind === "struct";
      for (const f of s.fields.filter(holds)) c.block(inlineCheck(this.msg, f, this.within), () => this.field(c, s, f, anchor));
      for (const f of taggedFieldsOf(s).filter(holds)) {
        const written = and(taggedCheck(f, this.within), `!(${isDefaultExpr(f).replace(/this\./g, "m.")})`);
        c.block(written, () => this.field(c, s, f, anchor));
      }
    });
    c.line("}");
  }

  private field(c: Code, s: StructSpec, f: FieldSpec, anchor: string): void {
    const p = `m.${propertyName(f)}`;
    const kind = this.plan.kindOf(s, f);
    const t = f.type;
    if (t.kind === "array") {
      const e = t.element;
      if (e.kind !== "struct" && kind === null) return;
      const each = e.kind === "struct"
        ? `${entitiesFn(e.struct)}(unchecked(a[i]), version, e, ${anchor});`
        : `e.add(${kind}, ${VALUE_BYTES[(e as { name: string }).name]("unchecked(a[i])")}, ${anchor});`;
      c.line(`const a = ${p};`);
      c.line(`${canBeNull(f) ? "if (a != null) " : ""}for (let i = 0; i < a.length; i++) ${each}`);
    } else if (t.kind === "struct") {
      c.line(canBeNull(f) ? `if (${p} != null) ${entitiesFn(t.struct)}(${p}!, version, e, ${anchor});`
        : `${entitiesFn(t.struct)}(${p}, version, e, ${anchor});`);
    } else if (kind !== null) {
      const parent = kind === "EntityKind.Records" ? anchor : "parent";
      const add = `e.add(${kind}, ${VALUE_BYTES[t.name](p)}, ${parent})`;
      c.line(anchors(kind) ? `anchor = ${add};` : `${add};`);
    }
  }
}

/** For a message's sample file (test/generated/<message>.ts): the imports it needs and the code. */
export function emitReference(msg: MessageSpec): { imports: string[]; code: string } {
  const imports = [
    'import { EntityKind } from "../../assembly/protocol/walk";',
    'import { Entities, bigEndian, utf8 } from "../spec/support/entity-values";',
  ];
  const c = new Code();
  c.line("// The entities a view of these messages must find (codegen/emit-views.ts).");
  const e = new ReferenceEmitter(msg, new EntityPlan(msg));
  for (const s of [...msg.structs, msg.root]) {
    c.blank();
    e.emitStruct(c, s);
  }
  return { imports, code: c.toString() };
}

/** test/generated/entities.ts: the reference entities of any sample request or response, by api key. */
export function emitReferenceIndex(apis: Api[]): string {
  const c = new Code();
  c.line("// Generated by codegen/emit-views.ts: the entities of any sample request or response, by api key. Do not edit.");
  c.blank();
  c.line('import { Message } from "../../assembly/protocol/message";');
  c.line('import { Entities } from "../spec/support/entity-values";');
  for (const a of apis) {
    for (const m of [a.request, a.response]) {
      c.line(`import { ${m.name}Data } from "../../assembly/messages/${m.name}";`);
      c.line(`import { entities${m.name}Data } from "./${m.name}";`);
    }
  }
  c.blank();
  c.line("export function messageEntities(apiKey: i16, isRequest: bool, m: Message, version: i16, e: Entities): void {");
  c.indent(() => {
    c.line("switch (apiKey) {");
    c.indent(() => {
      for (const a of apis) {
        const [q, s] = [a.request.name, a.response.name];
        c.line(`case ${a.key}: if (isRequest) entities${q}Data(changetype<${q}Data>(m), version, e, -1); else entities${s}Data(changetype<${s}Data>(m), version, e, -1); break;`);
      }
    });
    c.line("}");
  });
  c.line("}");
  return c.toString();
}
