// Running a fast-check model as one conformance case. Each run opens a fresh client session
// (with a fresh account, so runs never see each other's state), drives it with a random command
// sequence and random fake-peer behaviour, and checks every reply and every PDU against a small
// model of what the shim must do. On failure the harness replays the shrunk counterexample once
// more so that the case's wire log holds exactly that run (both sides), and reports the seed,
// the path and the command to reproduce it (--seed S --replay PATH).

import fc from "fast-check";
import { CaseFailure } from "../case.ts";
import type { CaseContext } from "../context.ts";

export interface ModelSpec<M extends object, R, S> {
  /** Random per-run setup (what the peers hold, how they will behave). */
  readonly setup: fc.Arbitrary<S>;
  readonly commands: fc.Arbitrary<fc.AsyncCommand<M, R>>[];
  readonly maxCommands: number;
  /** Builds the model and the real system for one run. */
  start(t: CaseContext, setup: S): Promise<{ model: M; real: R }>;
  /** Ends one run (drop connections); must not throw. */
  stop(real: R): Promise<void>;
}

/** --replay takes `PATH` or `PATH|REPLAYPATH` (fast-check's counterexample path, commands hint). */
export function parseReplay(s: string | undefined): { path?: string; replayPath?: string } {
  if (s === undefined) return {};
  const i = s.indexOf("|");
  return i < 0 ? { path: s } : { path: s.slice(0, i), replayPath: s.slice(i + 1) };
}

function replayPathOf(counterexample: unknown): string | undefined {
  const text = Array.isArray(counterexample) ? counterexample.map(String).join(" ") : String(counterexample);
  return /replayPath="([^"]*)"/.exec(text)?.[1];
}

function commandsOf(counterexample: unknown): string {
  const text = Array.isArray(counterexample) ? String(counterexample[1] ?? counterexample[0]) : String(counterexample);
  return text.replace(/\/\*replayPath=.*?\*\//, "").trim();
}

export async function runModel<M extends object, R, S>(t: CaseContext, spec: ModelSpec<M, R, S>): Promise<void> {
  const { runs, seed } = t.model;
  if (runs === 0) t.skip("--runs 0");
  const replay = parseReplay(t.model.replay);
  if (replay.path !== undefined && seed === undefined) throw new CaseFailure("--replay needs the --seed it was printed with", "--seed N", "no seed");
  const property = (replayPath?: string) =>
    fc.asyncProperty(spec.setup, fc.commands(spec.commands, { maxCommands: spec.maxCommands, replayPath }), async (setup, cmds) => {
      const { model, real } = await spec.start(t, setup);
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      } finally {
        await spec.stop(real);
      }
    });
  const details = await fc.check(property(replay.replayPath), {
    numRuns: replay.path !== undefined ? 1 : runs,
    seed,
    path: replay.path,
    endOnFailure: replay.path !== undefined,
  });
  if (!details.failed) return;

  const path = details.counterexamplePath ?? "";
  const hint = replayPathOf(details.counterexample);
  const token = hint === undefined ? path : `${path}|${hint}`;
  // Replay only the shrunk counterexample so the wire log shows that run and nothing else.
  t.log.clear();
  await fc.check(property(hint), { numRuns: 1, seed: details.seed, path, endOnFailure: true }).catch(() => undefined);
  const inner = details.errorInstance;
  const reproduce = `--seed ${details.seed} --replay '${token}'`;
  const detail = [
    `seed: ${details.seed}`,
    `path: ${path}`,
    `replay: ${reproduce} --filter ${t.id}`,
    `failed after ${details.numRuns} run(s) and ${details.numShrinks} shrink(s)`,
    `shrunk commands: ${commandsOf(details.counterexample)}`,
  ].join("\n");
  if (inner instanceof CaseFailure) throw new CaseFailure(`${inner.message} (property; reproduce with ${reproduce})`, inner.expected, inner.seen, detail);
  const text = inner instanceof Error ? inner.message : String(inner);
  throw new CaseFailure(`property failed: ${text} (reproduce with ${reproduce})`, "every reply and PDU as the model predicts", text, detail);
}
