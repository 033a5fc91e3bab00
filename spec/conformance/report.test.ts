// The reporters, checked structurally on a fixed run: JSON fields and summary, JUnit counts and
// escaping, the HTML page's failure blocks and escaped wire log, the badge SVG and shields.io
// endpoint, the --report parser, the writer (through the runtime layer) and the exit status.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CaseResult } from "../../conformance/case.ts";
import type { RunReport } from "../../conformance/runner.ts";
import { jsonReport, REPORT_FORMAT } from "../../conformance/report/json.ts";
import { junitReport } from "../../conformance/report/junit.ts";
import { htmlReport } from "../../conformance/report/html.ts";
import { badgeEndpointJson, badgeFor, badgeSvg } from "../../conformance/report/badge.ts";
import { endpointPathFor, parseReportSpec, writeReports } from "../../conformance/report/write.ts";
import { exitStatus, summarise } from "../../conformance/report/summary.ts";
import { finalReport, summaryTable } from "../../conformance/report/terminal.ts";

const log = [
  { t: 1, conn: "smtp#1", from: "client" as const, kind: "line" as const, text: "DATA" },
  { t: 3, conn: "msoap#2", from: "shim" as const, kind: "pdu" as const, text: 'CommandSubmitEnvelope{recipients=[a@b], lifetime=60}' },
  { t: 4, conn: "msoap#2", from: "store" as const, kind: "pdu" as const, text: "Response{errornotpermitted, ResponseSubmitEnvelope{recipients=[submissionaccessdenied]}}" },
  { t: 5, conn: "smtp#1", from: "shim" as const, kind: "line" as const, text: "250 <script>alert(1)</script> & \x01" },
];

function result(id: string, level: CaseResult["level"], status: CaseResult["status"], extra: Partial<CaseResult> = {}): CaseResult {
  return { id, suite: id.split("/")[0] as CaseResult["suite"], level, ref: `shims ${id.split("/")[1]}`, requirement: `requirement of ${id}`, status, durationMs: 12, ...extra };
}

const results: CaseResult[] = [
  result("smtp-submission/SUB-1/greeting-and-ehlo", "MUST", "pass"),
  result("smtp-submission/SUB-9/partial-envelope-denied", "MUST", "fail", { failure: { message: "the DATA reply names the refused recipient", expected: "a@b", seen: '250 <ok> "quoted"' }, log }),
  result("smtp-submission/SUB-10/eight-bit-octets", "SHOULD", "skip", { skipReason: "8BITMIME is not advertised" }),
  result("smtp-submission/SUB-11/identifier-in-the-250", "MUST", "xfail", { failure: { message: "no identifier" }, log }),
  result("smtp-submission/SUB-12/dsn-not-advertised", "MUST", "xpass"),
  result("pop3/POP-9/unpin-failure-keeps-message", "MUST", "error", { failure: { message: "runner error: boom", detail: "stack" }, log }),
  result("pop3/POP-1/sasl-plain", "SHOULD", "pass"),
];

const run: RunReport = { results, startedAt: "2026-01-01T00:00:00.000Z", durationMs: 1234, suites: ["smtp-submission", "pop3"], level: "MUST", target: "exec: ./my-shim" };

describe("summarise and exitStatus", () => {
  it("counts by suite and level", () => {
    const s = summarise(results);
    assert.deepEqual({ ...s.bySuite.get("smtp-submission")!.get("MUST") }, { pass: 1, fail: 1, error: 0, skip: 0, xfail: 1, xpass: 1, total: 4 });
    assert.equal(s.total.total, 7);
  });
  it("is 1 when a MUST fails, 0 when only expected failures and lower levels fail", () => {
    assert.equal(exitStatus(results, "MUST"), 1);
    assert.equal(exitStatus([results[0]!, results[3]!, result("x/Y-1/z", "SHOULD", "fail")], "MUST"), 0);
    assert.equal(exitStatus([results[0]!, result("x/Y-1/z", "SHOULD", "fail")], "SHOULD"), 1);
    assert.equal(exitStatus([result("x/Y-1/z", "MAY", "fail")], "SHOULD"), 0);
  });
});

describe("jsonReport", () => {
  it("has every case with its reference, level, status and duration, and wire logs only where kept", () => {
    const j = JSON.parse(jsonReport(run, { runtime: "node 20", seed: 7 }));
    assert.equal(j.format, REPORT_FORMAT);
    assert.equal(j.cases.length, results.length);
    const failed = j.cases.find((c: { id: string }) => c.id === "smtp-submission/SUB-9/partial-envelope-denied");
    assert.deepEqual([failed.ref, failed.level, failed.status, failed.durationMs], ["shims SUB-9", "MUST", "fail", 12]);
    assert.equal(failed.failure.expected, "a@b");
    assert.equal(failed.wireLog.length, 4);
    assert.equal(j.cases[0].wireLog, undefined);
    assert.equal(j.summary["smtp-submission"].MUST.fail, 1);
    assert.equal(j.seed, 7);
  });
});

describe("junitReport", () => {
  const xml = junitReport(run);
  it("has one testsuite per suite with consistent counts", () => {
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>/);
    assert.match(xml, /<testsuites name="im2000-conformance" tests="7" failures="1" errors="1" skipped="2"/);
    assert.match(xml, /<testsuite name="smtp-submission" tests="5" failures="1" errors="0" skipped="2"/);
    assert.match(xml, /<testsuite name="pop3" tests="2" failures="0" errors="1" skipped="0"/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 7);
  });
  it("escapes markup and drops control characters", () => {
    assert.ok(!xml.includes("<script>"));
    assert.ok(xml.includes("&lt;script&gt;"));
    assert.ok(!xml.includes("\x01"));
    assert.match(xml, /<failure message="the DATA reply names the refused recipient" type="MUST">/);
    assert.match(xml, /seen:     250 &lt;ok&gt; &quot;quoted&quot;/);
    assert.match(xml, /<skipped message="expected failure: no identifier"\/>/);
  });
});

describe("htmlReport", () => {
  const html = htmlReport(run, { runtime: "node 20" });
  it("is self-contained and lists every case", () => {
    assert.ok(!/<script|<link|src=/.test(html));
    for (const r of results) assert.ok(html.includes(r.id), r.id);
  });
  it("shows each failure with expected, seen and its escaped, decoded wire log of both sides", () => {
    const block = html.slice(html.indexOf('id="smtp-submission/SUB-9/partial-envelope-denied"'));
    assert.match(block, /<dt>expected<\/dt><dd>a@b<\/dd>/);
    assert.match(block, /class="shim">[^<]*shim→\s+CommandSubmitEnvelope/);
    assert.match(block, /class="store">[^<]*←store\s+Response\{errornotpermitted/);
    assert.ok(block.includes("&lt;script&gt;alert(1)&lt;/script&gt; &amp;"));
  });
});

describe("badge", () => {
  it("counts passing MUST cases that ran", () => {
    const b = badgeFor(results);
    assert.deepEqual(b, { label: "im2000 smtp-submission+pop3", message: "2/5 MUST", color: "red" });
    assert.deepEqual(badgeFor([results[0]!]), { label: "im2000 smtp-submission", message: "1/1 MUST", color: "brightgreen" });
  });
  it("renders an SVG and a shields.io endpoint document", () => {
    const b = badgeFor([results[0]!]);
    const svg = badgeSvg(b);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="20"/);
    assert.ok(svg.includes(">im2000 smtp-submission<") && svg.includes(">1/1 MUST<"));
    assert.deepEqual(JSON.parse(badgeEndpointJson(b)), { schemaVersion: 1, label: "im2000 smtp-submission", message: "1/1 MUST", color: "brightgreen" });
  });
});

describe("terminal output", () => {
  it("prints each failure with requirement, reference, expected vs seen and the wire log, then the table", () => {
    let text = "";
    finalReport(run, { write: (s) => (text += s), isTty: false });
    assert.match(text, /FAIL smtp-submission\/SUB-9\/partial-envelope-denied\n {2}level: {7}MUST\n {2}reference: {3}shims SUB-9\n {2}requirement: requirement of/);
    assert.match(text, /expected: {4}a@b\n {2}seen: {8}250 <ok> "quoted"/);
    assert.match(text, /msoap#2 +shim→ +CommandSubmitEnvelope/);
    assert.match(text, /XPASS smtp-submission\/SUB-12\/dsn-not-advertised/);
    assert.match(summaryTable(run, { write() {}, isTty: false }), /smtp-submission +MUST +1 +1 +0 +1 +1 +4/);
  });
});

describe("--report", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "conformance-report-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("parses KIND:FILE lists and refuses anything else", () => {
    assert.deepEqual(parseReportSpec("json:a.json,junit:b.xml"), [{ kind: "json", file: "a.json" }, { kind: "junit", file: "b.xml" }]);
    assert.throws(() => parseReportSpec("pdf:x.pdf"), /KIND:FILE/);
    assert.throws(() => parseReportSpec("json:"), /KIND:FILE/);
    assert.equal(endpointPathFor("out/badge.svg"), "out/badge.json");
  });

  it("writes every report, creating directories, and the badge's endpoint next to it", async () => {
    const files = await writeReports(parseReportSpec(`json:${dir}/r/a.json,junit:${dir}/r/b.xml,html:${dir}/c.html,badge:${dir}/badge.svg`), run, { runtime: "node" });
    assert.equal(files.length, 5);
    assert.equal(JSON.parse(readFileSync(join(dir, "r/a.json"), "utf8")).cases.length, 7);
    assert.match(readFileSync(join(dir, "r/b.xml"), "utf8"), /<testsuites/);
    assert.match(readFileSync(join(dir, "c.html"), "utf8"), /<!doctype html>/);
    assert.match(readFileSync(join(dir, "badge.svg"), "utf8"), /<svg/);
    assert.equal(JSON.parse(readFileSync(join(dir, "badge.json"), "utf8")).schemaVersion, 1);
  });
});
