// `im2000-shim`: runs one reference shim on its own, configured by flags or by the environment
// variables of the shim conformance interface (docs/conformance-interface.md), so the conformance
// runner can start it with `--exec "npm run --silent shim"` or any runtime directly:
//
//   bun src/cli/shim.ts smtp-submission --port 2525 --msoap 127.0.0.1:8192
//   IM2000_SHIM_ROLE=smtp-submission IM2000_SHIM_PORT=2525 IM2000_MSOAP=127.0.0.1:8192 deno run -A src/cli/shim.ts

import { args as argv, env, onTerminate, writeStderr, writeStdout, exit } from "../runtime/process.ts";
import { createLogger, type LogLevel } from "../util/log.ts";
import { splitArgs, UsageError } from "../util/argv.ts";
import { startSmtpService } from "../smtp/service.ts";
import { shimConfig } from "./shim-config.ts";
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

const BOOLEAN_FLAGS = new Set(["--allow-plain-auth", "--allow-anonymous", "--test-mode", "--trace", "--help"]);

function parse(list: string[]): Parsed {
  const { options, operands } = splitArgs(list, BOOLEAN_FLAGS);
  if (operands.length > 1) throw new UsageError(`unexpected argument ${operands[1]}`);
  const opts = new Map<string, string>();
  const flags = new Set<string>();
  for (const [name, value] of options) {
    if (BOOLEAN_FLAGS.has(name)) flags.add(name.slice(2));
    else opts.set(name.slice(2), value);
  }
  return { role: operands[0], opts, flags };
}

async function main(): Promise<void> {
  const p = parse(argv());
  if (p.flags.has("help")) {
    await writeStdout(USAGE);
    return;
  }
  const level = (p.opts.get("log-level") ?? (p.flags.has("trace") ? "debug" : "info")) as LogLevel;
  const log = createLogger((l) => writeStderr(l + "\n"), level);
  const source = { value: (flag: string, variable: string) => p.opts.get(flag) ?? env(variable), on: (flag: string, variable: string) => p.flags.has(flag) || env(variable) === "1" };
  const c = shimConfig(source, p.role, { log, traceWire: p.flags.has("trace") });
  let stop: () => Promise<void>;
  let ports: readonly { host: string; port: number; tls: boolean }[];
  if (c.role === "pop3") {
    const notes = await openNoteStore(c.stateDir);
    const svc = await startPop3Service({ ...c.pop3, notes });
    ports = svc.ports;
    stop = async () => {
      await svc.close();
      await notes.close();
    };
  } else {
    const svc = await startSmtpService(c.smtp);
    ports = svc.ports;
    stop = () => svc.close();
  }
  for (const b of ports) await writeStdout(`${c.role} listening on ${b.host}:${b.port}${b.tls ? " (implicit TLS)" : ""}\n`);
  let stopping = false;
  onTerminate(async (sig) => {
    if (stopping) exit(1);
    stopping = true;
    log.log("info", "shutdown", { signal: sig });
    await stop();
    exit(0);
  });
}

main().catch((e) => {
  writeStderr(`im2000-shim: ${(e as Error).message}\n`);
  exit(2);
});
