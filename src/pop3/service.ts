// Wiring: a POP3 listener (plain with STLS, and implicit TLS on a second port, RFC 8314) whose
// sessions read IM2000 mail through the reading-shim core. Every limit has a default here.

import type { Conn, TlsServerOptions } from "../runtime/net.ts";
import type { Endpoint } from "../im2000/endpoint.ts";
import type { LocateOptions } from "../im2000/locate.ts";
import { LineServer, type BoundPort } from "../line/server.ts";
import { logTrace, noTrace } from "../line/trace.ts";
import type { NoteStore } from "../notes/notes.ts";
import type { StorePoolOptions } from "../reader/store-pool.ts";
import type { Logger } from "../util/log.ts";
import { silentLogger } from "../util/log.ts";
import { redactPop3, runPop3Session } from "./driver.ts";
import { Im2000Pop3Backend } from "./im2000-backend.ts";
import type { Pop3Backend } from "./backend.ts";
import { Pop3Session, type Pop3ConnectionInfo, type Pop3SessionConfig } from "./session.ts";

export interface Pop3ServiceConfig {
  readonly hostname: string;
  readonly listen: readonly { readonly host: string; readonly port: number }[];
  readonly listenTls?: readonly { readonly host: string; readonly port: number }[];
  readonly tls?: TlsServerOptions;
  readonly rna: Endpoint;
  readonly locate?: LocateOptions;
  readonly notes: NoteStore;
  readonly stores?: Omit<StorePoolOptions, "log">;
  /** Response timeout towards the RNA (default 60 s). */
  readonly rnaResponseTimeoutMs?: number;
  readonly pageSize?: number;
  readonly maxLineLength?: number;
  readonly idleTimeoutMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly maxSessions?: number;
  readonly maxSessionsPerIp?: number;
  readonly maxErrors?: number;
  readonly allowPlainAuthWithoutTls?: boolean;
  readonly traceWire?: boolean;
  /**
   * Extension points for embedders: adjusted session settings, a policy layered over the IM2000
   * backend, or a session of one's own (a subclass). (The conformance runner's own tests build
   * their deliberately broken shims with these.)
   */
  readonly customize?: {
    readonly session?: (c: Pop3SessionConfig) => Pop3SessionConfig;
    readonly backend?: (b: Pop3Backend) => Pop3Backend;
    readonly createSession?: (config: Pop3SessionConfig, backend: Pop3Backend, info: Pop3ConnectionInfo) => Pop3Session;
  };
  readonly testMode?: boolean;
  readonly log?: Logger;
}

export const POP3_DEFAULTS = {
  maxLineLength: 1024, // RFC 2449 §4 allows 255 for commands; AUTH responses can be longer
  idleTimeoutMs: 600_000, // ref: rfc1939#3 (autologout timer of at least 10 minutes)
  sessionTimeoutMs: 3_600_000,
  maxSessions: 200,
  maxSessionsPerIp: 20,
  maxErrors: 20,
  pageSize: 256 * 1024,
} as const;

export interface Pop3Service {
  readonly server: LineServer;
  readonly ports: readonly BoundPort[];
  serve(conn: Conn): Promise<void>;
  close(): Promise<void>;
}

export async function startPop3Service(c: Pop3ServiceConfig): Promise<Pop3Service> {
  const log = c.log ?? silentLogger;
  const sessionConfig: Pop3SessionConfig = (c.customize?.session ?? ((x) => x))({
    hostname: c.hostname,
    allowPlainAuthWithoutTls: c.allowPlainAuthWithoutTls ?? false,
    stls: c.tls !== undefined,
    maxErrors: c.maxErrors ?? POP3_DEFAULTS.maxErrors,
    implementation: "im2000-shims",
  });
  const server = new LineServer({
    name: "pop3",
    maxSessions: c.maxSessions ?? POP3_DEFAULTS.maxSessions,
    maxSessionsPerIp: c.maxSessionsPerIp ?? POP3_DEFAULTS.maxSessionsPerIp,
    limits: {
      maxLineLength: c.maxLineLength ?? POP3_DEFAULTS.maxLineLength,
      idleTimeoutMs: c.idleTimeoutMs ?? POP3_DEFAULTS.idleTimeoutMs,
      sessionTimeoutMs: c.sessionTimeoutMs ?? POP3_DEFAULTS.sessionTimeoutMs,
    },
    log,
    async session(lc, info) {
      lc.trace = c.traceWire ? logTrace(info.log, redactPop3) : noTrace;
      const inner = new Im2000Pop3Backend({
        rna: c.rna,
        locate: c.locate,
        rnaResponseTimeoutMs: c.rnaResponseTimeoutMs,
        stores: { ...c.stores, locate: c.stores?.locate ?? c.locate },
        notes: c.notes,
        pageSize: c.pageSize ?? POP3_DEFAULTS.pageSize,
        log: info.log,
      });
      const backend = (c.customize?.backend ?? ((b) => b))(inner);
      const connInfo: Pop3ConnectionInfo = { loopback: lc.isLoopback, tls: info.implicitTls };
      const session = c.customize?.createSession?.(sessionConfig, backend, connInfo) ?? new Pop3Session(sessionConfig, backend, connInfo);
      await runPop3Session(lc, session, { tls: c.tls, log: info.log });
    },
    async refuse(lc, reason) {
      lc.send(reason === "shutdown" ? "-ERR [SYS/TEMP] Server shutting down" : `-ERR [SYS/TEMP] Too many connections${reason === "busy-ip" ? " from your address" : ""}`);
      await lc.close();
    },
  });
  const ports = await server.listenAll(c.listen, c.listenTls ?? [], c.tls);
  return { server, ports, serve: (conn) => server.serve(conn), close: () => server.shutdown() };
}
