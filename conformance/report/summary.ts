// Counting results by suite and level: the summary table, the badge and the exit status all read
// the same numbers.

import { LEVELS, SUITES, isFailing, type CaseResult, type Level, type Status, type SuiteName } from "../case.ts";

export type Counts = Record<Status, number> & { total: number };

function zero(): Counts {
  return { pass: 0, fail: 0, error: 0, skip: 0, xfail: 0, xpass: 0, total: 0 };
}

export interface Summary {
  /** suite → level → counts */
  readonly bySuite: Map<SuiteName, Map<Level, Counts>>;
  readonly total: Counts;
}

export function summarise(results: readonly CaseResult[]): Summary {
  const bySuite = new Map<SuiteName, Map<Level, Counts>>();
  const total = zero();
  for (const r of results) {
    let levels = bySuite.get(r.suite);
    if (levels === undefined) {
      levels = new Map();
      bySuite.set(r.suite, levels);
    }
    let c = levels.get(r.level);
    if (c === undefined) {
      c = zero();
      levels.set(r.level, c);
    }
    c[r.status]++;
    c.total++;
    total[r.status]++;
    total.total++;
  }
  return { bySuite, total };
}

/** Suites in canonical order, levels in canonical order. */
export function orderedSuites(s: Summary): SuiteName[] {
  return SUITES.filter((x) => s.bySuite.has(x));
}

export function orderedLevels(m: Map<Level, Counts>): Level[] {
  return LEVELS.filter((l) => m.has(l));
}

/** Exit status: 1 when a case at or above the threshold level failed, else 0. */
export function exitStatus(results: readonly CaseResult[], threshold: Level): 0 | 1 {
  const limit = LEVELS.indexOf(threshold);
  return results.some((r) => isFailing(r.status) && LEVELS.indexOf(r.level) <= limit) ? 1 : 0;
}

/** Passing cases of a suite at a level, out of those that ran (skips excluded): "87/87". */
export function passRatio(s: Summary, suite: SuiteName, level: Level): { passed: number; ran: number } {
  const c = s.bySuite.get(suite)?.get(level) ?? zero();
  return { passed: c.pass + c.xpass, ran: c.total - c.skip };
}
