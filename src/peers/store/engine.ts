// The reference message store's durable state (im2000 §12.1, §15, §16.1): messages, their
// identifiers, per-recipient delivery state, lists, lifetimes, quotas. The MSOAP and MSRAP
// handlers and the notifier are thin layers over this class; it does no network I/O.
//
// Implementation notes (invariants):
//
// * Write-ahead log. Every change is a record in one RecordLog (group commit):
//     'D' + octets          message data of a chunk (written as it arrives, not waited for)
//     'C' + JSON            commit of one message: ids, envelope, data extents, derived sizes
//     'U' + id + slot       the new 32-octet slot of one identifier (applied only if it exists)
//     'X' + JSON            delete one message: all its identifiers, with accounting
//   A change is applied to the materialised view (slot table + list arrays + counters) only
//   after its record is durable, and in log order. An acknowledgement (final chunk answer,
//   Silence, UnPin, Cancel) is sent only after the apply.
// * Batches. Operations queue up; the batch loop plans every queued operation against the
//   current view plus the batch's own earlier changes (an overlay), writes their records, makes
//   them durable with one fsync, applies them, then answers them all. So concurrent sessions
//   share fsyncs, and no plan ever sees a half-applied change.
// * Identifiers (SEC-6, §16.1). Each message gets one originator id, one id per personal
//   recipient and one list id when it is on any list: independent 128-bit CSPRNG values, the
//   keys of the slot table. A slot says what the id is (originator / recipient k / list) and
//   where the commit record is; recipient slots also hold NotificationStatus, ReadStatus,
//   pinned/silenced, the attempt count and the next notification time.
// * Views are disposable: on open, the list arrays are cut back to their checkpointed lengths,
//   the counters are loaded from the checkpoint, and the log is replayed from the checkpoint
//   position. Replay is idempotent (see slot-table.ts, fixed-array.ts).
// * Space. Data and commit records live in log segments; a segment is deleted once it is older
//   than the checkpoint, no live message references it, and no open submission wrote to it.
// * Memory. Nothing per stored message is kept in memory: lookups read the slot table, message
//   data is read from the log by range, expiry and re-notification are found by sweeping the
//   table a block at a time. Memory grows only with open sessions and in-flight batches.

import { randomBytes } from "../../runtime/crypto.ts";
import type { Clock } from "../../runtime/clock.ts";
import { epochSeconds } from "../../runtime/clock.ts";
import type { FixedArray } from "../../storage/fixed-array.ts";
import type { LogPosition, RecordLocation, RecordLog } from "../../storage/record-log.ts";
import { HEADER_BYTES } from "../../storage/record-log.ts";
import type { SlotTable } from "../../storage/slot-table.ts";
import type { SmallFiles } from "../../storage/small-files.ts";
import type { Storage } from "../../storage/storage.ts";
import type { Logger } from "../../util/log.ts";
import { silentLogger } from "../../util/log.ts";
import { HeaderScanner } from "./header-scan.ts";

export const SLOT_BYTES = 32;

export const SlotKind = { originator: 1, recipient: 2, list: 3 } as const;

/** NotificationStatus values (MSOAP numbering, §9.1). */
export const NStatus = { unprocessed: 0, baddomain: 1, noservice: 2, noserver: 3, protocolerror: 4, nouser: 5, notifying: 6, silenced: 7 } as const;

const FLAG_PINNED = 1;
const FLAG_SILENCED = 2;

/** The 32-octet value stored under each identifier. */
export interface Slot {
  kind: number;
  nstatus: number;
  rindex: number;
  read: number;
  pinned: boolean;
  silenced: boolean;
  attempts: number;
  /** The commit record. */
  segment: number;
  offset: number;
  length: number;
  /** Expiry, epoch seconds. */
  expiry: number;
  /** Next notification attempt, epoch seconds; 0 = none. */
  due: number;
  /** Commit time (list time t, §18 C-11). */
  t: number;
}

export function encodeSlot(s: Slot): Uint8Array {
  const b = new Uint8Array(SLOT_BYTES);
  const v = new DataView(b.buffer);
  b[0] = s.kind;
  b[1] = s.nstatus;
  v.setUint16(2, s.rindex);
  b[4] = s.read;
  b[5] = (s.pinned ? FLAG_PINNED : 0) | (s.silenced ? FLAG_SILENCED : 0);
  b[6] = Math.min(255, s.attempts);
  v.setUint32(8, s.segment);
  v.setUint32(12, s.offset);
  v.setUint32(16, s.length);
  v.setUint32(20, s.expiry);
  v.setUint32(24, s.due);
  v.setUint32(28, s.t);
  return b;
}

export function decodeSlot(b: Uint8Array): Slot {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    kind: b[0]!,
    nstatus: b[1]!,
    rindex: v.getUint16(2),
    read: b[4]!,
    pinned: (b[5]! & FLAG_PINNED) !== 0,
    silenced: (b[5]! & FLAG_SILENCED) !== 0,
    attempts: b[6]!,
    segment: v.getUint32(8),
    offset: v.getUint32(12),
    length: v.getUint32(16),
    expiry: v.getUint32(20),
    due: v.getUint32(24),
    t: v.getUint32(28),
  };
}

import { concatBytes, fromHex, toHex } from "../../util/bytes.ts";
export { fromHex, toHex };

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The commit record ('C'): everything about a message that never changes. */
export interface CommitInfo {
  /** Originator id (hex). */
  o: string;
  /** Account that submitted it ("" = anonymous). */
  a: string;
  /** Commit time, epoch seconds (list time t). */
  t: number;
  /** Expiry, epoch seconds. */
  x: number;
  /** Size of `all`. */
  z: number;
  /** Size of `headersonly`. */
  h: number;
  /** `summaryonly` octets, base64. */
  m: string;
  /** Data extents: [segment, payload offset, length]. */
  e: [number, number, number][];
  /** Personal recipients: [localpart, domain (lower case, dotted), id hex]. */
  r: [string, string, string][];
  /** Lists (names as hex of their octets) and the list id (hex); "" when there are no lists. */
  l: string[];
  li: string;
  /** `sender` for notifications (§18 C-13). */
  n: string;
}

interface DeleteInfo {
  /** Every identifier of the message (hex). */
  i: string[];
  a: string;
  z: number;
  /** Segments the message referenced. */
  s: number[];
}

interface Checkpoint {
  v: 1;
  lsn: LogPosition;
  segLive: [number, number][];
  usage: [string, number][];
  lists: [string, number][];
  lastT: number;
}

export interface StoreLimits {
  /** §12.1: below → errorlifetimetooshort. Seconds; default 7 days. */
  readonly minLifetime: number;
  /** §12.1: above → clamped. Seconds; default 90 days. */
  readonly maxLifetime: number;
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly maxLists: number;
  /** errornotenoughroom past this many octets of stored messages in total. */
  readonly storeBytes: number;
  /** errorwouldexceedquota default per account (an account may set its own). */
  readonly defaultQuotaBytes: number;
  /** ScanList answer cap. */
  readonly maxScanResults: number;
  /** Checkpoint after this many log octets … */
  readonly checkpointBytes: number;
  /** … or this long. */
  readonly checkpointIntervalMs: number;
  readonly segmentBytes: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = {
  minLifetime: 7 * 86400,
  maxLifetime: 90 * 86400,
  maxMessageBytes: 64 * 1024 * 1024,
  maxRecipients: 1000,
  maxLists: 100,
  storeBytes: 64 * 1024 * 1024 * 1024,
  defaultQuotaBytes: 1024 * 1024 * 1024,
  maxScanResults: 1000,
  checkpointBytes: 16 * 1024 * 1024,
  checkpointIntervalMs: 60_000,
  segmentBytes: 64 * 1024 * 1024,
};

/** Why a chunk or a commit was refused (mapped to MSOAP statuses by the handler). */
export class SubmissionRefused extends Error {
  override readonly name = "SubmissionRefused";
  readonly reason: "toolarge" | "noroom" | "quota";
  constructor(reason: SubmissionRefused["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface AcceptedRecipient {
  readonly localpart: string;
  /** Lower-cased, dotted. */
  readonly domain: string;
}

export interface CommittedMessage {
  readonly originatorId: Uint8Array;
  readonly info: CommitInfo;
}

/** A recipient whose notification is due (handed to the notifier). */
export interface DueRecipient {
  readonly id: Uint8Array;
  readonly localpart: string;
  readonly domain: string;
  readonly sender: string;
  readonly size: number;
  readonly attempts: number;
}

interface Op {
  plan(ctx: BatchContext): Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

type Change = { record: Uint8Array; apply: (loc: RecordLocation) => Promise<void> };

/** What a batch's plans see and emit. */
class BatchContext {
  readonly store: MessageStore;
  readonly overlay = new Map<string, Uint8Array | null>();
  changes: Change[] = [];
  constructor(store: MessageStore) {
    this.store = store;
  }
  async get(id: Uint8Array): Promise<Slot | undefined> {
    const k = toHex(id);
    if (this.overlay.has(k)) {
      const v = this.overlay.get(k);
      return v ? decodeSlot(v) : undefined;
    }
    const v = await this.store.table.get(id);
    return v ? decodeSlot(v) : undefined;
  }
  emit(change: Change): void {
    this.changes.push(change);
  }
}

export interface MessageStoreOptions {
  readonly clock: Clock;
  readonly limits?: Partial<StoreLimits>;
  /** List names (UTF-8) the store serves; each gets its own time index. */
  readonly lists?: readonly string[];
  readonly log?: Logger;
  /** Called after a message is committed (the notifier starts here). */
  readonly onCommit?: (m: CommittedMessage) => void;
  /** Random source for identifiers (tests may make it deterministic). */
  readonly random?: (n: number) => Uint8Array;
}

export class MessageStore {
  readonly clock: Clock;
  readonly limits: StoreLimits;
  readonly log: Logger;
  readonly wal: RecordLog;
  readonly table: SlotTable;
  #meta: SmallFiles;
  #lists = new Map<string, FixedArray>(); // hex(name) → (t, list id) records
  #segLive = new Map<number, number>();
  #usage = new Map<string, number>();
  #totalBytes = 0;
  #inflightSegs = new Map<number, number>();
  #inflightBytes = 0;
  #pendingListT = new Map<number, number>(); // t → count of list commits not yet visible
  #lastT = 0;
  #queue: Op[] = [];
  #running = false;
  #failed: Error | undefined;
  #sinceCheckpoint = 0;
  #lastCheckpointAt = 0;
  #closed = false;
  #onCommit: ((m: CommittedMessage) => void) | undefined;
  #random: (n: number) => Uint8Array;
  #commitCache = new Map<string, CommitInfo>();

  private constructor(opts: MessageStoreOptions, wal: RecordLog, table: SlotTable, meta: SmallFiles) {
    this.clock = opts.clock;
    this.limits = { ...DEFAULT_STORE_LIMITS, ...opts.limits };
    this.log = opts.log ?? silentLogger;
    this.wal = wal;
    this.table = table;
    this.#meta = meta;
    this.#onCommit = opts.onCommit;
    this.#random = opts.random ?? randomBytes;
  }

  set onCommit(fn: ((m: CommittedMessage) => void) | undefined) {
    this.#onCommit = fn;
  }

  /** Opens the store, recovering from the last checkpoint and the log after it. */
  static async open(storage: Storage, opts: MessageStoreOptions): Promise<MessageStore> {
    const limits = { ...DEFAULT_STORE_LIMITS, ...opts.limits };
    const wal = await storage.openLog("store/log", { segmentBytes: limits.segmentBytes, maxRecord: Math.max(1024 * 1024, limits.maxMessageBytes + 1024) });
    const table = await storage.openTable("store/ids", { valueBytes: SLOT_BYTES });
    const meta = await storage.openFiles("store/meta");
    const s = new MessageStore(opts, wal, table, meta);
    const raw = await meta.read("checkpoint.json");
    const cp: Checkpoint = raw ? (JSON.parse(dec.decode(raw)) as Checkpoint) : { v: 1, lsn: { segment: wal.segments()[0] ?? 1, offset: HEADER_BYTES }, segLive: [], usage: [], lists: [], lastT: 0 };
    s.#segLive = new Map(cp.segLive);
    s.#usage = new Map(cp.usage);
    s.#totalBytes = [...s.#usage.values()].reduce((a, b) => a + b, 0);
    s.#lastT = cp.lastT;
    const lens = new Map(cp.lists);
    for (const name of opts.lists ?? []) {
      const h = toHex(enc.encode(name));
      const arr = await storage.openArray(`store/lists/${h}.idx`, 20);
      await arr.truncate(lens.get(h) ?? 0);
      s.#lists.set(h, arr);
    }
    let replayed = 0;
    for await (const rec of wal.scan(cp.lsn)) {
      await s.#replay(rec.payload, rec.location);
      replayed++;
    }
    s.log.log("info", "store.recovered", { where: storage.where, replayed, ids: table.size });
    await s.#checkpoint();
    return s;
  }

  // ---- applying records (live and replay) ------------------------------------------------

  async #replay(payload: Uint8Array, loc: RecordLocation): Promise<void> {
    const type = payload[0];
    if (type === 0x43 /* C */) await this.#applyCommit(JSON.parse(dec.decode(payload.subarray(1))) as CommitInfo, loc);
    else if (type === 0x55 /* U */) await this.#applyUpdate(payload.subarray(1, 17), payload.subarray(17, 17 + SLOT_BYTES));
    else if (type === 0x58 /* X */) await this.#applyDelete(JSON.parse(dec.decode(payload.subarray(1))) as DeleteInfo);
  }

  static #segmentsOf(info: CommitInfo, loc: RecordLocation): number[] {
    return [...new Set([loc.segment, ...info.e.map((e) => e[0])])];
  }

  async #applyCommit(info: CommitInfo, loc: RecordLocation): Promise<void> {
    const base: Slot = { kind: SlotKind.originator, nstatus: 0, rindex: 0, read: 0, pinned: false, silenced: false, attempts: 0, segment: loc.segment, offset: loc.offset, length: loc.length, expiry: info.x, due: 0, t: info.t };
    await this.table.put(fromHex(info.o), encodeSlot(base));
    for (let i = 0; i < info.r.length; i++) {
      await this.table.put(fromHex(info.r[i]![2]), encodeSlot({ ...base, kind: SlotKind.recipient, rindex: i, pinned: true, due: info.t }));
    }
    if (info.li !== "") {
      await this.table.put(fromHex(info.li), encodeSlot({ ...base, kind: SlotKind.list }));
      const rec = new Uint8Array(20);
      new DataView(rec.buffer).setUint32(0, info.t);
      rec.set(fromHex(info.li), 4);
      for (const l of info.l) await this.#lists.get(l)?.append(rec);
    }
    for (const seg of MessageStore.#segmentsOf(info, loc)) this.#segLive.set(seg, (this.#segLive.get(seg) ?? 0) + 1);
    this.#usage.set(info.a, (this.#usage.get(info.a) ?? 0) + info.z);
    this.#totalBytes += info.z;
    if (info.t > this.#lastT) this.#lastT = info.t;
  }

  async #applyUpdate(id: Uint8Array, slot: Uint8Array): Promise<void> {
    if ((await this.table.get(id)) !== undefined) await this.table.put(id, slot);
  }

  async #applyDelete(d: DeleteInfo): Promise<void> {
    let any = false;
    for (const id of d.i) if (await this.table.delete(fromHex(id))) any = true;
    if (!any) return; // already deleted (replay of a record whose effect reached the view)
    for (const seg of d.s) {
      const n = (this.#segLive.get(seg) ?? 1) - 1;
      if (n <= 0) this.#segLive.delete(seg);
      else this.#segLive.set(seg, n);
    }
    const u = (this.#usage.get(d.a) ?? d.z) - d.z;
    if (u <= 0) this.#usage.delete(d.a);
    else this.#usage.set(d.a, u);
    this.#totalBytes -= d.z;
  }

  // ---- the batch loop ----------------------------------------------------------------------

  #enqueue<T>(plan: (ctx: BatchContext) => Promise<T>): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#closed) return Promise.reject(new Error("message store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ plan, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const ops = this.#queue;
        this.#queue = [];
        const ctx = new BatchContext(this);
        const results: { ok: boolean; value: unknown }[] = [];
        for (const op of ops) {
          const before = ctx.changes.length;
          try {
            results.push({ ok: true, value: await op.plan(ctx) });
          } catch (e) {
            ctx.changes.length = before;
            results.push({ ok: false, value: e });
          }
        }
        try {
          if (ctx.changes.length > 0) {
            const locs = ctx.changes.map((c) => this.wal.write(c.record));
            await this.wal.sync();
            for (let i = 0; i < ctx.changes.length; i++) {
              await ctx.changes[i]!.apply(locs[i]!);
              this.#sinceCheckpoint += ctx.changes[i]!.record.byteLength;
            }
          }
        } catch (e) {
          this.#failed = e as Error;
          this.log.log("error", "store.failed", { error: (e as Error).message });
          for (const op of ops) op.reject(e);
          for (const op of this.#queue) op.reject(e);
          this.#queue = [];
          return;
        }
        ops.forEach((op, i) => (results[i]!.ok ? op.resolve(results[i]!.value) : op.reject(results[i]!.value)));
        if (this.#sinceCheckpoint >= this.limits.checkpointBytes || this.clock.now() - this.#lastCheckpointAt >= this.limits.checkpointIntervalMs) {
          await this.#checkpoint().catch((e: Error) => this.log.log("error", "store.checkpoint-failed", { error: e.message }));
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /** Makes the views durable, records the log position, and drops segments nobody needs. */
  async #checkpoint(): Promise<void> {
    const lsn = this.wal.end;
    // The log must be durable up to the checkpoint position: otherwise a torn tail could end
    // before it, later records would be written below it, and a second crash would skip them.
    await this.wal.sync();
    await this.table.sync();
    for (const a of this.#lists.values()) await a.sync();
    const cp: Checkpoint = {
      v: 1,
      lsn,
      segLive: [...this.#segLive],
      usage: [...this.#usage],
      lists: [...this.#lists].map(([h, a]) => [h, a.length]),
      lastT: this.#lastT,
    };
    await this.#meta.write("checkpoint.json", JSON.stringify(cp));
    this.#sinceCheckpoint = 0;
    this.#lastCheckpointAt = this.clock.now();
    for (const seg of this.wal.segments()) {
      if (seg >= cp.lsn.segment) break;
      if ((this.#segLive.get(seg) ?? 0) === 0 && !this.#inflightSegs.has(seg)) {
        await this.wal.removeSegment(seg);
        this.log.log("debug", "store.segment-removed", { segment: seg });
      }
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  #now(): number {
    return epochSeconds(this.clock);
  }

  /** The slot of a live (not expired) identifier. */
  async slot(id: Uint8Array): Promise<Slot | undefined> {
    if (id.byteLength !== 16) return undefined;
    const v = await this.table.get(id);
    if (!v) return undefined;
    const s = decodeSlot(v);
    return s.expiry <= this.#now() ? undefined : s;
  }

  async commitInfo(s: Slot): Promise<CommitInfo> {
    const key = `${s.segment}:${s.offset}`;
    const hit = this.#commitCache.get(key);
    if (hit) {
      // Least recently used last: a reader walking a 1,000-message maildrop twice hits every time.
      this.#commitCache.delete(key);
      this.#commitCache.set(key, hit);
      return hit;
    }
    const raw = await this.wal.read({ segment: s.segment, offset: s.offset, length: s.length });
    const info = JSON.parse(dec.decode(raw.subarray(1))) as CommitInfo;
    // Bounded (a few MiB at most); entries of deleted messages simply age out.
    if (this.#commitCache.size >= 8192) this.#commitCache.delete(this.#commitCache.keys().next().value!);
    this.#commitCache.set(key, info);
    return info;
  }

  /** Octets [offset, offset+length) of the whole message. */
  async readData(info: CommitInfo, offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(info.z, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    let pos = 0; // message offset of the current extent
    let o = 0;
    for (const [segment, off, len] of info.e) {
      const from = Math.max(offset, pos);
      const to = Math.min(end, pos + len);
      if (from < to) {
        const part = await this.wal.read({ segment, offset: off, length: len }, from - pos, to - from);
        out.set(part, o);
        o += part.byteLength;
      }
      pos += len;
      if (pos >= end) break;
    }
    return out;
  }

  usage(account: string): number {
    return this.#usage.get(account) ?? 0;
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** ScanList (§10.4, §18 C-11): list ids with begintime ≤ t < endtime, never splitting a second. */
  async scanList(listname: string, begintime: number): Promise<{ ids: Uint8Array[]; endtime: number } | undefined> {
    const arr = this.#lists.get(toHex(enc.encode(listname)));
    if (!arr) return undefined;
    let endtime = this.#now();
    for (const t of this.#pendingListT.keys()) if (t < endtime) endtime = t; // not yet visible
    // Binary search for the first record with t ≥ begintime.
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const [r] = await arr.read(mid, 1);
      if (new DataView(r!.buffer).getUint32(0) < begintime) lo = mid + 1;
      else hi = mid;
    }
    const ids: Uint8Array[] = [];
    const cap = this.limits.maxScanResults;
    let i = lo;
    let lastT = -1;
    const candidates: { t: number; id: Uint8Array }[] = [];
    outer: while (i < arr.length) {
      const block = await arr.read(i, 256);
      for (const r of block) {
        i++;
        const t = new DataView(r.buffer).getUint32(0);
        if (t >= endtime) break outer;
        const id = r.slice(4);
        if ((await this.slot(id)) === undefined) continue; // expired or cancelled
        if (candidates.length >= cap && t !== lastT) {
          endtime = t; // truncated: the next answer starts at the first omitted second
          break outer;
        }
        candidates.push({ t, id });
        lastT = t;
      }
    }
    // One second's messages are never split: if the cap cut inside a second, drop that second.
    // (A single second holding more than the cap is returned whole, or the reader could not
    // make progress.)
    if (candidates.length > cap && candidates[0]!.t !== candidates[candidates.length - 1]!.t) {
      const cut = candidates[cap]!.t;
      while (candidates.length > 0 && candidates[candidates.length - 1]!.t === cut) candidates.pop();
      endtime = cut;
    }
    for (const c of candidates) ids.push(c.id);
    if (endtime < begintime) endtime = begintime;
    return { ids, endtime };
  }

  hasList(listname: string): boolean {
    return this.#lists.has(toHex(enc.encode(listname)));
  }

  // ---- submissions -----------------------------------------------------------------------

  /** Starts the chunk phase of an accepted envelope (T-MSOAP-2 step 3). */
  beginSubmission(account: string, quotaBytes: number, recipients: readonly AcceptedRecipient[], lists: readonly string[], lifetime: number, sender: string): PendingSubmission {
    return new PendingSubmission(this, account, quotaBytes, recipients, lists, lifetime, sender);
  }

  /** @internal */ pinSegment(seg: number, delta: number): void {
    const n = (this.#inflightSegs.get(seg) ?? 0) + delta;
    if (n <= 0) this.#inflightSegs.delete(seg);
    else this.#inflightSegs.set(seg, n);
  }
  /** @internal */ reserve(delta: number): void {
    this.#inflightBytes += delta;
  }
  /** @internal */ get committedAndInflight(): number {
    return this.#totalBytes + this.#inflightBytes;
  }

  #newId(ctx: BatchContext, taken: Set<string>): Promise<Uint8Array> {
    return (async () => {
      for (;;) {
        const id = this.#random(16);
        const k = toHex(id);
        if (taken.has(k) || (await ctx.get(id)) !== undefined) continue;
        taken.add(k);
        return id;
      }
    })();
  }

  /** @internal Commits a pending submission; resolves with the originator id once durable. */
  commit(p: PendingSubmission): Promise<Uint8Array> {
    const pendingT = { t: -1 };
    const result = this.#enqueue(async (ctx) => {
      const taken = new Set<string>();
      const orig = await this.#newId(ctx, taken);
      const now = this.#now();
      const t = Math.max(now, this.#lastT);
      const r: [string, string, string][] = [];
      for (const rc of p.recipients) r.push([rc.localpart, rc.domain, toHex(await this.#newId(ctx, taken))]);
      const li = p.lists.length > 0 ? toHex(await this.#newId(ctx, taken)) : "";
      const info: CommitInfo = {
        o: toHex(orig),
        a: p.account,
        t,
        x: t + p.lifetime,
        z: p.bytes,
        h: p.scanner.headerLength,
        m: bytesToBase64(p.scanner.summary()),
        e: p.extents,
        r,
        l: p.lists.map((l) => toHex(enc.encode(l))),
        li,
        n: p.sender,
      };
      if (li !== "") {
        pendingT.t = t;
        this.#pendingListT.set(t, (this.#pendingListT.get(t) ?? 0) + 1);
      }
      if (t > this.#lastT) this.#lastT = t;
      const record = concatBytes([new Uint8Array([0x43]), enc.encode(JSON.stringify(info))]);
      ctx.overlay.set(info.o, new Uint8Array(SLOT_BYTES)); // reserve the ids within this batch
      ctx.emit({ record, apply: (loc) => this.#applyCommit(info, loc) });
      return info;
    });
    const release = () => {
      if (pendingT.t >= 0) {
        const n = (this.#pendingListT.get(pendingT.t) ?? 1) - 1;
        if (n <= 0) this.#pendingListT.delete(pendingT.t);
        else this.#pendingListT.set(pendingT.t, n);
      }
    };
    return result.then(
      (info) => {
        release();
        const id = fromHex(info.o);
        try {
          this.#onCommit?.({ originatorId: id, info });
        } catch (e) {
          this.log.log("error", "store.on-commit-failed", { error: (e as Error).message });
        }
        return id;
      },
      (e) => {
        release();
        throw e;
      },
    );
  }

  // ---- changes to existing messages ---------------------------------------------------------

  #emitUpdate(ctx: BatchContext, id: Uint8Array, s: Slot): void {
    const v = encodeSlot(s);
    ctx.overlay.set(toHex(id), v);
    const record = new Uint8Array(1 + 16 + SLOT_BYTES);
    record[0] = 0x55;
    record.set(id, 1);
    record.set(v, 17);
    const key = id.slice();
    ctx.emit({ record, apply: () => this.#applyUpdate(key, v) });
  }

  async #emitDelete(ctx: BatchContext, info: CommitInfo, s: Slot): Promise<void> {
    const ids = [info.o, ...info.r.map((r) => r[2]), ...(info.li ? [info.li] : [])];
    const d: DeleteInfo = { i: ids, a: info.a, z: info.z, s: MessageStore.#segmentsOf(info, { segment: s.segment, offset: s.offset, length: s.length }) };
    for (const id of ids) ctx.overlay.set(id, null);
    ctx.emit({ record: concatBytes([new Uint8Array([0x58]), enc.encode(JSON.stringify(d))]), apply: () => this.#applyDelete(d) });
  }

  async #live(ctx: BatchContext, id: Uint8Array): Promise<Slot | undefined> {
    const s = await ctx.get(id);
    return s && s.expiry > this.#now() ? s : undefined;
  }

  /** CommandSilence: false when the identifier is unknown (errornosuchmessage). */
  silence(id: Uint8Array): Promise<boolean> {
    return this.#enqueue(async (ctx) => {
      const s = await this.#live(ctx, id);
      if (!s || s.kind === SlotKind.originator) return false;
      if (s.kind === SlotKind.list) return true; // C-11: noerror, no effect
      if (!s.silenced) this.#emitUpdate(ctx, id, { ...s, silenced: true, nstatus: NStatus.silenced, due: 0 });
      return true;
    });
  }

  /** CommandUnPin: implies Silence; deletes the message once nobody holds it (§12.1). */
  unpin(id: Uint8Array): Promise<boolean> {
    return this.#enqueue(async (ctx) => {
      const s = await this.#live(ctx, id);
      if (!s || s.kind === SlotKind.originator) return false;
      if (s.kind === SlotKind.list) return true;
      if (!s.pinned) return true;
      const next = { ...s, pinned: false, silenced: true, nstatus: NStatus.silenced, due: 0 };
      this.#emitUpdate(ctx, id, next);
      const info = await this.commitInfo(s);
      if (info.li === "") {
        let anyPinned = false;
        for (const r of info.r) {
          const other = r[2] === toHex(id) ? next : await ctx.get(fromHex(r[2]));
          if (other?.pinned) anyPinned = true;
        }
        if (!anyPinned) await this.#emitDelete(ctx, info, s);
      }
      return true;
    });
  }

  /** C-4: records read level k for a recipient id (no effect for list ids or lower levels). */
  markRead(id: Uint8Array, level: number): Promise<void> {
    return this.#enqueue(async (ctx) => {
      const s = await this.#live(ctx, id);
      if (!s || s.kind !== SlotKind.recipient || s.read >= level) return;
      this.#emitUpdate(ctx, id, { ...s, read: level });
    });
  }

  /** Track (T-MSOAP-3): undefined for unknown or foreign identifiers (SEC-5). */
  async track(account: string, id: Uint8Array): Promise<{ localpart: string; domain: string; nstatus: number; read: number; pinned: boolean }[] | undefined> {
    const s = await this.slot(id);
    if (!s || s.kind !== SlotKind.originator) return undefined;
    const info = await this.commitInfo(s);
    if (info.a !== account) return undefined;
    const out = [];
    for (const [localpart, domain, rid] of info.r) {
      const r = await this.slot(fromHex(rid));
      out.push({ localpart, domain, nstatus: r?.nstatus ?? NStatus.unprocessed, read: r?.read ?? 0, pinned: r?.pinned ?? false });
    }
    return out;
  }

  /** Cancel (T-MSOAP-4): false for unknown or foreign identifiers. */
  cancel(account: string, id: Uint8Array): Promise<boolean> {
    return this.#enqueue(async (ctx) => {
      const s = await this.#live(ctx, id);
      if (!s || s.kind !== SlotKind.originator) return false;
      const info = await this.commitInfo(s);
      if (info.a !== account) return false;
      await this.#emitDelete(ctx, info, s);
      return true;
    });
  }

  /** The notifier's verdict for one recipient: new status and next attempt (0 = none). */
  recordNotification(id: Uint8Array, nstatus: number, due: number, attempts: number): Promise<void> {
    return this.#enqueue(async (ctx) => {
      const s = await this.#live(ctx, id);
      if (!s || s.kind !== SlotKind.recipient || s.silenced || !s.pinned) return;
      this.#emitUpdate(ctx, id, { ...s, nstatus, due, attempts });
    });
  }

  /** Deletes an expired message (called by the sweep). */
  expire(originatorId: Uint8Array): Promise<void> {
    return this.#enqueue(async (ctx) => {
      const s = await ctx.get(originatorId);
      if (!s || s.kind !== SlotKind.originator || s.expiry > this.#now()) return;
      await this.#emitDelete(ctx, await this.commitInfo(s), s);
    });
  }

  /**
   * One step of the sweep: examines up to `maxSlots` slots from `cursor`; expires what is due
   * and returns the recipients whose notification is due. `next` undefined = pass complete.
   */
  async sweep(cursor: number, maxSlots: number): Promise<{ due: DueRecipient[]; expired: number; next: number | undefined }> {
    const now = this.#now();
    const { entries, next } = await this.table.scan(cursor, maxSlots);
    const due: DueRecipient[] = [];
    const expiring: Promise<void>[] = [];
    for (const e of entries) {
      const s = decodeSlot(e.value);
      if (s.kind === SlotKind.originator && s.expiry <= now) {
        // Not awaited one by one: concurrent operations share one batch and one fsync.
        expiring.push(this.expire(e.key).catch((err: Error) => this.log.log("error", "store.expire-failed", { error: err.message })));
      } else if (s.kind === SlotKind.recipient && s.expiry > now && s.pinned && !s.silenced && s.due !== 0 && s.due <= now) {
        const info = await this.commitInfo(s).catch(() => undefined);
        const r = info?.r[s.rindex];
        if (info && r) due.push({ id: e.key, localpart: r[0], domain: r[1], sender: info.n, size: info.z, attempts: s.attempts });
      }
    }
    await Promise.all(expiring);
    return { due, expired: expiring.length, next };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Let queued operations finish: an empty operation resolves after everything before it.
    await this.#enqueue(async () => undefined).catch(() => {});
    this.#closed = true;
    if (!this.#failed) await this.#checkpoint().catch(() => {});
    await this.wal.close();
    await this.table.close();
    for (const a of this.#lists.values()) await a.close();
  }
}

/** The chunk phase of one submission: data goes to the log as it arrives (never into memory). */
export class PendingSubmission {
  readonly store: MessageStore;
  readonly account: string;
  readonly quotaBytes: number;
  readonly recipients: readonly AcceptedRecipient[];
  readonly lists: readonly string[];
  readonly lifetime: number;
  readonly sender: string;
  readonly scanner = new HeaderScanner();
  readonly extents: [number, number, number][] = [];
  bytes = 0;
  #segs: number[] = [];
  #done = false;

  constructor(store: MessageStore, account: string, quotaBytes: number, recipients: readonly AcceptedRecipient[], lists: readonly string[], lifetime: number, sender: string) {
    this.store = store;
    this.account = account;
    this.quotaBytes = quotaBytes;
    this.recipients = recipients;
    this.lists = lists;
    this.lifetime = lifetime;
    this.sender = sender;
  }

  /** Accepts the next chunk (offsets are checked by the handler). Throws SubmissionRefused. */
  add(data: Uint8Array): void {
    if (this.#done) throw new Error("submission finished");
    if (data.byteLength === 0) return;
    const lim = this.store.limits;
    if (this.bytes + data.byteLength > lim.maxMessageBytes) throw new SubmissionRefused("toolarge", `message exceeds ${lim.maxMessageBytes} octets`);
    if (this.store.committedAndInflight + data.byteLength > lim.storeBytes) throw new SubmissionRefused("noroom", "store is full");
    if (this.store.usage(this.account) + this.bytes + data.byteLength > this.quotaBytes) throw new SubmissionRefused("quota", "account quota exceeded");
    const rec = new Uint8Array(1 + data.byteLength);
    rec[0] = 0x44; // D
    rec.set(data, 1);
    const loc = this.store.wal.write(rec);
    this.extents.push([loc.segment, loc.offset + 1, data.byteLength]);
    if (!this.#segs.includes(loc.segment)) {
      this.#segs.push(loc.segment);
      this.store.pinSegment(loc.segment, 1);
    }
    this.bytes += data.byteLength;
    this.store.reserve(data.byteLength);
    this.scanner.push(data);
  }

  /** Commits (durable when it resolves); returns the originator identifier. */
  async commit(): Promise<Uint8Array> {
    if (this.#done) throw new Error("submission finished");
    this.#done = true;
    try {
      return await this.store.commit(this);
    } finally {
      this.#release();
    }
  }

  /** Abandons the submission: nothing of it becomes visible (its data records are garbage). */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    this.#release();
  }

  #release(): void {
    for (const s of this.#segs) this.store.pinSegment(s, -1);
    this.#segs = [];
    this.store.reserve(-this.bytes);
  }
}


export function bytesToBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.byteLength; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
