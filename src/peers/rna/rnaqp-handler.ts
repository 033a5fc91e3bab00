// The RNA's RNAQP service (im2000 §14): authenticate (same brute-force hardening as MSOAP), then
// RetrieveAndClear: every notification held for the mailboxes the account may read, oldest
// first, at most `maxPerResponse` per answer, removed atomically with the answer. Status 7 is
// never sent (§18 C-14).

import type { Handler, ServerSession } from "../../im2000/server.ts";
import { RnaqpStatus, RNAQP, type RnaqpCommandData, type RnaqpResponse, type RnaqpResponseData } from "../../im2000/rnaqp.ts";
import type { Command } from "../../im2000/protocol.ts";
import type { Authenticator } from "../auth.ts";
import type { RnaStore } from "./rna-store.ts";

export class RnaqpHandler implements Handler<RnaqpCommandData, RnaqpResponseData> {
  readonly rna: RnaStore;
  readonly auth: Authenticator;
  /** account → mailboxes it may read. */
  readonly readable: ReadonlyMap<string, readonly string[]>;
  readonly maxPerResponse: number;

  constructor(rna: RnaStore, auth: Authenticator, readable: ReadonlyMap<string, readonly string[]>, maxPerResponse: number) {
    this.rna = rna;
    this.auth = auth;
    this.readable = readable;
    this.maxPerResponse = maxPerResponse;
  }

  async handle(s: ServerSession, cmd: Command<RnaqpCommandData>): Promise<RnaqpResponse> {
    const c = cmd.commanddata;
    if (c.kind === "commandAuthenticate") {
      const ok = await this.auth.authenticate(s, c.value.account, c.value.password);
      return ok ? { forceabort: false, status: RnaqpStatus.noerror, responsedata: { kind: "responseAuthenticate", value: {} } } : RNAQP.nullResponse(RnaqpStatus.errornotauthenticated, true);
    }
    if (!s.authenticated) return RNAQP.nullResponse(RnaqpStatus.errornotauthenticated, true);
    const notifications = await this.rna.retrieveAndClear(this.readable.get(s.account!) ?? [], this.maxPerResponse);
    s.log.log("info", "rnaqp.retrieved", { notifications: notifications.length });
    return { forceabort: false, status: RnaqpStatus.noerror, responsedata: { kind: "responseRetrieveAndClear", value: { notifications } } };
  }
}
