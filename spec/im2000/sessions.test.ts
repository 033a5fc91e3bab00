// Sessions over real loopback sockets, each rule of im2000 §7 observed from the other side:
// the server rules S-1…S-6 (and the session cap, §18 C-14) seen by a raw client, and the client
// rules C-1…C-3 (and §18 C-6) seen against a raw server.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Im2000Server, type Handler } from "../../src/im2000/server.ts";
import { MSOAP, type MsoapCommandData, type MsoapResponseData } from "../../src/im2000/msoap.ts";
import { RNAQP } from "../../src/im2000/rnaqp.ts";
import { RnaqpClient } from "../../src/im2000/rnaqp-client.ts";
import { MsoapClient } from "../../src/im2000/msoap-client.ts";
import { Im2000ProtocolError, Im2000StatusError, Im2000TransportError } from "../../src/im2000/errors.ts";
import { frame } from "../../src/im2000/framing.ts";
import { hex, toHex } from "../helpers/hex.ts";
import { RawPeer, rawServer } from "../helpers/raw-peer.ts";
import { waitFor } from "../helpers/wait.ts";

const S1_REPLY = "A2 0A 80 01 FF 81 01 01 A2 02 A0 00";

/** A small MSOAP handler: authentication, and a submission transaction to exercise S-3. */
function msoapHandler(events: string[]): Handler<MsoapCommandData, MsoapResponseData> {
  return {
    async handle(s, cmd) {
      const d = cmd.commanddata;
      events.push(d.kind);
      switch (d.kind) {
        case "commandAuthenticate":
          s.setAuthenticated(d.value.password === "right" ? d.value.account : undefined);
          return s.authenticated
            ? { forceabort: false, status: 0, responsedata: { kind: "responseAuthenticate", value: {} } }
            : MSOAP.nullResponse(MSOAP.status.errornotauthenticated);
        case "commandSubmitEnvelope":
          s.inTransaction = true;
          return { forceabort: false, status: 0, responsedata: { kind: "responseSubmitEnvelope", value: { recipients: (d.value.recipients ?? []).map(() => 0) } } };
        case "commandSubmitMsgChunk":
          if (!s.inTransaction) return MSOAP.nullResponse(MSOAP.status.errorunexpectedcommand); // S-3
          if (d.value.islast) s.inTransaction = false;
          return { forceabort: false, status: 0, responsedata: { kind: "responseSubmitMsgChunk", value: d.value.islast ? { identifier: new Uint8Array(16).fill(9) } : {} } };
        case "commandTrack":
          throw new Error("boom"); // S-6
        default:
          return MSOAP.nullResponse(MSOAP.status.errornotpermitted);
      }
    },
    abort(s) {
      events.push("abort");
      s.inTransaction = false;
    },
  };
}

const servers: Im2000Server<any, any>[] = [];
after(async () => {
  for (const s of servers) await s.shutdown(500);
});

async function start(opts: { maxSessions?: number; idleTimeoutMs?: number; maxPdu?: number } = {}) {
  const events: string[] = [];
  const srv = new Im2000Server(MSOAP, msoapHandler(events), { maxSessions: opts.maxSessions ?? 5, testMode: true, idleTimeoutMs: opts.idleTimeoutMs ?? 60_000, maxPdu: opts.maxPdu });
  servers.push(srv);
  const l = await srv.listen("127.0.0.1", 0);
  return { srv, port: l.port, events };
}

const envelopeCmd = () => MSOAP.encodeCommand({ commanddata: { kind: "commandSubmitEnvelope", value: { recipients: [{ localpart: "a", domain: ["b"] }], lifetime: 100 } } });
const chunkCmd = (islast: boolean) => MSOAP.encodeCommand({ commanddata: { kind: "commandSubmitMsgChunk", value: { islast, offset: 0, data: new Uint8Array(3) } } });

describe("server rules (im2000 §7)", () => {
  it("S-1 a malformed PDU gets errormalformedpdu with forceabort, aborts the transaction, and the session goes on", async () => {
    const { port, events } = await start();
    const p = await RawPeer.connect(port);
    await p.send(envelopeCmd());
    await p.readFrame();
    await p.send(frame(hex("A1 03 A0 01 FF"))); // not DER
    assert.equal(toHex((await p.readFrame())!), S1_REPLY);
    assert.ok(events.includes("abort"), "transaction aborted");
    await p.send(chunkCmd(true)); // no envelope any more: S-3
    const r = MSOAP.decodePdu((await p.readFrame())!);
    assert.equal(r.kind === "response" && r.value.status, MSOAP.status.errorunexpectedcommand);
    p.close();
  });
  it("S-1 a zero-length frame is malformed, the stream stays in sync", async () => {
    const { port } = await start();
    const p = await RawPeer.connect(port);
    await p.send(Uint8Array.of(0, 0, 0, 0));
    assert.equal(toHex((await p.readFrame())!), S1_REPLY);
    await p.send(MSOAP.encodeCommand({ commanddata: { kind: "commandAuthenticate", value: { account: "u", password: "right" } } }));
    const r = MSOAP.decodePdu((await p.readFrame())!);
    assert.equal(r.kind === "response" && r.value.status, 0);
    p.close();
  });
  it("S-1 an oversized declared length is answered and the session closed (framing lost)", async () => {
    const { port } = await start({ maxPdu: 1024 });
    const p = await RawPeer.connect(port);
    await p.send(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0xa1));
    assert.equal(toHex((await p.readFrame())!), S1_REPLY);
    assert.equal(await p.closedWithin(), true);
  });
  it("S-2 a response PDU sent to a server is treated as malformed", async () => {
    const { port } = await start();
    const p = await RawPeer.connect(port);
    await p.send(MSOAP.encodeResponse(MSOAP.nullResponse(0, false)));
    assert.equal(toHex((await p.readFrame())!), S1_REPLY);
    p.close();
  });
  it("S-3 a command that does not fit the transaction gets errorunexpectedcommand", async () => {
    const { port } = await start();
    const p = await RawPeer.connect(port);
    await p.send(chunkCmd(false));
    const r = MSOAP.decodePdu((await p.readFrame())!);
    assert.deepEqual(r.kind === "response" && [r.value.status, r.value.forceabort], [MSOAP.status.errorunexpectedcommand, true]);
    p.close();
  });
  it("S-4 idle timeout sends errorcommandtimeout then closes", async () => {
    const { port } = await start({ idleTimeoutMs: 1000 });
    const p = await RawPeer.connect(port);
    const r = MSOAP.decodePdu((await p.readFrame(5000))!);
    assert.deepEqual(r.kind === "response" && [r.value.status, r.value.forceabort], [MSOAP.status.errorcommandtimeout, true]);
    assert.equal(await p.closedWithin(), true);
  });
  it("S-5 shutdown tells idle sessions errorserviceshutdown and closes them", async () => {
    const { srv, port } = await start();
    const p = await RawPeer.connect(port);
    await p.send(MSOAP.encodeCommand({ commanddata: { kind: "commandAuthenticate", value: { account: "u", password: "right" } } }));
    await p.readFrame();
    const done = srv.shutdown(2000);
    const r = MSOAP.decodePdu((await p.readFrame())!);
    assert.deepEqual(r.kind === "response" && [r.value.status, r.value.forceabort], [MSOAP.status.errorserviceshutdown, true]);
    assert.equal(await p.closedWithin(), true);
    await done;
  });
  it("S-6 a handler failure becomes errorinternalproblem with forceabort", async () => {
    const { port } = await start();
    const p = await RawPeer.connect(port);
    await p.send(MSOAP.encodeCommand({ commanddata: { kind: "commandTrack", value: { identifier: new Uint8Array(16) } } }));
    const r = MSOAP.decodePdu((await p.readFrame())!);
    assert.deepEqual(r.kind === "response" && [r.value.status, r.value.forceabort], [MSOAP.status.errorinternalproblem, true]);
    p.close();
  });
  it("an unclean close mid-transaction aborts it (§4 item 8)", async () => {
    const { port, events } = await start();
    const p = await RawPeer.connect(port);
    await p.send(envelopeCmd());
    await p.readFrame();
    p.close();
    await waitFor(() => events.includes("abort"), "the transaction to be aborted");
  });
  it("excess connections are accepted and closed without a PDU (§18 C-14)", async () => {
    const { port } = await start({ maxSessions: 1 });
    const first = await RawPeer.connect(port);
    await first.send(MSOAP.encodeCommand({ commanddata: { kind: "commandAuthenticate", value: { account: "u", password: "right" } } }));
    await first.readFrame(); // the first session is surely registered now
    const second = await RawPeer.connect(port);
    assert.equal(await second.readFrame(), null);
    first.close();
  });
  it("a failed re-authentication demotes the session (§4 item 3)", async () => {
    const { srv, port } = await start();
    const c = await MsoapClient.connect({ host: "127.0.0.1", port });
    await c.authenticate("u", "right");
    await assert.rejects(c.authenticate("u", "wrong"), (e: unknown) => e instanceof Im2000StatusError && e.status === MSOAP.status.errornotauthenticated);
    assert.equal(srv.sessionCount, 1);
    await c.close();
  });
});

describe("client rules (im2000 §7)", () => {
  async function scripted(reply: (p: RawPeer) => Promise<void>) {
    const l = await rawServer(async (p) => {
      await p.readFrame();
      await reply(p);
    });
    return l;
  }
  it("C-1 an unparseable response ends the session", async () => {
    const l = await scripted((p) => p.send(frame(hex("A2 01 00"))));
    const c = await RnaqpClient.connect({ host: "127.0.0.1", port: l.port });
    await assert.rejects(c.authenticate("u", "p"), Im2000ProtocolError);
    assert.equal(c.usable, false);
    await l.close();
  });
  it("C-1 a command PDU from the server ends the session", async () => {
    const l = await scripted((p) => p.send(RNAQP.encodeCommand({ commanddata: { kind: "commandRetrieveAndClear", value: {} } })));
    const c = await RnaqpClient.connect({ host: "127.0.0.1", port: l.port });
    await assert.rejects(c.authenticate("u", "p"), Im2000ProtocolError);
    await l.close();
  });
  it("C-2 a response that does not answer the command ends the session", async () => {
    const l = await scripted((p) => p.send(RNAQP.encodeResponse({ forceabort: false, status: 0, responsedata: { kind: "responseRetrieveAndClear", value: { notifications: [] } } })));
    const c = await RnaqpClient.connect({ host: "127.0.0.1", port: l.port });
    await assert.rejects(c.authenticate("u", "p"), Im2000ProtocolError);
    assert.equal(c.usable, false);
    await l.close();
  });
  it("C-2 forceabort with an error status is an aborted transaction; the session goes on", async () => {
    const l = await rawServer(async (p) => {
      await p.readFrame();
      await p.send(RNAQP.encodeResponse(RNAQP.nullResponse(RNAQP.status.errornotauthenticated)));
      await p.readFrame();
      await p.send(RNAQP.encodeResponse({ forceabort: false, status: 0, responsedata: { kind: "responseAuthenticate", value: {} } }));
    });
    const c = await RnaqpClient.connect({ host: "127.0.0.1", port: l.port });
    await assert.rejects(c.authenticate("u", "bad"), (e: unknown) => e instanceof Im2000StatusError && e.forceabort);
    assert.equal(c.usable, true);
    await c.authenticate("u", "good");
    await c.close();
    await l.close();
  });
  it("C-3 an unknown status number is a generic error, not a malformed PDU", async () => {
    const l = await scripted((p) => p.send(frame(hex("A2 0A 80 01 FF 81 01 63 A2 02 A0 00"))));
    const c = await RnaqpClient.connect({ host: "127.0.0.1", port: l.port });
    await assert.rejects(c.authenticate("u", "p"), (e: unknown) => e instanceof Im2000StatusError && e.status === 99 && e.statusName === "status(99)");
    await l.close();
  });
  it("C-6 errorserviceshutdown with forceabort ends the session", async () => {
    const l = await scripted((p) => p.send(RNAQP.encodeResponse(RNAQP.nullResponse(RNAQP.status.errorserviceshutdown))));
    const c = await RnaqpClient.connect({ host: "127.0.0.1", port: l.port });
    await assert.rejects(c.authenticate("u", "p"), Im2000StatusError);
    assert.equal(c.usable, false);
    await l.close();
  });
  it("response timeout is a transport error", async () => {
    const l = await scripted(async () => {});
    const c = RnaqpClient.over((await RawPeer.connect(l.port)).conn, { responseTimeoutMs: 200 });
    await assert.rejects(c.authenticate("u", "p"), (e: unknown) => e instanceof Im2000TransportError && e.kind === "timeout");
    assert.equal(c.usable, false);
    await l.close();
  });
  it("connection refused is a transport error", async () => {
    const l = await rawServer(() => {});
    const port = l.port;
    await l.close();
    await assert.rejects(RnaqpClient.connect({ host: "127.0.0.1", port, connectTimeoutMs: 2000 }), (e: unknown) => e instanceof Im2000TransportError && e.kind === "connect");
  });
  it("one transaction at a time (§4 item 1)", async () => {
    const l = await scripted(async () => {});
    const c = await RnaqpClient.connect({ host: "127.0.0.1", port: l.port, responseTimeoutMs: 300 });
    const first = c.authenticate("u", "p");
    await assert.rejects(c.retrieveAndClear(), /already outstanding/);
    await assert.rejects(first);
    await l.close();
  });
});
