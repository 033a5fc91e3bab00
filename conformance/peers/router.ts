// Routing IM2000 sessions to the cases that run in parallel against one shim. A shim connects to
// the one fake store and the one fake RNA for every case; the peers find out which case a session
// belongs to from what it carries: the account of CommandAuthenticate, an envelope's recipient
// domains, addresses or list names, or a message identifier (MSRAP). Each case registers the keys
// it generated (they embed a per-case token), and a connection is bound to a case by the first
// command that names one. What a connection did before it was bound (typically authenticating
// with the list relay's own account) is kept and handed to the case when it binds.
//
// An exclusive case (one that changes a peer for everybody, e.g. refuses connections) runs alone
// and receives every session.

import { WireLog, type WireEntry, type WireFrom } from "../wire-log.ts";

/** What a peer needs to know about a case: where to log and its scripted peer state. */
export interface CaseBinding {
  readonly caseId: string;
  readonly log: WireLog;
  /** Outcomes of faults that wait for the shim to react (malformed PDU → did it close?). */
  readonly faults?: FaultOutcome[];
}

export interface FaultOutcome {
  readonly conn: string;
  readonly kind: string;
  /** The shim closed the connection within the hold time, as im2000 §7 C-1 requires. */
  readonly shimClosed: boolean;
}

export class Router<B extends CaseBinding = CaseBinding> {
  #keys = new Map<string, B>();
  #exclusive: B | undefined;
  /** Log of sessions no case claimed (shown with --verbose and in runner errors). */
  readonly unrouted = new WireLog(Date.now(), 2000);

  register(key: string, binding: B): void {
    const k = key.toLowerCase();
    const other = this.#keys.get(k);
    if (other !== undefined && other !== binding) throw new Error(`routing key ${key} is already used by ${other.caseId}`);
    this.#keys.set(k, binding);
  }

  unregister(binding: B): void {
    for (const [k, b] of this.#keys) if (b === binding) this.#keys.delete(k);
    if (this.#exclusive === binding) this.#exclusive = undefined;
  }

  setExclusive(binding: B | undefined): void {
    this.#exclusive = binding;
  }

  get exclusive(): B | undefined {
    return this.#exclusive;
  }

  lookup(...keys: readonly string[]): B | undefined {
    if (this.#exclusive !== undefined) return this.#exclusive;
    for (const k of keys) {
      const b = this.#keys.get(k.toLowerCase());
      if (b !== undefined) return b;
    }
    return undefined;
  }
}

/** One IM2000 connection accepted by a fake peer, with its wire log routing. */
export class PeerConnection<B extends CaseBinding = CaseBinding> {
  readonly id: string;
  readonly peer: WireFrom;
  binding: B | undefined;
  #pending: { from: WireFrom; kind: WireEntry["kind"]; text: string; at: number }[] = [];
  readonly #router: Router<B>;

  constructor(id: string, peer: WireFrom, router: Router<B>) {
    this.id = id;
    this.peer = peer;
    this.#router = router;
    const ex = router.exclusive;
    if (ex !== undefined) this.bind(ex);
  }

  /** Binds to a case (or rebinds: a pooled connection may serve several cases in turn). */
  bind(b: B): void {
    if (this.binding === b) return;
    this.binding = b;
    for (const p of this.#pending) b.log.add(this.id, p.from, p.kind, p.text, p.at);
    this.#pending = [];
  }

  /** Binds by the first key a case registered; returns the binding (possibly an earlier one). */
  route(...keys: readonly string[]): B | undefined {
    const b = this.#router.lookup(...keys);
    if (b !== undefined) this.bind(b);
    return this.binding;
  }

  #add(from: WireFrom, kind: WireEntry["kind"], text: string): void {
    const at = Date.now();
    if (this.binding !== undefined) this.binding.log.add(this.id, from, kind, text, at);
    else {
      if (this.#pending.length < 200) this.#pending.push({ from, kind, text, at });
      this.#router.unrouted.add(this.id, from, kind, text, at);
    }
  }

  received(text: string): void {
    this.#add("shim", "pdu", text);
  }

  sent(text: string): void {
    this.#add(this.peer, "pdu", text);
  }

  event(text: string): void {
    this.#add("runner", "event", text);
  }
}
