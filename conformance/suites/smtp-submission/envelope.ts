// Suite smtp-submission, SUB-6 … SUB-9: recipients accepted without validation, turned into
// RecipientMailBox values, the lifetime, and envelope errors only at DATA.

import { printable } from "../../wire-log.ts";
import { checkEnhanced, committed, expectCode, loggedIn, message, names, type Case } from "../smtp-common.ts";
import { S, SUB9_TEXT, upToData } from "./common.ts";

export const envelopeCases: Case[] = [
  // ---------------------------------------------------------------------------------------- SUB-6
  {
    id: `${S}/SUB-6/rcpt-not-validated-against-the-store`,
    level: "MUST",
    ref: "shims SUB-6",
    requirement: "RCPT TO is not validated against the store: every syntactically valid forward-path gets 250.",
    async run(t) {
      const { s } = await loggedIn(t);
      t.store.verdict = () => "submissionaccessdenied";
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address("nobody")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address("also.nobody")}>`, 250);
      await t.sleep(100);
      t.check(t.store.submissions.length === 0, "no envelope may reach the store before DATA (SUB-9)", "no CommandSubmitEnvelope yet", `${t.store.submissions.length}`);
    },
  },
  {
    id: `${S}/SUB-6/address-literal-501`,
    level: "MUST",
    ref: "shims SUB-6",
    requirement: "Address literals like user@[192.0.2.1] are refused (501 5.1.3) because IM2000 needs a domain.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      const r = await s.cmd("RCPT TO:<user@[192.0.2.1]>", 501);
      checkEnhanced(s, r, "5.1.3", "RCPT with an address literal");
    },
  },
  {
    id: `${S}/SUB-6/syntax-error-501`,
    level: "MUST",
    ref: "shims SUB-6; RFC 5321 §4.1.2",
    requirement: "Only local syntax problems are refused (501 5.1.3).",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      const r = await s.cmd("RCPT TO:<two@@at.signs.example>", 501);
      checkEnhanced(s, r, "5.1.3", "RCPT with a malformed address");
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
    },
  },
  {
    id: `${S}/SUB-6/too-many-recipients-452`,
    level: "MUST",
    ref: "shims SUB-6; RFC 5321 §4.5.3.1.8",
    requirement: "More than maxRecipients (default 100) recipients gets 452 4.5.3.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      const max = t.shim.maxRecipients;
      for (let i = 0; i < max; i++) await s.cmd(`RCPT TO:<${t.address(`r${i}`)}>`, 250);
      const r = await s.cmd(`RCPT TO:<${t.address("one.too.many")}>`, 452);
      checkEnhanced(s, r, "4.5.3", "the recipient beyond the limit");
      await s.cmd("DATA", 354);
      await s.sendData(message(t), 250);
      const [sub] = committed(t, 1, "the transaction with the allowed recipients goes through");
      t.check(sub!.envelope.recipients?.length === max, "the envelope holds exactly the accepted recipients", String(max), String(sub!.envelope.recipients?.length ?? 0));
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-7
  {
    id: `${S}/SUB-7/quoted-localpart-and-domain-case`,
    level: "MUST",
    ref: "shims SUB-7",
    requirement: "Recipients become RecipientMailBox values: localpart = the local part as UTF-8 with SMTP quoting removed; domain split on dots into labels, lower-cased; lists omitted.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd('RCPT TO:<"a b"@Example.ORG>', 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      await s.sendData(message(t), 250);
      const env = t.store.submissions[0]?.envelope;
      const r0 = env?.recipients?.[0];
      t.check(r0 !== undefined && r0.localpart === "a b" && r0.domain.join("|") === "example|org", "quoting removed, domain split and lower-cased", 'localpart "a b", domain [example, org]', r0 === undefined ? "no recipient" : `localpart ${JSON.stringify(r0.localpart)}, domain [${r0.domain.join(", ")}]`);
      t.check(env?.lists === undefined, "lists is omitted for personal recipients", "no lists", `lists present (${env?.lists?.length})`);
      t.check(env?.recipients?.length === 2, "one RecipientMailBox per RCPT, in order", "2", String(env?.recipients?.length));
    },
  },
  {
    id: `${S}/SUB-7/escaped-quoted-localpart`,
    level: "SHOULD",
    ref: "shims SUB-7; RFC 5321 §4.1.2",
    requirement: "SMTP quoting is removed from the local part, including quoted-pairs.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<"x\\"y"@${t.domain}>`, 250);
      await s.cmd("DATA", 354);
      await s.sendData(message(t), 250);
      const r0 = t.store.submissions[0]?.envelope.recipients?.[0];
      t.check(r0?.localpart === 'x"y', "the quoted-pair \\\" becomes a plain quote", 'x"y', JSON.stringify(r0?.localpart));
    },
  },
  {
    id: `${S}/SUB-7/utf8-localpart`,
    level: "MAY",
    ref: "shims SUB-7; RFC 6531",
    requirement: "With SMTPUTF8, a UTF-8 local part reaches MSOAP as the same UTF-8 octets.",
    async run(t) {
      const { s } = await loggedIn(t);
      if (!s.has("SMTPUTF8")) t.skip("SMTPUTF8 is not advertised");
      const local = "pelé";
      const octets = String.fromCharCode(...new TextEncoder().encode(local));
      await s.cmd(`MAIL FROM:<${t.address("sender")}> SMTPUTF8`, 250);
      await s.cmd(`RCPT TO:<${octets}@${t.domain}>`, 250);
      await s.cmd("DATA", 354);
      await s.sendData(message(t), 250);
      const r0 = t.store.submissions[0]?.envelope.recipients?.[0];
      t.check(r0?.localpart === local, "the UTF-8 local part is passed unchanged", local, JSON.stringify(r0?.localpart));
    },
  },
  {
    id: `${S}/SUB-7/idn-domain-as-a-labels`,
    level: "MUST",
    ref: "shims SUB-7; im2000 §18 C-9; RFC 6531",
    requirement: "Domain labels reach MSOAP as A-labels (the sender applies IDNA2008 ToASCII), lower-cased.",
    async run(t) {
      const { s } = await loggedIn(t);
      if (!s.has("SMTPUTF8")) t.skip("SMTPUTF8 is not advertised");
      const octets = String.fromCharCode(...new TextEncoder().encode("Bücher.Example"));
      await s.cmd(`MAIL FROM:<${t.address("sender")}> SMTPUTF8`, 250);
      await s.cmd(`RCPT TO:<reader@${octets}>`, 250);
      await s.cmd("DATA", 354);
      await s.sendData(message(t), 250);
      const d = t.store.submissions[0]?.envelope.recipients?.[0]?.domain;
      t.check(d?.join(".") === "xn--bcher-kva.example", "a U-label domain is sent as its A-label, lower-cased", "xn--bcher-kva.example", String(d?.join(".")));
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-8
  {
    id: `${S}/SUB-8/lifetime`,
    level: "MUST",
    ref: "shims SUB-8",
    requirement: "lifetime = the configured defaultLifetimeSeconds (default 2,592,000 = 30 days).",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.send(t.address("sender"), [t.address()], message(t), 250);
      const lt = t.store.submissions[0]?.envelope.lifetime;
      t.check(Number(lt) === t.shim.lifetimeS, "the envelope lifetime is the configured one", String(t.shim.lifetimeS), String(lt));
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-9
  {
    id: `${S}/SUB-9/partial-envelope-denied`,
    level: "MUST",
    ref: "shims SUB-9",
    requirement: SUB9_TEXT,
    async run(t) {
      const { s } = await loggedIn(t);
      const [a, b, c] = [t.address("a"), t.address("denied.b"), t.address("c")];
      t.store.replies.push("envelope", { recipients: ["acceptable", "submissionaccessdenied", "acceptable"] });
      const r = await upToData(t, s, [a, b, c]);
      expectCode(r, [550, 551, 552, 553, 554], "DATA when one of three recipients is denied");
      checkEnhanced(s, r, "5.7.1", "DATA with a denied recipient");
      t.check(names(r, b), "the DATA reply names the refused recipient", b, printable(r.raw));
      t.check(!names(r, a) && !names(r, c), "only refused recipients are named", `only ${b}`, printable(r.raw));
      t.check(t.store.chunkCount() === 0, "nothing is stored: the store receives no chunk", "0 chunks", String(t.store.chunkCount()));
      await t.waitFor("the abandoned MSOAP transaction to be aborted (connection closed)", () => t.store.submissions[0]?.state === "aborted");
      // The next transaction works.
      await s.send(t.address("sender"), [a], message(t), 250);
      committed(t, 1, "the next transaction in the same SMTP session succeeds");
    },
  },
  {
    id: `${S}/SUB-9/all-recipients-denied`,
    level: "MUST",
    ref: "shims SUB-9",
    requirement: SUB9_TEXT,
    async run(t) {
      const { s } = await loggedIn(t);
      const [a, b] = [t.address("a"), t.address("b")];
      t.store.verdict = () => "submissionaccessdenied";
      const r = await upToData(t, s, [a, b]);
      expectCode(r, [550, 551, 552, 553, 554], "DATA when every recipient is denied");
      t.check(names(r, a) && names(r, b), "the DATA reply names each refused recipient", `${a} and ${b}`, printable(r.raw));
      t.check(t.store.chunkCount() === 0, "no chunk is sent", "0", String(t.store.chunkCount()));
      await s.cmd("RSET", 250);
    },
  },
  {
    id: `${S}/SUB-9/envelope-only-at-data`,
    level: "MUST",
    ref: "shims SUB-9; shims §1.4",
    requirement: "Envelope errors are reported at the reply to DATA, never earlier: the envelope reaches the store on the DATA verb.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await t.sleep(150);
      t.check(t.store.submissions.length === 0, "no CommandSubmitEnvelope before DATA", "none", String(t.store.submissions.length));
      await s.cmd("DATA", 354);
      t.check(t.store.submissions.length === 1, "the envelope was sent on the DATA verb, before 354", "1 envelope", String(t.store.submissions.length));
      await s.sendData(message(t), 250);
    },
  },
  {
    id: `${S}/SUB-9/354-waits-for-the-envelope-answer`,
    level: "MUST",
    ref: "shims SUB-9",
    requirement: "If every recipient is acceptable → 354, given only after the store's answer to CommandSubmitEnvelope.",
    async run(t) {
      const { s } = await loggedIn(t);
      const delay = 600 * t.multiplier;
      t.store.replies.push("envelope", { fault: { kind: "delay", ms: delay } });
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      const sent = Date.now();
      await s.cmd("DATA", 354);
      t.check(Date.now() - sent >= delay - 50, "354 must not come before the store accepted the envelope", `≥ ${delay} ms`, `${Date.now() - sent} ms`);
      await s.sendData(message(t), 250);
    },
  },
  {
    id: `${S}/SUB-9/aborted-envelope-answer`,
    level: "MUST",
    ref: "shims SUB-9; im2000 §4 item 7",
    requirement: "If the envelope response is aborted (forceabort), DATA is answered with a 5xx or the SUB-13 code, and nothing is stored.",
    async run(t) {
      const { s } = await loggedIn(t);
      t.store.replies.push("envelope", { status: "errornotpermitted", forceabort: true, recipients: ["submissionaccessdenied"] });
      const r = await upToData(t, s, [t.address()]);
      expectCode(r, [550, 551, 552, 553, 554], "DATA when the envelope answer is aborted");
      t.check(t.store.chunkCount() === 0, "no chunk after an aborted envelope", "0", String(t.store.chunkCount()));
    },
  },
];
