// The runner's main program: parses arguments, checks its own codec against the byte vectors
// (im2000 §6.1, §18 C-2), runs the selected suites and reports. Returns the exit status:
// 0 every case at the threshold level passed, 1 one failed, 2 usage or runner error.
// Output goes through an Io object so tests can run it in-process.

import { HELP, parseArgs, parseExpectedFailures, UsageError, type EnvCommand, type ListCommand, type RunCommand } from "./args.ts";
import { suiteOf, type CaseDef } from "./case.ts";
import type { CaseContext } from "./context.ts";
import { allCases } from "./all-cases.ts";
import { checkIds } from "./suites/mod.ts";
import { selfCheck } from "./selfcheck.ts";
import { runCases, selectCases } from "./runner.ts";
import { runnerCa, RunnerError, shimEnvironment } from "./target.ts";
import { finalReport, Progress, type Out } from "./report/terminal.ts";
import { exitStatus } from "./report/summary.ts";
import { writeReports } from "./report/write.ts";
import { allEnv, runtimeVersion, stdoutIsTerminal, writeStderr, writeStdout } from "../src/runtime/process.ts";
import { readText } from "../src/runtime/fs.ts";

export interface Io {
  readonly out: Out;
  err(s: string): void;
}

export const processIo: Io = {
  out: { write: (s) => void writeStdout(s), isTty: stdoutIsTerminal() },
  err: (s) => writeStderr(s),
};

function list(out: Out, cmd: ListCommand, cases: readonly CaseDef<CaseContext>[]): number {
  const chosen = selectCases(cases, cmd.suites, cmd.filters);
  if (cmd.json) {
    out.write(`${JSON.stringify(chosen.map((c) => ({ id: c.id, suite: suiteOf(c.id), level: c.level, ref: c.ref, requirement: c.requirement, kind: c.kind ?? "script" })), null, 2)}\n`);
    return 0;
  }
  const w = Math.max(...chosen.map((c) => c.id.length), 2);
  for (const c of chosen) out.write(`${c.id.padEnd(w)}  ${c.level.padEnd(6)}  ${c.ref}\n`);
  out.write(`${chosen.length} cases\n`);
  return 0;
}

function env(out: Out, cmd: EnvCommand): number {
  const peers = { msoap: cmd.peerPorts.msoap ?? 0, msrap: cmd.peerPorts.msrap ?? 0, rnaqp: cmd.peerPorts.rnaqp ?? 0 };
  const missing = cmd.suite === "pop3" ? (peers.rnaqp === 0 ? ["rnaqp"] : []) : peers.msoap === 0 ? ["msoap"] : [];
  if (missing.length > 0) throw new UsageError(`env --suite ${cmd.suite} needs --peer-ports ${missing.join(",")}=P`);
  const e = shimEnvironment(cmd.suite, { host: "127.0.0.1", port: cmd.port, tlsPort: cmd.tlsPort, stateDir: cmd.suite === "pop3" ? "/path/to/an/empty/dir" : undefined }, peers);
  for (const [k, v] of Object.entries(e)) out.write(`${k}=${v}\n`);
  return 0;
}

async function run(io: Io, cmd: RunCommand, cases: readonly CaseDef<CaseContext>[]): Promise<number> {
  const out = io.out;
  const problems = selfCheck();
  if (problems.length > 0) throw new RunnerError(`the runner's own codec does not reproduce the byte vectors of im2000 §6.1/§18 C-2:\n  ${problems.join("\n  ")}`);
  let chosen = selectCases(cases, cmd.suites, cmd.filters);
  if (cmd.runs === 0) chosen = chosen.filter((c) => c.kind !== "model");
  if (cmd.replay !== undefined) chosen = chosen.filter((c) => c.kind === "model");
  if (chosen.length === 0) throw new UsageError("no case matches the --suite/--filter selection");
  const expected = cmd.expectedFailures === undefined ? new Set<string>() : parseExpectedFailures(await readText(cmd.expectedFailures));
  const unknown = [...expected].filter((id) => !cases.some((c) => c.id === id));
  if (unknown.length > 0) io.err(`warning: expected-failures file names unknown case IDs: ${unknown.join(", ")}\n`);
  const ca = await runnerCa();
  const progress = new Progress(out);
  out.write(`im2000-conformance: ${chosen.length} cases (${cmd.suites.join(", ")}), ${cmd.jobs} in parallel, ${runtimeVersion()}\n`);
  const report = await runCases(chosen, {
    suites: cmd.suites,
    target: cmd.target,
    peerPorts: cmd.peerPorts,
    filters: cmd.filters,
    jobs: cmd.jobs,
    timeoutMultiplier: cmd.timeoutMultiplier,
    expectedFailures: expected,
    level: cmd.level,
    verbose: cmd.verbose,
    baseEnv: allEnv(),
    ca,
    model: { seed: cmd.seed, runs: cmd.runs ?? 25, replay: cmd.replay },
    onResult: (r, done, total) => progress.result(r, done, total),
    onSuite: (suite, cfg) => {
      if (cmd.target.kind === "remote") out.write(`suite ${suite}: target ${cfg.host}:${cfg.port}; start the shim with the values of \`im2000-conformance env --suite ${suite} …\`\n`);
    },
  });
  progress.done();
  finalReport(report, out);
  const written = await writeReports(cmd.reports, report, { runtime: runtimeVersion(), seed: cmd.seed });
  for (const f of written) out.write(`report: ${f}\n`);
  return exitStatus(report.results, cmd.level);
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const cmd = parseArgs(argv);
    const cases = await allCases();
    const idProblems = checkIds(cases);
    if (idProblems.length > 0) throw new RunnerError(idProblems.join("; "));
    switch (cmd.command) {
      case "help":
        io.out.write(HELP);
        return 0;
      case "list":
        return list(io.out, cmd, cases);
      case "env":
        return env(io.out, cmd);
      case "run":
        return await run(io, cmd, cases);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`im2000-conformance: ${e.message}\n(see im2000-conformance --help)\n`);
      return 2;
    }
    io.err(`im2000-conformance: ${e instanceof RunnerError ? "" : "runner error: "}${(e as Error).message}\n`);
    return 2;
  }
}
