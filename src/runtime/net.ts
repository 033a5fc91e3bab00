// TCP and TLS for every runtime. Bun, Deno and Node all implement node:net and node:tls
// (including the in-place server-side upgrade that STARTTLS needs: checked on all three), so one
// code path serves them; this file is the only one in the project that touches sockets.
//
// A Conn is pull-based: read() resolves with the next chunk, null at end of stream. Reads can time
// out without losing data (a timed-out read leaves nothing half-consumed), and the socket is paused
// while unread data piles up, so a fast sender cannot make us buffer without bound.

import net from "node:net";
import tls from "node:tls";
import { PullQueue } from "./pull-queue.ts";
import os from "node:os";

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface TlsServerOptions {
  /** PEM certificate chain. */
  readonly cert: string | Uint8Array;
  /** PEM private key. */
  readonly key: string | Uint8Array;
  /** Minimum protocol version; default TLSv1.2 (im2000 §5 item 7). */
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
}

export interface TlsClientOptions {
  /** Trusted CA certificates (PEM); default: the runtime's trust store. */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Name to send as SNI and to check the certificate against (im2000 §18 C-8). */
  readonly servername?: string;
  /** Default true. Only tests and explicit operator settings turn it off. */
  readonly rejectUnauthorized?: boolean;
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
}

export { ReadTimeoutError } from "./errors.ts";

export class ConnectError extends Error {
  override readonly name = "ConnectError";
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

/**
 * What the line core (src/line/connection.ts) needs from a connection. A Conn is one; standard
 * input/output is another (src/runtime/stdio.ts), so `sendmail -bs` runs the SMTP shim's own
 * session over pipes (shims LOC-6).
 */
export interface Duplex {
  readonly remote: Endpoint;
  readonly encrypted: boolean;
  readonly isLoopback: boolean;
  /** Protocol and cipher, for logs; undefined on a plain stream. */
  readonly tlsInfo: string | undefined;
  /** Bytes received but not yet read. */
  readonly pendingBytes: number;
  /** The next chunk, or null at end of stream; rejects with ReadTimeoutError after timeoutMs. */
  read(timeoutMs?: number): Promise<Uint8Array | null>;
  write(data: Uint8Array | string): Promise<void>;
  end(graceMs?: number): Promise<void>;
  destroy(): void;
  /** Server side of STARTTLS; absent where TLS cannot be started (standard input/output). */
  readonly upgradeToTlsServer?: (opts: TlsServerOptions, timeoutMs?: number) => Promise<Duplex>;
}

export class Conn implements Duplex {
  readonly remote: Endpoint;
  readonly local: Endpoint;
  /** True once the stream is TLS (implicit TLS or after an upgrade). */
  readonly encrypted: boolean;
  /** Resolves when the underlying socket has fully closed. */
  readonly closed: Promise<void>;

  #socket: net.Socket;
  #input: PullQueue;
  #onData = (chunk: Buffer) => this.#input.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  // A reset after data counts as end of stream for the reader: the protocol layer decides
  // whether the end was clean (between transactions) or not.
  #onEnd = () => this.#input.end();
  #onError = () => this.#input.end();
  #onClose = () => this.#input.end();

  constructor(socket: net.Socket, encrypted: boolean) {
    this.#socket = socket;
    this.#input = new PullQueue({ pause: () => socket.pause(), resume: () => socket.isPaused() && socket.resume() }, "Conn.read");
    this.encrypted = encrypted;
    this.remote = { address: stripV4Mapped(socket.remoteAddress ?? ""), port: socket.remotePort ?? 0 };
    this.local = { address: stripV4Mapped(socket.localAddress ?? ""), port: socket.localPort ?? 0 };
    socket.setNoDelay(true);
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
    this.closed = new Promise((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once("close", () => resolve());
    });
  }

  /** True when the peer is on a loopback address (used by the "no plain-text AUTH" rules). */
  get isLoopback(): boolean {
    return isLoopbackAddress(this.remote.address);
  }

  /** Protocol and cipher, for logs; undefined on a plain connection. */
  get tlsInfo(): string | undefined {
    const s = this.#socket as tls.TLSSocket;
    if (!this.encrypted || typeof s.getProtocol !== "function") return undefined;
    const cipher = s.getCipher?.();
    return `${s.getProtocol() ?? "TLS"} ${cipher?.name ?? ""}`.trim();
  }

  /**
   * The next chunk of bytes, or null at end of stream. With timeoutMs, rejects with
   * ReadTimeoutError when nothing arrives in time; no data is lost by a timeout.
   * At most one read may be pending.
   */
  read(timeoutMs?: number): Promise<Uint8Array | null> {
    return this.#input.read(timeoutMs);
  }

  /** Bytes received but not yet read (what a client pipelined). */
  get pendingBytes(): number {
    return this.#input.pending;
  }

  /**
   * Writes bytes. Resolves once the runtime accepted them (immediately while its buffer is
   * below the high-water mark, else on 'drain'); rejects if the connection is gone.
   */
  write(data: Uint8Array | string): Promise<void> {
    const s = this.#socket;
    if (s.destroyed || !s.writable) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      const ok = s.write(data, (err) => {
        if (err) reject(err);
      });
      if (ok) resolve();
      else {
        const onDrain = () => {
          s.off("close", onClose);
          resolve();
        };
        const onClose = () => {
          s.off("drain", onDrain);
          reject(new Error("connection closed"));
        };
        s.once("drain", onDrain);
        s.once("close", onClose);
      }
    });
  }

  /**
   * Writes several buffers as one (corked, so they leave in as few segments as the kernel
   * allows), without concatenating them first: large payloads are never copied.
   */
  writev(parts: readonly Uint8Array[]): Promise<void> {
    if (parts.length === 1) return this.write(parts[0]!);
    const s = this.#socket;
    if (s.destroyed || !s.writable) return Promise.reject(new Error("connection closed"));
    s.cork();
    const writes: Promise<void>[] = [];
    try {
      for (const p of parts) writes.push(this.write(p));
    } finally {
      s.uncork();
    }
    return Promise.all(writes).then(() => {});
  }

  /** Sends FIN after pending writes and waits (bounded) for the socket to close. */
  async end(graceMs = 2000): Promise<void> {
    const s = this.#socket;
    if (!s.destroyed) s.end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.closed,
      new Promise<void>((r) => {
        timer = setTimeout(() => {
          s.destroy();
          r();
        }, graceMs);
      }),
    ]);
    if (timer !== undefined) clearTimeout(timer);
  }

  /** Closes at once, discarding anything unsent. */
  destroy(): void {
    this.#socket.destroy();
  }

  #detach(): net.Socket {
    // Everything the peer sent before the handshake is discarded here: the STARTTLS
    // command-injection class of bug (CVE-2011-0411 and kin) lives in keeping it.
    this.#input.discard();
    const s = this.#socket;
    s.off("data", this.#onData);
    s.off("end", this.#onEnd);
    s.off("error", this.#onError);
    s.off("close", this.#onClose);
    return s;
  }

  /**
   * Server side of STARTTLS/STLS: runs the TLS handshake over this connection and returns the
   * encrypted Conn. This Conn is unusable afterwards. Pipelined plaintext is discarded.
   */
  upgradeToTlsServer(opts: TlsServerOptions, timeoutMs = 30_000): Promise<Conn> {
    const raw = this.#detach();
    return new Promise((resolve, reject) => {
      const t = new tls.TLSSocket(raw, {
        isServer: true,
        key: toPem(opts.key),
        cert: toPem(opts.cert),
        minVersion: opts.minVersion ?? "TLSv1.2",
      });
      const timer = setTimeout(() => {
        t.destroy();
        reject(new Error("TLS handshake timed out"));
      }, timeoutMs);
      t.once("secure", () => {
        clearTimeout(timer);
        t.off("error", onErr);
        resolve(new Conn(t, true));
      });
      const onErr = (e: Error) => {
        clearTimeout(timer);
        t.destroy();
        reject(e);
      };
      t.once("error", onErr);
    });
  }

  /** Client side of STARTTLS/STLS. */
  upgradeToTlsClient(opts: TlsClientOptions, timeoutMs = 30_000): Promise<Conn> {
    const raw = this.#detach();
    return tlsHandshakeClient({ socket: raw, ...clientTlsOptions(opts) }, timeoutMs);
  }
}

function tlsHandshakeClient(options: tls.ConnectionOptions, timeoutMs: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const t = tls.connect(options);
    const timer = setTimeout(() => {
      t.destroy();
      reject(new ConnectError("TLS handshake timed out", "ETIMEDOUT"));
    }, timeoutMs);
    t.once("secureConnect", () => {
      clearTimeout(timer);
      t.off("error", onErr);
      resolve(new Conn(t, true));
    });
    const onErr = (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      t.destroy();
      reject(new ConnectError(e.message, e.code ?? "ETLS"));
    };
    t.once("error", onErr);
  });
}

function clientTlsOptions(opts: TlsClientOptions): tls.ConnectionOptions {
  const o: tls.ConnectionOptions = {
    rejectUnauthorized: opts.rejectUnauthorized ?? true,
    minVersion: opts.minVersion ?? "TLSv1.2",
  };
  if (opts.ca !== undefined) o.ca = Array.isArray(opts.ca) ? opts.ca.map(toPem) : toPem(opts.ca as string | Uint8Array);
  if (opts.servername !== undefined && net.isIP(opts.servername) === 0) o.servername = opts.servername;
  return o;
}

function toPem(x: string | Uint8Array): string {
  return typeof x === "string" ? x : new TextDecoder().decode(x);
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs?: number;
  /** Implicit TLS from the first octet. */
  readonly tls?: TlsClientOptions;
  /** Source address to connect from (e.g. a non-loopback address of this machine). */
  readonly localAddress?: string;
}

/** Opens a TCP (or TLS) connection; rejects with ConnectError (code ECONNREFUSED, ETIMEDOUT, …). */
export function connect(opts: ConnectOptions): Promise<Conn> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new ConnectError(`connect to ${opts.host}:${opts.port} timed out`, "ETIMEDOUT"));
    }, timeoutMs);
    const onErr = (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      reject(new ConnectError(`connect to ${opts.host}:${opts.port}: ${e.message}`, e.code ?? "ECONNECT"));
    };
    s.once("error", onErr);
    s.once("connect", () => {
      clearTimeout(timer);
      s.off("error", onErr);
      if (opts.tls === undefined) {
        resolve(new Conn(s, false));
        return;
      }
      const servername = opts.tls.servername ?? opts.host;
      tlsHandshakeClient({ socket: s, ...clientTlsOptions({ ...opts.tls, servername }) }, timeoutMs).then(resolve, reject);
    });
  });
}

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Implicit TLS listener (RFC 8314 style). */
  readonly tls?: TlsServerOptions;
}

export interface Listener {
  readonly address: string;
  readonly port: number;
  /** Stops accepting; existing connections are left to their owners. */
  close(): Promise<void>;
}

/** Listens for connections; each accepted (and, for TLS, handshaken) connection goes to onConn. */
export function listen(opts: ListenOptions, onConn: (c: Conn) => void): Promise<Listener> {
  const server: net.Server =
    opts.tls === undefined
      ? net.createServer((s) => onConn(new Conn(s, false)))
      : tls.createServer(
          {
            key: toPem(opts.tls.key),
            cert: toPem(opts.tls.cert),
            minVersion: opts.tls.minVersion ?? "TLSv1.2",
            handshakeTimeout: 30_000,
          },
          (s) => onConn(new Conn(s, true)),
        );
  // A failed handshake or a reset before accept must never take the process down.
  server.on("tlsClientError", (_e: Error, s: net.Socket) => s.destroy());
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: opts.host, port: opts.port, exclusive: true }, () => {
      server.off("error", reject);
      server.on("error", () => {});
      const a = server.address() as net.AddressInfo;
      resolve({
        address: a.address,
        port: a.port,
        // Stops accepting at once; node's close callback would wait for every open connection.
        close: async () => {
          server.close();
        },
      });
    });
  });
}

export function isLoopbackAddress(address: string): boolean {
  const a = stripV4Mapped(address);
  return a === "::1" || a.startsWith("127.");
}

function stripV4Mapped(a: string): string {
  return a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
}

/** 4 for an IPv4 literal, 6 for IPv6, 0 otherwise. */
export function ipVersion(s: string): 0 | 4 | 6 {
  return net.isIP(s) as 0 | 4 | 6;
}

/**
 * This machine's own IPv4 addresses outside 127/8 (the conformance runner connects from one to
 * check the "neither TLS nor loopback" rules of shims SUB-3 and POP-1 on a loopback-only host).
 */
export function nonLoopbackAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal && !isLoopbackAddress(a.address)) out.push(a.address);
  }
  return out;
}
