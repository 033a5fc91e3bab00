// What the runner prints: progress while cases run (one rewritten line on a terminal, a plain
// line per finished case otherwise), then a summary table by suite and level, then each failure
// with its ID, requirement, reference, expected versus seen, and the wire log of both sides.

import type { CaseResult } from "../case.ts";
import type { RunReport } from "../runner.ts";
import { formatLog } from "../wire-log.ts";
import { orderedLevels, orderedSuites, summarise } from "./summary.ts";

export interface Out {
  write(s: string): void;
  readonly isTty: boolean;
}

const C = { red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", magenta: "\x1b[35m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m" };

function paint(out: Out, color: keyof typeof C, s: string): string {
  return out.isTty ? `${C[color]}${s}${C.reset}` : s;
}

const STATUS_COLOR = { pass: "green", fail: "red", error: "red", skip: "yellow", xfail: "yellow", xpass: "magenta" } as const;

export class Progress {
  readonly #out: Out;
  #lineOpen = false;
  #failed = 0;
  constructor(out: Out) {
    this.#out = out;
  }

  result(r: CaseResult, done: number, total: number): void {
    if (r.status === "fail" || r.status === "error") this.#failed++;
    if (this.#out.isTty) {
      const bar = `[${done}/${total}]${this.#failed > 0 ? ` ${this.#failed} failed` : ""}`;
      const width = 100;
      const line = `${bar} ${r.id}`.slice(0, width);
      this.#out.write(`\r\x1b[2K${line}`);
      this.#lineOpen = true;
      if (r.status === "fail" || r.status === "error" || r.status === "xpass") {
        this.#out.write(`\r\x1b[2K${paint(this.#out, STATUS_COLOR[r.status], r.status.toUpperCase().padEnd(5))} ${r.id}\n`);
        this.#lineOpen = false;
      }
    } else {
      this.#out.write(`${r.status.toUpperCase().padEnd(5)} ${r.id} (${r.durationMs} ms)${r.skipReason !== undefined ? ` — ${r.skipReason}` : ""}\n`);
    }
  }

  done(): void {
    if (this.#lineOpen) this.#out.write("\r\x1b[2K");
    this.#lineOpen = false;
  }
}

export function failureText(r: CaseResult): string {
  const lines = [`${r.status.toUpperCase()} ${r.id}`, `  level:       ${r.level}`, `  reference:   ${r.ref}`, `  requirement: ${r.requirement}`];
  const f = r.failure;
  if (f !== undefined) {
    lines.push(`  failure:     ${f.message}`);
    if (f.expected !== undefined) lines.push(`  expected:    ${f.expected}`);
    if (f.seen !== undefined) lines.push(`  seen:        ${f.seen}`);
    if (f.detail !== undefined) lines.push(`  detail:      ${f.detail.split("\n").join("\n               ")}`);
  }
  if (r.log !== undefined && r.log.length > 0) lines.push("  wire log:", formatLog(r.log).replace(/^/gm, "    "));
  return lines.join("\n");
}

export function summaryTable(run: RunReport, out: Out): string {
  const s = summarise(run.results);
  const head = ["suite", "level", "pass", "fail", "skip", "xfail", "xpass", "total"];
  const rows: string[][] = [];
  for (const suite of orderedSuites(s)) {
    const levels = s.bySuite.get(suite)!;
    for (const l of orderedLevels(levels)) {
      const c = levels.get(l)!;
      rows.push([suite, l, String(c.pass), String(c.fail + c.error), String(c.skip), String(c.xfail), String(c.xpass), String(c.total)]);
    }
  }
  const t = s.total;
  rows.push(["total", "", String(t.pass), String(t.fail + t.error), String(t.skip), String(t.xfail), String(t.xpass), String(t.total)]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  const lines = [paint(out, "bold", fmt(head)), ...rows.map((r) => (r[3] !== "0" && r[0] !== "total" ? paint(out, "red", fmt(r)) : fmt(r)))];
  return lines.join("\n");
}

export function finalReport(run: RunReport, out: Out): void {
  const failures = run.results.filter((r) => r.status === "fail" || r.status === "error");
  const xpass = run.results.filter((r) => r.status === "xpass");
  for (const r of failures) out.write(`\n${failureText(r)}\n`);
  for (const r of xpass) out.write(`\n${paint(out, "magenta", "XPASS")} ${r.id}: expected to fail, but passed — remove it from the expected-failures file\n`);
  out.write(`\n${summaryTable(run, out)}\n`);
  out.write(`\n${run.results.length} cases in ${(run.durationMs / 1000).toFixed(1)} s against ${run.target}\n`);
}
