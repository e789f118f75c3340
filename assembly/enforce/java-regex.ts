// The part of java.util.regex that Kafka's ssl.principal.mapping.rules use, with Java's meaning:
// the filter must name a TLS client exactly as the broker does (ssl-principal-mapper.ts).
//
// Supported: literals and escapes (\t \n \r \f \a \e \xhh \uhhhh, \ before punctuation),
// . (not a line terminator), ^ and $ (Java's, without MULTILINE), classes [...] [^...] with
// ranges and \d \D \w \W \s \S (ASCII, as Java's defaults), groups (...) and (?:...),
// alternation, quantifiers * + ? {n} {n,} {n,m} greedy or lazy (?), and (?i) at the very start
// (ASCII case-insensitive, as Java's CASE_INSENSITIVE). Anything else Java accepts (lookaround,
// back references, possessive quantifiers, \b, \p{..}, nested classes, other flags) is refused
// with a message, never read otherwise: a rule the filter read differently would name clients
// otherwise than Kafka. Matching is backtracking in Java's order (leftmost, then the pattern's
// preferences), on UTF-16 code units (. and negated classes take a surrogate pair whole), with
// a step budget so that a pathological pattern fails instead of stalling the worker.

import { hexValue } from "../json/value";

const enum Op { Char, Any, Class, Begin, End, Split, Jump, Save, Loop, Match }

const enum Kind { Char, Any, Class, Begin, End, Group, Concat, Alt, Repeat }

/** Steps a match, a search, or all those of one task sharing a StepBudget may take (then an error, not a non-match). */
const STEP_BUDGET: i32 = 1_000_000;

/**
 * Steps left to matches that share them: one TLS client's naming (every reading of its name,
 * every rule) is bounded as a whole, not per match, however many it takes.
 */
export class StepBudget {
  left: i32 = STEP_BUDGET;
}
/** Instructions a compiled pattern may have (counted repetitions are copied out). */
const PROGRAM_LIMIT: i32 = 10_000;

class CharClass {
  /** Inclusive ranges of code points, as pairs. */
  ranges: Array<i32> = new Array<i32>();
  negated: bool = false;

  add(lo: i32, hi: i32): void { this.ranges.push(lo); this.ranges.push(hi); }

  addClass(c: CharClass): void {
    if (!c.negated) { for (let i = 0; i < c.ranges.length; i++) this.ranges.push(c.ranges[i]); return; }
    // The complement of c's (sorted, disjoint) ranges, within 0..0x10FFFF.
    let next = 0;
    for (let i = 0; i < c.ranges.length; i += 2) {
      if (c.ranges[i] > next) this.add(next, c.ranges[i] - 1);
      next = c.ranges[i + 1] + 1;
    }
    if (next <= 0x10ffff) this.add(next, 0x10ffff);
  }

  has(c: i32, ignoreCase: bool): bool {
    let found = this.within(c);
    if (!found && ignoreCase) {
      if (c >= 65 && c <= 90) found = this.within(c + 32);
      else if (c >= 97 && c <= 122) found = this.within(c - 32);
    }
    return found != this.negated;
  }

  private within(c: i32): bool {
    for (let i = 0; i < this.ranges.length; i += 2) if (c >= this.ranges[i] && c <= this.ranges[i + 1]) return true;
    return false;
  }
}

/** Java's predefined classes (without UNICODE_CHARACTER_CLASS): \d \w \s and their negations. */
function predefined(letter: i32): CharClass | null {
  const c = new CharClass();
  const lower = letter | 32;
  if (lower == 100 /* d */) c.add(48, 57);
  else if (lower == 119 /* w */) { c.add(48, 57); c.add(65, 90); c.add(95, 95); c.add(97, 122); }
  else if (lower == 115 /* s */) { c.add(9, 13); c.add(32, 32); }
  else return null;
  c.negated = letter != lower;
  return c;
}

class Node {
  children: Array<Node> = new Array<Node>();
  ch: i32 = 0;
  cls: CharClass | null = null;
  /** Group: its number (0: not capturing). */
  group: i32 = 0;
  min: i32 = 0;
  /** Repeat: -1 for no upper bound. */
  max: i32 = -1;
  greedy: bool = true;
  constructor(readonly kind: Kind) {}
}

/** Groups a pattern may nest (the parser and the compiler recurse per level; Java's too). */
const MAX_GROUP_DEPTH: i32 = 64;

class Parser {
  pos: i32 = 0;
  groups: i32 = 0;
  depth: i32 = 0;
  error: string = "";
  constructor(readonly p: string) {}

  fail(why: string): Node | null {
    if (this.error.length == 0) this.error = why + " at index " + this.pos.toString() + " of " + this.p;
    return null;
  }

  peek(): i32 { return this.pos < this.p.length ? this.p.charCodeAt(this.pos) : -1; }

  alternation(): Node | null {
    const alt = new Node(Kind.Alt);
    for (;;) {
      const c = this.concat();
      if (c == null) return null;
      alt.children.push(c);
      if (this.peek() != 124 /* | */) break;
      this.pos++;
    }
    return alt.children.length == 1 ? alt.children[0] : alt;
  }

  concat(): Node | null {
    const seq = new Node(Kind.Concat);
    for (;;) {
      const c = this.peek();
      if (c < 0 || c == 124 || c == 41 /* ) */) break;
      const atom = this.atom();
      if (atom == null) return null;
      const repeated = this.quantified(atom);
      if (repeated == null) return null;
      seq.children.push(repeated);
    }
    return seq;
  }

  quantified(atom: Node): Node | null {
    const c = this.peek();
    let min = 0, max = -1;
    if (c == 42 /* * */) { this.pos++; }
    else if (c == 43 /* + */) { this.pos++; min = 1; }
    else if (c == 63 /* ? */) { this.pos++; max = 1; }
    else if (c == 123 /* { */) {
      this.pos++;
      min = this.number();
      if (min < 0) return this.fail("a repetition {n,m} without n");
      max = min;
      if (this.peek() == 44 /* , */) {
        this.pos++;
        max = this.peek() == 125 ? -1 : this.number();
        if (max == -2) return this.fail("a repetition bound too large");
      }
      if (this.peek() != 125 /* } */) return this.fail("an unclosed repetition {n,m}");
      this.pos++;
      if (max >= 0 && max < min) return this.fail("a repetition {n,m} with m < n");
    } else return atom;
    if (atom.kind == Kind.Begin || atom.kind == Kind.End) return this.fail("a quantifier on an anchor (not supported by the filter)");
    const r = new Node(Kind.Repeat);
    r.children.push(atom);
    r.min = min;
    r.max = max;
    if (this.peek() == 63 /* ? */) { this.pos++; r.greedy = false; }
    else if (this.peek() == 43 /* + */) return this.fail("a possessive quantifier (not supported by the filter)");
    if (this.peek() == 42 || this.peek() == 43 || this.peek() == 63 || this.peek() == 123) return this.fail("a quantifier after a quantifier (not supported by the filter)");
    return r;
  }

  /** Decimal digits: their value, -1 if none, -2 if over 1000. */
  number(): i32 {
    const start = this.pos;
    let n = 0;
    while (this.peek() >= 48 && this.peek() <= 57) {
      n = n * 10 + this.peek() - 48;
      this.pos++;
      if (n > 1000) return -2;
    }
    return this.pos == start ? -1 : n;
  }

  atom(): Node | null {
    const c = this.peek();
    this.pos++;
    if (c == 40 /* ( */) {
      const g = new Node(Kind.Group);
      if (this.peek() == 63 /* ? */) {
        if (this.pos + 1 < this.p.length && this.p.charCodeAt(this.pos + 1) == 58 /* : */) this.pos += 2;
        else return this.fail("a special group (?... (not supported by the filter)");
      } else g.group = ++this.groups;
      if (++this.depth > MAX_GROUP_DEPTH) return this.fail("groups nested deeper than " + MAX_GROUP_DEPTH.toString() + " (not supported by the filter)");
      const inner = this.alternation();
      this.depth--;
      if (inner == null) return null;
      if (this.peek() != 41) return this.fail("an unclosed group");
      this.pos++;
      g.children.push(inner);
      return g;
    }
    if (c == 91 /* [ */) return this.charClass();
    if (c == 46 /* . */) return new Node(Kind.Any);
    if (c == 94 /* ^ */) return new Node(Kind.Begin);
    if (c == 36 /* $ */) return new Node(Kind.End);
    if (c == 92 /* \ */) {
      const cls = this.classEscape();
      if (cls != null) { const n = new Node(Kind.Class); n.cls = cls; return n; }
      const ch = this.escape();
      if (ch < 0) return null;
      return literal(ch);
    }
    if (c == 42 || c == 43 || c == 63) return this.fail("a dangling quantifier");
    if (c == 123) return this.fail("an illegal repetition");
    return literal(c);
  }

  /** After "\": \d \D \w \W \s \S as a class, or null (pos unchanged). */
  classEscape(): CharClass | null {
    const cls = predefined(this.peek());
    if (cls != null) this.pos++;
    return cls;
  }

  /** After "\": the character it stands for, or -1 (error set). */
  escape(): i32 {
    const c = this.peek();
    if (c < 0) { this.fail("a trailing backslash"); return -1; }
    this.pos++;
    if (c == 116) return 9;  // \t
    if (c == 110) return 10; // \n
    if (c == 114) return 13; // \r
    if (c == 102) return 12; // \f
    if (c == 97) return 7;   // \a
    if (c == 101) return 27; // \e
    if (c == 120 /* x */ || c == 117 /* u */) {
      const digits = c == 120 ? 2 : 4;
      let v = 0;
      for (let i = 0; i < digits; i++) {
        const h = hexValue(this.peek());
        if (h < 0) { this.fail("a malformed \\" + String.fromCharCode(c) + " escape (or one not supported by the filter)"); return -1; }
        v = v * 16 + h;
        this.pos++;
      }
      return v;
    }
    // Java: a backslash before a letter or digit not named above is an error or a construct the
    // filter does not read (back references, \b, \p, \Q, ...); before anything else, a literal.
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      this.pos--;
      this.fail("the escape \\" + String.fromCharCode(c) + " (not supported by the filter)");
      return -1;
    }
    return c;
  }

  charClass(): Node | null {
    const cls = new CharClass();
    if (this.peek() == 94 /* ^ */) { this.pos++; cls.negated = true; }
    if (this.peek() == 93 /* ] */) return this.fail("a class that starts with ] (not supported by the filter)");
    for (;;) {
      const c = this.peek();
      if (c < 0) return this.fail("an unclosed class");
      if (c == 93) { this.pos++; break; }
      if (c == 91 /* [ */ || (c == 38 /* & */ && this.pos + 1 < this.p.length && this.p.charCodeAt(this.pos + 1) == 38)) {
        return this.fail("a nested class or && (not supported by the filter)");
      }
      this.pos++;
      let lo = c;
      if (c == 92) {
        const inner = this.classEscape();
        if (inner != null) { cls.addClass(inner); continue; }
        lo = this.escape();
        if (lo < 0) return null;
      }
      if (this.peek() == 45 /* - */ && this.pos + 1 < this.p.length && this.p.charCodeAt(this.pos + 1) != 93) {
        this.pos++;
        let hi = this.peek();
        this.pos++;
        if (hi == 92) {
          if (predefined(this.peek()) != null) return this.fail("a range ending in a class");
          hi = this.escape();
          if (hi < 0) return null;
        } else if (hi == 91) return this.fail("a nested class (not supported by the filter)");
        if (hi < lo) return this.fail("an illegal character range");
        cls.add(lo, hi);
      } else cls.add(lo, lo);
    }
    const n = new Node(Kind.Class);
    n.cls = cls;
    return n;
  }
}

function literal(c: i32): Node {
  const n = new Node(Kind.Char);
  n.ch = c;
  return n;
}


function isLineTerminator(c: i32): bool { return c == 10 || c == 13 || c == 0x85 || c == 0x2028 || c == 0x2029; }

/** A compiled pattern; `error` set (and nothing else usable) when it did not compile. */
export class JavaRegex {
  op: Array<i32> = new Array<i32>();
  a: Array<i32> = new Array<i32>();
  b: Array<i32> = new Array<i32>();
  classes: Array<CharClass> = new Array<CharClass>();
  groupCount: i32 = 0;
  ignoreCase: bool = false;
  /** Slots: start and end of each group (0 the whole match), then one per unbounded loop. */
  slots: i32 = 0;
  error: string = "";
  /** Set by a match that ran out of steps (the result is then no match, and not to be trusted). */
  exhausted: bool = false;
  private budget: StepBudget = new StepBudget();

  constructor(readonly pattern: string) {
    this.build(pattern);
  }

  private build(pattern: string): void {
    let source = pattern;
    if (source.startsWith("(?i)")) { this.ignoreCase = true; source = source.substring(4); }
    const parser = new Parser(source);
    const root = parser.alternation();
    if (root != null && parser.pos < source.length) parser.fail("an unmatched )");
    if (root == null || parser.error.length > 0) { this.error = parser.error; return; }
    this.groupCount = parser.groups;
    this.slots = 2 * (this.groupCount + 1);
    this.emit(Op.Save, 0, 0);
    this.compile(root);
    this.emit(Op.Save, 1, 0);
    this.emit(Op.Match, 0, 0);
    if (this.op.length > PROGRAM_LIMIT) this.error = "a pattern too large once its repetitions are written out: " + pattern;
  }

  private emit(op: Op, a: i32, b: i32): i32 {
    this.op.push(<i32>op);
    this.a.push(a);
    this.b.push(b);
    return this.op.length - 1;
  }

  private compile(n: Node): void {
    if (this.op.length > PROGRAM_LIMIT) return;
    switch (n.kind) {
      case Kind.Char: this.emit(Op.Char, n.ch, 0); break;
      case Kind.Any: this.emit(Op.Any, 0, 0); break;
      case Kind.Class: this.classes.push(n.cls!); this.emit(Op.Class, this.classes.length - 1, 0); break;
      case Kind.Begin: this.emit(Op.Begin, 0, 0); break;
      case Kind.End: this.emit(Op.End, 0, 0); break;
      case Kind.Concat: for (let i = 0; i < n.children.length; i++) this.compile(n.children[i]); break;
      case Kind.Group: {
        if (n.group > 0) this.emit(Op.Save, 2 * n.group, 0);
        this.compile(n.children[0]);
        if (n.group > 0) this.emit(Op.Save, 2 * n.group + 1, 0);
        break;
      }
      case Kind.Alt: {
        // Split to each alternative in turn; each ends with a jump past the last.
        const jumps = new Array<i32>();
        for (let i = 0; i < n.children.length; i++) {
          if (i < n.children.length - 1) {
            const split = this.emit(Op.Split, 0, 0);
            this.a[split] = this.op.length;
            this.compile(n.children[i]);
            jumps.push(this.emit(Op.Jump, 0, 0));
            this.b[split] = this.op.length;
          } else this.compile(n.children[i]);
        }
        for (let i = 0; i < jumps.length; i++) this.a[jumps[i]] = this.op.length;
        break;
      }
      case Kind.Repeat: this.repeat(n); break;
    }
  }

  private repeat(n: Node): void {
    const x = n.children[0];
    for (let i = 0; i < n.min; i++) this.compile(x);
    if (n.max < 0) {
      // loop: Split(body, exit) ; body: Save(mark) x Loop(mark, loop) ; exit
      // Loop goes round again only if the pass consumed something (Java stops an empty pass).
      const mark = this.slots++;
      const loop = this.emit(Op.Split, 0, 0);
      const body = this.op.length;
      this.emit(Op.Save, mark, 0);
      this.compile(x);
      this.emit(Op.Loop, mark, loop);
      this.setSplit(loop, body, this.op.length, n.greedy);
      return;
    }
    const splits = new Array<i32>();
    for (let i = n.min; i < n.max; i++) {
      const split = this.emit(Op.Split, 0, 0);
      splits.push(split);
      this.a[split] = this.op.length;
      this.compile(x);
    }
    const end = this.op.length;
    for (let i = 0; i < splits.length; i++) this.setSplit(splits[i], splits[i] + 1, end, n.greedy);
  }

  private setSplit(at: i32, take: i32, skip: i32, greedy: bool): void {
    this.a[at] = greedy ? take : skip;
    this.b[at] = greedy ? skip : take;
  }

  /**
   * Matches at `start`: the slots of the match (group g: [2g], [2g+1]; -1 where it took no
   * part) or null. `whole`: only a match that ends at the end of `s` (Matcher.matches).
   */
  matchAt(s: string, start: i32, whole: bool, budget: StepBudget | null = null): Array<i32> | null {
    this.spend(budget);
    return this.attempt(s, start, whole);
  }

  /** The first match starting at `from` or later (Matcher.find), or null; one step budget for all starts. */
  find(s: string, from: i32, budget: StepBudget | null = null): Array<i32> | null {
    this.spend(budget);
    for (let i = from; i <= s.length; i++) {
      const m = this.attempt(s, i, false);
      if (m != null || this.exhausted) return m;
    }
    return null;
  }

  /** The steps the next match or search takes from: `budget`, or a budget of its own. */
  private spend(budget: StepBudget | null): void {
    this.budget = budget != null ? budget : new StepBudget();
    this.exhausted = this.budget.left <= 0;
  }

  private attempt(s: string, start: i32, whole: bool): Array<i32> | null {
    const slots = new Array<i32>(this.slots);
    for (let i = 0; i < this.slots; i++) slots[i] = -1;
    // Backtracking stack: (pc, sp, -1) to resume, or (-2 - slot, old value, 0) to restore.
    const stack = new Array<i32>();
    const len = s.length;
    const ci = this.ignoreCase;
    let pc = 0, sp = start;
    for (;;) {
      if (--this.budget.left < 0) { this.exhausted = true; return null; }
      let ok = true;
      switch (<Op>this.op[pc]) {
        case Op.Char: {
          if (sp < len) {
            const c = s.charCodeAt(sp);
            const want = this.a[pc];
            ok = c == want || (ci && c < 128 && want < 128 && asciiFold(c) == asciiFold(want));
            if (ok) { sp++; pc++; }
          } else ok = false;
          break;
        }
        case Op.Any: {
          if (sp < len && !isLineTerminator(s.charCodeAt(sp))) { sp += codePointWidth(s, sp); pc++; } else ok = false;
          break;
        }
        case Op.Class: {
          if (sp < len) {
            const w = codePointWidth(s, sp);
            const c = w == 2 ? s.codePointAt(sp) : s.charCodeAt(sp);
            ok = this.classes[this.a[pc]].has(c, ci);
            if (ok) { sp += w; pc++; }
          } else ok = false;
          break;
        }
        case Op.Begin: ok = sp == 0; if (ok) pc++; break;
        case Op.End: ok = atJavaEnd(s, sp); if (ok) pc++; break;
        case Op.Split: stack.push(this.b[pc]); stack.push(sp); stack.push(-1); pc = this.a[pc]; break;
        case Op.Jump: pc = this.a[pc]; break;
        case Op.Save: {
          const slot = this.a[pc];
          stack.push(-2 - slot); stack.push(slots[slot]); stack.push(0);
          slots[slot] = sp;
          pc++;
          break;
        }
        case Op.Loop: pc = sp != slots[this.a[pc]] ? this.b[pc] : pc + 1; break;
        case Op.Match: {
          if (!whole || sp == len) return slots;
          ok = false;
          break;
        }
      }
      if (ok) continue;
      // Back to the latest choice, undoing the slots saved since.
      let resumed = false;
      while (stack.length > 0) {
        const tag = stack.pop();
        const second = stack.pop();
        const first = stack.pop();
        if (tag == -1) { pc = first; sp = second; resumed = true; break; }
        slots[-2 - first] = second;
      }
      if (!resumed) return null;
    }
    return null; // not reached: the loop returns
  }

}

/** A character's ASCII case fold (letters to lower case), other characters unchanged. */
function asciiFold(c: i32): i32 { return c >= 65 && c <= 90 ? c + 32 : c; }

function codePointWidth(s: string, i: i32): i32 {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) == 0xdc00 ? 2 : 1;
}

/** Java's $ without MULTILINE: at the end, or before a line terminator that ends the input. */
function atJavaEnd(s: string, i: i32): bool {
  const end = s.length;
  if (i == end) return true;
  if (i == end - 2) return s.charCodeAt(i) == 13 && s.charCodeAt(i + 1) == 10;
  if (i != end - 1) return false;
  const c = s.charCodeAt(i);
  if (c == 10) return !(i > 0 && s.charCodeAt(i - 1) == 13);
  return c == 13 || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/** The replacement error of Java's Matcher.appendReplacement, or "" (see replaceAll). */
export class Replaced {
  constructor(readonly text: string, readonly error: string) {}
}

/**
 * String.replaceAll(pattern, replacement) as Java does it: every match in turn (after an empty
 * match the search moves on one character), each replaced by `replacement` read as Java reads
 * it ($n a group, the longest number that names one; \x the character x).
 */
export function replaceAll(re: JavaRegex, s: string, replacement: string, budget: StepBudget): Replaced {
  let m = re.find(s, 0, budget);
  if (m == null) return new Replaced(re.exhausted ? "" : s, re.exhausted ? "too much backtracking in " + re.pattern : "");
  let out = "";
  let appended = 0;
  while (m != null) {
    out += s.substring(appended, m[0]);
    const r = expand(re, s, m, replacement);
    if (r.error.length > 0) return r;
    out += r.text;
    appended = m[1];
    const next = m[1] == m[0] ? m[1] + 1 : m[1];
    m = next > s.length ? null : re.find(s, next, budget);
    if (re.exhausted) return new Replaced("", "too much backtracking in " + re.pattern);
  }
  return new Replaced(out + s.substring(appended), "");
}

function expand(re: JavaRegex, s: string, m: Array<i32>, replacement: string): Replaced {
  let out = "";
  let i = 0;
  const n = replacement.length;
  while (i < n) {
    const c = replacement.charCodeAt(i);
    if (c == 92 /* \ */) {
      if (++i == n) return new Replaced("", "character to be escaped is missing");
      out += String.fromCharCode(replacement.charCodeAt(i++));
    } else if (c == 36 /* $ */) {
      if (++i == n) return new Replaced("", "Illegal group reference: group index is missing");
      if (replacement.charCodeAt(i) == 123 /* { */) return new Replaced("", "No group with name " + replacement.substring(i));
      let ref = replacement.charCodeAt(i) - 48;
      if (ref < 0 || ref > 9) return new Replaced("", "Illegal group reference");
      i++;
      while (i < n) {
        const d = replacement.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        const longer = ref * 10 + d;
        if (re.groupCount < longer) break;
        ref = longer;
        i++;
      }
      if (ref > re.groupCount) return new Replaced("", "No group " + ref.toString());
      if (m[2 * ref] >= 0 && m[2 * ref + 1] >= 0) out += s.substring(m[2 * ref], m[2 * ref + 1]);
    } else {
      out += String.fromCharCode(c);
      i++;
    }
  }
  return new Replaced(out, "");
}
