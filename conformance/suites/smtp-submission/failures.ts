// Suite smtp-submission, SUB-13 … SUB-15 and GEN-*: the MSOAP → SMTP reply table, transport
// faults, RSET/MAIL/QUIT discarding, clean MSOAP close, the IM2000 rules and timers.

import { dotStuff } from "../../client/smtp.ts";
import { checkEnhanced, committed, connected, expectCode, loggedIn, message, noViolations, type Case } from "../smtp-common.ts";
import { S, SUB13, SUB13_TEXT, upToData, mapCase } from "./common.ts";

export const failuresCases: Case[] = [
  // ---------------------------------------------------------------------------------------- SUB-13
  ...SUB13.filter((m) => m.status !== "errornotpermitted").map((m) => mapCase("envelope", m)),
  ...SUB13.map((m) => mapCase("chunk", m)),
  ...(["close", "close-mid-pdu", "malformed"] as const).map(
    (kind): Case => ({
      id: `${S}/SUB-13/transport-loss-at-data-${kind}`,
      level: "MUST",
      ref: "shims SUB-13; im2000 §7 C-1",
      requirement: SUB13_TEXT,
      async run(t) {
        const { s } = await loggedIn(t);
        t.store.replies.push("envelope", { fault: { kind } });
        const r = await upToData(t, s, [t.address()]);
        expectCode(r, 451, `DATA after the store's ${kind}`);
        checkEnhanced(s, r, "4.3.0", "DATA");
        if (kind === "malformed") t.check(await t.shimClosedAfterBadPdu(), "after an unparseable PDU the shim must end the MSOAP session (im2000 §7 C-1)", "MSOAP connection closed", "kept open");
        await s.cmd("RSET", 250);
      },
    }),
  ),
  {
    id: `${S}/SUB-13/store-answers-too-late`,
    level: "MUST",
    ref: "shims SUB-13; shims SUB-10; shims GEN-5; im2000 §5 item 6",
    requirement: "A store that does not answer within the shim's response timeout (IM2000_PEER_TIMEOUT_S) is a transport loss: DATA gets 451 and the session goes on.",
    timeoutMs: 30_000,
    async run(t) {
      const { s } = await loggedIn(t);
      t.store.replies.push("envelope", { fault: { kind: "delay", ms: (t.shim.peerTimeoutS + 3) * 1000 * t.multiplier } });
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.conn.send("DATA");
      const r = await s.expect(451, "DATA when the store answers after the timeout", ((t.shim.peerTimeoutS + 2) * 1000) * t.multiplier);
      t.check(r.enhanced === undefined || r.enhanced === "4.3.0" || r.enhanced === "4.4.1", "the enhanced code says the store failed or timed out", "4.3.0 or 4.4.1", String(r.enhanced));
      await s.cmd("RSET", 250);
    },
  },
  {
    id: `${S}/SUB-13/transport-loss-mid-stream`,
    level: "MUST",
    ref: "shims SUB-13",
    requirement: SUB13_TEXT,
    async run(t) {
      const { s } = await loggedIn(t);
      t.store.replies.push("chunk", { fault: { kind: "close" } });
      const r = await upToData(t, s, [t.address()]);
      expectCode(r, 354, "DATA");
      let body = "";
      while (body.length < t.shim.chunkSize * 3) body += `${"k".repeat(76)}\r\n`;
      const end = await s.sendData(message(t, body));
      expectCode(end, 451, "the end of DATA after the store connection broke");
      checkEnhanced(s, end, "4.3.0", "the end of DATA");
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-14
  {
    id: `${S}/SUB-14/rset-discards-the-envelope`,
    level: "MUST",
    ref: "shims SUB-14",
    requirement: "RSET, a new MAIL, or QUIT before DATA discards the buffered envelope without any MSOAP traffic.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address("discarded")}>`, 250);
      await s.cmd("RSET", 250);
      await s.send(t.address("sender"), [t.address("kept")], message(t), 250);
      const env = t.store.submissions.map((x) => (x.envelope.recipients ?? []).map((r) => r.localpart).join(","));
      t.check(env.length === 1 && env[0] === "kept", "the reset envelope never reaches the store", "one envelope: kept", env.join(" | "));
    },
  },
  {
    id: `${S}/SUB-14/new-mail-discards-the-envelope`,
    level: "MUST",
    ref: "shims SUB-14; RFC 5321 §4.1.4",
    requirement: "A new MAIL before DATA discards the buffered envelope without any MSOAP traffic (or is refused as out of sequence).",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address("discarded")}>`, 250);
      const r = await s.cmd(`MAIL FROM:<${t.address("sender")}>`, [250, 503]);
      if (r.code === 503) await s.cmd("RSET", 250);
      await t.sleep(100);
      t.check(t.store.submissions.length === 0, "no MSOAP envelope for the discarded transaction", "none", String(t.store.submissions.length));
    },
  },
  {
    id: `${S}/SUB-14/quit-discards-the-envelope`,
    level: "MUST",
    ref: "shims SUB-14; shims SUB-15",
    requirement: "QUIT before DATA discards the buffered envelope without any MSOAP traffic.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.quit();
      await t.sleep(100);
      t.check(t.store.submissions.length === 0, "no envelope reaches the store", "none", String(t.store.submissions.length));
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-15
  {
    id: `${S}/SUB-15/clean-close-between-transactions`,
    level: "MUST",
    ref: "shims SUB-15; im2000 §4 item 8",
    requirement: "SMTP session teardown closes the MSOAP session only between transactions (clean).",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.send(t.address("sender"), [t.address()], message(t), 250);
      await s.quit();
      await t.waitFor("the MSOAP connection to close", () => [...t.store.msoapConnections.values()].every((c) => c.closed !== undefined));
      const unclean = [...t.store.msoapConnections.entries()].filter(([, c]) => c.clean !== true);
      t.check(unclean.length === 0, "the MSOAP session ends between transactions", "clean close", unclean.map(([id]) => `${id} ended mid-transaction`).join(", "));
      committed(t, 1, "the message stays committed");
    },
  },
  {
    id: `${S}/SUB-15/client-drop-mid-data-stores-nothing`,
    level: "MUST",
    ref: "shims SUB-15; im2000 §4 item 8; RFC 5321 §4.1.1.4",
    requirement: "A client that disappears in the middle of DATA gets nothing stored: the MSOAP transaction is abandoned (unclean close makes the store abort it).",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      let body = "";
      while (body.length < t.shim.chunkSize * 2) body += `${"d".repeat(76)}\r\n`;
      await s.conn.sendRaw(dotStuff(message(t, body)), "[message without the final dot]");
      await t.waitFor("a chunk at the store", () => t.store.chunkCount() >= 1).catch(() => {});
      s.conn.drop();
      await t.waitFor("the MSOAP transaction to end", () => t.store.submissions.every((x) => x.state !== "open"), 3000 * t.multiplier).catch(() => {});
      t.check(t.store.committed().length === 0, "nothing may be committed for an unfinished DATA", "no committed submission", `${t.store.committed().length}`);
      t.check(t.store.submissions.every((x) => x.state === "aborted"), "the open MSOAP transaction must be abandoned (unclean close)", "aborted", t.store.submissions.map((x) => x.state).join(", "));
    },
  },
  // ---------------------------------------------------------------------------------------- GEN
  {
    id: `${S}/GEN-1/pdus-follow-the-transaction-rules`,
    level: "MUST",
    ref: "shims GEN-1; im2000 §4–§7",
    requirement: "All IM2000 traffic follows im2000.md §4–§7 (framing, strict DER, transaction rules).",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.send(t.address("sender"), [t.address("a"), t.address("b")], message(t), 250);
      await s.send("", [t.address("c")], message(t, ".\r\n"), 250);
      await s.quit();
      noViolations(t);
    },
  },
  {
    id: `${S}/GEN-1/not-a-response-ends-the-session`,
    level: "MUST",
    ref: "shims GEN-1; im2000 §7 C-1",
    requirement: "A client that receives a PDU that is not a response terminates the IM2000 session.",
    async run(t) {
      const { s } = await loggedIn(t);
      t.store.replies.push("envelope", { fault: { kind: "not-a-response" } });
      const r = await upToData(t, s, [t.address()]);
      expectCode(r, 451, "DATA after the store answered with a Command PDU");
      t.check(await t.shimClosedAfterBadPdu(), "the shim must end the MSOAP session (C-1)", "connection closed by the shim", "kept open");
    },
  },
  {
    id: `${S}/GEN-5/idle-client-disconnected`,
    level: "MUST",
    ref: "shims GEN-5; RFC 5321 §4.5.3.2",
    requirement: "Every timer is configurable (IM2000_IDLE_TIMEOUT_S): an idle SMTP client is disconnected after the idle timeout.",
    timeoutMs: 30_000,
    async run(t) {
      const s = await connected(t);
      const limit = (t.shim.idleTimeoutS + 3) * 1000 * t.multiplier;
      const closed = await s.conn.closedWithin(limit);
      t.check(closed, "the shim closes an idle connection after IM2000_IDLE_TIMEOUT_S", `closed within ${limit} ms`, "still open");
    },
  },
];
