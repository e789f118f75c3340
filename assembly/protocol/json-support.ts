// JSON pieces every generated message shares.

import { JsonWriter } from "../json/writer";
import { RawTaggedField } from "./tagged";

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
