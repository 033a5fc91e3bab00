// A line-protocol connection for the test client: reads CRLF-terminated lines with a deadline,
// writes lines and raw octets, upgrades to TLS (STARTTLS/STLS) trusting the runner's certificate,
// and logs every line it sends (C:) and receives (S:) to the case's wire log.
//
// Lines are handled as latin1 text, so every octet survives a round trip unchanged (8BITMIME and
// SMTPUTF8 cases send raw octets; the log shows them escaped).

import { connect, ConnectError, ReadTimeoutError, type Conn } from "../../src/runtime/net.ts";
import { CaseFailure } from "../case.ts";
import { printable, type WireLog } from "../wire-log.ts";

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function fromLatin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.byteLength; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** UTF-8 text as a latin1 "octet string" (what goes on the wire). */
export function utf8Octets(s: string): string {
  return fromLatin1(new TextEncoder().encode(s));
}

/** Longest line the client accepts from a shim (far beyond any protocol limit). */
const MAX_LINE = 1 << 20;

export class LineConn {
  readonly id: string;
  readonly log: WireLog;
  readonly timeoutMs: number;
  #conn: Conn;
  #buf = "";
  #eof = false;
  #ca: string;

  constructor(id: string, conn: Conn, log: WireLog, timeoutMs: number, ca: string) {
    this.id = id;
    this.#conn = conn;
    this.log = log;
    this.timeoutMs = timeoutMs;
    this.#ca = ca;
  }

  static async open(id: string, ep: Endpoint, log: WireLog, timeoutMs: number, ca: string, implicitTls = false, localAddress?: string): Promise<LineConn> {
    try {
      const conn = await connect({ host: ep.host, port: ep.port, timeoutMs, tls: implicitTls ? { ca, servername: "localhost" } : undefined, localAddress });
      log.event(id, `connected to ${ep.host}:${ep.port}${implicitTls ? ` with implicit TLS (${conn.tlsInfo ?? "TLS"})` : ""}${localAddress !== undefined ? ` from ${localAddress} (not loopback)` : ""}`);
      return new LineConn(id, conn, log, timeoutMs, ca);
    } catch (e) {
      const code = e instanceof ConnectError ? ` (${e.code})` : "";
      log.event(id, `connect to ${ep.host}:${ep.port} failed: ${(e as Error).message}`);
      throw new CaseFailure(`could not connect to the shim at ${ep.host}:${ep.port}${implicitTls ? " with TLS" : ""}`, "a connection", `${(e as Error).message}${code}`);
    }
  }

  get encrypted(): boolean {
    return this.#conn.encrypted;
  }

  /** Sends one line (CRLF added). */
  async send(line: string): Promise<void> {
    this.log.add(this.id, "client", "line", printable(line));
    await this.#write(latin1(`${line}\r\n`));
  }

  /** Sends several lines in one write (pipelining, RFC 2920). */
  async sendMany(lines: readonly string[]): Promise<void> {
    for (const l of lines) this.log.add(this.id, "client", "line", printable(l));
    await this.#write(latin1(lines.map((l) => `${l}\r\n`).join("")));
  }

  /** Sends octets exactly as given (no CRLF added); logged escaped. */
  async sendRaw(data: string | Uint8Array, note?: string): Promise<void> {
    const bytes = typeof data === "string" ? latin1(data) : data;
    const shown = bytes.byteLength > 300 ? `${printable(fromLatin1(bytes.subarray(0, 300)))}… (${bytes.byteLength} octets)` : printable(fromLatin1(bytes));
    this.log.add(this.id, "client", "line", note ?? `[raw] ${shown}`);
    await this.#write(bytes);
  }

  async #write(b: Uint8Array): Promise<void> {
    try {
      await this.#conn.write(b);
    } catch (e) {
      this.log.event(this.id, `write failed: ${(e as Error).message}`);
      throw new CaseFailure("the shim closed the connection while the client was sending", "the connection to stay open", `write failed: ${(e as Error).message}`);
    }
  }

  /**
   * The next line without its CRLF, or null at end of stream. Throws CaseFailure when nothing
   * arrives within the timeout (`what` names what was awaited, for the report).
   */
  async readLine(what: string, timeoutMs = this.timeoutMs): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#buf.indexOf("\n");
      if (i >= 0) {
        const raw = this.#buf.slice(0, i + 1);
        this.#buf = this.#buf.slice(i + 1);
        const line = raw.endsWith("\r\n") ? raw.slice(0, -2) : raw.slice(0, -1);
        this.log.add(this.id, "shim", "line", raw.endsWith("\r\n") ? printable(line) : `${printable(line)}  [bare LF]`);
        return line;
      }
      if (this.#eof) {
        if (this.#buf.length > 0) {
          const rest = this.#buf;
          this.#buf = "";
          this.log.add(this.id, "shim", "line", `${printable(rest)}  [no line end before close]`);
          return rest;
        }
        return null;
      }
      const left = deadline - Date.now();
      if (left <= 0) this.#timeout(what, timeoutMs);
      let chunk: Uint8Array | null;
      try {
        chunk = await this.#conn.read(left);
      } catch (e) {
        if (e instanceof ReadTimeoutError) this.#timeout(what, timeoutMs);
        throw e;
      }
      if (chunk === null) {
        this.#eof = true;
        this.log.event(this.id, "connection closed by the shim");
      } else {
        this.#buf += fromLatin1(chunk);
        // A shim that never ends its line must not exhaust the runner's memory.
        if (this.#buf.length > MAX_LINE && this.#buf.indexOf("\n") < 0) {
          this.log.event(this.id, `a line longer than ${MAX_LINE} octets`);
          throw new CaseFailure(`the shim sent a line longer than ${MAX_LINE} octets while the client waited for ${what}`, "lines of sane length (RFC 5321 §4.5.3.1, RFC 1939 §3)", `${this.#buf.length} octets without a line end`);
        }
      }
    }
  }

  #timeout(what: string, ms: number): never {
    this.log.event(this.id, `nothing within ${ms} ms while waiting for ${what}`);
    throw new CaseFailure(`nothing within ${ms} ms while waiting for ${what}`, what, this.#buf.length > 0 ? `an incomplete line: ${printable(this.#buf)}` : "nothing");
  }

  /** A line that must be there (end of stream is a failure). */
  async expectLine(what: string, timeoutMs?: number): Promise<string> {
    const l = await this.readLine(what, timeoutMs);
    if (l === null) throw new CaseFailure(`the shim closed the connection instead of sending ${what}`, what, "end of stream");
    return l;
  }

  /** True when the shim closes the connection within ms (any unread lines are logged and dropped). */
  async closedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      try {
        const l = await this.readLine("the connection to close", left);
        if (l === null) return true;
      } catch (e) {
        if (e instanceof CaseFailure) return false;
        throw e;
      }
    }
  }

  /** True when nothing at all arrives for ms (and the connection stays open). */
  async silentFor(ms: number): Promise<{ silent: boolean; got?: string }> {
    if (this.#buf.length > 0) return { silent: false, got: this.#buf };
    try {
      const l = await this.readLine("silence", ms);
      return { silent: false, got: l ?? "end of stream" };
    } catch (e) {
      if (e instanceof CaseFailure) return { silent: true };
      throw e;
    }
  }

  /** Client side of STARTTLS/STLS; anything buffered from before the handshake is a failure. */
  async startTls(): Promise<void> {
    if (this.#buf.length > 0) {
      throw new CaseFailure("the shim sent data after its go-ahead for TLS, before the handshake", "nothing between the go-ahead and the handshake", printable(this.#buf));
    }
    try {
      this.#conn = await this.#conn.upgradeToTlsClient({ ca: this.#ca, servername: "localhost" }, this.timeoutMs);
      this.log.event(this.id, `TLS established (${this.#conn.tlsInfo ?? "TLS"})`);
    } catch (e) {
      this.log.event(this.id, `TLS handshake failed: ${(e as Error).message}`);
      throw new CaseFailure("the TLS handshake after the go-ahead failed", "a TLS handshake with the runner's certificate", (e as Error).message);
    }
  }

  /** Closes abruptly (no QUIT): a dropped connection. */
  drop(): void {
    this.log.event(this.id, "client dropped the connection");
    this.#conn.destroy();
  }

  /** Releases the connection at the end of a case (not logged: the case is over). */
  dispose(): void {
    this.#conn.destroy();
  }

  async close(): Promise<void> {
    await this.#conn.end(500);
  }
}
