// The two derived representations of a message that MSRAP serves besides `all` (im2000 §10.1 [R]):
//   headersonly = the header section including the empty line that ends it;
//   summaryonly = the fields From, To, Cc, Subject, Date and Message-ID only, each as it appears
//                 (continuation lines included), followed by CRLF.
// Both are computed while the message streams in, holding at most `keep` octets of header.
// A message with no empty line is all header (RFC 5322 §2.1: the body is optional).

const utf8 = new TextDecoder();
const SUMMARY_FIELDS = new Set(["from", "to", "cc", "subject", "date", "message-id"]);

export class HeaderScanner {
  readonly keep: number;
  /** Octets seen so far. */
  #seen = 0;
  /** Length of the header section once its end was found. */
  #headerEnd = -1;
  // As if preceded by a line feed, so a message that starts with an empty line has an empty header.
  #prev = [0, 0, 0x0a];
  #kept: Uint8Array[] = [];
  #keptBytes = 0;

  constructor(keep = 256 * 1024) {
    this.keep = keep;
  }

  push(data: Uint8Array): void {
    if (this.#headerEnd >= 0) {
      this.#seen += data.byteLength;
      return;
    }
    // Only line feeds can end the header section: jump from one to the next.
    for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, i + 1)) {
      const p1 = i >= 1 ? data[i - 1]! : this.#prev[2]!;
      const p2 = i >= 2 ? data[i - 2]! : i === 1 ? this.#prev[2]! : this.#prev[1]!;
      // "\n\n" or "\n\r\n" (as in "\r\n\r\n") ends it; the end offset includes the empty line.
      if (p1 === 0x0a || (p1 === 0x0d && p2 === 0x0a)) {
        this.#headerEnd = this.#seen + i + 1;
        this.#keepBytes(data.subarray(0, i + 1));
        this.#seen += data.byteLength;
        return;
      }
    }
    const n = data.byteLength;
    if (n >= 3) this.#prev = [data[n - 3]!, data[n - 2]!, data[n - 1]!];
    else if (n === 2) this.#prev = [this.#prev[2]!, data[0]!, data[1]!];
    else if (n === 1) this.#prev = [this.#prev[1]!, this.#prev[2]!, data[0]!];
    this.#keepBytes(data);
    this.#seen += data.byteLength;
  }

  #keepBytes(d: Uint8Array): void {
    const room = this.keep - this.#keptBytes;
    if (room <= 0) return;
    const part = d.byteLength <= room ? d.slice() : d.slice(0, room);
    this.#kept.push(part);
    this.#keptBytes += part.byteLength;
  }

  /** Length of the `headersonly` representation. */
  get headerLength(): number {
    return this.#headerEnd >= 0 ? this.#headerEnd : this.#seen;
  }

  /** The `summaryonly` representation. */
  summary(): Uint8Array {
    const all = new Uint8Array(this.#keptBytes);
    let o = 0;
    for (const k of this.#kept) {
      all.set(k, o);
      o += k.byteLength;
    }
    const lines: [number, number][] = [];
    let start = 0;
    for (let i = 0; i < all.byteLength; i++) {
      if (all[i] === 0x0a) {
        lines.push([start, i + 1]);
        start = i + 1;
      }
    }
    if (start < all.byteLength) lines.push([start, all.byteLength]);
    const out: Uint8Array[] = [];
    let keepField = false;
    for (const [s, e] of lines) {
      const first = all[s];
      if (first === 0x0d || first === 0x0a) break; // the empty line
      if (first === 0x20 || first === 0x09) {
        if (keepField) out.push(all.subarray(s, e));
        continue;
      }
      const colon = all.subarray(s, e).indexOf(0x3a);
      const name = colon > 0 ? utf8.decode(all.subarray(s, s + colon)).trim().toLowerCase() : "";
      keepField = SUMMARY_FIELDS.has(name);
      if (keepField) out.push(all.subarray(s, e));
    }
    out.push(new Uint8Array([0x0d, 0x0a]));
    let n = 0;
    for (const p of out) n += p.byteLength;
    const r = new Uint8Array(n);
    o = 0;
    for (const p of out) {
      r.set(p, o);
      o += p.byteLength;
    }
    return r;
  }
}
