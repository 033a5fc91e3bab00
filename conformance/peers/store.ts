// The fake message store: MSOAP (for the SMTP shims) and MSRAP (for the reading shims), built on
// the project's Im2000Server and codecs. By default it behaves as a correct store (im2000 §9.4,
// §10.4, §18 C-1): it checks the shim's side of each transaction (authentication before an
// envelope, contiguous chunk offsets, no command in the middle of a chunk sequence, §7 S-3) and
// writes down every breach as a violation, so cases can assert GEN-1. Cases replace any answer
// through their reply queues, and inject faults.

import { Im2000Server, type ServerSession } from "../../src/im2000/server.ts";
import { MSOAP, type MsoapCommandData, type MsoapResponseData } from "../../src/im2000/msoap.ts";
import { MSRAP, RetrievalType, type MsrapCommandData, type MsrapResponseData } from "../../src/im2000/msrap.ts";
import type { Alternative, Command, Protocol, Response } from "../../src/im2000/protocol.ts";
import type { Listener } from "../../src/runtime/net.ts";
import { randomBytes } from "../../src/runtime/crypto.ts";
import type { LogFields, Logger, LogLevel } from "../../src/util/log.ts";
import { breaks, buildResponse, runFault } from "./answer.ts";
import type { CasePeers, FakeMessage, SubmissionRecord } from "./case-peers.ts";
import { describeCommand, describeResponse, hexOf } from "./describe.ts";
import { PeerConnection, type Router } from "./router.ts";
import type { Reply, SubmissionVerdict } from "./script.ts";

export interface PeerOptions {
  /** How long a peer waits for the shim to close after a malformed PDU before closing itself. */
  readonly faultHoldMs: number;
  /** The list relay's own MSOAP credentials (LST-2): accepted without a case. */
  readonly gatewayAccount?: string;
  readonly gatewayPassword?: string;
  /** Idle timeout of the fake peers' sessions (im2000 §7 S-4). */
  readonly idleTimeoutMs?: number;
}

type MsoapSession = ServerSession & { data: { pc?: PeerConnection<CasePeers>; sub?: SubmissionRecord; idleTimer?: ReturnType<typeof setTimeout> } };

/** A Logger that turns the server loop's own events (S-1 replies, session ends) into wire-log lines. */
function serverEvents(connOf: (sid: number) => PeerConnection<CasePeers> | undefined, onClose: (sid: number, clean: boolean) => void): Logger {
  const make = (base: LogFields): Logger => ({
    log(_level: LogLevel, event: string, fields?: LogFields) {
      const all = { ...base, ...fields };
      const sid = typeof all.sid === "number" ? all.sid : undefined;
      if (sid === undefined) return;
      const pc = connOf(sid);
      if (event === "pdu.malformed") {
        pc?.event(`the shim sent a malformed PDU (${String(all.rule)} at offset ${String(all.offset)}, ${String(all.path)}); answered errormalformedpdu`);
        pc?.binding?.store.violations.push(`${pc.id}: malformed PDU (${String(all.rule)} at ${String(all.path)})`);
      } else if (event === "pdu.not-a-command") {
        pc?.event("the shim sent a PDU that is not a command; answered errormalformedpdu");
        pc?.binding?.store.violations.push(`${pc.id}: a PDU that is not a command`);
      } else if (event === "pdu.oversized") {
        pc?.event(`the shim declared a PDU of ${String(all.declared)} octets; answered errormalformedpdu and closed`);
      } else if (event === "session.idle-timeout") {
        pc?.event("idle timeout: errorcommandtimeout sent, closing (im2000 §7 S-4)");
      } else if (event === "session.close") {
        onClose(sid, all.clean === true);
      }
    },
    with: (f) => make({ ...base, ...f }),
  });
  return make({});
}

function ownAs<R extends Alternative>(kind: string, value: unknown): () => R {
  return () => ({ kind, value }) as R;
}

function sumVerdict(verdicts: readonly SubmissionVerdict[]): { status: string; forceabort: boolean } {
  const denied = verdicts.filter((v) => v === "submissionaccessdenied").length;
  if (denied === 0) return { status: "noerror", forceabort: false };
  // im2000 §9.4 T-MSOAP-2 step 2 and §18 C-1 (a): some denied → no abort; all denied → abort.
  return { status: "errornotpermitted", forceabort: denied === verdicts.length };
}

/** Header section including its terminating empty line (MSRAP headersonly, §10.1 [R]). */
export function headerSection(msg: Uint8Array): Uint8Array {
  for (let i = 0; i + 3 < msg.byteLength; i++) {
    if (msg[i] === 13 && msg[i + 1] === 10 && msg[i + 2] === 13 && msg[i + 3] === 10) return msg.subarray(0, i + 4);
  }
  return msg;
}

const SUMMARY_FIELDS = new Set(["from", "to", "cc", "subject", "date", "message-id"]);

/** summaryonly: From, To, Cc, Subject, Date, Message-ID, ending in CRLF CRLF (§10.1 [R]). */
export function summarySection(msg: Uint8Array): Uint8Array {
  const text = new TextDecoder("latin1").decode(headerSection(msg));
  const lines = text.split("\r\n");
  const kept: string[] = [];
  let keep = false;
  for (const l of lines) {
    if (l === "") break;
    if (/^[ \t]/.test(l)) {
      if (keep) kept.push(l);
      continue;
    }
    keep = SUMMARY_FIELDS.has(l.slice(0, l.indexOf(":")).toLowerCase());
    if (keep) kept.push(l);
  }
  return Uint8Array.from(`${kept.join("\r\n")}\r\n\r\n`, (c) => c.charCodeAt(0));
}

export function representation(msg: Uint8Array, type: number): Uint8Array {
  if (type === RetrievalType.all) return msg;
  if (type === RetrievalType.headersonly) return headerSection(msg);
  if (type === RetrievalType.summaryonly) return summarySection(msg);
  return new Uint8Array(0);
}

/** Submitted octets the fake store keeps per case. */
const MAX_KEPT = 64 << 20;

export class FakeStore {
  readonly router: Router<CasePeers>;
  readonly options: PeerOptions;
  readonly msoap: Im2000Server<MsoapCommandData, MsoapResponseData>;
  readonly msrap: Im2000Server<MsrapCommandData, MsrapResponseData>;
  #conns = new Map<string, PeerConnection<CasePeers>>();
  #msoapListener: Listener | undefined;
  #msrapListener: Listener | undefined;
  #msoapPort = 0;
  #msrapPort = 0;
  #host = "127.0.0.1";

  constructor(router: Router<CasePeers>, options: PeerOptions) {
    this.router = router;
    this.options = options;
    const common = { maxSessions: 10_000, idleTimeoutMs: options.idleTimeoutMs ?? 60_000, testMode: true };
    this.msoap = new Im2000Server(
      MSOAP,
      {
        handle: (s, c) => this.#msoap(s as MsoapSession, c),
        abort: (s) => this.#abortSubmission(s as MsoapSession, "the connection closed or broke in the middle of the transaction"),
        closed: (s) => clearTimeout((s as MsoapSession).data.idleTimer),
      },
      { ...common, log: serverEvents((sid) => this.#conns.get(`msoap#${sid}`), (sid, clean) => this.#closed(`msoap#${sid}`, clean)) },
    );
    this.msrap = new Im2000Server(MSRAP, { handle: (s, c) => this.#msrap(s, c) }, { ...common, log: serverEvents((sid) => this.#conns.get(`msrap#${sid}`), (sid, clean) => this.#closed(`msrap#${sid}`, clean)) });
  }

  async start(host: string, msoapPort = 0, msrapPort = 0): Promise<void> {
    this.#host = host;
    this.#msoapListener = await this.msoap.listen(host, msoapPort);
    this.#msrapListener = await this.msrap.listen(host, msrapPort);
    this.#msoapPort = this.#msoapListener.port;
    this.#msrapPort = this.#msrapListener.port;
  }

  get msoapPort(): number {
    return this.#msoapPort;
  }

  get msrapPort(): number {
    return this.#msrapPort;
  }

  /** Stops accepting MSOAP connections (connection refused), for an exclusive case. */
  async refuseMsoap(): Promise<void> {
    await this.#msoapListener?.close();
    this.#msoapListener = undefined;
  }

  async acceptMsoap(): Promise<void> {
    if (this.#msoapListener === undefined) this.#msoapListener = await this.msoap.listen(this.#host, this.#msoapPort);
  }

  async stop(): Promise<void> {
    await Promise.all([this.msoap.shutdown(1000), this.msrap.shutdown(1000)]);
  }

  #conn(prefix: string, s: ServerSession): PeerConnection<CasePeers> {
    const id = `${prefix}#${s.id}`;
    let pc = this.#conns.get(id);
    if (pc === undefined) {
      pc = new PeerConnection<CasePeers>(id, "store", this.router);
      this.#conns.set(id, pc);
      pc.event(`${prefix.toUpperCase()} connection from ${s.conn.remote.address}:${s.conn.remote.port}`);
    }
    return pc;
  }

  #closed(id: string, clean: boolean): void {
    const pc = this.#conns.get(id);
    if (pc === undefined) return;
    pc.event(clean ? "connection closed by the shim between transactions" : "connection ended in the middle of a transaction or PDU");
    const rec = pc.binding?.store.msoapConnections.get(id);
    if (rec !== undefined) {
      rec.closed = Date.now();
      rec.clean = clean;
    }
    this.#conns.delete(id);
  }

  async #answer<C extends Alternative, R extends Alternative>(
    p: Protocol<C, R>,
    s: ServerSession,
    pc: PeerConnection<CasePeers>,
    cmd: Command<C>,
    reply: Reply,
    own: () => R,
  ): Promise<Response<R>> {
    const proto = p as unknown as Protocol<Alternative, R>;
    const rsp = buildResponse(proto, reply, own);
    if (reply.fault !== undefined) {
      const after = await runFault(proto, s, pc, reply.fault, rsp, this.options.faultHoldMs, cmd as Command<Alternative>);
      if (after === undefined) {
        s.closeAfterResponse = true;
        return rsp; // the connection is gone; the server loop's send fails quietly
      }
    }
    pc.sent(describeResponse(proto as never, rsp as never));
    return rsp;
  }

  // ---------------------------------------------------------------------------------------------
  // MSOAP

  async #msoap(s: MsoapSession, cmd: Command<MsoapCommandData>): Promise<Response<MsoapResponseData>> {
    clearTimeout(s.data.idleTimer);
    const rsp = await this.#msoapCommand(s, cmd);
    const idle = s.data.pc?.binding?.store.idleTimeoutMs;
    if (idle !== undefined && !s.closeAfterResponse) s.data.idleTimer = setTimeout(() => this.#idleOut(s, idle), idle);
    return rsp;
  }

  /**
   * A case's own idle timeout (im2000 §7 S-4), shorter than the server's: after `ms` without a
   * command the store sends ResponseNull, forceabort, errorcommandtimeout and closes, aborting
   * any open submission — what a real store does to a shim that leaves it waiting (SUB-10).
   */
  #idleOut(s: MsoapSession, ms: number): void {
    const pc = s.data.pc;
    pc?.event(`idle timeout of this case's store (${ms} ms): errorcommandtimeout sent, closing (im2000 §7 S-4)`);
    pc?.binding?.store.idleTimeouts.push({ conn: pc.id, at: Date.now() });
    this.#abortSubmission(s, "the store's idle timeout expired (S-4)");
    const rsp = MSOAP.nullResponse(MSOAP.status.errorcommandtimeout, true);
    pc?.sent(describeResponse(MSOAP as never, rsp as never));
    void s.conn.write(MSOAP.encodeResponse(rsp)).catch(() => {}).finally(() => s.conn.destroy());
  }

  async #msoapCommand(s: MsoapSession, cmd: Command<MsoapCommandData>): Promise<Response<MsoapResponseData>> {
    const pc = this.#conn("msoap", s);
    s.data.pc = pc;
    pc.received(describeCommand(cmd as Command<Alternative>));
    const d = cmd.commanddata;
    // Route before anything else so that the case sees this command.
    if (d.kind === "commandAuthenticate") pc.route(d.value.account);
    else if (d.kind === "commandSubmitEnvelope") pc.route(...envelopeKeys(d.value));
    const b = pc.binding;
    if (b !== undefined && !b.store.msoapConnections.has(pc.id)) b.store.msoapConnections.set(pc.id, { opened: Date.now() });
    b?.store.msoapCommands.push({ conn: pc.id, kind: d.kind, at: Date.now() });
    const violation = (text: string) => {
      pc.event(`protocol breach by the shim: ${text}`);
      b?.store.violations.push(`${pc.id}: ${text}`);
    };

    // §7 S-3: inside a chunk sequence only CommandSubmitMsgChunk fits.
    if (s.inTransaction && d.kind !== "commandSubmitMsgChunk") {
      violation(`${d.kind} in the middle of a chunk sequence (im2000 §7 S-3)`);
      this.#abortSubmission(s, "S-3: unexpected command in the chunk sequence");
      return this.#answer(MSOAP, s, pc, cmd, { status: "errorunexpectedcommand" }, ownAs("responseNull", {}));
    }

    switch (d.kind) {
      case "commandAuthenticate": {
        const { account, password } = d.value;
        const scripted = b?.store.replies.take("authenticate");
        let reply: Reply;
        if (scripted !== undefined) reply = scripted;
        else {
          const known = b?.store.accounts.get(account);
          const ok = known !== undefined ? known === password : this.options.gatewayAccount === account && this.options.gatewayPassword === password;
          reply = ok ? {} : { status: "errornotauthenticated" };
        }
        const ok = (reply.status ?? "noerror") === "noerror" && !breaks(reply);
        b?.store.authentications.push({ conn: pc.id, account, password, ok, at: Date.now() });
        // §4 item 3: success authenticates, failure demotes.
        s.setAuthenticated(ok ? account : undefined);
        return this.#answer(MSOAP, s, pc, cmd, reply, ownAs("responseAuthenticate", {}));
      }
      case "commandSubmitEnvelope": {
        const env = d.value;
        const recipients = env.recipients ?? [];
        const lists = env.lists ?? [];
        const scripted = b?.store.replies.take("envelope");
        const rv = scripted?.recipients ?? recipients.map((r) => b?.store.verdict(r.localpart, r.domain) ?? "submissionaccessdenied");
        const lv = scripted?.lists ?? lists.map((l) => b?.store.listVerdict(new TextDecoder().decode(l)) ?? "submissionaccessdenied");
        let reply: Reply;
        if (!s.authenticated && scripted === undefined) reply = { status: "errornotauthenticated" };
        else if (recipients.length === 0 && lists.length === 0 && scripted === undefined) reply = { status: "errornotpermitted" }; // C-1
        else {
          const sum = sumVerdict([...rv, ...lv]);
          // A scripted status replaces the verdict-derived one, and then C-1's defaults apply.
          const derived: Reply = scripted?.status !== undefined ? {} : { status: sum.status, forceabort: sum.forceabort, body: "own" };
          reply = { ...derived, ...scripted };
        }
        const rsp = buildResponse(MSOAP as never, reply, () => ({ kind: "responseSubmitEnvelope", value: { recipients: recipients.length > 0 ? rv.map(verdictNumber) : undefined, lists: lists.length > 0 ? lv.map(verdictNumber) : undefined } }) as MsoapResponseData);
        const continues = !rsp.forceabort && (rsp.status === MSOAP.status.noerror || rsp.status === MSOAP.status.errornotpermitted) && !breaks(reply);
        const rec: SubmissionRecord = { conn: pc.id, account: s.account, envelope: env, verdicts: [...rv, ...lv], chunks: [], parts: [], state: continues ? "open" : "refused" };
        b?.store.submissions.push(rec);
        if (continues) {
          s.inTransaction = true;
          s.data.sub = rec;
        }
        return this.#answer(MSOAP, s, pc, cmd, reply, () => rsp.responsedata);
      }
      case "commandSubmitMsgChunk": {
        const { islast, offset, data } = d.value;
        const rec = s.data.sub;
        if (!s.inTransaction || rec === undefined) {
          violation("CommandSubmitMsgChunk without an accepted envelope (im2000 §7 S-3)");
          return this.#answer(MSOAP, s, pc, cmd, { status: "errorunexpectedcommand" }, ownAs("responseNull", {}));
        }
        const expected = rec.chunks.reduce((n, c) => n + c.size, 0);
        rec.chunks.push({ offset: Number(offset), size: data.byteLength, islast });
        if (Number(offset) !== expected) {
          violation(`chunk offset ${String(offset)} where ${expected} was due (im2000 §9.4 step 3)`);
          this.#abortSubmission(s, "wrong chunk offset");
          return this.#answer(MSOAP, s, pc, cmd, { status: "errorunexpectedcommand" }, ownAs("responseNull", {}));
        }
        // Keep what a case may compare, but never more than MAX_KEPT per case (a runaway shim).
        if (b !== undefined && b.store.keptOctets + data.byteLength <= MAX_KEPT) {
          rec.parts.push(data.slice());
          b.store.keptOctets += data.byteLength;
        } else rec.truncated = true;
        const scripted = b?.store.replies.take("chunk");
        const reply: Reply = scripted ?? {};
        const isOk = (reply.status ?? "noerror") === "noerror" && reply.forceabort !== true && !breaks(reply);
        if (!isOk) {
          this.#abortSubmission(s, `the store answered ${breaks(reply) ? `with fault ${reply.fault?.kind}` : reply.status}`);
          return this.#answer(MSOAP, s, pc, cmd, reply, ownAs("responseSubmitMsgChunk", {}));
        }
        if (!islast) return this.#answer(MSOAP, s, pc, cmd, reply, ownAs("responseSubmitMsgChunk", {}));
        const identifier = reply.identifier ?? randomBytes(16);
        rec.identifier = identifier;
        rec.state = "committed";
        s.inTransaction = false;
        s.data.sub = undefined;
        return this.#answer(MSOAP, s, pc, cmd, reply, ownAs("responseSubmitMsgChunk", { identifier }));
      }
      case "commandTrack":
      case "commandCancel": {
        const id = hexOf(d.value.identifier);
        const kind = d.kind === "commandTrack" ? "track" : "cancel";
        const scripted = b?.store.replies.take(kind);
        const rec = b?.store.submissions.find((r) => r.identifier !== undefined && hexOf(r.identifier) === id && r.account === s.account);
        if (scripted === undefined && (rec === undefined || !s.authenticated)) return this.#answer(MSOAP, s, pc, cmd, { status: "errornotpermitted" }, ownAs("responseNull", {}));
        if (kind === "cancel") return this.#answer(MSOAP, s, pc, cmd, scripted ?? {}, ownAs("responseCancel", {}));
        const recipients = (rec?.envelope.recipients ?? []).map((recipient) => ({ recipient, status: { notificationstatus: 0, read: 0, pinned: true } }));
        return this.#answer(MSOAP, s, pc, cmd, scripted ?? {}, ownAs("responseTrack", { recipients }));
      }
    }
  }

  #abortSubmission(s: MsoapSession, reason: string): void {
    const rec = s.data.sub;
    if (rec !== undefined && rec.state === "open") {
      rec.state = "aborted";
      rec.abortReason = reason;
      s.data.pc?.event(`submission aborted: ${reason}`);
    }
    s.data.sub = undefined;
    s.inTransaction = false;
  }

  // ---------------------------------------------------------------------------------------------
  // MSRAP

  async #msrap(s: ServerSession, cmd: Command<MsrapCommandData>): Promise<Response<MsrapResponseData>> {
    const pc = this.#conn("msrap", s);
    pc.received(describeCommand(cmd as Command<Alternative>));
    const d = cmd.commanddata;
    const at = Date.now();
    if (d.kind === "commandScanList") {
      const b = pc.route(`list:${d.value.listname}`);
      b?.store.msrapCommands.push({ conn: pc.id, kind: "scanList", at });
      const reply = b?.store.replies.take("scanList") ?? { status: "errornosuchmessage", forceabort: false };
      return this.#answer(MSRAP, s, pc, cmd, reply, ownAs("responseScanList", { messages: [], endtime: Math.floor(Date.now() / 1000) }));
    }
    const id = hexOf(d.value.identifier);
    const b = pc.route(`msg:${id}`);
    const kind = ({ commandSilence: "silence", commandUnPin: "unpin", commandQuerySize: "querySize", commandRetrieve: "retrieve" } as const)[d.kind];
    const v = d.value as { type?: number; offset?: number | bigint; length?: number | bigint };
    b?.store.msrapCommands.push({ conn: pc.id, kind, identifier: id, type: v.type, offset: v.offset === undefined ? undefined : Number(v.offset), length: v.length === undefined ? undefined : Number(v.length), at });
    const msg = b?.store.messages.get(id);
    const nosuch: Reply = { status: "errornosuchmessage", forceabort: false }; // §18 C-1 (b)
    const scripted = b?.store.repliesFor(id).take(kind);
    if (msg === undefined) return this.#answer(MSRAP, s, pc, cmd, scripted ?? nosuch, ownAs("responseNull", {}));
    if (scripted !== undefined && (scripted.status ?? "noerror") !== "noerror") return this.#answer(MSRAP, s, pc, cmd, scripted, ownAs(MSRAP.responseFor[d.kind], {}));
    if (msg.gone && scripted === undefined) return this.#answer(MSRAP, s, pc, cmd, nosuch, ownAs("responseNull", {}));
    const reply = scripted ?? {};
    switch (d.kind) {
      case "commandSilence":
        msg.silenced++;
        return this.#answer(MSRAP, s, pc, cmd, reply, ownAs("responseSilence", {}));
      case "commandUnPin":
        msg.unpinned++;
        msg.silenced++; // §10.4: un-pin implies silence
        return this.#answer(MSRAP, s, pc, cmd, reply, ownAs("responseUnPin", {}));
      case "commandQuerySize":
        return this.#answer(MSRAP, s, pc, cmd, reply, ownAs("responseQuerySize", { size: representation(msg.content, d.value.type).byteLength }));
      case "commandRetrieve": {
        const rep = representation(msg.content, d.value.type);
        const offset = Math.min(Number(d.value.offset), rep.byteLength);
        const want = Math.min(Number(d.value.length), msg.maxPage ?? Number.MAX_SAFE_INTEGER);
        const data = rep.subarray(offset, Math.min(rep.byteLength, offset + want));
        if (data.byteLength > 0) msg.readLevel = Math.max(msg.readLevel, d.value.type); // §18 C-4
        return this.#answer(MSRAP, s, pc, cmd, reply, ownAs("responseRetrieve", { data, size: rep.byteLength }));
      }
    }
  }

  /** Registers a message for MSRAP under its case. */
  static addMessage(peers: CasePeers, router: Router<CasePeers>, identifier: Uint8Array, content: Uint8Array): FakeMessage {
    const m: FakeMessage = { identifier, content, silenced: 0, unpinned: 0, readLevel: -1, gone: false };
    const id = hexOf(identifier);
    peers.store.messages.set(id, m);
    router.register(`msg:${id}`, peers);
    return m;
  }
}

function verdictNumber(v: SubmissionVerdict): number {
  return v === "acceptable" ? 0 : 1;
}

/** Routing keys an envelope carries: recipient addresses and domains, and list names. */
export function envelopeKeys(env: { recipients?: readonly { localpart: string; domain: readonly string[] }[]; lists?: readonly Uint8Array[] }): string[] {
  const keys: string[] = [];
  for (const l of env.lists ?? []) keys.push(`list:${new TextDecoder().decode(l)}`);
  for (const r of env.recipients ?? []) {
    keys.push(`${r.localpart}@${r.domain.join(".")}`);
    keys.push(`domain:${r.domain.join(".")}`);
  }
  return keys;
}
