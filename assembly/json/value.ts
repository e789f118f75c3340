// A small JSON (RFC 8259) parser into a DOM, and a typed field reader over that DOM.
//
// AssemblyScript cannot catch exceptions and a trap kills the whole Envoy VM, so nothing
// here traps on bad input: every failure is a value. parseJson reports the first syntax
// error with its offset; JsonFields reports the first schema problem with its path
// ("acls[2].operation: expected string, found number"), or every one (JsonErrors.collectingAll).
//
// Strictness: exactly RFC 8259 (no comments, no trailing commas, no NaN, no leading '+'
// or zeros, no raw control characters in strings, nothing after the value), plus two
// limits of our own: containers nest at most JSON_MAX_DEPTH deep, and a \u escape must
// not leave a surrogate unpaired (I-JSON, RFC 7493). Offsets count UTF-16 code units of
// the input string, which equal byte offsets for ASCII input.

import { quote } from "./writer";
import { join } from "../runtime/strings";

/** Containers (arrays and objects) may nest this deep; one more level is an error. */
export const JSON_MAX_DEPTH: i32 = 64;

export enum JsonKind { Null, Bool, Number, String, Array, Object }

const KIND_NAMES: StaticArray<string> = ["null", "boolean", "number", "string", "array", "object"];

export function jsonKindName(kind: JsonKind): string {
  return <u32>kind < <u32>KIND_NAMES.length ? unchecked(KIND_NAMES[kind]) : "?";
}

// Set by scanI64 as a second return value: was the text an integer within i64?
let scanOk: bool = false;

export class JsonValue {
  kind: JsonKind;
  boolValue: bool = false;
  /** A Number's source text, exactly as written; a String's decoded value; else "". */
  text: string = "";
  /** An Array's elements (empty for other kinds). */
  items: Array<JsonValue>;
  /** An Object's member names and values, in document order (empty for other kinds). */
  keys: Array<string>;
  values: Array<JsonValue>;

  constructor(kind: JsonKind) {
    this.kind = kind;
    this.items = new Array<JsonValue>();
    this.keys = new Array<string>();
    this.values = new Array<JsonValue>();
  }

  static ofNull(): JsonValue { return new JsonValue(JsonKind.Null); }
  static ofBool(v: bool): JsonValue {
    const j = new JsonValue(JsonKind.Bool);
    j.boolValue = v;
    return j;
  }
  /** `text` must be a JSON number's text; it is not checked here. */
  static ofNumber(text: string): JsonValue {
    const j = new JsonValue(JsonKind.Number);
    j.text = text;
    return j;
  }
  static ofString(v: string): JsonValue {
    const j = new JsonValue(JsonKind.String);
    j.text = v;
    return j;
  }
  static newArray(): JsonValue { return new JsonValue(JsonKind.Array); }
  static newObject(): JsonValue { return new JsonValue(JsonKind.Object); }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }
  get kindName(): string { return jsonKindName(this.kind); }

  /** Elements of an Array, members of an Object, 0 otherwise. */
  get length(): i32 {
    if (this.kind == JsonKind.Array) return this.items.length;
    if (this.kind == JsonKind.Object) return this.keys.length;
    return 0;
  }

  /** An Array's element i, or null when out of range or not an Array. */
  at(i: i32): JsonValue | null {
    if (this.kind != JsonKind.Array || <u32>i >= <u32>this.items.length) return null;
    return unchecked(this.items[i]);
  }

  /** An Object's member `key` (the last one if the name repeats, as Jackson does), or null. */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    const keys = this.keys;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (unchecked(keys[i]) == key) return unchecked(this.values[i]);
    }
    return null;
  }

  has(key: string): bool { return this.get(key) != null; }

  /** Appends an element to an Array (ignored for other kinds). */
  push(v: JsonValue): void {
    if (this.kind == JsonKind.Array) this.items.push(v);
  }

  /** Appends a member to an Object (ignored for other kinds). */
  set(key: string, v: JsonValue): void {
    if (this.kind != JsonKind.Object) return;
    this.keys.push(key);
    this.values.push(v);
  }

  /** A Number written without fraction or exponent ("-0" and "12" are; "1.0" and "1e2" are not). */
  isInteger(): bool {
    if (this.kind != JsonKind.Number) return false;
    const t = this.text;
    for (let i = 0, n = t.length; i < n; i++) {
      const c = t.charCodeAt(i);
      if (c == 0x2e || c == 0x65 || c == 0x45) return false; // . e E
    }
    return t.length > 0;
  }

  /** An integer Number whose value fits in i64 (the out-of-range flag of toI64). */
  fitsI64(): bool {
    if (!this.isInteger()) return false;
    scanI64(this.text);
    return scanOk;
  }

  /**
   * The exact value of an integer Number, computed from its digits (no f64 round trip);
   * 0 when !fitsI64() (not a Number, not an integer, or outside i64).
   */
  toI64(): i64 {
    if (!this.isInteger()) return 0;
    const v = scanI64(this.text);
    return scanOk ? v : 0;
  }

  /** A Number's value as the nearest-ish f64 (AssemblyScript's parseFloat); NaN if not a Number. */
  toF64(): f64 {
    if (this.kind != JsonKind.Number) return NaN;
    return parseFloat(this.text);
  }

  /** Compact JSON text of this value (numbers as written, strings re-escaped). */
  toString(): string {
    const parts = new Array<string>();
    writeValue(this, parts);
    return join(parts);
  }
}

function writeValue(v: JsonValue, out: Array<string>): void {
  switch (v.kind) {
    case JsonKind.Null: out.push("null"); break;
    case JsonKind.Bool: out.push(v.boolValue ? "true" : "false"); break;
    case JsonKind.Number: out.push(v.text); break;
    case JsonKind.String: out.push(quote(v.text)); break;
    case JsonKind.Array: {
      out.push("[");
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.push(",");
        writeValue(unchecked(v.items[i]), out);
      }
      out.push("]");
      break;
    }
    default: {
      out.push("{");
      for (let i = 0; i < v.keys.length; i++) {
        if (i > 0) out.push(",");
        out.push(quote(unchecked(v.keys[i])));
        out.push(":");
        writeValue(unchecked(v.values[i]), out);
      }
      out.push("}");
    }
  }
}

/**
 * Parses an optionally signed run of decimal digits (a JSON integer's text) exactly,
 * including -9223372036854775808. Sets scanOk to false when the text is empty, has a
 * non-digit, or the value is outside i64.
 */
function scanI64(t: string): i64 {
  scanOk = false;
  const n = t.length;
  let i = 0;
  const neg = n > 0 && t.charCodeAt(0) == 0x2d;
  if (neg) i = 1;
  if (i >= n) return 0;
  // The magnitude's limit: 2^63 for negative numbers, 2^63 - 1 otherwise.
  const limit: u64 = neg ? 0x8000000000000000 : 0x7fffffffffffffff;
  let mag: u64 = 0;
  for (; i < n; i++) {
    const d = t.charCodeAt(i) - 0x30;
    if (<u32>d > 9) return 0;
    if (mag > (limit - <u64>d) / 10) return 0;
    mag = mag * 10 + <u64>d;
  }
  scanOk = true;
  return neg ? <i64>(0 - mag) : <i64>mag;
}

export class JsonParseResult {
  /** The document, or null on error. */
  value: JsonValue | null = null;
  /** "" when the text parsed; else what went wrong first, e.g. "expected ',' or '}'". */
  error: string = "";
  /** Where the error is (UTF-16 code units into the text); -1 when ok. */
  offset: i32 = -1;

  get ok(): bool { return this.error.length == 0; }

  /** "expected ':' at offset 12", or "" when ok. */
  describe(): string {
    if (this.ok) return "";
    return this.error + " at offset " + this.offset.toString();
  }
}

/** Parses one JSON document; never traps. */
export function parseJson(text: string): JsonParseResult {
  const p = new Parser(text);
  const v = p.parseValue(0);
  const res = new JsonParseResult();
  if (v != null) {
    p.skipWhitespace();
    if (p.pos < p.len) p.fail("unexpected characters after the JSON value", p.pos);
  }
  if (p.error.length > 0) {
    res.error = p.error;
    res.offset = p.errorOffset;
  } else {
    res.value = v;
  }
  return res;
}

/** Parses UTF-8 bytes (e.g. a plugin configuration); invalid UTF-8 is replaced by U+FFFD. */
export function parseJsonUtf8(bytes: ArrayBuffer): JsonParseResult {
  return parseJson(String.UTF8.decode(bytes));
}

function isDigit(c: i32): bool { return <u32>(c - 0x30) <= 9; }

/** A hex digit's value (either case), -1 for another character. */
export function hexValue(c: i32): i32 {
  if (<u32>(c - 0x30) <= 9) return c - 0x30;
  const l = c | 0x20;
  if (<u32>(l - 0x61) <= 5) return l - 0x61 + 10;
  return -1;
}

/** A character for an error message: 'x' when printable ASCII, else U+XXXX. */
function describeChar(c: i32): string {
  if (c >= 0x20 && c < 0x7f) return "'" + String.fromCharCode(c) + "'";
  const h = "0123456789ABCDEF";
  return "U+" + h.charAt((c >> 12) & 15) + h.charAt((c >> 8) & 15) + h.charAt((c >> 4) & 15) + h.charAt(c & 15);
}

class Parser {
  readonly src: string;
  readonly len: i32;
  pos: i32 = 0;
  error: string = "";
  errorOffset: i32 = -1;

  constructor(src: string) {
    this.src = src;
    this.len = src.length;
  }

  /** Records the first error only; at the end of input it says so instead of `msg`. */
  fail(msg: string, at: i32): void {
    if (this.error.length > 0) return;
    if (at >= this.len) {
      this.error = "unexpected end of input";
      this.errorOffset = this.len;
    } else {
      this.error = msg;
      this.errorOffset = at;
    }
  }

  /** The code unit at i, or -1 past the end. */
  @inline at(i: i32): i32 { return this.src.charCodeAt(i); }

  skipWhitespace(): void {
    let i = this.pos;
    while (i < this.len) {
      const c = this.at(i);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      i++;
    }
    this.pos = i;
  }

  /** depth: how many containers enclose this value. */
  parseValue(depth: i32): JsonValue | null {
    this.skipWhitespace();
    const c = this.at(this.pos);
    if (c == 0x7b) return this.parseObject(depth);                  // {
    if (c == 0x5b) return this.parseArray(depth);                   // [
    if (c == 0x22) {                                                // "
      const s = this.parseString();
      return s == null ? null : JsonValue.ofString(s);
    }
    if (c == 0x74) return this.parseLiteral("true", JsonValue.ofBool(true));
    if (c == 0x66) return this.parseLiteral("false", JsonValue.ofBool(false));
    if (c == 0x6e) return this.parseLiteral("null", JsonValue.ofNull());
    if (c == 0x2d || isDigit(c)) return this.parseNumber();
    this.fail(c < 0 ? "" : "expected a value, found " + describeChar(c), this.pos);
    return null;
  }

  private parseLiteral(word: string, value: JsonValue): JsonValue | null {
    const start = this.pos;
    for (let i = 0; i < word.length; i++) {
      if (this.at(start + i) != word.charCodeAt(i)) {
        this.fail("invalid literal (expected '" + word + "')", start + i);
        return null;
      }
    }
    this.pos = start + word.length;
    return value;
  }

  private parseNumber(): JsonValue | null {
    const start = this.pos;
    let i = start;
    if (this.at(i) == 0x2d) i++;
    let c = this.at(i);
    if (c == 0x30) {
      i++;
      if (isDigit(this.at(i))) {
        this.fail("invalid number: leading zero", i);
        return null;
      }
    } else if (isDigit(c)) {
      while (isDigit(this.at(i))) i++;
    } else {
      this.fail("invalid number: expected a digit", i);
      return null;
    }
    if (this.at(i) == 0x2e) {                                       // .
      i++;
      if (!isDigit(this.at(i))) {
        this.fail("invalid number: expected a digit after '.'", i);
        return null;
      }
      while (isDigit(this.at(i))) i++;
    }
    c = this.at(i);
    if (c == 0x65 || c == 0x45) {                                   // e E
      i++;
      c = this.at(i);
      if (c == 0x2b || c == 0x2d) i++;
      if (!isDigit(this.at(i))) {
        this.fail("invalid number: expected a digit in the exponent", i);
        return null;
      }
      while (isDigit(this.at(i))) i++;
    }
    this.pos = i;
    return JsonValue.ofNumber(this.src.substring(start, i));
  }

  /** Four hex digits at i as a code unit, or -1. */
  private hex4(i: i32): i32 {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const h = hexValue(this.at(i + k));
      if (h < 0) return -1;
      v = (v << 4) | h;
    }
    return v;
  }

  /** At an opening quote; returns the decoded string, or null after fail(). */
  parseString(): string | null {
    const src = this.src;
    const start = this.pos + 1;
    let i = start;
    // Fast path: no escapes, one substring.
    while (true) {
      const c = this.at(i);
      if (c == 0x22) {
        this.pos = i + 1;
        return src.substring(start, i);
      }
      if (c == 0x5c) break;
      if (c < 0x20) {
        this.fail("control character in string (must be escaped)", i);
        return null;
      }
      i++;
    }
    const parts = new Array<string>();
    let seg = start; // start of the pending unescaped run
    while (true) {
      const c = this.at(i);
      if (c == 0x22) {
        if (i > seg) parts.push(src.substring(seg, i));
        this.pos = i + 1;
        return join(parts);
      }
      if (c < 0x20) {
        this.fail("control character in string (must be escaped)", i);
        return null;
      }
      if (c != 0x5c) {
        i++;
        continue;
      }
      if (i > seg) parts.push(src.substring(seg, i));
      const e = this.at(i + 1);
      let unit = -1;
      switch (e) {
        case 0x22: unit = 0x22; break; // \"
        case 0x5c: unit = 0x5c; break; // \\
        case 0x2f: unit = 0x2f; break; // \/
        case 0x62: unit = 0x08; break; // \b
        case 0x66: unit = 0x0c; break; // \f
        case 0x6e: unit = 0x0a; break; // \n
        case 0x72: unit = 0x0d; break; // \r
        case 0x74: unit = 0x09; break; // \t
        case 0x75: break;              // \u, below
        default:
          if (e < 0) this.fail("", i + 1); // end of input
          else this.fail("invalid escape '\\" + (e >= 0x20 && e < 0x7f ? String.fromCharCode(e) : describeChar(e)) + "'", i);
          return null;
      }
      if (unit >= 0) {
        parts.push(String.fromCharCode(unit));
        i += 2;
        seg = i;
        continue;
      }
      const u = this.hex4(i + 2);
      if (u < 0) {
        this.fail("invalid \\u escape (expected 4 hex digits)", i);
        return null;
      }
      if (u >= 0xdc00 && u <= 0xdfff) {
        this.fail("invalid \\u escape: unpaired low surrogate", i);
        return null;
      }
      if (u >= 0xd800 && u <= 0xdbff) {
        // A high surrogate must be followed by an escaped low surrogate.
        const lo = this.at(i + 6) == 0x5c && this.at(i + 7) == 0x75 ? this.hex4(i + 8) : -1;
        if (lo < 0xdc00 || lo > 0xdfff) {
          this.fail("invalid \\u escape: unpaired high surrogate", i);
          return null;
        }
        parts.push(String.fromCharCode(u, lo));
        i += 12;
      } else {
        parts.push(String.fromCharCode(u));
        i += 6;
      }
      seg = i;
    }
    return null; // unreachable: the loop returns
  }

  private parseArray(depth: i32): JsonValue | null {
    if (depth >= JSON_MAX_DEPTH) {
      this.fail("nesting deeper than " + JSON_MAX_DEPTH.toString() + " levels", this.pos);
      return null;
    }
    this.pos++; // [
    const arr = JsonValue.newArray();
    this.skipWhitespace();
    if (this.at(this.pos) == 0x5d) {
      this.pos++;
      return arr;
    }
    while (true) {
      const v = this.parseValue(depth + 1);
      if (v == null) return null;
      arr.items.push(v);
      this.skipWhitespace();
      const c = this.at(this.pos);
      if (c == 0x2c) {
        this.pos++;
        continue;
      }
      if (c == 0x5d) {
        this.pos++;
        return arr;
      }
      this.fail("expected ',' or ']'", this.pos);
      return null;
    }
    return null; // unreachable
  }

  private parseObject(depth: i32): JsonValue | null {
    if (depth >= JSON_MAX_DEPTH) {
      this.fail("nesting deeper than " + JSON_MAX_DEPTH.toString() + " levels", this.pos);
      return null;
    }
    this.pos++; // {
    const obj = JsonValue.newObject();
    this.skipWhitespace();
    if (this.at(this.pos) == 0x7d) {
      this.pos++;
      return obj;
    }
    while (true) {
      this.skipWhitespace();
      if (this.at(this.pos) != 0x22) {
        this.fail("expected a string member name", this.pos);
        return null;
      }
      const key = this.parseString();
      if (key == null) return null;
      this.skipWhitespace();
      if (this.at(this.pos) != 0x3a) {
        this.fail("expected ':'", this.pos);
        return null;
      }
      this.pos++;
      const v = this.parseValue(depth + 1);
      if (v == null) return null;
      obj.keys.push(key);
      obj.values.push(v);
      this.skipWhitespace();
      const c = this.at(this.pos);
      if (c == 0x2c) {
        this.pos++;
        continue;
      }
      if (c == 0x7d) {
        this.pos++;
        return obj;
      }
      this.fail("expected ',' or '}'", this.pos);
      return null;
    }
    return null; // unreachable
  }
}

// ---------------------------------------------------------------------------------------
// Typed access with a sticky error.

/**
 * The problems found while reading one document; shared by all its JsonFields. By default
 * only the first counts (the filter refuses a configuration at its first problem). One made
 * by collectingAll() keeps every problem for a report (`kafka-wasm policy check`); there a
 * value counts as failed only when a problem was found at or below its own path, so the
 * readers go on checking the rest of the document.
 */
export class JsonErrors {
  /** "path: why" of the first problem, or "" while nothing failed. */
  error: string = "";
  /** Every problem as "path: why", in the order found (collectingAll() only). */
  readonly all: Array<string> = new Array<string>();
  private readonly paths: Array<string> = new Array<string>();
  private collecting: bool = false;

  static collectingAll(): JsonErrors {
    const e = new JsonErrors();
    e.collecting = true;
    return e;
  }

  get failed(): bool { return this.error.length > 0; }

  /** Did the value at `path` fail (or anything in it)? Without collecting: did anything fail. */
  failedAt(path: string): bool {
    if (!this.collecting || path.length == 0) return this.failed;
    const paths = this.paths;
    for (let i = 0; i < paths.length; i++) {
      const p = unchecked(paths[i]);
      if (!p.startsWith(path)) continue;
      if (p.length == path.length) return true;
      const next = p.charCodeAt(path.length);
      if (next == 46 /* . */ || next == 91 /* [ */) return true;
    }
    return false;
  }

  /** Records a failure (the first only, unless collecting). An empty path names the document itself. */
  fail(path: string, why: string): void {
    if (!this.collecting && this.error.length > 0) return;
    const line = (path.length > 0 ? path : "(root)") + ": " + why;
    if (this.collecting) {
      if (this.all.includes(line)) return; // the same value read twice
      this.all.push(line);
      this.paths.push(path);
    }
    if (this.error.length == 0) this.error = line;
  }
}

/**
 * A view of one value in a document at a path ("acls[2].operation"), with typed reads
 * that report the first problem (missing, wrong kind, out of range, unknown member) to a
 * shared JsonErrors and then return a zero value, like a Reader: callers read everything
 * and check `failed` once.
 *
 *   const root = JsonFields.root(doc);
 *   const name = root.field("name").asString();            // required
 *   const n = root.field("count").asIntOr(1, 0, 100);      // optional, range-checked
 *   const acls = root.field("acls");
 *   for (let i = 0; i < acls.length; i++) acls.at(i).field("principal").asString();
 *   root.finish();                                          // rejects unread members
 *   if (root.failed) return root.error;
 */
export class JsonFields {
  /** The value here; null when the member is absent. */
  readonly value: JsonValue | null;
  readonly path: string;
  readonly errors: JsonErrors;
  /** Member names read through field(), for finish(). */
  private seen: Set<string> | null = null;

  constructor(value: JsonValue | null, path: string = "", errors: JsonErrors | null = null) {
    this.value = value;
    this.path = path;
    this.errors = errors != null ? errors : new JsonErrors();
  }

  /** A reader over a whole document. */
  static root(value: JsonValue | null): JsonFields {
    return new JsonFields(value, "", null);
  }

  /** Has this value (or anything in it) failed? Without collecting, has anything failed. */
  get failed(): bool { return this.errors.failedAt(this.path); }
  get error(): string { return this.errors.error; }

  /** The member exists (it may be JSON null). */
  get present(): bool { return this.value != null; }
  /** The member exists and is JSON null. */
  get isNull(): bool {
    const v = this.value;
    return v != null && v.kind == JsonKind.Null;
  }

  /** Records `path: why` unless something failed already. */
  fail(why: string): void { this.errors.fail(this.path, why); }

  private wrongKind(expected: string): void {
    const v = this.value;
    if (v == null) this.fail("missing required field");
    else this.fail("expected " + expected + ", found " + v.kindName);
  }

  /** This value as a present value of `kind`; else fails (missing counts) and returns null. */
  private expect(kind: JsonKind): JsonValue | null {
    const v = this.value;
    if (v != null && v.kind == kind) return v;
    this.wrongKind(jsonKindName(kind));
    return null;
  }

  /** Present but not `kind`: fails. Absent: no error. Returns the value when it is `kind`. */
  private expectOptional(kind: JsonKind): JsonValue | null {
    const v = this.value;
    if (v == null) return null;
    if (v.kind == kind) return v;
    this.fail("expected " + jsonKindName(kind) + ", found " + v.kindName);
    return null;
  }

  /** Checks this is an object (fails if present and not); absent is fine. */
  isObjectOrAbsent(): bool { return this.value == null || this.expectOptional(JsonKind.Object) != null; }
  /** Checks this is present and an object. */
  requireObject(): bool { return this.expect(JsonKind.Object) != null; }
  /** Checks this is present and an array. */
  requireArray(): bool { return this.expect(JsonKind.Array) != null; }

  private childPath(key: string): string {
    return this.path.length > 0 ? this.path + "." + key : key;
  }

  /**
   * The member `key` of this object. Marks it as read for finish(). If this value is
   * present but not an object, fails once; an absent object yields absent members.
   */
  field(key: string): JsonFields {
    const v = this.value;
    let child: JsonValue | null = null;
    if (v != null) {
      if (v.kind == JsonKind.Object) {
        child = v.get(key);
        let seen = this.seen;
        if (seen == null) {
          seen = new Set<string>();
          this.seen = seen;
        }
        seen.add(key);
      } else {
        this.wrongKind("object");
      }
    }
    return new JsonFields(child, this.childPath(key), this.errors);
  }

  /** An object's member names in document order (empty if not an object). */
  keys(): Array<string> {
    const v = this.value;
    return v != null && v.kind == JsonKind.Object ? v.keys : new Array<string>();
  }

  /** An array's length; 0 (and an error if present and not an array) otherwise. */
  get length(): i32 {
    const v = this.expectOptional(JsonKind.Array);
    return v == null ? 0 : v.items.length;
  }

  /** Element i of this array, at path "x[i]"; absent when out of range or not an array. */
  at(i: i32): JsonFields {
    const v = this.value;
    const item = v != null ? v.at(i) : null;
    return new JsonFields(item, this.path + "[" + i.toString() + "]", this.errors);
  }

  /**
   * Fails on each member of this object that field() never asked for
   * ("path.name: unknown field"), then on each that appears twice ("duplicate field").
   * Returns !failed.
   */
  finish(): bool {
    const v = this.value;
    if (v == null || v.kind != JsonKind.Object) return !this.failed;
    const seen = this.seen;
    const keys = v.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      if (seen == null || !seen.has(k)) this.errors.fail(this.childPath(k), "unknown field");
    }
    const names = new Set<string>();
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      if (names.has(k)) this.errors.fail(this.childPath(k), "duplicate field");
      names.add(k);
    }
    return !this.failed;
  }

  // --- scalars: asX() requires the value; asXOr(def) allows it to be absent ---

  asString(): string {
    const v = this.expect(JsonKind.String);
    return v == null ? "" : v.text;
  }
  asStringOr(def: string): string {
    if (this.value == null) return def;
    return this.asString();
  }
  /** A string or JSON null (null allowed, absence not). */
  asNullableString(): string | null {
    if (this.isNull) return null;
    return this.asString();
  }

  asBool(): bool {
    const v = this.expect(JsonKind.Bool);
    return v == null ? false : v.boolValue;
  }
  asBoolOr(def: bool): bool {
    if (this.value == null) return def;
    return this.asBool();
  }

  /** An integer in [min, max]; fails with "expected integer" or "out of range [min, max]". */
  asInt(min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    const v = this.expect(JsonKind.Number);
    if (v == null) return 0;
    if (!v.isInteger()) {
      this.fail("expected an integer, found " + v.text);
      return 0;
    }
    const n = v.toI64();
    if (!v.fitsI64() || n < min || n > max) {
      this.fail(v.text + " is out of range [" + min.toString() + ", " + max.toString() + "]");
      return 0;
    }
    return n;
  }
  asIntOr(def: i64, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    if (this.value == null) return def;
    return this.asInt(min, max);
  }
  asI32(): i32 { return <i32>this.asInt(i32.MIN_VALUE, i32.MAX_VALUE); }
  asI16(): i16 { return <i16>this.asInt(i16.MIN_VALUE, i16.MAX_VALUE); }
  asI8(): i8 { return <i8>this.asInt(i8.MIN_VALUE, i8.MAX_VALUE); }
  asU16(): u16 { return <u16>this.asInt(0, u16.MAX_VALUE); }
  asU32(): u32 { return <u32>this.asInt(0, u32.MAX_VALUE); }

  asF64(): f64 {
    const v = this.expect(JsonKind.Number);
    return v == null ? 0 : v.toF64();
  }
  asF64Or(def: f64): f64 {
    if (this.value == null) return def;
    return this.asF64();
  }
}
