// One SMTP transaction as one MSOAP submission transaction (shims SUB-4, SUB-9, SUB-10, SUB-11):
// the envelope at DATA, the content streamed as chunks while it arrives, the identifier in the
// final 250. Shared by the submission shim and the list relay.

import { Im2000StatusError } from "../im2000/errors.ts";
import { MsoapStatus, SubmissionStatus } from "../im2000/msoap.ts";
import type { Envelope, Submission } from "../im2000/msoap-client.ts";
import type { MailBox } from "../im2000/types.ts";
import { idForLog, type Logger } from "../util/log.ts";
import { toHex } from "../util/bytes.ts";
import type { SmtpMailbox } from "./address.ts";
import type { MessageSink } from "./backend.ts";
import type { MsoapLink } from "./msoap-link.ts";
import { replyForError, replyForStatus } from "./msoap-replies.ts";
import { reply, type Reply } from "./reply.ts";

export interface SubmitOptions {
  /** SUB-10: at most this many octets per CommandSubmitMsgChunk (default 65536). */
  readonly chunkSize: number;
  /** SUB-10: the DATA verb is answered within this time (default 90 s), else 451 4.4.1. */
  readonly envelopeTimeoutMs: number;
  /** A partial chunk is sent after this long without one, so the store's idle timer never fires. */
  readonly flushIdleMs: number;
  readonly log: Logger;
}

export type BeginResult = { readonly ok: true; readonly sink: MessageSink } | { readonly ok: false; readonly reply: Reply; readonly close?: boolean };

/** SUB-7: an SMTP mailbox as an IM2000 MailBox. */
export function toMailBox(m: SmtpMailbox): MailBox {
  return { localpart: m.localpart, domain: [...m.labels] };
}

const TIMEOUT = Symbol("timeout");

/**
 * The envelope phase: CommandSubmitEnvelope and the store's verdict. `names` describe the
 * envelope entries (recipients then lists) for the reply that refuses them.
 */
export async function beginSubmission(link: MsoapLink, envelope: Envelope, names: { recipients: readonly string[]; lists: readonly string[] }, opts: SubmitOptions, prefix?: Uint8Array): Promise<BeginResult> {
  let outcome;
  try {
    const client = await link.ready();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const raced = await Promise.race([
      client.beginSubmission(envelope, opts.chunkSize),
      new Promise<typeof TIMEOUT>((r) => (timer = setTimeout(() => r(TIMEOUT), opts.envelopeTimeoutMs))),
    ]).finally(() => clearTimeout(timer));
    if (raced === TIMEOUT) {
      link.abandon(); // the store may still act on the envelope; an unclean close makes it abort
      opts.log.log("warn", "msoap.envelope-timeout", { ms: opts.envelopeTimeoutMs });
      return { ok: false, reply: reply(451, "4.4.1", "The message store did not answer in time; try again later") };
    }
    outcome = raced;
  } catch (e) {
    if (!(e instanceof Im2000StatusError)) link.abandon();
    opts.log.log("warn", "msoap.envelope-failed", { error: (e as Error).message });
    const r = replyForError(e);
    return { ok: false, reply: r, close: r.code === 421 };
  }
  if (outcome.status === MsoapStatus.noerror && !outcome.forceabort && outcome.submission !== undefined) {
    return { ok: true, sink: new MsoapSink(outcome.submission, link, opts, prefix) };
  }
  if (outcome.status === MsoapStatus.errornotpermitted) {
    // ref: shims SUB-9 — name every refused entry; store nothing. A partially accepted envelope
    // leaves the transaction open at the store: abandon it by closing that MSOAP connection.
    if (outcome.submission !== undefined) link.abandon();
    const refused = [
      ...names.recipients.filter((_, i) => outcome.recipients[i] === SubmissionStatus.submissionaccessdenied),
      ...names.lists.filter((_, i) => outcome.lists[i] === SubmissionStatus.submissionaccessdenied),
    ];
    const shown = refused.length > 0 ? refused : [...names.recipients, ...names.lists];
    opts.log.log("info", "submission.refused", { refused: shown.length, of: names.recipients.length + names.lists.length });
    return { ok: false, reply: reply(554, "5.7.1", `The message store refused ${shown.length} recipient(s); nothing was sent:`, ...shown.map((n) => `<${n}>`)) };
  }
  outcome.submission?.abandon();
  if (outcome.status === MsoapStatus.errorlifetimetooshort) opts.log.log("error", "config.lifetime-too-short", { hint: "raise the shim's lifetime setting to the store's minimum" });
  const r = replyForStatus(outcome.status);
  return { ok: false, reply: r, close: r.code === 421 };
}

/** Streams content into the open submission; the final reply only after the store's answer. */
class MsoapSink implements MessageSink {
  readonly #sub: Submission;
  readonly #link: MsoapLink;
  readonly #opts: SubmitOptions;
  #failure: unknown;
  #done = false;
  #queue: Promise<void> = Promise.resolve();
  /** When the store last received a chunk (or the envelope): what its idle timer measures. */
  #lastToStore = Date.now();
  #offsetSeen = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #size = 0;

  constructor(sub: Submission, link: MsoapLink, opts: SubmitOptions, prefix?: Uint8Array) {
    this.#sub = sub;
    this.#link = link;
    this.#opts = opts;
    if (prefix !== undefined) void this.write(prefix);
    this.#timer = setInterval(() => this.#idleFlush(), Math.max(50, opts.flushIdleMs / 2));
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #fail(e: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = e;
    // A store that aborted the transaction (forceabort) keeps the session; anything else does not.
    if (!(e instanceof Im2000StatusError)) this.#link.abandon();
    this.#opts.log.log("warn", "submission.failed", { error: (e as Error).message });
  }

  #enqueue(fn: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      if (this.#failure !== undefined || this.#done) return;
      try {
        await fn();
        if (this.#sub.offset !== this.#offsetSeen) {
          this.#offsetSeen = this.#sub.offset;
          this.#lastToStore = Date.now();
        }
      } catch (e) {
        this.#fail(e);
      }
    });
    return this.#queue;
  }

  #idleFlush(): void {
    if (this.#done || this.#failure !== undefined) return;
    // Measured from the last chunk the store saw, not the last octet the client sent: a client
    // trickling a line at a time must not starve the store's idle timer.
    if (Date.now() - this.#lastToStore >= this.#opts.flushIdleMs && this.#sub.pending > 0) void this.#enqueue(() => this.#sub.flush());
  }

  write(bytes: Uint8Array): Promise<void> {
    this.#size += bytes.byteLength;
    // The store may be slow: awaiting here is the backpressure that stops us reading the client.
    return this.#enqueue(() => this.#sub.write(bytes));
  }

  async finish(): Promise<Reply> {
    await this.#queue;
    this.#stop();
    if (this.#failure !== undefined) {
      const r = replyForError(this.#failure);
      return r;
    }
    try {
      const id = await this.#sub.finish(); // ref: shims SUB-11 — 250 only after the store's answer
      this.#done = true;
      const hex = toHex(id);
      this.#opts.log.log("info", "submission.accepted", { id: idForLog(id), size: this.#size });
      return reply(250, "2.0.0", `Message accepted by the IM2000 message store; originator identifier ${hex}`);
    } catch (e) {
      this.#fail(e);
      return replyForError(e);
    }
  }

  abandon(): void {
    if (this.#done) return;
    this.#stop();
    this.#done = true;
    if (this.#failure === undefined) this.#link.abandon(); // unclean close: the store must abort (im2000 §4 item 8)
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
