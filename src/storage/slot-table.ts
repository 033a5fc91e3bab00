// A persistent hash table of fixed-size values keyed by 16 random octets (IM2000 message
// identifiers, §16.1), kept on disk so that nothing has to be loaded into memory: each lookup
// reads a few hundred octets, whatever the number of entries.
//
// On-disk format. A table is a directory of level files `slots-00.tbl`, `slots-01.tbl`, …;
// level n holds `initialSlots << n` slots. Each file starts with a 64-octet header
// ("I2KSLOT1", u32 BE slot count, u32 BE value size, zeros), followed by the slots. A slot is
// `24 + valueBytes` octets:
//
//     u8      state: 0 empty (never used), 1 live, 2 tombstone (deleted; keeps probe chains intact)
//     3 x u8  zero
//     u32 BE  CRC-32C of the state octet, key and value
//     16 x u8 key
//     value
//
// Keys go to slot (first four key octets, big-endian) mod slot count, then linear probing. Keys
// are random capabilities, so the distribution is uniform; a client can only *look up* chosen
// keys, never insert them. New keys go into the newest level; once the newest level's used slots
// (live + tombstones) pass 3/4 of it, a level twice as large is added. A key lives in exactly
// one level; lookups try the levels newest first. The number of levels grows with the log of
// the number of entries, so lookup work stays practically constant.
//
// Crash safety. Slot writes are positional and are NOT fsynced one by one: the table is a
// materialised view of a write-ahead RecordLog. Its owner (1) applies only records that are
// already durable in the log, (2) at a checkpoint calls sync() (fsync of every level file) and
// then records the log position, and (3) after a crash replays the log from that position. Every
// operation is idempotent when replayed in order (put = insert-or-overwrite after a full probe of
// the key's chain; delete = tombstone), so slots that reached the disk before the crash, or did
// not, converge to the same table. A slot torn by the crash fails its CRC and is read as a
// tombstone (it was written after the checkpoint, so the replay rewrites the entry it held).

import { fsyncDir, listDir, mkdirpDurable, path, RandomAccessFile } from "../runtime/fs.ts";
import { crc32c } from "./crc32.ts";
import { toHex } from "../util/bytes.ts";
import { Mutex } from "../util/mutex.ts";

export const KEY_BYTES = 16;
const SLOT_OVERHEAD = 24;
const FILE_HEADER = 64;
const MAGIC = new TextEncoder().encode("I2KSLOT1");
const EMPTY = 0;
const LIVE = 1;
const TOMBSTONE = 2;
const PROBE_READ_SLOTS = 16;

export interface SlotEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface SlotTable {
  readonly valueBytes: number;
  /** Live entries. */
  readonly size: number;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Inserts the key or overwrites its value. */
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  /** Removes the key; false when it was not there. */
  delete(key: Uint8Array): Promise<boolean>;
  /**
   * Live entries in storage order, starting at `cursor` (0 to begin), at most about `maxSlots`
   * slots examined; `next` is undefined at the end. Entries changed during a scan may or may not
   * be seen; none is seen twice within one pass unless it is deleted and re-inserted.
   */
  scan(cursor: number, maxSlots: number): Promise<{ entries: SlotEntry[]; next: number | undefined }>;
  /** Makes every change so far durable. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

function checkKey(key: Uint8Array): void {
  if (key.byteLength !== KEY_BYTES) throw new RangeError(`slot keys are ${KEY_BYTES} octets`);
}

function keyHash(key: Uint8Array): number {
  return ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0;
}

function sameKey(buf: Uint8Array, at: number, key: Uint8Array): boolean {
  for (let i = 0; i < KEY_BYTES; i++) if (buf[at + i] !== key[i]) return false;
  return true;
}

interface Level {
  readonly file: RandomAccessFile;
  readonly slots: number;
  /** Live + tombstone slots (the probe-chain load). */
  used: number;
  live: number;
  dirty: boolean;
}

/** A tiny FIFO mutex: table operations never interleave their reads and writes. */

export interface FileSlotTableOptions {
  readonly valueBytes: number;
  /** Slots in level 0 (a power of two); default 65,536. */
  readonly initialSlots?: number;
}

export class FileSlotTable implements SlotTable {
  readonly dir: string;
  readonly valueBytes: number;
  readonly slotBytes: number;
  readonly initialSlots: number;
  #levels: Level[];
  #mutex = new Mutex();

  private constructor(dir: string, opts: FileSlotTableOptions, levels: Level[]) {
    this.dir = dir;
    this.valueBytes = opts.valueBytes;
    this.slotBytes = SLOT_OVERHEAD + opts.valueBytes;
    this.initialSlots = opts.initialSlots ?? 65_536;
    this.#levels = levels;
  }

  static async open(dir: string, opts: FileSlotTableOptions): Promise<FileSlotTable> {
    await mkdirpDurable(dir);
    const initial = opts.initialSlots ?? 65_536;
    if (initial < 16 || (initial & (initial - 1)) !== 0) throw new RangeError("initialSlots must be a power of two ≥ 16");
    const names = (await listDir(dir)).filter((n) => /^slots-\d{2}\.tbl$/.test(n)).sort();
    const t = new FileSlotTable(dir, opts, []);
    for (let n = 0; n < names.length; n++) {
      if (names[n] !== `slots-${String(n).padStart(2, "0")}.tbl`) throw new Error(`${dir}: level files are not contiguous`);
      t.#levels.push(await t.#openLevel(n, false));
    }
    if (t.#levels.length === 0) t.#levels.push(await t.#openLevel(0, true));
    return t;
  }

  async #openLevel(n: number, create: boolean): Promise<Level> {
    const slots = this.initialSlots << n;
    const file = await RandomAccessFile.open(path.join(this.dir, `slots-${String(n).padStart(2, "0")}.tbl`), create);
    const header = await file.readAt(0, FILE_HEADER);
    const hv = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const valid = header.byteLength === FILE_HEADER && MAGIC.every((b, i) => header[i] === b);
    if (!valid) {
      // A level file is created empty and gets its header before any slot is written; a crash
      // in between leaves a file with no live slots, which we simply initialise again.
      const h = new Uint8Array(FILE_HEADER);
      h.set(MAGIC, 0);
      const v = new DataView(h.buffer);
      v.setUint32(8, slots);
      v.setUint32(12, this.valueBytes);
      await file.truncate(0);
      await file.writeAt(0, h);
      await file.truncate(FILE_HEADER + slots * this.slotBytes); // sparse: empty slots are zeros
      await file.sync();
      await fsyncDir(this.dir); // the new level's directory entry survives a power loss
      return { file, slots, used: 0, live: 0, dirty: false };
    }
    if (hv.getUint32(8) !== slots || hv.getUint32(12) !== this.valueBytes) throw new Error(`${this.dir}: level ${n} has a different geometry`);
    // Count used and live slots once (sequential read, bounded buffer).
    let used = 0;
    let live = 0;
    const per = Math.max(1, Math.floor((1024 * 1024) / this.slotBytes));
    for (let i = 0; i < slots; i += per) {
      const k = Math.min(per, slots - i);
      const buf = await file.readAt(FILE_HEADER + i * this.slotBytes, k * this.slotBytes);
      for (let j = 0; j * this.slotBytes < buf.byteLength; j++) {
        const st = this.#state(buf, j * this.slotBytes);
        if (st !== EMPTY) used++;
        if (st === LIVE) live++;
      }
    }
    return { file, slots, used, live, dirty: false };
  }

  /** A slot's effective state: a live slot with a bad CRC reads as a tombstone. */
  #state(buf: Uint8Array, at: number): number {
    const st = buf[at]!;
    if (st !== LIVE) return st === EMPTY ? EMPTY : TOMBSTONE;
    const v = new DataView(buf.buffer, buf.byteOffset + at, this.slotBytes);
    const crc = v.getUint32(4);
    const body = new Uint8Array(this.slotBytes - 7);
    body[0] = LIVE;
    body.set(buf.subarray(at + 8, at + this.slotBytes), 1);
    return crc32c(body) === crc ? LIVE : TOMBSTONE;
  }

  #encode(state: number, key: Uint8Array, value: Uint8Array): Uint8Array {
    const s = new Uint8Array(this.slotBytes);
    s[0] = state;
    s.set(key, 8);
    s.set(value, 8 + KEY_BYTES);
    const body = new Uint8Array(this.slotBytes - 7);
    body[0] = state;
    body.set(s.subarray(8), 1);
    new DataView(s.buffer).setUint32(4, crc32c(body));
    return s;
  }

  get size(): number {
    return this.#levels.reduce((n, l) => n + l.live, 0);
  }

  /**
   * Walks the key's probe chain in one level. Returns the slot index holding the key (or -1) and
   * the first reusable slot (tombstone or empty) seen on the way.
   */
  async #probe(level: Level, key: Uint8Array): Promise<{ found: number; value?: Uint8Array; free: number }> {
    const mask = level.slots - 1;
    let i = keyHash(key) & mask;
    let free = -1;
    for (let seen = 0; seen < level.slots; ) {
      const n = Math.min(PROBE_READ_SLOTS, level.slots - i, level.slots - seen);
      const buf = level.file.readAtSync(FILE_HEADER + i * this.slotBytes, n * this.slotBytes);
      for (let j = 0; j < n; j++) {
        const at = j * this.slotBytes;
        const st = at < buf.byteLength ? this.#state(buf, at) : EMPTY;
        if (st === EMPTY) return { found: -1, free: free >= 0 ? free : i + j };
        if (st === TOMBSTONE) {
          if (free < 0) free = i + j;
        } else if (sameKey(buf, at + 8, key)) {
          return { found: i + j, value: buf.slice(at + 8 + KEY_BYTES, at + this.slotBytes), free };
        }
      }
      seen += n;
      i = (i + n) & mask;
    }
    return { found: -1, free };
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    checkKey(key);
    return this.#mutex.run(async () => {
      for (let l = this.#levels.length - 1; l >= 0; l--) {
        const r = await this.#probe(this.#levels[l]!, key);
        if (r.found >= 0) return r.value;
      }
      return undefined;
    });
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    checkKey(key);
    if (value.byteLength !== this.valueBytes) throw new RangeError(`slot values are ${this.valueBytes} octets`);
    return this.#mutex.run(async () => {
      let newest: { free: number } | undefined;
      for (let l = this.#levels.length - 1; l >= 0; l--) {
        const level = this.#levels[l]!;
        const r = await this.#probe(level, key);
        if (r.found >= 0) {
          await this.#write(level, r.found, this.#encode(LIVE, key, value));
          return;
        }
        if (l === this.#levels.length - 1) newest = r;
      }
      let level = this.#levels[this.#levels.length - 1]!;
      let free = newest!.free;
      if ((level.used + 1) * 4 > level.slots * 3 || free < 0) {
        level = await this.#openLevel(this.#levels.length, true);
        this.#levels.push(level);
        free = (await this.#probe(level, key)).free;
      }
      const buf = level.file.readAtSync(FILE_HEADER + free * this.slotBytes, 1);
      if (buf.byteLength === 0 || buf[0] === EMPTY) level.used++;
      level.live++;
      await this.#write(level, free, this.#encode(LIVE, key, value));
    });
  }

  delete(key: Uint8Array): Promise<boolean> {
    checkKey(key);
    return this.#mutex.run(async () => {
      for (let l = this.#levels.length - 1; l >= 0; l--) {
        const level = this.#levels[l]!;
        const r = await this.#probe(level, key);
        if (r.found >= 0) {
          level.live--;
          await this.#write(level, r.found, this.#encode(TOMBSTONE, new Uint8Array(KEY_BYTES), new Uint8Array(this.valueBytes)));
          return true;
        }
      }
      return false;
    });
  }

  async #write(level: Level, slot: number, bytes: Uint8Array): Promise<void> {
    level.dirty = true;
    level.file.writeAtSync(FILE_HEADER + slot * this.slotBytes, bytes);
  }

  scan(cursor: number, maxSlots: number): Promise<{ entries: SlotEntry[]; next: number | undefined }> {
    return this.#mutex.run(async () => {
      let base = 0;
      for (const level of this.#levels) {
        if (cursor < base + level.slots) {
          const start = cursor - base;
          const n = Math.max(1, Math.min(maxSlots, level.slots - start));
          const buf = await level.file.readAt(FILE_HEADER + start * this.slotBytes, n * this.slotBytes);
          const entries: SlotEntry[] = [];
          for (let j = 0; j * this.slotBytes < buf.byteLength; j++) {
            const at = j * this.slotBytes;
            if (this.#state(buf, at) === LIVE) entries.push({ key: buf.slice(at + 8, at + 8 + KEY_BYTES), value: buf.slice(at + 8 + KEY_BYTES, at + this.slotBytes) });
          }
          const next = cursor + n;
          const total = this.#levels.reduce((s, l) => s + l.slots, 0);
          return { entries, next: next < total ? next : undefined };
        }
        base += level.slots;
      }
      return { entries: [], next: undefined };
    });
  }

  sync(): Promise<void> {
    return this.#mutex.run(async () => {
      for (const l of this.#levels) {
        if (!l.dirty) continue;
        l.dirty = false;
        await l.file.sync();
      }
    });
  }

  async close(): Promise<void> {
    await this.sync();
    for (const l of this.#levels) await l.file.close();
  }
}

/** The in-memory SlotTable for tests. */
export class MemorySlotTable implements SlotTable {
  readonly valueBytes: number;
  #map = new Map<string, SlotEntry>();
  constructor(valueBytes: number) {
    this.valueBytes = valueBytes;
  }
  get size(): number {
    return this.#map.size;
  }
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    checkKey(key);
    return this.#map.get(toHex(key))?.value.slice();
  }
  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    checkKey(key);
    if (value.byteLength !== this.valueBytes) throw new RangeError(`slot values are ${this.valueBytes} octets`);
    this.#map.set(toHex(key), { key: key.slice(), value: value.slice() });
  }
  async delete(key: Uint8Array): Promise<boolean> {
    return this.#map.delete(toHex(key));
  }
  async scan(cursor: number, maxSlots: number): Promise<{ entries: SlotEntry[]; next: number | undefined }> {
    const all = [...this.#map.values()];
    const entries = all.slice(cursor, cursor + maxSlots).map((e) => ({ key: e.key.slice(), value: e.value.slice() }));
    const next = cursor + maxSlots;
    return { entries, next: next < all.length ? next : undefined };
  }
  async sync(): Promise<void> {}
  async close(): Promise<void> {}
}
