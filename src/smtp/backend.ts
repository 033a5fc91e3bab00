// What the SMTP session needs from whatever stores the messages it accepts. The session speaks
// SMTP only; a backend turns transactions into MSOAP (src/smtp/im2000-backend.ts for the
// submission shim, src/smtp/list-relay-backend.ts for the list relay) and owns the one table that
// maps IM2000 outcomes to SMTP replies (shims SUB-13). Tests and the conformance runner's broken
// variants plug in their own.

import type { SmtpMailbox } from "./address.ts";
import type { Reply } from "./reply.ts";

/** A mail transaction as the session accepted it, handed to the backend at DATA. */
export interface Transaction {
  /** null for the null reverse-path `<>`. */
  readonly reversePath: SmtpMailbox | null;
  readonly recipients: readonly SmtpMailbox[];
  /** The EHLO/HELO argument. */
  readonly helo: string;
  readonly remoteAddress: string;
  readonly tls: boolean;
  /** The SMTP AUTH identity, if the client authenticated. */
  readonly authenticatedAs: string | undefined;
  /** "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA", "SMTP" (RFC 3848), for trace fields. */
  readonly protocolName: string;
}

/** Where the message content goes once the envelope is accepted. */
export interface MessageSink {
  /** Content octets as they arrive (dot-unstuffed). Never throws: a failure is kept for finish(). */
  write(bytes: Uint8Array): Promise<void>;
  /** End of content: the final reply (250 only once the store acknowledged; shims SUB-11). */
  finish(): Promise<Reply>;
  /** The transaction will not complete (oversize, client gone): nothing may be stored. */
  abandon(): void;
}

export interface SmtpBackend {
  /** SUB-2: credentials passed through; the reply is 235 on success. */
  authenticate(account: string, password: string): Promise<{ readonly ok: boolean; readonly reply: Reply; readonly close?: boolean }>;
  /** Whether MAIL needs a prior AUTH on this listener (SUB-4: 530 on the submission port). */
  readonly requiresAuth: boolean;
  /**
   * RCPT-time check. undefined = accept. The submission shim accepts every valid path (SUB-6);
   * the list relay refuses foreign domains (LST-4) and mixed credentials (LST-8).
   */
  checkRecipient(rcpt: SmtpMailbox, reversePath: SmtpMailbox | null, accepted: readonly SmtpMailbox[], authenticatedAs: string | undefined): Reply | undefined;
  /** DATA: the envelope goes to the store now (SUB-9). Either a sink for the content or the reply. */
  begin(tx: Transaction): Promise<{ readonly ok: true; readonly sink: MessageSink } | { readonly ok: false; readonly reply: Reply; readonly close?: boolean }>;
  /** The SMTP session ended; close IM2000 sessions cleanly between transactions (SUB-15). */
  close(): Promise<void>;
}
