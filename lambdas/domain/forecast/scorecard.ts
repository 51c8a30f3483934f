/**
 * Scoring with a logistic scorecard (docs/metrics.md §3.6): 20 points double the odds of churn, so
 * logit(p) = (interceptPoints + Σ factor points) · ln 2 / 20, and the factors a CSM reads add up to
 * the probability they see.
 */
import { dayFromNum } from '../dates';
import type { FeatureFacts, FeatureRow } from './features';
import { DUNNING_WINDOW_DAYS, FEATURE_FACTOR, FEATURES } from './features';
import type { Factor, FactorCode, ScorecardModel } from './types';

export const POINTS_PER_DOUBLING = 20;
const POINTS_PER_LOGIT = POINTS_PER_DOUBLING / Math.LN2;

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Factor points are shown to one decimal; the probability is computed from the shown points. */
const roundPoints = (p: number) => Math.round(p * 10) / 10;

export interface Score {
  probability: number;
  interceptPoints: number;
  factors: Factor[];
}

/** Points of the average training customer: the logit of a customer whose inputs are all at the mean. */
export function interceptPoints(model: ScorecardModel): number {
  let z = model.intercept;
  for (let j = 0; j < model.weights.length; j++) z += model.weights[j]! * model.means[j]!;
  return roundPoints(z * POINTS_PER_LOGIT);
}

/** The factors' points of one feature row (unrounded), by factor code. */
export function factorPoints(model: ScorecardModel, values: readonly number[]): Map<FactorCode, number> {
  assertCompatible(model);
  const points = new Map<FactorCode, number>();
  for (let j = 0; j < FEATURES.length; j++) {
    const contribution = model.weights[j]! * (values[j]! - model.means[j]!) * POINTS_PER_LOGIT;
    const code = FEATURE_FACTOR[FEATURES[j]!];
    points.set(code, (points.get(code) ?? 0) + contribution);
  }
  return points;
}

/** The probability alone, for fitting and evaluation loops that need no sentences. */
export function probabilityOf(model: ScorecardModel, values: readonly number[]): number {
  let total = interceptPoints(model);
  for (const p of factorPoints(model, values).values()) total += roundPoints(p);
  return sigmoid(total / POINTS_PER_LOGIT);
}

export function score(model: ScorecardModel, row: FeatureRow, currency: string): Score {
  const base = interceptPoints(model);
  const factors: Factor[] = [];
  let total = base;
  for (const [code, raw] of factorPoints(model, row.values)) {
    const points = roundPoints(raw);
    total += points;
    if (points !== 0) factors.push({ code, points, detail: describe(code, row.facts, currency) });
  }
  factors.sort((a, b) => b.points - a.points || (a.code < b.code ? -1 : 1));
  return { probability: sigmoid(total / POINTS_PER_LOGIT), interceptPoints: base, factors };
}

/** The probability a scorecard's points give: what a reader can check by hand. */
export const probabilityFromPoints = (interceptPts: number, factors: readonly Pick<Factor, 'points'>[]) =>
  sigmoid(factors.reduce((z, f) => z + f.points, interceptPts) / POINTS_PER_LOGIT);

function assertCompatible(model: ScorecardModel): void {
  if (model.features.length !== FEATURES.length || model.features.some((f, j) => f !== FEATURES[j])) {
    throw new Error(`model features [${model.features.join(', ')}] do not match this engine's [${FEATURES.join(', ')}]`);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const round1 = (x: number) => Math.round(x * 10) / 10;
const money = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function describe(code: FactorCode, f: FeatureFacts, currency: string): string {
  switch (code) {
    case 'engagement':
      return engagementSentence(f);
    case 'tenure':
      return f.tenureDays < 61
        ? `paying for ${plural(f.tenureDays, 'day')}`
        : `paying for ${plural(Math.round(f.tenureDays / 30.4375), 'month')}`;
    case 'renewal':
      return f.renewalDay === null ? 'monthly plan: can leave at any month end' : `multi-month plan, renews ${dayFromNum(f.renewalDay)}`;
    case 'payment_failed':
      if (!f.failedInvoices90d) return 'no failed payment in the last 90 days';
      return `${plural(f.failedInvoices90d, 'failed invoice')} in the last 90 days${outstanding(f.failedChargeDaysAgo)}`;
    case 'mrr_movement':
      return f.mrr90DaysAgo > 0
        ? `MRR ${money.format(f.mrr90DaysAgo)} → ${money.format(f.mrrNow)} ${currency} over 90 days`
        : `new MRR of ${money.format(f.mrrNow)} ${currency} in the last 90 days`;
    case 'onboarding':
      return f.signals.find((s) => s.code === 'not_activated')?.detail ?? 'onboarded';
  }
}

function outstanding(daysAgo: number | null): string {
  if (daysAgo === null) return '';
  const when = `the latest, charged ${plural(daysAgo, 'day')} ago, still unpaid`;
  return daysAgo <= DUNNING_WINDOW_DAYS ? `; ${when}: dunning still retrying` : `; ${when}`;
}

function engagementSentence(f: FeatureFacts): string {
  const parts: string[] = [];
  if (f.daysSinceLastEvent === null) return 'no usage recorded yet';
  const usual = f.baselineActiveDays === null ? null : round1(f.baselineActiveDays * (f.seasonalIndex ?? 1));
  parts.push(
    `active ${f.activeDays} of the last 28 days${usual === null ? '' : ` (usually ${usual}${f.seasonalIndex !== null && Math.abs(f.seasonalIndex - 1) >= 0.15 ? ' at this time of year' : ''})`}`,
  );
  if (f.usersBaseline !== null && f.usersBaseline > 0) parts.push(`${plural(f.usersNow, 'user')} (usually ${round1(f.usersBaseline)})`);
  if (f.breadthBaseline !== null && f.breadthBaseline > 0)
    parts.push(`${plural(f.breadthNow, 'feature')} a day at most (usually ${round1(f.breadthBaseline)})`);
  if (f.daysSinceLastEvent >= 14) parts.push(`last seen ${plural(f.daysSinceLastEvent, 'day')} ago`);
  return parts.join('; ');
}
