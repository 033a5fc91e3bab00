// RNAQP, the Recipient Notification Agent Query Protocol (im2000.md §14). The module is cut inside
// Response; the alternatives are inferred ([0] Null, [1] Authenticate, [2] RetrieveAndClear), and
// status 7, listed twice as errornotauthenticated in the source, is errornotpermitted (I-2b).

import { alt, choice, req, sequence, sequenceOf, utf8, type Infer } from "../der/mod.ts";
import { defineProtocol } from "./protocol.ts";
import { empty, NotificationAndLocalData } from "./types.ts";

export const RnaqpStatus = {
  noerror: 0,
  errormalformedpdu: 1,
  errorcommandtimeout: 2,
  errornotauthenticated: 3,
  errorunexpectedcommand: 4,
  errorserviceshutdown: 5,
  errorinternalproblem: 6,
  /** Reserved: never sent by our RNA (§18 C-14). */
  errornotpermitted: 7,
} as const;

export const RnaqpCommandAuthenticate = sequence("CommandAuthenticate", [req(0, "account", utf8), req(1, "password", utf8)]);

export const RnaqpCommandData = choice("RnaqpCommandData", [
  alt(0, "commandAuthenticate", RnaqpCommandAuthenticate),
  alt(1, "commandRetrieveAndClear", empty("CommandRetrieveAndClear")),
]);
export type RnaqpCommandData = Infer<typeof RnaqpCommandData>;

export const ResponseRetrieveAndClear = sequence("ResponseRetrieveAndClear", [req(0, "notifications", sequenceOf(NotificationAndLocalData))]);

export const RnaqpResponseData = choice("RnaqpResponseData", [
  alt(0, "responseNull", empty("ResponseNull")),
  alt(1, "responseAuthenticate", empty("ResponseAuthenticate")),
  alt(2, "responseRetrieveAndClear", ResponseRetrieveAndClear),
]);
export type RnaqpResponseData = Infer<typeof RnaqpResponseData>;

export const RNAQP = defineProtocol({ name: "RNAQP", label: "Rnaqp", status: RnaqpStatus, commanddata: RnaqpCommandData, responsedata: RnaqpResponseData,
  responseFor: { commandAuthenticate: "responseAuthenticate", commandRetrieveAndClear: "responseRetrieveAndClear" } });
export type RnaqpCommand = { commanddata: RnaqpCommandData };
export type RnaqpResponse = { forceabort: boolean; status: number; responsedata: RnaqpResponseData };
