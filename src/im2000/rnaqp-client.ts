// RnaqpClient: a recipient MUA (or reading shim) collecting notifications from its RNA
// (im2000.md §14). pollAll() follows §18 C-10: repeat RetrieveAndClear until an empty answer,
// at most 10 calls, in one short session.

import { Im2000StatusError } from "./errors.ts";
import { ClientSession, type ClientTarget, type ClientTimeouts } from "./client-session.ts";
import { RNAQP, type RnaqpCommandData, type RnaqpResponse, type RnaqpResponseData } from "./rnaqp.ts";
import type { NotificationAndLocalData } from "./types.ts";
import type { Conn } from "../runtime/net.ts";

export const MAX_RETRIEVE_CALLS = 10;

function fail(rsp: RnaqpResponse): never {
  throw new Im2000StatusError("RNAQP", rsp.status, RNAQP.statusName(rsp.status), rsp.forceabort);
}

export class RnaqpClient {
  readonly session: ClientSession<RnaqpCommandData, RnaqpResponseData>;

  constructor(session: ClientSession<RnaqpCommandData, RnaqpResponseData>) {
    this.session = session;
  }

  static async connect(target: ClientTarget): Promise<RnaqpClient> {
    return new RnaqpClient(await ClientSession.open(RNAQP, target));
  }

  static over(conn: Conn, opts: ClientTimeouts = {}): RnaqpClient {
    return new RnaqpClient(new ClientSession(RNAQP, conn, opts));
  }

  get usable(): boolean {
    return this.session.usable;
  }

  /** Throws Im2000StatusError (errornotauthenticated, …) on refusal. */
  async authenticate(account: string, password: string): Promise<void> {
    const rsp = await this.session.request({ commanddata: { kind: "commandAuthenticate", value: { account, password } } });
    if (rsp.status !== RNAQP.status.noerror) fail(rsp);
  }

  /** One RetrieveAndClear: the notifications returned are gone from the RNA. */
  async retrieveAndClear(): Promise<NotificationAndLocalData[]> {
    const rsp = await this.session.request({ commanddata: { kind: "commandRetrieveAndClear", value: {} } });
    if (rsp.status !== RNAQP.status.noerror || rsp.responsedata.kind !== "responseRetrieveAndClear") fail(rsp);
    return rsp.responsedata.value.notifications;
  }

  /**
   * §18 C-10: repeats RetrieveAndClear until an empty answer (at most 10 calls). Each batch is
   * handed to `save` before the next call, so a caller can persist as it goes.
   */
  async pollAll(save: (batch: NotificationAndLocalData[]) => Promise<void>): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_RETRIEVE_CALLS; i++) {
      const batch = await this.retrieveAndClear();
      if (batch.length === 0) break;
      await save(batch);
      total += batch.length;
    }
    return total;
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
