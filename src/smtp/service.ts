// Wiring: an SMTP listener (plain with STARTTLS, and implicit TLS, RFC 8314) whose sessions
// submit to IM2000, as the submission shim (SUB-*) or the list relay (LST-*). Every limit has a
// default here and a setting in the configuration.

import type { Conn, TlsServerOptions } from "../runtime/net.ts";
import type { Endpoint } from "../im2000/endpoint.ts";
import type { LocateOptions } from "../im2000/locate.ts";
import type { LineConnection } from "../line/connection.ts";
import { LineServer, type BoundPort } from "../line/server.ts";
import { logTrace, noTrace } from "../line/trace.ts";
import type { Logger } from "../util/log.ts";
import { silentLogger } from "../util/log.ts";
import type { SmtpBackend } from "./backend.ts";
import { redactSmtp, runSmtpSession } from "./driver.ts";
import { ListRelayBackend, type ListRelayOptions } from "./list-relay-backend.ts";
import { formatReply, reply } from "./reply.ts";
import { SmtpSession, type SmtpSessionConfig } from "./session.ts";
import { SubmissionBackend } from "./submission-backend.ts";

export interface SmtpServiceConfig {
  readonly role: "submission" | "relay";
  readonly hostname: string;
  /** Plain listeners (STARTTLS offered when `tls` is set). */
  readonly listen: readonly { readonly host: string; readonly port: number }[];
  /** Implicit-TLS listeners (port 465 style). */
  readonly listenTls?: readonly { readonly host: string; readonly port: number }[];
  readonly tls?: TlsServerOptions;
  readonly store: Endpoint;
  readonly locate?: LocateOptions;
  readonly maxLineLength?: number;
  readonly idleTimeoutMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly maxSessions?: number;
  readonly maxSessionsPerIp?: number;
  readonly maxMessageSize?: number;
  readonly maxRecipients?: number;
  readonly maxErrors?: number;
  readonly allowPlainAuthWithoutTls?: boolean;
  readonly chunking?: boolean;
  readonly chunkSize?: number;
  readonly envelopeTimeoutMs?: number;
  readonly flushIdleMs?: number;
  readonly storeResponseTimeoutMs?: number;
  /** Submission: SUB-8 lifetime; SUB-4 anonymous submission. */
  readonly lifetimeSeconds?: number;
  readonly allowAnonymousSubmission?: boolean;
  /** Relay: LST-* settings. */
  readonly relay?: RelayConfig;
  /** Log every line on the wire (credentials redacted) at debug level. */
  readonly traceWire?: boolean;
  /**
   * Extension points for embedders: a policy layered over the IM2000 backend, adjusted session
   * settings, or a look at each connection before its session runs. (The conformance runner's
   * own tests build their deliberately broken shims with these.)
   */
  readonly customize?: {
    readonly session?: (c: SmtpSessionConfig) => SmtpSessionConfig;
    readonly backend?: (b: SmtpBackend) => SmtpBackend;
    readonly connection?: (lc: LineConnection) => void;
  };
  readonly testMode?: boolean;
  readonly log?: Logger;
}

/** The list relay's settings (LST-2, LST-3, LST-7, LST-8). */
export type RelayConfig = Pick<ListRelayOptions, "listDomains" | "gatewayAccount" | "gatewayPassword"> &
  Partial<Pick<ListRelayOptions, "listNames" | "semiPublicLists" | "listLifetimes" | "defaultLifetimeSeconds">>;

export const SMTP_DEFAULTS = {
  maxLineLength: 4096,
  idleTimeoutMs: 300_000, // ref: rfc5321#4.5.3.2.7 (5 minutes)
  sessionTimeoutMs: 3_600_000,
  maxSessions: 200,
  maxSessionsPerIp: 20,
  maxMessageSize: 25 * 1024 * 1024,
  maxRecipients: 100, // ref: shims SUB-6
  maxErrors: 10,
  chunkSize: 65_536, // ref: shims SUB-10
  envelopeTimeoutMs: 90_000, // ref: shims SUB-10
  flushIdleMs: 30_000,
  storeResponseTimeoutMs: 120_000,
  lifetimeSeconds: 2_592_000, // ref: shims SUB-8 (30 days)
  listLifetimeSeconds: 7_776_000, // ref: shims LST-7 (90 days)
} as const;

export interface SmtpService {
  readonly server: LineServer;
  readonly ports: readonly BoundPort[];
  /** Serves one already-open connection (`sendmail -bs` over stdio, tests). */
  serve(conn: Conn): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpService(c: SmtpServiceConfig): Promise<SmtpService> {
  const log = c.log ?? silentLogger;
  const sessionConfig: SmtpSessionConfig = (c.customize?.session ?? ((x) => x))({
    hostname: c.hostname,
    banner: c.role === "submission" ? "IM2000 submission shim" : "IM2000 list relay",
    maxMessageSize: c.maxMessageSize ?? SMTP_DEFAULTS.maxMessageSize,
    maxRecipients: c.maxRecipients ?? SMTP_DEFAULTS.maxRecipients,
    maxErrors: c.maxErrors ?? SMTP_DEFAULTS.maxErrors,
    allowPlainAuthWithoutTls: c.allowPlainAuthWithoutTls ?? false,
    starttls: c.tls !== undefined,
    chunking: c.chunking ?? true,
  });
  const submit = {
    chunkSize: c.chunkSize ?? SMTP_DEFAULTS.chunkSize,
    envelopeTimeoutMs: c.envelopeTimeoutMs ?? SMTP_DEFAULTS.envelopeTimeoutMs,
    flushIdleMs: c.flushIdleMs ?? SMTP_DEFAULTS.flushIdleMs,
  };
  const link = { store: c.store, locate: c.locate, responseTimeoutMs: c.storeResponseTimeoutMs ?? SMTP_DEFAULTS.storeResponseTimeoutMs, connectTimeoutMs: 30_000 };
  const imBackend = (sessionLog: Logger): SmtpBackend =>
    c.role === "submission"
      ? new SubmissionBackend({
          ...submit,
          link,
          lifetimeSeconds: c.lifetimeSeconds ?? SMTP_DEFAULTS.lifetimeSeconds,
          allowAnonymousSubmission: c.allowAnonymousSubmission ?? false,
          log: sessionLog,
        })
      : new ListRelayBackend({
          ...submit,
          link,
          listDomains: c.relay?.listDomains ?? [],
          listNames: c.relay?.listNames,
          gatewayAccount: c.relay?.gatewayAccount ?? "",
          gatewayPassword: c.relay?.gatewayPassword ?? "",
          semiPublicLists: c.relay?.semiPublicLists ?? [],
          listLifetimes: c.relay?.listLifetimes,
          defaultLifetimeSeconds: c.relay?.defaultLifetimeSeconds ?? c.lifetimeSeconds ?? SMTP_DEFAULTS.listLifetimeSeconds,
          hostname: c.hostname,
          log: sessionLog,
        });
  const makeBackend = (sessionLog: Logger): SmtpBackend => (c.customize?.backend ?? ((b) => b))(imBackend(sessionLog));
  const server = new LineServer({
    name: c.role === "submission" ? "smtp" : "smtp-relay",
    maxSessions: c.maxSessions ?? SMTP_DEFAULTS.maxSessions,
    maxSessionsPerIp: c.maxSessionsPerIp ?? SMTP_DEFAULTS.maxSessionsPerIp,
    limits: {
      maxLineLength: c.maxLineLength ?? SMTP_DEFAULTS.maxLineLength,
      idleTimeoutMs: c.idleTimeoutMs ?? SMTP_DEFAULTS.idleTimeoutMs,
      sessionTimeoutMs: c.sessionTimeoutMs ?? SMTP_DEFAULTS.sessionTimeoutMs,
    },
    log,
    async session(lc, info) {
      lc.trace = c.traceWire ? logTrace(info.log, redactSmtp) : noTrace;
      c.customize?.connection?.(lc);
      const session = new SmtpSession(sessionConfig, makeBackend(info.log), { remoteAddress: lc.remoteAddress, loopback: lc.isLoopback, tls: info.implicitTls });
      await runSmtpSession(lc, session, { tls: c.tls, hostname: c.hostname, log: info.log });
    },
    async refuse(lc, reason) {
      const r = reason === "shutdown" ? reply(421, "4.3.2", `${c.hostname} Service shutting down`) : reply(421, "4.7.0", `${c.hostname} Too many connections${reason === "busy-ip" ? " from your address" : ""}, try again later`);
      for (const l of formatReply(r)) lc.send(l);
      await lc.close();
    },
  });
  const ports = await server.listenAll(c.listen, c.listenTls ?? [], c.tls);
  return {
    server,
    ports,
    serve: (conn) => server.serve(conn),
    close: () => server.shutdown(),
  };
}
