// HeaderScanner: the headersonly length and the summaryonly octets (im2000 §10.1 [R]) do not
// depend on how the message is cut into chunks, and match a direct reading of the message.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { HeaderScanner } from "../../src/peers/store/header-scan.ts";

/** Reference: offset just past the first empty line ("\n\n" or "\n\r\n", or a leading one), else the length. */
function headerEnd(m: Uint8Array): number {
  for (let i = 0; i < m.byteLength; i++) {
    if (m[i] !== 0x0a) continue;
    const p1 = i >= 1 ? m[i - 1] : 0x0a;
    const p2 = i >= 2 ? m[i - 2] : 0x0a;
    if (p1 === 0x0a || (p1 === 0x0d && p2 === 0x0a)) return i + 1;
  }
  return m.byteLength;
}

const part = fc.constantFrom("\r\n", "\n", "\r", "From: a\r\n", "Subject: s\r\n", " cont\r\n", "X: y\r\n", "body", "a");

describe("HeaderScanner", () => {
  it("HeaderScanner headerLength and summary are independent of chunking and match the reference", () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), (parts, cuts) => {
        const m = new TextEncoder().encode(parts.join(""));
        const whole = new HeaderScanner();
        whole.push(m);
        const pieces = new HeaderScanner();
        let o = 0;
        for (let k = 0; o < m.byteLength; k++) {
          const n = cuts[k % cuts.length]!;
          pieces.push(m.subarray(o, o + n));
          o += n;
        }
        assert.equal(whole.headerLength, headerEnd(m));
        assert.equal(pieces.headerLength, whole.headerLength);
        assert.deepEqual(pieces.summary(), whole.summary());
      }),
      { numRuns: 300 },
    );
  });

  it("HeaderScanner summary keeps From, To, Cc, Subject, Date, Message-ID with their continuation lines", () => {
    const s = new HeaderScanner();
    s.push(new TextEncoder().encode("Received: x\r\nFrom: a\r\nSubject: one\r\n two\r\nX-Y: z\r\n w\r\nmessage-id: <m>\r\n\r\nFrom: body\r\n"));
    assert.equal(new TextDecoder().decode(s.summary()), "From: a\r\nSubject: one\r\n two\r\nmessage-id: <m>\r\n\r\n");
  });
});
