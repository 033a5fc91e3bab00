// Store limits and policies over MSOAP (im2000 §9.4 T-MSOAP-2, §12.1, §18 C-13): per-account
// quota, global room, message size, anonymous submission, and re-notification until silenced.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryStorage } from "../../src/storage/storage.ts";
import { MsoapClient } from "../../src/im2000/msoap-client.ts";
import { MsrapClient } from "../../src/im2000/msrap-client.ts";
import { RnaqpClient } from "../../src/im2000/rnaqp-client.ts";
import { Im2000StatusError } from "../../src/im2000/errors.ts";
import { startPeers, type PeersHandle } from "../../src/peers/peers.ts";
import { hashPassword } from "../../src/peers/auth.ts";
import { enc, PASSWORDS, testConfig, waitFor } from "./helpers.ts";

const rcpt = { recipients: [{ localpart: "nobody", domain: ["example", "org"] }], lifetime: 3600 };
const statusOf = (name: string) => (e: unknown) => e instanceof Im2000StatusError && e.statusName === name && e.forceabort;

describe("store limits", () => {
  let peers: PeersHandle;
  before(async () => {
    const carol = await hashPassword("carol-secret", { N: 1024, r: 8, p: 1 });
    peers = await startPeers(
      await testConfig({
        store: { accounts: { carol: { passwordHash: carol, quotaBytes: 10_000 } }, storeBytes: 40_000, maxMessageBytes: 30_000, anonymousSubmission: true },
      }),
      { data: new MemoryStorage() },
    );
  });
  after(async () => {
    await peers.close();
  });
  const msoap = () => MsoapClient.connect({ host: "127.0.0.1", port: peers.addresses.msoap!.port });

  it("errorwouldexceedquota aborts and discards; cancelling frees the quota", async () => {
    const c = await msoap();
    // Re-authenticating as another account is allowed; carol is configured above with a 10 kB quota.
    await c.authenticate("carol", "carol-secret");
    const first = await c.submit(rcpt, new Uint8Array(6000).fill(65));
    await assert.rejects(c.submit(rcpt, new Uint8Array(6000).fill(66), 1000), statusOf("errorwouldexceedquota"));
    assert.ok(c.usable, "the session goes on after the abort");
    await c.cancel(first.identifier);
    await c.submit(rcpt, new Uint8Array(6000).fill(67));
    await c.close();
  });

  it("errornotenoughroom when the store is full or the message too large", async () => {
    const c = await msoap();
    await c.authenticate("alice", PASSWORDS.alice);
    await assert.rejects(c.submit(rcpt, new Uint8Array(31_000).fill(65), 4096), statusOf("errornotenoughroom"));
    await c.submit(rcpt, new Uint8Array(25_000).fill(65));
    await assert.rejects(c.submit(rcpt, new Uint8Array(20_000).fill(65)), statusOf("errornotenoughroom"));
    await c.close();
  });

  it("anonymous submission (when enabled) is notified with an empty sender (C-13); re-notified until silenced", async () => {
    const c = await msoap();
    await c.submit({ recipients: [{ localpart: "lucy", domain: ["example", "org"] }], lifetime: 3600 }, enc.encode("Subject: anon\r\n\r\nx\r\n"));
    await c.close();
    const q = await RnaqpClient.connect({ host: "127.0.0.1", port: peers.addresses.rnaqp!.port });
    await q.authenticate("lucy", PASSWORDS.lucy);
    const first = await waitFor("the first notification", async () => {
      const n = await q.retrieveAndClear();
      return n.length > 0 ? n[0]! : undefined;
    });
    assert.equal(first.notification.sender, "");
    // Not silenced: the store notifies again after the (testMode) first retry interval.
    const again = await waitFor("a re-notification", async () => {
      const n = await q.retrieveAndClear();
      return n.length > 0 ? n[0]! : undefined;
    });
    assert.deepEqual(again.notification.identifier, first.notification.identifier);
    await q.close();
    const r = await MsrapClient.connect({ host: "127.0.0.1", port: peers.addresses.msrap!.port });
    await r.silence(first.notification.identifier);
    await r.close();
  });
});
