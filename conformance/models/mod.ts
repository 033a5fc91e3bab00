import type { CaseDef } from "../case.ts";
import type { CaseContext } from "../context.ts";

export const modelCases: readonly CaseDef<CaseContext>[] = [];
