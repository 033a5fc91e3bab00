// One invocation, one MSOAP session, one submission transaction (shims LOC-2, §1.6): connect to
// the configured store (host:port, or a domain located with the SRV algorithm, LOC-4),
// authenticate with the user's credentials (LOC-3), send the envelope, and only if the store
// accepts every recipient, the message in chunks. If it denies any, nothing is stored: a
// partially accepted transaction is abandoned by closing the connection, which forces the store
// to abort it (im2000 §4 item 8), as the SMTP shim does (SUB-9).

import { connectEndpoint } from "../im2000/endpoint.ts";
import type { Resolver } from "../runtime/dns.ts";
import type { TlsClientOptions } from "../runtime/net.ts";
import { MsoapClient } from "../im2000/msoap-client.ts";
import { MsoapStatus, SubmissionStatus } from "../im2000/msoap.ts";
import { formatMailbox, type SmtpMailbox } from "../smtp/address.ts";
import type { SendmailConfig } from "./config.ts";
import { EX, exitForStatus, SendmailFailure } from "./exit-status.ts";

export const CHUNK_SIZE = 65_536; // as the SMTP shim (SUB-10)

export interface SubmitContext {
  readonly resolver?: Resolver;
  /** The CA file's contents when `tls_trust_file` is set. */
  readonly trustedCa?: string;
}

/** Submits; returns the originator identifier. Throws SendmailFailure or an Im2000 error. */
export async function submitMessage(cfg: SendmailConfig, recipients: readonly SmtpMailbox[], message: Uint8Array, ctx: SubmitContext = {}): Promise<Uint8Array> {
  const tls: TlsClientOptions | undefined = cfg.tls ? (ctx.trustedCa !== undefined ? { ca: ctx.trustedCa } : {}) : undefined;
  const conn = await connectEndpoint(cfg.store, "msoap", { connectTimeoutMs: cfg.timeoutMs, tls, resolver: ctx.resolver });
  const client = MsoapClient.over(conn, { responseTimeoutMs: cfg.timeoutMs });
  let finished = false;
  try {
    if (cfg.password !== undefined) await client.authenticate(cfg.account, cfg.password); // ref: shims LOC-3
    const envelope = { recipients: recipients.map((m) => ({ localpart: m.localpart, domain: [...m.labels] })), lifetime: cfg.lifetimeSeconds };
    const outcome = await client.beginSubmission(envelope, CHUNK_SIZE);
    if (outcome.status === MsoapStatus.noerror && !outcome.forceabort && outcome.submission !== undefined) {
      await outcome.submission.write(message);
      const id = await outcome.submission.finish();
      finished = true;
      await client.close();
      return id;
    }
    if (outcome.status === MsoapStatus.errornotpermitted) {
      // ref: shims LOC-2 — name every denied recipient; store nothing.
      const denied = recipients.filter((_, i) => outcome.recipients[i] === SubmissionStatus.submissionaccessdenied).map(formatMailbox);
      const shown = denied.length > 0 ? denied : recipients.map(formatMailbox);
      throw new SendmailFailure(EX.NOPERM, `the message store refused ${shown.length} of ${recipients.length} recipient(s), so nothing was sent: ${shown.join(", ")}`);
    }
    const r = exitForStatus(outcome.status);
    throw new SendmailFailure(r.code, r.reason);
  } finally {
    // Anything but a completed submission ends with an unclean close: an open transaction
    // (a partial acceptance, a failure mid-message) must be aborted by the store.
    if (!finished) client.session.abandon();
  }
}
