// The fast-check model cases (one per protocol). Each is a conformance case like any other, with
// kind "model": --runs, --seed and --replay steer it.

import type { CaseDef } from "../case.ts";
import type { CaseContext } from "../context.ts";
import { pop3Model } from "./pop3-model.ts";
import { smtpSubmissionModel } from "./smtp-submission-model.ts";

export const modelCases: readonly CaseDef<CaseContext>[] = [smtpSubmissionModel, pop3Model];
