// A raw IM2000 peer for tests: sends arbitrary octets or frames and reads whole frames back, so a
// test can observe exactly what a server or client puts on the wire.

import { connect, listen, type Conn, type Listener } from "../../src/runtime/net.ts";
import { FrameReader } from "../../src/im2000/framing.ts";

export class RawPeer {
  readonly conn: Conn;
  readonly frames = new FrameReader(64 * 1024 * 1024);
  constructor(conn: Conn) {
    this.conn = conn;
  }
  static async connect(port: number, host = "127.0.0.1"): Promise<RawPeer> {
    return new RawPeer(await connect({ host, port, timeoutMs: 5000 }));
  }
  send(bytes: Uint8Array): Promise<void> {
    return this.conn.write(bytes);
  }
  /** The next whole frame, or null if the connection closed first. */
  async readFrame(timeoutMs = 5000): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.next();
      if (f !== undefined) return f;
      const chunk = await this.conn.read(Math.max(1, deadline - Date.now()));
      if (chunk === null) return null;
      this.frames.push(chunk);
    }
  }
  /** Resolves true when the peer closed the connection within timeoutMs. */
  async closedWithin(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const chunk = await this.conn.read(Math.max(1, deadline - Date.now()));
        if (chunk === null) return true;
      }
    } catch {
      return false;
    }
  }
  close(): void {
    this.conn.destroy();
  }
}

/** A raw server: hands each accepted connection to the test; close() also drops those connections. */
export async function rawServer(onPeer: (p: RawPeer) => void | Promise<void>): Promise<Listener> {
  const peers = new Set<RawPeer>();
  const l = await listen({ host: "127.0.0.1", port: 0 }, (c) => {
    const p = new RawPeer(c);
    peers.add(p);
    void onPeer(p);
  });
  return {
    address: l.address,
    port: l.port,
    async close() {
      await l.close();
      for (const p of peers) p.close();
    },
  };
}
