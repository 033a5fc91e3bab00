// `im2000-shim`: runs one reference shim on its own, configured by flags or by the environment
// variables of the shim conformance interface (docs/conformance-interface.md), so the conformance
// runner can start it with `--exec "npm run --silent shim"` or any runtime directly:
//
//   bun src/cli/shim.ts smtp-submission --port 2525 --msoap 127.0.0.1:8192
//   IM2000_SHIM_ROLE=smtp-submission IM2000_SHIM_PORT=2525 IM2000_MSOAP=127.0.0.1:8192 deno run -A src/cli/shim.ts

import { args as argv, env, onTerminate, writeStderr, writeStdout, exit } from "../runtime/process.ts";
import { readTextSync } from "../runtime/fs.ts";
import { parseEndpoint } from "../im2000/endpoint.ts";
import { createLogger, type LogLevel } from "../util/log.ts";
import { startSmtpService, type SmtpServiceConfig } from "../smtp/service.ts";
import { startPop3Service } from "../pop3/service.ts";
import { openNoteStore } from "../notes/open.ts";

const USAGE = `Usage: im2000-shim <role> [options]

Roles: smtp-submission, smtp-list-relay, pop3

Options (environment variable in brackets):
  --host ADDR            listen address            [IM2000_SHIM_HOST, default 127.0.0.1]
  --port N               plain listener port       [IM2000_SHIM_PORT, default 587 / 25]
  --tls-port N           implicit-TLS port         [IM2000_SHIM_TLS_PORT]
  --cert FILE --key FILE PEM certificate and key   [IM2000_SHIM_TLS_CERT, IM2000_SHIM_TLS_KEY]
  --msoap LOCATION       message store, host:port or a domain for SRV  [IM2000_MSOAP]
  --rnaqp LOCATION       notification agent (pop3), host:port or domain [IM2000_RNAQP]
  --state-dir DIR        durable notification store (pop3)        [IM2000_SHIM_STATE_DIR]
  --hostname NAME        name in greetings         [IM2000_SHIM_HOSTNAME, default localhost]
  --idle-timeout S       client idle timeout       [IM2000_IDLE_TIMEOUT_S]
  --peer-timeout S       response timeout towards IM2000 peers   [IM2000_PEER_TIMEOUT_S]
  --max-recipients N     RCPTs per message (SUB-6) [IM2000_MAX_RECIPIENTS]
  --max-message-size N   octets (SIZE)             [IM2000_MAX_MESSAGE_SIZE]
  --chunk-size N         MSOAP chunk size (SUB-10) [IM2000_CHUNK_SIZE]
  --lifetime S           submission lifetime       [IM2000_LIFETIME_S]
  --allow-plain-auth     AUTH without TLS off loopback (SUB-3)   [IM2000_ALLOW_PLAIN_AUTH=1]
  --allow-anonymous      MAIL without AUTH (SUB-4)               [IM2000_ALLOW_ANONYMOUS=1]
  --list-domains D,D     list relay: list domains                [IM2000_LIST_DOMAINS]
  --gateway-account A    list relay: own MSOAP account (LST-2)    [IM2000_LIST_GATEWAY_ACCOUNT]
  --gateway-password P   list relay: its password / LST-8 secret  [IM2000_LIST_GATEWAY_PASSWORD]
  --semi-public L,L      list relay: semi-public lists (LST-8)    [IM2000_LIST_SEMIPUBLIC]
  --test-mode            lower timer floors (im2000 §18 C-15)     [IM2000_TEST_MODE=1]
  --trace                log every line on the wire, credentials redacted
  --log-level LEVEL      debug, info, warn, error (default info)
  --help
`;

interface Parsed {
  role: string | undefined;
  opts: Map<string, string>;
  flags: Set<string>;
}

const BOOLEAN_FLAGS = new Set(["allow-plain-auth", "allow-anonymous", "test-mode", "trace", "help"]);

function parse(list: string[]): Parsed {
  const opts = new Map<string, string>();
  const flags = new Set<string>();
  let role: string | undefined;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (a.startsWith("--")) {
      const [k, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
      if (BOOLEAN_FLAGS.has(k)) flags.add(k);
      else {
        const v = inline ?? list[++i];
        if (v === undefined) throw new Error(`--${k} needs a value`);
        opts.set(k, v);
      }
    } else if (role === undefined) role = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  return { role, opts, flags };
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a non-negative integer`);
  return Number(v);
}

function list(v: string | undefined): string[] {
  return (v ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
}

async function main(): Promise<void> {
  const p = parse(argv());
  if (p.flags.has("help")) {
    await writeStdout(USAGE);
    return;
  }
  const get = (flag: string, variable: string) => p.opts.get(flag) ?? env(variable);
  const on = (flag: string, variable: string) => p.flags.has(flag) || env(variable) === "1";
  const role = p.role ?? env("IM2000_SHIM_ROLE");
  if (role !== "smtp-submission" && role !== "smtp-list-relay" && role !== "pop3") throw new Error(`unknown or missing role ${role ?? ""} (try --help)`);
  const host = get("host", "IM2000_SHIM_HOST") ?? "127.0.0.1";
  const port = int(get("port", "IM2000_SHIM_PORT"), "port") ?? (role === "smtp-submission" ? 587 : role === "pop3" ? 110 : 25);
  const tlsPort = int(get("tls-port", "IM2000_SHIM_TLS_PORT"), "tls-port");
  const certFile = get("cert", "IM2000_SHIM_TLS_CERT");
  const keyFile = get("key", "IM2000_SHIM_TLS_KEY");
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error("--cert and --key go together");
  const tls = certFile !== undefined && keyFile !== undefined ? { cert: readTextSync(certFile), key: readTextSync(keyFile) } : undefined;
  const testMode = on("test-mode", "IM2000_TEST_MODE");
  const idle = int(get("idle-timeout", "IM2000_IDLE_TIMEOUT_S"), "idle-timeout");
  const peerTimeout = int(get("peer-timeout", "IM2000_PEER_TIMEOUT_S"), "peer-timeout");
  const peerTimeoutMs = peerTimeout !== undefined ? Math.max(1, peerTimeout) * 1000 : undefined;
  const level = (p.opts.get("log-level") ?? (p.flags.has("trace") ? "debug" : "info")) as LogLevel;
  const log = createLogger((l) => writeStderr(l + "\n"), level);
  const lifetime = int(get("lifetime", "IM2000_LIFETIME_S"), "lifetime");
  let stop: () => Promise<void>;
  let ports: readonly { host: string; port: number; tls: boolean }[];
  if (role === "pop3") {
    const rnaqp = get("rnaqp", "IM2000_RNAQP");
    if (rnaqp === undefined) throw new Error("the notification agent's location is required (--rnaqp or IM2000_RNAQP)");
    const notes = await openNoteStore(get("state-dir", "IM2000_SHIM_STATE_DIR"));
    const svc = await startPop3Service({
      hostname: get("hostname", "IM2000_SHIM_HOSTNAME") ?? "localhost",
      listen: [{ host, port }],
      listenTls: tlsPort !== undefined ? [{ host, port: tlsPort }] : [],
      tls,
      rna: parseEndpoint(rnaqp, "rnaqp"),
      notes,
      rnaResponseTimeoutMs: peerTimeoutMs,
      stores: { responseTimeoutMs: peerTimeoutMs },
      idleTimeoutMs: idle !== undefined ? idle * 1000 : undefined,
      allowPlainAuthWithoutTls: on("allow-plain-auth", "IM2000_ALLOW_PLAIN_AUTH"),
      traceWire: p.flags.has("trace"),
      testMode,
      log,
    });
    ports = svc.ports;
    stop = async () => {
      await svc.close();
      await notes.close();
    };
  } else {
    const msoap = get("msoap", "IM2000_MSOAP");
    if (msoap === undefined) throw new Error("the message store's location is required (--msoap or IM2000_MSOAP)");
    const svc = await startSmtpService(smtpConfig(msoap));
    ports = svc.ports;
    stop = () => svc.close();
  }
  for (const b of ports) await writeStdout(`${role} listening on ${b.host}:${b.port}${b.tls ? " (implicit TLS)" : ""}\n`);
  let stopping = false;
  onTerminate(async (sig) => {
    if (stopping) exit(1);
    stopping = true;
    log.log("info", "shutdown", { signal: sig });
    await stop();
    exit(0);
  });

  function smtpConfig(msoap: string): SmtpServiceConfig {
    return {
    role: role === "smtp-submission" ? "submission" : "relay",
    hostname: get("hostname", "IM2000_SHIM_HOSTNAME") ?? "localhost",
    listen: [{ host, port }],
    listenTls: tlsPort !== undefined ? [{ host, port: tlsPort }] : [],
    tls,
    store: parseEndpoint(msoap, "msoap"),
    idleTimeoutMs: idle !== undefined ? idle * 1000 : undefined,
    maxRecipients: int(get("max-recipients", "IM2000_MAX_RECIPIENTS"), "max-recipients"),
    maxMessageSize: int(get("max-message-size", "IM2000_MAX_MESSAGE_SIZE"), "max-message-size"),
    chunkSize: int(get("chunk-size", "IM2000_CHUNK_SIZE"), "chunk-size"),
    storeResponseTimeoutMs: peerTimeoutMs,
    lifetimeSeconds: lifetime,
    allowPlainAuthWithoutTls: on("allow-plain-auth", "IM2000_ALLOW_PLAIN_AUTH"),
    allowAnonymousSubmission: on("allow-anonymous", "IM2000_ALLOW_ANONYMOUS"),
    flushIdleMs: testMode ? 1000 : undefined,
    relay:
      role === "smtp-list-relay"
        ? {
            listDomains: list(get("list-domains", "IM2000_LIST_DOMAINS")).map((d) => d.toLowerCase()),
            gatewayAccount: get("gateway-account", "IM2000_LIST_GATEWAY_ACCOUNT") ?? "",
            gatewayPassword: get("gateway-password", "IM2000_LIST_GATEWAY_PASSWORD") ?? "",
            semiPublicLists: list(get("semi-public", "IM2000_LIST_SEMIPUBLIC")),
            defaultLifetimeSeconds: lifetime,
          }
        : undefined,
    traceWire: p.flags.has("trace"),
    testMode,
    log,
    };
  }
}

main().catch((e) => {
  writeStderr(`im2000-shim: ${(e as Error).message}\n`);
  exit(2);
});
