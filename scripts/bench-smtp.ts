// SMTP accept-rate benchmark (issue 4): messages per second accepted by our submission shim,
// side by side with nodemailer's smtp-server, both driven by the same load client in the same run.
//
//   servers   smtp-server   nodemailer's smtp-server with PIPELINING, SIZE, 8BITMIME,
//                           ENHANCEDSTATUSCODES, SMTPUTF8 and AUTH PLAIN on loopback, and a sink
//                           that reads the message and discards it;
//             shim+instant  src/smtp (startSmtpService) in front of an MSOAP store that
//                           acknowledges at once (scripts/bench-instant-store.ts): the shim's own
//                           protocol overhead, SMTP in and MSOAP out;
//             shim+durable  the shim in front of the reference store (startPeers on a temp dir):
//                           every 250 waits for the store's fsync.
//   workload  1 KiB and 100 KiB messages, over 1 and 10 connections. Each connection
//             authenticates once (AUTH PLAIN) and then sends N messages pipelined per RFC 2920:
//             MAIL, RCPT and DATA in one write, and each message's content, its final dot and
//             the next MAIL/RCPT/DATA in one write; so one round trip per message.
//   memory    RSS growth of each server process with 1,000 idle authenticated connections.
//
// Each server runs in a child process on the runtime under test (the load client runs in this
// process), so /proc/PID/status gives the server's memory alone. The MSOAP store behind the shim
// runs in a process of its own, as it would in production. Cells are interleaved across servers
// and repeated (--runs); the table shows the median rate and each ratio against smtp-server.
//
// Usage: node --import tsx scripts/bench-smtp.ts [--runs 3] [--seconds 2] [--idle 1000]
//        bun scripts/bench-smtp.ts …      deno run --no-check -A scripts/bench-smtp.ts …
//        --server-runtime node  runs every server child on Node instead of this runtime
//        --smtp-server-runtime node  runs only smtp-server on Node (where it fails elsewhere)
//        --only shim-instant,smtp-server  a subset of servers;  --no-idle  skips the memory test
//        --profile shim-instant,smtp-server,instant-store  CPU profiles (Node, Bun) into ./profiles/
// `npm run bench:smtp` runs it on Node, Bun and Deno in turn.

import net from "node:net";
import os from "node:os";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { SMTPServer } from "smtp-server";
import { hashPassword } from "../src/peers/auth.ts";
import { parseConfig } from "../src/peers/config.ts";
import { startPeers } from "../src/peers/peers.ts";
import { startSmtpService } from "../src/smtp/service.ts";
import { runtimeVersion } from "../src/runtime/process.ts";
import { startInstantStore } from "./bench-instant-store.ts";
import { currentRuntime, fmt, median, MiB, option, procCpuSeconds, procMemory, profileFlags, serveUntilTerminated, sleep, startChild, type Child, type Runtime } from "./bench-procs.ts";

const SCRIPT = new URL(import.meta.url).pathname;
const argv = process.argv.slice(2);
const ACCOUNT = "bench";
const PASSWORD = "bench-secret";
const MAX_SIZE = 25 * MiB;

// ---------------------------------------------------------------------------------------------
// Server children

async function serve(kind: string, args: string[]): Promise<void> {
  if (kind === "smtp-server") {
    const server = new SMTPServer({
      secure: false,
      logger: false,
      name: "smtp-server.bench",
      banner: "smtp-server bench",
      size: MAX_SIZE,
      authMethods: ["PLAIN"],
      allowInsecureAuth: true, // loopback, as the shim allows plain AUTH on loopback (SUB-3)
      hideSTARTTLS: true, // no certificate configured, as for the shim
      hideENHANCEDSTATUSCODES: false,
      hideDSN: true, // the shim never offers DSN (SUB-12)
      disableReverseLookup: true, // the shim does no DNS on connect either
      maxClients: 5000,
      socketTimeout: 3_600_000,
      onAuth(auth, _session, cb) {
        if (auth.username === ACCOUNT && auth.password === PASSWORD) cb(null, { user: auth.username });
        else cb(new Error("Invalid username or password"));
      },
      onData(stream, _session, cb) {
        stream.on("data", () => {});
        stream.on("end", () => cb(null));
      },
    });
    server.on("error", (e) => process.stderr.write(`smtp-server: ${e.message}\n`));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.server.address() as net.AddressInfo).port;
    serveUntilTerminated({ port }, () => new Promise<void>((r) => server.close(() => r())));
    return;
  }
  if (kind === "instant-store") {
    const s = await startInstantStore();
    serveUntilTerminated({ port: s.port }, () => s.close());
    return;
  }
  if (kind === "durable-store") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "im2000-bench-smtp-store-"));
    const cheap = { N: 1024, r: 8, p: 1 };
    const config = parseConfig({
      testMode: true,
      logLevel: "error",
      listen: { msoap: "127.0.0.1:0", msrap: "127.0.0.1:0", rnasp: "127.0.0.1:0", rnaqp: "127.0.0.1:0" },
      store: { accounts: { [ACCOUNT]: { passwordHash: await hashPassword(PASSWORD, cheap) } }, maxSessions: 5000, minLifetime: 60, defaultQuotaBytes: 256 * 1024 ** 3 },
      rna: { accounts: { lucy: { passwordHash: await hashPassword("lucy-secret", cheap) } }, mailboxes: { "lucy@example.org": { readers: ["lucy"] } }, maxPerMailbox: 100_000_000, rnaspMaxSessions: 100 },
    });
    const peers = await startPeers(config, { data: dir });
    serveUntilTerminated({ port: peers.addresses.msoap!.port, dir }, async () => {
      await peers.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return;
  }
  if (kind === "shim") {
    const storePort = Number(option(args, "--store-port"));
    const smtp = await startSmtpService({
      role: "submission",
      hostname: "shim.bench",
      listen: [{ host: "127.0.0.1", port: 0 }],
      store: { kind: "address", host: "127.0.0.1", port: storePort },
      lifetimeSeconds: 3600,
      maxMessageSize: MAX_SIZE,
      maxSessions: 5000,
      maxSessionsPerIp: 5000,
    });
    serveUntilTerminated({ port: smtp.ports[0]!.port }, () => smtp.close());
    return;
  }
  throw new Error(`unknown server kind ${kind}`);
}

// ---------------------------------------------------------------------------------------------
// The load client: raw sockets, replies counted by their final lines.

class SmtpWire {
  readonly #sock: net.Socket;
  #partial = "";
  #replies: { code: number; text: string }[] = [];
  #want = 0;
  #wake: (() => void) | undefined;
  #error: Error | undefined;
  #lines: string[] = [];

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    sock.setNoDelay(true);
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => this.#data(d));
    sock.on("error", (e) => this.#fail(e));
    sock.on("close", () => this.#fail(new Error("connection closed by the server")));
  }

  static connect(port: number): Promise<SmtpWire> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new SmtpWire(s));
      });
      s.once("error", reject);
    });
  }

  #fail(e: Error): void {
    this.#error ??= e;
    this.#wake?.();
  }

  #data(d: string): void {
    let text = this.#partial + d;
    let i: number;
    while ((i = text.indexOf("\r\n")) >= 0) {
      const line = text.slice(0, i);
      text = text.slice(i + 2);
      this.#lines.push(line);
      if (line.length >= 4 && line[3] === "-") continue;
      this.#replies.push({ code: Number(line.slice(0, 3)), text: this.#lines.join(" | ") });
      this.#lines = [];
    }
    this.#partial = text;
    if (this.#replies.length >= this.#want) this.#wake?.();
  }

  write(data: Buffer | string): void {
    this.#sock.write(data);
  }

  /** Waits for n replies and checks their codes. */
  async expect(...codes: number[]): Promise<void> {
    this.#want = codes.length;
    while (this.#replies.length < codes.length) {
      if (this.#error) throw this.#error;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = undefined;
    }
    const got = this.#replies.splice(0, codes.length);
    for (let k = 0; k < codes.length; k++) {
      if (got[k]!.code !== codes[k]) throw new Error(`expected ${codes[k]}, got: ${got[k]!.text}`);
    }
  }

  close(): void {
    this.#sock.removeAllListeners("close");
    this.#sock.destroy();
  }
}

const ENVELOPE = "MAIL FROM:<alice@example.net> SIZE=%s\r\nRCPT TO:<lucy@example.org>\r\nDATA\r\n";

/** An RFC 5322 message of exactly `size` octets, CRLF lines of at most 78 octets, no leading dots. */
function message(size: number): Buffer {
  const head = "From: Alice <alice@example.net>\r\nTo: Lucy <lucy@example.org>\r\nSubject: bench\r\nMessage-ID: <bench@example.net>\r\n\r\n";
  let body = "";
  const line = "The quick brown fox jumps over the lazy dog, and keeps jumping for the bench.\r\n";
  while (head.length + body.length + line.length <= size) body += line;
  const rest = size - head.length - body.length;
  if (rest >= 3) body += "x".repeat(rest - 2) + "\r\n";
  else body += "\r\n".slice(0, rest);
  const m = Buffer.from(head + body, "latin1");
  if (m.length !== size) throw new Error(`message is ${m.length}, wanted ${size}`);
  return m;
}

async function openAuthenticated(port: number): Promise<SmtpWire> {
  const w = await SmtpWire.connect(port);
  await w.expect(220);
  w.write("EHLO client.bench\r\n");
  await w.expect(250);
  w.write(`AUTH PLAIN ${Buffer.from(`\0${ACCOUNT}\0${PASSWORD}`).toString("base64")}\r\n`);
  await w.expect(235);
  return w;
}

/** Sends up to `perConn` messages on each of `conns` connections (stopping at the deadline); messages/s. */
async function measureRate(port: number, size: number, conns: number, perConn: number, seconds: number): Promise<{ rate: number; messages: number }> {
  const msg = message(size);
  const envelope = ENVELOPE.replace("%s", String(size));
  const end = Buffer.from(".\r\n");
  const lastData = Buffer.concat([msg, end]);
  const dataThenNext = Buffer.concat([msg, end, Buffer.from(envelope)]);
  const wires = await Promise.all(Array.from({ length: conns }, () => openAuthenticated(port)));
  let sent = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    wires.map(async (w) => {
      w.write(envelope);
      await w.expect(250, 250, 354);
      for (let i = 0; ; i++) {
        const last = i === perConn - 1 || performance.now() >= deadline;
        if (last) {
          w.write(lastData);
          await w.expect(250);
          sent++;
          break;
        }
        w.write(dataThenNext);
        await w.expect(250, 250, 250, 354);
        sent++;
      }
      w.write("QUIT\r\n");
      await w.expect(221);
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  for (const w of wires) w.close();
  return { rate: sent / elapsed, messages: sent };
}

/** RSS growth of `pids` (summed) for `n` idle authenticated connections; bytes per connection. */
async function idleMemory(port: number, n: number, pid: number): Promise<{ perConn: number; before: number; after: number }> {
  await sleep(1000);
  const before = procMemory(pid).rss;
  const wires: SmtpWire[] = [];
  for (let i = 0; i < n; i += 100) {
    wires.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => openAuthenticated(port)))));
  }
  await sleep(1500);
  const after = procMemory(pid).rss;
  for (const w of wires) w.close();
  return { perConn: (after - before) / n, before, after };
}

// ---------------------------------------------------------------------------------------------
// Orchestration

type ServerName = "smtp-server" | "shim-instant" | "shim-durable";

interface Setup {
  readonly name: ServerName;
  readonly port: number;
  readonly server: Child;
  readonly children: Child[];
}

/** `--profile shim,smtp-server` writes CPU profiles of those children into ./profiles/ when they exit. */
const profiled = option(argv, "--profile")?.split(",") ?? [];
const flagsFor = (kind: string, rt: Runtime) => (profiled.includes(kind) ? profileFlags(rt, path.resolve("profiles")) : []);

async function startSetup(name: ServerName, rt: Runtime, smtpServerRt: Runtime): Promise<Setup> {
  if (name === "smtp-server") {
    const c = await startChild(smtpServerRt, SCRIPT, ["smtp-server"], { runtimeFlags: flagsFor("smtp-server", smtpServerRt) });
    return { name, port: c.info.port as number, server: c, children: [c] };
  }
  const storeKind = name === "shim-instant" ? "instant-store" : "durable-store";
  const store = await startChild(rt, SCRIPT, [storeKind], { runtimeFlags: flagsFor(storeKind, rt) });
  const shim = await startChild(rt, SCRIPT, ["shim", "--store-port", String(store.info.port)], { runtimeFlags: flagsFor(name, rt) });
  return { name, port: shim.info.port as number, server: shim, children: [shim, store] };
}

async function stopSetup(s: Setup): Promise<void> {
  for (const c of s.children) await c.stop();
}

async function main(): Promise<void> {
  const runs = Number(option(argv, "--runs") ?? 3);
  const seconds = Number(option(argv, "--seconds") ?? 2);
  const idleN = Number(option(argv, "--idle") ?? 1000);
  const rt = (option(argv, "--server-runtime") as Runtime | undefined) ?? currentRuntime;
  const smtpServerRt = (option(argv, "--smtp-server-runtime") as Runtime | undefined) ?? rt;
  const only = option(argv, "--only")?.split(",");
  const names = (["smtp-server", "shim-instant", "shim-durable"] as const).filter((n) => only === undefined || only.includes(n));
  const cells = [
    { size: 1024, conns: 1, perConn: 20_000 },
    { size: 1024, conns: 10, perConn: 5_000 },
    { size: 100 * 1024, conns: 1, perConn: 5_000 },
    { size: 100 * 1024, conns: 10, perConn: 1_000 },
  ];
  console.log(`bench-smtp: load client on ${runtimeVersion()}; servers on ${rt}${smtpServerRt !== rt ? ` (smtp-server on ${smtpServerRt})` : ""}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"})`);
  console.log(`${runs} run(s) per cell, each up to ${seconds} s; pipelined (RFC 2920), AUTH PLAIN once per connection`);

  const setups: Setup[] = [];
  try {
    for (const n of names) setups.push(await startSetup(n, rt, smtpServerRt));
    // Warm-up: a short run per server and size, so no server is measured while its JIT is cold.
    for (const s of setups) for (const size of [1024, 100 * 1024]) await measureRate(s.port, size, 2, 1_000_000, 0.5);

    const rates = new Map<string, number[]>();
    /** CPU µs per message of the server process and of the store process behind it (last run). */
    const cpu = new Map<string, { server: number; store: number; client: number }>();
    for (let r = 0; r < runs; r++) {
      for (const cell of cells) {
        // Interleaved, and in a different order each run, so drift does not favour one server.
        const order = r % 2 === 0 ? setups : [...setups].reverse();
        for (const s of order) {
          const cpu0 = s.children.map((c) => procCpuSeconds(c.pid));
          const client0 = process.cpuUsage();
          const m = await measureRate(s.port, cell.size, cell.conns, cell.perConn, seconds);
          const client = process.cpuUsage(client0);
          const used = s.children.map((c, i) => ((procCpuSeconds(c.pid) - cpu0[i]!) * 1e6) / m.messages);
          const key = `${s.name}|${cell.size}|${cell.conns}`;
          cpu.set(key, { server: used[0]!, store: used[1] ?? 0, client: (client.user + client.system) / m.messages });
          rates.set(key, [...(rates.get(key) ?? []), m.rate]);
        }
      }
    }

    console.log("");
    console.log("messages/s accepted (median of runs; min–max in brackets)");
    const header = ["size", "conns", ...names.map((n) => n.padStart(22)), ...(names.includes("smtp-server") ? names.filter((n) => n !== "smtp-server").map((n) => `${n}/smtp-server`.padStart(26)) : [])];
    console.log(header.join("  "));
    const pass: boolean[] = [];
    for (const cell of cells) {
      const cols: string[] = [`${cell.size / 1024} KiB`.padEnd(4), String(cell.conns).padStart(5)];
      const med = new Map<string, number>();
      for (const n of names) {
        const xs = rates.get(`${n}|${cell.size}|${cell.conns}`)!;
        med.set(n, median(xs));
        cols.push(`${fmt(median(xs))} [${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]`.padStart(22));
      }
      if (names.includes("smtp-server")) {
        for (const n of names) {
          if (n === "smtp-server") continue;
          const ratio = med.get(n)! / med.get("smtp-server")!;
          cols.push(`${fmt(ratio, 2)}×`.padStart(26));
          if (n === "shim-instant") pass.push(ratio >= 1.2);
        }
      }
      console.log(cols.join("  "));
    }
    console.log("");
    console.log("CPU µs per message (last run; /proc/PID/stat, 10 ms ticks): server process / store process / load client");
    for (const cell of cells) {
      const cols: string[] = [`${cell.size / 1024} KiB`.padEnd(4), String(cell.conns).padStart(5)];
      for (const n of names) {
        const c = cpu.get(`${n}|${cell.size}|${cell.conns}`)!;
        cols.push(`${fmt(c.server)} / ${n === "smtp-server" ? "-" : fmt(c.store)} / ${fmt(c.client)}`.padStart(22));
      }
      console.log(cols.join("  "));
    }
    if (pass.length > 0) console.log(`target (shim+instant ≥ 1.2× smtp-server in every cell): ${pass.every((x) => x) ? "met" : "NOT met"} on ${rt}`);
  } finally {
    for (const s of setups) await stopSetup(s);
  }

  if (argv.includes("--no-idle") || idleN <= 0) return;
  console.log("");
  console.log(`memory per idle authenticated connection (${idleN} connections; RSS growth of the server process)`);
  for (const n of names.filter((x) => x !== "shim-durable")) {
    const s = await startSetup(n, rt, smtpServerRt);
    try {
      const m = await idleMemory(s.port, idleN, s.server.pid);
      console.log(`${n.padEnd(14)} ${fmt(m.perConn / 1024, 1).padStart(7)} KiB/connection   (RSS ${fmt(m.before / MiB, 1)} → ${fmt(m.after / MiB, 1)} MiB, on ${s.server.runtime})`);
    } finally {
      await stopSetup(s);
    }
  }
}

if (argv[0] === "--serve") {
  await serve(argv[1]!, argv.slice(2));
} else {
  await main();
  process.exit(0);
}
