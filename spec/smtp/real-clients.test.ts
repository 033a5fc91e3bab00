// Real third-party SMTP clients (../shared/REAL-CLIENTS.md) sending through the submission shim and
// through the list relay into the reference message store. A recording proxy keeps what each
// client put in DATA; the test then retrieves the message from the store over MSRAP (found through
// lucy's notification at the reference RNA, or by scanning the list) and compares it byte for
// byte. The clients come from Debian (.ci/run installs them) and npm; set
// IM2000_SKIP_REAL_CLIENTS=1 to skip on a machine without them.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, env as getenv } from "../../src/runtime/process.ts";
import { startSmtpService, type SmtpService } from "../../src/smtp/service.ts";
import { startPeers, type PeersHandle } from "../../src/peers/peers.ts";
import { RnaqpClient } from "../../src/im2000/rnaqp-client.ts";
import { MsrapClient } from "../../src/im2000/msrap-client.ts";
import { fromHex, toHex } from "../../src/util/bytes.ts";
import { PASSWORDS, testConfig, waitFor } from "../peers/helpers.ts";
import { dataPayloads, recordingProxy, type RecordingProxy } from "../helpers/tcp-proxy.ts";
import { testCertificate } from "../helpers/tls.ts";

const skip = getenv("IM2000_SKIP_REAL_CLIENTS") === "1";
const dec = new TextDecoder();
const USER = "alice";
const PASS = PASSWORDS.alice;
/** The list relay's own store account (LST-2). */
const GATEWAY = "bob";
const MESSAGE = [
  "From: Alice <alice@example.org>",
  "To: Bob <bob@example.net>",
  "Subject: real client test",
  "Message-ID: <real-client@example.org>",
  "MIME-Version: 1.0",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: 8bit",
  "",
  "Hello from a real client.",
  ".a line that starts with a dot",
  "UTF-8: grüße, 日本語",
  "x".repeat(900),
  "",
].join("\r\n");

interface ClientRun {
  readonly name: string;
  /** Runs the client against `port`; `auth` false for the list relay. Returns its exit code. */
  readonly send: (port: number, dir: string, rcpt: string, auth: boolean) => Promise<{ code: number | null; out: string }>;
  /**
   * For clients given our message file: the content they are known to send for it (checked
   * independently of our own DATA decoding). Undefined for clients that compose their own.
   */
  readonly expect?: (m: string) => RegExp | string;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function exec(cmd: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = await run(cmd, args, { input: opts.input, env: { PATH: "/usr/bin:/bin:/usr/local/bin", ...opts.env }, timeoutMs: 30_000 });
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

const clients: ClientRun[] = [
  {
    name: "curl",
    expect: (m) => m,
    send: (port, dir, rcpt, auth) =>
      exec("curl", ["-sS", `smtp://127.0.0.1:${port}/client.example`, "--mail-from", "alice@example.org", "--mail-rcpt", rcpt, ...(auth ? ["-u", `${USER}:${PASS}`, "--login-options", "AUTH=PLAIN"] : []), "--crlf", "-T", join(dir, "msg.eml")]),
  },
  {
    name: "swaks",
    expect: (m) => m + "\r\n", // swaks ends the data with its own CRLF
    send: (port, dir, rcpt, auth) =>
      exec("swaks", ["-s", "127.0.0.1", "-p", String(port), ...(auth ? ["-a", "PLAIN", "-au", USER, "-ap", PASS] : []), "-f", "alice@example.org", "-t", rcpt, "--data", `@${join(dir, "msg.eml")}`, "--silent", "2"]),
  },
  {
    name: "msmtp",
    expect: (m) => new RegExp(`^Date: [^\r]+\r\n${escape(m)}$`), // msmtp adds a Date: header
    send: (port, dir, rcpt, auth) =>
      exec("msmtp", [`--host=127.0.0.1`, `--port=${port}`, "--tls=off", ...(auth ? ["--auth=plain", `--user=${USER}`, `--passwordeval=echo '${PASS}'`] : ["--auth=off"]), "--from=alice@example.org", rcpt], { input: MESSAGE.replace(/\r\n/g, "\n"), env: { HOME: dir } }),
  },
  {
    name: "s-nail",
    send: (port, dir, rcpt, auth) =>
      exec("s-nail", ["-:/", "-Sv15-compat", `-Smta=smtp://${auth ? `${USER}:${encodeURIComponent(PASS)}@` : ""}127.0.0.1:${port}`, ...(auth ? ["-Ssmtp-auth=login"] : ["-Ssmtp-auth=none"]), "-Sfrom=alice@example.org", "-Sttycharset=utf-8", "-s", "s-nail test", rcpt], { input: "Body from s-nail.\n.leading dot\n", env: { HOME: dir } }),
  },
  {
    name: "mailutils",
    send: (port, dir, rcpt, auth) =>
      exec("mail.mailutils", ["-s", "mailutils test", "-r", "alice@example.org", "-E", `set sendmail="smtp://${auth ? `${USER}:${encodeURIComponent(PASS)}@` : ""}127.0.0.1:${port}${auth ? ";auth=PLAIN" : ""};notls"`, rcpt], { input: "Body from mailutils.\n", env: { HOME: dir } }),
  },
  {
    name: "mutt",
    send: async (port, dir, rcpt, auth) => {
      const rc = join(dir, `muttrc-${port}`);
      writeFileSync(rc, [`set smtp_url="smtp://${auth ? `${USER}@` : ""}127.0.0.1:${port}/"`, auth ? `set smtp_pass="${PASS}"` : "", "set smtp_authenticators=plain", "set ssl_starttls=no", "set ssl_force_tls=no", "set from=alice@example.org", "set use_from=yes", "set record=", "set charset=utf-8"].join("\n"));
      return exec("mutt", ["-n", "-F", rc, "-s", "mutt test", rcpt], { input: "Body from mutt.\n", env: { HOME: dir, TERM: "dumb" } });
    },
  },
  {
    name: "python-smtplib",
    expect: (m) => m + "\r\n", // LF bytes in: stuffed after bare LFs, CRLF appended
    send: (port, dir, rcpt, auth) =>
      exec("/usr/bin/python3", [
        "-c",
        [
          "import smtplib,sys",
          `s=smtplib.SMTP('127.0.0.1',${port})`,
          auth ? `s.login(${JSON.stringify(USER)},${JSON.stringify(PASS)})` : "pass",
          `m=open(${JSON.stringify(join(dir, "msg.eml"))},'rb').read()`,
          `s.sendmail('alice@example.org',[${JSON.stringify(rcpt)}],m)`,
          "s.quit()",
        ].join("\n"),
      ]),
  },
  {
    name: "nodemailer",
    expect: (m) => m,
    send: async (port, dir, rcpt, auth) => {
      const { createTransport } = (await import("nodemailer")) as unknown as { createTransport: (o: object) => { sendMail: (m: object) => Promise<unknown>; close: () => void } };
      const t = createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true, ...(auth ? { auth: { user: USER, pass: PASS }, authMethod: "PLAIN" } : {}) });
      try {
        await t.sendMail({ envelope: { from: "alice@example.org", to: [rcpt] }, raw: MESSAGE });
        return { code: 0, out: "" };
      } catch (e) {
        return { code: 1, out: String(e) };
      } finally {
        t.close();
      }
    },
  },
];

describe("real SMTP clients", { skip: skip ? "IM2000_SKIP_REAL_CLIENTS=1" : undefined }, () => {
  let dir: string;
  let peers: PeersHandle;
  let submission: SmtpService;
  let relay: SmtpService;
  let subProxy: RecordingProxy;
  let relayProxy: RecordingProxy;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "im2000-clients-"));
    writeFileSync(join(dir, "msg.eml"), MESSAGE.replace(/\r\n/g, "\n"));
    peers = await startPeers(await testConfig(), { data: join(dir, "peers") });
    const common = { hostname: "shim.test", listen: [{ host: "127.0.0.1", port: 0 }], store: { kind: "address" as const, host: "127.0.0.1", port: peers.addresses.msoap!.port }, testMode: true, lifetimeSeconds: 3600 };
    submission = await startSmtpService({ ...common, role: "submission" });
    relay = await startSmtpService({ ...common, role: "relay", relay: { listDomains: ["lists.example"], gatewayAccount: GATEWAY, gatewayPassword: PASSWORDS.bob } });
    subProxy = await recordingProxy(submission.ports[0]!.port);
    relayProxy = await recordingProxy(relay.ports[0]!.port);
  });
  after(async () => {
    await subProxy?.close();
    await relayProxy?.close();
    await submission?.close();
    await relay?.close();
    await peers?.close();
  });

  const msrap = () => MsrapClient.connect({ host: "127.0.0.1", port: peers.addresses.msrap!.port });

  /** Identifiers of the messages already read (hex). */
  const read = new Set<string>();

  /**
   * The next message announced to lucy, retrieved from the reference store over MSRAP. The store
   * re-notifies until it is silenced (im2000 §18 C-5), so a re-notification of a message read
   * earlier can arrive after it was read, on a slow machine: like any MUA, this drops those.
   */
  async function nextForLucy(): Promise<Uint8Array> {
    const q = await RnaqpClient.connect({ host: "127.0.0.1", port: peers.addresses.rnaqp!.port });
    try {
      await q.authenticate("lucy", PASSWORDS.lucy);
      const fresh = new Set<string>();
      await waitFor("lucy's notification", async () => {
        for (const n of await q.retrieveAndClear()) {
          const id = toHex(n.notification.identifier);
          if (!read.has(id)) fresh.add(id);
        }
        return fresh.size > 0 ? true : undefined;
      });
      assert.equal(fresh.size, 1, "one message, one new notification");
      const m = await msrap();
      try {
        const [hex] = fresh;
        read.add(hex!);
        const id = fromHex(hex!);
        const data = await m.retrieveAll(id);
        await m.unpin(id); // the store may now delete it
        return data;
      } finally {
        await m.close();
      }
    } finally {
      await q.close();
    }
  }

  let listTime = 0;
  /** The next message on the announce list, found by ScanList and retrieved over MSRAP. */
  async function nextOnList(): Promise<Uint8Array> {
    const m = await msrap();
    try {
      // §18 C-11: a message becomes visible once its second is over, so this may wait a second.
      const ids = await waitFor("the post on the list", async () => {
        const r = await m.scanList("announce", listTime);
        if (r.messages.length === 0) return undefined;
        listTime = r.endtime;
        return r.messages;
      });
      assert.equal(ids.length, 1, "one post");
      return await m.retrieveAll(ids[0]!);
    } finally {
      await m.close();
    }
  }

  it("STARTTLS and implicit TLS with curl, swaks and Python's smtplib", async () => {
    const cert = await testCertificate();
    const tls = await startSmtpService({ role: "submission", hostname: "localhost", listen: [{ host: "127.0.0.1", port: 0 }], listenTls: [{ host: "127.0.0.1", port: 0 }], tls: { cert: cert.cert, key: cert.key }, store: { kind: "address", host: "127.0.0.1", port: peers.addresses.msoap!.port }, testMode: true, lifetimeSeconds: 3600 });
    try {
      const plain = tls.ports.find((p) => !p.tls)!.port;
      const implicit = tls.ports.find((p) => p.tls)!.port;
      const msg = join(dir, "msg.eml");
      const runs: [string, string, string[]][] = [
        ["curl STARTTLS", "curl", ["-sS", "--ssl-reqd", "--cacert", cert.certFile, `smtp://localhost:${plain}/client.example`, "--mail-from", "a@example.org", "--mail-rcpt", "lucy@example.org", "-u", `${USER}:${PASS}`, "--crlf", "-T", msg]],
        ["curl implicit TLS", "curl", ["-sS", "--cacert", cert.certFile, `smtps://localhost:${implicit}/client.example`, "--mail-from", "a@example.org", "--mail-rcpt", "lucy@example.org", "-u", `${USER}:${PASS}`, "--crlf", "-T", msg]],
        ["swaks STARTTLS", "swaks", ["-s", "localhost", "-p", String(plain), "-tls", "--tls-verify", "--tls-ca-path", cert.certFile, "-a", "PLAIN", "-au", USER, "-ap", PASS, "-f", "a@example.org", "-t", "lucy@example.org", "--data", `@${msg}`, "--silent", "2"]],
        ["swaks implicit TLS", "swaks", ["-s", "localhost", "-p", String(implicit), "-tlsc", "--tls-verify", "--tls-ca-path", cert.certFile, "-a", "PLAIN", "-au", USER, "-ap", PASS, "-f", "a@example.org", "-t", "lucy@example.org", "--data", `@${msg}`, "--silent", "2"]],
        ["Python smtplib SMTP_SSL", "/usr/bin/python3", ["-c", `import smtplib,ssl\nc=ssl.create_default_context(cafile=${JSON.stringify(cert.certFile)})\ns=smtplib.SMTP_SSL('localhost',${implicit},context=c)\ns.login(${JSON.stringify(USER)},${JSON.stringify(PASS)})\ns.sendmail('a@example.org',['lucy@example.org'],open(${JSON.stringify(msg)},'rb').read())\ns.quit()`]],
      ];
      for (const [name, cmd, args] of runs) {
        const r = await exec(cmd, args);
        assert.equal(r.code, 0, `${name}: ${r.out}`);
        assert.match(dec.decode(await nextForLucy()), /Subject: real client test/, name);
      }
    } finally {
      await tls.close();
    }
  });

  for (const client of clients) {
    it(`${client.name} submits through the submission shim; the store holds exactly what it sent`, async () => {
      const conns = subProxy.sent.length;
      const r = await client.send(subProxy.port, dir, "lucy@example.org", true);
      assert.equal(r.code, 0, `${client.name} failed: ${r.out}`);
      const stored = await nextForLucy();
      const sent = subProxy.sent.slice(conns).flatMap(dataPayloads);
      assert.equal(sent.length, 1, "one DATA on the wire");
      assert.deepEqual(stored, sent[0], "byte for byte");
      const expected = client.expect?.(MESSAGE);
      if (typeof expected === "string") assert.equal(dec.decode(stored), expected);
      else if (expected !== undefined) assert.match(dec.decode(stored), expected);
      else assert.match(dec.decode(stored), /\r\n\r\nBody from [\w-]+\.\r\n/, "its own message, with our body text");
    });

    it(`${client.name} posts through the list relay without AUTH`, async () => {
      const conns = relayProxy.sent.length;
      const r = await client.send(relayProxy.port, dir, "announce@lists.example", false);
      assert.equal(r.code, 0, `${client.name} failed: ${r.out}`);
      const data = dec.decode(await nextOnList());
      const sent = relayProxy.sent.slice(conns).flatMap(dataPayloads);
      assert.match(data, /^Received: from /);
      assert.equal(data.replace(/^Received:[^\r]*\r\n(\t[^\r]*\r\n)*/, ""), dec.decode(sent[0]!), "the rest byte for byte");
    });
  }
});
