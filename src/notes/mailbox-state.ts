// One account's notes as a replayable state machine: every change is an operation (NoteOp) that
// a journal makes durable and that `apply` folds into memory. The in-memory store applies ops
// directly; the file store writes them to its log first and replays them on open. Keeping one
// apply function for both is what makes the two stores behave the same.

import { alt, boolean, choice, decode, encode, octets, opt, req, sequence, sequenceOf, uint, utf8, type Infer } from "../der/mod.ts";
import { Notification } from "../im2000/types.ts";
import type { MailboxChange, NewNote, NoteMailbox, SavedNote } from "./notes.ts";
import { hexIdentifier, TOMBSTONE_SECONDS } from "./notes.ts";
import { fromHex } from "../util/bytes.ts";

/** The journal record schema (DER, like everything else on our wires and disks). */
export const NoteOp = choice("NoteOp", [
  alt(0, "add", sequence("Add", [req(0, "uid", uint()), req(1, "date", uint()), req(2, "notification", Notification)])),
  alt(1, "size", sequence("Size", [req(0, "uid", uint()), req(1, "size", uint())])),
  alt(2, "silenced", sequence("Silenced", [req(0, "uid", uint())])),
  alt(3, "flags", sequence("Flags", [req(0, "uid", uint()), req(1, "flags", sequenceOf(utf8))])),
  alt(4, "remove", sequence("Remove", [req(0, "uid", uint()), req(1, "at", uint())])),
  alt(5, "tombstone", sequence("Tombstone", [req(0, "identifier", octets("MessageIdentifier", 16)), req(1, "at", uint())])),
  alt(6, "header", sequence("Header", [req(0, "uidValidity", uint()), opt(1, "uidNext", uint()), opt(2, "reset", boolean)])),
]);
export type NoteOp = Infer<typeof NoteOp>;

export function encodeOp(op: NoteOp): Uint8Array {
  return encode(NoteOp, op);
}

export function decodeOp(bytes: Uint8Array): NoteOp {
  return decode(NoteOp, bytes);
}

/** Where ops go before they are applied. */
export interface Journal {
  /** Makes the ops durable (resolves after fsync). */
  commit(ops: readonly NoteOp[]): Promise<void>;
  /** Queues ops that may be lost in a crash (caches); they ride along with the next commit. */
  defer(ops: readonly NoteOp[]): void;
}

interface MutableNote {
  uid: number;
  identifier: Uint8Array;
  notification: Infer<typeof Notification>;
  date: number;
  size: number | undefined;
  flags: readonly string[];
  silenced: boolean;
}

export class MailboxState implements NoteMailbox {
  readonly account: string;
  uidValidity = 0;
  uidNext = 1;
  #notes = new Map<number, MutableNote>(); // insertion order = uid order
  #byIdentifier = new Map<string, number>();
  #tombstones = new Map<string, number>(); // hex identifier → time (seconds)
  #listeners = new Set<(c: MailboxChange) => void>();
  #journal: Journal | undefined;
  #now: () => number;
  /** Serialises mutations so uids and journal order agree. */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(account: string, now: () => number) {
    this.account = account;
    this.#now = now;
  }

  /** Called once loading is complete; from then on changes go through the journal. */
  attach(journal: Journal): void {
    this.#journal = journal;
  }

  /** Folds one op into memory (replay and live changes alike). */
  apply(op: NoteOp): void {
    switch (op.kind) {
      case "header":
        this.uidValidity = op.value.uidValidity;
        if (op.value.uidNext !== undefined) this.uidNext = Math.max(this.uidNext, op.value.uidNext);
        break;
      case "add": {
        const { uid, date, notification } = op.value;
        const n: MutableNote = { uid, identifier: notification.identifier, notification, date, size: undefined, flags: [], silenced: false };
        this.#notes.set(uid, n);
        this.#byIdentifier.set(hexIdentifier(notification.identifier), uid);
        this.uidNext = Math.max(this.uidNext, uid + 1);
        break;
      }
      case "size": {
        const n = this.#notes.get(op.value.uid);
        if (n) n.size = op.value.size;
        break;
      }
      case "silenced": {
        const n = this.#notes.get(op.value.uid);
        if (n) n.silenced = true;
        break;
      }
      case "flags": {
        const n = this.#notes.get(op.value.uid);
        if (n) n.flags = op.value.flags;
        break;
      }
      case "remove": {
        const n = this.#notes.get(op.value.uid);
        if (n) {
          this.#notes.delete(op.value.uid);
          const hex = hexIdentifier(n.identifier);
          this.#byIdentifier.delete(hex);
          this.#tombstones.set(hex, op.value.at);
        }
        break;
      }
      case "tombstone":
        this.#tombstones.set(hexIdentifier(op.value.identifier), op.value.at);
        break;
    }
  }

  /** Everything needed to rebuild this state (compaction). */
  snapshot(): NoteOp[] {
    const ops: NoteOp[] = [{ kind: "header", value: { uidValidity: this.uidValidity, uidNext: this.uidNext } }];
    const cutoff = this.#now() - TOMBSTONE_SECONDS;
    for (const [hex, at] of this.#tombstones) if (at >= cutoff) ops.push({ kind: "tombstone", value: { identifier: fromHex(hex), at } });
    for (const n of this.#notes.values()) {
      ops.push({ kind: "add", value: { uid: n.uid, date: n.date, notification: n.notification } });
      if (n.size !== undefined) ops.push({ kind: "size", value: { uid: n.uid, size: n.size } });
      if (n.silenced) ops.push({ kind: "silenced", value: { uid: n.uid } });
      if (n.flags.length > 0) ops.push({ kind: "flags", value: { uid: n.uid, flags: [...n.flags] } });
    }
    return ops;
  }

  get size(): number {
    return this.#notes.size;
  }

  list(): readonly SavedNote[] {
    return [...this.#notes.values()].map(freeze);
  }

  get(uid: number): SavedNote | undefined {
    const n = this.#notes.get(uid);
    return n ? freeze(n) : undefined;
  }

  /** True when the identifier is saved or was un-pinned in the last 90 days (§18 C-5). */
  knows(identifier: Uint8Array): boolean {
    const hex = hexIdentifier(identifier);
    if (this.#byIdentifier.has(hex)) return true;
    const t = this.#tombstones.get(hex);
    return t !== undefined && t >= this.#now() - TOMBSTONE_SECONDS;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.#lock.then(fn);
    this.#lock = r.catch(() => {});
    return r;
  }

  async #commit(ops: NoteOp[], deferred = false): Promise<void> {
    if (ops.length === 0) return;
    if (this.#journal === undefined) throw new Error("mailbox is not attached to a journal");
    if (deferred) this.#journal.defer(ops);
    else await this.#journal.commit(ops);
    for (const op of ops) this.apply(op);
  }

  #emit(c: MailboxChange): void {
    for (const l of this.#listeners) {
      try {
        l(c);
      } catch {
        // a listener's failure is its own session's problem
      }
    }
  }

  add(batch: readonly NewNote[]): Promise<{ added: SavedNote[]; duplicates: NewNote[] }> {
    return this.#serial(async () => {
      const seen = new Set<string>();
      const ops: NoteOp[] = [];
      const duplicates: NewNote[] = [];
      let uid = this.uidNext;
      for (const n of batch) {
        const hex = hexIdentifier(n.notification.identifier);
        if (this.knows(n.notification.identifier) || seen.has(hex)) {
          duplicates.push(n);
          continue;
        }
        seen.add(hex);
        ops.push({ kind: "add", value: { uid: uid++, date: n.date, notification: n.notification } });
      }
      await this.#commit(ops);
      const added = ops.map((op) => this.get((op.value as { uid: number }).uid)!);
      if (added.length > 0) this.#emit({ kind: "added", notes: added });
      return { added, duplicates };
    });
  }

  setSize(uid: number, size: number): Promise<void> {
    return this.#serial(() => this.#commit(this.#notes.has(uid) ? [{ kind: "size", value: { uid, size } }] : [], true));
  }

  setSilenced(uid: number): Promise<void> {
    return this.#serial(() => this.#commit(this.#notes.has(uid) ? [{ kind: "silenced", value: { uid } }] : [], true));
  }

  setFlags(uid: number, flags: readonly string[]): Promise<void> {
    return this.#serial(async () => {
      if (!this.#notes.has(uid)) return;
      const sorted = [...new Set(flags)].sort();
      await this.#commit([{ kind: "flags", value: { uid, flags: sorted } }]);
      this.#emit({ kind: "flags", uid, flags: sorted });
    });
  }

  remove(uids: readonly number[]): Promise<void> {
    return this.#serial(async () => {
      const present = uids.filter((u) => this.#notes.has(u));
      const at = this.#now();
      await this.#commit(present.map((uid) => ({ kind: "remove", value: { uid, at } })));
      if (present.length > 0) this.#emit({ kind: "removed", uids: present });
    });
  }

  watch(fn: (c: MailboxChange) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}

function freeze(n: MutableNote): SavedNote {
  return { uid: n.uid, identifier: n.identifier, notification: n.notification, date: n.date, size: n.size, flags: n.flags, silenced: n.silenced };
}
