// Octets received in chunks and consumed from the front: the buffer under the IM2000 frame reader
// (src/im2000/framing.ts) and the text line reader (src/line/line-buffer.ts). What is asked for is
// returned as a view when one chunk holds it, with one copy otherwise; nothing is ever copied on
// the way in.

export class ChunkQueue {
  #chunks: Uint8Array[] = [];
  /** Offset of the first unconsumed octet in #chunks[0]. */
  #head = 0;
  #size = 0;

  /** Octets held and not yet consumed. */
  get size(): number {
    return this.#size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#size = 0;
  }

  /**
   * Offset of the first `byte`, or -1. The search gives up once more than `limit` octets were
   * looked at (it checks at chunk boundaries, so a line reader bounds its work per line).
   */
  indexOf(byte: number, limit = Infinity): number {
    let pos = 0;
    for (let i = 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i]!;
      const start = i === 0 ? this.#head : 0;
      const idx = c.indexOf(byte, start);
      if (idx >= 0) return pos + (idx - start);
      pos += c.byteLength - start;
      if (pos > limit) return -1;
    }
    return -1;
  }

  /** The first n octets (n ≤ size) without consuming them. */
  peek(n: number): Uint8Array {
    return this.#copyOut(n, false);
  }

  /** Removes and returns exactly n octets (n ≤ size). */
  take(n: number): Uint8Array {
    return this.#copyOut(n, true);
  }

  /** Removes and returns everything held, as a list of views. */
  takeAll(): Uint8Array[] {
    const out = this.#chunks.map((c, i) => (i === 0 ? c.subarray(this.#head) : c));
    this.clear();
    return out;
  }

  #copyOut(n: number, consume: boolean): Uint8Array {
    if (n > this.#size) throw new RangeError(`${consume ? "take" : "peek"}(${n}) with ${this.#size} held`);
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0]!;
    if (first.byteLength - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      if (consume) this.#advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    for (let i = 0; got < n; i++) {
      const c = this.#chunks[i]!;
      const start = i === 0 ? this.#head : 0;
      const k = Math.min(c.byteLength - start, n - got);
      out.set(c.subarray(start, start + k), got);
      got += k;
    }
    if (consume) this.#advance(n);
    return out;
  }

  /** Drops n octets from the front. */
  #advance(n: number): void {
    this.#size -= n;
    let left = n;
    while (left > 0) {
      const avail = this.#chunks[0]!.byteLength - this.#head;
      if (left < avail) {
        this.#head += left;
        return;
      }
      left -= avail;
      this.#chunks.shift();
      this.#head = 0;
    }
  }
}
