// Model-based test of the message store (im2000 §12.1, §16.1, §18 C-4/C-11): random
// interleavings of submit, notify (sweep), retrieve, silence, un-pin, cancel, track and expiry,
// with a controllable clock, against a small model: a message is alive while it is not cancelled,
// not expired, and some recipient still pins it (or a list holds it); a silenced or un-pinned
// recipient is never notified again; an alive, pinned, unsilenced recipient is re-notified
// within the back-off ceiling.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Clock } from "../../src/runtime/clock.ts";
import { MemoryStorage } from "../../src/storage/storage.ts";
import { MessageStore, NStatus, toHex, fromHex } from "../../src/peers/store/engine.ts";
import { Notifier } from "../../src/peers/store/notifier.ts";
import { silentLogger } from "../../src/util/log.ts";

const MIN_LIFETIME = 60;
const MAX_RETRY_S = 4;

interface MRecipient {
  id: string;
  pinned: boolean;
  silenced: boolean;
}
interface MMessage {
  orig: Uint8Array;
  expiry: number;
  cancelled: boolean;
  list: boolean;
  recipients: MRecipient[];
}
interface Model {
  now: number;
  messages: MMessage[];
}
interface Real {
  clock: { t: number } & Clock;
  store: MessageStore;
  notifier: Notifier;
  delivered: Map<string, number[]>; // recipient id → delivery times
  lastCommit: { r: string[] } | undefined;
}

const alive = (m: Model, x: MMessage) => !x.cancelled && m.now < x.expiry && (x.list || x.recipients.some((r) => r.pinned));

class Submit implements fc.AsyncCommand<Model, Real> {
  readonly recipients: number;
  readonly list: boolean;
  readonly lifetime: number;
  constructor(recipients: number, list: boolean, lifetime: number) {
    this.recipients = recipients;
    this.list = list;
    this.lifetime = lifetime;
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const p = r.store.beginSubmission("alice", 1 << 30, Array.from({ length: this.recipients }, (_, i) => ({ localpart: `u${i}`, domain: "example.org" })), this.list ? ["l"] : [], this.lifetime, "");
    p.add(new TextEncoder().encode(`Subject: m\r\n\r\n${m.messages.length}\r\n`));
    const orig = await p.commit();
    const info = r.lastCommit!;
    m.messages.push({ orig, expiry: Math.max(m.now, 0) + this.lifetime, cancelled: false, list: this.list, recipients: info.r.map((id) => ({ id, pinned: true, silenced: false })) });
    await r.notifier.idle();
  }
  toString = () => `Submit(${this.recipients},${this.list},${this.lifetime})`;
}

abstract class OnRecipient implements fc.AsyncCommand<Model, Real> {
  readonly mi: number;
  readonly ri: number;
  constructor(mi: number, ri: number) {
    this.mi = mi;
    this.ri = ri;
  }
  pick(m: Model) {
    const x = m.messages[this.mi % Math.max(1, m.messages.length)];
    const rc = x?.recipients[this.ri % Math.max(1, x.recipients.length)];
    return { x, rc };
  }
  check = (m: Model) => m.messages.some((x) => x.recipients.length > 0);
  abstract run(m: Model, r: Real): Promise<void>;
}

class Retrieve extends OnRecipient {
  override async run(m: Model, r: Real) {
    const { x, rc } = this.pick(m);
    if (!x || !rc) return;
    const slot = await r.store.slot(fromHex(rc.id));
    assert.equal(slot !== undefined, alive(m, x), "a recipient id works exactly while the message is alive");
  }
  override toString = () => `Retrieve(${this.mi},${this.ri})`;
}

class Silence extends OnRecipient {
  override async run(m: Model, r: Real) {
    const { x, rc } = this.pick(m);
    if (!x || !rc) return;
    assert.equal(await r.store.silence(fromHex(rc.id)), alive(m, x));
    if (alive(m, x)) rc.silenced = true;
  }
  override toString = () => `Silence(${this.mi},${this.ri})`;
}

class UnPin extends OnRecipient {
  override async run(m: Model, r: Real) {
    const { x, rc } = this.pick(m);
    if (!x || !rc) return;
    assert.equal(await r.store.unpin(fromHex(rc.id)), alive(m, x));
    if (alive(m, x)) {
      rc.pinned = false;
      rc.silenced = true;
    }
  }
  override toString = () => `UnPin(${this.mi},${this.ri})`;
}

class Cancel implements fc.AsyncCommand<Model, Real> {
  readonly mi: number;
  constructor(mi: number) {
    this.mi = mi;
  }
  check = (m: Model) => m.messages.length > 0;
  async run(m: Model, r: Real) {
    const x = m.messages[this.mi % m.messages.length]!;
    assert.equal(await r.store.cancel("alice", x.orig), alive(m, x));
    assert.equal(await r.store.cancel("mallory", x.orig), false, "SEC-5");
    x.cancelled = true;
  }
  toString = () => `Cancel(${this.mi})`;
}

class Track implements fc.AsyncCommand<Model, Real> {
  readonly mi: number;
  constructor(mi: number) {
    this.mi = mi;
  }
  check = (m: Model) => m.messages.length > 0;
  async run(m: Model, r: Real) {
    const x = m.messages[this.mi % m.messages.length]!;
    const t = await r.store.track("alice", x.orig);
    assert.equal(t !== undefined, alive(m, x));
    if (t) {
      assert.deepEqual(t.map((s) => s.pinned), x.recipients.map((rc) => rc.pinned));
      t.forEach((s, i) => assert.equal(s.nstatus === NStatus.silenced, x.recipients[i]!.silenced));
    }
  }
  toString = () => `Track(${this.mi})`;
}

/** Time passes past the back-off ceiling; one sweep must re-notify every live, unsilenced recipient. */
class AdvanceAndSweep implements fc.AsyncCommand<Model, Real> {
  readonly seconds: number;
  constructor(seconds: number) {
    this.seconds = seconds;
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const since = m.now + 1;
    m.now += this.seconds;
    r.clock.t = m.now * 1000;
    await r.notifier.sweepOnce();
    await r.notifier.idle();
    if (this.seconds > MAX_RETRY_S) {
      for (const x of m.messages) {
        if (!alive(m, x)) continue;
        for (const rc of x.recipients) {
          if (!rc.pinned || rc.silenced) continue;
          assert.ok((r.delivered.get(rc.id) ?? []).some((t) => t >= since), "re-notified within the back-off ceiling");
        }
      }
    }
  }
  toString = () => `Advance(${this.seconds})`;
}

describe("message store model (§12.1, §16.1)", () => {
  it("MessageStore follows the model through random interleavings with a manual clock", async () => {
    const commands = [
      fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.integer({ min: MIN_LIFETIME, max: MIN_LIFETIME + 40 })).map(([n, l, lt]) => new Submit(n === 0 && !l ? 1 : n, l, lt)),
      fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => new Retrieve(a, b)),
      fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => new Silence(a, b)),
      fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => new UnPin(a, b)),
      fc.nat().map((a) => new Cancel(a)),
      fc.nat().map((a) => new Track(a)),
      fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: MAX_RETRY_S + 1, max: 30 })).map((s) => new AdvanceAndSweep(s)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
        const clock = {
          t: 1_000_000_000_000,
          now() {
            return this.t;
          },
          setTimer: () => ({ cancel() {} }),
        };
        const model: Model = { now: 1_000_000_000, messages: [] };
        const store = await MessageStore.open(new MemoryStorage(), { clock, lists: ["l"], limits: { minLifetime: MIN_LIFETIME } });
        const delivered = new Map<string, number[]>();
        const real: Real = { clock, store, notifier: undefined as unknown as Notifier, delivered, lastCommit: undefined };
        const silencedAt = () => new Set(model.messages.flatMap((x) => x.recipients.filter((rc) => rc.silenced || !rc.pinned).map((rc) => rc.id)));
        real.notifier = new Notifier(store, {
          clock,
          log: silentLogger,
          storeclear: { kind: "domain", value: ["store", "test"] },
          firstRetryMs: 1000,
          maxRetryMs: MAX_RETRY_S * 1000,
          sweepIntervalMs: 1000,
          deliver: async (_domain, batch) => {
            const done = silencedAt();
            for (const n of batch) {
              const id = toHex(n.identifier);
              assert.ok(!done.has(id), "a silenced or un-pinned recipient is never notified again");
              delivered.set(id, [...(delivered.get(id) ?? []), model.now]);
            }
            return { kind: "delivered" };
          },
        });
        store.onCommit = (c) => {
          real.lastCommit = { r: c.info.r.map((x) => x[2]) };
          real.notifier.onCommit(c);
        };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await real.notifier.stop();
        await store.close();
      }),
      { numRuns: 60 },
    );
  });
});
