// The store's MSOAP service (im2000 §9.4, §18 C-1, C-3): authenticate, submit (envelope, then
// contiguous chunks; commit only on the islast chunk), track and cancel. One error→response
// table: `fail()` gives ResponseNull + forceabort for every error except the evaluated envelope
// (C-1 a).

import type { Handler, ServerSession } from "../../im2000/server.ts";
import { MSOAP, MsoapStatus, SubmissionStatus, type MsoapCommandData, type MsoapResponse, type MsoapResponseData } from "../../im2000/msoap.ts";
import type { Command } from "../../im2000/protocol.ts";
import type { MailBox } from "../../im2000/types.ts";
import { idForLog } from "../../util/log.ts";
import type { Authenticator } from "../auth.ts";
import type { ListSubmitRule, StoreAccount } from "../config.ts";
import { SubmissionRefused, type AcceptedRecipient, type MessageStore, type PendingSubmission } from "./engine.ts";

export interface MsoapPolicy {
  readonly accounts: Readonly<Record<string, StoreAccount>>;
  readonly anonymousSubmission: boolean;
  readonly senderUsesAccountName: boolean;
  readonly lists: Readonly<Record<string, { readonly submit: ListSubmitRule }>>;
  readonly maxRecipients: number;
  readonly defaultQuotaBytes: number;
}

interface OpenSubmission {
  pending: PendingSubmission;
  offset: number;
}

const dec = new TextDecoder("utf-8", { fatal: true });

function fail(status: number): MsoapResponse {
  return MSOAP.nullResponse(status, true);
}

function ok(responsedata: MsoapResponseData): MsoapResponse {
  return { forceabort: false, status: MsoapStatus.noerror, responsedata };
}

/** A recipient mailbox we can notify: non-empty localpart, a domain of non-empty labels. */
function acceptableMailbox(m: MailBox): AcceptedRecipient | undefined {
  if (m.localpart.length === 0 || m.localpart.length > 255 || m.domain.length === 0) return undefined;
  if (m.domain.some((l) => l.length === 0 || l.length > 63 || /[\s@]/.test(l))) return undefined;
  return { localpart: m.localpart, domain: m.domain.join(".").toLowerCase() };
}

export class MsoapHandler implements Handler<MsoapCommandData, MsoapResponseData> {
  readonly store: MessageStore;
  readonly auth: Authenticator;
  readonly policy: MsoapPolicy;

  constructor(store: MessageStore, auth: Authenticator, policy: MsoapPolicy) {
    this.store = store;
    this.auth = auth;
    this.policy = policy;
  }

  async handle(s: ServerSession, cmd: Command<MsoapCommandData>): Promise<MsoapResponse> {
    const c = cmd.commanddata;
    if (s.inTransaction && c.kind !== "commandSubmitMsgChunk") {
      this.abort(s); // §7 S-3
      return fail(MsoapStatus.errorunexpectedcommand);
    }
    switch (c.kind) {
      case "commandAuthenticate": {
        const good = await this.auth.authenticate(s, c.value.account, c.value.password);
        return good ? ok({ kind: "responseAuthenticate", value: {} }) : fail(MsoapStatus.errornotauthenticated);
      }
      case "commandSubmitEnvelope":
        return this.#envelope(s, c.value);
      case "commandSubmitMsgChunk":
        return this.#chunk(s, c.value);
      case "commandTrack": {
        if (!s.authenticated) return fail(MsoapStatus.errornotauthenticated);
        const r = await this.store.track(s.account!, c.value.identifier);
        if (!r) return fail(MsoapStatus.errornotpermitted); // I-16, SEC-5: no existence oracle
        return ok({
          kind: "responseTrack",
          value: { recipients: r.map((x) => ({ recipient: { localpart: x.localpart, domain: x.domain.split(".") }, status: { notificationstatus: x.nstatus, read: x.read, pinned: x.pinned } })) },
        });
      }
      case "commandCancel": {
        if (!s.authenticated) return fail(MsoapStatus.errornotauthenticated);
        if (!(await this.store.cancel(s.account!, c.value.identifier))) return fail(MsoapStatus.errornotpermitted);
        s.log.log("info", "msoap.cancelled", { id: idForLog(c.value.identifier) });
        return ok({ kind: "responseCancel", value: {} });
      }
    }
  }

  #listAllowed(s: ServerSession, name: string): boolean {
    const l = this.policy.lists[name];
    if (!l) return false;
    if (l.submit === "anyone") return true;
    if (l.submit === "authenticated") return s.authenticated;
    return s.authenticated && l.submit.includes(s.account!);
  }

  async #envelope(s: ServerSession, env: { recipients?: MailBox[]; lists?: Uint8Array[]; lifetime: number }): Promise<MsoapResponse> {
    if (!s.authenticated && !this.policy.anonymousSubmission) return fail(MsoapStatus.errornotauthenticated);
    const recipients = env.recipients ?? [];
    const lists = env.lists ?? [];
    if (recipients.length === 0 && lists.length === 0) {
      return { forceabort: true, status: MsoapStatus.errornotpermitted, responsedata: { kind: "responseSubmitEnvelope", value: {} } }; // C-1
    }
    const lim = this.store.limits;
    if (env.lifetime < lim.minLifetime) return fail(MsoapStatus.errorlifetimetooshort);
    const lifetime = Math.min(env.lifetime, lim.maxLifetime); // §12.1: above the maximum → clamped
    const acceptedR: AcceptedRecipient[] = [];
    const rStatus = recipients.map((m, i) => {
      const a = i < this.policy.maxRecipients ? acceptableMailbox(m) : undefined;
      if (a) acceptedR.push(a);
      return a ? SubmissionStatus.acceptable : SubmissionStatus.submissionaccessdenied;
    });
    const acceptedL: string[] = [];
    const lStatus = lists.map((octets) => {
      let name: string | undefined;
      try {
        name = dec.decode(octets);
      } catch {
        name = undefined;
      }
      const allowed = name !== undefined && this.#listAllowed(s, name) && !acceptedL.includes(name);
      if (allowed) acceptedL.push(name!);
      return allowed ? SubmissionStatus.acceptable : SubmissionStatus.submissionaccessdenied;
    });
    const denied = rStatus.filter((x) => x !== 0).length + lStatus.filter((x) => x !== 0).length;
    const total = rStatus.length + lStatus.length;
    const value = { ...(rStatus.length > 0 ? { recipients: rStatus } : {}), ...(lStatus.length > 0 ? { lists: lStatus } : {}) }; // C-3
    if (denied === total) return { forceabort: true, status: MsoapStatus.errornotpermitted, responsedata: { kind: "responseSubmitEnvelope", value } };
    const account = s.account ?? "";
    const acct = this.policy.accounts[account];
    const sender = this.policy.senderUsesAccountName ? account : (acct?.displayLabel ?? ""); // C-13
    const pending = this.store.beginSubmission(account, acct?.quotaBytes ?? this.policy.defaultQuotaBytes, acceptedR, acceptedL, lifetime, sender);
    s.data.sub = { pending, offset: 0 } satisfies OpenSubmission;
    s.inTransaction = true;
    return { forceabort: false, status: denied > 0 ? MsoapStatus.errornotpermitted : MsoapStatus.noerror, responsedata: { kind: "responseSubmitEnvelope", value } };
  }

  async #chunk(s: ServerSession, chunk: { islast: boolean; offset: number; data: Uint8Array }): Promise<MsoapResponse> {
    const sub = s.data.sub as OpenSubmission | undefined;
    if (!s.inTransaction || !sub) return fail(MsoapStatus.errorunexpectedcommand); // S-3
    if (chunk.offset !== sub.offset) {
      this.abort(s);
      return fail(MsoapStatus.errorunexpectedcommand); // §9.4 step 3: contiguous offsets
    }
    try {
      sub.pending.add(chunk.data);
    } catch (e) {
      this.abort(s);
      if (e instanceof SubmissionRefused) return fail(e.reason === "quota" ? MsoapStatus.errorwouldexceedquota : MsoapStatus.errornotenoughroom);
      throw e;
    }
    sub.offset += chunk.data.byteLength;
    if (!chunk.islast) return ok({ kind: "responseSubmitMsgChunk", value: {} });
    s.inTransaction = false;
    delete s.data.sub;
    const identifier = await sub.pending.commit(); // durable before we answer
    s.log.log("info", "msoap.committed", { id: idForLog(identifier), octets: sub.offset, recipients: sub.pending.recipients.length, lists: sub.pending.lists.length });
    return ok({ kind: "responseSubmitMsgChunk", value: { identifier } });
  }

  abort(s: ServerSession): void {
    const sub = s.data.sub as OpenSubmission | undefined;
    if (sub) {
      sub.pending.abort();
      s.log.log("info", "msoap.aborted", { octets: sub.offset });
    }
    delete s.data.sub;
    s.inTransaction = false;
  }
}
