// RNASP, the Recipient Notification Agent Submission Protocol (im2000.md §13): a store pushes a
// batch of notifications; the batch is accepted all-or-nothing.

import { alt, choice, req, sequence, sequenceOf, type Infer } from "../der/mod.ts";
import { defineProtocol } from "./protocol.ts";
import { empty, Notification } from "./types.ts";

export const RnaspStatus = {
  noerror: 0,
  errormalformedpdu: 1,
  errorcommandtimeout: 2,
  errornotauthenticated: 3,
  errorunexpectedcommand: 4,
  errorserviceshutdown: 5,
  errorinternalproblem: 6,
} as const;

/** The SEQUENCE OF is required here (an empty batch is a valid probe, §13). */
export const CommandNotify = sequence("CommandNotify", [req(0, "notifications", sequenceOf(Notification))]);

export const RnaspCommandData = choice("RnaspCommandData", [alt(0, "commandNotify", CommandNotify)]);
export type RnaspCommandData = Infer<typeof RnaspCommandData>;

export const RnaspResponseData = choice("RnaspResponseData", [alt(0, "responseNull", empty("ResponseNull")), alt(1, "responseNotify", empty("ResponseNotify"))]);
export type RnaspResponseData = Infer<typeof RnaspResponseData>;

export const RNASP = defineProtocol({ name: "RNASP", label: "Rnasp", status: RnaspStatus, commanddata: RnaspCommandData, responsedata: RnaspResponseData,
  responseFor: { commandNotify: "responseNotify" } });
export type RnaspCommand = { commanddata: RnaspCommandData };
export type RnaspResponse = { forceabort: boolean; status: number; responsedata: RnaspResponseData };
