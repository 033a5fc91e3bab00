// The conformance runner against the project's own reference shims, started through their real
// entry point (src/cli/shim.ts, which implements the conformance interface) on the runtime that
// runs this test, all three suites with a fixed seed: any MUST failure fails the build (issue 6,
// "CI and badges"). The JSON report and the badge are checked too.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main, type Io } from "../../conformance/main.ts";
import { execPath, runtimeName } from "../../src/runtime/process.ts";

const SHIM = new URL("../../src/cli/shim.ts", import.meta.url).pathname;
const command = { node: `'${execPath()}' --import tsx '${SHIM}'`, bun: `'${execPath()}' '${SHIM}'`, deno: `'${execPath()}' run -A '${SHIM}'` }[runtimeName()];

describe("the reference shims", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "conformance-reference-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`pass every MUST case of every suite (seed 42, ${runtimeName()})`, { timeout: 240_000 }, async () => {
    let out = "";
    const io: Io = { out: { write: (s) => (out += s), isTty: false }, err: (s) => (out += s) };
    const code = await main(["run", "--suite", "smtp-submission,smtp-list-relay,pop3", "--exec", command, "--jobs", "2", "--seed", "42", "--runs", "10", "--report", `json:${dir}/r.json,badge:${dir}/badge.svg`], io);
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as { cases: { id: string; level: string; status: string }[] };
    const failing = report.cases.filter((c) => c.level === "MUST" && (c.status === "fail" || c.status === "error"));
    assert.deepEqual(failing.map((c) => c.id), [], out.slice(-20_000));
    assert.equal(code, 0, out.slice(-5000));
    assert.ok(report.cases.length > 150);
    const badge = JSON.parse(readFileSync(join(dir, "badge.json"), "utf8")) as { message: string; color: string };
    assert.match(badge.message, /^(\d+)\/\1 MUST$/);
    assert.equal(badge.color, "brightgreen");
  });
});
