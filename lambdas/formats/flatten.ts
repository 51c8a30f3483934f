/**
 * Rows one by one from an async source of batches. A hand-written iterator rather than an async
 * generator: handing out a row already in memory then costs one resolved promise, where an async
 * generator's `yield` costs several microtask turns, which at a million rows is a sizeable share of
 * the whole parse. Closing it early (`break` in for-await) closes the source.
 */
export class Flatten<T> implements AsyncIterableIterator<T> {
  private batch: readonly T[] = [];
  private index = 0;
  private refilling: Promise<IteratorResult<T>> | undefined;

  constructor(private readonly source: AsyncIterator<readonly T[]>) {}

  next(): Promise<IteratorResult<T>> {
    if (this.refilling) return this.refilling.then(() => this.next());
    if (this.index < this.batch.length) return Promise.resolve({ value: this.batch[this.index++]!, done: false });
    this.refilling = this.refill().finally(() => {
      this.refilling = undefined;
    });
    return this.refilling;
  }

  private async refill(): Promise<IteratorResult<T>> {
    for (;;) {
      const r = await this.source.next();
      if (r.done) {
        this.batch = [];
        this.index = 0;
        return { value: undefined, done: true };
      }
      if (r.value.length > 0) {
        this.batch = r.value;
        this.index = 1;
        return { value: r.value[0]!, done: false };
      }
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.batch = [];
    this.index = 0;
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
