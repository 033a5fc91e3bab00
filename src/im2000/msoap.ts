// MSOAP, the Message Store Originator Access Protocol (im2000.md §9). The whole response half of
// the source module is lost (I-11); §9.3 reconstructs it: ResponseNull at alternative 0 and the
// response to command k at alternative k+1.

import { alt, boolean, choice, enumerated, octets, opt, req, sequence, sequenceOf, uint, utf8, type Infer } from "../der/mod.ts";
import { defineProtocol } from "./protocol.ts";
import { empty, MailBox, MessageIdentifier } from "./types.ts";

/** MSOAP numbering (differs from the other three modules, I-10). */
export const MsoapStatus = {
  noerror: 0,
  errormalformedpdu: 1,
  errorcommandtimeout: 2,
  errorunexpectedcommand: 3,
  errorserviceshutdown: 4,
  errorinternalproblem: 5,
  errornotauthenticated: 6,
  errornotpermitted: 7,
  errornotenoughroom: 8,
  errorwouldexceedquota: 9,
  errorlifetimetooshort: 10,
} as const;

export const SubmissionStatus = { acceptable: 0, submissionaccessdenied: 1 } as const;
export const SubmissionStatusCodec = enumerated("SubmissionStatus", ["acceptable", "submissionaccessdenied"]);

/** Per-recipient notification progress (§9.1, meanings [R]). */
export const NotificationStatus = {
  unprocessed: 0,
  baddomain: 1,
  noservice: 2,
  noserver: 3,
  protocolerror: 4,
  nouser: 5,
  notifying: 6,
  silenced: 7,
} as const;
const NotificationStatusCodec = enumerated("NotificationStatus", Object.keys(NotificationStatus), true);

/** Highest retrieval level used by the recipient (mirrors MSRAP RetrievalType, §9.1 [R]). */
export const ReadStatus = { unread: 0, summarised: 1, readheaders: 2, readall: 3 } as const;
const ReadStatusCodec = enumerated("ReadStatus", Object.keys(ReadStatus), true);

export const ListName = octets("ListName");

export const DeliveryStatus = sequence("DeliveryStatus", [
  req(0, "notificationstatus", NotificationStatusCodec),
  req(1, "read", ReadStatusCodec),
  req(2, "pinned", boolean), // spelt `pinnned` in the source (I-2); tag [2] unchanged
]);
export type DeliveryStatus = Infer<typeof DeliveryStatus>;

export const RecipientDeliveryStatus = sequence("RecipientDeliveryStatus", [req(0, "recipient", MailBox), req(1, "status", DeliveryStatus)]);
export type RecipientDeliveryStatus = Infer<typeof RecipientDeliveryStatus>;

export const CommandAuthenticate = sequence("CommandAuthenticate", [req(0, "account", utf8), req(1, "password", utf8)]);
export const CommandSubmitEnvelope = sequence("CommandSubmitEnvelope", [
  opt(0, "recipients", sequenceOf(MailBox)),
  opt(1, "lists", sequenceOf(ListName)),
  req(2, "lifetime", uint()),
]);
export const CommandSubmitMsgChunk = sequence("CommandSubmitMsgChunk", [req(0, "islast", boolean), req(1, "offset", uint()), req(2, "data", octets())]);
export const CommandTrack = sequence("CommandTrack", [req(0, "identifier", MessageIdentifier)]);
export const CommandCancel = sequence("CommandCancel", [req(0, "identifier", MessageIdentifier)]);

export type CommandSubmitEnvelope = Infer<typeof CommandSubmitEnvelope>;
export type CommandSubmitMsgChunk = Infer<typeof CommandSubmitMsgChunk>;

export const MsoapCommandData = choice("MsoapCommandData", [
  alt(0, "commandAuthenticate", CommandAuthenticate),
  alt(1, "commandSubmitEnvelope", CommandSubmitEnvelope),
  alt(2, "commandSubmitMsgChunk", CommandSubmitMsgChunk),
  alt(3, "commandTrack", CommandTrack),
  alt(4, "commandCancel", CommandCancel),
]);
export type MsoapCommandData = Infer<typeof MsoapCommandData>;

export const ResponseSubmitEnvelope = sequence("ResponseSubmitEnvelope", [
  opt(0, "recipients", sequenceOf(SubmissionStatusCodec)),
  opt(1, "lists", sequenceOf(SubmissionStatusCodec)),
]);
export const ResponseSubmitMsgChunk = sequence("ResponseSubmitMsgChunk", [opt(0, "identifier", MessageIdentifier)]);
export const ResponseTrack = sequence("ResponseTrack", [req(0, "recipients", sequenceOf(RecipientDeliveryStatus))]);

export type ResponseSubmitEnvelope = Infer<typeof ResponseSubmitEnvelope>;

export const MsoapResponseData = choice("MsoapResponseData", [
  alt(0, "responseNull", empty("ResponseNull")),
  alt(1, "responseAuthenticate", empty("ResponseAuthenticate")),
  alt(2, "responseSubmitEnvelope", ResponseSubmitEnvelope),
  alt(3, "responseSubmitMsgChunk", ResponseSubmitMsgChunk),
  alt(4, "responseTrack", ResponseTrack),
  alt(5, "responseCancel", empty("ResponseCancel")),
]);
export type MsoapResponseData = Infer<typeof MsoapResponseData>;

export const MSOAP = defineProtocol({ name: "MSOAP", label: "Msoap", status: MsoapStatus, commanddata: MsoapCommandData, responsedata: MsoapResponseData,
  responseFor: { commandAuthenticate: "responseAuthenticate", commandSubmitEnvelope: "responseSubmitEnvelope", commandSubmitMsgChunk: "responseSubmitMsgChunk", commandTrack: "responseTrack", commandCancel: "responseCancel" } });
export type MsoapCommand = { commanddata: MsoapCommandData };
export type MsoapResponse = { forceabort: boolean; status: number; responsedata: MsoapResponseData };
