// The server half of an IM2000 service: accept loop, session cap, and the server rules of
// im2000.md §7, applied identically for all four protocols:
//   S-1 a PDU that cannot be parsed → ResponseNull, forceabort, errormalformedpdu; the transaction
//       in progress is aborted; the session stays open unless framing is lost (oversized length);
//   S-2 a PDU that is not a command → as S-1;
//   S-3 a valid command that does not fit the transaction → decided by the handler
//       (errorunexpectedcommand), since only it knows the transaction;
//   S-4 idle timeout → ResponseNull, forceabort, errorcommandtimeout, then close;
//   S-5 shutdown → the next command (or, unsolicited, every idle session) gets
//       errorserviceshutdown, then close;
//   S-6 the handler threw → ResponseNull, forceabort, errorinternalproblem.
// Excess connections are accepted and closed at once without a PDU (§18 C-14).
// Protocol semantics live in handlers; this file knows nothing of messages or notifications.

import { listen, ReadTimeoutError, type Conn, type Listener, type TlsServerOptions } from "../runtime/net.ts";
import { isDerError } from "../der/mod.ts";
import type { Logger } from "../util/log.ts";
import { silentLogger } from "../util/log.ts";
import { settleWithin } from "../util/settle.ts";
import { DEFAULT_MAX_PDU, FrameReader, FrameTooLargeError } from "./framing.ts";
import type { Alternative, Command, Protocol, Response } from "./protocol.ts";

export interface ServerOptions {
  /** Concurrent sessions; excess connections are closed on accept. */
  readonly maxSessions: number;
  /** S-4 idle timeout; default 600 s, floor 60 s (1 s in testMode, §18 C-15). */
  readonly idleTimeoutMs?: number;
  readonly maxPdu?: number;
  readonly log?: Logger;
  /** Lowers timer floors for tests and conformance runs (§18 C-15). */
  readonly testMode?: boolean;
}

/** Per-session state visible to handlers. */
export class ServerSession {
  readonly conn: Conn;
  readonly id: number;
  /** §4: unauthenticated until an authentication transaction succeeds. */
  authenticated = false;
  /** The authenticated account (or undefined). */
  account: string | undefined;
  /** Consecutive failed authentications (brute-force hardening, SEC-4). */
  authFailures = 0;
  /** Set by handlers while a multi-PDU transaction is open (MSOAP submission). */
  inTransaction = false;
  /** Set by handlers to close the session right after the current response is sent. */
  closeAfterResponse = false;
  /** Handler-owned state (the open submission, and so on). */
  data: Record<string, unknown> = {};
  readonly log: Logger;
  constructor(conn: Conn, id: number, log: Logger) {
    this.conn = conn;
    this.id = id;
    this.log = log;
  }
  /** §4 item 3: success authenticates, failure demotes (or keeps) the session unauthenticated. */
  setAuthenticated(account: string | undefined): void {
    this.authenticated = account !== undefined;
    this.account = account;
  }
}

export interface Handler<C extends Alternative, R extends Alternative> {
  /** Answers one command. May throw: the client then gets errorinternalproblem (S-6). */
  handle(session: ServerSession, cmd: Command<C>): Promise<Response<R>> | Response<R>;
  /**
   * The transaction in progress must be aborted: after S-1/S-2/S-6, or because the session
   * ended while `inTransaction` was set (unclean termination, §4 item 8).
   */
  abort?(session: ServerSession): void | Promise<void>;
  /** The session ended (after abort, if one was needed). */
  closed?(session: ServerSession): void;
}

const MIN_IDLE_MS = 60_000;
const MIN_IDLE_TEST_MS = 1_000;

export class Im2000Server<C extends Alternative, R extends Alternative> {
  readonly protocol: Protocol<C, R>;
  readonly handler: Handler<C, R>;
  readonly options: ServerOptions;
  readonly log: Logger;
  #sessions = new Set<ServerSession>();
  #listeners: Listener[] = [];
  #nextId = 1;
  #shuttingDown = false;
  #idleMs: number;
  #loops = new Set<Promise<void>>();
  /** Resolvers that wake sessions blocked in read() when shutdown starts. */
  #wakers = new Set<() => void>();

  constructor(protocol: Protocol<C, R>, handler: Handler<C, R>, options: ServerOptions) {
    this.protocol = protocol;
    this.handler = handler;
    this.options = options;
    this.log = options.log ?? silentLogger;
    const floor = options.testMode ? MIN_IDLE_TEST_MS : MIN_IDLE_MS;
    this.#idleMs = Math.max(floor, options.idleTimeoutMs ?? 600_000);
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Starts listening; returns the bound address (port 0 picks one). */
  async listen(host: string, port: number, tls?: TlsServerOptions): Promise<Listener> {
    const l = await listen({ host, port, tls }, (c) => this.accept(c));
    this.#listeners.push(l);
    return l;
  }

  /** Serves an already-accepted connection (also used by tests over any Conn). */
  accept(conn: Conn): void {
    if (this.#shuttingDown || this.#sessions.size >= this.options.maxSessions) {
      this.log.log("warn", "session.refused", { proto: this.protocol.name, peer: `${conn.remote.address}:${conn.remote.port}`, reason: this.#shuttingDown ? "shutdown" : "cap" });
      conn.destroy(); // §18 C-14: accept and close at once, no PDU
      return;
    }
    const id = this.#nextId++;
    const s = new ServerSession(conn, id, this.log.with({ proto: this.protocol.name.toLowerCase(), sid: id, peer: `${conn.remote.address}:${conn.remote.port}` }));
    this.#sessions.add(s);
    s.log.log("debug", "session.open");
    const loop = this.#run(s).finally(() => {
      this.#sessions.delete(s);
      this.#loops.delete(loop);
    });
    this.#loops.add(loop);
  }

  async #send(s: ServerSession, rsp: Response<R>): Promise<boolean> {
    try {
      await s.conn.writev(this.protocol.encodeResponseParts(rsp));
      return true;
    } catch {
      return false;
    }
  }

  #null(status: keyof Protocol<C, R>["status"]): Response<R> {
    return this.protocol.nullResponse(this.protocol.status[status]!, true);
  }

  async #abort(s: ServerSession): Promise<void> {
    if (!s.inTransaction) return;
    try {
      await this.handler.abort?.(s);
    } catch (e) {
      s.log.log("error", "abort.failed", { error: (e as Error).message });
    }
    s.inTransaction = false;
  }

  /** Waits for the next chunk, the idle timeout, or shutdown. */
  #nextChunk(s: ServerSession): Promise<Uint8Array | null | "idle" | "shutdown"> {
    if (this.#shuttingDown) return Promise.resolve("shutdown");
    return new Promise((resolve) => {
      const wake = () => resolve("shutdown");
      this.#wakers.add(wake);
      s.conn.read(this.#idleMs).then(
        (c) => {
          this.#wakers.delete(wake);
          resolve(c);
        },
        (e) => {
          this.#wakers.delete(wake);
          resolve(e instanceof ReadTimeoutError ? "idle" : null);
        },
      );
    });
  }

  async #run(s: ServerSession): Promise<void> {
    const frames = new FrameReader(this.options.maxPdu ?? DEFAULT_MAX_PDU);
    let clean = true;
    try {
      for (;;) {
        let pdu: Uint8Array | undefined;
        try {
          pdu = frames.next();
        } catch (e) {
          if (!(e instanceof FrameTooLargeError)) throw e;
          // S-1 with framing lost: answer, abort, close.
          s.log.log("warn", "pdu.oversized", { declared: e.declared, max: e.max });
          await this.#abort(s);
          await this.#send(s, this.#null("errormalformedpdu"));
          clean = false;
          return;
        }
        if (pdu === undefined) {
          const chunk = await this.#nextChunk(s);
          if (chunk === "idle") {
            s.log.log("info", "session.idle-timeout");
            await this.#abort(s);
            await this.#send(s, this.#null("errorcommandtimeout")); // S-4
            return;
          }
          if (chunk === "shutdown") {
            await this.#abort(s);
            await this.#send(s, this.#null("errorserviceshutdown")); // S-5, unsolicited
            return;
          }
          if (chunk === null) {
            clean = !frames.midFrame && !s.inTransaction;
            return;
          }
          frames.push(chunk);
          continue;
        }
        if (this.#shuttingDown) {
          await this.#abort(s);
          await this.#send(s, this.#null("errorserviceshutdown")); // S-5
          return;
        }
        let cmd: Command<C>;
        try {
          const decoded = this.protocol.decodePdu(pdu);
          if (decoded.kind !== "command") {
            s.log.log("warn", "pdu.not-a-command"); // S-2
            await this.#abort(s);
            if (!(await this.#send(s, this.#null("errormalformedpdu")))) return;
            continue;
          }
          cmd = decoded.value;
        } catch (e) {
          if (!isDerError(e)) throw e;
          s.log.log("warn", "pdu.malformed", { rule: e.rule, offset: e.offset, path: e.path }); // S-1
          await this.#abort(s);
          if (!(await this.#send(s, this.#null("errormalformedpdu")))) return;
          continue;
        }
        let rsp: Response<R>;
        try {
          rsp = await this.handler.handle(s, cmd);
        } catch (e) {
          s.log.log("error", "handler.failed", { command: cmd.commanddata.kind, error: (e as Error).message }); // S-6
          await this.#abort(s);
          rsp = this.#null("errorinternalproblem");
        }
        if (!(await this.#send(s, rsp))) {
          clean = !s.inTransaction;
          return;
        }
        if (s.closeAfterResponse) return;
      }
    } catch (e) {
      clean = false;
      s.log.log("error", "session.failed", { error: (e as Error).message });
    } finally {
      if (!clean || s.inTransaction) await this.#abort(s);
      try {
        this.handler.closed?.(s);
      } catch {
        // a bookkeeping failure must not leak the connection
      }
      await s.conn.end(1000);
      s.log.log("debug", "session.close", { clean });
    }
  }

  /**
   * S-5: stop accepting, tell every session errorserviceshutdown (idle ones at once, busy ones
   * after their current command), and wait for them to finish (at most graceMs).
   */
  async shutdown(graceMs = 5000): Promise<void> {
    this.#shuttingDown = true;
    await Promise.all(this.#listeners.map((l) => l.close().catch(() => {})));
    for (const w of this.#wakers) w();
    this.#wakers.clear();
    await settleWithin(this.#loops, graceMs, () => {
      for (const s of this.#sessions) s.conn.destroy();
    });
  }
}
