// The IM2000 half of a reading shim (POP3 now, IMAP next), following the recipient-MUA procedure
// of im2000 §12.4: fetch notifications (RNAQP), save them durably, silence the stores, retrieve
// as often as wanted (MSRAP), un-pin, delete the saved notification.
//
// Implementation notes:
// - Login authenticates at the RNA with the client's own credentials (POP-1, IMAP-1), then takes
//   the maildrop lock, then repeats RetrieveAndClear until an empty answer (§18 C-10), saving each
//   batch durably before asking for the next, and closes that short RNAQP session.
// - Size queries, then Silence, run after login in the background on a session of their own
//   (store-pool.ts lanes); commands that need every size (STAT, LIST) wait for the size queries
//   only, and a retrieval never waits for either. A failed Silence is retried at the next login
//   (POP-3).
// - Content is streamed page by page; nothing holds a whole message (POP-7) or writes one to disk
//   (POP-13).

import { connectEndpoint, type Endpoint } from "../im2000/endpoint.ts";
import { Im2000StatusError } from "../im2000/errors.ts";
import type { LocateOptions } from "../im2000/locate.ts";
import { MsrapStatus, RetrievalType, type RetrievalTypeValue } from "../im2000/msrap.ts";
import { RnaqpClient } from "../im2000/rnaqp-client.ts";
import { RnaqpStatus } from "../im2000/rnaqp.ts";
import type { NewNote, NoteMailbox, NoteStore, SavedNote } from "../notes/notes.ts";
import { idForLog, type Logger } from "../util/log.ts";
import { placeholderParts } from "./placeholder.ts";
import { StorePool, StoreUnavailableError, type Lane, type StorePoolOptions } from "./store-pool.ts";

export { StoreUnavailableError } from "./store-pool.ts";

export interface ReaderOptions {
  /** The user's RNA (RNAQP), host:port or a domain for SRV (GEN-2). */
  readonly rna: Endpoint;
  readonly locate?: LocateOptions;
  readonly rnaConnectTimeoutMs?: number;
  readonly rnaResponseTimeoutMs?: number;
  readonly stores: Omit<StorePoolOptions, "log">;
  readonly notes: NoteStore;
  /** Octets asked for per MSRAP Retrieve (POP-7 paging). */
  readonly pageSize: number;
  readonly log: Logger;
}

export type LoginOutcome =
  | { readonly ok: true; readonly access: ReaderAccess; readonly fetched: number }
  | { readonly ok: false; readonly reason: "auth" | "in-use" | "temp"; readonly detail: string };

/** Authenticates, locks, fetches and saves (POP-1, POP-2). */
export async function login(o: ReaderOptions, account: string, password: string, lock: "pop3" | "imap" | undefined): Promise<LoginOutcome> {
  let rnaqp: RnaqpClient;
  try {
    const conn = await connectEndpoint(o.rna, "rnaqp", { ...o.locate, connectTimeoutMs: o.rnaConnectTimeoutMs ?? 15_000 });
    rnaqp = RnaqpClient.over(conn, { responseTimeoutMs: o.rnaResponseTimeoutMs ?? 60_000 });
  } catch (e) {
    o.log.log("warn", "rnaqp.unavailable", { error: (e as Error).message });
    return { ok: false, reason: "temp", detail: "the notification agent is unreachable" };
  }
  let release: (() => void) | undefined;
  let mailbox: NoteMailbox | undefined;
  try {
    try {
      await rnaqp.authenticate(account, password);
    } catch (e) {
      if (e instanceof Im2000StatusError && e.status === RnaqpStatus.errornotauthenticated) return { ok: false, reason: "auth", detail: "authentication failed" };
      throw e;
    }
    if (lock !== undefined) {
      release = o.notes.lock(account, lock);
      if (release === undefined) return { ok: false, reason: "in-use", detail: "the maildrop is in use by another session" };
    }
    mailbox = await o.notes.open(account);
    const access = new ReaderAccess(o, account, mailbox, release);
    const fetched = await access.fetch(rnaqp);
    release = undefined;
    mailbox = undefined;
    access.afterLogin();
    return { ok: true, access, fetched };
  } catch (e) {
    o.log.log("warn", "reader.login-failed", { error: (e as Error).message });
    return { ok: false, reason: "temp", detail: "the notification agent failed; try again later" };
  } finally {
    release?.();
    if (mailbox !== undefined) await o.notes.release(mailbox);
    await rnaqp.close().catch(() => {});
  }
}

/** Outcome of an un-pin (POP-9, POP-11, IMAP-6). */
export type UnpinOutcome = "unpinned" | "withdrawn" | "failed";

export class ReaderAccess {
  readonly account: string;
  readonly mailbox: NoteMailbox;
  readonly #o: ReaderOptions;
  readonly #pool: StorePool;
  #release: (() => void) | undefined;
  /** Duplicates dropped at login, to silence anyway (§18 C-5). */
  #duplicates: NewNote[] = [];
  /** Identifiers the store says are gone (POP-11): shown as placeholders. */
  readonly #withdrawn = new Set<number>();
  #background: Promise<void> = Promise.resolve();
  #sizesKnown: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(o: ReaderOptions, account: string, mailbox: NoteMailbox, release: (() => void) | undefined) {
    this.#o = o;
    this.account = account;
    this.mailbox = mailbox;
    this.#release = release;
    this.#pool = new StorePool({ ...o.stores, log: o.log });
  }

  /** RetrieveAndClear until empty, each batch saved durably before the next call (POP-2). */
  async fetch(rnaqp: RnaqpClient): Promise<number> {
    let saved = 0;
    await rnaqp.pollAll(async (batch) => {
      const r = await this.mailbox.add(batch.map((b) => ({ notification: b.notification, date: b.date })));
      saved += r.added.length;
      this.#duplicates.push(...r.duplicates);
      if (r.duplicates.length > 0) this.#o.log.log("info", "reader.duplicates", { count: r.duplicates.length });
    });
    if (saved > 0) this.#o.log.log("info", "reader.saved", { account: this.account, count: saved });
    return saved;
  }

  /** Starts size queries for unknown sizes, then Silence for everything not yet silenced. */
  afterLogin(): void {
    const notes = this.mailbox.list();
    const dups = this.#duplicates;
    this.#duplicates = [];
    // Sizes first: STAT and LIST wait for them (POP-5); Silence only has to happen (POP-3). One
    // request at a time (the lane is one session anyway), so 10,000 notes are not 10,000
    // pending promises.
    const sizes = (async () => {
      for (const n of notes) if (n.size === undefined) await this.size(n, "background").catch(() => 0);
    })();
    this.#sizesKnown = sizes;
    this.#background = (async () => {
      await sizes;
      for (const n of notes) if (!n.silenced) await this.#silence(n);
      for (const d of dups) await this.#silenceDuplicate(d);
    })();
  }

  /** Fetches again (IMAP NOOP/CHECK/IDLE, IMAP-2): a short RNAQP session, save, silence. */
  async poll(account: string, password: string): Promise<readonly SavedNote[]> {
    const conn = await connectEndpoint(this.#o.rna, "rnaqp", { ...this.#o.locate, connectTimeoutMs: this.#o.rnaConnectTimeoutMs ?? 15_000 });
    const rnaqp = RnaqpClient.over(conn, { responseTimeoutMs: this.#o.rnaResponseTimeoutMs ?? 60_000 });
    const before = this.mailbox.uidNext;
    try {
      await rnaqp.authenticate(account, password);
      await this.fetch(rnaqp);
    } finally {
      await rnaqp.close().catch(() => {});
    }
    const fresh = this.mailbox.list().filter((n) => n.uid >= before);
    this.afterLogin();
    return fresh;
  }

  async #silence(n: SavedNote): Promise<void> {
    try {
      await this.#pool.with(n.notification, (c) => c.silence(n.identifier), "background"); // ref: shims POP-3
      await this.mailbox.setSilenced(n.uid);
    } catch (e) {
      if (e instanceof Im2000StatusError && e.status === MsrapStatus.errornosuchmessage) {
        this.#withdrawn.add(n.uid);
        await this.mailbox.setSilenced(n.uid); // nothing left to silence
        return;
      }
      this.#o.log.log("info", "reader.silence-failed", { id: idForLog(n.identifier), error: (e as Error).message }); // retried at the next login
    }
  }

  async #silenceDuplicate(d: NewNote): Promise<void> {
    try {
      await this.#pool.with(d.notification, (c) => c.silence(d.notification.identifier), "background"); // ref: §18 C-5
    } catch {
      // the saved copy's silence (or the next login) covers it
    }
  }

  /** Waits for the post-login Silence and size work. */
  settled(): Promise<void> {
    return this.#background;
  }

  /** Waits for the post-login size queries only (STAT, LIST, IMAP RFC822.SIZE). */
  sizesKnown(): Promise<void> {
    return this.#sizesKnown;
  }

  isWithdrawn(n: SavedNote): boolean {
    return this.#withdrawn.has(n.uid);
  }

  /**
   * The exact size of the whole message (POP-5, IMAP-4 RFC822.SIZE): cached; from MSRAP
   * (Retrieve with length 0, which never changes the read status, §18 C-4); the placeholder's
   * size for a withdrawn message; the notification's own size only while the store is unreachable.
   */
  async size(n: SavedNote, lane: Lane = "foreground"): Promise<number> {
    const cached = this.mailbox.get(n.uid)?.size ?? n.size;
    if (cached !== undefined) return cached;
    if (this.#withdrawn.has(n.uid)) return placeholderSize(n);
    try {
      const size = await this.#pool.with(n.notification, (c) => c.size(n.identifier, RetrievalType.all), lane);
      await this.mailbox.setSize(n.uid, size);
      return size;
    } catch (e) {
      if (e instanceof Im2000StatusError && e.status === MsrapStatus.errornosuchmessage) {
        this.#withdrawn.add(n.uid);
        return placeholderSize(n);
      }
      return n.notification.size ?? 0;
    }
  }

  /**
   * The message (type all) or its header section (headersonly), page by page. Throws
   * StoreUnavailableError before the first octet when the store cannot be reached (POP-12);
   * a withdrawn message yields the placeholder (POP-11). A failure after the first page throws
   * StoreUnavailableError too: the caller must then drop the client connection.
   * `onSize` learns the representation's exact size before the first octet is yielded.
   */
  async *content(n: SavedNote, type: RetrievalTypeValue, onSize?: (size: number) => void): AsyncGenerator<Uint8Array> {
    if (this.#withdrawn.has(n.uid)) {
      onSize?.(placeholderSize(n, type));
      yield* placeholderContent(n, type);
      return;
    }
    let offset = 0;
    let size = -1;
    for (;;) {
      let page: { data: Uint8Array; size: number };
      try {
        page = await this.#pool.with(n.notification, (c) => c.retrieve(n.identifier, type, offset, this.#o.pageSize)); // ref: shims POP-7
      } catch (e) {
        if (e instanceof Im2000StatusError && e.status === MsrapStatus.errornosuchmessage && offset === 0) {
          this.#withdrawn.add(n.uid);
          onSize?.(placeholderSize(n, type));
          yield* placeholderContent(n, type);
          return;
        }
        if (e instanceof Im2000StatusError) throw new StoreUnavailableError(`${e.statusName} from the message store`);
        throw e;
      }
      if (size < 0) {
        onSize?.(page.size);
        if (type === RetrievalType.all && n.size === undefined) void this.mailbox.setSize(n.uid, page.size);
      }
      size = page.size;
      if (page.data.byteLength > 0) yield page.data;
      offset += page.data.byteLength;
      if (offset >= size) return;
      if (page.data.byteLength === 0) throw new StoreUnavailableError("the message store returned an empty page before the end");
    }
  }

  /** MSRAP UnPin (POP-9, IMAP-6). A withdrawn message counts as removable (POP-11). */
  async unpin(n: SavedNote): Promise<UnpinOutcome> {
    try {
      await this.#pool.with(n.notification, (c) => c.unpin(n.identifier));
      return "unpinned";
    } catch (e) {
      if (e instanceof Im2000StatusError && e.status === MsrapStatus.errornosuchmessage) return "withdrawn";
      this.#o.log.log("warn", "reader.unpin-failed", { id: idForLog(n.identifier), error: (e as Error).message });
      return "failed";
    }
  }

  /** Ends the session: closes store sessions cleanly, releases the lock and the mailbox. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#background.catch(() => {});
    await this.#pool.close();
    this.#release?.();
    this.#release = undefined;
    await this.#o.notes.release(this.mailbox);
  }
}

function placeholderSize(n: SavedNote, type: RetrievalTypeValue = RetrievalType.all): number {
  const p = placeholderParts(n);
  return p.header.byteLength + (type === RetrievalType.all ? p.body.byteLength : 0);
}

function* placeholderContent(n: SavedNote, type: RetrievalTypeValue): Generator<Uint8Array> {
  const p = placeholderParts(n);
  yield p.header;
  if (type === RetrievalType.all) yield p.body;
}
