// An SMTP shim in front of a fake MSOAP store, both on loopback ports, and a client session past
// EHLO and AUTH: what the SUB-*, LST-* and RFC 5321 tests start from.

import assert from "node:assert/strict";
import { startSmtpService, type SmtpService, type SmtpServiceConfig } from "../../src/smtp/service.ts";
import { FakeStore, type FakeStoreScript } from "../helpers/fake-store.ts";
import { b64, LineClient } from "../helpers/line-client.ts";

export interface SmtpTestEnv {
  readonly store: FakeStore;
  readonly smtp: SmtpService;
  /** The shim's first listening port. */
  readonly port: number;
  /** Closes the shim, then the store. */
  stop(): Promise<void>;
}

/** The submission shim (cfg may make it the relay) against a fresh fake store. */
export async function smtpWithFakeStore(cfg: Partial<SmtpServiceConfig> = {}, script: FakeStoreScript = {}): Promise<SmtpTestEnv> {
  const store = await FakeStore.start(script);
  const smtp = await startSmtpService({
    role: "submission",
    hostname: "shim.test",
    listen: [{ host: "127.0.0.1", port: 0 }],
    store: { kind: "address", host: "127.0.0.1", port: store.port },
    testMode: true,
    ...cfg,
  });
  return {
    store,
    smtp,
    port: smtp.ports[0]!.port,
    stop: async () => {
      await smtp.close();
      await store.stop();
    },
  };
}

/** A session that has been greeted, said EHLO and authenticated with AUTH PLAIN (235). */
export async function login(port: number, user = "alice", pass = "secret"): Promise<LineClient> {
  const c = await LineClient.connect(port);
  assert.equal((await c.reply()).code, 220);
  assert.equal((await c.cmd("EHLO client.test")).code, 250);
  const r = await c.cmd(`AUTH PLAIN ${b64(`\0${user}\0${pass}`)}`);
  assert.equal(r.code, 235, r.text);
  return c;
}
