// The store's MSRAP service (im2000 §10.4, §18 C-1 b, C-4, C-11, C-14). Access is by capability
// (§10.5): holding a recipient or list identifier is the authority. errornosuchmessage is
// answered ResponseNull without abort, for every command (ScanList included), and is
// rate-limited per client address: after 20 such answers within 60 s each further one waits
// (C-14); the status never changes and the session is never closed for it.

import type { Handler, ServerSession } from "../../im2000/server.ts";
import { MSRAP, MsrapStatus, RetrievalType, type MsrapCommandData, type MsrapResponse, type MsrapResponseData } from "../../im2000/msrap.ts";
import type { Command } from "../../im2000/protocol.ts";
import { idForLog } from "../../util/log.ts";
import type { ListScanRule } from "../config.ts";
import { base64ToBytes, SlotKind, type CommitInfo, type MessageStore } from "./engine.ts";

export interface MsrapPolicy {
  readonly lists: Readonly<Record<string, { readonly scan: ListScanRule }>>;
  /** Largest data answered per Retrieve (the client pages for the rest). */
  readonly maxPage: number;
  readonly nosuchLimit: number;
  readonly nosuchWindowMs: number;
  readonly nosuchDelayMs: number;
}

function ok(responsedata: MsrapResponseData): MsrapResponse {
  return { forceabort: false, status: MsrapStatus.noerror, responsedata };
}

/** Size and reader of one representation (§10.1 [R]). */
function representation(store: MessageStore, info: CommitInfo, type: number): { size: number; read: (off: number, len: number) => Promise<Uint8Array> } {
  if (type === RetrievalType.nothing) return { size: 0, read: async () => new Uint8Array(0) };
  if (type === RetrievalType.summaryonly) {
    const m = base64ToBytes(info.m);
    return { size: m.byteLength, read: async (o, l) => m.slice(o, o + l) };
  }
  const size = type === RetrievalType.headersonly ? info.h : info.z;
  return { size, read: (o, l) => store.readData(info, o, Math.min(l, size - o)) };
}

export class MsrapHandler implements Handler<MsrapCommandData, MsrapResponseData> {
  readonly store: MessageStore;
  readonly policy: MsrapPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  #misses = new Map<string, number[]>();

  constructor(store: MessageStore, policy: MsrapPolicy, sleep: (ms: number) => Promise<void>, now: () => number) {
    this.store = store;
    this.policy = policy;
    this.sleep = sleep;
    this.now = now;
  }

  /** errornosuchmessage, ResponseNull, forceabort FALSE (C-1 b), rate-limited (C-14). */
  async #noSuch(s: ServerSession): Promise<MsrapResponse> {
    const addr = s.conn.remote.address;
    const now = this.now();
    const times = (this.#misses.get(addr) ?? []).filter((t) => now - t < this.policy.nosuchWindowMs);
    times.push(now);
    if (this.#misses.size > 10_000) this.#misses.clear(); // bounded memory
    this.#misses.set(addr, times.slice(-this.policy.nosuchLimit - 1));
    if (times.length > this.policy.nosuchLimit) await this.sleep(this.policy.nosuchDelayMs);
    return MSRAP.nullResponse(MsrapStatus.errornosuchmessage, false);
  }

  async handle(s: ServerSession, cmd: Command<MsrapCommandData>): Promise<MsrapResponse> {
    const c = cmd.commanddata;
    switch (c.kind) {
      case "commandScanList": {
        const rule = this.policy.lists[c.value.listname]?.scan;
        const allowed = rule === "anyone" || (rule === "loopback" && s.conn.isLoopback);
        const r = allowed ? await this.store.scanList(c.value.listname, c.value.begintime) : undefined;
        if (!r) return this.#noSuch(s);
        return ok({ kind: "responseScanList", value: { messages: r.ids, endtime: r.endtime } });
      }
      case "commandSilence":
        if (!(await this.store.silence(c.value.identifier))) return this.#noSuch(s);
        s.log.log("info", "msrap.silenced", { id: idForLog(c.value.identifier) });
        return ok({ kind: "responseSilence", value: {} });
      case "commandUnPin":
        if (!(await this.store.unpin(c.value.identifier))) return this.#noSuch(s);
        s.log.log("info", "msrap.unpinned", { id: idForLog(c.value.identifier) });
        return ok({ kind: "responseUnPin", value: {} });
      case "commandQuerySize": {
        const slot = await this.store.slot(c.value.identifier);
        if (!slot || slot.kind === SlotKind.originator) return this.#noSuch(s);
        const rep = representation(this.store, await this.store.commitInfo(slot), c.value.type);
        return ok({ kind: "responseQuerySize", value: { size: rep.size } }); // C-4: no read-status change
      }
      case "commandRetrieve": {
        const { identifier, type, offset, length } = c.value;
        const slot = await this.store.slot(identifier);
        if (!slot || slot.kind === SlotKind.originator) return this.#noSuch(s);
        const rep = representation(this.store, await this.store.commitInfo(slot), type);
        const n = offset >= rep.size ? 0 : Math.min(length, this.policy.maxPage, rep.size - offset);
        const data = n > 0 ? await rep.read(offset, n) : new Uint8Array(0);
        // C-4: read status rises only on ≥ 1 data octet, and never through a list identifier.
        if (data.byteLength > 0 && slot.kind === SlotKind.recipient && type > slot.read) {
          // Awaited only the first time a level is reached, so later pages cost nothing.
          await this.store.markRead(identifier, type);
        }
        return ok({ kind: "responseRetrieve", value: { data, size: rep.size } });
      }
    }
  }
}
