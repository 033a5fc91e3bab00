// The fake IM2000 peers, observed from the project's own IM2000 clients: routing by account and
// envelope, scripted answers (statuses, per-recipient verdicts, ResponseNull vs own body), faults
// (malformed PDU, not a response, close, close mid-PDU, delay past the client's timeout,
// connection refused), the store's checks of the client's side, and the per-case wire log.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakePeers } from "../../conformance/peers/fake-peers.ts";
import { CasePeers } from "../../conformance/peers/case-peers.ts";
import { contentOf } from "../../conformance/peers/case-peers.ts";
import { hexOf } from "../../conformance/peers/describe.ts";
import { WireLog } from "../../conformance/wire-log.ts";
import { MsoapClient } from "../../src/im2000/msoap-client.ts";
import { MsrapClient } from "../../src/im2000/msrap-client.ts";
import { RnaqpClient } from "../../src/im2000/rnaqp-client.ts";
import { MSOAP } from "../../src/im2000/msoap.ts";
import { RetrievalType } from "../../src/im2000/msrap.ts";
import { Im2000ProtocolError, Im2000StatusError, Im2000TransportError } from "../../src/im2000/errors.ts";
import { connect } from "../../src/runtime/net.ts";

const HOST = "127.0.0.1";
let peers: FakePeers;
let seq = 0;

function newCase(): { c: CasePeers; account: string; password: string } {
  const c = new CasePeers(`test/case-${++seq}`, new WireLog());
  const account = `acct${seq}`;
  const password = `pw${seq}`;
  c.store.accounts.set(account, password);
  c.rna.accounts.set(account, password);
  peers.router.register(account, c);
  return { c, account, password };
}

const msoap = (responseTimeoutMs?: number) => MsoapClient.connect({ host: HOST, port: peers.store.msoapPort, responseTimeoutMs });
const mailbox = (localpart: string, domain = "example.org") => ({ localpart, domain: domain.split(".") });
const waitUntil = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 5));
  }
};

before(async () => {
  peers = new FakePeers(HOST, { faultHoldMs: 500, gatewayAccount: "gw", gatewayPassword: "gw-secret" });
  await peers.start();
});
after(async () => {
  await peers.stop();
});

describe("FakeStore MSOAP", () => {
  it("routes a session by its account and records both sides in the case's wire log", async () => {
    const { c, account, password } = newCase();
    const client = await msoap();
    await client.authenticate(account, password);
    await client.close();
    assert.equal(c.store.authentications.length, 1);
    assert.deepEqual({ a: c.store.authentications[0]!.account, p: c.store.authentications[0]!.password, ok: c.store.authentications[0]!.ok }, { a: account, p: password, ok: true });
    const pdus = c.log.entries.filter((e) => e.kind === "pdu");
    assert.match(pdus[0]!.text, new RegExp(`^CommandAuthenticate\\{account="${account}"`));
    assert.equal(pdus[0]!.from, "shim");
    assert.match(pdus[1]!.text, /^Response\{noerror, ResponseAuthenticate\}$/);
    assert.equal(pdus[1]!.from, "store");
    assert.match(pdus[0]!.conn, /^msoap#\d+$/);
  });

  it("refuses a wrong password with errornotauthenticated and forceabort (im2000 §18 C-1)", async () => {
    const { c, account } = newCase();
    const client = await msoap();
    await assert.rejects(client.authenticate(account, "nope"), (e: unknown) => e instanceof Im2000StatusError && e.statusName === "errornotauthenticated" && e.forceabort);
    assert.equal(c.store.authentications[0]!.ok, false);
    await client.close();
  });

  it("answers scripted per-recipient verdicts with errornotpermitted and no abort, and records no chunk", async () => {
    const { c, account, password } = newCase();
    c.store.replies.push("envelope", { recipients: ["acceptable", "submissionaccessdenied"] });
    const client = await msoap();
    await client.authenticate(account, password);
    const outcome = await client.beginSubmission({ recipients: [mailbox("a"), mailbox("b")], lifetime: 60 });
    assert.equal(outcome.statusName, "errornotpermitted");
    assert.equal(outcome.forceabort, false);
    assert.deepEqual(outcome.recipients, [0, 1]);
    outcome.submission!.abandon();
    await waitUntil(() => c.store.submissions[0]?.state === "aborted");
    assert.equal(c.store.chunkCount(), 0);
    assert.match(c.store.submissions[0]!.abortReason!, /closed|broke/);
  });

  it("stores a streamed submission with contiguous chunks and hands out the scripted identifier", async () => {
    const { c, account, password } = newCase();
    const id = new Uint8Array(16).fill(0xab);
    c.store.replies.push("chunk", {}, {}, { identifier: id });
    const client = await msoap();
    await client.authenticate(account, password);
    const data = new TextEncoder().encode("x".repeat(2500));
    const r = await client.submit({ recipients: [mailbox("a")], lifetime: 60 }, data, 1000);
    assert.deepEqual(r.identifier, id);
    const sub = c.store.committed()[0]!;
    assert.deepEqual(sub.chunks.map((x) => [x.offset, x.size, x.islast]), [[0, 1000, false], [1000, 1000, false], [2000, 500, true]]);
    assert.deepEqual(contentOf(sub), data);
    assert.equal(c.store.violations.length, 0);
    await client.close();
  });

  it("routes by envelope recipient domain when the account belongs to nobody (list relay gateway)", async () => {
    const c = new CasePeers("test/envelope-route", new WireLog());
    peers.router.register("domain:case-domain.test", c);
    const client = await msoap();
    await client.authenticate("gw", "gw-secret");
    await client.submit({ recipients: [mailbox("x", "case-domain.test")], lifetime: 60 }, new Uint8Array([65]));
    await client.close();
    assert.equal(c.store.committed().length, 1);
    assert.equal(c.store.committed()[0]!.account, "gw");
    // The authentication happened before the case was known; its PDUs were handed over on binding.
    assert.match(c.log.entries.filter((e) => e.kind === "pdu")[0]!.text, /^CommandAuthenticate\{account="gw"/);
  });

  it("answers a scripted error status with ResponseNull and forceabort, or with its own body on request", async () => {
    const { c, account, password } = newCase();
    c.store.replies.push("authenticate", { status: "errorinternalproblem" }, { status: "errorinternalproblem", forceabort: false, body: "own" });
    const client = await msoap();
    const r1 = await client.session.request({ commanddata: { kind: "commandAuthenticate", value: { account, password } } });
    assert.deepEqual([MSOAP.statusName(r1.status), r1.forceabort, r1.responsedata.kind], ["errorinternalproblem", true, "responseNull"]);
    const r2 = await client.session.request({ commanddata: { kind: "commandAuthenticate", value: { account, password } } });
    assert.deepEqual([MSOAP.statusName(r2.status), r2.forceabort, r2.responsedata.kind], ["errorinternalproblem", false, "responseAuthenticate"]);
    await client.close();
  });

  it("records an S-3 breach when a chunk arrives without an envelope", async () => {
    const { c, account, password } = newCase();
    const client = await msoap();
    await client.authenticate(account, password);
    const r = await client.session.request({ commanddata: { kind: "commandSubmitMsgChunk", value: { islast: true, offset: 0, data: new Uint8Array(0) } } });
    assert.equal(MSOAP.statusName(r.status), "errorunexpectedcommand");
    assert.equal(r.forceabort, true);
    assert.match(c.store.violations[0]!, /without an accepted envelope/);
    await client.close();
  });

  it("fault malformed: the client sees a protocol error, and the store notes that it closed", async () => {
    const { c, account, password } = newCase();
    c.store.replies.push("authenticate", { fault: { kind: "malformed" } });
    const client = await msoap();
    await assert.rejects(client.authenticate(account, password), Im2000ProtocolError);
    await waitUntil(() => c.faults.length === 1);
    assert.deepEqual({ kind: c.faults[0]!.kind, closed: c.faults[0]!.shimClosed }, { kind: "malformed", closed: true });
  });

  it("fault not-a-response: a Command PDU comes back and the client rejects it (C-1)", async () => {
    const { c, account, password } = newCase();
    c.store.replies.push("authenticate", { fault: { kind: "not-a-response" } });
    const client = await msoap();
    await assert.rejects(client.authenticate(account, password), /command PDU/);
    await waitUntil(() => c.faults.length === 1);
  });

  it("fault close and close-mid-pdu: the client sees the connection end", async () => {
    for (const kind of ["close", "close-mid-pdu"] as const) {
      const { c, account, password } = newCase();
      c.store.replies.push("authenticate", { fault: { kind } });
      const client = await msoap();
      await assert.rejects(client.authenticate(account, password), (e: unknown) => e instanceof Im2000TransportError && e.kind === "closed", kind);
      assert.ok(c.log.entries.some((e) => e.kind === "event" && e.text.startsWith("fault:")), kind);
    }
  });

  it("fault delay: an answer later than the client's response timeout", async () => {
    const { c, account, password } = newCase();
    c.store.replies.push("authenticate", { fault: { kind: "delay", ms: 400 } });
    const client = await msoap(100);
    await assert.rejects(client.authenticate(account, password), (e: unknown) => e instanceof Im2000TransportError && e.kind === "timeout");
    void c;
  });

  it("refuses connections while told to, and accepts again on the same port", async () => {
    const port = peers.store.msoapPort;
    await peers.store.refuseMsoap();
    await assert.rejects(connect({ host: HOST, port, timeoutMs: 1000 }), /ECONNREFUSED|refused/);
    await peers.store.acceptMsoap();
    const conn = await connect({ host: HOST, port, timeoutMs: 1000 });
    conn.destroy();
  });

  it("answers Track for the case's own identifier and errornotpermitted otherwise", async () => {
    const { c, account, password } = newCase();
    const client = await msoap();
    await client.authenticate(account, password);
    const { identifier } = await client.submit({ recipients: [mailbox("t")], lifetime: 60 }, new Uint8Array([1]));
    const st = await client.track(identifier);
    assert.equal(st.length, 1);
    await assert.rejects(client.track(new Uint8Array(16)), (e: unknown) => e instanceof Im2000StatusError && e.statusName === "errornotpermitted");
    void c;
  });
});

describe("FakeStore MSRAP", () => {
  it("serves a message in pages no larger than maxPage, per representation", async () => {
    const { c } = newCase();
    const content = new TextEncoder().encode("Subject: hi\r\nFrom: a@b\r\nX-Other: 1\r\n\r\nbody line\r\n");
    const { notification, message } = peers.message(c, { recipient: mailbox("r"), content });
    message.maxPage = 7;
    const client = await MsrapClient.connect({ host: HOST, port: peers.store.msrapPort });
    const id = notification.notification.identifier;
    assert.deepEqual(await client.retrieveAll(id, RetrievalType.all, 100), content);
    assert.equal(new TextDecoder().decode(await client.retrieveAll(id, RetrievalType.headersonly)), "Subject: hi\r\nFrom: a@b\r\nX-Other: 1\r\n\r\n");
    assert.equal(new TextDecoder().decode(await client.retrieveAll(id, RetrievalType.summaryonly)), "Subject: hi\r\nFrom: a@b\r\n\r\n");
    assert.equal(await client.querySize(id), content.byteLength);
    assert.ok(c.store.msrapFor(hexOf(id), "retrieve").length > content.byteLength / 7);
    assert.equal(message.readLevel, RetrievalType.all);
    await client.close();
  });

  it("answers errornosuchmessage without abort for unknown and withdrawn messages (C-1 b)", async () => {
    const { c } = newCase();
    const { notification, message } = peers.message(c, { recipient: mailbox("r"), content: new Uint8Array([65]) });
    const client = await MsrapClient.connect({ host: HOST, port: peers.store.msrapPort });
    await assert.rejects(client.silence(new Uint8Array(16).fill(9)), (e: unknown) => e instanceof Im2000StatusError && e.statusName === "errornosuchmessage" && !e.forceabort);
    message.gone = true;
    await assert.rejects(client.retrieve(notification.notification.identifier, RetrievalType.all, 0, 10), (e: unknown) => e instanceof Im2000StatusError && e.statusName === "errornosuchmessage");
    assert.ok(client.usable);
    await client.close();
  });

  it("counts Silence and UnPin, and follows a scripted UnPin failure", async () => {
    const { c } = newCase();
    const { notification, message } = peers.message(c, { recipient: mailbox("r"), content: new Uint8Array([65]) });
    const id = notification.notification.identifier;
    c.store.repliesFor(hexOf(id)).push("unpin", { status: "errorinternalproblem" });
    const client = await MsrapClient.connect({ host: HOST, port: peers.store.msrapPort });
    await client.silence(id);
    await assert.rejects(client.unpin(id), (e: unknown) => e instanceof Im2000StatusError && e.statusName === "errorinternalproblem");
    const again = await MsrapClient.connect({ host: HOST, port: peers.store.msrapPort });
    await again.unpin(id);
    assert.deepEqual([message.silenced, message.unpinned], [2, 1]);
    assert.equal(c.store.msrapFor(hexOf(id), "unpin").length, 2);
    await again.close();
  });

  it("points notifications of a store that is down at a port that refuses connections", async () => {
    const { c } = newCase();
    const { notification } = peers.message(c, { recipient: mailbox("r"), content: new Uint8Array([65]), storeDown: true });
    const loc = notification.notification.storeclear;
    assert.equal(loc.kind, "literals");
    const port = (loc.value as { port: number }[])[0]!.port;
    await assert.rejects(connect({ host: HOST, port, timeoutMs: 1000 }));
  });
});

describe("FakeRna RNAQP", () => {
  it("hands out a case's notifications oldest first in capped batches, then an empty answer", async () => {
    const { c, account, password } = newCase();
    const made = [0, 1, 2].map((i) => peers.message(c, { recipient: mailbox(`r${i}`), content: new Uint8Array([i]) }).notification);
    c.rna.deliver(account, ...made);
    c.rna.batchSize = 2;
    const client = await RnaqpClient.connect({ host: HOST, port: peers.rna.port });
    await client.authenticate(account, password);
    const got: Uint8Array[] = [];
    await client.pollAll(async (batch) => {
      for (const n of batch) got.push(n.notification.identifier);
    });
    assert.deepEqual(got.map(hexOf), made.map((n) => hexOf(n.notification.identifier)));
    assert.deepEqual(c.rna.polls.map((p) => p.returned), [2, 1, 0]);
    await client.close();
  });

  it("refuses RetrieveAndClear before authentication and follows scripted statuses", async () => {
    const { c, account, password } = newCase();
    c.rna.replies.push("rnaAuthenticate", { status: "errorserviceshutdown" });
    const client = await RnaqpClient.connect({ host: HOST, port: peers.rna.port });
    await assert.rejects(client.authenticate(account, password), (e: unknown) => e instanceof Im2000StatusError && e.statusName === "errorserviceshutdown");
    const c2 = await RnaqpClient.connect({ host: HOST, port: peers.rna.port });
    await assert.rejects(c2.retrieveAndClear(), (e: unknown) => e instanceof Im2000StatusError && e.statusName === "errornotauthenticated");
    await c2.close();
    void c;
  });
});
