// Files, with the durability primitives the stores are built on (DESIGN.md "Storage"): a write is
// acknowledged only after fsync, new files appear atomically by rename, and the directory entry
// itself is fsynced so the rename survives a crash.

import fsp from "node:fs/promises";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";

export { path };

export async function readFile(p: string): Promise<Uint8Array> {
  const b = await fsp.readFile(p);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The file's bytes, or undefined when it does not exist. */
export async function readFileIfExists(p: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(p);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function readText(p: string): Promise<string> {
  return fsp.readFile(p, "utf8");
}

export function readTextSync(p: string): string {
  return fs.readFileSync(p, "utf8");
}

export function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "ENOENT";
}

export async function mkdirp(dir: string, mode = 0o700): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode });
}

export async function fsyncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

let tmpCounter = 0;

/**
 * Writes a whole file durably and atomically: temp file in the same directory, fsync, rename over
 * the target, fsync the directory. Readers see the old content or the new, never a mix.
 */
export async function writeFileAtomic(p: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const dir = path.dirname(p);
  const tmp = path.join(dir, `.tmp-${process.pid}-${++tmpCounter}-${path.basename(p)}`);
  const h = await fsp.open(tmp, "w", mode);
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  try {
    await fsp.rename(tmp, p);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** Like writeFileAtomic but without the directory fsync, for callers that batch it (group commit). */
export async function writeFileSynced(p: string, chunks: readonly Uint8Array[], mode = 0o600): Promise<void> {
  const h = await fsp.open(p, "w", mode);
  try {
    for (const c of chunks) await h.write(c);
    await h.sync();
  } finally {
    await h.close();
  }
}

export async function rename(from: string, to: string): Promise<void> {
  await fsp.rename(from, to);
}

export async function removeFile(p: string): Promise<void> {
  await fsp.rm(p, { force: true });
}

export async function removeTree(p: string): Promise<void> {
  await fsp.rm(p, { recursive: true, force: true });
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

export interface FileInfo {
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly mtimeMs: number;
}

export async function stat(p: string): Promise<FileInfo | undefined> {
  try {
    const s = await fsp.stat(p);
    return { size: s.size, mode: s.mode, uid: s.uid, isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export function statSync(p: string): FileInfo | undefined {
  try {
    const s = fs.statSync(p);
    return { size: s.size, mode: s.mode, uid: s.uid, isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * A small text file and the facts about the very file that was read (mode, owner), from one
 * open descriptor: a permission check on the result cannot be fooled by a rename between a
 * stat and a read (configuration files holding passwords, shims LOC-3). undefined when the file
 * does not exist; other failures (EACCES, EISDIR, …) are thrown with their `code`.
 */
export function readTextWithInfoSync(p: string, maxBytes = 1 << 20): { text: string; info: FileInfo } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, "r");
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  try {
    const s = fs.fstatSync(fd);
    const info: FileInfo = { size: s.size, mode: s.mode, uid: s.uid, isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
    if (!info.isFile) return { text: "", info };
    if (s.size > maxBytes) throw Object.assign(new Error(`${p} is larger than ${maxBytes} octets`), { code: "EFBIG" });
    const buf = new Uint8Array(s.size);
    let got = 0;
    while (got < buf.byteLength) {
      const n = fs.readSync(fd, buf, got, buf.byteLength - got, got);
      if (n === 0) break;
      got += n;
    }
    return { text: new TextDecoder().decode(buf.subarray(0, got)), info };
  } finally {
    fs.closeSync(fd);
  }
}

/** The `code` of a file-system error (`EACCES`, `ENOENT`, …), or undefined. */
export function errorCode(e: unknown): string | undefined {
  const c = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof c === "string" ? c : undefined;
}

export async function chmod(p: string, mode: number): Promise<void> {
  await fsp.chmod(p, mode);
}

export async function makeTempDir(prefix: string): Promise<string> {
  const os = await import("node:os");
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A file opened for appending records (journals); sync() makes everything written so far durable. */
export class AppendFile {
  #h: fsp.FileHandle;
  #size: number;
  private constructor(h: fsp.FileHandle, size: number) {
    this.#h = h;
    this.#size = size;
  }
  static async open(p: string, mode = 0o600): Promise<AppendFile> {
    const h = await fsp.open(p, "a", mode);
    const s = await h.stat();
    return new AppendFile(h, s.size);
  }
  get size(): number {
    return this.#size;
  }
  async append(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.byteLength) {
      const { bytesWritten } = await this.#h.write(data, off, data.byteLength - off);
      off += bytesWritten;
    }
    this.#size += data.byteLength;
  }
  async sync(): Promise<void> {
    await this.#h.sync();
  }
  async truncate(len: number): Promise<void> {
    await this.#h.truncate(len);
    this.#size = len;
  }
  async close(): Promise<void> {
    await this.#h.close();
  }
}

/** A file opened for random-access reads (paged retrieval without loading whole messages). */
export class ReadFile {
  #h: fsp.FileHandle;
  readonly size: number;
  private constructor(h: fsp.FileHandle, size: number) {
    this.#h = h;
    this.size = size;
  }
  static async open(p: string): Promise<ReadFile> {
    const h = await fsp.open(p, "r");
    const s = await h.stat();
    return new ReadFile(h, s.size);
  }
  /** Up to `length` bytes from `offset` (fewer at end of file). */
  async readAt(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.#h.read(buf, got, n - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === n ? buf : buf.subarray(0, got);
  }
  async close(): Promise<void> {
    await this.#h.close();
  }
}

/**
 * A file opened for positional reads and writes (the storage layer's logs, slot tables and
 * fixed-record arrays). Unlike ReadFile, reads are not clamped to the size seen at open time, so
 * a file that is still growing can be read up to what has been written.
 */
export class RandomAccessFile {
  #h: fsp.FileHandle;
  private constructor(h: fsp.FileHandle) {
    this.#h = h;
  }
  /** Opens read-write, creating the file when `create` is set (mode 0600 by default). */
  static async open(p: string, create: boolean, mode = 0o600): Promise<RandomAccessFile> {
    let h: fsp.FileHandle;
    try {
      h = await fsp.open(p, "r+");
    } catch (e) {
      if (!create || !isNotFound(e)) throw e;
      h = await fsp.open(p, "w+", mode);
    }
    return new RandomAccessFile(h);
  }
  async size(): Promise<number> {
    return (await this.#h.stat()).size;
  }
  /** Up to `length` bytes from `offset`; fewer at end of file. */
  async readAt(offset: number, length: number): Promise<Uint8Array> {
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.#h.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buf : buf.subarray(0, got);
  }
  /** Writes all of `data` at `offset` (not durable until sync()). */
  async writeAt(offset: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.#h.write(data, done, data.byteLength - done, offset + done);
      done += bytesWritten;
    }
  }
  /**
   * Synchronous positional read: for small reads served from the page cache (slot tables,
   * index arrays) a direct system call costs microseconds, a thread-pool round trip ten times
   * more. Never use it for large or cold reads.
   */
  readAtSync(offset: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(this.#h.fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }
  /** Synchronous positional write of a few octets (into the page cache; durable after sync()). */
  writeAtSync(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.byteLength) done += fs.writeSync(this.#h.fd, data, done, data.byteLength - done, offset + done);
  }
  async sync(): Promise<void> {
    await this.#h.sync();
  }
  async truncate(len: number): Promise<void> {
    await this.#h.truncate(len);
  }
  async close(): Promise<void> {
    await this.#h.close();
  }
}

/**
 * mkdir -p whose result survives a power loss: every directory it creates is followed by an
 * fsync of its parent, so the new entries are durable before anything is stored inside them.
 */
export async function mkdirpDurable(dir: string, mode = 0o700): Promise<void> {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while ((await stat(d)) === undefined) {
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing.reverse()) {
    try {
      await fsp.mkdir(m, { mode });
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
    }
    await fsyncDir(path.dirname(m));
  }
}
