// End to end on loopback: MSOAP submission → the store notifies the RNA over RNASP → RNAQP
// RetrieveAndClear hands the notification out → MSRAP retrieve, byte-exact, in every
// RetrievalType and in pages → track → un-pin → the store deletes the message. Lists: submit,
// scan by time windows.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { makeTempDir, removeTree } from "../../src/runtime/fs.ts";
import { MsoapClient } from "../../src/im2000/msoap-client.ts";
import { MsrapClient, isNoSuchMessage } from "../../src/im2000/msrap-client.ts";
import { RnaqpClient } from "../../src/im2000/rnaqp-client.ts";
import { RetrievalType } from "../../src/im2000/msrap.ts";
import { NotificationStatus, ReadStatus } from "../../src/im2000/msoap.ts";
import { Im2000StatusError } from "../../src/im2000/errors.ts";
import { ipToString } from "../../src/im2000/locate.ts";
import { startPeers, type PeersHandle } from "../../src/peers/peers.ts";
import { enc, PASSWORDS, testConfig, waitFor } from "./helpers.ts";

const MESSAGE = enc.encode(
  "From: Alice <alice@example.net>\r\nTo: Lucy <lucy@example.org>\r\nX-Other: skipped\r\nSubject: hello\r\n  folded\r\nDate: Sat, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <1@example.net>\r\n\r\n" + "body line\r\n".repeat(3000),
);

describe("reference peers end to end", () => {
  let dir: string;
  let peers: PeersHandle;
  before(async () => {
    dir = await makeTempDir("im2000-e2e-");
    // example.org is one of the RNA's mailbox domains, so the store routes it to our RNASP.
    peers = await startPeers(await testConfig(), { data: dir });
  });
  after(async () => {
    await peers.close();
    await removeTree(dir);
  });

  const msoap = () => MsoapClient.connect({ host: "127.0.0.1", port: peers.addresses.msoap!.port });
  const msrap = () => MsrapClient.connect({ host: "127.0.0.1", port: peers.addresses.msrap!.port });
  const rnaqp = () => RnaqpClient.connect({ host: "127.0.0.1", port: peers.addresses.rnaqp!.port });

  it("submit → notify → RetrieveAndClear → retrieve every type byte-exact → un-pin deletes", async () => {
    const c = await msoap();
    await c.authenticate("alice", PASSWORDS.alice);
    const { identifier: orig } = await c.submit({ recipients: [{ localpart: "lucy", domain: ["Example", "ORG"] }], lifetime: 3600 }, MESSAGE, 7000);
    assert.equal(orig.byteLength, 16);

    const q = await rnaqp();
    await q.authenticate("lucy", PASSWORDS.lucy);
    const got = await waitFor("a notification", async () => {
      const n = await q.retrieveAndClear();
      return n.length > 0 ? n : undefined;
    });
    await q.close();
    assert.equal(got.length, 1);
    const n = got[0]!.notification;
    assert.equal(n.recipient.localpart, "lucy");
    assert.deepEqual(n.recipient.domain, ["example", "org"]);
    assert.equal(n.sender, "Alice"); // C-13: the display label, not the account name
    assert.equal(n.size, MESSAGE.byteLength);
    assert.notDeepEqual(n.identifier, orig); // SEC-6: the recipient's id is not the originator's
    assert.equal(n.storeclear.kind, "literals");
    if (n.storeclear.kind === "literals") assert.equal(n.storeclear.value[0]!.port, peers.addresses.msrap!.port);
    assert.equal(ipToString(got[0]!.submitter.address), "127.0.0.1");
    const id = n.identifier;

    const r = await msrap();
    // C-4: size probes do not change the read status.
    assert.equal(await r.size(id, RetrievalType.all), MESSAGE.byteLength);
    assert.equal(await r.querySize(id, RetrievalType.headersonly), MESSAGE.indexOf(13, MESSAGE.indexOf(enc.encode("\r\n\r\n")[0]!)) >= 0 ? headerLen(MESSAGE) : -1);
    // The store records `notifying` once the RNA's answer is in, which may be just after the RNA
    // already handed the notification out.
    let track = await waitFor("notifying", async () => {
      const t = await c.track(orig);
      return t[0]!.status.notificationstatus === NotificationStatus.notifying ? t : undefined;
    });
    assert.equal(track[0]!.status.read, ReadStatus.unread);
    assert.equal(track[0]!.status.pinned, true);

    assert.deepEqual(await r.retrieveAll(id, RetrievalType.all, 4096), MESSAGE); // paged
    assert.deepEqual(await r.retrieveAll(id, RetrievalType.all), MESSAGE);
    assert.deepEqual(await r.retrieveAll(id, RetrievalType.headersonly, 50), MESSAGE.subarray(0, headerLen(MESSAGE)));
    const summary = new TextDecoder().decode(await r.retrieveAll(id, RetrievalType.summaryonly, 7));
    assert.equal(summary, "From: Alice <alice@example.net>\r\nTo: Lucy <lucy@example.org>\r\nSubject: hello\r\n  folded\r\nDate: Sat, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <1@example.net>\r\n\r\n");
    const nothing = await r.retrieve(id, RetrievalType.nothing, 0, 100);
    assert.equal(nothing.data.byteLength, 0);
    // Offset beyond the end → empty data, size still given (§10.4).
    const beyond = await r.retrieve(id, RetrievalType.all, MESSAGE.byteLength + 5, 10);
    assert.equal(beyond.data.byteLength, 0);
    assert.equal(beyond.size, MESSAGE.byteLength);
    track = await c.track(orig);
    assert.equal(track[0]!.status.read, ReadStatus.readall);

    await r.silence(id);
    track = await c.track(orig);
    assert.equal(track[0]!.status.notificationstatus, NotificationStatus.silenced);
    await r.unpin(id);
    // The only recipient un-pinned and no list holds it: deleted (§12.1).
    await assert.rejects(r.retrieve(id, RetrievalType.all, 0, 10), (e) => isNoSuchMessage(e) && !(e as Im2000StatusError).forceabort);
    await assert.rejects(c.track(orig), (e) => e instanceof Im2000StatusError && e.statusName === "errornotpermitted");
    assert.ok(r.usable, "errornosuchmessage leaves the session usable");
    await r.close();
    await c.close();
  });

  it("SEC-5 another account cannot track or cancel; cancel withdraws the message", async () => {
    const a = await msoap();
    await a.authenticate("alice", PASSWORDS.alice);
    const { identifier } = await a.submit({ recipients: [{ localpart: "nobody", domain: ["example", "org"] }], lifetime: 3600 }, enc.encode("Subject: x\r\n\r\nx\r\n"));
    const b = await msoap();
    await b.authenticate("bob", PASSWORDS.bob);
    await assert.rejects(b.track(identifier), (e) => e instanceof Im2000StatusError && e.statusName === "errornotpermitted" && e.forceabort);
    await assert.rejects(b.cancel(identifier), (e) => e instanceof Im2000StatusError && e.statusName === "errornotpermitted");
    assert.equal((await a.track(identifier)).length, 1);
    await a.cancel(identifier);
    await assert.rejects(a.track(identifier), (e) => e instanceof Im2000StatusError && e.statusName === "errornotpermitted");
    await a.close();
    await b.close();
  });

  it("lists: submit to a list, scan by time windows (C-11), list ids do not un-pin or read", async () => {
    const c = await msoap();
    await c.authenticate("alice", PASSWORDS.alice);
    const before = Math.floor(Date.now() / 1000);
    const ids: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const { identifier } = await c.submit({ lists: [enc.encode("announce")], lifetime: 3600 }, enc.encode(`Subject: list ${i}\r\n\r\nhello ${i}\r\n`));
      ids.push(identifier);
    }
    const r = await msrap();
    // Wait until the current second has passed so every message is inside [before, endtime).
    const scan = await waitFor("a scan that covers the submissions", async () => {
      const s = await r.scanList("announce", before);
      return s.messages.length === 3 ? s : undefined;
    });
    assert.ok(scan.endtime > before);
    for (const m of scan.messages) assert.ok(!ids.some((o) => Buffer.from(o).equals(Buffer.from(m))), "list ids differ from originator ids");
    const bodies: Uint8Array[] = [];
    for (const m of scan.messages) bodies.push(await r.retrieveAll(m, RetrievalType.all));
    assert.deepEqual(bodies.map((b) => new TextDecoder().decode(b)), [0, 1, 2].map((i) => `Subject: list ${i}\r\n\r\nhello ${i}\r\n`));
    // A window that starts at endtime holds nothing yet.
    const next = await r.scanList("announce", scan.endtime);
    assert.equal(next.messages.length, 0);
    // C-11: Silence/UnPin with a list identifier → noerror, no effect.
    await r.silence(scan.messages[0]!);
    await r.unpin(scan.messages[0]!);
    assert.equal((await r.retrieveAll(scan.messages[0]!)).byteLength > 0, true);
    // Unknown list → errornosuchmessage without abort.
    await assert.rejects(r.scanList("nope", 0), (e) => isNoSuchMessage(e));
    // bob may submit to staff; alice may not (per-list access rule) → partial denial, no abort.
    const env = await c.beginSubmission({ lists: [enc.encode("staff"), enc.encode("announce")], lifetime: 3600 });
    assert.equal(env.statusName, "errornotpermitted");
    assert.equal(env.forceabort, false);
    assert.deepEqual(env.lists, [1, 0]);
    await env.submission!.write(enc.encode("Subject: partial\r\n\r\n"));
    assert.equal((await env.submission!.finish()).byteLength, 16);
    await r.close();
    await c.close();
  });
});

function headerLen(m: Uint8Array): number {
  for (let i = 3; i < m.byteLength; i++) if (m[i - 3] === 13 && m[i - 2] === 10 && m[i - 1] === 13 && m[i] === 10) return i + 1;
  return m.byteLength;
}
