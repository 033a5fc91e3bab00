// What the four IM2000 modules have in common (im2000.md §4, §6 item 4): a PDU is a CHOICE of
// [1] Command and [2] Response; a Command is SEQUENCE { [0] commanddata } and a Response is
// SEQUENCE { [0] forceabort, [1] status, [2] responsedata }, both data fields being EXPLICITly
// tagged CHOICEs. Each protocol module defines its own alternatives and its own status table
// (the numbering differs between protocols, I-10: never share status constants).

import {
  alt,
  boolean,
  choice,
  decode,
  DerSchemaError,
  encode,
  encodeParts,
  enumerated,
  explicit,
  req,
  sequence,
  type ChoiceCodec,
  type Codec,
} from "../der/mod.ts";

/** Statuses every protocol has, by name; the numbers differ per protocol. */
export type CommonStatusName =
  | "noerror"
  | "errormalformedpdu"
  | "errorcommandtimeout"
  | "errorunexpectedcommand"
  | "errorserviceshutdown"
  | "errorinternalproblem"
  | "errornotauthenticated";

export interface Command<D> {
  commanddata: D;
}

export interface Response<D> {
  forceabort: boolean;
  status: number;
  responsedata: D;
}

export type Pdu<C, R> = { kind: "command"; value: Command<C> } | { kind: "response"; value: Response<R> };

/** A CHOICE value as the schemas produce it. */
export interface Alternative {
  kind: string;
  value: unknown;
}

export interface Protocol<C extends Alternative, R extends Alternative, S extends Record<CommonStatusName, number> = Record<CommonStatusName, number>> {
  /** "MSOAP", "MSRAP", "RNASP" or "RNAQP". */
  readonly name: string;
  /** Status numbers by name (this protocol's numbering). */
  readonly status: S;
  /** Status names by number. */
  readonly statusNames: readonly string[];
  readonly commandCodec: Codec<Command<C>>;
  readonly responseCodec: Codec<Response<R>>;
  readonly commanddata: ChoiceCodec<C>;
  readonly responsedata: ChoiceCodec<R>;
  /** The PDU CHOICE itself (`MSOAPDU` …), for completeness and for generators. */
  readonly pduCodec: Codec<Pdu<C, R>>;
  /** Encodes a command PDU; framed (4-octet length prefix) unless told otherwise. */
  encodeCommand(cmd: Command<C>, framed?: boolean): Uint8Array;
  encodeResponse(rsp: Response<R>, framed?: boolean): Uint8Array;
  /** Framed encodings as parts for a gathered write (message data is not copied). */
  encodeCommandParts(cmd: Command<C>): Uint8Array[];
  encodeResponseParts(rsp: Response<R>): Uint8Array[];
  /** Decodes one unframed PDU; throws only DerSyntaxError / DerSchemaError. */
  decodePdu(pdu: Uint8Array): Pdu<C, R>;
  /** `Response{forceabort, status, responsedata = ResponseNull}` (§7, §18 C-1). */
  nullResponse(status: number, forceabort?: boolean): Response<R>;
  /** Human name of a status number, `status(12)` when unknown (C-3). */
  statusName(n: number): string;
  /** The responsedata alternative that answers each commanddata alternative. */
  readonly responseFor: Readonly<Record<C["kind"], R["kind"]>>;
}

export function defineProtocol<C extends Alternative, R extends Alternative, S extends Record<CommonStatusName, number>>(def: {
  name: string;
  /** Prefix of the type names used at the root of error paths: "Msoap" → MsoapCommand. */
  label: string;
  status: S;
  commanddata: ChoiceCodec<C>;
  responsedata: ChoiceCodec<R>;
  responseFor: Record<C["kind"], R["kind"]>;
}): Protocol<C, R, S> {
  const statusNames: string[] = [];
  for (const [n, v] of Object.entries(def.status)) statusNames[v] = n;
  const commandName = `${def.label}Command`;
  const responseName = `${def.label}Response`;
  const commandCodec = sequence(commandName, [req(0, "commanddata", explicit(def.commanddata))]) as unknown as Codec<Command<C>>;
  // Response statuses are decoded "open": an unknown status is a generic error, not a bad PDU (§7 C-3).
  const responseCodec = sequence(responseName, [
    req(0, "forceabort", boolean),
    req(1, "status", enumerated(`${def.label}ResponseStatus`, statusNames, true)),
    req(2, "responsedata", explicit(def.responsedata)),
  ]) as unknown as Codec<Response<R>>;
  const pduCodec = choice(`${def.name}PDU`, [alt(1, "command", commandCodec), alt(2, "response", responseCodec)]) as unknown as Codec<Pdu<C, R>>;
  const COMMAND_ID = 0xa1;
  const RESPONSE_ID = 0xa2;
  const nullData = { kind: "responseNull", value: {} } as unknown as R;
  return {
    name: def.name,
    status: def.status,
    statusNames,
    commandCodec,
    responseCodec,
    commanddata: def.commanddata,
    responsedata: def.responsedata,
    pduCodec,
    encodeCommand: (cmd, framed = true) => encode(commandCodec, cmd, framed, COMMAND_ID),
    encodeResponse: (rsp, framed = true) => encode(responseCodec, rsp, framed, RESPONSE_ID),
    encodeCommandParts: (cmd) => encodeParts(commandCodec, cmd, true, COMMAND_ID),
    encodeResponseParts: (rsp) => encodeParts(responseCodec, rsp, true, RESPONSE_ID),
    decodePdu(pdu) {
      const first = pdu.byteLength > 0 ? pdu[0] : undefined;
      if (first === COMMAND_ID) return { kind: "command", value: decode(commandCodec, pdu, commandName, COMMAND_ID) };
      if (first === RESPONSE_ID) return { kind: "response", value: decode(responseCodec, pdu, responseName, RESPONSE_ID) };
      throw new DerSchemaError("unknown-alternative", `a ${def.name} PDU starts with 0xA1 (command) or 0xA2 (response), found ${first === undefined ? "nothing" : "0x" + first.toString(16).toUpperCase().padStart(2, "0")}`, 0, `${def.name}PDU`);
    },
    nullResponse: (status, forceabort = true) => ({ forceabort, status, responsedata: nullData }),
    statusName: (n) => statusNames[n] ?? `status(${n})`,
    responseFor: def.responseFor,
  };
}
