// The POP3 shim's IM2000 side: a maildrop made of saved notifications (POP-4), read through the
// shared reading-shim core (src/reader/).

import { RetrievalType } from "../im2000/msrap.ts";
import { hexIdentifier, type SavedNote } from "../notes/notes.ts";
import { login, StoreUnavailableError, type ReaderAccess, type ReaderOptions } from "../reader/reader.ts";
import type { Pop3Backend, Pop3LoginResult, Pop3Maildrop } from "./backend.ts";

export class Im2000Pop3Backend implements Pop3Backend {
  readonly #o: ReaderOptions;
  constructor(o: ReaderOptions) {
    this.#o = o;
  }

  async login(account: string, password: string): Promise<Pop3LoginResult> {
    const r = await login(this.#o, account, password, "pop3");
    if (!r.ok) return r;
    return { ok: true, maildrop: new NotesMaildrop(r.access) };
  }
}

class NotesMaildrop implements Pop3Maildrop {
  readonly #access: ReaderAccess;
  readonly #notes: readonly SavedNote[];
  #sizes: Promise<readonly number[]> | undefined;

  constructor(access: ReaderAccess) {
    this.#access = access;
    this.#notes = access.mailbox.list(); // ref: shims POP-4 — frozen at login, oldest first
  }

  get count(): number {
    return this.#notes.length;
  }

  uid(n: number): string {
    return hexIdentifier(this.#notes[n - 1]!.identifier);
  }

  sizes(): Promise<readonly number[]> {
    this.#sizes ??= (async () => {
      await this.#access.sizesKnown();
      return Promise.all(this.#notes.map((note) => this.#access.size(note)));
    })();
    return this.#sizes;
  }

  async open(n: number, part: "all" | "headers"): Promise<{ ok: true; body: AsyncIterable<Uint8Array>; size?: number } | { ok: false; detail: string }> {
    let size: number | undefined;
    const it = this.#access.content(this.#notes[n - 1]!, part === "all" ? RetrievalType.all : RetrievalType.headersonly, (s) => (size = s));
    let first: IteratorResult<Uint8Array>;
    try {
      first = await it.next(); // ref: shims POP-12 — fail before the +OK if nothing can be fetched
    } catch (e) {
      if (e instanceof StoreUnavailableError) return { ok: false, detail: "The message store is unreachable; try again later" };
      throw e;
    }
    async function* body(): AsyncGenerator<Uint8Array> {
      if (first.done) return;
      yield first.value;
      yield* it;
    }
    return { ok: true, body: body(), size };
  }

  async update(marked: readonly number[]): Promise<number> {
    const removable: number[] = [];
    let failed = 0;
    for (const n of marked) {
      const note = this.#notes[n - 1]!;
      const r = await this.#access.unpin(note); // ref: shims POP-9, POP-11
      if (r === "failed") failed++;
      else removable.push(note.uid);
    }
    await this.#access.mailbox.remove(removable);
    return failed;
  }

  close(): Promise<void> {
    return this.#access.close();
  }
}
