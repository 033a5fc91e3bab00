// The SMTP relay front-end to IM2000 mailing lists (shims §1.5, LST-1…LST-9): the list host's
// inbound MX. Mail from any MTA, no SMTP AUTH needed; each RCPT in a configured list domain names a
// list (a mail-to-news gateway); the message goes to the host's own store with `lists` set.

import { formatMailbox, type SmtpMailbox } from "./address.ts";
import type { SmtpBackend, Transaction } from "./backend.ts";
import { MsoapLink, type MsoapLinkOptions } from "./msoap-link.ts";
import { replyForAuth, replyForError } from "./msoap-replies.ts";
import { beginSubmission, type BeginResult, type SubmitOptions } from "./msoap-submit.ts";
import { reply, type Reply } from "./reply.ts";
import { Im2000StatusError } from "../im2000/errors.ts";
import { MsoapStatus } from "../im2000/msoap.ts";
import type { Logger } from "../util/log.ts";
import { rfc5322Date } from "../mail/date.ts";

export interface ListRelayOptions extends SubmitOptions {
  readonly link: Omit<MsoapLinkOptions, "log">;
  /** LST-3/LST-4: domains whose addresses are list names (lower-case). */
  readonly listDomains: readonly string[];
  /** LST-3: explicit address → list name entries; otherwise the (lower-cased) local part. */
  readonly listNames?: Readonly<Record<string, string>>;
  /** LST-2: the relay's own MSOAP account. */
  readonly gatewayAccount: string;
  /** LST-2's password, and LST-8's gateway secret. */
  readonly gatewayPassword: string;
  /** LST-8: lists posted with the envelope sender's identity. */
  readonly semiPublicLists: readonly string[];
  /** LST-7: per-list lifetime in seconds, and the default (90 days). */
  readonly listLifetimes?: Readonly<Record<string, number>>;
  readonly defaultLifetimeSeconds: number;
  /** Name in the Received: field (LST-5). */
  readonly hostname: string;
  readonly log: Logger;
}

interface Credentials {
  readonly account: string;
  readonly password: string;
}

export class ListRelayBackend implements SmtpBackend {
  readonly #o: ListRelayOptions;
  readonly #link: MsoapLink;
  readonly requiresAuth = false; // ref: LST-2 — any Internet MTA, without SMTP AUTH
  #smtpCredentials: Credentials | undefined;

  constructor(o: ListRelayOptions) {
    this.#o = o;
    this.#link = new MsoapLink({ ...o.link, log: o.log });
  }

  /** LST-3: the list an address names, or undefined outside the list domains. */
  listFor(rcpt: SmtpMailbox): string | undefined {
    const domain = rcpt.labels.join(".");
    if (!this.#o.listDomains.includes(domain)) return undefined;
    const explicit = this.#o.listNames?.[`${rcpt.localpart}@${domain}`.toLowerCase()];
    // List addresses are matched without regard to ASCII case, as MTAs do for local parts.
    return explicit ?? rcpt.localpart.replace(/[A-Z]+/g, (c) => c.toLowerCase());
  }

  /** LST-8: which MSOAP credentials a post to `list` needs; undefined when it cannot be posted. */
  #credentialsFor(list: string, reversePath: SmtpMailbox | null): Credentials | undefined {
    if (this.#smtpCredentials !== undefined) return this.#smtpCredentials;
    if (!this.#o.semiPublicLists.includes(list)) return { account: this.#o.gatewayAccount, password: this.#o.gatewayPassword };
    if (reversePath === null) return undefined;
    return { account: `${reversePath.localpart}@${reversePath.labels.join(".")}`, password: this.#o.gatewayPassword };
  }

  async authenticate(account: string, password: string): Promise<{ ok: boolean; reply: Reply }> {
    try {
      await this.#link.authenticate(account, password); // ref: LST-8 — SMTP credentials as in SUB-2
    } catch (e) {
      return { ok: false, reply: replyForAuth(e) };
    }
    this.#smtpCredentials = { account, password };
    return { ok: true, reply: replyForAuth(undefined) };
  }

  checkRecipient(rcpt: SmtpMailbox, reversePath: SmtpMailbox | null, accepted: readonly SmtpMailbox[]): Reply | undefined {
    const list = this.listFor(rcpt);
    if (list === undefined) return reply(550, "5.1.1", "Relay access denied: not a mailing-list address here"); // ref: LST-4
    if (accepted.length > 0) {
      const first = this.#credentialsFor(this.listFor(accepted[0]!)!, reversePath);
      const mine = this.#credentialsFor(list, reversePath);
      if (first?.account !== mine?.account) return reply(452, "4.5.3", "Send this list in a separate transaction"); // ref: LST-8
    }
    return undefined; // ref: LST-4 — accepted now; the store decides at DATA
  }

  #received(tx: Transaction): Uint8Array {
    // ref: LST-5 — one trace field naming the relay and the sending MTA (RFC 5321 §4.4).
    const date = rfc5322Date(new Date());
    const from = `${tx.helo.replace(/[^\x21-\x7e]/g, "?").slice(0, 100)} ([${tx.remoteAddress}])`;
    return new TextEncoder().encode(`Received: from ${from}\r\n\tby ${this.#o.hostname} (IM2000 list relay) with ${tx.protocolName};\r\n\t${date}\r\n`);
  }

  async begin(tx: Transaction): Promise<BeginResult> {
    const lists = tx.recipients.map((r) => this.listFor(r)!);
    const creds = this.#credentialsFor(lists[0]!, tx.reversePath);
    if (creds === undefined) return { ok: false, reply: reply(550, "5.7.1", "The null sender cannot post to this list") }; // ref: LST-8
    if (this.#link.account !== creds.account) {
      // ref: LST-8 — re-authenticate before an envelope from a different poster.
      try {
        await this.#link.authenticate(creds.account, creds.password);
      } catch (e) {
        if (e instanceof Im2000StatusError && e.status === MsoapStatus.errornotauthenticated) {
          return { ok: false, reply: reply(550, "5.7.1", "Sender not permitted to post to this list") };
        }
        return { ok: false, reply: replyForError(e) };
      }
    }
    const unique = [...new Set(lists)];
    const lifetime = Math.max(...unique.map((l) => this.#o.listLifetimes?.[l] ?? this.#o.defaultLifetimeSeconds)); // ref: LST-7
    const names = { recipients: [], lists: unique.map((l) => tx.recipients[lists.indexOf(l)]!).map(formatMailbox) };
    return beginSubmission(this.#link, { lists: unique.map((l) => new TextEncoder().encode(l)), lifetime }, names, this.#o, this.#received(tx)); // ref: LST-3
  }

  close(): Promise<void> {
    this.#smtpCredentials = undefined;
    return this.#link.close();
  }
}
