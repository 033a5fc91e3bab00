// Input buffering for the text protocols (SMTP, POP3, IMAP) and for the message im2000-sendmail
// reads on standard input: bytes in, lines (or exact byte counts, for BDAT and IMAP literals) out.
// Sans-I/O: LineConnection feeds it from a socket, MessageCollector from stdin, tests directly.
//
// A line ends at LF; a preceding CR is stripped and reported, so a protocol can tell CRLF from a
// bare LF. A line longer than the limit is never buffered whole: the buffer reports it as too long
// and skips to the next LF, so one hostile client cannot make us hold more than `max` octets of a
// line (plus whatever it pipelined behind it, which the caller bounds separately).

import { ChunkQueue } from "../util/chunk-queue.ts";

export type LineResult =
  | { readonly kind: "line"; readonly bytes: Uint8Array; readonly crlf: boolean }
  | { readonly kind: "too-long" }
  | undefined;

const LF = 0x0a;
const CR = 0x0d;

export class LineBuffer {
  readonly #q = new ChunkQueue();
  /** True while skipping the rest of an overlong line. */
  #discarding = false;

  /** Octets buffered and not yet consumed. */
  get size(): number {
    return this.#q.size;
  }

  push(chunk: Uint8Array): void {
    this.#q.push(chunk);
  }

  /** Discards everything buffered (STARTTLS: pipelined plaintext must not survive the upgrade). */
  clear(): void {
    this.#q.clear();
    this.#discarding = false;
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
      buf ??= this.#q.peek(Math.min(this.#q.size, (max + 2) * count));
      const lf = buf.indexOf(LF, start);
      if (lf < 0 || lf - start > max + 1) break;
      out.push(buf.subarray(start, lf > start && buf[lf - 1] === CR ? lf - 1 : lf));
      start = lf + 1;
    }
    return out;
  }

  /** True when a whole line (or an overlong one to report) is available. */
  hasLine(max: number): boolean {
    if (this.#q.size === 0) return false;
    const lf = this.#q.indexOf(LF, max + 2);
    return lf >= 0 || this.#q.size > max + 1;
  }

  /**
   * The next line without its terminator (max octets, not counting CRLF), "too-long" once for a
   * line over the limit, or undefined when no whole line is buffered yet.
   */
  readLine(max: number): LineResult {
    for (;;) {
      if (this.#q.size === 0) return undefined;
      if (this.#discarding) {
        const lf = this.#q.indexOf(LF, Infinity);
        if (lf < 0) {
          this.take(this.#q.size);
          return undefined;
        }
        this.take(lf + 1);
        this.#discarding = false;
        continue;
      }
      const lf = this.#q.indexOf(LF, max + 2);
      if (lf < 0) {
        if (this.#q.size > max + 1) {
          // Over the limit: report once and drop the line, keeping whatever was pipelined after
          // its LF; without an LF yet, drop what we have and skip on until one arrives.
          const end = this.#q.indexOf(LF, Infinity);
          if (end >= 0) this.take(end + 1);
          else {
            this.take(this.#q.size);
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
    return this.#q.take(n);
  }

  /** Removes and returns everything buffered, as a list of views. */
  takeAll(): Uint8Array[] {
    return this.#q.takeAll();
  }
}
