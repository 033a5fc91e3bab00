// Declarative codecs for the ASN.1 subset IM2000 uses. A schema reads like the module it comes
// from (`req(0, "account", utf8)` is `account [0] UTF8String`), gives the TypeScript type of its
// values, encodes strict DER and decodes strict DER with typed errors. The codec objects are also
// introspectable (kind, fields, alternatives), so tests derive fast-check generators from them.
//
// IM2000 rules applied here (im2000.md §6, §18):
// - every component carries a context tag, IMPLICIT, except that a tag on a CHOICE is EXPLICIT
//   (§6 item 4): use `explicit(choice(...))` for such fields;
// - unknown context-specific components inside a SEQUENCE are skipped, known ones must be in
//   ascending tag order, anything else is an error (C-12);
// - an OPTIONAL SEQUENCE OF with no elements is omitted on output and read as absent (C-3);
// - the modules' UTF8String is [UNIVERSAL 22]: emitted as 0x16, 0x16 or 0x0C accepted (§6 item 3).

import { DerError, DerSyntaxError } from "./errors.ts";
import { CLASS_CONTEXT, DerReader, describeTag } from "./reader.ts";
import { DerWriter } from "./writer.ts";

export type CodecKind = "boolean" | "uint" | "integer" | "enumerated" | "octets" | "utf8" | "sequence" | "sequenceOf" | "choice" | "explicit";

export interface Codec<T> {
  readonly kind: CodecKind;
  /** Name used in messages and as the root of paths. */
  readonly typeName: string;
  /** Identifier octet when used untagged; -1 for CHOICE (which has no tag of its own). */
  readonly id: number;
  readonly constructed: boolean;
  /** Writes one element with identifier `id` (the codec's own id when untagged). */
  encode(w: DerWriter, v: T, id: number): void;
  /** Reads one element that must carry identifier `id`. */
  decode(r: DerReader, id: number): T;
}

export type Infer<C> = C extends Codec<infer T> ? T : never;

const ID_BOOLEAN = 0x01;
const ID_INTEGER = 0x02;
const ID_OCTET_STRING = 0x04;
const ID_ENUMERATED = 0x0a;
const ID_UTF8STRING_REAL = 0x0c;
const ID_SEQUENCE = 0x30;
/** The modules' own `UTF8String ::= [UNIVERSAL 22] IMPLICIT OCTET STRING` (I-5). */
const ID_UTF8STRING_IM2000 = 0x16;

/** Identifier octet of a context-specific tag. */
export function contextId(tag: number, constructed: boolean): number {
  if (tag < 0 || tag > 30) throw new RangeError(`context tag ${tag} out of the single-octet range`);
  return 0x80 | (constructed ? 0x20 : 0) | tag;
}

// ---------------------------------------------------------------------------------------------
// Primitives

export const boolean: Codec<boolean> = {
  kind: "boolean",
  typeName: "BOOLEAN",
  id: ID_BOOLEAN,
  constructed: false,
  encode(w, v, id) {
    w.primitiveBytes(id, v ? 0xff : 0x00);
  },
  decode(r, id) {
    const h = r.expect(id, "BOOLEAN");
    if (h.end - h.contentStart !== 1) throw r.syntax("bad-boolean-length", `BOOLEAN of ${h.end - h.contentStart} octets`, h.start);
    const b = r.buf[h.contentStart];
    if (b === 0xff) return true;
    if (b === 0x00) return false;
    throw r.syntax("bad-boolean", `BOOLEAN content ${b} is neither 0x00 nor 0xFF`, h.contentStart);
  },
};

/** Checks X.690 8.3.2: the first nine bits of an INTEGER are not all equal. */
function checkIntegerContent(r: DerReader, start: number, end: number): void {
  if (end === start) throw r.syntax("empty-integer", "INTEGER with no content octets", start);
  if (end - start > 1) {
    const b0 = r.buf[start]!;
    const b1 = r.buf[start + 1]!;
    if ((b0 === 0x00 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80)) throw r.syntax("non-minimal-integer", "INTEGER is not minimally encoded", start);
  }
}

function readUnsigned(r: DerReader, id: number, what: string): number {
  const h = r.expect(id, what);
  const s = h.contentStart;
  const e = h.end;
  checkIntegerContent(r, s, e);
  const buf = r.buf;
  if (buf[s]! & 0x80) throw r.schema("negative", `${what} is negative where 0..MAX is required`, s);
  let v = 0;
  for (let i = s; i < e; i++) {
    v = v * 256 + buf[i]!;
    if (v > Number.MAX_SAFE_INTEGER) throw r.schema("integer-too-large", `${what} exceeds 2^53-1`, s);
  }
  return v;
}

function writeUnsigned(w: DerWriter, id: number, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`cannot encode ${v} as INTEGER (0..MAX)`);
  if (v < 0x80) {
    w.primitiveBytes(id, v);
    return;
  }
  const octets: number[] = [];
  let x = v;
  while (x > 0) {
    octets.unshift(x % 256);
    x = Math.floor(x / 256);
  }
  if (octets[0]! & 0x80) octets.unshift(0);
  w.primitiveBytes(id, ...octets);
}

/**
 * INTEGER (0..MAX) as a JS number. Arbitrary-length on the wire; values above 2^53-1 are refused
 * as "integer-too-large" (the application cap im2000 §6 item 6 allows). Optional bounds.
 */
export function uint(min = 0, max = Number.MAX_SAFE_INTEGER, typeName = "INTEGER"): Codec<number> & { readonly min: number; readonly max: number } {
  return {
    kind: "uint",
    typeName,
    id: ID_INTEGER,
    constructed: false,
    min,
    max,
    encode(w, v, id) {
      if (v < min || v > max) throw new RangeError(`${typeName} ${v} outside ${min}..${max}`);
      writeUnsigned(w, id, v);
    },
    decode(r, id) {
      const start = r.pos;
      const v = readUnsigned(r, id, typeName);
      if (v < min || v > max) throw r.schema("out-of-range", `${typeName} ${v} outside ${min}..${max}`, start);
      return v;
    },
  };
}

/** INTEGER of any size and sign, as bigint. */
export const integer: Codec<bigint> = {
  kind: "integer",
  typeName: "INTEGER",
  id: ID_INTEGER,
  constructed: false,
  encode(w, v, id) {
    const octets: number[] = [];
    let x = v;
    // Two's complement, minimal: stop when the remaining value is the sign extension of the top bit.
    for (;;) {
      const b = Number(BigInt.asUintN(8, x));
      octets.unshift(b);
      x >>= 8n;
      if ((x === 0n && (b & 0x80) === 0) || (x === -1n && (b & 0x80) !== 0)) break;
    }
    w.primitive(id, Uint8Array.from(octets));
  },
  decode(r, id) {
    const h = r.expect(id, "INTEGER");
    checkIntegerContent(r, h.contentStart, h.end);
    let v = 0n;
    for (let i = h.contentStart; i < h.end; i++) v = (v << 8n) | BigInt(r.buf[i]!);
    if (r.buf[h.contentStart]! & 0x80) v -= 1n << BigInt(8 * (h.end - h.contentStart));
    return v;
  },
};

/**
 * ENUMERATED with the given names (index = value). `open` accepts values beyond the table (for
 * response statuses: im2000 §7 C-3 says unknown statuses are a generic error, not a bad PDU).
 */
export function enumerated(typeName: string, names: readonly string[], open = false): Codec<number> & { readonly names: readonly string[]; readonly open: boolean } {
  return {
    kind: "enumerated",
    typeName,
    id: ID_ENUMERATED,
    constructed: false,
    names,
    open,
    encode(w, v, id) {
      writeUnsigned(w, id, v);
    },
    decode(r, id) {
      const start = r.pos;
      const v = readUnsigned(r, id, typeName);
      if (!open && v >= names.length) throw r.schema("unknown-enumerated", `${typeName} value ${v} is not defined`, start);
      return v;
    },
  };
}

/** OCTET STRING; with `size`, exactly that many octets. Decodes to a view of the input (no copy). */
export function octets(typeName = "OCTET STRING", size?: number): Codec<Uint8Array> & { readonly size: number | undefined } {
  return {
    kind: "octets",
    typeName,
    id: ID_OCTET_STRING,
    constructed: false,
    size,
    encode(w, v, id) {
      if (size !== undefined && v.byteLength !== size) throw new RangeError(`${typeName} must be ${size} octets, got ${v.byteLength}`);
      w.primitive(id, v);
    },
    decode(r, id) {
      const h = r.expect(id, typeName);
      const n = h.end - h.contentStart;
      if (size !== undefined && n !== size) throw r.schema("wrong-size", `${typeName} must be ${size} octets, found ${n}`, h.start);
      return r.buf.subarray(h.contentStart, h.end);
    },
  };
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Up to this many content octets, an all-ASCII UTF8String is decoded without TextDecoder. */
const MAX_ASCII_FAST_PATH = 64;

/** The modules' UTF8String, as a JS string; invalid UTF-8 is a schema error. */
export const utf8: Codec<string> = {
  kind: "utf8",
  typeName: "UTF8String",
  id: ID_UTF8STRING_IM2000,
  constructed: false,
  encode(w, v, id) {
    w.primitiveUtf8(id, v);
  },
  decode(r, id) {
    const accept0C = id === ID_UTF8STRING_IM2000 && r.peek().id === ID_UTF8STRING_REAL;
    const h = r.expect(accept0C ? ID_UTF8STRING_REAL : id, "UTF8String");
    // Short ASCII contents (the common case) are built in JS: TextDecoder's per-call cost
    // dominated the decoding of notification batches (scripts/bench-der.ts). ASCII is valid UTF-8.
    if (h.end - h.contentStart <= MAX_ASCII_FAST_PATH) {
      const buf = r.buf;
      let s = "";
      let i = h.contentStart;
      while (i < h.end && buf[i]! < 0x80) s += String.fromCharCode(buf[i++]!);
      if (i === h.end) return s;
    }
    try {
      return utf8Decoder.decode(r.buf.subarray(h.contentStart, h.end));
    } catch {
      throw r.schema("invalid-utf8", "UTF8String is not valid UTF-8", h.start);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Constructed types

export interface Field<N extends string = string, T = any, O extends boolean = boolean> {
  readonly name: N;
  readonly tag: number;
  readonly codec: Codec<T>;
  readonly optional: O;
  /** Identifier octet of this component on the wire. */
  readonly id: number;
}

function makeField<N extends string, T, O extends boolean>(tag: number, name: N, codec: Codec<T>, optional: O): Field<N, T, O> {
  if (codec.kind === "choice") throw new TypeError(`field ${name}: a tag on a CHOICE is EXPLICIT (im2000 §6 item 4); wrap it in explicit()`);
  return { name, tag, codec, optional, id: contextId(tag, codec.constructed) };
}

/** A required component `name [tag] Type`. */
export function req<N extends string, T>(tag: number, name: N, codec: Codec<T>): Field<N, T, false> {
  return makeField(tag, name, codec, false);
}

/** An OPTIONAL component. */
export function opt<N extends string, T>(tag: number, name: N, codec: Codec<T>): Field<N, T, true> {
  return makeField(tag, name, codec, true);
}

type FieldValue<F> = F extends Field<string, infer T, boolean> ? T : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type SeqValue<F extends readonly Field[]> = Simplify<
  { -readonly [K in F[number] as K extends Field<string, any, false> ? K["name"] : never]: FieldValue<K> } & {
    -readonly [K in F[number] as K extends Field<string, any, true> ? K["name"] : never]?: FieldValue<K>;
  }
>;

export type SequenceCodec<T> = Codec<T> & { readonly fields: readonly Field[] };

/** SEQUENCE { … } with context-tagged components in ascending tag order. */
export function sequence<const F extends readonly Field[]>(typeName: string, fields: F): SequenceCodec<SeqValue<F>> {
  let prev = -1;
  const byTag: (Field | undefined)[] = [];
  for (const f of fields) {
    if (f.tag <= prev) throw new TypeError(`${typeName}: components must be in ascending tag order`);
    prev = f.tag;
    byTag[f.tag] = f;
  }
  return {
    kind: "sequence",
    typeName,
    id: ID_SEQUENCE,
    constructed: true,
    fields,
    encode(w, v, id) {
      const rec = v as Record<string, unknown>;
      w.open(id);
      for (const f of fields) {
        const x = rec[f.name];
        if (x === undefined) {
          if (!f.optional) throw new TypeError(`${typeName}.${f.name} is required`);
          continue;
        }
        if (f.optional && Array.isArray(x) && x.length === 0) continue; // C-3: omit empty OPTIONAL SEQUENCE OF
        f.codec.encode(w, x, f.id);
      }
      w.close();
    },
    decode(r, id) {
      const h = r.expect(id, typeName);
      const sub = r.sub(h.contentStart, h.end);
      const out: Record<string, unknown> = {};
      let last = -1;
      while (!sub.empty) {
        const eh = sub.peek();
        if (eh.cls !== CLASS_CONTEXT) throw sub.schema("unexpected-tag", `unexpected ${describeTag(eh)} inside ${typeName}`, eh.start);
        const f = byTag[eh.num];
        if (f === undefined) {
          sub.skip(); // C-12: an unknown context-specific component, skipped wherever it appears
          continue;
        }
        if (eh.num <= last) {
          throw sub.schema(eh.num === last ? "duplicate-component" : "out-of-order", `${typeName}.${f.name} ${eh.num === last ? "repeated" : "out of order"}`, eh.start);
        }
        last = eh.num;
        sub.path.push(f.name);
        const x = f.codec.decode(sub, f.id);
        sub.path.pop();
        if (!(f.optional && Array.isArray(x) && x.length === 0)) out[f.name] = x; // C-3: empty reads as absent
      }
      for (const f of fields) {
        if (!f.optional && !(f.name in out)) throw r.schema("missing-component", `${typeName}.${f.name} is missing`, h.start);
      }
      return out as SeqValue<F>;
    },
  };
}

/** SEQUENCE OF Element, elements untagged. */
export function sequenceOf<T>(element: Codec<T>, typeName = `SEQUENCE OF ${element.typeName}`): Codec<T[]> & { readonly element: Codec<T> } {
  return {
    kind: "sequenceOf",
    typeName,
    id: ID_SEQUENCE,
    constructed: true,
    element,
    encode(w, v, id) {
      w.open(id);
      for (const x of v) element.encode(w, x, element.id);
      w.close();
    },
    decode(r, id) {
      const h = r.expect(id, typeName);
      const sub = r.sub(h.contentStart, h.end);
      const out: T[] = [];
      while (!sub.empty) {
        sub.path.push(out.length);
        out.push(element.decode(sub, element.id));
        sub.path.pop();
      }
      return out;
    },
  };
}

export interface Alt<N extends string = string, T = any> {
  readonly name: N;
  readonly tag: number;
  readonly codec: Codec<T>;
  readonly id: number;
}

/** An alternative `name [tag] Type` of a CHOICE (IMPLICIT tag on the alternative's type). */
export function alt<N extends string, T>(tag: number, name: N, codec: Codec<T>): Alt<N, T> {
  if (codec.kind === "choice") throw new TypeError(`alternative ${name}: nested CHOICE must be explicit`);
  return { name, tag, codec, id: contextId(tag, codec.constructed) };
}

type ChoiceValue<A extends readonly Alt[]> = { [K in keyof A]: A[K] extends Alt<infer N, infer T> ? { kind: N; value: T } : never }[number];

export type ChoiceCodec<T> = Codec<T> & { readonly alts: readonly Alt[] };

/** CHOICE of context-tagged alternatives; the value is `{ kind: altName, value }`. */
export function choice<const A extends readonly Alt[]>(typeName: string, alts: A): ChoiceCodec<ChoiceValue<A>> {
  const byName = new Map<string, Alt>();
  const byTag: (Alt | undefined)[] = [];
  for (const a of alts) {
    byName.set(a.name, a);
    byTag[a.tag] = a;
  }
  return {
    kind: "choice",
    typeName,
    id: -1,
    constructed: true,
    alts,
    encode(w, v) {
      const cv = v as { kind: string; value: unknown };
      const a = byName.get(cv.kind);
      if (a === undefined) throw new TypeError(`${typeName}: unknown alternative ${cv.kind}`);
      a.codec.encode(w, cv.value, a.id);
    },
    decode(r) {
      const h = r.peek();
      const a = h.cls === CLASS_CONTEXT ? byTag[h.num] : undefined;
      if (a === undefined || a.id !== h.id) throw r.schema("unknown-alternative", `${describeTag(h)} is not an alternative of ${typeName}`, h.start);
      return { kind: a.name, value: a.codec.decode(r, a.id) } as ChoiceValue<A>;
    },
  };
}

/** An EXPLICIT tag: a constructed [n] wrapper around the inner element (used for tagged CHOICEs). */
export function explicit<T>(inner: Codec<T>): Codec<T> & { readonly inner: Codec<T> } {
  return {
    kind: "explicit",
    typeName: inner.typeName,
    id: -1,
    constructed: true,
    inner,
    encode(w, v, id) {
      w.open(id);
      inner.encode(w, v, inner.id);
      w.close();
    },
    decode(r, id) {
      const h = r.expect(id, inner.typeName);
      const sub = r.sub(h.contentStart, h.end);
      const v = inner.decode(sub, inner.id);
      sub.expectEnd(inner.typeName);
      return v;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Whole values

/** Encodes one value (untagged, or with `id`); framed=true adds the 4-octet length of im2000 §5. */
export function encode<T>(codec: Codec<T>, v: T, framed = false, id = codec.id): Uint8Array {
  const w = new DerWriter();
  codec.encode(w, v, id);
  return w.finish(framed);
}

/** Like encode(), as parts for a gathered write (large payloads by reference, not copied). */
export function encodeParts<T>(codec: Codec<T>, v: T, framed = false, id = codec.id): Uint8Array[] {
  const w = new DerWriter();
  codec.encode(w, v, id);
  return w.finishParts(framed);
}

/**
 * Decodes exactly one value filling all of `bytes`. Throws only DerSyntaxError or DerSchemaError;
 * the path of any error starts with `root`.
 */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array, root: string = codec.typeName, id = codec.id): T {
  const r = new DerReader(bytes, 0, bytes.byteLength, [root]);
  try {
    const v = codec.decode(r, id);
    r.expectEnd(root);
    return v;
  } catch (e) {
    if (e instanceof DerError) throw e;
    // Defence in depth: whatever went wrong, the caller sees a typed decoding error.
    throw new DerSyntaxError("internal", `decoder failure: ${(e as Error)?.message ?? String(e)}`, r.pos, r.pathString());
  }
}
