// Reading the message from standard input the way sendmail 8's collect() reads it in -bm mode,
// sans I/O: the caller pushes chunks as they arrive and stops when told the message has ended.
//
// - A line is ended by LF or CRLF; every line is stored with CRLF, the wire form of RFC 5322 §2.1
//   that the message store keeps and the reading shims serve. A CR not followed by LF is an
//   octet like any other and is kept. A last line without a line end is kept without one.
// - Without -i (ignoreDots false), a line holding a single "." ends the message (the rest of the
//   input is not read), and a line starting ".." loses its first dot (sendmail 8's collect():
//   callers such as Symfony's -t mode dot-stuff for it). With -i, dots mean nothing.
// - A leading Unix "From " line (an mbox separator some callers pass) is dropped, as sendmail and
//   Postfix drop it.
// - Binary data is refused: a NUL octet cannot be carried by RFC 5322 text, nor served by a POP3
//   or IMAP reading shim (LOC-5: 65). So is a message larger than the limit, as soon as it is
//   known to be (the input is not drained).
//
// The whole message is collected before the store is contacted: cron streams a job's output
// into us while the job runs, possibly for hours, and an MSOAP session held open that long would
// hit the store's idle timeout. The size limit bounds the memory this takes.

import { LineBuffer } from "../line/line-buffer.ts";
import { concatBytes } from "../util/bytes.ts";
import { EX, SendmailFailure } from "./exit-status.ts";

export interface CollectOptions {
  readonly ignoreDots: boolean;
  /** Largest message, in octets as stored (after CRLF conversion). */
  readonly maxSize: number;
}

const CR = 13;
const LF = 10;
const DOT = 46;
const CRLF = new Uint8Array([CR, LF]);
const FROM_ = [70, 114, 111, 109, 32]; // "From "

export class MessageCollector {
  readonly #opts: CollectOptions;
  #out: Uint8Array[] = [];
  #size = 0;
  /** Standard input not yet taken as lines: the shared line splitter (LF or CRLF). */
  readonly #lines = new LineBuffer();
  #line = 0;
  #done = false;
  #failure: SendmailFailure | undefined;

  constructor(opts: CollectOptions) {
    this.#opts = opts;
  }

  /** True once the message has ended (a "." line) or failed: stop reading. */
  get done(): boolean {
    return this.#done;
  }

  /** Feeds input; returns `done`. */
  push(chunk: Uint8Array): boolean {
    if (this.#done) return true;
    this.#lines.push(chunk);
    while (!this.#done) {
      // A line's own octets may use what is left of the limit; takeLine adds its CRLF.
      const r = this.#lines.readLine(this.#opts.maxSize - this.#size);
      if (r === undefined) {
        // A line that can only grow past the limit fails now, not at its end.
        if (this.#size + this.#lines.size > this.#opts.maxSize) this.#fail(this.#tooLarge());
        break;
      }
      if (r.kind === "too-long") this.#fail(this.#tooLarge());
      else this.#takeLine(r.bytes, true);
    }
    return this.#done;
  }

  /** End of input: the message, or the failure (exit status and reason). */
  end(): Uint8Array {
    if (!this.#done && this.#lines.size > 0) this.#takeLine(concatBytes(this.#lines.takeAll()), false);
    this.#done = true;
    if (this.#failure !== undefined) throw this.#failure;
    return concatBytes(this.#out);
  }

  #fail(f: SendmailFailure): void {
    this.#failure ??= f;
    this.#done = true;
    this.#out = [];
  }

  #tooLarge(): SendmailFailure {
    return new SendmailFailure(EX.DATAERR, `the message is larger than max_message_size (${this.#opts.maxSize} octets)`);
  }

  /** One line without its LF or CRLF; hadLf false for a last line the input left unended. */
  #takeLine(text: Uint8Array, hadLf: boolean): void {
    this.#line++;
    let line = text;
    if (this.#line === 1 && startsWith(line, FROM_)) return; // the Unix From_ line
    if (!this.#opts.ignoreDots && line[0] === DOT) {
      if (line.byteLength === 1) {
        this.#done = true; // a lone "." ends the message
        return;
      }
      if (line[1] === DOT) line = line.subarray(1);
    }
    if (line.indexOf(0) >= 0) {
      this.#fail(new SendmailFailure(EX.DATAERR, `the message contains binary data (a NUL octet on line ${this.#line}); send it MIME-encoded`));
      return;
    }
    const add = line.byteLength + (hadLf ? 2 : 0);
    if (this.#size + add > this.#opts.maxSize) {
      this.#fail(this.#tooLarge());
      return;
    }
    if (line.byteLength > 0) this.#out.push(line);
    if (hadLf) this.#out.push(CRLF);
    this.#size += add;
  }
}

function startsWith(b: Uint8Array, prefix: readonly number[]): boolean {
  if (b.byteLength < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

/** Reads the message from a stream of chunks, stopping as soon as it has ended. */
export async function collectMessage(input: AsyncIterable<Uint8Array>, opts: CollectOptions): Promise<Uint8Array> {
  const c = new MessageCollector(opts);
  for await (const chunk of input) if (c.push(chunk)) break;
  return c.end();
}
