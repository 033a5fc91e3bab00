// The one command-table shape every text protocol uses (qmail's `struct commands`, mox's
// per-state command sets): a verb maps to the states it is allowed in and its handler. Lookup
// distinguishes "unknown verb" from "known but not now", which protocols answer differently
// (SMTP 500 vs 503, IMAP BAD vs BAD/NO).

export interface CommandEntry<S, H> {
  readonly states: readonly S[];
  readonly handler: H;
}

export type Lookup<H> = { readonly kind: "ok"; readonly handler: H } | { readonly kind: "unknown" } | { readonly kind: "wrong-state" };

export class CommandTable<S, H> {
  readonly #entries: ReadonlyMap<string, CommandEntry<S, H>>;

  constructor(entries: Readonly<Record<string, CommandEntry<S, H>>>) {
    this.#entries = new Map(Object.entries(entries).map(([k, v]) => [k.toUpperCase(), v]));
  }

  lookup(verb: string, state: S): Lookup<H> {
    const e = this.#entries.get(verb.toUpperCase());
    if (e === undefined) return { kind: "unknown" };
    if (!e.states.includes(state)) return { kind: "wrong-state" };
    return { kind: "ok", handler: e.handler };
  }

  /** Verbs allowed in a state (for HELP and for the command-in-every-state sweep tests). */
  verbs(state?: S): string[] {
    return [...this.#entries].filter(([, e]) => state === undefined || e.states.includes(state)).map(([k]) => k);
  }
}

/** Splits `VERB args` at the first space; the verb is upper-cased (clients send `ehlo`, `mail`). */
export function splitCommand(line: string): { verb: string; args: string } {
  const i = line.indexOf(" ");
  if (i < 0) return { verb: line.toUpperCase(), args: "" };
  return { verb: line.slice(0, i).toUpperCase(), args: line.slice(i + 1) };
}
