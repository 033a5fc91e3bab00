// Suite pop3, POP-1 … POP-3: credentials passed to the RNA and every failure's response code, the
// account lock, RetrieveAndClear until empty (at most ten calls), and Silence.

import { printable } from "../../wire-log.ts";
import { S, mailbox, login, POP1, type Case } from "./common.ts";

export const loginCases: Case[] = [
  // ---------------------------------------------------------------------------------------- POP-1
  {
    id: `${S}/POP-1/credentials-passed-through`,
    level: "MUST",
    ref: "shims POP-1",
    requirement: POP1,
    async run(t) {
      // RFC 1939 USER takes one argument: no spaces in the name; UTF-8 and punctuation are fine.
      const { account } = t.account("Reader-Ü+1");
      const password = "pä$$:wörd\\€!";
      t.rna.accounts.set(account, password);
      const p = await t.pop3();
      await p.greeting();
      await p.login(account, password);
      const a = t.rna.authentications[0];
      t.check(a !== undefined && a.account === account && a.password === password, "RNAQP CommandAuthenticate carries the POP3 user and password unchanged", `${account} / ${password}`, a === undefined ? "none" : `${a.account} / ${a.password}`);
    },
  },
  {
    id: `${S}/POP-1/rejected-credentials-err-auth`,
    level: "MUST",
    ref: "shims POP-1; RFC 3206 §4",
    requirement: POP1,
    async run(t) {
      const { account } = t.account("reader");
      const p = await t.pop3();
      await p.greeting();
      await p.cmd(`USER ${account}`, "+OK");
      const st = await p.cmd("PASS wrong-password", "-ERR");
      t.check(st.code === "AUTH", "refused credentials are answered -ERR [AUTH]", "-ERR [AUTH] …", printable(st.raw));
      await p.cmd("STAT", "-ERR");
    },
  },
  {
    id: `${S}/POP-1/password-with-spaces`,
    level: "MAY",
    ref: "shims POP-1; RFC 1939 §7 (PASS)",
    requirement: "A POP3 server may treat spaces in the PASS argument as part of the password; passed through unchanged.",
    async run(t) {
      const { account } = t.account("reader");
      const password = "correct horse  battery staple";
      t.rna.accounts.set(account, password);
      const p = await t.pop3();
      await p.greeting();
      await p.cmd(`USER ${account}`, "+OK");
      await p.cmd(`PASS ${password}`, "+OK");
      t.check(t.rna.authentications[0]?.password === password, "the whole rest of the PASS line is the password", JSON.stringify(password), JSON.stringify(t.rna.authentications[0]?.password));
    },
  },
  ...(["errorinternalproblem", "errorserviceshutdown"] as const).map(
    (status): Case => ({
      id: `${S}/POP-1/rna-${status}-sys-temp`,
      level: "MUST",
      ref: "shims POP-1; RFC 3206 §4",
      requirement: POP1,
      async run(t) {
        const { account, password } = t.account("reader");
        t.rna.replies.push("rnaAuthenticate", { status });
        const p = await t.pop3();
        await p.greeting();
        await p.cmd(`USER ${account}`, "+OK");
        const st = await p.cmd(`PASS ${password}`, "-ERR");
        t.check(st.code === "SYS/TEMP", "an RNA failure is temporary: -ERR [SYS/TEMP]", "-ERR [SYS/TEMP] …", printable(st.raw));
      },
    }),
  ),
  ...(["close", "malformed"] as const).map(
    (kind): Case => ({
      id: `${S}/POP-1/rna-fault-${kind}-sys-temp`,
      level: "MUST",
      ref: "shims POP-1; im2000 §7 C-1",
      requirement: POP1,
      async run(t) {
        const { account, password } = t.account("reader");
        t.rna.replies.push("rnaAuthenticate", { fault: { kind } });
        const p = await t.pop3();
        await p.greeting();
        await p.cmd(`USER ${account}`, "+OK");
        const st = await p.cmd(`PASS ${password}`, "-ERR");
        t.check(st.code === "SYS/TEMP", "a broken RNA answer is a temporary failure", "-ERR [SYS/TEMP] …", printable(st.raw));
        if (kind === "malformed") t.check(await t.shimClosedAfterBadPdu(), "after an unparseable PDU the client ends the RNAQP session (im2000 §7 C-1)", "connection closed by the shim", "kept open");
      },
    }),
  ),
  {
    id: `${S}/POP-1/rna-answers-too-late-sys-temp`,
    level: "MUST",
    ref: "shims POP-1; shims GEN-5; im2000 §5 item 6",
    requirement: "An RNA that does not answer within the shim's response timeout (IM2000_PEER_TIMEOUT_S) is a temporary failure: -ERR [SYS/TEMP].",
    timeoutMs: 30_000,
    async run(t) {
      const { account, password } = t.account("reader");
      t.rna.replies.push("rnaAuthenticate", { fault: { kind: "delay", ms: (t.shim.peerTimeoutS + 3) * 1000 * t.multiplier } });
      const p = await t.pop3();
      await p.greeting();
      await p.cmd(`USER ${account}`, "+OK");
      await p.conn.send(`PASS ${password}`);
      const line = await p.conn.expectLine("the answer to PASS", (t.shim.peerTimeoutS + 2) * 1000 * t.multiplier);
      t.check(line.startsWith("-ERR [SYS/TEMP]"), "a silent RNA is a temporary failure", "-ERR [SYS/TEMP] …", printable(line));
    },
  },
  {
    id: `${S}/POP-1/rna-unreachable-sys-temp`,
    level: "MUST",
    ref: "shims POP-1",
    requirement: POP1,
    exclusive: true,
    async run(t) {
      const { account, password } = t.account("reader");
      await t.fake.rna.refuse();
      t.onCleanup(() => t.fake.rna.accept());
      const p = await t.pop3();
      await p.greeting();
      await p.cmd(`USER ${account}`, "+OK");
      const st = await p.cmd(`PASS ${password}`, "-ERR");
      t.check(st.code === "SYS/TEMP", "an unreachable RNA is a temporary failure", "-ERR [SYS/TEMP] …", printable(st.raw));
    },
  },
  {
    id: `${S}/POP-1/no-plaintext-login-off-loopback`,
    level: "MUST",
    ref: "shims POP-1; RFC 2595 §4; RFC 2449 §6.3",
    requirement: "On a connection that is neither TLS nor loopback, USER/PASS/AUTH are refused before STLS unless configured; after STLS they work.",
    async run(t) {
      const { account, password } = mailbox(t, 1);
      const p = await t.pop3({ fromNonLoopback: true });
      await p.greeting();
      const caps = (await p.capa()).map((l) => l.toUpperCase());
      t.check(!caps.includes("USER"), "CAPA does not offer USER in the clear off loopback (RFC 2595 §4)", "no USER", caps.join(" "));
      await p.conn.send(`USER ${account}`);
      const u = await p.status("USER in the clear");
      if (u.ok) await p.cmd(`PASS ${password}`, "-ERR");
      t.check(t.rna.authentications.length === 0, "credentials sent in the clear must not reach the RNA", "no CommandAuthenticate", `${t.rna.authentications.length}`);
      await p.stls();
      await p.login(account, password);
      t.check((await p.stat()).count === 1, "after STLS the login works", "1 message", "other");
    },
  },
  {
    id: `${S}/POP-1/no-apop`,
    level: "MUST",
    ref: "shims POP-1; RFC 1939 §7",
    requirement: "APOP is not offered (no greeting timestamp): the password must reach the RNA.",
    async run(t) {
      const p = await t.pop3();
      const g = await p.greeting();
      t.check(!/<[^>]*@[^>]*>/.test(g.text), "the greeting carries no APOP timestamp", "+OK without <…@…>", printable(g.raw));
      await p.cmd("APOP someone 0123456789abcdef0123456789abcdef", "-ERR");
    },
  },
  {
    id: `${S}/POP-1/sasl-plain`,
    level: "SHOULD",
    ref: "shims POP-1; RFC 5034 §4",
    requirement: "SASL PLAIN via AUTH, if offered, is passed through to RNAQP like USER/PASS.",
    async run(t) {
      const { account, password } = t.account("reader");
      const p = await t.pop3();
      await p.greeting();
      const capa = await p.capa();
      const sasl = capa.find((l) => /^SASL\b/i.test(l));
      if (sasl === undefined || !/\bPLAIN\b/i.test(sasl)) t.skip("SASL PLAIN is not offered");
      await p.authPlain(account, password, "+OK");
      t.check(t.rna.authentications[0]?.account === account && t.rna.authentications[0]?.password === password, "the SASL credentials reach RNAQP", account, t.rna.authentications[0]?.account ?? "none");
      await p.stat();
    },
  },
  {
    id: `${S}/RFC5034/auth-cancelled`,
    level: "SHOULD",
    ref: "RFC 5034 §4",
    requirement: 'A client answering the SASL challenge with "*" cancels the exchange: -ERR, and nothing reaches the RNA.',
    async run(t) {
      const p = await t.pop3();
      await p.greeting();
      const sasl = (await p.capa()).find((l) => /^SASL\b/i.test(l));
      if (sasl === undefined || !/\bPLAIN\b/i.test(sasl)) t.skip("SASL PLAIN is not offered");
      await p.conn.send("AUTH PLAIN");
      const c = await p.conn.expectLine("the SASL challenge");
      t.check(c.startsWith("+"), "AUTH PLAIN without an initial response gets a continuation", "+ ", printable(c));
      await p.conn.send("*");
      await p.status("the cancel line", "-ERR");
      t.check(t.rna.authentications.length === 0, "a cancelled exchange reaches no RNA", "0", String(t.rna.authentications.length));
    },
  },
  // ---------------------------------------------------------------------------------------- POP-2
  {
    id: `${S}/POP-2/retrieve-until-empty`,
    level: "MUST",
    ref: "shims POP-2; im2000 §18 C-10",
    requirement: "On login the shim repeats CommandRetrieveAndClear until an empty answer and shows every notification.",
    async run(t) {
      const { account, password } = mailbox(t, 5);
      t.rna.batchSize = 2;
      const p = await login(t, account, password);
      const st = await p.stat();
      t.check(st.count === 5, "all notifications, across capped answers, are in the maildrop", "5 messages", `${st.count}`);
      const polls = t.rna.polls.map((x) => x.returned);
      t.check(polls.length >= 4 && polls[polls.length - 1] === 0, "RetrieveAndClear is repeated until an answer holds zero notifications", "2, 2, 1, 0", polls.join(", "));
    },
  },
  {
    id: `${S}/POP-2/second-login-in-use`,
    level: "MUST",
    ref: "shims POP-2; RFC 2449 §8.1.2",
    requirement: "A second concurrent POP3 login for the same account gets -ERR [IN-USE].",
    async run(t) {
      const { account, password } = mailbox(t, 1);
      const p1 = await login(t, account, password);
      const p2 = await t.pop3();
      await p2.greeting();
      await p2.cmd(`USER ${account}`, "+OK");
      const st = await p2.cmd(`PASS ${password}`, "-ERR");
      t.check(st.code === "IN-USE", "the second login is refused with IN-USE", "-ERR [IN-USE] …", printable(st.raw));
      await p1.quit();
    },
  },
  {
    id: `${S}/POP-2/retrieve-and-clear-at-most-ten-calls`,
    level: "MUST",
    ref: "shims POP-2; im2000 §18 C-10",
    requirement: "RetrieveAndClear is repeated until an empty answer, at most 10 calls; what is left waits for the next login.",
    async run(t) {
      const { account, password } = mailbox(t, 12);
      t.rna.batchSize = 1;
      const p = await login(t, account, password);
      t.check(t.rna.polls.length <= 10, "no more than 10 RetrieveAndClear calls in one login", "≤ 10", String(t.rna.polls.length));
      const first = (await p.stat()).count;
      t.check(first === t.rna.polls.reduce((n, x) => n + x.returned, 0), "every notification handed out is in the maildrop", String(t.rna.polls.reduce((n, x) => n + x.returned, 0)), String(first));
      await p.quit();
      const p2 = await login(t, account, password);
      t.check((await p2.stat()).count === 12, "the rest arrives at the next login", "12", "other");
    },
  },
  {
    id: `${S}/POP-2/short-rnaqp-session`,
    level: "SHOULD",
    ref: "shims POP-2; im2000 §18 C-10",
    requirement: "One short RNAQP session per poll: the shim closes it once the notifications are saved, not at the end of the POP3 session.",
    async run(t) {
      const { account, password } = mailbox(t, 1);
      const p = await login(t, account, password);
      await t.waitFor("the RNAQP session to be closed while the POP3 session goes on", () => [...t.rna.rnaqpConnections.values()].every((c) => c.closed !== undefined));
      await p.cmd("NOOP", "+OK");
    },
  },
  // ---------------------------------------------------------------------------------------- POP-3
  {
    id: `${S}/POP-3/silence-each-new-notification`,
    level: "MUST",
    ref: "shims POP-3",
    requirement: "For each newly saved notification the shim sends MSRAP CommandSilence to the store.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 3);
      const p = await login(t, account, password);
      await t.waitFor("a Silence for every new notification", () => mails.every((m) => m.message.silenced >= 1));
      await p.quit();
    },
  },
  {
    id: `${S}/POP-3/silence-failure-does-not-fail-login`,
    level: "MUST",
    ref: "shims POP-3",
    requirement: "Silence failures are logged and retried on later logins; they never fail the login.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      t.store.repliesFor(mails[0]!.id).push("silence", { status: "errorinternalproblem" });
      const p = await login(t, account, password);
      await p.stat();
      await p.quit();
      const p2 = await login(t, account, password);
      await t.waitFor("the Silence to be retried on the next login", () => t.store.msrapFor(mails[0]!.id, "silence").length >= 2);
      await p2.quit();
    },
  },
  {
    id: `${S}/POP-3/store-down-login-succeeds`,
    level: "MUST",
    ref: "shims POP-3; shims POP-5",
    requirement: "A store that cannot be reached never fails the login.",
    async run(t) {
      const { account, password } = mailbox(t, 1, { storeDown: [true] });
      const p = await login(t, account, password);
      const st = await p.stat();
      t.check(st.count === 1, "the notification is in the maildrop", "1", String(st.count));
    },
  },
];
