// Password checking with brute-force hardening, shared by MSOAP (T-MSOAP-1) and RNAQP (§14):
// every failed answer is delayed (base delay doubling per consecutive failure of the session or
// of the client address, up to a cap) and the session is closed after 5 consecutive failures
// (im2000 §9.4, SEC-4). Passwords are stored as scrypt hashes, never in clear, and never logged.
//
// Hash format: `scrypt$N$r$p$<salt base64>$<hash base64>`.

import { decodeBase64, encodeBase64 } from "../util/base64.ts";
import { randomBytes, scrypt, timingSafeEqual } from "../runtime/crypto.ts";
import type { ServerSession } from "../im2000/server.ts";

export interface AuthPolicy {
  /** First failure's delay; default 2 s, floor 10 ms in testMode (§18 C-15). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Consecutive failures after which the session is closed (default 5). */
  readonly maxFailures: number;
}

export async function hashPassword(password: string, params = { N: 16384, r: 8, p: 1 }): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, { ...params, keyLength: 32 });
  return `scrypt$${params.N}$${params.r}$${params.p}$${encodeBase64(salt)}$${encodeBase64(key)}`;
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  if (!m) return false;
  const salt = decodeBase64(m[4]!);
  const want = decodeBase64(m[5]!);
  if (salt === undefined || want === undefined || want.byteLength === 0) return false;
  const got = await scrypt(password, salt, { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]), keyLength: want.byteLength });
  return timingSafeEqual(got, want);
}


/** A hash nobody knows the password of: unknown accounts cost as much as known ones. */
const DUMMY = hashPassword(Math.random().toString(36), { N: 1024, r: 8, p: 1 });

export class Authenticator {
  readonly policy: AuthPolicy;
  #lookup: (account: string) => string | undefined;
  #byAddress = new Map<string, number>();
  #sleep: (ms: number) => Promise<void>;

  constructor(lookup: (account: string) => string | undefined, policy: AuthPolicy, sleep: (ms: number) => Promise<void>) {
    this.#lookup = lookup;
    this.policy = policy;
    this.#sleep = sleep;
  }

  /**
   * Checks the credentials and updates the session (§4 item 3: failure demotes). On failure,
   * waits the hardening delay before returning and marks the session for closing after the
   * fifth consecutive failure.
   */
  async authenticate(session: ServerSession, account: string, password: string): Promise<boolean> {
    const hash = this.#lookup(account);
    const ok = hash !== undefined ? await verifyPassword(password, hash) : (await verifyPassword(password, await DUMMY), false);
    const addr = session.conn.remote.address;
    if (ok) {
      session.authFailures = 0;
      this.#byAddress.delete(addr);
      session.setAuthenticated(account);
      session.log.log("info", "auth.ok", { account });
      return true;
    }
    session.setAuthenticated(undefined);
    session.authFailures++;
    const n = Math.max(session.authFailures, (this.#byAddress.get(addr) ?? 0) + 1);
    if (this.#byAddress.size > 10_000) this.#byAddress.clear(); // bounded memory
    this.#byAddress.set(addr, n);
    session.log.log("warn", "auth.failed", { account, failures: session.authFailures });
    await this.#sleep(Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** Math.min(20, n - 1)));
    if (session.authFailures >= this.policy.maxFailures) session.closeAfterResponse = true;
    return false;
  }
}
