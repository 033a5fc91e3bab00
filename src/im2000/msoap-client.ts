// MsoapClient: what an originator MUA (or a submission shim) does over MSOAP (im2000.md §9.4):
// authenticate, submit (envelope, then contiguous chunks, the last with islast), track, cancel.
// A submission can be streamed: the SMTP shim sends chunks while DATA is still arriving.

import { Im2000ProtocolError, Im2000StatusError } from "./errors.ts";
import { ClientSession, type ClientTarget } from "./client-session.ts";
import { MSOAP, type CommandSubmitEnvelope, type MsoapCommandData, type MsoapResponse, type MsoapResponseData, type RecipientDeliveryStatus } from "./msoap.ts";
import type { Conn } from "../runtime/net.ts";
import type { ClientTimeouts } from "./client-session.ts";

export const DEFAULT_CHUNK_SIZE = 65_536;

export type Envelope = CommandSubmitEnvelope;

/** The store's verdict on an envelope (§9.4 T-MSOAP-2 step 2, §18 C-1 a). */
export interface EnvelopeOutcome {
  readonly status: number;
  readonly statusName: string;
  readonly forceabort: boolean;
  /** One SubmissionStatus per envelope recipient, in order (empty when the store sent none). */
  readonly recipients: readonly number[];
  readonly lists: readonly number[];
  /** Present when the transaction continues (noerror, or a partial denial without abort). */
  readonly submission?: Submission;
}

function fail(rsp: MsoapResponse): never {
  throw new Im2000StatusError("MSOAP", rsp.status, MSOAP.statusName(rsp.status), rsp.forceabort);
}

/** The open chunk phase of one submission transaction. */
export class Submission {
  readonly #client: MsoapClient;
  readonly #chunkSize: number;
  #offset = 0;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #done = false;

  constructor(client: MsoapClient, chunkSize: number) {
    this.#client = client;
    this.#chunkSize = chunkSize;
  }

  /** Octets the store has acknowledged so far. */
  get offset(): number {
    return this.#offset;
  }

  async #send(data: Uint8Array, islast: boolean): Promise<MsoapResponse> {
    const rsp = await this.#client.session.request({ commanddata: { kind: "commandSubmitMsgChunk", value: { islast, offset: this.#offset, data } } });
    if (rsp.status !== MSOAP.status.noerror || rsp.forceabort) {
      this.#done = true;
      this.#client.endTransaction();
      fail(rsp);
    }
    this.#offset += data.byteLength;
    return rsp;
  }

  #takeChunk(): Uint8Array {
    const n = Math.min(this.#chunkSize, this.#pendingBytes);
    const first = this.#pending[0]!;
    if (first.byteLength === n) {
      this.#pending.shift();
      this.#pendingBytes -= n;
      return first;
    }
    if (first.byteLength > n) {
      this.#pending[0] = first.subarray(n);
      this.#pendingBytes -= n;
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const c = this.#pending[0]!;
      const k = Math.min(c.byteLength, n - got);
      out.set(c.subarray(0, k), got);
      got += k;
      if (k === c.byteLength) this.#pending.shift();
      else this.#pending[0] = c.subarray(k);
    }
    this.#pendingBytes -= n;
    return out;
  }

  /** Queues message octets; sends every full chunk (shims SUB-10: streamed as it arrives). */
  async write(data: Uint8Array): Promise<void> {
    if (this.#done) throw new Error("submission already finished");
    if (data.byteLength === 0) return;
    this.#pending.push(data);
    this.#pendingBytes += data.byteLength;
    // Keep the last full chunk back only if nothing follows it: finish() sends it with islast.
    while (this.#pendingBytes > this.#chunkSize) await this.#send(this.#takeChunk(), false);
  }

  /** Octets queued but not yet sent to the store. */
  get pending(): number {
    return this.#pendingBytes;
  }

  /**
   * Sends whatever is queued as a non-final chunk now (chunks may be shorter than chunkSize), so
   * a slowly arriving message keeps the store's idle timer from expiring.
   */
  async flush(): Promise<void> {
    if (this.#done) throw new Error("submission already finished");
    while (this.#pendingBytes > 0) await this.#send(this.#takeChunk(), false);
  }

  /** Sends what is left with islast=TRUE; returns the originator identifier (§9.4 step 4). */
  async finish(): Promise<Uint8Array> {
    if (this.#done) throw new Error("submission already finished");
    while (this.#pendingBytes > this.#chunkSize) await this.#send(this.#takeChunk(), false);
    const last = this.#pendingBytes > 0 ? this.#takeChunk() : new Uint8Array(0);
    const rsp = await this.#send(last, true);
    this.#done = true;
    this.#client.endTransaction();
    const body = rsp.responsedata;
    if (body.kind !== "responseSubmitMsgChunk" || body.value.identifier === undefined) {
      this.#client.session.abandon();
      throw new Im2000ProtocolError("MSOAP: the final chunk's response carries no identifier");
    }
    return body.value.identifier;
  }

  /**
   * Abandons the transaction by closing the connection mid-transaction: the store must abort it
   * (§4 item 8; shims SUB-9). The client must reconnect for further work.
   */
  abandon(): void {
    this.#done = true;
    this.#client.session.abandon();
    this.#client.endTransaction();
  }
}

export class MsoapClient {
  readonly session: ClientSession<MsoapCommandData, MsoapResponseData>;
  #inTransaction = false;

  constructor(session: ClientSession<MsoapCommandData, MsoapResponseData>) {
    this.session = session;
  }

  static async connect(target: ClientTarget): Promise<MsoapClient> {
    return new MsoapClient(await ClientSession.open(MSOAP, target));
  }

  static over(conn: Conn, opts: ClientTimeouts = {}): MsoapClient {
    return new MsoapClient(new ClientSession(MSOAP, conn, opts));
  }

  get usable(): boolean {
    return this.session.usable;
  }

  get inTransaction(): boolean {
    return this.#inTransaction;
  }

  /** @internal called by Submission when its transaction ends. */
  endTransaction(): void {
    this.#inTransaction = false;
  }

  #guard(): void {
    if (this.#inTransaction) throw new Error("MSOAP: a submission transaction is open (im2000 §4 item 1)");
  }

  /** T-MSOAP-1. Throws Im2000StatusError (errornotauthenticated, …) on refusal. */
  async authenticate(account: string, password: string): Promise<void> {
    this.#guard();
    const rsp: MsoapResponse = await this.session.request({ commanddata: { kind: "commandAuthenticate", value: { account, password } } });
    if (rsp.status !== MSOAP.status.noerror) fail(rsp);
  }

  /**
   * T-MSOAP-2 steps 1-2. Never throws for a store verdict: read `status`, `recipients` and
   * `submission`. Throws for transport or protocol failures.
   */
  async beginSubmission(envelope: Envelope, chunkSize = DEFAULT_CHUNK_SIZE): Promise<EnvelopeOutcome> {
    this.#guard();
    const rsp: MsoapResponse = await this.session.request({ commanddata: { kind: "commandSubmitEnvelope", value: envelope } });
    const body = rsp.responsedata.kind === "responseSubmitEnvelope" ? rsp.responsedata.value : {};
    const recipients = body.recipients ?? [];
    const lists = body.lists ?? [];
    // §18 C-3: when present, one entry per envelope entry; a mismatch is handled as §7 C-2.
    const expectR = envelope.recipients?.length ?? 0;
    const expectL = envelope.lists?.length ?? 0;
    if (rsp.responsedata.kind === "responseSubmitEnvelope" && (recipients.length !== expectR || lists.length !== expectL)) {
      this.session.abandon();
      throw new Im2000ProtocolError(`MSOAP: envelope answer has ${recipients.length}/${lists.length} entries for ${expectR}/${expectL}`);
    }
    const continues = !rsp.forceabort && (rsp.status === MSOAP.status.noerror || rsp.status === MSOAP.status.errornotpermitted);
    if (continues) this.#inTransaction = true;
    return {
      status: rsp.status,
      statusName: MSOAP.statusName(rsp.status),
      forceabort: rsp.forceabort,
      recipients,
      lists,
      submission: continues ? new Submission(this, chunkSize) : undefined,
    };
  }

  /** A whole submission from bytes or a stream. Throws Im2000StatusError unless every entry was accepted. */
  async submit(envelope: Envelope, message: Uint8Array | AsyncIterable<Uint8Array>, chunkSize = DEFAULT_CHUNK_SIZE): Promise<{ identifier: Uint8Array; outcome: EnvelopeOutcome }> {
    const outcome = await this.beginSubmission(envelope, chunkSize);
    if (outcome.submission === undefined || outcome.status !== MSOAP.status.noerror) {
      outcome.submission?.abandon();
      throw new Im2000StatusError("MSOAP", outcome.status, outcome.statusName, outcome.forceabort);
    }
    const sub = outcome.submission;
    if (message instanceof Uint8Array) await sub.write(message);
    else for await (const chunk of message) await sub.write(chunk);
    return { identifier: await sub.finish(), outcome };
  }

  /** T-MSOAP-3. */
  async track(identifier: Uint8Array): Promise<RecipientDeliveryStatus[]> {
    this.#guard();
    const rsp: MsoapResponse = await this.session.request({ commanddata: { kind: "commandTrack", value: { identifier } } });
    if (rsp.status !== MSOAP.status.noerror || rsp.responsedata.kind !== "responseTrack") fail(rsp);
    return rsp.responsedata.value.recipients;
  }

  /** T-MSOAP-4. */
  async cancel(identifier: Uint8Array): Promise<void> {
    this.#guard();
    const rsp: MsoapResponse = await this.session.request({ commanddata: { kind: "commandCancel", value: { identifier } } });
    if (rsp.status !== MSOAP.status.noerror) fail(rsp);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
