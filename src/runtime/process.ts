// The process: arguments, environment, signals, standard streams, child processes and the
// identity of the local user. node:process, node:os and node:child_process work alike on Bun,
// Deno and Node; keeping them here keeps the rest of the code free of runtime specifics.

import process from "node:process";
import os from "node:os";
import child from "node:child_process";

/** Which runtime is executing us (for banners, benchmarks and runtime-specific tuning). */
export function runtimeName(): "bun" | "deno" | "node" {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "node";
}

export function runtimeVersion(): string {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (g.Bun !== undefined) return `bun ${g.Bun.version}`;
  if (g.Deno !== undefined) return `deno ${g.Deno.version.deno}`;
  return `node ${process.versions.node}`;
}

/** Command-line arguments after the script name. */
export function args(): string[] {
  return process.argv.slice(2);
}

export function env(name: string): string | undefined {
  return process.env[name];
}

export function allEnv(): Record<string, string | undefined> {
  return process.env;
}

export function pid(): number {
  return process.pid;
}

export function cwd(): string {
  return process.cwd();
}

export function exit(code: number): never {
  process.exit(code);
}

export function setExitCode(code: number): void {
  process.exitCode = code;
}

/** Calls fn on SIGINT or SIGTERM (once per signal delivery). */
export function onTerminate(fn: (signal: string) => void): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => fn(sig));
}

export function writeStdout(s: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(s, (err) => (err ? reject(err) : resolve()));
  });
}

export function writeStderr(s: string): void {
  process.stderr.write(s);
}

export function stdoutIsTerminal(): boolean {
  return process.stdout.isTTY === true;
}

/** Standard input as a stream of chunks. */
export async function* readStdin(): AsyncGenerator<Uint8Array> {
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
}

/** The login name of the user running us (LOC-3: the default MSOAP account). */
export function loginName(): string {
  return process.env.USER ?? process.env.LOGNAME ?? safeUserInfo()?.username ?? "";
}

export function homeDir(): string {
  return process.env.HOME ?? os.homedir();
}

export function uid(): number {
  return typeof process.getuid === "function" ? process.getuid() : -1;
}

export function hostname(): string {
  return os.hostname();
}

function safeUserInfo(): os.UserInfo<string> | undefined {
  try {
    return os.userInfo();
  } catch {
    return undefined;
  }
}

export function memoryUsage(): { rss: number; heapUsed: number } {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  /** Bytes written to the child's standard input, which is then closed. */
  readonly input?: Uint8Array | string;
  readonly timeoutMs?: number;
}

export interface SpawnResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

/** Runs a program to completion, collecting its output (tests, benchmarks, real clients). */
export function run(cmd: string, argv: readonly string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const p = child.spawn(cmd, argv, { cwd: opts.cwd, env: (opts.env ?? process.env) as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (c: Buffer) => out.push(c));
    p.stderr.on("data", (c: Buffer) => err.push(c));
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs);
    p.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    p.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: new Uint8Array(Buffer.concat(out)), stderr: new Uint8Array(Buffer.concat(err)) });
    });
    p.stdin.on("error", () => {});
    if (opts.input !== undefined) p.stdin.end(opts.input);
    else p.stdin.end();
  });
}

/** A long-running child (a server under test); output is collected as it arrives. */
export interface ChildProcess {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** All standard output so far, decoded as UTF-8. */
  stdoutText(): string;
  stderrText(): string;
  /** Resolves with the first stdout line matching re (or rejects after timeoutMs / on exit). */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  kill(signal?: "SIGTERM" | "SIGKILL" | "SIGINT"): void;
  writeStdin(data: Uint8Array | string): void;
  endStdin(): void;
}

export interface LongRunningOptions extends Omit<SpawnOptions, "input" | "timeoutMs"> {
  /**
   * Start the child in a process group of its own, so that kill() reaches everything it started
   * (a shell command line under test, `sh -c "npm run shim"`, forks grandchildren).
   */
  readonly processGroup?: boolean;
}

export function spawn(cmd: string, argv: readonly string[], opts: LongRunningOptions = {}): ChildProcess {
  const p = child.spawn(cmd, argv, { cwd: opts.cwd, env: (opts.env ?? process.env) as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"], detached: opts.processGroup === true });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  p.stdout.setEncoding("utf8");
  p.stderr.setEncoding("utf8");
  p.stdout.on("data", (c: string) => {
    out += c;
    for (const l of listeners) l();
  });
  p.stderr.on("data", (c: string) => {
    err += c;
  });
  p.stdin.on("error", () => {});
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    p.on("error", () => resolve({ code: null, signal: null }));
    p.on("close", (code, signal) => {
      for (const l of listeners) l();
      resolve({ code, signal });
    });
  });
  let done = false;
  exited.then(() => (done = true));
  return {
    pid: p.pid ?? -1,
    exited,
    stdoutText: () => out,
    stderrText: () => err,
    waitForLine(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of out.split("\n")) {
            const m = line.match(re);
            if (m) {
              cleanup();
              resolve(m);
              return;
            }
          }
          if (done || p.exitCode !== null) {
            cleanup();
            reject(new Error(`process exited before printing ${re}; stderr: ${err.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${re}; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    kill(signal = "SIGTERM") {
      try {
        if (opts.processGroup === true && p.pid !== undefined) {
          try {
            process.kill(-p.pid, signal);
            return;
          } catch {
            // the group is gone or the runtime does not support groups: signal the child itself
          }
        }
        p.kill(signal);
      } catch {
        // already gone
      }
    },
    writeStdin(data) {
      p.stdin.write(data);
    },
    endStdin() {
      p.stdin.end();
    },
  };
}

/** Absolute path of the running runtime's executable (to start children on the same runtime). */
export function execPath(): string {
  return process.execPath;
}

/** Arguments the runtime itself was started with (e.g. `--import tsx` on Node). */
export function execArgv(): string[] {
  return process.execArgv;
}
