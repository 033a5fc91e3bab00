// The shims `im2000 serve` starts next to the reference peers, so one command gives a complete
// system: the SMTP submission shim and the list relay (wired to the store's MSOAP) and the POP3
// shim (wired to the RNA's RNAQP, with its notification store under the data directory).
//
// Configuration: the optional "shims" section of config.json (docs/serve.md). Each shim can be
// switched off with `"enabled": false`; every address is loopback unless configured otherwise.

import { path, readText } from "../runtime/fs.ts";
import type { TlsServerOptions } from "../runtime/net.ts";
import { parseListenAddress } from "../im2000/locate.ts";
import { FileNoteStore } from "../notes/file-store.ts";
import { startPop3Service } from "../pop3/service.ts";
import { startSmtpService } from "../smtp/service.ts";
import type { Logger } from "../util/log.ts";

export interface ShimsConfig {
  readonly hostname?: string;
  readonly submission?: { readonly enabled?: boolean; readonly listen?: string; readonly listenTls?: string; readonly lifetimeSeconds?: number; readonly maxMessageSize?: number };
  readonly relay?: {
    readonly enabled?: boolean;
    readonly listen?: string;
    readonly listDomains?: readonly string[];
    readonly gatewayAccount?: string;
    /**
     * File holding the gateway account's password (the relay is an MSOAP client: it needs it in
     * clear), relative to the configuration file's directory.
     */
    readonly gatewayPasswordFile?: string;
    readonly semiPublicLists?: readonly string[];
  };
  readonly pop3?: { readonly enabled?: boolean; readonly listen?: string; readonly listenTls?: string; readonly stateDir?: string };
}

/** Documented defaults: unprivileged loopback ports that echo the standard ones. */
export const SHIM_DEFAULTS = {
  submission: "127.0.0.1:1587",
  submissionTls: "127.0.0.1:1465",
  relay: "127.0.0.1:2525",
  pop3: "127.0.0.1:1110",
  pop3Tls: "127.0.0.1:1995",
} as const;

export interface ShimsHandle {
  readonly ports: readonly { readonly name: string; readonly host: string; readonly port: number }[];
  close(): Promise<void>;
}

export async function startShims(
  c: ShimsConfig,
  peers: { readonly msoap: { host: string; port: number }; readonly rnaqp: { host: string; port: number } },
  o: { readonly dataDir: string; readonly configDir: string; readonly tls?: TlsServerOptions; readonly testMode: boolean; readonly log: Logger },
): Promise<ShimsHandle> {
  const hostname = c.hostname ?? "localhost";
  const ports: { name: string; host: string; port: number }[] = [];
  const closers: (() => Promise<void>)[] = [];
  const store = { kind: "address" as const, host: peers.msoap.host, port: peers.msoap.port };
  try {
    if (c.submission?.enabled !== false) {
      const s = await startSmtpService({
        role: "submission",
        hostname,
        listen: [parseListenAddress(c.submission?.listen ?? SHIM_DEFAULTS.submission)],
        listenTls: o.tls ? [parseListenAddress(c.submission?.listenTls ?? SHIM_DEFAULTS.submissionTls)] : [],
        tls: o.tls,
        store,
        lifetimeSeconds: c.submission?.lifetimeSeconds,
        maxMessageSize: c.submission?.maxMessageSize,
        testMode: o.testMode,
        log: o.log,
      });
      closers.push(() => s.close());
      for (const p of s.ports) ports.push({ name: p.tls ? "submissions" : "submission", host: p.host, port: p.port });
    }
    if (c.relay?.enabled !== false && c.relay?.gatewayAccount !== undefined) {
      const secretFile = c.relay.gatewayPasswordFile ?? "relay-secret";
      const secret = (await readText(path.resolve(o.configDir, secretFile))).trim();
      const r = await startSmtpService({
        role: "relay",
        hostname,
        listen: [parseListenAddress(c.relay.listen ?? SHIM_DEFAULTS.relay)],
        tls: o.tls,
        store,
        relay: { listDomains: (c.relay.listDomains ?? []).map((d) => d.toLowerCase()), gatewayAccount: c.relay.gatewayAccount, gatewayPassword: secret, semiPublicLists: c.relay.semiPublicLists ?? [] },
        testMode: o.testMode,
        log: o.log,
      });
      closers.push(() => r.close());
      for (const p of r.ports) ports.push({ name: "list-relay", host: p.host, port: p.port });
    }
    if (c.pop3?.enabled !== false) {
      const notes = await FileNoteStore.open(path.resolve(o.dataDir, c.pop3?.stateDir ?? "pop3-state"));
      const p3 = await startPop3Service({
        hostname,
        listen: [parseListenAddress(c.pop3?.listen ?? SHIM_DEFAULTS.pop3)],
        listenTls: o.tls ? [parseListenAddress(c.pop3?.listenTls ?? SHIM_DEFAULTS.pop3Tls)] : [],
        tls: o.tls,
        rna: { kind: "address", host: peers.rnaqp.host, port: peers.rnaqp.port },
        notes,
        testMode: o.testMode,
        log: o.log,
      });
      closers.push(
        () => p3.close(),
        () => notes.close(),
      );
      for (const p of p3.ports) ports.push({ name: p.tls ? "pop3s" : "pop3", host: p.host, port: p.port });
    }
  } catch (e) {
    for (const c of closers) await c().catch(() => {});
    throw e;
  }
  return {
    ports,
    async close() {
      for (const c of closers) await c().catch(() => {});
    },
  };
}
