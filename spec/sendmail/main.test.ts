// runSendmail in process against a scripted fake MSOAP store: one envelope per invocation with the
// right recipients and no Bcc (LOC-2), every store status and transport failure mapped to its
// exit status with a one-line reason (LOC-5), the store found by host:port or SRV (LOC-4), the
// credentials (LOC-3), the modes with nothing to do, -v notes (LOC-1, LOC-7), and bad input.

import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { MsoapStatus } from "../../src/im2000/msoap.ts";
import type { DnsAnswer, Resolver, SrvRecord } from "../../src/runtime/dns.ts";
import { listen } from "../../src/runtime/net.ts";
import { FakeStore } from "../helpers/fake-store.ts";
import { sendmailInProcess, tempDir, writeConfig } from "./helpers.ts";

const dec = new TextDecoder();
const MESSAGE = "From: Tester <tester@example.org>\nTo: Lucy <lucy@example.org>\nCc: ops@example.org\nBcc: eve@example.org\nSubject: hello\n\nHello.\n";

describe("runSendmail against a fake store", () => {
  let store: FakeStore;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    store = await FakeStore.start();
    dir = tempDir("im2000-sendmail-main-");
  });
  after(async () => {
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    store.script = { accounts: { tester: "secret" } };
    env = { IM2000_MSOAP: `127.0.0.1:${store.port}`, IM2000_PASSWORD: "secret", IM2000_SENDMAIL_TIMEOUT_S: "5" };
  });

  const send = (args: string[], stdin: string = MESSAGE, extra: Record<string, string> = {}) => sendmailInProcess({ args, stdin, dir, env: { ...env, ...extra } });

  it("LOC-2 one invocation is one envelope with the operands and To/Cc/Bcc (-t), and the data has no Bcc", async () => {
    const before = store.messages.length;
    const envelopes = store.commands("commandSubmitEnvelope").length;
    const r = await send(["-t", "-i", "extra@example.org"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "silent on success without -v");
    assert.equal(store.commands("commandSubmitEnvelope").length, envelopes + 1, "exactly one envelope");
    assert.equal(store.messages.length, before + 1);
    const m = store.messages.at(-1)!;
    assert.deepEqual(
      m.envelope.recipients?.map((x) => `${x.localpart}@${x.domain.join(".")}`),
      ["extra@example.org", "lucy@example.org", "ops@example.org", "eve@example.org"],
    );
    assert.equal(m.envelope.lifetime, 2_592_000, "SUB-8's default lifetime");
    assert.equal(m.account, "tester", "LOC-3: the login name is the account");
    assert.equal(dec.decode(m.data), MESSAGE.replace("Bcc: eve@example.org\n", "").replace(/\n/g, "\r\n"), "CRLF, Bcc removed, nothing else changed");
  });

  it("LOC-3 without a password the store sees no CommandAuthenticate (anonymous submission)", async () => {
    const auths = store.commands("commandAuthenticate").length;
    store.script = {};
    const r = await sendmailInProcess({ args: ["lucy@example.org"], stdin: "Subject: x\n\nx\n", dir, env: { IM2000_MSOAP: `127.0.0.1:${store.port}` } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(store.commands("commandAuthenticate").length, auths);
    assert.equal(store.messages.at(-1)!.account, undefined);
  });

  it("LOC-2 LOC-5 a denied recipient: exit 77 naming it, nothing stored, the transaction abandoned", async () => {
    store.script = { accounts: { tester: "secret" }, acceptRecipient: (l) => l !== "ops" };
    const before = store.messages.length;
    const aborted = store.aborted.length;
    const r = await send(["-t"]);
    assert.equal(r.code, 77);
    assert.match(r.stderr, /^im2000-sendmail: the message store refused 1 of 3 recipient\(s\), so nothing was sent: ops@example\.org\n$/);
    assert.equal(store.messages.length, before);
    const { waitFor } = await import("../helpers/wait.ts");
    await waitFor(() => store.aborted.length > aborted, "the store to abort the partially accepted transaction");
  });

  // ref: shims LOC-5 — the store status table, at each step where a store can answer with it.
  const table: [string, number, number][] = [
    ["errornotauthenticated", MsoapStatus.errornotauthenticated, 77],
    ["errornotpermitted", MsoapStatus.errornotpermitted, 77],
    ["errorlifetimetooshort", MsoapStatus.errorlifetimetooshort, 78],
    ["errornotenoughroom", MsoapStatus.errornotenoughroom, 75],
    ["errorwouldexceedquota", MsoapStatus.errorwouldexceedquota, 75],
    ["errorserviceshutdown", MsoapStatus.errorserviceshutdown, 75],
    ["errorinternalproblem", MsoapStatus.errorinternalproblem, 75],
    ["errorcommandtimeout", MsoapStatus.errorcommandtimeout, 75],
    ["errormalformedpdu", MsoapStatus.errormalformedpdu, 70],
    ["errorunexpectedcommand", MsoapStatus.errorunexpectedcommand, 70],
    ["an unknown status (42)", 42, 75],
  ];
  for (const [name, status, code] of table) {
    it(`LOC-5 ${name} from the store → exit ${code} with a one-line reason, nothing stored`, async () => {
      const before = store.messages.length;
      for (const where of ["envelope", "chunk", "final"] as const) {
        store.script = { accounts: { tester: "secret" }, ...(where === "envelope" ? { envelopeStatus: status } : where === "chunk" ? { onChunk: () => status } : { finalStatus: status }) };
        const r = await send(["lucy@example.org"], "Subject: x\n\n" + "y".repeat(70_000) + "\n");
        assert.equal(r.code, code, `${where}: ${r.stderr}`);
        assert.match(r.stderr, /^im2000-sendmail: [^\n]+\n$/, "exactly one line");
        if (status < 42) assert.ok(r.stderr.includes(name) || status === MsoapStatus.errornotpermitted, r.stderr);
      }
      assert.equal(store.messages.length, before);
    });
  }

  it("LOC-5 a refused login is 77; another status at login maps as the table says", async () => {
    store.script = { accounts: { tester: "other" } };
    let r = await send(["lucy@example.org"]);
    assert.equal(r.code, 77);
    assert.match(r.stderr, /errornotauthenticated/);
    store.script = { authStatus: MsoapStatus.errorserviceshutdown };
    r = await send(["lucy@example.org"]);
    assert.equal(r.code, 75);
  });

  it("LOC-5 an unreachable store is a temporary failure (75), nothing queued", async () => {
    const l = await listen({ host: "127.0.0.1", port: 0 }, (c) => c.destroy());
    const port = l.port;
    await l.close();
    const r = await send(["lucy@example.org"], MESSAGE, { IM2000_MSOAP: `127.0.0.1:${port}` });
    assert.equal(r.code, 75);
    assert.match(r.stderr, /unreachable/);
  });

  it("LOC-5 a store that drops the connection mid-message, or never answers, is 75", async () => {
    store.script = { accounts: { tester: "secret" }, onChunk: () => "close" };
    let r = await send(["lucy@example.org"]);
    assert.equal(r.code, 75, r.stderr);
    store.script = { accounts: { tester: "secret" }, envelopeDelayMs: 3000 };
    r = await send(["lucy@example.org"], MESSAGE, { IM2000_SENDMAIL_TIMEOUT_S: "1" });
    assert.equal(r.code, 75, r.stderr);
    assert.match(r.stderr, /did not answer in time/);
  });

  it("LOC-4 a domain is located with the SRV algorithm (_msoap._tcp); NXDOMAIN is 68, a failed lookup 75", async () => {
    const resolver = (srv: DnsAnswer<SrvRecord>): Resolver => ({
      resolveSrv: async (name) => (name === "_msoap._tcp.store.example" ? srv : { kind: "nxdomain" }),
      resolveAddresses: async (host) => (host === "msoap.store.example" ? { kind: "answer", records: ["127.0.0.1"] } : { kind: "nxdomain" }),
    });
    const before = store.messages.length;
    let r = await sendmailInProcess({ args: ["lucy@example.org"], stdin: MESSAGE, dir, env: { ...env, IM2000_MSOAP: "store.example" }, resolver: resolver({ kind: "answer", records: [{ priority: 0, weight: 0, port: store.port, target: "msoap.store.example." }] }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(store.messages.length, before + 1);
    r = await sendmailInProcess({ args: ["lucy@example.org"], stdin: MESSAGE, dir, env: { ...env, IM2000_MSOAP: "gone.example" }, resolver: resolver({ kind: "nodata" }) });
    assert.equal(r.code, 68, r.stderr);
    r = await sendmailInProcess({ args: ["lucy@example.org"], stdin: MESSAGE, dir, env: { ...env, IM2000_MSOAP: "store.example" }, resolver: resolver({ kind: "failure", reason: "ESERVFAIL" }) });
    assert.equal(r.code, 75, r.stderr);
  });

  it("LOC-4 the user's file overrides the system-wide one, and the environment overrides both, end to end", async () => {
    const d = tempDir("im2000-sendmail-layers-");
    try {
      writeConfig(join(d, "system.conf"), { store: "127.0.0.1:1", default_domain: "example.org" }, 0o644);
      writeConfig(join(d, "user.conf"), { store: `127.0.0.1:${store.port}`, account: "tester", password: "secret" }, 0o600);
      const r = await sendmailInProcess({ args: ["lucy"], stdin: "Subject: x\n\nx\n", dir: d });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(store.messages.at(-1)!.envelope.recipients, [{ localpart: "lucy", domain: ["example", "org"] }]);
      const r2 = await sendmailInProcess({ args: ["lucy"], stdin: "Subject: x\n\nx\n", dir: d, env: { IM2000_MSOAP: "127.0.0.1:1" } });
      assert.equal(r2.code, 75, "the environment's (unreachable) store won");
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("LOC-3 LOC-5 a user's file readable by others is refused (77) before any MSOAP traffic", async () => {
    const d = tempDir("im2000-sendmail-unsafe-");
    try {
      writeConfig(join(d, "user.conf"), { store: `127.0.0.1:${store.port}`, password: "secret" }, 0o644);
      const sessions = store.sessions;
      const r = await sendmailInProcess({ args: ["lucy@example.org"], stdin: MESSAGE, dir: d });
      assert.equal(r.code, 77);
      assert.match(r.stderr, /readable or writable by group or others \(mode 0644\).*chmod 600/);
      assert.equal(store.sessions, sessions);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("LOC-5 bad input: no recipients (67), binary data (65), over max_message_size (65), a bad option (64)", async () => {
    const before = store.messages.length;
    let r = await send([], "Subject: x\n\nx\n");
    assert.equal(r.code, 67);
    r = await send(["lucy@example.org"], "Subject: x\n\nnul\0here\n");
    assert.equal(r.code, 65);
    assert.match(r.stderr, /binary data/);
    r = await send(["lucy@example.org"], "Subject: x\n\n" + "z".repeat(2000) + "\n", { IM2000_MAX_MESSAGE_SIZE: "1000" });
    assert.equal(r.code, 65);
    assert.match(r.stderr, /larger than max_message_size \(1000 octets\)/);
    r = await send(["-Z", "lucy@example.org"]);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /unknown option -Z\nusage: /);
    assert.equal(store.messages.length, before, "nothing stored");
  });

  it("LOC-1 LOC-7 -v notes every ignored flag, the settings (never the password) and the originator identifier", async () => {
    const r = await send(["-v", "-N", "never", "-R", "full", "-V", "id1", "-odq", "-oem", "-f", "root", "lucy@example.org"]);
    assert.equal(r.code, 0, r.stderr);
    for (const flag of ["-N never", "-R full", "-V id1", "-odq", "-oem"]) assert.match(r.stderr, new RegExp(`im2000-sendmail: ${flag}: `), flag);
    assert.match(r.stderr, /envelope sender "root" noted; MSOAP has no envelope sender/);
    assert.match(r.stderr, /originator identifier [0-9a-f]{32}/);
    assert.ok(!r.stderr.includes("secret"), "the password is never printed");
  });

  it("modes with nothing to do: -bp says the queue is empty, -bi and -q exit 0 without reading input or the store", async () => {
    const sessions = store.sessions;
    let r = await send(["-bp"], "");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Mail queue is empty/);
    r = await send(["-bi"], "");
    assert.equal(r.code, 0);
    r = await send(["-q"], "");
    assert.equal(r.code, 0);
    r = await send(["-q30m"], "");
    assert.equal(r.code, 0);
    assert.equal(store.sessions, sessions);
  });

  it("without -i a lone dot ends the message; with -i it is content", async () => {
    let r = await send(["lucy@example.org"], "Subject: x\n\na\n..b\n.\nnot sent\n");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(dec.decode(store.messages.at(-1)!.data), "Subject: x\r\n\r\na\r\n.b\r\n");
    r = await send(["-oi", "lucy@example.org"], "Subject: x\n\na\n..b\n.\nsent\n");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(dec.decode(store.messages.at(-1)!.data), "Subject: x\r\n\r\na\r\n..b\r\n.\r\nsent\r\n");
  });
});
