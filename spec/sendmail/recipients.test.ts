// buildEnvelope: recipients from the operands and (with -t) from To/Cc/Bcc, Bcc removed
// (shims LOC-2), names without a domain qualified with default_domain.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildEnvelope } from "../../src/sendmail/recipients.ts";
import { formatMailbox } from "../../src/smtp/address.ts";
import { failure } from "./helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function env(operands: string[], message: string, extract: boolean, defaultDomain?: string, maxRecipients = 100) {
  const e = buildEnvelope(operands, enc.encode(message), { extractRecipients: extract, defaultDomain, maxRecipients });
  return { rcpts: e.recipients.map(formatMailbox), message: dec.decode(e.message), labels: e.recipients.map((r) => r.labels.join(".")) };
}

const MSG = 'From: a@example.org\r\nTo: "Lucy L." <lucy@Example.ORG>, team: ann@example.org, bob@example.org;\r\nCc: carl@example.org (Carl),\r\n\tdora@example.org\r\nBcc: eve@example.org\r\nSubject: hi\r\n\r\nTo: body@example.org\r\n';

describe("buildEnvelope", () => {
  it("LOC-2 -t takes To, Cc and Bcc (groups, comments, folded fields) and removes Bcc from the message", () => {
    const e = env([], MSG, true);
    assert.deepEqual(e.rcpts, ["lucy@Example.ORG", "ann@example.org", "bob@example.org", "carl@example.org", "dora@example.org", "eve@example.org"]);
    assert.equal(e.labels[0], "example.org", "SUB-7: labels lower-cased");
    assert.equal(e.message, MSG.replace("Bcc: eve@example.org\r\n", ""), "only the Bcc field is gone; every other octet is the same");
  });

  it("LOC-2 -t adds the header recipients to the operands, without duplicates", () => {
    const e = env(["ops@example.org", "lucy@example.org"], MSG, true);
    assert.deepEqual(e.rcpts.slice(0, 3), ["ops@example.org", "lucy@example.org", "ann@example.org"]);
    assert.equal(e.rcpts.length, 7);
  });

  it("without -t only the operands count, and Bcc is still removed (nodemailer leaves it for sendmail to strip)", () => {
    const e = env(["eve@example.org"], MSG, false);
    assert.deepEqual(e.rcpts, ["eve@example.org"]);
    assert.ok(!e.message.includes("Bcc:"));
  });

  it("Resent-To/Cc/Bcc, when present, replace To/Cc/Bcc (RFC 5322 §3.6.6); Resent-Bcc is removed", () => {
    const m = "Resent-To: ops@example.org\r\nResent-Bcc: hid@example.org\r\nTo: lucy@example.org\r\n\r\nx\r\n";
    const e = env([], m, true);
    assert.deepEqual(e.rcpts, ["ops@example.org", "hid@example.org"]);
    assert.equal(e.message, "Resent-To: ops@example.org\r\nTo: lucy@example.org\r\n\r\nx\r\n");
  });

  it("operands are address lists too: display names and several per argument", () => {
    assert.deepEqual(env(['"Bob B" <bob@example.org>, ann@example.org'], "x\r\n", false).rcpts, ["bob@example.org", "ann@example.org"]);
  });

  it("names without a domain take default_domain (cron's To: lucy, Debian cron's operand)", () => {
    assert.deepEqual(env(["lucy"], "To: root (Cron Daemon)\r\n\r\nx\r\n", true, "example.org").rcpts, ["lucy@example.org", "root@example.org"]);
  });

  it("LOC-5 a name without a domain and no default_domain is 67, and says what to set", () => {
    const f = failure(() => env(["lucy"], "x\r\n", false));
    assert.equal(f.exitCode, 67);
    assert.match(f.message, /no default_domain/);
  });

  it("LOC-5 no recipients at all is 67", () => {
    assert.equal(failure(() => env([], "Subject: x\r\n\r\nx\r\n", true)).exitCode, 67);
    assert.equal(failure(() => env([], "To: undisclosed-recipients:;\r\n\r\nx\r\n", true)).exitCode, 67);
    assert.equal(failure(() => env([], "x\r\n", false)).exitCode, 67);
  });

  it("LOC-5 a bad operand is 67 naming it; an unparseable To: with -t is bad message data (65)", () => {
    const f = failure(() => env(["ok@example.org", "bad<<"], "x\r\n", false));
    assert.equal(f.exitCode, 67);
    assert.match(f.message, /bad<</);
    assert.equal(failure(() => env([], "To: <unterminated@example.org\r\n\r\n", true)).exitCode, 65);
    assert.match(failure(() => env(["x@[192.0.2.1]"], "x\r\n", false)).message, /address literal/);
  });

  it("more recipients than max_recipients is refused (65)", () => {
    const f = failure(() => env(["a@example.org", "b@example.org", "c@example.org"], "x\r\n", false, undefined, 2));
    assert.equal(f.exitCode, 65);
    assert.match(f.message, /max_recipients \(2\)/);
  });
});
