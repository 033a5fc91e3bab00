// --report json:FILE,junit:FILE,html:FILE,badge:FILE — parsing the list and writing each file
// through the runtime layer (atomically: a CI job never picks up half a report). A badge FILE gets
// the SVG, and the shields.io endpoint JSON is written next to it (FILE with .json instead of .svg).

import { mkdirp, path, writeFileAtomic } from "../../src/runtime/fs.ts";
import type { RunReport } from "../runner.ts";
import { badgeEndpointJson, badgeFor, badgeSvg } from "./badge.ts";
import { htmlReport } from "./html.ts";
import { jsonReport } from "./json.ts";
import { junitReport } from "./junit.ts";

export type ReportKind = "json" | "junit" | "html" | "badge";
export const REPORT_KINDS: readonly ReportKind[] = ["json", "junit", "html", "badge"];

export interface ReportTarget {
  readonly kind: ReportKind;
  readonly file: string;
}

export function parseReportSpec(spec: string): ReportTarget[] {
  const out: ReportTarget[] = [];
  for (const part of spec.split(",")) {
    const p = part.trim();
    if (p === "") continue;
    const i = p.indexOf(":");
    const kind = p.slice(0, i) as ReportKind;
    const file = p.slice(i + 1);
    if (i <= 0 || !REPORT_KINDS.includes(kind) || file === "") throw new Error(`--report: "${p}" is not KIND:FILE with KIND one of ${REPORT_KINDS.join(", ")}`);
    out.push({ kind, file });
  }
  return out;
}

export function endpointPathFor(svgFile: string): string {
  return svgFile.endsWith(".svg") ? `${svgFile.slice(0, -4)}.json` : `${svgFile}.json`;
}

async function put(file: string, text: string): Promise<void> {
  await mkdirp(path.dirname(path.resolve(file)), 0o755);
  await writeFileAtomic(file, text, 0o644);
}

/** Writes every requested report; returns the files written. */
export async function writeReports(targets: readonly ReportTarget[], run: RunReport, meta: { runtime: string; seed?: number }): Promise<string[]> {
  const written: string[] = [];
  for (const t of targets) {
    switch (t.kind) {
      case "json":
        await put(t.file, jsonReport(run, meta));
        break;
      case "junit":
        await put(t.file, junitReport(run));
        break;
      case "html":
        await put(t.file, htmlReport(run, meta));
        break;
      case "badge": {
        const b = badgeFor(run.results);
        await put(t.file, badgeSvg(b));
        await put(endpointPathFor(t.file), badgeEndpointJson(b));
        written.push(endpointPathFor(t.file));
        break;
      }
    }
    written.push(t.file);
  }
  return written;
}
