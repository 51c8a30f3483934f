/**
 * One customer on one day, as the forecast sees it: active or not, on the save list (a cancellation
 * already on file) or forecast, with its signals and feature row. Shared by the snapshot and the
 * backtest, so a backtest measures exactly what the snapshot would have said.
 */
import { activityWindows, type ActivityWindows } from '../activity';
import { dayNum } from '../dates';
import type { CustomerMrr } from '../mrr';
import { riskReasons, RECENT_DAYS } from '../risk';
import type { Cancellation, CustomerTimeline, Day, EngineSettings, RiskReason } from '../types';
import { featureRow, type FeatureRow } from './features';
import { weekStartOf, weeksFromDays, type WeekSummary } from './weeks';

export interface WindowCalendar {
  asOf: number;
  windowDays: string[];
  windowIndex: Map<string, number>;
  windowStart: number;
}

export interface Assessment {
  mrr: number;
  mrrPrevious: number;
  firstActiveDay: number;
  windows: ActivityWindows;
  signals: RiskReason[];
  /** The pending cancellation that ends all of the customer's MRR, when one is on file. */
  scheduled: { effectiveAt: Day; canceledAt: Day | null; reason: string | null } | null;
  /** The forecast's inputs (null for customers on the save list, who are not forecast). */
  row: FeatureRow | null;
}

/**
 * Assesses a customer active on `cal.asOf`, or returns undefined when it is not. `built` must be the
 * MRR of the lines and cancellations known on asOf; `firstActiveDay` may come from archived history.
 */
export function assessCustomer(
  customer: CustomerTimeline,
  built: CustomerMrr,
  firstActiveDay: number | undefined,
  cal: WindowCalendar,
  settings: Pick<EngineSettings, 'coreFeatures' | 'retentionFeatures' | 'reportingCurrency'>,
  horizonDays: number,
): Assessment | undefined {
  const { asOf } = cal;
  const mrr = built.series.at(asOf);
  if (!(mrr > 0) || firstActiveDay === undefined) return undefined;
  const mrrPrevious = built.series.at(asOf - RECENT_DAYS);
  const windows = activityWindows(customer.activity ?? {}, cal.windowDays, cal.windowIndex);
  const signals = riskReasons({
    customer,
    lines: built.lines,
    asOf,
    windows,
    windowStart: cal.windowStart,
    firstActiveDay,
    mrrNow: mrr,
    mrrThirtyDaysAgo: mrrPrevious,
    settings,
    currency: settings.reportingCurrency,
  });
  const scheduled = pendingCancellation(built, asOf);
  const weeks = weeksOf(customer, asOf);
  const row = scheduled
    ? null
    : featureRow({
        asOf,
        horizonDays,
        series: built.series,
        contributions: built.contributions,
        lines: built.lines,
        firstActiveDay,
        windows,
        weeks,
        lastEventDay: lastEventDay(windows, cal.windowStart, weeks, asOf),
        signals,
      });
  return { mrr, mrrPrevious, firstActiveDay, windows, signals, scheduled, row };
}

/**
 * A customer is on the save list when every subscription paying on asOf has a cancellation on file
 * that takes effect later: all of its MRR is already known to end. Cancelling one add-on is not churn.
 */
export function pendingCancellation(built: CustomerMrr, asOf: number): Assessment['scheduled'] {
  const pending = new Map<string, Cancellation>();
  for (const c of built.cancellations) if (dayNum(c.effectiveAt) > asOf) pending.set(c.subscriptionId, c);
  if (!pending.size) return null;
  let last: Cancellation | undefined;
  for (const c of built.contributions) {
    if (c.start > asOf || c.end <= asOf || c.mrr <= 0) continue;
    const cancel = c.line.subscriptionId === undefined ? undefined : pending.get(c.line.subscriptionId);
    if (!cancel) return null;
    if (!last || cancel.effectiveAt > last.effectiveAt) last = cancel;
  }
  if (!last) return null;
  return { effectiveAt: last.effectiveAt, canceledAt: last.canceledAt ?? null, reason: last.reason?.trim() || null };
}

/** Weekly summaries up to asOf: the profile's own, else built from the daily activity it holds. */
function weeksOf(customer: CustomerTimeline, asOf: number): Map<number, WeekSummary> {
  if (!customer.weeks) return weeksFromDays(customer.activity ?? {}, asOf);
  const weeks = new Map<number, WeekSummary>();
  const current = weekStartOf(asOf);
  for (const key in customer.weeks) {
    const w = dayNum(key);
    if (w <= current) weeks.set(w, customer.weeks[key]!);
  }
  return weeks;
}

/**
 * Last day with an event: exact within the 56-day window, else the end of the latest active week
 * (the profile keeps only weekly summaries that far back; recency is capped at 90 days anyway).
 */
function lastEventDay(
  windows: ActivityWindows,
  windowStart: number,
  weeks: ReadonlyMap<number, WeekSummary>,
  asOf: number,
): number | undefined {
  if (windows.lastActiveIndex >= 0) return windowStart + windows.lastActiveIndex;
  let last: number | undefined;
  for (const [w, week] of weeks) if (week.days > 0 && w <= asOf && (last === undefined || w > last)) last = w;
  return last === undefined ? undefined : Math.min(asOf, last + 6);
}
