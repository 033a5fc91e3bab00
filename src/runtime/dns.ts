// DNS lookups for the SRV location algorithm (im2000 §11). The algorithm itself lives in
// src/im2000/locate.ts and takes a resolver of this shape, so tests inject their own.

// Loaded on first use: a store configured as host:port never needs DNS, and the module costs a
// short-lived command (sendmail, started once per message) several milliseconds at start-up.
type DnsPromises = typeof import("node:dns/promises");
let loaded: Promise<DnsPromises> | undefined;
const dnsModule = (): Promise<DnsPromises> => (loaded ??= import("node:dns/promises").then((m) => (m as { default?: DnsPromises }).default ?? m));

export interface SrvRecord {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

/** What a query produced, in the terms im2000 §11.1 distinguishes. */
export type DnsAnswer<T> =
  | { readonly kind: "answer"; readonly records: readonly T[] }
  | { readonly kind: "nxdomain" }
  | { readonly kind: "nodata" }
  | { readonly kind: "failure"; readonly reason: string };

export interface Resolver {
  resolveSrv(name: string): Promise<DnsAnswer<SrvRecord>>;
  /** A and AAAA addresses of a host, A first. */
  resolveAddresses(host: string): Promise<DnsAnswer<string>>;
}

function classify(e: unknown): DnsAnswer<never> {
  const code = (e as { code?: string }).code;
  if (code === "ENOTFOUND") return { kind: "nxdomain" };
  if (code === "ENODATA") return { kind: "nodata" };
  return { kind: "failure", reason: code ?? String(e) };
}

export const systemResolver: Resolver = {
  async resolveSrv(name) {
    const dns = await dnsModule();
    try {
      const rs = await dns.resolveSrv(name);
      return rs.length === 0 ? { kind: "nodata" } : { kind: "answer", records: rs.map((r) => ({ priority: r.priority, weight: r.weight, port: r.port, target: r.name })) };
    } catch (e) {
      return classify(e);
    }
  },
  async resolveAddresses(host) {
    const dns = await dnsModule();
    const out: string[] = [];
    let last: DnsAnswer<never> = { kind: "nodata" };
    for (const fn of [dns.resolve4, dns.resolve6]) {
      try {
        out.push(...(await fn(host)));
      } catch (e) {
        last = classify(e);
      }
    }
    return out.length > 0 ? { kind: "answer", records: out } : last;
  },
};
