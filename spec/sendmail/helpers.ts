// Running im2000-sendmail in tests: in process (runSendmail with an injected SendmailIo: fast, on
// every runtime) or as the real command through bin/im2000-sendmail (pipes, exit status, the
// launcher). Configuration files live in a temporary directory; the real /etc and $HOME are never
// read: IM2000_SENDMAIL_CONF and IM2000_SENDMAIL_USER_CONF always point into the test's directory.

import assert from "node:assert/strict";
import { spawn as spawnChild, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTextWithInfoSync } from "../../src/runtime/fs.ts";
import type { Duplex } from "../../src/runtime/net.ts";
import type { Resolver } from "../../src/runtime/dns.ts";
import { run, uid } from "../../src/runtime/process.ts";
import { runSendmail } from "../../src/sendmail/main.ts";
import { SendmailFailure } from "../../src/sendmail/exit-status.ts";

/** The SendmailFailure fn throws (the exit status and reason the command would report). */
export function failure(fn: () => unknown): SendmailFailure {
  try {
    fn();
  } catch (e) {
    if (e instanceof SendmailFailure) return e;
    throw e;
  }
  assert.fail("expected a SendmailFailure");
}

export const LAUNCHER = new URL("../../bin/im2000-sendmail", import.meta.url).pathname;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function tempDir(prefix = "im2000-sendmail-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a configuration file with the given mode. */
export function writeConfig(path: string, lines: Record<string, string>, mode = 0o600): string {
  writeFileSync(path, Object.entries(lines).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n");
  chmodSync(path, mode);
  return path;
}

export interface InProcessRun {
  readonly code: number;
  readonly stderr: string;
  readonly stdout: string;
}

export interface InProcessOptions {
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly stdin?: string | Uint8Array | readonly (string | Uint8Array)[];
  readonly dir: string;
  readonly login?: string;
  readonly resolver?: Resolver;
  readonly stdio?: Duplex;
}

/** The whole command in process. The configuration paths default to files in `dir` (absent unless written). */
export async function sendmailInProcess(o: InProcessOptions): Promise<InProcessRun> {
  const env: Record<string, string> = { IM2000_SENDMAIL_CONF: join(o.dir, "system.conf"), IM2000_SENDMAIL_USER_CONF: join(o.dir, "user.conf"), ...o.env };
  let stderr = "";
  let stdout = "";
  const chunks = o.stdin === undefined ? [] : Array.isArray(o.stdin) ? o.stdin : [o.stdin];
  const code = await runSendmail({
    args: o.args,
    env: (n) => env[n],
    loginName: () => o.login ?? "tester",
    homeDir: () => o.dir,
    uid,
    hostname: () => "host.test",
    readFile: (p) => readTextWithInfoSync(p),
    async *stdin() {
      for (const c of chunks) yield typeof c === "string" ? enc.encode(c) : (c as Uint8Array);
    },
    stdio: () => {
      if (o.stdio === undefined) throw new Error("no stdio in this test");
      return o.stdio;
    },
    stdout: async (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    resolver: o.resolver,
  });
  return { code, stderr, stdout };
}

/** An SMTP client over a child's standard input/output (`sendmail -bs`, LOC-6). */
export class PipeSmtp {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  #buf = "";
  #wake: (() => void) | undefined;
  #closed = false;
  stderr = "";

  constructor(cmd: string, args: readonly string[], env: Record<string, string>) {
    this.child = spawnChild(cmd, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.setEncoding("utf8");
    this.child.stdout.on("data", (s: string) => {
      this.#buf += s;
      this.#wake?.();
    });
    this.child.stderr.on("data", (s: string) => (this.stderr += s));
    this.child.stdin.on("error", () => {});
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code) => {
        this.#closed = true;
        this.#wake?.();
        resolve(code);
      }),
    );
  }

  async #line(timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.#buf.indexOf("\r\n");
      if (nl >= 0) {
        const l = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 2);
        return l;
      }
      if (this.#closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; stderr: ${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.#wake = undefined;
    }
  }

  /** One reply, multi-line aware. */
  async reply(timeoutMs = 10_000): Promise<{ code: number; lines: string[]; text: string }> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.#line(timeoutMs);
      if (l === null) throw new Error(`the command closed its output; got so far ${JSON.stringify(lines)}; stderr: ${this.stderr}`);
      lines.push(l);
      if (!/^\d{3}-/.test(l)) break;
    }
    return { code: Number(lines.at(-1)!.slice(0, 3)), lines, text: lines.join("\n") };
  }

  write(s: string | Uint8Array): void {
    this.child.stdin.write(s);
  }

  async cmd(line: string): Promise<{ code: number; lines: string[]; text: string }> {
    this.write(line + "\r\n");
    return this.reply();
  }

  end(): void {
    this.child.stdin.end();
  }
}

/** The real command, through the launcher (Bun when available, as in production). */
export async function sendmailProcess(args: readonly string[], opts: { env: Record<string, string>; input?: string | Uint8Array; runtime?: string; dir: string }): Promise<InProcessRun> {
  const env: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    HOME: opts.dir,
    USER: "tester",
    IM2000_SENDMAIL_CONF: join(opts.dir, "system.conf"),
    IM2000_SENDMAIL_USER_CONF: join(opts.dir, "user.conf"),
    ...(opts.runtime !== undefined ? { IM2000_SENDMAIL_RUNTIME: opts.runtime } : {}),
    ...opts.env,
  };
  const r = await run(LAUNCHER, args, { env, input: opts.input, timeoutMs: 60_000 });
  return { code: r.code ?? -1, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}
