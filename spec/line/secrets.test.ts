// GEN-3 / SEC-7: with wire tracing on at debug level, no password (nor its base64) reaches the log,
// whichever way a client sends it: SMTP AUTH PLAIN and LOGIN (initial response or continuation),
// POP3 USER/PASS and AUTH PLAIN.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startSmtpService } from "../../src/smtp/service.ts";
import { startPop3Service } from "../../src/pop3/service.ts";
import { MemoryNoteStore } from "../../src/notes/memory-store.ts";
import { createLogger } from "../../src/util/log.ts";
import { FakeStore } from "../helpers/fake-store.ts";
import { FakeRna } from "../helpers/fake-reader-peers.ts";
import { b64, LineClient } from "../helpers/line-client.ts";
import { redactSmtp } from "../../src/smtp/driver.ts";
import { redactPop3 } from "../../src/pop3/driver.ts";
import { createTrace } from "../../src/line/trace.ts";

const SECRET = "Tr0ub4dor&3-horse";
const forbidden = [SECRET, b64(`\0alice\0${SECRET}`), b64(`alice\0alice\0${SECRET}`), b64(SECRET)];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function assertClean(lines: string[]): void {
  assert.ok(lines.some((l) => l.includes("wire")), "the trace was on");
  for (const l of lines) for (const f of forbidden) assert.ok(!l.includes(f), `secret leaked: ${l}`);
}

describe("credentials never reach the log (GEN-3)", () => {
  it("redactors", () => {
    assert.equal(redactSmtp(`AUTH PLAIN ${b64("\0a\0b")}`), "AUTH PLAIN [redacted]");
    assert.equal(redactSmtp("auth login YWxpY2U="), "auth login [redacted]");
    assert.equal(redactSmtp("MAIL FROM:<a@b>"), "MAIL FROM:<a@b>");
    assert.equal(redactPop3("pass hunter2 with spaces"), "PASS [redacted]");
    assert.equal(redactPop3("AUTH PLAIN abc="), "AUTH PLAIN [redacted]");
    const seen: string[] = [];
    const t = createTrace((l) => seen.push(l), redactSmtp);
    t.secretNext();
    t.client("c2VjcmV0");
    t.client("NOOP");
    t.server("250 OK");
    assert.deepEqual(seen, ["C: [redacted]", "C: NOOP", "S: 250 OK"]);
  });

  it("SMTP AUTH PLAIN and LOGIN in every form", async () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l), "debug");
    const store = await FakeStore.start({ accounts: { alice: SECRET } });
    const smtp = await startSmtpService({ role: "submission", hostname: "h", listen: [{ host: "127.0.0.1", port: 0 }], store: { kind: "address", host: "127.0.0.1", port: store.port }, traceWire: true, log });
    cleanups.push(() => store.stop(), () => smtp.close());
    const port = smtp.ports[0]!.port;
    const forms: string[][] = [
      [`AUTH PLAIN ${b64(`\0alice\0${SECRET}`)}`],
      ["AUTH PLAIN", b64(`alice\0alice\0${SECRET}`)],
      [`AUTH LOGIN ${b64("alice")}`, b64(SECRET)],
      ["AUTH LOGIN", b64("alice"), b64(SECRET)],
    ];
    for (const form of forms) {
      const c = await LineClient.connect(port);
      await c.reply();
      await c.cmd("EHLO x");
      let r;
      for (const line of form) r = await c.cmd(line);
      assert.equal(r!.code, 235);
      await c.cmd("QUIT");
      c.close();
    }
    assertClean(lines);
  });

  it("POP3 USER/PASS and AUTH PLAIN", async () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l), "debug");
    const rna = await FakeRna.start();
    rna.accounts.set("alice", SECRET);
    const pop = await startPop3Service({ hostname: "h", listen: [{ host: "127.0.0.1", port: 0 }], rna: { kind: "address", host: "127.0.0.1", port: rna.port }, notes: new MemoryNoteStore(), traceWire: true, log });
    cleanups.push(() => rna.stop(), () => pop.close());
    for (const form of [["USER alice", `PASS ${SECRET}`], [`AUTH PLAIN ${b64(`\0alice\0${SECRET}`)}`], ["AUTH PLAIN", b64(`\0alice\0${SECRET}`)]]) {
      const c = await LineClient.connect(pop.ports[0]!.port);
      await c.line();
      let last = "";
      for (const line of form) {
        await c.send(line);
        last = (await c.line())!;
      }
      assert.match(last, /^\+OK/);
      await c.send("QUIT");
      await c.line();
      c.close();
    }
    assertClean(lines);
  });
});
