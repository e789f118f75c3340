// The import graph of assembly/, checked: no cycle between files, none between the top-level
// folders (a folder's subfolders count as the folder), and the shell (filter/) below the policy
// (it imports nothing of enforce/ nor the composition root). Prints the folder graph. Also what
// the module must not call at all: Array.join, quadratic at the filter's shrinkLevel (see
// runtime/strings.ts, whose join() is the one way to join strings).
// Usage: tsx tools/imports.ts [assembly dir]

import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join, dirname, relative, normalize } from "node:path";

const root = process.argv[2] ?? "assembly";
/** Test-only builds may reach anywhere. */
const SKIP = ["filter/testing/"];
/** Folders the shell must not import, and why it matters: it meets the policy only at filter/seam.ts. */
const ABOVE_SHELL = ["enforce", "(root)"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

const rel = (p: string): string => relative(root, p);
const sources = files(root).filter((p) => !SKIP.some((s) => rel(p).startsWith(s)));
const graph = new Map<string, Set<string>>();
for (const p of sources) {
  const deps = new Set<string>();
  const text = readFileSync(p, "utf8");
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?["'](\.{1,2}\/[^"']+)["']/g)) {
    const base = normalize(join(dirname(p), m[1]));
    const target = [`${base}.ts`, join(base, "index.ts")].find((c) => existsSync(c));
    if (target !== undefined) deps.add(rel(target));
  }
  graph.set(rel(p), deps);
}

/** Strongly connected components with more than one member (or a self-loop), by Tarjan. */
function cycles(g: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++; stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) { on.delete(w); comp.push(w); if (w === v) break; }
      if (comp.length > 1 || g.get(v)?.has(v)) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

const folderOf = (file: string): string => (file.includes("/") ? file.split("/")[0] : "(root)");
const folders = new Map<string, Set<string>>();
const edges = new Map<string, number>();
for (const [from, deps] of graph) {
  const a = folderOf(from);
  if (!folders.has(a)) folders.set(a, new Set());
  for (const to of deps) {
    const b = folderOf(to);
    if (a === b) continue;
    folders.get(a)!.add(b);
    edges.set(`${a} -> ${b}`, (edges.get(`${a} -> ${b}`) ?? 0) + 1);
  }
}

const problems: string[] = [];
for (const c of cycles(graph)) problems.push(`files import each other: ${c.join(", ")}`);
for (const c of cycles(folders)) problems.push(`folders import each other: ${c.join(", ")}`);
/** Calls the module must not make, and where instead. */
const BANNED: Array<[RegExp, string, string]> = [[/\.join\(/, "runtime/strings.ts", "join() from runtime/strings.ts"]];
for (const p of sources) {
  const lines = readFileSync(p, "utf8").split("\n");
  for (const [re, home, instead] of BANNED) {
    if (rel(p) === home) continue;
    lines.forEach((line, i) => {
      if (re.test(line.replace(/\/\/.*$/, ""))) problems.push(`${rel(p)}:${i + 1} calls ${re.source.replace(/\\/g, "")}: use ${instead}`);
    });
  }
}
for (const [from, deps] of graph) {
  if (folderOf(from) !== "filter") continue;
  for (const to of deps) if (ABOVE_SHELL.includes(folderOf(to))) problems.push(`the shell imports the policy: ${from} -> ${to}`);
}

console.log(`imports: ${graph.size} files under ${root}/ (not ${SKIP.join(", ")}); folder graph (imports per edge):`);
for (const [e, n] of [...edges].sort()) console.log(`  ${e} (${n})`);
for (const p of problems) console.log(`FAIL ${p}`);
console.log(`${problems.length === 0 ? 1 : 0} passed, ${problems.length === 0 ? 0 : 1} failed`);
process.exit(problems.length === 0 ? 0 : 1);
