import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/shared/config';
import { refitModel } from '../../../lambdas/snapshot/refit';
import { batchPut } from '../../../lambdas/store/batch';
import { readCustomerHistories } from '../../../lambdas/store/history-reader';
import { keys } from '../../../lambdas/store/keys';
import { inTrainingSample, trainingShare } from '../../../lambdas/store/training-sample';
import { profileItem, SYNTHETIC_SETTINGS, syntheticTimelines } from '../../../bench/synthetic';
import { scaled } from '../../support/timeouts';
import { useEmbeddedStack } from '../../support/stack';

const local = useEmbeddedStack({ ses: false });
const asOf = '2026-06-30';
const BOOK = 1_500;

describe('the monthly refit on a book larger than risk.maxTrainingCustomers', () => {
  it(
    'reads the profiles and daily rollups of a fixed hashed sample only, and says so in the stored model',
    async () => {
      const { dynamo } = local.stack.clients;
      const customers = syntheticTimelines({ customers: BOOK, asOf, seed: 31 });
      // One daily rollup per customer beside its profile: the reader must query only the sample's.
      const days = customers.map((c) => ({ ...keys.day(c.customerId, '2026-06-29'), type: 'day', n: 3 }));
      await batchPut(dynamo, local.stack.tableName, [...customers.map(profileItem), ...days], 8);

      const whole = await readCustomerHistories(dynamo, local.stack.tableName);
      expect(whole.stats).toMatchObject({ customers: BOOK, share: 1, dayItems: BOOK });

      const max = 1_000;
      const share = trainingShare(BOOK, max);
      const expected = customers.map((c) => c.customerId).filter((id) => inTrainingSample(id, share));
      const sampled = await readCustomerHistories(dynamo, local.stack.tableName, { maxCustomers: max });
      expect(sampled.stats).toMatchObject({ profiles: BOOK, share, customers: expected.length, dayItems: expected.length });
      expect(sampled.customers.map((c) => c.customerId)).toEqual([...expected].sort());
      expect(Math.abs(expected.length - max)).toBeLessThan(80);
      // Whole histories of the customers it kept: the same timelines the unsampled read returned.
      const byId = new Map(whole.customers.map((c) => [c.customerId, c]));
      for (const c of sampled.customers) expect(c).toEqual(byId.get(c.customerId));
      expect(sampled.stats.readUnits).toBeLessThan(whole.stats.readUnits * 0.8);

      const config = parseConfig({ ...SYNTHETIC_SETTINGS, risk: { maxTrainingCustomers: max } });
      const { stored, stats } = await refitModel(dynamo, local.stack.tableName, config, asOf);
      expect(stats.customers).toBe(expected.length);
      expect(stored.backtest?.sample).toEqual({ customers: expected.length, share });
      expect(stored.backtest!.evaluation.customers).toBeGreaterThan(0);
    },
    scaled(180_000),
  );
});
