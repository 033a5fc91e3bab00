// A self-contained HTML page (no scripts, no external resources): the summary by suite and level,
// then every failing case with its requirement, what was expected and seen, and the decoded wire
// log of both sides, client lines and IM2000 PDUs, colour-coded by who spoke.

import type { CaseResult } from "../case.ts";
import type { RunReport } from "../runner.ts";
import type { WireEntry } from "../wire-log.ts";
import { orderedLevels, orderedSuites, summarise } from "./summary.ts";

export function htmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}
th:first-child,td:first-child{text-align:left}
.pass{color:#1a7f37}.fail,.error{color:#cf222e}.skip,.xfail{color:#9a6700}.xpass{color:#8250df}
.case{border:1px solid #ddd;border-left:5px solid #cf222e;padding:.5em 1em;margin:1em 0;border-radius:4px}
.case.xfail{border-left-color:#9a6700}.case.xpass{border-left-color:#8250df}
.meta{color:#555}.req{font-style:italic}
dl{display:grid;grid-template-columns:7em 1fr;gap:.2em 1em}dt{font-weight:600}dd{margin:0;font-family:ui-monospace,monospace;white-space:pre-wrap}
pre.log{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:12.5px;line-height:1.35}
.client{color:#0550ae}.shim{color:#116329}.store,.rna{color:#8250df}.runner{color:#6e7781}
`;

function logLine(e: WireEntry): string {
  const t = `+${(e.t / 1000).toFixed(3)}s`.padStart(9);
  const who = e.kind === "pdu" ? (e.from === "shim" ? "shim→" : `←${e.from}`) : e.from === "client" ? "C:" : e.from === "shim" ? "S:" : "--";
  return `<span class="${e.from}">${htmlEscape(`${t} ${e.conn.padEnd(9)} ${who.padEnd(6)} ${e.text}`)}</span>`;
}

function caseBlock(r: CaseResult): string {
  const f = r.failure;
  const rows: string[] = [];
  if (f !== undefined) {
    rows.push(`<dt>failure</dt><dd>${htmlEscape(f.message)}</dd>`);
    if (f.expected !== undefined) rows.push(`<dt>expected</dt><dd>${htmlEscape(f.expected)}</dd>`);
    if (f.seen !== undefined) rows.push(`<dt>seen</dt><dd>${htmlEscape(f.seen)}</dd>`);
    if (f.detail !== undefined) rows.push(`<dt>detail</dt><dd>${htmlEscape(f.detail)}</dd>`);
  }
  const log = r.log !== undefined && r.log.length > 0 ? `<details open><summary>wire log (${r.log.length} entries)</summary><pre class="log">${r.log.map(logLine).join("\n")}</pre></details>` : "";
  return `<section class="case ${r.status}" id="${htmlEscape(r.id)}">
<h3><span class="${r.status}">${r.status.toUpperCase()}</span> ${htmlEscape(r.id)}</h3>
<p class="meta">${r.level} · ${htmlEscape(r.ref)} · ${r.durationMs} ms</p>
<p class="req">${htmlEscape(r.requirement)}</p>
<dl>${rows.join("")}</dl>
${log}
</section>`;
}

export function htmlReport(run: RunReport, meta: { runtime: string }): string {
  const s = summarise(run.results);
  const rows: string[] = [];
  for (const suite of orderedSuites(s)) {
    const levels = s.bySuite.get(suite)!;
    for (const l of orderedLevels(levels)) {
      const c = levels.get(l)!;
      rows.push(`<tr><td>${suite}</td><td>${l}</td><td class="pass">${c.pass}</td><td class="fail">${c.fail + c.error}</td><td class="skip">${c.skip}</td><td class="xfail">${c.xfail}</td><td class="xpass">${c.xpass}</td><td>${c.total}</td></tr>`);
    }
  }
  const shown = run.results.filter((r) => r.status === "fail" || r.status === "error" || r.status === "xfail" || r.status === "xpass");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>IM2000 conformance report</title><style>${STYLE}</style></head>
<body>
<h1>IM2000 shim conformance report</h1>
<p class="meta">Target <code>${htmlEscape(run.target)}</code> · started ${htmlEscape(run.startedAt)} · ${(run.durationMs / 1000).toFixed(1)} s · ${htmlEscape(meta.runtime)} · exit threshold ${run.level}</p>
<table><thead><tr><th>suite</th><th>level</th><th>pass</th><th>fail</th><th>skip</th><th>expected fail</th><th>unexpected pass</th><th>total</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table>
<h2>${shown.length === 0 ? "No failures" : `Failures and expectation mismatches (${shown.length})`}</h2>
${shown.map(caseBlock).join("\n")}
<h2>All cases</h2>
<table><thead><tr><th>case</th><th>level</th><th>status</th><th>ms</th></tr></thead><tbody>
${run.results.map((r) => `<tr><td>${shown.includes(r) ? `<a href="#${htmlEscape(r.id)}">${htmlEscape(r.id)}</a>` : htmlEscape(r.id)}</td><td>${r.level}</td><td class="${r.status}">${r.status}</td><td>${r.durationMs}</td></tr>`).join("\n")}
</tbody></table>
</body></html>
`;
}
