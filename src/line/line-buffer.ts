// Input buffering for the text protocols (SMTP, POP3, IMAP) and for the message im2000-sendmail
// reads on standard input: bytes in, lines (or exact byte counts, for BDAT and IMAP literals) out.
// Sans-I/O: LineConnection feeds it from a socket, MessageCollector from stdin, tests directly.
//
// A line ends at LF; a preceding CR is stripped and reported, so a protocol can tell CRLF from a
// bare LF. A line longer than the limit is never buffered whole: the buffer reports it as too long
// and skips to the next LF, so one hostile client cannot make us hold more than `max` octets of a
// line (plus whatever it pipelined behind it, which the caller bounds separately).

export type LineResult =
  | { readonly kind: "line"; readonly bytes: Uint8Array; readonly crlf: boolean }
  | { readonly kind: "too-long" }
  | undefined;

const LF = 0x0a;
const CR = 0x0d;

/** The first `limit` octets of the buffered chunks, as one array (for peeking). */
function concatChunks(chunks: readonly Uint8Array[], head: number, limit: number): Uint8Array {
  let n = 0;
  for (let i = 0; i < chunks.length && n < limit; i++) n += chunks[i]!.byteLength - (i === 0 ? head : 0);
  const out = new Uint8Array(Math.min(n, limit));
  let o = 0;
  for (let i = 0; i < chunks.length && o < out.length; i++) {
    const c = i === 0 ? chunks[0]!.subarray(head) : chunks[i]!;
    const k = Math.min(c.byteLength, out.length - o);
    out.set(c.subarray(0, k), o);
    o += k;
  }
  return out;
}

export class LineBuffer {
  #chunks: Uint8Array[] = [];
  #head = 0; // offset into #chunks[0]
  #size = 0;
  /** True while skipping the rest of an overlong line. */
  #discarding = false;

  /** Octets buffered and not yet consumed. */
  get size(): number {
    return this.#size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
  }

  /** Discards everything buffered (STARTTLS: pipelined plaintext must not survive the upgrade). */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#size = 0;
    this.#discarding = false;
  }

  /** Offset of the first LF within the buffered octets, or -1. */
  #findLf(limit: number): number {
    let pos = 0;
    for (let i = 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i]!;
      const start = i === 0 ? this.#head : 0;
      const idx = c.indexOf(LF, start);
      if (idx >= 0) return pos + (idx - start);
      pos += c.byteLength - start;
      if (pos > limit) return -1;
    }
    return -1;
  }

  /**
   * Up to `count` whole lines already buffered, without consuming them (lines longer than `max`
   * end the look). Lets a driver see what a client pipelined, e.g. to prefetch for it.
   */
  peekLines(count: number, max: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let buf: Uint8Array | undefined;
    let start = 0;
    while (out.length < count) {
      buf ??= this.#chunks.length === 1 ? this.#chunks[0]!.subarray(this.#head) : concatChunks(this.#chunks, this.#head, max * count + 2 * count);
      const lf = buf.indexOf(LF, start);
      if (lf < 0 || lf - start > max + 1) break;
      out.push(buf.subarray(start, lf > start && buf[lf - 1] === CR ? lf - 1 : lf));
      start = lf + 1;
    }
    return out;
  }

  /** True when a whole line (or an overlong one to report) is available. */
  hasLine(max: number): boolean {
    if (this.#size === 0) return false;
    const lf = this.#findLf(max + 2);
    return lf >= 0 || this.#size > max + 1;
  }

  /**
   * The next line without its terminator (max octets, not counting CRLF), "too-long" once for a
   * line over the limit, or undefined when no whole line is buffered yet.
   */
  readLine(max: number): LineResult {
    for (;;) {
      if (this.#size === 0) return undefined;
      if (this.#discarding) {
        const lf = this.#findLf(Infinity);
        if (lf < 0) {
          this.take(this.#size);
          return undefined;
        }
        this.take(lf + 1);
        this.#discarding = false;
        continue;
      }
      const lf = this.#findLf(max + 2);
      if (lf < 0) {
        if (this.#size > max + 1) {
          // Over the limit: report once and drop the line, keeping whatever was pipelined after
          // its LF; without an LF yet, drop what we have and skip on until one arrives.
          const end = this.#findLf(Infinity);
          if (end >= 0) this.take(end + 1);
          else {
            this.take(this.#size);
            this.#discarding = true;
          }
          return { kind: "too-long" };
        }
        return undefined;
      }
      const raw = this.take(lf + 1);
      const crlf = lf > 0 && raw[lf - 1] === CR;
      const bytes = raw.subarray(0, crlf ? lf - 1 : lf);
      if (bytes.byteLength > max) return { kind: "too-long" };
      return { kind: "line", bytes, crlf };
    }
  }

  /** Removes and returns exactly n octets (n ≤ size). A view when they lie in one chunk. */
  take(n: number): Uint8Array {
    if (n > this.#size) throw new RangeError(`take(${n}) with ${this.#size} buffered`);
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0]!;
    if (first.byteLength - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#head += n;
      if (this.#head === first.byteLength) {
        this.#chunks.shift();
        this.#head = 0;
      }
      this.#size -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.byteLength - this.#head, n - got);
      out.set(c.subarray(this.#head, this.#head + k), got);
      got += k;
      this.#head += k;
      if (this.#head === c.byteLength) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#size -= n;
    return out;
  }

  /** Removes and returns everything buffered, as a list of views. */
  takeAll(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.#chunks.length; i++) out.push(i === 0 ? this.#chunks[0]!.subarray(this.#head) : this.#chunks[i]!);
    this.#chunks = [];
    this.#head = 0;
    this.#size = 0;
    return out;
  }
}
