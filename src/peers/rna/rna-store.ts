// The reference RNA's durable notification store (im2000 §12.2, §13, §14, §18 C-5).
//
// Implementation notes (invariants):
// * Write-ahead log (RecordLog, group commit):
//     'N' + DER NotificationAndLocalData   one accepted notification (written, not waited for)
//     'A' + JSON {e: [[mailbox id, index, key hash, segment, offset, length, date], …]}
//         commit of one RNASP batch: where each of its 'N' records goes. One record, so after a
//         crash a batch is there whole or not at all (§13 all-or-nothing);
//     'R' + JSON {c: [[mailbox id, new head, [[key hash, index], …]], …]}
//         notifications handed out by one RetrieveAndClear (and so removed).
//   The views below change only after the record is durable, in log order (one chain), and the
//   answer (ResponseNotify, ResponseRetrieveAndClear) is sent after that.
// * Views, materialised from the log, nothing of them in memory but per-mailbox counters:
//   - per mailbox a queue file (FixedArray of 32-octet entries: key hash, 'N' location, date),
//     written positionally at the index the 'A' record names, consumed from a head index;
//   - a slot table from the C-5 de-duplication key (its SHA-256, first 16 octets) to the one
//     live entry (mailbox id, index). A newer notification with the same key re-points the slot
//     to itself, so the older entry becomes dead where it lies (keep newest, §12.2) and is
//     skipped when the head passes it.
// * Replay is idempotent: positional writes, slot puts, conditional slot deletes ("if it still
//   points at this entry"), heads only move forward. The checkpoint (`checkpoint.json`: log
//   position, per-mailbox head and length) is taken at a position no unapplied 'A' record lies
//   after, after fsyncing the views; recovery replays the log from there.
// * Limits: a mailbox keeps at most `maxPerMailbox` entries (default 10,000), oldest dropped
//   (§12.2). Memory is per mailbox (three numbers) plus a bounded cache of open queue files.
// * Log segments are deleted once older than the checkpoint and older than the oldest entry any
//   mailbox still holds (entries are appended in log order, so each queue's head entry is its
//   oldest).

import { decode, encode } from "../../der/mod.ts";
import type { Clock } from "../../runtime/clock.ts";
import { epochSeconds } from "../../runtime/clock.ts";
import { sha256 } from "../../runtime/crypto.ts";
import type { FixedArray } from "../../storage/fixed-array.ts";
import type { LogPosition, RecordLocation, RecordLog } from "../../storage/record-log.ts";
import { FRAME_OVERHEAD, HEADER_BYTES, comparePositions } from "../../storage/record-log.ts";
import type { SlotTable } from "../../storage/slot-table.ts";
import type { SmallFiles } from "../../storage/small-files.ts";
import type { Storage } from "../../storage/storage.ts";
import { MailBox, Notification, NotificationAndLocalData, ServiceLocation, type ClientLocation } from "../../im2000/types.ts";
import type { Logger } from "../../util/log.ts";
import { silentLogger } from "../../util/log.ts";
import { mailboxKey } from "../config.ts";
import { fromHex, toHex } from "../../util/bytes.ts";

const ENTRY = 32;
const SLOT_VALUE = 16;
const BLOCK = 64;

interface Box {
  readonly name: string;
  /** First 8 octets of SHA-256(name), hex: the mailbox's id in records, slots and file names. */
  readonly id: string;
  head: number;
  length: number;
}

interface Checkpoint {
  v: 2;
  lsn: LogPosition;
  boxes: [string, number, number][];
}

type AcceptEntry = [string, number, string, number, number, number, number];
type ClearEntry = [string, number, [string, number][]];

export interface RnaStoreOptions {
  readonly clock: Clock;
  /** Mailboxes served ("local@domain", domain lower case); others are dropped silently. */
  readonly mailboxes: Iterable<string>;
  readonly maxPerMailbox?: number;
  /** Checkpoint after this many log octets. */
  readonly checkpointBytes?: number;
  readonly segmentBytes?: number;
  readonly log?: Logger;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** C-5: the RNA's de-duplication key (DER of storeclear ‖ identifier ‖ DER of the recipient, domain lower-cased). */
export function dedupKey(n: Notification): Uint8Array {
  const recipient = { localpart: n.recipient.localpart, domain: n.recipient.domain.map((l) => l.toLowerCase()) };
  const a = encode(ServiceLocation, n.storeclear);
  const b = encode(MailBox, recipient);
  const out = new Uint8Array(a.byteLength + n.identifier.byteLength + b.byteLength);
  out.set(a);
  out.set(n.identifier, a.byteLength);
  out.set(b, a.byteLength + n.identifier.byteLength);
  return out;
}

function entryBytes(key: Uint8Array, loc: RecordLocation, date: number): Uint8Array {
  const e = new Uint8Array(ENTRY);
  const v = new DataView(e.buffer);
  e.set(key, 0);
  v.setUint32(16, loc.segment);
  v.setUint32(20, loc.offset);
  v.setUint32(24, loc.length);
  v.setUint32(28, date);
  return e;
}

function slotValue(box: string, index: number): Uint8Array {
  const s = new Uint8Array(SLOT_VALUE);
  s.set(fromHex(box), 0);
  new DataView(s.buffer).setUint32(8, index);
  return s;
}

function pointsAt(slot: Uint8Array | undefined, box: string, index: number): boolean {
  return slot !== undefined && toHex(slot.subarray(0, 8)) === box && new DataView(slot.buffer, slot.byteOffset).getUint32(8) === index;
}

export class RnaStore {
  readonly clock: Clock;
  readonly log: Logger;
  readonly maxPerMailbox: number;
  readonly checkpointBytes: number;
  #storage: Storage;
  #wal: RecordLog;
  #keys: SlotTable;
  #files: SmallFiles;
  #boxes = new Map<string, Box>(); // by id
  #byName = new Map<string, Box>();
  #queues = new Map<string, Promise<FixedArray>>(); // open queue files, LRU by insertion
  #dirtyQueues = new Set<FixedArray>();
  #evicted: Promise<FixedArray>[] = [];
  #chain: Promise<unknown> = Promise.resolve();
  /** Frame position of the first record of each batch written but not yet applied (FIFO). */
  #pending: LogPosition[] = [];
  #sinceCheckpoint = 0;
  #failed: Error | undefined;

  private constructor(opts: RnaStoreOptions, storage: Storage, wal: RecordLog, keys: SlotTable, files: SmallFiles) {
    this.clock = opts.clock;
    this.log = opts.log ?? silentLogger;
    this.maxPerMailbox = opts.maxPerMailbox ?? 10_000;
    this.checkpointBytes = opts.checkpointBytes ?? 8 * 1024 * 1024;
    this.#storage = storage;
    this.#wal = wal;
    this.#keys = keys;
    this.#files = files;
    for (const name of opts.mailboxes) {
      const box: Box = { name, id: toHex(sha256(name).subarray(0, 8)), head: 0, length: 0 };
      this.#boxes.set(box.id, box);
      this.#byName.set(name, box);
    }
  }

  static async open(storage: Storage, opts: RnaStoreOptions): Promise<RnaStore> {
    const wal = await storage.openLog("rna/log", { segmentBytes: opts.segmentBytes ?? 4 * 1024 * 1024 });
    const keys = await storage.openTable("rna/keys", { valueBytes: SLOT_VALUE, initialSlots: 16_384 });
    const files = await storage.openFiles("rna/meta");
    const s = new RnaStore(opts, storage, wal, keys, files);
    const raw = await files.read("checkpoint.json");
    const cp: Checkpoint = raw ? (JSON.parse(dec.decode(raw)) as Checkpoint) : { v: 2, lsn: { segment: wal.segments()[0] ?? 1, offset: HEADER_BYTES }, boxes: [] };
    for (const [id, head, length] of cp.boxes) {
      const b = s.#boxes.get(id);
      if (b) {
        b.head = head;
        b.length = length;
      }
    }
    let replayed = 0;
    for await (const rec of wal.scan(cp.lsn)) {
      const t = rec.payload[0];
      if (t === 0x41 /* A */) await s.#applyAccept((JSON.parse(dec.decode(rec.payload.subarray(1))) as { e: AcceptEntry[] }).e);
      else if (t === 0x52 /* R */) await s.#applyClear((JSON.parse(dec.decode(rec.payload.subarray(1))) as { c: ClearEntry[] }).c);
      replayed++;
    }
    s.log.log("info", "rna.recovered", { where: storage.where, replayed, held: s.held });
    await s.#checkpoint();
    await s.#closeEvicted();
    return s;
  }

  /** Entries in the mailboxes' windows (superseded ones included until the head passes them). */
  get held(): number {
    let n = 0;
    for (const b of this.#boxes.values()) n += b.length - b.head;
    return n;
  }

  hasMailbox(mb: string): boolean {
    return this.#byName.has(mb);
  }

  #queue(box: Box): Promise<FixedArray> {
    let q = this.#queues.get(box.id);
    if (q) {
      this.#queues.delete(box.id); // refresh LRU position
      this.#queues.set(box.id, q);
      return q;
    }
    q = this.#storage.openArray(`rna/queues/${box.id}.q`, ENTRY);
    this.#queues.set(box.id, q);
    if (this.#queues.size > 64) {
      const [oldId, old] = this.#queues.entries().next().value as [string, Promise<FixedArray>];
      this.#queues.delete(oldId);
      this.#evicted.push(old); // closed once the current operation is over (it may still use it)
    }
    return q;
  }

  /** Closes evicted queue files; closing syncs them, so a checkpoint need not. */
  async #closeEvicted(): Promise<void> {
    const list = this.#evicted;
    this.#evicted = [];
    for (const p of list) {
      const a = await p;
      this.#dirtyQueues.delete(a);
      await a.close();
    }
  }

  /** Serialises view changes and reads of the views (the one writer). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.#chain.then(async () => {
      if (this.#failed) throw this.#failed;
      try {
        return await fn();
      } finally {
        await this.#closeEvicted();
      }
    });
    this.#chain = r.catch(() => {});
    return r;
  }

  async #applyAccept(entries: readonly AcceptEntry[]): Promise<void> {
    for (const [id, index, keyHex, segment, offset, length, date] of entries) {
      const box = this.#boxes.get(id);
      if (!box) continue; // mailbox no longer configured
      const q = await this.#queue(box);
      const key = fromHex(keyHex);
      await q.writeAt(index, entryBytes(key, { segment, offset, length }, date));
      this.#dirtyQueues.add(q);
      if (index + 1 > box.length) box.length = index + 1;
      await this.#keys.put(key, slotValue(id, index)); // keep the newest (C-5)
      // §12.2: at most maxPerMailbox, oldest dropped.
      if (box.length - box.head > this.maxPerMailbox) await this.#advance(box, box.length - this.maxPerMailbox);
    }
  }

  /** Moves a mailbox's head to `to`, forgetting the live entries it passes. */
  async #advance(box: Box, to: number): Promise<void> {
    const q = await this.#queue(box);
    for (let i = box.head; i < to; i += BLOCK) {
      const block = await q.read(i, Math.min(BLOCK, to - i));
      for (let j = 0; j < block.length; j++) {
        const key = block[j]!.subarray(0, 16);
        if (pointsAt(await this.#keys.get(key), box.id, i + j)) await this.#keys.delete(key);
      }
    }
    box.head = Math.max(box.head, to);
  }

  async #applyClear(clears: readonly ClearEntry[]): Promise<void> {
    for (const [id, newHead, picked] of clears) {
      const box = this.#boxes.get(id);
      if (!box) continue;
      for (const [keyHex, index] of picked) {
        const key = fromHex(keyHex);
        if (pointsAt(await this.#keys.get(key), id, index)) await this.#keys.delete(key);
      }
      box.head = Math.max(box.head, newHead);
    }
  }

  #framePos(loc: RecordLocation): LogPosition {
    return { segment: loc.segment, offset: loc.offset - FRAME_OVERHEAD };
  }

  /**
   * Accepts one RNASP batch (all-or-nothing), resolving once durable and applied. Notifications
   * for unknown mailboxes are dropped silently (§12.2, I-17). Returns how many were kept.
   */
  accept(batch: readonly Notification[], submitter: ClientLocation): Promise<number> {
    if (this.#failed) return Promise.reject(this.#failed);
    const date = epochSeconds(this.clock);
    const entries: AcceptEntry[] = [];
    let first: LogPosition | undefined;
    // Indices are assigned and records written synchronously, so log order = index order.
    for (const n of batch) {
      const box = this.#byName.get(mailboxKey(n.recipient.localpart, n.recipient.domain));
      if (!box) continue;
      const der = encode(NotificationAndLocalData, { notification: n, submitter, date });
      const rec = new Uint8Array(1 + der.byteLength);
      rec[0] = 0x4e; // N
      rec.set(der, 1);
      const loc = this.#wal.write(rec);
      first ??= this.#framePos(loc);
      entries.push([box.id, box.length++, toHex(sha256(dedupKey(n)).subarray(0, 16)), loc.segment, loc.offset, loc.length, date]);
    }
    if (entries.length === 0) return Promise.resolve(0);
    const record = enc.encode("A" + JSON.stringify({ e: entries }));
    this.#wal.write(record);
    // A checkpoint must not pass this batch until it is applied: not even its 'N' records,
    // which may sit in an earlier segment than the 'A' record.
    this.#pending.push(first!);
    const durable = this.#wal.sync();
    return this.#serial(async () => {
      try {
        await durable;
        await this.#applyAccept(entries);
      } catch (e) {
        this.#fail(e as Error);
        throw e;
      } finally {
        this.#pending.shift();
      }
      this.#sinceCheckpoint += record.byteLength;
      await this.#maybeCheckpoint();
      return entries.length;
    });
  }

  /** RetrieveAndClear (§14): oldest first across the mailboxes, at most `max`; durable on return. */
  retrieveAndClear(mailboxes: readonly string[], max: number): Promise<NotificationAndLocalData[]> {
    return this.#serial(async () => {
      interface Cursor {
        box: Box;
        q: FixedArray;
        at: number;
        buf: Uint8Array[];
        bufAt: number;
        picked: [string, number][];
      }
      const cursors: Cursor[] = [];
      for (const name of new Set(mailboxes)) {
        const box = this.#byName.get(name);
        if (box && box.length > box.head) cursors.push({ box, q: await this.#queue(box), at: box.head, buf: [], bufAt: box.head, picked: [] });
      }
      // The next live entry of a cursor (dead ones are consumed on the way), or undefined.
      const peek = async (c: Cursor): Promise<Uint8Array | undefined> => {
        while (c.at < c.box.length) {
          if (c.at - c.bufAt >= c.buf.length) {
            c.buf = await c.q.read(c.at, BLOCK);
            c.bufAt = c.at;
            if (c.buf.length === 0) return undefined;
          }
          const e = c.buf[c.at - c.bufAt]!;
          if (pointsAt(await this.#keys.get(e.subarray(0, 16)), c.box.id, c.at)) return e;
          c.at++; // superseded: skip
        }
        return undefined;
      };
      const out: { e: Uint8Array }[] = [];
      while (out.length < max) {
        let best: Cursor | undefined;
        let bestEntry: Uint8Array | undefined;
        for (const c of cursors) {
          const e = await peek(c);
          if (e && (!bestEntry || new DataView(e.buffer, e.byteOffset).getUint32(28) < new DataView(bestEntry.buffer, bestEntry.byteOffset).getUint32(28))) {
            best = c;
            bestEntry = e;
          }
        }
        if (!best || !bestEntry) break;
        best.picked.push([toHex(bestEntry.subarray(0, 16)), best.at]);
        best.at++;
        out.push({ e: bestEntry });
      }
      const clears: ClearEntry[] = cursors.filter((c) => c.at > c.box.head).map((c) => [c.box.id, c.at, c.picked]);
      if (clears.length === 0) return [];
      const record = enc.encode("R" + JSON.stringify({ c: clears }));
      try {
        await this.#wal.append(record);
        await this.#applyClear(clears);
      } catch (e) {
        this.#fail(e as Error);
        throw e;
      }
      this.#sinceCheckpoint += record.byteLength;
      const result: NotificationAndLocalData[] = [];
      for (const { e } of out) {
        const v = new DataView(e.buffer, e.byteOffset);
        const raw = await this.#wal.read({ segment: v.getUint32(16), offset: v.getUint32(20), length: v.getUint32(24) });
        result.push(decode(NotificationAndLocalData, raw.subarray(1)));
      }
      await this.#maybeCheckpoint();
      return result;
    });
  }

  #fail(e: Error): void {
    if (!this.#failed) {
      this.#failed = e;
      this.log.log("error", "rna.failed", { error: e.message });
    }
  }

  async #maybeCheckpoint(): Promise<void> {
    if (this.#sinceCheckpoint >= this.checkpointBytes) await this.#checkpoint().catch((e: Error) => this.log.log("error", "rna.checkpoint-failed", { error: e.message }));
  }

  /** Runs inside the chain (or at open/close): no view change is in progress. */
  async #checkpoint(): Promise<void> {
    const lsn = this.#pending[0] ?? this.#wal.end;
    await this.#wal.sync();
    await this.#keys.sync();
    for (const q of this.#dirtyQueues) await q.sync();
    this.#dirtyQueues.clear();
    const cp: Checkpoint = { v: 2, lsn, boxes: [...this.#boxes.values()].filter((b) => b.length > 0).map((b) => [b.id, b.head, b.length]) };
    await this.#files.write("checkpoint.json", JSON.stringify(cp));
    this.#sinceCheckpoint = 0;
    // Oldest log segment still referenced: each queue's head entry is its oldest.
    let keep = lsn.segment;
    for (const b of this.#boxes.values()) {
      if (b.length <= b.head) continue;
      const [e] = await (await this.#queue(b)).read(b.head, 1);
      if (e) keep = Math.min(keep, new DataView(e.buffer, e.byteOffset).getUint32(16));
    }
    for (const seg of this.#wal.segments()) if (seg < keep && comparePositions({ segment: seg, offset: 0 }, this.#wal.end) < 0) await this.#wal.removeSegment(seg);
  }

  async close(): Promise<void> {
    await this.#serial(async () => {
      if (!this.#failed) await this.#checkpoint();
    }).catch(() => {});
    await this.#wal.close();
    await this.#keys.close();
    for (const q of this.#queues.values()) await (await q).close();
  }
}
