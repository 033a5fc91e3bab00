// The POP3 server state machine (RFC 1939, RFC 2449 CAPA, RFC 5034 SASL, RFC 2595 STLS, RFC 3206
// response codes), sans I/O: command lines in, replies and streaming instructions out. The
// IM2000 side is a Pop3Backend (src/pop3/im2000-backend.ts), so this file never sees a PDU.
//
// Implementation notes (invariants):
// - AUTHORIZATION → TRANSACTION only after the backend has authenticated at the RNA, taken the
//   maildrop lock and saved the notifications durably (POP-1, POP-2).
// - The maildrop is frozen at login (POP-4): numbers 1..N never change during the session.
// - DELE only marks; RSET unmarks; only QUIT from TRANSACTION enters UPDATE (POP-9); a session
//   that ends any other way changes nothing (POP-10, RFC 1939 §6).
// - Message numbers and counts are parsed strictly: digits only, no sign, no leading zeros.

import { CommandTable, splitCommand } from "../line/command.ts";
import type { Pop3Backend, Pop3Maildrop } from "./backend.ts";
import { decodeBase64Text } from "../util/base64.ts";

export interface Pop3SessionConfig {
  readonly hostname: string;
  /** POP-1: USER/PASS/AUTH on a connection that is neither TLS nor loopback. */
  readonly allowPlainAuthWithoutTls: boolean;
  readonly stls: boolean;
  readonly maxErrors: number;
  /** Shown in CAPA IMPLEMENTATION. */
  readonly implementation: string;
}

export interface Pop3ConnectionInfo {
  readonly loopback: boolean;
  readonly tls: boolean;
}

export type Pop3Step =
  | { readonly kind: "reply"; readonly lines: readonly string[]; readonly close?: boolean }
  /** Send "+ challenge"; the next line is a secret SASL response for authResponse(). */
  | { readonly kind: "auth-challenge"; readonly line: string }
  /** Send the status line, then the body dot-stuffed and terminated (RETR, TOP). */
  | { readonly kind: "stream"; readonly status: string; readonly body: AsyncIterable<Uint8Array> }
  /** Send +OK, then run the TLS handshake and call tlsStarted(). */
  | { readonly kind: "starttls"; readonly line: string };

type State = "authorization" | "transaction";
type Handler = (args: string) => Promise<Pop3Step> | Pop3Step;

const ok = (text: string): Pop3Step => ({ kind: "reply", lines: [`+OK ${text}`] });
const err = (text: string): Pop3Step => ({ kind: "reply", lines: [`-ERR ${text}`] });
const multi = (first: string, lines: readonly string[]): Pop3Step => ({ kind: "reply", lines: [`+OK ${first}`, ...lines.map((l) => (l.startsWith(".") ? `.${l}` : l)), "."] });

export class Pop3Session {
  readonly config: Pop3SessionConfig;
  readonly backend: Pop3Backend;
  #conn: Pop3ConnectionInfo;
  #tls: boolean;
  #state: State = "authorization";
  #user: string | undefined;
  #maildrop: Pop3Maildrop | undefined;
  #deleted = new Set<number>();
  #errors = 0;
  #saslPending = false;
  readonly #table: CommandTable<State, Handler>;

  constructor(config: Pop3SessionConfig, backend: Pop3Backend, conn: Pop3ConnectionInfo) {
    this.config = config;
    this.backend = backend;
    this.#conn = conn;
    this.#tls = conn.tls;
    const auth: State[] = ["authorization"];
    const tx: State[] = ["transaction"];
    const both: State[] = ["authorization", "transaction"];
    this.#table = new CommandTable<State, Handler>({
      CAPA: { states: both, handler: () => this.#capa() },
      QUIT: { states: both, handler: () => this.#quit() },
      NOOP: { states: tx, handler: () => ok("") },
      USER: { states: auth, handler: (a) => this.#userCmd(a) },
      PASS: { states: auth, handler: (a) => this.#pass(a) },
      AUTH: { states: auth, handler: (a) => this.#auth(a) },
      STLS: { states: auth, handler: () => this.#stls() },
      APOP: { states: auth, handler: () => this.#error("[AUTH] APOP is not supported") },
      STAT: { states: tx, handler: () => this.#stat() },
      LIST: { states: tx, handler: (a) => this.#list(a) },
      UIDL: { states: tx, handler: (a) => this.#uidl(a) },
      RETR: { states: tx, handler: (a) => this.#retr(a) },
      TOP: { states: tx, handler: (a) => this.#top(a) },
      DELE: { states: tx, handler: (a) => this.#dele(a) },
      RSET: { states: tx, handler: () => this.#rset() },
    });
  }

  get state(): State {
    return this.#state;
  }

  greeting(): string {
    // No APOP timestamp: credentials go to the RNA in the clear form RNAQP needs (POP-1).
    return `+OK ${this.config.hostname} IM2000 POP3 shim ready`;
  }

  #error(text: string): Pop3Step {
    this.#errors++;
    if (this.#errors >= this.config.maxErrors) return { kind: "reply", lines: [`-ERR ${text}`, "-ERR Too many errors, closing connection"], close: true };
    return err(text);
  }

  lineTooLong(): Pop3Step {
    return this.#error("Line too long");
  }

  async command(line: string): Promise<Pop3Step> {
    if (line.includes("\0")) return this.#error("NUL character in command");
    const { verb, args } = splitCommand(line);
    const found = this.#table.lookup(verb, this.#state);
    if (found.kind === "unknown") return this.#error("Unknown command");
    if (found.kind === "wrong-state") return this.#error(this.#state === "authorization" ? "Not logged in" : "Command not valid in this state");
    return found.handler(args);
  }

  #plainAllowed(): boolean {
    return this.#tls || this.#conn.loopback || this.config.allowPlainAuthWithoutTls; // ref: shims POP-1
  }

  #capa(): Pop3Step {
    const caps = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
    if (this.#state === "authorization") {
      if (this.#plainAllowed()) caps.push("USER", "SASL PLAIN");
      if (this.config.stls && !this.#tls) caps.push("STLS");
    }
    caps.push(`IMPLEMENTATION ${this.config.implementation}`);
    return multi("Capability list follows", caps);
  }

  async #quit(): Promise<Pop3Step> {
    if (this.#state !== "transaction" || this.#maildrop === undefined) return { kind: "reply", lines: [`+OK ${this.config.hostname} signing off`], close: true };
    // ref: rfc1939#6, shims POP-9 — the UPDATE state
    const marked = [...this.#deleted].sort((a, b) => a - b);
    const failed = marked.length > 0 ? await this.#maildrop.update(marked) : 0;
    await this.#end();
    if (failed > 0) return { kind: "reply", lines: ["-ERR [SYS/TEMP] some deleted messages not removed"], close: true };
    return { kind: "reply", lines: [`+OK ${this.config.hostname} signing off (${marked.length} message${marked.length === 1 ? "" : "s"} deleted)`], close: true };
  }

  #userCmd(args: string): Pop3Step {
    if (!this.#plainAllowed()) return this.#error("[AUTH] Plaintext authentication disallowed on non-secure connections; use STLS");
    const name = args.trim();
    if (name === "" || name.length > 255) return this.#error("Syntax: USER name");
    this.#user = name;
    return ok("send PASS");
  }

  async #pass(args: string): Promise<Pop3Step> {
    if (this.#user === undefined) return this.#error("Send USER first");
    const user = this.#user;
    this.#user = undefined;
    // RFC 1939 §7: the password is the rest of the line, spaces included.
    return this.#login(user, args);
  }

  #auth(args: string): Pop3Step | Promise<Pop3Step> {
    const [mech, initial, extra] = args.trim().split(/ +/);
    if (mech === undefined || mech === "") {
      // RFC 5034 §4 (and RFC 1734 clients): list the mechanisms.
      return multi("", this.#plainAllowed() ? ["PLAIN"] : []);
    }
    if (!this.#plainAllowed()) return this.#error("[AUTH] Plaintext authentication disallowed on non-secure connections; use STLS");
    if (mech.toUpperCase() !== "PLAIN" || extra !== undefined) return this.#error("Unsupported authentication mechanism");
    if (initial === undefined) {
      this.#saslPending = true;
      return { kind: "auth-challenge", line: "+ " };
    }
    return this.#plain(initial);
  }

  /** The answer to a "+ " challenge (a secret, never traced). */
  async authResponse(line: string): Promise<Pop3Step> {
    if (!this.#saslPending) return this.#error("No authentication in progress");
    this.#saslPending = false;
    if (line.trim() === "*") return this.#error("Authentication cancelled");
    return this.#plain(line.trim());
  }

  async #plain(b64: string): Promise<Pop3Step> {
    const text = b64 === "=" ? "" : decodeBase64Text(b64);
    if (text === undefined) return this.#error("Invalid base64 data");
    const parts = text.split("\0");
    if (parts.length !== 3) return this.#error("Malformed PLAIN response");
    const [authzid, authcid, password] = parts as [string, string, string];
    if (authzid !== "" && authzid !== authcid) return this.#error("[AUTH] Authorization identity not permitted");
    return this.#login(authcid, password);
  }

  async #login(account: string, password: string): Promise<Pop3Step> {
    if (account === "") return this.#error("[AUTH] Authentication failed");
    const r = await this.backend.login(account, password); // ref: shims POP-1, POP-2
    if (!r.ok) {
      if (r.reason === "auth") return this.#error("[AUTH] Authentication failed");
      if (r.reason === "in-use") return this.#error("[IN-USE] Mailbox is locked by another session");
      return this.#error(`[SYS/TEMP] ${r.detail}`);
    }
    this.#maildrop = r.maildrop;
    this.#state = "transaction";
    this.#deleted.clear();
    return ok(`Logged in; ${r.maildrop.count} message${r.maildrop.count === 1 ? "" : "s"}`);
  }

  #stls(): Pop3Step {
    if (this.#tls) return this.#error("Already using TLS");
    if (!this.config.stls) return this.#error("STLS not available");
    return { kind: "starttls", line: "+OK Begin TLS negotiation" };
  }

  /** The handshake succeeded: forget what was said before it (RFC 2595 §4). */
  tlsStarted(): void {
    this.#tls = true;
    this.#user = undefined;
  }

  /** Parses a message number; undefined (with an error step) when bad, deleted or absent. */
  #msg(arg: string): number | Pop3Step {
    const m = arg.trim();
    if (!/^[1-9]\d{0,9}$/.test(m)) return this.#error("Invalid message number");
    const n = Number(m);
    if (n > this.#maildrop!.count) return this.#error("No such message");
    if (this.#deleted.has(n)) return this.#error(`Message ${n} already deleted`);
    return n;
  }

  async #stat(): Promise<Pop3Step> {
    const d = this.#maildrop!;
    let count = 0;
    let total = 0;
    const sizes = await d.sizes(); // ref: shims POP-5
    for (let i = 1; i <= d.count; i++) {
      if (this.#deleted.has(i)) continue;
      count++;
      total += sizes[i - 1]!;
    }
    return ok(`${count} ${total}`);
  }

  async #list(args: string): Promise<Pop3Step> {
    const d = this.#maildrop!;
    if (args.trim() !== "") {
      const n = this.#msg(args);
      if (typeof n !== "number") return n;
      return ok(`${n} ${(await d.sizes())[n - 1]}`);
    }
    const sizes = await d.sizes();
    const lines: string[] = [];
    for (let i = 1; i <= d.count; i++) if (!this.#deleted.has(i)) lines.push(`${i} ${sizes[i - 1]}`);
    return multi(`${lines.length} messages`, lines);
  }

  #uidl(args: string): Pop3Step {
    const d = this.#maildrop!;
    if (args.trim() !== "") {
      const n = this.#msg(args);
      if (typeof n !== "number") return n;
      return ok(`${n} ${d.uid(n)}`); // ref: shims POP-6
    }
    const lines: string[] = [];
    for (let i = 1; i <= d.count; i++) if (!this.#deleted.has(i)) lines.push(`${i} ${d.uid(i)}`);
    return multi("", lines);
  }

  async #retr(args: string): Promise<Pop3Step> {
    const n = this.#msg(args);
    if (typeof n !== "number") return n;
    const d = this.#maildrop!;
    const opened = await d.open(n, "all"); // ref: shims POP-7, POP-11, POP-12
    if (!opened.ok) return this.#error(`[SYS/TEMP] ${opened.detail}`);
    // The first page's size is the exact MSRAP size (POP-5): no need to wait for every size.
    return { kind: "stream", status: `+OK ${opened.size ?? (await d.sizes())[n - 1]} octets`, body: opened.body };
  }

  async #top(args: string): Promise<Pop3Step> {
    const parts = args.trim().split(/ +/);
    if (parts.length !== 2 || !/^\d{1,9}$/.test(parts[1]!)) return this.#error("Syntax: TOP msg lines");
    const n = this.#msg(parts[0]!);
    if (typeof n !== "number") return n;
    const lines = Number(parts[1]);
    const opened = await this.#maildrop!.open(n, lines === 0 ? "headers" : "all"); // ref: shims POP-8, POP-15
    if (!opened.ok) return this.#error(`[SYS/TEMP] ${opened.detail}`);
    return { kind: "stream", status: "+OK top of message follows", body: lines === 0 ? opened.body : topLines(opened.body, lines) };
  }

  #dele(args: string): Pop3Step {
    const n = this.#msg(args);
    if (typeof n !== "number") return n;
    this.#deleted.add(n); // ref: shims POP-9 — only marks
    return ok(`Message ${n} deleted`);
  }

  #rset(): Pop3Step {
    const n = this.#deleted.size;
    this.#deleted.clear();
    return ok(`${n} message${n === 1 ? "" : "s"} undeleted`);
  }

  async #end(): Promise<void> {
    const d = this.#maildrop;
    this.#maildrop = undefined;
    await d?.close();
  }

  /** The connection ended without QUIT: nothing is un-pinned or deleted (POP-10). */
  async end(): Promise<void> {
    await this.#end();
  }
}

/** TOP n k with k > 0: the header section and the first k lines of the body. */
async function* topLines(body: AsyncIterable<Uint8Array>, k: number): AsyncGenerator<Uint8Array> {
  let inHeader = true;
  let prevLf = true; // at the start of a line
  let emptyLine = false;
  let left = k;
  const it = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      const chunk = r.value;
      let end = chunk.byteLength;
      for (let i = 0; i < chunk.byteLength; i++) {
        const b = chunk[i]!;
        if (inHeader) {
          if (b === 0x0a) {
            if (emptyLine || prevLf) inHeader = false;
            prevLf = true;
            emptyLine = false;
          } else if (b !== 0x0d) {
            prevLf = false;
            emptyLine = false;
          } else if (prevLf) emptyLine = true;
          continue;
        }
        if (b === 0x0a) {
          left--;
          if (left === 0) {
            end = i + 1;
            break;
          }
        }
      }
      if (!inHeader && left === 0) {
        yield chunk.subarray(0, end);
        return;
      }
      yield chunk;
    }
  } finally {
    await it.return?.();
  }
}
