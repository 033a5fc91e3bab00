// Records real mail clients talking to a shim, as replayable sessions for the conformance runner
// (fixtures/sessions/<suite>/<client>.session, format in conformance/replay/session-file.ts).
//
//   node --import tsx scripts/record.ts --suite pop3 --exec "node --import tsx src/cli/shim.ts" [--client mpop …] [--out fixtures/sessions]
//
// The script starts the runner's fake IM2000 peers (with an account and, for pop3, messages), the
// shim under the conformance interface, and a loopback proxy in front of the shim; it runs each
// client against the proxy, writes down every line each side sent, and keeps of the server's
// answers only what every conforming server must agree on (reply codes, POP3 bodies). Credentials
// and addresses become placeholders. Needs the Debian clients of REAL-CLIENTS.md.

import net from "node:net";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { FakePeers } from "../conformance/peers/fake-peers.ts";
import { CasePeers } from "../conformance/peers/case-peers.ts";
import { WireLog } from "../conformance/wire-log.ts";
import { ExecTarget, HOST, SETTINGS, runnerCa } from "../conformance/target.ts";
import { popMessage } from "../conformance/suites/pop3/mod.ts";
import { formatSession, redact, type Bindings, type SessionStep } from "../conformance/replay/session-file.ts";
import type { SuiteName } from "../conformance/case.ts";

interface Ctx {
  readonly port: number;
  readonly dir: string;
  readonly b: Bindings;
  readonly message: string;
}

interface Recipe {
  readonly suite: SuiteName;
  readonly name: string;
  readonly version: string[];
  readonly ref: string;
  readonly requirement: string;
  run(c: Ctx): { cmd: string; args: string[]; input?: string; env?: Record<string, string> };
}

const MSG = (b: Bindings) => `From: Alice <${b.sender}>\r\nTo: Bob <${b.rcpts[0]}>\r\nSubject: recorded session\r\nMessage-ID: <recorded@client.example>\r\nDate: Sat, 01 Jan 2000 00:00:00 +0000\r\n\r\nHello from a real client.\r\n.A line that starts with a dot.\r\n`;
const SUBMIT_REQ = "A real client's authenticated submission goes through, and the store receives exactly one message.";
const READ_REQ = "A real client logs in, lists and retrieves the messages byte for byte, deletes them, and the store sees them un-pinned.";
const py = "/usr/bin/python3";

const recipes: Recipe[] = [
  // --- smtp-submission
  { suite: "smtp-submission", name: "curl", version: ["curl", "--version"], ref: "shims SUB-2, SUB-4, SUB-11; RFC 5321 §3.3", requirement: SUBMIT_REQ, run: (c) => ({ cmd: "curl", args: ["-sS", `smtp://127.0.0.1:${c.port}/client.example`, "--mail-from", c.b.sender, "--mail-rcpt", c.b.rcpts[0]!, "-u", `${c.b.account}:${c.b.password}`, "--login-options", "AUTH=PLAIN", "--crlf", "-T", join(c.dir, "msg.eml")] }) },
  { suite: "smtp-submission", name: "swaks", version: ["swaks", "--version"], ref: "shims SUB-2, SUB-4, SUB-11; RFC 5321 §3.3; RFC 2920", requirement: SUBMIT_REQ, run: (c) => ({ cmd: "swaks", args: ["-s", "127.0.0.1", "-p", String(c.port), "-a", "PLAIN", "-au", c.b.account, "-ap", c.b.password, "-f", c.b.sender, "-t", c.b.rcpts[0]!, "--data", `@${join(c.dir, "msg.eml")}`, "--silent", "2", "--helo", "client.example"] }) },
  { suite: "smtp-submission", name: "msmtp", version: ["msmtp", "--version"], ref: "shims SUB-2, SUB-4, SUB-11; RFC 5321 §3.3", requirement: SUBMIT_REQ, run: (c) => ({ cmd: "msmtp", args: ["--host=127.0.0.1", `--port=${c.port}`, "--tls=off", "--auth=plain", `--user=${c.b.account}`, `--passwordeval=echo '${c.b.password}'`, `--from=${c.b.sender}`, "--domain=client.example", c.b.rcpts[0]!], input: c.message.replace(/\r\n/g, "\n"), env: { HOME: c.dir } }) },
  { suite: "smtp-submission", name: "s-nail", version: ["s-nail", "-V"], ref: "shims SUB-2, SUB-4, SUB-11; RFC 4954 (AUTH LOGIN)", requirement: SUBMIT_REQ, run: (c) => ({ cmd: "s-nail", args: ["-:/", "-Sv15-compat", `-Smta=smtp://${encodeURIComponent(c.b.account)}:${encodeURIComponent(c.b.password)}@127.0.0.1:${c.port}`, "-Ssmtp-auth=login", "-Shostname=client.example", `-Sfrom=${c.b.sender}`, "-Sttycharset=utf-8", "-s", "recorded session", c.b.rcpts[0]!], input: "Hello from s-nail.\n.A line that starts with a dot.\n", env: { HOME: c.dir } }) },
  { suite: "smtp-submission", name: "mailutils", version: ["mail.mailutils", "--version"], ref: "shims SUB-2, SUB-4, SUB-11; RFC 5321 §4.1.4 (EHLO again after AUTH)", requirement: SUBMIT_REQ, run: (c) => ({ cmd: "mail.mailutils", args: ["-s", "recorded session", "-r", c.b.sender, "-E", `set sendmail="smtp://${encodeURIComponent(c.b.account)}:${encodeURIComponent(c.b.password)}@127.0.0.1:${c.port};auth=PLAIN;notls"`, c.b.rcpts[0]!], input: "Hello from mailutils.\n", env: { HOME: c.dir } }) },
  {
    suite: "smtp-submission",
    name: "mutt",
    version: ["mutt", "-v"],
    ref: "shims SUB-2, SUB-4, SUB-11; RFC 4616 (authzid)",
    requirement: SUBMIT_REQ,
    run: (c) => {
      const rc = join(c.dir, "muttrc");
      writeFileSync(rc, [`set smtp_url="smtp://${encodeURIComponent(c.b.account)}@127.0.0.1:${c.port}/"`, `set smtp_pass="${c.b.password}"`, "set smtp_authenticators=plain", "set ssl_starttls=no", "set ssl_force_tls=no", `set from=${c.b.sender}`, "set use_from=yes", "set hostname=client.example", "set record=", "set charset=utf-8"].join("\n"));
      return { cmd: "mutt", args: ["-n", "-F", rc, "-s", "recorded session", c.b.rcpts[0]!], input: "Hello from mutt.\n", env: { HOME: c.dir, TERM: "dumb" } };
    },
  },
  { suite: "smtp-submission", name: "python-smtplib", version: [py, "--version"], ref: "shims SUB-2, SUB-4, SUB-11; RFC 5321 §2.4 (lower-case verbs)", requirement: SUBMIT_REQ, run: (c) => ({ cmd: py, args: ["-c", `import smtplib\ns=smtplib.SMTP('127.0.0.1',${c.port},local_hostname='client.example')\ns.login(${JSON.stringify(c.b.account)},${JSON.stringify(c.b.password)})\ns.sendmail(${JSON.stringify(c.b.sender)},[${JSON.stringify(c.b.rcpts[0])}],open(${JSON.stringify(join(c.dir, "msg.eml"))},'rb').read())\ns.quit()`] }) },
  { suite: "smtp-submission", name: "nodemailer", version: ["node", "-p", "'nodemailer ' + require('./node_modules/nodemailer/package.json').version"], ref: "shims SUB-2, SUB-4, SUB-11; RFC 2920", requirement: SUBMIT_REQ, run: (c) => ({ cmd: "node", args: ["--input-type=module", "-e", `import { createTransport } from "nodemailer"; const t = createTransport({ host: "127.0.0.1", port: ${c.port}, secure: false, ignoreTLS: true, name: "client.example", auth: { user: ${JSON.stringify(c.b.account)}, pass: ${JSON.stringify(c.b.password)} }, authMethod: "PLAIN" }); await t.sendMail({ envelope: { from: ${JSON.stringify(c.b.sender)}, to: [${JSON.stringify(c.b.rcpts[0])}] }, raw: ${JSON.stringify(c.message)} }); t.close();`] }) },
  // --- smtp-list-relay: MTAs and scripts posting without AUTH
  { suite: "smtp-list-relay", name: "swaks", version: ["swaks", "--version"], ref: "shims LST-2, LST-3; RFC 5321 §3.3", requirement: "A real client posts to a list without AUTH; the store receives exactly one message for the list.", run: (c) => ({ cmd: "swaks", args: ["-s", "127.0.0.1", "-p", String(c.port), "-f", c.b.sender, "-t", c.b.lists[0]!, "--data", `@${join(c.dir, "msg.eml")}`, "--silent", "2", "--helo", "mta.example"] }) },
  { suite: "smtp-list-relay", name: "python-smtplib", version: [py, "--version"], ref: "shims LST-2, LST-3, LST-4; RFC 5321 §3.3", requirement: "A real client posts to two lists without AUTH; the store receives exactly one message.", run: (c) => ({ cmd: py, args: ["-c", `import smtplib\ns=smtplib.SMTP('127.0.0.1',${c.port},local_hostname='mta.example')\ns.sendmail(${JSON.stringify(c.b.sender)},[${JSON.stringify(c.b.lists[0])},${JSON.stringify(c.b.lists[1])}],open(${JSON.stringify(join(c.dir, "msg.eml"))},'rb').read())\ns.quit()`] }) },
  { suite: "smtp-list-relay", name: "curl", version: ["curl", "--version"], ref: "shims LST-2, LST-3; RFC 5321 §3.3", requirement: "A real client posts to a list without AUTH; the store receives exactly one message for the list.", run: (c) => ({ cmd: "curl", args: ["-sS", `smtp://127.0.0.1:${c.port}/mta.example`, "--mail-from", c.b.sender, "--mail-rcpt", c.b.lists[0]!, "--crlf", "-T", join(c.dir, "msg.eml")] }) },
  // --- pop3
  {
    suite: "pop3",
    name: "fetchmail",
    version: ["fetchmail", "--version"],
    ref: "shims POP-1, POP-7, POP-9; RFC 1939",
    requirement: READ_REQ,
    run: (c) => {
      const rc = join(c.dir, "fetchmailrc");
      writeFileSync(rc, `poll 127.0.0.1 proto pop3 port ${c.port} auth password user "${c.b.account}" there with password "${c.b.password}" is "root" here no keep fetchall sslproto '' mda "cat >> ${join(c.dir, "out.mbox")}"\n`);
      chmodSync(rc, 0o600);
      return { cmd: "fetchmail", args: ["-f", rc, "--nosyslog", "127.0.0.1"], env: { FETCHMAILHOME: c.dir, HOME: c.dir } };
    },
  },
  {
    suite: "pop3",
    name: "mpop",
    version: ["mpop", "--version"],
    ref: "shims POP-1, POP-6, POP-7, POP-9; RFC 2449 §6.6 (pipelining)",
    requirement: READ_REQ,
    run: (c) => {
      const md = join(c.dir, "md");
      for (const d of ["new", "cur", "tmp"]) mkdirSync(join(md, d), { recursive: true });
      return { cmd: "mpop", args: ["--host=127.0.0.1", `--port=${c.port}`, "--tls=off", "--auth=user", `--user=${c.b.account}`, `--passwordeval=echo '${c.b.password}'`, "--keep=off", "--only-new=off", `--delivery=maildir,${md}`, `--uidls-file=${join(md, "uidls")}`, "--received-header=off"], env: { HOME: c.dir } };
    },
  },
  {
    suite: "pop3",
    name: "getmail6",
    version: ["getmail", "--version"],
    ref: "shims POP-1, POP-6, POP-7, POP-9; RFC 1939",
    requirement: READ_REQ,
    run: (c) => {
      const md = join(c.dir, "Maildir");
      for (const d of ["new", "cur", "tmp"]) mkdirSync(join(md, d), { recursive: true });
      for (const d of [c.dir, md, join(md, "new"), join(md, "cur"), join(md, "tmp")]) chmodSync(d, 0o777);
      writeFileSync(join(c.dir, "getmailrc"), `[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\nport = ${c.port}\nusername = ${c.b.account}\npassword = ${c.b.password}\n\n[destination]\ntype = Maildir\npath = ${md}/\nuser = nobody\n\n[options]\ndelete = true\nread_all = true\nreceived = false\ndelivered_to = false\nmessage_log_syslog = false\nverbose = 0\n`);
      return { cmd: "getmail", args: ["--getmaildir", c.dir, "-r", "getmailrc"] };
    },
  },
  { suite: "pop3", name: "curl", version: ["curl", "--version"], ref: "shims POP-1, POP-7; RFC 2449 (CAPA); RFC 5034 (AUTH PLAIN)", requirement: "curl logs in (AUTH PLAIN when CAPA offers SASL) and retrieves message 1 byte for byte.", run: (c) => ({ cmd: "curl", args: ["-sS", "-u", `${c.b.account}:${c.b.password}`, `pop3://127.0.0.1:${c.port}/1`, "-o", join(c.dir, "m1")] }) },
  { suite: "pop3", name: "python-poplib", version: [py, "--version"], ref: "shims POP-1, POP-5, POP-6, POP-7, POP-9; RFC 1939", requirement: READ_REQ, run: (c) => ({ cmd: py, args: ["-c", `import poplib\np=poplib.POP3('127.0.0.1',${c.port})\np.user(${JSON.stringify(c.b.account)})\np.pass_(${JSON.stringify(c.b.password)})\nn=p.stat()[0]\np.uidl()\np.list()\nfor i in range(1,n+1):\n  p.retr(i)\n  p.dele(i)\np.quit()`] }) },
  { suite: "pop3", name: "node-pop3", version: ["node", "-p", "'node-pop3 ' + require('./node_modules/node-pop3/package.json').version"], ref: "shims POP-1, POP-6, POP-7, POP-9; RFC 1939", requirement: READ_REQ, run: (c) => ({ cmd: "node", args: ["--input-type=module", "-e", `import Pop3Command from "node-pop3"; const p = new Pop3Command({ host: "127.0.0.1", port: ${c.port}, user: ${JSON.stringify(c.b.account)}, password: ${JSON.stringify(c.b.password)} }); const [n] = (await p.STAT()).split(" "); await p.UIDL(); for (let i = 1; i <= Number(n); i++) { await p.RETR(i); await p.command("DELE", String(i)); } await p.QUIT();`] }) },
  { suite: "pop3", name: "s-nail", version: ["s-nail", "-V"], ref: "shims POP-1, POP-8, POP-15; RFC 1939 §7 (TOP)", requirement: "s-nail reads the headers of every message with TOP n 0 and prints message 1.", run: (c) => ({ cmd: "s-nail", args: ["-#", "-:/", "-Sv15-compat", "-Spop3-auth=plain", "-Spop3-no-apop", "-f", `pop3://${encodeURIComponent(c.b.account)}:${encodeURIComponent(c.b.password)}@127.0.0.1:${c.port}`], input: "headers\nprint 1\nxit\n", env: { HOME: c.dir } }) },
];

// ------------------------------------------------------------------------------------------------

const MULTI = /^(RETR|TOP|CAPA)\b|^(LIST|UIDL)\s*$|^AUTH\s*$/i;

/** Client and server octets in arrival order → session steps. */
export function transcribe(suite: SuiteName, events: readonly { from: "c" | "s"; data: Buffer }[], b: Bindings): SessionStep[] {
  const steps: SessionStep[] = [];
  let cbuf = "";
  let sbuf = "";
  let group: string[] = [];
  const commands: string[] = [];
  let saslNext = false;
  let inData = false;
  let body: { lines: number; retr?: number } | undefined;
  const flush = () => {
    if (group.length > 0) steps.push({ kind: "send", lines: group, at: 0 });
    group = [];
  };
  for (const e of events) {
    if (e.from === "c") {
      cbuf += e.data.toString("latin1");
      let i: number;
      while ((i = cbuf.indexOf("\n")) >= 0) {
        const line = cbuf.slice(0, i).replace(/\r$/, "");
        cbuf = cbuf.slice(i + 1);
        group.push(redact(line, b));
        if (suite === "pop3") {
          if (saslNext) saslNext = false;
          else commands.push(line);
        } else if (inData && line === ".") inData = false;
      }
      continue;
    }
    sbuf += e.data.toString("latin1");
    let i: number;
    while ((i = sbuf.indexOf("\n")) >= 0) {
      const line = sbuf.slice(0, i).replace(/\r$/, "");
      sbuf = sbuf.slice(i + 1);
      if (body !== undefined) {
        if (line === ".") body = undefined;
        continue;
      }
      flush();
      if (suite === "pop3") {
        const kind = line.startsWith("+OK") ? "+OK" : line.startsWith("-ERR") ? "-ERR" : "+";
        const greeting = steps.filter((s) => s.kind === "expect").length === 0;
        const cmd = greeting ? "" : (commands.shift() ?? "");
        if (kind === "+") saslNext = true;
        const multi = kind === "+OK" && MULTI.test(cmd.trim());
        const retr = /^RETR\s+(\d+)\s*$/i.exec(cmd.trim());
        if (multi) body = { lines: 0, retr: retr === null ? undefined : Number(retr[1]) };
        steps.push({ kind: "expect", codes: [kind], body: multi ? (retr !== null ? { message: Number(retr[1]) } : "multi") : undefined, at: 0 });
      } else {
        const m = /^(\d{3})([ -]?)/.exec(line);
        if (m === null || m[2] === "-") continue;
        if (m[1] === "354") inData = true;
        steps.push({ kind: "expect", codes: [m[1]!], at: 0 });
      }
    }
  }
  flush();
  return steps;
}

async function runClient(cmd: string, args: string[], opts: { input?: string; env?: Record<string, string> }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...opts.env }, stdio: ["pipe", "pipe", "pipe"], cwd: process.cwd() });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    p.stdin.on("error", () => {});
    p.stdin.end(opts.input ?? "");
  });
}

async function version(v: string[]): Promise<string> {
  const r = await runClient(v[0]!, v.slice(1), {});
  return (r.out.split("\n").find((l) => l.trim() !== "") ?? v[0]!).trim().slice(0, 120);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const suite = get("--suite") as SuiteName | undefined;
  const exec = get("--exec");
  const outDir = get("--out") ?? "fixtures/sessions";
  const only = argv.flatMap((a, i) => (a === "--client" ? [argv[i + 1]!] : []));
  if (suite === undefined || exec === undefined) {
    process.stderr.write('usage: record.ts --suite SUITE --exec "SHIM COMMAND" [--client NAME …] [--out DIR]\n');
    process.exit(2);
  }
  const chosen = recipes.filter((r) => r.suite === suite && (only.length === 0 || only.includes(r.name)));
  const fake = new FakePeers(HOST, { faultHoldMs: 5000, gatewayAccount: SETTINGS.gatewayAccount, gatewayPassword: SETTINGS.gatewayPassword });
  await fake.start();
  const target = await ExecTarget.start(exec, suite, { msoap: fake.store.msoapPort, msrap: fake.store.msrapPort, rnaqp: fake.rna.port }, await runnerCa(), process.env, 20_000);
  let failed = 0;
  try {
    for (const [n, r] of chosen.entries()) {
      const dir = mkdtempSync(join(tmpdir(), `record-${r.name}-`));
      const peers = new CasePeers(`record/${r.name}`, new WireLog());
      fake.router.setExclusive(peers);
      const token = `rec${n}`;
      const account = `reader.${token}`;
      const password = `secret-${token}`;
      peers.store.accounts.set(account, password);
      peers.rna.accounts.set(account, password);
      const b: Bindings = { account: suite === "smtp-list-relay" ? "" : account, password: suite === "smtp-list-relay" ? "" : password, sender: `alice@${token}.example`, rcpts: [`bob@${token}.example`], lists: [`announce-${token}@${SETTINGS.listDomains[0]}`, `devel-${token}@${SETTINGS.listDomains[0]}`] };
      const messages = suite === "pop3" ? 2 : 0;
      for (let i = 1; i <= messages; i++) {
        const m = fake.message(peers, { recipient: { localpart: "reader", domain: [`${token}`, "example"] }, content: Buffer.from(popMessage({ token }, i), "latin1") });
        peers.rna.deliver(account, m.notification);
      }
      const message = MSG(b);
      writeFileSync(join(dir, "msg.eml"), message);
      const events: { from: "c" | "s"; data: Buffer }[] = [];
      const closed: Promise<void>[] = [];
      const proxy = net.createServer((client) => {
        const upstream = net.connect(target.config.port, HOST);
        closed.push(new Promise((res) => client.on("close", () => res())));
        client.on("data", (d) => {
          events.push({ from: "c", data: d });
          upstream.write(d);
        });
        upstream.on("data", (d) => {
          events.push({ from: "s", data: d });
          client.write(d);
        });
        client.on("end", () => upstream.end());
        upstream.on("end", () => client.end());
        client.on("error", () => upstream.destroy());
        upstream.on("error", () => client.destroy());
      });
      await new Promise<void>((res) => proxy.listen(0, HOST, () => res()));
      const port = (proxy.address() as net.AddressInfo).port;
      const spec = r.run({ port, dir, b, message });
      const result = await runClient(spec.cmd, spec.args, spec);
      await Promise.race([Promise.all(closed), new Promise((res) => setTimeout(res, 3000))]);
      await new Promise<void>((res) => setTimeout(res, 200));
      proxy.close();
      if (result.code !== 0) {
        failed++;
        process.stderr.write(`${r.name}: the client failed (exit ${result.code}):\n${result.out}\n`);
        continue;
      }
      const expect: Record<string, number> = suite === "pop3" ? { unpinned: [...peers.store.messages.values()].filter((m) => m.unpinned > 0).length } : { committed: peers.store.committed().length };
      const steps = transcribe(suite, events, b);
      const text = formatSession({ header: { id: `${suite}/replay/${r.name}`, client: await version(r.version), level: "MUST", ref: r.ref, requirement: r.requirement, messages, expect }, steps }, ["recorded by scripts/record.ts against the reference shim; server text is not kept, only what every conforming server must agree on"]);
      if (text.includes(password)) throw new Error(`${r.name}: the password survived redaction`);
      mkdirSync(join(outDir, suite), { recursive: true });
      writeFileSync(join(outDir, suite, `${r.name}.session`), text);
      process.stdout.write(`${r.name}: ${steps.length} steps, ${JSON.stringify(expect)} → ${join(outDir, suite, `${r.name}.session`)}\n`);
      rmSync(dir, { recursive: true, force: true });
      void readFileSync;
    }
  } finally {
    await target.stop();
    await fake.stop();
  }
  process.exit(failed > 0 ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
