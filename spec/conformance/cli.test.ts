// The command line's contract: argument parsing, `list` and `env`, and the exit statuses —
// 0 when every case at the threshold passes (expected failures excepted), 1 when one fails, 2 on
// usage errors and runner errors (a shim that never becomes ready, a codec that drifted from the
// byte vectors). Runs main() in-process against a toy SMTP "shim" started with --exec.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { main, type Io } from "../../conformance/main.ts";
import { parseArgs, parseExpectedFailures, UsageError } from "../../conformance/args.ts";
import { selfCheck, VECTORS } from "../../conformance/selfcheck.ts";
import { allCases } from "../../conformance/all-cases.ts";
import { checkIds } from "../../conformance/suites/mod.ts";

const TOY = `node ${new URL("./fixtures/toy-smtp.mjs", import.meta.url).pathname}`;
const PASSING = ["smtp-submission/RFC5321/helo-accepted", "smtp-submission/RFC5321/noop-rset-quit"];
const FAILING = "smtp-submission/SUB-4/mail-before-auth-530";

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: { write: (s) => (out += s), isTty: false }, err: (s) => (err += s) };
  const code = await main(argv, io);
  return { code, out, err };
}

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "conformance-cli-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("parseArgs", () => {
  it("parses a full run command", () => {
    const c = parseArgs(["run", "--suite", "smtp-submission,pop3", "--exec", "./shim", "--filter", "smtp-submission/SUB-9", "--filter=pop3/POP-1", "--jobs", "4", "--timeout-multiplier", "2.5", "--seed", "42", "--runs", "10", "--report", "json:r.json,badge:b.svg", "--level", "SHOULD", "--verbose"]);
    assert.equal(c.command, "run");
    if (c.command !== "run") return;
    assert.deepEqual(c.suites, ["smtp-submission", "pop3"]);
    assert.deepEqual(c.target, { kind: "exec", command: "./shim" });
    assert.deepEqual(c.filters, ["smtp-submission/SUB-9", "pop3/POP-1"]);
    assert.deepEqual([c.jobs, c.timeoutMultiplier, c.seed, c.runs, c.level, c.verbose], [4, 2.5, 42, 10, "SHOULD", true]);
    assert.equal(c.reports.length, 2);
  });
  it("parses --target with its TLS port and fixed peer ports", () => {
    const c = parseArgs(["run", "--suite", "pop3", "--target", "127.0.0.1:1110", "--target-tls", "127.0.0.1:1995", "--peer-ports", "msrap=8193,rnaqp=3182"]);
    assert.ok(c.command === "run" && c.target.kind === "remote");
    if (c.command !== "run" || c.target.kind !== "remote") return;
    assert.deepEqual([c.target.host, c.target.port, c.target.tlsPort], ["127.0.0.1", 1110, 1995]);
    assert.deepEqual(c.peerPorts, { msrap: 8193, rnaqp: 3182 });
  });
  for (const [name, argv] of [
    ["no suite", ["run", "--exec", "x"]],
    ["unknown suite", ["run", "--suite", "imap", "--exec", "x"]],
    ["both targets", ["run", "--suite", "pop3", "--exec", "x", "--target", "h:1"]],
    ["no target", ["run", "--suite", "pop3"]],
    ["two suites with --target", ["run", "--suite", "pop3,smtp-submission", "--target", "h:1"]],
    ["bad level", ["run", "--suite", "pop3", "--exec", "x", "--level", "MUSTNT"]],
    ["bad jobs", ["run", "--suite", "pop3", "--exec", "x", "--jobs", "0"]],
    ["bad report", ["run", "--suite", "pop3", "--exec", "x", "--report", "pdf:x"]],
    ["unknown option", ["run", "--suite", "pop3", "--exec", "x", "--frobnicate", "1"]],
    ["missing value", ["run", "--suite", "pop3", "--exec"]],
    ["bad port", ["run", "--suite", "pop3", "--target", "h:99999"]],
  ] as const) {
    it(`rejects ${name} with a UsageError`, () => {
      assert.throws(() => parseArgs(argv), UsageError);
    });
  }
  it("reads expected-failures files with comments", () => {
    assert.deepEqual([...parseExpectedFailures("# ours\nsmtp-submission/SUB-9/x  # known\n\n pop3/POP-1/y\n")], ["smtp-submission/SUB-9/x", "pop3/POP-1/y"]);
  });
});

describe("cases and self-check", () => {
  it("every case ID is unique and well formed", async () => {
    assert.deepEqual(checkIds(await allCases()), []);
  });
  it("the runner's codec reproduces the byte vectors of im2000 §6.1 and §18 C-2", () => {
    assert.deepEqual(selfCheck(), []);
  });
  it("the self-check notices a vector its codec does not reproduce", () => {
    const tampered = [{ ...VECTORS[0]!, bytes: VECTORS[0]!.bytes.replace(/75/, "76") }];
    assert.deepEqual(selfCheck(tampered), ["§6.1 RNAQP CommandAuthenticate{u,p}: encodes to a different byte string"]);
    const truncated = [{ ...VECTORS[0]!, bytes: VECTORS[0]!.bytes.slice(0, -3) }];
    assert.equal(selfCheck(truncated).length, 2);
  });
});

describe("im2000-conformance", () => {
  it("--help exits 0 with the usage", async () => {
    const r = await cli("--help");
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage:\n {2}im2000-conformance run --suite/);
  });

  it("a usage error exits 2 with a message on standard error", async () => {
    const r = await cli("run", "--suite", "nope", "--exec", "x");
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown suite "nope"/);
  });

  it("list prints IDs, levels and references", async () => {
    const r = await cli("list", "--suite", "pop3", "--filter", "pop3/POP-9");
    assert.equal(r.code, 0);
    assert.match(r.out, /^pop3\/POP-9\/dele-marks-quit-unpins +MUST +shims POP-9; RFC 1939 §6$/m);
    assert.match(r.out, /\n\d+ cases\n$/);
    const j = JSON.parse((await cli("list", "--json", "--filter", "smtp-submission/SUB-9/partial")).out);
    assert.deepEqual(Object.keys(j[0]), ["id", "suite", "level", "ref", "requirement", "kind"]);
  });

  it("env prints the conformance-interface variables for a --target shim", async () => {
    const r = await cli("env", "--suite", "smtp-list-relay", "--peer-ports", "msoap=8192", "--port", "2525");
    assert.equal(r.code, 0);
    assert.match(r.out, /^IM2000_SHIM_ROLE=smtp-list-relay$/m);
    assert.match(r.out, /^IM2000_SHIM_PORT=2525$/m);
    assert.match(r.out, /^IM2000_MSOAP=127\.0\.0\.1:8192$/m);
    assert.match(r.out, /^IM2000_TEST_MODE=1$/m);
    assert.match(r.out, /^IM2000_LIST_DOMAINS=/m);
  });

  it("exits 0 when every selected MUST passes", async () => {
    const r = await cli("run", "--suite", "smtp-submission", "--exec", TOY, ...PASSING.flatMap((f) => ["--filter", f]));
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /PASS {2}smtp-submission\/RFC5321\/helo-accepted/);
    assert.match(r.out, /2 cases in/);
  });

  it("exits 1 when a MUST fails, printing the case, requirement, expected vs seen and the wire log", async () => {
    const report = join(dir, "fail.json");
    const r = await cli("run", "--suite", "smtp-submission", "--exec", TOY, "--filter", FAILING, "--report", `json:${report}`);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, new RegExp(`FAIL ${FAILING}\\n {2}level: +MUST\\n {2}reference: +shims SUB-4`));
    assert.match(r.out, /expected: +530\n {2}seen: +250 ok/);
    assert.match(r.out, /smtp#1 +C: +MAIL FROM:</);
    const j = JSON.parse(readFileSync(report, "utf8"));
    assert.equal(j.cases[0].status, "fail");
    assert.ok(j.cases[0].wireLog.length > 0);
  });

  it("exits 0 when the only failure is expected, and reports an expected failure that passes", async () => {
    const file = join(dir, "expected.txt");
    writeFileSync(file, `# toy shim\n${FAILING}\n${PASSING[0]}\n`);
    const r = await cli("run", "--suite", "smtp-submission", "--exec", TOY, "--filter", FAILING, "--filter", PASSING[0]!, "--expected-failures", file);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, new RegExp(`XFAIL ${FAILING}`));
    assert.match(r.out, /XPASS smtp-submission\/RFC5321\/helo-accepted: expected to fail, but passed/);
  });

  it("--level SHOULD makes a SHOULD failure fail the run", async () => {
    const args = ["run", "--suite", "smtp-submission", "--exec", TOY, "--filter", "smtp-submission/RFC2034/enhanced-status-codes"];
    assert.equal((await cli(...args)).code, 0);
    assert.equal((await cli(...args, "--level", "SHOULD")).code, 1);
  });

  it("--target runs against a shim started by hand with the values `env` printed", async () => {
    const { spawn } = await import("node:child_process");
    const { freePort } = await import("../../conformance/target.ts");
    const [port, msoap] = [await freePort(), await freePort()];
    const env = Object.fromEntries((await cli("env", "--suite", "smtp-submission", "--peer-ports", `msoap=${msoap}`, "--port", String(port))).out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    const child = spawn("node", [new URL("./fixtures/toy-smtp.mjs", import.meta.url).pathname], { env: { ...process.env, ...env }, stdio: "ignore" });
    try {
      const ok = await cli("run", "--suite", "smtp-submission", "--target", `127.0.0.1:${port}`, "--peer-ports", `msoap=${msoap}`, "--filter", PASSING[0]!);
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, /suite smtp-submission: target 127\.0\.0\.1:\d+; start the shim with the values of `im2000-conformance env/);
      const bad = await cli("run", "--suite", "smtp-submission", "--target", `127.0.0.1:${port}`, "--peer-ports", `msoap=${msoap}`, "--filter", FAILING);
      assert.equal(bad.code, 1);
      const tls = await cli("run", "--suite", "smtp-submission", "--target", `127.0.0.1:${port}`, "--filter", "smtp-submission/SUB-1/implicit-tls");
      assert.equal(tls.code, 0);
      assert.match(tls.out, /SKIP {2}smtp-submission\/SUB-1\/implicit-tls .*no implicit-TLS port/);
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("exits 2 when the shim exits before it is ready, quoting its standard error", async () => {
    const r = await cli("run", "--suite", "smtp-submission", "--exec", "echo 'cannot bind' >&2; exit 3", "--filter", PASSING[0]!);
    assert.equal(r.code, 2);
    assert.match(r.err, /exited \(code 3.*\n?.*cannot bind/s);
  });

  it("exits 2 when a --target never accepts a connection", async () => {
    const r = await cli("run", "--suite", "pop3", "--target", "127.0.0.1:9", "--timeout-multiplier", "0.02", "--filter", "pop3/POP-1/no-apop");
    assert.equal(r.code, 2);
    assert.match(r.err, /never accepted a connection on 127\.0\.0\.1:9/);
  });
});
