// One SMTP session's link to the message store (shims SUB-4, SUB-15): at most one MSOAP session at
// a time, opened lazily, re-authenticated with the same credentials after the previous one was
// abandoned (SUB-9), closed by the server (im2000 §18 C-6) or lost; closed cleanly, between
// transactions, when the SMTP session ends.

import { connectEndpoint, type Endpoint } from "../im2000/endpoint.ts";
import { MsoapClient } from "../im2000/msoap-client.ts";
import type { ClientTimeouts } from "../im2000/client-session.ts";
import type { LocateOptions } from "../im2000/locate.ts";
import type { Logger } from "../util/log.ts";

export interface MsoapLinkOptions extends ClientTimeouts {
  readonly store: Endpoint;
  readonly locate?: LocateOptions;
  readonly log: Logger;
  /**
   * Credentials known before the SMTP session starts (`sendmail -bs`, shims LOC-6): the first
   * transaction authenticates with them as if the client had sent AUTH.
   */
  readonly credentials?: { readonly account: string; readonly password: string };
}

export class MsoapLink {
  readonly options: MsoapLinkOptions;
  #client: MsoapClient | undefined;
  /** Credentials the current (or next) session authenticates with; held only for this SMTP session (GEN-3). */
  #credentials: { account: string; password: string } | undefined;
  #authenticated = false;

  constructor(options: MsoapLinkOptions) {
    this.options = options;
    this.#credentials = options.credentials;
  }

  /** Which account the live MSOAP session is authenticated as, if any. */
  get account(): string | undefined {
    return this.#authenticated ? this.#credentials?.account : undefined;
  }

  async #connect(): Promise<MsoapClient> {
    if (this.#client?.usable) return this.#client;
    this.#client = undefined;
    this.#authenticated = false;
    const conn = await connectEndpoint(this.options.store, "msoap", { ...this.options.locate, connectTimeoutMs: this.options.connectTimeoutMs });
    this.#client = MsoapClient.over(conn, this.options);
    this.options.log.log("debug", "msoap.connect");
    return this.#client;
  }

  /** CommandAuthenticate with these credentials (SUB-2); throws the MSOAP error on refusal. */
  async authenticate(account: string, password: string): Promise<void> {
    const c = await this.#connect();
    this.#authenticated = false;
    this.#credentials = { account, password };
    try {
      await c.authenticate(account, password);
      this.#authenticated = true;
    } catch (e) {
      this.#credentials = undefined;
      throw e;
    }
  }

  /**
   * A usable client for the next transaction: the live session, or a new one re-authenticated
   * with the credentials that succeeded before (SUB-4).
   */
  async ready(): Promise<MsoapClient> {
    const live = this.#client?.usable === true;
    const c = await this.#connect();
    if (!live && this.#credentials !== undefined) {
      await c.authenticate(this.#credentials.account, this.#credentials.password);
      this.#authenticated = true;
    }
    return c;
  }

  /** Drops the session at once (unclean: the store aborts any open transaction, SUB-9). */
  abandon(): void {
    this.#client?.session.abandon();
    this.#client = undefined;
    this.#authenticated = false;
  }

  /** SUB-15: close cleanly between transactions; forget the credentials (GEN-3). */
  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    this.#credentials = undefined;
    this.#authenticated = false;
    if (c === undefined) return;
    if (c.inTransaction) c.session.abandon();
    else await c.close().catch(() => {});
  }
}
