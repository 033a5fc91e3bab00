// The receiving half shared by every pull-based byte stream of the runtime layer (sockets in
// net.ts, standard input in stdio.ts): chunks pushed by the runtime's events wait here until
// read() asks for them. A read may time out without losing data; the source is paused while
// unread data piles up past the high-water mark, so a fast sender cannot make us buffer without
// bound.

import { ReadTimeoutError } from "./errors.ts";

export const HIGH_WATER = 256 * 1024;

type Waiter = { resolve: (v: Uint8Array | null) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> | undefined };

export interface FlowControl {
  pause(): void;
  resume(): void;
}

export class PullQueue {
  readonly #flow: FlowControl;
  readonly #what: string;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #waiter: Waiter | undefined;

  constructor(flow: FlowControl, what: string) {
    this.#flow = flow;
    this.#what = what;
  }

  /** Octets received and not yet read. */
  get pending(): number {
    return this.#queued;
  }

  push(bytes: Uint8Array): void {
    if (this.#ended) return;
    const w = this.#waiter;
    if (w !== undefined && this.#queue.length === 0) {
      this.#waiter = undefined;
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.resolve(bytes);
      return;
    }
    this.#queue.push(bytes);
    this.#queued += bytes.byteLength;
    if (this.#queued > HIGH_WATER) this.#flow.pause();
  }

  /** No more data will come; what is queued can still be read, then null. */
  end(): void {
    this.#ended = true;
    const w = this.#waiter;
    if (w !== undefined && this.#queue.length === 0) {
      this.#waiter = undefined;
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.resolve(null);
    }
  }

  /** Ends the stream and throws away what was queued (a STARTTLS upgrade, a destroyed stream). */
  discard(): void {
    this.#queue = [];
    this.#queued = 0;
    this.end();
  }

  /** The next chunk, or null at the end; rejects with ReadTimeoutError after timeoutMs. */
  read(timeoutMs?: number): Promise<Uint8Array | null> {
    if (this.#waiter !== undefined) return Promise.reject(new Error(`${this.#what}: a read is already pending`));
    const head = this.#queue.shift();
    if (head !== undefined) {
      this.#queued -= head.byteLength;
      if (this.#queued <= HIGH_WATER && !this.#ended) this.#flow.resume();
      return Promise.resolve(head);
    }
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          if (this.#waiter === waiter) this.#waiter = undefined;
          reject(new ReadTimeoutError(`no data within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.#waiter = waiter;
      this.#flow.resume();
    });
  }
}
