// The I/O half of a text-protocol session (SMTP, POP3, IMAP): reads lines with a length limit,
// an idle timeout and a whole-session deadline; hands raw octets to DATA, BDAT and literals;
// queues replies and flushes them when the client has no more complete commands waiting
// (so pipelined commands get their replies in one write, RFC 2920 §3); upgrades to TLS in place,
// discarding whatever the client pipelined before the handshake.

import { ReadTimeoutError, type Duplex, type TlsServerOptions } from "../runtime/net.ts";
import { LineBuffer, type LineResult } from "./line-buffer.ts";
import { noTrace, type WireTrace } from "./trace.ts";
import { concatBytes as concat } from "../util/bytes.ts";

export interface LineLimits {
  /** Longest command line in octets, not counting CRLF. */
  readonly maxLineLength: number;
  /** Longest wait for the client's next octets. */
  readonly idleTimeoutMs: number;
  /** Longest session overall. */
  readonly sessionTimeoutMs: number;
}

export type ReadOutcome = Exclude<LineResult, undefined> | { readonly kind: "eof" } | { readonly kind: "timeout" } | { readonly kind: "shutdown" };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

export class LineConnection {
  #conn: Duplex;
  readonly input = new LineBuffer();
  readonly limits: LineLimits;
  trace: WireTrace;
  readonly startedAt = Date.now();
  #out: (string | Uint8Array)[] = [];
  /** Size of #out: string lengths (code units) plus byte lengths. */
  #queued = 0;
  #eof = false;
  #shutdown = false;
  #wake: (() => void) | undefined;

  constructor(conn: Duplex, limits: LineLimits, trace: WireTrace = noTrace) {
    this.#conn = conn;
    this.limits = limits;
    this.trace = trace;
  }

  get conn(): Duplex {
    return this.#conn;
  }

  get encrypted(): boolean {
    return this.#conn.encrypted;
  }

  get isLoopback(): boolean {
    return this.#conn.isLoopback;
  }

  get remoteAddress(): string {
    return this.#conn.remote.address;
  }

  /** Asks the session to end at its next read (server shutdown). */
  requestShutdown(): void {
    this.#shutdown = true;
    this.#wake?.();
  }

  get shuttingDown(): boolean {
    return this.#shutdown;
  }

  #deadlineLeft(): number {
    return this.startedAt + this.limits.sessionTimeoutMs - Date.now();
  }

  /** Reads more octets into the buffer; false at end of stream, throws ReadTimeoutError. */
  async #fill(): Promise<"data" | "eof" | "timeout" | "shutdown"> {
    if (this.#eof) return "eof";
    if (this.#shutdown) return "shutdown";
    const left = this.#deadlineLeft();
    if (left <= 0) return "timeout";
    await this.flush();
    const wait = Math.min(this.limits.idleTimeoutMs, left);
    const woken = new Promise<"shutdown">((r) => (this.#wake = () => r("shutdown")));
    const read = this.#conn.read(wait).then(
      (c) => c,
      (e) => (e instanceof ReadTimeoutError ? ("timeout" as const) : null),
    );
    const got = await Promise.race([read, woken]);
    this.#wake = undefined;
    if (got === "shutdown") {
      // The pending read stays registered; anything it brings is irrelevant now.
      return "shutdown";
    }
    if (got === "timeout") return "timeout";
    if (got === null) {
      this.#eof = true;
      return "eof";
    }
    this.input.push(got);
    return "data";
  }

  /** True when a whole command line is already buffered (pipelining). */
  hasBufferedLine(): boolean {
    return this.input.hasLine(this.limits.maxLineLength);
  }

  /** Whole command lines the client already pipelined, not consumed (for prefetching). */
  peekBufferedLines(count: number): string[] {
    return this.input.peekLines(count, this.limits.maxLineLength).map((b) => decoder.decode(b));
  }

  /** The next line (raw octets), or why there is none. Replies are flushed before blocking. */
  async readLine(maxLength = this.limits.maxLineLength): Promise<ReadOutcome> {
    for (;;) {
      const r = this.input.readLine(maxLength);
      if (r !== undefined) return r;
      const f = await this.#fill();
      if (f !== "data") return { kind: f };
    }
  }

  /** Like readLine, decoded as UTF-8 (invalid sequences become U+FFFD) and traced. */
  async readTextLine(maxLength = this.limits.maxLineLength): Promise<ReadOutcome | { readonly kind: "text"; readonly text: string; readonly crlf: boolean }> {
    const r = await this.readLine(maxLength);
    if (r.kind !== "line") {
      if (r.kind === "too-long") this.trace.note("line too long");
      return r;
    }
    const text = decoder.decode(r.bytes);
    this.trace.client(text);
    return { kind: "text", text, crlf: r.crlf };
  }

  /**
   * Raw octets as they arrive (buffered ones first), for DATA decoding. Returns null at end of
   * stream, "timeout" or "shutdown" when the client stalls or the server stops.
   */
  async readChunk(): Promise<Uint8Array | null | "timeout" | "shutdown"> {
    if (this.input.size > 0) {
      const parts = this.input.takeAll();
      return parts.length === 1 ? parts[0]! : concat(parts);
    }
    const f = await this.#fill();
    if (f === "eof") return null;
    if (f !== "data") return f;
    const parts = this.input.takeAll();
    return parts.length === 1 ? parts[0]! : concat(parts);
  }

  /** Exactly n octets (BDAT, IMAP literals), or null/timeout if the client stops first. */
  async readExact(n: number): Promise<Uint8Array | null | "timeout" | "shutdown"> {
    while (this.input.size < n) {
      const f = await this.#fill();
      if (f === "eof") return null;
      if (f !== "data") return f;
    }
    return this.input.take(n);
  }

  /** Gives octets read past the end of a DATA body back to the line reader. */
  unread(rest: Uint8Array): void {
    if (rest.byteLength === 0) return;
    const tail = this.input.takeAll();
    this.input.push(rest);
    for (const t of tail) this.input.push(t);
  }

  /** Queues a reply line (CRLF added) to be sent at the next flush. */
  send(line: string): void {
    this.trace.server(line);
    const s = line + "\r\n";
    this.#out.push(s);
    this.#queued += s.length;
  }

  /** Queues raw octets (message content). */
  sendRaw(bytes: Uint8Array): void {
    this.#out.push(bytes);
    this.#queued += bytes.byteLength;
  }

  /** Writes everything queued; rejects if the connection is gone. */
  async flush(): Promise<void> {
    if (this.#out.length === 0) return;
    const out = this.#out;
    this.#out = [];
    this.#queued = 0;
    // Runs of reply lines are joined and encoded once: a 10,000-line POP3 LIST or UIDL is
    // otherwise 10,000 encode() calls and as many small arrays to concatenate.
    const parts: Uint8Array[] = [];
    let text = "";
    for (const x of out) {
      if (typeof x === "string") text += x;
      else {
        if (text !== "") parts.push(encoder.encode(text));
        text = "";
        parts.push(x);
      }
    }
    if (text !== "") parts.push(encoder.encode(text));
    await this.#conn.write(parts.length === 1 ? parts[0]! : concat(parts));
  }

  /** Octets queued and not yet flushed (to bound memory while streaming large bodies). */
  get queuedBytes(): number {
    return this.#queued;
  }

  /**
   * STARTTLS/STLS: flushes the "go ahead" reply, drops every octet the client sent after the
   * command (RFC 3207 §5, CVE-2011-0411), and runs the server handshake.
   */
  async upgradeToTls(opts: TlsServerOptions): Promise<void> {
    await this.flush();
    const dropped = this.input.size + this.#conn.pendingBytes;
    this.input.clear();
    if (dropped > 0) this.trace.note(`discarded ${dropped} octet(s) pipelined before the TLS handshake`);
    if (this.#conn.upgradeToTlsServer === undefined) throw new Error("TLS cannot be started on this stream");
    this.#conn = await this.#conn.upgradeToTlsServer(opts, Math.min(30_000, this.limits.idleTimeoutMs));
    this.trace.note(`TLS established: ${this.#conn.tlsInfo ?? ""}`);
  }

  /** Flushes what is queued (best effort) and closes. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } catch {
      // the peer is gone; nothing to deliver
    }
    await this.#conn.end(1000);
  }
}
