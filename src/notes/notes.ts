// The notification store: the recipient MUA's "persistent storage" (im2000 §12.4; shims POP-2,
// IMAP-2, IMAP-3, IMAP-5). For each account, the notifications the reading shims fetched from the
// RNA, in arrival order, each with an IMAP-style UID (strictly increasing, never reused), the
// per-UID flags the IMAP shim keeps locally, the message size once the store told us (POP-5), and
// whether Silence reached the store (POP-3). Tombstones remember identifiers un-pinned in the
// last 90 days so re-notifications are dropped (§18 C-5, GEN-6).
//
// Every change that acknowledges something to a client is durable before the promise resolves.
// An account's mailbox is opened (loaded) only while a session uses it; the store as a whole is
// never loaded.

import type { Notification } from "../im2000/types.ts";

/** One saved notification. */
export interface SavedNote {
  /** Strictly increasing per account, never reused (IMAP-3). */
  readonly uid: number;
  /** The 16-octet recipient identifier (the capability presented to the store). */
  readonly identifier: Uint8Array;
  readonly notification: Notification;
  /** When the RNA accepted it, seconds since 1970 (NotificationAndLocalData.date; INTERNALDATE). */
  readonly date: number;
  /** Exact size of the whole message from MSRAP, once known (POP-5). */
  readonly size: number | undefined;
  /** IMAP flags and keywords kept locally (IMAP-5); never sent to the store. */
  readonly flags: readonly string[];
  /** Silence was acknowledged by the store (POP-3: otherwise retried at later logins). */
  readonly silenced: boolean;
}

export interface NewNote {
  readonly notification: Notification;
  readonly date: number;
}

export type MailboxChange =
  | { readonly kind: "added"; readonly notes: readonly SavedNote[] }
  | { readonly kind: "removed"; readonly uids: readonly number[] }
  | { readonly kind: "flags"; readonly uid: number; readonly flags: readonly string[] };

/** One account's notifications, opened. Shared by every session of that account. */
export interface NoteMailbox {
  readonly account: string;
  /** Changes only if the store for this account is reset (IMAP-3). */
  readonly uidValidity: number;
  readonly uidNext: number;
  /** Saved notifications, oldest first (POP-4). */
  list(): readonly SavedNote[];
  get(uid: number): SavedNote | undefined;
  /**
   * Saves new notifications durably (resolves after fsync). Duplicates — an identifier already
   * saved, in this batch twice, or tombstoned — are dropped and returned separately, so the
   * caller can still silence them (§18 C-5).
   */
  add(batch: readonly NewNote[]): Promise<{ readonly added: readonly SavedNote[]; readonly duplicates: readonly NewNote[] }>;
  /** Records the size from MSRAP (a cache: durable eventually, not necessarily at once). */
  setSize(uid: number, size: number): Promise<void>;
  /** Records that Silence succeeded. */
  setSilenced(uid: number): Promise<void>;
  /** Replaces a message's flags (durable before resolving). */
  setFlags(uid: number, flags: readonly string[]): Promise<void>;
  /** Removes notifications after their un-pin, leaving tombstones (durable before resolving). */
  remove(uids: readonly number[]): Promise<void>;
  /** Subscribes to changes made by any session (IMAP EXISTS/EXPUNGE/FETCH FLAGS). */
  watch(fn: (c: MailboxChange) => void): () => void;
}

export interface NoteStore {
  /** Opens (loading if needed) an account's mailbox; close it with release(). */
  open(account: string): Promise<NoteMailbox>;
  /** Drops one user of the mailbox; the last release unloads it. */
  release(mailbox: NoteMailbox): Promise<void>;
  /**
   * The POP3 maildrop lock (POP-2): exclusive per account. Returns a release function, or
   * undefined when another session holds it. `kind` lets IMAP SELECT INBOX coexist with other
   * IMAP sessions but not with POP3.
   */
  lock(account: string, kind: "pop3" | "imap"): (() => void) | undefined;
  close(): Promise<void>;
}

/** C-5: tombstones are kept this long. */
export const TOMBSTONE_SECONDS = 90 * 24 * 3600;

/** UIDL / logs: the identifier in lower-case hex. */
export { toHex as hexIdentifier } from "../util/bytes.ts";
