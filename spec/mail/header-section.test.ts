// parseHeaderSection / removeFields: header fields located by octet offset, so a field can be
// removed without touching any other octet (sendmail -t removes Bcc, shims LOC-2).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseHeaderSection, removeFields } from "../../src/mail/header-section.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("parseHeaderSection", () => {
  it("names, unfolded values, offsets and the body start", () => {
    const msg = enc.encode("To: a@example.org,\r\n\tb@example.org\r\nSubject : hi\r\nX-Empty:\r\n\r\nbody: not a field\r\n");
    const h = parseHeaderSection(msg);
    assert.deepEqual(
      h.fields.map((f) => [f.name, f.value]),
      [
        ["To", " a@example.org,\tb@example.org"],
        ["Subject", " hi"],
        ["X-Empty", ""],
      ],
    );
    assert.equal(dec.decode(msg.subarray(h.bodyStart)), "body: not a field\r\n");
    assert.equal(dec.decode(msg.subarray(h.fields[0]!.start, h.fields[0]!.end)), "To: a@example.org,\r\n\tb@example.org\r\n");
  });

  it("a line that is not a field ends the header section (the body starts there, as in sendmail)", () => {
    const msg = enc.encode("Subject: a\r\nthis is text\r\nTo: b@example.org\r\n");
    const h = parseHeaderSection(msg);
    assert.deepEqual(h.fields.map((f) => f.name), ["Subject"]);
    assert.equal(h.bodyStart, "Subject: a\r\n".length);
  });

  it("a message with no body, or without a final line end", () => {
    assert.deepEqual(parseHeaderSection(enc.encode("A: 1\r\nB: 2")).fields.map((f) => f.value), [" 1", " 2"]);
    assert.equal(parseHeaderSection(enc.encode("")).fields.length, 0);
  });

  it("removeFields removes exactly the chosen fields with their continuation lines", () => {
    const msg = enc.encode("From: a@example.org\r\nBcc: x@example.org,\r\n y@example.org\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n");
    const h = parseHeaderSection(msg);
    const out = removeFields(msg, h.fields.filter((f) => f.name.toLowerCase() === "bcc"));
    assert.equal(dec.decode(out), "From: a@example.org\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n");
  });

  it("property: removing no fields changes nothing; removing all fields leaves exactly the body and separator", () => {
    const field = fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,10}$/), fc.stringMatching(/^[ -~]{0,20}$/), fc.boolean());
    fc.assert(
      fc.property(fc.array(field, { maxLength: 8 }), fc.stringMatching(/^[ -~\r\n]{0,40}$/), (fields, body) => {
        const head = fields.map(([n, v, folded]) => `${n}: ${v}${folded ? "\r\n folded" : ""}\r\n`).join("");
        const msg = enc.encode(head + "\r\n" + body);
        const h = parseHeaderSection(msg);
        assert.equal(h.fields.length, fields.length);
        assert.deepEqual(removeFields(msg, []), msg);
        assert.equal(dec.decode(removeFields(msg, h.fields)), "\r\n" + body);
      }),
    );
  });
});
