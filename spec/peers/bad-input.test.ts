// Bad input at every service (im2000 §7, §18 C-14): each gets the prescribed response and the
// service keeps serving others.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type Conn } from "../../src/runtime/net.ts";
import { makeTempDir, removeTree } from "../../src/runtime/fs.ts";
import { FrameReader } from "../../src/im2000/framing.ts";
import { MSOAP } from "../../src/im2000/msoap.ts";
import { MSRAP } from "../../src/im2000/msrap.ts";
import { RNASP } from "../../src/im2000/rnasp.ts";
import { RNAQP } from "../../src/im2000/rnaqp.ts";
import { MsoapClient } from "../../src/im2000/msoap-client.ts";
import { MsrapClient, isNoSuchMessage } from "../../src/im2000/msrap-client.ts";
import { RnaqpClient } from "../../src/im2000/rnaqp-client.ts";
import { Im2000StatusError } from "../../src/im2000/errors.ts";
import type { Protocol } from "../../src/im2000/protocol.ts";
import { startPeers, type PeersHandle } from "../../src/peers/peers.ts";
import { hex, toHex } from "../helpers/hex.ts";
import { PASSWORDS, testConfig } from "./helpers.ts";

const S1 = "00 00 00 0C A2 0A 80 01 FF 81 01 01 A2 02 A0 00";

/** Reads one framed response (or null at EOF). */
async function readFrame(c: Conn, frames = new FrameReader(1 << 20)): Promise<Uint8Array | null> {
  for (;;) {
    const f = frames.next();
    if (f !== undefined) {
      const out = new Uint8Array(4 + f.byteLength);
      new DataView(out.buffer).setUint32(0, f.byteLength);
      out.set(f, 4);
      return out;
    }
    const chunk = await c.read(5000);
    if (chunk === null) return null;
    frames.push(chunk);
  }
}

describe("bad input at every service", () => {
  let dir: string;
  let peers: PeersHandle;
  const ports: Record<string, number> = {};
  before(async () => {
    dir = await makeTempDir("im2000-bad-");
    peers = await startPeers(await testConfig({ store: { maxSessions: 6 }, rna: { rnaspMaxSessions: 2 } }), { data: dir });
    for (const [k, v] of Object.entries(peers.addresses)) ports[k] = v!.port;
  });
  after(async () => {
    await peers.close();
    await removeTree(dir);
  });

  const raw = (svc: string) => connect({ host: "127.0.0.1", port: ports[svc]! });
  const services: [string, Protocol<any, any>][] = [
    ["msoap", MSOAP],
    ["msrap", MSRAP],
    ["rnasp", RNASP],
    ["rnaqp", RNAQP],
  ];

  for (const [svc, proto] of services) {
    it(`${svc} S-1 malformed PDU gets errormalformedpdu and the session goes on`, async () => {
      const c = await raw(svc);
      const frames = new FrameReader(1 << 20);
      await c.write(hex("00 00 00 03 A1 01 00")); // truncated inner TLV
      assert.equal(toHex((await readFrame(c, frames))!), toHex(hex(S1)));
      await c.write(hex("00 00 00 02 30 00")); // not a command at all (S-2)
      assert.equal(toHex((await readFrame(c, frames))!), toHex(hex(S1)));
      // A response PDU sent to a server (S-2).
      await c.write(proto.encodeResponse(proto.nullResponse(0, false)));
      assert.equal(toHex((await readFrame(c, frames))!), toHex(hex(S1)));
      // Still serving: a valid command gets a real answer (any status but errormalformedpdu).
      const valid = svc === "msrap" ? MSRAP.encodeCommand({ commanddata: { kind: "commandSilence", value: { identifier: new Uint8Array(16) } } }) : svc === "rnasp" ? RNASP.encodeCommand({ commanddata: { kind: "commandNotify", value: { notifications: [] } } }) : proto.encodeCommand({ commanddata: { kind: "commandAuthenticate", value: { account: "x", password: "y" } } });
      await c.write(valid);
      const rsp = proto.decodePdu((await readFrame(c, frames))!.subarray(4));
      assert.equal(rsp.kind, "response");
      assert.notEqual((rsp.value as { status: number }).status, proto.status.errormalformedpdu);
      c.destroy();
    });

    it(`${svc} a huge declared length gets errormalformedpdu, then the session is closed`, async () => {
      const c = await raw(svc);
      await c.write(hex("7F FF FF FF A1"));
      assert.equal(toHex((await readFrame(c))!), toHex(hex(S1)));
      assert.equal(await readFrame(c), null);
    });

    it(`${svc} S-4 an idle session gets errorcommandtimeout and is closed`, async () => {
      const c = await raw(svc);
      const f = (await readFrame(c))!;
      const rsp = proto.decodePdu(f.subarray(4));
      assert.equal((rsp.value as { status: number; forceabort: boolean }).status, proto.status.errorcommandtimeout);
      assert.equal((rsp.value as { forceabort: boolean }).forceabort, true);
      assert.equal(await readFrame(c), null);
    });
  }

  it("MSOAP S-3 chunk without an envelope and a wrong offset get errorunexpectedcommand + abort", async () => {
    const c = MsoapClient.over(await raw("msoap"));
    await c.authenticate("alice", PASSWORDS.alice);
    let rsp = await c.session.request({ commanddata: { kind: "commandSubmitMsgChunk", value: { islast: true, offset: 0, data: new Uint8Array(1) } } });
    assert.deepEqual([rsp.status, rsp.forceabort, rsp.responsedata.kind], [MSOAP.status.errorunexpectedcommand, true, "responseNull"]);
    const env = await c.beginSubmission({ recipients: [{ localpart: "lucy", domain: ["example", "org"] }], lifetime: 3600 });
    assert.equal(env.statusName, "noerror");
    rsp = await c.session.request({ commanddata: { kind: "commandSubmitMsgChunk", value: { islast: true, offset: 5, data: new Uint8Array(1) } } });
    assert.deepEqual([rsp.status, rsp.forceabort], [MSOAP.status.errorunexpectedcommand, true]);
    c.endTransaction();
    // lifetime below the minimum → errorlifetimetooshort; no recipients and no lists → errornotpermitted.
    rsp = await c.session.request({ commanddata: { kind: "commandSubmitEnvelope", value: { recipients: [{ localpart: "lucy", domain: ["example", "org"] }], lifetime: 1 } } });
    assert.deepEqual([rsp.status, rsp.forceabort], [MSOAP.status.errorlifetimetooshort, true]);
    rsp = await c.session.request({ commanddata: { kind: "commandSubmitEnvelope", value: { lifetime: 3600 } } });
    assert.deepEqual([rsp.status, rsp.forceabort], [MSOAP.status.errornotpermitted, true]);
    await c.close();
  });

  it("MSOAP unauthenticated envelope, track and cancel get errornotauthenticated", async () => {
    const c = MsoapClient.over(await raw("msoap"));
    const out = await c.beginSubmission({ recipients: [{ localpart: "lucy", domain: ["example", "org"] }], lifetime: 3600 });
    assert.deepEqual([out.statusName, out.forceabort], ["errornotauthenticated", true]);
    await assert.rejects(c.track(new Uint8Array(16)), (e) => e instanceof Im2000StatusError && e.statusName === "errornotauthenticated");
    await c.close();
  });

  it("MSOAP abandoned submission (unclean close) leaves nothing behind", async () => {
    const c = MsoapClient.over(await raw("msoap"));
    await c.authenticate("alice", PASSWORDS.alice);
    const env = await c.beginSubmission({ lists: [new TextEncoder().encode("announce")], lifetime: 3600 });
    await env.submission!.write(new Uint8Array(200_000).fill(65));
    env.submission!.abandon();
    const r = await MsrapClient.connect({ host: "127.0.0.1", port: ports.msrap! });
    const s = await r.scanList("announce", 0);
    for (const id of s.messages) assert.notEqual(await r.size(id), 200_000);
    await r.close();
  });

  it("SEC-4 wrong passwords in a loop: delayed errornotauthenticated, closed after 5, others still served", async () => {
    for (const svc of ["msoap", "rnaqp"] as const) {
      const proto = svc === "msoap" ? MSOAP : RNAQP;
      const c = await raw(svc);
      const frames = new FrameReader(1 << 20);
      for (let i = 0; i < 5; i++) {
        await c.write(proto.encodeCommand({ commanddata: { kind: "commandAuthenticate", value: { account: "alice", password: `guess${i}` } } }));
        const rsp = proto.decodePdu((await readFrame(c, frames))!.subarray(4)).value as { status: number; forceabort: boolean };
        assert.deepEqual([rsp.status, rsp.forceabort], [proto.status.errornotauthenticated, true]);
      }
      assert.equal(await readFrame(c, frames), null, "closed after the fifth failure");
    }
    const q = await RnaqpClient.connect({ host: "127.0.0.1", port: ports.rnaqp! });
    await q.authenticate("lucy", PASSWORDS.lucy);
    assert.deepEqual(await q.retrieveAndClear(), []);
    await q.close();
  });

  it("RNAQP RetrieveAndClear before authentication gets errornotauthenticated", async () => {
    const q = RnaqpClient.over(await raw("rnaqp"));
    await assert.rejects(q.retrieveAndClear(), (e) => e instanceof Im2000StatusError && e.statusName === "errornotauthenticated" && e.forceabort);
    await q.close();
  });

  it("C-14 more connections than the cap are accepted and closed without a PDU; the others go on", async () => {
    const held = [await raw("rnasp"), await raw("rnasp")];
    // Make sure both are registered as sessions before the excess one arrives.
    for (const h of held) await h.write(RNASP.encodeCommand({ commanddata: { kind: "commandNotify", value: { notifications: [] } } }));
    for (const h of held) assert.ok(await readFrame(h));
    const extra = await raw("rnasp");
    assert.equal(await readFrame(extra), null);
    await held[0]!.write(RNASP.encodeCommand({ commanddata: { kind: "commandNotify", value: { notifications: [] } } }));
    const rsp = RNASP.decodePdu((await readFrame(held[0]!))!.subarray(4)).value as { status: number };
    assert.equal(rsp.status, 0);
    for (const h of held) h.destroy();
  });

  it("a slow-drip client does not hold up other sessions; errornosuchmessage stays non-fatal under rate limiting", async () => {
    const drip = await raw("msrap");
    const cmd = MSRAP.encodeCommand({ commanddata: { kind: "commandSilence", value: { identifier: new Uint8Array(16) } } });
    await drip.write(cmd.subarray(0, 3));
    const r = await MsrapClient.connect({ host: "127.0.0.1", port: ports.msrap! });
    // 25 misses: past the C-14 threshold each waits, but the status and session are unchanged.
    for (let i = 0; i < 25; i++) await assert.rejects(r.silence(new Uint8Array(16).fill(i)), (e) => isNoSuchMessage(e) && !(e as Im2000StatusError).forceabort);
    assert.ok(r.usable);
    await drip.write(cmd.subarray(3));
    const rsp = MSRAP.decodePdu((await readFrame(drip))!.subarray(4)).value as { status: number };
    assert.equal(rsp.status, MSRAP.status.errornosuchmessage);
    drip.destroy();
    await r.close();
  });
});
