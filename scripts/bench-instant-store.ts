// An MSOAP message store that acknowledges everything at once and keeps nothing: the peer the
// SMTP benchmark puts behind the submission shim to measure the shim's own protocol overhead
// (SMTP in, MSOAP out) without any storage cost. It checks the transaction's shape (envelope,
// then chunks at the right offsets) the way a real store would, so a shim that skipped a step
// would fail here rather than look fast. The same idea as spec/helpers/fake-store.ts, without
// recording anything (a benchmark must not grow with the number of messages).

import { Im2000Server, type ServerSession } from "../src/im2000/server.ts";
import { MSOAP, MsoapStatus, type MsoapCommandData, type MsoapResponse, type MsoapResponseData } from "../src/im2000/msoap.ts";

const ok = (responsedata: MsoapResponseData): MsoapResponse => ({ forceabort: false, status: MsoapStatus.noerror, responsedata });

export async function startInstantStore(host = "127.0.0.1", maxSessions = 5000): Promise<{ port: number; close(): Promise<void> }> {
  let next = 0;
  const handle = (s: ServerSession, d: MsoapCommandData): MsoapResponse => {
    switch (d.kind) {
      case "commandAuthenticate":
        s.setAuthenticated(d.value.account);
        return ok({ kind: "responseAuthenticate", value: {} });
      case "commandSubmitEnvelope": {
        if (s.inTransaction) return MSOAP.nullResponse(MsoapStatus.errorunexpectedcommand);
        s.inTransaction = true;
        s.data.offset = 0;
        const recipients = (d.value.recipients ?? []).map(() => 0);
        const lists = (d.value.lists ?? []).map(() => 0);
        return ok({ kind: "responseSubmitEnvelope", value: { ...(recipients.length ? { recipients } : {}), ...(lists.length ? { lists } : {}) } });
      }
      case "commandSubmitMsgChunk": {
        if (!s.inTransaction || d.value.offset !== s.data.offset) {
          s.inTransaction = false;
          return MSOAP.nullResponse(MsoapStatus.errorunexpectedcommand);
        }
        s.data.offset = (s.data.offset as number) + d.value.data.byteLength;
        if (!d.value.islast) return ok({ kind: "responseSubmitMsgChunk", value: {} });
        s.inTransaction = false;
        const identifier = new Uint8Array(16);
        new DataView(identifier.buffer).setUint32(12, ++next);
        return ok({ kind: "responseSubmitMsgChunk", value: { identifier } });
      }
      default:
        return MSOAP.nullResponse(MsoapStatus.errornotpermitted);
    }
  };
  const server = new Im2000Server(MSOAP, { handle: (s, c) => handle(s, c.commanddata), abort: (s) => void (s.inTransaction = false) }, { maxSessions, idleTimeoutMs: 3_600_000 });
  const l = await server.listen(host, 0);
  return { port: l.port, close: () => server.shutdown(500) };
}
