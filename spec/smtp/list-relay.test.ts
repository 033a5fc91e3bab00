// The SMTP relay front-end to IM2000 mailing lists (shims §2.2): every LST-* requirement by ID
// against a fake store.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { SmtpServiceConfig } from "../../src/smtp/service.ts";
import { MsoapStatus } from "../../src/im2000/msoap.ts";
import type { FakeStoreScript } from "../helpers/fake-store.ts";
import { b64, LineClient } from "../helpers/line-client.ts";
import { smtpWithFakeStore } from "./helpers.ts";

const dec = new TextDecoder();
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function relay(script: FakeStoreScript = {}, cfg: Partial<SmtpServiceConfig> = {}) {
  const { store, port, stop } = await smtpWithFakeStore(
    {
      role: "relay",
      hostname: "lists.example",
      relay: { listDomains: ["lists.example"], gatewayAccount: "gateway", gatewayPassword: "gw-secret", semiPublicLists: ["members"], listLifetimes: { short: 86400 } },
      ...cfg,
    },
    { accounts: { gateway: "gw-secret", "poster@example.net": "gw-secret", "carol": "carolpw" }, ...script },
  );
  cleanups.push(stop);
  const c = await LineClient.connect(port);
  await c.reply();
  await c.cmd("EHLO mta.example.net");
  return { store, c };
}

async function post(c: LineClient, from: string, rcpts: string[], body: string) {
  assert.equal((await c.cmd(`MAIL FROM:<${from}>`)).code, 250);
  const rc = [];
  for (const r of rcpts) rc.push((await c.cmd(`RCPT TO:<${r}>`)).code);
  const d = await c.cmd("DATA");
  if (d.code !== 354) return { rcpt: rc, data: d };
  await c.write(body + "\r\n.\r\n");
  return { rcpt: rc, data: d, final: await c.reply() };
}

describe("SMTP list relay (shims §2.2)", () => {
  it("LST-2 any MTA may post without SMTP AUTH; the relay authenticates with its own account", async () => {
    const { store, c } = await relay();
    const r = await post(c, "someone@example.net", ["upgrade-to-im2000@lists.example"], "Subject: hi\r\n\r\nhello");
    assert.equal(r.final?.code, 250);
    const auth = store.commands("commandAuthenticate")[0]!.command;
    assert.equal(auth.kind === "commandAuthenticate" && auth.value.account, "gateway");
    c.close();
  });

  it("LST-3 the RCPT address names the list; the envelope carries `lists` and omits `recipients`", async () => {
    const { store, c } = await relay();
    await post(c, "someone@example.net", ["Upgrade-To-IM2000@Lists.Example", "other@lists.example"], "x");
    const env = store.commands("commandSubmitEnvelope")[0]!.command;
    assert.ok(env.kind === "commandSubmitEnvelope");
    assert.equal(env.value.recipients, undefined);
    assert.deepEqual(env.value.lists?.map((l) => dec.decode(l)), ["upgrade-to-im2000", "other"]);
    c.close();
  });

  it("LST-4 RCPT to another domain gets 550 5.1.1 (not an open relay); an unknown list gets 250 then 554 at DATA", async () => {
    const { store, c } = await relay({ acceptList: (n) => n !== "nosuchlist" });
    assert.equal((await c.cmd("MAIL FROM:<someone@example.net>")).code, 250);
    assert.match((await c.cmd("RCPT TO:<victim@elsewhere.example>")).text, /^550 5\.1\.1/);
    assert.equal((await c.cmd("RCPT TO:<nosuchlist@lists.example>")).code, 250);
    const d = await c.cmd("DATA");
    assert.match(d.text, /^554[ -]5\.7\.1/);
    assert.match(d.text, /nosuchlist@lists\.example/);
    assert.equal(store.commands("commandSubmitMsgChunk").length, 0);
    c.close();
  });

  it("LST-5 one Received: field is prepended; the rest is byte for byte", async () => {
    const { store, c } = await relay();
    const body = "From: a@example.net\r\nSubject: s\r\n\r\nbody";
    await post(c, "a@example.net", ["l@lists.example"], body);
    const data = dec.decode(store.messages[0]!.data);
    assert.match(data, /^Received: from mta\.example\.net \(\[127\.0\.0\.1\]\)\r\n\tby lists\.example \(IM2000 list relay\) with ESMTP;\r\n\t\w{3}, \d+ \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/);
    assert.equal(data.replace(/^Received:[^\r]*\r\n(\t[^\r]*\r\n)*/, ""), body + "\r\n");
    assert.equal((data.match(/^Received:/gm) ?? []).length, 1);
    c.close();
  });

  it("LST-6 temporary store problems give 4xx, permanent ones 5xx", async () => {
    const temp = await relay({ envelopeStatus: MsoapStatus.errornotenoughroom });
    assert.match((await post(temp.c, "a@example.net", ["l@lists.example"], "x")).data.text, /^452 4\.3\.1/);
    temp.c.close();
    const perm = await relay({ envelopeStatus: MsoapStatus.errornotpermitted });
    assert.match((await post(perm.c, "a@example.net", ["l@lists.example"], "x")).data.text, /^554[ -]5\.7\.1/);
    perm.c.close();
  });

  it("LST-7 lifetime is the per-list value, else 90 days", async () => {
    const { store, c } = await relay();
    await post(c, "a@example.net", ["short@lists.example"], "x");
    await post(c, "a@example.net", ["long@lists.example"], "x");
    const lifetimes = store.commands("commandSubmitEnvelope").map((r) => r.command.kind === "commandSubmitEnvelope" && r.command.value.lifetime);
    assert.deepEqual(lifetimes, [86400, 7_776_000]);
    c.close();
  });

  it("LST-8 semi-public: the MSOAP account is the envelope sender, the password the gateway secret; unknown senders refused at DATA", async () => {
    const { store, c } = await relay();
    const ok = await post(c, "poster@EXAMPLE.net", ["members@lists.example"], "x");
    assert.equal(ok.final?.code, 250);
    const auths = store.commands("commandAuthenticate").map((r) => r.command.kind === "commandAuthenticate" && r.command.value);
    assert.deepEqual(auths.at(-1), { account: "poster@example.net", password: "gw-secret" });
    const denied = await post(c, "stranger@example.net", ["members@lists.example"], "x");
    assert.match(denied.data.text, /^550 5\.7\.1/);
    c.close();
  });

  it("LST-8 a RCPT needing other credentials than the first gets 452 4.5.3; <> cannot post to a semi-public list", async () => {
    const { c } = await relay();
    assert.equal((await c.cmd("MAIL FROM:<poster@example.net>")).code, 250);
    assert.equal((await c.cmd("RCPT TO:<members@lists.example>")).code, 250);
    assert.match((await c.cmd("RCPT TO:<public@lists.example>")).text, /^452 4\.5\.3/);
    await c.cmd("RSET");
    const r = await post(c, "", ["members@lists.example"], "x");
    assert.match(r.data.text, /^550 5\.7\.1/);
    c.close();
  });

  it("LST-8 an SMTP client that authenticated posts with its own credentials", async () => {
    const { store, c } = await relay();
    assert.equal((await c.cmd(`AUTH PLAIN ${b64("\0carol\0carolpw")}`)).code, 235);
    assert.equal((await post(c, "whoever@example.net", ["members@lists.example"], "x")).final?.code, 250);
    assert.deepEqual(store.messages[0]!.account, "carol");
    c.close();
  });

  it("LST-9 / SUB-12 nothing is ever sent to the reverse path: the store only sees the post itself", async () => {
    const { store, c } = await relay({ envelopeStatus: MsoapStatus.errornotpermitted });
    await post(c, "a@example.net", ["l@lists.example"], "x");
    assert.equal(store.commands("commandSubmitMsgChunk").length, 0);
    assert.ok(store.commands("commandSubmitEnvelope").every((e) => e.command.kind === "commandSubmitEnvelope" && e.command.value.recipients === undefined));
    c.close();
  });
});
