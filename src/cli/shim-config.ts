// The shim conformance interface (docs/conformance-interface.md) resolved into service
// configurations: each setting from a command-line flag or, failing that, its environment
// variable. `im2000-shim` uses it, and so does anything else that must start a shim exactly as the
// conformance runner describes (the conformance runner's own tests build broken variants on it).

import { readTextSync } from "../runtime/fs.ts";
import { parseEndpoint } from "../im2000/endpoint.ts";
import type { Pop3ServiceConfig } from "../pop3/service.ts";
import type { SmtpServiceConfig } from "../smtp/service.ts";
import type { Logger } from "../util/log.ts";

export type ShimRole = "smtp-submission" | "smtp-list-relay" | "pop3";

export type ShimConfig =
  | { readonly role: "smtp-submission" | "smtp-list-relay"; readonly smtp: SmtpServiceConfig }
  | { readonly role: "pop3"; readonly pop3: Omit<Pop3ServiceConfig, "notes">; readonly stateDir: string | undefined };

/** Where each setting comes from: a flag's value, else the variable (both undefined when unset). */
export interface SettingSource {
  value(flag: string, variable: string): string | undefined;
  /** A boolean: the flag given, or the variable set to "1". */
  on(flag: string, variable: string): boolean;
}

/** Environment variables only. */
export function environmentSource(env: Readonly<Record<string, string | undefined>>): SettingSource {
  return { value: (_f, v) => env[v], on: (_f, v) => env[v] === "1" };
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a non-negative integer`);
  return Number(v);
}

function list(v: string | undefined): string[] {
  return (v ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
}

/** Resolves the interface for `role` (or IM2000_SHIM_ROLE). Throws Error with a clear message. */
export function shimConfig(src: SettingSource, role: string | undefined, o: { readonly log: Logger; readonly traceWire?: boolean }): ShimConfig {
  const get = (flag: string, variable: string) => src.value(flag, variable);
  const r = role ?? get("role", "IM2000_SHIM_ROLE");
  if (r !== "smtp-submission" && r !== "smtp-list-relay" && r !== "pop3") throw new Error(`unknown or missing role ${r ?? ""} (try --help)`);
  const host = get("host", "IM2000_SHIM_HOST") ?? "127.0.0.1";
  const port = int(get("port", "IM2000_SHIM_PORT"), "port") ?? (r === "smtp-submission" ? 587 : r === "pop3" ? 110 : 25);
  const tlsPort = int(get("tls-port", "IM2000_SHIM_TLS_PORT"), "tls-port");
  const certFile = get("cert", "IM2000_SHIM_TLS_CERT");
  const keyFile = get("key", "IM2000_SHIM_TLS_KEY");
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error("--cert and --key go together");
  const tls = certFile !== undefined && keyFile !== undefined ? { cert: readTextSync(certFile), key: readTextSync(keyFile) } : undefined;
  const testMode = src.on("test-mode", "IM2000_TEST_MODE");
  const idle = int(get("idle-timeout", "IM2000_IDLE_TIMEOUT_S"), "idle-timeout");
  const peerTimeout = int(get("peer-timeout", "IM2000_PEER_TIMEOUT_S"), "peer-timeout");
  const peerTimeoutMs = peerTimeout !== undefined ? Math.max(1, peerTimeout) * 1000 : undefined;
  const common = {
    hostname: get("hostname", "IM2000_SHIM_HOSTNAME") ?? "localhost",
    listen: [{ host, port }],
    listenTls: tlsPort !== undefined ? [{ host, port: tlsPort }] : [],
    tls,
    idleTimeoutMs: idle !== undefined ? idle * 1000 : undefined,
    allowPlainAuthWithoutTls: src.on("allow-plain-auth", "IM2000_ALLOW_PLAIN_AUTH"),
    traceWire: o.traceWire ?? false,
    testMode,
    log: o.log,
  };
  if (r === "pop3") {
    const rnaqp = get("rnaqp", "IM2000_RNAQP");
    if (rnaqp === undefined) throw new Error("the notification agent's location is required (--rnaqp or IM2000_RNAQP)");
    return {
      role: r,
      pop3: { ...common, rna: parseEndpoint(rnaqp, "rnaqp"), rnaResponseTimeoutMs: peerTimeoutMs, stores: { responseTimeoutMs: peerTimeoutMs } },
      stateDir: get("state-dir", "IM2000_SHIM_STATE_DIR"),
    };
  }
  const msoap = get("msoap", "IM2000_MSOAP");
  if (msoap === undefined) throw new Error("the message store's location is required (--msoap or IM2000_MSOAP)");
  const lifetime = int(get("lifetime", "IM2000_LIFETIME_S"), "lifetime");
  return {
    role: r,
    smtp: {
      ...common,
      role: r === "smtp-submission" ? "submission" : "relay",
      store: parseEndpoint(msoap, "msoap"),
      maxRecipients: int(get("max-recipients", "IM2000_MAX_RECIPIENTS"), "max-recipients"),
      maxMessageSize: int(get("max-message-size", "IM2000_MAX_MESSAGE_SIZE"), "max-message-size"),
      chunkSize: int(get("chunk-size", "IM2000_CHUNK_SIZE"), "chunk-size"),
      storeResponseTimeoutMs: peerTimeoutMs,
      lifetimeSeconds: lifetime,
      allowAnonymousSubmission: src.on("allow-anonymous", "IM2000_ALLOW_ANONYMOUS"),
      flushIdleMs: testMode ? 1000 : undefined,
      relay:
        r === "smtp-list-relay"
          ? {
              listDomains: list(get("list-domains", "IM2000_LIST_DOMAINS")).map((d) => d.toLowerCase()),
              gatewayAccount: get("gateway-account", "IM2000_LIST_GATEWAY_ACCOUNT") ?? "",
              gatewayPassword: get("gateway-password", "IM2000_LIST_GATEWAY_PASSWORD") ?? "",
              semiPublicLists: list(get("semi-public", "IM2000_LIST_SEMIPUBLIC")),
              defaultLifetimeSeconds: lifetime,
            }
          : undefined,
    },
  };
}
