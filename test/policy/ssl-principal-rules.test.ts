// ssl.principal.mapping.rules as Kafka reads them. The filter names a TLS client by the broker's
// rules (filter.sslPrincipalMappingRules: assembly/enforce/ssl-principal-mapper.ts over the
// Java-regex subset of java-regex.ts); Kafka's own SslPrincipalMapper (test/oracle,
// TlsPrincipals --map) is the judge. Fixed rules (Kafka's documented ones, refused ones, its
// quirks) and random ones (SSL_RULES_SEED=<n> repeats a run) are put to both with fixed and
// random names: Kafka and the filter must refuse the same rules, and give every name the same
// principal or both none. The one allowed difference: a rule the filter refuses as "not
// supported by the filter" (a regex construct outside its subset), which the configuration
// check then names; counted and printed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPolicyModule, type PolicyModule } from "../../tools/policy-module";
import { seededRandom } from "../lib/seeded-random";

const ROOT = join(import.meta.dirname, "..", "..");
const SEED = Number(process.env.SSL_RULES_SEED ?? Date.now() % 1_000_000);
const RANDOM_RULE_SETS = 400;
const NOT_SUPPORTED = "not supported by the filter";

interface KafkaAnswer { rules: string; error: string | null; names: Array<{ principal: string | null; error: string | null }> }

/** Kafka's answers, from one JVM for all the cases. */
function kafkaMaps(cases: Array<{ rules: string; names: string[] }>): KafkaAnswer[] {
  const dir = join(ROOT, "test", "oracle");
  const cp = `${join(dir, "target", "classes")}:${readFileSync(join(dir, "target", "classpath.txt"), "utf8").trim()}`;
  const out = execFileSync("java", ["-cp", cp, "dev.kafkawasm.oracle.TlsPrincipals", "--map"],
    { input: cases.map((c) => JSON.stringify(c)).join("\n") + "\n", encoding: "utf8", maxBuffer: 64 << 20 });
  return out.trim().split("\n").map((l) => JSON.parse(l) as KafkaAnswer);
}

const FIXED_RULES = [
  "DEFAULT",
  // Kafka's documentation and its SslPrincipalMapper tests.
  "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT",
  "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/",
  // Groups nested deeper than the filter takes (64): refused as not supported, not a trap at load.
  "RULE:^" + "(".repeat(80) + "CN=a" + ")".repeat(80) + ".*$/x/",
  "RULE:^CN=([^,]+),.*$/$1/L",
  "RULE:^.*EMAILADDRESS=([^,]*).*$/$1/",
  "RULE:^CN=(.*?),OU=(.*?)$/$1\\/$2/",
  "RULE:^CN=([^\\/]*)\\/(.*)$/$2.$1/",
  "RULE:(?i)^cn=([a-z]+).*$/$1/U",
  "RULE:^(.*)$/$1$2/, DEFAULT",
  "RULE:^(.*)$/$10$0\\$1/",
  "RULE:^(CN)=(\\w+)(,.*)?$/$2/,DEFAULT",
  "RULE:^CN=(a|ab)(c|bcd)(d*)$/$1-$2-$3/",
  "RULE:^(.*?)(,.*)*$/[$1]/",
  "RULE:^(x{2,3})(.*)$/$1|$2/,RULE:.*/none/",
  "RULE:.*/x/",
  "RULE:^$/empty/,DEFAULT",
  "  RULE:^CN=(.*)$/$1/L ,  DEFAULT  ",
  "RULE:^CN=(.*)$/$1/LU",
  "RULE:^CN=(.*)$/$1",
  "RULE:^CN=(.*)$/$1/L/U",
  "RULE:[a/b/",
  "RULE:^CN=(.*)$/$/",
  "RULE:^CN=(.*)$/${name}/",
  "RULE:^CN=(.*)$/$1\\/",
  "DEFAULT, DEFAULT/L",
  "RULE:^CN=(.*)$/$1/,,DEFAULT",
  "",
  "RULE:^CN=(?=x).*$/$1/",
  "RULE:^CN=(\\w+)\\b.*$/$1/",
  "RULE:^CN=(.*+)$/$1/",
];

const FIXED_NAMES = [
  "CN=Duke,OU=ServiceUsers,O=Org,C=US", "CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US", "cn=duke,ou=JavaSoft,dc=sun,dc=com",
  "OU=JavaSoft,O=Sun Microsystems,C=US", "CN=alice", "CN=alice,OU=eng", "CN=a\\,b,OU=x\\+y", "CN=abcd", "CN=abd", "",
  "CN=café,OU=Équipe", "CN=x/y,OU=z", "xxxx,yy", "CN=ΣΑΣ,O=İstanbul", "EMAILADDRESS=me@example.com,CN=me", "CN=x\n",
];

/**
 * A random pattern of the supported subset, written as a rule's pattern (a '/' escaped). No
 * quantifier or alternation inside a quantified group: nested ones make some patterns take
 * exponential time in Java (whose matcher has no limit), and then this test would never end.
 */
function randomPattern(next: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  const atom = (depth: number, plain: boolean): string => {
    const r = next();
    if (r < 0.35) {
      const c = pick([..."CNOUcnou=,.@ab1 -/\\+é$^|()[]{}*?"]);
      return "\\/.^$|?*+()[]{}".includes(c) ? `\\${c}` : c;
    }
    if (r < 0.45) return ".";
    if (r < 0.55) return pick(["\\d", "\\w", "\\s", "\\W", "\\S", "\\,", "\\="]);
    if (r < 0.7) {
      const members = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(["a-z", "A-Z", "0-9", ",", "=", "\\\\", "\\/", ".", "-", "é", "\\w"]));
      return `[${next() < 0.3 ? "^" : ""}${members.join("")}]`;
    }
    if (depth > 2) return "x";
    const alternative = !plain && next() < 0.3 ? `|${sequence(depth + 1, plain)}` : "";
    return `(${next() < 0.25 ? "?:" : ""}${sequence(depth + 1, plain)}${alternative})`;
  };
  const quantified = (depth: number, plain: boolean): string => {
    const q = plain || next() < 0.55 ? "" : pick(["*", "+", "?", "{2}", "{1,}", "{0,2}", "{1,3}"]);
    return atom(depth, plain || q !== "") + q + (q !== "" && next() < 0.4 ? "?" : "");
  };
  const sequence = (depth: number, plain: boolean): string =>
    Array.from({ length: 1 + Math.floor(next() * 3) }, () => quantified(depth, plain)).join("");
  return (next() < 0.15 ? "(?i)" : "") + (next() < 0.6 ? "^" : "") + sequence(0, false) + (next() < 0.6 ? "$" : "");
}

function randomReplacement(next: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  return Array.from({ length: Math.floor(next() * 4) }, () => pick(["$1", "$2", "$0", "$12", "$3", "@", "x", "\\$", "\\\\", "\\/", "-", "é"])).join("");
}

function randomRules(next: () => number): string {
  const n = 1 + Math.floor(next() * 3);
  const rules = Array.from({ length: n }, () => `RULE:${randomPattern(next)}/${randomReplacement(next)}/${["", "", "L", "U"][Math.floor(next() * 4)]}`);
  if (next() < 0.3) rules.push("DEFAULT");
  return rules.join(next() < 0.2 ? " , " : ",");
}

function randomName(next: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  if (next() < 0.5) {
    const attrs = Array.from({ length: 1 + Math.floor(next() * 4) }, () => `${pick(["CN", "OU", "O", "L", "cn", "EMAILADDRESS"])}=${
      Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick([..."abxyzAB019 .-@é/", "\\,", "\\+"])).join("")}`);
    return attrs.join(",");
  }
  return Array.from({ length: Math.floor(next() * 12) }, () => pick([..."CNOU=,.@abcxyz1 /\\+é$"])).join("");
}

interface Ours { refused: string | null; principals: Array<{ principal: string | null; error: string | null }> }

function filterMaps(module: PolicyModule, rules: string, names: string[]): Ours {
  const config = JSON.stringify({ acls: [], filter: { sslPrincipalMappingRules: rules } });
  const problems = module.check(config);
  if (problems.length > 0) return { refused: problems.join("; "), principals: [] };
  return {
    refused: null,
    principals: names.map((n) => {
      try {
        return { principal: (JSON.parse(module.tlsPrincipal(config, n, true)) as { principal: string }).principal.replace(/^User:/, ""), error: null };
      } catch (e) {
        return { principal: null, error: (e as Error).message };
      }
    }),
  };
}

test("ssl.principal.mapping.rules: the filter reads and applies them as Kafka's SslPrincipalMapper does", async (t) => {
  const module = await loadPolicyModule();
  const next = seededRandom(SEED);
  const cases: Array<{ rules: string; names: string[] }> = FIXED_RULES.map((rules) => ({ rules, names: FIXED_NAMES }));
  for (let i = 0; i < RANDOM_RULE_SETS; i++) {
    cases.push({ rules: randomRules(next), names: [...FIXED_NAMES.slice(0, 6), ...Array.from({ length: 8 }, () => randomName(next))] });
  }
  const kafka = kafkaMaps(cases);
  assert.equal(kafka.length, cases.length);
  const differences: string[] = [];
  const unsupported: string[] = [];
  let compared = 0, refusedByBoth = 0, named = 0;
  for (let i = 0; i < cases.length; i++) {
    const { rules, names } = cases[i];
    const k = kafka[i];
    const ours = filterMaps(module, rules, names);
    if (k.error !== null || ours.refused !== null) {
      if (k.error !== null && ours.refused !== null) { refusedByBoth++; continue; }
      if (k.error === null && ours.refused!.includes(NOT_SUPPORTED)) { unsupported.push(`${rules}: ${ours.refused}`); continue; }
      differences.push(`rules ${JSON.stringify(rules)}: Kafka ${k.error ?? "accepts them"}; the filter ${ours.refused ?? "accepts them"}`);
      continue;
    }
    for (let j = 0; j < names.length; j++) {
      compared++;
      const want = k.names[j], got = ours.principals[j];
      if (want.principal !== null) named++;
      if (want.principal !== got.principal) {
        differences.push(`rules ${JSON.stringify(rules)}, name ${JSON.stringify(names[j])}: Kafka ${want.principal !== null ? JSON.stringify(want.principal) : `none (${want.error})`}, ` +
          `the filter ${got.principal !== null ? JSON.stringify(got.principal) : `none (${got.error})`}`);
      }
    }
  }
  t.diagnostic(`SSL_RULES_SEED=${SEED}: ${cases.length} rule sets (${refusedByBoth} refused by both, ${unsupported.length} outside the filter's regex subset), ` +
    `${compared} names compared (${named} named by Kafka)`);
  for (const u of unsupported.slice(0, 10)) t.diagnostic(`not supported: ${u}`);
  assert.deepEqual(differences.slice(0, 30), [], `${differences.length} differences from Kafka's SslPrincipalMapper`);
  // The corpus must reach both outcomes, or it tests nothing.
  assert.ok(refusedByBoth >= 5 && named >= 100 && compared - named >= 100, "the cases reach refusals, names and names without a rule");
});
