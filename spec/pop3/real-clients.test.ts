// The whole system end to end with real POP3 clients: a message goes in through the SMTP
// submission shim, the reference store notifies the reference RNA, and a real client (fetchmail,
// mpop, getmail6, curl, Python's poplib, node-pop3) reads it through the POP3 shim. The content
// is compared with what was submitted; after DELE and QUIT the store reports it un-pinned (MSOAP
// Track). Clients that deliver into local mailboxes convert CRLF to LF and some add a trace header
// of their own: those two documented transformations are undone before comparing, nothing else.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, env as getenv } from "../../src/runtime/process.ts";
import { startPeers, type PeersHandle } from "../../src/peers/peers.ts";
import { startSmtpService, type SmtpService } from "../../src/smtp/service.ts";
import { startPop3Service, type Pop3Service } from "../../src/pop3/service.ts";
import { FileNoteStore } from "../../src/notes/file-store.ts";
import { MsoapClient } from "../../src/im2000/msoap-client.ts";
import { NotificationStatus } from "../../src/im2000/msoap.ts";
import { PASSWORDS, testConfig, waitFor } from "../peers/helpers.ts";
import { b64, LineClient } from "../helpers/line-client.ts";
import { testCertificate } from "../helpers/tls.ts";

const skip = getenv("IM2000_SKIP_REAL_CLIENTS") === "1";
const dec = new TextDecoder();

function message(tag: string): string {
  return [
    "From: Alice <alice@example.net>",
    "To: Lucy <lucy@example.org>",
    `Subject: pop3 ${tag}`,
    `Message-ID: <${tag}@example.net>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `Hello ${tag}.`,
    ".a line that starts with a dot",
    "grüße",
    "",
  ].join("\r\n");
}

const hexOf = (id: Uint8Array) => Array.from(id, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));

describe("real POP3 clients, end to end through both shims", { skip: skip ? "IM2000_SKIP_REAL_CLIENTS=1" : undefined }, () => {
  let dir: string;
  let peers: PeersHandle;
  let smtp: SmtpService;
  let pop: Pop3Service;
  let popTls: Pop3Service;
  let notes: FileNoteStore;
  let cert: Awaited<ReturnType<typeof testCertificate>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "im2000-pop3-clients-"));
    cert = await testCertificate();
    // A second recipient whose RNA is unreachable stays pinned, so the store keeps the message
    // and Track can show lucy's copy un-pinned after DELE + QUIT.
    peers = await startPeers(await testConfig({ routes: { "example.net": { rnasp: "127.0.0.1:1" } } }), { data: join(dir, "peers") });
    smtp = await startSmtpService({ role: "submission", hostname: "shim.test", listen: [{ host: "127.0.0.1", port: 0 }], store: { kind: "address", host: "127.0.0.1", port: peers.addresses.msoap!.port }, lifetimeSeconds: 3600, testMode: true });
    notes = await FileNoteStore.open(join(dir, "shim-state"));
    const rna = { kind: "address" as const, host: "127.0.0.1", port: peers.addresses.rnaqp!.port };
    pop = await startPop3Service({ hostname: "pop.test", listen: [{ host: "127.0.0.1", port: 0 }], rna, notes, testMode: true });
    popTls = await startPop3Service({ hostname: "localhost", listen: [{ host: "127.0.0.1", port: 0 }], listenTls: [{ host: "127.0.0.1", port: 0 }], tls: { cert: cert.cert, key: cert.key }, rna, notes, testMode: true });
  });
  after(async () => {
    await pop?.close();
    await popTls?.close();
    await smtp?.close();
    await peers?.close();
    await notes?.close();
  });

  /** Submits through the SMTP shim; resolves with the originator identifier once the RNA has it. */
  async function submit(tag: string): Promise<{ id: Uint8Array; text: string }> {
    const text = message(tag);
    const c = await LineClient.connect(smtp.ports[0]!.port);
    await c.reply();
    await c.cmd("EHLO test");
    assert.equal((await c.cmd(`AUTH PLAIN ${b64(`\0alice\0${PASSWORDS.alice}`)}`)).code, 235);
    await c.cmd("MAIL FROM:<alice@example.net>");
    assert.equal((await c.cmd("RCPT TO:<lucy@example.org>")).code, 250);
    assert.equal((await c.cmd("RCPT TO:<keeper@example.net>")).code, 250);
    assert.equal((await c.cmd("DATA")).code, 354);
    await c.write(text.replace(/^\./gm, "..") + ".\r\n");
    const r = await c.reply();
    assert.equal(r.code, 250, r.text);
    await c.cmd("QUIT");
    c.close();
    const id = fromHex(/identifier ([0-9a-f]{32})/.exec(r.text)![1]!);
    await waitFor("the RNA to accept the notification", async () => ((await track(id)).notificationstatus >= NotificationStatus.notifying ? true : undefined));
    return { id, text };
  }

  async function track(id: Uint8Array) {
    const m = await MsoapClient.connect({ host: "127.0.0.1", port: peers.addresses.msoap!.port });
    try {
      await m.authenticate("alice", PASSWORDS.alice);
      return (await m.track(id)).find((r) => r.recipient.localpart === "lucy")!.status;
    } finally {
      await m.close();
    }
  }

  const exec = async (cmd: string, args: string[], env: Record<string, string> = {}, input?: string) => {
    const r = await run(cmd, args, { env: { PATH: "/usr/bin:/bin", HOME: dir, ...env }, timeoutMs: 60_000, input });
    return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  };
  const lf = (s: string) => s.replace(/\r\n/g, "\n");
  const stripTrace = (s: string, re: RegExp) => s.replace(re, "");

  it("fetchmail retrieves, then deletes; the store reports the message un-pinned", async () => {
    const { id, text } = await submit("fetchmail");
    const home = mkdtempSync(join(dir, "fm-"));
    const out = join(home, "out.mbox");
    const rc = join(home, "fetchmailrc");
    writeFileSync(rc, `poll 127.0.0.1 proto pop3 port ${pop.ports[0]!.port} auth password user "lucy" there with password "${PASSWORDS.lucy}" is "root" here no keep fetchall sslproto '' mda "cat >> ${out}"\n`);
    chmodSync(rc, 0o600);
    const r = await exec("fetchmail", ["-f", rc, "--nosyslog", "127.0.0.1"], { FETCHMAILHOME: home });
    assert.equal(r.code, 0, r.out + r.err);
    const got = readFileSync(out, "utf8");
    assert.equal(stripTrace(got, /^Received: from 127\.0\.0\.1[^\n]*\n(\t[^\n]*\n)*/), lf(text));
    assert.equal((await track(id)).pinned, false, "DELE + QUIT un-pinned it");
  });

  it("mpop (pipelining) retrieves into a Maildir and deletes", async () => {
    const { id, text } = await submit("mpop");
    const md = mkdtempSync(join(dir, "md-"));
    for (const d of ["new", "cur", "tmp"]) mkdirSync(join(md, d));
    const r = await exec("mpop", ["--host=127.0.0.1", `--port=${pop.ports[0]!.port}`, "--tls=off", "--auth=user", "--user=lucy", `--passwordeval=echo '${PASSWORDS.lucy}'`, "--keep=off", "--only-new=off", `--delivery=maildir,${md}`, `--uidls-file=${join(md, "uidls")}`, "--received-header=off"]);
    assert.equal(r.code, 0, r.out + r.err);
    const files = readdirSync(join(md, "new"));
    assert.equal(files.length, 1);
    assert.equal(readFileSync(join(md, "new", files[0]!), "utf8"), lf(text));
    assert.equal((await track(id)).pinned, false);
  });

  it("getmail6 retrieves (UIDL, LIST, RETR) and deletes", async () => {
    const { id, text } = await submit("getmail");
    const gd = mkdtempSync(join(dir, "gm-"));
    const md = join(gd, "Maildir");
    for (const d of ["new", "cur", "tmp"]) mkdirSync(join(md, d), { recursive: true });
    // getmail delivers as `nobody` when run as root: let it in.
    for (const d of [dir, gd, md, join(md, "new"), join(md, "cur"), join(md, "tmp")]) chmodSync(d, 0o777);
    writeFileSync(
      join(gd, "getmailrc"),
      `[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\nport = ${pop.ports[0]!.port}\nusername = lucy\npassword = ${PASSWORDS.lucy}\n\n[destination]\ntype = Maildir\npath = ${md}/\nuser = nobody\n\n[options]\ndelete = true\nread_all = true\nreceived = false\ndelivered_to = false\nmessage_log_syslog = false\nverbose = 0\n`,
    );
    const r = await exec("getmail", ["--getmaildir", gd, "-r", "getmailrc"]);
    assert.equal(r.code, 0, r.out + r.err);
    const files = readdirSync(join(md, "new"));
    assert.equal(files.length, 1);
    assert.equal(stripTrace(readFileSync(join(md, "new", files[0]!), "utf8"), /^Return-Path: [^\n]*\n/), lf(text));
    assert.equal((await track(id)).pinned, false);
  });

  it("curl LISTs and RETRs byte for byte, then DELE", async () => {
    const { id, text } = await submit("curl");
    const url = `pop3://127.0.0.1:${pop.ports[0]!.port}`;
    const list = await exec("curl", ["-sS", "-u", `lucy:${PASSWORDS.lucy}`, `${url}/`]);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`^1 ${new TextEncoder().encode(text).byteLength}\\r?$`, "m"));
    const retr = await run("curl", ["-sS", "-u", `lucy:${PASSWORDS.lucy}`, `${url}/1`], { env: { PATH: "/usr/bin:/bin" } });
    assert.equal(dec.decode(retr.stdout), text, "byte for byte");
    const dele = await exec("curl", ["-sS", "-u", `lucy:${PASSWORDS.lucy}`, "-X", "DELE 1", "-I", `${url}/`]);
    assert.equal(dele.code, 0, dele.err);
    assert.equal((await track(id)).pinned, false);
  });

  it("Python poplib (USER/PASS, STAT, UIDL, RETR, DELE, QUIT) byte for byte", async () => {
    const { id, text } = await submit("python");
    const script = [
      "import poplib, sys",
      `p = poplib.POP3('127.0.0.1', ${pop.ports[0]!.port})`,
      "p.user('lucy')",
      `p.pass_(${JSON.stringify(PASSWORDS.lucy)})`,
      "count, size = p.stat()",
      "assert count == 1, count",
      "uid = p.uidl(1).split()[2].decode()",
      "resp, lines, octets = p.retr(1)",
      "sys.stdout.buffer.write(uid.encode() + b'\\n' + b''.join(l + b'\\r\\n' for l in lines))",
      "p.dele(1)",
      "p.quit()",
    ].join("\n");
    const r = await run("/usr/bin/python3", ["-c", script], { env: { PATH: "/usr/bin:/bin" } });
    assert.equal(r.code, 0, dec.decode(r.stderr));
    const out = dec.decode(r.stdout);
    const nl = out.indexOf("\n");
    assert.equal(out.slice(nl + 1), text, "byte for byte");
    assert.match(out.slice(0, nl), /^[0-9a-f]{32}$/, "UIDL is 32 hex digits");
    assert.equal((await track(id)).pinned, false);
  });

  it("node-pop3 (STAT, UIDL, RETR, DELE, QUIT) byte for byte", async () => {
    const { id, text } = await submit("node-pop3");
    const { default: Pop3Command } = (await import("node-pop3")) as unknown as { default: new (o: object) => { STAT(): Promise<string>; UIDL(): Promise<string[][]>; RETR(n: number): Promise<string>; command(...a: string[]): Promise<unknown>; QUIT(): Promise<unknown> } };
    const p = new Pop3Command({ host: "127.0.0.1", port: pop.ports[0]!.port, user: "lucy", password: PASSWORDS.lucy });
    try {
      assert.match(await p.STAT(), /^1 \d+$/);
      const uidl = await p.UIDL();
      assert.equal(uidl[0]![1], hexOf(await noteIdentifier()));
      const body = await p.RETR(1);
      // node-pop3 hands back the body with its line ends normalised and dot-stuffing left in place.
      assert.equal(body.replace(/\r?\n/g, "\r\n").replace(/(\r\n)?$/, "\r\n").replace(/^\.\./gm, "."), text);
      await p.command("DELE", "1");
    } finally {
      await p.QUIT();
    }
    assert.equal((await track(id)).pinned, false);
  });

  it("STLS with curl and mpop, implicit TLS with curl and Python", async () => {
    await submit("tls");
    const plain = popTls.ports.find((p) => !p.tls)!.port;
    const implicit = popTls.ports.find((p) => p.tls)!.port;
    const stls = await exec("curl", ["-sS", "--ssl-reqd", "--cacert", cert.certFile, "-u", `lucy:${PASSWORDS.lucy}`, `pop3://localhost:${plain}/`]);
    assert.equal(stls.code, 0, stls.err);
    assert.match(stls.out, /^1 \d+/m);
    const md = mkdtempSync(join(dir, "mdtls-"));
    for (const d of ["new", "cur", "tmp"]) mkdirSync(join(md, d));
    const mp = await exec("mpop", ["--host=localhost", `--port=${plain}`, "--tls=on", "--tls-starttls=on", `--tls-trust-file=${cert.certFile}`, "--auth=user", "--user=lucy", `--passwordeval=echo '${PASSWORDS.lucy}'`, "--keep=on", "--only-new=off", `--delivery=maildir,${md}`, `--uidls-file=${join(md, "uidls")}`]);
    assert.equal(mp.code, 0, mp.out + mp.err);
    assert.equal(readdirSync(join(md, "new")).length, 1);
    const pops = await exec("curl", ["-sS", "--cacert", cert.certFile, "-u", `lucy:${PASSWORDS.lucy}`, `pop3s://localhost:${implicit}/1`]);
    assert.equal(pops.code, 0, pops.err);
    assert.match(pops.out, /Subject: pop3 tls/);
    const py = await run("/usr/bin/python3", ["-c", `import poplib,ssl\nc=ssl.create_default_context(cafile=${JSON.stringify(cert.certFile)})\np=poplib.POP3_SSL('localhost',${implicit},context=c)\np.user('lucy')\np.pass_(${JSON.stringify(PASSWORDS.lucy)})\nprint(p.stat()[0])\np.quit()`], { env: { PATH: "/usr/bin:/bin" } });
    assert.equal(dec.decode(py.stdout).trim(), "1", dec.decode(py.stderr));
  });

  async function noteIdentifier(): Promise<Uint8Array> {
    const m = await notes.open("lucy");
    try {
      return m.list()[0]!.identifier;
    } finally {
      await notes.release(m);
    }
  }
});
