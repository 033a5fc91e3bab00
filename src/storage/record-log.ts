// An append-only record log with group commit: the write-ahead journal of the reference peers.
//
// On-disk format. A log is a directory of segment files named by an 8-digit decimal number
// (`00000001.log`, `00000002.log`, …). Each segment starts with the 8-octet header
// "I2KLOG" 0x00 0x01, followed by frames:
//
//     u32 BE  length of the payload (1 … maxRecord)
//     u32 BE  CRC-32C of the payload
//     payload
//
// A record is identified by its location: segment number, offset of its payload in the segment,
// and length. Records never move; a segment is removed whole when its owner says nothing in it
// is needed any more.
//
// Group commit. write() queues a frame and returns its location at once; append() queues a frame
// and resolves when that frame and every frame queued before it are on disk (fsync). One writer
// loop drains the queue: it writes everything queued in one positional write, then issues one
// fsync for every append that was waiting, so N concurrent appends share one fsync. While that
// fsync runs, new frames queue up for the next round.
//
// Crash safety. (1) Frames are written in queue order and a round's fsync starts only after the
// previous round's fsync finished, so the durable part of the log is always a prefix of the
// queue; an append resolves only when its own frame is inside that prefix. (2) Before the first
// frame goes into a new segment, the previous segment is fsynced and the new file's directory
// entry is fsynced, so every segment but the last is complete on disk, and a record in segment
// k+1 being durable implies every record before it is. (3) On open, the last segment is scanned
// frame by frame; the first frame whose length is 0 or runs past the end of the file, or whose
// CRC does not match, marks a torn tail (a write the crash interrupted, never acknowledged: see
// 1). The file is truncated there and fsynced, so the next frame starts on a clean boundary.
// (4) An fsync error is fatal for the log (the kernel may have dropped the dirty pages: retrying
// would acknowledge lost data); every pending and later operation fails.

import { fsyncDir, listDir, mkdirpDurable, path, RandomAccessFile, removeFile } from "../runtime/fs.ts";
import { crc32c } from "./crc32.ts";
import { concatBytes as concat } from "../util/bytes.ts";

export const SEGMENT_HEADER = new Uint8Array([0x49, 0x32, 0x4b, 0x4c, 0x4f, 0x47, 0x00, 0x01]); // "I2KLOG" 0 1
export const HEADER_BYTES = SEGMENT_HEADER.byteLength;
export const FRAME_OVERHEAD = 8;
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_RECORD = 32 * 1024 * 1024;

/** Where the next frame starts. */
export interface LogPosition {
  readonly segment: number;
  readonly offset: number;
}

/** A record's payload: segment, offset of the payload inside the segment file, length. */
export interface RecordLocation {
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
}

export interface LogRecord {
  readonly location: RecordLocation;
  readonly payload: Uint8Array;
  /** Position just after this record. */
  readonly next: LogPosition;
}

export class LogCorruptError extends Error {
  override readonly name = "LogCorruptError";
}

/** The failure that made the log unusable (an fsync or write error). */
export class LogFailedError extends Error {
  override readonly name = "LogFailedError";
}

export interface RecordLog {
  /** Position of the next record. */
  readonly end: LogPosition;
  /** Queues a record; it becomes durable with the next append() or sync(). */
  write(payload: Uint8Array): RecordLocation;
  /** Queues a record and resolves once it (and everything before it) is durable. */
  append(payload: Uint8Array): Promise<RecordLocation>;
  /** Makes everything queued so far durable. */
  sync(): Promise<void>;
  /** `length` octets of a record's payload starting at `offset` (default: the whole payload). */
  read(loc: RecordLocation, offset?: number, length?: number): Promise<Uint8Array>;
  /** Every record from `from` on, in order (recovery replay). Do not write while scanning. */
  scan(from: LogPosition): AsyncGenerator<LogRecord>;
  /** Segment numbers present, ascending. */
  segments(): readonly number[];
  /** Deletes a segment that is not the current one. */
  removeSegment(segment: number): Promise<void>;
  close(): Promise<void>;
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.segment !== b.segment ? a.segment - b.segment : a.offset - b.offset;
}

interface Queued {
  readonly segment: number;
  readonly offset: number;
  readonly frame: Uint8Array;
  readonly seq: number;
}

interface CurrentSegment {
  segment: number;
  file: RandomAccessFile;
  /** Offset just past the last frame written to the file. */
  written: number;
  /** Written since the last fsync. */
  dirty: boolean;
}

interface SyncWaiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export interface FileRecordLogOptions {
  /** A new segment is started when a frame would take the current one past this size. */
  readonly segmentBytes?: number;
  /** Largest payload accepted by write()/append() and by recovery. */
  readonly maxRecord?: number;
}

function segmentName(n: number): string {
  return `${String(n).padStart(8, "0")}.log`;
}

function frame(payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(FRAME_OVERHEAD + payload.byteLength);
  const v = new DataView(f.buffer);
  v.setUint32(0, payload.byteLength);
  v.setUint32(4, crc32c(payload));
  f.set(payload, FRAME_OVERHEAD);
  return f;
}


const READ_BLOCK = 1024 * 1024;

/**
 * Parses frames from a whole-segment reader. Yields valid records and stops at the first frame
 * that is torn or corrupt; `end` then holds the offset of the clean end.
 */
async function* readFrames(file: RandomAccessFile, segment: number, fileSize: number, start: number, maxRecord: number, end: { offset: number }): AsyncGenerator<LogRecord> {
  let offset = start;
  let buf: Uint8Array = new Uint8Array(0);
  let bufStart = offset;
  const need = async (n: number): Promise<boolean> => {
    if (offset + n > fileSize) return false;
    if (offset + n <= bufStart + buf.byteLength) return true;
    const want = Math.max(n, READ_BLOCK);
    buf = await file.readAt(offset, Math.min(want, fileSize - offset));
    bufStart = offset;
    return buf.byteLength >= n;
  };
  for (;;) {
    end.offset = offset;
    if (!(await need(FRAME_OVERHEAD))) return;
    const hv = new DataView(buf.buffer, buf.byteOffset + (offset - bufStart), FRAME_OVERHEAD);
    const len = hv.getUint32(0);
    const crc = hv.getUint32(4);
    if (len === 0 || len > maxRecord) return;
    if (!(await need(FRAME_OVERHEAD + len))) return;
    const at = offset - bufStart + FRAME_OVERHEAD;
    const payload = buf.slice(at, at + len);
    if (crc32c(payload) !== crc) return;
    const next = offset + FRAME_OVERHEAD + len;
    yield { location: { segment, offset: offset + FRAME_OVERHEAD, length: len }, payload, next: { segment, offset: next } };
    offset = next;
  }
}

/** The file-system RecordLog (see the header comment for format and crash safety). */
export class FileRecordLog implements RecordLog {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly maxRecord: number;
  #segments: number[];
  #end: LogPosition;
  /** Segment file currently appended to, and how far it has been written. */
  #current: CurrentSegment;
  #queue: Queued[] = [];
  #seq = 0;
  #writtenSeq = 0;
  #durableSeq = 0;
  #waiters: SyncWaiter[] = [];
  #writeWaiters: SyncWaiter[] = [];
  #pumping = false;
  #failed: Error | undefined;
  #closed = false;
  #readers = new Map<number, RandomAccessFile>();
  #inUse = new Map<RandomAccessFile, number>();

  private constructor(dir: string, opts: FileRecordLogOptions, segments: number[], current: CurrentSegment, end: LogPosition) {
    this.dir = dir;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.maxRecord = opts.maxRecord ?? DEFAULT_MAX_RECORD;
    this.#segments = segments;
    this.#current = current;
    this.#end = end;
  }

  /** Opens (creating) the log in `dir`, recovering a torn tail of the last segment. */
  static async open(dir: string, opts: FileRecordLogOptions = {}): Promise<FileRecordLog> {
    await mkdirpDurable(dir);
    const maxRecord = opts.maxRecord ?? DEFAULT_MAX_RECORD;
    const segments = (await listDir(dir))
      .filter((n) => /^\d{8}\.log$/.test(n))
      .map((n) => Number(n.slice(0, 8)))
      .sort((a, b) => a - b);
    if (segments.length === 0) {
      const file = await FileRecordLog.#createSegment(dir, 1);
      return new FileRecordLog(dir, opts, [1], { segment: 1, file, written: HEADER_BYTES, dirty: false }, { segment: 1, offset: HEADER_BYTES });
    }
    const last = segments[segments.length - 1]!;
    const file = await RandomAccessFile.open(path.join(dir, segmentName(last)), false);
    const size = await file.size();
    const header = await file.readAt(0, HEADER_BYTES);
    let end = HEADER_BYTES;
    if (header.byteLength < HEADER_BYTES || !header.every((b, i) => b === SEGMENT_HEADER[i])) {
      // Only a segment whose creation the crash interrupted can lack its header: it held nothing.
      if (size > HEADER_BYTES && header.byteLength === HEADER_BYTES && header.some((b) => b !== 0)) {
        await file.close();
        throw new LogCorruptError(`${segmentName(last)}: bad segment header`);
      }
      await file.truncate(0);
      await file.writeAt(0, SEGMENT_HEADER);
      await file.sync();
    } else {
      const clean = { offset: HEADER_BYTES };
      for await (const _ of readFrames(file, last, size, HEADER_BYTES, maxRecord, clean)) {
        // just finding the clean end
      }
      end = clean.offset;
      if (end < size) {
        await file.truncate(end); // crash safety (3): drop the torn tail
        await file.sync();
      }
    }
    return new FileRecordLog(dir, opts, segments, { segment: last, file, written: end, dirty: false }, { segment: last, offset: end });
  }

  static async #createSegment(dir: string, n: number): Promise<RandomAccessFile> {
    const file = await RandomAccessFile.open(path.join(dir, segmentName(n)), true);
    await file.truncate(0);
    await file.writeAt(0, SEGMENT_HEADER);
    await file.sync();
    await fsyncDir(dir); // crash safety (2): the new file's entry is durable before it is used
    return file;
  }

  get end(): LogPosition {
    return this.#end;
  }

  segments(): readonly number[] {
    return this.#segments;
  }

  #check(): void {
    if (this.#failed) throw new LogFailedError(`record log failed: ${this.#failed.message}`);
    if (this.#closed) throw new LogFailedError("record log is closed");
  }

  write(payload: Uint8Array): RecordLocation {
    this.#check();
    if (payload.byteLength === 0 || payload.byteLength > this.maxRecord) throw new RangeError(`record of ${payload.byteLength} octets (1..${this.maxRecord})`);
    const f = frame(payload);
    let { segment, offset } = this.#end;
    if (offset > HEADER_BYTES && offset + f.byteLength > this.segmentBytes) {
      segment += 1;
      offset = HEADER_BYTES;
    }
    const seq = ++this.#seq;
    this.#queue.push({ segment, offset, frame: f, seq });
    this.#end = { segment, offset: offset + f.byteLength };
    queueMicrotask(() => this.#pump());
    return { segment, offset: offset + FRAME_OVERHEAD, length: payload.byteLength };
  }

  async append(payload: Uint8Array): Promise<RecordLocation> {
    const loc = this.write(payload);
    await this.#waitDurable(this.#seq);
    return loc;
  }

  async sync(): Promise<void> {
    this.#check();
    await this.#waitDurable(this.#seq);
  }

  #waitDurable(seq: number): Promise<void> {
    if (seq <= this.#durableSeq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ seq, resolve, reject });
      this.#pump();
    });
  }

  #waitWritten(seq: number): Promise<void> {
    if (seq <= this.#writtenSeq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#writeWaiters.push({ seq, resolve, reject });
      this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#pumping || this.#failed) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 || this.#waiters.some((w) => w.seq > this.#durableSeq)) {
        const batch = this.#queue;
        this.#queue = [];
        let i = 0;
        while (i < batch.length) {
          const seg = batch[i]!.segment;
          let j = i;
          while (j < batch.length && batch[j]!.segment === seg) j++;
          if (seg !== this.#current.segment) await this.#rotate(seg);
          const group = batch.slice(i, j);
          await this.#current.file.writeAt(group[0]!.offset, concat(group.map((q) => q.frame)));
          this.#current.written = group[group.length - 1]!.offset + group[group.length - 1]!.frame.byteLength;
          this.#current.dirty = true;
          this.#writtenSeq = group[group.length - 1]!.seq;
          i = j;
        }
        this.#release(this.#writeWaiters, this.#writtenSeq, (w) => (this.#writeWaiters = w));
        if (this.#waiters.some((w) => w.seq > this.#durableSeq)) {
          const upTo = this.#writtenSeq;
          if (this.#current.dirty) {
            this.#current.dirty = false;
            await this.#current.file.sync();
          }
          this.#durableSeq = upTo;
          this.#release(this.#waiters, this.#durableSeq, (w) => (this.#waiters = w));
        }
      }
    } catch (e) {
      this.#fail(e as Error);
    } finally {
      this.#pumping = false;
    }
  }

  #release(list: SyncWaiter[], upTo: number, set: (l: SyncWaiter[]) => void): void {
    const keep: SyncWaiter[] = [];
    for (const w of list) (w.seq <= upTo ? w.resolve : () => keep.push(w))();
    set(keep);
  }

  async #rotate(seg: number): Promise<void> {
    const old = this.#current;
    if (old.dirty) await old.file.sync(); // crash safety (2)
    const file = await FileRecordLog.#createSegment(this.dir, seg);
    this.#readers.set(old.segment, old.file); // keep it for reads; closed with the others
    this.#current = { segment: seg, file, written: HEADER_BYTES, dirty: false };
    this.#segments.push(seg);
  }

  #fail(e: Error): void {
    this.#failed = e;
    const err = new LogFailedError(`record log failed: ${e.message}`);
    for (const w of [...this.#waiters, ...this.#writeWaiters]) w.reject(err);
    this.#waiters = [];
    this.#writeWaiters = [];
  }

  async #reader(segment: number): Promise<RandomAccessFile> {
    if (segment === this.#current.segment) return this.#current.file;
    let r = this.#readers.get(segment);
    if (r === undefined) {
      if (this.#readers.size >= 32) {
        // Evict the oldest handle that no read is using (a read in flight keeps its handle).
        for (const [k, v] of this.#readers) {
          if ((this.#inUse.get(v) ?? 0) > 0) continue;
          this.#readers.delete(k);
          await v.close();
          break;
        }
      }
      r = await RandomAccessFile.open(path.join(this.dir, segmentName(segment)), false);
      this.#readers.set(segment, r);
    }
    return r;
  }

  async read(loc: RecordLocation, offset = 0, length = loc.length - offset): Promise<Uint8Array> {
    this.#check();
    const n = Math.max(0, Math.min(length, loc.length - offset));
    if (n === 0) return new Uint8Array(0);
    // A record still in the queue is read once written (normally callers read durable records).
    if (comparePositions({ segment: loc.segment, offset: loc.offset + loc.length }, { segment: this.#current.segment, offset: this.#current.written }) > 0) {
      await this.#waitWritten(this.#seq);
    }
    const f = await this.#reader(loc.segment);
    this.#inUse.set(f, (this.#inUse.get(f) ?? 0) + 1);
    let data: Uint8Array;
    try {
      data = await f.readAt(loc.offset + offset, n);
    } finally {
      const left = this.#inUse.get(f)! - 1;
      if (left === 0) this.#inUse.delete(f);
      else this.#inUse.set(f, left);
    }
    if (data.byteLength !== n) throw new LogCorruptError(`segment ${loc.segment} is shorter than a record in it`);
    return data;
  }

  async *scan(from: LogPosition): AsyncGenerator<LogRecord> {
    for (const seg of this.#segments) {
      if (seg < from.segment) continue;
      const f = await this.#reader(seg);
      const size = seg === this.#current.segment ? this.#current.written : await f.size();
      const start = seg === from.segment ? Math.max(from.offset, HEADER_BYTES) : HEADER_BYTES;
      const end = { offset: start };
      yield* readFrames(f, seg, size, start, this.maxRecord, end);
      if (end.offset !== size && seg !== this.#current.segment) throw new LogCorruptError(`segment ${seg} is damaged at offset ${end.offset}`);
    }
  }

  async removeSegment(segment: number): Promise<void> {
    if (segment === this.#current.segment || segment >= this.#end.segment) throw new Error(`segment ${segment} is in use`);
    const r = this.#readers.get(segment);
    if (r !== undefined) {
      this.#readers.delete(segment);
      await r.close();
    }
    await removeFile(path.join(this.dir, segmentName(segment)));
    this.#segments = this.#segments.filter((s) => s !== segment);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (!this.#failed) await this.sync().catch(() => {});
    this.#closed = true;
    for (const r of this.#readers.values()) await r.close().catch(() => {});
    this.#readers.clear();
    await this.#current.file.close().catch(() => {});
  }
}

/**
 * The in-memory RecordLog for tests: same locations and ordering rules, no files. `crash()`
 * simulates power loss: records that were not yet made durable disappear.
 */
export class MemoryRecordLog implements RecordLog {
  readonly segmentBytes: number;
  #records: { loc: RecordLocation; payload: Uint8Array; next: LogPosition }[] = [];
  #durable = 0;
  #end: LogPosition = { segment: 1, offset: HEADER_BYTES };
  #segments = [1];
  #removed = new Set<number>();

  constructor(segmentBytes = DEFAULT_SEGMENT_BYTES) {
    this.segmentBytes = segmentBytes;
  }

  get end(): LogPosition {
    return this.#end;
  }

  segments(): readonly number[] {
    return this.#segments;
  }

  write(payload: Uint8Array): RecordLocation {
    if (payload.byteLength === 0) throw new RangeError("empty record");
    let { segment, offset } = this.#end;
    const size = FRAME_OVERHEAD + payload.byteLength;
    if (offset > HEADER_BYTES && offset + size > this.segmentBytes) {
      segment += 1;
      offset = HEADER_BYTES;
      this.#segments.push(segment);
    }
    const loc = { segment, offset: offset + FRAME_OVERHEAD, length: payload.byteLength };
    this.#end = { segment, offset: offset + size };
    this.#records.push({ loc, payload: payload.slice(), next: this.#end });
    return loc;
  }

  async append(payload: Uint8Array): Promise<RecordLocation> {
    const loc = this.write(payload);
    await this.sync();
    return loc;
  }

  async sync(): Promise<void> {
    await Promise.resolve();
    this.#durable = this.#records.length;
  }

  async read(loc: RecordLocation, offset = 0, length = loc.length - offset): Promise<Uint8Array> {
    if (this.#removed.has(loc.segment)) throw new LogCorruptError(`segment ${loc.segment} was removed`);
    const r = this.#records.find((x) => x.loc.segment === loc.segment && x.loc.offset === loc.offset);
    if (r === undefined) throw new LogCorruptError("no record at that location");
    return r.payload.slice(offset, offset + Math.max(0, length));
  }

  async *scan(from: LogPosition): AsyncGenerator<LogRecord> {
    for (const r of this.#records) {
      if (this.#removed.has(r.loc.segment)) continue;
      if (comparePositions({ segment: r.loc.segment, offset: r.loc.offset - FRAME_OVERHEAD }, from) >= 0) yield { location: r.loc, payload: r.payload, next: r.next };
    }
  }

  async removeSegment(segment: number): Promise<void> {
    if (segment >= this.#end.segment) throw new Error(`segment ${segment} is in use`);
    this.#removed.add(segment);
    this.#segments = this.#segments.filter((s) => s !== segment);
  }

  /** Power loss: forget every record that was not durable. */
  crash(): void {
    this.#records.length = this.#durable;
    const last = this.#records[this.#records.length - 1];
    this.#end = last ? last.next : { segment: 1, offset: HEADER_BYTES };
  }

  async close(): Promise<void> {}
}
