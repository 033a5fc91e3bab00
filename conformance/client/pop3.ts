// The POP3 side of the client DSL (RFC 1939, 2449, 5034, 2595, 3206):
//
//   const p = await t.pop3();
//   await p.greeting();
//   await p.login(user, password);
//   const list = await p.multi("LIST");
//   const msg = await p.retr(1);

import { CaseFailure } from "../case.ts";
import { printable } from "../wire-log.ts";
import { base64 } from "./smtp.ts";
import { utf8Octets, type LineConn } from "./line-conn.ts";

export interface PopStatus {
  readonly ok: boolean;
  /** Text after +OK / -ERR. */
  readonly text: string;
  /** RFC 2449/3206 response code, e.g. "SYS/TEMP", "AUTH", "IN-USE". */
  readonly code?: string;
  readonly raw: string;
}

export type PopExpectation = "+OK" | "-ERR" | undefined;

/** Largest multi-line body the client accepts (the cases' messages are far smaller). */
const MAX_BODY = 64 << 20;

export class Pop3Client {
  readonly conn: LineConn;
  constructor(conn: LineConn) {
    this.conn = conn;
  }

  async status(what: string, want?: PopExpectation): Promise<PopStatus> {
    const line = await this.conn.expectLine(what === "the greeting" ? what : `the answer to ${what}`);
    const m = /^(\+OK|-ERR)(?: (.*))?$/.exec(line);
    if (m === null) throw new CaseFailure(`malformed POP3 status line while waiting for ${what} (RFC 1939 §3)`, "+OK or -ERR", printable(line));
    const text = m[2] ?? "";
    const code = /^\[([^\]]+)\]/.exec(text)?.[1];
    const st: PopStatus = { ok: m[1] === "+OK", text, code, raw: line };
    if (want !== undefined && (want === "+OK") !== st.ok) throw new CaseFailure(`unexpected answer to ${what}`, want, printable(line));
    return st;
  }

  async greeting(): Promise<PopStatus> {
    return this.status("the greeting", "+OK");
  }

  async cmd(line: string, want?: PopExpectation): Promise<PopStatus> {
    await this.conn.send(line);
    return this.status(`"${/^PASS /i.test(line) ? "PASS …" : line}"`, want);
  }

  /** Reads the body of a multi-line response up to the terminating ".", dot-unstuffed. */
  async body(what: string): Promise<string[]> {
    const lines: string[] = [];
    let octets = 0;
    for (;;) {
      const l = await this.conn.expectLine(`the rest of the multi-line answer to ${what}`);
      if (l === ".") return lines;
      lines.push(l.startsWith(".") ? l.slice(1) : l);
      octets += l.length + 2;
      if (octets > MAX_BODY) throw new CaseFailure(`a multi-line answer to ${what} that does not end`, `at most ${MAX_BODY} octets before "."`, `${octets} octets so far`);
    }
  }

  /** A multi-line command: status line, and the body when it is +OK. */
  async multi(line: string, want: PopExpectation = "+OK"): Promise<{ status: PopStatus; lines: string[] }> {
    const status = await this.cmd(line, want);
    return { status, lines: status.ok ? await this.body(`"${line}"`) : [] };
  }

  /** USER and PASS, their arguments sent as UTF-8 octets. */
  async login(user: string, password: string): Promise<PopStatus> {
    await this.cmd(`USER ${utf8Octets(user)}`, "+OK");
    return this.cmd(`PASS ${utf8Octets(password)}`, "+OK");
  }

  async authPlain(user: string, password: string, want: PopExpectation = "+OK"): Promise<PopStatus> {
    return this.cmd(`AUTH PLAIN ${base64(`\0${user}\0${password}`)}`, want);
  }

  async capa(): Promise<string[]> {
    return (await this.multi("CAPA")).lines;
  }

  async stls(): Promise<void> {
    await this.cmd("STLS", "+OK");
    await this.conn.startTls();
  }

  /** RETR n: the message as octets with CRLF line ends (as the client reassembles it). */
  async retr(n: number): Promise<string> {
    const r = await this.multi(`RETR ${n}`);
    return r.lines.map((l) => `${l}\r\n`).join("");
  }

  /** STAT: count and size. */
  async stat(): Promise<{ count: number; size: number }> {
    const st = await this.cmd("STAT", "+OK");
    const m = /^(\d+) (\d+)/.exec(st.text);
    if (m === null) throw new CaseFailure("STAT answer is not \"+OK nn mm\" (RFC 1939 §5)", "+OK count size", printable(st.raw));
    return { count: Number(m[1]), size: Number(m[2]) };
  }

  /** LIST or UIDL as a map from message number to its second field. */
  async listing(command: "LIST" | "UIDL"): Promise<Map<number, string>> {
    const r = await this.multi(command);
    const out = new Map<number, string>();
    for (const l of r.lines) {
      const m = /^(\d+) (\S+)/.exec(l);
      if (m === null) throw new CaseFailure(`${command} line is not "n value" (RFC 1939 §5, §7)`, "msg-number SP value", printable(l));
      out.set(Number(m[1]), m[2]!);
    }
    return out;
  }

  async quit(want: PopExpectation = "+OK"): Promise<PopStatus> {
    const st = await this.cmd("QUIT", want);
    await this.conn.closedWithin(this.conn.timeoutMs);
    return st;
  }
}
