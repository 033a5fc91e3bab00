// Properties of every PDU of every protocol, with generators derived from the schemas:
// round trip, decoders that only ever throw the typed DER errors, and unknown SEQUENCE
// components skipped wherever they appear (im2000 §6 item 2, §18 C-12).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DerError, DerWriter, type Alt, type Codec, type Field } from "../../src/der/mod.ts";
import { MSOAP } from "../../src/im2000/msoap.ts";
import { MSRAP } from "../../src/im2000/msrap.ts";
import { RNASP } from "../../src/im2000/rnasp.ts";
import { RNAQP } from "../../src/im2000/rnaqp.ts";
import type { Alternative, Protocol } from "../../src/im2000/protocol.ts";
import { arbitraryFor } from "../helpers/arbitrary.ts";

const protocols = [MSOAP, MSRAP, RNASP, RNAQP] as unknown as Protocol<Alternative, Alternative>[];

/** Encodes like the codecs do, but drops unknown context-tagged components into every SEQUENCE. */
function encodeWithJunk(codec: Codec<unknown>, v: unknown, id: number, w: DerWriter, rnd: () => number): void {
  const c = codec as Codec<unknown> & Record<string, unknown>;
  switch (c.kind) {
    case "sequence": {
      const fields = c.fields as readonly Field[];
      const known = new Set(fields.map((f) => f.tag));
      const junk = () => {
        if (rnd() < 0.5) return;
        let tag = 0;
        do tag = Math.floor(rnd() * 31);
        while (known.has(tag));
        if (rnd() < 0.5) w.primitive(0x80 | tag, Uint8Array.of(1, 2, 3));
        else w.constructed(0xa0 | tag, () => w.primitive(0x04, Uint8Array.of(9)));
      };
      w.open(id);
      for (const f of fields) {
        junk();
        const x = (v as Record<string, unknown>)[f.name];
        if (x === undefined || (f.optional && Array.isArray(x) && x.length === 0)) continue;
        encodeWithJunk(f.codec, x, f.id, w, rnd);
      }
      junk();
      w.close();
      return;
    }
    case "sequenceOf":
      w.open(id);
      for (const x of v as unknown[]) encodeWithJunk(c.element as Codec<unknown>, x, (c.element as Codec<unknown>).id, w, rnd);
      w.close();
      return;
    case "explicit": {
      const inner = c.inner as Codec<unknown>;
      w.open(id);
      encodeWithJunk(inner, v, inner.id, w, rnd);
      w.close();
      return;
    }
    case "choice": {
      const cv = v as { kind: string; value: unknown };
      const a = (c.alts as readonly Alt[]).find((x) => x.name === cv.kind)!;
      encodeWithJunk(a.codec, cv.value, a.id, w, rnd);
      return;
    }
    default:
      codec.encode(w, v, id);
  }
}

function onlyTypedErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DerError)) throw new Error(`decoder threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

for (const p of protocols) {
  describe(`${p.name} PDUs`, () => {
    const commands = arbitraryFor(p.commandCodec);
    const responses = arbitraryFor(p.responseCodec);

    it("every command round-trips byte for byte", () => {
      fc.assert(
        fc.property(commands, (cmd) => {
          const bytes = p.encodeCommand(cmd, false);
          const back = p.decodePdu(bytes);
          assert.deepEqual(back, { kind: "command", value: cmd });
          assert.deepEqual(p.encodeCommand(back.value as typeof cmd, false), bytes);
        }),
        { numRuns: 300 },
      );
    });

    it("every response round-trips byte for byte", () => {
      fc.assert(
        fc.property(responses, (rsp) => {
          const bytes = p.encodeResponse(rsp, false);
          const back = p.decodePdu(bytes);
          assert.deepEqual(back, { kind: "response", value: rsp });
          assert.deepEqual(p.encodeResponse(back.value as typeof rsp, false), bytes);
        }),
        { numRuns: 300 },
      );
    });

    it("the gathered-write parts concatenate to the contiguous encoding", () => {
      fc.assert(
        fc.property(commands, responses, (cmd, rsp) => {
          const cat = (ps: Uint8Array[]) => Uint8Array.from(ps.flatMap((x) => [...x]));
          assert.deepEqual(cat(p.encodeCommandParts(cmd)), p.encodeCommand(cmd));
          assert.deepEqual(cat(p.encodeResponseParts(rsp)), p.encodeResponse(rsp));
        }),
        { numRuns: 200 },
      );
    });

    it("unknown SEQUENCE components are skipped wherever they appear", () => {
      fc.assert(
        fc.property(fc.oneof(commands.map((v) => ({ v, kind: "command" as const })), responses.map((v) => ({ v, kind: "response" as const }))), fc.integer(), ({ v, kind }, seed) => {
          const c = (kind === "command" ? p.commandCodec : p.responseCodec) as Codec<unknown>;
          const id = kind === "command" ? 0xa1 : 0xa2;
          let s = seed >>> 0 || 1;
          const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
          const w = new DerWriter();
          encodeWithJunk(c, v, id, w, rnd);
          assert.deepEqual(p.decodePdu(w.finish()), { kind, value: v });
        }),
        { numRuns: 300 },
      );
    });

    it("arbitrary bytes produce a value or a typed error, nothing else", () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyTypedErrors(() => p.decodePdu(bytes))), { numRuns: 2000 });
    });

    it("mutated and truncated encodings produce a value or a typed error", () => {
      fc.assert(
        fc.property(fc.oneof(commands.map((c) => p.encodeCommand(c, false)), responses.map((r) => p.encodeResponse(r, false))), fc.nat(), fc.nat(255), fc.boolean(), (bytes, at, val, truncate) => {
          const b = Uint8Array.from(bytes);
          const i = at % b.byteLength;
          if (truncate) onlyTypedErrors(() => p.decodePdu(b.subarray(0, i)));
          else {
            b[i] = val;
            onlyTypedErrors(() => p.decodePdu(b));
          }
        }),
        { numRuns: 2000 },
      );
    });
  });
}
