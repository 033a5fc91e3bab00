// Recorded real-client sessions: the C:/S: format (parse, errors, round trip), placeholders
// (credentials never reach a file), the recorder's transcription of a pipelined SMTP exchange
// and a POP3 exchange with SASL and multi-line bodies, and the stored sessions themselves.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fill, formatSession, parseSession, redact, SessionSyntaxError, type Bindings } from "../../conformance/replay/session-file.ts";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadReplayCases, SESSIONS_DIR } from "../../conformance/replay/replay-case.ts";
import { transcribe } from "../../scripts/record.ts";

const b: Bindings = { account: "lucy.c1", password: "s3cret!", sender: "alice@c1.example", rcpts: ["bob@c1.example", "carol@c1.example"], lists: [] };
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

const SAMPLE = `# id: smtp-submission/replay/sample
# client: sample 1.0
# level: MUST
# ref: shims SUB-4
# requirement: a sample
# expect: committed 1
S: 220
C: EHLO x
S: 250
C: MAIL FROM:<{sender}>
C: RCPT TO:<{rcpt2}>
S: 250
S: 250|251
S: 2xx
`;

describe("session files", () => {
  it("parse headers, grouped client lines and sets of acceptable codes", () => {
    const f = parseSession(SAMPLE, "sample");
    assert.deepEqual(f.header.expect, { committed: 1 });
    assert.deepEqual(f.steps.map((s) => (s.kind === "send" ? s.lines.join("+") : s.codes.join("|"))), ["220", "EHLO x", "250", "MAIL FROM:<{sender}>+RCPT TO:<{rcpt2}>", "250", "250|251", "2xx"]);
    assert.equal(formatSession(f), SAMPLE);
  });

  it("reject what they cannot replay, naming the line", () => {
    assert.throws(() => parseSession(SAMPLE + "S: ok\n", "f"), (e: unknown) => e instanceof SessionSyntaxError && /f:15:/.test(e.message));
    assert.throws(() => parseSession(SAMPLE + "X: what\n", "f"), SessionSyntaxError);
    assert.throws(() => parseSession(SAMPLE.replace("# level: MUST\n", ""), "f"), /lacks "# level:"/);
    assert.throws(() => parseSession(SAMPLE.replace("committed 1", "delivered 1"), "f"), /# expect:/);
  });

  it("replace credentials and addresses by placeholders, and back", () => {
    const line = `AUTH PLAIN ${b64("\0lucy.c1\0s3cret!")}`;
    assert.equal(redact(line, b), "AUTH PLAIN {b64:plain}");
    assert.equal(redact(b64("lucy.c1\0lucy.c1\0s3cret!"), b), "{b64:plain-authzid}");
    assert.equal(redact("PASS s3cret!", b), "PASS {password}");
    assert.equal(redact("To: <carol@c1.example>, <bob@c1.example>", b), "To: <{rcpt2}>, <{rcpt}>");
    assert.equal(fill("AUTH PLAIN {b64:plain}", b), line);
    assert.equal(fill("RCPT TO:<{rcpt2}>", b), "RCPT TO:<carol@c1.example>");
  });
});

describe("transcribe", () => {
  const c = (s: string) => ({ from: "c" as const, data: Buffer.from(s, "latin1") });
  const s = (x: string) => ({ from: "s" as const, data: Buffer.from(x, "latin1") });

  it("keeps a pipelined SMTP batch together and multi-line replies as one code", () => {
    const steps = transcribe("smtp-submission", [s("220 hi\r\n"), c("EHLO x\r\n"), s("250-a\r\n250 b\r\n"), c("MAIL FROM:<alice@c1.example>\r\nRCPT TO:<bob@c1.example>\r\nDATA\r\n"), s("250 ok\r\n250 ok\r\n354 go\r\n"), c("..dot\r\n.\r\n"), s("250 fine\r\n")], b);
    const text = formatSession({ header: { id: "x/replay/y", client: "c", level: "MUST", ref: "r", requirement: "q", messages: 0, expect: {} }, steps });
    assert.match(text, /S: 220\nC: EHLO x\nS: 250\nC: MAIL FROM:<\{sender\}>\nC: RCPT TO:<\{rcpt\}>\nC: DATA\nS: 250\nS: 250\nS: 354\nC: \.\.dot\nC: \.\nS: 250\n$/);
  });

  it("marks POP3 bodies, RETR bodies by message, and SASL continuations", () => {
    const steps = transcribe("pop3", [s("+OK ready\r\n"), c("CAPA\r\n"), s("+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n"), c("AUTH PLAIN\r\n"), s("+ \r\n"), c(`${b64("\0lucy.c1\0s3cret!")}\r\n`), s("+OK in\r\n"), c("RETR 2\r\n"), s("+OK 5\r\n.x\r\n.\r\n"), c("QUIT\r\n"), s("+OK bye\r\n")], b);
    const lines = formatSession({ header: { id: "x/replay/y", client: "c", level: "MUST", ref: "r", requirement: "q", messages: 2, expect: {} }, steps }).split("\n").filter((l) => !l.startsWith("#"));
    assert.deepEqual(lines.filter(Boolean), ["S: +OK", "C: CAPA", "S: +OK [multi]", "C: AUTH PLAIN", "S: +", "C: {b64:plain}", "S: +OK", "C: RETR 2", "S: +OK [message 2]", "C: QUIT", "S: +OK"]);
  });
});

describe("fixtures/sessions", () => {
  it("hold at least eight different real clients, none with a credential in clear", async () => {
    const cases = await loadReplayCases();
    const clients = new Set(cases.map((c) => c.id.split("/")[2]));
    assert.ok(clients.size >= 8, [...clients].join(", "));
    for (const suite of ["smtp-submission", "smtp-list-relay", "pop3"]) {
      assert.ok(cases.some((c) => c.id.startsWith(`${suite}/replay/`)), suite);
      for (const f of readdirSync(join(SESSIONS_DIR, suite))) {
        const text = readFileSync(join(SESSIONS_DIR, suite, f), "utf8");
        assert.doesNotMatch(text, /secret-rec\d|^C: (AUTH PLAIN|PASS|USER) (?!\{)[^\n]/m, `${suite}/${f} holds a credential`);
      }
    }
  });
});
