// fast-check generators derived from the DER schemas themselves, so every PDU type of every
// protocol gets round-trip coverage without a hand-written generator per type.

import fc from "fast-check";
import type { Alt, Codec, Field } from "../../src/der/mod.ts";

export function arbitraryFor<T>(codec: Codec<T>): fc.Arbitrary<T> {
  const c = codec as Codec<unknown> & Record<string, unknown>;
  switch (c.kind) {
    case "boolean":
      return fc.boolean() as fc.Arbitrary<T>;
    case "uint": {
      const min = c.min as number;
      const max = c.max as number;
      return fc.oneof(
        fc.integer({ min, max: Math.min(max, 300) }),
        fc.integer({ min, max: Math.min(max, 2 ** 31 - 1) }),
        max > 2 ** 31 ? fc.maxSafeNat().map((v) => Math.max(min, v)) : fc.integer({ min, max }),
        fc.constantFrom(min, max),
      ) as fc.Arbitrary<T>;
    }
    case "integer":
      return fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }) as fc.Arbitrary<T>;
    case "enumerated": {
      const n = (c.names as readonly string[]).length;
      return fc.integer({ min: 0, max: n - 1 }) as fc.Arbitrary<T>;
    }
    case "octets": {
      const size = c.size as number | undefined;
      return (size !== undefined ? fc.uint8Array({ minLength: size, maxLength: size }) : fc.uint8Array({ maxLength: 300 })) as fc.Arbitrary<T>;
    }
    case "utf8":
      return fc.string({ unit: "binary", maxLength: 20 }) as fc.Arbitrary<T>;
    case "sequenceOf":
      return fc.array(arbitraryFor(c.element as Codec<unknown>), { maxLength: 3 }) as fc.Arbitrary<T>;
    case "explicit":
      return arbitraryFor(c.inner as Codec<unknown>) as fc.Arbitrary<T>;
    case "choice":
      return fc.oneof(...(c.alts as readonly Alt[]).map((a) => arbitraryFor(a.codec).map((value) => ({ kind: a.name, value })))) as fc.Arbitrary<T>;
    case "sequence": {
      const fields = c.fields as readonly Field[];
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const f of fields) {
        let a = arbitraryFor(f.codec);
        // §18 C-3: an OPTIONAL SEQUENCE OF is never present-but-empty on the wire.
        if (f.optional && f.codec.kind === "sequenceOf") a = a.filter((x) => (x as unknown[]).length > 0);
        model[f.name] = a;
        if (!f.optional) required.push(f.name);
      }
      // fc.record builds null-prototype objects; decoded values are plain objects.
      return fc.record(model, { requiredKeys: required }).map((o) => ({ ...o })) as fc.Arbitrary<T>;
    }
  }
  throw new Error(`no arbitrary for ${c.kind}`);
}
