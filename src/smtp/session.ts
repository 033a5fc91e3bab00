// The SMTP server state machine (RFC 5321, RFC 6409 submission), sans I/O: it takes command
// lines, AUTH responses and message content, and returns replies plus what the driver must do
// next (read DATA, start TLS, close). It never touches a socket; it calls its SmtpBackend.
//
// Implementation notes (invariants):
// - A command is parsed and validated completely before any state changes (go-imap's rule).
// - RCPT is never checked against the store (SUB-6); the envelope reaches the store at DATA and
//   its verdict is the reply to DATA (SUB-9). RSET/MAIL/QUIT before DATA cost no IM2000 traffic
//   (SUB-14).
// - 250 after DATA only when the backend says the store acknowledged the last chunk (SUB-11).
// - No bounces, ever (SUB-12): DSN is not advertised and its parameters get 555 5.5.4.
// - Errors are counted; past the limit the session ends with 421 (mature servers do the same).
// - EHLO after AUTH keeps the authentication (RFC 4954 does not reset it); STARTTLS resets
//   everything learned before the handshake (RFC 3207 §4.2).

import type { SmtpMailbox } from "./address.ts";
import { parsePathAndParams } from "./address.ts";
import type { MessageSink, SmtpBackend } from "./backend.ts";
import { reply, type Reply } from "./reply.ts";
import { CommandTable, splitCommand } from "../line/command.ts";
import { decodeBase64Text } from "../util/base64.ts";

export interface SmtpSessionConfig {
  /** Name in the greeting and EHLO reply. */
  readonly hostname: string;
  /** Product text after the hostname in the greeting. */
  readonly banner: string;
  /** Largest message in octets; advertised with SIZE (RFC 1870). */
  readonly maxMessageSize: number;
  /** RCPTs per transaction (SUB-6: default 100, then 452 4.5.3). */
  readonly maxRecipients: number;
  /** Protocol errors before the session is closed with 421. */
  readonly maxErrors: number;
  /** SUB-3: allow AUTH PLAIN/LOGIN on a connection that is neither TLS nor loopback. */
  readonly allowPlainAuthWithoutTls: boolean;
  /** STARTTLS can be offered (a certificate is configured). */
  readonly starttls: boolean;
  /** Advertise and accept BDAT (RFC 3030). */
  readonly chunking: boolean;
}

/** The connection facts the session needs. */
export interface SmtpConnectionInfo {
  readonly remoteAddress: string;
  readonly loopback: boolean;
  /** TLS from the first octet (implicit TLS listener). */
  readonly tls: boolean;
  /**
   * The transport itself vouches for the client, so the session starts authenticated as this
   * account: `sendmail -bs` runs as the local user with that user's own MSOAP credentials, and its
   * callers (Symfony, Laravel) never send AUTH (shims LOC-6, LOC-3).
   */
  readonly authenticatedAs?: string;
}

export type Step =
  | { readonly kind: "reply"; readonly reply: Reply; readonly close?: boolean }
  /** Send the 334 challenge; the next line is a secret AUTH response for authResponse(). */
  | { readonly kind: "auth-challenge"; readonly reply: Reply }
  /** Send 354, then stream the dot-terminated content into data()/dataEnd(). */
  | { readonly kind: "data"; readonly reply: Reply }
  /** Read exactly `size` octets into data(); then bdatEnd(). */
  | { readonly kind: "bdat"; readonly size: number; readonly last: boolean }
  /** Read and discard `size` octets, then send `reply` (a BDAT that cannot be accepted). */
  | { readonly kind: "bdat-discard"; readonly size: number; readonly last: boolean; readonly reply: Reply }
  /** Send 220, then upgrade the connection to TLS and call tlsStarted(). */
  | { readonly kind: "starttls"; readonly reply: Reply };

type State = "start" | "ready" | "mail" | "rcpt";
type Handler = (args: string) => Promise<Step> | Step;

const R = {
  ok: reply(250, "2.0.0", "OK"),
  badSequence: (what: string) => reply(503, "5.5.1", what),
  syntax: (what: string) => reply(501, "5.5.4", what),
  unknown: reply(500, "5.5.2", "Syntax error, command unrecognized"),
  tooLong: reply(500, "5.5.2", "Line too long"),
};

/** Commands that mean the peer is not an SMTP client at all (Postfix: smtpd_forbidden_commands). */
const FORBIDDEN = new Set(["GET", "POST", "HEAD", "PUT", "CONNECT", "OPTIONS"]);

export class SmtpSession {
  readonly config: SmtpSessionConfig;
  readonly backend: SmtpBackend;
  #conn: SmtpConnectionInfo;
  #tls: boolean;
  #state: State = "start";
  #esmtp = false;
  #helo = "";
  #authenticatedAs: string | undefined;
  #errors = 0;
  #reversePath: SmtpMailbox | null = null;
  #recipients: SmtpMailbox[] = [];
  #sink: MessageSink | undefined;
  /** Content octets received for the current DATA/BDAT transaction. */
  #received = 0;
  #bdatFailed: Reply | undefined;
  /** MAIL carried SMTPUTF8 (RFC 6531): UTF-8 addresses allowed in this transaction. */
  #smtputf8 = false;
  #auth: { mech: "PLAIN" | "LOGIN"; user?: string } | undefined;
  readonly #table: CommandTable<State, Handler>;

  constructor(config: SmtpSessionConfig, backend: SmtpBackend, conn: SmtpConnectionInfo) {
    this.config = config;
    this.backend = backend;
    this.#conn = conn;
    this.#tls = conn.tls;
    this.#authenticatedAs = conn.authenticatedAs;
    const any: State[] = ["start", "ready", "mail", "rcpt"];
    const afterHelo: State[] = ["ready", "mail", "rcpt"];
    this.#table = new CommandTable<State, Handler>({
      EHLO: { states: any, handler: (a) => this.#hello(a, true) },
      HELO: { states: any, handler: (a) => this.#hello(a, false) },
      MAIL: { states: afterHelo, handler: (a) => this.#mail(a) },
      RCPT: { states: afterHelo, handler: (a) => this.#rcpt(a) },
      DATA: { states: afterHelo, handler: (a) => this.#data(a) },
      BDAT: { states: afterHelo, handler: (a) => this.#bdat(a) },
      RSET: { states: any, handler: (a) => this.#rset(a) },
      NOOP: { states: any, handler: () => ({ kind: "reply", reply: R.ok }) },
      QUIT: { states: any, handler: () => ({ kind: "reply", reply: reply(221, "2.0.0", "Bye"), close: true }) },
      VRFY: { states: any, handler: () => ({ kind: "reply", reply: reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery") }) },
      EXPN: { states: any, handler: () => ({ kind: "reply", reply: reply(502, "5.5.1", "EXPN is not supported") }) },
      HELP: { states: any, handler: () => ({ kind: "reply", reply: reply(214, "2.0.0", `Commands: ${this.#table.verbs().join(" ")}`, "See RFC 5321; this server submits to an IM2000 message store") }) },
      STARTTLS: { states: any, handler: (a) => this.#starttls(a) },
      AUTH: { states: afterHelo, handler: (a) => this.#authCommand(a) },
    });
  }

  get authenticatedAs(): string | undefined {
    return this.#authenticatedAs;
  }

  get tls(): boolean {
    return this.#tls;
  }

  /** "ESMTPSA" and friends (RFC 3848), for Received: fields. */
  get protocolName(): string {
    if (!this.#esmtp) return "SMTP";
    return `ESMTP${this.#tls ? "S" : ""}${this.#authenticatedAs !== undefined ? "A" : ""}`;
  }

  greeting(): Reply {
    return reply(220, undefined, `${this.config.hostname} ESMTP ${this.config.banner}`);
  }

  #error(r: Reply): Step {
    this.#errors++;
    if (this.#errors >= this.config.maxErrors) {
      return { kind: "reply", reply: reply(421, "4.7.0", `${this.config.hostname} Too many errors, closing connection`), close: true };
    }
    return { kind: "reply", reply: r };
  }

  /** The line was longer than the limit. */
  lineTooLong(): Step {
    return this.#error(R.tooLong);
  }

  /** One command line (without CRLF). */
  async command(line: string): Promise<Step> {
    if (line.includes("\0")) return this.#error(reply(500, "5.5.2", "NUL character in command"));
    const { verb, args } = splitCommand(line);
    if (FORBIDDEN.has(verb) && this.#state === "start") {
      return { kind: "reply", reply: reply(221, "2.7.0", "This is an SMTP server, not a web server"), close: true };
    }
    const found = this.#table.lookup(verb, this.#state);
    if (found.kind === "unknown") return this.#error(R.unknown);
    if (found.kind === "wrong-state") return this.#error(R.badSequence("Send HELO/EHLO first"));
    return found.handler(args);
  }

  #resetTransaction(): void {
    if (this.#sink !== undefined) {
      this.#sink.abandon();
      this.#sink = undefined;
    }
    this.#reversePath = null;
    this.#recipients = [];
    this.#received = 0;
    this.#bdatFailed = undefined;
    this.#smtputf8 = false;
    if (this.#state !== "start") this.#state = "ready";
  }

  #authAllowed(): boolean {
    // ref: shims SUB-3
    return this.#tls || this.#conn.loopback || this.config.allowPlainAuthWithoutTls;
  }

  #hello(args: string, extended: boolean): Step {
    const name = args.trim();
    if (name === "" || /\s/.test(name)) return this.#error(R.syntax(`Syntax: ${extended ? "EHLO" : "HELO"} hostname`));
    this.#resetTransaction(); // ref: rfc5321#4.1.4 (EHLO/HELO act as RSET)
    this.#state = "ready";
    this.#esmtp = extended;
    this.#helo = name;
    if (!extended) return { kind: "reply", reply: reply(250, undefined, `${this.config.hostname}`) };
    const ext = ["PIPELINING", `SIZE ${this.config.maxMessageSize}`, "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8"];
    if (this.config.chunking) ext.push("CHUNKING");
    if (this.config.starttls && !this.#tls) ext.push("STARTTLS");
    if (this.#authAllowed() && this.#authenticatedAs === undefined) ext.push("AUTH PLAIN LOGIN");
    ext.push("HELP");
    return { kind: "reply", reply: reply(250, undefined, `${this.config.hostname} greets ${name.slice(0, 100)}`, ...ext) };
  }

  #rset(args: string): Step {
    if (args.trim() !== "") return this.#error(R.syntax("Syntax: RSET"));
    this.#resetTransaction(); // ref: shims SUB-14 (no IM2000 traffic)
    return { kind: "reply", reply: R.ok };
  }

  #mail(args: string): Step {
    if (this.#state !== "ready") return this.#error(R.badSequence("Nested MAIL command"));
    if (!/^FROM:/i.test(args)) return this.#error(R.syntax("Syntax: MAIL FROM:<address>"));
    const parsed = parsePathAndParams(args.slice(5), true);
    if (!parsed.ok) return this.#error(parsed.error === "params" ? reply(555, "5.5.4", parsed.detail) : reply(501, "5.1.7", `Bad sender address syntax: ${parsed.detail}`));
    let size = 0;
    let smtputf8 = false;
    for (const [k, v] of parsed.params) {
      if (k === "SIZE") {
        if (v === true || !/^\d{1,15}$/.test(v)) return this.#error(reply(501, "5.5.4", "Bad SIZE parameter"));
        size = Number(v);
      } else if (k === "BODY") {
        if (v === true || !/^(7BIT|8BITMIME)$/i.test(v)) return this.#error(reply(555, "5.5.4", "Unsupported BODY type"));
      } else if (k === "SMTPUTF8") {
        if (v !== true) return this.#error(reply(555, "5.5.4", "SMTPUTF8 takes no value"));
        smtputf8 = true;
      } else if (k === "AUTH") {
        // RFC 4954 §5: accepted; the submitter's identity comes from our own AUTH, not this.
      } else {
        // Includes the DSN parameters RET and ENVID: no bounces, ever (ref: shims SUB-12).
        return this.#error(reply(555, "5.5.4", `Unsupported parameter ${k}`));
      }
    }
    if (parsed.mailbox?.utf8 && !smtputf8) return this.#error(reply(553, "5.6.7", "Non-ASCII address requires SMTPUTF8"));
    if (size > this.config.maxMessageSize) return { kind: "reply", reply: reply(552, "5.3.4", `Message size exceeds fixed limit of ${this.config.maxMessageSize}`) };
    if (this.backend.requiresAuth && this.#authenticatedAs === undefined) {
      return this.#error(reply(530, "5.7.0", "Authentication required")); // ref: shims SUB-4
    }
    // ref: shims SUB-5 — accepted, and never forwarded (MSOAP has no envelope sender).
    this.#reversePath = parsed.mailbox;
    this.#smtputf8 = smtputf8;
    this.#bdatFailed = undefined;
    this.#state = "mail";
    return { kind: "reply", reply: reply(250, "2.1.0", "Sender OK") };
  }

  #rcpt(args: string): Step {
    if (this.#state !== "mail" && this.#state !== "rcpt") return this.#error(R.badSequence("Need MAIL before RCPT"));
    if (!/^TO:/i.test(args)) return this.#error(R.syntax("Syntax: RCPT TO:<address>"));
    let arg = args.slice(3);
    // RFC 5321 §4.1.1.3: <Postmaster> without a domain must be accepted; it means ours.
    if (/^\s*<postmaster>/i.test(arg)) arg = arg.replace(/<postmaster>/i, `<postmaster@${this.config.hostname}>`);
    const parsed = parsePathAndParams(arg, false);
    if (!parsed.ok) {
      return this.#error(parsed.error === "params" ? reply(555, "5.5.4", parsed.detail) : reply(501, "5.1.3", `Bad recipient address syntax: ${parsed.detail}`));
    }
    for (const k of parsed.params.keys()) return this.#error(reply(555, "5.5.4", `Unsupported parameter ${k}`)); // NOTIFY, ORCPT: ref SUB-12
    const rcpt = parsed.mailbox!;
    if (rcpt.literal) return this.#error(reply(501, "5.1.3", "Address literals cannot be IM2000 recipients; use a domain")); // ref: SUB-6
    if (rcpt.utf8 && !this.#smtputf8) return this.#error(reply(553, "5.6.7", "Non-ASCII address requires SMTPUTF8")); // ref: rfc6531#3.4
    if (this.#recipients.length >= this.config.maxRecipients) return { kind: "reply", reply: reply(452, "4.5.3", "Too many recipients") };
    const refusal = this.backend.checkRecipient(rcpt, this.#reversePath, this.#recipients, this.#authenticatedAs);
    if (refusal !== undefined) return { kind: "reply", reply: refusal };
    this.#recipients.push(rcpt);
    this.#state = "rcpt";
    return { kind: "reply", reply: reply(250, "2.1.5", "Recipient OK") }; // ref: SUB-6 — not validated against the store
  }

  async #begin(): Promise<Step | undefined> {
    const started = await this.backend.begin({
      reversePath: this.#reversePath,
      recipients: this.#recipients,
      helo: this.#helo,
      remoteAddress: this.#conn.remoteAddress,
      tls: this.#tls,
      authenticatedAs: this.#authenticatedAs,
      protocolName: this.protocolName,
    });
    if (!started.ok) {
      this.#resetTransaction();
      return { kind: "reply", reply: started.reply, close: started.close };
    }
    this.#sink = started.sink;
    this.#received = 0;
    return undefined;
  }

  async #data(args: string): Promise<Step> {
    if (args.trim() !== "") return this.#error(R.syntax("Syntax: DATA"));
    if (this.#state === "ready") return this.#error(R.badSequence("Need MAIL command"));
    if (this.#state === "mail") return this.#error(reply(554, "5.5.1", "No valid recipients"));
    if (this.#sink !== undefined) return this.#error(R.badSequence("BDAT transaction in progress"));
    // ref: shims SUB-9 — the envelope goes to the store now; its verdict is this reply.
    const refused = await this.#begin();
    if (refused) return refused;
    return { kind: "data", reply: reply(354, undefined, "End data with <CR><LF>.<CR><LF>") };
  }

  /** Content octets (DATA unstuffed, or a BDAT chunk). */
  async data(bytes: Uint8Array): Promise<void> {
    this.#received += bytes.byteLength;
    if (this.#sink === undefined) return;
    if (this.#received > this.config.maxMessageSize) {
      this.#sink.abandon();
      this.#sink = undefined;
      return;
    }
    await this.#sink.write(bytes); // ref: shims SUB-10 — streamed as it arrives
  }

  /** The DATA terminator arrived. `oversized`: the decoder dropped content beyond the limit. */
  async dataEnd(oversized: boolean): Promise<Step> {
    const sink = this.#sink;
    this.#sink = undefined;
    const tooBig = oversized || this.#received > this.config.maxMessageSize;
    let r: Reply;
    if (tooBig || sink === undefined) {
      sink?.abandon();
      r = reply(552, "5.3.4", `Message size exceeds fixed limit of ${this.config.maxMessageSize}`);
    } else {
      r = await sink.finish();
    }
    this.#resetTransaction();
    return { kind: "reply", reply: r, close: r.code === 421 };
  }

  /** The client vanished (or timed out) in the middle of content: nothing may be stored. */
  dataAborted(): void {
    this.#resetTransaction();
  }

  // --- BDAT (RFC 3030) ---------------------------------------------------------------------

  async #bdat(args: string): Promise<Step> {
    const m = /^(\d{1,15})(?: +(LAST))?\s*$/i.exec(args);
    if (!this.config.chunking) return this.#error(R.unknown);
    if (!m) return this.#error(R.syntax("Syntax: BDAT size [LAST]"));
    const size = Number(m[1]);
    const last = m[2] !== undefined;
    if (this.#bdatFailed !== undefined) return { kind: "bdat-discard", size, last, reply: this.#bdatFailed };
    if (this.#state === "ready") return { kind: "bdat-discard", size, last, reply: R.badSequence("Need MAIL command") };
    if (this.#state === "mail") return { kind: "bdat-discard", size, last, reply: reply(554, "5.5.1", "No valid recipients") };
    if (this.#sink === undefined && this.#received === 0) {
      const refused = await this.#begin();
      if (refused && refused.kind === "reply") {
        // Later BDATs of this transaction are read and refused the same way (RFC 3030 §4.2).
        this.#bdatFailed = refused.reply;
        return { kind: "bdat-discard", size, last, reply: refused.reply };
      }
    }
    return { kind: "bdat", size, last };
  }

  /** After a BDAT chunk was fed through data(). */
  async bdatEnd(size: number, last: boolean): Promise<Step> {
    if (!last) {
      if (this.#received > this.config.maxMessageSize) {
        this.#bdatFailed = reply(552, "5.3.4", `Message size exceeds fixed limit of ${this.config.maxMessageSize}`);
        return { kind: "reply", reply: this.#bdatFailed };
      }
      return { kind: "reply", reply: reply(250, "2.0.0", `${size} octets received`) };
    }
    return this.dataEnd(false);
  }

  /** A BDAT that was discarded has ended: with LAST the transaction is over. */
  bdatDiscarded(last: boolean): void {
    if (last) this.#resetTransaction();
  }

  // --- STARTTLS (RFC 3207) -------------------------------------------------------------------

  #starttls(args: string): Step {
    if (args.trim() !== "") return this.#error(R.syntax("Syntax: STARTTLS"));
    if (this.#tls) return this.#error(R.badSequence("Already using TLS"));
    if (!this.config.starttls) return this.#error(reply(454, "4.7.0", "TLS not available"));
    if (this.#state === "start") return this.#error(R.badSequence("Send EHLO first"));
    if (this.#state !== "ready") return this.#error(R.badSequence("Mail transaction in progress"));
    return { kind: "starttls", reply: reply(220, "2.0.0", "Ready to start TLS") };
  }

  /** The handshake succeeded: forget everything learned before it (RFC 3207 §4.2). */
  tlsStarted(): void {
    this.#resetTransaction();
    this.#tls = true;
    this.#state = "start";
    this.#esmtp = false;
    this.#helo = "";
    this.#authenticatedAs = undefined;
  }

  // --- AUTH (RFC 4954; PLAIN RFC 4616; LOGIN) -----------------------------------------------

  #authCommand(args: string): Step | Promise<Step> {
    if (this.#authenticatedAs !== undefined) return this.#error(R.badSequence("Already authenticated"));
    if (this.#state !== "ready") return this.#error(R.badSequence("AUTH not permitted during a mail transaction"));
    if (!this.#authAllowed()) return this.#error(reply(538, "5.7.11", "Encryption required for requested authentication mechanism")); // ref: SUB-3
    const [mechRaw, initial, extra] = args.trim().split(/ +/);
    if (extra !== undefined || mechRaw === undefined || mechRaw === "") return this.#error(R.syntax("Syntax: AUTH mechanism [initial-response]"));
    const mech = mechRaw.toUpperCase();
    if (mech === "PLAIN") {
      if (initial === undefined) {
        this.#auth = { mech: "PLAIN" };
        return { kind: "auth-challenge", reply: reply(334, undefined, "") };
      }
      return this.#plain(initial);
    }
    if (mech === "LOGIN") {
      if (initial === undefined) {
        this.#auth = { mech: "LOGIN" };
        return { kind: "auth-challenge", reply: reply(334, undefined, "VXNlcm5hbWU6") };
      }
      const user = decodeBase64Text(initial);
      if (user === undefined) return this.#error(reply(501, "5.5.2", "Invalid base64 data"));
      this.#auth = { mech: "LOGIN", user };
      return { kind: "auth-challenge", reply: reply(334, undefined, "UGFzc3dvcmQ6") };
    }
    return this.#error(reply(504, "5.5.4", "Unrecognized authentication type"));
  }

  /** The client's answer to a 334 challenge (a secret: never traced). */
  async authResponse(line: string): Promise<Step> {
    const a = this.#auth;
    this.#auth = undefined;
    if (a === undefined) return this.#error(R.badSequence("No AUTH in progress"));
    if (line.trim() === "*") return this.#error(reply(501, "5.0.0", "Authentication cancelled"));
    if (a.mech === "PLAIN") return this.#plain(line.trim());
    const text = decodeBase64Text(line.trim());
    if (text === undefined) return this.#error(reply(501, "5.5.2", "Invalid base64 data"));
    if (a.user === undefined) {
      this.#auth = { mech: "LOGIN", user: text };
      return { kind: "auth-challenge", reply: reply(334, undefined, "UGFzc3dvcmQ6") };
    }
    return this.#login(a.user, text);
  }

  async #plain(b64: string): Promise<Step> {
    const text = b64 === "=" ? "" : decodeBase64Text(b64);
    if (text === undefined) return this.#error(reply(501, "5.5.2", "Invalid base64 data"));
    const parts = text.split("\0");
    if (parts.length !== 3) return this.#error(reply(501, "5.5.2", "Malformed PLAIN response"));
    const [authzid, authcid, password] = parts as [string, string, string];
    // An authorization identity other than the login itself cannot be passed to MSOAP.
    if (authzid !== "" && authzid !== authcid) return this.#error(reply(535, "5.7.8", "Authorization identity not permitted"));
    return this.#login(authcid, password);
  }

  async #login(account: string, password: string): Promise<Step> {
    if (account === "") return this.#error(reply(535, "5.7.8", "Authentication credentials invalid"));
    const r = await this.backend.authenticate(account, password); // ref: shims SUB-2
    if (r.ok) {
      this.#authenticatedAs = account;
      return { kind: "reply", reply: r.reply };
    }
    if (r.close) return { kind: "reply", reply: r.reply, close: true };
    return this.#error(r.reply);
  }

  /** Connection ended (any reason): abandon a half-received message, close backend sessions. */
  async end(): Promise<void> {
    this.#resetTransaction();
    await this.backend.close();
  }
}
