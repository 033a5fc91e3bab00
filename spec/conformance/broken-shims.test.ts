// The runner must prove it catches broken shims (issue 6): each deliberately broken variant of the
// reference shims must fail the cases that name the requirement it breaks, and the reference must
// pass those same cases. Variants run concurrently, each with its own fake peers and shim.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runInProcess } from "./fixtures/in-process.ts";
import { startReferenceSmtp } from "./fixtures/reference-smtp.ts";
import { smtpVariants } from "./fixtures/smtp-variants.ts";
import type { RunReport } from "../../conformance/runner.ts";
import { nonLoopbackAddresses } from "../../src/runtime/net.ts";

// Variants that only a connection from a non-loopback address can catch need one on this machine.
const canLeaveLoopback = nonLoopbackAddresses().length > 0;
import { startReferencePop3 } from "./fixtures/reference-pop3.ts";
import { pop3Variants } from "./fixtures/pop3-variants.ts";

describe("broken SMTP shims", () => {
  it("has at least fifteen variants, each naming the cases that catch it", () => {
    assert.ok(smtpVariants.length >= 15);
    assert.ok(pop3Variants.length >= 5);
    for (const v of smtpVariants) assert.ok(v.caughtBy.length > 0, v.name);
  });

  it("the reference shim passes every case that catches a variant", { timeout: 120_000 }, async () => {
    const runs: RunReport[] = [];
    for (const suite of ["smtp-submission", "smtp-list-relay"] as const) {
      const ids = smtpVariants.filter((v) => v.suite === suite).flatMap((v) => v.caughtBy);
      runs.push(await runInProcess(suite, ids, (env) => startReferenceSmtp(env)));
    }
    const bad = runs.flatMap((r) => r.results).filter((r) => r.status !== "pass" && !(r.status === "skip" && !canLeaveLoopback));
    assert.deepEqual(bad.map((r) => `${r.id}: ${r.status} ${r.failure?.message ?? ""}`), []);
  });

  it("every variant fails the cases that name the requirement it breaks", { timeout: 120_000 }, async () => {
    const outcomes = await Promise.all(
      smtpVariants.filter((v) => canLeaveLoopback || !v.needsNonLoopback).map(async (v) => {
        const run = await runInProcess(v.suite, v.caughtBy, (env) => startReferenceSmtp(env, v.variant), { jobs: 2 });
        const missed = v.caughtBy.filter((id) => run.results.find((r) => r.id === id)?.status !== "fail");
        return missed.length === 0 ? undefined : `${v.name} (${v.mistake}) was not caught by ${missed.join(", ")}`;
      }),
    );
    assert.deepEqual(outcomes.filter((x) => x !== undefined), []);
  });
});

describe("broken POP3 shims", () => {
  it("the reference shim passes every case that catches a variant", { timeout: 120_000 }, async () => {
    const run = await runInProcess("pop3", pop3Variants.flatMap((v) => v.caughtBy), (env) => startReferencePop3(env));
    const bad = run.results.filter((r) => r.status !== "pass" && !(r.status === "skip" && !canLeaveLoopback));
    assert.deepEqual(bad.map((r) => `${r.id}: ${r.status} ${r.failure?.message ?? ""}`), []);
  });

  it("every variant fails the cases that name the requirement it breaks", { timeout: 120_000 }, async () => {
    const check = async (v: (typeof pop3Variants)[number]) => {
      const run = await runInProcess("pop3", v.caughtBy, (env) => startReferencePop3(env, v.variant), { jobs: 2 });
      const missed = v.caughtBy.filter((id) => run.results.find((r) => r.id === id)?.status !== "fail");
      return missed.length === 0 ? undefined : `${v.name} (${v.mistake}) was not caught by ${missed.join(", ")}`;
    };
    const outcomes = await Promise.all(pop3Variants.filter((v) => !v.alone && (canLeaveLoopback || !v.needsNonLoopback)).map(check));
    for (const v of pop3Variants.filter((x) => x.alone)) outcomes.push(await check(v));
    assert.deepEqual(outcomes.filter((x) => x !== undefined), []);
  });
});
