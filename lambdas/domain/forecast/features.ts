/**
 * The forecast's inputs for one customer on one day (docs/metrics.md §3.6). Every value is computed
 * only from what was known on that day, so the same function serves the daily snapshot, the monthly
 * refit and the walk-forward backtest.
 */
import type { ActivityWindows } from '../activity';
import { WINDOW_DAYS } from '../activity';
import { dayNum } from '../dates';
import { recentFailedPayments } from '../risk';
import type { MrrContribution, MrrSeries } from '../mrr';
import type { LedgerLine, RiskCode, RiskReason } from '../types';
import type { FactorCode } from './types';
import { weekStartOf, WEEKS_KEPT, type WeekSummary } from './weeks';

/**
 * The feature vector, in order, with the factor each input's points are reported under (correlated
 * usage inputs become one factor). Changing it invalidates stored models: they carry the names.
 */
const FEATURE_TABLE = [
  ['engagement_level', 'engagement'],
  ['engagement_log_level', 'engagement'],
  ['engagement_last_week', 'engagement'],
  ['engagement_trend', 'engagement'],
  ['engagement_recent_trend', 'engagement'],
  ['engagement_slope_12w', 'engagement'],
  ['events_trend', 'engagement'],
  ['users_trend', 'engagement'],
  ['breadth_trend', 'engagement'],
  ['recency', 'engagement'],
  ['never_used', 'engagement'],
  ['frequency_downgrade', 'engagement'],
  ['activity_decline', 'engagement'],
  ['inactive', 'engagement'],
  ['module_reduction', 'engagement'],
  ['core_feature_unused', 'engagement'],
  ['retention_feature_lost', 'engagement'],
  ['tenure', 'tenure'],
  ['has_baseline', 'tenure'],
  ['renewal_due', 'renewal'],
  ['committed', 'renewal'],
  ['payment_failed', 'payment_failed'],
  ['failed_invoices_90d', 'payment_failed'],
  ['payment_outstanding', 'payment_failed'],
  ['payment_in_dunning', 'payment_failed'],
  ['mrr_change_90d', 'mrr_movement'],
  ['contraction', 'mrr_movement'],
  ['not_activated', 'onboarding'],
] as const satisfies readonly (readonly [string, FactorCode])[];

export const FEATURES = FEATURE_TABLE.map(([name]) => name);
export type FeatureName = (typeof FEATURE_TABLE)[number][0];
export const FEATURE_FACTOR = Object.fromEntries(FEATURE_TABLE) as Record<FeatureName, FactorCode>;

/**
 * Inputs whose points are counted from 0 (the fact is absent) rather than from the training mean: a
 * CSM reads "payment failed: +45 points", and a customer without the fact gets no points for it.
 */
export const COUNTED_FROM_ZERO: ReadonlySet<FeatureName> = new Set<FeatureName>([
  'never_used',
  'frequency_downgrade',
  'activity_decline',
  'inactive',
  'module_reduction',
  'core_feature_unused',
  'retention_feature_lost',
  'has_baseline',
  'renewal_due',
  'committed',
  'payment_failed',
  'failed_invoices_90d',
  'payment_outstanding',
  'payment_in_dunning',
  'contraction',
  'not_activated',
]);

/** Baseline: up to 13 months (56 weeks) of weeks that ended before the current 28-day window. */
const BASELINE_WEEKS = 56;
const MIN_BASELINE_WEEKS = 4;
const RECENCY_CAP_DAYS = 90;
/** A line of 59+ days is a multi-month commitment (quarterly, annual): churn waits for its renewal. */
const MULTI_MONTH_DAYS = 59;
/**
 * Billing systems retry a failed charge for a few weeks before they give up (Stripe's default smart
 * retries: 8 tries within 2 weeks; most dunning settings stay within 3 weeks). A recurring charge
 * that failed within this window and has no paid period after it is still being collected: the
 * customer either fixes the card or leaves soon. An older one that still shows `failed` on an
 * active subscription was, in practice, recovered.
 */
export const DUNNING_WINDOW_DAYS = 21;

/** The facts behind the features, kept for the factor sentences. */
export interface FeatureFacts {
  activeDays: number;
  baselineActiveDays: number | null;
  seasonalIndex: number | null;
  usersNow: number;
  usersBaseline: number | null;
  breadthNow: number;
  breadthBaseline: number | null;
  daysSinceLastEvent: number | null;
  tenureDays: number;
  renewalDay: number | null;
  mrrNow: number;
  mrr90DaysAgo: number;
  failedInvoices90d: number;
  /** Days since the latest recurring invoice's charge failed, while no paid period follows it; else null. */
  failedChargeDaysAgo: number | null;
  signals: readonly RiskReason[];
}

export interface FeatureRow {
  values: number[];
  facts: FeatureFacts;
}

export interface FeatureInput {
  asOf: number;
  horizonDays: number;
  series: MrrSeries;
  contributions: readonly MrrContribution[];
  /** Canonical lines known on asOf. */
  lines: readonly LedgerLine[];
  firstActiveDay: number;
  windows: ActivityWindows;
  /** Weekly summaries keyed by week-start day number; weeks after asOf must not be present. */
  weeks: ReadonlyMap<number, WeekSummary>;
  lastEventDay: number | undefined;
  /** The signals on asOf (docs/metrics.md §3.5). */
  signals: readonly RiskReason[];
}

export function featureRow(input: FeatureInput): FeatureRow {
  const { asOf, windows, weeks } = input;
  const activeDays = windows.activeDaysCurrent;
  const currentStart = asOf - WINDOW_DAYS + 1;
  const currentWeek = weekStartOf(currentStart);

  const baseline = baselineUsage(weeks, weekStartOf(currentStart) - 7, Math.max(weekStartOf(input.firstActiveDay), oldestKeptWeek(asOf)));
  const hasBaseline = baseline.weeks >= MIN_BASELINE_WEEKS;
  const baselineActiveDays = hasBaseline ? (4 * baseline.days) / baseline.weeks : null;
  const baselineEvents28 = hasBaseline ? (4 * baseline.events) / baseline.weeks : null;
  const usersBaseline = hasBaseline && baseline.activeWeeks ? baseline.usersSum / baseline.activeWeeks : null;
  const breadthBaseline = hasBaseline && baseline.activeWeeks ? baseline.breadthSum / baseline.activeWeeks : null;
  const { events28, lastWeekDays } = currentWindowCounts(windows.counts);
  const { usersNow, breadthNow } = currentBreadth(weeks, currentWeek, asOf);

  const slope = weeklySlope(weeks, weekStartOf(asOf) - 7, input.firstActiveDay);
  const seasonalIndex = hasBaseline ? seasonalIndexOf(weeks, asOf, input.firstActiveDay, baselineActiveDays!) : null;
  const expected = baselineActiveDays ?? windows.activeDaysPrevious;
  const trend = Math.log((activeDays + 1) / ((expected + 1) * (seasonalIndex ?? 1)));

  const lastEvent = input.lastEventDay;
  const daysSinceLastEvent = lastEvent === undefined ? null : asOf - lastEvent;
  const recencyDays = Math.min(RECENCY_CAP_DAYS, daysSinceLastEvent ?? RECENCY_CAP_DAYS);

  const tenureDays = asOf - input.firstActiveDay;
  const renewalDay = multiMonthRenewal(input.contributions, asOf);
  const failedInvoices90d = recentFailedPayments(input.lines, asOf, 90).length;
  const failedCharge = latestRecurringFailure(input.lines, asOf);
  const failedChargeDaysAgo = failedCharge === undefined ? null : asOf - failedCharge;
  const mrrNow = input.series.at(asOf);
  const mrr90DaysAgo = input.series.at(asOf - 90);

  const has = new Set<RiskCode>(input.signals.map((s) => s.code));
  const flag = (code: RiskCode) => (has.has(code) ? 1 : 0);
  const logRatio = (now: number, base: number | null) => (base === null ? 0 : Math.log((now + 1) / (base + 1)));

  const byName: Record<FeatureName, number> = {
    engagement_level: activeDays / WINDOW_DAYS,
    engagement_log_level: Math.log1p(activeDays) / Math.log1p(WINDOW_DAYS),
    engagement_last_week: lastWeekDays / 7,
    engagement_trend: trend,
    engagement_recent_trend: Math.log((activeDays + 1) / (windows.activeDaysPrevious + 1)),
    engagement_slope_12w: slope,
    events_trend: logRatio(events28, baselineEvents28),
    users_trend: logRatio(usersNow, usersBaseline),
    breadth_trend: logRatio(breadthNow, breadthBaseline),
    recency: Math.log1p(recencyDays) / Math.log1p(RECENCY_CAP_DAYS),
    never_used: lastEvent === undefined ? 1 : 0,
    frequency_downgrade: flag('frequency_downgrade'),
    activity_decline: flag('activity_decline'),
    inactive: flag('inactive'),
    module_reduction: flag('module_reduction'),
    core_feature_unused: flag('core_feature_unused'),
    retention_feature_lost: flag('retention_feature_lost'),
    tenure: Math.log1p(tenureDays / 30.4375),
    has_baseline: hasBaseline ? 1 : 0,
    renewal_due: renewalDay !== null && renewalDay - asOf <= input.horizonDays ? 1 : 0,
    committed: renewalDay !== null && renewalDay - asOf > input.horizonDays ? 1 : 0,
    payment_failed: flag('payment_failed'),
    failed_invoices_90d: Math.min(3, failedInvoices90d) / 3,
    payment_outstanding: failedChargeDaysAgo === null ? 0 : 1,
    payment_in_dunning: failedChargeDaysAgo !== null && failedChargeDaysAgo <= DUNNING_WINDOW_DAYS ? 1 : 0,
    mrr_change_90d: mrr90DaysAgo > 0 ? Math.max(-3, Math.min(3, Math.log(mrrNow / mrr90DaysAgo))) : 0,
    contraction: flag('contraction'),
    not_activated: flag('not_activated'),
  };
  return {
    values: FEATURES.map((f) => byName[f]),
    facts: {
      activeDays,
      baselineActiveDays,
      seasonalIndex,
      usersNow,
      usersBaseline,
      breadthNow,
      breadthBaseline,
      daysSinceLastEvent,
      tenureDays,
      renewalDay,
      mrrNow,
      mrr90DaysAgo,
      failedInvoices90d,
      failedChargeDaysAgo,
      signals: input.signals,
    },
  };
}

/** Never older than the weeks a profile keeps, so the snapshot and a backtest see the same weeks. */
const oldestKeptWeek = (asOf: number) => weekStartOf(asOf) - 7 * (WEEKS_KEPT - 1);

/**
 * The baseline: whole weeks that ended before the current window (the last is `lastWeek`), within
 * 13 months and not before `notBefore` (the customer started paying; the profile's oldest week).
 * Weeks without any event count as zeros.
 */
function baselineUsage(weeks: ReadonlyMap<number, WeekSummary>, lastWeek: number, notBefore: number) {
  const totals = { weeks: 0, days: 0, events: 0, activeWeeks: 0, usersSum: 0, breadthSum: 0 };
  for (let w = Math.max(lastWeek - 7 * (BASELINE_WEEKS - 1), notBefore); w <= lastWeek; w += 7) {
    totals.weeks++;
    const week = weeks.get(w);
    if (!week || week.days === 0) continue;
    totals.days += week.days;
    totals.events += week.events;
    totals.activeWeeks++;
    totals.usersSum += week.users;
    totals.breadthSum += week.features;
  }
  return totals;
}

/** Events in the current 28-day window, and the active days of its last 7. */
function currentWindowCounts(counts: readonly number[]): { events28: number; lastWeekDays: number } {
  let events28 = 0;
  let lastWeekDays = 0;
  for (let i = counts.length - WINDOW_DAYS; i < counts.length; i++) {
    events28 += counts[i]!;
    if (i >= counts.length - 7 && counts[i]! > 0) lastWeekDays++;
  }
  return { events28, lastWeekDays };
}

/** The most users and features in any week of the current window. */
function currentBreadth(
  weeks: ReadonlyMap<number, WeekSummary>,
  currentWeek: number,
  asOf: number,
): { usersNow: number; breadthNow: number } {
  let usersNow = 0;
  let breadthNow = 0;
  for (const [w, week] of weeks) {
    if (w < currentWeek || w > asOf) continue;
    usersNow = Math.max(usersNow, week.users);
    breadthNow = Math.max(breadthNow, week.features);
  }
  return { usersNow, breadthNow };
}

/**
 * How active the customer usually is at this time of year, relative to its baseline: the weeks one
 * year before the current window against the baseline. A customer who dips every summer is
 * expected to dip. Null without a year of history.
 */
function seasonalIndexOf(weeks: ReadonlyMap<number, WeekSummary>, asOf: number, firstActiveDay: number, baseline: number): number | null {
  const yearAgoEnd = asOf - 364;
  const yearAgoStart = yearAgoEnd - WINDOW_DAYS + 1;
  if (firstActiveDay > weekStartOf(yearAgoStart)) return null;
  let n = 0;
  let days = 0;
  for (let w = weekStartOf(yearAgoStart); w <= weekStartOf(yearAgoEnd); w += 7) {
    n++;
    days += weeks.get(w)?.days ?? 0;
  }
  const yearAgo = (4 * days) / n;
  return Math.max(0.25, Math.min(2, (yearAgo + 1) / (baseline + 1)));
}

/**
 * Least-squares slope of active days per week over the last 12 whole weeks (from `lastWeek` back),
 * as a share of the week's 7 days: −1/11 per week means the customer lost a day a week, every week.
 * 0 with fewer than 6 weeks as a paying customer.
 */
function weeklySlope(weeks: ReadonlyMap<number, WeekSummary>, lastWeek: number, firstActiveDay: number): number {
  const first = Math.max(lastWeek - 7 * 11, weekStartOf(firstActiveDay));
  const n = (lastWeek - first) / 7 + 1;
  if (n < 6) return 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const y = (weeks.get(first + 7 * i)?.days ?? 0) / 7;
    sx += i;
    sy += y;
    sxx += i * i;
    sxy += i * y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

/** End of the current multi-month period (the renewal day), unless the renewal is already billed. */
function multiMonthRenewal(contributions: readonly MrrContribution[], asOf: number): number | null {
  let end: number | null = null;
  for (const c of contributions) {
    if (c.start > asOf || c.end <= asOf || c.mrr <= 0 || !c.line.periodEnd || !c.line.periodStart) continue;
    if (dayNum(c.line.periodEnd) - dayNum(c.line.periodStart) < MULTI_MONTH_DAYS) continue;
    if (end === null || c.end > end) end = c.end;
  }
  // A renewal billed ahead of time moves the renewal day to the end of the new period.
  for (let hops = 0; end !== null && hops < 3; hops++) {
    const day: number = end;
    const next = contributions.find((c) => c.mrr > 0 && c.start <= day && c.end > day);
    if (!next) break;
    end = next.end;
  }
  return end;
}

/**
 * When the customer's latest recurring invoice started by asOf was charged, if that charge `failed`:
 * a charge that failed and has not been followed by a paid period yet (a failure that was recovered
 * is followed by one). The charge day is `issued_at`, else the period start.
 */
function latestRecurringFailure(lines: readonly LedgerLine[], asOf: number): number | undefined {
  let latest: LedgerLine | undefined;
  let latestStart = -Infinity;
  for (const line of lines) {
    if (!line.periodStart || !line.periodEnd || line.periodEnd <= line.periodStart || line.amount <= 0) continue;
    const start = dayNum(line.periodStart);
    if (start > asOf || start < latestStart) continue;
    if (start > latestStart || line.status === 'failed') latest = line;
    latestStart = start;
  }
  if (latest?.status !== 'failed') return undefined;
  return Math.min(asOf, dayNum(latest.issuedAt ?? latest.periodStart!));
}
