// Time, behind an interface so that tests and the conformance runner can drive timers
// (im2000 §18 C-15: every timer is configurable; a model test advances a manual clock).

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since 1970-01-01T00:00:00Z. */
  now(): number;
  /** Calls fn once after ms milliseconds unless cancelled. */
  setTimer(ms: number, fn: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    // A pending retry or expiry sweep must not keep a finished process alive.
    (t as { unref?: () => void }).unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Seconds since the epoch, floored (im2000 §6 item 7). */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/** Resolves after ms milliseconds of the given clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((r) => {
    clock.setTimer(ms, r);
  });
}
