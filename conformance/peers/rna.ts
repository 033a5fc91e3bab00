// The fake recipient notification agent: RNAQP for the reading shims (im2000 §14). Sessions are
// routed to cases by the account of CommandAuthenticate; each case holds notifications per
// account, handed out oldest first by CommandRetrieveAndClear (at most `batchSize` per answer,
// so §18 C-10's repetition can be observed) and deleted as they are handed out.

import { Im2000Server, type ServerSession } from "../../src/im2000/server.ts";
import { RNAQP, type RnaqpCommandData, type RnaqpResponseData } from "../../src/im2000/rnaqp.ts";
import type { Alternative, Command, Protocol, Response } from "../../src/im2000/protocol.ts";
import type { Listener } from "../../src/runtime/net.ts";
import type { LogFields, Logger, LogLevel } from "../../src/util/log.ts";
import { breaks, buildResponse, runFault } from "./answer.ts";
import type { CasePeers } from "./case-peers.ts";
import { describeCommand, describeResponse } from "./describe.ts";
import { PeerConnection, type Router } from "./router.ts";
import type { Reply } from "./script.ts";
import type { PeerOptions } from "./store.ts";

export class FakeRna {
  readonly router: Router<CasePeers>;
  readonly options: PeerOptions;
  readonly rnaqp: Im2000Server<RnaqpCommandData, RnaqpResponseData>;
  #conns = new Map<string, PeerConnection<CasePeers>>();
  #listener: Listener | undefined;
  #port = 0;
  #host = "127.0.0.1";

  constructor(router: Router<CasePeers>, options: PeerOptions) {
    this.router = router;
    this.options = options;
    const conns = this.#conns;
    const make = (base: LogFields): Logger => ({
      log(_l: LogLevel, event: string, fields?: LogFields) {
        const all = { ...base, ...fields };
        const pc = typeof all.sid === "number" ? conns.get(`rnaqp#${all.sid}`) : undefined;
        if (pc === undefined) return;
        if (event === "pdu.malformed" || event === "pdu.not-a-command") pc.event(`the shim sent a malformed PDU (${String(all.rule ?? event)}); answered errormalformedpdu`);
        else if (event === "session.close") {
          pc.event(all.clean === true ? "connection closed by the shim" : "connection ended uncleanly");
          const rec = pc.binding?.rna.rnaqpConnections.get(pc.id);
          if (rec !== undefined) rec.closed = Date.now();
          conns.delete(pc.id);
        }
      },
      with: (f) => make({ ...base, ...f }),
    });
    this.rnaqp = new Im2000Server(RNAQP, { handle: (s, c) => this.#handle(s, c) }, { maxSessions: 10_000, idleTimeoutMs: options.idleTimeoutMs ?? 60_000, testMode: true, log: make({}) });
  }

  async start(host: string, port = 0): Promise<void> {
    this.#host = host;
    this.#listener = await this.rnaqp.listen(host, port);
    this.#port = this.#listener.port;
  }

  get port(): number {
    return this.#port;
  }

  /** Stops accepting connections (connection refused), for an exclusive case. */
  async refuse(): Promise<void> {
    await this.#listener?.close();
    this.#listener = undefined;
  }

  async accept(): Promise<void> {
    if (this.#listener === undefined) this.#listener = await this.rnaqp.listen(this.#host, this.#port);
  }

  async stop(): Promise<void> {
    await this.rnaqp.shutdown(1000);
  }

  async #answer(s: ServerSession, pc: PeerConnection<CasePeers>, cmd: Command<RnaqpCommandData>, reply: Reply, own: () => RnaqpResponseData): Promise<Response<RnaqpResponseData>> {
    const p = RNAQP as unknown as Protocol<Alternative, RnaqpResponseData>;
    const rsp = buildResponse(p, reply, own);
    if (reply.fault !== undefined) {
      const after = await runFault(p, s, pc, reply.fault, rsp, this.options.faultHoldMs, cmd as Command<Alternative>);
      if (after === undefined) {
        s.closeAfterResponse = true;
        return rsp;
      }
    }
    pc.sent(describeResponse(p as never, rsp as never));
    return rsp;
  }

  async #handle(s: ServerSession, cmd: Command<RnaqpCommandData>): Promise<Response<RnaqpResponseData>> {
    const id = `rnaqp#${s.id}`;
    let pc = this.#conns.get(id);
    if (pc === undefined) {
      pc = new PeerConnection<CasePeers>(id, "rna", this.router);
      this.#conns.set(id, pc);
      pc.event(`RNAQP connection from ${s.conn.remote.address}:${s.conn.remote.port}`);
    }
    pc.received(describeCommand(cmd as Command<Alternative>));
    const d = cmd.commanddata;
    if (d.kind === "commandAuthenticate") {
      const b = pc.route(d.value.account);
      if (b !== undefined && !b.rna.rnaqpConnections.has(pc.id)) b.rna.rnaqpConnections.set(pc.id, { opened: Date.now() });
      const { account, password } = d.value;
      const scripted = b?.rna.replies.take("rnaAuthenticate");
      const known = b?.rna.accounts.get(account);
      const reply: Reply = scripted ?? (known !== undefined && known === password ? {} : { status: "errornotauthenticated" });
      const ok = (reply.status ?? "noerror") === "noerror" && !breaks(reply);
      b?.rna.authentications.push({ conn: pc.id, account, password, ok, at: Date.now() });
      s.setAuthenticated(ok ? account : undefined); // §4 item 3
      return this.#answer(s, pc, cmd, reply, () => ({ kind: "responseAuthenticate", value: {} }));
    }
    const b = pc.binding;
    const scripted = b?.rna.replies.take("retrieveAndClear");
    if (scripted === undefined && (!s.authenticated || b === undefined)) return this.#answer(s, pc, cmd, { status: "errornotauthenticated" }, () => ({ kind: "responseNull", value: {} }));
    if (scripted !== undefined && ((scripted.status ?? "noerror") !== "noerror" || breaks(scripted))) {
      return this.#answer(s, pc, cmd, scripted, () => ({ kind: "responseRetrieveAndClear", value: { notifications: [] } }));
    }
    const queue = b?.rna.mailboxes.get(s.account ?? "") ?? [];
    const batch = queue.splice(0, b?.rna.batchSize ?? 1000);
    b?.rna.polls.push({ conn: pc.id, account: s.account, returned: batch.length, at: Date.now() });
    return this.#answer(s, pc, cmd, scripted ?? {}, () => ({ kind: "responseRetrieveAndClear", value: { notifications: batch } }));
  }
}
