// Wiring: one function takes a configuration and a data directory and starts the reference
// message store (MSOAP, MSRAP, notifier) and RNA (RNASP, RNAQP), each service on its own
// address and port, and returns the bound ports and a close(). `im2000 serve` calls it; later
// the shims are started from here too.

import type { Clock } from "../runtime/clock.ts";
import { sleep, systemClock } from "../runtime/clock.ts";
import type { Resolver } from "../runtime/dns.ts";
import { readText } from "../runtime/fs.ts";
import type { TlsServerOptions } from "../runtime/net.ts";
import { Im2000Server } from "../im2000/server.ts";
import { MSOAP } from "../im2000/msoap.ts";
import { MSRAP } from "../im2000/msrap.ts";
import { RNASP } from "../im2000/rnasp.ts";
import { RNAQP } from "../im2000/rnaqp.ts";
import { ipFromString, parseHostPort, parseListenAddress, staticRoutes } from "../im2000/locate.ts";
import type { ServiceLocation } from "../im2000/types.ts";
import { DirStorage, type Storage } from "../storage/storage.ts";
import type { Logger } from "../util/log.ts";
import { silentLogger } from "../util/log.ts";
import { Authenticator } from "./auth.ts";
import { effectiveTimers, mailboxKey, type PeersConfig } from "./config.ts";
import { MessageStore } from "./store/engine.ts";
import { MsoapHandler } from "./store/msoap-handler.ts";
import { MsrapHandler } from "./store/msrap-handler.ts";
import { Notifier, type DeliveryResult } from "./store/notifier.ts";
import type { Notification } from "../im2000/types.ts";
import { RnaStore } from "./rna/rna-store.ts";
import { RnaspHandler } from "./rna/rnasp-handler.ts";
import { RnaqpHandler } from "./rna/rnaqp-handler.ts";

export type ServiceKey = "msoap" | "msrap" | "rnasp" | "rnaqp" | "msoaps" | "msraps" | "rnasps" | "rnaqps";

export interface PeersHandle {
  /** Bound address of every service started. */
  readonly addresses: Partial<Record<ServiceKey, { host: string; port: number }>>;
  readonly store: MessageStore;
  readonly notifier: Notifier;
  readonly rna: RnaStore;
  readonly servers: Record<"msoap" | "msrap" | "rnasp" | "rnaqp", Im2000Server<any, any>>;
  /** S-5 for every session, then storage flushed and closed. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Data directory (storage root) or a Storage (tests pass MemoryStorage). */
  readonly data: string | Storage;
  readonly log?: Logger;
  readonly clock?: Clock;
  readonly resolver?: Resolver;
  /** Replaces RNASP delivery (model tests). */
  readonly deliver?: (domain: string, batch: Notification[]) => Promise<DeliveryResult>;
  /** TLS client settings for `_rnasps` (tests trust their own CA). */
  readonly rnaspTls?: { ca?: string; rejectUnauthorized?: boolean };
}

function toLocation(hp: string): ServiceLocation {
  const { host, port } = parseHostPort(hp);
  const ip = ipFromString(host);
  if (ip) return { kind: "literals", value: [{ address: ip, port }] };
  return { kind: "domain", value: host.replace(/\.$/, "").split(".") };
}

export async function startPeers(config: PeersConfig, opts: StartOptions): Promise<PeersHandle> {
  const log = opts.log ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const timers = effectiveTimers(config);
  const storage = typeof opts.data === "string" ? new DirStorage(opts.data) : opts.data;
  const wait = (ms: number) => sleep(clock, ms);
  let tls: TlsServerOptions | undefined;
  if (config.tls) tls = { cert: await readText(config.tls.cert), key: await readText(config.tls.key) };

  // ---- message store ----
  const sc = config.store;
  const store = await MessageStore.open(storage, {
    clock,
    log: log.with({ peer: "store" }),
    lists: Object.keys(sc.lists),
    limits: { minLifetime: sc.minLifetime, maxLifetime: sc.maxLifetime, maxMessageBytes: sc.maxMessageBytes, maxRecipients: sc.maxRecipients, storeBytes: sc.storeBytes, defaultQuotaBytes: sc.defaultQuotaBytes, segmentBytes: sc.segmentBytes, checkpointBytes: sc.checkpointBytes },
  });
  const authPolicy = { baseDelayMs: timers.authDelayMs, maxDelayMs: timers.authDelayMaxMs, maxFailures: 5 };
  const storeAuth = new Authenticator((a) => sc.accounts[a]?.passwordHash, authPolicy, wait);
  const serverOpts = (maxSessions: number, name: string) => ({ maxSessions, idleTimeoutMs: timers.idleTimeoutMs, testMode: config.testMode, log: log.with({ svc: name }) });
  const msoap = new Im2000Server(MSOAP, new MsoapHandler(store, storeAuth, { accounts: sc.accounts, anonymousSubmission: sc.anonymousSubmission, senderUsesAccountName: sc.senderUsesAccountName, lists: sc.lists, maxRecipients: sc.maxRecipients, defaultQuotaBytes: sc.defaultQuotaBytes }), serverOpts(sc.maxSessions, "msoap"));
  const msrap = new Im2000Server(
    MSRAP,
    new MsrapHandler(store, { lists: sc.lists, maxPage: 1024 * 1024, nosuchLimit: 20, nosuchWindowMs: timers.nosuchWindowMs, nosuchDelayMs: timers.nosuchDelayMs }, wait, () => clock.now()),
    serverOpts(sc.maxSessions, "msrap"),
  );

  // ---- RNA ----
  const rc = config.rna;
  const readable = new Map<string, string[]>();
  const mailboxes: string[] = [];
  for (const [mb, m] of Object.entries(rc.mailboxes)) {
    const at = mb.lastIndexOf("@");
    const key = mailboxKey(mb.slice(0, at), mb.slice(at + 1));
    mailboxes.push(key);
    for (const r of m.readers) readable.set(r, [...(readable.get(r) ?? []), key]);
  }
  const rna = await RnaStore.open(storage, { clock, mailboxes, maxPerMailbox: rc.maxPerMailbox, log: log.with({ peer: "rna" }) });
  const rnaAuth = new Authenticator((a) => rc.accounts[a]?.passwordHash, authPolicy, wait);
  const rnasp = new Im2000Server(RNASP, new RnaspHandler(rna, rc.maxBatch), serverOpts(rc.rnaspMaxSessions, "rnasp"));
  const rnaqp = new Im2000Server(RNAQP, new RnaqpHandler(rna, rnaAuth, readable, rc.maxPerResponse), serverOpts(rc.rnaqpMaxSessions, "rnaqp"));

  // ---- listen: plain endpoints, then TLS endpoints when a certificate is configured ----
  const addresses: PeersHandle["addresses"] = {};
  const servers = { msoap, msrap, rnasp, rnaqp };
  const started: Im2000Server<any, any>[] = [];
  try {
    for (const key of ["msoap", "msrap", "rnasp", "rnaqp"] as const) {
      const hp = parseListenAddress(config.listen[key]);
      const l = await servers[key].listen(hp.host, hp.port);
      started.push(servers[key]);
      addresses[key] = { host: hp.host, port: l.port };
      const tkey = `${key}s` as const;
      const thp = config.listen[tkey];
      if (tls && thp) {
        const t = parseListenAddress(thp);
        const tl = await servers[key].listen(t.host, t.port, tls);
        addresses[tkey] = { host: t.host, port: tl.port };
      }
    }
  } catch (e) {
    for (const s of started) await s.shutdown(100);
    await store.close();
    await rna.close();
    throw e;
  }

  // ---- notifier: storeclear/storessl name the MSRAP endpoints actually bound (or advertised) ----
  const clearHp = config.advertise?.msrap ?? `${addresses.msrap!.host}:${addresses.msrap!.port}`;
  const sslHp = config.advertise?.msraps ?? (addresses.msraps ? `${addresses.msraps.host}:${addresses.msraps.port}` : undefined);
  // The RNA's own mailbox domains are routed to its RNASP unless the configuration says otherwise.
  const routes: Record<string, Record<string, string>> = { ...config.routes };
  for (const mb of mailboxes) {
    const d = mb.slice(mb.lastIndexOf("@") + 1);
    routes[d] ??= { rnasp: `${addresses.rnasp!.host}:${addresses.rnasp!.port}` };
  }
  const notifier = new Notifier(store, {
    clock,
    log: log.with({ peer: "store" }),
    storeclear: toLocation(clearHp),
    ...(sslHp ? { storessl: toLocation(sslHp) } : {}),
    firstRetryMs: timers.firstRetryMs,
    maxRetryMs: timers.maxRetryMs,
    sweepIntervalMs: timers.sweepIntervalMs,
    routes: staticRoutes(routes),
    resolver: opts.resolver,
    connectTimeoutMs: timers.connectTimeoutMs,
    responseTimeoutMs: timers.responseTimeoutMs,
    deliver: opts.deliver,
    tls: opts.rnaspTls,
  });
  store.onCommit = (m) => notifier.onCommit(m);
  notifier.start();

  let closing: Promise<void> | undefined;
  return {
    addresses,
    store,
    notifier,
    rna,
    servers,
    close() {
      closing ??= (async () => {
        await Promise.all([msoap.shutdown(), msrap.shutdown(), rnasp.shutdown(), rnaqp.shutdown()]);
        await notifier.stop();
        await store.close();
        await rna.close();
      })();
      return closing;
    },
  };
}
