// LineServer.listenAll: the order in which a service's ports come up, and no half-started service.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LineServer } from "../../src/line/server.ts";
import { listen, type TlsServerOptions } from "../../src/runtime/net.ts";
import { testCertificate } from "../helpers/tls.ts";

function server(): LineServer {
  return new LineServer({
    name: "test",
    maxSessions: 10,
    maxSessionsPerIp: 10,
    limits: { maxLineLength: 100, idleTimeoutMs: 1000, sessionTimeoutMs: 1000 },
    session: async (lc) => lc.close(),
    refuse: async (lc) => lc.close(),
  });
}

describe("LineServer.listenAll", () => {
  it("binds the implicit-TLS port before the plain one (a plain port accepting means all are up); lists plain first", async () => {
    const cert = await testCertificate();
    const s = server();
    const order: boolean[] = [];
    const listenOne = s.listen.bind(s);
    s.listen = (host: string, port: number, tls?: TlsServerOptions) => {
      order.push(tls !== undefined);
      return listenOne(host, port, tls);
    };
    const ports = await s.listenAll([{ host: "127.0.0.1", port: 0 }], [{ host: "127.0.0.1", port: 0 }], { cert: cert.cert, key: cert.key });
    try {
      assert.deepEqual(order, [true, false]);
      assert.deepEqual(ports.map((p) => p.tls), [false, true]);
      assert.ok(ports.every((p) => p.port > 0));
    } finally {
      await s.shutdown(0);
    }
  });

  it("a port that cannot be bound closes the ones already bound and throws", async () => {
    const taken = await listen({ host: "127.0.0.1", port: 0 }, (c) => c.destroy());
    const s = server();
    let first = 0;
    const listenOne = s.listen.bind(s);
    s.listen = async (host: string, port: number, tls?: TlsServerOptions) => {
      const l = await listenOne(host, port, tls);
      first ||= l.port;
      return l;
    };
    try {
      await assert.rejects(s.listenAll([{ host: "127.0.0.1", port: 0 }, { host: "127.0.0.1", port: taken.port }], [], undefined));
      const probe = await listen({ host: "127.0.0.1", port: first }, (c) => c.destroy());
      await probe.close(); // the first port was released again
    } finally {
      await taken.close();
    }
  });
});
