// A consuming cursor over DER octets (after cryptobyte's String): each read takes one TLV off the
// front of the window. Strict X.690 DER only (im2000 §6 item 2): definite, minimal lengths; the
// high-tag-number form only for numbers ≥ 31 and without leading 0x80 octets. A declared length is
// checked against the bytes actually present before anything else happens, so a 20-byte input that
// claims 2^31 octets fails at once and allocates nothing.

import { DerSchemaError, DerSyntaxError } from "./errors.ts";

export const CLASS_UNIVERSAL = 0;
export const CLASS_APPLICATION = 1;
export const CLASS_CONTEXT = 2;
export const CLASS_PRIVATE = 3;

/** Header of the element at the cursor (filled by DerReader.peek, reused to avoid allocation). */
export interface Header {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  cls: number;
  constructed: boolean;
  /** Tag number. */
  num: number;
  /** Identifier octet for tag numbers < 31 (class | constructed | number); -1 for high tag numbers. */
  id: number;
  /** Absolute offsets: element start, content start, content end. */
  start: number;
  contentStart: number;
  end: number;
}

const MAX_TAG_NUMBER = 0x1fffff; // 3 subsequent octets: far beyond anything IM2000 defines

export class DerReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  /** Field path stack shared by nested readers; rendered only when an error is thrown. */
  readonly path: (string | number)[];
  readonly h: Header = { cls: 0, constructed: false, num: 0, id: 0, start: 0, contentStart: 0, end: 0 };
  #peeked = -1;

  constructor(buf: Uint8Array, start = 0, end = buf.byteLength, path: (string | number)[] = []) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.path = path;
  }

  get empty(): boolean {
    return this.pos >= this.end;
  }

  /** The rendered path, `Root.field[2].sub`. */
  pathString(): string {
    let s = "";
    for (const p of this.path) s += typeof p === "number" ? `[${p}]` : s === "" ? p : `.${p}`;
    return s;
  }

  syntax(rule: string, detail: string, offset = this.pos): DerSyntaxError {
    return new DerSyntaxError(rule, detail, offset, this.pathString());
  }

  schema(rule: string, detail: string, offset = this.pos): DerSchemaError {
    return new DerSchemaError(rule, detail, offset, this.pathString());
  }

  /**
   * Parses the header of the next element into `this.h` without consuming it.
   * Throws DerSyntaxError for anything that is not strict DER.
   */
  peek(): Header {
    const h = this.h;
    if (this.#peeked === this.pos) return h;
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    if (p >= end) throw this.syntax("truncated", "expected an element, found end of data");
    const first = buf[p]!;
    h.start = p;
    h.cls = first >> 6;
    h.constructed = (first & 0x20) !== 0;
    p++;
    let num = first & 0x1f;
    if (num === 0x1f) {
      // High-tag-number form (X.690 8.1.2.4): base-128, no leading 0x80, only for numbers ≥ 31.
      if (p >= end) throw this.syntax("truncated", "tag number truncated", p);
      if (buf[p] === 0x80) throw this.syntax("non-minimal-tag", "tag number has a leading zero octet", p);
      num = 0;
      for (;;) {
        if (p >= end) throw this.syntax("truncated", "tag number truncated", p);
        const b = buf[p++]!;
        num = num * 128 + (b & 0x7f);
        if (num > MAX_TAG_NUMBER) throw this.syntax("tag-too-large", "tag number too large", h.start);
        if ((b & 0x80) === 0) break;
      }
      if (num < 31) throw this.syntax("non-minimal-tag", `tag number ${num} in high-tag-number form`, h.start);
      h.id = -1;
    } else {
      h.id = first;
    }
    h.num = num;
    if (p >= end) throw this.syntax("truncated", "length missing", p);
    const l0 = buf[p++]!;
    let len: number;
    if (l0 < 0x80) {
      len = l0;
    } else if (l0 === 0x80) {
      throw this.syntax("indefinite-length", "indefinite length is not DER", p - 1);
    } else if (l0 === 0xff) {
      throw this.syntax("reserved-length", "length octet 0xFF is reserved", p - 1);
    } else {
      const n = l0 & 0x7f;
      if (n > 4) throw this.syntax("length-too-large", `length of ${n} octets exceeds the input`, p - 1);
      if (p + n > end) throw this.syntax("truncated", "length octets truncated", p);
      if (buf[p] === 0) throw this.syntax("non-minimal-length", "length has a leading zero octet", p - 1);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
      if (len < 0x80) throw this.syntax("non-minimal-length", `long-form length ${len} is under 128`, h.start);
    }
    if (len > end - p) throw this.syntax("truncated", `declared length ${len} exceeds the ${end - p} octets available`, h.start);
    h.contentStart = p;
    h.end = p + len;
    this.#peeked = this.pos;
    return h;
  }

  /** Skips the next element (used for unknown context tags, im2000 §18 C-12). */
  skip(): void {
    const h = this.peek();
    this.pos = h.end;
  }

  /**
   * Consumes the next element, which must have identifier octet `id`. Returns its content window
   * as [contentStart, end] in `this.h`.
   */
  expect(id: number, what: string): Header {
    const h = this.peek();
    if (h.id !== id) {
      throw this.schema("wrong-tag", `expected ${what} (tag ${hex(id)}), found tag ${describeTag(h)}`, h.start);
    }
    this.pos = h.end;
    return h;
  }

  /** A reader over [start, end) sharing this reader's buffer and path. */
  sub(start: number, end: number): DerReader {
    return new DerReader(this.buf, start, end, this.path);
  }

  /** Throws unless every octet of the window was consumed. */
  expectEnd(what: string): void {
    if (this.pos < this.end) throw this.syntax("trailing-data", `${this.end - this.pos} octet(s) after ${what}`);
  }
}

export function hex(id: number): string {
  return "0x" + id.toString(16).padStart(2, "0").toUpperCase();
}

export function describeTag(h: Header): string {
  if (h.id >= 0) return hex(h.id);
  return `[${["UNIVERSAL", "APPLICATION", "", "PRIVATE"][h.cls]} ${h.num}]`.replace("[ ", "[");
}
