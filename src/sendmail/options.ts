// The command line of a `sendmail`-compatible command (shims LOC-1), parsed the way sendmail 8
// parses it: getopt clusters (`-ti`, `-oem`, `-FCronDaemon`, `-f addr` or `-faddr`), `--` ends the
// options, the first operand ends them too (POSIX), and sendmail's obsolete() forms: `-q`, `-d`
// and `-C` without a value take none.
//
// Every letter of LOC-1 is accepted. Those the command cannot honour are accepted and ignored,
// each with the reason in a comment and in a note that `-v` prints; no such flag is ever an error
// (callers such as cron pass them unconditionally). The other letters sendmail 8 itself knows (the
// historic ones: -D, -I, -M, -m, -Q, -s, -T, -e) are accepted and ignored the same way, as issue 7
// asks: a script written for sendmail never breaks on them. Any other letter is a usage error
// (exit 64): it is no sendmail option at all, most likely a typo.

import { UsageError } from "../util/argv.ts";

export type Mode =
  /** -bm (the default): read a message on standard input and submit it. */
  | "deliver"
  /** -bs: SMTP on standard input/output (LOC-6). */
  | "smtp"
  /** -bp (mailq): there is never a queue to print (LOC-5). */
  | "print-queue"
  /** -bi (newaliases): there is no alias database. */
  | "init-aliases"
  /** -q: there is never a queue to run. */
  | "run-queue";

export interface SendmailOptions {
  readonly mode: Mode;
  /** -t: recipients also from To/Cc/Bcc (LOC-2). */
  readonly extractRecipients: boolean;
  /** -i, -oi, -O IgnoreDots: a line with a single "." does not end the message. */
  readonly ignoreDots: boolean;
  /** -f / -r: the envelope sender, kept for -v only (MSOAP has no envelope sender, SUB-5). */
  readonly sender: string | undefined;
  /** -F: the sender's full name, kept for -v only (this command writes no From: field). */
  readonly fullName: string | undefined;
  /** -v */
  readonly verbose: boolean;
  /** The operands: recipient address lists. */
  readonly recipients: readonly string[];
  /** Flags accepted but not honoured, with the reason (printed under -v; LOC-1, LOC-7). */
  readonly notes: readonly string[];
}

export { UsageError };

export const USAGE = "usage: im2000-sendmail [-t] [-i] [-f sender] [-F name] [-v] [-bm | -bs] [-o option] [--] [recipient ...]";

type Arg = "none" | "value";

/** Option letters of LOC-1: whether each takes a value (as in sendmail's getopt string). */
const LETTERS: Readonly<Record<string, Arg>> = {
  A: "value",
  B: "value",
  b: "value",
  C: "value",
  d: "value",
  F: "value",
  f: "value",
  G: "none",
  h: "value",
  i: "none",
  L: "value",
  N: "value",
  n: "none",
  O: "value",
  o: "value",
  p: "value",
  q: "value",
  R: "value",
  r: "value",
  t: "none",
  U: "none",
  V: "value",
  v: "none",
  X: "value",
  // Historic sendmail 8 letters outside LOC-1 (accepted and ignored; see the header).
  D: "value",
  e: "value",
  I: "none",
  M: "value",
  m: "none",
  Q: "value",
  s: "none",
  T: "value",
};

/**
 * sendmail's obsolete(): `-d` alone means a default and never takes the next argument; `-q` and
 * `-C` alone take the next argument only if it does not start with "-", else a default.
 */
const ALONE_DEFAULT: Readonly<Record<string, string>> = { q: "0", d: "0-99.1", C: "sendmail.cf" };

interface Builder {
  mode: Mode;
  extractRecipients: boolean;
  ignoreDots: boolean;
  sender: string | undefined;
  fullName: string | undefined;
  verbose: boolean;
  notes: string[];
}

function applyMode(b: Builder, value: string): void {
  switch (value) {
    case "m":
      b.mode = "deliver";
      return;
    case "s":
      b.mode = "smtp"; // ref: shims LOC-6
      return;
    case "p":
      b.mode = "print-queue";
      return;
    case "i":
      b.mode = "init-aliases";
      return;
    default:
      // -bd/-bD (daemon), -bv (verify), -bt (address test), -bh/-bH/-bP, -ba: modes of a full MTA.
      // A daemon is the SMTP submission shim (`im2000-shim smtp-submission`), not this command.
      throw new UsageError(`-b${value}: mode not supported (only -bm, -bs, -bp, -bi)`);
  }
}

/** `-o x…` (single-letter sendmail options). Only -oi changes anything. */
function applyShortOption(b: Builder, value: string): void {
  const letter = value[0];
  if (letter === "i") {
    // -oi: IgnoreDots, with an optional boolean after it (`-oiTrue`, `-oif`).
    b.ignoreDots = !/^i(f|false|n|no)$/i.test(value);
    return;
  }
  if (letter === "d") {
    // -odi, -odb, -odq, -odd: delivery mode. Submission is always immediate and synchronous:
    // the exit status says what the store did, nothing is queued (LOC-5).
    b.notes.push(`-o${value}: delivery mode ignored: the message is submitted to the store at once, never queued`);
    return;
  }
  if (letter === "e") {
    // -oem, -oee, -oep, -oeq, -oew: how errors are reported. They are reported only by the exit
    // status and one line on standard error: no error is ever mailed back (no bounce, LOC-7).
    b.notes.push(`-o${value}: error mode ignored: errors are reported by the exit status only, never mailed back`);
    return;
  }
  if (letter === "m") {
    // -om (MeToo): no alias expansion happens here, so there is nothing to include the sender in.
    b.notes.push(`-o${value}: ignored: no alias expansion`);
    return;
  }
  // Any other sendmail.cf option (-oQ…, -oL…, -oA…): there is no sendmail.cf to override.
  b.notes.push(`-o${value}: ignored: sendmail.cf options do not apply`);
}

/** `-O Name=value` (long sendmail options). Only IgnoreDots is honoured. */
function applyLongOption(b: Builder, value: string): void {
  const m = /^\s*([A-Za-z]+)\s*(?:=\s*(.*))?$/.exec(value);
  if (m && m[1]!.toLowerCase() === "ignoredots") {
    b.ignoreDots = m[2] === undefined || !/^(f|false|n|no|0)$/i.test(m[2].trim());
    return;
  }
  b.notes.push(`-O ${value}: ignored: sendmail.cf options do not apply`);
}

function apply(b: Builder, letter: string, value: string | undefined): void {
  const v = value ?? "";
  switch (letter) {
    case "t":
      b.extractRecipients = true; // ref: shims LOC-2
      return;
    case "i":
      b.ignoreDots = true;
      return;
    case "f":
    case "r":
      // ref: shims LOC-1, SUB-5 — MSOAP has no envelope sender; kept for -v.
      b.sender = v;
      return;
    case "F":
      b.fullName = v; // only shown under -v: this command adds no From: field
      return;
    case "v":
      b.verbose = true;
      return;
    case "b":
      applyMode(b, v);
      return;
    case "o":
      applyShortOption(b, v);
      return;
    case "O":
      applyLongOption(b, v);
      return;
    case "q":
      // -q[time], -qR…, -qI…: process the queue. There is none: every message is submitted at
      // once or refused (LOC-5), so a queue run has nothing to do.
      b.mode = "run-queue";
      b.notes.push(`-q${v}: nothing to do: this command never queues`);
      return;
    case "N":
      // DSN NOTIFY: IM2000 has no delivery status notifications; tracking is MSOAP Track (LOC-7).
      b.notes.push(`-N ${v}: ignored: no delivery status notifications (no bounces, LOC-7)`);
      return;
    case "R":
      b.notes.push(`-R ${v}: ignored: no delivery status notifications (no bounces, LOC-7)`);
      return;
    case "V":
      b.notes.push(`-V ${v}: ignored: no delivery status notifications, so no envelope id (LOC-7)`);
      return;
    case "B":
      // -B7BIT / -B8BITMIME: the body type. The message store keeps octets unchanged, so 8-bit
      // content needs no conversion.
      b.notes.push(`-B${v}: ignored: the message store is 8-bit clean`);
      return;
    case "A":
      // -Ac / -Am: which sendmail configuration file (submit.cf / sendmail.cf) to use.
      b.notes.push(`-A${v}: ignored: there is no submit.cf or sendmail.cf`);
      return;
    case "C":
      // An alternative sendmail.cf: not our configuration format (see docs/sendmail.md).
      b.notes.push(`-C ${v}: ignored: sendmail.cf files do not apply (configuration: docs/sendmail.md)`);
      return;
    case "d":
      b.notes.push(`-d${v}: ignored: sendmail debugging flags do not apply (use -v)`);
      return;
    case "G":
      // Gateway submission (relaxed checks): this command applies no rewriting either way.
      b.notes.push("-G: ignored: no address rewriting to relax");
      return;
    case "h":
      // Initial hop count: IM2000 has no hop count (the store never relays).
      b.notes.push(`-h ${v}: ignored: no hop count in IM2000`);
      return;
    case "L":
      b.notes.push(`-L ${v}: ignored: this command does not log to syslog`);
      return;
    case "n":
      b.notes.push("-n: ignored: no aliasing is done anyway");
      return;
    case "p":
      // Received-protocol and sending host: there is no Received: field to put them in.
      b.notes.push(`-p${v}: ignored: no Received: field is written`);
      return;
    case "U":
      // Initial user submission: always true here.
      b.notes.push("-U: ignored: every submission is an initial user submission");
      return;
    case "X":
      b.notes.push(`-X ${v}: ignored: no traffic log (use -v)`);
      return;
    // Historic sendmail letters outside LOC-1:
    case "D":
      b.notes.push(`-D ${v}: ignored: debug output goes to standard error under -v`);
      return;
    case "e":
      // Old form of -oe: errors are reported only by the exit status (LOC-7, no bounce).
      b.notes.push(`-e${v}: error mode ignored: errors are reported by the exit status only, never mailed back`);
      return;
    case "I":
      b.mode = "init-aliases"; // old spelling of -bi (newaliases): there is no alias database
      return;
    case "M":
      b.notes.push(`-M${v}: ignored: no sendmail.cf macros`);
      return;
    case "m":
      b.notes.push("-m: ignored: no alias expansion (old spelling of -om)");
      return;
    case "Q":
      b.notes.push(`-Q${v}: ignored: there is no queue to quarantine in`);
      return;
    case "s":
      b.notes.push('-s: ignored: "From " lines are never kept (old SaveFromLine)');
      return;
    case "T":
      b.notes.push(`-T${v}: ignored: there is no queue, so no queue timeout`);
      return;
  }
}

/** Parses the arguments (after the program name). Throws UsageError. */
export function parseArgs(argv: readonly string[]): SendmailOptions {
  const b: Builder = { mode: "deliver", extractRecipients: false, ignoreDots: false, sender: undefined, fullName: undefined, verbose: false, notes: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break; // the first operand ends the options (POSIX)
    const alone = a.length === 2 ? ALONE_DEFAULT[a[1]!] : undefined;
    if (alone !== undefined) {
      const next = argv[i + 1];
      if (a[1] !== "d" && next !== undefined && !next.startsWith("-")) {
        apply(b, a[1]!, next);
        i++;
      } else apply(b, a[1]!, alone);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const letter = a[j]!;
      const kind = LETTERS[letter];
      if (kind === undefined) throw new UsageError(`unknown option -${letter}`);
      if (kind === "none") {
        apply(b, letter, undefined);
        continue;
      }
      let value: string;
      if (j + 1 < a.length) value = a.slice(j + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`option -${letter} requires a value`);
        value = next;
        i++;
      }
      apply(b, letter, value);
      break;
    }
  }
  return { ...b, recipients: argv.slice(i) };
}
