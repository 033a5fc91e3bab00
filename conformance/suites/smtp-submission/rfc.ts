// Suite smtp-submission, the RFC behaviour of a submission server: RFC 5321 state machine and
// replies, SIZE, PIPELINING, CHUNKING, ENHANCEDSTATUSCODES, STARTTLS, AUTH.

import { base64 } from "../../client/smtp.ts";
import { printable } from "../../wire-log.ts";
import { checkEnhanced, committed, connected, contentText, expectCode, loggedIn, message, names, type Case } from "../smtp-common.ts";
import { S } from "./common.ts";

export const rfcCases: Case[] = [
  // ---------------------------------------------------------------------------------------- RFC 5321
  {
    id: `${S}/RFC5321/helo-accepted`,
    level: "MUST",
    ref: "RFC 5321 §4.1.1.1",
    requirement: "Servers must accept HELO as well as EHLO.",
    async run(t) {
      const s = await t.smtp();
      await s.greeting();
      await s.cmd("HELO client.conformance.test", 250);
    },
  },
  {
    id: `${S}/RFC5321/verbs-are-case-insensitive`,
    level: "MUST",
    ref: "RFC 5321 §2.4",
    requirement: "Commands and parameters are case-insensitive (Python's smtplib sends lower-case verbs).",
    async run(t) {
      const { account, password } = t.account();
      const s = await t.smtp();
      await s.greeting();
      await s.cmd("ehlo client.conformance.test", 250);
      await s.conn.send(`auth plain ${base64(`\0${account}\0${password}`)}`);
      await s.expect(235, "auth plain");
      await s.cmd(`mail FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`rcpt to:<${t.address()}>`, 250);
      await s.cmd("data", 354);
      await s.sendData(message(t), 250);
    },
  },
  {
    id: `${S}/RFC5321/unknown-command-500`,
    level: "MUST",
    ref: "RFC 5321 §4.2.4",
    requirement: "An unrecognised command gets 500 (or 502) and the session goes on.",
    async run(t) {
      const s = await connected(t);
      await s.cmd("XYZZY plugh", [500, 502]);
      await s.cmd("NOOP", 250);
    },
  },
  {
    id: `${S}/RFC5321/rcpt-before-mail-503`,
    level: "MUST",
    ref: "RFC 5321 §4.1.4",
    requirement: "RCPT without a preceding MAIL is out of sequence (503).",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`RCPT TO:<${t.address()}>`, 503);
    },
  },
  {
    id: `${S}/RFC5321/data-without-recipients`,
    level: "MUST",
    ref: "RFC 5321 §3.3",
    requirement: "DATA with no accepted RCPT gets 503 or 554, and nothing reaches the store.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd("DATA", [503, 554]);
      t.check(t.store.submissions.length === 0, "no envelope without recipients", "none", String(t.store.submissions.length));
    },
  },
  {
    id: `${S}/RFC5321/noop-rset-quit`,
    level: "MUST",
    ref: "RFC 5321 §4.1.1.5, §4.1.1.9, §4.1.1.10",
    requirement: "NOOP and RSET get 250; QUIT gets 221 and the server closes the connection.",
    async run(t) {
      const s = await connected(t);
      await s.cmd("NOOP", 250);
      await s.cmd("RSET", 250);
      await s.cmd("QUIT", 221);
      t.check(await s.conn.closedWithin(t.timeoutMs), "the server closes the connection after 221", "closed", "still open");
    },
  },
  {
    id: `${S}/RFC5321/overlong-command-line`,
    level: "SHOULD",
    ref: "RFC 5321 §4.5.3.1.4, §4.2.4; DESIGN every input bounded",
    requirement: "A command line far beyond any reasonable limit (64 KiB) gets a clear error (500 line too long, or 421 and close), never a silent truncation or a hang; when the session goes on it stays in step.",
    async run(t) {
      const s = await connected(t);
      await s.conn.sendRaw(`NOOP ${"x".repeat(65_536)}\r\n`, "NOOP followed by 64 KiB of x");
      const r = await s.reply("the overlong line");
      t.check(r.code === 500 || r.code === 421, "an overlong line is refused", "500 (or 421 and close)", printable(r.raw));
      if (r.code === 500) await s.cmd("NOOP", 250);
    },
  },
  {
    id: `${S}/RFC5321/bare-lf-dot-does-not-end-data`,
    level: "MUST",
    ref: "RFC 5321 §4.1.1.4; RFC 5321 §2.3.8",
    requirement: "Only CRLF.CRLF ends the mail data: a bare LF.LF must not end it (the SMTP smuggling class). The shim either keeps it as data or refuses the message.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      const smuggled = `${message(t, "before\r\n")}\n.\nMAIL FROM:<${t.address("smuggler")}>\r\nRCPT TO:<${t.address("victim")}>\r\nDATA\r\nsmuggled\r\n`;
      await s.conn.sendRaw(smuggled);
      await s.conn.sendRaw(".\r\n", ".");
      const r = await s.reply("the end of DATA");
      await s.cmd("NOOP", 250);
      const subs = t.store.committed();
      t.check(subs.length <= 1, "exactly one message (or none) may result", "≤ 1 committed submission", String(subs.length));
      // Whether bare LFs are kept or normalised to CRLF, what follows them must stay message data.
      if (r.code === 250) t.check(subs.length === 1 && /\n\.\r?\nMAIL FROM:<smuggler/.test(contentText(subs[0]!)), "the text after a bare LF.LF stays part of the message", "the smuggled MAIL FROM inside the stored content", subs.length === 1 ? printable(contentText(subs[0]!).slice(-120)) : `${subs.length} messages`);
      else t.check(subs.length === 0, "a refused message is not stored", "0", String(subs.length));
    },
  },
  // ---------------------------------------------------------------------------------------- SIZE
  {
    id: `${S}/RFC1870/size-advertised`,
    level: "MUST",
    ref: "RFC 1870 §4; conformance interface IM2000_MAX_MESSAGE_SIZE",
    requirement: "The maximum message size is advertised with SIZE.",
    async run(t) {
      const s = await connected(t);
      t.check(s.has("SIZE"), "EHLO lists SIZE", `SIZE ${t.shim.maxMessageSize}`, "no SIZE keyword");
      t.check(Number(s.extensions.get("SIZE")) === t.shim.maxMessageSize, "SIZE carries the configured maximum", String(t.shim.maxMessageSize), s.extensions.get("SIZE") ?? "");
    },
  },
  {
    id: `${S}/RFC1870/declared-size-too-big-552`,
    level: "MUST",
    ref: "RFC 1870 §6.1",
    requirement: "MAIL with a SIZE parameter above the maximum gets 552 (5.3.4).",
    async run(t) {
      const { s } = await loggedIn(t);
      const r = await s.cmd(`MAIL FROM:<${t.address("sender")}> SIZE=${t.shim.maxMessageSize + 1}`, 552);
      checkEnhanced(s, r, "5.3.4", "MAIL with an oversized SIZE");
    },
  },
  {
    id: `${S}/RFC1870/oversized-data-refused`,
    level: "MUST",
    ref: "RFC 1870 §6.3; DESIGN every input bounded",
    requirement: "A message larger than the maximum is refused after the final dot (552) and nothing is stored.",
    timeoutMs: 30_000,
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      const line = `${"o".repeat(998)}\r\n`;
      const body = line.repeat(Math.ceil((t.shim.maxMessageSize + 10_000) / line.length));
      const end = await s.sendData(message(t, body));
      expectCode(end, [552, 554], "the end of an oversized DATA");
      t.check(t.store.committed().length === 0, "nothing stored", "0", String(t.store.committed().length));
      await s.cmd("NOOP", 250);
    },
  },
  // ---------------------------------------------------------------------------------------- PIPELINING
  {
    id: `${S}/RFC2920/pipelining-advertised`,
    level: "SHOULD",
    ref: "RFC 2920; RFC 6409 §4.4",
    requirement: "A submission server should advertise PIPELINING.",
    async run(t) {
      const s = await connected(t);
      t.check(s.has("PIPELINING"), "EHLO lists PIPELINING", "PIPELINING", [...s.extensions.keys()].join(" "));
    },
  },
  {
    id: `${S}/RFC2920/pipelined-transaction`,
    level: "MUST",
    ref: "RFC 2920 §3.1",
    requirement: "With PIPELINING, MAIL, RCPT… and DATA sent in one go are answered in order.",
    async run(t) {
      const { s } = await loggedIn(t);
      if (!s.has("PIPELINING")) t.skip("PIPELINING is not advertised");
      await s.conn.sendMany([`MAIL FROM:<${t.address("sender")}>`, `RCPT TO:<${t.address("a")}>`, `RCPT TO:<${t.address("b")}>`, "DATA"]);
      await s.expect(250, "the pipelined MAIL");
      await s.expect(250, "the first pipelined RCPT");
      await s.expect(250, "the second pipelined RCPT");
      await s.expect(354, "the pipelined DATA");
      await s.sendData(message(t), 250);
      committed(t, 1, "the pipelined transaction is submitted");
    },
  },
  {
    id: `${S}/RFC2920/pipelined-with-denied-recipient`,
    level: "MUST",
    ref: "RFC 2920 §3.1; shims SUB-9",
    requirement: "When a pipelined DATA is refused, message data the client already sent is read as commands and refused, and the session stays in step.",
    async run(t) {
      const { s } = await loggedIn(t);
      if (!s.has("PIPELINING")) t.skip("PIPELINING is not advertised");
      t.store.verdict = () => "submissionaccessdenied";
      await s.conn.sendMany([`MAIL FROM:<${t.address("sender")}>`, `RCPT TO:<${t.address()}>`, "DATA"]);
      await s.expect(250, "MAIL");
      await s.expect(250, "RCPT");
      await s.expect("5xx", "DATA with every recipient denied");
      await s.cmd("RSET", 250);
      t.check(t.store.chunkCount() === 0, "no chunk", "0", String(t.store.chunkCount()));
    },
  },
  // ---------------------------------------------------------------------------------------- CHUNKING
  {
    id: `${S}/RFC3030/bdat-octets-unchanged`,
    level: "MUST",
    ref: "RFC 3030 §2, §4; shims SUB-10",
    requirement: "With CHUNKING, BDAT chunks are taken octet for octet (no dot-stuffing) and reach the store unchanged; the final reply comes after BDAT … LAST.",
    async run(t) {
      const { s } = await loggedIn(t);
      if (!s.has("CHUNKING")) t.skip("CHUNKING is not advertised");
      const msg = message(t, ".not stuffed\r\n..two dots stay two\r\n");
      const cut = Math.floor(msg.length / 2);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.conn.sendRaw(`BDAT ${cut}\r\n${msg.slice(0, cut)}`, `BDAT ${cut} + ${cut} octets`);
      await s.expect(250, "the first BDAT");
      await s.conn.sendRaw(`BDAT ${msg.length - cut} LAST\r\n${msg.slice(cut)}`, `BDAT ${msg.length - cut} LAST + ${msg.length - cut} octets`);
      await s.expect(250, "BDAT … LAST");
      const [sub] = committed(t, 1, "the BDAT message is submitted");
      t.check(contentText(sub!) === msg, "BDAT content arrives octet for octet", printable(msg.slice(-50)), printable(contentText(sub!).slice(-50)));
    },
  },
  {
    id: `${S}/RFC3030/bdat-denied-envelope`,
    level: "MUST",
    ref: "RFC 3030 §4.2; shims SUB-9",
    requirement: "With BDAT, envelope errors are reported at the reply to the first BDAT (the DATA equivalent), naming the refused recipient; nothing is stored.",
    async run(t) {
      const { s } = await loggedIn(t);
      if (!s.has("CHUNKING")) t.skip("CHUNKING is not advertised");
      const denied = t.address("denied");
      t.store.replies.push("envelope", { recipients: ["acceptable", "submissionaccessdenied"] });
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd(`RCPT TO:<${denied}>`, 250);
      const msg = message(t);
      await s.conn.sendRaw(`BDAT ${msg.length} LAST\r\n${msg}`, `BDAT ${msg.length} LAST + message`);
      const r = await s.expect("5xx", "BDAT with a denied recipient");
      t.check(names(r, denied), "the reply names the refused recipient", denied, printable(r.raw));
      t.check(t.store.chunkCount() === 0, "nothing stored", "0 chunks", String(t.store.chunkCount()));
      await s.cmd("RSET", 250);
    },
  },
  // ---------------------------------------------------------------------------------------- ENHANCEDSTATUSCODES
  {
    id: `${S}/RFC2034/enhanced-status-codes`,
    level: "SHOULD",
    ref: "RFC 2034 §3; RFC 3463",
    requirement: "ENHANCEDSTATUSCODES is advertised and replies after EHLO carry enhanced codes.",
    async run(t) {
      const { s } = await loggedIn(t);
      t.check(s.has("ENHANCEDSTATUSCODES"), "EHLO lists ENHANCEDSTATUSCODES", "ENHANCEDSTATUSCODES", [...s.extensions.keys()].join(" "));
      const r = await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      t.check(r.enhanced !== undefined && r.enhanced.startsWith("2."), "the MAIL reply carries an enhanced code", "250 2.x.x …", printable(r.raw));
    },
  },
  // ---------------------------------------------------------------------------------------- STARTTLS
  {
    id: `${S}/RFC3207/starttls-advertised`,
    level: "MUST",
    ref: "RFC 3207 §4; conformance interface IM2000_SHIM_PORT",
    requirement: "The plain listener offers STARTTLS.",
    async run(t) {
      const s = await connected(t);
      t.check(s.has("STARTTLS"), "EHLO lists STARTTLS", "STARTTLS", [...s.extensions.keys()].join(" "));
    },
  },
  {
    id: `${S}/RFC3207/starttls-then-submit`,
    level: "MUST",
    ref: "RFC 3207 §4.2",
    requirement: "After STARTTLS the client starts over with EHLO (STARTTLS no longer offered) and can authenticate and submit.",
    async run(t) {
      const s = await connected(t);
      await s.starttls();
      await s.ehlo();
      t.check(!s.has("STARTTLS"), "STARTTLS is not offered again after the upgrade", "no STARTTLS", "STARTTLS");
      const { account, password } = t.account();
      await s.authPlain(account, password, 235);
      await s.send(t.address("sender"), [t.address()], message(t), 250);
      committed(t, 1, "a message over STARTTLS reaches the store");
    },
  },
  {
    id: `${S}/RFC3207/pipelined-plaintext-discarded`,
    level: "MUST",
    ref: "RFC 3207 §4.2; CVE-2011-0411",
    requirement: "Commands pipelined after STARTTLS in plain text are discarded, never executed inside the TLS session.",
    async run(t) {
      const s = await connected(t);
      await s.conn.sendRaw("STARTTLS\r\nXYZZY injected\r\n", "STARTTLS + XYZZY injected (one write)");
      await s.expect(220, "STARTTLS");
      await s.conn.startTls();
      await s.conn.send("NOOP");
      const r = await s.reply("NOOP inside TLS");
      t.check(r.code === 250, "the first reply inside TLS answers NOOP, not the injected plaintext command", "250 (NOOP)", printable(r.raw));
    },
  },
  {
    id: `${S}/RFC3207/state-reset-after-tls`,
    level: "SHOULD",
    ref: "RFC 3207 §4.2",
    requirement: "After TLS the server discards knowledge obtained from the client: MAIL before a new EHLO is out of sequence.",
    async run(t) {
      const s = await connected(t);
      await s.starttls();
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, [503, 530]);
    },
  },
  // ---------------------------------------------------------------------------------------- AUTH
  {
    id: `${S}/RFC4954/auth-plain-without-initial-response`,
    level: "MUST",
    ref: "RFC 4954 §4",
    requirement: "AUTH PLAIN without an initial response gets an empty 334 challenge, then the credentials.",
    async run(t) {
      const { account, password } = t.account();
      const s = await connected(t);
      const c = await s.cmd("AUTH PLAIN", 334);
      t.check(c.text.trim() === "", "the PLAIN challenge is empty", "334 followed by nothing", printable(c.raw));
      await s.conn.send(base64(`\0${account}\0${password}`));
      await s.expect(235, "the PLAIN response");
    },
  },
  {
    id: `${S}/RFC4954/auth-cancelled-501`,
    level: "MUST",
    ref: "RFC 4954 §4",
    requirement: 'A client answering a challenge with "*" cancels the exchange: 501.',
    async run(t) {
      const s = await connected(t);
      await s.cmd("AUTH PLAIN", 334);
      await s.conn.send("*");
      await s.expect(501, "the cancel line");
      t.check(t.store.authentications.length === 0, "a cancelled exchange reaches no store", "0", String(t.store.authentications.length));
    },
  },
  {
    id: `${S}/RFC4954/auth-bad-base64-501`,
    level: "MUST",
    ref: "RFC 4954 §4",
    requirement: "A response that is not valid base64 gets 501.",
    async run(t) {
      const s = await connected(t);
      await s.cmd("AUTH PLAIN !!!not-base64!!!", 501);
      await s.cmd("NOOP", 250);
    },
  },
  {
    id: `${S}/RFC4954/auth-twice-503`,
    level: "MUST",
    ref: "RFC 4954 §4",
    requirement: "AUTH after a successful AUTH gets 503.",
    async run(t) {
      const { s, account, password } = await loggedIn(t);
      await s.conn.send(`AUTH PLAIN ${base64(`\0${account}\0${password}`)}`);
      await s.expect(503, "a second AUTH");
    },
  },
  {
    id: `${S}/RFC4954/auth-in-transaction-503`,
    level: "MUST",
    ref: "RFC 4954 §4",
    requirement: "AUTH during a mail transaction gets 503.",
    async run(t) {
      const { account, password } = t.account();
      const s = await connected(t);
      await s.authPlain(account, password, 235);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.conn.send(`AUTH PLAIN ${base64(`\0${account}\0${password}`)}`);
      await s.expect(503, "AUTH inside a transaction");
    },
  },
];
