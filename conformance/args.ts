// Command-line parsing for im2000-conformance (pure: strings in, a typed command out; every
// mistake is a UsageError, which the CLI turns into exit status 2).

import { parseHostPort } from "../src/im2000/locate.ts";
import { splitArgs, UsageError } from "../src/util/argv.ts";
import { LEVELS, SUITES, type Level, type SuiteName } from "./case.ts";
import { parseReportSpec, type ReportTarget } from "./report/write.ts";
import type { TargetSpec } from "./runner.ts";
import type { PeerPorts } from "./peers/fake-peers.ts";

export { UsageError };

export interface RunCommand {
  readonly command: "run";
  readonly suites: SuiteName[];
  readonly target: TargetSpec;
  readonly peerPorts: PeerPorts;
  readonly filters: string[];
  readonly jobs: number;
  readonly timeoutMultiplier: number;
  readonly seed?: number;
  readonly runs?: number;
  readonly replay?: string;
  readonly expectedFailures?: string;
  readonly reports: ReportTarget[];
  readonly level: Level;
  readonly verbose: boolean;
}

export interface ListCommand {
  readonly command: "list";
  readonly suites: SuiteName[];
  readonly filters: string[];
  readonly json: boolean;
}

export interface EnvCommand {
  readonly command: "env";
  readonly suite: SuiteName;
  readonly peerPorts: PeerPorts;
  readonly port: number;
  readonly tlsPort: number;
}

export type Command = RunCommand | ListCommand | EnvCommand | { readonly command: "help" };

export const HELP = `im2000-conformance — checks an IM2000 shim (SMTP submission, SMTP list relay, POP3) against
shims.md and the RFCs, playing the old mail client on one side and fake IM2000 peers on the other.

Usage:
  im2000-conformance run --suite SUITE[,SUITE…] (--exec "COMMAND" | --target HOST:PORT) [options]
  im2000-conformance list [--suite SUITE[,…]] [--filter PREFIX] [--json]
  im2000-conformance env --suite SUITE --peer-ports msoap=P,msrap=P,rnaqp=P [--port P] [--tls-port P]
  im2000-conformance --help

Suites: smtp-submission, smtp-list-relay, pop3.

Target:
  --exec "COMMAND"        start the shim (sh -c) once per suite with the conformance-interface
                          environment (docs/conformance-interface.md); it is stopped afterwards
  --target HOST:PORT      a shim that is already running, configured with the values that
                          \`im2000-conformance env\` prints (one suite per run)
  --target-tls HOST:PORT  its implicit-TLS port (cases that need it are skipped without)
  --peer-ports LIST       fixed ports for the fake peers: msoap=P,msrap=P,rnaqp=P (default: free ports)

Selection and speed:
  --filter PREFIX         run only cases whose ID starts with PREFIX (repeatable)
  --jobs N                cases run in parallel against the one shim (default 2)
  --timeout-multiplier X  multiply every timeout (slow CI machines; default 1)
  --level MUST|SHOULD|MAY exit 1 when a case at this level or above fails (default MUST)
  --expected-failures F   file of case IDs expected to fail for this implementation (one per
                          line, # comments); an expected failure that passes is reported

Properties (fast-check model-based cases, IDs …/model/…):
  --seed N                seed of the property runs (printed on failure)
  --runs N                runs per property (default 25; 0 skips the properties)
  --replay PATH           replay one shrunk counterexample (the path printed on failure)

Output:
  --report LIST           json:FILE,junit:FILE,html:FILE,badge:FILE (badge also writes FILE.json,
                          a shields.io endpoint)
  --verbose               keep the wire log of passing cases too

Exit status: 0 every case at the --level threshold passed (expected failures excepted),
1 a case at the threshold failed, 2 usage error or runner error (e.g. the shim never became ready).
`;

function parseSuites(v: string): SuiteName[] {
  const out: SuiteName[] = [];
  for (const s of v.split(",").map((x) => x.trim()).filter(Boolean)) {
    if (!SUITES.includes(s as SuiteName)) throw new UsageError(`unknown suite "${s}" (suites: ${SUITES.join(", ")})`);
    if (!out.includes(s as SuiteName)) out.push(s as SuiteName);
  }
  if (out.length === 0) throw new UsageError("--suite needs at least one suite");
  return out;
}

function hostPort(v: string, flag: string): { host: string; port: number } {
  if (!/:\d+$/.test(v)) throw new UsageError(`${flag} needs HOST:PORT, got "${v}"`);
  try {
    return parseHostPort(v);
  } catch {
    throw new UsageError(`${flag} needs HOST:PORT, got "${v}"`);
  }
}

function parsePort(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(`${flag} needs a port number 1–65535, got "${v}"`);
  return n;
}

function parsePeerPorts(v: string): PeerPorts {
  const out: Record<string, number> = {};
  for (const part of v.split(",").map((x) => x.trim()).filter(Boolean)) {
    const [k, p] = part.split("=");
    if (k === undefined || p === undefined || !["msoap", "msrap", "rnaqp"].includes(k)) throw new UsageError(`--peer-ports needs msoap=P,msrap=P,rnaqp=P, got "${part}"`);
    out[k] = parsePort(p, `--peer-ports ${k}`);
  }
  return out;
}

function positiveNumber(v: string, flag: string, integer: boolean): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`${flag} needs a positive ${integer ? "integer" : "number"}, got "${v}"`);
  return n;
}

export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h") || argv[0] === "help") return { command: "help" };
  const [cmd, ...rest] = argv;
  const { options: flags, operands } = splitArgs(rest, new Set(["--verbose", "--json"]));
  if (operands.length > 0) throw new UsageError(`unexpected argument "${operands[0]}"`);
  const one = (name: string): string | undefined => {
    const all = flags.filter(([n]) => n === name);
    if (all.length > 1) throw new UsageError(`${name} given more than once`);
    return all[0]?.[1];
  };
  const known = (allowed: string[]) => {
    for (const [n] of flags) if (!allowed.includes(n)) throw new UsageError(`unknown option ${n} for "${cmd}"`);
  };
  if (cmd === "list") {
    known(["--suite", "--filter", "--json"]);
    const suite = one("--suite");
    return { command: "list", suites: suite === undefined ? [...SUITES] : parseSuites(suite), filters: flags.filter(([n]) => n === "--filter").map(([, v]) => v), json: one("--json") !== undefined };
  }
  if (cmd === "env") {
    known(["--suite", "--peer-ports", "--port", "--tls-port"]);
    const suites = parseSuites(one("--suite") ?? "");
    if (suites.length !== 1) throw new UsageError("env takes exactly one suite");
    const pp = one("--peer-ports");
    if (pp === undefined) throw new UsageError("env needs --peer-ports msoap=P,msrap=P,rnaqp=P (the ports you will give run --peer-ports)");
    return { command: "env", suite: suites[0]!, peerPorts: parsePeerPorts(pp), port: parsePort(one("--port") ?? "2587", "--port"), tlsPort: parsePort(one("--tls-port") ?? "2465", "--tls-port") };
  }
  if (cmd !== "run") throw new UsageError(`unknown command "${cmd}" (commands: run, list, env)`);
  known(["--suite", "--exec", "--target", "--target-tls", "--peer-ports", "--filter", "--jobs", "--timeout-multiplier", "--seed", "--runs", "--replay", "--expected-failures", "--report", "--level", "--verbose"]);
  const suiteArg = one("--suite");
  if (suiteArg === undefined) throw new UsageError("run needs --suite");
  const suites = parseSuites(suiteArg);
  const exec = one("--exec");
  const targetArg = one("--target");
  if ((exec === undefined) === (targetArg === undefined)) throw new UsageError("run needs exactly one of --exec or --target");
  let target: TargetSpec;
  if (exec !== undefined) {
    if (exec.trim() === "") throw new UsageError("--exec needs a command");
    if (one("--target-tls") !== undefined) throw new UsageError("--target-tls goes with --target, not --exec");
    target = { kind: "exec", command: exec };
  } else {
    if (suites.length > 1) throw new UsageError("--target serves one suite per run (each role is a different shim or port)");
    const t = hostPort(targetArg!, "--target");
    const tls = one("--target-tls");
    target = { kind: "remote", host: t.host, port: t.port, tlsPort: tls === undefined ? undefined : hostPort(tls, "--target-tls").port };
  }
  const level = one("--level") ?? "MUST";
  if (!LEVELS.includes(level as Level)) throw new UsageError(`--level is one of ${LEVELS.join(", ")}, got "${level}"`);
  const seedArg = one("--seed");
  const seed = seedArg === undefined ? undefined : Number(seedArg);
  if (seed !== undefined && (!Number.isInteger(seed) || Math.abs(seed) > 2 ** 31)) throw new UsageError(`--seed needs an integer, got "${seedArg}"`);
  const runsArg = one("--runs");
  const runs = runsArg === undefined ? undefined : runsArg === "0" ? 0 : positiveNumber(runsArg, "--runs", true);
  let reports: ReportTarget[] = [];
  const rep = one("--report");
  if (rep !== undefined) {
    try {
      reports = parseReportSpec(rep);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return {
    command: "run",
    suites,
    target,
    peerPorts: one("--peer-ports") === undefined ? {} : parsePeerPorts(one("--peer-ports")!),
    filters: flags.filter(([n]) => n === "--filter").map(([, v]) => v),
    jobs: one("--jobs") === undefined ? 2 : positiveNumber(one("--jobs")!, "--jobs", true),
    timeoutMultiplier: one("--timeout-multiplier") === undefined ? 1 : positiveNumber(one("--timeout-multiplier")!, "--timeout-multiplier", false),
    seed,
    runs,
    replay: one("--replay"),
    expectedFailures: one("--expected-failures"),
    reports,
    level: level as Level,
    verbose: one("--verbose") !== undefined,
  };
}

/** Case IDs from an expected-failures file: one per line, blank lines and # comments ignored. */
export function parseExpectedFailures(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line !== "") out.add(line);
  }
  return out;
}
