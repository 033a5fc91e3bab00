// A minimal text-protocol client for tests (SMTP and POP3 style replies), over real sockets.

import { connect, type Conn, type TlsClientOptions } from "../../src/runtime/net.ts";
import { LineBuffer } from "../../src/line/line-buffer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface SmtpReply {
  readonly code: number;
  readonly lines: string[];
  readonly text: string;
}

export class LineClient {
  conn: Conn;
  readonly buf = new LineBuffer();
  constructor(conn: Conn) {
    this.conn = conn;
  }
  static async connect(port: number, tls?: TlsClientOptions, host = "127.0.0.1"): Promise<LineClient> {
    return new LineClient(await connect({ host, port, timeoutMs: 5000, tls }));
  }
  write(s: string | Uint8Array): Promise<void> {
    return this.conn.write(typeof s === "string" ? enc.encode(s) : s);
  }
  /** Sends `line` + CRLF. */
  send(line: string): Promise<void> {
    return this.write(line + "\r\n");
  }
  async line(timeoutMs = 5000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.buf.readLine(1 << 20);
      if (r?.kind === "line") return dec.decode(r.bytes);
      const chunk = await this.conn.read(Math.max(1, deadline - Date.now()));
      if (chunk === null) return null;
      this.buf.push(chunk);
    }
  }
  /** One SMTP reply (multi-line aware). */
  async reply(timeoutMs = 5000): Promise<SmtpReply> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line(timeoutMs);
      if (l === null) throw new Error(`connection closed; got so far: ${JSON.stringify(lines)}`);
      lines.push(l);
      if (!/^\d{3}-/.test(l)) break;
    }
    return { code: Number(lines[lines.length - 1]!.slice(0, 3)), lines, text: lines.join("\n") };
  }
  /** Sends a command and returns its reply. */
  async cmd(line: string): Promise<SmtpReply> {
    await this.send(line);
    return this.reply();
  }
  /** Resolves true when the server closes the connection within timeoutMs. */
  async closed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const c = await this.conn.read(Math.max(1, deadline - Date.now()));
        if (c === null) return true;
        this.buf.push(c);
      } catch {
        return false;
      }
    }
  }
  async startTls(opts: TlsClientOptions): Promise<void> {
    this.conn = await this.conn.upgradeToTlsClient(opts);
  }
  close(): void {
    this.conn.destroy();
  }
}

export const b64 = (s: string): string => btoa(String.fromCharCode(...enc.encode(s)));
