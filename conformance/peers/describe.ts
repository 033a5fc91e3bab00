// Decoded IM2000 PDUs as one readable line for the wire log:
//   CommandSubmitEnvelope{recipients=[alice@example.org], lifetime=2592000}
//   Response{errornotpermitted, forceabort, ResponseSubmitEnvelope{recipients=[acceptable, submissionaccessdenied]}}
// Identifiers print as hex, message data as quoted text (clipped), mailboxes as addresses.

import type { Alternative, Command, Protocol, Response } from "../../src/im2000/protocol.ts";

const MAX_DATA = 160;

export function hexOf(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

function quoteBytes(b: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(b.subarray(0, MAX_DATA));
  const shown = JSON.stringify(text);
  return b.byteLength > MAX_DATA ? `${shown}…(${b.byteLength} octets)` : `${shown}(${b.byteLength} octets)`;
}

function capitalise(kind: string): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

function isMailbox(v: unknown): v is { localpart: string; domain: string[] } {
  return typeof v === "object" && v !== null && typeof (v as { localpart?: unknown }).localpart === "string" && Array.isArray((v as { domain?: unknown }).domain);
}

function isAlternative(v: unknown): v is Alternative {
  return typeof v === "object" && v !== null && typeof (v as { kind?: unknown }).kind === "string" && "value" in v && Object.keys(v).length === 2;
}

function ipText(kind: string, b: Uint8Array): string {
  if (kind === "version4") return Array.from(b).join(".");
  const groups: string[] = [];
  for (let i = 0; i + 1 < b.byteLength; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return `[${groups.join(":")}]`;
}

/** IPAddressAndPort / ClientLocation: an address alternative and a port. */
function isIpAndPort(v: unknown): v is { address: { kind: string; value: Uint8Array }; port: number } {
  if (typeof v !== "object" || v === null) return false;
  const a = (v as { address?: { kind?: unknown; value?: unknown } }).address;
  return typeof (v as { port?: unknown }).port === "number" && typeof a?.kind === "string" && a.value instanceof Uint8Array && (a.kind === "version4" || a.kind === "version6");
}

/** A value from the schemas, readable. `enums` names the ENUMERATED fields by field name. */
export function describeValue(v: unknown, field = "", enums: Readonly<Record<string, readonly string[]>> = {}): string {
  if (v instanceof Uint8Array) {
    if (field === "identifier" || field === "messages" || v.byteLength === 16 && field !== "data") return hexOf(v);
    return quoteBytes(v);
  }
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "bigint") {
    const names = enums[field];
    if (names !== undefined && typeof v === "number" && names[v] !== undefined) return names[v]!;
    return String(v);
  }
  if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
  if (Array.isArray(v)) return `[${v.map((x) => describeValue(x, field, enums)).join(", ")}]`;
  if (isMailbox(v)) return `${v.localpart}@${v.domain.join(".")}`;
  if (isAlternative(v) && v.value instanceof Uint8Array && (v.kind === "version4" || v.kind === "version6")) return ipText(v.kind, v.value);
  if (isIpAndPort(v)) return `${ipText(v.address.kind, v.address.value)}:${v.port}`;
  if (isAlternative(v)) return `${capitalise(v.kind)}${describeValue(v.value, v.kind, enums)}`;
  if (typeof v === "object" && v !== null) {
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${k}=${describeValue(x, k, enums)}`);
    return `{${parts.join(", ")}}`;
  }
  return String(v);
}

const ENUMS: Record<string, readonly string[]> = {
  recipients: ["acceptable", "submissionaccessdenied"],
  lists: ["acceptable", "submissionaccessdenied"],
  type: ["nothing", "summaryonly", "headersonly", "all"],
};

export function describeCommand(cmd: Command<Alternative>): string {
  const d = cmd.commanddata;
  const body = describeValue(d.value, d.kind, ENUMS);
  return `${capitalise(d.kind)}${body === "{}" ? "" : body}`;
}

export function describeResponse(p: Protocol<Alternative, Alternative>, rsp: Response<Alternative>): string {
  const d = rsp.responsedata;
  const body = describeValue(d.value, d.kind, ENUMS);
  const parts = [p.statusName(rsp.status)];
  if (rsp.forceabort) parts.push("forceabort");
  parts.push(`${capitalise(d.kind)}${body === "{}" ? "" : body}`);
  return `Response{${parts.join(", ")}}`;
}
