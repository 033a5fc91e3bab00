// Start-up self-check: the runner's own codec must reproduce the byte vectors of im2000 §6.1 and
// §18 C-2 before it judges anybody else's PDUs. A runner whose codec drifted would report
// conforming shims as broken (or the reverse); it refuses to run instead (exit 2).

import { MSOAP } from "../src/im2000/msoap.ts";
import { MSRAP } from "../src/im2000/msrap.ts";
import { RNASP } from "../src/im2000/rnasp.ts";
import { RNAQP } from "../src/im2000/rnaqp.ts";
import type { Alternative, Protocol } from "../src/im2000/protocol.ts";

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => parseInt(clean.slice(2 * i, 2 * i + 2), 16));
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

type AnyProtocol = Protocol<Alternative, Alternative>;

interface Vector {
  readonly name: string;
  readonly protocol: AnyProtocol;
  readonly bytes: string;
  readonly encode: () => Uint8Array;
}

const lucy = {
  storeclear: { kind: "literals", value: [{ address: { kind: "version4", value: new Uint8Array([127, 0, 0, 1]) }, port: 8193 }] },
  recipient: { localpart: "lucy", domain: ["example", "org"] },
  identifier: new Uint8Array(16).fill(1),
  sender: "toby",
  size: 42,
};

export const VECTORS: readonly Vector[] = [
  {
    name: "§6.1 RNAQP CommandAuthenticate{u,p}",
    protocol: RNAQP as unknown as AnyProtocol,
    bytes: "00 00 00 0C A1 0A A0 08 A0 06 80 01 75 81 01 70",
    encode: () => RNAQP.encodeCommand({ commanddata: { kind: "commandAuthenticate", value: { account: "u", password: "p" } } }),
  },
  {
    name: "§6.1 RNAQP ResponseAuthenticate noerror",
    protocol: RNAQP as unknown as AnyProtocol,
    bytes: "00 00 00 0C A2 0A 80 01 00 81 01 00 A2 02 A1 00",
    encode: () => RNAQP.encodeResponse({ forceabort: false, status: 0, responsedata: { kind: "responseAuthenticate", value: {} } }),
  },
  {
    name: "§18 C-2 RNASP CommandNotify (one notification)",
    protocol: RNASP as unknown as AnyProtocol,
    bytes: `00 00 00 4F A1 4D A0 4B A0 49 A0 47 30 45 A0 10 A0 0E 30 0C A0 06 80 04 7F 00 00 01 81 02 20 01
      A2 16 80 04 6C 75 63 79 A1 0E 16 07 65 78 61 6D 70 6C 65 16 03 6F 72 67 83 10 01 01 01 01 01 01
      01 01 01 01 01 01 01 01 01 01 84 04 74 6F 62 79 85 01 2A`,
    encode: () => RNASP.encodeCommand({ commanddata: { kind: "commandNotify", value: { notifications: [lucy] } } } as never),
  },
  {
    name: "§18 C-2 MSRAP ResponseRetrieve{data \"hi\", size 2}",
    protocol: MSRAP as unknown as AnyProtocol,
    bytes: "00 00 00 13 A2 11 80 01 00 81 01 00 A2 09 A4 07 80 02 68 69 81 01 02",
    encode: () => MSRAP.encodeResponse({ forceabort: false, status: 0, responsedata: { kind: "responseRetrieve", value: { data: new TextEncoder().encode("hi"), size: 2 } } }),
  },
  {
    name: "§18 C-2 MSOAP ResponseSubmitEnvelope [acceptable, submissionaccessdenied]",
    protocol: MSOAP as unknown as AnyProtocol,
    bytes: "00 00 00 14 A2 12 80 01 00 81 01 07 A2 0A A2 08 A0 06 0A 01 00 0A 01 01",
    encode: () => MSOAP.encodeResponse({ forceabort: false, status: 7, responsedata: { kind: "responseSubmitEnvelope", value: { recipients: [0, 1] } } }),
  },
  {
    name: "§18 C-2 MSRAP errornosuchmessage",
    protocol: MSRAP as unknown as AnyProtocol,
    bytes: "00 00 00 0C A2 0A 80 01 00 81 01 07 A2 02 A0 00",
    encode: () => MSRAP.encodeResponse(MSRAP.nullResponse(MSRAP.status.errornosuchmessage, false)),
  },
  ...[MSOAP, MSRAP, RNASP, RNAQP].map((p) => ({
    name: `§18 C-2 S-1 reply (${p.name})`,
    protocol: p as unknown as AnyProtocol,
    bytes: "00 00 00 0C A2 0A 80 01 FF 81 01 01 A2 02 A0 00",
    encode: () => (p as unknown as AnyProtocol).encodeResponse((p as unknown as AnyProtocol).nullResponse(p.status.errormalformedpdu)),
  })),
];

/** Problems found (empty when the codec reproduces every vector, both ways). */
export function selfCheck(vectors: readonly Vector[] = VECTORS): string[] {
  const problems: string[] = [];
  for (const v of vectors) {
    const want = hex(v.bytes);
    try {
      const got = v.encode();
      if (!same(got, want)) problems.push(`${v.name}: encodes to a different byte string`);
      const decoded = v.protocol.decodePdu(want.subarray(4));
      const round = decoded.kind === "command" ? v.protocol.encodeCommand(decoded.value) : v.protocol.encodeResponse(decoded.value);
      if (!same(round, want)) problems.push(`${v.name}: decode-then-encode does not give the vector back`);
    } catch (e) {
      problems.push(`${v.name}: ${(e as Error).message}`);
    }
  }
  return problems;
}
