// Service location (im2000.md §11, §18 C-7): the SRV algorithm, ServiceLocation values from
// notifications, and a static route table that wins over DNS (a single machine has no SRV
// records of its own).
//
// §11.1, as we implement it:
//   1-2. ask for SRV `<label>._tcp.<D>`, class IN;
//   3.   no answer (timeout, SERVFAIL…) → temporarily unlocatable;
//        NXDOMAIN → permanently unreachable; NODATA → temporarily unlocatable;
//        a lone RR with target "." → permanently unreachable;
//        otherwise priority groups in ascending order, each consumed by RFC 2782 weighted random
//        selection; each chosen target's addresses are tried in order on the RR's port;
//   4.   first connection → connected; everything exhausted → temporarily unreachable.
// No fallback to A/AAAA/MX of D itself.

import { connect as tcpConnect, ConnectError, type Conn, type TlsClientOptions } from "../runtime/net.ts";
import { systemResolver, type Resolver, type SrvRecord } from "../runtime/dns.ts";
import type { ServiceLocation } from "./types.ts";

export type ServiceName = "msoap" | "msrap" | "rnasp" | "rnaqp";

/** §3 [R] default ports; TLS endpoints are plain + 1000. */
export const DEFAULT_PORTS: Record<ServiceName, number> = { msoap: 8192, msrap: 8193, rnasp: 3181, rnaqp: 3182 };

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The outcomes of §11.1, with the NotificationStatus each one implies (§9.1 [R]). */
export type LocateOutcome =
  | { readonly kind: "connected"; readonly conn: Conn; readonly target: HostPort }
  | { readonly kind: "failed"; readonly status: "baddomain" | "noservice" | "noserver"; readonly permanent: boolean; readonly reason: string };

/** domain → per-service host:port list. Looked up before DNS. */
export interface RouteTable {
  lookup(service: ServiceName, domain: string, tls: boolean): readonly HostPort[] | undefined;
}

/** A route table from configuration: `{ "example.org": { rnasp: "127.0.0.1:3181", msraps: "…" } }`. */
export function staticRoutes(table: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>): RouteTable {
  const parsed = new Map<string, HostPort[]>();
  for (const [domain, services] of Object.entries(table)) {
    for (const [svc, v] of Object.entries(services)) {
      const list = (typeof v === "string" ? [v] : v).map(parseHostPort);
      parsed.set(`${svc.toLowerCase()} ${domain.toLowerCase().replace(/\.$/, "")}`, list);
    }
  }
  return {
    lookup: (service, domain, tls) => parsed.get(`${service}${tls ? "s" : ""} ${domain.toLowerCase().replace(/\.$/, "")}`),
  };
}

export const noRoutes: RouteTable = { lookup: () => undefined };

/** A listening address, "host:port" or "[v6]:port"; port 0 (any free port) is allowed. */
export function parseListenAddress(s: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new Error(`not a listen address (host:port): ${s}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** "host:port", "[v6]:port" → HostPort. */
export function parseHostPort(s: string, defaultPort?: number): HostPort {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new Error(`not a host:port: ${s}`);
  const port = m[2] !== undefined ? Number(m[2]) : defaultPort;
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad or missing port in ${s}`);
  return { host: m[1]!, port };
}

/**
 * The order in which one priority group's RRs are tried: repeated RFC 2782 weighted selection.
 * Zero-weight RRs go first in the running-sum list, so they keep a small chance (§11.1 [R]).
 */
export function weightedOrder(group: readonly SrvRecord[], random: () => number): SrvRecord[] {
  const left = [...group].sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
  const out: SrvRecord[] = [];
  while (left.length > 0) {
    const total = left.reduce((s, r) => s + r.weight, 0);
    const pick = Math.floor(random() * (total + 1)); // uniform in 0..total
    let running = 0;
    let idx = left.length - 1;
    for (let i = 0; i < left.length; i++) {
      running += left[i]!.weight;
      if (running >= pick) {
        idx = i;
        break;
      }
    }
    out.push(left.splice(idx, 1)[0]!);
  }
  return out;
}

/** All RRs in the order §11.1 step 3.3 tries them: priority groups ascending, weighted within. */
export function srvOrder(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
  const groups = new Map<number, SrvRecord[]>();
  for (const r of records) {
    const g = groups.get(r.priority);
    if (g) g.push(r);
    else groups.set(r.priority, [r]);
  }
  return [...groups.keys()].sort((a, b) => a - b).flatMap((p) => weightedOrder(groups.get(p)!, random));
}

export interface LocateOptions {
  readonly resolver?: Resolver;
  readonly routes?: RouteTable;
  readonly random?: () => number;
  readonly connectTimeoutMs?: number;
  /** Connect function (tests inject one that records attempts). */
  readonly connect?: (host: string, port: number) => Promise<Conn>;
  /** TLS options when locating a TLS endpoint (`_msraps` …). */
  readonly tls?: TlsClientOptions;
}

function connector(opts: LocateOptions, tlsName: string | undefined): (host: string, port: number) => Promise<Conn> {
  if (opts.connect) return opts.connect;
  return (host, port) =>
    tcpConnect({ host, port, timeoutMs: opts.connectTimeoutMs ?? 30_000, tls: opts.tls ? { ...opts.tls, servername: opts.tls.servername ?? tlsName ?? host } : undefined });
}

async function tryTargets(targets: readonly HostPort[], dial: (h: string, p: number) => Promise<Conn>): Promise<LocateOutcome> {
  let last = "no targets";
  for (const t of targets) {
    try {
      return { kind: "connected", conn: await dial(t.host, t.port), target: t };
    } catch (e) {
      last = e instanceof ConnectError ? `${t.host}:${t.port} ${e.code}` : (e as Error).message;
    }
  }
  return { kind: "failed", status: "noserver", permanent: false, reason: `no target reachable (last: ${last})` };
}

/** §11.1 for domain D and service (use `tls` for the `_<svc>s` TLS endpoint). */
export async function locate(domain: readonly string[] | string, service: ServiceName, tls: boolean, opts: LocateOptions = {}): Promise<LocateOutcome> {
  const d = (typeof domain === "string" ? domain : domain.join(".")).toLowerCase().replace(/\.$/, "");
  const routed = (opts.routes ?? noRoutes).lookup(service, d, tls);
  // C-8: the certificate must name D (or the SRV target); routes name D.
  if (routed !== undefined) return tryTargets(routed, connector(opts, d));
  const resolver = opts.resolver ?? systemResolver;
  const random = opts.random ?? Math.random;
  const label = `_${service}${tls ? "s" : ""}`;
  const answer = await resolver.resolveSrv(`${label}._tcp.${d}`);
  if (answer.kind === "failure") return { kind: "failed", status: "noservice", permanent: false, reason: `SRV lookup failed: ${answer.reason}` };
  if (answer.kind === "nxdomain") return { kind: "failed", status: "baddomain", permanent: true, reason: `${d} does not exist` };
  if (answer.kind === "nodata") return { kind: "failed", status: "noservice", permanent: false, reason: `no ${label} SRV records for ${d}` };
  const rrs = answer.records;
  if (rrs.length === 1 && (rrs[0]!.target === "." || rrs[0]!.target === "")) {
    return { kind: "failed", status: "baddomain", permanent: true, reason: `${label} is decidedly not available at ${d}` };
  }
  let last = "no usable target";
  for (const rr of srvOrder(rrs, random)) {
    const target = rr.target.replace(/\.$/, "");
    if (target === "") continue;
    const addrs = await resolver.resolveAddresses(target);
    if (addrs.kind !== "answer") {
      last = `${target} has no addresses`;
      continue;
    }
    const dial = connector(opts, target);
    const r = await tryTargets(
      addrs.records.map((a) => ({ host: a, port: rr.port })),
      dial,
    );
    if (r.kind === "connected") return r;
    last = r.reason;
  }
  return { kind: "failed", status: "noserver", permanent: false, reason: `every SRV target unreachable (${last})` };
}

/** Renders an IPAddress value as text. */
export function ipToString(a: { kind: "version4" | "version6"; value: Uint8Array }): string {
  if (a.kind === "version4") return Array.from(a.value).join(".");
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((a.value[i]! << 8) | a.value[i + 1]!);
  // RFC 5952: the longest run of two or more zero words becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** Parses an IPv4 or IPv6 literal into an IPAddress value (undefined if it is neither). */
export function ipFromString(s: string): { kind: "version4"; value: Uint8Array } | { kind: "version6"; value: Uint8Array } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    return { kind: "version4", value: Uint8Array.from(b) };
  }
  if (!s.includes(":")) return undefined;
  let text = s;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v = ipFromString(dotted[2]!);
    if (v === undefined) return undefined;
    const w = (i: number) => ((v.value[i]! << 8) | v.value[i + 1]!).toString(16);
    text = `${dotted[1]}${w(0)}:${w(2)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === "" ? [] : h.split(":").map((x) => (/^[0-9a-f]{1,4}$/i.test(x) ? parseInt(x, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const words = [...head, ...new Array(halves.length === 2 ? fill : 0).fill(0), ...rest];
  if (words.length !== 8 || words.some((w) => Number.isNaN(w))) return undefined;
  const value = new Uint8Array(16);
  words.forEach((w, i) => {
    value[2 * i] = w >> 8;
    value[2 * i + 1] = w & 0xff;
  });
  return { kind: "version6", value };
}

/**
 * Connects to a store or RNA named by a ServiceLocation (§11.2): literals in order, or the
 * domain through §11.1.
 */
export async function connectServiceLocation(loc: ServiceLocation, service: ServiceName, tls: boolean, opts: LocateOptions = {}): Promise<LocateOutcome> {
  if (loc.kind === "domain") return locate(loc.value, service, tls, opts);
  const targets = loc.value.map((l) => ({ host: ipToString(l.address), port: l.port }));
  return tryTargets(targets, connector(opts, undefined));
}
