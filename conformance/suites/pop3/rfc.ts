// Suite pop3, the RFC behaviour of a POP3 server: RFC 1939 states and errors, RFC 2449 CAPA and
// pipelining, RFC 2595 STLS, RFC 8314 implicit TLS.

import { printable } from "../../wire-log.ts";
import { S, mailbox, login, type Case } from "./common.ts";

export const rfcCases: Case[] = [
  // ---------------------------------------------------------------------------------------- RFC 1939
  {
    id: `${S}/RFC1939/commands-need-transaction-state`,
    level: "MUST",
    ref: "RFC 1939 §4, §5",
    requirement: "Transaction commands before login get -ERR.",
    async run(t) {
      const p = await t.pop3();
      await p.greeting();
      for (const c of ["STAT", "LIST", "RETR 1", "DELE 1", "UIDL"]) await p.cmd(c, "-ERR");
    },
  },
  {
    id: `${S}/RFC1939/unknown-command-err`,
    level: "MUST",
    ref: "RFC 1939 §3",
    requirement: "An unknown command gets -ERR and the session goes on.",
    async run(t) {
      const p = await t.pop3();
      await p.greeting();
      await p.cmd("XYZZY", "-ERR");
      await p.cmd("NOOP", "-ERR");
      const { account, password } = mailbox(t, 0);
      await p.login(account, password);
      await p.cmd("XYZZY", "-ERR");
      await p.cmd("NOOP", "+OK");
    },
  },
  {
    id: `${S}/RFC1939/bad-message-numbers`,
    level: "MUST",
    ref: "RFC 1939 §5",
    requirement: "LIST/RETR/DELE of a message that does not exist or is marked deleted get -ERR; DELE twice gets -ERR.",
    async run(t) {
      const { account, password } = mailbox(t, 2);
      const p = await login(t, account, password);
      await p.cmd("LIST 3", "-ERR");
      await p.cmd("RETR 0", "-ERR");
      await p.cmd("RETR x", "-ERR");
      await p.cmd("DELE 2", "+OK");
      await p.cmd("DELE 2", "-ERR");
      await p.cmd("LIST 2", "-ERR");
      const one = await p.cmd("LIST 1", "+OK");
      t.check(/^1 \d+$/.test(one.text.trim()), "LIST n answers \"+OK n size\"", "+OK 1 <size>", printable(one.raw));
    },
  },
  {
    id: `${S}/RFC1939/case-insensitive-commands`,
    level: "MUST",
    ref: "RFC 1939 §3",
    requirement: "Keywords are case-insensitive.",
    async run(t) {
      const { account, password } = mailbox(t, 1);
      const p = await t.pop3();
      await p.greeting();
      await p.cmd(`user ${account}`, "+OK");
      await p.cmd(`pass ${password}`, "+OK");
      await p.cmd("stat", "+OK");
      await p.multi("uidl");
    },
  },
  {
    id: `${S}/RFC1939/empty-maildrop`,
    level: "MUST",
    ref: "RFC 1939 §5",
    requirement: "An empty maildrop: STAT +OK 0 0, LIST with no entries.",
    async run(t) {
      const { account, password } = mailbox(t, 0);
      const p = await login(t, account, password);
      const st = await p.stat();
      t.check(st.count === 0 && st.size === 0, "STAT of an empty maildrop", "+OK 0 0", `${st.count} ${st.size}`);
      const l = await p.multi("LIST");
      t.check(l.lines.length === 0, "LIST lists nothing", "no lines", String(l.lines.length));
    },
  },
  // ---------------------------------------------------------------------------------------- RFC 2449
  {
    id: `${S}/RFC2449/capa`,
    level: "MUST",
    ref: "RFC 2449 §5; RFC 3206 §6; shims POP-6, POP-8",
    requirement: "CAPA answers in both states and lists USER, UIDL, TOP, RESP-CODES, AUTH-RESP-CODE (the [AUTH] and [SYS/TEMP] codes of POP-1 are RFC 3206's) and STLS (before TLS).",
    async run(t) {
      const p = await t.pop3();
      await p.greeting();
      const caps = (await p.capa()).map((l) => l.split(/\s+/)[0]!.toUpperCase());
      for (const c of ["USER", "UIDL", "TOP", "RESP-CODES", "AUTH-RESP-CODE", "STLS"]) t.check(caps.includes(c), `CAPA lists ${c}`, c, caps.join(" "));
      const { account, password } = mailbox(t, 0);
      await p.login(account, password);
      await p.capa();
    },
  },
  {
    id: `${S}/RFC2449/pipelining`,
    level: "MUST",
    ref: "RFC 2449 §6.6",
    requirement: "With PIPELINING (mpop pipelines USER, PASS and RETRs), commands sent at once are answered in order.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 2);
      const p = await t.pop3();
      await p.greeting();
      const caps = (await p.capa()).map((l) => l.toUpperCase());
      if (!caps.includes("PIPELINING")) t.skip("PIPELINING is not advertised");
      await p.conn.sendMany([`USER ${account}`, `PASS ${password}`, "STAT", "RETR 1", "RETR 2", "QUIT"]);
      await p.status("USER", "+OK");
      await p.status("PASS", "+OK");
      await p.status("STAT", "+OK");
      await p.status("RETR 1", "+OK");
      const m1 = (await p.body("RETR 1")).map((l) => `${l}\r\n`).join("");
      await p.status("RETR 2", "+OK");
      const m2 = (await p.body("RETR 2")).map((l) => `${l}\r\n`).join("");
      await p.status("QUIT", "+OK");
      t.check(m1 === mails[0]!.content && m2 === mails[1]!.content, "the pipelined RETRs return the messages in order", "messages 1 and 2", "different content");
    },
  },
  // ---------------------------------------------------------------------------------------- RFC 2595
  {
    id: `${S}/RFC2595/stls-then-login`,
    level: "MUST",
    ref: "RFC 2595 §4; conformance interface IM2000_SHIM_PORT",
    requirement: "STLS upgrades the plain listener to TLS with the configured certificate; login then works; STLS is not offered again.",
    async run(t) {
      const { account, password } = mailbox(t, 1);
      const p = await t.pop3();
      await p.greeting();
      await p.stls();
      const caps = (await p.capa()).map((l) => l.toUpperCase());
      t.check(!caps.includes("STLS"), "STLS is not offered after TLS", "no STLS", "STLS");
      await p.login(account, password);
      t.check((await p.stat()).count === 1, "the maildrop is there", "1", "other");
    },
  },
  {
    id: `${S}/RFC2595/stls-pipelined-plaintext-discarded`,
    level: "MUST",
    ref: "RFC 2595 §4; CVE-2011-0411",
    requirement: "Commands pipelined after STLS in plain text are discarded.",
    async run(t) {
      const { account } = mailbox(t, 0);
      const p = await t.pop3();
      await p.greeting();
      await p.conn.sendRaw(`STLS\r\nUSER ${account}\r\n`, `STLS + USER ${account} (one write)`);
      await p.status("STLS", "+OK");
      await p.conn.startTls();
      await p.conn.send("PASS whatever");
      const st = await p.status("PASS inside TLS");
      t.check(!st.ok, "PASS inside TLS must fail: the plaintext USER was discarded", "-ERR", printable(st.raw));
      t.check(t.rna.authentications.length === 0, "no authentication from injected plaintext", "none", String(t.rna.authentications.length));
    },
  },
  {
    id: `${S}/RFC2595/stls-after-login-err`,
    level: "MUST",
    ref: "RFC 2595 §4",
    requirement: "STLS is only valid in the AUTHORIZATION state.",
    async run(t) {
      const { account, password } = mailbox(t, 0);
      const p = await login(t, account, password);
      await p.cmd("STLS", "-ERR");
    },
  },
  {
    id: `${S}/RFC8314/implicit-tls`,
    level: "MAY",
    ref: "RFC 8314 §3.3; conformance interface IM2000_SHIM_TLS_PORT",
    requirement: "The implicit-TLS port greets +OK over TLS.",
    needs: ["implicit-tls"],
    async run(t) {
      const { account, password } = mailbox(t, 1);
      const p = await t.pop3({ implicitTls: true });
      await p.greeting();
      await p.login(account, password);
      t.check((await p.stat()).count === 1, "the maildrop is there", "1", "other");
    },
  },
];
