// Runs an SmtpSession over a LineConnection: reads commands, writes replies (queued and flushed
// when the client has nothing more pipelined, RFC 2920), streams DATA through the dot decoder and
// BDAT chunks by count, performs STARTTLS, and turns timeouts and shutdown into 421.
// The same driver serves TCP listeners and `sendmail -bs` over standard input/output (LOC-6).

import type { TlsServerOptions } from "../runtime/net.ts";
import type { LineConnection } from "../line/connection.ts";
import { DotDecoder } from "../line/dot.ts";
import { formatReply, reply, type Reply } from "./reply.ts";
import type { SmtpSession, Step } from "./session.ts";
import type { Logger } from "../util/log.ts";

export interface DriverOptions {
  readonly tls?: TlsServerOptions;
  readonly hostname: string;
  readonly log: Logger;
}

/** SMTP AUTH lines carry secrets inline: `AUTH PLAIN <b64>`, `AUTH LOGIN <b64>`. */
export function redactSmtp(line: string): string {
  const m = /^(auth\s+\S+)\s+\S+/i.exec(line);
  return m ? `${m[1]} [redacted]` : line;
}

function send(lc: LineConnection, r: Reply): void {
  for (const l of formatReply(r)) lc.send(l);
}

export async function runSmtpSession(lc: LineConnection, session: SmtpSession, opts: DriverOptions): Promise<void> {
  // Whatever the client was doing when its connection ended, it hears the same 421 (RFC 5321
  // §4.5.3.2 idle timeout; §3.8 shutdown). A closed connection hears nothing.
  const farewell = (end: "eof" | "closed" | "timeout" | "shutdown"): void => {
    if (end === "timeout") send(lc, reply(421, "4.4.2", `${opts.hostname} Timeout, closing connection`));
    else if (end === "shutdown") send(lc, reply(421, "4.3.2", `${opts.hostname} Service shutting down, closing connection`));
  };
  try {
    send(lc, session.greeting());
    for (;;) {
      const r = await lc.readTextLine();
      let step: Step;
      if (r.kind === "eof" || r.kind === "timeout" || r.kind === "shutdown") return farewell(r.kind);
      if (r.kind === "too-long") step = session.lineTooLong();
      else if (r.kind === "text") step = await session.command(r.text);
      else continue;
      for (;;) {
        if (step.kind === "reply") {
          send(lc, step.reply);
          if (step.close) return;
          break;
        }
        if (step.kind === "auth-challenge") {
          send(lc, step.reply);
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
          send(lc, step.reply);
          if (opts.tls === undefined) return;
          try {
            await lc.upgradeToTls(opts.tls);
          } catch (e) {
            opts.log.log("info", "smtp.tls-failed", { error: (e as Error).message });
            return; // the handshake failed: nothing sensible can be said on this connection
          }
          session.tlsStarted();
          break;
        }
        if (step.kind === "data") {
          send(lc, step.reply);
          const end = await readData(lc, session);
          if (typeof end === "string") return farewell(end);
          step = end;
          continue;
        }
        if (step.kind === "bdat" || step.kind === "bdat-discard") {
          const chunk = await readBdat(lc, session, step.size, step.kind === "bdat");
          if (chunk !== "ok") return farewell(chunk);
          if (step.kind === "bdat") step = await session.bdatEnd(step.size, step.last);
          else {
            session.bdatDiscarded(step.last);
            step = { kind: "reply", reply: step.reply };
          }
          continue;
        }
      }
    }
  } finally {
    await session.end();
  }
}

/** DATA content up to CRLF.CRLF, streamed into the session. */
async function readData(lc: LineConnection, session: SmtpSession): Promise<Step | "closed" | "timeout" | "shutdown"> {
  const decoder = new DotDecoder(session.config.maxMessageSize);
  for (;;) {
    const chunk = await lc.readChunk();
    if (chunk === null || chunk === "timeout" || chunk === "shutdown") {
      session.dataAborted(); // a dropped client mid-DATA submits nothing
      return chunk === null ? "closed" : chunk;
    }
    const r = decoder.decode(chunk);
    for (const p of r.pieces) await session.data(p);
    if (r.done) {
      lc.unread(r.rest);
      lc.trace.note(`message content: ${decoder.size} octets${decoder.bareLineFeeds > 0 ? `, ${decoder.bareLineFeeds} bare LF normalised` : ""}`);
      return session.dataEnd(decoder.oversized);
    }
  }
}

/** One BDAT chunk of exactly `size` octets, fed to the session or discarded. */
async function readBdat(lc: LineConnection, session: SmtpSession, size: number, keep: boolean): Promise<"ok" | "closed" | "timeout" | "shutdown"> {
  let left = size;
  while (left > 0) {
    const chunk = await lc.readExact(Math.min(left, 65536));
    if (chunk === null || chunk === "timeout" || chunk === "shutdown") {
      session.dataAborted();
      return chunk === null ? "closed" : chunk;
    }
    left -= chunk.byteLength;
    if (keep) await session.data(chunk);
  }
  lc.trace.note(`BDAT chunk: ${size} octets${keep ? "" : " (discarded)"}`);
  return "ok";
}
