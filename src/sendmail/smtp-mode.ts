// `sendmail -bs` (shims LOC-6): SMTP on standard input/output, as Symfony's and Laravel's
// SendmailTransport use it. This is the SMTP submission shim's own session (src/smtp/session.ts)
// and driver, over pipes instead of a socket: the same replies, limits and MSOAP mapping (SUB-*).
//
// The caller is the local user, so the session starts authenticated with that user's own MSOAP
// credentials from the configuration (LOC-3); such callers never send AUTH. Without a configured
// password the session submits without authenticating, and a caller may still send AUTH PLAIN or
// LOGIN (passed through to the store as SUB-2). There is no TLS on a pipe: STARTTLS is not offered.
//
// Loaded only for -bs, so the common path (-bm) does not pay for the SMTP modules at start-up.

import type { Duplex } from "../runtime/net.ts";
import type { Resolver } from "../runtime/dns.ts";
import { LineConnection } from "../line/connection.ts";
import { createTrace } from "../line/trace.ts";
import { silentLogger } from "../util/log.ts";
import { redactSmtp, runSmtpSession } from "../smtp/driver.ts";
import { SmtpSession } from "../smtp/session.ts";
import { SubmissionBackend } from "../smtp/submission-backend.ts";
import { SMTP_DEFAULTS } from "../smtp/service.ts";
import type { SendmailConfig } from "./config.ts";
import { EX } from "./exit-status.ts";

export interface SmtpModeContext {
  readonly stdio: Duplex;
  readonly hostname: string;
  readonly resolver?: Resolver;
  readonly trustedCa?: string;
  /** -v: the SMTP dialogue on standard error (AUTH redacted). */
  readonly trace?: (line: string) => void;
}

export async function runSmtpMode(cfg: SendmailConfig, ctx: SmtpModeContext): Promise<number> {
  const tls = cfg.tls ? (ctx.trustedCa !== undefined ? { ca: ctx.trustedCa } : {}) : undefined;
  const backend = new SubmissionBackend({
    chunkSize: SMTP_DEFAULTS.chunkSize,
    envelopeTimeoutMs: Math.min(cfg.timeoutMs, SMTP_DEFAULTS.envelopeTimeoutMs),
    flushIdleMs: SMTP_DEFAULTS.flushIdleMs,
    link: {
      store: cfg.store,
      locate: { resolver: ctx.resolver, tls },
      responseTimeoutMs: cfg.timeoutMs,
      connectTimeoutMs: cfg.timeoutMs,
      credentials: cfg.password !== undefined ? { account: cfg.account, password: cfg.password } : undefined, // ref: shims LOC-6, LOC-3
    },
    lifetimeSeconds: cfg.lifetimeSeconds,
    allowAnonymousSubmission: cfg.password === undefined,
    log: silentLogger,
  });
  const session = new SmtpSession(
    {
      hostname: ctx.hostname,
      banner: "IM2000 sendmail -bs",
      maxMessageSize: cfg.maxMessageSize,
      maxRecipients: cfg.maxRecipients,
      maxErrors: SMTP_DEFAULTS.maxErrors,
      allowPlainAuthWithoutTls: true, // a pipe to a local process is as private as loopback
      starttls: false,
      chunking: true,
    },
    backend,
    { remoteAddress: "stdin", loopback: true, tls: false, authenticatedAs: cfg.password !== undefined ? cfg.account : undefined },
  );
  const lc = new LineConnection(ctx.stdio, { maxLineLength: SMTP_DEFAULTS.maxLineLength, idleTimeoutMs: SMTP_DEFAULTS.idleTimeoutMs, sessionTimeoutMs: SMTP_DEFAULTS.sessionTimeoutMs });
  if (ctx.trace !== undefined) lc.trace = createTrace(ctx.trace, redactSmtp);
  try {
    await runSmtpSession(lc, session, { hostname: ctx.hostname, log: silentLogger });
  } finally {
    await lc.close();
  }
  return EX.OK;
}
