// The SMTP side of the client DSL. Cases read like a session transcript:
//
//   const s = await t.smtp();
//   await s.greeting();
//   await s.ehlo();
//   await s.authPlain(user, password);
//   await s.cmd(`MAIL FROM:<${from}>`, 250);
//   const r = await s.cmd("DATA", "5xx");
//
// Every expectation names what it expected and what came instead (RFC 5321 §4.2 replies,
// RFC 2034 enhanced codes), so a failure explains itself.

import { CaseFailure } from "../case.ts";
import { printable } from "../wire-log.ts";
import { fromLatin1, latin1, type LineConn } from "./line-conn.ts";

export interface SmtpReply {
  readonly code: number;
  /** Text of each line, without the code and separator. */
  readonly lines: readonly string[];
  /** All lines' text joined by newlines. */
  readonly text: string;
  /** RFC 3463 enhanced status code at the start of the first line's text, if any. */
  readonly enhanced?: string;
  /** The reply as received (for messages). */
  readonly raw: string;
}

/** 250, "2xx", "4xx", "5xx", or a set of acceptable ones. */
export type CodeExpectation = number | `${2 | 3 | 4 | 5}xx` | readonly (number | `${2 | 3 | 4 | 5}xx`)[];

export function codeMatches(code: number, want: CodeExpectation): boolean {
  const list = Array.isArray(want) ? want : [want];
  return list.some((w) => (typeof w === "number" ? code === w : Math.floor(code / 100) === Number(w[0])));
}

export function describeExpectation(want: CodeExpectation): string {
  return (Array.isArray(want) ? want : [want]).join(" or ");
}

/** Lines of one reply the client accepts (an EHLO reply has a dozen). */
const MAX_REPLY_LINES = 1000;

export class SmtpClient {
  readonly conn: LineConn;
  /** EHLO keywords from the last EHLO reply, upper-cased (`SIZE 1048576`, `AUTH PLAIN LOGIN`). */
  extensions = new Map<string, string>();

  constructor(conn: LineConn) {
    this.conn = conn;
  }

  /** Reads one (possibly multi-line) reply; `what` says what it answers, for failure reports. */
  async reply(what = "a reply", timeoutMs?: number): Promise<SmtpReply> {
    const lines: string[] = [];
    const raws: string[] = [];
    let code = -1;
    for (;;) {
      const line = await this.conn.expectLine(what === "the greeting" ? what : `the reply to ${what}`, timeoutMs);
      raws.push(line);
      const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (m === null) throw new CaseFailure(`malformed SMTP reply line while waiting for ${what} (RFC 5321 §4.2)`, "a three-digit code, then SP or -", printable(line));
      const c = Number(m[1]);
      if (code >= 0 && c !== code) throw new CaseFailure(`the lines of one multi-line reply carry different codes (RFC 5321 §4.2.1)`, String(code), String(c));
      code = c;
      lines.push(m[3]!);
      if (m[2] !== "-") break;
      if (lines.length > MAX_REPLY_LINES) throw new CaseFailure(`a multi-line reply that does not end while waiting for ${what}`, `at most ${MAX_REPLY_LINES} lines`, `${lines.length} lines so far`);
    }
    const enh = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(lines[0] ?? "");
    return { code, lines, text: lines.join("\n"), enhanced: enh?.[1], raw: raws.join("\n") };
  }

  /** Reads a reply and checks its code. */
  async expect(want: CodeExpectation, what = "a reply", timeoutMs?: number): Promise<SmtpReply> {
    const r = await this.reply(what, timeoutMs);
    if (!codeMatches(r.code, want)) throw new CaseFailure(`unexpected reply to ${what}`, describeExpectation(want), printable(r.raw));
    return r;
  }

  async greeting(want: CodeExpectation = 220): Promise<SmtpReply> {
    return this.expect(want, "the greeting");
  }

  /** Sends a command and checks the reply code (when `want` is given). */
  async cmd(line: string, want?: CodeExpectation): Promise<SmtpReply> {
    await this.conn.send(line);
    const what = `"${redact(line)}"`;
    return want === undefined ? this.reply(what) : this.expect(want, what);
  }

  /** EHLO; remembers the advertised extensions. */
  async ehlo(domain = "client.conformance.test", want: CodeExpectation = 250): Promise<SmtpReply> {
    const r = await this.cmd(`EHLO ${domain}`, want);
    this.extensions = new Map();
    for (const l of r.lines.slice(1)) {
      const [kw, ...rest] = l.trim().split(/\s+/);
      if (kw) this.extensions.set(kw.toUpperCase(), rest.join(" "));
    }
    return r;
  }

  has(ext: string): boolean {
    return this.extensions.has(ext.toUpperCase());
  }

  /** AUTH mechanisms advertised in the last EHLO. */
  authMechanisms(): string[] {
    return (this.extensions.get("AUTH") ?? "").toUpperCase().split(/\s+/).filter(Boolean);
  }

  async authPlain(user: string, password: string, want: CodeExpectation = 235): Promise<SmtpReply> {
    const token = base64(`\0${user}\0${password}`);
    await this.conn.send(`AUTH PLAIN ${token}`);
    return this.expect(want, "AUTH PLAIN");
  }

  async authLogin(user: string, password: string, want: CodeExpectation = 235): Promise<SmtpReply> {
    await this.conn.send("AUTH LOGIN");
    await this.expect(334, "AUTH LOGIN (username challenge)");
    await this.conn.send(base64(user));
    await this.expect(334, "the AUTH LOGIN username (password challenge)");
    await this.conn.send(base64(password));
    return this.expect(want, "the AUTH LOGIN password");
  }

  async starttls(): Promise<void> {
    await this.cmd("STARTTLS", 220);
    await this.conn.startTls();
  }

  /** Sends the message octets after a 354: dot-stuffs, ends with CRLF.CRLF, returns the final reply. */
  async sendData(message: string, want?: CodeExpectation): Promise<SmtpReply> {
    await this.conn.sendRaw(dotStuff(message), `[message, ${message.length} octets, dot-stuffed]`);
    await this.conn.sendRaw(".\r\n", ".");
    return want === undefined ? this.reply("the end of DATA") : this.expect(want, "the end of DATA");
  }

  /** MAIL, RCPT…, DATA, message: the common happy path; returns the final reply. */
  async send(from: string, to: readonly string[], message: string, want: CodeExpectation = 250): Promise<SmtpReply> {
    await this.cmd(`MAIL FROM:<${from}>`, 250);
    for (const r of to) await this.cmd(`RCPT TO:<${r}>`, 250);
    await this.cmd("DATA", 354);
    return this.sendData(message, want);
  }

  async quit(): Promise<void> {
    await this.cmd("QUIT", 221);
    await this.conn.closedWithin(this.conn.timeoutMs);
  }
}

function redact(line: string): string {
  return /^AUTH\s+\S+\s+\S/i.test(line) ? line.replace(/^(AUTH\s+\S+\s+).*/i, "$1…") : line;
}

export function base64(s: string): string {
  // s is latin1/UTF-8 octets as a string; btoa works on latin1.
  return btoa(fromLatin1(new TextEncoder().encode(s)));
}

/** RFC 5321 §4.5.2: a line starting with "." gets another "."; the text must end with CRLF. */
export function dotStuff(message: string): string {
  const body = message.endsWith("\r\n") ? message : `${message}\r\n`;
  return body.replace(/(^|\r\n)\./g, "$1..");
}

export function octets(s: string): Uint8Array {
  return latin1(s);
}

/** A simple RFC 5322 message with CRLF line ends. */
export function simpleMessage(opts: { from?: string; to?: string; subject?: string; body?: string; extraHeaders?: string[] } = {}): string {
  const h = [
    `From: ${opts.from ?? "sender@conformance.test"}`,
    `To: ${opts.to ?? "recipient@conformance.test"}`,
    `Subject: ${opts.subject ?? "conformance"}`,
    "Date: Sat, 01 Jan 2000 00:00:00 +0000",
    "Message-ID: <conformance@conformance.test>",
    ...(opts.extraHeaders ?? []),
  ];
  return `${h.join("\r\n")}\r\n\r\n${(opts.body ?? "Hello.\r\n").replace(/\r?\n/g, "\r\n")}`;
}
