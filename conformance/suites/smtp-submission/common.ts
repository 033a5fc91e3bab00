// What the smtp-submission suite's files share: the suite name, the SUB-13 reply table (also used
// by the list relay and the SMTP model), the requirement texts several cases quote, and the steps
// up to DATA.

import type { CaseContext } from "../../context.ts";
import type { SmtpClient, SmtpReply } from "../../client/smtp.ts";
import { checkEnhanced, expectCode, loggedIn, message, type Case } from "../smtp-common.ts";

export const S = "smtp-submission";

/** SUB-13: MSOAP status → SMTP reply and enhanced code. */
export const SUB13: readonly { status: string; code: number; enhanced: string; closes?: boolean }[] = [
  { status: "errornotauthenticated", code: 530, enhanced: "5.7.0" },
  { status: "errornotpermitted", code: 554, enhanced: "5.7.1" },
  { status: "errornotenoughroom", code: 452, enhanced: "4.3.1" },
  { status: "errorwouldexceedquota", code: 452, enhanced: "4.2.2" },
  { status: "errorlifetimetooshort", code: 451, enhanced: "4.3.5" },
  { status: "errorserviceshutdown", code: 421, enhanced: "4.3.2", closes: true },
  { status: "errorinternalproblem", code: 451, enhanced: "4.3.0" },
  { status: "errorcommandtimeout", code: 451, enhanced: "4.3.0" },
  { status: "errormalformedpdu", code: 451, enhanced: "4.3.0" },
  { status: "errorunexpectedcommand", code: 451, enhanced: "4.3.0" },
];

export const SUB2_TEXT = "SMTP AUTH credentials are passed to MSOAP CommandAuthenticate unchanged; the AUTH reply is given only after the MSOAP response: noerror → 235; errornotauthenticated → 535 5.7.8; any other status or transport failure → 454 4.7.0.";
export const SUB9_TEXT = "Envelope errors are reported at the reply to DATA, never earlier. If any recipient is submissionaccessdenied, or the response is aborted, DATA is answered with a 5xx (or the SUB-13 code) naming each refused recipient, and nothing is stored.";
export const SUB10_TEXT = "The content (dot-unstuffed, CRLF preserved, octets unchanged) is streamed to the store as CommandSubmitMsgChunks of at most chunkSize octets with contiguous offsets; after the final dot the last chunk carries islast=TRUE. If the store aborts mid-stream the shim reads on to the dot and answers with the SUB-13 code.";
export const SUB13_TEXT = "MSOAP → SMTP mapping: errornotauthenticated → 530 5.7.0; errornotpermitted → 554 5.7.1; errornotenoughroom → 452 4.3.1; errorwouldexceedquota → 452 4.2.2; errorlifetimetooshort → 451 4.3.5; errorserviceshutdown → 421 4.3.2 then close; errorinternalproblem, errorcommandtimeout, errormalformedpdu, errorunexpectedcommand, transport loss → 451 4.3.0.";

/** MAIL and RCPT to the case's domain, then DATA: returns the DATA reply. */
export async function upToData(t: CaseContext, s: SmtpClient, rcpts: readonly string[], from = t.address("sender")): Promise<SmtpReply> {
  await s.cmd(`MAIL FROM:<${from}>`, 250);
  for (const r of rcpts) await s.cmd(`RCPT TO:<${r}>`, 250);
  return s.cmd("DATA");
}

export function mapCase(where: "envelope" | "chunk", m: (typeof SUB13)[number]): Case {
  return {
    id: `${S}/SUB-13/${where}-${m.status}`,
    level: "MUST",
    ref: "shims SUB-13",
    requirement: SUB13_TEXT,
    async run(t) {
      const { s } = await loggedIn(t);
      if (where === "envelope") {
        t.store.replies.push("envelope", { status: m.status });
        const r = await upToData(t, s, [t.address()]);
        expectCode(r, m.code, `DATA when the store answers the envelope with ${m.status}`);
        checkEnhanced(s, r, m.enhanced, "DATA");
      } else {
        t.store.replies.push("chunk", { status: m.status });
        const r = await upToData(t, s, [t.address()]);
        expectCode(r, 354, "DATA");
        const end = await s.sendData(message(t));
        expectCode(end, m.code, `the end of DATA when the store answers a chunk with ${m.status}`);
        checkEnhanced(s, end, m.enhanced, "the end of DATA");
      }
      t.check(t.store.committed().length === 0, "nothing may be stored after a failure (SUB-11)", "no committed submission", `${t.store.committed().length}`);
      if (m.closes === true) {
        const closed = await s.conn.closedWithin(t.timeoutMs);
        t.check(closed, "after 421 the shim must close the SMTP connection (SUB-13, RFC 5321 §3.8)", "the connection closed", "still open");
      }
    },
  };
}

export function firstDiff(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
