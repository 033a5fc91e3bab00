// POP-2 durability from the outside: once the POP3 shim has answered +OK to a login, the
// notifications it took from the RNA (which deleted them) are on disk. Killing the shim with
// SIGKILL right after that answer must lose none of them.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { FakeMsrap, FakeRna, makeNote } from "../helpers/fake-reader-peers.ts";
import { LineClient } from "../helpers/line-client.ts";
import { spawnTs } from "../helpers/spawn-ts.ts";
import { hexIdentifier } from "../../src/notes/notes.ts";

const SHIM = new URL("../../src/cli/shim.ts", import.meta.url).pathname;

describe("POP3 shim crash safety", () => {
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const s of stops) await s();
  });

  async function startShim(state: string, rnaPort: number) {
    const child = spawnTs(SHIM, ["pop3", "--port", "0", "--rnaqp", `127.0.0.1:${rnaPort}`, "--state-dir", state, "--test-mode"], { ...process.env });
    const m = await child.waitForLine(/pop3 listening on 127\.0\.0\.1:(\d+)/, 30_000);
    return { child, port: Number(m[1]) };
  }

  it("POP-2 notifications saved before +OK survive a SIGKILL right after it", async () => {
    const rna = await FakeRna.start();
    const store = await FakeMsrap.start();
    stops.push(() => rna.stop(), () => store.stop());
    rna.accounts.set("lucy", "pw");
    const notes = [1, 2, 3].map((i) => makeNote(store, "lucy", `Subject: ${i}\r\n\r\nbody ${i}\r\n`));
    rna.queue("lucy", ...notes);
    const state = mkdtempSync(join(tmpdir(), "im2000-pop3-crash-"));

    const first = await startShim(state, rna.port);
    const c = await LineClient.connect(first.port);
    await c.line();
    await c.send("USER lucy");
    await c.line();
    await c.send("PASS pw");
    assert.match((await c.line())!, /^\+OK/);
    first.child.kill("SIGKILL");
    await first.child.exited;
    c.close();
    assert.equal(rna.queues.get("lucy")!.length, 0, "the RNA has handed them out and forgotten them");

    const second = await startShim(state, rna.port);
    stops.push(async () => {
      second.child.kill("SIGKILL");
      await second.child.exited;
    });
    const d = await LineClient.connect(second.port);
    await d.line();
    await d.send("USER lucy");
    await d.line();
    await d.send("PASS pw");
    assert.match((await d.line())!, /^\+OK/);
    await d.send("UIDL");
    assert.match((await d.line())!, /^\+OK/);
    const uids: string[] = [];
    for (let l = await d.line(); l !== "."; l = await d.line()) uids.push(l!.split(" ")[1]!);
    assert.deepEqual(uids, notes.map((n) => hexIdentifier(n.notification.identifier)));
    await d.send("QUIT");
    d.close();
  });
});
