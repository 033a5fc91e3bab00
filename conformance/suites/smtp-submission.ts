// Suite `smtp-submission`: shims.md §2.1 (SUB-1…SUB-15) and GEN-*, observed from outside (shims
// §3), plus the RFC behaviour an SMTP submission server must have. Cases are written from the
// requirement text, never from an implementation.

import type { CaseContext } from "../context.ts";
import { base64, dotStuff } from "../client/smtp.ts";
import { printable } from "../wire-log.ts";
import { checkEnhanced, committed, connected, contentText, expectCode, hex, loggedIn, message, names, noViolations, storeSaw, type Case } from "./smtp-common.ts";

const S = "smtp-submission";

/** SUB-13: MSOAP status → SMTP reply and enhanced code. */
export const SUB13: readonly { status: string; code: number; enhanced: string; closes?: boolean }[] = [
  { status: "errornotauthenticated", code: 530, enhanced: "5.7.0" },
  { status: "errornotpermitted", code: 554, enhanced: "5.7.1" },
  { status: "errornotenoughroom", code: 452, enhanced: "4.3.1" },
  { status: "errorwouldexceedquota", code: 452, enhanced: "4.2.2" },
  { status: "errorlifetimetooshort", code: 451, enhanced: "4.3.5" },
  { status: "errorserviceshutdown", code: 421, enhanced: "4.3.2", closes: true },
  { status: "errorinternalproblem", code: 451, enhanced: "4.3.0" },
  { status: "errorcommandtimeout", code: 451, enhanced: "4.3.0" },
  { status: "errormalformedpdu", code: 451, enhanced: "4.3.0" },
  { status: "errorunexpectedcommand", code: 451, enhanced: "4.3.0" },
];

const SUB2_TEXT = "SMTP AUTH credentials are passed to MSOAP CommandAuthenticate unchanged; the AUTH reply is given only after the MSOAP response: noerror → 235; errornotauthenticated → 535 5.7.8; any other status or transport failure → 454 4.7.0.";
const SUB9_TEXT = "Envelope errors are reported at the reply to DATA, never earlier. If any recipient is submissionaccessdenied, or the response is aborted, DATA is answered with a 5xx (or the SUB-13 code) naming each refused recipient, and nothing is stored.";
const SUB10_TEXT = "The content (dot-unstuffed, CRLF preserved, octets unchanged) is streamed to the store as CommandSubmitMsgChunks of at most chunkSize octets with contiguous offsets; after the final dot the last chunk carries islast=TRUE. If the store aborts mid-stream the shim reads on to the dot and answers with the SUB-13 code.";
const SUB13_TEXT = "MSOAP → SMTP mapping: errornotauthenticated → 530 5.7.0; errornotpermitted → 554 5.7.1; errornotenoughroom → 452 4.3.1; errorwouldexceedquota → 452 4.2.2; errorlifetimetooshort → 451 4.3.5; errorserviceshutdown → 421 4.3.2 then close; errorinternalproblem, errorcommandtimeout, errormalformedpdu, errorunexpectedcommand, transport loss → 451 4.3.0.";

/** MAIL and RCPT to the case's domain, then DATA: returns the DATA reply. */
async function upToData(t: CaseContext, s: Awaited<ReturnType<typeof loggedIn>>["s"], rcpts: readonly string[], from = t.address("sender")) {
  await s.cmd(`MAIL FROM:<${from}>`, 250);
  for (const r of rcpts) await s.cmd(`RCPT TO:<${r}>`, 250);
  return s.cmd("DATA");
}

function mapCase(where: "envelope" | "chunk", m: (typeof SUB13)[number]): Case {
  return {
    id: `${S}/SUB-13/${where}-${m.status}`,
    level: "MUST",
    ref: "shims SUB-13",
    requirement: SUB13_TEXT,
    async run(t) {
      const { s } = await loggedIn(t);
      if (where === "envelope") {
        t.store.replies.push("envelope", { status: m.status });
        const r = await upToData(t, s, [t.address()]);
        expectCode(r, m.code, `DATA when the store answers the envelope with ${m.status}`);
        checkEnhanced(s, r, m.enhanced, "DATA");
      } else {
        t.store.replies.push("chunk", { status: m.status });
        const r = await upToData(t, s, [t.address()]);
        expectCode(r, 354, "DATA");
        const end = await s.sendData(message(t));
        expectCode(end, m.code, `the end of DATA when the store answers a chunk with ${m.status}`);
        checkEnhanced(s, end, m.enhanced, "the end of DATA");
      }
      t.check(t.store.committed().length === 0, "nothing may be stored after a failure (SUB-11)", "no committed submission", `${t.store.committed().length}`);
      if (m.closes === true) {
        const closed = await s.conn.closedWithin(t.timeoutMs);
        t.check(closed, "after 421 the shim must close the SMTP connection (SUB-13, RFC 5321 §3.8)", "the connection closed", "still open");
      }
    },
  };
}

export const smtpSubmissionCases: Case[] = [
  // ---------------------------------------------------------------------------------------- SUB-1
  {
    id: `${S}/SUB-1/greeting-and-ehlo`,
    level: "MUST",
    ref: "shims SUB-1; RFC 5321 §4.3.1",
    requirement: "The shim listens as an SMTP Submission server: it greets with 220 and answers EHLO with 250.",
    async run(t) {
      const s = await t.smtp();
      await s.greeting(220);
      await s.ehlo();
      await s.quit();
    },
  },
  {
    id: `${S}/SUB-1/implicit-tls`,
    level: "MAY",
    ref: "shims SUB-1; RFC 8314 §3.3",
    requirement: "The shim may also listen with implicit TLS (port 465); there it greets 220 over TLS with the configured certificate.",
    needs: ["implicit-tls"],
    async run(t) {
      const s = await connected(t, { implicitTls: true });
      t.check(s.conn.encrypted, "the implicit-TLS connection must be encrypted", "TLS", "plain");
      t.check(!s.has("STARTTLS"), "STARTTLS must not be offered on a connection that is already TLS (RFC 3207 §4.2)", "no STARTTLS", "STARTTLS advertised");
      const { account, password } = t.account();
      await s.authPlain(account, password, 235);
      await s.send(t.address("sender"), [t.address()], message(t), 250);
      committed(t, 1, "a message submitted over implicit TLS reaches the store");
    },
  },
  {
    id: `${S}/SUB-1/submits-to-the-configured-store`,
    level: "MUST",
    ref: "shims SUB-1",
    requirement: "For every accepted message the shim acts as an MSOAP client of the one configured message store.",
    async run(t) {
      const { s } = await loggedIn(t);
      const r = await s.send(t.address("sender"), [t.address()], message(t), 250);
      committed(t, 1, "the message must reach the configured store before 250");
      noViolations(t);
      void r;
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-2
  {
    id: `${S}/SUB-2/plain-credentials-passed-unchanged`,
    level: "MUST",
    ref: "shims SUB-2; RFC 4616",
    requirement: SUB2_TEXT,
    async run(t) {
      const { account } = t.account("Üser Name");
      const password = "pä ss:wörd\u00a0€";
      t.store.accounts.set(account, password);
      const s = await connected(t);
      await s.authPlain(account, password, 235);
      const a = t.store.authentications;
      t.check(a.length === 1, "one CommandAuthenticate for one AUTH", "1", String(a.length));
      t.check(a[0]!.account === account && a[0]!.password === password, "the MSOAP account and password must be the SMTP authcid and password, unchanged", `${JSON.stringify(account)} / ${JSON.stringify(password)}`, `${JSON.stringify(a[0]!.account)} / ${JSON.stringify(a[0]!.password)}`);
    },
  },
  {
    id: `${S}/SUB-2/login-credentials-passed-unchanged`,
    level: "MUST",
    ref: "shims SUB-2",
    requirement: SUB2_TEXT,
    async run(t) {
      const { account, password } = t.account();
      const s = await connected(t);
      if (!s.authMechanisms().includes("LOGIN")) t.skip("AUTH LOGIN is not advertised");
      await s.authLogin(account, password, 235);
      const a = t.store.authentications[0];
      t.check(a !== undefined && a.account === account && a.password === password, "AUTH LOGIN credentials must reach MSOAP unchanged", `${account} / ${password}`, a === undefined ? "no CommandAuthenticate" : `${a.account} / ${a.password}`);
    },
  },
  {
    id: `${S}/SUB-2/authzid-equal-to-authcid`,
    level: "SHOULD",
    ref: "shims SUB-2; RFC 4616 §2",
    requirement: "AUTH PLAIN with an authorization identity equal to the authentication identity (as mutt sends it) is the same login.",
    async run(t) {
      const { account, password } = t.account();
      const s = await connected(t);
      await s.conn.send(`AUTH PLAIN ${base64(`${account}\0${account}\0${password}`)}`);
      await s.expect(235, "AUTH PLAIN with authzid");
      t.check(t.store.authentications[0]?.account === account, "the authcid is the MSOAP account", account, t.store.authentications[0]?.account ?? "none");
    },
  },
  {
    id: `${S}/SUB-2/rejected-credentials-535`,
    level: "MUST",
    ref: "shims SUB-2",
    requirement: SUB2_TEXT,
    async run(t) {
      const { account } = t.account();
      const s = await connected(t);
      const r = await s.authPlain(account, "wrong-password", 535);
      checkEnhanced(s, r, "5.7.8", "AUTH with wrong credentials");
      await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 530);
    },
  },
  ...["errorinternalproblem", "errorserviceshutdown", "errorcommandtimeout"].map(
    (status): Case => ({
      id: `${S}/SUB-2/store-${status}-454`,
      level: "MUST",
      ref: "shims SUB-2",
      requirement: SUB2_TEXT,
      async run(t) {
        const { account, password } = t.account();
        t.store.replies.push("authenticate", { status });
        const s = await connected(t);
        const r = await s.authPlain(account, password, 454);
        checkEnhanced(s, r, "4.7.0", `AUTH when the store answers ${status}`);
      },
    }),
  ),
  ...(["close", "close-mid-pdu", "malformed"] as const).map(
    (kind): Case => ({
      id: `${S}/SUB-2/store-fault-${kind}-454`,
      level: "MUST",
      ref: "shims SUB-2; im2000 §7 C-1",
      requirement: SUB2_TEXT,
      async run(t) {
        const { account, password } = t.account();
        t.store.replies.push("authenticate", { fault: { kind } });
        const s = await connected(t);
        const r = await s.authPlain(account, password, 454);
        checkEnhanced(s, r, "4.7.0", `AUTH after the store's ${kind}`);
        if (kind === "malformed") {
          t.check(await t.shimClosedAfterBadPdu(), "after an unparseable PDU the client must end the IM2000 session (im2000 §7 C-1)", "the MSOAP connection closed by the shim", "kept open");
        }
      },
    }),
  ),
  {
    id: `${S}/SUB-2/store-unreachable-454`,
    level: "MUST",
    ref: "shims SUB-2",
    requirement: SUB2_TEXT,
    exclusive: true,
    async run(t) {
      const { account, password } = t.account();
      await t.fake.store.refuseMsoap();
      t.onCleanup(() => t.fake.store.acceptMsoap());
      const s = await connected(t);
      const r = await s.authPlain(account, password, 454);
      checkEnhanced(s, r, "4.7.0", "AUTH while the store refuses connections");
    },
  },
  {
    id: `${S}/SUB-2/reply-waits-for-the-store`,
    level: "MUST",
    ref: "shims SUB-2",
    requirement: "The SMTP AUTH reply is given only after the MSOAP response.",
    async run(t) {
      const { account, password } = t.account();
      const delay = 600 * t.multiplier;
      t.store.replies.push("authenticate", { fault: { kind: "delay", ms: delay } });
      const s = await connected(t);
      await s.conn.send(`AUTH PLAIN ${base64(`\0${account}\0${password}`)}`);
      await s.expect(235, "AUTH PLAIN");
      const asked = t.store.authentications[0]?.at ?? Date.now();
      const waited = Date.now() - asked;
      t.check(waited >= delay - 50, "235 must not come before the store's answer", `at least ${delay} ms after the CommandAuthenticate`, `${waited} ms`);
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-3
  {
    id: `${S}/SUB-3/only-plain-and-login`,
    level: "MUST",
    ref: "shims SUB-3",
    requirement: "Only mechanisms that yield the clear password are advertised (PLAIN, LOGIN).",
    async run(t) {
      const s = await connected(t);
      const mechs = s.authMechanisms();
      t.check(mechs.length > 0, "AUTH must be advertised on a loopback connection (conformance interface: loopback counts as loopback)", "AUTH PLAIN …", "no AUTH keyword");
      const other = mechs.filter((m) => m !== "PLAIN" && m !== "LOGIN");
      t.check(other.length === 0, "mechanisms that do not yield the password cannot be passed to MSOAP", "PLAIN and/or LOGIN only", mechs.join(" "));
    },
  },
  {
    id: `${S}/SUB-3/no-plain-auth-off-loopback-before-tls`,
    level: "MUST",
    ref: "shims SUB-3; RFC 4954 §4, §6",
    requirement: "On a connection that is neither TLS nor loopback, AUTH is advertised only after STARTTLS (unless allowPlainAuthWithoutTls is configured); the password never crosses in the clear.",
    async run(t) {
      const { account, password } = t.account();
      const s = await t.smtp({ fromNonLoopback: true });
      await s.greeting();
      await s.ehlo();
      t.check(s.authMechanisms().length === 0, "no AUTH before STARTTLS off loopback", "no AUTH keyword", `AUTH ${s.authMechanisms().join(" ")}`);
      await s.conn.send(`AUTH PLAIN ${base64(`\0${account}\0${password}`)}`);
      await s.expect([503, 504, 530, 538], "AUTH in the clear off loopback");
      t.check(t.store.authentications.length === 0, "credentials sent in the clear must not be used", "no CommandAuthenticate", `${t.store.authentications.length}`);
      await s.starttls();
      await s.ehlo();
      t.check(s.authMechanisms().includes("PLAIN"), "after STARTTLS, AUTH is advertised", "AUTH PLAIN …", s.authMechanisms().join(" ") || "none");
      await s.authPlain(account, password, 235);
    },
  },
  {
    id: `${S}/SUB-3/unknown-mechanism-504`,
    level: "MUST",
    ref: "shims SUB-3; RFC 4954 §4",
    requirement: "AUTH with a mechanism the server does not support gets 504.",
    async run(t) {
      const s = await connected(t);
      await s.cmd("AUTH CRAM-MD5", 504);
      t.check(t.store.authentications.length === 0, "no MSOAP traffic for an unsupported mechanism", "none", String(t.store.authentications.length));
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-4
  {
    id: `${S}/SUB-4/three-messages-one-authentication`,
    level: "MUST",
    ref: "shims SUB-4",
    requirement: "At most one MSOAP session per SMTP session, opened at AUTH; each SMTP mail transaction produces exactly one MSOAP submission transaction: one CommandSubmitEnvelope and ≥1 CommandSubmitMsgChunk, the last with islast=TRUE.",
    async run(t) {
      const { s } = await loggedIn(t);
      for (let i = 0; i < 3; i++) await s.send(t.address("sender"), [t.address(`r${i}`)], message(t, `message ${i}\r\n`), 250);
      await s.quit();
      const subs = committed(t, 3, "three SMTP transactions → three MSOAP submissions");
      t.check(t.store.submissions.length === 3, "exactly one envelope per SMTP transaction", "3 envelopes", String(t.store.submissions.length));
      t.check(t.store.authentications.length === 1, "one CommandAuthenticate for the whole SMTP session", "1", String(t.store.authentications.length));
      t.check(t.store.msoapConnections.size === 1, "one MSOAP session for the SMTP session", "1 connection", String(t.store.msoapConnections.size));
      for (const sub of subs) {
        const last = sub.chunks[sub.chunks.length - 1];
        t.check(last?.islast === true && sub.chunks.slice(0, -1).every((c) => !c.islast), "islast only on the final chunk", "…, islast=TRUE", sub.chunks.map((c) => String(c.islast)).join(", "));
      }
      noViolations(t);
    },
  },
  {
    id: `${S}/SUB-4/mail-before-auth-530`,
    level: "MUST",
    ref: "shims SUB-4; RFC 4954 §6",
    requirement: "On the Submission port, MAIL before AUTH gets 530 5.7.0 unless allowAnonymousSubmission is set.",
    async run(t) {
      const s = await connected(t);
      const r = await s.cmd(`MAIL FROM:<${t.address("sender")}>`, 530);
      checkEnhanced(s, r, "5.7.0", "MAIL before AUTH");
    },
  },
  {
    id: `${S}/SUB-4/new-session-after-abandon-reauthenticates`,
    level: "MUST",
    ref: "shims SUB-4; shims SUB-9",
    requirement: "A new MSOAP session, re-authenticated with the same credentials, is opened only after a SUB-9 abandonment, an S-4/S-5 close or transport loss.",
    async run(t) {
      const { s, account, password } = await loggedIn(t);
      const denied = t.address("denied");
      t.store.replies.push("envelope", { recipients: ["acceptable", "submissionaccessdenied"] });
      const r = await upToData(t, s, [t.address(), denied]);
      expectCode(r, [550, 551, 552, 553, 554], "DATA with a denied recipient");
      await s.send(t.address("sender"), [t.address("again")], message(t), 250);
      committed(t, 1, "the next transaction succeeds on a new MSOAP session");
      const a = t.store.authentications;
      t.check(a.length === 2 && a.every((x) => x.account === account && x.password === password), "the new MSOAP session re-authenticates with the same credentials", "2 authentications with the SMTP credentials", a.map((x) => `${x.account}@${x.conn}`).join(", "));
      t.check(a[0]!.conn !== a[1]!.conn, "the re-authentication happens on a new connection", "two connections", `both on ${a[0]!.conn}`);
    },
  },
  {
    id: `${S}/SUB-4/reconnect-after-service-shutdown`,
    level: "MUST",
    ref: "shims SUB-4; im2000 §18 C-6",
    requirement: "After a forceabort with errorserviceshutdown or errorcommandtimeout the MSOAP session is over; the shim reconnects lazily (a later SMTP session works).",
    async run(t) {
      const first = await loggedIn(t);
      t.store.replies.push("envelope", { status: "errorserviceshutdown" });
      const r = await upToData(t, first.s, [t.address()]);
      expectCode(r, 421, "DATA when the store shuts down");
      const s = await connected(t);
      await s.authPlain(first.account, first.password, 235);
      await s.send(t.address("sender"), [t.address()], message(t), 250);
      committed(t, 1, "a new SMTP session after the store's shutdown answer submits normally");
    },
  },
  // ---------------------------------------------------------------------------------------- SUB-5
  {
    id: `${S}/SUB-5/null-reverse-path-accepted`,
    level: "MUST",
    ref: "shims SUB-5",
    requirement: "MAIL FROM (including <>) is accepted (250) and not forwarded: MSOAP has no envelope-sender field.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd("MAIL FROM:<>", 250);
      await s.cmd(`RCPT TO:<${t.address()}>`, 250);
      await s.cmd("DATA", 354);
      await s.sendData(message(t), 250);
      committed(t, 1, "a message with a null reverse-path is submitted");
    },
  },
  {
    id: `${S}/SUB-5/any-reverse-path-accepted`,
    level: "MUST",
    ref: "shims SUB-5",
    requirement: "Any reverse-path is accepted (250), whatever the authenticated account.",
    async run(t) {
      const { s } = await loggedIn(t);
      await s.cmd("MAIL FROM:<someone.else@unrelated.example>", 250);
      t.check(t.store.msoapCommands.every((c) => c.kind === "commandAuthenticate"), "MAIL causes no MSOAP traffic", "only the CommandAuthenticate", t.store.msoapCommands.map((c) => c.kind).join(", "));
    },
  },
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
    level: "SHOULD",
    ref: "shims SUB-13; shims SUB-10; shims GEN-5; im2000 §5 item 6",
    requirement: "A store that does not answer within the shim's response timeout (IM2000_PEER_TIMEOUT_S, proposed) is a transport loss: DATA gets 451 and the session goes on.",
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

function firstDiff(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

