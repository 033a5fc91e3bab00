// Writes fixtures/der/valid/*.hex and fixtures/der/invalid/*.hex (format: fixtures/der/README.md).
//
// Every valid fixture is written down twice, independently:
//   - `value`: the PDU as a TypeScript value, encoded with the codecs in src/im2000/;
//   - `wire`:  the octets built by hand, TLV by TLV, from the tables of im2000.md (§4, §6 item 4,
//              §8–§14, §18), with a tiny TLV builder that shares no code with src/der/.
// The script refuses to write anything unless the two agree, so a codec that puts a wrong tag on
// the wire cannot silently become the fixture. Invalid fixtures are hand-built octets; the script
// checks that each fails with the declared error kind and rule before writing it.
//
// Run: node --import tsx scripts/gen-der-fixtures.ts   (rewrites both directories)

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { DerSchemaError, DerSyntaxError } from "../src/der/mod.ts";
import { MSOAP } from "../src/im2000/msoap.ts";
import { MSRAP } from "../src/im2000/msrap.ts";
import { RNASP } from "../src/im2000/rnasp.ts";
import { RNAQP } from "../src/im2000/rnaqp.ts";
import type { Alternative, Pdu, Protocol } from "../src/im2000/protocol.ts";

type ProtocolName = "MSOAP" | "MSRAP" | "RNASP" | "RNAQP";
const PROTOCOLS = { MSOAP, MSRAP, RNASP, RNAQP } as unknown as Record<ProtocolName, Protocol<Alternative, Alternative>>;

// ---------------------------------------------------------------------------------------------
// A hand TLV builder (X.690 §8.1): identifier octet, definite minimal length, contents.

type Part = Uint8Array | readonly number[] | string;

function bytesOf(p: Part): Uint8Array {
  if (typeof p === "string") return hexBytes(p);
  return p instanceof Uint8Array ? p : Uint8Array.from(p);
}

function hexBytes(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function cat(...parts: Part[]): Uint8Array {
  const bs = parts.map(bytesOf);
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let p = 0;
  for (const b of bs) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

/** Definite length octets, short form under 128, else 0x8n + n big-endian octets (X.690 §8.1.3). */
function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const octets: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) octets.unshift(x % 256);
  return [0x80 | octets.length, ...octets];
}

/** One TLV: identifier octet `id`, contents = the parts concatenated. */
function T(id: number, ...parts: Part[]): Uint8Array {
  const content = cat(...parts);
  return cat([id, ...lengthOctets(content.length)], content);
}

/** Minimal two's-complement contents of a non-negative INTEGER (X.690 §8.3.2). */
function u(n: number | bigint): number[] {
  let x = BigInt(n);
  const octets: number[] = [];
  do {
    octets.unshift(Number(x & 0xffn));
    x >>= 8n;
  } while (x > 0n);
  if (octets[0]! & 0x80) octets.unshift(0);
  return octets;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

// The common skeleton (im2000 §4 item 6, §6 item 4): PDU [1] Command { [0] commanddata EXPLICIT
// CHOICE } and [2] Response { [0] forceabort, [1] status, [2] responsedata EXPLICIT CHOICE }; the
// chosen alternative [n] is a SEQUENCE, IMPLICITly tagged, so constructed 0xA0|n.
const cmd = (alt: number, ...fields: Part[]) => T(0xa1, T(0xa0, T(0xa0 | alt, ...fields)));
const rsp = (forceabort: boolean, status: number, alt: number, ...fields: Part[]) =>
  T(0xa2, T(0x80, [forceabort ? 0xff : 0x00]), T(0x81, u(status)), T(0xa2, T(0xa0 | alt, ...fields)));

// §8 shared types, by hand.
/** DomainName: SEQUENCE OF UTF8String, labels untagged so [UNIVERSAL 22] = 0x16 (§6 item 3). */
const labels = (names: string[], labelId = 0x16) => names.map((l) => T(labelId, utf8(l)));
/** MailBox / RecipientMailBox: SEQUENCE { [0] localpart UTF8String, [1] domain DomainName }. */
const mailbox = (localpart: string, domain: string[], labelId = 0x16) => T(0x30, T(0x80, utf8(localpart)), T(0xa1, ...labels(domain, labelId)));
/** IPAddressAndPort: SEQUENCE { [0] address EXPLICIT IPAddress, [1] port }; IPAddress [0] v4 / [1] v6. */
const ipPort = (ip: number[], port: number) => T(0x30, T(0xa0, T(ip.length === 4 ? 0x80 : 0x81, ip)), T(0x81, u(port)));

// Values, in the codecs' shape.
const v4 = (...b: number[]) => ({ kind: "version4", value: Uint8Array.from(b) });
const v6 = (...b: number[]) => ({ kind: "version6", value: Uint8Array.from(b) });
const ID_A = Uint8Array.from({ length: 16 }, (_, i) => i); // 00 01 … 0F
const ID_B = new Uint8Array(16).fill(0xa5);
const ID_ONES = new Uint8Array(16).fill(0x01);
const IPV6_DOC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]; // 2001:db8::1
const command = (kind: string, value: unknown) => ({ kind: "command", value: { commanddata: { kind, value } } });
const response = (forceabort: boolean, status: number, kind: string, value: unknown = {}) => ({ kind: "response", value: { forceabort, status, responsedata: { kind, value } } });

// ---------------------------------------------------------------------------------------------
// The fixtures.

interface Valid {
  file: string;
  protocol: ProtocolName;
  note: string;
  wire: Uint8Array;
  /** The value the codec must encode to exactly `wire` (round-tripping fixtures). */
  value?: unknown;
  /** For non-round-tripping fixtures: the valid file whose value this one must decode to. */
  equals?: string;
}

interface Invalid {
  file: string;
  protocol: ProtocolName;
  note: string;
  error: "syntax" | "schema";
  rule: string;
  wire: Uint8Array;
}

const valid: Valid[] = [];
const invalid: Invalid[] = [];

// ---- MSOAP (§9) -------------------------------------------------------------------------------

valid.push({
  file: "msoap-command-authenticate.hex",
  protocol: "MSOAP",
  note: "CommandAuthenticate (commanddata [0]) {account [0] 'alice', password [1] 'correct horse'} (§9.2)",
  value: command("commandAuthenticate", { account: "alice", password: "correct horse" }),
  wire: cmd(0, T(0x80, utf8("alice")), T(0x81, utf8("correct horse"))),
});

const envelopeRecipients = [
  { localpart: "lucy", domain: ["example", "org"] },
  { localpart: "Émile", domain: ["mail", "example", "net"] },
];
valid.push({
  file: "msoap-command-submit-envelope.hex",
  protocol: "MSOAP",
  note: "CommandSubmitEnvelope (commanddata [1]) {recipients [0] SEQUENCE OF RecipientMailBox (2, one non-ASCII localpart), lists [1] SEQUENCE OF ListName (OCTET STRING) ['announce'], lifetime [2] 604800 s} (§9.2)",
  value: command("commandSubmitEnvelope", { recipients: envelopeRecipients, lists: [utf8("announce")], lifetime: 604800 }),
  wire: cmd(1, T(0xa0, mailbox("lucy", ["example", "org"]), mailbox("Émile", ["mail", "example", "net"])), T(0xa1, T(0x04, utf8("announce"))), T(0x82, u(604800))),
});
valid.push({
  file: "msoap-command-submit-envelope-recipients-only.hex",
  protocol: "MSOAP",
  note: "CommandSubmitEnvelope with recipients only: the empty OPTIONAL lists is omitted (§18 C-3); lifetime 86400",
  value: command("commandSubmitEnvelope", { recipients: [{ localpart: "lucy", domain: ["example", "org"] }], lifetime: 86400 }),
  wire: cmd(1, T(0xa0, mailbox("lucy", ["example", "org"])), T(0x82, u(86400))),
});
valid.push({
  file: "msoap-command-submit-envelope-lists-only.hex",
  protocol: "MSOAP",
  note: "CommandSubmitEnvelope with lists only ['announce', 'staff'], lifetime 0",
  value: command("commandSubmitEnvelope", { lists: [utf8("announce"), utf8("staff")], lifetime: 0 }),
  wire: cmd(1, T(0xa1, T(0x04, utf8("announce")), T(0x04, utf8("staff"))), T(0x82, u(0))),
});
valid.push({
  file: "msoap-command-submit-envelope-neither.hex",
  protocol: "MSOAP",
  note: "CommandSubmitEnvelope with neither recipients nor lists: well-formed (a store refuses it with errornotpermitted, §18 C-1); lifetime 2^53-1 (7 INTEGER octets)",
  value: command("commandSubmitEnvelope", { lifetime: Number.MAX_SAFE_INTEGER }),
  wire: cmd(1, T(0x82, u(Number.MAX_SAFE_INTEGER))),
});
valid.push({
  file: "msoap-command-submit-envelope-empty-lists.hex",
  protocol: "MSOAP",
  note: "CommandSubmitEnvelope whose OPTIONAL lists is present but empty (A1 00): read as absent (§18 C-3), so it re-encodes without it",
  equals: "msoap-command-submit-envelope-recipients-only.hex",
  wire: cmd(1, T(0xa0, mailbox("lucy", ["example", "org"])), T(0xa1), T(0x82, u(86400))),
});
valid.push({
  file: "msoap-command-submit-envelope-label-0c.hex",
  protocol: "MSOAP",
  note: "as msoap-command-submit-envelope-recipients-only.hex but the DomainName labels carry the real UTF8String tag 0x0C, accepted on input (§6 item 3); we emit 0x16",
  equals: "msoap-command-submit-envelope-recipients-only.hex",
  wire: cmd(1, T(0xa0, mailbox("lucy", ["example", "org"], 0x0c)), T(0x82, u(86400))),
});

const chunkData = utf8("From: toby@example.com\r\nTo: lucy@example.org\r\nSubject: fixtures\r\n\r\n" + "0123456789".repeat(10) + "\r\n");
valid.push({
  file: "msoap-command-submit-msg-chunk.hex",
  protocol: "MSOAP",
  note: `CommandSubmitMsgChunk (commanddata [2]) {islast [0] FALSE, offset [1] 70000 (3 octets), data [2] ${chunkData.length} octets (long-form lengths)} (§9.2, §9.4)`,
  value: command("commandSubmitMsgChunk", { islast: false, offset: 70000, data: chunkData }),
  wire: cmd(2, T(0x80, [0x00]), T(0x81, u(70000)), T(0x82, chunkData)),
});
valid.push({
  file: "msoap-command-submit-msg-chunk-last-empty.hex",
  protocol: "MSOAP",
  note: "CommandSubmitMsgChunk {islast TRUE (0xFF), offset 128 (00 80: leading zero kept), data empty} - a final chunk may carry no data (§9.4)",
  value: command("commandSubmitMsgChunk", { islast: true, offset: 128, data: new Uint8Array(0) }),
  wire: cmd(2, T(0x80, [0xff]), T(0x81, u(128)), T(0x82)),
});
valid.push({
  file: "msoap-command-submit-msg-chunk-unknown-components.hex",
  protocol: "MSOAP",
  note: "CommandSubmitMsgChunk with unknown context components skipped (§18 C-12): primitive [5] between islast and offset, constructed [30] at the end, [40] (high-tag-number form) inside Command after commanddata",
  equals: "msoap-command-submit-msg-chunk-last-empty.hex",
  wire: T(0xa1, T(0xa0, T(0xa2, T(0x80, [0xff]), T(0x85, "DE AD"), T(0x81, u(128)), T(0x82), T(0xbe, T(0x04, "00")))), "9F 28 00"),
});
valid.push({
  file: "msoap-command-track.hex",
  protocol: "MSOAP",
  note: "CommandTrack (commanddata [3]) {identifier [0] MessageIdentifier 00..0F} (§9.2)",
  value: command("commandTrack", { identifier: ID_A }),
  wire: cmd(3, T(0x80, ID_A)),
});
valid.push({
  file: "msoap-command-cancel.hex",
  protocol: "MSOAP",
  note: "CommandCancel (commanddata [4]) {identifier [0] 16 x A5} (§9.2)",
  value: command("commandCancel", { identifier: ID_B }),
  wire: cmd(4, T(0x80, ID_B)),
});

valid.push({
  file: "msoap-response-null-malformedpdu.hex",
  protocol: "MSOAP",
  note: "the S-1 reply: ResponseNull, forceabort TRUE, errormalformedpdu (1) - §18 C-2 vector, unframed",
  value: response(true, 1, "responseNull"),
  wire: hexBytes("A2 0A 80 01 FF 81 01 01 A2 02 A0 00"),
});
valid.push({
  file: "msoap-response-authenticate.hex",
  protocol: "MSOAP",
  note: "ResponseAuthenticate (responsedata [1], empty), noerror",
  value: response(false, 0, "responseAuthenticate"),
  wire: rsp(false, 0, 1),
});
valid.push({
  file: "msoap-response-null-notauthenticated.hex",
  protocol: "MSOAP",
  note: "failed authentication: ResponseNull, forceabort TRUE, errornotauthenticated (6 in MSOAP numbering, I-10) (§9.4, §18 C-1)",
  value: response(true, 6, "responseNull"),
  wire: rsp(true, 6, 0),
});
valid.push({
  file: "msoap-response-submit-envelope-partly-denied.hex",
  protocol: "MSOAP",
  note: "ResponseSubmitEnvelope {recipients [acceptable, submissionaccessdenied]}, errornotpermitted, no abort (§18 C-1 a) - §18 C-2 vector, unframed",
  value: response(false, 7, "responseSubmitEnvelope", { recipients: [0, 1] }),
  wire: hexBytes("A2 12 80 01 00 81 01 07 A2 0A A2 08 A0 06 0A 01 00 0A 01 01"),
});
valid.push({
  file: "msoap-response-submit-envelope-accepted.hex",
  protocol: "MSOAP",
  note: "ResponseSubmitEnvelope (responsedata [2]) {recipients [0] [acceptable, acceptable], lists [1] [acceptable]} (untagged ENUMERATED = 0x0A, §18 C-2), noerror",
  value: response(false, 0, "responseSubmitEnvelope", { recipients: [0, 0], lists: [0] }),
  wire: rsp(false, 0, 2, T(0xa0, T(0x0a, u(0)), T(0x0a, u(0))), T(0xa1, T(0x0a, u(0)))),
});
valid.push({
  file: "msoap-response-submit-envelope-all-denied.hex",
  protocol: "MSOAP",
  note: "ResponseSubmitEnvelope, every entry submissionaccessdenied: errornotpermitted with forceabort TRUE (§18 C-1 a)",
  value: response(true, 7, "responseSubmitEnvelope", { recipients: [1], lists: [1, 1] }),
  wire: rsp(true, 7, 2, T(0xa0, T(0x0a, u(1))), T(0xa1, T(0x0a, u(1)), T(0x0a, u(1)))),
});
valid.push({
  file: "msoap-response-submit-msg-chunk.hex",
  protocol: "MSOAP",
  note: "ResponseSubmitMsgChunk (responsedata [3]) without identifier: the answer to a non-final chunk (§9.4)",
  value: response(false, 0, "responseSubmitMsgChunk"),
  wire: rsp(false, 0, 3),
});
valid.push({
  file: "msoap-response-submit-msg-chunk-last.hex",
  protocol: "MSOAP",
  note: "ResponseSubmitMsgChunk {identifier [0] 00..0F}: the answer to the islast chunk (§9.3, §9.4)",
  value: response(false, 0, "responseSubmitMsgChunk", { identifier: ID_A }),
  wire: rsp(false, 0, 3, T(0x80, ID_A)),
});
valid.push({
  file: "msoap-response-error-own-body.hex",
  protocol: "MSOAP",
  note: "errorwouldexceedquota (9), forceabort TRUE, with the command's own (empty) ResponseSubmitMsgChunk body instead of ResponseNull - clients accept either (§18 C-1)",
  value: response(true, 9, "responseSubmitMsgChunk"),
  wire: rsp(true, 9, 3),
});
valid.push({
  file: "msoap-response-track.hex",
  protocol: "MSOAP",
  note: "ResponseTrack (responsedata [4]) {recipients [0] SEQUENCE OF RecipientDeliveryStatus {recipient [0], status [1] DeliveryStatus {notificationstatus [0], read [1], pinned [2]}}}: lucy notifying/readall/pinned, emile silenced/unread/unpinned",
  value: response(false, 0, "responseTrack", {
    recipients: [
      { recipient: { localpart: "lucy", domain: ["example", "org"] }, status: { notificationstatus: 6, read: 3, pinned: true } },
      { recipient: { localpart: "emile", domain: ["example", "net"] }, status: { notificationstatus: 7, read: 0, pinned: false } },
    ],
  }),
  wire: rsp(
    false,
    0,
    4,
    T(
      0xa0,
      T(0x30, T(0xa0, T(0x80, utf8("lucy")), T(0xa1, ...labels(["example", "org"]))), T(0xa1, T(0x80, u(6)), T(0x81, u(3)), T(0x82, [0xff]))),
      T(0x30, T(0xa0, T(0x80, utf8("emile")), T(0xa1, ...labels(["example", "net"]))), T(0xa1, T(0x80, u(7)), T(0x81, u(0)), T(0x82, [0x00]))),
    ),
  ),
});
valid.push({
  file: "msoap-response-track-unknown-notificationstatus.hex",
  protocol: "MSOAP",
  note: "ResponseTrack with NotificationStatus 8 and ReadStatus 4, beyond the tables: responses decode unknown values (§7 C-3), so a newer store does not break an older client",
  value: response(false, 0, "responseTrack", { recipients: [{ recipient: { localpart: "lucy", domain: ["example", "org"] }, status: { notificationstatus: 8, read: 4, pinned: true } }] }),
  wire: rsp(false, 0, 4, T(0xa0, T(0x30, T(0xa0, T(0x80, utf8("lucy")), T(0xa1, ...labels(["example", "org"]))), T(0xa1, T(0x80, u(8)), T(0x81, u(4)), T(0x82, [0xff]))))),
});
valid.push({
  file: "msoap-response-cancel.hex",
  protocol: "MSOAP",
  note: "ResponseCancel (responsedata [5], empty), noerror",
  value: response(false, 0, "responseCancel"),
  wire: rsp(false, 0, 5),
});
valid.push({
  file: "msoap-response-null-lifetime-too-short.hex",
  protocol: "MSOAP",
  note: "ResponseNull, forceabort TRUE, errorlifetimetooshort (10) (§9.4, §18 C-1)",
  value: response(true, 10, "responseNull"),
  wire: rsp(true, 10, 0),
});
valid.push({
  file: "msoap-response-null-unknown-status.hex",
  protocol: "MSOAP",
  note: "ResponseNull, forceabort TRUE, status 200 (not in the table, 2 INTEGER octets 00 C8): decodes, and is a generic error to the client (§7 C-3)",
  value: response(true, 200, "responseNull"),
  wire: rsp(true, 200, 0),
});

// ---- MSRAP (§10) ------------------------------------------------------------------------------

valid.push({
  file: "msrap-command-scan-list.hex",
  protocol: "MSRAP",
  note: "CommandScanList (commanddata [0]) {listname [0] UTF8String 'announce', begintime [1] 1700000000} (§10.2)",
  value: command("commandScanList", { listname: "announce", begintime: 1700000000 }),
  wire: cmd(0, T(0x80, utf8("announce")), T(0x81, u(1700000000))),
});
valid.push({
  file: "msrap-command-silence.hex",
  protocol: "MSRAP",
  note: "CommandSilence (commanddata [1]) {identifier [0] 00..0F}",
  value: command("commandSilence", { identifier: ID_A }),
  wire: cmd(1, T(0x80, ID_A)),
});
valid.push({
  file: "msrap-command-unpin.hex",
  protocol: "MSRAP",
  note: "CommandUnPin (commanddata [2]) {identifier [0] 16 x A5}",
  value: command("commandUnPin", { identifier: ID_B }),
  wire: cmd(2, T(0x80, ID_B)),
});
valid.push({
  file: "msrap-command-query-size.hex",
  protocol: "MSRAP",
  note: "CommandQuerySize (commanddata [3], defined by I-3) {identifier [0], type [1] RetrievalType headersonly (2)}",
  value: command("commandQuerySize", { identifier: ID_A, type: 2 }),
  wire: cmd(3, T(0x80, ID_A), T(0x81, u(2))),
});
valid.push({
  file: "msrap-command-retrieve.hex",
  protocol: "MSRAP",
  note: "CommandRetrieve (commanddata [4]) {identifier [0], type [1] all (3), offset [2] 65536, length [3] 32768 (00 80 00)}",
  value: command("commandRetrieve", { identifier: ID_A, type: 3, offset: 65536, length: 32768 }),
  wire: cmd(4, T(0x80, ID_A), T(0x81, u(3)), T(0x82, u(65536)), T(0x83, u(32768))),
});
valid.push({
  file: "msrap-command-retrieve-nothing.hex",
  protocol: "MSRAP",
  note: "CommandRetrieve {type nothing (0), offset 0, length 0}: a size probe (§10.4)",
  value: command("commandRetrieve", { identifier: ID_B, type: 0, offset: 0, length: 0 }),
  wire: cmd(4, T(0x80, ID_B), T(0x81, u(0)), T(0x82, u(0)), T(0x83, u(0))),
});

valid.push({
  file: "msrap-response-null-malformedpdu.hex",
  protocol: "MSRAP",
  note: "the S-1 reply, identical in every protocol (§18 C-2)",
  value: response(true, 1, "responseNull"),
  wire: rsp(true, 1, 0),
});
valid.push({
  file: "msrap-response-null-nosuchmessage.hex",
  protocol: "MSRAP",
  note: "errornosuchmessage (7): ResponseNull, forceabort FALSE (§18 C-1 b) - §18 C-2 vector, unframed",
  value: response(false, 7, "responseNull"),
  wire: hexBytes("A2 0A 80 01 00 81 01 07 A2 02 A0 00"),
});
valid.push({
  file: "msrap-response-scan-list.hex",
  protocol: "MSRAP",
  note: "ResponseScanList (responsedata [1]) {messages [0] SEQUENCE OF MessageIdentifier (2), endtime [1] 1700000123}",
  value: response(false, 0, "responseScanList", { messages: [ID_A, ID_B], endtime: 1700000123 }),
  wire: rsp(false, 0, 1, T(0xa0, T(0x04, ID_A), T(0x04, ID_B)), T(0x81, u(1700000123))),
});
valid.push({
  file: "msrap-response-scan-list-empty.hex",
  protocol: "MSRAP",
  note: "ResponseScanList with no messages: the SEQUENCE OF is required here, so it is present and empty (A0 00); endtime 2^31 (5 octets, leading zero)",
  value: response(false, 0, "responseScanList", { messages: [], endtime: 2 ** 31 }),
  wire: rsp(false, 0, 1, T(0xa0), T(0x81, u(2 ** 31))),
});
valid.push({
  file: "msrap-response-silence.hex",
  protocol: "MSRAP",
  note: "ResponseSilence (responsedata [2], empty)",
  value: response(false, 0, "responseSilence"),
  wire: rsp(false, 0, 2),
});
valid.push({
  file: "msrap-response-unpin.hex",
  protocol: "MSRAP",
  note: "ResponseUnPin (responsedata [3], empty)",
  value: response(false, 0, "responseUnPin"),
  wire: rsp(false, 0, 3),
});
valid.push({
  file: "msrap-response-retrieve.hex",
  protocol: "MSRAP",
  note: "ResponseRetrieve (responsedata [4]) {data [0] 'hi', size [1] 2} (I-15), noerror - §18 C-2 vector, unframed",
  value: response(false, 0, "responseRetrieve", { data: utf8("hi"), size: 2 }),
  wire: hexBytes("A2 11 80 01 00 81 01 00 A2 09 A4 07 80 02 68 69 81 01 02"),
});
valid.push({
  file: "msrap-response-retrieve-unknown-components.hex",
  protocol: "MSRAP",
  note: "the C-2 ResponseRetrieve with unknown context components skipped (§18 C-12): [7] inside ResponseRetrieve before data, constructed [3] in Response after responsedata",
  equals: "msrap-response-retrieve.hex",
  wire: T(0xa2, T(0x80, [0x00]), T(0x81, u(0)), T(0xa2, T(0xa4, T(0x87), T(0x80, utf8("hi")), T(0x81, u(2)))), T(0xa3, T(0x30))),
});
valid.push({
  file: "msrap-response-query-size.hex",
  protocol: "MSRAP",
  note: "ResponseQuerySize (responsedata [5], added by I-3) {size [0] 1048576}",
  value: response(false, 0, "responseQuerySize", { size: 1048576 }),
  wire: rsp(false, 0, 5, T(0x80, u(1048576))),
});

// ---- RNASP (§13) ------------------------------------------------------------------------------

const lucyNotification = {
  storeclear: { kind: "literals", value: [{ address: v4(127, 0, 0, 1), port: 8193 }] },
  recipient: { localpart: "lucy", domain: ["example", "org"] },
  identifier: ID_ONES,
  sender: "toby",
  size: 42,
};
/** Notification (§8.1) by hand: [0] storeclear and [1] storessl EXPLICIT ServiceLocation
 * ([0] literals SEQUENCE OF IPAddressAndPort | [1] domain DomainName), [2] recipient MailBox,
 * [3] identifier, [4] sender, [5] size. */
const lucyNotificationWire = T(
  0x30,
  T(0xa0, T(0xa0, ipPort([127, 0, 0, 1], 8193))),
  T(0xa2, T(0x80, utf8("lucy")), T(0xa1, ...labels(["example", "org"]))),
  T(0x83, ID_ONES),
  T(0x84, utf8("toby")),
  T(0x85, u(42)),
);
const domainNotification = {
  storeclear: { kind: "domain", value: ["store", "example", "com"] },
  storessl: { kind: "literals", value: [{ address: v6(...IPV6_DOC), port: 65535 }, { address: v4(192, 0, 2, 7), port: 1 }] },
  recipient: { localpart: "lucy", domain: ["example", "org"] },
  identifier: ID_B,
  sender: "",
};
const domainNotificationWire = T(
  0x30,
  T(0xa0, T(0xa1, ...labels(["store", "example", "com"]))),
  T(0xa1, T(0xa0, ipPort(IPV6_DOC, 65535), ipPort([192, 0, 2, 7], 1))),
  T(0xa2, T(0x80, utf8("lucy")), T(0xa1, ...labels(["example", "org"]))),
  T(0x83, ID_B),
  T(0x84),
);

valid.push({
  file: "rnasp-command-notify.hex",
  protocol: "RNASP",
  note: "CommandNotify, one notification (storeclear literals [127.0.0.1:8193], lucy@example.org, identifier 16 x 01, sender 'toby', size 42) - §18 C-2 vector, unframed",
  value: command("commandNotify", { notifications: [lucyNotification] }),
  wire: hexBytes(`A1 4D A0 4B A0 49 A0 47 30 45 A0 10 A0 0E 30 0C A0 06 80 04 7F 00 00 01 81 02 20 01
    A2 16 80 04 6C 75 63 79 A1 0E 16 07 65 78 61 6D 70 6C 65 16 03 6F 72 67 83 10 01 01 01 01 01 01
    01 01 01 01 01 01 01 01 01 01 84 04 74 6F 62 79 85 01 2A`),
});
valid.push({
  file: "rnasp-command-notify-domain-and-ssl.hex",
  protocol: "RNASP",
  note: "CommandNotify: storeclear in domain form, storessl [1] with two literals ([2001:db8::1]:65535 (81 03 00 FF FF), 192.0.2.7:1), empty sender, no size (§8, §8.1)",
  value: command("commandNotify", { notifications: [domainNotification] }),
  wire: cmd(0, T(0xa0, domainNotificationWire)),
});
valid.push({
  file: "rnasp-command-notify-batch.hex",
  protocol: "RNASP",
  note: "CommandNotify with a batch of two notifications (the C-2 one, then the domain-form one)",
  value: command("commandNotify", { notifications: [lucyNotification, domainNotification] }),
  wire: cmd(0, T(0xa0, lucyNotificationWire, domainNotificationWire)),
});
valid.push({
  file: "rnasp-command-notify-empty.hex",
  protocol: "RNASP",
  note: "CommandNotify with an empty batch, a valid probe (§13): the SEQUENCE OF is required, so present and empty",
  value: command("commandNotify", { notifications: [] }),
  wire: cmd(0, T(0xa0)),
});
valid.push({
  file: "rnasp-command-notify-label-0c.hex",
  protocol: "RNASP",
  note: "the C-2 CommandNotify with its DomainName labels tagged 0x0C (real UTF8String), accepted on input (§6 item 3); we emit 0x16",
  equals: "rnasp-command-notify.hex",
  wire: cmd(
    0,
    T(0xa0, T(0x30, T(0xa0, T(0xa0, ipPort([127, 0, 0, 1], 8193))), T(0xa2, T(0x80, utf8("lucy")), T(0xa1, ...labels(["example", "org"], 0x0c))), T(0x83, ID_ONES), T(0x84, utf8("toby")), T(0x85, u(42)))),
  ),
});
valid.push({
  file: "rnasp-command-notify-unknown-components.hex",
  protocol: "RNASP",
  note: "the C-2 CommandNotify with unknown context components skipped at several depths (§18 C-12): [6] in Notification between storeclear and recipient, [2] in MailBox, [9] constructed in IPAddressAndPort, [1] in CommandNotify, [31] (high-tag-number form) in Command",
  equals: "rnasp-command-notify.hex",
  wire: T(
    0xa1,
    T(
      0xa0,
      T(
        0xa0,
        T(
          0xa0,
          T(
            0x30,
            T(0xa0, T(0xa0, T(0x30, T(0xa0, T(0x80, [127, 0, 0, 1])), T(0xa9, T(0x02, "01")), T(0x81, u(8193))))),
            T(0x86, "01 02 03"),
            T(0xa2, T(0x80, utf8("lucy")), T(0xa1, ...labels(["example", "org"])), T(0x82, utf8("x"))),
            T(0x83, ID_ONES),
            T(0x84, utf8("toby")),
            T(0x85, u(42)),
          ),
        ),
        T(0x81, [0x00]),
      ),
    ),
    "9F 1F 00",
  ),
});

valid.push({
  file: "rnasp-response-notify.hex",
  protocol: "RNASP",
  note: "ResponseNotify (responsedata [1], empty), noerror: the RNA has the whole batch (§13)",
  value: response(false, 0, "responseNotify"),
  wire: rsp(false, 0, 1),
});
valid.push({
  file: "rnasp-response-null-malformedpdu.hex",
  protocol: "RNASP",
  note: "the S-1 reply, identical in every protocol (§18 C-2)",
  value: response(true, 1, "responseNull"),
  wire: rsp(true, 1, 0),
});
valid.push({
  file: "rnasp-response-null-internalproblem.hex",
  protocol: "RNASP",
  note: "ResponseNull, forceabort TRUE, errorinternalproblem (6): the RNA could not store the batch (§13, §18 C-1)",
  value: response(true, 6, "responseNull"),
  wire: rsp(true, 6, 0),
});
valid.push({
  file: "rnasp-response-null-commandtimeout.hex",
  protocol: "RNASP",
  note: "the S-4 idle timeout: ResponseNull, forceabort TRUE, errorcommandtimeout (2) (§7, §18 C-6)",
  value: response(true, 2, "responseNull"),
  wire: rsp(true, 2, 0),
});

// ---- RNAQP (§14) ------------------------------------------------------------------------------

valid.push({
  file: "rnaqp-command-authenticate.hex",
  protocol: "RNAQP",
  note: "CommandAuthenticate{account 'u', password 'p'} - the worked example of §6.1, unframed",
  value: command("commandAuthenticate", { account: "u", password: "p" }),
  wire: hexBytes("A1 0A A0 08 A0 06 80 01 75 81 01 70"),
});
valid.push({
  file: "rnaqp-command-retrieve-and-clear.hex",
  protocol: "RNAQP",
  note: "CommandRetrieveAndClear (commanddata [1], empty SEQUENCE)",
  value: command("commandRetrieveAndClear", {}),
  wire: cmd(1),
});
valid.push({
  file: "rnaqp-command-retrieve-and-clear-unknown-component.hex",
  protocol: "RNAQP",
  note: "CommandRetrieveAndClear holding an unknown primitive [0]: the empty SEQUENCE defines no tags, so it is skipped (§18 C-12)",
  equals: "rnaqp-command-retrieve-and-clear.hex",
  wire: cmd(1, T(0x80, [0x00])),
});
valid.push({
  file: "rnaqp-response-authenticate.hex",
  protocol: "RNAQP",
  note: "ResponseAuthenticate, noerror - the worked example of §6.1, unframed",
  value: response(false, 0, "responseAuthenticate"),
  wire: hexBytes("A2 0A 80 01 00 81 01 00 A2 02 A1 00"),
});
valid.push({
  file: "rnaqp-response-null-malformedpdu.hex",
  protocol: "RNAQP",
  note: "the S-1 reply, identical in every protocol (§18 C-2)",
  value: response(true, 1, "responseNull"),
  wire: rsp(true, 1, 0),
});
valid.push({
  file: "rnaqp-response-null-notauthenticated.hex",
  protocol: "RNAQP",
  note: "ResponseNull, forceabort TRUE, errornotauthenticated (3 in RNAQP numbering, I-10) (§14, §18 C-1)",
  value: response(true, 3, "responseNull"),
  wire: rsp(true, 3, 0),
});
valid.push({
  file: "rnaqp-response-null-serviceshutdown.hex",
  protocol: "RNAQP",
  note: "the S-5 reply: ResponseNull, forceabort TRUE, errorserviceshutdown (5) (§7, §18 C-6)",
  value: response(true, 5, "responseNull"),
  wire: rsp(true, 5, 0),
});
const submitter = { address: v4(192, 0, 2, 2), port: 49152, domain: ["store", "example", "com"] };
valid.push({
  file: "rnaqp-response-retrieve-and-clear.hex",
  protocol: "RNAQP",
  note: "ResponseRetrieveAndClear (responsedata [2]) {notifications [0] SEQUENCE OF NotificationAndLocalData {notification [0], submitter [1] ClientLocation {address [0] EXPLICIT 192.0.2.2, port [1] 49152, domain [2] store.example.com}, date [2] 1700000000}} (§8.2, §14)",
  value: response(false, 0, "responseRetrieveAndClear", { notifications: [{ notification: lucyNotification, submitter, date: 1700000000 }] }),
  wire: rsp(
    false,
    0,
    2,
    T(
      0xa0,
      T(
        0x30,
        // [0] notification: the Notification SEQUENCE, IMPLICITly re-tagged [0]
        T(0xa0, lucyNotificationWire.subarray(2)),
        T(0xa1, T(0xa0, T(0x80, [192, 0, 2, 2])), T(0x81, u(49152)), T(0xa2, ...labels(["store", "example", "com"]))),
        T(0x82, u(1700000000)),
      ),
    ),
  ),
});
valid.push({
  file: "rnaqp-response-retrieve-and-clear-label-0c.hex",
  protocol: "RNAQP",
  note: "rnaqp-response-retrieve-and-clear.hex with the ClientLocation domain labels tagged 0x0C, accepted on input (§6 item 3)",
  equals: "rnaqp-response-retrieve-and-clear.hex",
  wire: rsp(
    false,
    0,
    2,
    T(
      0xa0,
      T(0x30, T(0xa0, lucyNotificationWire.subarray(2)), T(0xa1, T(0xa0, T(0x80, [192, 0, 2, 2])), T(0x81, u(49152)), T(0xa2, ...labels(["store", "example", "com"], 0x0c))), T(0x82, u(1700000000))),
    ),
  ),
});
valid.push({
  file: "rnaqp-response-retrieve-and-clear-ipv6.hex",
  protocol: "RNAQP",
  note: "ResponseRetrieveAndClear with two entries: submitters [2001:db8::1]:443 without domain and 192.0.2.2:49152 with one",
  value: response(false, 0, "responseRetrieveAndClear", {
    notifications: [
      { notification: domainNotification, submitter: { address: v6(...IPV6_DOC), port: 443 }, date: 0 },
      { notification: lucyNotification, submitter, date: 1700000001 },
    ],
  }),
  wire: rsp(
    false,
    0,
    2,
    T(
      0xa0,
      T(0x30, T(0xa0, domainNotificationWire.subarray(2)), T(0xa1, T(0xa0, T(0x81, IPV6_DOC)), T(0x81, u(443))), T(0x82, u(0))),
      T(0x30, T(0xa0, lucyNotificationWire.subarray(2)), T(0xa1, T(0xa0, T(0x80, [192, 0, 2, 2])), T(0x81, u(49152)), T(0xa2, ...labels(["store", "example", "com"]))), T(0x82, u(1700000001))),
    ),
  ),
});
valid.push({
  file: "rnaqp-response-retrieve-and-clear-empty.hex",
  protocol: "RNAQP",
  note: "ResponseRetrieveAndClear with no notifications (the end of a §18 C-10 poll): required SEQUENCE OF, present and empty",
  value: response(false, 0, "responseRetrieveAndClear", { notifications: [] }),
  wire: rsp(false, 0, 2, T(0xa0)),
});

// ---- Invalid ----------------------------------------------------------------------------------
// Built by damaging one thing in an otherwise valid PDU; the note says what and where.

const authU = "A1 0A A0 08 A0 06 80 01 75 81 01 70"; // RNAQP §6.1 CommandAuthenticate{u,p}
const chunk = (...fields: Part[]) => cmd(2, ...fields); // MSOAP CommandSubmitMsgChunk
const notify = (n: Uint8Array) => cmd(0, T(0xa0, n)); // RNASP CommandNotify with one notification
/** The C-2 notification with its storeclear literal replaced by `ipPortWire`. */
const notificationWith = (ipPortWire: Uint8Array) =>
  T(0x30, T(0xa0, T(0xa0, ipPortWire)), T(0xa2, T(0x80, utf8("lucy")), T(0xa1, ...labels(["example", "org"]))), T(0x83, ID_ONES), T(0x84, utf8("toby")));
const retrieve = (type: Part) => cmd(4, T(0x80, ID_A), T(0x81, type), T(0x82, u(0)), T(0x83, u(100))); // MSRAP CommandRetrieve

function bad(file: string, protocol: ProtocolName, error: "syntax" | "schema", rule: string, note: string, wire: Part): void {
  invalid.push({ file, protocol, error, rule, note, wire: bytesOf(wire) });
}

// X.690 syntax
bad("truncated.hex", "RNASP", "syntax", "truncated", "the §18 C-2 CommandNotify cut after 40 of its 79 octets: the outer length promises more than there is", valid.find((v) => v.file === "rnasp-command-notify.hex")!.wire.subarray(0, 40));
bad("truncated-length-octets.hex", "RNAQP", "syntax", "truncated", "a Command whose long-form length announces two length octets and ends after one", "A1 82 01");
bad("declared-length-2-31.hex", "MSOAP", "syntax", "truncated", "a 20-octet input whose Command declares 2^31 octets of content (84 80 00 00 00): fails at once, allocating nothing", "A1 84 80 00 00 00" + " 00".repeat(14));
bad("indefinite-length.hex", "RNAQP", "syntax", "indefinite-length", "the §6.1 CommandAuthenticate with the Command in indefinite form (A1 80 … 00 00), which BER allows and DER forbids (X.690 §10.1)", "A1 80 A0 08 A0 06 80 01 75 81 01 70 00 00");
bad("non-minimal-length.hex", "RNAQP", "syntax", "non-minimal-length", "the §6.1 CommandAuthenticate with the Command's length 10 in long form (81 0A) (X.690 §10.1)", "A1 81 0A A0 08 A0 06 80 01 75 81 01 70");
bad("non-minimal-length-leading-zero.hex", "MSOAP", "syntax", "non-minimal-length", "a CommandSubmitMsgChunk whose data length 200 is written 82 00 C8 (a leading zero length octet)", chunk(T(0x80, [0x00]), T(0x81, u(0)), cat("82 82 00 C8", new Uint8Array(200))));
bad("reserved-length.hex", "RNAQP", "syntax", "reserved-length", "a Command whose first length octet is 0xFF, reserved by X.690 §8.1.3.5", "A1 FF 0A A0 08 A0 06 80 01 75 81 01 70");
bad("length-too-large.hex", "MSOAP", "syntax", "length-too-large", "a Command whose length has 5 octets (85 …): more than any 32-bit framed PDU can need", "A1 85 00 00 00 00 02 A0 00");
bad("non-minimal-tag.hex", "RNAQP", "syntax", "non-minimal-tag", "the §6.1 CommandAuthenticate followed, inside the Command, by a component [30] in high-tag-number form (9F 1E 00), which X.690 §8.1.2.4 reserves for numbers >= 31", "A1 0D A0 08 A0 06 80 01 75 81 01 70 9F 1E 00");
bad("non-minimal-tag-leading-zero.hex", "RNAQP", "syntax", "non-minimal-tag", "a component tag [32] written 9F 80 20 (a leading 0x80 tag octet, X.690 §8.1.2.4.2 c)", "A1 0E A0 08 A0 06 80 01 75 81 01 70 9F 80 20 00");
bad("tag-too-large.hex", "RNAQP", "syntax", "tag-too-large", "a component tag number of 2^28-1 (9F FF FF FF 7F), beyond anything IM2000 can define", "A1 10 A0 08 A0 06 80 01 75 81 01 70 9F FF FF FF 7F 00");
bad("trailing-data.hex", "RNAQP", "syntax", "trailing-data", "the §6.1 CommandAuthenticate followed by one more octet: a frame holds exactly one value (§5 item 5)", authU + " 00");
bad("trailing-data-in-explicit-wrapper.hex", "RNAQP", "syntax", "trailing-data", "a commanddata wrapper [0] (EXPLICIT, §6 item 4) holding two alternatives instead of one", "A1 0C A0 0A A0 06 80 01 75 81 01 70 A1 00");
bad("bad-boolean.hex", "MSOAP", "syntax", "bad-boolean", "a Response whose forceabort is 0x01: DER TRUE is 0xFF (X.690 §11.1)", "A2 0A 80 01 01 81 01 01 A2 02 A0 00");
bad("bad-boolean-length.hex", "MSOAP", "syntax", "bad-boolean-length", "a CommandSubmitMsgChunk whose islast has two content octets", chunk(T(0x80, [0x00, 0x00]), T(0x81, u(0)), T(0x82)));
bad("non-minimal-integer.hex", "MSRAP", "syntax", "non-minimal-integer", "a Response whose status 7 is written 00 07 (X.690 §8.3.2)", "A2 0B 80 01 00 81 02 00 07 A2 02 A0 00");
bad("empty-integer.hex", "MSRAP", "syntax", "empty-integer", "a Response whose status INTEGER has no content octets (81 00)", "A2 09 80 01 00 81 00 A2 02 A0 00");

// Schema
bad("wrong-tag.hex", "RNASP", "schema", "wrong-tag", "a Notification whose recipient [2] MailBox is primitive (82) where the SEQUENCE is constructed (A2)", notify(T(0x30, T(0xa0, T(0xa0, ipPort([127, 0, 0, 1], 8193))), T(0x82, "00"), T(0x83, ID_ONES), T(0x84, utf8("toby")))));
bad("wrongly-typed-sequence-of-element.hex", "MSOAP", "schema", "wrong-tag", "a DomainName label sent as OCTET STRING (04), neither 16 nor 0C (§18 C-12)", cmd(1, T(0xa0, T(0x30, T(0x80, utf8("lucy")), T(0xa1, T(0x04, utf8("example")), T(0x16, utf8("org"))))), T(0x82, u(60))));
bad("wrongly-typed-submissionstatus.hex", "MSOAP", "schema", "wrong-tag", "a ResponseSubmitEnvelope whose SubmissionStatus elements are INTEGER (02) instead of ENUMERATED (0A, §18 C-2)", rsp(false, 0, 2, T(0xa0, T(0x02, u(0)))));
bad("utf8string-tag-0c-outside-domainname.hex", "RNAQP", "schema", "unexpected-tag", "a CommandAuthenticate whose account is a UNIVERSAL 12 UTF8String: the 0x0C leniency is for DomainName labels only (§6 item 3), here the field must be [0]", "A1 0A A0 08 A0 06 0C 01 75 81 01 70");
bad("unknown-alternative.hex", "MSOAP", "schema", "unknown-alternative", "a Command whose commanddata is alternative [5], which MSOAP does not define (§18 C-1: S-1)", "A1 04 A0 02 A5 00");
bad("unknown-responsedata-alternative.hex", "MSRAP", "schema", "unknown-alternative", "a Response whose responsedata is alternative [6], unknown to MSRAP (§7 C-3: malformed)", "A2 0A 80 01 00 81 01 00 A2 02 A6 00");
bad("unknown-pdu-alternative.hex", "RNASP", "schema", "unknown-alternative", "a PDU that is a bare SEQUENCE (30), neither [1] Command nor [2] Response", "30 00");
bad("unknown-ipaddress-alternative.hex", "RNASP", "schema", "unknown-alternative", "an IPAddress alternative [2] (§8: only [0] version4 and [1] version6 exist)", notify(notificationWith(T(0x30, T(0xa0, T(0x82, [127, 0, 0, 1])), T(0x81, u(25))))));
bad("primitive-alternative-tag-constructed.hex", "RNASP", "schema", "unknown-alternative", "an IPAddress version4 sent constructed (A0) where the OCTET STRING alternative is primitive (80)", notify(notificationWith(T(0x30, T(0xa0, T(0xa0, T(0x04, [127, 0, 0, 1]))), T(0x81, u(25))))));
bad("message-identifier-15-octets.hex", "MSOAP", "schema", "wrong-size", "a CommandTrack whose MessageIdentifier has 15 octets; exactly 16 are allowed (§8, §18 C-12)", cmd(3, T(0x80, ID_A.subarray(0, 15))));
bad("message-identifier-17-octets.hex", "MSRAP", "schema", "wrong-size", "a CommandSilence whose MessageIdentifier has 17 octets", cmd(1, T(0x80, cat(ID_A, [0x10]))));
bad("ipv4-address-5-octets.hex", "RNASP", "schema", "wrong-size", "an IPAddress version4 of 5 octets (SIZE 4, §8)", notify(notificationWith(T(0x30, T(0xa0, T(0x80, [127, 0, 0, 1, 0])), T(0x81, u(25))))));
bad("port-zero.hex", "RNASP", "schema", "out-of-range", "an IPAddressAndPort with port 0, invalid (§8 [R], §18 C-12)", notify(notificationWith(ipPort([127, 0, 0, 1], 0))));
bad("port-65536.hex", "RNASP", "schema", "out-of-range", "an IPAddressAndPort with port 65536 (01 00 00), above 65535 (§18 C-12)", notify(notificationWith(ipPort([127, 0, 0, 1], 65536))));
bad("unknown-universal-tag-in-sequence.hex", "MSOAP", "schema", "unexpected-tag", "a CommandSubmitMsgChunk holding a UNIVERSAL OCTET STRING (04 00) between its components: only unknown context tags are skipped (§18 C-12)", chunk(T(0x80, [0x00]), T(0x04), T(0x81, u(0)), T(0x82)));
bad("unknown-application-tag-in-sequence.hex", "MSOAP", "schema", "unexpected-tag", "a CommandSubmitMsgChunk holding an APPLICATION [0] element (40 00) (§18 C-12)", chunk(T(0x80, [0x00]), T(0x81, u(0)), T(0x82), T(0x40)));
bad("unknown-private-tag-in-sequence.hex", "RNAQP", "schema", "unexpected-tag", "a CommandRetrieveAndClear holding a PRIVATE [0] element (C0 00) (§18 C-12)", cmd(1, T(0xc0)));
bad("out-of-order.hex", "MSOAP", "schema", "out-of-order", "a CommandSubmitMsgChunk with offset [1] before islast [0]: components go in ascending tag order (§6 item 2)", chunk(T(0x81, u(0)), T(0x80, [0x00]), T(0x82)));
bad("duplicate-component.hex", "MSOAP", "schema", "duplicate-component", "a CommandSubmitMsgChunk with islast [0] twice", chunk(T(0x80, [0x00]), T(0x80, [0xff]), T(0x81, u(0)), T(0x82)));
bad("missing-component.hex", "MSOAP", "schema", "missing-component", "a CommandSubmitMsgChunk without its required data [2]", chunk(T(0x80, [0xff]), T(0x81, u(0))));
bad("missing-status.hex", "RNASP", "schema", "missing-component", "a Response without its required status [1]", "A2 07 80 01 00 A2 02 A1 00");
bad("negative-integer.hex", "MSOAP", "schema", "negative", "a CommandSubmitMsgChunk with offset -1 (FF) where INTEGER (0..MAX) is required (§6 item 6)", chunk(T(0x80, [0x00]), T(0x81, [0xff]), T(0x82)));
bad("integer-too-large.hex", "MSOAP", "schema", "integer-too-large", "a CommandSubmitEnvelope with lifetime 2^53, above the 2^53-1 application cap that §6 item 6 allows", cmd(1, T(0xa1, T(0x04, utf8("announce"))), T(0x82, u(2n ** 53n))));
bad("unknown-enumerated-retrievaltype.hex", "MSRAP", "schema", "unknown-enumerated", "a CommandRetrieve with RetrievalType 4 (only 0..3 exist): an out-of-range ENUMERATED in a command is S-1 (§18 C-1)", retrieve(u(4)));
bad("invalid-utf8.hex", "MSOAP", "schema", "invalid-utf8", "a CommandAuthenticate whose account holds C3 28, not UTF-8", cmd(0, T(0x80, "C3 28"), T(0x81, utf8("p"))));
bad("invalid-utf8-in-label.hex", "RNASP", "schema", "invalid-utf8", "a DomainName label (tag 0C) holding an overlong encoding C0 AF", notify(T(0x30, T(0xa0, T(0xa1, T(0x0c, "C0 AF"))), T(0xa2, T(0x80, utf8("lucy")), T(0xa1, ...labels(["example", "org"]))), T(0x83, ID_ONES), T(0x84, utf8("toby")))));

// ---------------------------------------------------------------------------------------------
// Check, then write.

function decodeError(protocol: ProtocolName, wire: Uint8Array): unknown {
  try {
    PROTOCOLS[protocol].decodePdu(wire);
    return undefined;
  } catch (e) {
    return e;
  }
}

function reencode(protocol: ProtocolName, pdu: Pdu<Alternative, Alternative>): Uint8Array {
  const p = PROTOCOLS[protocol];
  return pdu.kind === "command" ? p.encodeCommand(pdu.value, false) : p.encodeResponse(pdu.value, false);
}

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0").toUpperCase()).join(" ");
const problems: string[] = [];
const byFile = new Map(valid.map((v) => [v.file, v]));
for (const v of valid) {
  const decoded = (() => {
    try {
      return PROTOCOLS[v.protocol].decodePdu(v.wire);
    } catch (e) {
      problems.push(`${v.file}: the hand-built octets do not decode: ${(e as Error).message}`);
      return undefined;
    }
  })();
  if (v.value !== undefined) {
    const ours = reencode(v.protocol, v.value as Pdu<Alternative, Alternative>);
    if (hexOf(ours) !== hexOf(v.wire)) problems.push(`${v.file}: codec and hand encoding differ\n  codec: ${hexOf(ours)}\n  hand:  ${hexOf(v.wire)}`);
    if (decoded !== undefined && !isDeepStrictEqual(decoded, v.value)) problems.push(`${v.file}: decodes to a different value`);
  } else {
    const other = byFile.get(v.equals ?? "");
    if (other?.value === undefined) problems.push(`${v.file}: equals names no round-tripping fixture`);
    else if (decoded !== undefined && !isDeepStrictEqual(decoded, other.value)) problems.push(`${v.file}: does not decode to the value of ${v.equals}`);
  }
}
for (const f of invalid) {
  const e = decodeError(f.protocol, f.wire);
  const kind = f.error === "syntax" ? DerSyntaxError : DerSchemaError;
  if (!(e instanceof kind) || e.rule !== f.rule) problems.push(`${f.file}: expected ${kind.name} ${f.rule}, got ${e === undefined ? "success" : `${(e as Error).name} ${(e as DerSyntaxError).rule ?? ""}: ${(e as Error).message}`}`);
}
const names = [...valid, ...invalid].map((f) => f.file);
if (new Set(names).size !== names.length) problems.push("duplicate file names");
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}

/**
 * Lays the octets out one TLV per line, indented by depth, so that a reader can check tags and
 * lengths against im2000.md by eye. Where the octets stop being well-formed (invalid fixtures),
 * the rest of that level is printed flat.
 */
function layout(b: Uint8Array): string {
  const lines: string[] = [];
  const flat = (s: number, e: number, depth: number) => {
    for (let i = s; i < e; i += 16) lines.push("  ".repeat(depth) + hexOf(b.subarray(i, Math.min(e, i + 16))));
  };
  const walk = (s: number, e: number, depth: number) => {
    let p = s;
    while (p < e) {
      let q = p + 1;
      if ((b[p]! & 0x1f) === 0x1f) {
        while (q < e && b[q]! & 0x80) q++; // high-tag-number form: base-128 octets, last one < 0x80
        q++;
      }
      if (q >= e) return flat(p, e, depth);
      const l0 = b[q++]!;
      let len = l0;
      if (l0 & 0x80) {
        const n = l0 & 0x7f;
        if (l0 === 0x80 || n > 4 || q + n > e) return flat(p, e, depth);
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + b[q++]!;
      }
      if (q + len > e) return flat(p, e, depth);
      const head = "  ".repeat(depth) + hexOf(b.subarray(p, q));
      if (b[p]! & 0x20) {
        lines.push(head);
        walk(q, q + len, depth + 1);
      } else if (len <= 16) {
        lines.push(len === 0 ? head : `${head} ${hexOf(b.subarray(q, q + len))}`);
      } else {
        lines.push(head);
        flat(q, q + len, depth + 1);
      }
      p = q + len;
    }
  };
  walk(0, b.length, 0);
  return lines.join("\n") + "\n";
}

function header(f: { protocol: string; note: string }, extra: [string, string][]): string {
  return [`# protocol: ${f.protocol}`, `# note: ${f.note}`, ...extra.map(([k, v]) => `# ${k}: ${v}`)].join("\n") + "\n";
}

const root = new URL("../fixtures/der/", import.meta.url);
for (const dir of ["valid", "invalid"]) {
  const url = new URL(`${dir}/`, root);
  mkdirSync(url, { recursive: true });
  for (const old of readdirSync(url)) if (old.endsWith(".hex")) rmSync(new URL(old, url));
}
for (const v of valid) {
  const extra: [string, string][] = v.value === undefined ? [["roundtrip", "no"], ["equals", v.equals!]] : [];
  writeFileSync(new URL(`valid/${v.file}`, root), header(v, extra) + layout(v.wire));
}
for (const f of invalid) {
  writeFileSync(new URL(`invalid/${f.file}`, root), header(f, [["error", f.error], ["rule", f.rule]]) + layout(f.wire));
}
console.log(`wrote ${valid.length} valid and ${invalid.length} invalid fixtures to fixtures/der/`);
