// SmtpSession started pre-authenticated and a SubmissionBackend whose MSOAP link already holds the
// credentials: what `sendmail -bs` uses (shims LOC-6, LOC-3). Driven sans I/O against a fake store.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SmtpSession, type SmtpSessionConfig, type Step } from "../../src/smtp/session.ts";
import { SubmissionBackend } from "../../src/smtp/submission-backend.ts";
import { silentLogger } from "../../src/util/log.ts";
import { FakeStore } from "../helpers/fake-store.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const CONFIG: SmtpSessionConfig = { hostname: "h.test", banner: "t", maxMessageSize: 1 << 20, maxRecipients: 10, maxErrors: 10, allowPlainAuthWithoutTls: true, starttls: false, chunking: true };

function code(s: Step): number {
  assert.equal(s.kind === "reply" || s.kind === "data", true, `unexpected step ${s.kind}`);
  return (s as { reply: { code: number } }).reply.code;
}

describe("a pre-authenticated SMTP session", () => {
  let store: FakeStore;
  before(async () => {
    store = await FakeStore.start({ accounts: { tester: "secret" } });
  });
  after(() => store.stop());

  const session = (password: string) =>
    new SmtpSession(
      CONFIG,
      new SubmissionBackend({
        chunkSize: 65536,
        envelopeTimeoutMs: 5000,
        flushIdleMs: 30_000,
        link: { store: { kind: "address", host: "127.0.0.1", port: store.port }, responseTimeoutMs: 5000, credentials: { account: "tester", password } },
        lifetimeSeconds: 3600,
        allowAnonymousSubmission: false,
        log: silentLogger,
      }),
      { remoteAddress: "stdin", loopback: true, tls: false, authenticatedAs: "tester" },
    );

  it("LOC-6 starts authenticated: no AUTH offered or accepted, MAIL needs none, and the link authenticates with the held credentials", async () => {
    const auths = store.commands("commandAuthenticate").length;
    const s = session("secret");
    assert.equal(s.authenticatedAs, "tester");
    const ehlo = await s.command("EHLO x");
    assert.ok(ehlo.kind === "reply" && !ehlo.reply.lines.some((l) => l.startsWith("AUTH")), "AUTH not advertised");
    assert.equal(code(await s.command("AUTH PLAIN AHRlc3RlcgBzZWNyZXQ=")), 503);
    assert.equal(code(await s.command("MAIL FROM:<>")), 250, "SUB-4's 530 does not apply");
    assert.equal(code(await s.command("RCPT TO:<lucy@example.org>")), 250);
    assert.equal(code(await s.command("DATA")), 354);
    await s.data(enc.encode("Subject: x\r\n\r\nhi\r\n"));
    assert.equal(code(await s.dataEnd(false)), 250);
    await s.end();
    assert.equal(store.commands("commandAuthenticate").length, auths + 1, "one CommandAuthenticate, with the held credentials");
    assert.equal(store.messages.at(-1)!.account, "tester");
    assert.equal(dec.decode(store.messages.at(-1)!.data), "Subject: x\r\n\r\nhi\r\n");
  });

  it("held credentials the store refuses: the reply to DATA is SUB-13's 530, nothing stored", async () => {
    const before = store.messages.length;
    const s = session("wrong");
    await s.command("EHLO x");
    await s.command("MAIL FROM:<>");
    await s.command("RCPT TO:<lucy@example.org>");
    assert.equal(code(await s.command("DATA")), 530);
    await s.end();
    assert.equal(store.messages.length, before);
  });
});
