// Wire traces with credentials redacted (GEN-3; STYLE.md "mox: trace levels that redact
// credentials"). The protocol driver reports each line it read and wrote; lines that carry secrets
// are replaced before anything is recorded. A driver marks the next client line secret when it
// knows one is coming (an AUTH continuation); each protocol supplies a redactor for lines that
// carry secrets inline (`AUTH PLAIN <b64>`, `PASS x`, `a LOGIN u p`).

import type { Logger } from "../util/log.ts";

export type Redactor = (line: string) => string;

export interface WireTrace {
  client(line: string): void;
  server(line: string): void;
  /** The next client line is a secret (e.g. an AUTH LOGIN continuation): record it redacted. */
  secretNext(): void;
  note(text: string): void;
}

export const REDACTED = "[redacted]";

const MAX_TRACE_LINE = 200;

function clip(s: string): string {
  const printable = s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return printable.length > MAX_TRACE_LINE ? `${printable.slice(0, MAX_TRACE_LINE)}… (${printable.length} chars)` : printable;
}

/** A trace that writes `C: …` / `S: …` lines to a logger at debug level, or to any sink. */
export function createTrace(sink: (line: string) => void, redact: Redactor): WireTrace {
  let secret = false;
  return {
    client(line) {
      const shown = secret ? REDACTED : redact(line);
      secret = false;
      sink(`C: ${clip(shown)}`);
    },
    server(line) {
      sink(`S: ${clip(line)}`);
    },
    secretNext() {
      secret = true;
    },
    note(text) {
      sink(`-- ${text}`);
    },
  };
}

export function logTrace(log: Logger, redact: Redactor): WireTrace {
  return createTrace((line) => log.log("debug", "wire", { line }), redact);
}

export const noTrace: WireTrace = { client() {}, server() {}, secretNext() {}, note() {} };

/** Keeps every traced line in memory (tests, conformance wire logs). */
export function memoryTrace(redact: Redactor): WireTrace & { readonly lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createTrace((l) => lines.push(l), redact), { lines });
}
