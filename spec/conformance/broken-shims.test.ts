// The runner must prove it catches broken shims (issue 6): each deliberately broken variant of the
// reference shims must fail the cases that name the requirement it breaks, and the reference must
// pass those same cases. Variants run concurrently, each with its own fake peers and shim.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runInProcess } from "./fixtures/in-process.ts";
import { startReferenceSmtp } from "./fixtures/reference-smtp.ts";
import { smtpVariants } from "./fixtures/smtp-variants.ts";
import type { RunReport } from "../../conformance/runner.ts";

describe("broken SMTP shims", () => {
  it("has at least fifteen variants, each naming the cases that catch it", () => {
    assert.ok(smtpVariants.length >= 15);
    for (const v of smtpVariants) assert.ok(v.caughtBy.length > 0, v.name);
  });

  it("the reference shim passes every case that catches a variant", { timeout: 120_000 }, async () => {
    const runs: RunReport[] = [];
    for (const suite of ["smtp-submission", "smtp-list-relay"] as const) {
      const ids = smtpVariants.filter((v) => v.suite === suite).flatMap((v) => v.caughtBy);
      runs.push(await runInProcess(suite, ids, (env) => startReferenceSmtp(env)));
    }
    const bad = runs.flatMap((r) => r.results).filter((r) => r.status !== "pass");
    assert.deepEqual(bad.map((r) => `${r.id}: ${r.status} ${r.failure?.message ?? ""}`), []);
  });

  it("every variant fails the cases that name the requirement it breaks", { timeout: 120_000 }, async () => {
    const outcomes = await Promise.all(
      smtpVariants.map(async (v) => {
        const run = await runInProcess(v.suite, v.caughtBy, (env) => startReferenceSmtp(env, v.variant), { jobs: 2 });
        const missed = v.caughtBy.filter((id) => run.results.find((r) => r.id === id)?.status !== "fail");
        return missed.length === 0 ? undefined : `${v.name} (${v.mistake}) was not caught by ${missed.join(", ")}`;
      }),
    );
    assert.deepEqual(outcomes.filter((x) => x !== undefined), []);
  });
});
