// Stream framing (im2000.md §5): a 4-octet big-endian length counting only the PDU octets that
// follow, then exactly one PDU. A declared length above the configured maximum cannot be
// resynchronised, so it is fatal for the stream; a zero length is passed up as an empty frame,
// which the PDU decoder rejects as malformed (§5 item 4: "a length of 0 is a malformed PDU").

import { ChunkQueue } from "../util/chunk-queue.ts";

export const DEFAULT_MAX_PDU = 16 * 1024 * 1024;

export class FrameTooLargeError extends Error {
  override readonly name = "FrameTooLargeError";
  readonly declared: number;
  readonly max: number;
  constructor(declared: number, max: number) {
    super(`declared PDU length ${declared} exceeds the maximum of ${max} octets`);
    this.declared = declared;
    this.max = max;
  }
}

/**
 * Reassembles frames from arbitrary chunks. Push bytes in; take whole frames out. A frame's
 * buffer is allocated once, at its declared size, only after the length passed the limit check.
 */
export class FrameReader {
  readonly maxPdu: number;
  readonly #q = new ChunkQueue();
  /** Length of the frame being assembled, or -1 while its prefix is incomplete. */
  #want = -1;

  constructor(maxPdu = DEFAULT_MAX_PDU) {
    this.maxPdu = maxPdu;
  }

  push(chunk: Uint8Array): void {
    this.#q.push(chunk);
  }

  /** Octets received that do not yet form a whole frame. */
  get buffered(): number {
    return this.#q.size;
  }

  /** True when part of a frame (or of its length prefix) has arrived. */
  get midFrame(): boolean {
    return this.#q.size > 0;
  }

  /** The next whole frame's PDU octets, or undefined if more bytes are needed. */
  next(): Uint8Array | undefined {
    if (this.#want < 0) {
      if (this.#q.size < 4) return undefined;
      const p = this.#q.take(4);
      const len = ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
      if (len > this.maxPdu) throw new FrameTooLargeError(len, this.maxPdu);
      this.#want = len;
    }
    if (this.#q.size < this.#want) return undefined;
    const n = this.#want;
    this.#want = -1;
    return this.#q.take(n); // a view when the frame arrived in one chunk
  }
}

/** Prefixes an unframed PDU with its length (encoders usually write the prefix themselves). */
export function frame(pdu: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + pdu.byteLength);
  const n = pdu.byteLength;
  out[0] = n >>> 24;
  out[1] = (n >>> 16) & 0xff;
  out[2] = (n >>> 8) & 0xff;
  out[3] = n & 0xff;
  out.set(pdu, 4);
  return out;
}
