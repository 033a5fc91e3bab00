// Suite pop3, POP-9 … POP-15 and GEN-*: DELE, RSET and the UPDATE state, dropped connections,
// withdrawn messages, stores that are down, refusal by TOP and DELE, duplicates and timers.

import { RetrievalType } from "../../../src/im2000/msrap.ts";
import { printable } from "../../wire-log.ts";
import { S, mailbox, login, retrieves, POP9, type Case } from "./common.ts";

export const updateCases: Case[] = [
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
];
