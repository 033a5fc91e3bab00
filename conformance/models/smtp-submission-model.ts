// Model of an SMTP submission shim (shims SUB-*, RFC 5321), small on purpose: where the session
// is in the mail transaction, how many recipients it holds, and how many envelopes and committed
// messages the store must have seen. Random commands (valid and invalid) meet random store
// behaviour (per-recipient verdicts, chunk failures); after every command the replies and the
// fake store's records must agree with the model.

import fc from "fast-check";
import { CaseFailure, type CaseDef } from "../case.ts";
import type { CaseContext } from "../context.ts";
import { codeMatches, dotStuff, type CodeExpectation, type SmtpClient } from "../client/smtp.ts";
import { connected, contentText } from "../suites/smtp-common.ts";
import { SUB13 } from "../suites/smtp-submission/mod.ts";
import { printable } from "../wire-log.ts";
import { runModel } from "./harness.ts";

interface Model {
  phase: "idle" | "mail" | "rcpt";
  rcpts: string[];
  envelopes: number;
  committed: number;
  closed: boolean;
  readonly maxRcpt: number;
  lastMessage?: string;
}

interface Real {
  readonly t: CaseContext;
  readonly s: SmtpClient;
  readonly baseEnvelopes: number;
  readonly baseCommitted: number;
  seq: number;
}

async function expectReply(r: Real, line: string, want: CodeExpectation): Promise<number> {
  const reply = await r.s.cmd(line);
  if (!codeMatches(reply.code, want)) throw new CaseFailure(`model: unexpected reply to "${line}"`, Array.isArray(want) ? want.join(" or ") : String(want), printable(reply.raw));
  return reply.code;
}

/** The store's records must match the model after every command. */
function checkStore(m: Model, r: Real): void {
  const st = r.t.store;
  const env = st.submissions.length - r.baseEnvelopes;
  if (env !== m.envelopes) throw new CaseFailure("model: envelopes at the store (one per DATA with recipients, none at MAIL/RCPT: SUB-4, SUB-9)", String(m.envelopes), String(env));
  const com = st.committed().length - r.baseCommitted;
  if (com !== m.committed) throw new CaseFailure("model: committed messages at the store (one per 250 at the end of DATA: SUB-11)", String(m.committed), String(com));
  if (st.violations.length > 0) throw new CaseFailure("model: the store saw IM2000 rule breaches (GEN-1)", "none", st.violations.join("; "));
}

const open = (m: Readonly<Model>) => !m.closed;

class Noop implements fc.AsyncCommand<Model, Real> {
  check = open;
  async run(m: Model, r: Real) {
    await expectReply(r, "NOOP", 250);
    checkStore(m, r);
  }
  toString() {
    return "NOOP";
  }
}

class Rset implements fc.AsyncCommand<Model, Real> {
  check = open;
  async run(m: Model, r: Real) {
    await expectReply(r, "RSET", 250);
    m.phase = "idle";
    m.rcpts = [];
    checkStore(m, r);
  }
  toString() {
    return "RSET";
  }
}

class Ehlo implements fc.AsyncCommand<Model, Real> {
  check = open;
  async run(m: Model, r: Real) {
    // RFC 5321 §4.1.4: EHLO clears the transaction like RSET.
    await expectReply(r, "EHLO model.conformance.test", 250);
    m.phase = "idle";
    m.rcpts = [];
    checkStore(m, r);
  }
  toString() {
    return "EHLO";
  }
}

class Mail implements fc.AsyncCommand<Model, Real> {
  readonly valid: boolean;
  constructor(valid: boolean) {
    this.valid = valid;
  }
  check = open;
  async run(m: Model, r: Real) {
    if (!this.valid) {
      // Inside a transaction either fault may be reported first: syntax (501) or sequence (503).
      await expectReply(r, "MAIL FROM:<two@@at.example>", m.phase === "idle" ? [501, 553, 555] : [501, 503, 553, 555]);
    } else {
      const code = await expectReply(r, `MAIL FROM:<${r.t.address("sender")}>`, m.phase === "idle" ? 250 : [250, 503]);
      if (code === 250) {
        m.phase = "mail";
        m.rcpts = [];
      }
    }
    checkStore(m, r);
  }
  toString() {
    return this.valid ? "MAIL valid" : "MAIL malformed";
  }
}

class Rcpt implements fc.AsyncCommand<Model, Real> {
  readonly kind: "valid" | "literal" | "syntax";
  constructor(kind: "valid" | "literal" | "syntax") {
    this.kind = kind;
  }
  check = open;
  async run(m: Model, r: Real) {
    const addr = this.kind === "valid" ? r.t.address(`r${r.seq++}`) : this.kind === "literal" ? "user@[192.0.2.1]" : "a@@b.example";
    if (m.phase === "idle") await expectReply(r, `RCPT TO:<${addr}>`, this.kind === "valid" ? 503 : [501, 503]);
    else if (this.kind !== "valid") await expectReply(r, `RCPT TO:<${addr}>`, 501);
    else if (m.rcpts.length >= m.maxRcpt) await expectReply(r, `RCPT TO:<${addr}>`, 452);
    else {
      await expectReply(r, `RCPT TO:<${addr}>`, 250);
      m.rcpts.push(addr);
      m.phase = "rcpt";
    }
    checkStore(m, r);
  }
  toString() {
    return `RCPT ${this.kind}`;
  }
}

type Verdict = "acceptable" | "submissionaccessdenied";

class Data implements fc.AsyncCommand<Model, Real> {
  readonly verdicts: Verdict[];
  readonly chunkStatus: string;
  readonly lines: string[];
  constructor(verdicts: Verdict[], chunkStatus: string, lines: string[]) {
    this.verdicts = verdicts;
    this.chunkStatus = chunkStatus;
    this.lines = lines;
  }
  check = open;
  async run(m: Model, r: Real) {
    if (m.phase !== "rcpt") {
      await expectReply(r, "DATA", [503, 554]);
      checkStore(m, r);
      return;
    }
    const verdicts = m.rcpts.map((_, i) => this.verdicts[i % this.verdicts.length]!);
    r.t.store.replies.push("envelope", { recipients: verdicts });
    const denied = m.rcpts.filter((_, i) => verdicts[i] === "submissionaccessdenied");
    m.envelopes++;
    m.phase = "idle";
    m.rcpts = [];
    if (denied.length > 0) {
      const reply = await r.s.cmd("DATA");
      if (!codeMatches(reply.code, "5xx")) throw new CaseFailure("model: DATA with a denied recipient (SUB-9)", "5xx", printable(reply.raw));
      for (const d of denied) if (!reply.text.toLowerCase().includes(d.toLowerCase())) throw new CaseFailure("model: the DATA reply names each denied recipient (SUB-9)", d, printable(reply.raw));
      // The abandoned transaction may still be closing at the store: wait until it is over.
      await r.t.waitFor("the abandoned transaction to end", () => r.t.store.submissions.every((x) => x.state !== "open"));
      checkStore(m, r);
      return;
    }
    await expectReply(r, "DATA", 354);
    if (this.chunkStatus !== "noerror") r.t.store.replies.push("chunk", { status: this.chunkStatus });
    const msg = `Subject: model\r\n\r\n${this.lines.map((l) => `${l}\r\n`).join("")}`;
    await r.s.conn.sendRaw(dotStuff(msg), `[message, ${this.lines.length} lines]`);
    await r.s.conn.sendRaw(".\r\n", ".");
    const mapped = SUB13.find((x) => x.status === this.chunkStatus);
    const reply = await r.s.reply("the end of DATA");
    if (mapped === undefined) {
      if (reply.code !== 250) throw new CaseFailure("model: the end of DATA when the store commits", "250", printable(reply.raw));
      m.committed++;
      const last = r.t.store.committed().at(-1);
      if (last === undefined || contentText(last) !== msg) throw new CaseFailure("model: the stored content is the message, dot-unstuffed (SUB-10)", printable(msg.slice(0, 120)), last === undefined ? "nothing" : printable(contentText(last).slice(0, 120)));
    } else {
      if (reply.code !== mapped.code) throw new CaseFailure(`model: the end of DATA when the store answers ${this.chunkStatus} (SUB-13)`, String(mapped.code), printable(reply.raw));
      if (mapped.closes === true) {
        m.closed = true;
        await r.s.conn.closedWithin(r.t.timeoutMs);
      }
      await r.t.waitFor("the failed transaction to end", () => r.t.store.submissions.every((x) => x.state !== "open"));
    }
    checkStore(m, r);
  }
  toString() {
    return `DATA verdicts=[${this.verdicts.map((v) => (v === "acceptable" ? "ok" : "deny")).join(",")}] chunk=${this.chunkStatus} lines=${JSON.stringify(this.lines)}`;
  }
}

/** MAIL, n valid RCPTs and DATA in a row: the common path, so most runs reach the store. */
class Transaction implements fc.AsyncCommand<Model, Real> {
  readonly rcpts: number;
  readonly data: Data;
  constructor(rcpts: number, data: Data) {
    this.rcpts = rcpts;
    this.data = data;
  }
  check = open;
  async run(m: Model, r: Real) {
    await new Rset().run(m, r);
    await new Mail(true).run(m, r);
    for (let i = 0; i < this.rcpts; i++) await new Rcpt("valid").run(m, r);
    await this.data.run(m, r);
  }
  toString() {
    return `transaction(${this.rcpts} RCPT, ${this.data.toString()})`;
  }
}

class Unknown implements fc.AsyncCommand<Model, Real> {
  readonly verb: string;
  constructor(verb: string) {
    this.verb = verb;
  }
  check = open;
  async run(m: Model, r: Real) {
    await expectReply(r, this.verb, [500, 502]);
    checkStore(m, r);
  }
  toString() {
    return `unknown ${JSON.stringify(this.verb)}`;
  }
}

const line = fc.constantFrom("", ".", "..", ".x", "text", "a b c", " ", "\t", "From me", "MAIL FROM:<x@y>");
const statuses = ["noerror", "noerror", "noerror", ...SUB13.map((x) => x.status)];
const data = fc
  .tuple(fc.array(fc.constantFrom<Verdict>("acceptable", "acceptable", "acceptable", "submissionaccessdenied"), { minLength: 1, maxLength: 4 }), fc.constantFrom(...statuses), fc.array(line, { maxLength: 6 }))
  .map(([v, s, l]) => new Data(v, s, l));

export const smtpSubmissionModel: CaseDef<CaseContext> = {
  id: "smtp-submission/model/random-sessions",
  level: "MUST",
  ref: "shims SUB-4…SUB-14; RFC 5321 §4.1.4",
  requirement: "Random command sequences (valid and invalid) with random store verdicts and failures: every reply, every envelope and every committed message as a small model of SUB-4…SUB-14 and RFC 5321's state machine predicts.",
  kind: "model",
  timeoutMs: 180_000,
  async run(t) {
    await runModel(t, {
      setup: fc.constant(null),
      maxCommands: 12,
      commands: [
        fc.constant(new Noop()),
        fc.constant(new Rset()),
        fc.constant(new Ehlo()),
        fc.boolean().map((v) => new Mail(v)),
        fc.constantFrom("valid", "valid", "valid", "literal", "syntax").map((k) => new Rcpt(k as "valid" | "literal" | "syntax")),
        data,
        fc.constantFrom("XYZZY", "FOO bar", "MAILX FROM:<a@b>", "RCPTTO").map((v) => new Unknown(v)),
        fc.tuple(fc.integer({ min: 1, max: 3 }), data).map(([n, d]) => new Transaction(n, d)),
        fc.tuple(fc.integer({ min: 1, max: 3 }), data).map(([n, d]) => new Transaction(n, d)),
      ],
      async start(t, _setup) {
        const { account, password } = t.account("model");
        const s = await connected(t);
        await s.authPlain(account, password, 235);
        const model: Model = { phase: "idle", rcpts: [], envelopes: 0, committed: 0, closed: false, maxRcpt: t.shim.maxRecipients };
        return { model, real: { t, s, baseEnvelopes: t.store.submissions.length, baseCommitted: t.store.committed().length, seq: 0 } };
      },
      async stop(real) {
        real.s.conn.dispose();
      },
    });
  },
};
