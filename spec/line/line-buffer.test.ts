// LineBuffer: lines with a length limit, across arbitrary chunks, never holding an overlong line.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LineBuffer } from "../../src/line/line-buffer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function lines(b: LineBuffer, max: number): string[] {
  const out: string[] = [];
  for (let r = b.readLine(max); r !== undefined; r = b.readLine(max)) out.push(r.kind === "line" ? `${dec.decode(r.bytes)}${r.crlf ? "" : "(LF)"}` : "TOO-LONG");
  return out;
}

describe("LineBuffer", () => {
  it("splits CRLF and bare-LF lines across any chunking", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom("a", "b", " ", "é"), maxLength: 8 }), { maxLength: 6 }), fc.array(fc.boolean(), { maxLength: 6 }), fc.array(fc.nat(60), { maxLength: 5 }), (ls, crlf, cuts) => {
        const text = ls.map((l, i) => l + (crlf[i] ? "\r\n" : "\n")).join("");
        const bytes = enc.encode(text);
        const b = new LineBuffer();
        const got: string[] = [];
        let prev = 0;
        for (const c of [...new Set(cuts.map((x) => x % (bytes.byteLength + 1)))].sort((x, y) => x - y).concat(bytes.byteLength)) {
          b.push(bytes.subarray(prev, c));
          prev = c;
          got.push(...lines(b, 1000));
        }
        assert.deepEqual(got, ls.map((l, i) => l + (crlf[i] ? "" : "(LF)")));
        assert.equal(b.size, 0);
      }),
    );
  });
  it("reports an overlong line once and keeps what was pipelined after it", () => {
    const b = new LineBuffer();
    b.push(enc.encode("x".repeat(50) + "\r\nNEXT\r\n"));
    assert.deepEqual(lines(b, 10), ["TOO-LONG", "NEXT"]);
  });
  it("an overlong line without an end yet is dropped as it arrives, then skipped to its LF", () => {
    const b = new LineBuffer();
    b.push(enc.encode("y".repeat(40)));
    assert.deepEqual(lines(b, 10), ["TOO-LONG"]);
    assert.equal(b.size, 0, "nothing of it is held");
    b.push(enc.encode("y".repeat(40)));
    assert.deepEqual(lines(b, 10), []);
    b.push(enc.encode("yy\r\nOK\r\n"));
    assert.deepEqual(lines(b, 10), ["OK"]);
  });
  it("a line of exactly the limit is accepted, one more octet is not", () => {
    const b = new LineBuffer();
    b.push(enc.encode("1234567890\r\n12345678901\r\n"));
    assert.deepEqual(lines(b, 10), ["1234567890", "TOO-LONG"]);
  });
  it("hasLine sees whole lines and overlong ones; take() crosses chunks", () => {
    const b = new LineBuffer();
    b.push(enc.encode("ab"));
    assert.equal(b.hasLine(10), false);
    b.push(enc.encode("c\r\n"));
    assert.equal(b.hasLine(10), true);
    b.push(enc.encode("defg"));
    assert.equal(dec.decode(b.take(7)), "abc\r\nde");
    assert.equal(b.takeAll().map((x) => dec.decode(x)).join(""), "fg");
    b.push(enc.encode("z".repeat(30)));
    assert.equal(b.hasLine(10), true, "an overlong line counts, so it can be reported");
    b.clear();
    assert.equal(b.size, 0);
  });
});
