// The callers of the issue, each calling im2000-sendmail exactly as it calls /usr/sbin/sendmail,
// against the reference message store; each message is then read back as the recipient reads it
// (RNAQP notification as lucy, then MSRAP retrieve) and compared byte for byte with what the
// caller wrote, after the command's two documented transformations: line ends stored as CRLF and
// Bcc fields removed (docs/sendmail.md). Nothing else may differ.
//
// - cronie and Debian cron: their argv (cronie's MAILFMT; Debian's from the binary's format
//   string and in the order) and exactly the header block their do_command.c writes,
//   the job's output streamed after it. The daemons themselves run jobs only on minute
//   boundaries as root, so the test plays their part.
// - PHP: the real `php` (Debian php-cli) calling mail() with sendmail_path "… -t -i".
// - Symfony and Laravel: fixtures/sendmail/symfony-bs.php drives `-bs` step for step as their
//   SendmailTransport does (proc_open, HELO, MAIL, RCPT, DATA, QUIT), on the real `php`.
// - mail(1) from s-nail and from GNU mailutils, their sendmail setting pointing at the command.
// - nodemailer's sendmail transport.
// PHP, s-nail and mailutils, and nodemailer reach the command through a wrapper that keeps a copy
// of their argv and standard input (to compare against) and then execs the command unchanged.
//
// Set IM2000_SKIP_REAL_CLIENTS=1 to skip on a machine without the Debian packages.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn as spawnChild } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { env as getenv, run } from "../../src/runtime/process.ts";
import { startPeers, type PeersHandle } from "../../src/peers/peers.ts";
import { RnaqpClient } from "../../src/im2000/rnaqp-client.ts";
import { MsrapClient } from "../../src/im2000/msrap-client.ts";
import { PASSWORDS, testConfig, waitFor } from "../peers/helpers.ts";
import { LAUNCHER, tempDir, writeConfig } from "./helpers.ts";

const skip = getenv("IM2000_SKIP_REAL_CLIENTS") === "1";
const enc = new TextEncoder();
const dec = new TextDecoder();
const STORE_LIMIT = 256 * 1024;
const STORE_RECIPIENTS = 3;
const SYMFONY = new URL("../../fixtures/sendmail/symfony-bs.php", import.meta.url).pathname;

/** What the store must hold for what a caller wrote: CRLF line ends, Bcc fields gone (docs/sendmail.md). */
function asSubmitted(written: string): string {
  const crlf = written.replace(/\r?\n/g, "\r\n");
  const end = crlf.indexOf("\r\n\r\n");
  const head = end < 0 ? crlf : crlf.slice(0, end + 2);
  const rest = end < 0 ? "" : crlf.slice(end + 2);
  return head.replace(/^(Resent-)?Bcc:.*\r\n([ \t].*\r\n)*/gim, "") + rest;
}

async function hasCommand(cmd: string): Promise<boolean> {
  const r = await run("/bin/sh", ["-c", `command -v ${cmd}`]).catch(() => undefined);
  return r?.code === 0;
}

describe("real callers of sendmail, end to end through the reference store", { skip: skip ? "IM2000_SKIP_REAL_CLIENTS=1" : undefined }, () => {
  let dir: string;
  let peers: PeersHandle;
  let sendmail: string;
  let wrapper: string;
  let recDir: string;
  let env: Record<string, string>;
  let php = false;

  before(async () => {
    dir = tempDir("im2000-sendmail-callers-");
    peers = await startPeers(await testConfig({ store: { maxMessageBytes: STORE_LIMIT, maxRecipients: STORE_RECIPIENTS } }), { data: join(dir, "peers") });
    // The command installed the usual way: a symlink named sendmail in a directory of its own.
    mkdirSync(join(dir, "sbin"));
    sendmail = join(dir, "sbin", "sendmail");
    symlinkSync(LAUNCHER, sendmail);
    const userConf = writeConfig(join(dir, "user.conf"), { store: `127.0.0.1:${peers.addresses.msoap!.port}`, account: "alice", password: PASSWORDS.alice, default_domain: "example.org" }, 0o600);
    env = { PATH: "/usr/bin:/bin", HOME: dir, USER: "alice", LOGNAME: "alice", IM2000_SENDMAIL_CONF: join(dir, "none"), IM2000_SENDMAIL_USER_CONF: userConf };
    recDir = join(dir, "rec");
    mkdirSync(recDir);
    wrapper = join(dir, "sbin", "sendmail-recording");
    const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join("\n");
    writeFileSync(wrapper, `#!/bin/sh\n${exports}\nprintf '%s\\n' "$@" > '${recDir}'/$$.args\ntee '${recDir}'/$$.in | '${sendmail}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    php = await hasCommand("php");
  });
  after(async () => {
    await peers?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The one call the wrapper recorded since the last clear. */
  function recorded(): { args: string[]; input: string } {
    const files = readdirSync(recDir).filter((f) => f.endsWith(".in"));
    assert.equal(files.length, 1, `one recorded call, got ${files.join(", ")}`);
    const base = join(recDir, files[0]!.slice(0, -3));
    const out = { args: readFileSync(base + ".args", "utf8").split("\n").slice(0, -1), input: readFileSync(base + ".in", "utf8") };
    for (const f of readdirSync(recDir)) rmSync(join(recDir, f));
    return out;
  }

  /**
   * Reads, as lucy, the messages notified to lucy@ and ops@example.org (lucy reads both
   * mailboxes) whose content contains `marker`, waiting until there are `count` of them. Each test
   * marks its message, so one test's late notification cannot be taken for another's.
   */
  async function readAsLucy(count: number, marker: string): Promise<{ to: string; data: string }[]> {
    const q = await RnaqpClient.connect({ host: "127.0.0.1", port: peers.addresses.rnaqp!.port });
    const r = await MsrapClient.connect({ host: "127.0.0.1", port: peers.addresses.msrap!.port });
    const out: { to: string; data: string }[] = [];
    try {
      await q.authenticate("lucy", PASSWORDS.lucy);
      await waitFor(`${count} notification(s) of a message containing ${JSON.stringify(marker)}`, async () => {
        for (const n of await q.retrieveAndClear()) {
          const data = dec.decode(await r.retrieveAll(n.notification.identifier));
          const to = `${n.notification.recipient.localpart}@${n.notification.recipient.domain.join(".")}`;
          if (data.includes(marker)) out.push({ to, data });
          else stray.push(data);
        }
        return out.length >= count ? true : undefined;
      });
    } finally {
      await q.close();
      await r.close();
    }
    return out.sort((a, b) => a.to.localeCompare(b.to));
  }
  /** Messages read that belonged to no waiting test (checked by the "no bounce" test). */
  const stray: string[] = [];

  /** Starts the command as a daemon would, writing its standard input in pieces (cron streams a job's output). */
  function pipeInto(args: string[], pieces: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const p = spawnChild(sendmail, args, { env, stdio: ["pipe", "ignore", "pipe"] });
      let stderr = "";
      p.stderr.setEncoding("utf8");
      p.stderr.on("data", (s: string) => (stderr += s));
      p.on("close", (code) => resolve({ code, stderr }));
      p.stdin.on("error", () => {});
      (async () => {
        for (const piece of pieces) {
          p.stdin.write(piece);
          await new Promise((r) => setImmediate(r));
        }
        p.stdin.end();
      })();
    });
  }

  const JOB_OUTPUT = ["backup started\n", "From the archive: 3 files\n", ".\n", "..hidden\n", "größe: 12 KiB\n", "done\n"];

  it("cronie (-FCronDaemon -i -odi -oem -oi -t -f root): the message lucy reads is what cronie wrote", async () => {
    const header =
      "From: root (Cron Daemon)\nTo: lucy\nSubject: Cron <alice@host> /usr/local/bin/backup --verbose\nContent-Type: text/plain; charset=UTF-8\nAuto-Submitted: auto-generated\n" +
      "X-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/home/alice>\nX-Cron-Env: <PATH=/usr/bin:/bin>\nX-Cron-Env: <LOGNAME=alice>\nX-Cron-Env: <USER=alice>\n\n";
    const r = await pipeInto(["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"], [header, ...JOB_OUTPUT]);
    assert.equal(r.code, 0, r.stderr);
    const [m] = await readAsLucy(1, "/usr/local/bin/backup");
    assert.equal(m!.to, "lucy@example.org", "To: lucy qualified with default_domain");
    assert.equal(m!.data, asSubmitted(header + JOB_OUTPUT.join("")));
  });

  for (const [label, argv] of [
    ["as the cron 3.0pl1-162 binary's format string has it", ["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "lucy"]],
    ["in the issue's order", ["-i", "-FCronDaemon", "-B8BITMIME", "-oem", "lucy"]],
  ] as const) {
    it(`Debian cron (${argv.join(" ")}), ${label}`, async () => {
      const header =
        `From: root (Cron Daemon)\nTo: lucy\nSubject: Cron <alice@host> run-parts --report /etc/cron.daily ${label} (failed)\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n` +
        "X-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/home/alice>\nX-Cron-Env: <LOGNAME=alice>\n\n";
      const r = await pipeInto([...argv], [header, ...JOB_OUTPUT]);
      assert.equal(r.code, 0, r.stderr);
      const [m] = await readAsLucy(1, label);
      assert.equal(m!.to, "lucy@example.org");
      assert.equal(m!.data, asSubmitted(header + JOB_OUTPUT.join("")));
    });
  }

  it("PHP mail() (the real php, sendmail_path '… -t -i'): Bcc reaches ops, and nobody sees it", async (t) => {
    if (!php) return t.skip("php is not installed (apt-get install php-cli)");
    const script = `exit(mail("Lucy <lucy@example.org>", "php subject", "Hello from PHP\\n.\\n..two dots\\nUmlaut: \\u{e4}", ["From" => "Alice <alice@example.org>", "Bcc" => "ops@example.org", "X-Mailer" => "PHP/" . PHP_VERSION]) ? 0 : 1);`;
    const r = await run("php", ["-n", "-d", "display_errors=stderr", "-d", `sendmail_path=${wrapper} -t -i`, "-r", script], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, dec.decode(r.stdout) + dec.decode(r.stderr));
    const rec = recorded();
    assert.deepEqual(rec.args, ["-t", "-i"]);
    assert.match(rec.input, /^To: Lucy <lucy@example\.org>\r\nSubject: php subject\r\n/);
    const got = await readAsLucy(2, "php subject");
    assert.deepEqual(got.map((g) => g.to), ["lucy@example.org", "ops@example.org"]);
    const expected = asSubmitted(rec.input);
    assert.ok(!expected.includes("Bcc:"));
    for (const g of got) assert.equal(g.data, expected, g.to);
  });

  for (const [framework, flags] of [
    ["Symfony (-bs)", "-bs"],
    ["Laravel (-bs -i)", "-bs -i"],
  ] as const) {
    it(`${framework}: SendmailTransport's SMTP dialogue over the command's standard input/output`, async (t) => {
      if (!php) return t.skip("php is not installed (apt-get install php-cli)");
      // A message as Symfony's Email::toString() renders it: CRLF, no Bcc field, no final CRLF
      // (the "\r\n.\r\n" terminator supplies it).
      const message =
        "From: Alice <alice@example.org>\r\nTo: Lucy <lucy@example.org>\r\nSubject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= from " + framework + "\r\nMessage-ID: <c0ffee@example.org>\r\nMIME-Version: 1.0\r\n" +
        "Date: Sun, 29 Nov 2026 01:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello from the framework.\r\n.a line with a leading dot\r\n.\r\nlast line";
      const file = join(dir, "symfony.eml");
      writeFileSync(file, message);
      const r = await run("php", ["-n", "-d", "display_errors=stderr", SYMFONY, `${sendmail} ${flags}`, "alice@example.org", file, "lucy@example.org", "ops@example.org"], { env, timeoutMs: 60_000 });
      const out = JSON.parse(dec.decode(r.stdout) || "{}") as { ok: boolean; result: string; error: string; exit: number };
      assert.equal(out.ok, true, `${out.error} ${dec.decode(r.stderr)}`);
      assert.match(out.result, /^250 2\.0\.0 .*originator identifier [0-9a-f]{32}$/);
      assert.equal(out.exit, 0, "the command exits 0 after QUIT");
      const got = await readAsLucy(2, `from ${framework}`);
      assert.deepEqual(got.map((g) => g.to), ["lucy@example.org", "ops@example.org"]);
      for (const g of got) assert.equal(g.data, message + "\r\n", g.to);
    });
  }

  it("mail(1) from s-nail, its mta pointing at the command (-i -- recipients)", async () => {
    const r = await run("s-nail", ["-:/", "-Sv15-compat", `-Smta=${wrapper}`, "-Sfrom=Alice <alice@example.org>", "-Sttycharset=utf-8", "-Ssendcharsets=utf-8", "-s", "s-nail subject", "-b", "ops@example.org", "lucy@example.org"], {
      env,
      input: "Body from s-nail.\n.\nnot the end\n",
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, dec.decode(r.stderr));
    const rec = recorded();
    assert.deepEqual(rec.args, ["-i", "--", "lucy@example.org", "ops@example.org"]);
    const got = await readAsLucy(2, "s-nail subject");
    assert.deepEqual(got.map((g) => g.to), ["lucy@example.org", "ops@example.org"]);
    for (const g of got) assert.equal(g.data, asSubmitted(rec.input), g.to);
    assert.match(got[0]!.data, /\r\n\r\nBody from s-nail\.\r\n\.\r\nnot the end\r\n$/);
  });

  it("mail(1) from GNU mailutils, sendmail=sendmail://the command (-oi -f sender -t); its Bcc field is removed", async () => {
    const r = await run("mail.mailutils", ["-s", "mailutils subject", "-r", "alice@example.org", "-E", `set sendmail="sendmail://${wrapper}"`, "-a", "Bcc: ops@example.org", "lucy@example.org"], {
      env,
      input: "Body from mailutils.\n",
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, dec.decode(r.stderr));
    const rec = recorded();
    assert.deepEqual(rec.args, ["-oi", "-f", "alice@example.org", "-t"]);
    assert.match(rec.input, /^Bcc: <?ops@example\.org>?$/m, "mailutils leaves Bcc for sendmail to remove");
    const got = await readAsLucy(2, "mailutils subject");
    assert.deepEqual(got.map((g) => g.to), ["lucy@example.org", "ops@example.org"]);
    for (const g of got) assert.equal(g.data, asSubmitted(rec.input), g.to);
    assert.ok(!got[0]!.data.includes("Bcc:"));
  });

  it("nodemailer's sendmail transport (-i -f sender recipients), which leaves Bcc for sendmail to strip", async () => {
    const { createTransport } = (await import("nodemailer")) as unknown as { createTransport: (o: object) => { sendMail: (m: object) => Promise<unknown>; close: () => void } };
    const t = createTransport({ sendmail: true, path: wrapper });
    await t.sendMail({ from: "Alice <alice@example.org>", to: "Lucy <lucy@example.org>", bcc: "ops@example.org", subject: "nodemailer subject", text: "Hello from nodemailer.\n.\nUTF-8: grüße\n" });
    t.close();
    const rec = recorded();
    assert.deepEqual(rec.args, ["-i", "-f", "alice@example.org", "lucy@example.org", "ops@example.org"]);
    assert.match(rec.input, /^Bcc: ops@example\.org\r?$/m);
    const got = await readAsLucy(2, "nodemailer subject");
    assert.deepEqual(got.map((g) => g.to), ["lucy@example.org", "ops@example.org"]);
    for (const g of got) assert.equal(g.data, asSubmitted(rec.input), g.to);
  });

  it("LOC-5 LOC-7 a message over the store's limit: exit 75 (errornotenoughroom), nothing stored, nothing sent to anyone", async () => {
    const usage = peers.store.usage("alice");
    const big = "Subject: too big\n\n" + ("x".repeat(1000) + "\n").repeat(300);
    const r = await pipeInto(["-i", "-oem", "lucy@example.org"], [big]);
    assert.equal(r.code, 75, r.stderr);
    assert.match(r.stderr, /^im2000-sendmail: the message store has no room for the message \(errornotenoughroom[^\n]*\n$/);
    assert.equal(peers.store.usage("alice"), usage, "nothing stored for alice");
    // A later message arrives; the refused one never does, and nothing was mailed about it
    // (-oem asked for errors to be mailed back: no bounce, LOC-7).
    const ok = await pipeInto(["-i", "lucy@example.org"], ["Subject: after the refusal\n\nfine\n"]);
    assert.equal(ok.code, 0, ok.stderr);
    const got = await readAsLucy(1, "after the refusal");
    assert.equal(got[0]!.data, "Subject: after the refusal\r\n\r\nfine\r\n");
    assert.ok(!stray.some((m) => m.includes("too big") || /undeliver|failure notice|returned mail/i.test(m)), "no copy and no bounce reached lucy");
  });

  it("LOC-2 LOC-5 a recipient the store denies: exit 77 naming it, nothing stored", async () => {
    const usage = peers.store.usage("alice");
    // The reference store accepts at most STORE_RECIPIENTS recipients and denies the rest.
    const r = await pipeInto(["-i", "lucy@example.org", "a@example.net", "b@example.net", "fourth@example.net"], ["Subject: x\n\nx\n"]);
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /refused 1 of 4 recipient\(s\), so nothing was sent: fourth@example\.net\n$/);
    assert.equal(peers.store.usage("alice"), usage);
  });

  it("LOC-3 a wrong password is 77 and names the problem", async () => {
    const bad = writeConfig(join(dir, "bad.conf"), { store: `127.0.0.1:${peers.addresses.msoap!.port}`, account: "alice", password: "wrong" }, 0o600);
    const r = await run(sendmail, ["lucy@example.org"], { env: { ...env, IM2000_SENDMAIL_USER_CONF: bad }, input: "x\n", timeoutMs: 60_000 });
    assert.equal(r.code, 77);
    assert.match(dec.decode(r.stderr), /errornotauthenticated/);
  });

  it("asSubmitted (this test's own model of the two transformations) changes only line ends and Bcc", () => {
    assert.equal(asSubmitted("A: 1\nBcc: x@y,\n z@w\nB: 2\n\nBcc: body\n"), "A: 1\r\nB: 2\r\n\r\nBcc: body\r\n");
    assert.equal(enc.encode(asSubmitted("a\r\nb\n")).byteLength, 6);
  });
});
