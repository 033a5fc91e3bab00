// The fake IM2000 peers of one conformance run: a message store (MSOAP, MSRAP) and an RNA
// (RNAQP), sharing one router so that every case sees its own sessions. Also a "dead" port where
// nothing listens, for notifications that point at a store that is down.

import { listen } from "../../src/runtime/net.ts";
import { randomBytes } from "../../src/runtime/crypto.ts";
import { ipFromString } from "../../src/im2000/locate.ts";
import type { NotificationAndLocalData } from "../../src/im2000/types.ts";
import type { CasePeers, FakeMessage } from "./case-peers.ts";
import { FakeRna } from "./rna.ts";
import { Router } from "./router.ts";
import { FakeStore, type PeerOptions } from "./store.ts";

export interface PeerPorts {
  readonly msoap?: number;
  readonly msrap?: number;
  readonly rnaqp?: number;
}

export class FakePeers {
  readonly router = new Router<CasePeers>();
  readonly store: FakeStore;
  readonly rna: FakeRna;
  readonly host: string;
  #deadPort = 0;

  constructor(host: string, options: PeerOptions) {
    this.host = host;
    this.store = new FakeStore(this.router, options);
    this.rna = new FakeRna(this.router, options);
  }

  async start(ports: PeerPorts = {}): Promise<void> {
    await this.store.start(this.host, ports.msoap ?? 0, ports.msrap ?? 0);
    await this.rna.start(this.host, ports.rnaqp ?? 0);
    // A port that was free a moment ago: connecting to it is refused (a store that is down).
    const l = await listen({ host: this.host, port: 0 }, (c) => c.destroy());
    this.#deadPort = l.port;
    await l.close();
  }

  get deadPort(): number {
    return this.#deadPort;
  }

  async stop(): Promise<void> {
    await Promise.all([this.store.stop(), this.rna.stop()]);
  }

  /**
   * A message in the fake store and the notification that points at it (storeclear = literals
   * host:msrapPort, or the dead port when `storeDown`).
   */
  message(peers: CasePeers, opts: { recipient: { localpart: string; domain: string[] }; content: Uint8Array; sender?: string; size?: number | null; storeDown?: boolean; date?: number; identifier?: Uint8Array }): { notification: NotificationAndLocalData; message: FakeMessage } {
    const identifier = opts.identifier ?? randomBytes(16);
    const message = FakeStore.addMessage(peers, this.router, identifier, opts.content);
    const port = opts.storeDown ? this.#deadPort : this.store.msrapPort;
    const notification: NotificationAndLocalData = {
      notification: {
        storeclear: { kind: "literals", value: [{ address: ipFromString(this.host), port }] },
        recipient: opts.recipient,
        identifier,
        sender: opts.sender ?? "conformance",
        ...(opts.size === null ? {} : { size: opts.size ?? opts.content.byteLength }),
      },
      submitter: { address: ipFromString("127.0.0.1"), port: 40000 },
      date: opts.date ?? Math.floor(Date.now() / 1000),
    } as NotificationAndLocalData;
    return { notification, message };
  }
}
