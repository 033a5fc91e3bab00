// The JSON report: one object per case (ID, suite, level, reference, requirement, status,
// duration, failure, wire log of failures) and the summary, for tools and dashboards.

import type { RunReport } from "../runner.ts";
import { orderedLevels, orderedSuites, summarise } from "./summary.ts";

export const REPORT_FORMAT = "im2000-conformance-report/1";

export function jsonReport(run: RunReport, meta: { runtime: string; seed?: number }): string {
  const s = summarise(run.results);
  const summary: Record<string, Record<string, unknown>> = {};
  for (const suite of orderedSuites(s)) {
    const levels = s.bySuite.get(suite)!;
    summary[suite] = Object.fromEntries(orderedLevels(levels).map((l) => [l, levels.get(l)]));
  }
  return `${JSON.stringify(
    {
      format: REPORT_FORMAT,
      startedAt: run.startedAt,
      durationMs: run.durationMs,
      target: run.target,
      level: run.level,
      runtime: meta.runtime,
      seed: meta.seed,
      totals: s.total,
      summary,
      cases: run.results.map((r) => ({
        id: r.id,
        suite: r.suite,
        level: r.level,
        ref: r.ref,
        requirement: r.requirement,
        status: r.status,
        durationMs: r.durationMs,
        ...(r.failure !== undefined ? { failure: r.failure } : {}),
        ...(r.skipReason !== undefined ? { skipReason: r.skipReason } : {}),
        ...(r.log !== undefined ? { wireLog: r.log } : {}),
      })),
    },
    null,
    2,
  )}\n`;
}
