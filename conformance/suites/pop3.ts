// Suite `pop3`: shims.md §2.3 (POP-*) and GEN-* observed from outside (shims §3), plus RFC 1939,
// 2449, 2595, 3206 and 5034 behaviour. The fake RNA holds each case's notifications under the
// case's account; each notification points at the fake store's MSRAP service (or at a dead port
// for "store down"), where the message lives under its 16-octet identifier.

import type { CaseDef } from "../case.ts";
import type { CaseContext } from "../context.ts";
import type { Pop3Client } from "../client/pop3.ts";
import type { FakeMessage } from "../peers/case-peers.ts";
import { RetrievalType } from "../../src/im2000/msrap.ts";
import { printable } from "../wire-log.ts";

type Case = CaseDef<CaseContext>;
const S = "pop3";

interface Mail {
  readonly id: string;
  readonly content: string;
  readonly message: FakeMessage;
}

export function popMessage(t: { readonly token: string }, i: number, body = `Body of message ${i}.\r\n`): string {
  return `From: sender${i}@origin.example\r\nTo: reader@${t.token}.test\r\nSubject: message ${i} of ${t.token}\r\nDate: Sat, 01 Jan 2000 00:00:0${i % 10} +0000\r\nMessage-ID: <${i}.${t.token}@origin.example>\r\n\r\n${body}`;
}

/** An account with `n` notifications waiting at the RNA (oldest first), each message in the store. */
function mailbox(t: CaseContext, n: number, opts: { bodies?: string[]; storeDown?: boolean[]; sizes?: (number | null)[] } = {}): { account: string; password: string; mails: Mail[] } {
  const { account, password } = t.account("reader");
  const mails: Mail[] = [];
  const base = Math.floor(Date.now() / 1000) - 1000;
  for (let i = 0; i < n; i++) {
    const content = popMessage(t, i + 1, opts.bodies?.[i]);
    const m = t.message({ to: `reader@${t.token}.test`, content, storeDown: opts.storeDown?.[i], size: opts.sizes?.[i], date: base + i });
    t.rna.deliver(account, m.notification);
    mails.push({ id: m.id, content, message: m.message });
  }
  return { account, password, mails };
}

async function login(t: CaseContext, account: string, password: string): Promise<Pop3Client> {
  const p = await t.pop3();
  await p.greeting();
  await p.login(account, password);
  return p;
}

function retrieves(t: CaseContext, id: string, type?: number) {
  return t.store.msrapFor(id, "retrieve").filter((r) => type === undefined || r.type === type);
}

const POP1 = "USER/PASS (and SASL PLAIN) are passed through to RNAQP CommandAuthenticate: noerror → +OK; errornotauthenticated → -ERR [AUTH]; anything else → -ERR [SYS/TEMP].";
const POP9 = "DELE only marks; RSET clears marks; QUIT in TRANSACTION state un-pins each marked message (MSRAP CommandUnPin) and deletes its saved notification; if any un-pin fails those notifications are kept and QUIT answers -ERR.";

export const pop3Cases: Case[] = [
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
    level: "SHOULD",
    ref: "shims POP-1; shims GEN-5; im2000 §5 item 6",
    requirement: "An RNA that does not answer within the shim's response timeout (IM2000_PEER_TIMEOUT_S, proposed) is a temporary failure: -ERR [SYS/TEMP].",
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
  // ---------------------------------------------------------------------------------------- POP-4
  {
    id: `${S}/POP-4/oldest-first`,
    level: "MUST",
    ref: "shims POP-4",
    requirement: "The maildrop is the saved notifications, oldest first; message numbers are 1..N in that order.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 4);
      const p = await login(t, account, password);
      const uidl = await p.listing("UIDL");
      const order = [1, 2, 3, 4].map((n) => uidl.get(n));
      t.check(order.join(",") === mails.map((m) => m.id).join(","), "message n is the n-th oldest notification", mails.map((m) => m.id.slice(0, 8)).join(","), order.map((x) => x?.slice(0, 8)).join(","));
    },
  },
  {
    id: `${S}/POP-4/frozen-at-login`,
    level: "MUST",
    ref: "shims POP-4; RFC 1939 §8",
    requirement: "The maildrop is frozen at login: notifications arriving during the session do not change it.",
    async run(t) {
      const { account, password } = mailbox(t, 2);
      const p = await login(t, account, password);
      const late = t.message({ to: `reader@${t.token}.test`, content: popMessage(t, 9) });
      t.rna.deliver(account, late.notification);
      await p.cmd("NOOP", "+OK");
      const st = await p.stat();
      t.check(st.count === 2, "STAT is unchanged during the session", "2", String(st.count));
      await p.quit();
      const p2 = await login(t, account, password);
      t.check((await p2.stat()).count === 3, "the next session sees the new notification", "3", "other");
    },
  },
  // ---------------------------------------------------------------------------------------- POP-5
  {
    id: `${S}/POP-5/exact-size-from-the-store`,
    level: "MUST",
    ref: "shims POP-5; RFC 1939 §5",
    requirement: "STAT/LIST sizes are exact octet counts: the size from MSRAP; the notification's own size only while the store is unreachable.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 2, { sizes: [5, null] });
      const p = await login(t, account, password);
      const list = await p.listing("LIST");
      for (let i = 0; i < 2; i++) {
        const want = mails[i]!.content.length;
        t.check(Number(list.get(i + 1)) === want, `LIST ${i + 1} is the exact size of the message at the store`, String(want), String(list.get(i + 1)));
      }
      const st = await p.stat();
      t.check(st.size === mails[0]!.content.length + mails[1]!.content.length, "STAT totals the exact sizes", String(mails[0]!.content.length + mails[1]!.content.length), String(st.size));
    },
  },
  {
    id: `${S}/POP-5/notification-size-while-store-down`,
    level: "MUST",
    ref: "shims POP-5",
    requirement: "The notification's own size is used while the store is unreachable.",
    async run(t) {
      const { account, password } = mailbox(t, 1, { storeDown: [true], sizes: [777] });
      const p = await login(t, account, password);
      const list = await p.listing("LIST");
      t.check(list.get(1) === "777", "LIST falls back to the notification's size", "777", String(list.get(1)));
    },
  },
  {
    id: `${S}/POP-5/size-probes-do-not-read`,
    level: "MUST",
    ref: "shims POP-5; im2000 §18 C-4",
    requirement: "Sizes come from CommandQuerySize or a length-0 Retrieve, which do not change the read status.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      const p = await login(t, account, password);
      await p.listing("LIST");
      await p.stat();
      t.check(mails[0]!.message.readLevel < 0, "STAT/LIST must not fetch message data", "no data retrieved", `read level ${mails[0]!.message.readLevel}`);
    },
  },
  // ---------------------------------------------------------------------------------------- POP-6
  {
    id: `${S}/POP-6/uidl-is-the-identifier-and-stable`,
    level: "MUST",
    ref: "shims POP-6; RFC 1939 §7",
    requirement: "UIDL = lower-case hex of the 16-octet identifier (32 characters), unique and stable across sessions.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 2);
      const p = await login(t, account, password);
      const u1 = await p.listing("UIDL");
      t.check(u1.get(1) === mails[0]!.id && u1.get(2) === mails[1]!.id, "UIDL is the identifier in lower-case hex", `${mails[0]!.id}, ${mails[1]!.id}`, `${u1.get(1)}, ${u1.get(2)}`);
      await p.quit();
      const p2 = await login(t, account, password);
      const u2 = await p2.listing("UIDL");
      t.check(u2.get(1) === u1.get(1) && u2.get(2) === u1.get(2), "UIDs are stable across sessions", `${u1.get(1)}, ${u1.get(2)}`, `${u2.get(1)}, ${u2.get(2)}`);
      const one = await p2.cmd("UIDL 2", "+OK");
      t.check(one.text.trim() === `2 ${mails[1]!.id}`, "UIDL n answers on one line", `+OK 2 ${mails[1]!.id}`, printable(one.raw));
    },
  },
  // ---------------------------------------------------------------------------------------- POP-7
  {
    id: `${S}/POP-7/retr-paged-and-byte-exact`,
    level: "MUST",
    ref: "shims POP-7",
    requirement: "RETR fetches with MSRAP CommandRetrieve{type=all} in pages (offset advancing until size) and sends the octets as a dot-stuffed multi-line response.",
    async run(t) {
      let body = "";
      for (let i = 0; body.length < 30_000; i++) body += i % 7 === 0 ? `.line ${i} starts with a dot\r\n` : `line ${i} ${"r".repeat(i % 60)}\r\n`;
      const { account, password, mails } = mailbox(t, 1, { bodies: [body] });
      mails[0]!.message.maxPage = 4096;
      const p = await login(t, account, password);
      const got = await p.retr(1);
      t.check(got === mails[0]!.content, "RETR returns the message octet for octet (after dot-unstuffing)", `${mails[0]!.content.length} octets`, `${got.length} octets`);
      const r = retrieves(t, mails[0]!.id, RetrievalType.all).filter((x) => (x.length ?? 0) > 0);
      t.check(r.length >= Math.ceil(mails[0]!.content.length / 4096), "the store's short pages are followed by further Retrieves", `≥ ${Math.ceil(mails[0]!.content.length / 4096)} Retrieves`, String(r.length));
      let off = 0;
      for (const x of r) {
        t.check(x.offset === off || x.offset === 0, "offsets advance by what was received", String(off), String(x.offset));
        off = (x.offset ?? 0) + Math.min(4096, x.length ?? 0);
      }
    },
  },
  // ---------------------------------------------------------------------------------------- POP-8
  {
    id: `${S}/POP-8/top-zero-uses-headersonly`,
    level: "MUST",
    ref: "shims POP-8; shims POP-15",
    requirement: "TOP n 0 uses type=headersonly, returning the header section.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      const p = await login(t, account, password);
      const r = await p.multi("TOP 1 0");
      const header = mails[0]!.content.slice(0, mails[0]!.content.indexOf("\r\n\r\n"));
      const got = r.lines.join("\r\n");
      t.check(got === header || got === `${header}\r\n`, "TOP n 0 returns the header section and the empty line", printable(header.slice(0, 80)), printable(got.slice(0, 80)));
      t.check(retrieves(t, mails[0]!.id, RetrievalType.all).filter((x) => (x.length ?? 0) > 0).length === 0, "TOP n 0 never asks the store for the whole message", "no type=all Retrieve", "type=all requested");
      t.check(retrieves(t, mails[0]!.id, RetrievalType.headersonly).length >= 1, "TOP n 0 asks for headersonly", "a headersonly Retrieve", "none");
    },
  },
  {
    id: `${S}/POP-8/top-n-lines`,
    level: "MUST",
    ref: "shims POP-8; RFC 1939 §7",
    requirement: "TOP n k returns the header section plus the first k body lines.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1, { bodies: ["first\r\nsecond\r\n.third\r\nfourth\r\n"] });
      const p = await login(t, account, password);
      const r = await p.multi("TOP 1 2");
      const c = mails[0]!.content;
      const header = c.slice(0, c.indexOf("\r\n\r\n"));
      const want = `${header}\r\n\r\nfirst\r\nsecond`;
      t.check(r.lines.join("\r\n") === want, "header, empty line and exactly two body lines", printable(want.slice(-40)), printable(r.lines.join("\r\n").slice(-40)));
      const r3 = await p.multi("TOP 1 3");
      t.check(r3.lines[r3.lines.length - 1] === ".third", "a body line starting with a dot is dot-stuffed on the wire", ".third", printable(r3.lines[r3.lines.length - 1] ?? ""));
    },
  },
  // ---------------------------------------------------------------------------------------- POP-9
  {
    id: `${S}/POP-9/dele-marks-quit-unpins`,
    level: "MUST",
    ref: "shims POP-9; RFC 1939 §6",
    requirement: POP9,
    async run(t) {
      const { account, password, mails } = mailbox(t, 3);
      const p = await login(t, account, password);
      await p.cmd("DELE 1", "+OK");
      await p.cmd("DELE 3", "+OK");
      t.check(mails.every((m) => m.message.unpinned === 0), "DELE only marks: no UnPin before QUIT", "no UnPin", "UnPin sent at DELE");
      const st = await p.stat();
      t.check(st.count === 1, "marked messages are not counted by STAT (RFC 1939 §5)", "1", String(st.count));
      await p.cmd("RETR 1", "-ERR");
      await p.quit("+OK");
      t.check(mails[0]!.message.unpinned >= 1 && mails[2]!.message.unpinned >= 1 && mails[1]!.message.unpinned === 0, "QUIT un-pins exactly the marked messages", "UnPin 1 and 3", mails.map((m, i) => `${i + 1}:${m.message.unpinned}`).join(" "));
      const p2 = await login(t, account, password);
      const u = await p2.listing("UIDL");
      t.check(u.size === 1 && u.get(1) === mails[1]!.id, "the un-pinned notifications are deleted, the other kept", mails[1]!.id, [...u.values()].join(","));
    },
  },
  {
    id: `${S}/POP-9/rset-clears-marks`,
    level: "MUST",
    ref: "shims POP-9; RFC 1939 §5",
    requirement: POP9,
    async run(t) {
      const { account, password, mails } = mailbox(t, 2);
      const p = await login(t, account, password);
      await p.cmd("DELE 1", "+OK");
      await p.cmd("RSET", "+OK");
      t.check((await p.stat()).count === 2, "RSET unmarks", "2", "other");
      await p.quit("+OK");
      t.check(mails.every((m) => m.message.unpinned === 0), "nothing is un-pinned after RSET", "no UnPin", mails.map((m) => m.message.unpinned).join(","));
    },
  },
  {
    id: `${S}/POP-9/unpin-failure-keeps-message`,
    level: "MUST",
    ref: "shims POP-9",
    requirement: POP9,
    async run(t) {
      const { account, password, mails } = mailbox(t, 2);
      t.store.repliesFor(mails[0]!.id).push("unpin", { status: "errorinternalproblem" });
      const p = await login(t, account, password);
      await p.cmd("DELE 1", "+OK");
      await p.cmd("DELE 2", "+OK");
      const q = await p.quit("-ERR");
      t.check(/not removed/i.test(q.text) || q.text.length > 0, "QUIT says some deleted messages were not removed", "-ERR some deleted messages not removed", printable(q.raw));
      const p2 = await login(t, account, password);
      const u = await p2.listing("UIDL");
      t.check(u.size === 1 && u.get(1) === mails[0]!.id, "the message whose un-pin failed stays; the other is gone", mails[0]!.id, [...u.values()].join(",") || "empty");
    },
  },
  {
    id: `${S}/POP-9/quit-in-authorization-unpins-nothing`,
    level: "MUST",
    ref: "shims POP-9; RFC 1939 §4",
    requirement: "Only QUIT in the TRANSACTION state enters UPDATE.",
    async run(t) {
      const p = await t.pop3();
      await p.greeting();
      await p.quit("+OK");
      t.check(t.store.msrapCommands.length === 0, "QUIT before login causes no MSRAP traffic", "none", String(t.store.msrapCommands.length));
    },
  },
  // ---------------------------------------------------------------------------------------- POP-10
  {
    id: `${S}/POP-10/dropped-connection-unpins-nothing`,
    level: "MUST",
    ref: "shims POP-10; RFC 1939 §6",
    requirement: "A connection lost without QUIT un-pins nothing and deletes nothing.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      const p = await login(t, account, password);
      await p.cmd("DELE 1", "+OK");
      p.conn.drop();
      await t.sleep(300 * t.multiplier);
      t.check(mails[0]!.message.unpinned === 0, "no UnPin after a dropped connection", "0", String(mails[0]!.message.unpinned));
      const p2 = await t.pop3();
      await p2.greeting();
      await p2.cmd(`USER ${account}`, "+OK");
      // The lock of the dropped session may take a moment to go.
      let st = await p2.cmd(`PASS ${password}`);
      for (let i = 0; !st.ok && st.code === "IN-USE" && i < 20; i++) {
        await t.sleep(200);
        await p2.cmd(`USER ${account}`, "+OK");
        st = await p2.cmd(`PASS ${password}`);
      }
      t.check(st.ok, "a new login succeeds once the dropped session is gone", "+OK", printable(st.raw));
      t.check((await p2.stat()).count === 1, "the message is still there", "1", "other");
    },
  },
  // ---------------------------------------------------------------------------------------- POP-11
  {
    id: `${S}/POP-11/withdrawn-message-placeholder`,
    level: "MUST",
    ref: "shims POP-11",
    requirement: "If the store answers errornosuchmessage, RETR/TOP return a short synthesised RFC 5322 message explaining that the message was withdrawn.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      const p = await login(t, account, password);
      mails[0]!.message.gone = true;
      const r = await p.multi("RETR 1");
      const text = r.lines.join("\r\n");
      t.check(/^[\x21-\x39\x3b-\x7e]+:/.test(r.lines[0] ?? "") && r.lines.includes(""), "the placeholder is an RFC 5322 message (header fields, empty line, body)", "Header: …, empty line, body", printable(text.slice(0, 120)));
      const top = await p.multi("TOP 1 0");
      t.check(top.lines.length > 0, "TOP of a withdrawn message also answers with the placeholder's header", "+OK and header lines", "empty");
    },
  },
  {
    id: `${S}/POP-11/placeholder-names-store-and-uid`,
    level: "SHOULD",
    ref: "shims POP-11",
    requirement: "The placeholder names the store location and the UID.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      mails[0]!.message.gone = true;
      const p = await login(t, account, password);
      const text = (await p.multi("RETR 1")).lines.join("\n");
      t.check(text.includes(mails[0]!.id), "the placeholder carries the UID", mails[0]!.id, printable(text.slice(0, 200)));
      t.check(text.includes("127.0.0.1"), "the placeholder names the store", "127.0.0.1", printable(text.slice(0, 200)));
    },
  },
  {
    id: `${S}/POP-11/dele-of-withdrawn-message`,
    level: "MUST",
    ref: "shims POP-11",
    requirement: "DELE of a withdrawn message deletes the saved notification (UnPin attempted, its error ignored).",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      const p = await login(t, account, password);
      mails[0]!.message.gone = true;
      await p.cmd("DELE 1", "+OK");
      await p.quit("+OK");
      const p2 = await login(t, account, password);
      t.check((await p2.stat()).count === 0, "the withdrawn message is gone after QUIT", "0", "other");
    },
  },
  // ---------------------------------------------------------------------------------------- POP-12
  {
    id: `${S}/POP-12/store-down-retr-sys-temp`,
    level: "MUST",
    ref: "shims POP-12; RFC 3206 §4",
    requirement: "If the store is unreachable, RETR/TOP answer -ERR [SYS/TEMP] and the entry stays.",
    async run(t) {
      const { account, password } = mailbox(t, 1, { storeDown: [true] });
      const p = await login(t, account, password);
      const r = await p.cmd("RETR 1", "-ERR");
      t.check(r.code === "SYS/TEMP", "RETR answers -ERR [SYS/TEMP]", "-ERR [SYS/TEMP] …", printable(r.raw));
      const top = await p.cmd("TOP 1 0", "-ERR");
      t.check(top.code === "SYS/TEMP", "TOP answers -ERR [SYS/TEMP]", "-ERR [SYS/TEMP] …", printable(top.raw));
      t.check((await p.stat()).count === 1, "the entry stays", "1", "other");
    },
  },
  {
    id: `${S}/POP-12/store-error-retr-sys-temp`,
    level: "MUST",
    ref: "shims POP-12",
    requirement: "A store failure (error status or broken connection) on RETR is temporary: -ERR [SYS/TEMP], entry kept.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      const p = await login(t, account, password);
      t.store.repliesFor(mails[0]!.id).push("retrieve", { status: "errorinternalproblem" }, { status: "errorinternalproblem" }, { status: "errorinternalproblem" });
      const r = await p.cmd("RETR 1", "-ERR");
      t.check(r.code === "SYS/TEMP", "RETR answers -ERR [SYS/TEMP]", "-ERR [SYS/TEMP] …", printable(r.raw));
      await p.cmd("NOOP", "+OK");
    },
  },
  // ---------------------------------------------------------------------------------------- POP-15
  {
    id: `${S}/POP-15/top-then-dele-refuses-without-fetching`,
    level: "MUST",
    ref: "shims POP-15",
    requirement: "TOP n 0 (headersonly) followed by DELE un-pins a message whose body was never transferred.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      const p = await login(t, account, password);
      await p.multi("TOP 1 0");
      await p.cmd("DELE 1", "+OK");
      await p.quit("+OK");
      t.check(retrieves(t, mails[0]!.id, RetrievalType.all).filter((x) => (x.length ?? 0) > 0).length === 0, "the store never sends the whole message", "no type=all data Retrieve", "type=all requested");
      t.check(mails[0]!.message.unpinned >= 1, "the message is un-pinned", "UnPin", "none");
    },
  },
  // ---------------------------------------------------------------------------------------- GEN
  {
    id: `${S}/GEN-6/duplicate-notifications-dropped`,
    level: "MUST",
    ref: "shims GEN-6; im2000 §18 C-5",
    requirement: "Duplicate notifications (the same identifier again) are dropped and silenced, never shown twice.",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      const [first] = t.rna.mailboxes.get(account)!;
      t.rna.deliver(account, first!);
      const p = await login(t, account, password);
      t.check((await p.stat()).count === 1, "the duplicate in the same poll is dropped", "1", "other");
      await p.quit();
      t.rna.deliver(account, first!);
      const p2 = await login(t, account, password);
      t.check((await p2.stat()).count === 1, "a re-notification of a saved message is dropped", "1", "other");
      await t.waitFor("Silence for the duplicate", () => mails[0]!.message.silenced >= 2);
    },
  },
  {
    id: `${S}/GEN-6/unpinned-identifier-not-shown-again`,
    level: "MUST",
    ref: "shims GEN-6; im2000 §18 C-5",
    requirement: "A notification whose identifier was un-pinned in the last 90 days is dropped (and silenced).",
    async run(t) {
      const { account, password, mails } = mailbox(t, 1);
      const [first] = t.rna.mailboxes.get(account)!;
      const p = await login(t, account, password);
      await p.cmd("DELE 1", "+OK");
      await p.quit("+OK");
      mails[0]!.message.gone = false;
      t.rna.deliver(account, first!);
      const p2 = await login(t, account, password);
      t.check((await p2.stat()).count === 0, "the un-pinned message does not come back", "0", "other");
    },
  },
  {
    id: `${S}/GEN-5/idle-client-disconnected`,
    level: "MUST",
    ref: "shims GEN-5; RFC 1939 §3",
    requirement: "Every timer is configurable (IM2000_IDLE_TIMEOUT_S): an idle POP3 client is disconnected after the idle timeout.",
    timeoutMs: 30_000,
    async run(t) {
      const p = await t.pop3();
      await p.greeting();
      const limit = (t.shim.idleTimeoutS + 3) * 1000 * t.multiplier;
      t.check(await p.conn.closedWithin(limit), "the shim closes an idle connection", `closed within ${limit} ms`, "still open");
    },
  },
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
