// MSRAP, the Message Store Recipient Access Protocol (im2000.md §10). Repairs: CommandQuerySize is
// defined and ResponseQuerySize added as alternative [5] (I-3); ResponseRetrieve's duplicate tag
// becomes data [0], size [1] (I-15); ResponseRetrieve stays at [4], where the source put it.

import { alt, choice, enumerated, octets, req, sequence, sequenceOf, uint, utf8, type Infer } from "../der/mod.ts";
import { defineProtocol } from "./protocol.ts";
import { empty, MessageIdentifier } from "./types.ts";

export const MsrapStatus = {
  noerror: 0,
  errormalformedpdu: 1,
  errorcommandtimeout: 2,
  errornotauthenticated: 3,
  errorunexpectedcommand: 4,
  errorserviceshutdown: 5,
  errorinternalproblem: 6,
  errornosuchmessage: 7,
} as const;

/** §10.1: nothing, summaryonly, headersonly, all. */
export const RetrievalType = { nothing: 0, summaryonly: 1, headersonly: 2, all: 3 } as const;
export type RetrievalTypeValue = (typeof RetrievalType)[keyof typeof RetrievalType];
const RetrievalTypeCodec = enumerated("RetrievalType", Object.keys(RetrievalType));

export const CommandScanList = sequence("CommandScanList", [req(0, "listname", utf8), req(1, "begintime", uint())]);
export const CommandSilence = sequence("CommandSilence", [req(0, "identifier", MessageIdentifier)]);
export const CommandUnPin = sequence("CommandUnPin", [req(0, "identifier", MessageIdentifier)]);
export const CommandQuerySize = sequence("CommandQuerySize", [req(0, "identifier", MessageIdentifier), req(1, "type", RetrievalTypeCodec)]);
export const CommandRetrieve = sequence("CommandRetrieve", [
  req(0, "identifier", MessageIdentifier),
  req(1, "type", RetrievalTypeCodec),
  req(2, "offset", uint()),
  req(3, "length", uint()),
]);
export type CommandRetrieve = Infer<typeof CommandRetrieve>;

export const MsrapCommandData = choice("MsrapCommandData", [
  alt(0, "commandScanList", CommandScanList),
  alt(1, "commandSilence", CommandSilence),
  alt(2, "commandUnPin", CommandUnPin),
  alt(3, "commandQuerySize", CommandQuerySize),
  alt(4, "commandRetrieve", CommandRetrieve),
]);
export type MsrapCommandData = Infer<typeof MsrapCommandData>;

export const ResponseScanList = sequence("ResponseScanList", [req(0, "messages", sequenceOf(MessageIdentifier)), req(1, "endtime", uint())]);
export const ResponseRetrieve = sequence("ResponseRetrieve", [req(0, "data", octets()), req(1, "size", uint())]);
export const ResponseQuerySize = sequence("ResponseQuerySize", [req(0, "size", uint())]);

export const MsrapResponseData = choice("MsrapResponseData", [
  alt(0, "responseNull", empty("ResponseNull")),
  alt(1, "responseScanList", ResponseScanList),
  alt(2, "responseSilence", empty("ResponseSilence")),
  alt(3, "responseUnPin", empty("ResponseUnPin")),
  alt(4, "responseRetrieve", ResponseRetrieve),
  alt(5, "responseQuerySize", ResponseQuerySize),
]);
export type MsrapResponseData = Infer<typeof MsrapResponseData>;

export const MSRAP = defineProtocol({ name: "MSRAP", label: "Msrap", status: MsrapStatus, commanddata: MsrapCommandData, responsedata: MsrapResponseData,
  responseFor: { commandScanList: "responseScanList", commandSilence: "responseSilence", commandUnPin: "responseUnPin", commandQuerySize: "responseQuerySize", commandRetrieve: "responseRetrieve" } });
export type MsrapCommand = { commanddata: MsrapCommandData };
export type MsrapResponse = { forceabort: boolean; status: number; responsedata: MsrapResponseData };
