// MessageCollector: reading the message from standard input as sendmail 8's collect() does in
// -bm mode, stored in RFC 5322 wire form (CRLF).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { collectMessage, MessageCollector } from "../../src/sendmail/collect.ts";
import { failure } from "./helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function collect(input: string | Uint8Array, ignoreDots: boolean, maxSize = 1 << 20, splitAt: number[] = []): string {
  const bytes = typeof input === "string" ? enc.encode(input) : input;
  const c = new MessageCollector({ ignoreDots, maxSize });
  let from = 0;
  for (const at of [...splitAt, bytes.byteLength]) {
    if (c.push(bytes.subarray(from, at))) break;
    from = at;
  }
  return dec.decode(c.end());
}

describe("MessageCollector", () => {
  it("LF and CRLF line ends are both stored as CRLF; a bare CR is kept; a last line without a line end stays so", () => {
    assert.equal(collect("Subject: a\n\nx\r\ny\rz\nlast", true), "Subject: a\r\n\r\nx\r\ny\rz\r\nlast");
    assert.equal(collect("a\r\r\n", true), "a\r\r\n");
  });

  it("without -i a line with a single dot ends the message and the rest is not read", () => {
    const c = new MessageCollector({ ignoreDots: false, maxSize: 1000 });
    assert.equal(c.push(enc.encode("Subject: a\n\nbody\n.\n")), true, "done at the dot");
    assert.equal(dec.decode(c.end()), "Subject: a\r\n\r\nbody\r\n");
    assert.equal(collect("a\n.\r\nb\n", false), "a\r\n");
    assert.equal(collect("a\n.", false), "a\r\n", "a dot at the end of input is the end too");
  });

  it("without -i a leading '..' loses one dot (sendmail 8 collect()); '.x' and '.\\rx' are kept", () => {
    assert.equal(collect("a\n..b\n...c\n.d\n", false), "a\r\n.b\r\n..c\r\n.d\r\n");
    assert.equal(collect(".\rx\n", false), ".\rx\r\n");
  });

  it("with -i dots mean nothing", () => {
    assert.equal(collect("a\n.\n..b\nc\n", true), "a\r\n.\r\n..b\r\nc\r\n");
  });

  it("a leading Unix From_ line is dropped; a later one is not", () => {
    assert.equal(collect("From alice Sat Jan  3 01:05:34 1996\nSubject: a\n\nFrom here\n", true), "Subject: a\r\n\r\nFrom here\r\n");
  });

  it("LOC-5 binary data (a NUL octet) is bad message data (65), naming the line", () => {
    const f = failure(() => collect(Uint8Array.from([...enc.encode("Subject: a\n\n"), 0x41, 0x00, 0x42, 0x0a]), true));
    assert.equal(f.exitCode, 65);
    assert.match(f.message, /NUL octet on line 3/);
  });

  it("8-bit octets that are not NUL pass unchanged", () => {
    const input = Uint8Array.from([0x53, 0x3a, 0x20, 0xff, 0xfe, 0x0a, 0x0a, 0xc3, 0xa9, 0x0a]);
    const c = new MessageCollector({ ignoreDots: true, maxSize: 100 });
    c.push(input);
    assert.deepEqual(c.end(), Uint8Array.from([0x53, 0x3a, 0x20, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a, 0xc3, 0xa9, 0x0d, 0x0a]));
  });

  it("LOC-5 a message over the limit (as stored, CRLF counted) is 65, as soon as it is known", () => {
    assert.equal(collect("ab\n", true, 4), "ab\r\n");
    assert.equal(failure(() => collect("abc\n", true, 4)).exitCode, 65);
    const c = new MessageCollector({ ignoreDots: true, maxSize: 10 });
    assert.equal(c.push(enc.encode("x".repeat(11))), true, "a line that can only grow past the limit stops the reading at once");
    assert.match(failure(() => c.end()).message, /larger than max_message_size \(10 octets\)/);
  });

  it("property: the result does not depend on how the input is split into chunks", () => {
    const text = fc.array(fc.constantFrom("a", "b", ".", "\n", "\r", "From ", " ", "é"), { maxLength: 60 }).map((a) => a.join(""));
    fc.assert(
      fc.property(text, fc.boolean(), fc.array(fc.nat(80), { maxLength: 6 }), (t, ignoreDots, cuts) => {
        const bytes = enc.encode(t);
        const splits = [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b);
        assert.equal(collect(bytes, ignoreDots, 1 << 20, splits), collect(bytes, ignoreDots));
      }),
    );
  });

  it("property: with -i, every LF-terminated input is stored as the same lines with CRLF", () => {
    const line = fc.stringMatching(/^[^\r\n\x00]{0,20}$/);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 10 }), (lines) => {
        fc.pre(!lines[0]!.startsWith("From "));
        assert.equal(collect(lines.join("\n") + "\n", true), lines.join("\r\n") + "\r\n");
      }),
    );
  });

  it("collectMessage stops consuming the stream at the end-of-message dot", async () => {
    let pulled = 0;
    async function* input() {
      for (const c of ["Subject: x\n\nhi\n", ".\n", "never read\n"]) {
        pulled++;
        yield enc.encode(c);
      }
    }
    assert.equal(dec.decode(await collectMessage(input(), { ignoreDots: false, maxSize: 100 })), "Subject: x\r\n\r\nhi\r\n");
    assert.equal(pulled, 2);
  });
});
