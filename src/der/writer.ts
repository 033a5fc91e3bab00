// A DER builder that appends elements in order and fills in lengths afterwards (after
// cryptobyte's Builder), without ever moving bytes it has already placed:
//
// - small octets (identifiers, lengths, primitive contents) go into one growable arena;
// - large OCTET STRING contents are kept by reference, not copied;
// - opening a constructed element records a length slot; closing it knows the content size,
//   because every append adds its size to the innermost open element.
//
// finish() then writes the final buffer in a single pass: every payload octet is copied exactly
// once, which keeps a 64 KiB message chunk within a small factor of a plain copy.

const OP_ARENA = 0; // a: arena start, b: length
const OP_REF = 1; //   a: index into refs, b: length
const OP_LEN = 2; //   a: content length (filled in when the element closes)

/** Contents at least this long are referenced rather than copied into the arena. */
const REF_THRESHOLD = 256;

const utf8Encoder = new TextEncoder();

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

export class DerWriter {
  #arena = new Uint8Array(256);
  #arenaLen = 0;
  #ops: number[] = [];
  #refs: Uint8Array[] = [];
  /** For each open element: index of its OP_LEN slot in #ops, and its content size so far. */
  #openOps: number[] = [];
  #openSizes: number[] = [];
  #total = 0;

  #room(n: number): void {
    if (this.#arenaLen + n <= this.#arena.byteLength) return;
    let cap = this.#arena.byteLength * 2;
    while (cap < this.#arenaLen + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#arena.subarray(0, this.#arenaLen));
    this.#arena = next;
  }

  #account(n: number): void {
    const d = this.#openSizes.length;
    if (d > 0) this.#openSizes[d - 1]! += n;
    else this.#total += n;
  }

  /** Appends raw octets to the arena, merging with the previous arena op when adjacent. */
  #arenaOp(start: number, len: number): void {
    const ops = this.#ops;
    const n = ops.length;
    if (n >= 3 && ops[n - 3] === OP_ARENA && ops[n - 2]! + ops[n - 1]! === start) ops[n - 1]! += len;
    else ops.push(OP_ARENA, start, len);
    this.#account(len);
  }

  #putLength(len: number): void {
    const a = this.#arena;
    let p = this.#arenaLen;
    if (len < 0x80) a[p++] = len;
    else if (len < 0x100) {
      a[p++] = 0x81;
      a[p++] = len;
    } else if (len < 0x10000) {
      a[p++] = 0x82;
      a[p++] = len >>> 8;
      a[p++] = len & 0xff;
    } else if (len < 0x1000000) {
      a[p++] = 0x83;
      a[p++] = len >>> 16;
      a[p++] = (len >>> 8) & 0xff;
      a[p++] = len & 0xff;
    } else {
      a[p++] = 0x84;
      a[p++] = len >>> 24;
      a[p++] = (len >>> 16) & 0xff;
      a[p++] = (len >>> 8) & 0xff;
      a[p++] = len & 0xff;
    }
    this.#arenaLen = p;
  }

  /** A primitive element: identifier octet, then content octets. */
  primitive(id: number, content: Uint8Array): void {
    const len = content.byteLength;
    if (len >= REF_THRESHOLD) {
      this.#room(6);
      const start = this.#arenaLen;
      this.#arena[this.#arenaLen++] = id;
      this.#putLength(len);
      this.#arenaOp(start, this.#arenaLen - start);
      this.#refs.push(content);
      this.#ops.push(OP_REF, this.#refs.length - 1, len);
      this.#account(len);
      return;
    }
    this.#room(6 + len);
    const start = this.#arenaLen;
    this.#arena[this.#arenaLen++] = id;
    this.#putLength(len);
    this.#arena.set(content, this.#arenaLen);
    this.#arenaLen += len;
    this.#arenaOp(start, this.#arenaLen - start);
  }

  /**
   * A primitive element whose content is `s` in UTF-8. Short ASCII strings (most IM2000 strings:
   * labels, localparts, account names) go straight into the arena; TextEncoder's per-call cost
   * and allocation dominated the encoding of notification batches (scripts/bench-der.ts).
   */
  primitiveUtf8(id: number, s: string): void {
    const n = s.length;
    if (n < REF_THRESHOLD && isAscii(s)) {
      this.#room(6 + n);
      const start = this.#arenaLen;
      const a = this.#arena;
      a[this.#arenaLen++] = id;
      this.#putLength(n);
      let p = this.#arenaLen;
      for (let i = 0; i < n; i++) a[p++] = s.charCodeAt(i);
      this.#arenaLen = p;
      this.#arenaOp(start, p - start);
      return;
    }
    this.primitive(id, utf8Encoder.encode(s));
  }

  /** A primitive element whose content is a few octets given as numbers (BOOLEAN, small INTEGER). */
  primitiveBytes(id: number, ...octets: number[]): void {
    this.#room(2 + octets.length);
    const start = this.#arenaLen;
    const a = this.#arena;
    a[this.#arenaLen++] = id;
    a[this.#arenaLen++] = octets.length;
    for (const o of octets) a[this.#arenaLen++] = o;
    this.#arenaOp(start, this.#arenaLen - start);
  }

  /** Opens a constructed element; close() must follow. */
  open(id: number): void {
    this.#room(1);
    const start = this.#arenaLen;
    this.#arena[this.#arenaLen++] = id;
    this.#arenaOp(start, 1);
    this.#ops.push(OP_LEN, 0, 0);
    this.#openOps.push(this.#ops.length - 3);
    this.#openSizes.push(0);
  }

  close(): void {
    const op = this.#openOps.pop();
    const size = this.#openSizes.pop();
    if (op === undefined || size === undefined) throw new Error("DerWriter.close without open");
    this.#ops[op + 1] = size;
    this.#account(lengthOfLength(size) + size);
  }

  /** Convenience: open(id), fn(), close(). */
  constructed(id: number, fn: () => void): void {
    this.open(id);
    fn();
    this.close();
  }

  /** Total encoded size so far (all elements closed). */
  get size(): number {
    return this.#total;
  }

  /**
   * The encoding. With framed=true, prefixed by the 4-octet big-endian length of im2000 §5.
   */
  finish(framed = false): Uint8Array {
    if (this.#openOps.length !== 0) throw new Error("DerWriter.finish with unclosed elements");
    const total = this.#total;
    const prefix = framed ? 4 : 0;
    const out = new Uint8Array(prefix + total);
    if (framed) writeFrameLength(out, total);
    let p = prefix;
    const ops = this.#ops;
    const arena = this.#arena;
    for (let i = 0; i < ops.length; i += 3) {
      const k = ops[i]!;
      if (k === OP_ARENA) {
        const s = ops[i + 1]!;
        const n = ops[i + 2]!;
        if (n < 16) for (let j = 0; j < n; j++) out[p + j] = arena[s + j]!;
        else out.set(arena.subarray(s, s + n), p);
        p += n;
      } else if (k === OP_REF) {
        const r = this.#refs[ops[i + 1]!]!;
        out.set(r, p);
        p += r.byteLength;
      } else {
        p = writeLength(out, p, ops[i + 1]!);
      }
    }
    return out;
  }

  /**
   * The encoding as a list of buffers to send with one gathered write: the small octets
   * (identifiers, lengths, primitive contents) copied once into one buffer, and every large
   * OCTET STRING content passed by reference, not copied at all. Concatenated, the parts equal
   * finish(framed).
   */
  finishParts(framed = false): Uint8Array[] {
    if (this.#openOps.length !== 0) throw new Error("DerWriter.finishParts with unclosed elements");
    let refBytes = 0;
    for (const r of this.#refs) refBytes += r.byteLength;
    if (refBytes === 0) return [this.finish(framed)];
    const total = this.#total;
    const prefix = framed ? 4 : 0;
    const small = new Uint8Array(prefix + total - refBytes);
    if (framed) writeFrameLength(small, total);
    const parts: Uint8Array[] = [];
    let p = prefix;
    let cut = 0;
    const ops = this.#ops;
    const arena = this.#arena;
    for (let i = 0; i < ops.length; i += 3) {
      const k = ops[i]!;
      if (k === OP_ARENA) {
        const s = ops[i + 1]!;
        const n = ops[i + 2]!;
        small.set(arena.subarray(s, s + n), p);
        p += n;
      } else if (k === OP_REF) {
        if (p > cut) parts.push(small.subarray(cut, p));
        cut = p;
        parts.push(this.#refs[ops[i + 1]!]!);
      } else {
        p = writeLength(small, p, ops[i + 1]!);
      }
    }
    if (p > cut) parts.push(small.subarray(cut, p));
    return parts;
  }
}

/** The 4-octet big-endian length prefix of im2000 §5. */
function writeFrameLength(out: Uint8Array, total: number): void {
  out[0] = total >>> 24;
  out[1] = (total >>> 16) & 0xff;
  out[2] = (total >>> 8) & 0xff;
  out[3] = total & 0xff;
}

export function lengthOfLength(len: number): number {
  return len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : len < 0x1000000 ? 4 : 5;
}

function writeLength(out: Uint8Array, p: number, len: number): number {
  if (len < 0x80) {
    out[p] = len;
    return p + 1;
  }
  const n = lengthOfLength(len) - 1;
  out[p++] = 0x80 | n;
  for (let i = n - 1; i >= 0; i--) out[p++] = Math.floor(len / 2 ** (8 * i)) & 0xff;
  return p;
}
