// The house rule "runtime code only in src/runtime/" (DESIGN.md), checked mechanically: outside
// src/runtime/, product code (src/, conformance/) must not import the runtime's I/O modules or
// touch the Bun/Deno globals; tests and scripts must not touch Bun/Deno globals either (they run
// on all three runtimes). Relative imports must carry their .ts extension. Exits 1 on a violation.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const forbiddenModules = /(?:from\s+|import\s*\(\s*)["'](?:node:)?(net|tls|fs|fs\/promises|dns|dns\/promises|crypto|child_process|dgram|os|process|http|https)["']/g;
const runtimeGlobals = /(?<![\w.])(Bun|Deno)\s*\.\s*\w/g;
const relativeImport = /(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g;

function walk(dir: string, out: string[]): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === "node_modules" || e.startsWith(".")) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

const problems: string[] = [];
for (const area of ["src", "conformance", "spec", "scripts"]) {
  for (const file of walk(join(root, area), [])) {
    const rel = relative(root, file);
    if (rel.startsWith("src/runtime/")) continue;
    const src = stripComments(readFileSync(file, "utf8"));
    const product = area === "src" || area === "conformance";
    if (product) {
      for (const m of src.matchAll(forbiddenModules)) problems.push(`${rel}: imports ${m[0].replace(/^(from|import)\s*\(?\s*/, "")} (only src/runtime/ may)`);
    }
    for (const m of src.matchAll(runtimeGlobals)) problems.push(`${rel}: touches the ${m[1]} global (only src/runtime/ may)`);
    for (const m of src.matchAll(relativeImport)) {
      if (!/\.(ts|json)$/.test(m[1]!)) problems.push(`${rel}: relative import ${m[1]} lacks its .ts extension`);
    }
  }
}

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} violation(s) of the runtime boundary:`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log("check-imports: ok (runtime-specific code only in src/runtime/)");
