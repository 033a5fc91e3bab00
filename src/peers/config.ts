// The reference peers' configuration: one JSON file (documented in docs/serve.md). Every limit
// and timer has a default here; testMode lowers the floors (im2000 §18 C-15). Passwords appear
// only as scrypt hashes (auth.ts).

export type ListSubmitRule = "anyone" | "authenticated" | string[];
export type ListScanRule = "anyone" | "loopback";

export interface StoreAccount {
  readonly passwordHash: string;
  /** `sender` in notifications (§18 C-13); default "" unless senderUsesAccountName. */
  readonly displayLabel?: string;
  readonly quotaBytes?: number;
}

export interface RnaAccount {
  readonly passwordHash: string;
}

export interface Timers {
  /** S-4 idle timeout (floor 60 s, 1 s in testMode). */
  readonly idleTimeoutMs: number;
  /** First re-notification (§12.1: 15 min; floor 60 s, 1 s in testMode). */
  readonly firstRetryMs: number;
  /** Re-notification ceiling (24 h). */
  readonly maxRetryMs: number;
  /** How often the store sweeps for due notifications and expired messages. */
  readonly sweepIntervalMs: number;
  /** Brute-force hardening (§9.4): 2 s doubling to 30 s; floor 10 ms in testMode. */
  readonly authDelayMs: number;
  readonly authDelayMaxMs: number;
  /** C-14: after `nosuchLimit` errornosuchmessage answers in `nosuchWindowMs`, each waits this. */
  readonly nosuchDelayMs: number;
  readonly nosuchWindowMs: number;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
}

export interface PeersConfig {
  readonly testMode: boolean;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /** Loopback by default; each service on its own port (SEC-1: may be separate addresses). */
  readonly listen: { readonly msoap: string; readonly msrap: string; readonly rnasp: string; readonly rnaqp: string; readonly msoaps?: string; readonly msraps?: string; readonly rnasps?: string; readonly rnaqps?: string };
  /** Where notifications tell recipients to fetch (defaults to the MSRAP listen addresses). */
  readonly advertise?: { readonly msrap?: string; readonly msraps?: string };
  readonly tls?: { readonly cert: string; readonly key: string };
  /** domain → { rnasp: "host:port", msrap: …, … }, consulted before SRV (§11.2). */
  readonly routes: Record<string, Record<string, string>>;
  readonly store: {
    readonly accounts: Record<string, StoreAccount>;
    readonly anonymousSubmission: boolean;
    readonly senderUsesAccountName: boolean;
    readonly lists: Record<string, { readonly submit: ListSubmitRule; readonly scan: ListScanRule }>;
    readonly maxSessions: number;
    readonly minLifetime: number;
    readonly maxLifetime: number;
    readonly maxMessageBytes: number;
    readonly maxRecipients: number;
    readonly storeBytes: number;
    readonly defaultQuotaBytes: number;
    readonly segmentBytes: number;
    readonly checkpointBytes: number;
  };
  readonly rna: {
    readonly accounts: Record<string, RnaAccount>;
    /** mailbox ("local@domain") → accounts that may read it. */
    readonly mailboxes: Record<string, { readonly readers: string[] }>;
    readonly rnaspMaxSessions: number;
    readonly rnaqpMaxSessions: number;
    /** Per RetrieveAndClear answer (§14: default 1,000). */
    readonly maxPerResponse: number;
    /** Per mailbox, oldest dropped (§12.2: default 10,000). */
    readonly maxPerMailbox: number;
    readonly maxBatch: number;
  };
  readonly timers: Timers;
}

export const DEFAULT_TIMERS: Timers = {
  idleTimeoutMs: 600_000,
  firstRetryMs: 15 * 60_000,
  maxRetryMs: 24 * 3600_000,
  sweepIntervalMs: 60_000,
  authDelayMs: 2000,
  authDelayMaxMs: 30_000,
  nosuchDelayMs: 1000,
  nosuchWindowMs: 60_000,
  connectTimeoutMs: 30_000,
  responseTimeoutMs: 120_000,
};

export function defaultConfig(): PeersConfig {
  return {
    testMode: false,
    logLevel: "info",
    listen: { msoap: "127.0.0.1:8192", msrap: "127.0.0.1:8193", rnasp: "127.0.0.1:3181", rnaqp: "127.0.0.1:3182" },
    routes: {},
    store: {
      accounts: {},
      anonymousSubmission: false,
      senderUsesAccountName: false,
      lists: {},
      maxSessions: 50,
      minLifetime: 7 * 86400,
      maxLifetime: 90 * 86400,
      maxMessageBytes: 64 * 1024 * 1024,
      maxRecipients: 1000,
      storeBytes: 64 * 1024 ** 3,
      defaultQuotaBytes: 1024 ** 3,
      segmentBytes: 64 * 1024 * 1024,
      checkpointBytes: 16 * 1024 * 1024,
    },
    rna: { accounts: {}, mailboxes: {}, rnaspMaxSessions: 20, rnaqpMaxSessions: 50, maxPerResponse: 1000, maxPerMailbox: 10_000, maxBatch: 10_000 },
    timers: DEFAULT_TIMERS,
  };
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep-merges a parsed JSON file over the defaults and checks it. */
export function parseConfig(json: unknown): PeersConfig {
  if (!isObj(json)) throw new ConfigError("the configuration must be a JSON object");
  const d = defaultConfig() as unknown as Record<string, unknown>;
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>, at: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const b = base[k];
      if (isObj(b) && isObj(v) && !["accounts", "lists", "mailboxes", "routes"].includes(k)) out[k] = merge(b, v, `${at}${k}.`);
      else {
        if (b !== undefined && typeof b !== typeof v && !(Array.isArray(v) || isObj(v))) throw new ConfigError(`${at}${k}: expected a ${typeof b}`);
        out[k] = v;
      }
    }
    return out;
  };
  const c = merge(d, json, "") as unknown as PeersConfig;
  for (const [name, a] of Object.entries(c.store.accounts)) if (!/^scrypt\$/.test(a.passwordHash ?? "")) throw new ConfigError(`store.accounts.${name}.passwordHash must be an scrypt hash (see \`im2000 hash-password\`)`);
  for (const [name, a] of Object.entries(c.rna.accounts)) if (!/^scrypt\$/.test(a.passwordHash ?? "")) throw new ConfigError(`rna.accounts.${name}.passwordHash must be an scrypt hash`);
  for (const [mb, m] of Object.entries(c.rna.mailboxes)) {
    if (!/^[^@\s]+@[^@\s]+$/.test(mb)) throw new ConfigError(`rna.mailboxes: ${mb} is not local@domain`);
    for (const r of m.readers ?? []) if (!(r in c.rna.accounts)) throw new ConfigError(`rna.mailboxes.${mb}: unknown reader ${r}`);
  }
  // §12.1, §12.2: session caps never below the spec's floors.
  if (c.store.maxSessions < 5) throw new ConfigError("store.maxSessions must be at least 5 (im2000 §12.1)");
  if (c.rna.rnaspMaxSessions < 2) throw new ConfigError("rna.rnaspMaxSessions must be at least 2 (im2000 §12.2)");
  if (c.rna.rnaqpMaxSessions < 5) throw new ConfigError("rna.rnaqpMaxSessions must be at least 5 (im2000 §12.2)");
  return c;
}

/** The timers with the floors applied (normal or testMode, §18 C-15). */
export function effectiveTimers(c: PeersConfig): Timers {
  const t = c.timers;
  const test = c.testMode;
  return {
    ...t,
    idleTimeoutMs: Math.max(test ? 1000 : 60_000, t.idleTimeoutMs),
    firstRetryMs: Math.max(test ? 1000 : 60_000, t.firstRetryMs),
    maxRetryMs: Math.max(test ? 1000 : 60_000, t.maxRetryMs, t.firstRetryMs),
    sweepIntervalMs: Math.max(test ? 50 : 1000, t.sweepIntervalMs),
    authDelayMs: Math.max(test ? 10 : 1000, t.authDelayMs),
    authDelayMaxMs: Math.max(test ? 10 : 1000, t.authDelayMaxMs),
    nosuchDelayMs: Math.max(test ? 10 : 1000, t.nosuchDelayMs),
  };
}

/** "local@domain" with the domain lower-cased (§18 C-9). */
export function mailboxKey(localpart: string, domain: string | readonly string[]): string {
  const d = (typeof domain === "string" ? domain : domain.join(".")).toLowerCase().replace(/\.$/, "");
  return `${localpart}@${d}`;
}
