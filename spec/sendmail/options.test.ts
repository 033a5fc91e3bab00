// parseArgs: the sendmail command line (shims LOC-1), as real callers write it.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseArgs, UsageError } from "../../src/sendmail/options.ts";

describe("parseArgs", () => {
  it("LOC-1 cronie's command line: -FCronDaemon -i -odi -oem -oi -t -f root", () => {
    const o = parseArgs(["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"]);
    assert.equal(o.mode, "deliver");
    assert.equal(o.extractRecipients, true);
    assert.equal(o.ignoreDots, true);
    assert.equal(o.sender, "root");
    assert.equal(o.fullName, "CronDaemon");
    assert.deepEqual(o.recipients, []);
    assert.ok(o.notes.some((n) => n.startsWith("-odi:")), "-odi is noted");
    assert.ok(o.notes.some((n) => n.startsWith("-oem:")), "-oem is noted");
  });

  it("LOC-1 Debian cron's command lines (the issue's order and the binary's format string)", () => {
    for (const argv of [
      ["-i", "-FCronDaemon", "-B8BITMIME", "-oem", "lucy"],
      ["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "lucy"],
    ]) {
      const o = parseArgs(argv);
      assert.equal(o.extractRecipients, false);
      assert.equal(o.ignoreDots, true);
      assert.equal(o.fullName, "CronDaemon");
      assert.deepEqual(o.recipients, ["lucy"]);
      assert.ok(o.notes.some((n) => n.startsWith("-B8BITMIME:")));
    }
  });

  it("LOC-1 PHP (-t -i), mailutils (-oi -f a -t), s-nail (-i -- rcpts), nodemailer (-i -f a rcpts), Symfony/Laravel (-bs, -bs -i)", () => {
    assert.deepEqual(pick(parseArgs(["-t", "-i"])), { mode: "deliver", t: true, i: true, sender: undefined, rcpts: [] });
    assert.deepEqual(pick(parseArgs(["-oi", "-f", "alice@example.org", "-t"])), { mode: "deliver", t: true, i: true, sender: "alice@example.org", rcpts: [] });
    assert.deepEqual(pick(parseArgs(["-i", "--", "lucy@example.org", "ops@example.org"])), { mode: "deliver", t: false, i: true, sender: undefined, rcpts: ["lucy@example.org", "ops@example.org"] });
    assert.deepEqual(pick(parseArgs(["-i", "-f", "a@example.org", "lucy@example.org"])), { mode: "deliver", t: false, i: true, sender: "a@example.org", rcpts: ["lucy@example.org"] });
    assert.equal(parseArgs(["-bs"]).mode, "smtp");
    assert.equal(parseArgs(["-bs", "-i"]).mode, "smtp");
    // Symfony's -t mode with a sender appended: -f'addr' arrives as one argument.
    assert.equal(parseArgs(["-t", "-fsender@example.org"]).sender, "sender@example.org");
  });

  it("LOC-1 clustered flags are split as getopt splits them", () => {
    const o = parseArgs(["-ti", "-oem", "-vf", "root", "bob@example.org"]);
    assert.equal(o.extractRecipients, true);
    assert.equal(o.ignoreDots, true);
    assert.equal(o.verbose, true);
    assert.equal(o.sender, "root");
    assert.deepEqual(o.recipients, ["bob@example.org"]);
    assert.equal(parseArgs(["-itfroot"]).sender, "root");
  });

  it("LOC-1 every accepted letter is accepted, with and without its value attached", () => {
    const withValue = ["A", "B", "b", "C", "d", "F", "f", "h", "L", "N", "O", "o", "p", "q", "R", "r", "V", "X"];
    const values: Record<string, string> = { b: "m", o: "i", O: "IgnoreDots=true" };
    for (const l of withValue) {
      const v = values[l] ?? "x1";
      assert.doesNotThrow(() => parseArgs([`-${l}${v}`, "a@example.org"]), `-${l}${v}`);
      assert.doesNotThrow(() => parseArgs([`-${l}`, v, "a@example.org"]), `-${l} ${v}`);
    }
    for (const l of ["G", "i", "n", "t", "U", "v"]) assert.doesNotThrow(() => parseArgs([`-${l}`, "a@example.org"]), `-${l}`);
  });

  it("LOC-1 LOC-7 -N, -R, -V (DSN) and the other unhonoured flags are accepted and noted for -v", () => {
    const o = parseArgs(["-N", "never", "-R", "hdrs", "-V", "envid1", "-Am", "-C", "/etc/mail/sendmail.cf", "-d0.1", "-G", "-h", "5", "-L", "tag", "-n", "-psmtp:host", "-U", "-X", "/tmp/log", "-O", "Timeout=5", "-oQ/var/spool", "a@example.org"]);
    assert.deepEqual(o.recipients, ["a@example.org"]);
    for (const flag of ["-N", "-R", "-V", "-Am", "-C", "-d0.1", "-G", "-h", "-L", "-n", "-psmtp", "-U", "-X", "-O", "-oQ"]) {
      assert.ok(o.notes.some((n) => n.startsWith(flag)), `a note for ${flag}: ${o.notes.join(" | ")}`);
    }
  });

  it("LOC-1 sendmail's obsolete forms: -d alone takes no value; -q and -C alone take one only if it is not an option", () => {
    assert.equal(parseArgs(["-q"]).mode, "run-queue");
    assert.equal(parseArgs(["-q1h"]).mode, "run-queue");
    assert.deepEqual(parseArgs(["-d", "bob@example.org"]).recipients, ["bob@example.org"]);
    const c = parseArgs(["-C", "-t", "bob@example.org"]);
    assert.equal(c.extractRecipients, true);
    assert.deepEqual(c.recipients, ["bob@example.org"]);
    assert.deepEqual(parseArgs(["-C", "/etc/mail/submit.cf", "bob@example.org"]).recipients, ["bob@example.org"]);
  });

  it("LOC-1 -b modes: m and s; p (mailq) and i (newaliases) have nothing to do; daemon and test modes are usage errors", () => {
    assert.equal(parseArgs(["-bm", "a@example.org"]).mode, "deliver");
    assert.equal(parseArgs(["-bp"]).mode, "print-queue");
    assert.equal(parseArgs(["-bi"]).mode, "init-aliases");
    for (const m of ["d", "D", "t", "v", "h"]) assert.throws(() => parseArgs([`-b${m}`]), UsageError);
  });

  it("-oi, -O IgnoreDots and their negations", () => {
    assert.equal(parseArgs(["-oi"]).ignoreDots, true);
    assert.equal(parseArgs(["-oif"]).ignoreDots, false);
    assert.equal(parseArgs(["-O", "IgnoreDots"]).ignoreDots, true);
    assert.equal(parseArgs(["-OIgnoreDots=false"]).ignoreDots, false);
    assert.equal(parseArgs(["-i", "-OIgnoreDots=no"]).ignoreDots, false);
  });

  it("-- ends the options; the first operand ends them too, so later dashes are recipients", () => {
    assert.deepEqual(parseArgs(["-i", "--", "-t"]).recipients, ["-t"]);
    assert.equal(parseArgs(["-i", "--", "-t"]).extractRecipients, false);
    const o = parseArgs(["bob@example.org", "-t"]);
    assert.deepEqual(o.recipients, ["bob@example.org", "-t"]);
    assert.equal(o.extractRecipients, false);
  });

  it("historic sendmail letters outside LOC-1 (-m, -s, -I, -e…, -M…, -D, -Q…, -T…) are accepted and noted for -v (issue 7)", () => {
    const o = parseArgs(["-m", "-s", "-em", "-MrSMTP", "-D", "/tmp/dbg", "-Qhold", "-T5d", "-v", "lucy@example.org"]);
    assert.deepEqual(o.recipients, ["lucy@example.org"]);
    assert.equal(o.notes.length, 7);
    assert.equal(parseArgs(["-I"]).mode, "init-aliases", "-I is the old -bi");
  });

  it("LOC-1 LOC-5 a letter that is no sendmail option at all is a usage error naming it", () => {
    for (const l of ["Z", "x", "w", "E", "c", "1", "?"]) {
      assert.throws(() => parseArgs([`-${l}`]), (e) => e instanceof UsageError && e.message.includes(`-${l}`), `-${l}`);
    }
    assert.throws(() => parseArgs(["-tZ"]), UsageError, "inside a cluster too");
  });

  it("a value-taking option at the end of the arguments is a usage error", () => {
    assert.throws(() => parseArgs(["-t", "-f"]), (e) => e instanceof UsageError && /-f requires a value/.test(e.message));
    assert.throws(() => parseArgs(["-o"]), UsageError);
  });

  it("LOC-1 property: any command line made of accepted letters parses, and operands come back unchanged", () => {
    const letter = fc.constantFrom("t", "i", "v", "G", "n", "U", "f", "r", "F", "o", "O", "B", "N", "R", "V", "A", "h", "L", "p", "X", "d", "C");
    const valued = new Set(["f", "r", "F", "o", "O", "B", "N", "R", "V", "A", "h", "L", "p", "X", "d", "C"]);
    const flag = fc.tuple(letter, fc.stringMatching(/^[a-z0-9=.]{1,8}$/)).map(([l, v]) => (valued.has(l) ? `-${l}${v}` : `-${l}`));
    const operand = fc.stringMatching(/^[a-z]{1,6}@example\.org$/);
    fc.assert(
      fc.property(fc.array(flag, { maxLength: 12 }), fc.array(operand, { maxLength: 4 }), (flags, ops) => {
        const o = parseArgs([...flags, "--", ...ops]);
        assert.deepEqual(o.recipients, ops);
      }),
    );
  });
});

function pick(o: ReturnType<typeof parseArgs>) {
  return { mode: o.mode, t: o.extractRecipients, i: o.ignoreDots, sender: o.sender, rcpts: o.recipients };
}
