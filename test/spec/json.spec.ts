import {
  parseJson, parseJsonUtf8, JsonValue, JsonKind, JsonParseResult, JsonFields, JsonErrors, JSON_MAX_DEPTH,
} from "../../assembly/json/value";

function ok(text: string): JsonValue {
  const r = parseJson(text);
  if (!r.ok) trace("unexpected parse error: " + r.describe() + " in " + text);
  expect(r.error).toBe("");
  expect(r.offset).toBe(-1);
  return r.value!;
}

function bad(text: string): JsonParseResult {
  const r = parseJson(text);
  expect(r.ok).toBe(false, "should not parse: " + text);
  expect(r.value).toBeNull();
  expect(r.error.length).toBeGreaterThan(0);
  return r;
}

function errorOf(text: string): string { return bad(text).error; }
function offsetOf(text: string): i32 { return bad(text).offset; }

function nest(open: string, close: string, n: i32): string {
  return open.repeat(n) + close.repeat(n);
}

describe("parseJson: valid documents", () => {
  it("parses scalars at the top level", () => {
    expect(ok("null").kind).toBe(JsonKind.Null);
    expect(ok("true").boolValue).toBe(true);
    expect(ok("false").kind).toBe(JsonKind.Bool);
    expect(ok("false").boolValue).toBe(false);
    expect(ok("0").text).toBe("0");
    expect(ok("\"\"").text).toBe("");
    expect(ok(" \t\r\n 42 \n").text).toBe("42");
  });

  it("keeps a number's source text exactly", () => {
    const texts = ["0", "-0", "12", "-7", "3.25", "1e10", "1E+2", "-1.5e-300", "0.000", "123456789012345678901234567890"];
    for (let i = 0; i < texts.length; i++) {
      const v = ok(texts[i]);
      expect(v.kind).toBe(JsonKind.Number);
      expect(v.text).toBe(texts[i]);
    }
  });

  it("parses objects in insertion order with get()", () => {
    const v = ok("{ \"b\" : 1 , \"a\":[true,null,\"x\"], \"c\":{} }");
    expect(v.kind).toBe(JsonKind.Object);
    expect(v.length).toBe(3);
    expect(v.keys.join(",")).toBe("b,a,c");
    expect(v.get("b")!.text).toBe("1");
    const a = v.get("a")!;
    expect(a.kind).toBe(JsonKind.Array);
    expect(a.items.length).toBe(3);
    expect(a.items[0].boolValue).toBe(true);
    expect(a.items[1].kind).toBe(JsonKind.Null);
    expect(a.items[2].text).toBe("x");
    expect(a.at(3)).toBeNull();
    expect(a.at(-1)).toBeNull();
    expect(v.get("c")!.length).toBe(0);
    expect(v.get("missing")).toBeNull();
    expect(v.has("a")).toBe(true);
  });

  it("lets the last of repeated member names win in get()", () => {
    const v = ok("{\"k\":1,\"k\":2}");
    expect(v.keys.length).toBe(2);
    expect(v.get("k")!.text).toBe("2");
  });

  it("parses empty containers and deep but allowed nesting", () => {
    expect(ok("[]").length).toBe(0);
    expect(ok("{}").length).toBe(0);
    expect(ok("[ ]").length).toBe(0);
    expect(ok("{ }").length).toBe(0);
    expect(ok(nest("[", "]", JSON_MAX_DEPTH)).kind).toBe(JsonKind.Array);
    let objs = "";
    for (let i = 0; i < JSON_MAX_DEPTH; i++) objs += "{\"a\":";
    objs += "1" + "}".repeat(JSON_MAX_DEPTH);
    expect(ok(objs).kind).toBe(JsonKind.Object);
  });

  it("decodes every escape", () => {
    expect(ok("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"").text).toBe("\" \\ / \b \f \n \r \t");
    expect(ok("\"\\u0041\\u00e9\\u20AC\"").text).toBe("Aé€");
    expect(ok("\"a\\u0000b\"").text.length).toBe(3);
    expect(ok("\"a\\u0000b\"").text.charCodeAt(1)).toBe(0);
    // U+1F600 as a surrogate pair.
    const s = ok("\"x\\uD83D\\uDE00y\"").text;
    expect(s.length).toBe(4);
    expect(s.charCodeAt(1)).toBe(0xd83d);
    expect(s.charCodeAt(2)).toBe(0xde00);
    expect(s.codePointAt(1)).toBe(0x1f600);
    expect(ok("\"plain text\"").text).toBe("plain text");
    expect(ok("\"é€😀 raw\"").text).toBe("é€😀 raw");
  });

  it("parses UTF-8 bytes", () => {
    const r = parseJsonUtf8(String.UTF8.encode("{\"t\":\"é\"}"));
    expect(r.ok).toBe(true);
    expect(r.value!.get("t")!.text).toBe("é");
  });

  it("round-trips through toString()", () => {
    const text = "{\"a\":[1,-2.5e3,true,false,null],\"b\":\"q\\\"\\n\",\"c\":{}}";
    expect(ok(text).toString()).toBe(text);
    expect(ok(" [ 1 , { \"x\" : [ ] } ] ").toString()).toBe("[1,{\"x\":[]}]");
  });

  it("builds values programmatically", () => {
    const o = JsonValue.newObject();
    o.set("n", JsonValue.ofNumber("5"));
    const a = JsonValue.newArray();
    a.push(JsonValue.ofString("s"));
    a.push(JsonValue.ofBool(true));
    a.push(JsonValue.ofNull());
    o.set("a", a);
    expect(o.toString()).toBe("{\"n\":5,\"a\":[\"s\",true,null]}");
  });
});

describe("parseJson: malformed documents", () => {
  it("rejects empty and whitespace-only input", () => {
    expect(errorOf("")).toBe("unexpected end of input");
    expect(offsetOf("")).toBe(0);
    expect(errorOf("   ")).toBe("unexpected end of input");
    expect(offsetOf("   ")).toBe(3);
  });

  it("rejects truncated documents at the end offset", () => {
    const texts = ["{", "[", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "[1", "[1,", "\"abc", "\"ab\\", "\"\\u12",
      "tru", "fals", "nul", "-", "1.", "1e", "1e+", "{\"a", "[{\"x\":[1,2"];
    for (let i = 0; i < texts.length; i++) {
      const r = bad(texts[i]);
      if (r.error != "unexpected end of input" && r.error.indexOf("\\u") < 0) trace("truncated: " + texts[i] + " -> " + r.describe());
      if (r.error.indexOf("\\u") < 0) {
        expect(r.error).toBe("unexpected end of input");
        expect(r.offset).toBe(texts[i].length);
      }
    }
  });

  it("names the expected token with its offset", () => {
    let r = bad("{\"a\":1 \"b\":2}");
    expect(r.error).toBe("expected ',' or '}'");
    expect(r.offset).toBe(7);
    r = bad("[1 2]");
    expect(r.error).toBe("expected ',' or ']'");
    expect(r.offset).toBe(3);
    r = bad("{\"a\" 1}");
    expect(r.error).toBe("expected ':'");
    expect(r.offset).toBe(5);
    r = bad("{a:1}");
    expect(r.error).toBe("expected a string member name");
    expect(r.offset).toBe(1);
    r = bad("{\"a\":1,}");
    expect(r.error).toBe("expected a string member name");
    expect(r.offset).toBe(7);
    r = bad("[1,]");
    expect(r.error).toBe("expected a value, found ']'");
    expect(r.offset).toBe(3);
    r = bad("[,1]");
    expect(r.error).toBe("expected a value, found ','");
    r = bad("{\"a\":}");
    expect(r.error).toBe("expected a value, found '}'");
    r = bad("'single'");
    expect(r.error).toBe("expected a value, found '''");
    r = bad("\u00a0 1");
    expect(r.error).toBe("expected a value, found U+00A0");
  });

  it("rejects trailing garbage", () => {
    let r = bad("{} x");
    expect(r.error).toBe("unexpected characters after the JSON value");
    expect(r.offset).toBe(3);
    r = bad("1 2");
    expect(r.offset).toBe(2);
    bad("[]]");
    bad("nullx");
    bad("truee");
    bad("\"a\"\"b\"");
    bad("{}{}");
    bad("0x10");
  });

  it("rejects bad literals", () => {
    expect(errorOf("nulL")).toBe("invalid literal (expected 'null')");
    expect(offsetOf("nulL")).toBe(3);
    expect(errorOf("True")).toBe("expected a value, found 'T'");
    expect(errorOf("[tRue]")).toBe("invalid literal (expected 'true')");
    expect(errorOf("NaN")).toBe("expected a value, found 'N'");
    expect(errorOf("Infinity")).toBe("expected a value, found 'I'");
  });

  it("rejects bad numbers", () => {
    expect(errorOf("01")).toBe("invalid number: leading zero");
    expect(offsetOf("01")).toBe(1);
    expect(errorOf("-01")).toBe("invalid number: leading zero");
    expect(errorOf("+1")).toBe("expected a value, found '+'");
    expect(errorOf(".5")).toBe("expected a value, found '.'");
    expect(errorOf("-a")).toBe("invalid number: expected a digit");
    expect(errorOf("1.x")).toBe("invalid number: expected a digit after '.'");
    expect(errorOf("[1.]")).toBe("invalid number: expected a digit after '.'");
    expect(errorOf("1ex")).toBe("invalid number: expected a digit in the exponent");
    expect(errorOf("1e+x")).toBe("invalid number: expected a digit in the exponent");
    expect(errorOf("- 1")).toBe("invalid number: expected a digit");
    expect(errorOf("1.5.2")).toBe("unexpected characters after the JSON value");
    expect(errorOf("[-]")).toBe("invalid number: expected a digit");
  });

  it("rejects bad escapes", () => {
    let r = bad("\"a\\x\"");
    expect(r.error).toBe("invalid escape '\\x'");
    expect(r.offset).toBe(2);
    expect(errorOf("\"\\'\"")).toBe("invalid escape '\\''");
    expect(errorOf("\"\\U0041\"")).toBe("invalid escape '\\U'");
    expect(errorOf("\"\\u00G1\"")).toBe("invalid \\u escape (expected 4 hex digits)");
    expect(errorOf("\"\\u12\"")).toBe("invalid \\u escape (expected 4 hex digits)");
    expect(errorOf("\"\\uD83D\"")).toBe("invalid \\u escape: unpaired high surrogate");
    expect(errorOf("\"\\uD83Dx\"")).toBe("invalid \\u escape: unpaired high surrogate");
    expect(errorOf("\"\\uD83D\\n\"")).toBe("invalid \\u escape: unpaired high surrogate");
    expect(errorOf("\"\\uD83D\\u0041\"")).toBe("invalid \\u escape: unpaired high surrogate");
    expect(errorOf("\"\\uDE00\"")).toBe("invalid \\u escape: unpaired low surrogate");
    r = bad("[\"ok\", \"\\uDE00\"]");
    expect(r.offset).toBe(8);
  });

  it("rejects raw control characters in strings", () => {
    let r = bad("\"a\nb\"");
    expect(r.error).toBe("control character in string (must be escaped)");
    expect(r.offset).toBe(2);
    expect(errorOf("\"\t\"")).toBe("control character in string (must be escaped)");
    expect(errorOf("\"\\n\u0001\"")).toBe("control character in string (must be escaped)");
    expect(errorOf("\"\u001f\"")).toBe("control character in string (must be escaped)");
    expect(errorOf("{\"k\u0000\":1}")).toBe("control character in string (must be escaped)");
    // DEL and C1 controls need no escape.
    expect(ok("\"\u007f\u0085\"").text.length).toBe(2);
  });

  it("limits nesting depth", () => {
    let r = bad(nest("[", "]", JSON_MAX_DEPTH + 1));
    expect(r.error).toBe("nesting deeper than 64 levels");
    expect(r.offset).toBe(JSON_MAX_DEPTH);
    let objs = "";
    for (let i = 0; i <= JSON_MAX_DEPTH; i++) objs += "{\"a\":";
    r = bad(objs + "1" + "}".repeat(JSON_MAX_DEPTH + 1));
    expect(r.error).toBe("nesting deeper than 64 levels");
    // Hostile depth fails fast without exhausting the stack.
    r = bad("[".repeat(100000));
    expect(r.error).toBe("nesting deeper than 64 levels");
    r = bad("{\"a\":".repeat(100000));
    expect(r.error).toBe("nesting deeper than 64 levels");
  });

  it("rejects comments and other extensions", () => {
    bad("// c\n1");
    bad("/* c */ 1");
    bad("[1] // c");
    bad("{\"a\":1,/*x*/\"b\":2}");
    bad("\uFEFF{}");
  });
});

describe("JsonValue numbers", () => {
  it("reads int64 extremes exactly", () => {
    let v = ok("9223372036854775807");
    expect(v.isInteger()).toBe(true);
    expect(v.fitsI64()).toBe(true);
    expect(v.toI64()).toBe(i64.MAX_VALUE);
    v = ok("-9223372036854775808");
    expect(v.fitsI64()).toBe(true);
    expect(v.toI64()).toBe(i64.MIN_VALUE);
    v = ok("-9223372036854775807");
    expect(v.toI64()).toBe(-9223372036854775807);
    v = ok("9007199254740993"); // 2^53 + 1: not representable as f64
    expect(v.toI64()).toBe(9007199254740993);
    expect(ok("-0").toI64()).toBe(0);
    expect(ok("0").toI64()).toBe(0);
    expect(ok("-1").toI64()).toBe(-1);
  });

  it("flags integers outside int64", () => {
    const texts = ["9223372036854775808", "-9223372036854775809", "18446744073709551616",
      "99999999999999999999", "-99999999999999999999999999"];
    for (let i = 0; i < texts.length; i++) {
      const v = ok(texts[i]);
      expect(v.isInteger()).toBe(true);
      expect(v.fitsI64()).toBe(false);
      expect(v.toI64()).toBe(0);
    }
  });

  it("does not treat fractions or exponents as integers", () => {
    const texts = ["1.0", "1e2", "1E2", "-0.0", "2.5"];
    for (let i = 0; i < texts.length; i++) {
      const v = ok(texts[i]);
      expect(v.isInteger()).toBe(false);
      expect(v.fitsI64()).toBe(false);
      expect(v.toI64()).toBe(0);
    }
    expect(ok("\"12\"").isInteger()).toBe(false);
    expect(ok("\"12\"").toI64()).toBe(0);
    expect(ok("true").fitsI64()).toBe(false);
  });

  it("converts to f64", () => {
    expect(ok("1.5").toF64()).toBe(1.5);
    expect(ok("-2e3").toF64()).toBe(-2000.0);
    expect(ok("1E-2").toF64()).toBe(0.01);
    expect(ok("0").toF64()).toBe(0.0);
    expect(ok("1e400").toF64()).toBe(Infinity);
    expect(isNaN(ok("null").toF64())).toBe(true);
  });
});

describe("JsonFields", () => {
  it("keeps the first problem only, unless made to collect them all", () => {
    const doc = ok("{\"a\":[{\"x\":1},{\"x\":\"s\",\"y\":2}],\"b\":true,\"c\":0}");
    const first = JsonFields.root(doc);
    first.field("a").at(0).field("x").asString();
    first.field("b").asString();
    expect(first.field("c").failed).toBe(true); // one failure anywhere fails every value
    expect(first.error).toBe("a[0].x: expected string, found number");
    expect(first.errors.all.length).toBe(0);

    const errors = JsonErrors.collectingAll();
    const all = new JsonFields(doc, "", errors);
    const a = all.field("a");
    a.at(0).field("x").asString();
    a.at(0).field("x").asString(); // the same value read twice is one problem
    expect(a.at(0).failed).toBe(true);
    const second = a.at(1);
    expect(second.failed).toBe(false); // only what failed, or holds what failed, counts
    expect(second.field("x").asString()).toBe("s");
    second.finish();
    all.field("b").asString();
    all.field("c").asInt(1, 2);
    all.finish();
    expect(all.failed).toBe(true);
    expect(all.field("c").failed).toBe(true);
    expect(all.error).toBe("a[0].x: expected string, found number");
    expect(errors.all.join("|")).toBe("a[0].x: expected string, found number|a[1].y: unknown field|" +
      "b: expected string, found boolean|c: 0 is out of range [1, 2]");
  });

  it("reads required and optional fields", () => {
    const f = JsonFields.root(ok("{\"s\":\"x\",\"b\":true,\"i\":-5,\"f\":2.5,\"n\":null,\"o\":{\"k\":1},\"a\":[1,2]}"));
    expect(f.field("s").asString()).toBe("x");
    expect(f.field("b").asBool()).toBe(true);
    expect(f.field("i").asInt()).toBe(-5);
    expect(f.field("i").asI32()).toBe(-5);
    expect(f.field("f").asF64()).toBe(2.5);
    expect(f.field("n").isNull).toBe(true);
    expect(f.field("n").asNullableString()).toBeNull();
    expect(f.field("o").field("k").asI16()).toBe(<i16>1);
    expect(f.field("a").length).toBe(2);
    expect(f.field("a").at(1).asInt()).toBe(2);
    expect(f.field("zz").present).toBe(false);
    expect(f.field("zz").asStringOr("d")).toBe("d");
    expect(f.field("zz").asBoolOr(true)).toBe(true);
    expect(f.field("zz").asIntOr(7)).toBe(7);
    expect(f.field("zz").asF64Or(1.25)).toBe(1.25);
    expect(f.field("zz").length).toBe(0);
    expect(f.finish()).toBe(true);
    expect(f.failed).toBe(false);
    expect(f.error).toBe("");
  });

  it("reports a missing required field with its path", () => {
    const f = JsonFields.root(ok("{\"acls\":[{\"a\":1},{\"b\":2}]}"));
    f.field("acls").at(1).field("principal").asString();
    expect(f.error).toBe("acls[1].principal: missing required field");
  });

  it("reports a wrong kind", () => {
    let f = JsonFields.root(ok("{\"x\":{\"y\":5}}"));
    f.field("x").field("y").asString();
    expect(f.error).toBe("x.y: expected string, found number");
    f = JsonFields.root(ok("{\"x\":\"s\"}"));
    f.field("x").asBool();
    expect(f.error).toBe("x: expected boolean, found string");
    f = JsonFields.root(ok("{\"x\":[]}"));
    f.field("x").field("y");
    expect(f.error).toBe("x: expected object, found array");
    f = JsonFields.root(ok("{\"x\":{}}"));
    expect(f.field("x").length).toBe(0);
    expect(f.error).toBe("x: expected array, found object");
    f = JsonFields.root(ok("[]"));
    f.field("a");
    expect(f.error).toBe("(root): expected object, found array");
    f = JsonFields.root(ok("{\"x\":null}"));
    f.field("x").asStringOr("d");
    expect(f.error).toBe("x: expected string, found null");
  });

  it("range-checks integers", () => {
    let f = JsonFields.root(ok("{\"p\":1.5}"));
    f.field("p").asInt();
    expect(f.error).toBe("p: expected an integer, found 1.5");
    f = JsonFields.root(ok("{\"p\":40000}"));
    expect(f.field("p").asI16()).toBe(<i16>0);
    expect(f.error).toBe("p: 40000 is out of range [-32768, 32767]");
    f = JsonFields.root(ok("{\"p\":-1}"));
    f.field("p").asU16();
    expect(f.error).toBe("p: -1 is out of range [0, 65535]");
    f = JsonFields.root(ok("{\"p\":99999999999999999999}"));
    f.field("p").asInt();
    expect(f.error).toBe("p: 99999999999999999999 is out of range [-9223372036854775808, 9223372036854775807]");
    f = JsonFields.root(ok("{\"p\":-9223372036854775808}"));
    expect(f.field("p").asInt()).toBe(i64.MIN_VALUE);
    expect(f.failed).toBe(false);
    f = JsonFields.root(ok("{\"p\":4294967295}"));
    expect(f.field("p").asU32()).toBe(<u32>4294967295);
    expect(f.field("p").asIntOr(0, 1, 10)).toBe(0);
    expect(f.error).toBe("p: 4294967295 is out of range [1, 10]");
  });

  it("keeps only the first error", () => {
    const f = JsonFields.root(ok("{\"a\":1,\"b\":2}"));
    f.field("a").asString();
    f.field("b").asString();
    f.field("c").asString();
    f.finish();
    expect(f.error).toBe("a: expected string, found number");
  });

  it("rejects unknown and duplicate fields in finish()", () => {
    let f = JsonFields.root(ok("{\"a\":1,\"typo\":2}"));
    f.field("a").asInt();
    expect(f.finish()).toBe(false);
    expect(f.error).toBe("typo: unknown field");
    f = JsonFields.root(ok("{\"o\":{\"a\":1,\"a\":2}}"));
    const o = f.field("o");
    o.field("a").asInt();
    expect(o.finish()).toBe(false);
    expect(f.error).toBe("o.a: duplicate field");
    f = JsonFields.root(ok("{\"l\":[{},{\"x\":1}]}"));
    const l = f.field("l");
    for (let i = 0; i < l.length; i++) l.at(i).finish();
    expect(f.error).toBe("l[1].x: unknown field");
    // finish() on an absent object is fine.
    f = JsonFields.root(ok("{}"));
    expect(f.field("none").finish()).toBe(true);
    expect(f.finish()).toBe(true);
  });

  it("treats an absent parent as absent children", () => {
    const f = JsonFields.root(ok("{}"));
    expect(f.field("limits").field("produce").present).toBe(false);
    expect(f.failed).toBe(false);
    expect(f.field("limits").isObjectOrAbsent()).toBe(true);
    f.field("limits").field("x").asInt();
    expect(f.error).toBe("limits.x: missing required field");
  });
});

describe("parseJson robustness", () => {
  it("never traps on random and mutated input, and re-parses what it accepts", () => {
    const base = "{\"a\":[1,-2.5e+3,true,false,null,\"s\\u00e9\\n\\uD83D\\uDE00\"],\"b\":{\"c\":{}},\"d\":\"\"}";
    const alphabet = "{}[],:\"\\/ \t\n0123456789-+.eEtrufalsnbuxD8\u0001\u00e9";
    let seed: u32 = 777;
    let accepted = 0;
    for (let round = 0; round < 5000; round++) {
      let s = round % 5 == 0 ? "" : base;
      const edits = 1 + (round % 6);
      for (let e = 0; e < edits; e++) {
        seed = seed * 1103515245 + 12345;
        const pos = <i32>((seed >>> 8) % <u32>(s.length + 1));
        seed = seed * 1103515245 + 12345;
        const kind = (seed >>> 8) % 3;
        seed = seed * 1103515245 + 12345;
        const ch = alphabet.charAt(<i32>((seed >>> 8) % <u32>alphabet.length));
        if (kind == 0 || s.length == 0) s = s.substring(0, pos) + ch + s.substring(pos);
        else if (kind == 1) s = s.substring(0, pos) + s.substring(pos + 1);
        else s = s.substring(0, pos) + ch + s.substring(pos + 1);
      }
      const r = parseJson(s);
      if (r.ok) {
        accepted++;
        const text = r.value!.toString();
        const again = parseJson(text);
        expect(again.ok).toBe(true);
        expect(again.value!.toString()).toBe(text);
      } else {
        expect(r.offset).toBeGreaterThanOrEqual(0);
        expect(r.offset).toBeLessThanOrEqual(s.length);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});
