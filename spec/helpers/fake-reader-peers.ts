// Scriptable fake RNA (RNAQP) and message store (MSRAP) for the reading shims' own tests: queued
// notifications per account, messages by identifier, withdrawn and un-pin-failing messages, and a
// record of every command received.

import { Im2000Server } from "../../src/im2000/server.ts";
import { RNAQP, RnaqpStatus, type RnaqpCommandData, type RnaqpResponse, type RnaqpResponseData } from "../../src/im2000/rnaqp.ts";
import { MSRAP, MsrapStatus, RetrievalType, type MsrapCommandData, type MsrapResponse, type MsrapResponseData } from "../../src/im2000/msrap.ts";
import type { Notification, NotificationAndLocalData } from "../../src/im2000/types.ts";
import { hexIdentifier } from "../../src/notes/notes.ts";

export class FakeRna {
  readonly accounts = new Map<string, string>();
  readonly queues = new Map<string, NotificationAndLocalData[]>();
  readonly received: RnaqpCommandData[] = [];
  authStatus: number | undefined;
  retrieveStatus: number | undefined;
  /** Cap per RetrieveAndClear answer (to exercise §18 C-10 repetition). */
  cap = 1000;
  server!: Im2000Server<RnaqpCommandData, RnaqpResponseData>;
  port = 0;

  static async start(): Promise<FakeRna> {
    const f = new FakeRna();
    f.server = new Im2000Server(RNAQP, { handle: (s, c) => f.#handle(s, c.commanddata) }, { maxSessions: 50, testMode: true });
    f.port = (await f.server.listen("127.0.0.1", 0)).port;
    return f;
  }

  queue(account: string, ...n: NotificationAndLocalData[]): void {
    const q = this.queues.get(account) ?? [];
    q.push(...n);
    this.queues.set(account, q);
  }

  #handle(s: import("../../src/im2000/server.ts").ServerSession, d: RnaqpCommandData): RnaqpResponse {
    this.received.push(d);
    if (d.kind === "commandAuthenticate") {
      if (this.authStatus !== undefined) return RNAQP.nullResponse(this.authStatus);
      if (this.accounts.get(d.value.account) !== d.value.password) {
        s.setAuthenticated(undefined);
        return RNAQP.nullResponse(RnaqpStatus.errornotauthenticated);
      }
      s.setAuthenticated(d.value.account);
      return { forceabort: false, status: 0, responsedata: { kind: "responseAuthenticate", value: {} } };
    }
    if (!s.authenticated) return RNAQP.nullResponse(RnaqpStatus.errornotauthenticated);
    if (this.retrieveStatus !== undefined) return RNAQP.nullResponse(this.retrieveStatus);
    const q = this.queues.get(s.account!) ?? [];
    const out = q.splice(0, this.cap);
    return { forceabort: false, status: 0, responsedata: { kind: "responseRetrieveAndClear", value: { notifications: out } } };
  }

  stop(): Promise<void> {
    return this.server.shutdown(500);
  }
}

export interface FakeMessage {
  data: Uint8Array;
  withdrawn?: boolean;
  /** Status (with forceabort) for Retrieve and QuerySize. */
  retrieveStatus?: number;
  unpinStatus?: number;
  pinned: boolean;
  silenced: boolean;
}

export class FakeMsrap {
  readonly messages = new Map<string, FakeMessage>();
  readonly received: MsrapCommandData[] = [];
  /** Largest page returned, to force paging. */
  maxPage = 1 << 20;
  /** Delay before every answer (a slow store). */
  delayMs = 0;
  /** While set, size queries (QuerySize, Retrieve of length 0) and Silence wait for it to resolve. */
  backgroundGate: Promise<void> | undefined;
  server!: Im2000Server<MsrapCommandData, MsrapResponseData>;
  port = 0;

  static async start(): Promise<FakeMsrap> {
    const f = new FakeMsrap();
    f.server = new Im2000Server(MSRAP, { handle: (_s, c) => f.#gated(c.commanddata) }, { maxSessions: 50, testMode: true });
    f.port = (await f.server.listen("127.0.0.1", 0)).port;
    return f;
  }

  commands(kind: MsrapCommandData["kind"]): MsrapCommandData[] {
    return this.received.filter((c) => c.kind === kind);
  }

  async #gated(d: MsrapCommandData): Promise<MsrapResponse> {
    const background = d.kind === "commandSilence" || d.kind === "commandQuerySize" || (d.kind === "commandRetrieve" && d.value.length === 0);
    if (background && this.backgroundGate !== undefined) await this.backgroundGate;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.#handle(d);
  }

  #handle(d: MsrapCommandData): MsrapResponse {
    this.received.push(d);
    const nosuch = () => MSRAP.nullResponse(MsrapStatus.errornosuchmessage, false);
    if (d.kind === "commandScanList") return nosuch();
    const m = this.messages.get(hexIdentifier(d.value.identifier));
    if (m === undefined || m.withdrawn) return nosuch();
    switch (d.kind) {
      case "commandSilence":
        m.silenced = true;
        return { forceabort: false, status: 0, responsedata: { kind: "responseSilence", value: {} } };
      case "commandUnPin":
        if (m.unpinStatus !== undefined) return MSRAP.nullResponse(m.unpinStatus);
        m.pinned = false;
        m.silenced = true;
        return { forceabort: false, status: 0, responsedata: { kind: "responseUnPin", value: {} } };
      case "commandQuerySize":
        if (m.retrieveStatus !== undefined) return MSRAP.nullResponse(m.retrieveStatus);
        return { forceabort: false, status: 0, responsedata: { kind: "responseQuerySize", value: { size: this.#repr(m, d.value.type).byteLength } } };
      case "commandRetrieve": {
        if (m.retrieveStatus !== undefined) return MSRAP.nullResponse(m.retrieveStatus);
        const r = this.#repr(m, d.value.type);
        const len = Math.min(d.value.length, this.maxPage);
        return { forceabort: false, status: 0, responsedata: { kind: "responseRetrieve", value: { data: r.subarray(Math.min(d.value.offset, r.byteLength), Math.min(d.value.offset + len, r.byteLength)), size: r.byteLength } } };
      }
    }
  }

  #repr(m: FakeMessage, type: number): Uint8Array {
    if (type === RetrievalType.all) return m.data;
    if (type === RetrievalType.nothing) return new Uint8Array(0);
    const text = new TextDecoder("latin1").decode(m.data);
    const end = text.indexOf("\r\n\r\n");
    return m.data.subarray(0, end < 0 ? m.data.byteLength : end + 4);
  }

  stop(): Promise<void> {
    return this.server.shutdown(500);
  }
}

let counter = 1;

/** A notification pointing at the fake store, plus the message it names. */
export function makeNote(store: FakeMsrap, account: string, data: string | Uint8Array, opts: { size?: number; sender?: string } = {}): NotificationAndLocalData {
  const identifier = new Uint8Array(16);
  const n = counter++;
  identifier[0] = 0xab;
  identifier[12] = (n >>> 24) & 0xff;
  identifier[13] = (n >>> 16) & 0xff;
  identifier[14] = (n >>> 8) & 0xff;
  identifier[15] = n & 0xff;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  store.messages.set(hexIdentifier(identifier), { data: bytes, pinned: true, silenced: false });
  const notification: Notification = {
    storeclear: { kind: "literals", value: [{ address: { kind: "version4", value: Uint8Array.of(127, 0, 0, 1) }, port: store.port }] },
    recipient: { localpart: account, domain: ["example", "org"] },
    identifier,
    sender: opts.sender ?? "toby",
    ...(opts.size !== undefined ? { size: opts.size } : {}),
  };
  return { notification, submitter: { address: { kind: "version4", value: Uint8Array.of(127, 0, 0, 1) }, port: 40000 }, date: 1_790_000_000 + n };
}
