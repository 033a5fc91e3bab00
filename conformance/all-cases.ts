// Every case the runner knows: the scripted suites and the fast-check model cases.

import type { CaseDef } from "./case.ts";
import type { CaseContext } from "./context.ts";
import { scriptedCases } from "./suites/mod.ts";
import { modelCases } from "./models/mod.ts";

export function allCases(): readonly CaseDef<CaseContext>[] {
  return [...scriptedCases, ...modelCases];
}
