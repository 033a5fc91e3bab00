// Standard input and output as one pull-based byte stream with the shape of a network Conn
// (runtime/net.ts `Duplex`), so the line core can run a protocol session over pipes: `sendmail
// -bs` speaks the SMTP shim's own session on standard input/output (shims LOC-6).
//
// As with Conn, a read can time out without losing data, and standard input is paused while
// unread data piles up, so a fast writer cannot make us buffer without bound. There is no TLS on
// a pipe: upgradeToTlsServer is absent and the SMTP session never offers STARTTLS here.

import process from "node:process";
import { ReadTimeoutError, type Duplex, type Endpoint } from "./net.ts";

const HIGH_WATER = 256 * 1024;

type Waiter = { resolve: (v: Uint8Array | null) => void; timer: ReturnType<typeof setTimeout> | undefined };

class StdioDuplex implements Duplex {
  /** A pipe has no address; "stdin" names the peer in logs. */
  readonly remote: Endpoint = { address: "stdin", port: 0 };
  readonly encrypted = false;
  /** The peer is a local process: the local user running us. */
  readonly isLoopback = true;
  readonly tlsInfo = undefined;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #waiter: Waiter | undefined;
  #stopped = false;

  constructor() {
    const input = process.stdin;
    input.on("data", (chunk: Buffer | string) => this.#push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    input.on("end", () => this.#finish());
    input.on("error", () => this.#finish());
    input.on("close", () => this.#finish());
  }

  #push(bytes: Uint8Array): void {
    if (this.#stopped) return;
    const w = this.#waiter;
    if (w !== undefined && this.#queue.length === 0) {
      this.#waiter = undefined;
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.resolve(bytes);
      return;
    }
    this.#queue.push(bytes);
    this.#queued += bytes.byteLength;
    if (this.#queued > HIGH_WATER) process.stdin.pause();
  }

  #finish(): void {
    this.#ended = true;
    const w = this.#waiter;
    if (w !== undefined && this.#queue.length === 0) {
      this.#waiter = undefined;
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.resolve(null);
    }
  }

  get pendingBytes(): number {
    return this.#queued;
  }

  read(timeoutMs?: number): Promise<Uint8Array | null> {
    if (this.#waiter !== undefined) return Promise.reject(new Error("stdio read: a read is already pending"));
    const head = this.#queue.shift();
    if (head !== undefined) {
      this.#queued -= head.byteLength;
      if (this.#queued <= HIGH_WATER && !this.#stopped) process.stdin.resume();
      return Promise.resolve(head);
    }
    if (this.#ended || this.#stopped) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, timer: undefined };
      if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          if (this.#waiter === waiter) this.#waiter = undefined;
          reject(new ReadTimeoutError(`no data within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.#waiter = waiter;
      process.stdin.resume();
    });
  }

  write(data: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) => {
      process.stdout.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Stops reading; standard output stays open for the process to flush and exit. */
  async end(): Promise<void> {
    this.destroy();
  }

  destroy(): void {
    this.#stopped = true;
    process.stdin.pause();
    this.#finish();
  }
}

let shared: StdioDuplex | undefined;

/** Standard input/output as a Duplex (one per process: the streams are process-wide). */
export function stdioDuplex(): Duplex {
  shared ??= new StdioDuplex();
  return shared;
}
