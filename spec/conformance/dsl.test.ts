// The client DSL of the conformance cases, against small scripted line servers: SMTP reply
// parsing (multi-line, enhanced codes, malformed lines), expectations that fail with expected vs
// seen, timeouts, pipelining, STARTTLS/STLS with the runner's certificate (and the check that no
// plaintext is left over), POP3 multi-line bodies, dot-stuffing, and the wire log.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { listen, type Conn, type Listener } from "../../src/runtime/net.ts";
import { LineConn } from "../../conformance/client/line-conn.ts";
import { SmtpClient, codeMatches, dotStuff } from "../../conformance/client/smtp.ts";
import { Pop3Client } from "../../conformance/client/pop3.ts";
import { CaseFailure } from "../../conformance/case.ts";
import { WireLog, formatLog } from "../../conformance/wire-log.ts";
import { certPaths } from "../../conformance/target.ts";

const cert = readFileSync(certPaths().cert, "utf8");
const key = readFileSync(certPaths().key, "utf8");
const listeners: Listener[] = [];

after(async () => {
  for (const l of listeners) await l.close();
});

/** A server that answers each received line through `answer` (may return undefined for silence). */
async function lineServer(greeting: string, answer: (line: string, conn: { c: Conn; tls: (c: Conn) => void }) => string | undefined | Promise<string | undefined>): Promise<number> {
  const l = await listen({ host: "127.0.0.1", port: 0 }, (c0) => {
    let c = c0;
    void (async () => {
      await c.write(greeting);
      let buf = "";
      for (;;) {
        const chunk = await c.read().catch(() => null);
        if (chunk === null) return;
        buf += Buffer.from(chunk).toString("latin1");
        let i: number;
        while ((i = buf.indexOf("\r\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let upgraded: Conn | undefined;
          const out = await answer(line, { c, tls: (n) => (upgraded = n) });
          if (out !== undefined) await c.write(out);
          if (line.toUpperCase() === "STARTTLS" || line.toUpperCase() === "STLS") {
            c = await c.upgradeToTlsServer({ cert, key }, 2000);
            buf = "";
          }
          void upgraded;
        }
      }
    })().catch(() => c.destroy());
  });
  listeners.push(l);
  return l.port;
}

async function client(port: number, timeoutMs = 1000): Promise<{ conn: LineConn; log: WireLog }> {
  const log = new WireLog();
  return { conn: await LineConn.open("smtp#1", { host: "127.0.0.1", port }, log, timeoutMs, cert), log };
}

describe("SmtpClient", () => {
  it("parses multi-line EHLO replies into extensions and enhanced codes", async () => {
    const port = await lineServer("220 hi\r\n", (l) => (l.startsWith("EHLO") ? "250-hello\r\n250-SIZE 1000\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n" : "250 2.1.0 ok\r\n"));
    const { conn, log } = await client(port);
    const s = new SmtpClient(conn);
    await s.greeting();
    await s.ehlo();
    assert.equal(s.extensions.get("SIZE"), "1000");
    assert.deepEqual(s.authMechanisms(), ["PLAIN", "LOGIN"]);
    const r = await s.cmd("MAIL FROM:<a@b>", 250);
    assert.equal(r.enhanced, "2.1.0");
    assert.deepEqual(log.entries.filter((e) => e.kind === "line").map((e) => `${e.from} ${e.text}`).slice(0, 3), ["shim 220 hi", "client EHLO client.conformance.test", "shim 250-hello"]);
    conn.dispose();
  });

  it("fails with expected and seen when the code differs", async () => {
    const port = await lineServer("220 hi\r\n", () => "550 5.7.1 no\r\n");
    const { conn } = await client(port);
    const s = new SmtpClient(conn);
    await s.greeting();
    await assert.rejects(s.cmd("RCPT TO:<x@y>", [250, "4xx"]), (e: unknown) => e instanceof CaseFailure && e.expected === "250 or 4xx" && e.seen === "550 5.7.1 no" && /RCPT TO/.test(e.message));
    conn.dispose();
  });

  it("rejects malformed reply lines and mixed codes in one reply (RFC 5321 §4.2)", async () => {
    const port = await lineServer("220 hi\r\n", (l) => (l === "A" ? "hello there\r\n" : "250-one\r\n251 two\r\n"));
    const { conn } = await client(port);
    const s = new SmtpClient(conn);
    await s.greeting();
    await assert.rejects(s.cmd("A"), (e: unknown) => e instanceof CaseFailure && /malformed SMTP reply/.test(e.message));
    await assert.rejects(s.cmd("B"), (e: unknown) => e instanceof CaseFailure && /different codes/.test(e.message));
    conn.dispose();
  });

  it("times out with a CaseFailure naming what it waited for", async () => {
    const port = await lineServer("220 hi\r\n", () => undefined);
    const { conn, log } = await client(port, 150);
    const s = new SmtpClient(conn);
    await s.greeting();
    await assert.rejects(s.cmd("NOOP", 250), (e: unknown) => e instanceof CaseFailure && /nothing within 150 ms while waiting for the reply to "NOOP"/.test(e.message) && e.seen === "nothing");
    assert.ok(log.entries.some((e) => e.kind === "event" && /nothing within 150 ms/.test(e.text)));
    conn.dispose();
  });

  it("sends pipelined commands in one write and reads the replies in order", async () => {
    let lines = 0;
    const port = await lineServer("220 hi\r\n", () => `250 reply ${++lines}\r\n`);
    const { conn } = await client(port);
    const s = new SmtpClient(conn);
    await s.greeting();
    await conn.sendMany(["MAIL FROM:<a@b>", "RCPT TO:<c@d>", "RCPT TO:<e@f>"]);
    assert.deepEqual([(await s.reply()).text, (await s.reply()).text, (await s.reply()).text], ["reply 1", "reply 2", "reply 3"]);
    conn.dispose();
  });

  it("upgrades with STARTTLS, trusting the runner's certificate", async () => {
    const port = await lineServer("220 hi\r\n", (l) => (l === "STARTTLS" ? "220 go ahead\r\n" : "250 fine\r\n"));
    const { conn } = await client(port);
    const s = new SmtpClient(conn);
    await s.greeting();
    await s.starttls();
    assert.equal(conn.encrypted, true);
    await s.cmd("NOOP", 250);
    conn.dispose();
  });

  it("reports data sent between the TLS go-ahead and the handshake", async () => {
    const port = await lineServer("220 hi\r\n", (l) => (l === "STARTTLS" ? "220 go ahead\r\n250 injected\r\n" : "250 fine\r\n"));
    const { conn } = await client(port);
    const s = new SmtpClient(conn);
    await s.greeting();
    await assert.rejects(s.starttls(), (e: unknown) => e instanceof CaseFailure && /before the handshake/.test(e.message));
    conn.dispose();
  });

  it("sees the server close the connection after QUIT", async () => {
    const port = await lineServer("220 hi\r\n", (l, { c }) => {
      if (l === "QUIT") {
        void c.write("221 bye\r\n").then(() => c.end());
        return undefined;
      }
      return "250 ok\r\n";
    });
    const { conn } = await client(port);
    const s = new SmtpClient(conn);
    await s.greeting();
    await s.quit();
    assert.equal(await conn.closedWithin(100), true);
  });
});

describe("LineConn limits", () => {
  it("fails on a line that never ends instead of buffering without bound", async () => {
    const port = await lineServer("220 hi\r\n", (l, { c }) => {
      if (l === "FLOOD") {
        const junk = "x".repeat(64 * 1024);
        void (async () => {
          for (let i = 0; i < 40; i++) await c.write(junk).catch(() => {});
        })();
        return undefined;
      }
      return "250 ok\r\n";
    });
    const { conn } = await client(port, 3000);
    const s = new SmtpClient(conn);
    await s.greeting();
    await assert.rejects(s.cmd("FLOOD"), (e: unknown) => e instanceof CaseFailure && /longer than 1048576 octets/.test(e.message));
    conn.dispose();
  });
});

describe("dotStuff", () => {
  it("doubles a leading dot on every line and ends with CRLF (RFC 5321 §4.5.2)", () => {
    assert.equal(dotStuff(".a\r\nb\r\n..c"), "..a\r\nb\r\n...c\r\n");
    assert.equal(dotStuff("x.y\r\n"), "x.y\r\n");
  });
  it("codeMatches understands classes and lists", () => {
    assert.equal(codeMatches(451, "4xx"), true);
    assert.equal(codeMatches(451, [250, 354]), false);
    assert.equal(codeMatches(354, [250, 354]), true);
  });
});

describe("Pop3Client", () => {
  it("reads status lines, response codes and dot-unstuffed multi-line bodies", async () => {
    const port = await lineServer("+OK ready\r\n", (l) => {
      if (l === "RETR 1") return "+OK 12 octets\r\n..dotted\r\nplain\r\n.\r\n";
      if (l.startsWith("PASS")) return "-ERR [SYS/TEMP] try later\r\n";
      return "+OK\r\n";
    });
    const { conn } = await client(port);
    const p = new Pop3Client(conn);
    await p.greeting();
    await p.cmd("USER u", "+OK");
    const st = await p.cmd("PASS p", "-ERR");
    assert.equal(st.code, "SYS/TEMP");
    assert.equal(await p.retr(1), ".dotted\r\nplain\r\n");
    conn.dispose();
  });

  it("upgrades with STLS", async () => {
    const port = await lineServer("+OK ready\r\n", () => "+OK\r\n");
    const { conn } = await client(port);
    const p = new Pop3Client(conn);
    await p.greeting();
    await p.stls();
    assert.equal(conn.encrypted, true);
    await p.cmd("NOOP", "+OK");
    conn.dispose();
  });

  it("fails on a status line that is neither +OK nor -ERR", async () => {
    const port = await lineServer("HELLO\r\n", () => "+OK\r\n");
    const { conn, log } = await client(port);
    const p = new Pop3Client(conn);
    await assert.rejects(p.greeting(), (e: unknown) => e instanceof CaseFailure && e.seen === "HELLO");
    assert.match(formatLog(log.entries), /S:\s+HELLO/);
    conn.dispose();
  });
});
