// MsrapClient: what a recipient MUA (or a reading shim) does at a message store over MSRAP
// (im2000.md §10.4): scan a list, silence, un-pin, retrieve in pages, query sizes.
// errornosuchmessage comes back as Im2000StatusError with forceabort FALSE (§18 C-1 b): the
// session stays usable.

import { Im2000StatusError } from "./errors.ts";
import { ClientSession, type ClientTarget, type ClientTimeouts } from "./client-session.ts";
import { MSRAP, RetrievalType, type MsrapCommandData, type MsrapResponse, type MsrapResponseData, type RetrievalTypeValue } from "./msrap.ts";
import type { Conn } from "../runtime/net.ts";
import { concatBytes } from "../util/bytes.ts";

/** Octets asked for per Retrieve when paging (a store may return fewer). */
export const DEFAULT_PAGE_SIZE = 256 * 1024;

function fail(rsp: MsrapResponse): never {
  throw new Im2000StatusError("MSRAP", rsp.status, MSRAP.statusName(rsp.status), rsp.forceabort);
}

export function isNoSuchMessage(e: unknown): boolean {
  return e instanceof Im2000StatusError && e.protocol === "MSRAP" && e.status === MSRAP.status.errornosuchmessage;
}

export class MsrapClient {
  readonly session: ClientSession<MsrapCommandData, MsrapResponseData>;

  constructor(session: ClientSession<MsrapCommandData, MsrapResponseData>) {
    this.session = session;
  }

  static async connect(target: ClientTarget): Promise<MsrapClient> {
    return new MsrapClient(await ClientSession.open(MSRAP, target));
  }

  static over(conn: Conn, opts: ClientTimeouts = {}): MsrapClient {
    return new MsrapClient(new ClientSession(MSRAP, conn, opts));
  }

  get usable(): boolean {
    return this.session.usable;
  }

  async #ok(data: MsrapCommandData): Promise<MsrapResponse> {
    const rsp = await this.session.request({ commanddata: data });
    if (rsp.status !== MSRAP.status.noerror) fail(rsp);
    return rsp;
  }

  /** Identifiers of list messages with begintime ≤ t < endtime, and endtime (§10.4, §18 C-11). */
  async scanList(listname: string, begintime: number): Promise<{ messages: Uint8Array[]; endtime: number }> {
    const rsp = await this.#ok({ kind: "commandScanList", value: { listname, begintime } });
    if (rsp.responsedata.kind !== "responseScanList") fail(rsp);
    return rsp.responsedata.value;
  }

  async silence(identifier: Uint8Array): Promise<void> {
    await this.#ok({ kind: "commandSilence", value: { identifier } });
  }

  async unpin(identifier: Uint8Array): Promise<void> {
    await this.#ok({ kind: "commandUnPin", value: { identifier } });
  }

  /** One Retrieve: up to `length` octets at `offset`, and the representation's total size. */
  async retrieve(identifier: Uint8Array, type: RetrievalTypeValue, offset: number, length: number): Promise<{ data: Uint8Array; size: number }> {
    const rsp = await this.#ok({ kind: "commandRetrieve", value: { identifier, type, offset, length } });
    if (rsp.responsedata.kind !== "responseRetrieve") fail(rsp);
    return rsp.responsedata.value;
  }

  /** Size of a representation via Retrieve with length 0, the portable form (§10.4); no read-status change (§18 C-4). */
  async size(identifier: Uint8Array, type: RetrievalTypeValue = RetrievalType.all): Promise<number> {
    return (await this.retrieve(identifier, type, 0, 0)).size;
  }

  /** CommandQuerySize (our I-3 repair). */
  async querySize(identifier: Uint8Array, type: RetrievalTypeValue = RetrievalType.all): Promise<number> {
    const rsp = await this.#ok({ kind: "commandQuerySize", value: { identifier, type } });
    if (rsp.responsedata.kind !== "responseQuerySize") fail(rsp);
    return rsp.responsedata.value.size;
  }

  /**
   * Streams a representation page by page, starting at `from`, until `size` is reached. The
   * first page also reports the total size through `onSize`. Never holds more than one page.
   */
  async *pages(identifier: Uint8Array, type: RetrievalTypeValue, opts: { pageSize?: number; from?: number; onSize?: (n: number) => void } = {}): AsyncGenerator<Uint8Array> {
    const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    let offset = opts.from ?? 0;
    let size = -1;
    for (;;) {
      const r = await this.retrieve(identifier, type, offset, pageSize);
      if (size < 0) opts.onSize?.(r.size);
      size = r.size;
      if (r.data.byteLength > 0) yield r.data;
      offset += r.data.byteLength;
      if (offset >= size) return;
      if (r.data.byteLength === 0) throw new Im2000StatusError("MSRAP", MSRAP.status.errorinternalproblem, "empty page before the end of the message", false);
    }
  }

  /** The whole representation in memory (small messages, tests). */
  async retrieveAll(identifier: Uint8Array, type: RetrievalTypeValue = RetrievalType.all, pageSize?: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const p of this.pages(identifier, type, { pageSize })) parts.push(p);
    return concatBytes(parts);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
