import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Flatten } from '../../../lambdas/formats/flatten';
import { propertyRuns } from '../../support/property-runs';

async function* batches<T>(list: T[][], log: string[]): AsyncGenerator<T[]> {
  try {
    for (const b of list) {
      await new Promise((r) => setImmediate(r));
      yield b;
    }
  } finally {
    log.push('closed');
  }
}

describe('Flatten', () => {
  it('yields every item in order, skipping empty batches, even when next() is called before the last one settled', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer(), { maxLength: 4 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 5 }),
        async (list, parallel) => {
          const it = new Flatten(batches(list, []));
          const got: number[] = [];
          for (;;) {
            // Several next() calls in flight at once, as a careless consumer might make.
            const rs = await Promise.all(Array.from({ length: parallel }, () => it.next()));
            for (const r of rs) if (!r.done) got.push(r.value);
            if (rs.some((r) => r.done)) break;
          }
          expect(got).toEqual(list.flat());
          expect(await it.next()).toEqual({ value: undefined, done: true });
        },
      ),
      { numRuns: propertyRuns(100) },
    );
  });

  it('breaking out of for-await closes the source; errors from the source reach the consumer', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    for await (const x of new Flatten(batches([[1, 2], [3], [4, 5]], log))) {
      seen.push(x);
      if (x === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(log).toEqual(['closed']);

    async function* failing(): AsyncGenerator<number[]> {
      yield [1];
      throw new Error('boom');
    }
    const items: number[] = [];
    await expect(
      (async () => {
        for await (const x of new Flatten(failing())) items.push(x);
      })(),
    ).rejects.toThrow('boom');
    expect(items).toEqual([1]);
  });
});
