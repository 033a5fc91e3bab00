// Every case the runner knows: the scripted suites, the fast-check model cases, and the replays of
// recorded real-client sessions (fixtures/sessions/, read at start-up).

import type { CaseDef } from "./case.ts";
import type { CaseContext } from "./context.ts";
import { scriptedCases } from "./suites/mod.ts";
import { modelCases } from "./models/mod.ts";
import { loadReplayCases } from "./replay/replay-case.ts";

export async function allCases(): Promise<readonly CaseDef<CaseContext>[]> {
  return [...scriptedCases, ...modelCases, ...(await loadReplayCases())];
}
