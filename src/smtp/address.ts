// SMTP paths and ESMTP parameters (RFC 5321 §4.1.2, with RFC 6531's UTF-8 for SMTPUTF8), parsed
// completely before anything acts on them. A mailbox becomes an IM2000 MailBox by shims SUB-7:
// localpart as UTF-8 with SMTP quoting removed; domain split on dots into A-labels, lower-cased.

import { toALabel } from "../mail/punycode.ts";

export interface SmtpMailbox {
  /** The local part with quoting removed (UTF-8 text). */
  readonly localpart: string;
  /** The domain as written (or the address literal, with brackets). */
  readonly domain: string;
  /** True for `user@[192.0.2.1]`: IM2000 needs a domain, so these are refused as recipients. */
  readonly literal: boolean;
  /** A-labels, lower-cased, no trailing empty label (SUB-7, im2000 §18 C-9). */
  readonly labels: readonly string[];
  /** Local part contains non-ASCII (needs SMTPUTF8). */
  readonly utf8: boolean;
}

export type PathResult =
  | { readonly ok: true; readonly mailbox: SmtpMailbox | null; readonly params: ReadonlyMap<string, string | true> }
  | { readonly ok: false; readonly error: "syntax" | "params"; readonly detail: string };

// atext (RFC 5322 §3.2.3) plus UTF-8 beyond ASCII (RFC 6531 §3.3).
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]+$/u;
const LABEL = /^[A-Za-z0-9\u0080-\u{10ffff}](?:[A-Za-z0-9\-\u0080-\u{10ffff}]*[A-Za-z0-9\u0080-\u{10ffff}])?$/u;
const MAX_LOCALPART = 64 * 4; // RFC 5321 §4.5.3.1.1 (64 octets; allow UTF-8 widening)
const MAX_DOMAIN = 255;
const utf8 = new TextEncoder();

function parseLocalPart(s: string): { value: string; utf8: boolean } | undefined {
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) return undefined;
    let out = "";
    const body = s.slice(1, -1);
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      const code = c.codePointAt(0)!;
      if (c === "\\") {
        const next = body[i + 1];
        if (next === undefined) return undefined;
        const nc = next.codePointAt(0)!;
        if (nc < 32 || nc > 126) return undefined;
        out += next;
        i++;
      } else if (c === '"' || code < 32 || code === 127) return undefined;
      else out += c;
    }
    return { value: out, utf8: /[^\x00-\x7f]/.test(out) };
  }
  const atoms = s.split(".");
  if (atoms.some((a) => !ATEXT.test(a))) return undefined;
  return { value: s, utf8: /[^\x00-\x7f]/.test(s) };
}

/** Splits a mailbox at the "@" that separates local part and domain (the last one outside quotes). */
function splitMailbox(s: string): [string, string] | undefined {
  let inQuote = false;
  let at = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && inQuote) i++;
    else if (c === '"') inQuote = !inQuote;
    else if (c === "@" && !inQuote) at = i;
  }
  if (at <= 0 || at === s.length - 1) return undefined;
  return [s.slice(0, at), s.slice(at + 1)];
}

export function parseMailbox(s: string): SmtpMailbox | undefined {
  const parts = splitMailbox(s);
  if (!parts) return undefined;
  const [lp, dom] = parts;
  const local = parseLocalPart(lp);
  if (!local || utf8.encode(local.value).byteLength > MAX_LOCALPART || local.value.length === 0) return undefined;
  if (dom.startsWith("[")) {
    if (!/^\[[^\[\]\\\s]+\]$/.test(dom)) return undefined;
    return { localpart: local.value, domain: dom, literal: true, labels: [], utf8: local.utf8 };
  }
  const d = dom.endsWith(".") ? dom.slice(0, -1) : dom;
  if (d.length === 0 || d.length > MAX_DOMAIN) return undefined;
  const rawLabels = d.split(".");
  if (rawLabels.some((l) => !LABEL.test(l) || l.length > 63)) return undefined;
  return { localpart: local.value, domain: d, literal: false, labels: rawLabels.map(toALabel), utf8: local.utf8 || /[^\x00-\x7f]/.test(d) };
}

/** Parses `<path> params` after `FROM:` / `TO:`. `null` mailbox = the null reverse-path `<>`. */
export function parsePathAndParams(arg: string, allowNull: boolean): PathResult {
  let s = arg.trimStart(); // tolerate "MAIL FROM: <x>" (RFC 5321 forbids the space; many clients send it)
  let path: string;
  let rest: string;
  if (s.startsWith("<")) {
    // Find the closing ">" outside a quoted local part.
    let inQuote = false;
    let end = -1;
    for (let i = 1; i < s.length; i++) {
      const c = s[i];
      if (c === "\\" && inQuote) i++;
      else if (c === '"') inQuote = !inQuote;
      else if (c === ">" && !inQuote) {
        end = i;
        break;
      }
    }
    if (end < 0) return { ok: false, error: "syntax", detail: "missing closing >" };
    path = s.slice(1, end);
    rest = s.slice(end + 1);
  } else {
    // Lenient: a bare address without angle brackets (Postfix accepts these too).
    const sp = s.indexOf(" ");
    path = sp < 0 ? s : s.slice(0, sp);
    rest = sp < 0 ? "" : s.slice(sp);
  }
  if (rest !== "" && !rest.startsWith(" ")) return { ok: false, error: "syntax", detail: "junk after the path" };
  // A source route ("@a,@b:user@c") is accepted and ignored (RFC 5321 §4.1.1.3, Appendix C).
  const colon = path.startsWith("@") ? path.indexOf(":") : -1;
  if (colon >= 0) path = path.slice(colon + 1);
  let mailbox: SmtpMailbox | null;
  if (path === "") {
    if (!allowNull) return { ok: false, error: "syntax", detail: "empty path" };
    mailbox = null;
  } else {
    const mb = parseMailbox(path);
    if (!mb) return { ok: false, error: "syntax", detail: `bad address ${JSON.stringify(path.slice(0, 80))}` };
    mailbox = mb;
  }
  const params = new Map<string, string | true>();
  for (const p of rest.split(" ").filter((x) => x !== "")) {
    const eq = p.indexOf("=");
    const key = (eq < 0 ? p : p.slice(0, eq)).toUpperCase();
    if (!/^[A-Z0-9][A-Z0-9-]*$/.test(key)) return { ok: false, error: "params", detail: `bad parameter ${p.slice(0, 40)}` };
    if (params.has(key)) return { ok: false, error: "params", detail: `duplicate parameter ${key}` };
    params.set(key, eq < 0 ? true : p.slice(eq + 1));
  }
  return { ok: true, mailbox, params };
}

/** The mailbox as text, for replies and logs. */
export function formatMailbox(m: SmtpMailbox): string {
  const quoted = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]+)*$/u.test(m.localpart)
    ? m.localpart
    : `"${m.localpart.replace(/(["\\])/g, "\\$1")}"`;
  return `${quoted}@${m.domain}`;
}
