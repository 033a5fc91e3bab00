// What the pop3 suite's files share: a maildrop made of notifications at the fake RNA and messages
// at the fake store (each notification points at the store's MSRAP service, or at a dead port for
// "store down"), logging in, and the requirement texts several cases quote.

import type { CaseDef } from "../../case.ts";
import type { CaseContext } from "../../context.ts";
import type { Pop3Client } from "../../client/pop3.ts";
import type { FakeMessage } from "../../peers/case-peers.ts";

export type Case = CaseDef<CaseContext>;
export const S = "pop3";

export interface Mail {
  readonly id: string;
  readonly content: string;
  readonly message: FakeMessage;
}

export function popMessage(t: { readonly token: string }, i: number, body = `Body of message ${i}.\r\n`): string {
  return `From: sender${i}@origin.example\r\nTo: reader@${t.token}.test\r\nSubject: message ${i} of ${t.token}\r\nDate: Sat, 01 Jan 2000 00:00:0${i % 10} +0000\r\nMessage-ID: <${i}.${t.token}@origin.example>\r\n\r\n${body}`;
}

/** An account with `n` notifications waiting at the RNA (oldest first), each message in the store. */
export function mailbox(t: CaseContext, n: number, opts: { bodies?: string[]; storeDown?: boolean[]; sizes?: (number | null)[] } = {}): { account: string; password: string; mails: Mail[] } {
  const { account, password } = t.account("reader");
  const mails: Mail[] = [];
  const base = Math.floor(Date.now() / 1000) - 1000;
  for (let i = 0; i < n; i++) {
    const content = popMessage(t, i + 1, opts.bodies?.[i]);
    const m = t.message({ to: `reader@${t.token}.test`, content, storeDown: opts.storeDown?.[i], size: opts.sizes?.[i], date: base + i });
    t.rna.deliver(account, m.notification);
    mails.push({ id: m.id, content, message: m.message });
  }
  return { account, password, mails };
}

export async function login(t: CaseContext, account: string, password: string): Promise<Pop3Client> {
  const p = await t.pop3();
  await p.greeting();
  await p.login(account, password);
  return p;
}

export function retrieves(t: CaseContext, id: string, type?: number) {
  return t.store.msrapFor(id, "retrieve").filter((r) => type === undefined || r.type === type);
}

export const POP1 = "USER/PASS (and SASL PLAIN) are passed through to RNAQP CommandAuthenticate: noerror → +OK; errornotauthenticated → -ERR [AUTH]; anything else → -ERR [SYS/TEMP].";
export const POP9 = "DELE only marks; RSET clears marks; QUIT in TRANSACTION state un-pins each marked message (MSRAP CommandUnPin) and deletes its saved notification; if any un-pin fails those notifications are kept and QUIT answers -ERR.";
