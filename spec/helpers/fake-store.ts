// A scriptable fake MSOAP store for the shims' own tests: records every PDU it receives, keeps
// committed messages in memory, and answers as each test scripts it (statuses, partial denials,
// aborts mid-stream, silence, dropped connections).

import { Im2000Server, type ServerSession } from "../../src/im2000/server.ts";
import { MSOAP, MsoapStatus, type CommandSubmitEnvelope, type MsoapCommandData, type MsoapResponse, type MsoapResponseData } from "../../src/im2000/msoap.ts";
import { concatBytes } from "../../src/line/dot.ts";

export interface StoredMessage {
  readonly account: string | undefined;
  readonly envelope: CommandSubmitEnvelope;
  readonly data: Uint8Array;
  readonly id: Uint8Array;
  readonly chunks: number;
}

export interface Received {
  readonly session: number;
  readonly command: MsoapCommandData;
}

export interface FakeStoreScript {
  /** account → password; an account not listed is refused. Default: any account with "secret". */
  accounts?: Record<string, string>;
  /** Status for CommandAuthenticate regardless of credentials. */
  authStatus?: number;
  /** Per-entry verdict: true = acceptable. Default: all acceptable. */
  acceptRecipient?: (localpart: string, domain: string[]) => boolean;
  acceptList?: (name: string) => boolean;
  /** Status (with forceabort) for the envelope instead of evaluating it. */
  envelopeStatus?: number;
  /** Delay the envelope answer (ms). */
  envelopeDelayMs?: number;
  /** Called for each chunk; may return a status to abort with, "close" to drop the connection. */
  onChunk?: (offset: number, data: Uint8Array, islast: boolean) => number | "close" | undefined;
  /** Status for the final chunk instead of committing. */
  finalStatus?: number;
}

export class FakeStore {
  readonly received: Received[] = [];
  readonly messages: StoredMessage[] = [];
  readonly aborted: number[] = [];
  script: FakeStoreScript = {};
  server!: Im2000Server<MsoapCommandData, MsoapResponseData>;
  port = 0;
  sessions = 0;
  #nextId = 1;

  static async start(script: FakeStoreScript = {}, opts: { idleTimeoutMs?: number } = {}): Promise<FakeStore> {
    const f = new FakeStore();
    f.script = script;
    f.server = new Im2000Server(MSOAP, { handle: (s, c) => f.#handle(s, c.commanddata), abort: (s) => f.#abort(s) }, { maxSessions: 50, testMode: true, idleTimeoutMs: opts.idleTimeoutMs ?? 60_000 });
    f.port = (await f.server.listen("127.0.0.1", 0)).port;
    return f;
  }

  commands(kind: MsoapCommandData["kind"]): Received[] {
    return this.received.filter((r) => r.command.kind === kind);
  }

  #abort(s: ServerSession): void {
    this.aborted.push(s.id);
    s.data.sub = undefined;
    s.inTransaction = false;
  }

  async #handle(s: ServerSession, d: MsoapCommandData): Promise<MsoapResponse> {
    if (s.data.counted !== true) {
      s.data.counted = true;
      this.sessions++;
    }
    this.received.push({ session: s.id, command: d });
    const sc = this.script;
    const ok = (responsedata: MsoapResponseData): MsoapResponse => ({ forceabort: false, status: 0, responsedata });
    switch (d.kind) {
      case "commandAuthenticate": {
        const accounts = sc.accounts;
        const good = sc.authStatus === undefined && (accounts === undefined ? d.value.password === "secret" : accounts[d.value.account] === d.value.password);
        if (!good) {
          s.setAuthenticated(undefined);
          return MSOAP.nullResponse(sc.authStatus ?? MsoapStatus.errornotauthenticated);
        }
        s.setAuthenticated(d.value.account);
        return ok({ kind: "responseAuthenticate", value: {} });
      }
      case "commandSubmitEnvelope": {
        if (s.inTransaction) return MSOAP.nullResponse(MsoapStatus.errorunexpectedcommand);
        if (sc.envelopeDelayMs) await new Promise((r) => setTimeout(r, sc.envelopeDelayMs));
        if (sc.envelopeStatus !== undefined) return MSOAP.nullResponse(sc.envelopeStatus);
        const rs = (d.value.recipients ?? []).map((r) => (sc.acceptRecipient?.(r.localpart, r.domain) ?? true ? 0 : 1));
        const ls = (d.value.lists ?? []).map((l) => (sc.acceptList?.(new TextDecoder().decode(l)) ?? true ? 0 : 1));
        const all = [...rs, ...ls];
        const denied = all.filter((x) => x === 1).length;
        const body: MsoapResponseData = { kind: "responseSubmitEnvelope", value: { ...(rs.length ? { recipients: rs } : {}), ...(ls.length ? { lists: ls } : {}) } };
        if (all.length === 0) return MSOAP.nullResponse(MsoapStatus.errornotpermitted);
        if (denied === all.length) return { forceabort: true, status: MsoapStatus.errornotpermitted, responsedata: body };
        s.inTransaction = true;
        s.data.sub = { envelope: d.value, parts: [] as Uint8Array[], offset: 0 };
        return { forceabort: false, status: denied > 0 ? MsoapStatus.errornotpermitted : 0, responsedata: body };
      }
      case "commandSubmitMsgChunk": {
        const sub = s.data.sub as { envelope: CommandSubmitEnvelope; parts: Uint8Array[]; offset: number } | undefined;
        if (!s.inTransaction || sub === undefined || d.value.offset !== sub.offset) {
          this.#abort(s);
          return MSOAP.nullResponse(MsoapStatus.errorunexpectedcommand);
        }
        const scripted = sc.onChunk?.(d.value.offset, d.value.data, d.value.islast);
        if (scripted === "close") {
          s.conn.destroy();
          return MSOAP.nullResponse(MsoapStatus.errorinternalproblem);
        }
        if (scripted !== undefined) {
          this.#abort(s);
          return MSOAP.nullResponse(scripted);
        }
        sub.parts.push(Uint8Array.from(d.value.data));
        sub.offset += d.value.data.byteLength;
        if (!d.value.islast) return ok({ kind: "responseSubmitMsgChunk", value: {} });
        if (sc.finalStatus !== undefined) {
          this.#abort(s);
          return MSOAP.nullResponse(sc.finalStatus);
        }
        const id = new Uint8Array(16);
        id[15] = this.#nextId++;
        this.messages.push({ account: s.account, envelope: sub.envelope, data: concatBytes(sub.parts), id, chunks: sub.parts.length });
        s.data.sub = undefined;
        s.inTransaction = false;
        return ok({ kind: "responseSubmitMsgChunk", value: { identifier: id } });
      }
      default:
        return MSOAP.nullResponse(MsoapStatus.errornotpermitted);
    }
  }

  stop(): Promise<void> {
    return this.server.shutdown(500);
  }
}
