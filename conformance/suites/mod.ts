// Every case of every suite, in report order. IDs are stable: never rename one (implementers keep
// expected-failure files and CI history keyed by them); retire a case by deleting it.

import type { CaseDef } from "../case.ts";
import type { CaseContext } from "../context.ts";
import { pop3Cases } from "./pop3/mod.ts";
import { smtpListRelayCases } from "./smtp-list-relay.ts";
import { smtpSubmissionCases } from "./smtp-submission/mod.ts";

export const scriptedCases: readonly CaseDef<CaseContext>[] = [...smtpSubmissionCases, ...smtpListRelayCases, ...pop3Cases];

/** Fails loudly at start-up if two cases share an ID or an ID does not name its suite. */
export function checkIds(cases: readonly CaseDef<CaseContext>[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const c of cases) {
    if (seen.has(c.id)) problems.push(`duplicate case ID ${c.id}`);
    seen.add(c.id);
    if (!/^(smtp-submission|smtp-list-relay|pop3)\/[A-Za-z0-9-]+\/[a-z0-9.-]+$/.test(c.id)) problems.push(`malformed case ID ${c.id}`);
  }
  return problems;
}
