// `im2000`: the reference peers (`serve`) and a native IM2000 command-line MUA (send, track,
// cancel, notifications, fetch, silence, unpin, scan). Thin: arguments → config → library calls.
// Works the same under node (via tsx), bun and deno. See docs/serve.md.

import { args, env, exit, onTerminate, readStdin, runtimeVersion, setExitCode, writeStderr, writeStdout } from "../runtime/process.ts";
import { chmod, mkdirp, path, readFile, readFileIfExists, readText, writeFileAtomic } from "../runtime/fs.ts";
import { randomBytes } from "../runtime/crypto.ts";
import { createLogger } from "../util/log.ts";
import { MsoapClient } from "../im2000/msoap-client.ts";
import { MsrapClient } from "../im2000/msrap-client.ts";
import { RnaqpClient } from "../im2000/rnaqp-client.ts";
import { RetrievalType, type RetrievalTypeValue } from "../im2000/msrap.ts";
import { NotificationStatus, ReadStatus } from "../im2000/msoap.ts";
import { ipToString, parseHostPort } from "../im2000/locate.ts";
import { Im2000StatusError, Im2000TransportError, Im2000ProtocolError } from "../im2000/errors.ts";
import type { MailBox, ServiceLocation } from "../im2000/types.ts";
import { hashPassword } from "../peers/auth.ts";
import { ConfigError, parseConfig } from "../peers/config.ts";
import { startPeers } from "../peers/peers.ts";
import { SHIM_DEFAULTS, startShims, type ShimsConfig, type ShimsHandle } from "./serve-shims.ts";
import { concatBytes, fromHex, toHex } from "../util/bytes.ts";
import { describeLocation } from "../reader/placeholder.ts";
import { splitArgs, UsageError } from "../util/argv.ts";
import { parseMailbox } from "../smtp/address.ts";
import { toMailBox } from "../smtp/msoap-submit.ts";

const HELP = `im2000 — reference IM2000 peers and a command-line MUA

Usage:
  im2000 serve [--data DIR] [--config FILE] [--tls-cert PEM --tls-key PEM] [--test-mode] [--no-shims]
      Starts the message store (MSOAP 8192, MSRAP 8193) and the RNA (RNASP 3181, RNAQP 3182)
      on 127.0.0.1; with a certificate also the TLS endpoints (ports + 1000). When config.json
      has a "shims" section, also the SMTP submission shim (1587; 1465 implicit TLS), the list
      relay (2525) and the POP3 shim (1110; 1995 implicit TLS). On first run creates DIR
      (default ./im2000-data) with config.json, the shims and demo accounts, and prints them.
  im2000 send [--store H:P] --user U [--to MAILBOX]... [--list NAME]... [--lifetime SECONDS] [FILE]
      Submits FILE (or standard input) over MSOAP; prints the originator identifier.
  im2000 track  [--store H:P] --user U ID     Per-recipient notification/read/pinned status.
  im2000 cancel [--store H:P] --user U ID     Withdraws a message.
  im2000 notifications [--rna H:P] --user U   Collects notifications over RNAQP and prints them.
  im2000 fetch  [--msrap H:P] [--type all|headers|summary|nothing] ID   Message to standard output.
  im2000 silence [--msrap H:P] ID              Stop notifications for this message.
  im2000 unpin   [--msrap H:P] ID              Let the store delete the message.
  im2000 scan    [--msrap H:P] [--since EPOCH] LIST   List message identifiers by time.
  im2000 hash-password                         Reads a password on standard input, prints its scrypt hash.

Passwords: --password-env VAR names an environment variable holding it (default IM2000_PASSWORD);
--password PW also works but shows up in process listings.
Defaults: --store 127.0.0.1:8192, --msrap 127.0.0.1:8193, --rna 127.0.0.1:3182.
`;

interface Parsed {
  readonly cmd: string;
  readonly opts: Map<string, string[]>;
  readonly rest: string[];
}

const FLAGS = new Set(["--help", "-h", "--test-mode", "--no-shims", "--version"]);

function parse(argv: string[]): Parsed {
  const { options, operands } = splitArgs(argv, FLAGS);
  const opts = new Map<string, string[]>();
  for (const [name, value] of options) opts.set(name, [...(opts.get(name) ?? []), value]);
  const [cmd = "", ...rest] = operands;
  return { cmd, opts, rest };
}

function one(p: Parsed, name: string, def?: string): string | undefined {
  const v = p.opts.get(name);
  return v ? v[v.length - 1] : def;
}

function need(p: Parsed, name: string): string {
  const v = one(p, name);
  if (v === undefined) throw new UsageError(`${name} is required`);
  return v;
}

function password(p: Parsed): string {
  const direct = one(p, "--password");
  if (direct !== undefined) return direct;
  const name = one(p, "--password-env", "IM2000_PASSWORD")!;
  const v = env(name);
  if (v === undefined) throw new UsageError(`no password: set ${name} or use --password-env VAR`);
  return v;
}

function target(p: Parsed, name: string, def: string) {
  const { host, port } = parseHostPort(one(p, name, def)!);
  return { host, port, connectTimeoutMs: 10_000, responseTimeoutMs: 60_000 };
}

function idArg(p: Parsed): Uint8Array {
  const s = p.rest[0];
  if (!s || !/^[0-9a-fA-F]{32}$/.test(s)) throw new UsageError("an identifier (32 hex digits) is required");
  return fromHex(s.toLowerCase());
}

/** A --to mailbox, parsed and mapped as the SMTP shim maps RCPT TO (SUB-6, SUB-7: A-labels). */
function mailbox(s: string): MailBox {
  const m = parseMailbox(s);
  if (m === undefined || m.literal) throw new UsageError(`not a mailbox with a domain name: ${s}`);
  return toMailBox(m);
}

async function input(file: string | undefined): Promise<Uint8Array> {
  if (file !== undefined && file !== "-") return readFile(file);
  const parts: Uint8Array[] = [];
  for await (const c of readStdin()) parts.push(c);
  return concatBytes(parts);
}


const TYPES: Record<string, RetrievalTypeValue> = { all: RetrievalType.all, headers: RetrievalType.headersonly, summary: RetrievalType.summaryonly, nothing: RetrievalType.nothing };
const nstatusName = Object.fromEntries(Object.entries(NotificationStatus).map(([k, v]) => [v, k]));
const readName = Object.fromEntries(Object.entries(ReadStatus).map(([k, v]) => [v, k]));

async function firstRun(dataDir: string): Promise<string> {
  const configFile = path.join(dataDir, "config.json");
  if ((await readFileIfExists(configFile)) !== undefined) return configFile;
  await mkdirp(dataDir);
  const pw = () => toHex(randomBytes(9));
  const creds = { alice: pw(), bob: pw(), lucy: pw(), relay: pw() };
  const config = {
    testMode: false,
    store: {
      accounts: {
        alice: { passwordHash: await hashPassword(creds.alice), displayLabel: "Alice" },
        bob: { passwordHash: await hashPassword(creds.bob), displayLabel: "Bob" },
        relay: { passwordHash: await hashPassword(creds.relay), displayLabel: "List relay" },
      },
      lists: { announce: { submit: "authenticated", scan: "anyone" } },
    },
    rna: {
      accounts: { lucy: { passwordHash: await hashPassword(creds.lucy) } },
      mailboxes: { "lucy@example.org": { readers: ["lucy"] } },
    },
    routes: {},
    // The shims started next to the peers (src/cli/serve-shims.ts; docs/serve.md).
    shims: {
      hostname: "localhost",
      submission: { listen: SHIM_DEFAULTS.submission },
      relay: { listen: SHIM_DEFAULTS.relay, listDomains: ["lists.example.org"], gatewayAccount: "relay", gatewayPasswordFile: "relay-secret" },
      pop3: { listen: SHIM_DEFAULTS.pop3, stateDir: "pop3-state" },
    },
  };
  await writeFileAtomic(configFile, JSON.stringify(config, null, 2) + "\n");
  await writeFileAtomic(path.join(dataDir, "relay-secret"), creds.relay + "\n");
  const text = `# Demo credentials created by \`im2000 serve\` (keep this file private).\nstore (MSOAP) account alice password ${creds.alice}\nstore (MSOAP) account bob   password ${creds.bob}\nRNA (RNAQP) account lucy  password ${creds.lucy}  (reads lucy@example.org)\n`;
  await writeFileAtomic(path.join(dataDir, "demo-credentials.txt"), text);
  await chmod(path.join(dataDir, "demo-credentials.txt"), 0o600);
  await writeStdout(`First run: created ${configFile} and demo accounts:\n${text.split("\n").slice(1).join("\n")}\nTry the IM2000 MUA:\n  export IM2000_PASSWORD=${creds.alice}\n  printf 'Subject: hi\\r\\n\\r\\nhello\\r\\n' | im2000 send --user alice --to lucy@example.org\n  IM2000_PASSWORD=${creds.lucy} im2000 notifications --user lucy\n  im2000 fetch <identifier from the notification>\nOr old mail clients through the shims:\n  swaks -s 127.0.0.1 -p 1587 -a PLAIN -au alice -ap ${creds.alice} -f alice@example.net -t lucy@example.org\n  curl -u lucy:${creds.lucy} pop3://127.0.0.1:1110/1\n\n`);
  return configFile;
}

async function serve(p: Parsed): Promise<void> {
  const dataDir = one(p, "--data", "im2000-data")!;
  const configFile = one(p, "--config") ?? (await firstRun(dataDir));
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readText(configFile)) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`${configFile}: ${(e as Error).message}`);
  }
  const cert = one(p, "--tls-cert");
  const key = one(p, "--tls-key");
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  if (cert && key) json.tls = { cert, key };
  if (p.opts.has("--test-mode")) json.testMode = true;
  const config = parseConfig(json);
  const l = config.listen;
  // TLS endpoints default to the plain ports + 1000 (§3 [R]).
  const plus = (hp: string) => {
    const m = /^(.*):(\d+)$/.exec(hp)!;
    return `${m[1]}:${Number(m[2]) === 0 ? 0 : Number(m[2]) + 1000}`;
  };
  const listen = config.tls ? { ...l, msoaps: l.msoaps ?? plus(l.msoap), msraps: l.msraps ?? plus(l.msrap), rnasps: l.rnasps ?? plus(l.rnasp), rnaqps: l.rnaqps ?? plus(l.rnaqp) } : l;
  const log = createLogger((line) => writeStderr(line + "\n"), config.logLevel);
  const peers = await startPeers({ ...config, listen }, { data: dataDir, log });
  const a = peers.addresses;
  const list = Object.entries(a)
    .map(([k, v]) => `${k}=${v!.host}:${v!.port}`)
    .join(" ");
  await writeStdout(`im2000 peers ready (${runtimeVersion()}, data ${dataDir}): ${list}\n`);
  let shims: ShimsHandle | undefined;
  if (json.shims !== undefined && !p.opts.has("--no-shims")) {
    try {
      shims = await startShims(json.shims as ShimsConfig, { msoap: a.msoap!, rnaqp: a.rnaqp! }, { dataDir, configDir: path.dirname(path.resolve(configFile)), tls: config.tls ? { cert: await readText(config.tls.cert), key: await readText(config.tls.key) } : undefined, testMode: config.testMode, log });
    } catch (e) {
      await peers.close();
      throw e;
    }
    await writeStdout(`im2000 shims ready: ${shims.ports.map((s) => `${s.name}=${s.host}:${s.port}`).join(" ")}\n`);
  }
  let stopping = false;
  onTerminate((sig) => {
    if (stopping) return;
    stopping = true;
    log.log("info", "serve.stopping", { signal: sig });
    (shims?.close() ?? Promise.resolve()).then(() => peers.close()).then(
      () => {
        log.log("info", "serve.stopped");
        exit(0);
      },
      (e: Error) => {
        log.log("error", "serve.stop-failed", { error: e.message });
        exit(1);
      },
    );
  });
}

async function withMsoap<T>(p: Parsed, fn: (c: MsoapClient) => Promise<T>): Promise<T> {
  const c = await MsoapClient.connect(target(p, "--store", "127.0.0.1:8192"));
  try {
    await c.authenticate(need(p, "--user"), password(p));
    return await fn(c);
  } finally {
    await c.close().catch(() => {});
  }
}

async function withMsrap<T>(p: Parsed, fn: (c: MsrapClient) => Promise<T>): Promise<T> {
  const c = await MsrapClient.connect(target(p, "--msrap", "127.0.0.1:8193"));
  try {
    return await fn(c);
  } finally {
    await c.close().catch(() => {});
  }
}

async function main(): Promise<void> {
  const p = parse(args());
  if (p.cmd === "" || p.cmd === "help" || p.opts.has("--help") || p.opts.has("-h")) {
    await writeStdout(HELP);
    return;
  }
  switch (p.cmd) {
    case "serve":
      return serve(p);
    case "send": {
      const to = (p.opts.get("--to") ?? []).map(mailbox);
      const lists = (p.opts.get("--list") ?? []).map((l) => new TextEncoder().encode(l));
      if (to.length === 0 && lists.length === 0) throw new UsageError("give at least one --to or --list");
      const lifetime = Number(one(p, "--lifetime", String(7 * 86400)));
      const message = await input(p.rest[0]);
      const id = await withMsoap(p, async (c) => {
        const out = await c.beginSubmission({ ...(to.length ? { recipients: to } : {}), ...(lists.length ? { lists } : {}), lifetime });
        if (!out.submission) throw new Im2000StatusError("MSOAP", out.status, out.statusName, out.forceabort);
        out.recipients.forEach((s, i) => s !== 0 && writeStderr(`denied: ${to[i]!.localpart}@${to[i]!.domain.join(".")}\n`));
        out.lists.forEach((s, i) => s !== 0 && writeStderr(`denied: list ${p.opts.get("--list")![i]}\n`));
        await out.submission.write(message);
        return out.submission.finish();
      });
      await writeStdout(toHex(id) + "\n");
      return;
    }
    case "track": {
      const rs = await withMsoap(p, (c) => c.track(idArg(p)));
      for (const r of rs) await writeStdout(`${r.recipient.localpart}@${r.recipient.domain.join(".")} notification=${nstatusName[r.status.notificationstatus] ?? r.status.notificationstatus} read=${readName[r.status.read] ?? r.status.read} pinned=${r.status.pinned}\n`);
      return;
    }
    case "cancel":
      await withMsoap(p, (c) => c.cancel(idArg(p)));
      await writeStdout("cancelled\n");
      return;
    case "notifications": {
      const c = await RnaqpClient.connect(target(p, "--rna", "127.0.0.1:3182"));
      try {
        await c.authenticate(need(p, "--user"), password(p));
        // C-5: stores re-notify until silenced, so one poll may hold the same identifier twice.
        const seen = new Set<string>();
        const n = await c.pollAll(async (batch) => {
          for (const x of batch) {
            const y = x.notification;
            if (seen.has(toHex(y.identifier))) continue;
            seen.add(toHex(y.identifier));
            await writeStdout(`${toHex(y.identifier)} to=${y.recipient.localpart}@${y.recipient.domain.join(".")} sender=${JSON.stringify(y.sender)} size=${y.size ?? "?"} store=${describeLocation(y.storeclear)}${y.storessl ? ` storessl=${describeLocation(y.storessl)}` : ""} date=${new Date(x.date * 1000).toISOString()} from=${ipToString(x.submitter.address)}\n`);
          }
        });
        if (n === 0) writeStderr("no notifications\n");
      } finally {
        await c.close().catch(() => {});
      }
      return;
    }
    case "fetch": {
      const type = TYPES[one(p, "--type", "all")!];
      if (type === undefined) throw new UsageError("--type is one of all, headers, summary, nothing");
      await withMsrap(p, async (c) => {
        for await (const page of c.pages(idArg(p), type)) await writeStdout(page);
      });
      return;
    }
    case "silence":
      await withMsrap(p, (c) => c.silence(idArg(p)));
      await writeStdout("silenced\n");
      return;
    case "unpin":
      await withMsrap(p, (c) => c.unpin(idArg(p)));
      await writeStdout("unpinned\n");
      return;
    case "scan": {
      const list = p.rest[0];
      if (!list) throw new UsageError("a list name is required");
      const r = await withMsrap(p, (c) => c.scanList(list, Number(one(p, "--since", "0"))));
      for (const m of r.messages) await writeStdout(toHex(m) + "\n");
      await writeStdout(`endtime ${r.endtime}\n`);
      return;
    }
    case "hash-password": {
      const pw = new TextDecoder().decode(await input(undefined)).replace(/\r?\n$/, "");
      await writeStdout((await hashPassword(pw)) + "\n");
      return;
    }
    default:
      throw new UsageError(`unknown command ${p.cmd}`);
  }
}

main().catch(async (e: unknown) => {
  if (e instanceof UsageError || e instanceof ConfigError) {
    writeStderr(`im2000: ${e.message}\n(see im2000 --help)\n`);
    setExitCode(2);
  } else if (e instanceof Im2000StatusError || e instanceof Im2000TransportError || e instanceof Im2000ProtocolError) {
    writeStderr(`im2000: ${e.message}\n`);
    setExitCode(1);
  } else {
    writeStderr(`im2000: ${(e as Error).stack ?? e}\n`);
    setExitCode(1);
  }
});
