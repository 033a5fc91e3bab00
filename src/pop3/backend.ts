// What the POP3 session needs from the IM2000 side (src/pop3/im2000-backend.ts): a login that
// yields a frozen maildrop, and per-message sizes, content and deletion.

export interface Pop3Maildrop {
  /** Messages at login (POP-4: frozen). */
  readonly count: number;
  /** UIDL of message n (1-based): the identifier in lower-case hex (POP-6). */
  uid(n: number): string;
  /** Exact sizes of messages 1..count (POP-5). */
  sizes(): Promise<readonly number[]>;
  /**
   * Content of message n: the whole message, or only its header section. Fails (ok: false) only
   * when nothing could be fetched (POP-12); a withdrawn message yields a placeholder (POP-11).
   * `size` is the exact size of what `body` will yield, when the first page already told it
   * (so RETR can answer without waiting for every message's size).
   */
  open(n: number, part: "all" | "headers"): Promise<{ readonly ok: true; readonly body: AsyncIterable<Uint8Array>; readonly size?: number } | { readonly ok: false; readonly detail: string }>;
  /** The UPDATE state (POP-9): un-pin and remove these; returns how many could not be removed. */
  update(marked: readonly number[]): Promise<number>;
  /** Releases the lock and every IM2000 session (no un-pinning: POP-10). */
  close(): Promise<void>;
}

export type Pop3LoginResult =
  | { readonly ok: true; readonly maildrop: Pop3Maildrop }
  | { readonly ok: false; readonly reason: "auth" | "in-use" | "temp"; readonly detail: string };

export interface Pop3Backend {
  /** POP-1, POP-2: credentials to the RNA, then lock, fetch, save. */
  login(account: string, password: string): Promise<Pop3LoginResult>;
}
