// The wire log of one case: every line the test client sent and received, every IM2000 PDU the
// fake peers received and sent (decoded to a readable form), and notable events (connections
// opened and closed, faults injected), in arrival order with timestamps and connection ids.
// A failing case prints it, and the JSON and HTML reports carry it, so an implementer sees both
// sides of the conversation that went wrong.

/** Who wrote an entry: the runner's client, the shim (as seen by a peer), a fake peer, or the runner. */
export type WireFrom = "client" | "shim" | "store" | "rna" | "runner";

export interface WireEntry {
  /** Milliseconds since the case started. */
  readonly t: number;
  /** Connection id: `smtp#1`, `pop3#2`, `msoap#7`, `msrap#3`, `rnaqp#1`, or `case`. */
  readonly conn: string;
  readonly from: WireFrom;
  /** "line" (text protocol), "pdu" (decoded IM2000 PDU) or "event". */
  readonly kind: "line" | "pdu" | "event";
  readonly text: string;
}

export class WireLog {
  readonly entries: WireEntry[] = [];
  readonly #start: number;
  /** Entries beyond this are dropped (a runaway shim must not exhaust the runner's memory). */
  readonly #max: number;
  #dropped = 0;

  constructor(start = Date.now(), max = 5000) {
    this.#start = start;
    this.#max = max;
  }

  add(conn: string, from: WireFrom, kind: WireEntry["kind"], text: string, at = Date.now()): void {
    if (this.entries.length >= this.#max) {
      this.#dropped++;
      return;
    }
    this.entries.push({ t: Math.max(0, at - this.#start), conn, from, kind, text: clip(text) });
  }

  event(conn: string, text: string): void {
    this.add(conn, "runner", "event", text);
  }

  /** Forgets everything so far (a property keeps only the replay of its shrunk counterexample). */
  clear(): void {
    this.entries.splice(0, this.entries.length);
    this.#dropped = 0;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Entries in time order (peers and client append from different connections). */
  sorted(): WireEntry[] {
    return [...this.entries].sort((a, b) => a.t - b.t);
  }
}

const MAX_TEXT = 500;

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length - MAX_TEXT} more characters)` : s;
}

const arrows: Record<WireFrom, string> = { client: "C:", shim: "S:", store: "store:", rna: "rna:", runner: "--" };

/** One entry as a terminal line: `+0.012s smtp#1      C: EHLO conformance.test`. */
export function formatEntry(e: WireEntry): string {
  const t = `+${(e.t / 1000).toFixed(3)}s`;
  let who = arrows[e.from];
  // On IM2000 connections the shim is the client: say so rather than reuse C:/S:.
  if (e.kind === "pdu") who = e.from === "shim" ? "shim→" : `←${e.from}`;
  return `${t.padStart(9)} ${e.conn.padEnd(9)} ${who.padEnd(6)} ${e.text}`;
}

export function formatLog(entries: readonly WireEntry[]): string {
  return entries.map(formatEntry).join("\n");
}

/** Makes a received or sent line printable: CR/LF and control octets shown escaped. */
export function printable(line: string): string {
  return line.replace(/[\x00-\x08\x0b-\x1f\x7f]|\r|\n/g, (c) => (c === "\r" ? "\\r" : c === "\n" ? "\\n" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}
