// RFC 5321 behaviour of the SMTP shim beyond the SUB-* table: the state machine, pipelining,
// dot-stuffing, limits, STARTTLS (and the pipelined-plaintext injection it must resist), BDAT,
// bad input, timeouts, session caps, and SUB-3's plain-text AUTH rule on a non-loopback client.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { SmtpServiceConfig } from "../../src/smtp/service.ts";
import { SmtpSession } from "../../src/smtp/session.ts";
import type { SmtpBackend } from "../../src/smtp/backend.ts";
import { reply } from "../../src/smtp/reply.ts";
import type { FakeStoreScript } from "../helpers/fake-store.ts";
import { b64, LineClient } from "../helpers/line-client.ts";
import { testCertificate } from "../helpers/tls.ts";
import { waitFor } from "../helpers/wait.ts";
import { login, smtpWithFakeStore, type SmtpTestEnv } from "./helpers.ts";

const dec = new TextDecoder();
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function env(cfg: Partial<SmtpServiceConfig> = {}, script: FakeStoreScript = {}): Promise<SmtpTestEnv> {
  const e = await smtpWithFakeStore(cfg, script);
  cleanups.push(e.stop);
  return e;
}

describe("SMTP state machine (RFC 5321 §4.1)", () => {
  it("greets with 220 and advertises the extensions in EHLO", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    assert.match((await c.reply()).text, /^220 shim\.test ESMTP/);
    const e = await c.cmd("EHLO client.test");
    for (const ext of ["PIPELINING", "SIZE 26214400", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "AUTH PLAIN LOGIN"]) assert.ok(e.lines.some((l) => l.slice(4) === ext), `${ext} in ${e.text}`);
    assert.ok(!e.lines.some((l) => /STARTTLS/.test(l)), "no STARTTLS without a certificate");
    c.close();
  });
  it("lower-case verbs are accepted", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    await c.reply();
    assert.equal((await c.cmd("ehlo x")).code, 250);
    assert.equal((await c.cmd(`auth plain ${b64("\0alice\0secret")}`)).code, 235);
    assert.equal((await c.cmd("mail FROM:<a@b.c>")).code, 250);
    assert.equal((await c.cmd("rcpt to:<d@e.f>")).code, 250);
    c.close();
  });
  it("commands out of order get 503; unknown ones 500", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    await c.reply();
    assert.match((await c.cmd("MAIL FROM:<a@b.c>")).text, /^503 5\.5\.1/);
    await c.cmd("EHLO x");
    assert.match((await c.cmd("RCPT TO:<a@b.c>")).text, /^503/);
    assert.match((await c.cmd("DATA")).text, /^503/);
    assert.match((await c.cmd("FROB")).text, /^500 5\.5\.2/);
    c.close();
  });
  it("VRFY 252, EXPN 502, HELP 214, NOOP 250, RSET 250", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    await c.reply();
    assert.match((await c.cmd("VRFY bob")).text, /^252 2\.5\.0/);
    assert.match((await c.cmd("EXPN list")).text, /^502/);
    assert.equal((await c.cmd("HELP")).code, 214);
    assert.equal((await c.cmd("NOOP")).code, 250);
    assert.equal((await c.cmd("RSET")).code, 250);
    c.close();
  });
  it("a second EHLO after AUTH keeps the session authenticated", async () => {
    const { port } = await env();
    const c = await login(port);
    const e = await c.cmd("EHLO again");
    assert.ok(!e.lines.some((l) => /AUTH/.test(l)), "AUTH no longer offered");
    assert.equal((await c.cmd("MAIL FROM:<a@b.c>")).code, 250);
    assert.match((await c.cmd("AUTH PLAIN x")).text, /^503/);
    c.close();
  });
  it("AUTH PLAIN with an authzid equal to the user (mutt) works; a different one is refused", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    await c.reply();
    await c.cmd("EHLO x");
    assert.match((await c.cmd(`AUTH PLAIN ${b64("bob\0alice\0secret")}`)).text, /^535/);
    assert.equal((await c.cmd(`AUTH PLAIN ${b64("alice\0alice\0secret")}`)).code, 235);
    c.close();
  });
  it("an empty AUTH challenge is '334 ' with its space (GNU SASL in mailutils rejects a bare 334)", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    await c.reply();
    await c.cmd("EHLO x");
    await c.send("AUTH PLAIN");
    assert.equal(await c.line(), "334 ");
    assert.equal((await c.cmd(b64("\0alice\0secret"))).code, 235);
    c.close();
  });
  it("AUTH: malformed base64 is 501, * cancels with 501, unknown mechanism 504", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    await c.reply();
    await c.cmd("EHLO x");
    assert.match((await c.cmd("AUTH PLAIN !!!")).text, /^501 5\.5\.2/);
    assert.equal((await c.cmd("AUTH PLAIN")).code, 334);
    assert.match((await c.cmd("*")).text, /^501 5\.0\.0/);
    assert.match((await c.cmd("AUTH CRAM-MD5")).text, /^504/);
    c.close();
  });
  it("pipelined commands get their replies in order (RFC 2920)", async () => {
    const { store, port } = await env();
    const c = await login(port);
    await c.write("MAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nRCPT TO:<w@y.z>\r\nDATA\r\n");
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 354);
    await c.write("Subject: p\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\n");
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 354);
    await c.write(".\r\nQUIT\r\n");
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 221);
    assert.equal(store.messages.length, 2);
    assert.equal(dec.decode(store.messages[0]!.data), "Subject: p\r\n\r\nbody\r\n");
    assert.equal(store.messages[1]!.data.byteLength, 0);
  });
  it("dot-stuffed lines are unstuffed", async () => {
    const { store, port } = await env();
    const c = await login(port);
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    await c.cmd("DATA");
    assert.equal((await c.cmd("..\r\n...x\r\n.y\r\n.")).code, 250);
    assert.equal(dec.decode(store.messages[0]!.data), ".\r\n..x\r\ny\r\n");
    c.close();
  });
  it("bare LF line ends in DATA are normalised to CRLF, and LF.LF does not end the data", async () => {
    const { store, port } = await env();
    const c = await login(port);
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    await c.cmd("DATA");
    await c.write("Subject: lf\n\nline\n.\nstill content\n\r\n.\r\n");
    assert.equal((await c.reply()).code, 250);
    assert.equal(dec.decode(store.messages[0]!.data), "Subject: lf\r\n\r\nline\r\n.\r\nstill content\r\n\r\n");
    c.close();
  });
});

describe("SMTP limits and bad input", () => {
  it("a line past the limit gets 500 5.5.2 and the session stays in sync", async () => {
    const { port } = await env({ maxLineLength: 512 });
    const c = await LineClient.connect(port);
    await c.reply();
    await c.write(`NOOP ${"x".repeat(5000)}\r\nNOOP\r\n`);
    assert.match((await c.reply()).text, /^500 5\.5\.2 Line too long/);
    assert.equal((await c.reply()).code, 250);
    c.close();
  });
  it("NUL bytes and binary garbage get 500, then too many errors end the session with 421", async () => {
    const { port } = await env({ maxErrors: 3 });
    const c = await LineClient.connect(port);
    await c.reply();
    await c.write(Uint8Array.of(0x4e, 0x4f, 0x00, 0x4f, 0x50, 0x0d, 0x0a));
    assert.match((await c.reply()).text, /^500/);
    await c.write(Uint8Array.of(0xff, 0xfe, 0x80, 0x0d, 0x0a));
    assert.match((await c.reply()).text, /^500/);
    await c.write("\x01\x02\r\n");
    assert.match((await c.reply()).text, /^421 4\.7\.0/);
    assert.equal(await c.closed(), true);
  });
  it("an HTTP request is answered once and closed", async () => {
    const { port } = await env();
    const c = await LineClient.connect(port);
    await c.reply();
    await c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match((await c.reply()).text, /^221 2\.7\.0/);
    assert.equal(await c.closed(), true);
  });
  it("MAIL SIZE over the limit gets 552 5.3.4; a message over SIZE is refused with nothing stored", async () => {
    const { store, port } = await env({ maxMessageSize: 1000 });
    const c = await login(port);
    assert.match((await c.cmd("MAIL FROM:<a@b.c> SIZE=5000")).text, /^552 5\.3\.4/);
    await c.cmd("MAIL FROM:<a@b.c> SIZE=500");
    await c.cmd("RCPT TO:<x@y.z>");
    await c.cmd("DATA");
    await c.write("x".repeat(3000) + "\r\n.\r\n");
    assert.match((await c.reply()).text, /^552 5\.3\.4/);
    await waitFor(() => store.aborted.length === 1, "the store-side transaction to be aborted");
    assert.equal(store.messages.length, 0);
    assert.equal((await c.cmd("NOOP")).code, 250);
    c.close();
  });
  it("an RCPT flood stops at maxRecipients with 452 and does not grow memory", async () => {
    const { port } = await env({ maxRecipients: 100 });
    const c = await login(port);
    await c.cmd("MAIL FROM:<a@b.c>");
    let burst = "";
    for (let i = 0; i < 150; i++) burst += `RCPT TO:<u${i}@y.z>\r\n`;
    await c.write(burst);
    const codes: number[] = [];
    for (let i = 0; i < 150; i++) codes.push((await c.reply()).code);
    assert.equal(codes.filter((x) => x === 250).length, 100);
    assert.equal(codes.filter((x) => x === 452).length, 50);
    c.close();
  });
  it("the idle timeout ends the session with 421 4.4.2", async () => {
    const { port } = await env({ idleTimeoutMs: 300 });
    const c = await LineClient.connect(port);
    await c.reply();
    assert.match((await c.reply(3000)).text, /^421 4\.4\.2/);
    assert.equal(await c.closed(), true);
  });
  it("connections beyond the per-address cap get 421 at once", async () => {
    const { port } = await env({ maxSessionsPerIp: 1 });
    const a = await LineClient.connect(port);
    assert.equal((await a.reply()).code, 220);
    const b = await LineClient.connect(port);
    assert.match((await b.reply()).text, /^421 4\.7\.0/);
    assert.equal(await b.closed(), true);
    a.close();
  });
  it("AUTH in a loop with wrong passwords ends with 421, the store never sees the session reused by another", async () => {
    const { port } = await env({ maxErrors: 5 });
    const c = await LineClient.connect(port);
    await c.reply();
    await c.cmd("EHLO x");
    let last = 0;
    for (let i = 0; i < 5; i++) last = (await c.cmd(`AUTH PLAIN ${b64("\0alice\0wrong")}`)).code;
    assert.equal(last, 421);
    assert.equal(await c.closed(), true);
  });
  it("a client silent at an AUTH challenge hears the same 421s: 4.4.2 on timeout, 4.3.2 on shutdown", async () => {
    const idle = await env({ idleTimeoutMs: 300 });
    const a = await LineClient.connect(idle.port);
    await a.reply();
    await a.cmd("EHLO x");
    assert.equal((await a.cmd("AUTH LOGIN")).code, 334);
    assert.match((await a.reply(3000)).text, /^421 4\.4\.2/);
    assert.equal(await a.closed(), true);
    const { smtp, port } = await env();
    const b = await LineClient.connect(port);
    await b.reply();
    await b.cmd("EHLO x");
    assert.equal((await b.cmd("AUTH LOGIN")).code, 334);
    const done = smtp.close();
    assert.match((await b.reply()).text, /^421 4\.3\.2/);
    await done;
  });
  it("shutdown says 421 to connected clients", async () => {
    const { smtp, port } = await env();
    const c = await LineClient.connect(port);
    await c.reply();
    const done = smtp.close();
    assert.match((await c.reply()).text, /^421 4\.3\.2/);
    await done;
  });
});

describe("STARTTLS and implicit TLS (RFC 3207, RFC 8314)", () => {
  let cert: { cert: string; key: string };
  before(async () => {
    cert = await testCertificate();
  });
  it("STARTTLS upgrades, resets the session, and then AUTH works", async () => {
    const { store, port } = await env({ tls: cert });
    const c = await LineClient.connect(port);
    await c.reply();
    assert.ok((await c.cmd("EHLO x")).lines.some((l) => /STARTTLS/.test(l)));
    assert.match((await c.cmd("STARTTLS")).text, /^220 2\.0\.0/);
    await c.startTls({ ca: cert.cert, servername: "localhost" });
    assert.match((await c.cmd("MAIL FROM:<a@b.c>")).text, /^503/, "state reset: EHLO needed again");
    const e = await c.cmd("EHLO x");
    assert.ok(!e.lines.some((l) => /STARTTLS/.test(l)));
    assert.equal((await c.cmd(`AUTH PLAIN ${b64("\0alice\0secret")}`)).code, 235);
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    await c.cmd("DATA");
    assert.equal((await c.cmd("tls\r\n.")).code, 250);
    assert.equal(dec.decode(store.messages[0]!.data), "tls\r\n");
    c.close();
  });
  it("commands pipelined after STARTTLS are discarded, not executed inside TLS (CVE-2011-0411 class)", async () => {
    const { port } = await env({ tls: cert });
    const c = await LineClient.connect(port);
    await c.reply();
    await c.cmd("EHLO x");
    await c.write("STARTTLS\r\nMAIL FROM:<injected@evil>\r\n");
    assert.equal((await c.reply()).code, 220);
    await c.startTls({ ca: cert.cert, servername: "localhost" });
    // Had the injected MAIL survived, this would be a nested-MAIL 503 or a 250 to it.
    assert.equal((await c.cmd("NOOP")).code, 250);
    assert.match((await c.cmd("MAIL FROM:<a@b.c>")).text, /^503 5\.5\.1 Send HELO/);
    c.close();
  });
  it("implicit TLS listener speaks SMTP inside TLS from the first octet", async () => {
    const { smtp } = await env({ tls: cert, listenTls: [{ host: "127.0.0.1", port: 0 }] });
    const tlsPort = smtp.ports.find((p) => p.tls)!.port;
    const c = await LineClient.connect(tlsPort, { ca: cert.cert, servername: "localhost" });
    assert.equal((await c.reply()).code, 220);
    const e = await c.cmd("EHLO x");
    assert.ok(e.lines.some((l) => /AUTH PLAIN LOGIN/.test(l)));
    assert.ok(!e.lines.some((l) => /STARTTLS/.test(l)));
    c.close();
  });
});

describe("BDAT (RFC 3030)", () => {
  it("chunks are submitted byte for byte, without dot handling", async () => {
    const { store, port } = await env();
    const c = await login(port);
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    await c.write("BDAT 8\r\n.\r\nab\r\n.");
    assert.match((await c.reply()).text, /^250/);
    await c.write("BDAT 3 LAST\r\n\r\nz");
    assert.match((await c.reply()).text, /^250 2\.0\.0 Message accepted/);
    assert.equal(dec.decode(store.messages[0]!.data), ".\r\nab\r\n.\r\nz");
    c.close();
  });
  it("a refused envelope refuses every BDAT of the transaction, reading their data", async () => {
    const { store, port } = await env({}, { acceptRecipient: () => false });
    const c = await login(port);
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    await c.write("BDAT 4\r\nabcd");
    assert.match((await c.reply()).text, /^554/);
    await c.write("BDAT 2 LAST\r\nef");
    assert.match((await c.reply()).text, /^554/);
    assert.equal((await c.cmd("NOOP")).code, 250);
    assert.equal(store.messages.length, 0);
    c.close();
  });
});

describe("SUB-3 plain-text AUTH only on TLS or loopback", () => {
  const backend: SmtpBackend = {
    requiresAuth: true,
    authenticate: async () => ({ ok: true, reply: reply(235, "2.7.0", "ok") }),
    checkRecipient: () => undefined,
    begin: async () => ({ ok: false, reply: reply(554, "5.7.1", "no") }),
    close: async () => {},
  };
  const config = { hostname: "h", banner: "b", maxMessageSize: 1000, maxRecipients: 10, maxErrors: 10, starttls: true, chunking: false };
  it("not advertised and refused with 538 before STARTTLS from a non-loopback address", async () => {
    const s = new SmtpSession({ ...config, allowPlainAuthWithoutTls: false }, backend, { remoteAddress: "192.0.2.7", loopback: false, tls: false });
    const e = await s.command("EHLO x");
    assert.ok(e.kind === "reply" && !e.reply.lines.some((l) => l.startsWith("AUTH")));
    const a = await s.command(`AUTH PLAIN ${b64("\0a\0b")}`);
    assert.ok(a.kind === "reply" && a.reply.code === 538 && a.reply.enhanced === "5.7.11");
    s.tlsStarted();
    const e2 = await s.command("EHLO x");
    assert.ok(e2.kind === "reply" && e2.reply.lines.includes("AUTH PLAIN LOGIN"));
  });
  it("offered on a non-loopback plain connection only when configured", async () => {
    const s = new SmtpSession({ ...config, allowPlainAuthWithoutTls: true }, backend, { remoteAddress: "192.0.2.7", loopback: false, tls: false });
    const e = await s.command("EHLO x");
    assert.ok(e.kind === "reply" && e.reply.lines.includes("AUTH PLAIN LOGIN"));
  });
});
