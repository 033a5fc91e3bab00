// Known-answer vectors: the worked examples of im2000.md §6.1 and the binding byte vectors of
// §18 C-2. Each must encode to exactly these octets and decode back to the same value.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MSOAP } from "../../src/im2000/msoap.ts";
import { MSRAP } from "../../src/im2000/msrap.ts";
import { RNASP } from "../../src/im2000/rnasp.ts";
import { RNAQP } from "../../src/im2000/rnaqp.ts";
import { hex, toHex } from "../helpers/hex.ts";
import type { Alternative, Protocol } from "../../src/im2000/protocol.ts";

function unframe(b: Uint8Array): Uint8Array {
  const len = (b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!;
  assert.equal(len, b.byteLength - 4, "frame length prefix");
  return b.subarray(4);
}

describe("im2000 §6.1 worked examples", () => {
  it("RNAQP CommandAuthenticate{u,p}", () => {
    const cmd = { commanddata: { kind: "commandAuthenticate", value: { account: "u", password: "p" } } } as const;
    const bytes = RNAQP.encodeCommand(cmd);
    assert.equal(toHex(bytes), toHex(hex("00 00 00 0C A1 0A A0 08 A0 06 80 01 75 81 01 70")));
    assert.deepEqual(RNAQP.decodePdu(unframe(bytes)), { kind: "command", value: cmd });
  });
  it("RNAQP ResponseAuthenticate, noerror", () => {
    const rsp = { forceabort: false, status: 0, responsedata: { kind: "responseAuthenticate", value: {} } } as const;
    const bytes = RNAQP.encodeResponse(rsp);
    assert.equal(toHex(bytes), toHex(hex("00 00 00 0C A2 0A 80 01 00 81 01 00 A2 02 A1 00")));
    assert.deepEqual(RNAQP.decodePdu(unframe(bytes)), { kind: "response", value: rsp });
  });
});

describe("im2000 §18 C-2 byte vectors", () => {
  it("RNASP CommandNotify with one notification", () => {
    const cmd = {
      commanddata: {
        kind: "commandNotify",
        value: {
          notifications: [
            {
              storeclear: { kind: "literals", value: [{ address: { kind: "version4", value: new Uint8Array([127, 0, 0, 1]) }, port: 8193 }] },
              recipient: { localpart: "lucy", domain: ["example", "org"] },
              identifier: new Uint8Array(16).fill(1),
              sender: "toby",
              size: 42,
            },
          ],
        },
      },
    } as const;
    const expected = hex(`00 00 00 4F A1 4D A0 4B A0 49 A0 47 30 45 A0 10 A0 0E 30 0C A0 06 80 04 7F 00 00 01 81 02 20 01
      A2 16 80 04 6C 75 63 79 A1 0E 16 07 65 78 61 6D 70 6C 65 16 03 6F 72 67 83 10 01 01 01 01 01 01
      01 01 01 01 01 01 01 01 01 01 84 04 74 6F 62 79 85 01 2A`);
    const bytes = RNASP.encodeCommand(cmd as never);
    assert.equal(toHex(bytes), toHex(expected));
    assert.deepEqual(RNASP.decodePdu(unframe(expected)), { kind: "command", value: cmd });
  });
  it("MSRAP ResponseRetrieve{data 'hi', size 2}", () => {
    const rsp = { forceabort: false, status: 0, responsedata: { kind: "responseRetrieve", value: { data: new TextEncoder().encode("hi"), size: 2 } } } as const;
    const expected = hex("00 00 00 13 A2 11 80 01 00 81 01 00 A2 09 A4 07 80 02 68 69 81 01 02");
    assert.equal(toHex(MSRAP.encodeResponse(rsp as never)), toHex(expected));
    assert.deepEqual(MSRAP.decodePdu(unframe(expected)), { kind: "response", value: rsp });
  });
  it("MSOAP ResponseSubmitEnvelope, partially denied, errornotpermitted, no abort", () => {
    const rsp = { forceabort: false, status: 7, responsedata: { kind: "responseSubmitEnvelope", value: { recipients: [0, 1] } } } as const;
    const expected = hex("00 00 00 14 A2 12 80 01 00 81 01 07 A2 0A A2 08 A0 06 0A 01 00 0A 01 01");
    assert.equal(toHex(MSOAP.encodeResponse(rsp as never)), toHex(expected));
    assert.deepEqual(MSOAP.decodePdu(unframe(expected)), { kind: "response", value: rsp });
  });
  it("MSRAP errornosuchmessage (C-1 b)", () => {
    const expected = hex("00 00 00 0C A2 0A 80 01 00 81 01 07 A2 02 A0 00");
    assert.equal(toHex(MSRAP.encodeResponse(MSRAP.nullResponse(MSRAP.status.errornosuchmessage, false))), toHex(expected));
  });
  it("S-1 reply is the same octets in every protocol", () => {
    const expected = toHex(hex("00 00 00 0C A2 0A 80 01 FF 81 01 01 A2 02 A0 00"));
    for (const p of [MSOAP, MSRAP, RNASP, RNAQP] as unknown as Protocol<Alternative, Alternative>[]) {
      assert.equal(toHex(p.encodeResponse(p.nullResponse(p.status.errormalformedpdu))), expected, p.name);
    }
  });
  it("port 65535 keeps its leading zero octet", () => {
    const cmd = {
      commanddata: {
        kind: "commandNotify",
        value: { notifications: [{ storeclear: { kind: "literals", value: [{ address: { kind: "version4", value: new Uint8Array(4) }, port: 65535 }] }, recipient: { localpart: "a", domain: ["b"] }, identifier: new Uint8Array(16), sender: "" }] },
      },
    };
    assert.match(toHex(RNASP.encodeCommand(cmd as never)), /81 03 00 FF FF/);
  });
});
