// The shim under test. With --exec the runner starts it once per suite with the environment of
// the shim conformance interface (docs/conformance-interface.md) and waits until its plain port
// accepts a connection; with --target it is already running, configured with the values that
// `im2000-conformance env` prints. Either way the runner ends up with a ShimConfig.

import { connect, listen } from "../src/runtime/net.ts";
import { spawn, type ChildProcess } from "../src/runtime/process.ts";
import { makeTempDir, readText, removeTree } from "../src/runtime/fs.ts";
import type { SuiteName } from "./case.ts";
import type { ShimConfig } from "./context.ts";

export const HOST = "127.0.0.1";

/** The fixed settings every case assumes (also printed for --target users). */
export const SETTINGS = {
  maxRecipients: 100,
  maxMessageSize: 1_048_576,
  chunkSize: 16_384,
  submissionLifetimeS: 2_592_000,
  listLifetimeS: 7_776_000,
  idleTimeoutS: 3,
  /** Proposed addition to the interface: the shim's response timeout towards IM2000 peers. */
  peerTimeoutS: 2,
  listDomains: ["lists.conformance.test"],
  gatewayAccount: "list-gateway",
  gatewayPassword: "gateway-secret",
  semiPublic: ["semi"],
} as const;

export function certPaths(): { cert: string; key: string } {
  return { cert: new URL("./tls/cert.pem", import.meta.url).pathname, key: new URL("./tls/key.pem", import.meta.url).pathname };
}

export async function runnerCa(): Promise<string> {
  return readText(certPaths().cert);
}

export interface PeerAddresses {
  readonly msoap: number;
  readonly msrap: number;
  readonly rnaqp: number;
}

/** The conformance-interface environment for one role. */
export function shimEnvironment(role: SuiteName, shim: { host: string; port: number; tlsPort: number; stateDir?: string }, peers: PeerAddresses): Record<string, string> {
  const { cert, key } = certPaths();
  const env: Record<string, string> = {
    IM2000_SHIM_ROLE: role,
    IM2000_SHIM_HOST: shim.host,
    IM2000_SHIM_PORT: String(shim.port),
    IM2000_SHIM_TLS_PORT: String(shim.tlsPort),
    IM2000_SHIM_TLS_CERT: cert,
    IM2000_SHIM_TLS_KEY: key,
    IM2000_TEST_MODE: "1",
    IM2000_IDLE_TIMEOUT_S: String(SETTINGS.idleTimeoutS),
    // Proposed (not yet in docs/conformance-interface.md): without it a "store answers too late"
    // case would have to wait out a 120 s default; cases that need it are SHOULD until adopted.
    IM2000_PEER_TIMEOUT_S: String(SETTINGS.peerTimeoutS),
  };
  if (role === "pop3") {
    env.IM2000_RNAQP = `${HOST}:${peers.rnaqp}`;
    if (shim.stateDir !== undefined) env.IM2000_SHIM_STATE_DIR = shim.stateDir;
  } else {
    env.IM2000_MSOAP = `${HOST}:${peers.msoap}`;
    env.IM2000_MAX_RECIPIENTS = String(SETTINGS.maxRecipients);
    env.IM2000_MAX_MESSAGE_SIZE = String(SETTINGS.maxMessageSize);
    env.IM2000_CHUNK_SIZE = String(SETTINGS.chunkSize);
    env.IM2000_LIFETIME_S = String(role === "smtp-list-relay" ? SETTINGS.listLifetimeS : SETTINGS.submissionLifetimeS);
  }
  if (role === "smtp-list-relay") {
    env.IM2000_LIST_DOMAINS = SETTINGS.listDomains.join(",");
    env.IM2000_LIST_GATEWAY_ACCOUNT = SETTINGS.gatewayAccount;
    env.IM2000_LIST_GATEWAY_PASSWORD = SETTINGS.gatewayPassword;
    env.IM2000_LIST_SEMIPUBLIC = SETTINGS.semiPublic.join(",");
  }
  return env;
}

export function shimConfig(role: SuiteName, host: string, port: number, tlsPort: number | undefined, ca: string, started: boolean): ShimConfig {
  return {
    role,
    host,
    port,
    tlsPort,
    maxRecipients: SETTINGS.maxRecipients,
    maxMessageSize: SETTINGS.maxMessageSize,
    chunkSize: SETTINGS.chunkSize,
    lifetimeS: role === "smtp-list-relay" ? SETTINGS.listLifetimeS : SETTINGS.submissionLifetimeS,
    idleTimeoutS: SETTINGS.idleTimeoutS,
    peerTimeoutS: SETTINGS.peerTimeoutS,
    listDomains: SETTINGS.listDomains,
    gatewayAccount: SETTINGS.gatewayAccount,
    gatewayPassword: SETTINGS.gatewayPassword,
    semiPublic: SETTINGS.semiPublic,
    ca,
    started,
  };
}

/** A free loopback port (bound and released; the shim binds it a moment later). */
export async function freePort(host = HOST): Promise<number> {
  const l = await listen({ host, port: 0 }, (c) => c.destroy());
  const p = l.port;
  await l.close();
  return p;
}

export class RunnerError extends Error {
  override readonly name = "RunnerError";
}

/** Waits until host:port accepts a TCP connection (closed at once: the throwaway of the interface). */
export async function waitReady(host: string, port: number, timeoutMs: number, exited?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited?.();
    if (gone !== undefined) throw new RunnerError(gone);
    try {
      const c = await connect({ host, port, timeoutMs: 1000 });
      c.destroy();
      return;
    } catch {
      if (Date.now() > deadline) throw new RunnerError(`the shim never accepted a connection on ${host}:${port} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A shim started with --exec. */
export class ExecTarget {
  readonly config: ShimConfig;
  readonly env: Record<string, string>;
  #child: ChildProcess | undefined;
  #stateDir: string | undefined;

  private constructor(config: ShimConfig, env: Record<string, string>, stateDir: string | undefined) {
    this.config = config;
    this.env = env;
    this.#stateDir = stateDir;
  }

  static async start(command: string, role: SuiteName, peers: PeerAddresses, ca: string, baseEnv: Record<string, string | undefined>, startupMs: number): Promise<ExecTarget> {
    const port = await freePort();
    const tlsPort = await freePort();
    const stateDir = role === "pop3" ? await makeTempDir("im2000-conformance-state-") : undefined;
    const env = shimEnvironment(role, { host: HOST, port, tlsPort, stateDir }, peers);
    const t = new ExecTarget(shimConfig(role, HOST, port, tlsPort, ca, true), env, stateDir);
    const child = spawn("/bin/sh", ["-c", command], { env: { ...baseEnv, ...env }, processGroup: true });
    t.#child = child;
    let exitNote: string | undefined;
    void child.exited.then((x) => {
      exitNote = `the shim exited (code ${x.code ?? "none"}, signal ${x.signal ?? "none"}) before it was ready; its stderr ends with:\n${child.stderrText().slice(-2000)}`;
    });
    try {
      await waitReady(HOST, port, startupMs, () => exitNote);
    } catch (e) {
      await t.stop();
      throw e;
    }
    return t;
  }

  /** The shim's standard error so far (shown when the runner cannot use the shim). */
  stderr(): string {
    return this.#child?.stderrText() ?? "";
  }

  async stop(): Promise<void> {
    const c = this.#child;
    this.#child = undefined;
    if (c !== undefined) {
      c.kill("SIGTERM");
      const done = await Promise.race([c.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      if (!done) c.kill("SIGKILL");
      // Grandchildren in the group may outlive the shell: make sure they go too.
      c.kill("SIGKILL");
      await Promise.race([c.exited, new Promise((r) => setTimeout(r, 1000))]);
    }
    if (this.#stateDir !== undefined) await removeTree(this.#stateDir).catch(() => {});
  }
}
