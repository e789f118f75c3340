// JSON with numbers kept as their source text, so int64 values compare exactly
// (JSON.parse would round anything beyond 2^53).

export type Json = null | boolean | string | JsonNumber | Json[] | { [k: string]: Json };

export class JsonNumber {
  constructor(readonly text: string) {}
}

export function parseLossless(text: string): Json {
  let i = 0;
  const ws = () => { while (i < text.length && " \t\r\n".includes(text[i])) i++; };
  const value = (): Json => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const o: { [k: string]: Json } = {};
      ws();
      if (text[i] === "}") { i++; return o; }
      for (;;) {
        ws();
        const k = value() as string;
        ws();
        if (text[i++] !== ":") throw new Error(`expected ':' at ${i - 1}`);
        o[k] = value();
        ws();
        const d = text[i++];
        if (d === "}") return o;
        if (d !== ",") throw new Error(`expected ',' or '}' at ${i - 1}`);
      }
    }
    if (c === "[") {
      i++;
      const a: Json[] = [];
      ws();
      if (text[i] === "]") { i++; return a; }
      for (;;) {
        a.push(value());
        ws();
        const d = text[i++];
        if (d === "]") return a;
        if (d !== ",") throw new Error(`expected ',' or ']' at ${i - 1}`);
      }
    }
    if (c === '"') {
      const start = i;
      i++;
      while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
      return JSON.parse(text.slice(start, i)) as string;
    }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m) { i += m[0].length; return new JsonNumber(m[0]); }
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    throw new Error(`unexpected '${c}' at ${i}`);
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing text at ${i}`);
  return v;
}

function numbersEqual(a: string, b: string): boolean {
  const integral = (s: string) => /^-?\d+$/.test(s);
  if (integral(a) && integral(b)) return BigInt(a) === BigInt(b);
  return Number(a) === Number(b);
}

/**
 * The first difference between `expected` and `actual` as a path and both values, or null.
 * `lenient(path, expected, actual)` may excuse a difference the caller knows is not one.
 */
export function firstDifference(expected: Json, actual: Json, lenient: (key: string, e: Json, a: Json) => boolean, path = "$"): string | null {
  if (expected instanceof JsonNumber || actual instanceof JsonNumber) {
    if (expected instanceof JsonNumber && actual instanceof JsonNumber && numbersEqual(expected.text, actual.text)) return null;
    return `${path}: expected ${show(expected)}, got ${show(actual)}`;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual) || expected.length !== actual.length) return `${path}: expected ${show(expected)}, got ${show(actual)}`;
    for (let k = 0; k < expected.length; k++) {
      const d = firstDifference(expected[k], actual[k], lenient, `${path}[${k}]`);
      if (d) return d;
    }
    return null;
  }
  if (expected !== null && actual !== null && typeof expected === "object" && typeof actual === "object") {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys) {
      const e = (expected as Record<string, Json>)[k];
      const a = (actual as Record<string, Json>)[k];
      if (e === undefined || a === undefined) {
        if (lenient(k, e ?? null, a ?? null)) continue;
        return `${path}.${k}: ${e === undefined ? "unexpected" : "missing"} (${show(e === undefined ? a : e)})`;
      }
      if (lenient(k, e, a)) continue;
      const d = firstDifference(e, a, lenient, `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return expected === actual ? null : `${path}: expected ${show(expected)}, got ${show(actual)}`;
}

function show(v: Json | undefined): string {
  const s = JSON.stringify(v, (_k, x) => (x instanceof JsonNumber ? x.text : x));
  return s === undefined ? "undefined" : s.length > 120 ? s.slice(0, 117) + "..." : s;
}
