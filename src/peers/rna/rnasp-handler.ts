// The RNA's RNASP service (im2000 §13): a store delivers a batch of notifications; the batch is
// accepted all-or-nothing (one durable record) and answered only once durable. No
// authentication exists in RNASP; errornotauthenticated is never sent. The submitter's address
// as we see it is recorded with every notification (§8.2 `submitter`).

import type { Handler, ServerSession } from "../../im2000/server.ts";
import { RnaspStatus, RNASP, type RnaspCommandData, type RnaspResponse, type RnaspResponseData } from "../../im2000/rnasp.ts";
import { ipFromString } from "../../im2000/locate.ts";
import type { Command } from "../../im2000/protocol.ts";
import type { ClientLocation } from "../../im2000/types.ts";
import type { RnaStore } from "./rna-store.ts";

export class RnaspHandler implements Handler<RnaspCommandData, RnaspResponseData> {
  readonly rna: RnaStore;
  readonly maxBatch: number;
  constructor(rna: RnaStore, maxBatch: number) {
    this.rna = rna;
    this.maxBatch = maxBatch;
  }

  async handle(s: ServerSession, cmd: Command<RnaspCommandData>): Promise<RnaspResponse> {
    const batch = cmd.commanddata.value.notifications;
    if (batch.length > this.maxBatch) {
      s.log.log("warn", "rnasp.batch-too-large", { notifications: batch.length });
      return RNASP.nullResponse(RnaspStatus.errorinternalproblem, true); // §13: cannot store the batch
    }
    const ip = ipFromString(s.conn.remote.address) ?? { kind: "version4" as const, value: new Uint8Array(4) };
    const submitter: ClientLocation = { address: ip, port: s.conn.remote.port || 1 };
    const kept = await this.rna.accept(batch, submitter);
    s.log.log("info", "rnasp.accepted", { notifications: batch.length, kept });
    return { forceabort: false, status: RnaspStatus.noerror, responsedata: { kind: "responseNotify", value: {} } };
  }
}
