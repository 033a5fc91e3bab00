// Benchmark of the local submission shim (issue 7): wall time per message when a caller starts one
// process per message, as cron and PHP do. In one run, against the same reference store:
//   - our command (bin/im2000-sendmail, exactly as installed) under Bun, Deno and Node,
//     submitting over MSOAP;
//   - msmtp (Debian), the usual "null mail system" sendmail replacement, sending the same message
//     over SMTP to our SMTP submission shim, which submits it to the same store.
// Each variant runs N sequential invocations (default 200) of a 4 KiB message, interleaved in
// rounds so that disk and CPU drift hit every variant alike. Reported: ms per message and each
// ratio to msmtp. Target (issue 7): Bun ≤ 1.5 × msmtp.
//
// The store's password hashing is part of every submission (one CommandAuthenticate per message
// on both paths). It is measured twice: with the scrypt cost `im2000 serve` writes (N=16384, what
// a deployment pays) and with a cheap one (N=1024), which leaves start-up and protocol work
// dominant: the harsher comparison.
//
// Note for reading the msmtp column: msmtp sends one small segment per message line with Nagle
// on, so its final "." waits for the server's delayed ACK (about 40 ms on Linux); this is part of
// what msmtp costs per message against any SMTP server, and it is in the baseline.
//
// Usage: node --import tsx scripts/bench-sendmail.ts [--count N] [--round R] [--only production|cheap]
//        (npm run bench:sendmail). Needs msmtp; Deno and Bun come from node_modules.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { hashPassword } from "../src/peers/auth.ts";
import { parseConfig } from "../src/peers/config.ts";
import { startPeers } from "../src/peers/peers.ts";
import { startSmtpService } from "../src/smtp/service.ts";
import { runtimeVersion } from "../src/runtime/process.ts";

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : def;
};
const COUNT = Number(opt("--count", "200"));
const ROUND = Number(opt("--round", "20"));
const ONLY = opt("--only", "");

const root = path.resolve(new URL("..", import.meta.url).pathname);
const launcher = path.join(root, "bin", "im2000-sendmail");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "im2000-bench-sendmail-"));

/** A 4 KiB message, LF line ends (what a caller writes to sendmail or msmtp). */
function message(): string {
  const head = "From: Alice <alice@example.org>\nTo: Lucy <lucy@example.org>\nSubject: benchmark\nMessage-ID: <bench@example.org>\nDate: Sun, 29 Nov 2026 01:00:00 +0000\n\n";
  let body = "";
  let i = 0;
  while (head.length + body.length < 4096 - 80) body += `line ${String(i++).padStart(4, "0")} ${"lorem ipsum dolor sit amet ".repeat(2)}\n`;
  const m = head + body;
  return m + "x".repeat(4095 - m.length) + "\n";
}

function once(cmd: string, args: string[], env: Record<string, string>, input: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env, stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (c: Buffer) => (err += c.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${err}`));
      else resolve(ms);
    });
    p.stdin.end(input);
  });
}

interface Variant {
  readonly name: string;
  readonly run: () => Promise<number>;
  total: number;
  n: number;
}

async function measure(label: string, scrypt: { N: number; r: number; p: number }): Promise<void> {
  const data = fs.mkdtempSync(path.join(work, `${label}-`));
  const config = parseConfig({
    testMode: true,
    logLevel: "error",
    listen: { msoap: "127.0.0.1:0", msrap: "127.0.0.1:0", rnasp: "127.0.0.1:0", rnaqp: "127.0.0.1:0" },
    store: { accounts: { alice: { passwordHash: await hashPassword("alice-pw", scrypt) } }, minLifetime: 60 },
    rna: { accounts: { lucy: { passwordHash: await hashPassword("lucy-pw", scrypt) } }, mailboxes: { "lucy@example.org": { readers: ["lucy"] } } },
  });
  const peers = await startPeers(config, { data: path.join(data, "peers") });
  const msoap = peers.addresses.msoap!.port;
  const smtp = await startSmtpService({ role: "submission", hostname: "shim.bench", listen: [{ host: "127.0.0.1", port: 0 }], store: { kind: "address", host: "127.0.0.1", port: msoap } });
  const smtpPort = smtp.ports[0]!.port;

  const userConf = path.join(data, "sendmail.conf");
  fs.writeFileSync(userConf, `store = 127.0.0.1:${msoap}\naccount = alice\npassword = alice-pw\n`, { mode: 0o600 });
  const msmtprc = path.join(data, "msmtprc");
  fs.writeFileSync(msmtprc, `account default\nhost 127.0.0.1\nport ${smtpPort}\ntls off\nauth plain\nuser alice\npassword alice-pw\nfrom alice@example.org\n`, { mode: 0o600 });
  const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: data, USER: "alice", IM2000_SENDMAIL_CONF: path.join(data, "none"), IM2000_SENDMAIL_USER_CONF: userConf };
  const msg = message();

  const ours = (runtime: string): Variant => ({
    name: `im2000-sendmail (${runtime})`,
    run: () => once(launcher, ["-i", "lucy@example.org"], { ...baseEnv, IM2000_SENDMAIL_RUNTIME: runtime }, msg),
    total: 0,
    n: 0,
  });
  const variants: Variant[] = [
    { name: "msmtp → SMTP shim", run: () => once("msmtp", ["-C", msmtprc, "lucy@example.org"], baseEnv, msg), total: 0, n: 0 },
    ours("bun"),
    ours("deno"),
    ours("node"),
  ];
  // Warm-up: page cache, Deno's module cache, the shim's first connection.
  for (const v of variants) for (let i = 0; i < 3; i++) await v.run();
  for (let done = 0; done < COUNT; done += ROUND) {
    for (const v of variants) {
      const k = Math.min(ROUND, COUNT - done);
      for (let i = 0; i < k; i++) {
        v.total += await v.run();
        v.n++;
      }
    }
  }
  await smtp.close();
  await peers.close();

  const base = variants[0]!.total / variants[0]!.n;
  console.log(`\nstore scrypt ${label} (N=${scrypt.N}): ${COUNT} sequential messages of 4096 octets per variant`);
  for (const v of variants) {
    const per = v.total / v.n;
    console.log(`  ${v.name.padEnd(26)} ${per.toFixed(1).padStart(7)} ms/message   ${(per / base).toFixed(2).padStart(5)} × msmtp`);
  }
  const bun = variants[1]!.total / variants[1]!.n;
  console.log(`  target Bun ≤ 1.5 × msmtp: ${(bun / base).toFixed(2)} → ${bun / base <= 1.5 ? "met" : "MISSED"}`);
}

async function main(): Promise<void> {
  const msmtp = await new Promise<string>((resolve) => {
    const p = spawn("msmtp", ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString()));
    p.on("error", () => resolve(""));
    p.on("close", () => resolve(out.split("\n")[0] ?? ""));
  });
  if (msmtp === "") throw new Error("msmtp is not installed (apt-get install msmtp)");
  console.log(`bench-sendmail: peers and SMTP shim on ${runtimeVersion()}; ${msmtp}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"})`);
  if (ONLY !== "cheap") await measure("production", { N: 16384, r: 8, p: 1 });
  if (ONLY !== "production") await measure("cheap", { N: 1024, r: 8, p: 1 });
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
