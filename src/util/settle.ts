// Waiting for work to finish, but not for ever: shutdown gives sessions a grace period, then
// cuts whatever is left.

/** Resolves when every promise settled, or after graceMs, calling onTimeout first in that case. */
export async function settleWithin(work: Iterable<Promise<unknown>>, graceMs: number, onTimeout: () => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(work),
    new Promise<void>((r) => {
      timer = setTimeout(() => {
        onTimeout();
        r();
      }, graceMs);
    }),
  ]);
  if (timer !== undefined) clearTimeout(timer);
}
