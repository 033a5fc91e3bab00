// The client half of an IM2000 session (im2000.md §4, §7): at most one transaction outstanding,
// a response timeout, and the client rules
//   C-1 an unparseable PDU or a non-response ends the session;
//   C-2 a response that is not a valid answer to the command sent ends the session; one with
//       forceabort means the transaction is aborted (the session goes on);
//   C-3 an unknown status number is a generic error (the open status decoder allows it);
//   §18 C-6 forceabort with errorcommandtimeout or errorserviceshutdown ends the session.
// Closing cleanly happens only between transactions (§4 item 8); close() waits for the
// outstanding request, abandon() does not (an unclean close forces the server to abort).

import { connect, Conn, ReadTimeoutError, type TlsClientOptions } from "../runtime/net.ts";
import { isDerError } from "../der/mod.ts";
import { Im2000ProtocolError, Im2000TransportError } from "./errors.ts";
import { DEFAULT_MAX_PDU, FrameReader, FrameTooLargeError } from "./framing.ts";
import type { Alternative, Command, Protocol, Response } from "./protocol.ts";

export interface ClientTimeouts {
  /** Default 30 s (im2000 §5 item 6). */
  readonly connectTimeoutMs?: number;
  /** Default 120 s. */
  readonly responseTimeoutMs?: number;
  /** Largest PDU accepted from the server; default 16 MiB. */
  readonly maxPdu?: number;
}

export interface ClientTarget extends ClientTimeouts {
  readonly host: string;
  readonly port: number;
  /** Connect to a TLS endpoint (TLS from the first octet, §3). */
  readonly tls?: TlsClientOptions;
}

export class ClientSession<C extends Alternative, R extends Alternative> {
  readonly protocol: Protocol<C, R>;
  readonly conn: Conn;
  #frames: FrameReader;
  #responseTimeoutMs: number;
  #busy = false;
  #closed = false;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: () => void = () => {};

  constructor(protocol: Protocol<C, R>, conn: Conn, opts: ClientTimeouts = {}) {
    this.protocol = protocol;
    this.conn = conn;
    this.#frames = new FrameReader(opts.maxPdu ?? DEFAULT_MAX_PDU);
    this.#responseTimeoutMs = opts.responseTimeoutMs ?? 120_000;
  }

  static async open<C extends Alternative, R extends Alternative>(protocol: Protocol<C, R>, target: ClientTarget): Promise<ClientSession<C, R>> {
    try {
      const conn = await connect({ host: target.host, port: target.port, timeoutMs: target.connectTimeoutMs ?? 30_000, tls: target.tls });
      return new ClientSession(protocol, conn, target);
    } catch (e) {
      throw new Im2000TransportError("connect", `${protocol.name}: ${(e as Error).message}`);
    }
  }

  /** False once the session ended (by either side, or by a rule above). */
  get usable(): boolean {
    return !this.#closed;
  }

  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Sends one command and returns the server's response. Throws Im2000TransportError or
   * Im2000ProtocolError (the session is then unusable); a non-noerror status is returned, not
   * thrown, so multi-step transactions can read per-entry results.
   */
  async request(cmd: Command<C>): Promise<Response<R>> {
    if (this.#closed) throw new Im2000TransportError("closed", `${this.protocol.name} session is closed`);
    if (this.#busy) throw new Error(`${this.protocol.name}: a transaction is already outstanding (im2000 §4 item 1)`);
    this.#busy = true;
    this.#idle = new Promise((r) => (this.#markIdle = r));
    try {
      await this.conn.writev(this.protocol.encodeCommandParts(cmd)).catch((e: Error) => {
        throw new Im2000TransportError("closed", `${this.protocol.name}: write failed: ${e.message}`);
      });
      const rsp = await this.#readResponse();
      this.#check(cmd, rsp);
      return rsp;
    } catch (e) {
      this.#terminate();
      throw e;
    } finally {
      this.#busy = false;
      this.#markIdle();
    }
  }

  #check(cmd: Command<C>, rsp: Response<R>): void {
    const p = this.protocol;
    const expected = p.responseFor[cmd.commanddata.kind as C["kind"]];
    const got = rsp.responsedata.kind;
    const ok = got === expected || (rsp.status !== p.status.noerror && got === "responseNull");
    if (!ok) {
      // C-2: not a valid answer to the command sent (flagged or not, the session cannot be trusted).
      throw new Im2000ProtocolError(`${p.name}: ${got} with status ${p.statusName(rsp.status)} does not answer ${cmd.commanddata.kind}`);
    }
    if (rsp.forceabort && (rsp.status === p.status.errorcommandtimeout || rsp.status === p.status.errorserviceshutdown)) {
      this.#terminate(); // §18 C-6: the server ends the session
    }
  }

  async #readResponse(): Promise<Response<R>> {
    const deadline = Date.now() + this.#responseTimeoutMs;
    for (;;) {
      let pdu: Uint8Array | undefined;
      try {
        pdu = this.#frames.next();
      } catch (e) {
        if (e instanceof FrameTooLargeError) throw new Im2000ProtocolError(`${this.protocol.name}: ${e.message}`);
        throw e;
      }
      if (pdu !== undefined) {
        try {
          const decoded = this.protocol.decodePdu(pdu);
          if (decoded.kind !== "response") throw new Im2000ProtocolError(`${this.protocol.name}: server sent a command PDU`);
          return decoded.value;
        } catch (e) {
          if (isDerError(e)) throw new Im2000ProtocolError(`${this.protocol.name}: malformed response: ${e.message}`);
          throw e;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Im2000TransportError("timeout", `${this.protocol.name}: no response within ${this.#responseTimeoutMs} ms`);
      let chunk: Uint8Array | null;
      try {
        chunk = await this.conn.read(left);
      } catch (e) {
        if (e instanceof ReadTimeoutError) throw new Im2000TransportError("timeout", `${this.protocol.name}: no response within ${this.#responseTimeoutMs} ms`);
        throw e;
      }
      if (chunk === null) throw new Im2000TransportError("closed", `${this.protocol.name}: server closed the connection`);
      this.#frames.push(chunk);
    }
  }

  #terminate(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.conn.destroy();
  }

  /** Clean close (§4 item 8): waits for any outstanding transaction, then closes the transport. */
  async close(): Promise<void> {
    await this.#idle;
    if (this.#closed) return;
    this.#closed = true;
    await this.conn.end(1000);
  }

  /**
   * Unclean termination in the middle of a transaction: the server must abort it (§4 item 8).
   * Used by the SMTP shim to abandon a partially accepted envelope (shims SUB-9).
   */
  abandon(): void {
    this.#terminate();
  }
}
