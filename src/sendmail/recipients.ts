// Who the message goes to (shims LOC-2): the command-line operands, each an address list as
// sendmail reads them (`bob@example.org`, `"Bob" <bob@example.org>, ann@example.org`), plus with
// -t the To, Cc and Bcc fields of the message (or, when the message carries Resent-To, -Cc or
// -Bcc, those instead: RFC 5322 §3.6.6, as sendmail does). Operands and fields are added
// together (Postfix's behaviour; sendmail 8 would instead remove the operands from the list).
//
// Bcc and Resent-Bcc fields are removed from the submitted message whether or not -t is given:
// nodemailer, for one, leaves them in for sendmail to strip. Every other octet is untouched.
//
// A name without a domain (`root`, cron's `To: lucy`) is qualified with `default_domain`;
// without one it is refused. Recipients become IM2000 MailBoxes as in SUB-7.

import { AddressSyntaxError, parseAddressList, type ParsedAddress } from "../mail/address-list.ts";
import { parseHeaderSection, removeFields, type HeaderField } from "../mail/header-section.ts";
import { parseMailbox, type SmtpMailbox } from "../smtp/address.ts";
import { EX, SendmailFailure } from "./exit-status.ts";

export interface Envelope {
  /** Distinct recipients, in the order first seen. */
  readonly recipients: readonly SmtpMailbox[];
  /** The message to submit (Bcc removed). */
  readonly message: Uint8Array;
}

export interface EnvelopeOptions {
  readonly extractRecipients: boolean;
  readonly defaultDomain: string | undefined;
  readonly maxRecipients: number;
}

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]+)*$/u;

function addrSpec(localpart: string, domain: string): string {
  const local = DOT_ATOM.test(localpart) ? localpart : `"${localpart.replace(/(["\\])/g, "\\$1")}"`;
  return `${local}@${domain}`;
}

/** One parsed address as a mailbox, or why it cannot be an IM2000 recipient. */
function toMailbox(a: ParsedAddress, defaultDomain: string | undefined): SmtpMailbox | string {
  const domain = a.domain ?? defaultDomain;
  if (domain === undefined) return `"${a.localpart}" has no domain and no default_domain is configured`;
  const spec = addrSpec(a.localpart, domain);
  const m = parseMailbox(spec);
  if (m === undefined) return `"${spec}" is not a valid address`;
  if (m.literal) return `"${spec}": an address literal cannot be an IM2000 recipient (use a domain)`; // ref: shims SUB-6
  return m;
}

const RECIPIENT_FIELDS = ["to", "cc", "bcc"];
const RESENT_FIELDS = ["resent-to", "resent-cc", "resent-bcc"];

export function buildEnvelope(operands: readonly string[], message: Uint8Array, opts: EnvelopeOptions): Envelope {
  const found: SmtpMailbox[] = [];
  const seen = new Set<string>();
  const add = (m: SmtpMailbox): void => {
    const key = `${m.localpart}@${m.labels.join(".")}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (found.length >= opts.maxRecipients) throw new SendmailFailure(EX.DATAERR, `more than max_recipients (${opts.maxRecipients}) recipients`);
    found.push(m);
  };

  for (const operand of operands) {
    let list: ParsedAddress[];
    try {
      list = parseAddressList(operand, { allowBareLocalPart: true });
    } catch (e) {
      if (e instanceof AddressSyntaxError) throw new SendmailFailure(EX.NOUSER, `recipient ${JSON.stringify(operand)}: ${e.message}`);
      throw e;
    }
    for (const a of list) {
      const m = toMailbox(a, opts.defaultDomain);
      if (typeof m === "string") throw new SendmailFailure(EX.NOUSER, `recipient ${m}`);
      add(m);
    }
  }

  const header = parseHeaderSection(message);
  if (opts.extractRecipients) {
    const lower = (f: HeaderField) => f.name.toLowerCase();
    const resent = header.fields.some((f) => RESENT_FIELDS.includes(lower(f)));
    const names = resent ? RESENT_FIELDS : RECIPIENT_FIELDS;
    for (const f of header.fields) {
      if (!names.includes(lower(f))) continue;
      let list: ParsedAddress[];
      try {
        list = parseAddressList(f.value, { allowBareLocalPart: true });
      } catch (e) {
        if (e instanceof AddressSyntaxError) throw new SendmailFailure(EX.DATAERR, `the ${f.name}: field cannot be parsed: ${e.message}`);
        throw e;
      }
      for (const a of list) {
        const m = toMailbox(a, opts.defaultDomain);
        if (typeof m === "string") throw new SendmailFailure(EX.DATAERR, `the ${f.name}: field names a recipient that cannot be used: ${m}`);
        add(m);
      }
    }
  }
  if (found.length === 0) {
    throw new SendmailFailure(EX.NOUSER, opts.extractRecipients ? "no recipients: none given as arguments and none in To, Cc or Bcc" : "no recipients given (name them as arguments, or use -t)");
  }
  const bcc = header.fields.filter((f) => /^(resent-)?bcc$/i.test(f.name));
  return { recipients: found, message: removeFields(message, bcc) };
}
