// The storage primitives: record log framing, group commit and torn-tail recovery; the slot
// table against a Map model; fixed arrays.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import fc from "fast-check";
import { makeTempDir, path, removeTree } from "../../src/runtime/fs.ts";
import { FileRecordLog, HEADER_BYTES } from "../../src/storage/record-log.ts";
import { FileSlotTable, MemorySlotTable } from "../../src/storage/slot-table.ts";
import { FileFixedArray } from "../../src/storage/fixed-array.ts";

const enc = new TextEncoder();

describe("FileRecordLog", () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir("im2000-log-");
  });
  after(async () => {
    await removeTree(dir);
  });

  it("FileRecordLog group commit: concurrent appends all resolve and read back in order after reopen", async () => {
    const d = path.join(dir, "a");
    const log = await FileRecordLog.open(d, { segmentBytes: 4096 });
    const payloads = Array.from({ length: 200 }, (_, i) => enc.encode(`record ${i} `.repeat(1 + (i % 7))));
    const locs = await Promise.all(payloads.map((p) => log.append(p)));
    assert.ok(log.segments().length > 1, "rotated into several segments");
    for (let i = 0; i < payloads.length; i++) assert.deepEqual(await log.read(locs[i]!), payloads[i]);
    await log.close();
    const again = await FileRecordLog.open(d, { segmentBytes: 4096 });
    const seen: Uint8Array[] = [];
    for await (const r of again.scan({ segment: 1, offset: HEADER_BYTES })) seen.push(r.payload);
    assert.deepEqual(seen, payloads);
    await again.close();
  });

  it("FileRecordLog recovery truncates a torn tail (short frame, bad CRC, zero fill) and appends after it", async () => {
    for (const damage of ["short", "crc", "zeros"] as const) {
      const d = path.join(dir, `torn-${damage}`);
      const log = await FileRecordLog.open(d);
      await log.append(enc.encode("one"));
      await log.append(enc.encode("two"));
      await log.close();
      const file = path.join(d, "00000001.log");
      const full = fs.readFileSync(file);
      if (damage === "short") fs.writeFileSync(file, full.subarray(0, full.length - 2));
      if (damage === "crc") {
        full[full.length - 1] ^= 0xff;
        fs.writeFileSync(file, full);
      }
      if (damage === "zeros") fs.appendFileSync(file, Buffer.alloc(100));
      const re = await FileRecordLog.open(d);
      await re.append(enc.encode("three"));
      const seen: string[] = [];
      for await (const r of re.scan({ segment: 1, offset: HEADER_BYTES })) seen.push(new TextDecoder().decode(r.payload));
      assert.deepEqual(seen, damage === "zeros" ? ["one", "two", "three"] : ["one", "three"], damage);
      await re.close();
    }
  });
});

describe("FileSlotTable", () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir("im2000-slots-");
  });
  after(async () => {
    await removeTree(dir);
  });

  it("FileSlotTable behaves like a Map through puts, deletes, growth and reopen", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("put", "put", "delete"), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 255 })), { maxLength: 120 }),
        async (ops) => {
          const d = path.join(dir, `t${run++}`);
          let t = await FileSlotTable.open(d, { valueBytes: 8, initialSlots: 16 });
          const model = new MemorySlotTable(8);
          // Keys share their first octets so probe chains collide.
          const key = (k: number) => Uint8Array.from({ length: 16 }, (_, i) => (i < 3 ? 0 : i === 15 ? k : 7));
          for (const [op, k, v] of ops) {
            if (op === "put") {
              await t.put(key(k), new Uint8Array(8).fill(v));
              await model.put(key(k), new Uint8Array(8).fill(v));
            } else assert.equal(await t.delete(key(k)), await model.delete(key(k)));
          }
          await t.close();
          t = await FileSlotTable.open(d, { valueBytes: 8, initialSlots: 16 });
          assert.equal(t.size, model.size);
          for (let k = 0; k <= 60; k++) assert.deepEqual(await t.get(key(k)), await model.get(key(k)));
          let cursor: number | undefined = 0;
          let scanned = 0;
          while (cursor !== undefined) {
            const r = await t.scan(cursor, 7);
            scanned += r.entries.length;
            cursor = r.next;
          }
          assert.equal(scanned, model.size);
          await t.close();
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("FileFixedArray", () => {
  it("FileFixedArray appends, reads ranges, truncates and keeps its length across reopen", async () => {
    const dir = await makeTempDir("im2000-arr-");
    const f = path.join(dir, "a.idx");
    const a = await FileFixedArray.open(f, 4);
    for (let i = 0; i < 10; i++) await a.append(Uint8Array.of(i, i, i, i));
    await a.truncate(7);
    await a.close();
    const b = await FileFixedArray.open(f, 4);
    assert.equal(b.length, 7);
    assert.deepEqual(await b.read(5, 10), [Uint8Array.of(5, 5, 5, 5), Uint8Array.of(6, 6, 6, 6)]);
    await b.close();
    await removeTree(dir);
  });
});
