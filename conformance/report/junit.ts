// JUnit XML for CI systems: one <testsuite> per conformance suite, one <testcase> per case, the
// case ID as the name and "suite.REF" as the class. Failures carry expected/seen and the wire log.
// Expected failures are reported as skipped (they must not turn a CI run red).

import type { CaseResult } from "../case.ts";
import type { RunReport } from "../runner.ts";
import { formatLog } from "../wire-log.ts";

export function xmlEscape(s: string): string {
  // XML 1.0 forbids most control characters even escaped: drop them.
  return s
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function detail(r: CaseResult): string {
  const f = r.failure;
  const lines = [`${r.id} [${r.level}] ${r.ref}`, `requirement: ${r.requirement}`];
  if (f !== undefined) {
    lines.push(`failure: ${f.message}`);
    if (f.expected !== undefined) lines.push(`expected: ${f.expected}`);
    if (f.seen !== undefined) lines.push(`seen:     ${f.seen}`);
    if (f.detail !== undefined) lines.push(f.detail);
  }
  if (r.log !== undefined && r.log.length > 0) lines.push("", "wire log:", formatLog(r.log));
  return lines.join("\n");
}

function testcase(r: CaseResult): string {
  const ref = r.id.split("/")[1] ?? "";
  const head = `    <testcase name="${xmlEscape(r.id)}" classname="${xmlEscape(`${r.suite}.${ref}`)}" time="${(r.durationMs / 1000).toFixed(3)}"`;
  switch (r.status) {
    case "pass":
      return `${head}/>`;
    case "xpass":
      return `${head}>\n      <system-out>${xmlEscape(`expected to fail, but passed: remove ${r.id} from the expected-failures file`)}</system-out>\n    </testcase>`;
    case "skip":
      return `${head}>\n      <skipped message="${xmlEscape(r.skipReason ?? "skipped")}"/>\n    </testcase>`;
    case "xfail":
      return `${head}>\n      <skipped message="${xmlEscape(`expected failure: ${r.failure?.message ?? ""}`)}"/>\n    </testcase>`;
    case "fail":
      return `${head}>\n      <failure message="${xmlEscape(r.failure?.message ?? "failed")}" type="${r.level}">${xmlEscape(detail(r))}</failure>\n    </testcase>`;
    case "error":
      return `${head}>\n      <error message="${xmlEscape(r.failure?.message ?? "error")}" type="runner">${xmlEscape(detail(r))}</error>\n    </testcase>`;
  }
}

export function junitReport(run: RunReport): string {
  const suites = [...new Set(run.results.map((r) => r.suite))];
  const count = (rs: readonly CaseResult[], st: string[]) => rs.filter((r) => st.includes(r.status)).length;
  const time = (rs: readonly CaseResult[]) => (rs.reduce((s, r) => s + r.durationMs, 0) / 1000).toFixed(3);
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`];
  const all = run.results;
  out.push(`<testsuites name="im2000-conformance" tests="${all.length}" failures="${count(all, ["fail"])}" errors="${count(all, ["error"])}" skipped="${count(all, ["skip", "xfail"])}" time="${(run.durationMs / 1000).toFixed(3)}">`);
  for (const suite of suites) {
    const rs = all.filter((r) => r.suite === suite);
    out.push(`  <testsuite name="${xmlEscape(suite)}" tests="${rs.length}" failures="${count(rs, ["fail"])}" errors="${count(rs, ["error"])}" skipped="${count(rs, ["skip", "xfail"])}" time="${time(rs)}" timestamp="${run.startedAt}">`);
    for (const r of rs) out.push(testcase(r));
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}
