// RnaspClient: a message store delivering notification batches to an RNA (im2000.md §13).
// All-or-nothing: any failure means the whole batch is undelivered.

import { Im2000StatusError } from "./errors.ts";
import { ClientSession, type ClientTarget, type ClientTimeouts } from "./client-session.ts";
import { RNASP, type RnaspCommandData, type RnaspResponseData } from "./rnasp.ts";
import type { Notification } from "./types.ts";
import type { Conn } from "../runtime/net.ts";

export class RnaspClient {
  readonly session: ClientSession<RnaspCommandData, RnaspResponseData>;

  constructor(session: ClientSession<RnaspCommandData, RnaspResponseData>) {
    this.session = session;
  }

  static async connect(target: ClientTarget): Promise<RnaspClient> {
    return new RnaspClient(await ClientSession.open(RNASP, target));
  }

  static over(conn: Conn, opts: ClientTimeouts = {}): RnaspClient {
    return new RnaspClient(new ClientSession(RNASP, conn, opts));
  }

  get usable(): boolean {
    return this.session.usable;
  }

  /** Delivers a batch (zero or more). Resolves only when the RNA accepted all of it. */
  async notify(notifications: Notification[]): Promise<void> {
    const rsp = await this.session.request({ commanddata: { kind: "commandNotify", value: { notifications } } });
    if (rsp.status !== RNASP.status.noerror || rsp.forceabort) throw new Im2000StatusError("RNASP", rsp.status, RNASP.statusName(rsp.status), rsp.forceabort);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
