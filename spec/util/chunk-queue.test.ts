// ChunkQueue, the buffer under the frame reader and the line reader: whatever the chunking, what
// comes out is what went in, in order; views are handed out only when no copy is needed.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ChunkQueue } from "../../src/util/chunk-queue.ts";

describe("ChunkQueue", () => {
  it("property: peek, indexOf and take over any chunking agree with the concatenated octets", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 8 }), fc.array(fc.nat(20), { maxLength: 10 }), fc.nat(255), (chunks, takes, byte) => {
        const q = new ChunkQueue();
        let all: number[] = [];
        for (const c of chunks) {
          q.push(c);
          all.push(...c);
        }
        for (const t of takes) {
          assert.equal(q.size, all.length);
          assert.equal(q.indexOf(byte), all.indexOf(byte));
          const n = Math.min(t, all.length);
          assert.deepEqual([...q.peek(n)], all.slice(0, n), "peek does not consume");
          assert.deepEqual([...q.take(n)], all.slice(0, n));
          all = all.slice(n);
        }
        assert.deepEqual(q.takeAll().flatMap((c) => [...c]), all);
        assert.equal(q.size, 0);
      }),
    );
  });

  it("a take inside one chunk is a view of it; across chunks a copy; more than held is a RangeError", () => {
    const a = Uint8Array.of(1, 2, 3);
    const q = new ChunkQueue();
    q.push(a);
    q.push(Uint8Array.of(4, 5));
    const view = q.take(2);
    assert.equal(view.buffer, a.buffer);
    const copy = q.take(2);
    assert.deepEqual([...copy], [3, 4]);
    assert.notEqual(copy.buffer, a.buffer);
    assert.throws(() => q.take(2), RangeError);
  });

  it("indexOf gives up after about limit octets, at a chunk boundary", () => {
    const q = new ChunkQueue();
    q.push(new Uint8Array(10));
    q.push(Uint8Array.of(7));
    assert.equal(q.indexOf(7), 10);
    assert.equal(q.indexOf(7, 5), -1);
  });
});
