// The runner's handling of outcomes: pass, fail (with expected/seen and the wire log), error (a
// bug in a case or an unexpected exception), skip, expected failures, a case that overruns its
// time limit (and whatever it throws afterwards), and exclusive cases running alone.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { listen, type Listener } from "../../src/runtime/net.ts";
import { runCases } from "../../conformance/runner.ts";
import { certPaths } from "../../conformance/target.ts";
import type { CaseDef } from "../../conformance/case.ts";
import type { CaseContext } from "../../conformance/context.ts";

let server: Listener;
before(async () => {
  // A "shim" that greets and then says nothing.
  server = await listen({ host: "127.0.0.1", port: 0 }, (c) => void c.write("220 hello\r\n"));
});
after(() => server.close());

const c = (id: string, run: (t: CaseContext) => Promise<void>, extra: Partial<CaseDef<CaseContext>> = {}): CaseDef<CaseContext> => ({ id: `smtp-submission/${id}`, level: "MUST", ref: "test", requirement: "test", run, ...extra });

async function outcomes(cases: CaseDef<CaseContext>[], expected: string[] = []) {
  const report = await runCases(cases, {
    suites: ["smtp-submission"],
    target: { kind: "remote", host: "127.0.0.1", port: server.port },
    filters: [],
    jobs: 3,
    timeoutMultiplier: 1,
    expectedFailures: new Set(expected.map((x) => `smtp-submission/${x}`)),
    level: "MUST",
    ca: readFileSync(certPaths().cert, "utf8"),
  });
  return new Map(report.results.map((r) => [r.id.slice("smtp-submission/".length), r]));
}

describe("runCases", () => {
  it("reports each outcome with its status, failure and wire log", async () => {
    const r = await outcomes([
      c("T-1/passes", async (t) => void (await (await t.smtp()).greeting())),
      c("T-1/fails", async (t) => {
        const s = await t.smtp();
        await s.greeting(250);
      }),
      c("T-1/throws", async () => {
        throw new TypeError("a bug in the case");
      }),
      c("T-1/skips", async (t) => t.skip("not applicable")),
      c("T-1/expected", async (t) => t.check(false, "known gap", "x", "y")),
      c("T-1/unexpectedly-passes", async () => {}),
    ], ["T-1/expected", "T-1/unexpectedly-passes"]);
    assert.equal(r.get("T-1/passes")?.status, "pass");
    assert.equal(r.get("T-1/passes")?.log, undefined, "no wire log kept for a pass");
    const f = r.get("T-1/fails")!;
    assert.deepEqual([f.status, f.failure?.expected, f.failure?.seen], ["fail", "250", "220 hello"]);
    assert.ok(f.log!.some((e) => e.from === "shim" && e.text === "220 hello"));
    assert.equal(r.get("T-1/throws")?.status, "error");
    assert.match(r.get("T-1/throws")!.failure!.message, /runner error: a bug in the case/);
    assert.deepEqual([r.get("T-1/skips")?.status, r.get("T-1/skips")?.skipReason], ["skip", "not applicable"]);
    assert.equal(r.get("T-1/expected")?.status, "xfail");
    assert.equal(r.get("T-1/unexpectedly-passes")?.status, "xpass");
  });

  it("fails a case that overruns its limit, and survives what it throws later", async () => {
    let lateThrow = false;
    const r = await outcomes([
      c(
        "T-2/hangs",
        async (t) => {
          const s = await t.smtp();
          await s.greeting();
          await s.conn.readLine("anything", 2000).catch(() => undefined);
          lateThrow = true;
          throw new Error("thrown after the limit");
        },
        { timeoutMs: 100 },
      ),
    ]);
    assert.equal(r.get("T-2/hangs")?.status, "fail");
    assert.match(r.get("T-2/hangs")!.failure!.message, /did not finish within 100 ms/);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(lateThrow, true, "the case went on after its limit, and its late rejection was absorbed");
  });

  it("runs exclusive cases alone, after the others", async () => {
    const log: string[] = [];
    let running = 0;
    const track = (name: string) => async () => {
      running++;
      log.push(`${name}:${running}`);
      await new Promise((res) => setTimeout(res, 30));
      running--;
    };
    await outcomes([c("T-3/a", track("a")), c("T-3/x", track("x"), { exclusive: true }), c("T-3/b", track("b")), c("T-3/c", track("c"))]);
    assert.equal(log[log.length - 1], "x:1", log.join(" "));
  });
});
