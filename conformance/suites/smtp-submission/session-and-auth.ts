// Suite smtp-submission, SUB-1 … SUB-5: listening, AUTH passed through to MSOAP, mechanisms, one
// MSOAP session and one submission transaction per SMTP transaction, any reverse-path.

import { base64 } from "../../client/smtp.ts";
import { checkEnhanced, committed, connected, expectCode, loggedIn, message, noViolations, type Case } from "../smtp-common.ts";
import { S, SUB2_TEXT, upToData } from "./common.ts";

export const sessionAndAuthCases: Case[] = [
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
];
