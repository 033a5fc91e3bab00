// The durable notification store (shims POP-2, IMAP-3): one directory per account under
// `<stateDir>/notes/`, holding a record log of mailbox operations (src/storage/record-log.ts:
// framed, checksummed, group-committed) and a snapshot.
//
// On-disk layout, per account (directory named by the SHA-256 of the account name, so any name
// is safe on any file system):
//
//     account     the account name (written once, for humans and for recovery tools)
//     snapshot    DER: SEQUENCE { [0] position {segment, offset}, [1] SEQUENCE OF NoteOp }
//     log/        record-log segments; each record is a DER SEQUENCE OF NoteOp (one batch)
//
// Crash safety. A batch that acknowledges something (new notifications before +OK, removals
// after un-pin, flags) is appended with fsync before the promise resolves; caches (sizes,
// silenced marks) are gathered in memory and written as one record ahead of the next batch, at
// release, or every DEFERRED_OPS of them, riding along with the next fsync (a login's 10,000 size
// answers make a handful of records, not 10,000, so the next open replays a handful). Opening reads
// the snapshot, then replays the log from the snapshot's position; a torn tail (a batch the crash
// interrupted, never acknowledged) is cut off by the record log. Compaction writes a new snapshot
// atomically (temp + fsync + rename + directory fsync) at the log's current end and only then
// drops the segments before it, so at every instant snapshot + log describe the mailbox.
//
// Work per message is constant: adding a batch is one append; an account's mailbox is loaded
// only while a session has it open, and the store as a whole is never loaded.

import { decode, encode, req, sequence, sequenceOf, uint } from "../der/mod.ts";
import { sha256 } from "../runtime/crypto.ts";
import { mkdirp, path, readFileIfExists, writeFileAtomic } from "../runtime/fs.ts";
import { FileRecordLog, type RecordLog } from "../storage/record-log.ts";
import { MaildropLocks } from "./locks.ts";
import { MailboxState, NoteOp, type Journal } from "./mailbox-state.ts";
import type { NoteMailbox, NoteStore } from "./notes.ts";

const Batch = sequenceOf(NoteOp, "NoteBatch");
const Snapshot = sequence("NoteSnapshot", [
  req(0, "position", sequence("Position", [req(0, "segment", uint()), req(1, "offset", uint())])),
  req(1, "ops", Batch),
]);

export interface FileNoteStoreOptions {
  /** Segment size of each account's log (small, so compaction can drop old ones). */
  readonly segmentBytes?: number;
  /** Compact when the log since the snapshot holds more than this many octets. */
  readonly compactAfterBytes?: number;
  readonly now?: () => number;
}

/** Cache ops gathered before they are written as one record (see "Crash safety"). */
const DEFERRED_OPS = 4096;

interface Open {
  readonly state: MailboxState;
  readonly log: RecordLog;
  readonly dir: string;
  /** Writes the gathered cache ops (not durable until the next append or sync). */
  readonly flushDeferred: () => void;
  users: number;
  /** Octets appended since the snapshot. */
  grown: number;
  loading?: Promise<void>;
}

export class FileNoteStore implements NoteStore {
  readonly root: string;
  readonly #o: Required<FileNoteStoreOptions>;
  readonly #open = new Map<string, Open>();
  readonly #opening = new Map<string, Promise<Open>>();
  readonly #locks = new MaildropLocks();

  private constructor(root: string, o: FileNoteStoreOptions) {
    this.root = root;
    this.#o = {
      segmentBytes: o.segmentBytes ?? 1024 * 1024,
      compactAfterBytes: o.compactAfterBytes ?? 4 * 1024 * 1024,
      now: o.now ?? (() => Math.floor(Date.now() / 1000)),
    };
  }

  static async open(stateDir: string, o: FileNoteStoreOptions = {}): Promise<FileNoteStore> {
    const root = path.join(stateDir, "notes");
    await mkdirp(root);
    return new FileNoteStore(root, o);
  }

  #dirFor(account: string): string {
    let hex = "";
    for (const b of sha256(account)) hex += b.toString(16).padStart(2, "0");
    return path.join(this.root, hex.slice(0, 2), hex);
  }

  async open(account: string): Promise<NoteMailbox> {
    const existing = this.#open.get(account);
    if (existing !== undefined) {
      existing.users++;
      return existing.state;
    }
    let p = this.#opening.get(account);
    if (p === undefined) {
      p = this.#load(account).finally(() => this.#opening.delete(account));
      this.#opening.set(account, p);
    }
    const o = await p;
    o.users++;
    return o.state;
  }

  async #load(account: string): Promise<Open> {
    const dir = this.#dirFor(account);
    await mkdirp(dir);
    const state = new MailboxState(account, this.#o.now);
    const snap = await readFileIfExists(path.join(dir, "snapshot"));
    let from = { segment: 0, offset: 0 };
    if (snap !== undefined) {
      const s = decode(Snapshot, snap);
      for (const op of s.ops) state.apply(op);
      from = s.position;
    }
    const log = await FileRecordLog.open(path.join(dir, "log"), { segmentBytes: this.#o.segmentBytes });
    let grown = 0;
    for await (const rec of log.scan(from)) {
      for (const op of decode(Batch, rec.payload)) state.apply(op);
      grown += rec.payload.byteLength;
    }
    let deferred: NoteOp[] = [];
    const flushDeferred = () => {
      if (deferred.length === 0) return;
      const bytes = encode(Batch, deferred);
      deferred = [];
      o.grown += bytes.byteLength;
      log.write(bytes);
    };
    const o: Open = { state, log, dir, flushDeferred, users: 0, grown };
    const journal: Journal = {
      commit: async (ops) => {
        flushDeferred(); // earlier cache ops first, so the log keeps the order they were applied in
        const bytes = encode(Batch, [...ops]);
        o.grown += bytes.byteLength;
        await log.append(bytes);
      },
      defer: (ops) => {
        deferred.push(...ops);
        if (deferred.length >= DEFERRED_OPS) flushDeferred();
      },
    };
    state.attach(journal);
    if (snap === undefined && state.uidValidity === 0) {
      // A new account: its UIDVALIDITY is fixed now (IMAP-3) and recorded with its name.
      await writeFileAtomic(path.join(dir, "account"), account + "\n");
      const header: NoteOp = { kind: "header", value: { uidValidity: Math.max(1, this.#o.now()) } };
      await journal.commit([header]);
      state.apply(header);
    }
    this.#open.set(account, o);
    return o;
  }

  async release(mailbox: NoteMailbox): Promise<void> {
    const o = this.#open.get(mailbox.account);
    if (o === undefined || o.state !== mailbox) return;
    o.users--;
    if (o.users > 0) return;
    this.#open.delete(mailbox.account);
    o.flushDeferred();
    await o.log.sync();
    if (o.grown > this.#o.compactAfterBytes) await this.#compact(o);
    await o.log.close();
  }

  /** Snapshot at the log's end, then drop the segments before it. */
  async #compact(o: Open): Promise<void> {
    await o.log.sync();
    const position = o.log.end;
    await writeFileAtomic(path.join(o.dir, "snapshot"), encode(Snapshot, { position: { ...position }, ops: o.state.snapshot() }));
    for (const seg of o.log.segments()) if (seg < position.segment) await o.log.removeSegment(seg);
    o.grown = 0;
  }

  lock(account: string, kind: "pop3" | "imap"): (() => void) | undefined {
    return this.#locks.acquire(account, kind);
  }

  async close(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    for (const o of all) {
      o.flushDeferred();
      await o.log.sync().catch(() => {});
      await o.log.close().catch(() => {});
    }
  }
}
