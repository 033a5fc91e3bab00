// Storage: one object that opens the durable primitives by name under one root, so that a peer
// takes a `Storage` and tests hand it the in-memory one (DESIGN.md "Storage": behind an
// interface so that a shared database can take its place).

import { path } from "../runtime/fs.ts";
import { FileFixedArray, MemoryFixedArray, type FixedArray } from "./fixed-array.ts";
import { FileRecordLog, MemoryRecordLog, type FileRecordLogOptions, type RecordLog } from "./record-log.ts";
import { FileSlotTable, MemorySlotTable, type FileSlotTableOptions, type SlotTable } from "./slot-table.ts";
import { DirSmallFiles, MemorySmallFiles, type SmallFiles } from "./small-files.ts";

export interface Storage {
  /** A description for logs ("dir:/var/lib/im2000/store" or "memory"). */
  readonly where: string;
  openLog(name: string, opts?: FileRecordLogOptions): Promise<RecordLog>;
  openTable(name: string, opts: FileSlotTableOptions): Promise<SlotTable>;
  openArray(name: string, recordBytes: number): Promise<FixedArray>;
  openFiles(name: string): Promise<SmallFiles>;
}

function checkName(name: string): void {
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(name) || name.split("/").some((p) => p.startsWith("."))) throw new RangeError(`bad storage name ${JSON.stringify(name)}`);
}

/** Files under one directory: `<root>/<name>/` for logs, tables and small files; `<root>/<name>` for arrays. */
export class DirStorage implements Storage {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }
  get where(): string {
    return `dir:${this.root}`;
  }
  openLog(name: string, opts?: FileRecordLogOptions): Promise<RecordLog> {
    checkName(name);
    return FileRecordLog.open(path.join(this.root, name), opts);
  }
  openTable(name: string, opts: FileSlotTableOptions): Promise<SlotTable> {
    checkName(name);
    return FileSlotTable.open(path.join(this.root, name), opts);
  }
  openArray(name: string, recordBytes: number): Promise<FixedArray> {
    checkName(name);
    return FileFixedArray.open(path.join(this.root, name), recordBytes);
  }
  openFiles(name: string): Promise<SmallFiles> {
    checkName(name);
    return DirSmallFiles.open(path.join(this.root, name));
  }
}

/**
 * Everything in memory. Opening the same name twice returns the same object, so a test can
 * "restart" a peer on the same MemoryStorage (after MemoryRecordLog.crash(), for instance).
 */
export class MemoryStorage implements Storage {
  readonly where = "memory";
  #logs = new Map<string, MemoryRecordLog>();
  #tables = new Map<string, MemorySlotTable>();
  #arrays = new Map<string, MemoryFixedArray>();
  #files = new Map<string, MemorySmallFiles>();
  async openLog(name: string, opts?: FileRecordLogOptions): Promise<RecordLog> {
    let l = this.#logs.get(name);
    if (!l) this.#logs.set(name, (l = new MemoryRecordLog(opts?.segmentBytes)));
    return l;
  }
  async openTable(name: string, opts: FileSlotTableOptions): Promise<SlotTable> {
    let t = this.#tables.get(name);
    if (!t) this.#tables.set(name, (t = new MemorySlotTable(opts.valueBytes)));
    return t;
  }
  async openArray(name: string, recordBytes: number): Promise<FixedArray> {
    let a = this.#arrays.get(name);
    if (!a) this.#arrays.set(name, (a = new MemoryFixedArray(recordBytes)));
    return a;
  }
  async openFiles(name: string): Promise<SmallFiles> {
    let f = this.#files.get(name);
    if (!f) this.#files.set(name, (f = new MemorySmallFiles()));
    return f;
  }
}
