// Strict DER in both directions (im2000 §6 item 2; X.690 §8, §10): each rule a test, named after
// the rule it breaks, checking the error kind, rule name and offset.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  boolean,
  decode,
  DerSchemaError,
  DerSyntaxError,
  encode,
  enumerated,
  explicit,
  integer,
  octets,
  opt,
  req,
  sequence,
  sequenceOf,
  uint,
  utf8,
  choice,
  alt,
  DerWriter,
} from "../../src/der/mod.ts";
import { hex, toHex } from "../helpers/hex.ts";

function fails(kind: typeof DerSyntaxError | typeof DerSchemaError, rule: string, fn: () => unknown, offset?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof kind, `expected ${kind.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.equal((e as DerSyntaxError).rule, rule);
    if (offset !== undefined) assert.equal((e as DerSyntaxError).offset, offset);
    return true;
  });
}

const Pair = sequence("Pair", [req(0, "a", uint()), opt(1, "b", boolean), opt(2, "list", sequenceOf(utf8))]);

describe("DER lengths", () => {
  it("definite short form decodes", () => {
    assert.deepEqual(decode(Pair, hex("30 03 80 01 05")), { a: 5 });
  });
  it("indefinite length is rejected", () => fails(DerSyntaxError, "indefinite-length", () => decode(Pair, hex("30 80 80 01 05 00 00")), 1));
  it("long form under 128 is non-minimal", () => fails(DerSyntaxError, "non-minimal-length", () => decode(Pair, hex("30 81 03 80 01 05")), 0));
  it("leading zero length octet is non-minimal", () => fails(DerSyntaxError, "non-minimal-length", () => decode(Pair, hex("30 82 00 83" + " 00".repeat(131)))));
  it("length beyond the input fails before allocating", () => fails(DerSyntaxError, "truncated", () => decode(octets(), hex("04 84 7F FF FF FF 00 00 00 00 00 00 00 00 00 00 00 00 00 00")), 0));
  it("five length octets are refused", () => fails(DerSyntaxError, "length-too-large", () => decode(octets(), hex("04 85 01 00 00 00 00 00"))));
  it("0xFF length octet is reserved", () => fails(DerSyntaxError, "reserved-length", () => decode(octets(), hex("04 FF 00"))));
  it("trailing octets after the value", () => fails(DerSyntaxError, "trailing-data", () => decode(Pair, hex("30 03 80 01 05 00")), 5));
  it("missing length octet", () => fails(DerSyntaxError, "truncated", () => decode(Pair, hex("30"))));
  it("empty input", () => fails(DerSyntaxError, "truncated", () => decode(Pair, new Uint8Array(0))));
  it("writer emits minimal long-form lengths", () => {
    for (const n of [127, 128, 255, 256, 65535, 65536, 70000]) {
      const bytes = encode(octets(), new Uint8Array(n));
      const back = decode(octets(), bytes);
      assert.equal(back.byteLength, n);
      const expectLenOctets = n < 128 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 4;
      assert.equal(bytes.byteLength, 1 + expectLenOctets + n);
    }
  });
});

describe("DER INTEGER", () => {
  it("non-minimal positive (leading 00)", () => fails(DerSyntaxError, "non-minimal-integer", () => decode(uint(), hex("02 02 00 05"))));
  it("non-minimal negative (leading FF)", () => fails(DerSyntaxError, "non-minimal-integer", () => decode(integer, hex("02 02 FF 80"))));
  it("empty INTEGER", () => fails(DerSyntaxError, "empty-integer", () => decode(uint(), hex("02 00"))));
  it("negative where 0..MAX is required", () => fails(DerSchemaError, "negative", () => decode(uint(), hex("02 01 FF"))));
  it("above 2^53-1 for a number field", () => fails(DerSchemaError, "integer-too-large", () => decode(uint(), hex("02 08 7F FF FF FF FF FF FF FF"))));
  it("out of a declared range", () => fails(DerSchemaError, "out-of-range", () => decode(uint(1, 65535), hex("02 01 00"))));
  it("leading 00 kept when the high bit is set", () => assert.equal(toHex(encode(uint(), 65535)), "02 03 00 FF FF"));
  it("bigint round trip, both signs, minimal", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), (v) => {
        const b = encode(integer, v);
        assert.equal(decode(integer, b), v);
        if (b.byteLength > 3) {
          const b0 = b[2]!;
          const b1 = b[3]!;
          assert.ok(!((b0 === 0 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80)), "minimal");
        }
      }),
    );
  });
  it("number round trip up to 2^53-1", () => {
    fc.assert(fc.property(fc.maxSafeNat(), (v) => assert.equal(decode(uint(), encode(uint(), v)), v)));
  });
});

describe("DER BOOLEAN", () => {
  it("TRUE is 0xFF on output", () => assert.equal(toHex(encode(boolean, true)), "01 01 FF"));
  it("content other than 00/FF is refused", () => fails(DerSyntaxError, "bad-boolean", () => decode(boolean, hex("01 01 01")), 2));
  it("two content octets are refused", () => fails(DerSyntaxError, "bad-boolean-length", () => decode(boolean, hex("01 02 00 00"))));
});

describe("DER tags", () => {
  it("wrong universal tag is a schema error", () => fails(DerSchemaError, "wrong-tag", () => decode(octets(), hex("0C 00"))));
  it("high-tag-number form for a small number is non-minimal", () => fails(DerSyntaxError, "non-minimal-tag", () => decode(Pair, hex("30 05 80 01 05 9F 05 00"))));
  it("high tag number with a leading 0x80 octet", () => fails(DerSyntaxError, "non-minimal-tag", () => decode(Pair, hex("30 07 80 01 05 9F 80 20 00"))));
  it("unknown context tags inside a SEQUENCE are skipped, anywhere (C-12)", () => {
    assert.deepEqual(decode(Pair, hex("30 0B 85 01 00 80 01 05 BF 30 02 00 00")), { a: 5 });
    assert.deepEqual(decode(Pair, hex("30 08 80 01 05 87 00 81 01 FF")), { a: 5, b: true });
  });
  it("unknown UNIVERSAL tag inside a SEQUENCE is malformed", () => fails(DerSchemaError, "unexpected-tag", () => decode(Pair, hex("30 05 80 01 05 05 00"))));
  it("APPLICATION and PRIVATE tags inside a SEQUENCE are malformed", () => {
    fails(DerSchemaError, "unexpected-tag", () => decode(Pair, hex("30 05 80 01 05 41 00")));
    fails(DerSchemaError, "unexpected-tag", () => decode(Pair, hex("30 05 80 01 05 C1 00")));
  });
  it("components out of order", () => fails(DerSchemaError, "out-of-order", () => decode(Pair, hex("30 06 81 01 FF 80 01 05"))));
  it("component repeated", () => fails(DerSchemaError, "duplicate-component", () => decode(Pair, hex("30 06 80 01 05 80 01 06"))));
  it("missing required component", () => fails(DerSchemaError, "missing-component", () => decode(Pair, hex("30 03 81 01 FF"))));
  it("unknown CHOICE alternative", () => {
    const C = choice("C", [alt(0, "x", uint()), alt(1, "y", boolean)]);
    const S = sequence("S", [req(0, "c", explicit(C))]);
    assert.deepEqual(decode(S, hex("30 05 A0 03 81 01 FF")), { c: { kind: "y", value: true } });
    fails(DerSchemaError, "unknown-alternative", () => decode(S, hex("30 05 A0 03 82 01 FF")));
  });
  it("explicit wrapper with two elements has trailing data", () => {
    const C = choice("C", [alt(0, "x", uint())]);
    const S = sequence("S", [req(0, "c", explicit(C))]);
    fails(DerSyntaxError, "trailing-data", () => decode(S, hex("30 08 A0 06 80 01 01 80 01 02")));
  });
  it("out-of-range ENUMERATED", () => fails(DerSchemaError, "unknown-enumerated", () => decode(enumerated("E", ["a", "b"]), hex("0A 01 02"))));
  it("open ENUMERATED keeps unknown values", () => assert.equal(decode(enumerated("E", ["a"], true), hex("0A 01 09")), 9));
});

describe("DER strings", () => {
  it("UTF8String labels are emitted as 0x16 and 0x0C is accepted (§6 item 3)", () => {
    const D = sequenceOf(utf8);
    assert.equal(toHex(encode(D, ["ab"])), "30 04 16 02 61 62");
    assert.deepEqual(decode(D, hex("30 04 0C 02 61 62")), ["ab"]);
  });
  it("invalid UTF-8 is a schema error", () => fails(DerSchemaError, "invalid-utf8", () => decode(utf8, hex("16 02 C3 28"))));
  it("invalid UTF-8 after an ASCII prefix is a schema error", () => fails(DerSchemaError, "invalid-utf8", () => decode(utf8, hex("16 04 61 62 63 FF"))));
  it("UTF8String encodes as TextEncoder does and decodes back, ASCII or not, short or long", () => {
    const short = fc.string({ unit: "binary", maxLength: 80 });
    const asciiLong = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), minLength: 60, maxLength: 300 });
    fc.assert(
      fc.property(fc.oneof(short, asciiLong), (s) => {
        const utf8Octets = new TextEncoder().encode(s);
        const bytes = encode(utf8, s);
        assert.equal(toHex(bytes), toHex(encode(octets(), utf8Octets, false, 0x16)));
        assert.equal(decode(utf8, bytes), new TextDecoder().decode(utf8Octets));
      }),
    );
  });
  it("fixed-size OCTET STRING", () => fails(DerSchemaError, "wrong-size", () => decode(octets("MessageIdentifier", 16), hex("04 02 00 00"))));
  it("constructed OCTET STRING is refused", () => fails(DerSchemaError, "wrong-tag", () => decode(octets(), hex("24 03 04 01 00"))));
  it("OCTET STRING decodes as a view, without copying", () => {
    const b = hex("04 03 01 02 03");
    const v = decode(octets(), b);
    assert.equal(v.buffer, b.buffer);
  });
});

describe("DER errors carry the field path", () => {
  it("path names fields and indexes", () => {
    const Inner = sequence("Inner", [req(0, "domain", sequenceOf(utf8))]);
    const Outer = sequence("Outer", [req(0, "recipients", sequenceOf(Inner))]);
    // recipients[1].domain[0] has invalid UTF-8
    const bytes = hex("30 12 A0 10 30 06 A0 04 16 02 61 62 30 06 A0 04 16 02 C3 28");
    assert.throws(
      () => decode(Outer, bytes, "Outer"),
      (e: unknown) => e instanceof DerSchemaError && e.path === "Outer.recipients[1].domain[0]" && e.offset === 16,
    );
  });
});

describe("DerWriter", () => {
  it("nested constructed elements get lengths filled in afterwards", () => {
    const w = new DerWriter();
    w.open(0x30);
    w.open(0xa0);
    w.primitive(0x04, new Uint8Array(300));
    w.close();
    w.primitiveBytes(0x81, 0x01);
    w.close();
    const out = w.finish(true);
    assert.equal(toHex(out.subarray(0, 12)), "00 00 01 3B 30 82 01 37 A0 82 01 30");
    assert.equal(out.byteLength, 4 + 4 + 4 + 4 + 300 + 3);
  });
});
