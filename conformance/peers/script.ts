// What a case tells a fake peer to answer. A script is a queue of replies per command kind: each
// command of that kind takes the next reply, and when the queue is empty the peer answers as a
// correct IM2000 peer would (the default behaviour lives in store.ts and rna.ts).
//
// A Reply can set the status (any status name of the peer's protocol), the forceabort flag,
// answer with ResponseNull instead of the command's own body (or the opposite), give per-recipient
// SubmissionStatus values, or replace the answer by a transport fault.

/** Faults injected instead of (or before) an answer. */
export type Fault =
  /** A frame whose contents are not a valid PDU (the client must end the session, im2000 §7 C-1). */
  | { readonly kind: "malformed" }
  /** A well-formed PDU that is a Command, not a Response (§7 C-1). */
  | { readonly kind: "not-a-response" }
  /** Closes the connection without answering. */
  | { readonly kind: "close" }
  /** Sends the first half of the answer's frame, then closes. */
  | { readonly kind: "close-mid-pdu" }
  /** Waits, then answers (a delay past the client's response timeout). */
  | { readonly kind: "delay"; readonly ms: number };

export type SubmissionVerdict = "acceptable" | "submissionaccessdenied";

export interface Reply {
  /** Status name in the peer's protocol (`errornotpermitted`, `errornosuchmessage`, …); default noerror. */
  readonly status?: string;
  /** Default: TRUE for an error status, FALSE for noerror (im2000 §18 C-1), except where C-1 says otherwise. */
  readonly forceabort?: boolean;
  /** "null": answer with ResponseNull; "own": with the command's own response body. Default per C-1. */
  readonly body?: "null" | "own";
  /** MSOAP envelope: one verdict per envelope recipient, in order. */
  readonly recipients?: readonly SubmissionVerdict[];
  /** MSOAP envelope: one verdict per list, in order. */
  readonly lists?: readonly SubmissionVerdict[];
  /** MSOAP final chunk: the originator identifier to hand out (default: random). */
  readonly identifier?: Uint8Array;
  readonly fault?: Fault;
}

export type CommandKind =
  // MSOAP
  | "authenticate"
  | "envelope"
  | "chunk"
  | "track"
  | "cancel"
  // MSRAP
  | "scanList"
  | "silence"
  | "unpin"
  | "querySize"
  | "retrieve"
  // RNAQP
  | "rnaAuthenticate"
  | "retrieveAndClear";

/** Per-command reply queues. */
export class ReplyQueue {
  #queues = new Map<CommandKind, Reply[]>();
  #counts = new Map<CommandKind, number>();

  push(kind: CommandKind, ...replies: Reply[]): void {
    const q = this.#queues.get(kind) ?? [];
    q.push(...replies);
    this.#queues.set(kind, q);
  }

  /** The next scripted reply for a command of this kind, or undefined (default behaviour). */
  take(kind: CommandKind): Reply | undefined {
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
    return this.#queues.get(kind)?.shift();
  }

  /** How many commands of this kind arrived so far. */
  count(kind: CommandKind): number {
    return this.#counts.get(kind) ?? 0;
  }
}
