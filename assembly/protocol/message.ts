// The one interface every generated request, response and header implements, so the filter
// and the CLI can handle any API through a table instead of a switch per call site.

import { Reader } from "./reader";
import { Writer } from "./writer";
import { JsonWriter } from "../json/writer";
import { JsonFields } from "../json/value";

export abstract class Message {
  /** Decodes at `version`; failures land in the reader's sticky error. */
  abstract read(r: Reader, version: i16): void;
  /** Encodes at `version`; a value the version cannot carry lands in the writer's error. */
  abstract write(w: Writer, version: i16): void;
  /** Kafka's JSON form at `version` (what Kafka's generated JSON converters write). */
  abstract writeJson(j: JsonWriter, version: i16): void;
  /** Reads that JSON form; the first problem lands in the fields' shared errors. */
  abstract readJson(o: JsonFields, version: i16): void;
}
