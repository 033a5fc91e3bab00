// The header section of a message in wire form (RFC 5322 §2.2: CRLF line ends): where each field
// starts and ends in the octets, its name, and its unfolded body. The section ends at the first
// empty line, or (as sendmail's collect() decides) at the first line that is not a field and not
// a continuation: such a line is the start of the body.
//
// Offsets let a caller remove fields without touching any other octet (`sendmail -t` removes Bcc,
// shims LOC-2).

export interface HeaderField {
  /** The field name as written (compare case-insensitively). */
  readonly name: string;
  /** The body after the colon, unfolded (CRLF before WSP removed), decoded as UTF-8. */
  readonly value: string;
  /** Octet offset of the field's first line. */
  readonly start: number;
  /** Octet offset just past the CRLF of its last (continuation) line. */
  readonly end: number;
}

export interface HeaderSection {
  readonly fields: readonly HeaderField[];
  /** Octet offset where the body starts (after the empty line, if there is one). */
  readonly bodyStart: number;
}

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Length of a field name at `from` (printable US-ASCII except ":", RFC 5322 §3.6.8), or -1. */
function fieldNameEnd(msg: Uint8Array, from: number, lineEnd: number): number {
  let i = from;
  while (i < lineEnd && msg[i]! > SP && msg[i]! < 127 && msg[i] !== COLON) i++;
  if (i === from) return -1;
  let j = i;
  while (j < lineEnd && (msg[j] === SP || msg[j] === HT)) j++; // obs-optional: WSP before the colon
  return msg[j] === COLON ? i : -1;
}

/** Offset of the next LF at or after `from`, or the message length. */
function nextLf(msg: Uint8Array, from: number): number {
  const i = msg.indexOf(LF, from);
  return i < 0 ? msg.byteLength : i;
}

export function parseHeaderSection(msg: Uint8Array): HeaderSection {
  const fields: HeaderField[] = [];
  let pos = 0;
  while (pos < msg.byteLength) {
    const lf = nextLf(msg, pos);
    const lineEnd = lf > pos && msg[lf - 1] === CR ? lf - 1 : lf;
    if (lineEnd === pos) return { fields, bodyStart: Math.min(lf + 1, msg.byteLength) }; // the empty line
    const nameEnd = fieldNameEnd(msg, pos, lineEnd);
    if (nameEnd < 0) return { fields, bodyStart: pos }; // not a field: the body starts here
    // The field runs on through continuation lines (starting with WSP).
    let end = Math.min(lf + 1, msg.byteLength);
    while (end < msg.byteLength && (msg[end] === SP || msg[end] === HT)) end = Math.min(nextLf(msg, end) + 1, msg.byteLength);
    const name = decoder.decode(msg.subarray(pos, nameEnd));
    const colon = msg.indexOf(COLON, nameEnd);
    const raw = decoder.decode(msg.subarray(colon + 1, end));
    fields.push({ name, value: raw.replace(/\r?\n(?=[ \t])/g, "").replace(/\r?\n$/, ""), start: pos, end });
    pos = end;
  }
  return { fields, bodyStart: msg.byteLength };
}

/** The message without the given fields; every other octet unchanged. */
export function removeFields(msg: Uint8Array, remove: readonly HeaderField[]): Uint8Array {
  if (remove.length === 0) return msg;
  const sorted = [...remove].sort((a, b) => a.start - b.start);
  let size = msg.byteLength;
  for (const f of sorted) size -= f.end - f.start;
  const out = new Uint8Array(size);
  let o = 0;
  let from = 0;
  for (const f of sorted) {
    out.set(msg.subarray(from, f.start), o);
    o += f.start - from;
    from = f.end;
  }
  out.set(msg.subarray(from), o);
  return out;
}
