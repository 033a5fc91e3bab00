// Shared test set-up for the reference peers: a testMode configuration on ephemeral loopback
// ports, cheap scrypt hashes, and a temporary data directory.

import { hashPassword } from "../../src/peers/auth.ts";
import { parseConfig, type PeersConfig } from "../../src/peers/config.ts";

export const PASSWORDS = { alice: "alice-secret", bob: "bob-secret", lucy: "lucy-secret", ops: "ops-secret" } as const;

const cheap = { N: 1024, r: 8, p: 1 };

/** A testMode configuration: store accounts alice and bob, RNA account lucy reading lucy@example.org. */
export async function testConfig(over: Record<string, unknown> = {}): Promise<PeersConfig> {
  const h = async (p: string) => hashPassword(p, cheap);
  const base = {
    testMode: true,
    listen: { msoap: "127.0.0.1:0", msrap: "127.0.0.1:0", rnasp: "127.0.0.1:0", rnaqp: "127.0.0.1:0" },
    store: {
      accounts: { alice: { passwordHash: await h(PASSWORDS.alice), displayLabel: "Alice" }, bob: { passwordHash: await h(PASSWORDS.bob) } },
      lists: { announce: { submit: "authenticated", scan: "anyone" }, staff: { submit: ["bob"], scan: "loopback" } },
      minLifetime: 60,
    },
    rna: {
      accounts: { lucy: { passwordHash: await h(PASSWORDS.lucy) }, ops: { passwordHash: await h(PASSWORDS.ops) } },
      mailboxes: { "lucy@example.org": { readers: ["lucy"] }, "ops@example.org": { readers: ["ops", "lucy"] } },
    },
    timers: { idleTimeoutMs: 1000, firstRetryMs: 1000, maxRetryMs: 4000, sweepIntervalMs: 100, authDelayMs: 10, authDelayMaxMs: 40, nosuchDelayMs: 10 },
  };
  return parseConfig(deepMerge(base, over));
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const x = out[k];
    out[k] = x && typeof x === "object" && !Array.isArray(x) && v && typeof v === "object" && !Array.isArray(v) ? deepMerge(x as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Routes example.org's RNASP to a bound port. */
export function routeTo(port: number): Record<string, unknown> {
  return { routes: { "example.org": { rnasp: `127.0.0.1:${port}` } } };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const enc = new TextEncoder();
export const dec = new TextDecoder();
