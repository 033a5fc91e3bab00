// Replaying a recorded real-client session against the shim under test: the same client lines,
// sent in the same groups (a pipelining client's batches stay batches), with the case's own
// names and credentials filled in; each server answer must carry one of the acceptable codes,
// POP3 bodies must be well-formed (and RETR bodies byte-exact); afterwards the fake peers must
// have seen what the client's actions imply (messages committed, un-pinned, silenced).

import { CaseFailure, type CaseDef, type SuiteName } from "../case.ts";
import type { CaseContext } from "../context.ts";
import { codeMatches, type CodeExpectation } from "../client/smtp.ts";
import { popMessage } from "../suites/pop3/mod.ts";
import { contentText } from "../suites/smtp-common.ts";
import { printable } from "../wire-log.ts";
import { listDir, path, readText } from "../../src/runtime/fs.ts";
import { fill, parseSession, type Bindings, type SessionFile } from "./session-file.ts";

export const SESSIONS_DIR = new URL("../../fixtures/sessions/", import.meta.url).pathname;

function bindingsFor(t: CaseContext, suite: SuiteName, messages: number): { b: Bindings; contents: string[] } {
  const rcpts = ["bob", "carol", "dave", "erin"].map((l) => t.address(l));
  if (suite === "smtp-list-relay") {
    const lists = ["announce", "devel", "users"].map((l) => `${t.listName(l)}@${t.shim.listDomains[0]}`);
    return { b: { account: "", password: "", sender: t.address("alice"), rcpts, lists }, contents: [] };
  }
  const { account, password } = t.account(suite === "pop3" ? "reader" : "user");
  const contents: string[] = [];
  for (let i = 1; i <= messages; i++) {
    const content = popMessage(t, i);
    const m = t.message({ to: `reader@${t.token}.test`, content, date: 1_000_000 + i });
    t.rna.deliver(account, m.notification);
    contents.push(content);
  }
  return { b: { account, password, sender: t.address("alice"), rcpts, lists: [] }, contents };
}

function at(f: SessionFile, n: number, source: string): string {
  return `${source}:${n}`;
}

async function replay(t: CaseContext, suite: SuiteName, f: SessionFile, source: string): Promise<void> {
  const { b, contents } = bindingsFor(t, suite, f.header.messages);
  if (suite === "pop3") {
    const p = await t.pop3();
    for (const step of f.steps) {
      if (step.kind === "send") {
        await p.conn.sendMany(step.lines.map((l) => fill(l, b)));
        continue;
      }
      const where = at(f, step.at, source);
      const line = await p.conn.expectLine(`the answer recorded at ${where}`);
      const kind = line.startsWith("+OK") ? "+OK" : line.startsWith("-ERR") ? "-ERR" : line.startsWith("+") ? "+" : "?";
      if (!step.codes.includes(kind)) throw new CaseFailure(`the answer differs from what the real client got (${where})`, step.codes.join(" or "), printable(line));
      if (step.body !== undefined && kind === "+OK") {
        const body = await p.body(`the body recorded at ${where}`);
        if (typeof step.body === "object") {
          const got = body.map((l) => `${l}\r\n`).join("");
          const want = contents[step.body.message - 1] ?? "";
          if (got !== want) throw new CaseFailure(`message ${step.body.message} differs from what the store holds (${where}, POP-7)`, `${want.length} octets`, `${got.length} octets`);
        }
      }
    }
  } else {
    const s = await t.smtp();
    // The message octets the client sent after each 354, unstuffed: what the store must receive.
    const messages: string[] = [];
    let data: string[] | undefined;
    for (const step of f.steps) {
      if (step.kind === "send") {
        const lines = step.lines.map((l) => fill(l, b));
        for (const l of lines) {
          if (data === undefined) continue;
          if (l === ".") {
            messages.push(data.map((x) => `${x.startsWith(".") ? x.slice(1) : x}\r\n`).join(""));
            data = undefined;
          } else data.push(l);
        }
        await s.conn.sendMany(lines);
        continue;
      }
      const where = at(f, step.at, source);
      const r = await s.reply(`the reply recorded at ${where}`);
      const want = step.codes.map((c) => (/^\d{3}$/.test(c) ? Number(c) : c)) as CodeExpectation;
      if (!codeMatches(r.code, want)) throw new CaseFailure(`the reply differs from what the real client got (${where})`, step.codes.join(" or "), printable(r.raw));
      if (r.code === 354) data = [];
    }
    const committed = () => t.store.committed().map(contentText);
    await t.waitFor("the store to commit the messages", () => committed().length >= Math.min(messages.length, f.header.expect.committed ?? 0)).catch(() => {});
    for (const [i, got] of committed().entries()) {
      const want = messages[i];
      // The list relay prepends one Received: field (LST-5); otherwise the octets are the client's.
      if (want !== undefined && !(got === want || (suite === "smtp-list-relay" && got.endsWith(want))))
        throw new CaseFailure(`message ${i + 1} reached the store changed (SUB-10: dot-unstuffed, octets unchanged)`, printable(want.slice(0, 200)), printable(got.slice(0, 200)));
    }
  }
  const ex = f.header.expect;
  if (ex.committed !== undefined) await t.waitFor(`${ex.committed} committed message(s) at the store`, () => t.store.committed().length === ex.committed).catch(() => {
    throw new CaseFailure("the store holds a different number of messages than the real client's session implies", `${ex.committed} committed`, `${t.store.committed().length}`);
  });
  const count = (k: "unpinned" | "silenced") => [...t.store.messages.values()].filter((m) => m[k] > 0).length;
  for (const k of ["unpinned", "silenced"] as const) {
    const n = ex[k];
    if (n !== undefined) await t.waitFor(`${n} ${k} message(s)`, () => count(k) === n).catch(() => {
      throw new CaseFailure(`the store saw a different number of ${k} messages than the real client's session implies`, `${n}`, `${count(k)}`);
    });
  }
}

/** One case per session file under fixtures/sessions/<suite>/. */
export async function loadReplayCases(dir = SESSIONS_DIR): Promise<CaseDef<CaseContext>[]> {
  const out: CaseDef<CaseContext>[] = [];
  for (const suite of ["smtp-submission", "smtp-list-relay", "pop3"] as const) {
    const files = (await listDir(path.join(dir, suite))).filter((f) => f.endsWith(".session")).sort();
    for (const name of files) {
      const source = `fixtures/sessions/${suite}/${name}`;
      const f = parseSession(await readText(path.join(dir, suite, name)), source);
      if (!f.header.id.startsWith(`${suite}/replay/`)) throw new Error(`${source}: the id must start with ${suite}/replay/`);
      out.push({
        id: f.header.id,
        level: f.header.level,
        ref: f.header.ref,
        requirement: `${f.header.requirement} (replay of ${f.header.client}, ${source})`,
        kind: "replay",
        run: (t) => replay(t, suite, f, source),
      });
    }
  }
  return out;
}
