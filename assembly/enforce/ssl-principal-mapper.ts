// Kafka's ssl.principal.mapping.rules (SslPrincipalMapper), read and applied as Kafka does, so
// that a TLS client has here the name the broker gives it:
//   RULE:<pattern>/<replacement>/[LU], ..., DEFAULT
// Rules are split and parsed with Kafka's own two expressions, in order; the first rule whose
// pattern matches the whole distinguished name gives the name: dn.replaceAll(pattern,
// replacement), lower- or upper-cased (L, U); DEFAULT gives the name unchanged; when none
// applies, Kafka fails the authentication (here: no name, and the caller closes). Kafka's
// quirks are kept: a $n naming a group the pattern lacks is made literal by
// escapeLiteralBackReferences, with the positions of the replacement as written.

import { JavaRegex, StepBudget, replaceAll } from "./java-regex";

const RULE_PATTERN = "(DEFAULT)|RULE:((\\\\.|[^\\\\/])*)/((\\\\.|[^\\\\/])*)/([LU]?).*?|(.*?)";
const RULE_SPLITTER = "\\s*(" + RULE_PATTERN + ")\\s*(,\\s*|$)";
/** Rule.BACK_REFERENCE_PATTERN, compiled once for every rule's replacement. */
const BACK_REFERENCE = new JavaRegex("\\$(\\d+)");

/** A name, or why there is none (`error`). */
export class MappedName {
  constructor(readonly name: string, readonly error: string = "") {}
}

class Rule {
  /** The replacement as Rule.apply uses it (escapeLiteralBackReferences), read once: it depends on the rule alone. */
  private readonly escaped: MappedName;

  constructor(readonly pattern: JavaRegex | null, replacement: string,
              readonly toLowerCase: bool, readonly toUpperCase: bool) {
    this.escaped = pattern != null ? escapeLiteralBackReferences(replacement, pattern.groupCount) : new MappedName(replacement);
  }

  /** Rule.apply: the name, null when the rule does not apply; error set when Java would throw. */
  apply(dn: string, budget: StepBudget): MappedName | null {
    const p = this.pattern;
    if (p == null) return new MappedName(dn);
    const m = p.matchAt(dn, 0, true, budget);
    if (p.exhausted) return new MappedName("", "too much backtracking in " + p.pattern);
    if (m == null) return null;
    // Kafka escapes (and may fail) only once the rule applies.
    const replacement = this.escaped;
    if (replacement.error.length > 0) return replacement;
    const r = replaceAll(p, dn, replacement.name, budget);
    if (r.error.length > 0) return new MappedName("", r.error);
    if (this.toLowerCase) return new MappedName(r.text.toLowerCase());
    if (this.toUpperCase) return new MappedName(r.text.toUpperCase());
    return new MappedName(r.text);
  }
}

/**
 * Kafka's Rule.escapeLiteralBackReferences: each $n whose n names no group (after dropping
 * trailing digits down to one) gets a backslash, so that replaceAll writes it as it is. As in
 * Kafka, the positions are those of the replacement as written, applied to the text with the
 * backslashes inserted so far.
 */
function escapeLiteralBackReferences(replacement: string, groupCount: i32): MappedName {
  if (groupCount == 0) return new MappedName(replacement);
  let result = replacement;
  let from = 0;
  for (;;) {
    const m = BACK_REFERENCE.find(replacement, from);
    if (m == null) break;
    from = m[1];
    const digits = replacement.substring(m[2], m[3]);
    if (digits.startsWith("0")) continue;
    // Integer.parseInt: a number past int's range throws.
    if (digits.length > 10 || (digits.length == 10 && digits > "2147483647")) {
      return new MappedName("", "For input string: \"" + digits + "\"");
    }
    let n = I64.parseInt(digits);
    while (n > groupCount && n >= 10) n /= 10;
    if (n > groupCount) {
      const start = m[2];
      result = result.substring(0, start - 1) + "\\" + result.substring(start - 1);
    }
  }
  return new MappedName(result);
}

/** Java's String.trim: characters up to U+0020 off both ends. */
function javaTrim(s: string): string {
  let start = 0, end = s.length;
  while (start < end && s.charCodeAt(start) <= 32) start++;
  while (end > start && s.charCodeAt(end - 1) <= 32) end--;
  return s.substring(start, end);
}

function group(s: string, m: Array<i32>, g: i32): string | null {
  return m[2 * g] < 0 ? null : s.substring(m[2 * g], m[2 * g + 1]);
}

/** The rules of one ssl.principal.mapping.rules value; `error` set when Kafka would refuse it. */
export class SslPrincipalMapper {
  readonly rules: Array<Rule> = new Array<Rule>();
  error: string = "";

  constructor(readonly text: string) {
    this.read(text);
  }

  private read(text: string): void {
    const splitter = new JavaRegex(RULE_SPLITTER);
    const parser = new JavaRegex(RULE_PATTERN);
    const all = javaTrim(text);
    let from = 0;
    for (;;) {
      const m = splitter.find(all, from);
      if (m == null) break;
      from = m[1] == m[0] ? m[1] + 1 : m[1];
      if (!this.parse(parser, group(all, m, 1)!)) return;
      if (from > all.length) break;
    }
    if (splitter.exhausted) this.error = "ssl.principal.mapping.rules too complex to read: " + text;
  }

  private parse(parser: JavaRegex, rule: string): bool {
    const m = parser.matchAt(rule, 0, false);
    if (m == null) { this.error = "Invalid rule: " + rule; return false; }
    if (m[1] != rule.length) { this.error = "Invalid rule: `" + rule + "`, unmatched substring: `" + rule.substring(m[1]) + "`"; return false; }
    if (group(rule, m, 1) != null) { this.rules.push(new Rule(null, "", false, false)); return true; }
    const pattern = group(rule, m, 2);
    if (pattern == null) return true; // an empty rule: ignored, as Kafka does
    const re = new JavaRegex(pattern);
    if (re.error.length > 0) { this.error = "rule " + rule + ": " + re.error; return false; }
    const caseFlag = group(rule, m, 6);
    this.rules.push(new Rule(re, group(rule, m, 4)!, caseFlag == "L", caseFlag == "U"));
    return true;
  }

  /**
   * The name Kafka gives the holder of a certificate whose subject is `dn` (Java's RFC 2253).
   * `budget`: the matching steps the whole naming may take (shared by its calls).
   */
  name(dn: string, budget: StepBudget = new StepBudget()): MappedName {
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i].apply(dn, budget);
      if (r != null) return r;
    }
    return new MappedName("", "no rule applies to " + dn);
  }
}
