// The reference RNA's durable notification store (im2000 §12.2, §13, §14, §18 C-5).
//
// Implementation notes:
// * Held notifications live in memory, per mailbox, oldest first; the memory is bounded by
//   configuration (mailboxes × maxPerMailbox, default 10,000 per mailbox, oldest dropped), not
//   by traffic, because RetrieveAndClear removes what it hands out.
// * Durability: a RecordLog (group commit) of
//     'A' + JSON {d: date, s: DER ClientLocation (base64), n: [DER Notification (base64)]}
//         one accepted RNASP batch, already stripped of unknown mailboxes (all-or-nothing: one
//         record, so after a crash the whole batch is there or none of it);
//     'R' + JSON {k: [[mailbox, key], …]}  notifications handed out by RetrieveAndClear.
//   A change is applied in memory, written, and answered only once durable. Changes are applied
//   in the order they are written, and replay applies them in the same order, so the state
//   after recovery is the state of the durable prefix.
// * Snapshots: past `snapshotBytes` of log, every held notification is written to
//   `snapshot.json` (atomic replace) with the log position it reflects, and the segments before
//   that position are deleted. Recovery = snapshot + replay of the log after it.
// * De-duplication (C-5): key = DER(storeclear) ‖ identifier ‖ DER(recipient, domain lower-cased);
//   a newer notification with the same key replaces the older one and takes its place at the end.

import { decode, encode } from "../../der/mod.ts";
import type { Clock } from "../../runtime/clock.ts";
import { epochSeconds } from "../../runtime/clock.ts";
import type { RecordLog } from "../../storage/record-log.ts";
import { HEADER_BYTES, type LogPosition } from "../../storage/record-log.ts";
import type { SmallFiles } from "../../storage/small-files.ts";
import type { Storage } from "../../storage/storage.ts";
import { ClientLocation, MailBox, Notification, ServiceLocation, type NotificationAndLocalData } from "../../im2000/types.ts";
import type { Logger } from "../../util/log.ts";
import { silentLogger } from "../../util/log.ts";
import { mailboxKey } from "../config.ts";
import { base64ToBytes, bytesToBase64, toHex } from "../store/engine.ts";

interface Held {
  readonly key: string;
  readonly der: Uint8Array;
  readonly submitter: Uint8Array;
  readonly date: number;
}

interface Snapshot {
  v: 1;
  lsn: LogPosition;
  boxes: [string, [string, string, string, number][]][];
}

export interface RnaStoreOptions {
  readonly clock: Clock;
  /** Mailboxes served ("local@domain", domain lower case); others are dropped silently. */
  readonly mailboxes: Iterable<string>;
  readonly maxPerMailbox?: number;
  readonly snapshotBytes?: number;
  readonly segmentBytes?: number;
  readonly log?: Logger;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** C-5: the RNA's de-duplication key. */
export function dedupKey(n: Notification): string {
  const recipient = { localpart: n.recipient.localpart, domain: n.recipient.domain.map((l) => l.toLowerCase()) };
  return toHex(encode(ServiceLocation, n.storeclear)) + toHex(n.identifier) + toHex(encode(MailBox, recipient));
}

export class RnaStore {
  readonly clock: Clock;
  readonly log: Logger;
  readonly maxPerMailbox: number;
  readonly snapshotBytes: number;
  #wal: RecordLog;
  #files: SmallFiles;
  #boxes = new Map<string, Map<string, Held>>();
  #sinceSnapshot = 0;
  #snapshotting: Promise<void> | undefined;

  private constructor(opts: RnaStoreOptions, wal: RecordLog, files: SmallFiles) {
    this.clock = opts.clock;
    this.log = opts.log ?? silentLogger;
    this.maxPerMailbox = opts.maxPerMailbox ?? 10_000;
    this.snapshotBytes = opts.snapshotBytes ?? 8 * 1024 * 1024;
    this.#wal = wal;
    this.#files = files;
    for (const m of opts.mailboxes) this.#boxes.set(m, new Map());
  }

  static async open(storage: Storage, opts: RnaStoreOptions): Promise<RnaStore> {
    const wal = await storage.openLog("rna/log", { segmentBytes: opts.segmentBytes ?? 4 * 1024 * 1024 });
    const files = await storage.openFiles("rna/meta");
    const s = new RnaStore(opts, wal, files);
    const raw = await files.read("snapshot.json");
    const snap: Snapshot = raw ? (JSON.parse(dec.decode(raw)) as Snapshot) : { v: 1, lsn: { segment: wal.segments()[0] ?? 1, offset: HEADER_BYTES }, boxes: [] };
    for (const [mb, list] of snap.boxes) {
      const box = s.#boxes.get(mb);
      if (!box) continue; // mailbox no longer configured
      for (const [key, der, sub, date] of list) box.set(key, { key, der: base64ToBytes(der), submitter: base64ToBytes(sub), date });
    }
    let replayed = 0;
    for await (const rec of wal.scan(snap.lsn)) {
      s.#apply(rec.payload);
      replayed++;
    }
    s.log.log("info", "rna.recovered", { where: storage.where, replayed, held: s.held });
    await s.#snapshot();
    return s;
  }

  get held(): number {
    let n = 0;
    for (const b of this.#boxes.values()) n += b.size;
    return n;
  }

  hasMailbox(mb: string): boolean {
    return this.#boxes.has(mb);
  }

  #apply(payload: Uint8Array): void {
    const body = JSON.parse(dec.decode(payload.subarray(1)));
    if (payload[0] === 0x41 /* A */) {
      const sub = base64ToBytes(body.s as string);
      for (const nb of body.n as string[]) {
        const der = base64ToBytes(nb);
        const n = decode(Notification, der);
        this.#add(n, der, sub, body.d as number);
      }
    } else if (payload[0] === 0x52 /* R */) {
      for (const [mb, key] of body.k as [string, string][]) this.#boxes.get(mb)?.delete(key);
    }
  }

  #add(n: Notification, der: Uint8Array, submitter: Uint8Array, date: number): void {
    const box = this.#boxes.get(mailboxKey(n.recipient.localpart, n.recipient.domain));
    if (!box) return;
    const key = dedupKey(n);
    box.delete(key); // keep the newest, at the end
    box.set(key, { key, der, submitter, date });
    while (box.size > this.maxPerMailbox) box.delete(box.keys().next().value!); // oldest dropped
  }

  async #write(record: Uint8Array): Promise<void> {
    await this.#wal.append(record);
    this.#sinceSnapshot += record.byteLength;
    if (this.#sinceSnapshot >= this.snapshotBytes && !this.#snapshotting) {
      this.#snapshotting = this.#snapshot()
        .catch((e: Error) => this.log.log("error", "rna.snapshot-failed", { error: e.message }))
        .finally(() => (this.#snapshotting = undefined));
    }
  }

  /**
   * Accepts one RNASP batch (all-or-nothing): resolves once durable. Notifications for unknown
   * mailboxes are dropped silently (§12.2, I-17). Returns how many were kept.
   */
  async accept(batch: readonly Notification[], submitter: ClientLocation): Promise<number> {
    const kept = batch.filter((n) => this.#boxes.has(mailboxKey(n.recipient.localpart, n.recipient.domain)));
    if (kept.length === 0) return 0;
    const date = epochSeconds(this.clock);
    const sub = encode(ClientLocation, submitter);
    const ders = kept.map((n) => encode(Notification, n));
    kept.forEach((n, i) => this.#add(n, ders[i]!, sub, date));
    await this.#write(enc.encode("A" + JSON.stringify({ d: date, s: bytesToBase64(sub), n: ders.map(bytesToBase64) })));
    return kept.length;
  }

  /** RetrieveAndClear (§14): oldest first across the mailboxes, at most `max`; durable on return. */
  async retrieveAndClear(mailboxes: readonly string[], max: number): Promise<NotificationAndLocalData[]> {
    const picked: { mb: string; h: Held }[] = [];
    const iters = mailboxes.map((mb) => ({ mb, it: (this.#boxes.get(mb) ?? new Map<string, Held>()).values() }));
    const heads = iters.map((x) => ({ mb: x.mb, it: x.it, cur: x.it.next() }));
    while (picked.length < max) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]!;
        if (!h.cur.done && (best < 0 || h.cur.value.date < (heads[best]!.cur.value as Held).date)) best = i;
      }
      if (best < 0) break;
      const h = heads[best]!;
      picked.push({ mb: h.mb, h: h.cur.value as Held });
      h.cur = h.it.next();
    }
    if (picked.length === 0) return [];
    for (const p of picked) this.#boxes.get(p.mb)!.delete(p.h.key);
    await this.#write(enc.encode("R" + JSON.stringify({ k: picked.map((p) => [p.mb, p.h.key]) })));
    return picked.map((p) => ({ notification: decode(Notification, p.h.der), submitter: decode(ClientLocation, p.h.submitter), date: p.h.date }));
  }

  async #snapshot(): Promise<void> {
    const lsn = this.#wal.end;
    const snap: Snapshot = {
      v: 1,
      lsn,
      boxes: [...this.#boxes].map(([mb, box]) => [mb, [...box.values()].map((h) => [h.key, bytesToBase64(h.der), bytesToBase64(h.submitter), h.date] as [string, string, string, number])]),
    };
    this.#sinceSnapshot = 0;
    await this.#wal.sync(); // the snapshot may only reflect durable records
    await this.#files.write("snapshot.json", JSON.stringify(snap));
    for (const seg of this.#wal.segments()) if (seg < lsn.segment) await this.#wal.removeSegment(seg);
  }

  async close(): Promise<void> {
    await this.#snapshotting;
    await this.#wal.close();
  }
}
