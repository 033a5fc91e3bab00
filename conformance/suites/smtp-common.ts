// Steps and checks shared by the SMTP suites (submission and list relay).

import { CaseFailure, type CaseDef } from "../case.ts";
import type { CaseContext } from "../context.ts";
import { codeMatches, simpleMessage, type SmtpClient, type SmtpReply } from "../client/smtp.ts";
import { contentOf, type SubmissionRecord } from "../peers/case-peers.ts";
import { printable } from "../wire-log.ts";

export type Case = CaseDef<CaseContext>;

/** Connects, reads the greeting and says EHLO. */
export async function connected(t: CaseContext, opts: { implicitTls?: boolean } = {}): Promise<SmtpClient> {
  const s = await t.smtp(opts);
  await s.greeting();
  await s.ehlo();
  return s;
}

/** A new account, a connection, EHLO and AUTH PLAIN accepted (the usual start of a SUB case). */
export async function loggedIn(t: CaseContext): Promise<{ s: SmtpClient; account: string; password: string }> {
  const { account, password } = t.account();
  const s = await connected(t);
  await s.authPlain(account, password, 235);
  return { s, account, password };
}

/** Checks the RFC 3463 enhanced code when the reply carries one, or must (ENHANCEDSTATUSCODES). */
export function checkEnhanced(s: SmtpClient, r: SmtpReply, want: string, what: string): void {
  const advertised = s.has("ENHANCEDSTATUSCODES");
  if (r.enhanced === undefined && !advertised) return;
  if (r.enhanced !== want) throw new CaseFailure(`wrong enhanced status code in the reply to ${what} (RFC 3463)`, `${r.code} ${want}`, printable(r.raw));
}

export function expectCode(r: SmtpReply, want: number | readonly number[], what: string): void {
  const list = typeof want === "number" ? [want] : want;
  if (!codeMatches(r.code, list)) throw new CaseFailure(`unexpected reply to ${what}`, list.join(" or "), printable(r.raw));
}

/** The store recorded no protocol breach by the shim (GEN-1: im2000 §4–§7 followed). */
export function noViolations(t: CaseContext): void {
  const v = t.store.violations;
  t.check(v.length === 0, "the fake store saw the shim break the IM2000 transaction rules (GEN-1)", "no breach", v.join("; "));
}

/** Exactly `n` committed submissions; returns them. */
export function committed(t: CaseContext, n: number, why: string): SubmissionRecord[] {
  const c = t.store.committed();
  t.check(c.length === n, why, `${n} committed submission(s) at the store`, `${c.length} (${t.store.submissions.map((s) => s.state).join(", ") || "no envelope"})`);
  return c;
}

export function contentText(r: SubmissionRecord): string {
  const b = contentOf(r);
  let s = "";
  for (let i = 0; i < b.byteLength; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** The message as the store must receive it: CRLF line ends, exactly what the client meant. */
export function message(t: CaseContext, body = "Hello from the conformance runner.\r\n", extra: string[] = []): string {
  return simpleMessage({ subject: `case ${t.token}`, body, extraHeaders: extra });
}

/** Waits until the store has seen `n` MSOAP commands of `kind` (the shim may still be sending). */
export async function storeSaw(t: CaseContext, kind: string, n: number): Promise<void> {
  await t.waitFor(`${n} ${kind} at the fake store`, () => t.store.msoapCommands.filter((c) => c.kind === kind).length >= n);
}

/** Mentions of each address (case-insensitive) in a reply's text. */
export function names(r: SmtpReply, address: string): boolean {
  return r.text.toLowerCase().includes(address.toLowerCase());
}

export { toHex as hex } from "../../src/util/bytes.ts";
