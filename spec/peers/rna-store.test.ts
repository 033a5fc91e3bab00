// RnaStore (im2000 §12.2, §14, §18 C-5): de-duplication keeps the newest, unknown mailboxes are
// dropped, RetrieveAndClear is oldest first across mailboxes and capped, the per-mailbox cap
// drops the oldest, and everything survives a restart on the same directory.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { makeTempDir, removeTree } from "../../src/runtime/fs.ts";
import { DirStorage, MemoryStorage, type Storage } from "../../src/storage/storage.ts";
import { RnaStore } from "../../src/peers/rna/rna-store.ts";
import type { ClientLocation, Notification } from "../../src/im2000/types.ts";

const submitter: ClientLocation = { address: { kind: "version4", value: Uint8Array.of(192, 0, 2, 2) }, port: 4000 };

function note(local: string, id: number, sender = `s${id}`, domain = ["example", "org"]): Notification {
  return {
    storeclear: { kind: "literals", value: [{ address: { kind: "version4", value: Uint8Array.of(127, 0, 0, 1) }, port: 8193 }] },
    recipient: { localpart: local, domain },
    identifier: new Uint8Array(16).fill(id),
    sender,
  };
}

function clockAt(seconds: { t: number }) {
  return { now: () => seconds.t * 1000, setTimer: () => ({ cancel() {} }) };
}

async function withStorages(fn: (s: Storage, reopen: () => Storage) => Promise<void>): Promise<void> {
  const mem = new MemoryStorage();
  await fn(mem, () => mem);
  const dir = await makeTempDir("im2000-rna-");
  try {
    await fn(new DirStorage(dir), () => new DirStorage(dir));
  } finally {
    await removeTree(dir);
  }
}

describe("RnaStore", () => {
  it("RnaStore C-5 keeps the newest duplicate, drops unknown mailboxes, and survives a restart", async () => {
    await withStorages(async (storage, reopen) => {
      const now = { t: 1000 };
      const opts = { clock: clockAt(now), mailboxes: ["lucy@example.org", "ops@example.org"] };
      let rna = await RnaStore.open(storage, opts);
      assert.equal(await rna.accept([note("lucy", 1, "old"), note("nobody", 2), note("ops", 3)], submitter), 2);
      now.t = 1001;
      // Same store, identifier and recipient (domain in another case): a duplicate → keep newest.
      assert.equal(await rna.accept([note("lucy", 1, "new", ["EXAMPLE", "Org"]), note("lucy", 4)], submitter), 2);
      await rna.close();
      rna = await RnaStore.open(reopen(), opts);
      const got = await rna.retrieveAndClear(["lucy@example.org", "ops@example.org"], 1000);
      assert.deepEqual(got.map((g) => g.notification.sender), ["s3", "new", "s4"]); // oldest first, across mailboxes
      assert.deepEqual(got[1]!.submitter, submitter);
      assert.equal(got[1]!.date, 1001);
      assert.deepEqual(await rna.retrieveAndClear(["lucy@example.org", "ops@example.org"], 1000), []);
      await rna.close();
      rna = await RnaStore.open(reopen(), opts);
      assert.deepEqual(await rna.retrieveAndClear(["lucy@example.org"], 1000), [], "cleared stays cleared after a restart");
      await rna.close();
    });
  });

  it("RnaStore caps each answer and each mailbox (oldest dropped)", async () => {
    await withStorages(async (storage) => {
      const rna = await RnaStore.open(storage, { clock: clockAt({ t: 5 }), mailboxes: ["lucy@example.org"], maxPerMailbox: 250 });
      for (let b = 0; b < 3; b++) await rna.accept(Array.from({ length: 100 }, (_, i) => note("lucy", 0, `n${b * 100 + i}`)).map((n, i) => ({ ...n, identifier: Uint8Array.from({ length: 16 }, (_, k) => (k === 0 ? b : k === 1 ? i : 9)) })), submitter);
      const first = await rna.retrieveAndClear(["lucy@example.org"], 100);
      assert.equal(first.length, 100);
      assert.equal(first[0]!.notification.sender, "n50", "the 50 oldest were dropped by the cap");
      const rest = await rna.retrieveAndClear(["lucy@example.org"], 1000);
      assert.equal(rest.length, 150);
      assert.equal(rest[149]!.notification.sender, "n299");
      await rna.close();
    });
  });
});
