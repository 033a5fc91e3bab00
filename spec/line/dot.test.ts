// Dot-stuffing both ways (RFC 5321 §4.5.2, RFC 1939 §3), streamed across arbitrary chunk
// boundaries, with the end of data recognised only as CRLF.CRLF.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes, DotDecoder, DotEncoder, dotStuff } from "../../src/line/dot.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function decodeChunked(wire: Uint8Array, cuts: number[], max?: number) {
  const d = new DotDecoder(max);
  const pieces: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...new Set(cuts.map((x) => x % (wire.byteLength + 1)))].sort((a, b) => a - b).concat(wire.byteLength)) {
    const r = d.decode(wire.subarray(prev, c));
    pieces.push(...r.pieces);
    if (r.done) return { content: concatBytes(pieces), rest: concatBytes([r.rest, wire.subarray(c)]), done: true, decoder: d };
    prev = c;
  }
  return { content: concatBytes(pieces), rest: new Uint8Array(0), done: false, decoder: d };
}

/**
 * The decoder's specification as a plain octet-by-octet state machine (the original
 * implementation): the real decoder skips through lines with a native search and must agree
 * with this on every input, however it is cut into chunks.
 */
function referenceDecode(input: Uint8Array): { content: number[]; done: boolean; rest: Uint8Array; bareLf: number } {
  const content: number[] = [];
  type State = "start" | "soft" | "mid" | "cr" | "dot" | "dotcr";
  let state = "start" as State; // `as`: lineEndBare changes it behind the compiler's back
  let soft = false;
  let bareLf = 0;
  const lineEndBare = () => {
    content.push(13, 10);
    bareLf++;
    state = "soft";
    soft = true;
  };
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    state = state as State;
    if (state === "mid") {
      if (b === 10) lineEndBare();
      else (state = b === 13 ? "cr" : "mid"), content.push(b);
    } else if (state === "start" || state === "soft") {
      soft = state === "soft";
      if (b === 46) state = "dot";
      else if (b === 13) (state = "cr"), content.push(b);
      else if (b === 10) lineEndBare();
      else (state = "mid"), content.push(b);
    } else if (state === "cr") {
      if (b === 10) (state = "start"), (soft = false), content.push(b);
      else (state = b === 13 ? "cr" : "mid"), content.push(b);
    } else if (state === "dot") {
      if (b === 13) state = "dotcr";
      else if (b === 10) content.push(46), lineEndBare();
      else (state = "mid"), content.push(b);
    } else {
      if (b === 10) {
        if (!soft) return { content, done: true, rest: input.subarray(i + 1), bareLf };
        content.push(46, 13, 10);
        state = "start";
        soft = false;
      } else {
        content.push(13, b);
        state = b === 13 ? "cr" : "mid";
      }
    }
  }
  return { content, done: false, rest: new Uint8Array(0), bareLf };
}

/** Message text made of CRLF lines, many starting with dots. */
const crlfText = fc.array(fc.oneof(fc.constantFrom("", ".", "..", ". x", ".hidden", "From x", "a.b"), fc.string({ unit: fc.constantFrom("a", ".", " ", "é") , maxLength: 6 })), { maxLength: 8 }).map((lines) => lines.map((l) => l + "\r\n").join(""));

describe("DotDecoder", () => {
  it("decode(stuff(x)) === x for CRLF text, whatever the chunking", () => {
    fc.assert(
      fc.property(crlfText, fc.array(fc.nat(), { maxLength: 10 }), (text, cuts) => {
        const wire = concatBytes([dotStuff(enc.encode(text)), enc.encode("NOOP\r\n")]);
        const r = decodeChunked(wire, cuts);
        assert.equal(r.done, true);
        assert.equal(dec.decode(r.content), text);
        assert.equal(dec.decode(r.rest), "NOOP\r\n");
      }),
    );
  });
  it("agrees with the octet-by-octet state machine on any octets, whatever the chunking", () => {
    const octets = fc.array(fc.constantFrom(13, 10, 46, 0x61, 0x20, 0xc3), { maxLength: 200 }).map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(octets, fc.array(fc.nat(), { maxLength: 8 }), (wire, cuts) => {
        const want = referenceDecode(wire);
        const got = decodeChunked(wire, cuts);
        assert.equal(got.done, want.done);
        assert.deepEqual([...got.content], want.content);
        assert.deepEqual([...got.rest], [...want.rest]);
        assert.equal(got.decoder.bareLineFeeds, want.bareLf);
      }),
      { numRuns: 2000 },
    );
  });
  it("an empty message is a lone dot line", () => {
    const r = decodeChunked(enc.encode(".\r\n"), []);
    assert.deepEqual([r.done, r.content.byteLength], [true, 0]);
  });
  it("removes one leading dot only when the line has more", () => {
    const r = decodeChunked(enc.encode("..\r\n...x\r\n.y\r\n.\r\n"), []);
    assert.equal(dec.decode(r.content), ".\r\n..x\r\ny\r\n");
  });
  it("a bare LF is normalised to CRLF and never ends the data; dots after it are unstuffed (Postfix normalize)", () => {
    const r = decodeChunked(enc.encode("a\n.\nb\n.\r\n..c\r\n.\r\n"), []);
    assert.equal(r.done, true);
    assert.equal(dec.decode(r.content), "a\r\n.\r\nb\r\n.\r\n.c\r\n");
    assert.equal(r.decoder.bareLineFeeds, 3);
    const py = decodeChunked(enc.encode("Subject: x\n\n..a dot line\n\r\n.\r\n"), [3, 14]);
    assert.equal(dec.decode(py.content), "Subject: x\r\n\r\n.a dot line\r\n\r\n");
  });
  it("LF.CRLF (smuggling) is content, not the end of data", () => {
    const r = decodeChunked(enc.encode("x\n.\r\nMAIL FROM:<evil@example>\r\n.\r\n"), []);
    assert.equal(dec.decode(r.content), "x\r\n.\r\nMAIL FROM:<evil@example>\r\n");
  });
  it("a bare CR stays, and .CR followed by text is content", () => {
    const r = decodeChunked(enc.encode("a\rb\r\n.\rc\r\n.\r\n"), [4, 9]);
    assert.equal(dec.decode(r.content), "a\rb\r\n\rc\r\n");
  });
  it("content beyond the limit is consumed but not emitted", () => {
    const r = decodeChunked(enc.encode("0123456789\r\nabc\r\n.\r\nQUIT\r\n"), [3, 7], 5);
    assert.equal(r.done, true);
    assert.equal(r.decoder.oversized, true);
    assert.equal(dec.decode(r.content), "01234");
    assert.equal(dec.decode(r.rest), "QUIT\r\n");
  });
  it("no terminator: not done, everything but a held-back prefix is emitted", () => {
    const d = new DotDecoder();
    const r1 = d.decode(enc.encode("abc\r\n."));
    assert.equal(r1.done, false);
    assert.equal(dec.decode(concatBytes(r1.pieces)), "abc\r\n");
    const r2 = d.decode(enc.encode("\r"));
    assert.equal(r2.done, false);
    const r3 = d.decode(enc.encode("\n"));
    assert.equal(r3.done, true);
  });
});

describe("DotEncoder", () => {
  it("stuffs leading dots, ends with CRLF.CRLF", () => {
    assert.equal(dec.decode(dotStuff(enc.encode(".a\r\nb\r\n..\r\n"))), "..a\r\nb\r\n...\r\n.\r\n");
  });
  it("adds CRLF when the content does not end with one", () => {
    assert.equal(dec.decode(dotStuff(enc.encode("x"))), "x\r\n.\r\n");
    assert.equal(dec.decode(dotStuff(new Uint8Array(0))), ".\r\n");
  });
  it("converts bare LF line ends to CRLF", () => {
    assert.equal(dec.decode(dotStuff(enc.encode("a\n.b\n"))), "a\r\n..b\r\n.\r\n");
  });
  it("is chunking-independent", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", ".", "\r", "\n", "\r\n"), maxLength: 40 }), fc.array(fc.nat(40), { maxLength: 6 }), (s, cuts) => {
        const bytes = enc.encode(s);
        const whole = dotStuff(bytes);
        const e = new DotEncoder();
        const parts: Uint8Array[] = [];
        let prev = 0;
        for (const c of [...new Set(cuts.map((x) => x % (bytes.byteLength + 1)))].sort((a, b) => a - b).concat(bytes.byteLength)) {
          parts.push(...e.encode(bytes.subarray(prev, c)));
          prev = c;
        }
        parts.push(e.end());
        assert.deepEqual(concatBytes(parts), whole);
      }),
    );
  });
});
