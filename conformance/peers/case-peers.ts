// The per-case state of the fake peers: what the case scripted and what the peers saw. One
// CasePeers object per running case; the peers find it through the Router.

import type { CommandSubmitEnvelope } from "../../src/im2000/msoap.ts";
import type { NotificationAndLocalData } from "../../src/im2000/types.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import type { WireLog } from "../wire-log.ts";
import type { CaseBinding, FaultOutcome } from "./router.ts";
import { ReplyQueue, type SubmissionVerdict } from "./script.ts";

/** One MSOAP submission transaction as the fake store saw it. */
export interface SubmissionRecord {
  readonly conn: string;
  readonly account: string | undefined;
  readonly envelope: CommandSubmitEnvelope;
  readonly verdicts: readonly SubmissionVerdict[];
  readonly chunks: { offset: number; size: number; islast: boolean }[];
  readonly parts: Uint8Array[];
  /** open: chunks may follow; committed: the islast chunk was acknowledged; aborted; refused (envelope answer ended it). */
  state: "open" | "committed" | "aborted" | "refused";
  identifier?: Uint8Array;
  /** Why it was aborted (forceabort answer, unclean close, S-3 …). */
  abortReason?: string;
  /** Some content was not kept (the case's limit was reached). */
  truncated?: boolean;
}

/** The submitted octets of a record, reassembled. */
export function contentOf(r: SubmissionRecord): Uint8Array {
  return concatBytes(r.parts);
}

/** A message the fake store serves over MSRAP. */
export interface FakeMessage {
  readonly identifier: Uint8Array;
  readonly content: Uint8Array;
  /** At most this many octets per Retrieve answer (forces the client to page). */
  maxPage?: number;
  silenced: number;
  unpinned: number;
  /** Highest RetrievalType that returned data (im2000 §18 C-4). */
  readLevel: number;
  /** Cancelled, expired or deleted: every command gets errornosuchmessage. */
  gone: boolean;
}

export interface MsrapRecord {
  readonly conn: string;
  readonly kind: "scanList" | "silence" | "unpin" | "querySize" | "retrieve";
  readonly identifier?: string;
  readonly type?: number;
  readonly offset?: number;
  readonly length?: number;
  readonly at: number;
}

export class StoreCase {
  readonly replies = new ReplyQueue();
  /** MSOAP accounts of this case, with their passwords. */
  readonly accounts = new Map<string, string>();
  readonly authentications: { conn: string; account: string; password: string; ok: boolean; at: number }[] = [];
  readonly submissions: SubmissionRecord[] = [];
  /** Content octets kept across this case's submissions (bounded). */
  keptOctets = 0;
  /** Every MSOAP command in arrival order. */
  readonly msoapCommands: { conn: string; kind: string; at: number }[] = [];
  /** MSOAP connections seen, and how each ended. */
  readonly msoapConnections = new Map<string, { opened: number; closed?: number; clean?: boolean }>();
  /** Breaches of im2000 §4–§7 by the shim, as the store saw them (GEN-1). */
  readonly violations: string[] = [];
  /** This case's own MSOAP idle timeout (im2000 §7 S-4), shorter than the server's; off by default. */
  idleTimeoutMs?: number;
  /** When the case's idle timeout fired. */
  readonly idleTimeouts: { conn: string; at: number }[] = [];
  /** Verdict for each envelope recipient when no reply is scripted. */
  verdict: (localpart: string, domain: readonly string[]) => SubmissionVerdict = () => "acceptable";
  listVerdict: (name: string) => SubmissionVerdict = () => "acceptable";
  // MSRAP
  readonly messages = new Map<string, FakeMessage>();
  readonly msrapCommands: MsrapRecord[] = [];
  /** Scripted MSRAP answers per message (hex identifier). */
  readonly messageReplies = new Map<string, ReplyQueue>();

  committed(): SubmissionRecord[] {
    return this.submissions.filter((s) => s.state === "committed");
  }

  chunkCount(): number {
    return this.submissions.reduce((n, s) => n + s.chunks.length, 0);
  }

  repliesFor(hexId: string): ReplyQueue {
    let q = this.messageReplies.get(hexId);
    if (q === undefined) {
      q = new ReplyQueue();
      this.messageReplies.set(hexId, q);
    }
    return q;
  }

  msrapFor(hexId: string, kind?: MsrapRecord["kind"]): MsrapRecord[] {
    return this.msrapCommands.filter((r) => r.identifier === hexId && (kind === undefined || r.kind === kind));
  }
}

export class RnaCase {
  readonly replies = new ReplyQueue();
  readonly accounts = new Map<string, string>();
  readonly authentications: { conn: string; account: string; password: string; ok: boolean; at: number }[] = [];
  /** Notifications waiting per account, oldest first. */
  readonly mailboxes = new Map<string, NotificationAndLocalData[]>();
  /** Largest number of notifications in one RetrieveAndClear answer (im2000 §14 cap). */
  batchSize = 1000;
  readonly polls: { conn: string; account: string | undefined; returned: number; at: number }[] = [];
  readonly rnaqpConnections = new Map<string, { opened: number; closed?: number }>();

  deliver(account: string, ...n: NotificationAndLocalData[]): void {
    const q = this.mailboxes.get(account) ?? [];
    q.push(...n);
    this.mailboxes.set(account, q);
  }
}

export class CasePeers implements CaseBinding {
  readonly caseId: string;
  readonly log: WireLog;
  readonly store = new StoreCase();
  readonly rna = new RnaCase();
  readonly faults: FaultOutcome[] = [];
  constructor(caseId: string, log: WireLog) {
    this.caseId = caseId;
    this.log = log;
  }
}
