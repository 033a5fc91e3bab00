// Service location (im2000 §11, §18 C-7): SRV ordering by priority, RFC 2782 weighted choice,
// fallback across targets and addresses, and every outcome of §11.1.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ipFromString, ipToString, locate, parseHostPort, srvOrder, staticRoutes, weightedOrder } from "../../src/im2000/locate.ts";
import type { DnsAnswer, Resolver, SrvRecord } from "../../src/runtime/dns.ts";
import type { Conn } from "../../src/runtime/net.ts";
import { ConnectError } from "../../src/runtime/net.ts";

/** A deterministic PRNG so the statistical test is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resolver(srv: Record<string, DnsAnswer<SrvRecord>>, addrs: Record<string, DnsAnswer<string>>): Resolver {
  return {
    resolveSrv: async (n) => srv[n] ?? { kind: "nxdomain" },
    resolveAddresses: async (h) => addrs[h] ?? { kind: "nxdomain" },
  };
}

const fakeConn = {} as Conn;

function dialer(reachable: Set<string>, attempts: string[]) {
  return async (host: string, port: number): Promise<Conn> => {
    attempts.push(`${host}:${port}`);
    if (reachable.has(`${host}:${port}`)) return fakeConn;
    throw new ConnectError("refused", "ECONNREFUSED");
  };
}

const rr = (priority: number, weight: number, target: string, port = 3181): SrvRecord => ({ priority, weight, port, target });

describe("SRV ordering (§11.1 step 3.3)", () => {
  it("priority groups are tried in ascending order", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ priority: fc.nat(5), weight: fc.nat(10) }), { minLength: 1, maxLength: 8 }), fc.integer(), (rs, seed) => {
        const records = rs.map((r, i) => rr(r.priority, r.weight, `t${i}`));
        const order = srvOrder(records, mulberry32(seed));
        assert.equal(order.length, records.length);
        for (let i = 1; i < order.length; i++) assert.ok(order[i - 1]!.priority <= order[i]!.priority);
        assert.deepEqual(new Set(order), new Set(records));
      }),
    );
  });
  it("weighted choice follows the weights (fixed seed, 20000 draws)", () => {
    const group = [rr(0, 10, "a"), rr(0, 30, "b"), rr(0, 60, "c")];
    const rnd = mulberry32(42);
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const N = 20000;
    for (let i = 0; i < N; i++) firsts[weightedOrder(group, rnd)[0]!.target]!++;
    // RFC 2782 running sums over 0..100: expected shares 11/101, 30/101, 60/101.
    assert.ok(Math.abs(firsts.a! / N - 11 / 101) < 0.015, `a ${firsts.a}`);
    assert.ok(Math.abs(firsts.b! / N - 30 / 101) < 0.015, `b ${firsts.b}`);
    assert.ok(Math.abs(firsts.c! / N - 60 / 101) < 0.015, `c ${firsts.c}`);
  });
  it("zero-weight records keep a small chance", () => {
    const group = [rr(0, 0, "zero"), rr(0, 100, "big")];
    const rnd = mulberry32(7);
    let zeroFirst = 0;
    for (let i = 0; i < 10000; i++) if (weightedOrder(group, rnd)[0]!.target === "zero") zeroFirst++;
    assert.ok(zeroFirst > 30 && zeroFirst < 300, `zero first ${zeroFirst} times`);
  });
});

describe("locate outcomes (§11.1)", () => {
  it("NXDOMAIN is permanent (baddomain)", async () => {
    const r = await locate("gone.example", "rnasp", false, { resolver: resolver({}, {}) });
    assert.deepEqual([r.kind, r.kind === "failed" && r.status, r.kind === "failed" && r.permanent], ["failed", "baddomain", true]);
  });
  it("NODATA is temporary (noservice)", async () => {
    const r = await locate("x.example", "rnasp", false, { resolver: resolver({ "_rnasp._tcp.x.example": { kind: "nodata" } }, {}) });
    assert.equal(r.kind === "failed" && r.status, "noservice");
    assert.equal(r.kind === "failed" && r.permanent, false);
  });
  it("no answer (SERVFAIL, timeout) is temporary (noservice)", async () => {
    const r = await locate("x.example", "rnasp", false, { resolver: resolver({ "_rnasp._tcp.x.example": { kind: "failure", reason: "ESERVFAIL" } }, {}) });
    assert.equal(r.kind === "failed" && r.status, "noservice");
  });
  it('a lone target "." is permanent', async () => {
    const r = await locate("x.example", "rnasp", false, { resolver: resolver({ "_rnasp._tcp.x.example": { kind: "answer", records: [rr(0, 0, ".")] } }, {}) });
    assert.equal(r.kind === "failed" && r.status, "baddomain");
  });
  it("falls back across targets and every address, in priority order", async () => {
    const attempts: string[] = [];
    const res = resolver(
      { "_rnasp._tcp.x.example": { kind: "answer", records: [rr(20, 0, "late.example", 4000), rr(10, 0, "noaddr.example"), rr(10, 0, "first.example")] } },
      { "first.example": { kind: "answer", records: ["10.0.0.1", "10.0.0.2"] }, "late.example": { kind: "answer", records: ["10.0.0.9"] } },
    );
    const r = await locate("x.example", "rnasp", false, { resolver: res, connect: dialer(new Set(["10.0.0.9:4000"]), attempts), random: () => 0 });
    assert.equal(r.kind, "connected");
    assert.deepEqual(attempts, ["10.0.0.1:3181", "10.0.0.2:3181", "10.0.0.9:4000"]);
  });
  it("everything unreachable is temporary (noserver)", async () => {
    const res = resolver({ "_msrap._tcp.x.example": { kind: "answer", records: [rr(0, 0, "a.example")] } }, { "a.example": { kind: "answer", records: ["10.0.0.1"] } });
    const r = await locate("x.example", "msrap", false, { resolver: res, connect: dialer(new Set(), []) });
    assert.equal(r.kind === "failed" && r.status, "noserver");
  });
  it("the TLS endpoint uses the _<svc>s label", async () => {
    const asked: string[] = [];
    const res: Resolver = { resolveSrv: async (n) => (asked.push(n), { kind: "nxdomain" }), resolveAddresses: async () => ({ kind: "nxdomain" }) };
    await locate(["Example", "ORG"], "msrap", true, { resolver: res });
    assert.deepEqual(asked, ["_msraps._tcp.example.org"]);
  });
  it("static routes win over DNS", async () => {
    const attempts: string[] = [];
    const routes = staticRoutes({ "example.org": { rnasp: "127.0.0.1:3181" } });
    const res: Resolver = { resolveSrv: async () => assert.fail("DNS must not be asked"), resolveAddresses: async () => assert.fail("DNS must not be asked") };
    const r = await locate("EXAMPLE.org.", "rnasp", false, { resolver: res, routes, connect: dialer(new Set(["127.0.0.1:3181"]), attempts) });
    assert.equal(r.kind, "connected");
  });
});

describe("addresses", () => {
  it("parses host:port forms", () => {
    assert.deepEqual(parseHostPort("127.0.0.1:25"), { host: "127.0.0.1", port: 25 });
    assert.deepEqual(parseHostPort("[::1]:110"), { host: "::1", port: 110 });
    assert.deepEqual(parseHostPort("mail.example", 587), { host: "mail.example", port: 587 });
    assert.throws(() => parseHostPort("x:0"));
    assert.throws(() => parseHostPort("x:70000"));
  });
  it("IP literals round-trip", () => {
    for (const s of ["127.0.0.1", "::1", "2001:db8::1", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8"]) assert.equal(ipToString(ipFromString(s)!), s);
    assert.deepEqual([...ipFromString("::ffff:1.2.3.4")!.value.slice(12)], [1, 2, 3, 4]);
    assert.equal(ipFromString("1.2.3.256"), undefined);
    assert.equal(ipFromString("1::2::3"), undefined);
    assert.equal(ipFromString("example.org"), undefined);
  });
});
