// Stream framing (im2000 §5): 4-octet big-endian length + one PDU, a maximum PDU size, a zero
// length passed up as an empty (malformed) PDU, and reassembly whatever the chunk boundaries.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { frame, FrameReader, FrameTooLargeError } from "../../src/im2000/framing.ts";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

describe("FrameReader", () => {
  it("reassembles frames split at every byte boundary", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 20 }), (pdus, cuts) => {
        const stream = concat(pdus.map(frame));
        const points = [...new Set(cuts.map((c) => c % (stream.byteLength + 1)))].sort((a, b) => a - b);
        const r = new FrameReader();
        const got: Uint8Array[] = [];
        let prev = 0;
        for (const p of [...points, stream.byteLength]) {
          r.push(stream.subarray(prev, p));
          prev = p;
          for (let f = r.next(); f !== undefined; f = r.next()) got.push(Uint8Array.from(f));
        }
        assert.deepEqual(got, pdus.map((p) => Uint8Array.from(p)));
        assert.equal(r.midFrame, false);
      }),
    );
  });
  it("splits every single byte of a two-frame stream", () => {
    const stream = concat([frame(Uint8Array.of(1, 2, 3)), frame(Uint8Array.of(4))]);
    const r = new FrameReader();
    const got: number[][] = [];
    for (const b of stream) {
      r.push(Uint8Array.of(b));
      for (let f = r.next(); f !== undefined; f = r.next()) got.push([...f]);
    }
    assert.deepEqual(got, [[1, 2, 3], [4]]);
  });
  it("a zero length yields an empty PDU (malformed, but the stream stays in sync)", () => {
    const r = new FrameReader();
    r.push(concat([Uint8Array.of(0, 0, 0, 0), frame(Uint8Array.of(7))]));
    assert.equal(r.next()?.byteLength, 0);
    assert.deepEqual([...r.next()!], [7]);
  });
  it("an oversized declared length fails before any allocation", () => {
    const r = new FrameReader(1024);
    r.push(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 1, 2));
    assert.throws(() => r.next(), (e: unknown) => e instanceof FrameTooLargeError && e.declared === 0x7fffffff && e.max === 1024);
  });
  it("a frame at exactly the maximum is accepted", () => {
    const r = new FrameReader(8);
    r.push(frame(new Uint8Array(8)));
    assert.equal(r.next()?.byteLength, 8);
  });
  it("reports a partial frame as midFrame", () => {
    const r = new FrameReader();
    r.push(Uint8Array.of(0, 0));
    assert.equal(r.next(), undefined);
    assert.equal(r.midFrame, true);
  });
});
