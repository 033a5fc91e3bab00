// Runs a Pop3Session over a LineConnection: replies flushed when the client has nothing more
// pipelined (RFC 2449 PIPELINING), message bodies streamed through the dot encoder with
// backpressure (a 50 MB message never sits in memory whole: POP-7), STLS, timeouts.

import type { TlsServerOptions } from "../runtime/net.ts";
import type { LineConnection } from "../line/connection.ts";
import { DotEncoder } from "../line/dot.ts";
import type { Logger } from "../util/log.ts";
import type { Pop3Session, Pop3Step } from "./session.ts";

/** POP3 lines that carry secrets inline: `PASS x`, `AUTH PLAIN <b64>`. */
export function redactPop3(line: string): string {
  if (/^pass(\s|$)/i.test(line)) return "PASS [redacted]";
  const m = /^(auth\s+\S+)\s+\S+/i.exec(line);
  return m ? `${m[1]} [redacted]` : line;
}

/** Flush to the socket whenever this much body is queued (bounded memory per session). */
const STREAM_FLUSH = 256 * 1024;

export interface Pop3DriverOptions {
  readonly tls?: TlsServerOptions;
  readonly log: Logger;
}

export async function runPop3Session(lc: LineConnection, session: Pop3Session, opts: Pop3DriverOptions): Promise<void> {
  // Whatever the client was doing when its connection ended, it hears the same -ERR; the
  // session ends without UPDATE (ref: rfc1939#3 autologout). A closed connection hears nothing.
  const farewell = (end: "eof" | "timeout" | "shutdown"): void => {
    if (end === "timeout") lc.send("-ERR Autologout; idle for too long");
    else if (end === "shutdown") lc.send("-ERR [SYS/TEMP] Server shutting down");
  };
  try {
    lc.send(session.greeting());
    for (;;) {
      const r = await lc.readTextLine();
      if (r.kind === "eof" || r.kind === "timeout" || r.kind === "shutdown") return farewell(r.kind);
      let step: Pop3Step;
      if (r.kind === "too-long") step = session.lineTooLong();
      else if (r.kind === "text") step = await session.command(r.text);
      else continue;
      for (;;) {
        if (step.kind === "reply") {
          for (const l of step.lines) lc.send(l);
          if (step.close) return;
          break;
        }
        if (step.kind === "auth-challenge") {
          lc.send(step.line);
          lc.trace.secretNext();
          const a = await lc.readTextLine();
          if (a.kind === "text") {
            step = await session.authResponse(a.text);
            continue;
          }
          if (a.kind === "too-long") {
            step = session.lineTooLong();
            continue;
          }
          if (a.kind === "timeout" || a.kind === "shutdown") farewell(a.kind);
          return;
        }
        if (step.kind === "starttls") {
          lc.send(step.line);
          if (opts.tls === undefined) return;
          try {
            await lc.upgradeToTls(opts.tls);
          } catch (e) {
            opts.log.log("info", "pop3.tls-failed", { error: (e as Error).message });
            return;
          }
          session.tlsStarted();
          break;
        }
        // stream: first let pipelined RETRs start their store round trips (mpop sends them all)
        for (const next of lc.peekBufferedLines(4)) session.prefetch(next);
        lc.send(step.status);
        const enc = new DotEncoder();
        let octets = 0;
        try {
          for await (const chunk of step.body) {
            for (const piece of enc.encode(chunk)) lc.sendRaw(piece);
            octets += chunk.byteLength;
            if (lc.queuedBytes >= STREAM_FLUSH) await lc.flush();
          }
        } catch (e) {
          // After "+OK" a POP3 server cannot take it back: drop the connection so the client
          // sees a failure, not a truncated message (the maildrop is left unchanged, POP-10).
          opts.log.log("warn", "pop3.stream-failed", { error: (e as Error).message, after: octets });
          lc.conn.destroy();
          return;
        }
        lc.sendRaw(enc.end());
        lc.trace.note(`message body: ${octets} octets`);
        break;
      }
    }
  } finally {
    await session.end();
  }
}
