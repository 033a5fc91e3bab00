// Standard input and output as one pull-based byte stream with the shape of a network Conn
// (runtime/net.ts `Duplex`), so the line core can run a protocol session over pipes: `sendmail
// -bs` speaks the SMTP shim's own session on standard input/output (shims LOC-6).
//
// As with Conn, a read can time out without losing data, and standard input is paused while
// unread data piles up, so a fast writer cannot make us buffer without bound. There is no TLS on
// a pipe: upgradeToTlsServer is absent and the SMTP session never offers STARTTLS here.

import process from "node:process";
import type { Duplex, Endpoint } from "./net.ts";
import { PullQueue } from "./pull-queue.ts";

class StdioDuplex implements Duplex {
  /** A pipe has no address; "stdin" names the peer in logs. */
  readonly remote: Endpoint = { address: "stdin", port: 0 };
  readonly encrypted = false;
  /** The peer is a local process: the local user running us. */
  readonly isLoopback = true;
  readonly tlsInfo = undefined;
  readonly #input = new PullQueue({ pause: () => process.stdin.pause(), resume: () => process.stdin.resume() }, "stdio read");

  constructor() {
    const input = process.stdin;
    input.on("data", (chunk: Buffer | string) => this.#input.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    input.on("end", () => this.#input.end());
    input.on("error", () => this.#input.end());
    input.on("close", () => this.#input.end());
  }

  get pendingBytes(): number {
    return this.#input.pending;
  }

  read(timeoutMs?: number): Promise<Uint8Array | null> {
    return this.#input.read(timeoutMs);
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
    process.stdin.pause();
    this.#input.end();
  }
}

let shared: StdioDuplex | undefined;

/** Standard input/output as a Duplex (one per process: the streams are process-wide). */
export function stdioDuplex(): Duplex {
  shared ??= new StdioDuplex();
  return shared;
}
