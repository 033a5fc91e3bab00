// The notification store in memory: the same mailbox state machine with a journal that keeps
// nothing. For tests, and for shims run without a state directory (nothing survives a restart:
// acceptable only because stores re-notify until silenced, im2000 §12.1).

import { MaildropLocks } from "./locks.ts";
import { MailboxState, type Journal } from "./mailbox-state.ts";
import type { NoteMailbox, NoteStore } from "./notes.ts";

const nullJournal: Journal = { commit: async () => {}, defer: () => {} };

export class MemoryNoteStore implements NoteStore {
  readonly #mailboxes = new Map<string, MailboxState>();
  readonly #locks = new MaildropLocks();
  readonly #now: () => number;
  #nextValidity: number;

  constructor(now: () => number = () => Math.floor(Date.now() / 1000)) {
    this.#now = now;
    this.#nextValidity = now();
  }

  async open(account: string): Promise<NoteMailbox> {
    let m = this.#mailboxes.get(account);
    if (m === undefined) {
      m = new MailboxState(account, this.#now);
      m.apply({ kind: "header", value: { uidValidity: this.#nextValidity++ } });
      m.attach(nullJournal);
      this.#mailboxes.set(account, m);
    }
    return m;
  }

  async release(): Promise<void> {
    // Kept: memory is the only copy.
  }

  lock(account: string, kind: "pop3" | "imap"): (() => void) | undefined {
    return this.#locks.acquire(account, kind);
  }

  async close(): Promise<void> {}
}
