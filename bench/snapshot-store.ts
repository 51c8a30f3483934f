/**
 * The snapshot Lambda's work on the emulated DynamoDB: a parallel scan of N customer profiles, the
 * engine, and the reports to S3. Profiles are seeded directly in the shape the ingest paths keep
 * them (ledger part + 90 days of activity), so seeding does not dominate the run. Reports seconds,
 * items read and the read units DynamoDB reports per customer, for two sizes and their ratio.
 *
 *   npx tsx bench/snapshot-store.ts [--quick]
 */
import { parseConfig } from '../lambdas/shared/config';
import { runSnapshot } from '../lambdas/snapshot/run-snapshot';
import { batchPut } from '../lambdas/store/batch';
import { startEmbeddedStack } from '../local/stack';
import { formatTable, isMain, recordResults, time, type BenchModule, type Figure } from './harness';
import { profileItem, SYNTHETIC_SETTINGS, syntheticCustomers } from './synthetic';

const AS_OF = '2026-06-30';

async function measure(customers: number) {
  const stack = await startEmbeddedStack({ ses: false });
  try {
    const items: Record<string, unknown>[] = [];
    let bytes = 0;
    for (const t of syntheticCustomers({ customers, asOf: AS_OF, seed: 42 })) {
      const item = profileItem(t);
      bytes += JSON.stringify(item).length;
      items.push(item);
    }
    await batchPut(stack.clients.dynamo, stack.tableName, items, 8);
    items.length = 0;
    const config = parseConfig({ ...SYNTHETIC_SETTINGS, fxRates: SYNTHETIC_SETTINGS.fxRates });
    const { result, seconds } = await time(() =>
      runSnapshot(
        { dynamo: stack.clients.dynamo, s3: stack.clients.s3, tableName: stack.tableName, bucketName: stack.bucketName, config },
        AS_OF,
      ),
    );
    return { seconds, stats: result.stats, avgProfileBytes: bytes / customers, atRisk: result.atRiskCount };
  } finally {
    await stack.stop();
  }
}

export const snapshotStoreBench: BenchModule = {
  name: 'snapshot-store',
  async run({ quick }) {
    const [small, large] = quick ? [1_000, 5_000] : [10_000, 50_000];
    // The quick run's figures have names of their own: they must not overwrite the full run's.
    const name = (figure: string) => `snapshot.${quick ? 'quick.' : ''}${figure}`;
    const a = await measure(small);
    const b = await measure(large);
    return [
      { name: name(`storeSeconds${small / 1000}k`), value: a.seconds, unit: 's', note: `${small} profiles: scan + engine + reports` },
      { name: name(`storeSeconds${large / 1000}k`), value: b.seconds, unit: 's', note: `${large} profiles` },
      {
        name: name('storeRatio'),
        value: b.seconds / a.seconds,
        unit: 'x',
        // DynamoDB Local serves a page in time growing with its segment's size, so the scan sizes its
        // segments (1 per ~2,500 profiles); with 4 fixed segments 50k took 61 s here, ratio 18.
        note: `time ${large}/${small} (linear = ${large / small}); scan segments scale with the profiles`,
      },
      {
        name: name('itemsPerCustomer'),
        value: b.stats.itemsRead / b.stats.customers,
        unit: 'items',
        note: 'one profile per customer, whatever its history',
      },
      {
        name: name('itemsRead'),
        value: b.stats.itemsRead,
        unit: 'items',
        note: `${b.stats.requests} scan requests in ${b.stats.segments} segments, ${b.stats.customers} customers`,
      },
      {
        name: name('readUnitsPerCustomer'),
        value: b.stats.readUnits / b.stats.customers,
        unit: 'RCU',
        note: `eventually consistent scan; avg profile ${(b.avgProfileBytes / 1024).toFixed(1)} KB (target ≤ 2)`,
      },
    ] satisfies Figure[];
  },
};

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const figures = await snapshotStoreBench.run({ quick });
  recordResults(figures);
  console.log(formatTable(figures));
}
