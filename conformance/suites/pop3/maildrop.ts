// Suite pop3, POP-4 … POP-8: the maildrop frozen at login and oldest first, exact sizes, UIDL,
// paged byte-exact RETR and TOP through headersonly.

import { RetrievalType } from "../../../src/im2000/msrap.ts";
import { printable } from "../../wire-log.ts";
import { S, popMessage, mailbox, login, retrieves, type Case } from "./common.ts";

export const maildropCases: Case[] = [
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
];
