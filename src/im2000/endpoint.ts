// Where a client finds a configured IM2000 service (shims GEN-2, LOC-4; im2000 §11.2): written as
// `host:port`, `[v6]:port`, an IP literal with the default port, or a bare domain located with the
// SRV algorithm (`_msoap._tcp.<domain>` …). Static routes win over DNS.

import { connect, type Conn, type TlsClientOptions } from "../runtime/net.ts";
import { ipVersion } from "../runtime/net.ts";
import { Im2000TransportError } from "./errors.ts";
import { DEFAULT_PORTS, locate, parseHostPort, type LocateOptions, type ServiceName } from "./locate.ts";

export type Endpoint =
  | { readonly kind: "address"; readonly host: string; readonly port: number }
  | { readonly kind: "domain"; readonly domain: string };

/** Parses a configured location. A name without a port is a domain for SRV lookup. */
export function parseEndpoint(text: string, service: ServiceName): Endpoint {
  const s = text.trim();
  if (s === "") throw new Error(`empty ${service} location`);
  if (/:\d+$/.test(s) || s.startsWith("[")) {
    const hp = parseHostPort(s, DEFAULT_PORTS[service]);
    return { kind: "address", host: hp.host, port: hp.port };
  }
  if (ipVersion(s) !== 0) return { kind: "address", host: s, port: DEFAULT_PORTS[service] };
  return { kind: "domain", domain: s.toLowerCase().replace(/\.$/, "") };
}

export function endpointToString(e: Endpoint): string {
  return e.kind === "domain" ? e.domain : `${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`;
}

/**
 * Connects to an endpoint. Throws Im2000TransportError: kind "connect" for an address, kind
 * "locate" (with `permanent` set for NXDOMAIN or a "." target) for a domain.
 */
export async function connectEndpoint(e: Endpoint, service: ServiceName, opts: LocateOptions & { readonly connectTimeoutMs?: number; readonly tls?: TlsClientOptions } = {}): Promise<Conn> {
  if (e.kind === "address") {
    try {
      return await connect({ host: e.host, port: e.port, timeoutMs: opts.connectTimeoutMs ?? 30_000, tls: opts.tls });
    } catch (err) {
      throw new Im2000TransportError("connect", `${service.toUpperCase()} ${endpointToString(e)}: ${(err as Error).message}`);
    }
  }
  const r = await locate(e.domain, service, opts.tls !== undefined, opts);
  if (r.kind === "connected") return r.conn;
  throw new Im2000TransportError("locate", `${service.toUpperCase()} ${e.domain}: ${r.reason}`, r.permanent);
}
