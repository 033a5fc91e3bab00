// What a case works with: unique names that route the shim's IM2000 sessions to this case, the
// fake peers' per-case state (scripts in, observations out), clients connected to the shim, and
// small helpers to wait for conditions and to check them. Everything a case opens is closed when
// it ends, whatever the outcome.

import { CaseFailure, CaseSkip, type SuiteName } from "./case.ts";
import { LineConn } from "./client/line-conn.ts";
import { Pop3Client } from "./client/pop3.ts";
import { SmtpClient } from "./client/smtp.ts";
import type { CasePeers, FakeMessage } from "./peers/case-peers.ts";
import type { FakePeers } from "./peers/fake-peers.ts";
import { hexOf } from "./peers/describe.ts";
import type { NotificationAndLocalData } from "../src/im2000/types.ts";
import { randomBytes } from "../src/runtime/crypto.ts";
import { isLoopbackAddress, nonLoopbackAddresses } from "../src/runtime/net.ts";
import type { WireLog } from "./wire-log.ts";

/** How the shim under test is configured (the values of the conformance interface). */
export interface ShimConfig {
  readonly role: SuiteName;
  readonly host: string;
  readonly port: number;
  /** Implicit-TLS port; undefined when the target has none (cases needing it are skipped). */
  readonly tlsPort?: number;
  readonly maxRecipients: number;
  readonly maxMessageSize: number;
  readonly chunkSize: number;
  readonly lifetimeS: number;
  readonly idleTimeoutS: number;
  /** IM2000_PEER_TIMEOUT_S: the shim's response timeout towards the fake peers. */
  readonly peerTimeoutS: number;
  readonly listDomains: readonly string[];
  readonly gatewayAccount: string;
  readonly gatewayPassword: string;
  readonly semiPublic: readonly string[];
  /** The runner's CA/certificate (PEM) that the shim serves; trusted by the client. */
  readonly ca: string;
  /** True when the runner started the shim (--exec). */
  readonly started: boolean;
}

/** Settings of the fast-check model cases (--seed, --runs, --replay). */
export interface ModelOptions {
  readonly seed?: number;
  readonly runs: number;
  readonly replay?: string;
}

export class CaseContext {
  readonly id: string;
  readonly log: WireLog;
  readonly peers: CasePeers;
  readonly shim: ShimConfig;
  readonly fake: FakePeers;
  /** Per-read timeout for client steps (already multiplied). */
  readonly timeoutMs: number;
  readonly multiplier: number;
  /** Embedded in every name this case generates, so its sessions can be told apart. */
  readonly token: string;
  readonly model: ModelOptions;
  #clients: LineConn[] = [];
  #connSeq = 0;
  #nameSeq = 0;
  #cleanups: (() => Promise<void> | void)[] = [];

  constructor(opts: { id: string; log: WireLog; peers: CasePeers; shim: ShimConfig; fake: FakePeers; timeoutMs: number; multiplier: number; token: string; model?: ModelOptions }) {
    this.id = opts.id;
    this.log = opts.log;
    this.peers = opts.peers;
    this.shim = opts.shim;
    this.fake = opts.fake;
    this.timeoutMs = opts.timeoutMs;
    this.multiplier = opts.multiplier;
    this.token = opts.token;
    this.model = opts.model ?? { runs: 25 };
  }

  get store() {
    return this.peers.store;
  }

  get rna() {
    return this.peers.rna;
  }

  #unique(label: string): string {
    const n = this.#nameSeq++;
    return n === 0 ? label : `${label}${n}`;
  }

  /**
   * A new account known to the fake store (MSOAP) and the fake RNA (RNAQP), with its password.
   * Its name routes the shim's sessions to this case.
   */
  account(label = "user", password = `pw-${this.token}`): { account: string; password: string } {
    const account = `${this.#unique(label)}.${this.token}`;
    this.store.accounts.set(account, password);
    this.rna.accounts.set(account, password);
    this.fake.router.register(account, this.peers);
    return { account, password };
  }

  /** The case's own mail domain (`<token>.test`); recipients in it route envelopes here. */
  get domain(): string {
    const d = `${this.token}.test`;
    this.fake.router.register(`domain:${d}`, this.peers);
    return d;
  }

  address(local = "rcpt"): string {
    return `${local}@${this.domain}`;
  }

  /** A list name unique to this case (routes envelopes with it in `lists`). */
  listName(label = "list"): string {
    const name = `${label}-${this.token}`;
    this.fake.router.register(`list:${name}`, this.peers);
    return name;
  }

  /** Routes sessions carrying this key (e.g. an envelope sender used as the MSOAP account, LST-8). */
  route(key: string): void {
    this.fake.router.register(key, this.peers);
  }

  /** A message in the fake store and its notification (pointing at the fake store's MSRAP). */
  message(opts: { to: string; content: string | Uint8Array; sender?: string; size?: number | null; storeDown?: boolean; date?: number }): { notification: NotificationAndLocalData; message: FakeMessage; id: string } {
    const [local, dom] = splitAddress(opts.to);
    const content = typeof opts.content === "string" ? Uint8Array.from(opts.content, (c) => c.charCodeAt(0) & 0xff) : opts.content;
    const r = this.fake.message(this.peers, { recipient: { localpart: local, domain: dom.split(".") }, content, sender: opts.sender, size: opts.size, storeDown: opts.storeDown, date: opts.date, identifier: randomBytes(16) });
    return { ...r, id: hexOf(r.notification.notification.identifier) };
  }

  async #open(prefix: string, implicitTls: boolean, fromNonLoopback: boolean): Promise<LineConn> {
    const port = implicitTls ? this.shim.tlsPort : this.shim.port;
    if (port === undefined) throw new CaseSkip("the target has no implicit-TLS port (--target-tls)");
    let local: string | undefined;
    if (fromNonLoopback) {
      // ref: conformance interface — non-loopback rules only where a second address exists.
      if (!isLoopbackAddress(this.shim.host)) throw new CaseSkip("the target does not listen on a loopback address");
      local = nonLoopbackAddresses()[0];
      if (local === undefined) throw new CaseSkip("this machine has no address outside 127/8 to connect from");
    }
    const c = await LineConn.open(`${prefix}#${++this.#connSeq}`, { host: this.shim.host, port }, this.log, this.timeoutMs, this.shim.ca, implicitTls, local);
    this.#clients.push(c);
    return c;
  }

  /** A client connection; `fromNonLoopback` connects from this machine's non-loopback address. */
  async smtp(opts: { implicitTls?: boolean; fromNonLoopback?: boolean } = {}): Promise<SmtpClient> {
    return new SmtpClient(await this.#open("smtp", opts.implicitTls ?? false, opts.fromNonLoopback ?? false));
  }

  async pop3(opts: { implicitTls?: boolean; fromNonLoopback?: boolean } = {}): Promise<Pop3Client> {
    return new Pop3Client(await this.#open("pop3", opts.implicitTls ?? false, opts.fromNonLoopback ?? false));
  }

  /** Waits until `cond` holds (polling), or fails naming `what`. */
  async waitFor(what: string, cond: () => boolean, ms = this.timeoutMs): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new CaseFailure(`timed out waiting for ${what}`, what, `not within ${ms} ms`);
      await sleep(10);
    }
  }

  /**
   * After a malformed (or not-a-response) PDU from a fake peer: did the shim end that IM2000
   * session, as im2000 §7 C-1 requires? The peer waits a bounded time for it to happen.
   */
  async shimClosedAfterBadPdu(): Promise<boolean> {
    await this.waitFor("the fake peer to see what the shim did after the bad PDU", () => this.peers.faults.length > 0, this.timeoutMs * 2 + 1000);
    return this.peers.faults[0]!.shimClosed;
  }

  /** Lets time pass (bounded observation windows for "never" requirements, GEN-4). */
  sleep(ms: number): Promise<void> {
    return sleep(ms);
  }

  check(ok: boolean, message: string, expected: string, seen: string): void {
    if (!ok) throw new CaseFailure(message, expected, seen);
  }

  skip(reason: string): never {
    throw new CaseSkip(reason);
  }

  /** Runs fn when the case ends (restoring a peer an exclusive case changed). */
  onCleanup(fn: () => Promise<void> | void): void {
    this.#cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const c of this.#clients) c.dispose();
    this.#clients = [];
    for (const fn of this.#cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // a failed restore is reported by the next case that needs the peer
      }
    }
    this.#cleanups = [];
    this.fake.router.unregister(this.peers);
  }
}

export function splitAddress(a: string): [string, string] {
  const i = a.lastIndexOf("@");
  return [a.slice(0, i), a.slice(i + 1).toLowerCase()];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
