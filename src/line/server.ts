// Listening for a text protocol: plain and implicit-TLS listeners (RFC 8314), caps on sessions in
// total and per client address, and an orderly shutdown that asks every session to say goodbye
// in its own protocol (421 for SMTP, -ERR for POP3, * BYE for IMAP) before closing.

import { listen, type Conn, type Listener, type TlsServerOptions } from "../runtime/net.ts";
import type { Logger } from "../util/log.ts";
import { silentLogger } from "../util/log.ts";
import { settleWithin } from "../util/settle.ts";
import { LineConnection, type LineLimits } from "./connection.ts";

export interface LineServerOptions {
  /** For logs: "smtp", "pop3", … */
  readonly name: string;
  readonly maxSessions: number;
  readonly maxSessionsPerIp: number;
  readonly limits: LineLimits;
  readonly log?: Logger;
  /** Runs one session to completion. */
  readonly session: (lc: LineConnection, info: SessionInfo) => Promise<void>;
  /** Says "busy" in the protocol's own words and closes (a 421 greeting, `-ERR [SYS/TEMP]`, …). */
  readonly refuse: (lc: LineConnection, reason: "busy" | "busy-ip" | "shutdown") => Promise<void>;
}

export interface SessionInfo {
  /** The listener was implicit TLS. */
  readonly implicitTls: boolean;
  readonly id: number;
  readonly log: Logger;
}

/** An address a service ended up listening on (port 0 in the configuration: the port chosen). */
export interface BoundPort {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS (RFC 8314). */
  readonly tls: boolean;
}

export class LineServer {
  readonly options: LineServerOptions;
  readonly log: Logger;
  #listeners: Listener[] = [];
  #sessions = new Set<LineConnection>();
  #perIp = new Map<string, number>();
  #running = new Set<Promise<void>>();
  #nextId = 1;
  #stopping = false;

  constructor(options: LineServerOptions) {
    this.options = options;
    this.log = options.log ?? silentLogger;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  async listen(host: string, port: number, tls?: TlsServerOptions): Promise<Listener> {
    const implicitTls = tls !== undefined;
    const l = await listen({ host, port, tls }, (c) => this.#accept(c, implicitTls));
    this.#listeners.push(l);
    this.log.log("info", `${this.options.name}.listen`, { address: `${l.address}:${l.port}`, tls: implicitTls });
    return l;
  }

  /**
   * Binds every implicit-TLS address (when there is a certificate), then every plain one, and
   * returns them plain first. TLS first because whoever waits for a service to come up watches
   * its plain port (the conformance interface does): once that accepts, every port must. If one
   * cannot be bound, those already bound are closed and the error is thrown: a service that
   * started on half its addresses would hide the mistake.
   */
  async listenAll(plain: readonly { host: string; port: number }[], implicitTls: readonly { host: string; port: number }[], tls: TlsServerOptions | undefined): Promise<BoundPort[]> {
    const bind = async (l: { host: string; port: number }, withTls: TlsServerOptions | undefined): Promise<BoundPort> => {
      const bound = await this.listen(l.host, l.port, withTls);
      return { host: bound.address, port: bound.port, tls: withTls !== undefined };
    };
    try {
      const tlsPorts: BoundPort[] = [];
      if (tls !== undefined) for (const l of implicitTls) tlsPorts.push(await bind(l, tls));
      const plainPorts: BoundPort[] = [];
      for (const l of plain) plainPorts.push(await bind(l, undefined));
      return [...plainPorts, ...tlsPorts];
    } catch (e) {
      await this.shutdown(0);
      throw e;
    }
  }

  /** Serves an already-open connection (stdin/stdout sessions, tests). */
  serve(conn: Conn, implicitTls = false): Promise<void> {
    return this.#accept(conn, implicitTls);
  }

  #accept(conn: Conn, implicitTls: boolean): Promise<void> {
    const lc = new LineConnection(conn, this.options.limits);
    const ip = conn.remote.address;
    const id = this.#nextId++;
    const log = this.log.with({ proto: this.options.name, sid: id, peer: `${ip}:${conn.remote.port}` });
    let refusal: "busy" | "busy-ip" | "shutdown" | undefined;
    if (this.#stopping) refusal = "shutdown";
    else if (this.#sessions.size >= this.options.maxSessions) refusal = "busy";
    else if ((this.#perIp.get(ip) ?? 0) >= this.options.maxSessionsPerIp) refusal = "busy-ip";
    if (refusal !== undefined) {
      log.log("warn", `${this.options.name}.refused`, { reason: refusal });
      const p = this.options.refuse(lc, refusal).catch(() => lc.conn.destroy());
      return p;
    }
    this.#sessions.add(lc);
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
    log.log("info", `${this.options.name}.connect`, { tls: implicitTls });
    const run = this.options
      .session(lc, { implicitTls, id, log })
      .catch((e) => log.log("error", `${this.options.name}.session-failed`, { error: (e as Error).message }))
      .finally(async () => {
        await lc.close().catch(() => {});
        this.#sessions.delete(lc);
        const n = (this.#perIp.get(ip) ?? 1) - 1;
        if (n <= 0) this.#perIp.delete(ip);
        else this.#perIp.set(ip, n);
        this.#running.delete(run);
        log.log("info", `${this.options.name}.disconnect`);
      });
    this.#running.add(run);
    return run;
  }

  /** Stops listening and asks every session to end; waits up to graceMs, then cuts the rest. */
  async shutdown(graceMs = 5000): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#listeners.map((l) => l.close()));
    for (const s of this.#sessions) s.requestShutdown();
    await settleWithin(this.#running, graceMs, () => {
      for (const s of this.#sessions) s.conn.destroy();
    });
  }
}
