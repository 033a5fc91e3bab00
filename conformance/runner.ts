// Runs cases against a shim: starts the fake peers, the shim (--exec) or checks the target
// (--target), then runs the selected cases of each suite — up to `jobs` at a time, exclusive
// ones alone afterwards — each with its own wire log, token and timeout, and turns every outcome
// into a CaseResult. Expected failures are applied here, so every reporter sees final statuses.

import { CaseFailure, CaseSkip, LEVELS, suiteOf, type CaseDef, type CaseResult, type Level, type Status, type SuiteName } from "./case.ts";
import { CaseContext, type ModelOptions, type ShimConfig } from "./context.ts";
import { CasePeers } from "./peers/case-peers.ts";
import { FakePeers } from "./peers/fake-peers.ts";
import type { PeerPorts } from "./peers/fake-peers.ts";
import { ExecTarget, HOST, RunnerError, SETTINGS, shimConfig, waitReady } from "./target.ts";
import { WireLog } from "./wire-log.ts";
import { randomBytes } from "../src/runtime/crypto.ts";

export type TargetSpec = { readonly kind: "exec"; readonly command: string } | { readonly kind: "remote"; readonly host: string; readonly port: number; readonly tlsPort?: number };

export interface RunOptions {
  readonly suites: readonly SuiteName[];
  readonly target: TargetSpec;
  readonly peerPorts?: PeerPorts;
  /** Fake peers already started by the caller (in-process tests); stopped by the caller. */
  readonly peers?: FakePeers;
  readonly filters: readonly string[];
  readonly jobs: number;
  readonly timeoutMultiplier: number;
  readonly expectedFailures: ReadonlySet<string>;
  readonly level: Level;
  /** Keep the wire log of passing cases too. */
  readonly verbose?: boolean;
  /** Environment the shim inherits (the runner's own, normally). */
  readonly baseEnv?: Record<string, string | undefined>;
  readonly ca: string;
  readonly model?: ModelOptions;
  readonly onStart?: (c: CaseDef<CaseContext>) => void;
  readonly onResult?: (r: CaseResult, done: number, total: number) => void;
  /** Told about each suite's target (e.g. to print --target settings). */
  readonly onSuite?: (suite: SuiteName, cfg: ShimConfig, cases: number) => void;
}

export interface RunReport {
  readonly results: CaseResult[];
  readonly startedAt: string;
  readonly durationMs: number;
  readonly suites: readonly SuiteName[];
  readonly level: Level;
  readonly target: string;
}

export function selectCases(all: readonly CaseDef<CaseContext>[], suites: readonly SuiteName[], filters: readonly string[]): CaseDef<CaseContext>[] {
  return all.filter((c) => suites.includes(suiteOf(c.id)) && (filters.length === 0 || filters.some((f) => c.id.startsWith(f))));
}

/** Levels at or above the threshold count towards the exit status. */
export function counts(level: Level, threshold: Level): boolean {
  return LEVELS.indexOf(level) <= LEVELS.indexOf(threshold);
}

const STEP_TIMEOUT_MS = 5000;
const CASE_TIMEOUT_MS = 20_000;
const STARTUP_TIMEOUT_MS = 20_000;

export async function runCases(cases: readonly CaseDef<CaseContext>[], opts: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const results: CaseResult[] = [];
  const total = cases.length;
  const mult = opts.timeoutMultiplier;
  const ownPeers = opts.peers === undefined;
  const peers = opts.peers ?? newPeers(mult);
  if (ownPeers) await peers.start(opts.peerPorts);
  const addresses = { msoap: peers.store.msoapPort, msrap: peers.store.msrapPort, rnaqp: peers.rna.port };
  try {
    for (const suite of opts.suites) {
      const mine = cases.filter((c) => suiteOf(c.id) === suite);
      if (mine.length === 0) continue;
      let exec: ExecTarget | undefined;
      let cfg: ShimConfig;
      if (opts.target.kind === "exec") {
        exec = await ExecTarget.start(opts.target.command, suite, addresses, opts.ca, opts.baseEnv ?? {}, STARTUP_TIMEOUT_MS * mult);
        cfg = exec.config;
      } else {
        await waitReady(opts.target.host, opts.target.port, STARTUP_TIMEOUT_MS * mult);
        cfg = shimConfig(suite, opts.target.host, opts.target.port, opts.target.tlsPort, opts.ca, false);
      }
      opts.onSuite?.(suite, cfg, mine.length);
      try {
        const record = (r: CaseResult) => {
          results.push(r);
          opts.onResult?.(r, results.length, total);
        };
        const parallel = mine.filter((c) => !c.exclusive);
        const exclusive = mine.filter((c) => c.exclusive);
        let next = 0;
        const worker = async () => {
          while (next < parallel.length) {
            const c = parallel[next++]!;
            record(await runOne(c, cfg, peers, opts));
          }
        };
        await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, parallel.length)) }, worker));
        for (const c of exclusive) record(await runOne(c, cfg, peers, opts));
      } finally {
        await exec?.stop();
      }
    }
  } finally {
    if (ownPeers) await peers.stop();
  }
  const order = new Map(cases.map((c, i) => [c.id, i]));
  results.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    results,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    suites: opts.suites,
    level: opts.level,
    target: opts.target.kind === "exec" ? `exec: ${opts.target.command}` : `${opts.target.host}:${opts.target.port}`,
  };
}

/** The fake peers a run uses (exported for callers that start them first, see RunOptions.peers). */
export function newPeers(timeoutMultiplier = 1): FakePeers {
  return new FakePeers(HOST, { faultHoldMs: STEP_TIMEOUT_MS * timeoutMultiplier, gatewayAccount: SETTINGS.gatewayAccount, gatewayPassword: SETTINGS.gatewayPassword });
}

let tokenSeq = 0;

function newToken(): string {
  const r = Array.from(randomBytes(3), (b) => (b % 36).toString(36)).join("");
  return `c${(tokenSeq++).toString(36)}${r}`;
}

async function runOne(def: CaseDef<CaseContext>, shim: ShimConfig, fake: FakePeers, opts: RunOptions): Promise<CaseResult> {
  opts.onStart?.(def);
  const start = Date.now();
  const log = new WireLog(start);
  const peers = new CasePeers(def.id, log);
  const mult = opts.timeoutMultiplier;
  const t = new CaseContext({ id: def.id, log, peers, shim, fake, timeoutMs: STEP_TIMEOUT_MS * mult, multiplier: mult, token: newToken(), model: opts.model });
  if (def.exclusive) fake.router.setExclusive(peers);
  let status: Status = "pass";
  let failure: CaseResult["failure"];
  let skipReason: string | undefined;
  const limit = (def.timeoutMs ?? CASE_TIMEOUT_MS) * mult;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    if (def.needs?.includes("exec") && !shim.started) throw new CaseSkip("needs a shim started by the runner (--exec)");
    const running = def.run(t);
    // After a timeout the case goes on until cleanup() closes its connections; whatever it throws
    // then is moot and must not surface as an unhandled rejection.
    running.catch(() => {});
    await Promise.race([
      running,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CaseFailure(`the case did not finish within ${limit} ms`, "the case to finish", "still running (the shim stopped answering?)")), limit);
      }),
    ]);
  } catch (e) {
    if (e instanceof CaseSkip) {
      status = "skip";
      skipReason = e.message;
    } else if (e instanceof CaseFailure) {
      status = "fail";
      failure = { message: e.message, expected: e.expected, seen: e.seen, detail: e.detail };
    } else {
      status = "error";
      failure = { message: `runner error: ${(e as Error).message}`, detail: (e as Error).stack };
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    await t.cleanup();
    if (def.exclusive) fake.router.setExclusive(undefined);
  }
  if (opts.expectedFailures.has(def.id)) {
    if (status === "fail" || status === "error") status = "xfail";
    else if (status === "pass") status = "xpass";
  }
  const keepLog = opts.verbose === true || status !== "pass";
  return {
    id: def.id,
    suite: suiteOf(def.id),
    level: def.level,
    ref: def.ref,
    requirement: def.requirement,
    status,
    durationMs: Date.now() - start,
    failure,
    skipReason,
    log: keepLog && status !== "skip" ? log.sorted() : undefined,
  };
}

export { RunnerError };
