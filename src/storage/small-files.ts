// Small named files replaced atomically (checkpoints, snapshots, generated configuration).
//
// On-disk format: whatever the caller writes, one file per name in one directory.
//
// Crash safety: write() is the runtime's writeFileAtomic: a temporary file in the same
// directory, fsync, rename over the name, fsync of the directory. After a crash a reader sees
// either the previous content or the new one, never a mix, and once write() resolved the new
// content survives. Leftover temporary files (".tmp-*") from an interrupted write are removed
// by open().

import { listDir, mkdirpDurable, path, readFileIfExists, removeFile, writeFileAtomic } from "../runtime/fs.ts";

export interface SmallFiles {
  read(name: string): Promise<Uint8Array | undefined>;
  /** Durable and atomic once it resolves. */
  write(name: string, data: Uint8Array | string): Promise<void>;
  remove(name: string): Promise<void>;
}

function checkName(name: string): void {
  if (!/^[\w.-]+$/.test(name) || name.startsWith(".")) throw new RangeError(`bad file name ${JSON.stringify(name)}`);
}

export class DirSmallFiles implements SmallFiles {
  readonly dir: string;
  private constructor(dir: string) {
    this.dir = dir;
  }
  static async open(dir: string): Promise<DirSmallFiles> {
    await mkdirpDurable(dir);
    for (const n of await listDir(dir)) if (n.startsWith(".tmp-")) await removeFile(path.join(dir, n));
    return new DirSmallFiles(dir);
  }
  read(name: string): Promise<Uint8Array | undefined> {
    checkName(name);
    return readFileIfExists(path.join(this.dir, name));
  }
  write(name: string, data: Uint8Array | string): Promise<void> {
    checkName(name);
    return writeFileAtomic(path.join(this.dir, name), data);
  }
  remove(name: string): Promise<void> {
    checkName(name);
    return removeFile(path.join(this.dir, name));
  }
}

export class MemorySmallFiles implements SmallFiles {
  #files = new Map<string, Uint8Array>();
  async read(name: string): Promise<Uint8Array | undefined> {
    return this.#files.get(name)?.slice();
  }
  async write(name: string, data: Uint8Array | string): Promise<void> {
    checkName(name);
    this.#files.set(name, typeof data === "string" ? new TextEncoder().encode(data) : data.slice());
  }
  async remove(name: string): Promise<void> {
    this.#files.delete(name);
  }
}
