// MSRAP sessions to the many message stores a reading shim talks to (shims §1.9: RNAQP to one RNA,
// MSRAP to many stores, each named by its notifications). Per store location, up to two sessions
// ("lanes"), reused for the length of one POP3/IMAP session, each one transaction at a time,
// reconnected lazily after a failure: the foreground lane carries what a client is waiting for
// (Retrieve, UnPin), the background lane the work started at login (Silence and size queries for
// every new notification, POP-3, POP-5), so a RETR never queues behind thousands of Silences. TLS first when the notification names a TLS endpoint (`storessl`), falling back
// silently to `storeclear` (im2000 §18 C-7, C-8: allowed by default for MSRAP).

import { encode } from "../der/mod.ts";
import { Im2000StatusError, Im2000TransportError } from "../im2000/errors.ts";
import { connectServiceLocation, type LocateOptions } from "../im2000/locate.ts";
import { MsrapClient } from "../im2000/msrap-client.ts";
import { ServiceLocation, type Notification } from "../im2000/types.ts";
import type { TlsClientOptions } from "../runtime/net.ts";
import type { Logger } from "../util/log.ts";
import { Mutex } from "../util/mutex.ts";

export interface StorePoolOptions {
  readonly locate?: LocateOptions;
  readonly connectTimeoutMs?: number;
  readonly responseTimeoutMs?: number;
  /** Try `storessl` first when present (default true). */
  readonly preferTls?: boolean;
  /** Trust for store certificates (default: the runtime's trust store). */
  readonly tls?: TlsClientOptions;
  /** §18 C-8: fall back to storeclear when TLS fails (default true for MSRAP). */
  readonly allowCleartextFallback?: boolean;
  /**
   * After a store could not be reached (or stopped answering), requests to it fail at once for
   * this long (default 30 s) instead of each waiting out its own timeout: a login with 1,000
   * notifications from one dead store must not wait 1,000 connect timeouts.
   */
  readonly retryAfterMs?: number;
  readonly log: Logger;
}

/** A store could not be reached or answered with something other than an answer (POP-12). */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}

interface Entry {
  client: MsrapClient | undefined;
  readonly mutex: Mutex;
}

const storeKeys = new WeakMap<ServiceLocation, string>();

/** Which of a store's two sessions a request uses (see the top of this file). */
export type Lane = "foreground" | "background";

export class StorePool {
  readonly #o: StorePoolOptions;
  readonly #entries = new Map<string, Entry>();
  /** Store location → when to try it again after a transport failure. */
  readonly #downUntil = new Map<string, number>();
  #closed = false;

  constructor(o: StorePoolOptions) {
    this.#o = o;
  }

  /**
   * The store a notification names, as a map key: its storeclear location's DER. Computed once
   * per location object (a session's notifications are kept for its whole length), not on every
   * MSRAP request.
   */
  static keyOf(n: Notification): string {
    let key = storeKeys.get(n.storeclear);
    if (key === undefined) {
      key = "";
      for (const x of encode(ServiceLocation, n.storeclear)) key += String.fromCharCode(x);
      storeKeys.set(n.storeclear, key);
    }
    return key;
  }

  async #connect(n: Notification): Promise<MsrapClient> {
    const timeouts = { connectTimeoutMs: this.#o.connectTimeoutMs ?? 15_000 };
    const opts = { ...this.#o.locate, ...timeouts };
    if (n.storessl !== undefined && (this.#o.preferTls ?? true)) {
      const r = await connectServiceLocation(n.storessl, "msrap", true, { ...opts, tls: this.#o.tls ?? {} });
      if (r.kind === "connected") return MsrapClient.over(r.conn, { responseTimeoutMs: this.#o.responseTimeoutMs });
      if (!(this.#o.allowCleartextFallback ?? true)) throw new Im2000TransportError("connect", `MSRAP TLS endpoint: ${r.reason}`);
      this.#o.log.log("info", "msrap.tls-fallback", { reason: r.reason });
    }
    const r = await connectServiceLocation(n.storeclear, "msrap", false, opts);
    if (r.kind === "connected") return MsrapClient.over(r.conn, { responseTimeoutMs: this.#o.responseTimeoutMs });
    throw new Im2000TransportError(r.status === "baddomain" ? "locate" : "connect", `MSRAP: ${r.reason}`, r.permanent);
  }

  /**
   * Runs fn with the store's MSRAP client, one transaction at a time per store. Transport and
   * protocol failures become StoreUnavailableError (and the session is dropped); status errors
   * (errornosuchmessage …) pass through as Im2000StatusError.
   */
  async with<T>(n: Notification, fn: (c: MsrapClient) => Promise<T>, lane: Lane = "foreground"): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError("shim session is closing");
    const store = StorePool.keyOf(n);
    this.#checkUp(store);
    const key = `${lane === "background" ? "b" : "f"}${store}`;
    let e = this.#entries.get(key);
    if (e === undefined) {
      e = { client: undefined, mutex: new Mutex() };
      this.#entries.set(key, e);
    }
    const entry = e;
    return entry.mutex.run(async () => {
      this.#checkUp(store); // it may have failed while this request waited its turn
      try {
        if (entry.client === undefined || !entry.client.usable) entry.client = await this.#connect(n);
        return await fn(entry.client);
      } catch (err) {
        if (err instanceof Im2000StatusError && !(err.forceabort && entry.client?.usable === false)) throw err;
        entry.client?.session.abandon();
        entry.client = undefined;
        if (err instanceof Im2000StatusError) throw err;
        this.#downUntil.set(store, Date.now() + (this.#o.retryAfterMs ?? 30_000));
        this.#o.log.log("warn", "msrap.unavailable", { error: (err as Error).message });
        throw new StoreUnavailableError((err as Error).message);
      }
    });
  }

  #checkUp(store: string): void {
    const until = this.#downUntil.get(store);
    if (until === undefined) return;
    if (Date.now() < until) throw new StoreUnavailableError("the message store was unreachable moments ago");
    this.#downUntil.delete(store);
  }

  /** Closes every session cleanly (between transactions). */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map((e) => e.mutex.run(async () => e.client?.close().catch(() => {}))));
  }
}
