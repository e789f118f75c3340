// JSON pieces every generated message shares.

import { JsonWriter } from "../json/writer";
import { RawTaggedField } from "./tagged";
import { JsonFields } from "../json/value";
import { base64Decode } from "../json/base64";
import { Uuid } from "./uuid";

/**
 * Kafka's JSON converters have no place for tagged fields they do not know; ours keeps them
 * under "_unknownTaggedFields" so that decode -> JSON -> encode loses nothing.
 */
export function writeUnknownTaggedJson(j: JsonWriter, fields: Array<RawTaggedField> | null): void {
  if (fields == null || fields.length == 0) return;
  j.key("_unknownTaggedFields");
  j.beginArray();
  for (let i = 0; i < fields.length; i++) {
    const f = unchecked(fields[i]);
    j.beginObject();
    j.key("tag");
    j.uint(f.tag);
    j.key("data");
    j.bytes(f.data);
    j.endObject();
  }
  j.endArray();
}

/** Base64 bytes (standard alphabet, as Kafka's converters write them); null for JSON null when allowed. */
export function jsonBytes(f: JsonFields, nullable: bool): Uint8Array | null {
  if (nullable && f.isNull) return null;
  const text = f.asString();
  const b = base64Decode(text);
  if (b == null) {
    f.fail("not base64");
    return new Uint8Array(0);
  }
  return b;
}

/** A Uuid in Kafka's textual form (22 characters of URL-safe base64). */
export function jsonUuid(f: JsonFields): Uuid {
  const text = f.asString();
  if (f.failed) return Uuid.ZERO;
  const u = Uuid.parse(text);
  if (u == null) {
    f.fail("not a Uuid: \"" + text + "\"");
    return Uuid.ZERO;
  }
  return u;
}

/** The "_unknownTaggedFields" our JSON carries, sorted by tag as they are written. */
export function readUnknownTaggedJson(o: JsonFields): Array<RawTaggedField> | null {
  const a = o.field("_unknownTaggedFields");
  if (!a.present) return null;
  const out = new Array<RawTaggedField>();
  for (let i = 0, n = a.length; i < n; i++) {
    const e = a.at(i);
    const tag = e.field("tag").asU32();
    const data = jsonBytes(e.field("data"), false)!;
    out.push(new RawTaggedField(tag, data));
  }
  out.sort((x: RawTaggedField, y: RawTaggedField): i32 => (x.tag < y.tag ? -1 : x.tag > y.tag ? 1 : 0));
  return out.length > 0 ? out : null;
}
