/**
 * The monthly refit: reads every customer's full history once (a fixed sample of a book above
 * `risk.maxTrainingCustomers`), runs the walk-forward backtest over the last 12 month-ends and keeps its last model (fitted only on outcomes known by then) together
 * with the figures that show how well it worked.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addMonthsClamped, dayFromNum, dayNum, monthEndNum, monthIndexOfNum } from '../domain/dates';
import { runBacktest } from '../domain/forecast/backtest';
import { modelFor } from '../domain/forecast/model';
import type { Day } from '../domain/types';
import type { Config } from '../shared/config';
import { readCustomerHistories, type HistoryStats } from '../store/history-reader';
import type { StoredModel } from '../store/model-store';

/** A model is refitted when it is this old, so the schedule's month-end run refits once a month. */
export const REFIT_AFTER_DAYS = 28;

export function needsRefit(stored: StoredModel | undefined, asOf: Day, horizonDays: number): boolean {
  if (!stored || stored.model.horizonDays !== horizonDays) return true;
  const fitted = stored.model.fittedAt ?? stored.storedAt.slice(0, 10);
  return dayNum(asOf) - dayNum(fitted) >= REFIT_AFTER_DAYS;
}

/** The last month-end on or before `day`. */
export function lastMonthEnd(day: Day): Day {
  const d = dayNum(day);
  const m = monthIndexOfNum(d);
  return dayFromNum(monthEndNum(m) === d ? d : monthEndNum(m - 1));
}

export async function refitModel(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  config: Config,
  asOf: Day,
  now = () => new Date(),
): Promise<{ stored: StoredModel; stats: HistoryStats }> {
  const { customers, stats } = await readCustomerHistories(dynamo, tableName, { maxCustomers: config.risk.maxTrainingCustomers });
  const to = lastMonthEnd(asOf);
  const from = lastMonthEnd(addMonthsClamped(to, -11));
  const storedAt = now().toISOString();
  try {
    const result = runBacktest({ customers, settings: config, risk: config.risk, from, to });
    const { evaluation, baselines, saveList, model } = result;
    const sample = { customers: stats.customers, share: stats.share };
    return { stored: { model, backtest: { from, to, evaluation, baselines, saveList, sample }, storedAt }, stats };
  } catch (err) {
    // No billing data yet, or no month-end to evaluate: the default model, without figures.
    if (!(err instanceof RangeError)) throw err;
    return { stored: { model: modelFor({ rows: [], labels: [] }, to, config.risk), backtest: null, storedAt }, stats };
  }
}
