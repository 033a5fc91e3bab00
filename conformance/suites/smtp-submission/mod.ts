// Suite `smtp-submission`: shims.md §2.1 (SUB-1…SUB-15) and GEN-*, observed from outside (shims
// §3), plus the RFC behaviour an SMTP submission server must have. Cases are written from the
// requirement text, never from an implementation. One file per group of requirements.

import { sessionAndAuthCases } from "./session-and-auth.ts";
import { envelopeCases } from "./envelope.ts";
import { contentCases } from "./content.ts";
import { failuresCases } from "./failures.ts";
import { rfcCases } from "./rfc.ts";

export { SUB13 } from "./common.ts";

export const smtpSubmissionCases = [...sessionAndAuthCases, ...envelopeCases, ...contentCases, ...failuresCases, ...rfcCases];
