// A typed model of Kafka's message definitions (common/message/*.json), built before any
// output is generated, as Kafka's own generator does. Generators read only this model.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** An inclusive version range; `none` is the empty range. */
export class Versions {
  constructor(readonly lo: number, readonly hi: number) {}

  static readonly NONE = new Versions(1, 0);
  static readonly ALL = new Versions(0, 0x7fff);

  /** Kafka's forms: "3", "1-5", "2+", "none". */
  static parse(text: string | undefined, fallback: Versions): Versions {
    if (text === undefined) return fallback;
    const t = text.trim();
    if (t === "none") return Versions.NONE;
    if (t.endsWith("+")) return new Versions(Number(t.slice(0, -1)), 0x7fff);
    const dash = t.indexOf("-");
    if (dash > 0) return new Versions(Number(t.slice(0, dash)), Number(t.slice(dash + 1)));
    return new Versions(Number(t), Number(t));
  }

  get empty(): boolean { return this.lo > this.hi; }
  contains(v: number): boolean { return v >= this.lo && v <= this.hi; }
  intersect(o: Versions): Versions { return new Versions(Math.max(this.lo, o.lo), Math.min(this.hi, o.hi)); }
  toString(): string {
    if (this.empty) return "none";
    if (this.hi === 0x7fff) return `${this.lo}+`;
    return this.lo === this.hi ? `${this.lo}` : `${this.lo}-${this.hi}`;
  }
}

export type Primitive =
  | "int8" | "int16" | "int32" | "int64" | "uint16" | "uint32" | "float64"
  | "bool" | "string" | "bytes" | "uuid" | "records";

const PRIMITIVES = new Set<string>([
  "int8", "int16", "int32", "int64", "uint16", "uint32", "float64",
  "bool", "string", "bytes", "uuid", "records",
]);

export type FieldType =
  | { kind: "primitive"; name: Primitive }
  | { kind: "struct"; struct: StructSpec }
  | { kind: "array"; element: FieldType };

/** What a field names, as Kafka's definitions annotate it ("entityType"); "unknown" is dropped. */
export type EntityType = "topicName" | "groupId" | "transactionalId" | "producerId" | "brokerId";

const ENTITY_TYPES = new Set<string>(["topicName", "groupId", "transactionalId", "producerId", "brokerId"]);

export interface FieldSpec {
  name: string;          // as in the definition, e.g. "TopicData"
  jsonName: string;      // lowerCamelCase, as Kafka's JSON converters write it
  type: FieldType;
  versions: Versions;
  nullableVersions: Versions;
  taggedVersions: Versions;
  tag: number | null;
  /** Overrides the message's flexible versions for this field (RequestHeader.ClientId). */
  flexibleVersions: Versions | null;
  ignorable: boolean;
  default: string | null;
  about: string;
  entityType: EntityType | null;
  /** The field keys its array's elements (Kafka generates a map collection for such arrays). */
  mapKey: boolean;
}

export interface StructSpec {
  name: string;
  fields: FieldSpec[];
  versions: Versions;
}

export type MessageKind = "request" | "response" | "header" | "data";

export interface MessageSpec {
  name: string;                 // "ProduceRequest"
  kind: MessageKind;
  apiKey: number | null;
  validVersions: Versions;
  flexibleVersions: Versions;
  latestVersionUnstable: boolean;
  listeners: string[];
  root: StructSpec;             // the message's own top-level fields
  structs: StructSpec[];        // every nested and common struct, each once, dependencies first
}

export function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function stripComments(text: string): string {
  return text.replace(/^\s*\/\/.*$/gm, "");
}

interface RawField {
  name: string; type: string; versions?: string; nullableVersions?: string;
  taggedVersions?: string; tag?: number; flexibleVersions?: string; ignorable?: boolean;
  default?: string | number | boolean; about?: string; fields?: RawField[];
  entityType?: string; mapKey?: boolean;
}

interface RawMessage {
  name: string; type: MessageKind; apiKey?: number; validVersions: string;
  flexibleVersions?: string; latestVersionUnstable?: boolean; listeners?: string[];
  fields?: RawField[]; commonStructs?: { name: string; versions?: string; fields: RawField[] }[];
}

/** Builds one message's model; struct types resolve against inline and common structs. */
export function parseMessage(raw: RawMessage): MessageSpec {
  const validVersions = Versions.parse(raw.validVersions, Versions.NONE);
  const structs: StructSpec[] = [];
  const byName = new Map<string, StructSpec>();
  const pendingCommon = new Map<string, { name: string; versions?: string; fields: RawField[] }>();
  for (const c of raw.commonStructs ?? []) pendingCommon.set(c.name, c);

  const resolveStruct = (name: string, inline: RawField[] | undefined, versions: Versions): StructSpec => {
    const known = byName.get(name);
    if (known && !inline) return known;
    if (known && inline) throw new Error(`${raw.name}: struct ${name} defined twice`);
    const common = pendingCommon.get(name);
    const fieldsRaw = inline ?? common?.fields;
    if (!fieldsRaw) throw new Error(`${raw.name}: unknown struct type ${name}`);
    const spec: StructSpec = { name, fields: [], versions: common ? Versions.parse(common.versions, Versions.ALL) : versions };
    byName.set(name, spec);
    spec.fields = fieldsRaw.map((f) => parseField(f, spec.versions));
    structs.push(spec); // after its own nested structs: dependencies first
    return spec;
  };

  const parseType = (f: RawField, versions: Versions): FieldType => {
    const array = f.type.startsWith("[]");
    const base = array ? f.type.slice(2) : f.type;
    const element: FieldType = PRIMITIVES.has(base)
      ? { kind: "primitive", name: base as Primitive }
      : { kind: "struct", struct: resolveStruct(base, f.fields, versions) };
    return array ? { kind: "array", element } : element;
  };

  const parseField = (f: RawField, parentVersions: Versions): FieldSpec => {
    const versions = Versions.parse(f.versions, Versions.NONE);
    return {
      name: f.name,
      jsonName: lowerCamel(f.name),
      type: parseType(f, versions.intersect(parentVersions)),
      versions,
      nullableVersions: Versions.parse(f.nullableVersions, Versions.NONE),
      taggedVersions: Versions.parse(f.taggedVersions, Versions.NONE),
      tag: f.tag ?? null,
      flexibleVersions: f.flexibleVersions === undefined ? null : Versions.parse(f.flexibleVersions, Versions.NONE),
      ignorable: f.ignorable ?? false,
      default: f.default === undefined ? null : String(f.default),
      about: f.about ?? "",
      entityType: entityType(f),
      mapKey: f.mapKey ?? false,
    };
  };

  const entityType = (f: RawField): EntityType | null => {
    if (f.entityType === undefined || f.entityType === "unknown") return null;
    // A kind Kafka adds in a new release must be placed in the walk's kinds before it is used.
    if (!ENTITY_TYPES.has(f.entityType)) throw new Error(`${raw.name}.${f.name}: unknown entityType ${f.entityType}`);
    return f.entityType as EntityType;
  };

  const root: StructSpec = { name: raw.name + "Data", fields: [], versions: validVersions };
  root.fields = (raw.fields ?? []).map((f) => parseField(f, validVersions));
  // Common structs no field refers to are still part of the message's model.
  for (const name of pendingCommon.keys()) if (!byName.has(name)) resolveStruct(name, undefined, Versions.ALL);

  return {
    name: raw.name,
    kind: raw.type,
    apiKey: raw.apiKey ?? null,
    validVersions,
    flexibleVersions: Versions.parse(raw.flexibleVersions, Versions.NONE),
    latestVersionUnstable: raw.latestVersionUnstable ?? false,
    listeners: raw.listeners ?? [],
    root,
    structs,
  };
}

export function loadMessages(dir: string): MessageSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const raw = JSON.parse(stripComments(readFileSync(join(dir, f), "utf8"))) as RawMessage;
      try {
        return parseMessage(raw);
      } catch (e) {
        throw new Error(`${f}: ${(e as Error).message}`);
      }
    });
}
