/**
 * `churnwatch backtest`: the files are loaded once into a fresh embedded stack through the same paths
 * as `local run`, the full histories are read back from the table as the monthly refit reads them,
 * and the walk-forward backtest runs on them (docs/metrics.md §3.7).
 */
import { runBacktest, type BacktestResult } from '../lambdas/domain/forecast/backtest';
import type { Day } from '../lambdas/domain/types';
import type { Config } from '../lambdas/shared/config';
import { readCustomerHistories, type HistoryStats } from '../lambdas/store/history-reader';
import { startLoadedStack, type LoadedStack } from './pipeline';

export interface LocalBacktestOptions {
  billing: string[];
  events: string[];
  config: Config;
  from: Day;
  to: Day;
  progress?: (message: string) => void;
  now?: () => Date;
}

export interface LocalBacktest {
  result: BacktestResult;
  history: HistoryStats;
  loaded: Pick<LoadedStack, 'files' | 'usage'>;
  seconds: { load: number; read: number; backtest: number };
}

export async function runLocalBacktest(opts: LocalBacktestOptions): Promise<LocalBacktest> {
  const progress = opts.progress ?? (() => undefined);
  const t0 = performance.now();
  const loaded = await startLoadedStack(opts);
  try {
    const t1 = performance.now();
    progress('reading the customer histories back…');
    const { customers, stats } = await readCustomerHistories(loaded.stack.clients.dynamo, loaded.stack.tableName);
    const t2 = performance.now();
    progress(`backtesting ${customers.length} customers at the month-ends from ${opts.from} to ${opts.to}…`);
    const result = runBacktest({ customers, settings: opts.config, risk: opts.config.risk, from: opts.from, to: opts.to });
    const t3 = performance.now();
    return {
      result,
      history: stats,
      loaded: { files: loaded.files, usage: loaded.usage },
      seconds: { load: (t1 - t0) / 1000, read: (t2 - t1) / 1000, backtest: (t3 - t2) / 1000 },
    };
  } finally {
    await loaded.stop();
  }
}
