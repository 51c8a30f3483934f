import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeiling, forEachLimit, sleep, taskPool, withRetries } from '../../../lambdas/shared/retry';
import { propertyRuns } from '../../support/property-runs';

describe('backoffCeiling', () => {
  it('doubles from the base and never passes the cap', () => {
    expect([1, 2, 3].map((a) => backoffCeiling(a, { baseMs: 10, capMs: 1_000 }))).toEqual([20, 40, 80]);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 60_000 }),
        (attempt, baseMs, capMs) => {
          const c = backoffCeiling(attempt, { baseMs, capMs });
          expect(c).toBeLessThanOrEqual(capMs);
          expect(backoffCeiling(attempt + 1, { baseMs, capMs })).toBeGreaterThanOrEqual(c);
        },
      ),
      { numRuns: propertyRuns(200) },
    );
  });
});

describe('withRetries', () => {
  const failing = (times: number, error = new Error('busy')) => {
    let calls = 0;
    const fn = async () => {
      calls++;
      if (calls <= times) throw error;
      return calls;
    };
    return { fn, calls: () => calls };
  };
  const fast = { baseMs: 0.01, capMs: 0.1 };

  it('returns the first success and reports each retried failure', async () => {
    const f = failing(2);
    const retried: number[] = [];
    await expect(withRetries(f.fn, { attempts: 4, ...fast, onRetry: (_e, n) => retried.push(n) })).resolves.toBe(3);
    expect(retried).toEqual([1, 2]);
  });

  it('gives up after the attempts and rethrows the last error', async () => {
    const f = failing(10);
    await expect(withRetries(f.fn, { attempts: 3, ...fast })).rejects.toThrow('busy');
    expect(f.calls()).toBe(3);
  });

  it('does not retry an error that is not retryable', async () => {
    const f = failing(5, Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException' }));
    await expect(
      withRetries(f.fn, { attempts: 5, ...fast, retryable: (e) => (e as Error).name !== 'ResourceNotFoundException' }),
    ).rejects.toThrow('no such table');
    expect(f.calls()).toBe(1);
  });
});

describe('forEachLimit', () => {
  it('visits every input once with at most `limit` in flight', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), async (inputs, limit) => {
        let inFlight = 0;
        let most = 0;
        const seen: number[] = [];
        await forEachLimit(inputs, limit, async (x) => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 0));
          seen.push(x);
          inFlight--;
        });
        expect(seen.sort()).toEqual([...inputs].sort());
        expect(most).toBeLessThanOrEqual(limit);
      }),
      { numRuns: propertyRuns(100) },
    );
  });

  it('rejects with the first failure and refuses a limit below 1', async () => {
    await expect(
      forEachLimit([1, 2, 3], 2, async (x) => {
        if (x === 2) throw new Error('two');
      }),
    ).rejects.toThrow('two');
    await expect(forEachLimit([1], 0, async () => {})).rejects.toThrow(/at least 1/);
  });
});

describe('taskPool', () => {
  it('runs tasks as they are produced, at most `limit` at once, and settles when all are done', async () => {
    const pool = taskPool(3);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    for (let i = 0; i < 20; i++) {
      await pool.run(async () => {
        peak = Math.max(peak, ++running);
        await sleep(i % 4);
        running--;
        done.push(i);
      });
    }
    await pool.settle();
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('starts nothing after a failure, lets the running tasks finish, and reports the first failure', async () => {
    const pool = taskPool(2);
    const started: number[] = [];
    let finished = 0;
    const attempt = async (i: number) =>
      pool.run(async () => {
        started.push(i);
        await sleep(i === 0 ? 0 : 5);
        if (i === 0) throw new Error('first');
        finished++;
      });
    await attempt(0);
    await attempt(1);
    await expect(attempt(2)).rejects.toThrow('first');
    await expect(pool.settle()).rejects.toThrow('first');
    expect(started).toEqual([0, 1]);
    expect(finished).toBe(1);
  });
});
