// Model of a POP3 reading shim (shims POP-4…POP-11, RFC 1939): the maildrop frozen at login, the
// deletion marks, and what QUIT or a dropped connection must do at the store. Random maildrops
// (sizes, dot lines, withdrawn messages, un-pin failures) meet random command sequences, valid
// and invalid; every answer, and every UnPin at the end, must be what the model predicts.

import fc from "fast-check";
import { CaseFailure, type CaseDef } from "../case.ts";
import type { CaseContext } from "../context.ts";
import type { Pop3Client } from "../client/pop3.ts";
import type { FakeMessage } from "../peers/case-peers.ts";
import { printable } from "../wire-log.ts";
import { popMessage } from "../suites/pop3/mod.ts";
import { runModel } from "./harness.ts";

interface Msg {
  readonly content: string;
  readonly id: string;
  readonly store: FakeMessage;
  readonly unpinFails: boolean;
  deleted: boolean;
  /** For a withdrawn message: the size the shim announced for its placeholder (POP-11), once seen. */
  placeholderSize?: number;
}

/** The exact size the shim must announce: the message's, or its placeholder's once learnt. */
function sizeOf(x: Msg): number | undefined {
  return x.store.gone ? x.placeholderSize : x.content.length;
}

/** Learns a withdrawn message's placeholder size from a LIST answer, or checks it is stable. */
function learn(x: Msg, announced: number, where: string): void {
  if (!x.store.gone) return;
  if (x.placeholderSize === undefined) x.placeholderSize = announced;
  else if (x.placeholderSize !== announced) fail(`${where}: the size of a withdrawn message's placeholder changes`, String(x.placeholderSize), String(announced));
}

interface Model {
  readonly msgs: Msg[];
  closed: boolean;
}

interface Real {
  readonly t: CaseContext;
  readonly p: Pop3Client;
}

interface Setup {
  readonly bodies: string[][];
  readonly gone: boolean[];
  readonly unpinFails: boolean[];
}

const open = (m: Readonly<Model>) => !m.closed;

function live(m: Model): Msg[] {
  return m.msgs.filter((x) => !x.deleted);
}

/** UnPin commands the store received for a message (successful or not). */
function unpins(r: Real, x: Msg): number {
  return r.t.store.msrapFor(x.id, "unpin").length;
}

function fail(what: string, expected: string, seen: string): never {
  throw new CaseFailure(`model: ${what}`, expected, seen);
}

async function status(r: Real, line: string, ok: boolean) {
  const st = await r.p.cmd(line);
  if (st.ok !== ok) fail(`answer to "${line}"`, ok ? "+OK" : "-ERR", printable(st.raw));
  return st;
}

class Stat implements fc.AsyncCommand<Model, Real> {
  check = open;
  async run(m: Model, r: Real) {
    const st = await status(r, "STAT", true);
    const l = live(m);
    const sizes = l.map(sizeOf);
    const known = sizes.reduce<number>((s, x) => s + (x ?? 0), 0);
    const [count, size] = st.text.split(" ").map(Number);
    if (count !== l.length) fail("STAT counts the messages not marked deleted (RFC 1939 §5)", String(l.length), st.text);
    // Withdrawn messages count with their placeholder's size (POP-11), which STAT alone cannot tell.
    if (sizes.every((x) => x !== undefined) ? size !== known : !(size! > known)) fail("STAT totals the exact sizes (POP-5, RFC 1939 §5)", sizes.every((x) => x !== undefined) ? String(known) : `more than ${known}`, st.text);
  }
  toString() {
    return "STAT";
  }
}

class List implements fc.AsyncCommand<Model, Real> {
  readonly n: number | undefined;
  constructor(n: number | undefined) {
    this.n = n;
  }
  check = open;
  async run(m: Model, r: Real) {
    if (this.n === undefined) {
      const lines = (await r.p.multi("LIST")).lines;
      const shown = new Map(lines.map((l) => l.split(" ").map(Number) as [number, number]));
      m.msgs.forEach((x, i) => shown.has(i + 1) && learn(x, shown.get(i + 1)!, "LIST"));
      const want = m.msgs.map((x, i) => (x.deleted ? undefined : `${i + 1} ${sizeOf(x)}`)).filter((x) => x !== undefined);
      if (lines.join("|") !== want.join("|")) fail("LIST lists each message not marked deleted with its exact size (POP-5)", want.join(", "), lines.join(", "));
      return;
    }
    const msg = m.msgs[this.n - 1];
    const st = await status(r, `LIST ${this.n}`, msg !== undefined && !msg.deleted);
    if (msg === undefined || msg.deleted) return;
    learn(msg, Number(st.text.trim().split(" ")[1]), `LIST ${this.n}`);
    if (st.text.trim() !== `${this.n} ${sizeOf(msg)}`) fail(`LIST ${this.n} gives the exact size (POP-5)`, `${this.n} ${sizeOf(msg)}`, st.text);
  }
  toString() {
    return this.n === undefined ? "LIST" : `LIST ${this.n}`;
  }
}

class Uidl implements fc.AsyncCommand<Model, Real> {
  check = open;
  async run(m: Model, r: Real) {
    const lines = (await r.p.multi("UIDL")).lines;
    const want = m.msgs.map((x, i) => (x.deleted ? undefined : `${i + 1} ${x.id}`)).filter((x) => x !== undefined);
    if (lines.join("|") !== want.join("|")) fail("UIDL is the identifier in lower-case hex (POP-6)", want.join(", "), lines.join(", "));
  }
  toString() {
    return "UIDL";
  }
}

class Retr implements fc.AsyncCommand<Model, Real> {
  readonly n: number;
  constructor(n: number) {
    this.n = n;
  }
  check = open;
  async run(m: Model, r: Real) {
    const msg = m.msgs[this.n - 1];
    const exists = msg !== undefined && !msg.deleted;
    const res = await r.p.multi(`RETR ${this.n}`, exists ? "+OK" : "-ERR");
    if (!exists) return;
    const got = res.lines.map((l) => `${l}\r\n`).join("");
    if (msg.store.gone) {
      // A withdrawn message gets a placeholder (POP-11) whose size is what LIST said (RFC 1939 §5).
      if (msg.placeholderSize !== undefined && got.length !== msg.placeholderSize) fail(`RETR ${this.n} of a withdrawn message returns as many octets as LIST announced`, String(msg.placeholderSize), String(got.length));
      return;
    }
    if (got !== msg.content) fail(`RETR ${this.n} returns the message octet for octet (POP-7)`, `${msg.content.length} octets`, `${got.length} octets`);
  }
  toString() {
    return `RETR ${this.n}`;
  }
}

class Top implements fc.AsyncCommand<Model, Real> {
  readonly n: number;
  readonly k: number;
  constructor(n: number, k: number) {
    this.n = n;
    this.k = k;
  }
  check = open;
  async run(m: Model, r: Real) {
    const msg = m.msgs[this.n - 1];
    const exists = msg !== undefined && !msg.deleted;
    const res = await r.p.multi(`TOP ${this.n} ${this.k}`, exists ? "+OK" : "-ERR");
    if (!exists || msg.store.gone) return;
    const sep = msg.content.indexOf("\r\n\r\n");
    const head = msg.content.slice(0, sep + 2);
    const body = msg.content.slice(sep + 4).split("\r\n").slice(0, -1);
    const want = `${head}\r\n${body.slice(0, this.k).map((l) => `${l}\r\n`).join("")}`;
    const got = res.lines.map((l) => `${l}\r\n`).join("");
    if (got !== want) fail(`TOP ${this.n} ${this.k}: header, empty line, first ${this.k} body lines (POP-8)`, printable(want.slice(-60)), printable(got.slice(-60)));
  }
  toString() {
    return `TOP ${this.n} ${this.k}`;
  }
}

class Dele implements fc.AsyncCommand<Model, Real> {
  readonly n: number;
  constructor(n: number) {
    this.n = n;
  }
  check = open;
  async run(m: Model, r: Real) {
    const msg = m.msgs[this.n - 1];
    const exists = msg !== undefined && !msg.deleted;
    await status(r, `DELE ${this.n}`, exists);
    if (exists) msg.deleted = true;
    if (m.msgs.some((x) => unpins(r, x) > 0)) fail("DELE only marks: no UnPin before QUIT (POP-9)", "no UnPin", "UnPin sent");
  }
  toString() {
    return `DELE ${this.n}`;
  }
}

class Rset implements fc.AsyncCommand<Model, Real> {
  check = open;
  async run(m: Model, r: Real) {
    await status(r, "RSET", true);
    for (const x of m.msgs) x.deleted = false;
  }
  toString() {
    return "RSET";
  }
}

class Noop implements fc.AsyncCommand<Model, Real> {
  check = open;
  async run(_m: Model, r: Real) {
    await status(r, "NOOP", true);
  }
  toString() {
    return "NOOP";
  }
}

class Bad implements fc.AsyncCommand<Model, Real> {
  readonly line: string;
  constructor(line: string) {
    this.line = line;
  }
  check = open;
  async run(_m: Model, r: Real) {
    await status(r, this.line, false);
  }
  toString() {
    return `bad ${JSON.stringify(this.line)}`;
  }
}

class Quit implements fc.AsyncCommand<Model, Real> {
  check = open;
  async run(m: Model, r: Real) {
    const failing = m.msgs.filter((x) => x.deleted && x.unpinFails && !x.store.gone);
    await status(r, "QUIT", failing.length === 0);
    m.closed = true;
    await r.p.conn.closedWithin(r.t.timeoutMs);
    for (const [i, x] of m.msgs.entries()) {
      if (x.deleted && unpins(r, x) === 0 && !x.store.gone) fail(`QUIT un-pins marked message ${i + 1} (POP-9)`, "an UnPin", "none");
      if (!x.deleted && unpins(r, x) > 0) fail(`QUIT un-pins only marked messages (message ${i + 1} was not marked)`, "no UnPin", "UnPin");
    }
  }
  toString() {
    return "QUIT";
  }
}

class Drop implements fc.AsyncCommand<Model, Real> {
  check = open;
  async run(m: Model, r: Real) {
    r.p.conn.drop();
    m.closed = true;
    await r.t.sleep(100);
    if (m.msgs.some((x) => unpins(r, x) > 0)) fail("a dropped connection un-pins nothing (POP-10)", "no UnPin", "UnPin");
  }
  toString() {
    return "drop connection";
  }
}

const bodyLine = fc.constantFrom("", ".", "..", ".x", "text", "a b", "\tt", "From x", "-- ", "end.");
const number = fc.integer({ min: 0, max: 6 });

export const pop3Model: CaseDef<CaseContext> = {
  id: "pop3/model/random-sessions",
  level: "MUST",
  ref: "shims POP-4…POP-11; RFC 1939 §5–§7",
  requirement: "Random maildrops (dot lines, withdrawn messages, un-pin failures) and random command sequences (valid and invalid): every answer and every UnPin at QUIT or after a dropped connection as a small model of POP-4…POP-11 and RFC 1939 predicts.",
  kind: "model",
  timeoutMs: 180_000,
  async run(t) {
    await runModel<Model, Real, Setup>(t, {
      setup: fc.integer({ min: 0, max: 4 }).chain((n) =>
        fc.record({
          bodies: fc.array(fc.array(bodyLine, { maxLength: 6 }), { minLength: n, maxLength: n }),
          gone: fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((a) => a.map((x, i) => x && i % 3 === 2)),
          unpinFails: fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((a) => a.map((x, i) => x && i % 2 === 1)),
        }),
      ),
      maxCommands: 10,
      commands: [
        fc.constant(new Stat()),
        fc.option(number, { nil: undefined }).map((n) => new List(n)),
        fc.constant(new Uidl()),
        number.map((n) => new Retr(n)),
        fc.tuple(number, fc.integer({ min: 0, max: 4 })).map(([n, k]) => new Top(n, k)),
        number.map((n) => new Dele(n)),
        fc.constant(new Rset()),
        fc.constant(new Noop()),
        fc.constantFrom("XYZZY", "RETR", "DELE x", "TOP 1", "LIST -1").map((l) => new Bad(l)),
        fc.constant(new Quit()),
        fc.constant(new Drop()),
      ],
      async start(t, setup) {
        const { account, password } = t.account("model");
        const msgs: Msg[] = [];
        setup.bodies.forEach((lines, i) => {
          const content = popMessage(t, i + 1, lines.map((l) => `${l}\r\n`).join(""));
          const m = t.message({ to: `reader@${t.token}.test`, content, date: 1_000_000 + i });
          if (setup.unpinFails[i]) t.store.repliesFor(m.id).push("unpin", { status: "errorinternalproblem" });
          t.rna.deliver(account, m.notification);
          msgs.push({ content, id: m.id, store: m.message, unpinFails: setup.unpinFails[i] ?? false, deleted: false });
        });
        const p = await t.pop3();
        await p.greeting();
        await p.login(account, password);
        // Withdrawn after login: the shim learns it only when it asks (POP-11).
        setup.gone.forEach((g, i) => {
          if (g) msgs[i]!.store.gone = true;
        });
        return { model: { msgs, closed: false }, real: { t, p } };
      },
      async stop(real) {
        real.p.conn.dispose();
      },
    });
  },
};
