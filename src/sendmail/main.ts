// The local submission shim (shims §1.6, LOC-1…LOC-7): a command used exactly as
// /usr/sbin/sendmail is used, which submits the message to the user's IM2000 message store over
// MSOAP, like a "null" mail system whose smart host is the store. Arguments → options →
// configuration → message → envelope → one MSOAP submission → exit status (sysexits.h, LOC-5).
//
// Everything the process provides comes in through SendmailIo, so tests run the whole command in
// process; src/cli/sendmail.ts binds it to the real process.

import { toHex } from "../util/bytes.ts";
import type { Duplex } from "../runtime/net.ts";
import type { Resolver } from "../runtime/dns.ts";
import { collectMessage } from "./collect.ts";
import { describeConfig, loadConfig, type ConfigSources, type SendmailConfig } from "./config.ts";
import { EX, exitForError, SendmailFailure } from "./exit-status.ts";
import { parseArgs, USAGE, UsageError, type SendmailOptions } from "./options.ts";
import { buildEnvelope } from "./recipients.ts";
import { submitMessage } from "./submit.ts";

export const PROGRAM = "im2000-sendmail";

export interface SendmailIo extends ConfigSources {
  readonly args: readonly string[];
  /** Standard input as chunks (-bm). */
  stdin(): AsyncIterable<Uint8Array>;
  /** Standard input/output as one stream (-bs). */
  stdio(): Duplex;
  stdout(text: string): Promise<void>;
  stderr(text: string): void;
  hostname(): string;
  readonly resolver?: Resolver;
}

/** Runs the command; resolves with the exit status. Never throws. */
export async function runSendmail(io: SendmailIo): Promise<number> {
  const fail = (code: number, reason: string): number => {
    io.stderr(`${PROGRAM}: ${reason}\n`); // ref: shims LOC-5 — one line on standard error
    return code;
  };
  let opts: SendmailOptions;
  try {
    opts = parseArgs(io.args);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${PROGRAM}: ${e.message}\n${USAGE}\n`);
      return EX.USAGE; // ref: shims LOC-1, LOC-5
    }
    return fail(EX.SOFTWARE, `internal error: ${(e as Error).message}`);
  }
  const verbose = (line: string) => {
    if (opts.verbose) io.stderr(`${PROGRAM}: ${line}\n`);
  };
  for (const n of opts.notes) verbose(n); // ref: shims LOC-1, LOC-7 — accepted, ignored, noted under -v

  // Modes with nothing to do: there is no queue and no alias database.
  if (opts.mode === "print-queue") {
    await io.stdout("Mail queue is empty (im2000-sendmail never queues: each message is submitted at once or refused)\n");
    return EX.OK;
  }
  if (opts.mode === "init-aliases" || opts.mode === "run-queue") {
    if (opts.mode === "init-aliases") verbose("-bi: nothing to do: there is no alias database");
    return EX.OK;
  }

  let cfg: SendmailConfig;
  try {
    cfg = loadConfig(io);
  } catch (e) {
    const r = exitForError(e);
    if (opts.mode === "smtp") {
      // Say it in SMTP too: a -bs caller reads the greeting, not our standard error.
      try {
        await io.stdio().write(`554 5.3.5 ${PROGRAM}: ${r.reason}\r\n`);
      } catch {
        // the caller is gone; standard error still says why
      }
    }
    return fail(r.code, r.reason);
  }
  for (const l of describeConfig(cfg)) verbose(l);
  let trustedCa: string | undefined;
  if (cfg.tlsTrustFile !== undefined) {
    try {
      trustedCa = io.readFile(cfg.tlsTrustFile)?.text;
    } catch {
      trustedCa = undefined;
    }
    if (trustedCa === undefined) return fail(EX.CONFIG, `cannot read tls_trust_file ${cfg.tlsTrustFile}`);
  }

  if (opts.mode === "smtp") {
    if (opts.recipients.length > 0) verbose("-bs: recipient arguments ignored: the SMTP client names them with RCPT");
    try {
      const { runSmtpMode } = await import("./smtp-mode.ts");
      return await runSmtpMode(cfg, { stdio: io.stdio(), hostname: io.hostname(), resolver: io.resolver, trustedCa, trace: opts.verbose ? (l) => io.stderr(`${l}\n`) : undefined });
    } catch (e) {
      return fail(EX.IOERR, `SMTP session on standard input/output failed: ${(e as Error).message}`);
    }
  }

  try {
    if (opts.sender !== undefined) verbose(`envelope sender ${JSON.stringify(opts.sender)} noted; MSOAP has no envelope sender, so it is not sent`);
    let raw: Uint8Array;
    try {
      raw = await collectMessage(io.stdin(), { ignoreDots: opts.ignoreDots, maxSize: cfg.maxMessageSize });
    } catch (e) {
      if (e instanceof SendmailFailure) throw e;
      throw new SendmailFailure(EX.IOERR, `cannot read the message from standard input: ${(e as Error).message}`);
    }
    const env = buildEnvelope(opts.recipients, raw, { extractRecipients: opts.extractRecipients, defaultDomain: cfg.defaultDomain, maxRecipients: cfg.maxRecipients });
    verbose(`submitting ${env.message.byteLength} octets for ${env.recipients.length} recipient(s)`);
    const id = await submitMessage(cfg, env.recipients, env.message, { resolver: io.resolver, trustedCa });
    verbose(`accepted by the message store; originator identifier ${toHex(id)} (track it with an IM2000 originator MUA)`);
    return EX.OK;
  } catch (e) {
    const r = exitForError(e);
    return fail(r.code, r.reason);
  }
}
