// The SMTP submission shim against a fake MSOAP store, over real loopback sockets: every SUB-*
// requirement by ID, observed on both sides (what the SMTP client saw, what reached the store).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startSmtpService, type SmtpServiceConfig } from "../../src/smtp/service.ts";
import { MsoapStatus } from "../../src/im2000/msoap.ts";
import { FakeStore, type FakeStoreScript } from "../helpers/fake-store.ts";
import { b64, LineClient } from "../helpers/line-client.ts";
import { waitFor } from "../helpers/wait.ts";
import { login, smtpWithFakeStore, type SmtpTestEnv } from "./helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function sendMessage(c: LineClient, rcpts: string[], body: string): Promise<{ data: number; final?: { code: number; text: string } }> {
  assert.equal((await c.cmd("MAIL FROM:<alice@example.org>")).code, 250);
  for (const r of rcpts) assert.equal((await c.cmd(`RCPT TO:<${r}>`)).code, 250);
  const d = await c.cmd("DATA");
  if (d.code !== 354) return { data: d.code, final: d };
  await c.write(body);
  const f = await c.reply();
  return { data: 354, final: f };
}

const stopAll: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stopAll) await s();
});
async function fresh(script: FakeStoreScript = {}, cfg: Partial<SmtpServiceConfig> = {}): Promise<SmtpTestEnv> {
  const env = await smtpWithFakeStore({ flushIdleMs: 60_000, ...cfg }, script);
  stopAll.push(env.stop);
  return env;
}

describe("SMTP submission shim (shims §2.1)", () => {
  it("SUB-1 submits every accepted message to the one configured store", async () => {
    const { store, port } = await fresh();
    const c = await login(port);
    const r = await sendMessage(c, ["bob@example.net"], "Subject: hi\r\n\r\nhello\r\n.\r\n");
    assert.equal(r.final?.code, 250);
    assert.equal(store.messages.length, 1);
    assert.equal(dec.decode(store.messages[0]!.data), "Subject: hi\r\n\r\nhello\r\n");
    c.close();
  });

  it("SUB-2 AUTH PLAIN credentials reach CommandAuthenticate unchanged; 235 only after the store's answer", async () => {
    const { store, port } = await fresh({ accounts: { "älice": "pä ss:wörd" } });
    const c = await LineClient.connect(port);
    await c.reply();
    await c.cmd("EHLO x");
    const r = await c.cmd(`AUTH PLAIN ${b64("\0älice\0pä ss:wörd")}`);
    assert.equal(r.code, 235);
    const auth = store.commands("commandAuthenticate")[0]!.command;
    assert.deepEqual(auth.kind === "commandAuthenticate" && auth.value, { account: "älice", password: "pä ss:wörd" });
    c.close();
  });

  it("SUB-2 AUTH LOGIN works, and wrong credentials give 535 5.7.8", async () => {
    const { port } = await fresh();
    const c = await LineClient.connect(port);
    await c.reply();
    await c.cmd("EHLO x");
    assert.equal((await c.cmd("AUTH LOGIN")).code, 334);
    assert.equal((await c.cmd(b64("alice"))).code, 334);
    const bad = await c.cmd(b64("wrong"));
    assert.match(bad.text, /^535 5\.7\.8/);
    assert.equal((await c.cmd(`AUTH LOGIN ${b64("alice")}`)).code, 334);
    assert.equal((await c.cmd(b64("secret"))).code, 235);
    c.close();
  });

  it("SUB-2 any other store status, or no store at all, gives 454 4.7.0", async () => {
    const { port } = await fresh({ authStatus: MsoapStatus.errorinternalproblem });
    const c = await LineClient.connect(port);
    await c.reply();
    await c.cmd("EHLO x");
    assert.match((await c.cmd(`AUTH PLAIN ${b64("\0a\0secret")}`)).text, /^454 4\.7\.0/);
    c.close();
    const down = await startSmtpService({ role: "submission", hostname: "h", listen: [{ host: "127.0.0.1", port: 0 }], store: { kind: "address", host: "127.0.0.1", port: 1 } });
    stopAll.push(() => down.close());
    const d = await LineClient.connect(down.ports[0]!.port);
    await d.reply();
    await d.cmd("EHLO x");
    assert.match((await d.cmd(`AUTH PLAIN ${b64("\0a\0secret")}`)).text, /^454 4\.7\.0/);
    d.close();
  });

  it("SUB-4 three messages in one session: one authentication, three envelopes; MAIL before AUTH gets 530", async () => {
    const { store, port } = await fresh();
    const pre = await LineClient.connect(port);
    await pre.reply();
    await pre.cmd("EHLO x");
    assert.match((await pre.cmd("MAIL FROM:<a@b.c>")).text, /^530 5\.7\.0/);
    pre.close();
    const c = await login(port);
    for (let i = 0; i < 3; i++) assert.equal((await sendMessage(c, ["bob@example.net"], `Subject: ${i}\r\n\r\nx\r\n.\r\n`)).final?.code, 250);
    assert.equal(store.commands("commandAuthenticate").length, 1);
    assert.equal(store.commands("commandSubmitEnvelope").length, 3);
    assert.equal(new Set(store.received.map((r) => r.session)).size, 1, "one MSOAP session");
    c.close();
  });

  it("SUB-5 any reverse path, including <>, is accepted and not forwarded", async () => {
    const { store, port } = await fresh();
    const c = await login(port);
    assert.equal((await c.cmd("MAIL FROM:<>")).code, 250);
    assert.equal((await c.cmd("RCPT TO:<bob@example.net>")).code, 250);
    assert.equal((await c.cmd("DATA")).code, 354);
    assert.equal((await c.cmd("x\r\n.")).code, 250);
    const env = store.commands("commandSubmitEnvelope")[0]!.command;
    assert.deepEqual(env.kind === "commandSubmitEnvelope" && Object.keys(env.value).sort(), ["lifetime", "recipients"]);
    c.close();
  });

  it("SUB-6 RCPT is not validated against the store; literals get 501 5.1.3; too many get 452 4.5.3", async () => {
    const { store, port } = await fresh({ acceptRecipient: (l: string) => l !== "nobody" }, { maxRecipients: 3 });
    const c = await login(port);
    assert.equal((await c.cmd("MAIL FROM:<a@example.org>")).code, 250);
    assert.equal((await c.cmd("RCPT TO:<nobody@example.net>")).code, 250);
    assert.equal(store.commands("commandSubmitEnvelope").length, 0, "no store traffic at RCPT");
    assert.match((await c.cmd("RCPT TO:<user@[192.0.2.1]>")).text, /^501 5\.1\.3/);
    assert.equal((await c.cmd("RCPT TO:<b@example.net>")).code, 250);
    assert.equal((await c.cmd("RCPT TO:<c@example.net>")).code, 250);
    assert.match((await c.cmd("RCPT TO:<d@example.net>")).text, /^452 4\.5\.3/);
    c.close();
  });

  it('SUB-7 "a b"@Example.ORG becomes localpart "a b", domain labels example, org; lists omitted', async () => {
    const { store, port } = await fresh();
    const c = await login(port);
    await sendMessage(c, ['"a b"@Example.ORG.'], "x\r\n.\r\n");
    const env = store.commands("commandSubmitEnvelope")[0]!.command;
    assert.deepEqual(env.kind === "commandSubmitEnvelope" && env.value.recipients, [{ localpart: "a b", domain: ["example", "org"] }]);
    assert.equal(env.kind === "commandSubmitEnvelope" && env.value.lists, undefined);
    c.close();
  });

  it("SUB-7 a UTF-8 domain becomes A-labels (SMTPUTF8)", async () => {
    const { store, port } = await fresh();
    const c = await login(port);
    assert.equal((await c.cmd("MAIL FROM:<a@example.org> SMTPUTF8")).code, 250);
    assert.equal((await c.cmd("RCPT TO:<jörg@Bücher.Example>")).code, 250);
    assert.equal((await c.cmd("DATA")).code, 354);
    assert.equal((await c.cmd(".")).code, 250);
    const env = store.commands("commandSubmitEnvelope")[0]!.command;
    assert.deepEqual(env.kind === "commandSubmitEnvelope" && env.value.recipients, [{ localpart: "jörg", domain: ["xn--bcher-kva", "example"] }]);
    c.close();
  });

  it("SUB-8 lifetime is the configured default (30 days unless set)", async () => {
    const { store, port } = await fresh();
    const c = await login(port);
    await sendMessage(c, ["b@example.net"], "x\r\n.\r\n");
    const env = store.commands("commandSubmitEnvelope")[0]!.command;
    assert.equal(env.kind === "commandSubmitEnvelope" && env.value.lifetime, 2_592_000);
    c.close();
  });

  it("SUB-9 one denied recipient of three: the DATA reply names it, no chunk reaches the store, the next transaction works", async () => {
    const { store, port } = await fresh({ acceptRecipient: (l: string) => l !== "denied" });
    const c = await login(port);
    assert.equal((await c.cmd("MAIL FROM:<a@example.org>")).code, 250);
    for (const r of ["ok1@example.net", "denied@example.net", "ok2@example.net"]) assert.equal((await c.cmd(`RCPT TO:<${r}>`)).code, 250);
    const d = await c.cmd("DATA");
    assert.equal(d.code, 554);
    assert.match(d.text, /5\.7\.1/);
    assert.match(d.text, /<denied@example\.net>/);
    assert.doesNotMatch(d.text, /ok1|ok2/);
    await waitFor(() => store.aborted.length === 1, "the store to abort the partially accepted transaction");
    assert.equal(store.commands("commandSubmitMsgChunk").length, 0);
    assert.equal((await sendMessage(c, ["ok1@example.net"], "y\r\n.\r\n")).final?.code, 250);
    assert.equal(store.messages.length, 1);
    assert.equal(store.commands("commandAuthenticate").length, 2, "re-authenticated on a new MSOAP session");
    c.close();
  });

  it("SUB-10 a 200 KB message is streamed in contiguous chunks of at most chunkSize, the last with islast, byte-exact", async () => {
    const { store, port } = await fresh({}, { chunkSize: 65536 });
    const c = await login(port);
    const line = "0123456789".repeat(9) + "\r\n";
    const body = `Subject: big\r\n\r\n${line.repeat(2200)}..leading dot\r\n`;
    const stuffed = body.replace(/^\./gm, "..");
    const r = await sendMessage(c, ["b@example.net"], stuffed + ".\r\n");
    assert.equal(r.final?.code, 250);
    const chunks = store.commands("commandSubmitMsgChunk").map((x) => x.command.kind === "commandSubmitMsgChunk" && x.command.value);
    let offset = 0;
    chunks.forEach((ch, i) => {
      assert.ok(ch);
      assert.equal(ch.offset, offset);
      assert.ok(ch.data.byteLength <= 65536);
      assert.equal(ch.islast, i === chunks.length - 1);
      offset += ch.data.byteLength;
    });
    assert.ok(chunks.length >= 4);
    assert.equal(dec.decode(store.messages[0]!.data), body);
    c.close();
  });

  it("SUB-10 the store aborting mid-stream: read on to the dot, answer with the mapped code", async () => {
    const { store, port } = await fresh({ onChunk: (off: number) => (off >= 65536 ? MsoapStatus.errorwouldexceedquota : undefined) }, { chunkSize: 65536 });
    const c = await login(port);
    const r = await sendMessage(c, ["b@example.net"], "x".repeat(200_000) + "\r\n.\r\n");
    assert.match(r.final!.text, /^452 4\.2\.2/);
    assert.equal(store.messages.length, 0);
    assert.equal((await c.cmd("NOOP")).code, 250, "the session is still in sync");
    c.close();
  });

  it("SUB-11 250 carries the originator identifier in lower-case hex", async () => {
    const { store, port } = await fresh();
    const c = await login(port);
    const r = await sendMessage(c, ["b@example.net"], "x\r\n.\r\n");
    const hex = Array.from(store.messages[0]!.id, (b) => b.toString(16).padStart(2, "0")).join("");
    assert.match(r.final!.text, new RegExp(`^250 2\\.0\\.0 .*\\b${hex}\\b`));
    c.close();
  });

  it("SUB-12 DSN is not advertised and its parameters get 555 5.5.4", async () => {
    const { port } = await fresh();
    const c = await login(port);
    const ehlo = await c.cmd("EHLO again");
    assert.doesNotMatch(ehlo.text, /DSN/);
    assert.match((await c.cmd("MAIL FROM:<a@b.c> RET=HDRS")).text, /^555 5\.5\.4/);
    assert.equal((await c.cmd("MAIL FROM:<a@b.c>")).code, 250);
    assert.match((await c.cmd("RCPT TO:<x@y.z> NOTIFY=NEVER")).text, /^555 5\.5\.4/);
    assert.match((await c.cmd("RCPT TO:<x@y.z> ORCPT=rfc822;x@y.z")).text, /^555 5\.5\.4/);
    c.close();
  });

  const table: [string, number, RegExp][] = [
    ["errornotauthenticated", MsoapStatus.errornotauthenticated, /^530 5\.7\.0/],
    ["errornotpermitted", MsoapStatus.errornotpermitted, /^554[ -]5\.7\.1/],
    ["errornotenoughroom", MsoapStatus.errornotenoughroom, /^452 4\.3\.1/],
    ["errorwouldexceedquota", MsoapStatus.errorwouldexceedquota, /^452 4\.2\.2/],
    ["errorlifetimetooshort", MsoapStatus.errorlifetimetooshort, /^451 4\.3\.5/],
    ["errorinternalproblem", MsoapStatus.errorinternalproblem, /^451 4\.3\.0/],
    ["errorcommandtimeout", MsoapStatus.errorcommandtimeout, /^451 4\.3\.0/],
    ["errormalformedpdu", MsoapStatus.errormalformedpdu, /^451 4\.3\.0/],
    ["errorunexpectedcommand", MsoapStatus.errorunexpectedcommand, /^451 4\.3\.0/],
    ["errorserviceshutdown", MsoapStatus.errorserviceshutdown, /^421 4\.3\.2/],
  ];
  for (const [name, status, expected] of table) {
    it(`SUB-13 ${name} at the envelope → ${expected.source.slice(1, 10).replace(/\\/g, "")}`, async () => {
      const { store, port } = await fresh({ envelopeStatus: status });
      const c = await login(port);
      const r = await sendMessage(c, ["b@example.net"], "");
      assert.match(r.final!.text, expected);
      if (status === MsoapStatus.errorserviceshutdown) assert.equal(await c.closed(), true, "421 closes the session");
      assert.equal(store.messages.length, 0);
      c.close();
    });
    it(`SUB-13 ${name} at the final chunk → ${expected.source.slice(1, 10).replace(/\\/g, "")}`, async () => {
      const { store, port } = await fresh({ finalStatus: status });
      const c = await login(port);
      const r = await sendMessage(c, ["b@example.net"], "x\r\n.\r\n");
      assert.match(r.final!.text, expected);
      assert.equal(store.messages.length, 0);
      c.close();
    });
  }

  it("SUB-13 transport loss mid-transaction → 451 4.3.0, and the next transaction reconnects", async () => {
    let drop = true;
    const { store, port } = await fresh({ onChunk: () => (drop ? ((drop = false), "close") : undefined) });
    const c = await login(port);
    assert.match((await sendMessage(c, ["b@example.net"], "x\r\n.\r\n")).final!.text, /^451 4\.3\.0/);
    assert.equal((await sendMessage(c, ["b@example.net"], "y\r\n.\r\n")).final?.code, 250);
    assert.equal(dec.decode(store.messages[0]!.data), "y\r\n");
    c.close();
  });

  it("SUB-14 RSET, a new MAIL, or QUIT before DATA cost no MSOAP traffic", async () => {
    const { store, port } = await fresh();
    const c = await login(port);
    const before = store.received.length;
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    assert.equal((await c.cmd("RSET")).code, 250);
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    assert.equal((await c.cmd("QUIT")).code, 221);
    assert.equal(await c.closed(), true);
    assert.equal(store.received.length, before);
  });

  it("SUB-15 QUIT closes the MSOAP session cleanly (no transaction aborted)", async () => {
    const { store, port } = await fresh();
    const c = await login(port);
    await sendMessage(c, ["b@example.net"], "x\r\n.\r\n");
    await c.cmd("QUIT");
    await waitFor(() => store.server.sessionCount === 0, "the MSOAP session to close");
    assert.deepEqual(store.aborted, []);
  });

  it("SUB-10 a store that does not answer the envelope in time: DATA gets 451 4.4.1 and nothing is stored", async () => {
    const { store, port } = await fresh({ envelopeDelayMs: 1500 }, { envelopeTimeoutMs: 300 });
    const c = await login(port);
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    assert.match((await c.cmd("DATA")).text, /^451 4\.4\.1/);
    assert.equal((await c.cmd("NOOP")).code, 250, "the SMTP session goes on");
    assert.equal(store.messages.length, 0);
    c.close();
  });

  it("SUB-10 a slowly arriving message keeps the store's idle timer from firing (partial chunks)", async () => {
    // The store's own idle timeout is 1 s (the testMode floor); the client pauses longer than that.
    const store = await FakeStore.start({}, { idleTimeoutMs: 1000 });
    const smtp = await startSmtpService({ role: "submission", hostname: "h", listen: [{ host: "127.0.0.1", port: 0 }], store: { kind: "address", host: "127.0.0.1", port: store.port }, flushIdleMs: 300, testMode: true });
    stopAll.push(() => smtp.close(), () => store.stop());
    const c = await login(smtp.ports[0]!.port);
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    assert.equal((await c.cmd("DATA")).code, 354);
    // A steady trickle, faster than the flush interval, for longer than the store's idle timeout.
    let expected = "";
    for (let i = 0; i < 14; i++) {
      await c.write(`line ${i}\r\n`);
      expected += `line ${i}\r\n`;
      await new Promise((r) => setTimeout(r, 200)); // a slow client: the point of this test
    }
    const r = await c.cmd(".");
    assert.equal(r.code, 250, r.text);
    assert.equal(dec.decode(store.messages[0]!.data), expected);
    assert.ok(store.commands("commandSubmitMsgChunk").length >= 3, "partial chunks were sent while waiting");
    c.close();
  });

  it("a client dropping mid-DATA submits nothing", async () => {
    const { store, port } = await fresh();
    const c = await login(port);
    await c.cmd("MAIL FROM:<a@b.c>");
    await c.cmd("RCPT TO:<x@y.z>");
    assert.equal((await c.cmd("DATA")).code, 354);
    await c.write("Subject: half\r\n\r\npartial content");
    c.close();
    await waitFor(() => store.aborted.length === 1, "the store to abort the transaction");
    assert.equal(store.messages.length, 0);
  });
});
