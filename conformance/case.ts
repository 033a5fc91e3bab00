// The case model. A case has a stable ID (`suite/REF/slug`), a level, the requirement text it
// checks and where that text comes from, and a `run` function that scripts the fake peers, drives
// the client and asserts on both sides through the CaseContext. A failed expectation throws
// CaseFailure (what was expected, what was seen); the runner catches it and keeps the wire log.

export type Level = "MUST" | "SHOULD" | "MAY";
export const LEVELS: readonly Level[] = ["MUST", "SHOULD", "MAY"];

export type SuiteName = "smtp-submission" | "smtp-list-relay" | "pop3";
export const SUITES: readonly SuiteName[] = ["smtp-submission", "smtp-list-relay", "pop3"];

/** What a case needs from the target beyond the plain port; without it the case is skipped. */
export type Need = "implicit-tls" | "exec";

export interface CaseDef<Ctx = unknown> {
  /** `smtp-submission/SUB-9/partial-envelope-denied`: suite, requirement, slug. Never renamed. */
  readonly id: string;
  readonly level: Level;
  /** Where the requirement is written: `shims SUB-9`, `RFC 5321 §4.5.2`, `im2000 §7 C-1`. */
  readonly ref: string;
  /** The requirement's text (or the part this case checks), quoted in failure reports. */
  readonly requirement: string;
  /** Changes a peer for everyone (e.g. refuses connections): runs alone, after the parallel ones. */
  readonly exclusive?: boolean;
  readonly needs?: readonly Need[];
  /** Overall limit before the multiplier; default 20 s. */
  readonly timeoutMs?: number;
  /** "script" (default), "model" (fast-check), "replay" (a recorded real-client session). */
  readonly kind?: "script" | "model" | "replay";
  run(t: Ctx): Promise<void>;
}

export function suiteOf(id: string): SuiteName {
  return id.slice(0, id.indexOf("/")) as SuiteName;
}

/** A failed expectation: the message says what was checked; expected/seen say how it differed. */
export class CaseFailure extends Error {
  override readonly name = "CaseFailure";
  readonly expected: string;
  readonly seen: string;
  /** More to show (e.g. a property's seed, path and shrunk commands). */
  readonly detail?: string;
  constructor(message: string, expected: string, seen: string, detail?: string) {
    super(message);
    this.expected = expected;
    this.seen = seen;
    this.detail = detail;
  }
}

/** The case cannot run against this target (e.g. no implicit-TLS port given). */
export class CaseSkip extends Error {
  override readonly name = "CaseSkip";
}

export type Status = "pass" | "fail" | "error" | "skip" | "xfail" | "xpass";

export interface CaseResult {
  readonly id: string;
  readonly suite: SuiteName;
  readonly level: Level;
  readonly ref: string;
  readonly requirement: string;
  readonly status: Status;
  readonly durationMs: number;
  /** For fail/error/xfail: what went wrong. */
  readonly failure?: { readonly message: string; readonly expected?: string; readonly seen?: string; readonly detail?: string };
  readonly skipReason?: string;
  /** Kept for failures (and with --verbose, for every case). */
  readonly log?: readonly import("./wire-log.ts").WireEntry[];
}

/** True when the status counts as a failure of the requirement (after expected failures). */
export function isFailing(s: Status): boolean {
  return s === "fail" || s === "error";
}

/** Throws CaseFailure unless `ok`. */
export function check(ok: boolean, message: string, expected: string, seen: string): asserts ok {
  if (!ok) throw new CaseFailure(message, expected, seen);
}
