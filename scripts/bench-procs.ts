// Process plumbing shared by the protocol benchmarks (bench-smtp.ts, bench-pop3.ts): every server
// under test runs in a child process of its own, so its resident memory can be read from
// /proc/PID/status without the load client's memory in it, and so the load client never shares
// an event loop with the server it measures.
//
// A child is this same script started with `--serve KIND …`; once listening it prints one line
// `READY {json}` on standard output and then serves until SIGTERM or until its standard input
// closes (so a crashed parent never leaves servers behind).

import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { runtimeName } from "../src/runtime/process.ts";

export type Runtime = "node" | "bun" | "deno";

export const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

/** The command line that runs a TypeScript file on `runtime` (tsx for Node). */
export function runtimeCommand(runtime: Runtime): string[] {
  const bin = path.join(projectRoot, "node_modules", ".bin");
  if (runtime === "node") return ["node", "--import", "tsx"];
  if (runtime === "bun") return [path.join(bin, "bun")];
  return [path.join(bin, "deno"), "run", "--no-check", "-A"];
}

export const currentRuntime: Runtime = runtimeName();

export interface Child {
  readonly pid: number;
  readonly info: Record<string, unknown>;
  readonly runtime: Runtime;
  stop(): Promise<void>;
}

/**
 * Runtime flags that write a CPU profile of a child when it exits, into `dir` (Node: .cpuprofile
 * for Chrome DevTools; Bun: .cpuprofile plus a Markdown summary). Deno has no such flag.
 */
export function profileFlags(runtime: Runtime, dir: string): string[] {
  if (runtime === "node") return ["--cpu-prof", `--cpu-prof-dir=${dir}`];
  if (runtime === "bun") return ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${dir}`];
  throw new Error("--profile: Deno has no CPU profile flag; profile on Node or Bun");
}

/** Starts `script --serve ...args` on `runtime` and waits for its READY line. */
export function startChild(runtime: Runtime, script: string, args: readonly string[], opts: { timeoutMs?: number; runtimeFlags?: readonly string[] } = {}): Promise<Child> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const [cmd, ...pre] = runtimeCommand(runtime);
  const flags = opts.runtimeFlags ?? [];
  // Deno takes its flags after `run`; Node and Bun before the script, which is the same place.
  const p: ChildProcess = spawn(cmd!, [...pre, ...flags, script, "--serve", ...args], { cwd: projectRoot, stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buf = "";
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`${args[0]} on ${runtime}: no READY within ${timeoutMs} ms`));
    }, timeoutMs);
    p.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.once("exit", (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} on ${runtime} exited (${code ?? sig}) before READY`));
    });
    p.stdout!.setEncoding("utf8");
    p.stdout!.on("data", (d: string) => {
      buf += d;
      const m = /^READY (.*)$/m.exec(buf);
      if (m === null) return;
      clearTimeout(timer);
      p.stdout!.removeAllListeners("data");
      p.stdout!.resume();
      resolve({
        pid: p.pid!,
        info: JSON.parse(m[1]!) as Record<string, unknown>,
        runtime,
        async stop() {
          if (p.exitCode !== null || p.signalCode !== null) return;
          p.kill("SIGTERM");
          const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(t);
        },
      });
    });
  });
}

/** Child side: announce readiness, then run `stop` on SIGTERM/SIGINT or when stdin closes. */
export function serveUntilTerminated(info: Record<string, unknown>, stop: () => Promise<void>): void {
  let stopping = false;
  const end = () => {
    if (stopping) return;
    stopping = true;
    stop()
      .catch((e) => process.stderr.write(`stop failed: ${(e as Error).message}\n`))
      .finally(() => process.exit(0));
  };
  process.on("SIGTERM", end);
  process.on("SIGINT", end);
  process.stdin.on("end", end);
  process.stdin.on("close", end);
  process.stdin.resume();
  process.stdout.write(`READY ${JSON.stringify(info)}\n`);
}

/** Resident set size now and at its peak (VmHWM), in bytes, of any process (Linux). */
export function procMemory(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** CPU time (user + system) a process has used so far, in seconds (Linux, /proc/PID/stat). */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // USER_HZ on Linux

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Command-line options: `--name value` or `--flag`. */
export function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export const MiB = 1024 * 1024;
export const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
