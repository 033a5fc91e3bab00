// The real command: bin/im2000-sendmail started as a process (symlinked as `sendmail` from another
// directory, on Bun, Deno and Node), its exit status and one-line standard error (LOC-5), files
// the process cannot read, and `-bs` speaking SMTP over its standard input/output (LOC-6) with
// the SMTP shim's own session, pre-authenticated with the user's credentials.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { uid } from "../../src/runtime/process.ts";
import { FakeStore } from "../helpers/fake-store.ts";
import { LAUNCHER, PipeSmtp, sendmailProcess, tempDir, writeConfig } from "./helpers.ts";

const dec = new TextDecoder();

describe("im2000-sendmail as a process", () => {
  let store: FakeStore;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    store = await FakeStore.start({ accounts: { tester: "secret" } });
    dir = tempDir("im2000-sendmail-proc-");
    chmodSync(dir, 0o755);
    env = { IM2000_MSOAP: `127.0.0.1:${store.port}`, IM2000_PASSWORD: "secret" };
  });
  after(async () => {
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("LOC-1 symlinked as `sendmail` in another directory, the launcher runs the command on Bun, Deno and Node", async () => {
    const bin = join(dir, "sbin");
    mkdirSync(bin);
    symlinkSync(LAUNCHER, join(bin, "sendmail"));
    const { run } = await import("../../src/runtime/process.ts");
    for (const runtime of ["bun", "deno", "node"]) {
      const before = store.messages.length;
      const r = await run(join(bin, "sendmail"), ["-t", "-i"], {
        cwd: bin,
        input: `To: lucy@example.org\nSubject: via ${runtime}\n\nbody\n`,
        env: { PATH: "/usr/bin:/bin", HOME: dir, USER: "tester", IM2000_SENDMAIL_RUNTIME: runtime, IM2000_SENDMAIL_CONF: join(dir, "none"), IM2000_SENDMAIL_USER_CONF: join(dir, "none"), ...env },
        timeoutMs: 60_000,
      });
      assert.equal(r.code, 0, `${runtime}: ${dec.decode(r.stderr)}`);
      assert.equal(store.messages.length, before + 1, runtime);
      assert.equal(dec.decode(store.messages.at(-1)!.data), `To: lucy@example.org\r\nSubject: via ${runtime}\r\n\r\nbody\r\n`);
    }
  });

  it("LOC-5 the exit status and a single line on standard error: usage (64), no recipient (67), unsafe file (77)", async () => {
    let r = await sendmailProcess(["-Z"], { env, dir, input: "" });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /^im2000-sendmail: unknown option -Z\nusage: /);
    r = await sendmailProcess(["-i"], { env, dir, input: "Subject: x\n\nx\n" });
    assert.equal(r.code, 67);
    assert.equal(r.stderr.split("\n").length, 2, "one line and its newline");
    writeConfig(join(dir, "user.conf"), { password: "secret" }, 0o644);
    try {
      r = await sendmailProcess(["lucy@example.org"], { env, dir, input: "x\n" });
      assert.equal(r.code, 77);
      assert.match(r.stderr, /user\.conf is readable or writable by group or others/);
    } finally {
      rmSync(join(dir, "user.conf"));
    }
  });

  it("LOC-5 a configuration file the user cannot read is 78 (run as an unprivileged user)", async () => {
    const sys = writeConfig(join(dir, "private.conf"), { store: `127.0.0.1:${store.port}` }, 0o600);
    const { run } = await import("../../src/runtime/process.ts");
    // As root every file is readable: drop to "nobody" to see what a real user sees.
    const asUser = uid() === 0 ? ["setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", LAUNCHER]] as const : [LAUNCHER, []] as const;
    if (uid() !== 0) chmodSync(sys, 0o000);
    const r = await run(asUser[0], [...asUser[1], "lucy@example.org"], {
      input: "x\n",
      env: { PATH: "/usr/bin:/bin", HOME: dir, USER: "nobody", IM2000_SENDMAIL_CONF: sys, IM2000_SENDMAIL_USER_CONF: join(dir, "none"), DENO_DIR: join(dir, "deno-cache") },
      timeoutMs: 60_000,
    });
    chmodSync(sys, 0o600);
    assert.equal(r.code, 78, dec.decode(r.stderr));
    assert.match(dec.decode(r.stderr), /cannot read .*private\.conf: permission denied/);
  });

  it("LOC-6 -bs speaks SMTP on standard input/output, pre-authenticated with the user's credentials", async () => {
    const before = store.messages.length;
    const auths = store.commands("commandAuthenticate").length;
    const s = new PipeSmtp(LAUNCHER, ["-bs"], { PATH: "/usr/bin:/bin", HOME: dir, USER: "tester", IM2000_SENDMAIL_CONF: join(dir, "none"), IM2000_SENDMAIL_USER_CONF: join(dir, "none"), ...env });
    assert.equal((await s.reply()).code, 220);
    const ehlo = await s.cmd("EHLO client.example");
    assert.equal(ehlo.code, 250);
    assert.ok(!/AUTH/.test(ehlo.text), "already authenticated: AUTH is not offered");
    assert.ok(!/STARTTLS/.test(ehlo.text), "no TLS on a pipe");
    assert.equal((await s.cmd("AUTH PLAIN AHRlc3RlcgBzZWNyZXQ=")).code, 503, "AUTH: already authenticated");
    assert.equal((await s.cmd("MAIL FROM:<tester@example.org>")).code, 250);
    assert.equal((await s.cmd("RCPT TO:<lucy@example.org>")).code, 250);
    assert.equal((await s.cmd("DATA")).code, 354);
    s.write("Subject: -bs\r\n\r\n..dot-stuffed\r\n.\r\n");
    const done = await s.reply();
    assert.equal(done.code, 250, done.text);
    assert.match(done.text, /originator identifier [0-9a-f]{32}/, "SUB-11 as in the SMTP shim");
    assert.equal((await s.cmd("QUIT")).code, 221);
    assert.equal(await s.exited, 0, s.stderr);
    assert.equal(store.messages.length, before + 1);
    assert.equal(store.messages.at(-1)!.account, "tester", "the user's own account");
    assert.equal(store.commands("commandAuthenticate").length, auths + 1);
    assert.equal(dec.decode(store.messages.at(-1)!.data), "Subject: -bs\r\n\r\n.dot-stuffed\r\n");
  });

  it("LOC-6 -bs: the SMTP shim's replies: a denied recipient gets 554 at DATA naming it (SUB-9); end of input ends the session", async () => {
    store.script = { accounts: { tester: "secret" }, acceptRecipient: (l) => l !== "nobody" };
    try {
      const s = new PipeSmtp(LAUNCHER, ["-bs", "-i"], { PATH: "/usr/bin:/bin", HOME: dir, USER: "tester", IM2000_SENDMAIL_CONF: join(dir, "none"), IM2000_SENDMAIL_USER_CONF: join(dir, "none"), ...env });
      await s.reply();
      await s.cmd("HELO [127.0.0.1]");
      await s.cmd("MAIL FROM:<>");
      await s.cmd("RCPT TO:<lucy@example.org>");
      await s.cmd("RCPT TO:<nobody@example.org>");
      const data = await s.cmd("DATA");
      assert.equal(data.code, 554);
      assert.match(data.text, /<nobody@example\.org>/);
      s.end();
      assert.equal(await s.exited, 0);
    } finally {
      store.script = { accounts: { tester: "secret" } };
    }
  });

  it("LOC-6 -bs with an unusable configuration says so in SMTP (554 greeting) and exits with the status", async () => {
    writeConfig(join(dir, "user.conf"), { password: "secret" }, 0o664);
    try {
      const s = new PipeSmtp(LAUNCHER, ["-bs"], { PATH: "/usr/bin:/bin", HOME: dir, USER: "tester", IM2000_SENDMAIL_CONF: join(dir, "none"), IM2000_SENDMAIL_USER_CONF: join(dir, "user.conf"), ...env });
      const greeting = await s.reply();
      assert.equal(greeting.code, 554);
      assert.match(greeting.text, /readable or writable by group or others/);
      assert.equal(await s.exited, 77);
    } finally {
      rmSync(join(dir, "user.conf"));
    }
  });

  it("LOC-6 -bs without a configured password offers AUTH and passes it through to the store (SUB-2)", async () => {
    const s = new PipeSmtp(LAUNCHER, ["-bs"], { PATH: "/usr/bin:/bin", HOME: dir, USER: "tester", IM2000_SENDMAIL_CONF: join(dir, "none"), IM2000_SENDMAIL_USER_CONF: join(dir, "none"), IM2000_MSOAP: `127.0.0.1:${store.port}` });
    await s.reply();
    const ehlo = await s.cmd("EHLO x");
    assert.match(ehlo.text, /AUTH PLAIN LOGIN/);
    assert.equal((await s.cmd(`AUTH PLAIN ${btoa("\0tester\0wrong")}`)).code, 535);
    assert.equal((await s.cmd(`AUTH PLAIN ${btoa("\0tester\0secret")}`)).code, 235);
    assert.equal((await s.cmd("QUIT")).code, 221);
    assert.equal(await s.exited, 0);
  });
});
