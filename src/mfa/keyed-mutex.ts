/**
 * Per-key serialisation of async work in this process: two verifications for
 * one subject never interleave their read-check-write, so a TOTP step or a
 * backup code cannot be accepted twice by concurrent requests. Memory is
 * bounded by the number of keys with work in flight.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Run `fn` after every earlier `run` for `key` has settled. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
