// POP3 benchmark (issue 5): the same POP3 client, in this process, against our POP3 shim and
// against Dovecot's POP3 server, side by side in one run, on the same messages.
//
//   shim     src/pop3 (startPop3Service) with its notification store on disk (FileNoteStore),
//            reading through the reference RNA (RNAQP) and the reference store (MSRAP) on
//            loopback; the messages were submitted beforehand over MSOAP. The shim and the peers
//            each run in a child process on the runtime under test.
//   dovecot  Debian's dovecot-pop3d, started unprivileged-style on a free loopback port with a
//            private base_dir/state_dir/log under a temp dir, serving the same messages from
//            Maildirs written the way its LDA writes them (new/, ",S=size,W=vsize" names).
//
//   "fetch"  an account with 1,000 messages of 4 KiB: RETR 1..1000 one at a time (each command
//            waits for its answer), then again with all 1,000 RETRs pipelined (RFC 2449).
//   "big"    an account with 10,000 messages of 4 KiB: STAT, LIST and UIDL.
//
// Login is timed apart from the commands (USER sent → +OK to PASS). Both servers do their most
// work at an account's first login: the shim runs RNAQP RetrieveAndClear until empty and saves
// every notification durably before +OK (POP-2), then silences them and asks the store for
// their exact sizes in the background (POP-3, POP-5), so the first STAT/LIST waits for that;
// Dovecot scans the Maildir, moves new/ to cur/ and builds its index. So each account's first
// session (first login, and the commands right after it) is reported on its own line, once,
// and later sessions ("again") as the median of --runs sessions. Sessions end with QUIT and no
// DELE, so every session sees the same maildrop.
//
// Usage: node --import tsx scripts/bench-pop3.ts [--runs 5] [--fetch 1000] [--big 10000] [--size 4096]
//        bun scripts/bench-pop3.ts …      deno run --no-check -A scripts/bench-pop3.ts …
//        --profile shim[,peers]  CPU profiles (Node, Bun) into ./profiles/
// `npm run bench:pop3` runs it on Node, Bun and Deno in turn. Needs `dovecot` (dovecot-pop3d).

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { hashPassword } from "../src/peers/auth.ts";
import { parseConfig } from "../src/peers/config.ts";
import { startPeers } from "../src/peers/peers.ts";
import { MsoapClient } from "../src/im2000/msoap-client.ts";
import { FileNoteStore } from "../src/notes/file-store.ts";
import { startPop3Service } from "../src/pop3/service.ts";
import { runtimeVersion } from "../src/runtime/process.ts";
import { createLogger } from "../src/util/log.ts";
import { currentRuntime, fmt, median, MiB, option, procCpuSeconds, procMemory, profileFlags, serveUntilTerminated, sleep, startChild, type Child, type Runtime } from "./bench-procs.ts";

const SCRIPT = new URL(import.meta.url).pathname;
const argv = process.argv.slice(2);
const FETCH_N = Number(option(argv, "--fetch") ?? 1000);
const BIG_N = Number(option(argv, "--big") ?? 10_000);
const SIZE = Number(option(argv, "--size") ?? 4096);
const USERS = { fetch: "fetch-secret", big: "big-secret" } as const;

/** Message number i of an account: exactly SIZE octets, CRLF lines, no leading dots. */
function message(account: string, i: number): string {
  const head = `From: Alice <alice@example.net>\r\nTo: ${account}@example.org\r\nSubject: bench ${account}\r\nMessage-ID: <${String(i).padStart(6, "0")}.${account}@example.net>\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog, and keeps jumping for the bench.\r\n";
  let body = "";
  while (head.length + body.length + line.length <= SIZE) body += line;
  const rest = SIZE - head.length - body.length;
  body += rest >= 2 ? "y".repeat(rest - 2) + "\r\n" : "\r\n".slice(0, rest);
  return head + body;
}

// ---------------------------------------------------------------------------------------------
// Children: the reference peers (filled over MSOAP before READY) and the POP3 shim.

async function serve(kind: string, args: string[]): Promise<void> {
  if (kind === "peers") {
    const dir = option(args, "--dir")!;
    const cheap = { N: 1024, r: 8, p: 1 };
    const h = (p: string) => hashPassword(p, cheap);
    const config = parseConfig({
      testMode: true,
      logLevel: "warn",
      listen: { msoap: "127.0.0.1:0", msrap: "127.0.0.1:0", rnasp: "127.0.0.1:0", rnaqp: "127.0.0.1:0" },
      store: { accounts: { alice: { passwordHash: await h("alice-secret") } }, maxSessions: 200, minLifetime: 60, defaultQuotaBytes: 64 * 1024 ** 3 },
      rna: {
        accounts: { fetch: { passwordHash: await h(USERS.fetch) }, big: { passwordHash: await h(USERS.big) } },
        mailboxes: { "fetch@example.org": { readers: ["fetch"] }, "big@example.org": { readers: ["big"] } },
        maxPerMailbox: 10_000_000,
        // The notifier opens a session per commit burst; a refused one is retried later and may
        // then arrive as a duplicate after the first copy was fetched (at-least-once, §18 C-5),
        // which would make the maildrops differ from run to run.
        rnaspMaxSessions: 1000,
      },
    });
    const peers = await startPeers(config, { data: dir, log: createLogger((l) => process.stderr.write(`peers: ${l}\n`), "warn") });
    // Submit every message over MSOAP (16 clients, so the store's group commit works), then wait
    // until the RNA holds every notification: READY means both maildrops are full.
    const jobs: { account: string; i: number }[] = [];
    for (let i = 1; i <= FETCH_N; i++) jobs.push({ account: "fetch", i });
    for (let i = 1; i <= BIG_N; i++) jobs.push({ account: "big", i });
    let next = 0;
    const enc = new TextEncoder();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        const c = await MsoapClient.connect({ host: "127.0.0.1", port: peers.addresses.msoap!.port });
        await c.authenticate("alice", "alice-secret");
        while (next < jobs.length) {
          const j = jobs[next++]!;
          await c.submit({ recipients: [{ localpart: j.account, domain: ["example", "org"] }], lifetime: 7 * 86400 }, enc.encode(message(j.account, j.i)));
        }
        await c.close();
      }),
    );
    const deadline = Date.now() + 300_000;
    while (peers.rna.held < jobs.length) {
      if (Date.now() > deadline) throw new Error(`the RNA holds ${peers.rna.held} of ${jobs.length} notifications after 300 s`);
      await sleep(50);
    }
    await peers.notifier.idle();
    serveUntilTerminated({ rnaqp: peers.addresses.rnaqp!.port }, () => peers.close());
    return;
  }
  if (kind === "shim") {
    const notes = await FileNoteStore.open(option(args, "--dir")!);
    const pop = await startPop3Service({
      hostname: "pop.bench",
      listen: [{ host: "127.0.0.1", port: 0 }],
      rna: { kind: "address", host: "127.0.0.1", port: Number(option(args, "--rnaqp")) },
      notes,
    });
    serveUntilTerminated({ port: pop.ports[0]!.port }, async () => {
      await pop.close();
      await notes.close();
    });
    return;
  }
  throw new Error(`unknown server kind ${kind}`);
}

// ---------------------------------------------------------------------------------------------
// Dovecot

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Writes the Maildirs and configuration, starts `dovecot -F`, waits for its greeting. */
async function startDovecot(root: string): Promise<{ port: number; stop(): Promise<void> }> {
  const d = path.join(root, "dovecot");
  for (const sub of ["run", "state"]) fs.mkdirSync(path.join(d, sub), { recursive: true });
  const mail = path.join(d, "mail");
  const counts = { fetch: FETCH_N, big: BIG_N };
  const t0 = 1_700_000_000;
  for (const [account, n] of Object.entries(counts)) {
    const md = path.join(mail, account, "Maildir");
    for (const sub of ["new", "cur", "tmp"]) fs.mkdirSync(path.join(md, sub), { recursive: true });
    for (let i = 1; i <= n; i++) {
      // Maildir files hold LF line ends (Dovecot sends CRLF); S= is the file size, W= the size
      // on the wire, as dovecot-lda names them, so neither server has to read a file for LIST.
      const crlf = message(account, i);
      const lf = crlf.replace(/\r\n/g, "\n");
      fs.writeFileSync(path.join(md, "new", `${t0 + i}.M${i}P1.bench,S=${Buffer.byteLength(lf)},W=${Buffer.byteLength(crlf)}`), lf);
    }
  }
  fs.writeFileSync(path.join(d, "passwd"), Object.entries(USERS).map(([u, p]) => `${u}:{PLAIN}${p}\n`).join(""));
  const port = await freePort();
  fs.writeFileSync(
    path.join(d, "dovecot.conf"),
    `protocols = pop3
listen = 127.0.0.1
base_dir = ${d}/run
state_dir = ${d}/state
log_path = ${d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:${mail}/%u/Maildir
first_valid_uid = 8
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${d}/passwd
}
userdb {
  driver = static
  args = uid=mail gid=mail home=${mail}/%u
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${port}
  }
}
service anvil {
  chroot =
}
`,
  );
  // Dovecot drops to uid "mail" for the mailbox processes.
  for (const p of [root, d, mail]) fs.chmodSync(p, 0o755);
  await run("chown", ["-R", "mail:mail", mail]);
  const p: ChildProcess = spawn("dovecot", ["-F", "-c", path.join(d, "dovecot.conf")], { stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<void>((r) => p.once("exit", () => r()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const w = await Pop3Wire.connect(port);
      await w.line();
      w.close();
      break;
    } catch (e) {
      if (Date.now() > deadline || p.exitCode !== null) throw new Error(`dovecot did not start: ${(e as Error).message}; see ${d}/dovecot.log`);
      await sleep(100);
    }
  }
  return {
    port,
    async stop() {
      p.kill("SIGTERM");
      await exited;
    },
  };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: "inherit" });
    p.once("error", reject);
    p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

// ---------------------------------------------------------------------------------------------
// The POP3 client (the same for both servers): raw socket, replies parsed from one buffer.

const CRLF = Buffer.from("\r\n");
const END = Buffer.from("\r\n.\r\n");

class Pop3Wire {
  readonly #sock: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #error: Error | undefined;

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => {
      this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
      this.#wake?.();
    });
    sock.on("error", (e) => this.#fail(e));
    sock.on("close", () => this.#fail(new Error("connection closed by the server")));
  }

  static connect(port: number): Promise<Pop3Wire> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new Pop3Wire(s));
      });
      s.once("error", reject);
    });
  }

  #fail(e: Error): void {
    this.#error ??= e;
    this.#wake?.();
  }

  /** Waits until find(buffer, from) ≥ 0; returns that index. `from` skips what was searched. */
  async #until(find: (b: Buffer, from: number) => number, back: number): Promise<number> {
    let from = 0;
    for (;;) {
      const i = find(this.#buf, from);
      if (i >= 0) return i;
      from = Math.max(0, this.#buf.length - back);
      if (this.#error) throw this.#error;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = undefined;
    }
  }

  write(s: string): void {
    this.#sock.write(s);
  }

  /** One reply line, without CRLF. */
  async line(): Promise<string> {
    const i = await this.#until((b, from) => b.indexOf(CRLF, from), 1);
    const s = this.#buf.toString("latin1", 0, i);
    this.#buf = this.#buf.subarray(i + 2);
    return s;
  }

  /** "+OK …" or throws with the server's words. */
  async ok(): Promise<string> {
    const s = await this.line();
    if (!s.startsWith("+OK")) throw new Error(`expected +OK, got: ${s}`);
    return s;
  }

  /** A multi-line answer after +OK: the body (still dot-stuffed, without the terminator). */
  async multi(): Promise<Buffer> {
    await this.ok();
    let empty = false;
    const i = await this.#until((b, from) => {
      if (b.length >= 3 && b[0] === 0x2e && b[1] === 0x0d && b[2] === 0x0a) {
        empty = true; // ".\r\n" right after the status line: no body
        return 0;
      }
      return b.indexOf(END, from);
    }, 4);
    if (empty) {
      this.#buf = this.#buf.subarray(3);
      return Buffer.alloc(0);
    }
    const body = this.#buf.subarray(0, i + 2);
    this.#buf = this.#buf.subarray(i + 5);
    return body;
  }

  close(): void {
    this.#sock.removeAllListeners("close");
    this.#sock.destroy();
  }
}

async function login(port: number, user: keyof typeof USERS): Promise<{ wire: Pop3Wire; ms: number }> {
  const wire = await Pop3Wire.connect(port);
  await wire.ok();
  const t0 = performance.now();
  wire.write(`USER ${user}\r\n`);
  await wire.ok();
  wire.write(`PASS ${USERS[user]}\r\n`);
  await wire.ok();
  return { wire, ms: performance.now() - t0 };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

async function quit(w: Pop3Wire): Promise<void> {
  w.write("QUIT\r\n");
  await w.ok();
  w.close();
}

const unstuff = (b: Buffer) => b.toString("latin1").replace(/^\.\./gm, ".");

/** Checks that a RETR answer is exactly one of the messages of `account`. */
function checkMessage(account: string, body: Buffer): void {
  const text = unstuff(body);
  const m = /^Message-ID: <(\d+)\./m.exec(text);
  if (m === null || text !== message(account, Number(m[1]))) throw new Error(`RETR returned something else than the message submitted (${body.length} octets)`);
}

/** The "fetch" session: login, RETR 1..N one at a time, then N pipelined RETRs. */
async function fetchSession(port: number): Promise<Record<string, number>> {
  const { wire, ms } = await login(port, "fetch");
  const seq = await timed(async () => {
    for (let i = 1; i <= FETCH_N; i++) {
      wire.write(`RETR ${i}\r\n`);
      const body = await wire.multi();
      if (i === 1 || i === FETCH_N) checkMessage("fetch", body);
    }
  });
  const piped = await timed(async () => {
    let cmds = "";
    for (let i = 1; i <= FETCH_N; i++) cmds += `RETR ${i}\r\n`;
    wire.write(cmds);
    for (let i = 1; i <= FETCH_N; i++) {
      const body = await wire.multi();
      if (body.length < SIZE) throw new Error(`RETR ${i}: ${body.length} octets`);
    }
  });
  await quit(wire);
  return { login: ms, retr: seq.ms, retrPipelined: piped.ms };
}

/** The "big" session: login, STAT, LIST, UIDL on BIG_N messages. */
async function bigSession(port: number): Promise<Record<string, number>> {
  const { wire, ms } = await login(port, "big");
  const stat = await timed(async () => {
    wire.write("STAT\r\n");
    const s = await wire.ok();
    if (!s.startsWith(`+OK ${BIG_N} ${BIG_N * SIZE}`)) throw new Error(`STAT: ${s}`);
  });
  const list = await timed(async () => {
    wire.write("LIST\r\n");
    const b = await wire.multi();
    if (b.toString("latin1").split("\r\n").length - 1 !== BIG_N) throw new Error("LIST: wrong number of lines");
  });
  const uidl = await timed(async () => {
    wire.write("UIDL\r\n");
    const b = await wire.multi();
    if (b.toString("latin1").split("\r\n").length - 1 !== BIG_N) throw new Error("UIDL: wrong number of lines");
  });
  await quit(wire);
  return { login: ms, stat: stat.ms, list: list.ms, uidl: uidl.ms };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const runs = Number(option(argv, "--runs") ?? 5);
  const rt = (option(argv, "--server-runtime") as Runtime | undefined) ?? currentRuntime;
  const profiled = option(argv, "--profile")?.split(",") ?? [];
  const flags = (kind: string) => (profiled.includes(kind) ? profileFlags(rt, path.resolve("profiles")) : []);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "im2000-bench-pop3-"));
  console.log(`bench-pop3: client on ${runtimeVersion()}; shim and peers on ${rt}; Dovecot ${await dovecotVersion()}; ${os.cpus().length} cores; data in ${root}`);
  console.log(`"fetch": ${FETCH_N} messages, "big": ${BIG_N} messages, ${SIZE} octets each; ${runs} later session(s) per account`);
  const children: Child[] = [];
  let dovecot: Awaited<ReturnType<typeof startDovecot>> | undefined;
  try {
    const t0 = performance.now();
    const sizes = ["--fetch", String(FETCH_N), "--big", String(BIG_N), "--size", String(SIZE)];
    const peers = await startChild(rt, SCRIPT, ["peers", "--dir", path.join(root, "peers"), ...sizes], { timeoutMs: 600_000, runtimeFlags: flags("peers") });
    children.push(peers);
    console.log(`submitted ${FETCH_N + BIG_N} messages over MSOAP and the RNA holds them all: ${fmt((performance.now() - t0) / 1000, 1)} s`);
    const shim = await startChild(rt, SCRIPT, ["shim", "--dir", path.join(root, "shim"), "--rnaqp", String(peers.info.rnaqp)], { runtimeFlags: flags("shim") });
    children.unshift(shim);
    dovecot = await startDovecot(root);
    const servers = { shim: shim.info.port as number, dovecot: dovecot.port };

    type Row = { label: string; key: string; shim: number[]; dovecot: number[] };
    const rows: Row[] = [];
    const add = (label: string, key: string, name: "shim" | "dovecot", ms: number) => {
      let r = rows.find((x) => x.label === label && x.key === key);
      if (r === undefined) rows.push((r = { label, key, shim: [], dovecot: [] }));
      r[name].push(ms);
    };
    const cpu = () => ({ shim: procCpuSeconds(shim.pid), peers: procCpuSeconds(peers.pid) });
    const cpuFirst = cpu();
    // First sessions: each server's first login to each account (measured once).
    for (const name of ["dovecot", "shim"] as const) {
      const big = await bigSession(servers[name]);
      for (const [k, v] of Object.entries(big)) add(`big, first session`, k, name, v);
      const f = await fetchSession(servers[name]);
      for (const [k, v] of Object.entries(f)) add(`fetch, first session`, k, name, v);
    }
    const cpuLater = cpu();
    // Later sessions, interleaved between the two servers.
    for (let r = 0; r < runs; r++) {
      for (const name of r % 2 === 0 ? (["shim", "dovecot"] as const) : (["dovecot", "shim"] as const)) {
        for (const [k, v] of Object.entries(await bigSession(servers[name]))) add(`big, again`, k, name, v);
        for (const [k, v] of Object.entries(await fetchSession(servers[name]))) add(`fetch, again`, k, name, v);
      }
    }
    const what: Record<string, string> = { login: "login (USER+PASS)", stat: "STAT", list: "LIST", uidl: "UIDL", retr: `RETR ×${FETCH_N}, one at a time`, retrPipelined: `RETR ×${FETCH_N}, pipelined` };
    console.log("");
    console.log(`milliseconds (later sessions: median of ${runs}, min–max)`);
    console.log(`${"session".padEnd(22)}${"operation".padEnd(30)}${"shim".padStart(24)}${"dovecot".padStart(24)}${"shim/dovecot".padStart(14)}`);
    let met = true;
    for (const r of rows) {
      const cell = (xs: number[]) => (xs.length === 1 ? fmt(xs[0]!, 1) : `${fmt(median(xs), 1)} [${fmt(Math.min(...xs), 1)}–${fmt(Math.max(...xs), 1)}]`);
      const ratio = median(r.shim) / median(r.dovecot);
      if (!(ratio <= 1.5)) met = false;
      console.log(`${r.label.padEnd(22)}${what[r.key]!.padEnd(30)}${cell(r.shim).padStart(24)}${cell(r.dovecot).padStart(24)}${`${fmt(ratio, 2)}×`.padStart(14)}`);
    }
    const cpuEnd = cpu();
    console.log("");
    console.log(`CPU seconds used (/proc/PID/stat): first sessions — shim ${fmt(cpuLater.shim - cpuFirst.shim, 2)}, peers ${fmt(cpuLater.peers - cpuFirst.peers, 2)}; ` + `later sessions — shim ${fmt(cpuEnd.shim - cpuLater.shim, 2)}, peers ${fmt(cpuEnd.peers - cpuLater.peers, 2)} (${runs} × (big + fetch with ${2 * FETCH_N} RETRs))`);
    const mem = procMemory(shim.pid);
    console.log("");
    console.log(`shim process (${rt}): peak RSS ${fmt(mem.peak / MiB, 1)} MiB, now ${fmt(mem.rss / MiB, 1)} MiB`);
    console.log(`target (shim ≤ 1.5× Dovecot's time on every line): ${met ? "met" : "NOT met"}`);
  } finally {
    await dovecot?.stop();
    for (const c of children) await c.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function dovecotVersion(): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn("dovecot", ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    p.once("error", () => resolve("(not found)"));
    p.once("exit", () => resolve(out.trim().split(" ")[0] ?? "?"));
  });
}

if (argv[0] === "--serve") {
  await serve(argv[1]!, argv.slice(2));
} else {
  await main();
  process.exit(0);
}
