// Data types shared by the four IM2000 modules (im2000.md §8). MSOAP's RecipientMailBox and
// RNASP/RNAQP's MailBox are one structure under two names (I-14): one codec, `MailBox`.

import { alt, choice, explicit, octets, opt, req, sequence, sequenceOf, uint, utf8, type Infer } from "../der/mod.ts";

/** 16 opaque octets; a capability (im2000 §16.1). Anything else is malformed (§18 C-12). */
export const MessageIdentifier = octets("MessageIdentifier", 16);
export type MessageIdentifier = Uint8Array;

/** One element per DNS label, left to right, no empty root label (§8 [R]); labels tagged 0x16. */
export const DomainName = sequenceOf(utf8, "DomainName");
export type DomainName = string[];

export const MailBox = sequence("MailBox", [req(0, "localpart", utf8), req(1, "domain", DomainName)]);
export type MailBox = Infer<typeof MailBox>;

/** PortNumber: 0 is invalid (§8 [R], §18 C-12). */
export const PortNumber = uint(1, 65535, "PortNumber");

export const IPAddress = choice("IPAddress", [alt(0, "version4", octets("Version4", 4)), alt(1, "version6", octets("Version6", 16))]);
export type IPAddress = Infer<typeof IPAddress>;

export const IPAddressAndPort = sequence("IPAddressAndPort", [req(0, "address", explicit(IPAddress)), req(1, "port", PortNumber)]);
export type IPAddressAndPort = Infer<typeof IPAddressAndPort>;

export const ServiceLocation = choice("ServiceLocation", [alt(0, "literals", sequenceOf(IPAddressAndPort)), alt(1, "domain", DomainName)]);
export type ServiceLocation = Infer<typeof ServiceLocation>;

/** Where the RNASP client connected from, as the RNA saw it (RNAQP, §8 [R]). */
export const ClientLocation = sequence("ClientLocation", [req(0, "address", explicit(IPAddress)), req(1, "port", PortNumber), opt(2, "domain", DomainName)]);
export type ClientLocation = Infer<typeof ClientLocation>;

/** §8.1: identical in RNASP and RNAQP. */
export const Notification = sequence("Notification", [
  req(0, "storeclear", explicit(ServiceLocation)),
  opt(1, "storessl", explicit(ServiceLocation)),
  req(2, "recipient", MailBox),
  req(3, "identifier", MessageIdentifier),
  req(4, "sender", utf8),
  opt(5, "size", uint()),
]);
export type Notification = Infer<typeof Notification>;

/** §8.2: a notification as the RNA hands it out. `date` is seconds since 1970 UTC (I-8). */
export const NotificationAndLocalData = sequence("NotificationAndLocalData", [
  req(0, "notification", Notification),
  req(1, "submitter", ClientLocation),
  req(2, "date", uint()),
]);
export type NotificationAndLocalData = Infer<typeof NotificationAndLocalData>;

/** The empty SEQUENCE used by ResponseNull and other bodies without fields. */
export function empty<N extends string>(typeName: N) {
  return sequence(typeName, []);
}
