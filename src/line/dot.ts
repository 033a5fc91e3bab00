// Dot-stuffing, both directions (RFC 5321 §4.5.2, RFC 1939 §3), streaming so that a message of
// any size passes through in the chunks it arrived in.
//
// DotDecoder (SMTP DATA in): the end of data is recognised only as CRLF "." CRLF. A bare LF is
// normalised to CRLF in the content and counts as a line end for dot-unstuffing, but a line that
// began after a bare LF can never end the data: "\n.\r\n" or "\n.\n" inside DATA is content, not an
// end (the SMTP-smuggling class of bugs lives in treating it otherwise). This is Postfix's
// `smtpd_forbid_bare_newline = normalize`; it matches Python's smtplib, which stuffs dots after
// bare LFs when given LF-terminated bytes.
//
// DotEncoder (POP3 RETR/TOP out): doubles a dot at the start of every line, sends CRLF line ends,
// and terminates with CRLF "." CRLF.

import { concatBytes } from "../util/bytes.ts";

export { concatBytes };

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const CRLF = Uint8Array.of(CR, LF);
const DOT_BYTE = Uint8Array.of(DOT);
const CR_BYTE = Uint8Array.of(CR);

// Decoder states.
const LINE_START = 0; // after CRLF (or at the start of DATA): a lone "." here ends the data
const MID = 1; // inside a line
const SAW_CR = 2; // after a CR inside content
const SAW_DOT = 3; // after a dot at line start
const SAW_DOT_CR = 4; // after ".\r" at line start
const SOFT_START = 5; // after a bare LF: dots are unstuffed, but nothing here ends the data

export interface DotDecodeResult {
  /** Content octets decoded from this input (views into it, plus small constants). */
  readonly pieces: Uint8Array[];
  /** True when the terminating CRLF.CRLF was seen. */
  readonly done: boolean;
  /** Octets after the terminator (pipelined commands), when done. */
  readonly rest: Uint8Array;
}

export class DotDecoder {
  #state = LINE_START;
  #soft = false;
  #size = 0;
  #bareLf = 0;
  readonly maxSize: number;

  constructor(maxSize = Number.MAX_SAFE_INTEGER) {
    this.maxSize = maxSize;
  }

  /** Content octets decoded so far (including any beyond the limit, which are not emitted). */
  get size(): number {
    return this.#size;
  }

  /** True once the content exceeded maxSize (the rest is consumed but not emitted). */
  get oversized(): boolean {
    return this.#size > this.maxSize;
  }

  /** Number of bare LFs normalised to CRLF. */
  get bareLineFeeds(): number {
    return this.#bareLf;
  }

  decode(input: Uint8Array): DotDecodeResult {
    const pieces: Uint8Array[] = [];
    const emit = (p: Uint8Array) => {
      if (p.byteLength === 0) return;
      const before = this.#size;
      this.#size += p.byteLength;
      if (before >= this.maxSize) return;
      pieces.push(this.#size > this.maxSize ? p.subarray(0, this.maxSize - before) : p);
    };
    let segStart = 0; // start of the pending run of input octets that are content
    let state = this.#state;
    let soft = this.#soft; // the current line began after a bare LF
    const bareLf = (i: number) => {
      emit(input.subarray(segStart, i));
      emit(CRLF);
      segStart = i + 1;
      this.#bareLf++;
      state = SOFT_START;
      soft = true;
    };
    const n = input.byteLength;
    for (let i = 0; i < n; i++) {
      const b = input[i]!;
      switch (state) {
        case MID: {
          // Inside a line only its end matters: jump to the next LF with a native search
          // instead of visiting every octet (most of DATA is here; see scripts/bench-smtp.ts).
          // A CR right before that LF makes it CRLF; any other CR is content, as it is octet by
          // octet (SAW_CR falls back to MID on anything but CR or LF).
          const lf = input.indexOf(LF, i);
          if (lf < 0) {
            state = input[n - 1] === CR ? SAW_CR : MID;
            i = n;
          } else if (lf > i && input[lf - 1] === CR) {
            state = LINE_START;
            soft = false;
            i = lf;
          } else {
            bareLf(lf);
            i = lf;
          }
          break;
        }
        case LINE_START:
        case SOFT_START:
          soft = state === SOFT_START;
          if (b === DOT) {
            emit(input.subarray(segStart, i));
            segStart = i + 1; // the dot is held back until we know what follows
            state = SAW_DOT;
          } else if (b === CR) state = SAW_CR;
          else if (b === LF) bareLf(i);
          else state = MID;
          break;
        case SAW_CR:
          if (b === LF) {
            state = LINE_START;
            soft = false;
          } else if (b !== CR) state = MID;
          break;
        case SAW_DOT:
          if (b === CR) {
            segStart = i + 1; // hold the CR back: ".\r\n" may end the data
            state = SAW_DOT_CR;
          } else if (b === LF) {
            emit(DOT_BYTE); // "." then a bare LF: a content line holding one dot
            bareLf(i);
          } else state = MID; // the dot was stuffing and stays dropped; this octet is content
          break;
        case SAW_DOT_CR:
          if (b === LF) {
            if (!soft) {
              this.#state = LINE_START;
              this.#soft = false;
              return { pieces, done: true, rest: input.subarray(i + 1) };
            }
            // A lone dot on a line that began after a bare LF: content, never the end.
            emit(DOT_BYTE);
            emit(CRLF);
            segStart = i + 1;
            state = LINE_START;
            soft = false;
            break;
          }
          // ".\r" and more on the line: the dot was stuffing, the held CR is content.
          emit(CR_BYTE);
          segStart = i;
          state = b === CR ? SAW_CR : MID;
          break;
      }
    }
    emit(input.subarray(segStart, n));
    this.#state = state;
    this.#soft = soft;
    return { pieces, done: false, rest: new Uint8Array(0) };
  }
}

/** Streams content out as a dot-stuffed multi-line body (POP3 RETR/TOP). */
export class DotEncoder {
  #atLineStart = true;
  #lastCr = false;

  /** Encodes one chunk of content. */
  encode(input: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let seg = 0;
    const n = input.byteLength;
    for (let i = 0; i < n; i++) {
      const b = input[i]!;
      if (this.#atLineStart && b === DOT) {
        out.push(input.subarray(seg, i), DOT_BYTE);
        seg = i; // the original dot follows the added one
      }
      if (b === LF) {
        if (!this.#lastCr) {
          out.push(input.subarray(seg, i), CRLF);
          seg = i + 1;
        }
        this.#atLineStart = true;
      } else this.#atLineStart = false;
      this.#lastCr = b === CR;
    }
    if (seg < n) out.push(input.subarray(seg));
    return out.filter((p) => p.byteLength > 0);
  }

  /** The terminator, preceded by CRLF if the content did not end with one. */
  end(): Uint8Array {
    return this.#atLineStart ? Uint8Array.of(DOT, CR, LF) : Uint8Array.of(CR, LF, DOT, CR, LF);
  }
}

/** Whole-buffer convenience for tests and small messages. */
export function dotStuff(content: Uint8Array): Uint8Array {
  const e = new DotEncoder();
  return concatBytes([...e.encode(content), e.end()]);
}
