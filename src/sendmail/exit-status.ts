// The one table from what can go wrong to the command's exit status (shims LOC-5): sysexits.h
// codes, each failure with a one-line reason for standard error. Temporary failures (75, the
// caller may try again later) and permanent ones are never confused. Nothing is ever queued behind
// the caller's back: every failure is reported here, never silently kept (no queue, no bounce).

import { Im2000ProtocolError, Im2000StatusError, Im2000TransportError } from "../im2000/errors.ts";
import { MsoapStatus } from "../im2000/msoap.ts";

/** sysexits.h */
export const EX = {
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  NOUSER: 67,
  NOHOST: 68,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  OSERR: 71,
  IOERR: 74,
  TEMPFAIL: 75,
  PROTOCOL: 76,
  NOPERM: 77,
  CONFIG: 78,
} as const;

/** A failure with its exit status and the one-line reason printed on standard error. */
export class SendmailFailure extends Error {
  override readonly name = "SendmailFailure";
  readonly exitCode: number;
  constructor(exitCode: number, reason: string) {
    super(reason);
    this.exitCode = exitCode;
  }
}

/** LOC-5 for a status the message store answered with. */
export function exitForStatus(status: number): { code: number; reason: string } {
  switch (status) {
    case MsoapStatus.errornotauthenticated:
      return { code: EX.NOPERM, reason: "the message store refused the credentials (errornotauthenticated); check account and password" };
    case MsoapStatus.errornotpermitted:
      return { code: EX.NOPERM, reason: "the message store refused the submission (errornotpermitted)" };
    case MsoapStatus.errorlifetimetooshort:
      return { code: EX.CONFIG, reason: "the configured lifetime is shorter than the message store's minimum (errorlifetimetooshort); raise `lifetime`" };
    case MsoapStatus.errornotenoughroom:
      return { code: EX.TEMPFAIL, reason: "the message store has no room for the message (errornotenoughroom: store full or message larger than it accepts); try again later" };
    case MsoapStatus.errorwouldexceedquota:
      return { code: EX.TEMPFAIL, reason: "the message would exceed the account's quota at the message store (errorwouldexceedquota)" };
    case MsoapStatus.errorserviceshutdown:
      return { code: EX.TEMPFAIL, reason: "the message store is shutting down (errorserviceshutdown); try again later" };
    case MsoapStatus.errorinternalproblem:
      return { code: EX.TEMPFAIL, reason: "the message store had an internal problem (errorinternalproblem); try again later" };
    case MsoapStatus.errorcommandtimeout:
      return { code: EX.TEMPFAIL, reason: "the message store timed out waiting for us (errorcommandtimeout); try again later" };
    case MsoapStatus.errormalformedpdu:
      return { code: EX.SOFTWARE, reason: "the message store could not parse our request (errormalformedpdu): a bug in this command" };
    case MsoapStatus.errorunexpectedcommand:
      return { code: EX.SOFTWARE, reason: "the message store did not expect our request (errorunexpectedcommand): a bug in this command" };
    default:
      // A status this command does not know: a generic error (im2000 §7 C-3), assumed temporary.
      return { code: EX.TEMPFAIL, reason: `the message store answered with status ${status}; try again later` };
  }
}

/** LOC-5 for anything thrown while talking to the store. */
export function exitForError(e: unknown): { code: number; reason: string } {
  if (e instanceof SendmailFailure) return { code: e.exitCode, reason: e.message };
  if (e instanceof Im2000StatusError) return exitForStatus(e.status);
  if (e instanceof Im2000TransportError) {
    // A domain that does not exist, or that says it has no MSOAP service: no retry will help.
    if (e.kind === "locate" && e.permanent) return { code: EX.NOHOST, reason: `the message store cannot be located: ${e.message}` };
    if (e.kind === "timeout") return { code: EX.TEMPFAIL, reason: `the message store did not answer in time: ${e.message}` };
    return { code: EX.TEMPFAIL, reason: `the message store is unreachable: ${e.message}; try again later` };
  }
  if (e instanceof Im2000ProtocolError) return { code: EX.PROTOCOL, reason: `the message store broke the MSOAP protocol: ${e.message}` };
  return { code: EX.SOFTWARE, reason: `internal error: ${(e as Error)?.message ?? String(e)}` };
}
