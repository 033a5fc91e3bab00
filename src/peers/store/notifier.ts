// The store's notification loop (im2000 §12.1 [R], §13, §18 C-7, C-13): after a commit, and
// whenever the sweep finds a recipient due, locate the recipient domain's RNA (static routes
// first, then SRV, §11.2), send one CommandNotify per domain with every due recipient of that
// domain, and record each recipient's NotificationStatus and next attempt: 15 min after the
// first, doubling up to 24 h (all configurable), until the recipient silences or un-pins, the
// message is cancelled or expires. baddomain is never retried.

import type { Clock, Timer } from "../../runtime/clock.ts";
import { epochSeconds } from "../../runtime/clock.ts";
import type { Resolver } from "../../runtime/dns.ts";
import type { TlsClientOptions } from "../../runtime/net.ts";
import { locate, type LocateOutcome, type RouteTable } from "../../im2000/locate.ts";
import { RnaspClient } from "../../im2000/rnasp-client.ts";
import type { Notification, ServiceLocation } from "../../im2000/types.ts";
import type { Logger } from "../../util/log.ts";
import { idForLog } from "../../util/log.ts";
import { fromHex, NStatus, toHex, type CommittedMessage, type DueRecipient, type MessageStore } from "./engine.ts";

export interface NotifierOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly storeclear: ServiceLocation;
  readonly storessl?: ServiceLocation;
  readonly firstRetryMs: number;
  readonly maxRetryMs: number;
  readonly sweepIntervalMs: number;
  /** Delivers one batch to a domain's RNA (default: §11 location + RnaspClient). */
  readonly deliver?: (domain: string, batch: Notification[]) => Promise<DeliveryResult>;
  readonly routes?: RouteTable;
  readonly resolver?: Resolver;
  readonly connectTimeoutMs?: number;
  readonly responseTimeoutMs?: number;
  /** TLS client options for `_rnasps` (tried first unless routes say otherwise, §13 [R]). */
  readonly tls?: TlsClientOptions;
}

/** What a delivery attempt to one domain's RNA came to. */
export type DeliveryResult = { kind: "delivered" } | { kind: "failed"; status: "baddomain" | "noservice" | "noserver" | "protocolerror"; reason: string };

/** Delay before attempt n+1 after n attempts (§12.1: first retry, doubling, ceiling). */
export function retryDelayMs(attempts: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, Math.min(30, attempts - 1)));
}

export async function deliverOverRnasp(domain: string, batch: Notification[], opts: { routes?: RouteTable; resolver?: Resolver; connectTimeoutMs?: number; responseTimeoutMs?: number; tls?: TlsClientOptions }): Promise<DeliveryResult> {
  const lopts = { routes: opts.routes, resolver: opts.resolver, connectTimeoutMs: opts.connectTimeoutMs ?? 30_000 };
  let outcome: LocateOutcome | undefined;
  const routedPlainOnly = opts.routes?.lookup("rnasp", domain, false) !== undefined && opts.routes?.lookup("rnasp", domain, true) === undefined;
  if (!routedPlainOnly) {
    // C-7: any failure of the TLS attempt falls through silently to the plain lookup.
    const t = await locate(domain, "rnasp", true, { ...lopts, tls: opts.tls ?? {} }).catch(() => undefined);
    if (t?.kind === "connected") outcome = t;
  }
  outcome ??= await locate(domain, "rnasp", false, lopts);
  if (outcome.kind === "failed") return { kind: "failed", status: outcome.status, reason: outcome.reason };
  const client = RnaspClient.over(outcome.conn, { responseTimeoutMs: opts.responseTimeoutMs ?? 120_000 });
  try {
    await client.notify(batch);
    return { kind: "delivered" };
  } catch (e) {
    return { kind: "failed", status: "protocolerror", reason: (e as Error).message };
  } finally {
    await client.close().catch(() => {});
  }
}

export class Notifier {
  readonly store: MessageStore;
  readonly opts: NotifierOptions;
  #inflight = new Set<string>();
  #timer: Timer | undefined;
  #sweeping: Promise<void> | undefined;
  #stopped = false;
  #active = new Set<Promise<void>>();

  constructor(store: MessageStore, opts: NotifierOptions) {
    this.store = store;
    this.opts = opts;
  }

  start(): void {
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.opts.clock.setTimer(ms, () => {
      this.#sweeping = this.sweepOnce()
        .then(() => {})
        .catch((e: Error) => this.opts.log.log("error", "notify.sweep-failed", { error: e.message }))
        .finally(() => {
          this.#sweeping = undefined;
          this.#schedule(this.opts.sweepIntervalMs);
        });
    });
  }

  /** Called by the store after each commit: notify the new recipients at once. */
  onCommit(m: CommittedMessage): void {
    if (m.info.r.length === 0) return;
    const due: DueRecipient[] = m.info.r.map(([localpart, domain, id]) => ({ id: fromHex(id), localpart, domain, sender: m.info.n, size: m.info.z, attempts: 0 }));
    this.#track(this.notify(due));
  }

  #track(p: Promise<void>): void {
    const q = p.catch((e: Error) => this.opts.log.log("error", "notify.failed", { error: e.message })).finally(() => this.#active.delete(q));
    this.#active.add(q);
  }

  /** One full pass over the store: expiries and due re-notifications. */
  async sweepOnce(): Promise<{ due: number; expired: number }> {
    let cursor: number | undefined = 0;
    let due = 0;
    let expired = 0;
    while (cursor !== undefined && !this.#stopped) {
      const r = await this.store.sweep(cursor, 8192);
      expired += r.expired;
      due += r.due.length;
      if (r.due.length > 0) await this.notify(r.due);
      cursor = r.next;
    }
    if (expired > 0) this.opts.log.log("info", "store.expired", { messages: expired });
    return { due, expired };
  }

  /** Notifies a set of due recipients, one CommandNotify per recipient domain. */
  async notify(due: readonly DueRecipient[]): Promise<void> {
    const byDomain = new Map<string, DueRecipient[]>();
    for (const d of due) {
      const k = toHex(d.id);
      if (this.#inflight.has(k)) continue;
      this.#inflight.add(k);
      const list = byDomain.get(d.domain);
      if (list) list.push(d);
      else byDomain.set(d.domain, [d]);
    }
    await Promise.all([...byDomain].map(([domain, list]) => this.#notifyDomain(domain, list)));
  }

  async #notifyDomain(domain: string, list: DueRecipient[]): Promise<void> {
    try {
      const batch: Notification[] = list.map((d) => ({
        storeclear: this.opts.storeclear,
        ...(this.opts.storessl ? { storessl: this.opts.storessl } : {}),
        recipient: { localpart: d.localpart, domain: domain.split(".") },
        identifier: d.id,
        sender: d.sender,
        size: d.size,
      }));
      const deliver = this.opts.deliver ?? ((dom: string, b: Notification[]) => deliverOverRnasp(dom, b, this.opts));
      const result = await deliver(domain, batch).catch((e: Error): DeliveryResult => ({ kind: "failed", status: "noserver", reason: e.message }));
      const now = epochSeconds(this.opts.clock);
      // Issued together so that they share one store batch (one fsync).
      await Promise.all(
        list.map((d) => {
          const attempts = d.attempts + 1;
          const next = now + Math.ceil(retryDelayMs(attempts, this.opts.firstRetryMs, this.opts.maxRetryMs) / 1000);
          if (result.kind === "delivered") return this.store.recordNotification(d.id, NStatus.notifying, next, attempts);
          if (result.status === "baddomain") return this.store.recordNotification(d.id, NStatus.baddomain, 0, attempts);
          return this.store.recordNotification(d.id, NStatus[result.status], next, attempts);
        }),
      );
      if (result.kind === "delivered") this.opts.log.log("info", "notify.delivered", { domain, recipients: list.length, first: idForLog(list[0]!.id) });
      else this.opts.log.log("warn", "notify.failed", { domain, recipients: list.length, status: result.status, reason: result.reason });
    } finally {
      for (const d of list) this.#inflight.delete(toHex(d.id));
    }
  }

  /** Waits for notifications in progress (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#active.size > 0 || this.#sweeping) await Promise.all([...this.#active, this.#sweeping]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.idle().catch(() => {});
  }
}
