// The SMTP submission shim's backend (shims §1.4, SUB-1…SUB-15): every accepted message goes to
// the organisation's one message store over MSOAP, with the SMTP AUTH credentials passed through.

import type { Logger } from "../util/log.ts";
import type { MailBox } from "../im2000/types.ts";
import { formatMailbox, type SmtpMailbox } from "./address.ts";
import type { SmtpBackend, Transaction } from "./backend.ts";
import { MsoapLink, type MsoapLinkOptions } from "./msoap-link.ts";
import { replyForAuth } from "./msoap-replies.ts";
import { beginSubmission, toMailBox, type BeginResult, type SubmitOptions } from "./msoap-submit.ts";
import type { Reply } from "./reply.ts";

export interface SubmissionBackendOptions extends SubmitOptions {
  readonly link: Omit<MsoapLinkOptions, "log">;
  /** SUB-8: lifetime in seconds (default 30 days). */
  readonly lifetimeSeconds: number;
  /** SUB-4: allow MAIL without AUTH (the store then sees an unauthenticated session). */
  readonly allowAnonymousSubmission: boolean;
  readonly log: Logger;
}

export class SubmissionBackend implements SmtpBackend {
  readonly #opts: SubmissionBackendOptions;
  readonly #link: MsoapLink;
  readonly requiresAuth: boolean;

  constructor(opts: SubmissionBackendOptions) {
    this.#opts = opts;
    this.#link = new MsoapLink({ ...opts.link, log: opts.log });
    this.requiresAuth = !opts.allowAnonymousSubmission;
  }

  async authenticate(account: string, password: string): Promise<{ ok: boolean; reply: Reply }> {
    // ref: shims SUB-2, SUB-4 — the MSOAP session opens at AUTH; the reply waits for the store.
    try {
      await this.#link.authenticate(account, password);
    } catch (e) {
      this.#opts.log.log("info", "auth.failed", { account });
      return { ok: false, reply: replyForAuth(e) };
    }
    this.#opts.log.log("info", "auth.ok", { account });
    return { ok: true, reply: replyForAuth(undefined) };
  }

  checkRecipient(): Reply | undefined {
    return undefined; // ref: shims SUB-6 — never validated against the store before DATA
  }

  begin(tx: Transaction): Promise<BeginResult> {
    // ref: shims SUB-7, SUB-8 — recipients only; `lists` omitted; the configured lifetime.
    const recipients: MailBox[] = tx.recipients.map(toMailBox);
    return beginSubmission(this.#link, { recipients, lifetime: this.#opts.lifetimeSeconds }, { recipients: tx.recipients.map((r: SmtpMailbox) => formatMailbox(r)), lists: [] }, this.#opts);
  }

  close(): Promise<void> {
    return this.#link.close(); // ref: shims SUB-15
  }
}
