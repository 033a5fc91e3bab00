// An append-only array of fixed-size records in one file, read by index (binary search by the
// caller: the store's per-list time index, §18 C-11).
//
// On-disk format: a 16-octet header ("I2KFIXD1", u32 BE record size, 4 zero octets), then the
// records back to back. The length is (file size − 16) / record size, rounded down.
//
// Crash safety: appends are not fsynced one by one. The array is a materialised view of a
// write-ahead RecordLog: the owner fsyncs it at a checkpoint (sync()) and records its length
// there; after a crash it truncates the array to that length and replays the log, which appends
// the same records again. A record torn by the crash is past the checkpointed length and is cut.

import { fsyncDir, mkdirpDurable, path, RandomAccessFile } from "../runtime/fs.ts";

const HEADER = 16;
const MAGIC = new TextEncoder().encode("I2KFIXD1");

export interface FixedArray {
  readonly recordBytes: number;
  readonly length: number;
  /** Appends a record (durable at the next sync()). */
  append(record: Uint8Array): Promise<void>;
  /**
   * Writes record `index` in place (extending the length when past it). Positional writes are
   * idempotent, so a log replay may repeat them; an owner that tracks its own length (in its
   * checkpoint) may ignore records past it.
   */
  writeAt(index: number, record: Uint8Array): Promise<void>;
  /** Records [from, from + count), clipped to the length. */
  read(from: number, count: number): Promise<Uint8Array[]>;
  /** Drops records from `length` on (crash recovery). */
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export class FileFixedArray implements FixedArray {
  readonly recordBytes: number;
  #file: RandomAccessFile;
  #length: number;
  #dirty = false;
  private constructor(file: RandomAccessFile, recordBytes: number, length: number) {
    this.#file = file;
    this.recordBytes = recordBytes;
    this.#length = length;
  }

  static async open(file: string, recordBytes: number): Promise<FileFixedArray> {
    await mkdirpDurable(path.dirname(file));
    const f = await RandomAccessFile.open(file, true);
    const size = await f.size();
    const header = await f.readAt(0, HEADER);
    if (size < HEADER || !MAGIC.every((b, i) => header[i] === b)) {
      const h = new Uint8Array(HEADER);
      h.set(MAGIC);
      new DataView(h.buffer).setUint32(8, recordBytes);
      await f.truncate(0);
      await f.writeAt(0, h);
      await f.sync();
      await fsyncDir(path.dirname(file)); // the new file's directory entry survives a power loss
      return new FileFixedArray(f, recordBytes, 0);
    }
    const rb = new DataView(header.buffer, header.byteOffset).getUint32(8);
    if (rb !== recordBytes) throw new Error(`${file}: records are ${rb} octets, not ${recordBytes}`);
    return new FileFixedArray(f, recordBytes, Math.floor((size - HEADER) / recordBytes));
  }

  get length(): number {
    return this.#length;
  }

  async append(record: Uint8Array): Promise<void> {
    if (record.byteLength !== this.recordBytes) throw new RangeError(`records are ${this.recordBytes} octets`);
    const at = this.#length++;
    this.#dirty = true;
    this.#file.writeAtSync(HEADER + at * this.recordBytes, record); // small, page cache
    await Promise.resolve();
  }

  async writeAt(index: number, record: Uint8Array): Promise<void> {
    if (record.byteLength !== this.recordBytes) throw new RangeError(`records are ${this.recordBytes} octets`);
    this.#dirty = true;
    this.#file.writeAtSync(HEADER + index * this.recordBytes, record);
    if (index >= this.#length) this.#length = index + 1;
    await Promise.resolve();
  }

  async read(from: number, count: number): Promise<Uint8Array[]> {
    const n = Math.max(0, Math.min(count, this.#length - from));
    if (n === 0) return [];
    const buf = await this.#file.readAt(HEADER + from * this.recordBytes, n * this.recordBytes);
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) out.push(buf.slice(i * this.recordBytes, (i + 1) * this.recordBytes));
    return out;
  }

  async truncate(length: number): Promise<void> {
    if (length >= this.#length) return;
    this.#length = length;
    await this.#file.truncate(HEADER + length * this.recordBytes);
    this.#dirty = true;
  }

  async sync(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    await this.#file.sync();
  }

  async close(): Promise<void> {
    await this.sync();
    await this.#file.close();
  }
}

export class MemoryFixedArray implements FixedArray {
  readonly recordBytes: number;
  #records: Uint8Array[] = [];
  constructor(recordBytes: number) {
    this.recordBytes = recordBytes;
  }
  get length(): number {
    return this.#records.length;
  }
  async append(record: Uint8Array): Promise<void> {
    if (record.byteLength !== this.recordBytes) throw new RangeError(`records are ${this.recordBytes} octets`);
    this.#records.push(record.slice());
  }
  async writeAt(index: number, record: Uint8Array): Promise<void> {
    if (record.byteLength !== this.recordBytes) throw new RangeError(`records are ${this.recordBytes} octets`);
    while (this.#records.length < index) this.#records.push(new Uint8Array(this.recordBytes));
    this.#records[index] = record.slice();
  }
  async read(from: number, count: number): Promise<Uint8Array[]> {
    return this.#records.slice(from, from + Math.max(0, count)).map((r) => r.slice());
  }
  async truncate(length: number): Promise<void> {
    this.#records.length = Math.min(length, this.#records.length);
  }
  async sync(): Promise<void> {}
  async close(): Promise<void> {}
}
