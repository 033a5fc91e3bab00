// The notification store: the same behaviour in memory and on disk (one suite, two stores), and
// for the file store durability across reopen, compaction, and torn tails.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { MemoryNoteStore } from "../../src/notes/memory-store.ts";
import { FileNoteStore } from "../../src/notes/file-store.ts";
import { hexIdentifier, TOMBSTONE_SECONDS, type NewNote, type NoteStore } from "../../src/notes/notes.ts";

let clock = 1_800_000_000;
const now = () => clock;
let idc = 0;
function note(tag = ++idc): NewNote {
  const identifier = new Uint8Array(16);
  identifier[0] = 7;
  new DataView(identifier.buffer).setUint32(12, tag);
  return {
    notification: { storeclear: { kind: "domain", value: ["store", "example"] }, recipient: { localpart: "lucy", domain: ["example", "org"] }, identifier, sender: "toby", size: tag },
    date: 1_790_000_000 + tag,
  };
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "im2000-notes-"));
  dirs.push(d);
  return d;
};

const stores: [string, () => Promise<NoteStore>][] = [
  ["MemoryNoteStore", async () => new MemoryNoteStore(now)],
  ["FileNoteStore", async () => FileNoteStore.open(tmp(), { now })],
];

for (const [name, make] of stores) {
  describe(`${name} behaviour`, () => {
    it("keeps notes in arrival order with increasing UIDs; drops duplicates (C-5)", async () => {
      const s = await make();
      const m = await s.open("lucy");
      const [a, b] = [note(), note()];
      const r1 = await m.add([a, b, a]);
      assert.deepEqual(r1.added.map((n) => n.uid), [1, 2]);
      assert.equal(r1.duplicates.length, 1);
      const r2 = await m.add([b, note()]);
      assert.deepEqual(r2.added.map((n) => n.uid), [3]);
      assert.deepEqual(m.list().map((n) => n.uid), [1, 2, 3]);
      assert.ok(m.uidValidity > 0);
      await s.close();
    });
    it("removed identifiers are tombstoned for 90 days; UIDs are never reused (IMAP-3)", async () => {
      const s = await make();
      const m = await s.open("lucy");
      const a = note();
      const [saved] = (await m.add([a])).added;
      await m.remove([saved!.uid]);
      assert.equal((await m.add([a])).added.length, 0, "re-notification dropped");
      clock += TOMBSTONE_SECONDS + 1;
      const again = await m.add([a]);
      assert.equal(again.added.length, 1, "after 90 days it is new again");
      assert.ok(again.added[0]!.uid > saved!.uid);
      await s.close();
    });
    it("flags, sizes and silence are kept per UID and announced to watchers", async () => {
      const s = await make();
      const m = await s.open("lucy");
      const seen: string[] = [];
      const stop = m.watch((c) => seen.push(c.kind));
      const [n] = (await m.add([note()])).added;
      await m.setFlags(n!.uid, ["\\Seen", "\\Flagged", "\\Seen"]);
      await m.setSize(n!.uid, 4321);
      await m.setSilenced(n!.uid);
      const got = m.get(n!.uid)!;
      assert.deepEqual(got.flags, ["\\Flagged", "\\Seen"]);
      assert.equal(got.size, 4321);
      assert.equal(got.silenced, true);
      stop();
      assert.deepEqual(seen, ["added", "flags"]);
      await s.close();
    });
    it("locks: POP3 is exclusive; IMAP sessions share but exclude POP3 (POP-2)", async () => {
      const s = await make();
      const p = s.lock("lucy", "pop3")!;
      assert.equal(s.lock("lucy", "pop3"), undefined);
      assert.equal(s.lock("lucy", "imap"), undefined);
      assert.ok(s.lock("max", "pop3"));
      p();
      const i1 = s.lock("lucy", "imap")!;
      const i2 = s.lock("lucy", "imap")!;
      assert.equal(s.lock("lucy", "pop3"), undefined);
      i1();
      i2();
      assert.ok(s.lock("lucy", "pop3"));
      await s.close();
    });
  });
}

describe("FileNoteStore durability", () => {
  it("everything survives a reopen: notes, UIDs, UIDVALIDITY, flags, sizes, tombstones", async () => {
    const dir = tmp();
    const s1 = await FileNoteStore.open(dir, { now });
    const m1 = await s1.open("lucy");
    const [a, b, c] = [note(), note(), note()];
    const added = (await m1.add([a, b, c])).added;
    await m1.setFlags(added[1]!.uid, ["\\Seen"]);
    await m1.setSize(added[1]!.uid, 77);
    await m1.remove([added[0]!.uid]);
    const validity = m1.uidValidity;
    await s1.release(m1);
    await s1.close();
    const s2 = await FileNoteStore.open(dir, { now });
    const m2 = await s2.open("lucy");
    assert.equal(m2.uidValidity, validity);
    assert.deepEqual(m2.list().map((n) => [n.uid, hexIdentifier(n.identifier), n.flags, n.size]), [
      [2, hexIdentifier(b.notification.identifier), ["\\Seen"], 77],
      [3, hexIdentifier(c.notification.identifier), [], undefined],
    ]);
    assert.equal((await m2.add([a])).added.length, 0, "tombstone survived");
    assert.equal((await m2.add([note()])).added[0]!.uid, 4, "uidNext survived");
    await s2.close();
  });
  it("sizes and silence marks set after the last durable change still reach the disk at release", async () => {
    const dir = tmp();
    const s1 = await FileNoteStore.open(dir, { now });
    const m1 = await s1.open("lucy");
    const added = (await m1.add([note(), note(), note()])).added;
    for (const n of added) {
      await m1.setSize(n.uid, 100 + n.uid);
      await m1.setSilenced(n.uid);
    }
    await s1.release(m1); // only cache ops since the add: they are gathered in memory until here
    await s1.close();
    const s2 = await FileNoteStore.open(dir, { now });
    const m2 = await s2.open("lucy");
    assert.deepEqual(m2.list().map((n) => [n.uid, n.size, n.silenced]), added.map((n) => [n.uid, 100 + n.uid, true]));
    await s2.close();
  });
  it("compaction keeps the mailbox identical and drops old segments", async () => {
    const dir = tmp();
    const s1 = await FileNoteStore.open(dir, { now, segmentBytes: 4096, compactAfterBytes: 2048 });
    const m1 = await s1.open("max");
    for (let i = 0; i < 60; i++) await m1.add([note()]);
    const uids = m1.list().map((n) => n.uid);
    await m1.remove(uids.slice(0, 50));
    const before = m1.list().map((n) => [n.uid, hexIdentifier(n.identifier)]);
    await s1.release(m1);
    const accountDir = join(dir, "notes", readdirSync(join(dir, "notes"))[0]!);
    const sub = readdirSync(accountDir)[0]!;
    const segs = readdirSync(join(accountDir, sub, "log"));
    assert.ok(readdirSync(join(accountDir, sub)).includes("snapshot"));
    assert.ok(segs.length <= 2, `old segments dropped: ${segs}`);
    await s1.close();
    const s2 = await FileNoteStore.open(dir, { now });
    const m2 = await s2.open("max");
    assert.deepEqual(m2.list().map((n) => [n.uid, hexIdentifier(n.identifier)]), before);
    assert.equal((await m2.add([note()])).added[0]!.uid, 61);
    await s2.close();
  });
  it("a torn tail (garbage after the last batch) is cut off on open", async () => {
    const dir = tmp();
    const s1 = await FileNoteStore.open(dir, { now });
    const m1 = await s1.open("zoe");
    await m1.add([note(), note()]);
    await s1.close();
    const accountDir = join(dir, "notes", readdirSync(join(dir, "notes"))[0]!);
    const logDir = join(accountDir, readdirSync(accountDir)[0]!, "log");
    appendFileSync(join(logDir, readdirSync(logDir).sort().at(-1)!), Uint8Array.of(0, 0, 0, 50, 1, 2, 3));
    const s2 = await FileNoteStore.open(dir, { now });
    const m2 = await s2.open("zoe");
    assert.equal(m2.list().length, 2);
    assert.equal((await m2.add([note()])).added.length, 1);
    await s2.close();
    const s3 = await FileNoteStore.open(dir, { now });
    assert.equal((await s3.open("zoe")).list().length, 3);
    await s3.close();
  });
  it("random operation sequences give the same mailbox after a reopen as before (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constant("add" as const), fc.constant("remove" as const), fc.constant("flag" as const)), { maxLength: 25 }), async (ops) => {
        const dir = tmp();
        const s = await FileNoteStore.open(dir, { now, segmentBytes: 2048, compactAfterBytes: 1024 });
        let m = await s.open("p");
        for (const op of ops) {
          const list = m.list();
          if (op === "add") await m.add([note(), note()]);
          else if (op === "remove" && list.length > 0) await m.remove([list[0]!.uid]);
          else if (op === "flag" && list.length > 0) await m.setFlags(list[list.length - 1]!.uid, ["\\Answered"]);
          if (Math.random() < 0.2) {
            await s.release(m);
            m = await s.open("p");
          }
        }
        const expected = m.list().map((n) => [n.uid, n.flags.join(",")]);
        await s.release(m);
        await s.close();
        const s2 = await FileNoteStore.open(dir, { now });
        assert.deepEqual((await s2.open("p")).list().map((n) => [n.uid, n.flags.join(",")]), expected);
        await s2.close();
      }),
      { numRuns: 25 },
    );
  });
});
