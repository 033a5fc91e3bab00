// Suite `smtp-list-relay`: shims.md §2.2 (LST-*) observed from outside, plus the SMTP relay
// behaviour the shim must have towards MTAs on the Internet. List names are per case
// (`<label>-<token>`), so the shim's sessions route here by their envelopes; the semi-public list
// is shared (IM2000_LIST_SEMIPUBLIC) and routes by the poster's address, which is the MSOAP account.

import type { CaseContext } from "../context.ts";
import { dotStuff } from "../client/smtp.ts";
import { printable } from "../wire-log.ts";
import { checkEnhanced, committed, connected, contentText, expectCode, message, names, noViolations, type Case } from "./smtp-common.ts";
import { SUB13 } from "./smtp-submission/mod.ts";

const S = "smtp-list-relay";

function listAddress(t: CaseContext, label = "list"): { name: string; address: string } {
  const name = t.listName(label);
  return { name, address: `${name}@${t.shim.listDomains[0]}` };
}

/** A poster whose address routes MSOAP sessions authenticated as it (LST-8) to this case. */
function poster(t: CaseContext, local = "poster"): string {
  const a = t.address(local);
  t.route(a);
  // The store knows the poster under the gateway secret (the "known posters" of a semi-public list).
  t.store.accounts.set(a, t.shim.gatewayPassword);
  return a;
}

function authCommands(t: CaseContext): string[] {
  return t.log.entries.filter((e) => e.kind === "pdu" && e.from === "shim" && e.text.startsWith("CommandAuthenticate")).map((e) => e.text);
}

const LST4 = "Envelope errors (an unknown or closed list → submissionaccessdenied) are reported at the reply to DATA, exactly as SUB-6/SUB-9; RCPT gets 250 for addresses in a configured list domain, 550 5.1.1 for other domains.";
const LST8 = "Semi-public lists: without SMTP AUTH the MSOAP account is the envelope sender (domain lower-cased) and the password the gateway secret; a new CommandAuthenticate before each envelope whose reverse-path differs; a RCPT needing different credentials from earlier ones in the transaction gets 452 4.5.3; <> cannot post (refused at DATA).";

export const smtpListRelayCases: Case[] = [
  {
    id: `${S}/LST-2/relay-without-auth`,
    level: "MUST",
    ref: "shims LST-2",
    requirement: "Accepts mail from any Internet MTA without SMTP AUTH; authenticates to the store with its own configured MSOAP account.",
    async run(t) {
      const list = listAddress(t);
      const s = await connected(t);
      await s.send(t.address("sender"), [list.address], message(t), 250);
      const [sub] = committed(t, 1, "the unauthenticated relay client's message reaches the store");
      t.check(sub!.account === t.shim.gatewayAccount, "the MSOAP session is authenticated with the relay's own account", t.shim.gatewayAccount, String(sub!.account));
      noViolations(t);
    },
  },
  {
    id: `${S}/LST-2/one-authenticate-per-msoap-session`,
    level: "MUST",
    ref: "shims LST-2",
    requirement: "CommandAuthenticate once per MSOAP session with the gateway account.",
    async run(t) {
      const list = listAddress(t);
      const s = await connected(t);
      await s.send(t.address("sender"), [list.address], message(t, "one\r\n"), 250);
      await s.send(t.address("sender"), [list.address], message(t, "two\r\n"), 250);
      const subs = committed(t, 2, "two messages are submitted");
      const sameConn = subs[0]!.conn === subs[1]!.conn;
      const auths = authCommands(t);
      if (sameConn) t.check(auths.length === 1, "one CommandAuthenticate for one MSOAP session", "1", `${auths.length}`);
    },
  },
  {
    id: `${S}/LST-3/rcpt-mapped-to-list-name`,
    level: "MUST",
    ref: "shims LST-3",
    requirement: "Each RCPT address is mapped to a list name (default = local part, only for configured list domains); the envelope carries the names in `lists` and omits `recipients`.",
    async run(t) {
      const a = listAddress(t, "upgrade-to-im2000");
      const b = listAddress(t, "announce");
      const s = await connected(t);
      await s.send(t.address("sender"), [a.address, b.address], message(t), 250);
      const env = t.store.submissions[0]?.envelope;
      const lists = (env?.lists ?? []).map((l) => new TextDecoder().decode(l));
      t.check(lists.join(",") === `${a.name},${b.name}`, "the envelope's lists are the local parts, in RCPT order", `${a.name},${b.name}`, lists.join(","));
      t.check(env?.recipients === undefined, "recipients is omitted", "no recipients", `${env?.recipients?.length} recipient(s)`);
    },
  },
  {
    id: `${S}/LST-3/list-domain-case-insensitive`,
    level: "SHOULD",
    ref: "shims LST-3; RFC 5321 §2.4",
    requirement: "Domains are case-insensitive: a list domain written in capitals is still a list domain.",
    async run(t) {
      const name = t.listName();
      const s = await connected(t);
      await s.send(t.address("sender"), [`${name}@${t.shim.listDomains[0]!.toUpperCase()}`], message(t), 250);
      const lists = (t.store.submissions[0]?.envelope.lists ?? []).map((l) => new TextDecoder().decode(l));
      t.check(lists[0] === name, "mapped to the list name", name, lists.join(","));
    },
  },
  {
    id: `${S}/LST-4/other-domain-550`,
    level: "MUST",
    ref: "shims LST-4",
    requirement: LST4,
    async run(t) {
      const s = await connected(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      const r = await s.cmd("RCPT TO:<someone@not-a-list-domain.example>", 550);
      checkEnhanced(s, r, "5.1.1", "RCPT outside the list domains");
    },
  },
  {
    id: `${S}/LST-4/unknown-list-refused-at-data`,
    level: "MUST",
    ref: "shims LST-4; shims SUB-9",
    requirement: LST4,
    async run(t) {
      const known = listAddress(t, "known");
      const unknown = listAddress(t, "closed");
      t.store.listVerdict = (n) => (n === unknown.name ? "submissionaccessdenied" : "acceptable");
      const s = await connected(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${known.address}>`, 250);
      await s.cmd(`RCPT TO:<${unknown.address}>`, 250);
      const r = await s.cmd("DATA", "5xx");
      t.check(names(r, unknown.address) || r.text.includes(unknown.name), "the DATA reply names the refused list", unknown.address, printable(r.raw));
      t.check(t.store.chunkCount() === 0, "nothing is stored", "0 chunks", String(t.store.chunkCount()));
    },
  },
  {
    id: `${S}/LST-5/one-received-field-then-the-message`,
    level: "MUST",
    ref: "shims LST-5",
    requirement: "Prepends one Received: trace field naming the shim and the sending MTA; otherwise the content is submitted byte-for-byte.",
    async run(t) {
      const list = listAddress(t);
      const s = await connected(t);
      const msg = message(t, ".dot line\r\ntext\r\n");
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${list.address}>`, 250);
      await s.cmd("DATA", 354);
      await s.conn.sendRaw(dotStuff(msg));
      await s.conn.sendRaw(".\r\n", ".");
      await s.expect(250, "the end of DATA");
      const [sub] = committed(t, 1, "the message is submitted");
      const got = contentText(sub!);
      t.check(got.endsWith(msg), "after the trace field the content is the message, byte for byte", printable(msg.slice(0, 80)), printable(got.slice(0, 160)));
      const prefix = got.slice(0, got.length - msg.length);
      const fields = prefix.split("\r\n").filter((l) => l !== "" && !/^[ \t]/.test(l));
      t.check(fields.length === 1 && /^Received:/i.test(fields[0]!), "exactly one Received: field is prepended", "Received: …", printable(prefix));
      t.check(prefix.endsWith("\r\n"), "the trace field ends with CRLF", "CRLF", printable(prefix.slice(-10)));
      t.check(/client\.conformance\.test|127\.0\.0\.1/i.test(prefix), "the Received: field names the sending MTA (its EHLO name or address)", "client.conformance.test or 127.0.0.1", printable(prefix));
    },
  },
  ...SUB13.filter((m) => m.status !== "errornotauthenticated").map(
    (m): Case => ({
      id: `${S}/LST-6/store-${m.status}`,
      level: "MUST",
      ref: "shims LST-6; shims SUB-13",
      requirement: "Temporary store problems yield 4xx so the remote MTA retries; permanent ones 5xx (SUB-13 mapping).",
      async run(t) {
        const list = listAddress(t);
        t.store.replies.push("chunk", { status: m.status });
        const s = await connected(t);
        await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
        await s.cmd(`RCPT TO:<${list.address}>`, 250);
        await s.cmd("DATA", 354);
        const end = await s.sendData(message(t));
        expectCode(end, m.code, `the end of DATA when the store answers ${m.status}`);
        t.check(Math.floor(end.code / 100) === Math.floor(m.code / 100), "temporary stays temporary, permanent stays permanent", `${Math.floor(m.code / 100)}xx`, String(end.code));
      },
    }),
  ),
  {
    id: `${S}/LST-7/lifetime`,
    level: "MUST",
    ref: "shims LST-7",
    requirement: "lifetime = per-list configured value (default 90 days = 7,776,000 s).",
    async run(t) {
      const list = listAddress(t);
      const s = await connected(t);
      await s.send(t.address("sender"), [list.address], message(t), 250);
      const lt = t.store.submissions[0]?.envelope.lifetime;
      t.check(Number(lt) === t.shim.lifetimeS, "the envelope lifetime is the configured list lifetime", String(t.shim.lifetimeS), String(lt));
    },
  },
  {
    id: `${S}/LST-8/sender-is-the-account`,
    level: "MUST",
    ref: "shims LST-8",
    requirement: LST8,
    async run(t) {
      const from = poster(t, "Poster");
      const [local, dom] = [from.slice(0, from.indexOf("@")), from.slice(from.indexOf("@") + 1)];
      const semi = `${t.shim.semiPublic[0]}@${t.shim.listDomains[0]}`;
      const s = await connected(t);
      await s.send(`${local}@${dom.toUpperCase()}`, [semi], message(t), 250);
      const a = t.store.authentications.find((x) => x.account.toLowerCase() === from.toLowerCase());
      t.check(a !== undefined, "the MSOAP account is the envelope sender", from, t.store.authentications.map((x) => x.account).join(", ") || "no CommandAuthenticate for it");
      t.check(a!.account === `${local}@${dom.toLowerCase()}`, "the sender's domain is lower-cased, the local part kept", `${local}@${dom.toLowerCase()}`, a!.account);
      t.check(a!.password === t.shim.gatewayPassword, "the password is the gateway secret", "the gateway secret", "another password");
      committed(t, 1, "the post is submitted");
    },
  },
  {
    id: `${S}/LST-8/unknown-sender-refused-at-data`,
    level: "MUST",
    ref: "shims LST-8",
    requirement: LST8,
    async run(t) {
      const from = poster(t);
      t.store.replies.push("authenticate", { status: "errornotauthenticated" });
      const semi = `${t.shim.semiPublic[0]}@${t.shim.listDomains[0]}`;
      const s = await connected(t);
      await s.cmd(`MAIL FROM:<${from}>`, 250);
      await s.cmd(`RCPT TO:<${semi}>`, 250);
      await s.cmd("DATA", "5xx");
      t.check(t.store.chunkCount() === 0, "nothing stored", "0", String(t.store.chunkCount()));
    },
  },
  {
    id: `${S}/LST-8/null-sender-cannot-post`,
    level: "MUST",
    ref: "shims LST-8",
    requirement: LST8,
    exclusive: true,
    async run(t) {
      const semi = `${t.shim.semiPublic[0]}@${t.shim.listDomains[0]}`;
      const s = await connected(t);
      await s.cmd("MAIL FROM:<>", 250);
      await s.cmd(`RCPT TO:<${semi}>`, 250);
      await s.cmd("DATA", "5xx");
      t.check(t.store.committed().length === 0, "nothing stored", "0", String(t.store.committed().length));
    },
  },
  {
    id: `${S}/LST-8/reauthenticate-per-sender`,
    level: "MUST",
    ref: "shims LST-8",
    requirement: LST8,
    async run(t) {
      const [a, b] = [poster(t, "alice"), poster(t, "bob")];
      const semi = `${t.shim.semiPublic[0]}@${t.shim.listDomains[0]}`;
      const s = await connected(t);
      await s.send(a, [semi], message(t, "from alice\r\n"), 250);
      await s.send(b, [semi], message(t, "from bob\r\n"), 250);
      const accounts = t.store.authentications.map((x) => x.account);
      t.check(accounts.includes(a) && accounts.includes(b), "each sender authenticates before its envelope", `${a} then ${b}`, accounts.join(", "));
      const subs = committed(t, 2, "both posts are submitted");
      t.check(subs[0]!.account === a && subs[1]!.account === b, "each envelope goes out under its sender's account", `${a}, ${b}`, `${subs[0]!.account}, ${subs[1]!.account}`);
    },
  },
  {
    id: `${S}/LST-8/mixed-credentials-452`,
    level: "MUST",
    ref: "shims LST-8",
    requirement: LST8,
    async run(t) {
      const from = poster(t);
      const open = listAddress(t, "open");
      const semi = `${t.shim.semiPublic[0]}@${t.shim.listDomains[0]}`;
      const s = await connected(t);
      await s.cmd(`MAIL FROM:<${from}>`, 250);
      await s.cmd(`RCPT TO:<${open.address}>`, 250);
      const r = await s.cmd(`RCPT TO:<${semi}>`, 452);
      checkEnhanced(s, r, "4.5.3", "a RCPT needing other MSOAP credentials");
    },
  },
  {
    id: `${S}/LST-9/no-bounce-to-posters`,
    level: "MUST",
    ref: "shims LST-9; shims GEN-4",
    requirement: "The shim never sends mail to the reverse-path, whatever happens later (observed over a bounded window).",
    timeoutMs: 30_000,
    async run(t) {
      const list = listAddress(t);
      const sender = t.address("sender");
      t.store.listVerdict = () => "submissionaccessdenied";
      const s = await connected(t);
      await s.cmd(`MAIL FROM:<${sender}>`, 250);
      await s.cmd(`RCPT TO:<${list.address}>`, 250);
      await s.cmd("DATA", "5xx");
      await s.quit();
      await t.sleep(3000 * t.multiplier);
      t.check(t.store.submissions.length === 1, "no submission of the shim's own, at failure time or later (a bounce would go to the poster)", "exactly the client's envelope", `${t.store.submissions.length} envelopes`);
    },
  },
  {
    id: `${S}/RFC5321/relay-session-basics`,
    level: "MUST",
    ref: "RFC 5321 §4.1.1, §4.3.2",
    requirement: "Greeting 220, EHLO 250, HELO 250, NOOP/RSET 250, QUIT 221 and close.",
    async run(t) {
      const s = await connected(t);
      await s.cmd("HELO mta.conformance.test", 250);
      await s.cmd("NOOP", 250);
      await s.cmd("RSET", 250);
      await s.quit();
    },
  },
  {
    id: `${S}/RFC2920/pipelined-relay-transaction`,
    level: "MUST",
    ref: "RFC 2920 §3.1",
    requirement: "With PIPELINING (which MTAs use), MAIL, RCPT… and DATA sent at once are answered in order.",
    async run(t) {
      const list = listAddress(t);
      const s = await connected(t);
      if (!s.has("PIPELINING")) t.skip("PIPELINING is not advertised");
      await s.conn.sendMany([`MAIL FROM:<${t.address("sender")}>`, `RCPT TO:<${list.address}>`, "RCPT TO:<x@not-a-list-domain.example>", "DATA"]);
      await s.expect(250, "MAIL");
      await s.expect(250, "RCPT to the list");
      await s.expect(550, "RCPT outside the list domains");
      await s.expect(354, "DATA");
      await s.sendData(message(t), 250);
      committed(t, 1, "the pipelined transaction is submitted");
    },
  },
  {
    id: `${S}/RFC1870/size-advertised`,
    level: "MUST",
    ref: "RFC 1870 §4",
    requirement: "The maximum message size is advertised with SIZE.",
    async run(t) {
      const s = await connected(t);
      t.check(Number(s.extensions.get("SIZE")) === t.shim.maxMessageSize, "SIZE carries the configured maximum", String(t.shim.maxMessageSize), s.extensions.get("SIZE") ?? "no SIZE");
    },
  },
  {
    id: `${S}/RFC3207/starttls-pipelined-plaintext-discarded`,
    level: "MUST",
    ref: "RFC 3207 §4.2; CVE-2011-0411",
    requirement: "Commands pipelined after STARTTLS in plain text are discarded.",
    async run(t) {
      const s = await connected(t);
      if (!s.has("STARTTLS")) t.skip("STARTTLS is not advertised");
      await s.conn.sendRaw("STARTTLS\r\nXYZZY injected\r\n", "STARTTLS + XYZZY injected (one write)");
      await s.expect(220, "STARTTLS");
      await s.conn.startTls();
      await s.conn.send("NOOP");
      const r = await s.reply("NOOP inside TLS");
      t.check(r.code === 250, "the first reply inside TLS answers NOOP", "250", printable(r.raw));
    },
  },
];
