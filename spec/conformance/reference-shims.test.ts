// The conformance suites against the project's own reference shims (SMTP submission, list relay,
// POP3), with a fixed seed: any MUST failure fails the build (issue "CI and badges"). Runs the
// shim and the runner in one process, so it works alike on Node, Bun and Deno.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runInProcess } from "./fixtures/in-process.ts";
import { startReferenceSmtp } from "./fixtures/reference-smtp.ts";
import { startReferencePop3 } from "./fixtures/reference-pop3.ts";
import { failureText } from "../../conformance/report/terminal.ts";

for (const suite of ["smtp-submission", "smtp-list-relay", "pop3"] as const) {
  describe(`reference shim, suite ${suite}`, () => {
    it("passes every MUST case (seed 42)", { timeout: 120_000 }, async () => {
      const run = await runInProcess(suite, [], (env) => (suite === "pop3" ? startReferencePop3(env) : startReferenceSmtp(env)), { seed: 42, runs: 10 });
      const failing = run.results.filter((r) => r.level === "MUST" && (r.status === "fail" || r.status === "error"));
      assert.equal(failing.length, 0, failing.map(failureText).join("\n\n"));
      assert.ok(run.results.filter((r) => r.status === "pass").length >= run.results.length - 2, "nearly every case ran and passed");
    });
  });
}
