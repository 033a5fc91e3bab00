// Turning a scripted Reply into what a fake peer puts on the wire, faults included. Shared by the
// fake message store (MSOAP, MSRAP) and the fake RNA (RNAQP).
//
// Faults need the raw connection: the handler writes (or withholds) octets itself and then makes
// sure the server loop has nothing left to send, by waiting until the connection is gone.

import type { Alternative, Command, Protocol, Response } from "../../src/im2000/protocol.ts";
import type { ServerSession } from "../../src/im2000/server.ts";
import { describeResponse } from "./describe.ts";
import type { Fault, Reply } from "./script.ts";
import type { PeerConnection } from "./router.ts";

/** The error answer of im2000 §18 C-1 unless the script says otherwise. */
export function buildResponse<R extends Alternative>(p: Protocol<Alternative, R>, reply: Reply, own: () => R): Response<R> {
  const statusName = reply.status ?? "noerror";
  const status = (p.status as Record<string, number>)[statusName];
  if (status === undefined) throw new Error(`${p.name} has no status named ${statusName}`);
  const isError = status !== p.status.noerror;
  const forceabort = reply.forceabort ?? isError;
  const body = reply.body ?? (isError ? "null" : "own");
  return { forceabort, status, responsedata: body === "null" ? ({ kind: "responseNull", value: {} } as R) : own() };
}

/** True when the reply's fault keeps the answer from arriving (a delay still delivers it). */
export function breaks(reply: Reply): boolean {
  return reply.fault !== undefined && reply.fault.kind !== "delay";
}

/** Octets of a frame that is not a valid PDU: a response tag around a truncated BOOLEAN. */
const MALFORMED = new Uint8Array([0x00, 0x00, 0x00, 0x05, 0xa2, 0x03, 0x80, 0x02, 0x00]);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Carries out a fault. Returns the response to send afterwards (delay), or undefined when the
 * connection has been dealt with and nothing more must be sent.
 */
export async function runFault<R extends Alternative>(
  p: Protocol<Alternative, R>,
  session: ServerSession,
  conn: PeerConnection,
  fault: Fault,
  rsp: Response<R>,
  holdMs: number,
  cmd: Command<Alternative>,
): Promise<Response<R> | undefined> {
  const c = session.conn;
  switch (fault.kind) {
    case "delay":
      conn.event(`fault: answer delayed by ${fault.ms} ms`);
      await Promise.race([sleep(fault.ms), c.closed]);
      return rsp;
    case "close":
      conn.event("fault: connection closed without an answer");
      c.destroy();
      return undefined;
    case "close-mid-pdu": {
      const bytes = p.encodeResponse(rsp);
      const half = bytes.subarray(0, Math.max(1, Math.floor(bytes.byteLength / 2)));
      conn.event(`fault: ${half.byteLength} of ${bytes.byteLength} octets of ${describeResponse(p as never, rsp as never)} sent, then connection closed`);
      await c.write(half).catch(() => {});
      c.destroy();
      return undefined;
    }
    case "malformed":
    case "not-a-response": {
      const bytes = fault.kind === "malformed" ? MALFORMED : p.encodeCommand(cmd);
      conn.event(fault.kind === "malformed" ? "fault: malformed PDU sent" : "fault: a Command PDU sent instead of a Response");
      await c.write(bytes).catch(() => {});
      // im2000 §7 C-1: the client must end the session. Wait for it (bounded), then end it ourselves.
      const closedInTime = await Promise.race([c.closed.then(() => true), sleep(holdMs).then(() => false)]);
      if (!closedInTime) conn.event(`the shim kept the connection open ${holdMs} ms after the bad PDU`);
      conn.binding?.faults?.push({ conn: conn.id, kind: fault.kind, shimClosed: closedInTime });
      c.destroy();
      return undefined;
    }
  }
}
