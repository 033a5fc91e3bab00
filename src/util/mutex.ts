// A FIFO mutex for async work that must not interleave (one IM2000 transaction per session, one
// storage operation at a time).

export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.#tail.then(fn);
    this.#tail = r.then(
      () => {},
      () => {},
    );
    return r;
  }
}
