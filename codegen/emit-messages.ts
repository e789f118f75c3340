// Emits one AssemblyScript file per message definition: one class per message and per
// nested or common struct, each field guarded by its version ranges exactly as the JSON says.
// The output has no closures and no reflection: every field is read, written and printed by
// straight-line code, and every read goes through the bounds-checked Reader.

import { FieldSpec, FieldType, MessageSpec, StructSpec, Versions } from "./model";
import { Code } from "./code";
import { Labels } from "./labels";

// Property names the generated classes use for themselves.
const RESERVED = new Set(["read", "write", "writeJson", "readJson", "isDefault", "unknownTaggedFields", "constructor"]);

export function propertyName(f: FieldSpec): string {
  return RESERVED.has(f.jsonName) ? f.jsonName + "_" : f.jsonName;
}

/** `version` is within `range`, simplified for code that only runs for versions in `within`. */
export function versionCheck(range: Versions, within: Versions): string {
  const r = range.intersect(within);
  if (r.empty) return "false";
  const lo = r.lo > within.lo ? `version >= ${r.lo}` : "";
  const hi = r.hi < within.hi ? `version <= ${r.hi}` : "";
  if (lo && hi) return r.lo === r.hi ? `version == ${r.lo}` : `(${lo} && ${hi})`;
  return lo || hi || "true";
}

/** The field is written in compact (flexible) form. */
export function compactCheck(msg: MessageSpec, f: FieldSpec, within: Versions): string {
  return versionCheck(f.flexibleVersions ?? msg.flexibleVersions, within);
}

/** The field is in the fixed layout: where it exists and is not tagged. */
export function inlineCheck(msg: MessageSpec, f: FieldSpec, within: Versions): string {
  const tagged = f.taggedVersions.intersect(f.versions);
  if (tagged.empty) return versionCheck(f.versions, within);
  if (tagged.lo <= f.versions.lo && tagged.hi >= f.versions.hi) return "false";
  throw new Error(`${msg.name}.${f.name}: tagged in only some of its versions`);
}

/** The field is a tagged field at this version. */
export function taggedCheck(f: FieldSpec, within: Versions): string {
  return f.tag === null ? "false" : versionCheck(f.taggedVersions.intersect(f.versions), within);
}

/** Tagged fields in the order writers put them: by tag. */
export function taggedFieldsOf(s: StructSpec): FieldSpec[] {
  return s.fields.filter((f) => f.tag !== null).sort((a, b) => a.tag! - b.tag!);
}

export function and(a: string, b: string): string {
  if (a === "false" || b === "false") return "false";
  if (a === "true") return b;
  if (b === "true") return a;
  return `${a} && ${b}`;
}

const PRIMITIVE_TYPES: Record<string, string> = {
  int8: "i8", int16: "i16", int32: "i32", int64: "i64", uint16: "u16", uint32: "u32",
  float64: "f64", bool: "bool", string: "string", bytes: "Uint8Array", uuid: "Uuid", records: "Uint8Array",
};

function elementType(t: FieldType): string {
  if (t.kind === "primitive") return PRIMITIVE_TYPES[t.name];
  if (t.kind === "struct") return t.struct.name;
  return `Array<${elementType(t.element)}>`;
}

/**
 * `p`, known not null where it is used (a null check just before), as its non-null type: not
 * `p!`, whose check the compiler keeps, with an abort naming the file for each use (15 KB of
 * file names in filter.wasm).
 */
function nonNull(t: FieldType, p: string): string { return `changetype<${elementType(t)}>(${p})`; }

export function canBeNull(f: FieldSpec): boolean {
  return !f.nullableVersions.empty || (f.type.kind === "primitive" && f.type.name === "records");
}

/**
 * A field that cannot be null and holds an array or a struct is allocated when first asked for
 * (its getter), not with its object: a refused partition's answer is made of such objects, and
 * their empty defaults (an array reserves room for 8 elements) were most of what a request of
 * many refused entries made a VM allocate. Its value is held in backingName(f), null until then;
 * what the generated code only reads (write, isDefault) reads that, and allocates nothing.
 */
export function isLazy(f: FieldSpec): boolean {
  return !canBeNull(f) && (f.type.kind === "array" || f.type.kind === "struct");
}

/**
 * A nullable array field whose default is an empty array, not null (DescribeConfigsResource's
 * configurationKeys, OffsetFetchRequestGroup's topics, ...): the same, with a flag telling the
 * default (nothing set yet: an empty array, made when first asked for) from a null that was
 * read or set. Allocated with its object, it was garbage as soon as the field was read.
 */
export function isLazyNullable(f: FieldSpec): boolean {
  return canBeNull(f) && f.type.kind === "array" && f.default !== "null";
}

export function backingName(f: FieldSpec): string { return "_" + propertyName(f); }

/** isLazyNullable(f)'s flag: true once the field holds what was read or set. */
function setFlagName(f: FieldSpec): string { return "_" + propertyName(f) + "Set"; }

function propertyType(f: FieldSpec): string {
  const t = elementType(f.type);
  return canBeNull(f) ? `${t} | null` : t;
}

function defaultValue(f: FieldSpec): string {
  const t = f.type;
  const d = f.default;
  if (canBeNull(f) && (d === "null" || (t.kind === "primitive" && t.name === "records"))) return "null";
  if (t.kind === "array") return `new Array<${elementType(t.element)}>()`;
  if (t.kind === "struct") return `new ${t.struct.name}()`;
  switch (t.name) {
    case "bool": return d === "true" ? "true" : "false";
    case "float64": return d ? String(Number(d)) : "0";
    case "string": return JSON.stringify(d ?? "");
    case "bytes": return "new Uint8Array(0)";
    case "uuid": return "Uuid.ZERO";
    default:
      if (!d) return "0";
      return BigInt(d).toString(); // accepts hex ("0x7fffffff") and values beyond 2^53
  }
}

/** An expression that is true when the property holds its default, as Kafka's equals sees it. */
export function isDefaultExpr(f: FieldSpec): string {
  const p = `this.${propertyName(f)}`;
  const t = f.type;
  const d = defaultValue(f);
  if (d === "null") return `${p} == null`;
  if (isLazyNullable(f)) {
    const raw = `this.${backingName(f)}`;
    return `!this.${setFlagName(f)} || ${raw} != null && ${nonNull(t, raw)}.length == 0`;
  }
  if (isLazy(f)) {
    const raw = `this.${backingName(f)}`;
    return `${raw} == null || ${nonNull(t, raw)}.${t.kind === "array" ? "length == 0" : "isDefault()"}`;
  }
  const nn = canBeNull(f) ? nonNull(f.type, p) : p;
  const guard = canBeNull(f) ? `${p} != null && ` : "";
  if (t.kind === "array") return `${guard}${nn}.length == 0`;
  if (t.kind === "struct") return `${guard}${nn}.isDefault()`;
  switch (t.name) {
    case "bytes": return `${guard}${nn}.length == 0`;
    case "uuid": return `${p}.isZero()`;
    default: return `${p} == ${d}`;
  }
}

class StructEmitter {
  constructor(
    private readonly msg: MessageSpec,
    private readonly s: StructSpec,
    private readonly within: Versions,
    private readonly labels: Labels,
  ) {}

  private get flexible(): string { return versionCheck(this.msg.flexibleVersions, this.within); }

  private compact(f: FieldSpec): string { return compactCheck(this.msg, f, this.within); }

  private label(f: FieldSpec): string { return this.labels.arg(this.s.name, f.name); }

  private inline(f: FieldSpec): string { return inlineCheck(this.msg, f, this.within); }

  private tagged(f: FieldSpec): string { return taggedCheck(f, this.within); }

  emit(c: Code, isMessage: boolean): void {
    const s = this.s;
    c.line(`export class ${s.name}${isMessage ? " extends Message" : ""} {`);
    c.indent(() => {
      for (const f of s.fields) {
        c.line(`/** ${f.about.replace(/\*\//g, "* /")} (versions ${f.versions}${f.nullableVersions.empty ? "" : `, nullable ${f.nullableVersions}`}${f.tag === null ? "" : `, tag ${f.tag} in ${f.taggedVersions}`}) */`);
        if (isLazy(f)) this.emitLazy(c, f);
        else if (isLazyNullable(f)) this.emitLazyNullable(c, f);
        else c.line(`${propertyName(f)}: ${propertyType(f)} = ${defaultValue(f)};`);
      }
      c.line("/** Tagged fields this version does not know, kept to be written back unchanged. */");
      c.line("unknownTaggedFields: Array<RawTaggedField> | null = null;");
      c.blank();
      this.emitRead(c);
      c.blank();
      this.emitWrite(c);
      c.blank();
      this.emitWriteJson(c);
      c.blank();
      this.emitReadJson(c);
      c.blank();
      this.emitIsDefault(c);
    });
    c.line("}");
  }

  /** A lazy field (isLazy): its backing property and accessors. */
  private emitLazy(c: Code, f: FieldSpec): void {
    const name = propertyName(f), raw = backingName(f), t = elementType(f.type);
    c.line(`${raw}: ${t} | null = null;`);
    c.line(`get ${name}(): ${t} {`);
    c.indent(() => {
      c.line(`let v = this.${raw};`);
      c.line(`if (v == null) this.${raw} = v = ${defaultValue(f)};`);
      c.line(`return ${nonNull(f.type, "v")};`);
    });
    c.line("}");
    c.line(`set ${name}(v: ${t}) { this.${raw} = v; }`);
  }

  /** A lazy nullable field (isLazyNullable): its backing property, its flag and accessors. */
  private emitLazyNullable(c: Code, f: FieldSpec): void {
    const name = propertyName(f), raw = backingName(f), set = setFlagName(f), t = `${elementType(f.type)} | null`;
    c.line(`${raw}: ${t} = null;`);
    c.line(`${set}: bool = false;`);
    c.line(`get ${name}(): ${t} {`);
    c.indent(() => {
      c.line(`if (!this.${set}) {`);
      c.indent(() => {
        c.line(`this.${raw} = ${defaultValue(f)};`);
        c.line(`this.${set} = true;`);
      });
      c.line("}");
      c.line(`return this.${raw};`);
    });
    c.line("}");
    c.line(`set ${name}(v: ${t}) {`);
    c.indent(() => {
      c.line(`this.${raw} = v;`);
      c.line(`this.${set} = true;`);
    });
    c.line("}");
  }

  // ---- read -------------------------------------------------------------------------

  private emitRead(c: Code): void {
    c.line(`read(r: Reader, version: i16): void {`);
    c.indent(() => {
      for (const f of this.s.fields) {
        const cond = this.inline(f);
        if (cond === "false") continue;
        c.block(cond, () => this.readField(c, f, `this.${propertyName(f)}`, "r"));
      }
      const flex = this.flexible;
      if (flex !== "false") c.block(flex, () => this.readTagged(c));
    });
    c.line("}");
  }

  private readTagged(c: Code): void {
    const label = this.labels.arg(this.s.name, null);
    c.line(`const count = r.taggedCount(${label});`);
    c.line("for (let i = 0; i < count && !r.failed; i++) {");
    c.indent(() => {
      c.line(`const raw = r.taggedField(${label});`);
      c.line("if (raw == null) break;");
      let first = true;
      for (const f of this.taggedFields()) {
        const cond = and(`raw.tag == ${f.tag}`, this.tagged(f));
        if (cond === "false") continue;
        c.line(`${first ? "" : "} else "}if (${cond}) {`);
        first = false;
        c.indent(() => {
          c.line("const t = r.tagged(raw.data);");
          this.readField(c, f, `this.${propertyName(f)}`, "t");
          c.line(`r.absorb(t, ${this.label(f)});`);
        });
      }
      if (first) {
        this.keepUnknown(c);
      } else {
        c.line("} else {");
        c.indent(() => this.keepUnknown(c));
        c.line("}");
      }
    });
    c.line("}");
  }

  private keepUnknown(c: Code): void {
    c.line("if (this.unknownTaggedFields == null) this.unknownTaggedFields = new Array<RawTaggedField>();");
    c.line("changetype<Array<RawTaggedField>>(this.unknownTaggedFields).push(raw);");
  }

  private taggedFields(): FieldSpec[] { return taggedFieldsOf(this.s); }

  /** Reads one field's value from reader `r` into `target`. */
  private readField(c: Code, f: FieldSpec, target: string, r: string): void {
    const label = this.label(f);
    const compact = this.compact(f);
    const nullable = versionCheck(f.nullableVersions, this.within);
    const t = f.type;
    if (t.kind === "array") {
      {
        c.line(`const n = ${r}.arrayLength(${label}, ${compact}, ${nullable});`);
        const elem = elementType(t.element);
        // A field that cannot be null already holds an empty array (its default): the
        // elements go there, not into a second one. Decoding is mostly allocation.
        // An empty one is not allocated for a lazy field that holds none yet.
        if (canBeNull(f)) c.line(`const a: Array<${elem}> | null = n < 0 ? null : new Array<${elem}>();`);
        else c.line(`const a: Array<${elem}> | null = n < 0 || (n == 0 && this.${backingName(f)} == null) ? null : emptied(${target});`);
        c.line(`for (let i = 0; i < n && !${r}.failed; i++) {`);
        c.indent(() => {
          if (t.element.kind === "struct") {
            c.line(`const e = new ${elem}();`);
            c.line(`e.read(${r}, version);`);
            c.line(`changetype<Array<${elem}>>(a).push(e);`);
          } else {
            c.line(`changetype<Array<${elem}>>(a).push(${this.readPrimitive(t.element, label, compact, "false", false, r)});`);
          }
        });
        c.line("}");
        if (canBeNull(f)) c.line(`${target} = a;`);
      }
    } else if (t.kind === "struct") {
      if (canBeNull(f)) {
        c.line(`if (${nullable === "false" ? "false" : `${nullable} && ${r}.int8(${label}) < 0`}) ${target} = null;`);
        c.line("else {");
        c.indent(() => {
          c.line(`const e = new ${t.struct.name}();`);
          c.line(`e.read(${r}, version);`);
          c.line(`${target} = e;`);
        });
        c.line("}");
      } else {
        c.line(`${target}.read(${r}, version);`);
      }
    } else {
      c.line(`${target} = ${this.readPrimitive(t, label, compact, nullable, canBeNull(f), r)};`);
    }
  }

  private readPrimitive(t: FieldType, label: string, compact: string, nullable: string, nullableType: boolean, r: string): string {
    if (t.kind !== "primitive") throw new Error("not a primitive");
    switch (t.name) {
      case "string":
        return nullableType ? `${r}.nullableString(${label}, ${compact}, ${nullable})` : `${r}.string(${label}, ${compact})`;
      case "bytes":
      case "records":
        return nullableType ? `${r}.nullableBytes(${label}, ${compact}, ${nullable})` : `${r}.bytes(${label}, ${compact})`;
      default:
        return `${r}.${t.name}(${label})`;
    }
  }

  // ---- write ------------------------------------------------------------------------

  private emitWrite(c: Code): void {
    c.line(`write(w: Writer, version: i16): void {`);
    c.indent(() => {
      for (const f of this.s.fields) {
        const cond = this.inline(f);
        if (cond !== "false") c.block(cond, () => this.writeField(c, f, "w"));
        // Kafka refuses to drop a value the version cannot carry, unless the field is ignorable.
        const absent = versionCheck(f.versions, this.within);
        if (!f.ignorable && absent !== "true" && f.tag === null) {
          c.line(`if (!(${absent}) && !(${isDefaultExpr(f)})) w.fail(${this.label(f)}, "non-default value at version " + version.toString());`);
        }
      }
      const flex = this.flexible;
      if (flex !== "false") c.block(flex, () => this.writeTagged(c));
    });
    c.line("}");
  }

  private writeTagged(c: Code): void {
    const tagged = this.taggedFields().filter((f) => this.tagged(f) !== "false");
    const present = (f: FieldSpec) => and(this.tagged(f), `!(${isDefaultExpr(f)})`);
    c.line("const unknown = this.unknownTaggedFields;");
    c.line("let count = unknown == null ? 0 : unknown.length;");
    for (const f of tagged) c.line(`if (${present(f)}) count++;`);
    c.line("w.uvarint(<u32>count);");
    if (tagged.length > 0) c.line("let u = 0;");
    for (const f of tagged) {
      c.block(present(f), () => {
        c.line(`u = w.rawTaggedBefore(unknown, u, ${f.tag});`);
        c.line("const t = new Writer(16);");
        this.writeField(c, f, "t");
        c.line(`if (t.failed) w.fail(${this.label(f)}, t.error);`);
        c.line(`w.taggedField(${f.tag}, t.bytes());`);
      });
    }
    c.line(`w.rawTaggedBefore(unknown, ${tagged.length > 0 ? "u" : "0"}, u64.MAX_VALUE);`);
  }

  private writeField(c: Code, f: FieldSpec, w: string): void {
    const p = `this.${propertyName(f)}`;
    const label = this.label(f);
    const compact = this.compact(f);
    const nullable = versionCheck(f.nullableVersions, this.within);
    const t = f.type;
    const nullCase = () => {
      if (nullable === "false") c.line(`${w}.fail(${label}, "null at version " + version.toString() + ", where it is not nullable");`);
      else if (nullable === "true") c.line(this.writeNull(t, w, compact));
      else {
        c.line(`if (${nullable}) ${this.writeNull(t, w, compact)}`);
        c.line(`else ${w}.fail(${label}, "null at version " + version.toString() + ", where it is not nullable");`);
      }
    };
    if (t.kind === "array") {
      {
        // A lazy nullable field not set yet holds its default, an empty array: not null.
        const lazy = isLazy(f) || isLazyNullable(f);
        c.line(`const a = ${lazy ? `this.${backingName(f)}` : p};`);
        const body = () => {
          if (lazy) c.line("const n = a == null ? 0 : a.length;");
          const n = lazy ? "n" : "a.length";
          c.line(`${w}.length(${n}, ${compact}, true);`);
          c.line(`for (let i = 0; i < ${n}; i++) {`);
          c.indent(() => {
            c.line(`const e = unchecked(${lazy ? nonNull(t, "a") : "a"}[i]);`);
            if (t.element.kind === "struct") c.line(`e.write(${w}, version);`);
            else c.line(this.writePrimitive(t.element, "e", w, compact));
          });
          c.line("}");
        };
        if (canBeNull(f)) {
          c.line(`if (a == null${isLazyNullable(f) ? ` && this.${setFlagName(f)}` : ""}) {`);
          c.indent(() => nullCase());
          c.line("} else {");
          c.indent(body);
          c.line("}");
        } else body();
      }
    } else if (t.kind === "struct") {
      if (canBeNull(f)) {
        c.line(`if (${p} == null) {`);
        c.indent(() => nullCase());
        c.line("} else {");
        c.indent(() => {
          if (nullable !== "false") c.line(nullable === "true" ? `${w}.int8(1);` : `if (${nullable}) ${w}.int8(1);`);
          c.line(`${nonNull(t, p)}.write(${w}, version);`);
        });
        c.line("}");
      } else {
        c.line(`${p}.write(${w}, version);`);
      }
    } else if (canBeNull(f)) {
      c.line(`if (${p} == null) {`);
      c.indent(() => nullCase());
      c.line("} else {");
      c.indent(() => c.line(this.writePrimitive(t, nonNull(t, p), w, compact)));
      c.line("}");
    } else {
      c.line(this.writePrimitive(t, p, w, compact));
    }
  }

  private writeNull(t: FieldType, w: string, compact: string): string {
    if (t.kind === "struct") return `${w}.int8(-1);`;
    const wide = !(t.kind === "primitive" && t.name === "string");
    return `${w}.length(-1, ${compact}, ${wide});`;
  }

  private writePrimitive(t: FieldType, v: string, w: string, compact: string): string {
    if (t.kind !== "primitive") throw new Error("not a primitive");
    switch (t.name) {
      case "string": return `${w}.string(${v}, ${compact});`;
      case "bytes":
      case "records": return `${w}.bytesField(${v}, ${compact});`;
      default: return `${w}.${t.name}(${v});`;
    }
  }

  // ---- JSON -------------------------------------------------------------------------

  private emitWriteJson(c: Code): void {
    c.line(`writeJson(j: JsonWriter, version: i16): void {`);
    c.indent(() => {
      c.line("j.beginObject();");
      for (const f of this.s.fields) {
        // As Kafka's converters do: tagged fields appear only when they differ from the default.
        const inline = this.inline(f);
        const cond = inline !== "false" ? inline : and(this.tagged(f), `!(${isDefaultExpr(f)})`);
        if (cond === "false") continue;
        c.block(cond, () => {
          c.line(`j.key(${JSON.stringify(f.jsonName)});`);
          this.jsonValue(c, f.type, `this.${propertyName(f)}`, canBeNull(f));
        });
      }
      c.line("writeUnknownTaggedJson(j, this.unknownTaggedFields);");
      c.line("j.endObject();");
    });
    c.line("}");
  }

  private jsonValue(c: Code, t: FieldType, v: string, nullableType: boolean): void {
    if (t.kind === "array") {
      const items = () => {
        c.line(`const a = ${nullableType ? nonNull(t, v) : v};`);
        c.line("j.beginArray();");
        c.line("for (let i = 0; i < a.length; i++) {");
        c.indent(() => this.jsonValue(c, t.element, "unchecked(a[i])", false));
        c.line("}");
        c.line("j.endArray();");
      };
      if (!nullableType) return items();
      c.line(`if (${v} == null) j.nullValue();`);
      c.line("else {");
      c.indent(items);
      c.line("}");
      return;
    }
    if (t.kind === "struct") {
      if (nullableType) c.line(`if (${v} == null) j.nullValue(); else ${nonNull(t, v)}.writeJson(j, version);`);
      else c.line(`${v}.writeJson(j, version);`);
      return;
    }
    switch (t.name) {
      case "string": c.line(`j.string(${v});`); break;
      case "bytes":
      case "records": c.line(`j.bytes(${v});`); break;
      case "uuid": c.line(`j.string(${v}.toString());`); break;
      case "bool": c.line(`j.bool(${v});`); break;
      case "float64": c.line(`j.float64(${v});`); break;
      case "uint32": c.line(`j.uint(<u64>${v});`); break;
      default: c.line(`j.int(<i64>${v});`);
    }
  }

  private emitReadJson(c: Code): void {
    c.line("/** Reads Kafka's JSON form at `version`; problems land in the fields' shared errors. */");
    c.line("readJson(o: JsonFields, version: i16): void {");
    c.indent(() => {
      for (const f of this.s.fields) {
        const inline = this.inline(f);
        const target = `this.${propertyName(f)}`;
        if (inline !== "false") {
          c.block(inline, () => this.jsonRead(c, f.type, `o.field(${JSON.stringify(f.jsonName)})`, target, canBeNull(f)));
        } else {
          // Tagged fields may be left out; they then keep their default.
          c.block(this.tagged(f), () => {
            c.line(`const v = o.field(${JSON.stringify(f.jsonName)});`);
            c.line("if (v.present) {");
            c.indent(() => this.jsonRead(c, f.type, "v", target, canBeNull(f)));
            c.line("}");
          });
        }
      }
      c.line("this.unknownTaggedFields = readUnknownTaggedJson(o);");
    });
    c.line("}");
  }

  /** Reads the JSON value `src` (a JsonFields expression) into `target`. */
  private jsonRead(c: Code, t: FieldType, src: string, target: string, nullableType: boolean): void {
    if (t.kind === "array") {
      const elem = elementType(t.element);
      c.line(`const a = ${src};`);
      const items = () => {
        c.line(`const items = new Array<${elem}>();`);
        c.line("for (let i = 0, n = a.length; i < n; i++) {");
        c.indent(() => {
          if (t.element.kind === "struct") {
            c.line(`const e = new ${elem}();`);
            c.line("e.readJson(a.at(i), version);");
            c.line("items.push(e);");
          } else {
            c.line(`items.push(${this.jsonScalar(t.element, "a.at(i)", false)});`);
          }
        });
        c.line("}");
        c.line(`${target} = items;`);
      };
      if (nullableType) {
        c.line(`if (a.isNull) ${target} = null;`);
        c.line("else {");
        c.indent(items);
        c.line("}");
      } else {
        c.line("a.requireArray();");
        items();
      }
      return;
    }
    if (t.kind === "struct") {
      c.line(`const s = ${src};`);
      if (nullableType) c.line(`if (s.isNull) ${target} = null;`);
      c.line(`${nullableType ? "else " : ""}{`);
      c.indent(() => {
        c.line("s.requireObject();");
        c.line(`const e = new ${t.struct.name}();`);
        c.line("e.readJson(s, version);");
        c.line(`${target} = e;`);
      });
      c.line("}");
      return;
    }
    c.line(`${target} = ${this.jsonScalar(t, src, nullableType)};`);
  }

  private jsonScalar(t: FieldType, src: string, nullableType: boolean): string {
    if (t.kind !== "primitive") throw new Error("not a primitive");
    switch (t.name) {
      case "int8": return `${src}.asI8()`;
      case "int16": return `${src}.asI16()`;
      case "int32": return `${src}.asI32()`;
      case "int64": return `${src}.asInt()`;
      case "uint16": return `${src}.asU16()`;
      case "uint32": return `${src}.asU32()`;
      case "float64": return `${src}.asF64()`;
      case "bool": return `${src}.asBool()`;
      case "string": return nullableType ? `${src}.asNullableString()` : `${src}.asString()`;
      case "uuid": return `jsonUuid(${src})`;
      case "bytes":
      case "records": return nullableType ? `jsonBytes(${src}, true)` : `jsonBytes(${src}, false)!`;
    }
  }

  private emitIsDefault(c: Code): void {
    c.line("/** Every field holds its default (Kafka's equals against a new instance). */");
    c.line("isDefault(): bool {");
    c.indent(() => {
      const parts = this.s.fields.map((f) => `(${isDefaultExpr(f)})`);
      parts.push("(this.unknownTaggedFields == null || changetype<Array<RawTaggedField>>(this.unknownTaggedFields).length == 0)");
      c.line(`return ${parts.join("\n    && ")};`);
    });
    c.line("}");
  }
}

/** `labels` collects the error labels of every message (emitted once, as labels.ts). */
export function emitMessage(msg: MessageSpec, labels: Labels): string {
  const c = new Code();
  c.line(`// Generated by codegen/ from Kafka's ${msg.name}.json. Do not edit.`);
  c.line(`// ${msg.kind}${msg.apiKey === null ? "" : ` api key ${msg.apiKey}`}, valid versions ${msg.validVersions}, flexible versions ${msg.flexibleVersions}${msg.latestVersionUnstable ? ", latest version unstable" : ""}.`);
  c.blank();
  c.line('import { Reader, emptied } from "../protocol/reader";');
  c.line('import { Writer } from "../protocol/writer";');
  c.line('import { Uuid } from "../protocol/uuid";');
  c.line('import { RawTaggedField } from "../protocol/tagged";');
  c.line('import { Message } from "../protocol/message";');
  c.line('import { JsonWriter } from "../json/writer";');
  c.line('import { JsonFields } from "../json/value";');
  c.line('import "./labels";');
  c.line('import { jsonBytes, jsonUuid, readUnknownTaggedJson, writeUnknownTaggedJson } from "../protocol/json-support";');
  // Versions outside the message's valid range never reach these classes.
  const within = msg.validVersions.empty ? Versions.ALL : msg.validVersions;
  for (const s of msg.structs) {
    c.blank();
    new StructEmitter(msg, s, within, labels).emit(c, false);
  }
  c.blank();
  new StructEmitter(msg, msg.root, within, labels).emit(c, true);
  return c.toString();
}

