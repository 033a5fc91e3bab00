// Starting one of our TypeScript entry points as a child process on the runtime running the
// tests (node needs tsx, deno needs permissions, bun runs .ts directly).

import { execPath, runtimeName, spawn, type ChildProcess } from "../../src/runtime/process.ts";

export function tsArgv(file: string, args: readonly string[]): [string, string[]] {
  const rt = runtimeName();
  const pre = rt === "node" ? ["--import", "tsx", file] : rt === "deno" ? ["run", "-A", file] : [file];
  return [execPath(), [...pre, ...args]];
}

export function spawnTs(file: string, args: readonly string[], env?: Record<string, string | undefined>): ChildProcess {
  const [cmd, argv] = tsArgv(file, args);
  return spawn(cmd, argv, env ? { env } : {});
}
