// Known-answer DER fixtures (fixtures/der/README.md): every file in valid/ decodes with its
// protocol's decodePdu and re-encodes byte for byte (or, marked `roundtrip: no`, decodes to the
// same value as the file it names); every file in invalid/ fails with exactly its declared error
// kind and rule. Two coverage checks keep the directories honest: every commanddata and
// responsedata alternative of every protocol has a valid fixture, and every rule the decoders can
// report has an invalid one. ref: im2000 §6, §6.1, §18 C-1, C-2, C-3, C-12

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DerSchemaError, DerSyntaxError } from "../../src/der/mod.ts";
import { MSOAP } from "../../src/im2000/msoap.ts";
import { MSRAP } from "../../src/im2000/msrap.ts";
import { RNASP } from "../../src/im2000/rnasp.ts";
import { RNAQP } from "../../src/im2000/rnaqp.ts";
import type { Alternative, Pdu, Protocol } from "../../src/im2000/protocol.ts";
import { parseDerFixture, type DerFixture, type Im2000ProtocolName } from "../helpers/der-fixture.ts";
import { toHex } from "../helpers/hex.ts";

type AnyProtocol = Protocol<Alternative, Alternative>;
type AnyPdu = Pdu<Alternative, Alternative>;
const PROTOCOLS = { MSOAP, MSRAP, RNASP, RNAQP } as unknown as Record<Im2000ProtocolName, AnyProtocol>;

const root = fileURLToPath(new URL("../../", import.meta.url));

function load(dir: "valid" | "invalid"): DerFixture[] {
  const path = join(root, "fixtures", "der", dir);
  return readdirSync(path)
    .filter((f) => f.endsWith(".hex"))
    .sort()
    .map((f) => parseDerFixture(f, readFileSync(join(path, f), "utf8"), dir === "valid"));
}

function reencode(p: AnyProtocol, pdu: AnyPdu): Uint8Array {
  return pdu.kind === "command" ? p.encodeCommand(pdu.value, false) : p.encodeResponse(pdu.value, false);
}

const validFixtures = load("valid");
const invalidFixtures = load("invalid");
const validByName = new Map(validFixtures.map((f) => [f.name, f]));

describe("fixtures/der/valid", () => {
  it("holds fixtures", () => assert.ok(validFixtures.length > 0));
  for (const f of validFixtures) {
    const p = PROTOCOLS[f.protocol];
    if (f.roundtrip) {
      it(`${f.name}: ${f.protocol}.decodePdu then re-encoding gives the same octets`, () => {
        const pdu = p.decodePdu(f.bytes);
        assert.equal(toHex(reencode(p, pdu)), toHex(f.bytes));
      });
    } else {
      it(`${f.name}: ${f.protocol}.decodePdu accepts it, and it is marked roundtrip: no because re-encoding differs`, () => {
        const pdu = p.decodePdu(f.bytes);
        assert.notEqual(toHex(reencode(p, pdu)), toHex(f.bytes));
      });
    }
    if (f.equals !== undefined) {
      it(`${f.name}: decodes to the same value as ${f.equals}, and re-encodes to its octets`, () => {
        const other = validByName.get(f.equals!);
        assert.ok(other, `${f.equals} exists in valid/`);
        assert.equal(other.protocol, f.protocol);
        const pdu = p.decodePdu(f.bytes);
        assert.deepEqual(pdu, p.decodePdu(other.bytes));
        assert.equal(toHex(reencode(p, pdu)), toHex(other.bytes));
      });
    }
  }

  it("covers every command and response alternative of every protocol", () => {
    const seen = new Set<string>();
    for (const f of validFixtures) {
      const pdu = PROTOCOLS[f.protocol].decodePdu(f.bytes);
      const data = pdu.kind === "command" ? pdu.value.commanddata : pdu.value.responsedata;
      seen.add(`${f.protocol} ${data.kind}`);
    }
    const missing: string[] = [];
    for (const [name, p] of Object.entries(PROTOCOLS)) {
      for (const a of [...p.commanddata.alts, ...p.responsedata.alts]) if (!seen.has(`${name} ${a.name}`)) missing.push(`${name} ${a.name}`);
    }
    assert.deepEqual(missing, []);
  });
});

describe("fixtures/der/invalid", () => {
  it("holds fixtures", () => assert.ok(invalidFixtures.length > 0));
  for (const f of invalidFixtures) {
    const kind = f.error === "syntax" ? DerSyntaxError : DerSchemaError;
    it(`${f.name}: ${f.protocol}.decodePdu fails with ${kind.name} rule ${f.rule}`, () => {
      assert.throws(
        () => PROTOCOLS[f.protocol].decodePdu(f.bytes),
        (e: unknown) => {
          assert.ok(e instanceof kind, `expected ${kind.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
          assert.equal(e.rule, f.rule, e.message);
          assert.ok(e.offset >= 0 && e.offset <= f.bytes.length, `offset ${e.offset} lies within the input`);
          return true;
        },
      );
    });
  }

  it("has a fixture for every rule the decoders can report", () => {
    // The rule names, read from the decoders' source, so a new rule cannot arrive without a fixture.
    const rules = new Set<string>();
    for (const dir of ["src/der", "src/im2000"]) {
      for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith(".ts"))) {
        const src = readFileSync(join(root, dir, file), "utf8");
        for (const m of src.matchAll(/(?:\.syntax|\.schema|new Der(?:Syntax|Schema)Error)\(\s*"([a-z0-9-]+)"/g)) rules.add(m[1]!);
        // The sequence decoder picks one of two rules in a conditional expression.
        for (const m of src.matchAll(/\?\s*"([a-z]+(?:-[a-z]+)+)"\s*:\s*"([a-z]+(?:-[a-z]+)+)"/g)) rules.add(m[1]!).add(m[2]!);
      }
    }
    rules.delete("internal"); // the catch-all for a decoder bug: no input should reach it
    assert.ok(rules.size >= 20, `found the decoders' rules (${[...rules].join(", ")})`);
    const covered = new Set(invalidFixtures.map((f) => f.rule));
    assert.deepEqual([...rules].filter((r) => !covered.has(r)).sort(), []);
  });
});
