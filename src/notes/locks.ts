// The maildrop locks of POP-2: a POP3 session holds its account exclusively (RFC 1939 §8); IMAP
// sessions with INBOX selected share it with each other (IMAP-2) but not with POP3.

export class MaildropLocks {
  #pop3 = new Set<string>();
  #imap = new Map<string, number>();

  /** A release function, or undefined when the lock is taken ([IN-USE] / [INUSE]). */
  acquire(account: string, kind: "pop3" | "imap"): (() => void) | undefined {
    if (this.#pop3.has(account)) return undefined;
    if (kind === "pop3") {
      if ((this.#imap.get(account) ?? 0) > 0) return undefined;
      this.#pop3.add(account);
      let done = false;
      return () => {
        if (!done) this.#pop3.delete(account);
        done = true;
      };
    }
    this.#imap.set(account, (this.#imap.get(account) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.#imap.get(account) ?? 1) - 1;
      if (n <= 0) this.#imap.delete(account);
      else this.#imap.set(account, n);
    };
  }
}
