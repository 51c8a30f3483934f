/**
 * `backtest.seconds`: `churnwatch backtest` end to end on the embedded stack — 1,700 customers, 24
 * months of the sample book (~0.8M events), loaded through the real paths, histories read back, the
 * walk-forward backtest at 10 month-ends — plus where the time goes. `--quick`: 60 customers, 14 months,
 * 4 month-ends, under names of its own (`backtest.quick.seconds`): a book that small measures no forecast.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../lambdas/shared/config';
import { runLocalBacktest } from '../local/backtest';
import { generateSampleSaas, sampleConfig, writeSampleSaas } from '../local/sample-data/generate';
import type { BenchModule, Figure } from './harness';

const AS_OF = '2026-06-30';

export const backtestBench: BenchModule = {
  name: 'backtest',
  async run({ quick }) {
    // The handlers' structured logs are for CloudWatch; here they would drown the figures.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const customers = quick ? 60 : 1700;
    const months = quick ? 14 : 24;
    const name = (figure: string) => `backtest.${quick ? 'quick.' : ''}${figure}`;
    const dir = await mkdtemp(join(tmpdir(), 'churnwatch-bench-backtest-'));
    try {
      const sample = generateSampleSaas({ asOf: AS_OF, customers, months, seed: 4242 });
      await writeSampleSaas(sample, dir);
      const files = async (d: string) => (await readdir(join(dir, d))).map((f) => join(dir, d, f)).sort();
      const started = performance.now();
      const run = await runLocalBacktest({
        billing: await files('billing'),
        events: await files('events'),
        config: parseConfig(sampleConfig),
        from: quick ? '2025-12-31' : '2025-06-30',
        to: '2026-03-31',
        progress: (m) => process.stderr.write(`   · ${m}\n`),
        now: () => new Date(`${AS_OF}T23:00:00Z`),
      });
      const seconds = (performance.now() - started) / 1000;
      const e = run.result.evaluation;
      const where = `load ${run.seconds.load.toFixed(0)} s, read back ${run.seconds.read.toFixed(0)} s, backtest ${run.seconds.backtest.toFixed(0)} s`;
      return [
        {
          name: name('seconds'),
          value: seconds,
          unit: 's',
          note: `${customers} customers, ${months} months, ${sample.events.length} events, ${run.result.dates.length} month-ends (${where}; target ≤ 900)`,
        },
        {
          name: name('auc'),
          value: e.auc ?? NaN,
          unit: 'AUC',
          note: `sample book seed 4242; old fixed points ${run.result.baselines.fixedPoints.auc?.toFixed(2)}`,
        },
        {
          name: name('precisionTop10'),
          value: e.precisionTop10 ?? NaN,
          unit: 'share',
          note: 'churned within 90 days among the top 10 per date',
        },
        { name: name('flaggedShare'), value: e.flaggedShare ?? NaN, unit: 'share', note: 'red + yellow among forecast customers' },
      ] satisfies Figure[];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
