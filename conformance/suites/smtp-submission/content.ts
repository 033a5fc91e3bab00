// Suite smtp-submission, SUB-10 … SUB-12: the content streamed in chunks, octet for octet; the
// identifier in the 250, only after the store committed; no bounces.

import { dotStuff } from "../../client/smtp.ts";
import { printable } from "../../wire-log.ts";
import { checkEnhanced, committed, connected, contentText, expectCode, hex, loggedIn, message, noViolations, type Case } from "../smtp-common.ts";
import { S, SUB10_TEXT, upToData, firstDiff } from "./common.ts";

export const contentCases: Case[] = [
  // ---------------------------------------------------------------------------------------- SUB-10
  {
    id: `${S}/SUB-10/chunks-offsets-and-islast`,
    level: "MUST",
    ref: "shims SUB-10",
    requirement: SUB10_TEXT,
    async run(t) {
      const { s } = await loggedIn(t);
      let body = "";
      for (let i = 0; body.length < 200_000; i++) body += `line ${i} ${"x".repeat(i % 90)}\r\n`;
      const msg = message(t, body);
      await s.send(t.address("sender"), [t.address()], msg, 250);
      const [sub] = committed(t, 1, "a 200 KB message is submitted");
      let expected = 0;
      for (const c of sub!.chunks) {
        t.check(c.offset === expected, "offsets are contiguous (0, n, 2n, …)", String(expected), String(c.offset));
        t.check(c.size <= t.shim.chunkSize, "no chunk exceeds chunkSize", `≤ ${t.shim.chunkSize}`, String(c.size));
        expected += c.size;
      }
      t.check(sub!.chunks.length >= Math.ceil(msg.length / t.shim.chunkSize), "the message is cut into chunks of at most chunkSize", `≥ ${Math.ceil(msg.length / t.shim.chunkSize)} chunks`, String(sub!.chunks.length));
      const got = contentText(sub!);
      t.check(got === msg, "the reassembled chunks are the message, octet for octet", `${msg.length} octets`, `${got.length} octets, first difference at ${firstDiff(got, msg)}`);
      noViolations(t);
    },
  },
  {
    id: `${S}/SUB-10/dot-unstuffing`,
    level: "MUST",
    ref: "shims SUB-10; RFC 5321 §4.5.2",
    requirement: "The content reaches the store dot-unstuffed, CRLF preserved, octets unchanged.",
    async run(t) {
      const { s } = await loggedIn(t);
      const msg = message(t, ".leading dot\r\n..two dots\r\n.\tdot tab\r\nend\r\n.");
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      await s.conn.sendRaw(dotStuff(msg));
      await s.conn.sendRaw(".\r\n", ".");
      await s.expect(250, "the end of DATA");
      const [sub] = committed(t, 1, "the message is submitted");
      const want = msg.endsWith("\r\n") ? msg : `${msg}\r\n`;
      const got = contentText(sub!);
      t.check(got === want, "lines beginning with a dot arrive with exactly one dot removed", printable(want.slice(-60)), printable(got.slice(-60)));
    },
  },
  {
    id: `${S}/SUB-10/octets-unchanged`,
    level: "MUST",
    ref: "shims SUB-10",
    requirement: "Octets are passed unchanged: empty lines, trailing white space, tabs, long lines and the final CRLF.",
    async run(t) {
      const { s } = await loggedIn(t);
      const body = `trailing spaces   \r\n\r\n\r\n\ttab line\r\n${"y".repeat(990)}\r\n \r\nlast line\r\n`;
      const msg = message(t, body);
      await s.send(t.address("sender"), [t.address()], msg, 250);
      const [sub] = committed(t, 1, "the message is submitted");
      const got = contentText(sub!);
      t.check(got === msg, "the store receives the message octet for octet", `${msg.length} octets`, `${got.length} octets, first difference at ${firstDiff(got, msg)}`);
    },
  },
  {
    id: `${S}/SUB-10/eight-bit-octets`,
    level: "SHOULD",
    ref: "shims SUB-10; RFC 6152",
    requirement: "With 8BITMIME, 8-bit octets reach the store unchanged.",
    async run(t) {
      const { s } = await loggedIn(t);
      if (!s.has("8BITMIME")) t.skip("8BITMIME is not advertised");
      const body = `${String.fromCharCode(...new TextEncoder().encode("Grüße, naïve café — €"))}\r\n\xff\xfe\x80\r\n`;
      const msg = message(t, body, ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]);
      await s.cmd(`MAIL FROM:<${t.address("sender")}> BODY=8BITMIME`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      await s.sendData(msg, 250);
      const [sub] = committed(t, 1, "the 8-bit message is submitted");
      t.check(contentText(sub!) === msg, "8-bit octets unchanged", "identical octets", `first difference at ${firstDiff(contentText(sub!), msg)}`);
    },
  },
  {
    id: `${S}/SUB-10/streamed-before-the-final-dot`,
    level: "SHOULD",
    ref: "shims SUB-10",
    requirement: "The content is streamed to the store as it arrives (chunks are sent before the final dot).",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      const big = message(t, "z".repeat(70) + "\r\n").repeat(1);
      let body = big;
      while (body.length < t.shim.chunkSize * 3) body += `${"q".repeat(76)}\r\n`;
      await s.conn.sendRaw(dotStuff(body), `[${body.length} octets of message, no final dot yet]`);
      await t.waitFor("a chunk at the store before the final dot", () => t.store.chunkCount() >= 1);
      await s.conn.sendRaw(".\r\n", ".");
      await s.expect(250, "the end of DATA");
    },
  },
  {
    id: `${S}/SUB-10/slow-client-keeps-the-store-session`,
    level: "SHOULD",
    ref: "shims SUB-10; im2000 §7 S-4; shims GEN-5",
    requirement: "A slow client does not trip the store's idle timeout: while DATA trickles in for longer than the store waits, the shim keeps the MSOAP transaction alive with partial chunks, and the message arrives whole.",
    timeoutMs: 40_000,
    async run(t) {
      const { s } = await loggedIn(t);
      // The store gives up after 2 s without a command; the client sends a line every 0.4 s for
      // 4.8 s (never idle long enough for the shim's own idle timeout). A shim that holds the
      // content back until a full chunk or the final dot leaves the store waiting too long.
      const idle = 2000 * t.multiplier;
      t.store.idleTimeoutMs = idle;
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      const lines = Array.from({ length: 12 }, (_, i) => `slow line ${i}\r\n`);
      const msg = message(t, lines.join(""));
      const head = msg.slice(0, msg.indexOf("slow line 0"));
      await s.conn.sendRaw(head, "[the header section]");
      for (const l of lines) {
        await t.sleep(400 * t.multiplier);
        await s.conn.sendRaw(l);
      }
      await s.conn.sendRaw(".\r\n", ".");
      await s.expect(250, "the end of a slow DATA");
      t.check(t.store.idleTimeouts.length === 0, "the store's idle timeout never fired during the slow DATA", "no S-4 timeout", `${t.store.idleTimeouts.length}`);
      const [sub] = committed(t, 1, "the slow message is submitted once");
      t.check(contentText(sub!) === msg, "the message arrives whole", `${msg.length} octets`, `${contentText(sub!).length} octets`);
    },
  },
  {
    id: `${S}/SUB-10/store-aborts-mid-stream`,
    level: "MUST",
    ref: "shims SUB-10; shims SUB-13",
    requirement: SUB10_TEXT,
    async run(t) {
      const { s } = await loggedIn(t);
      t.store.replies.push("chunk", {}, { status: "errornotenoughroom" });
      const r = await upToData(t, s, [t.address()]);
      expectCode(r, 354, "DATA");
      let body = "";
      while (body.length < t.shim.chunkSize * 4) body += `${"m".repeat(76)}\r\n`;
      const end = await s.sendData(message(t, body));
      expectCode(end, 452, "the end of DATA after the store aborted mid-stream");
      checkEnhanced(s, end, "4.3.1", "the end of DATA");
      // The shim read on to the dot: the session is still in step.
      await s.cmd("NOOP", 250);
      t.check(t.store.committed().length === 0, "nothing stored", "0", String(t.store.committed().length));
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-11
  {
    id: `${S}/SUB-11/identifier-in-the-250`,
    level: "MUST",
    ref: "shims SUB-11",
    requirement: "Success → 250 2.0.0 with the message's originator identifier in lower-case hex (32 characters) in the text.",
    async run(t) {
      const { s } = await loggedIn(t);
      const id = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 171) & 0xff);
      t.store.replies.push("chunk", { identifier: id });
      const r = await s.send(t.address("sender"), [t.address()], message(t, "short\r\n"), 250);
      checkEnhanced(s, r, "2.0.0", "the end of DATA");
      t.check(r.text.includes(hex(id)), "the originator identifier appears in lower-case hex", hex(id), printable(r.raw));
    },
  },
  {
    id: `${S}/SUB-11/250-only-after-the-store-committed`,
    level: "MUST",
    ref: "shims SUB-11; DESIGN acknowledge only what is durable",
    requirement: "250 is given only after the store acknowledged the final chunk.",
    async run(t) {
      const { s } = await loggedIn(t);
      const delay = 600 * t.multiplier;
      t.store.replies.push("chunk", { fault: { kind: "delay", ms: delay } });
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      const sent = Date.now();
      await s.sendData(message(t, "small\r\n"), 250);
      t.check(Date.now() - sent >= delay - 50, "250 must not come before the store's answer to the final chunk", `≥ ${delay} ms`, `${Date.now() - sent} ms`);
    },
  },
  {
    id: `${S}/SUB-11/final-chunk-without-identifier`,
    level: "SHOULD",
    ref: "shims SUB-11; im2000 §7 C-2",
    requirement: "A final-chunk answer without an identifier is not a valid answer: no 250.",
    async run(t) {
      const { s } = await loggedIn(t);
      // ResponseNull with noerror: not a valid answer to the islast chunk.
      t.store.replies.push("chunk", { body: "null" });
      const r = await upToData(t, s, [t.address()]);
      expectCode(r, 354, "DATA");
      const end = await s.sendData(message(t, "x\r\n"));
      t.check(end.code >= 400, "an invalid final answer must not be reported as success", "4xx or 5xx", printable(end.raw));
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-12
  {
    id: `${S}/SUB-12/dsn-not-advertised`,
    level: "MUST",
    ref: "shims SUB-12",
    requirement: "The DSN extension is not advertised.",
    async run(t) {
      const s = await connected(t);
      t.check(!s.has("DSN"), "DSN must not be advertised (no bounces, ever)", "no DSN keyword", "DSN");
    },
  },
  ...(
    [
      ["notify", "RCPT", "NOTIFY=FAILURE,DELAY"],
      ["orcpt", "RCPT", "ORCPT=rfc822;x@example.org"],
      ["ret", "MAIL", "RET=HDRS"],
      ["envid", "MAIL", "ENVID=abc123"],
    ] as const
  ).map(
    ([slug, verb, param]): Case => ({
      id: `${S}/SUB-12/${slug}-parameter-555`,
      level: "MUST",
      ref: "shims SUB-12; RFC 5321 §4.1.1.11",
      requirement: "NOTIFY/RET/ENVID/ORCPT parameters get 555 5.5.4.",
      async run(t) {
        const { s } = await loggedIn(t);
        let r;
        if (verb === "MAIL") r = await s.cmd(`MAIL FROM:<${t.address("sender")}> ${param}`, 555);
        else {
          await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
          r = await s.cmd(`RCPT TO:<${t.address()}> ${param}`, 555);
        }
        checkEnhanced(s, r, "5.5.4", `${verb} with ${param}`);
      },
    }),
  ),
  {
    id: `${S}/SUB-12/no-bounce-after-failures`,
    level: "MUST",
    ref: "shims SUB-12; shims GEN-4",
    requirement: "The shim never originates a DSN or any message to the reverse-path, for any failure at any time (observed over a bounded window).",
    timeoutMs: 30_000,
    async run(t) {
      const { s } = await loggedIn(t);
      const sender = t.address("sender");
      t.store.replies.push("envelope", { recipients: ["submissionaccessdenied"] });
      await s.cmd(`MAIL FROM:<${sender}>`, 250);
      await s.cmd(`RCPT TO:<${t.address("denied")}>`, 250);
      await s.cmd("DATA", "5xx");
      t.store.replies.push("chunk", { status: "errornotenoughroom" });
      await s.cmd(`MAIL FROM:<${sender}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      await s.sendData(message(t), "4xx");
      await s.quit();
      await t.sleep(3000 * t.multiplier);
      // The client made exactly two envelopes; anything more is the shim's own (a bounce).
      const toSender = t.store.submissions.filter((x) => (x.envelope.recipients ?? []).some((r) => `${r.localpart}@${r.domain.join(".")}` === sender));
      t.check(t.store.submissions.length === 2 && toSender.length === 0, "no submission of the shim's own, at failure time or later (a bounce would go to the reverse-path)", "exactly the client's 2 envelopes", `${t.store.submissions.length} envelope(s), ${toSender.length} to the reverse-path`);
    },
  },
];
