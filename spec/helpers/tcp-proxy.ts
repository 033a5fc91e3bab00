// A recording TCP proxy for tests: sits between a real client and our server and keeps every
// octet the client sent, so a test can compare what the client put in DATA with what reached the
// store, byte for byte.

import { connect, listen, type Listener } from "../../src/runtime/net.ts";
import { concatBytes, DotDecoder } from "../../src/line/dot.ts";

export interface RecordingProxy {
  readonly port: number;
  /** Everything clients sent, per connection, in order. */
  readonly sent: Uint8Array[][];
  close(): Promise<void>;
}

export async function recordingProxy(targetPort: number): Promise<RecordingProxy> {
  const sent: Uint8Array[][] = [];
  const l: Listener = await listen({ host: "127.0.0.1", port: 0 }, async (client) => {
    const mine: Uint8Array[] = [];
    sent.push(mine);
    const server = await connect({ host: "127.0.0.1", port: targetPort, timeoutMs: 5000 });
    const pump = async (from: typeof client, to: typeof client, record: boolean) => {
      for (;;) {
        const c = await from.read().catch(() => null);
        if (c === null) break;
        if (record) mine.push(Uint8Array.from(c));
        await to.write(c).catch(() => {});
      }
      await to.end(200).catch(() => {});
    };
    await Promise.all([pump(client, server, true), pump(server, client, false)]);
  });
  return { port: l.port, sent, close: () => l.close() };
}

/**
 * The message contents a client sent with DATA on one connection (dot-unstuffed), in order.
 * Relies on the client not pipelining DATA with content (none of the clients tested does).
 */
export function dataPayloads(stream: Uint8Array[]): Uint8Array[] {
  const all = concatBytes(stream);
  const text = new TextDecoder("latin1").decode(all);
  const out: Uint8Array[] = [];
  const re = /(^|\r\n)DATA\r\n/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const start = m.index + m[0].length;
    const d = new DotDecoder();
    const r = d.decode(all.subarray(start));
    if (!r.done) break;
    out.push(concatBytes(r.pieces));
    re.lastIndex = all.byteLength - r.rest.byteLength;
  }
  return out;
}
