/**
 * Risk reasons (docs/metrics.md §3.5) for a customer active on asOf, each with a sentence a CSM can act on. They
 * are signals, exact facts; the churn probability comes from the fitted scorecard (forecast/).
 */
import { frequencyOf, frequencyRank, WINDOW_DAYS, type ActivityWindows } from './activity';
import { dayFromNum, dayNum } from './dates';
import { MRR_EPSILON } from './mrr';
import type { CustomerTimeline, EngineSettings, LedgerLine, RiskCode, RiskReason } from './types';

/** The old fixed points per reason (before the fitted forecast), kept as the backtest's baseline. */
export const LEGACY_RISK_POINTS: Record<RiskCode, number> = {
  inactive: 35,
  activity_decline: 25,
  payment_failed: 25,
  not_activated: 20,
  core_feature_unused: 20,
  retention_feature_lost: 20,
  frequency_downgrade: 15,
  contraction: 15,
  module_reduction: 10,
};

export const INACTIVE_DAYS = 14;
export const RECENT_DAYS = 30;

const moneyFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const formatMoney = (amount: number, currency: string) => `${moneyFormat.format(amount)} ${currency}`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface RiskInput {
  customer: CustomerTimeline;
  /** Canonical (deduplicated) ledger lines. */
  lines: readonly LedgerLine[];
  asOf: number;
  windows: ActivityWindows;
  /** Day numbers of the activity window (windows.counts[i] is day windowStart + i). */
  windowStart: number;
  firstActiveDay: number;
  mrrNow: number;
  mrrThirtyDaysAgo: number;
  settings: Pick<EngineSettings, 'coreFeatures' | 'retentionFeatures'>;
  currency: string;
}

export function riskReasons(input: RiskInput): RiskReason[] {
  const { customer, asOf, windows, windowStart, firstActiveDay, settings } = input;
  const reasons: RiskReason[] = [];
  const add = (code: RiskCode, detail: string) => reasons.push({ code, detail, points: LEGACY_RISK_POINTS[code] });
  const cur = windows.activeDaysCurrent;
  const prev = windows.activeDaysPrevious;

  const fPrev = frequencyOf(prev);
  const fCur = frequencyOf(cur);
  if (frequencyRank(fCur) < frequencyRank(fPrev)) {
    add('frequency_downgrade', `usage frequency fell from ${fPrev} to ${fCur} (active days ${prev} → ${cur} in ${WINDOW_DAYS} days)`);
  }

  if (prev >= 4 && cur <= prev / 2) add('activity_decline', `active days ${prev} → ${cur} in ${WINDOW_DAYS} days`);

  const lastEvent = lastEventDay(customer, windows, windowStart, asOf);
  const everUsed = lastEvent !== undefined || (customer.firstEventDay !== undefined && dayNum(customer.firstEventDay) <= asOf);
  if (everUsed && (lastEvent === undefined || asOf - lastEvent >= INACTIVE_DAYS)) {
    add(
      'inactive',
      lastEvent === undefined
        ? `no activity for more than ${windows.counts.length} days`
        : `no activity for ${asOf - lastEvent} days (last event ${dayFromNum(lastEvent)})`,
    );
  }

  const core = settings.coreFeatures;
  if (core.length && asOf - firstActiveDay > RECENT_DAYS && !core.some((f) => (windows.features.get(f)?.current ?? 0) > 0)) {
    add('core_feature_unused', `no core feature (${core.join(', ')}) used in the last ${WINDOW_DAYS} days`);
  }

  const lost: string[] = [];
  for (const f of settings.retentionFeatures) {
    const use = windows.features.get(f);
    if (use && use.previous > 0 && use.current === 0)
      lost.push(`${f} (used on ${plural(use.previous, 'day')} in the previous ${WINDOW_DAYS})`);
  }
  if (lost.length) add('retention_feature_lost', `stopped using ${lost.join(', ')}`);

  let featuresPrev = 0;
  let featuresCur = 0;
  for (const use of windows.features.values()) {
    if (use.previous > 0) featuresPrev++;
    if (use.current > 0) featuresCur++;
  }
  if (featuresPrev >= 2 && featuresCur <= featuresPrev / 2) {
    add('module_reduction', `features used ${featuresPrev} → ${featuresCur} in ${WINDOW_DAYS} days`);
  }

  if (input.mrrNow > 0 && input.mrrNow < input.mrrThirtyDaysAgo - MRR_EPSILON) {
    add(
      'contraction',
      `MRR ${moneyFormat.format(input.mrrThirtyDaysAgo)} → ${formatMoney(input.mrrNow, input.currency)} in ${RECENT_DAYS} days`,
    );
  }

  const failed = recentFailedPayments(input.lines, asOf);
  if (failed.length) {
    const [latest] = failed;
    const more = failed.length > 1 ? ` and ${plural(failed.length - 1, 'other invoice')}` : '';
    add('payment_failed', `payment failed on invoice ${latest!.invoiceId} (${dayFromNum(latest!.day)})${more}`);
  }

  if (asOf - firstActiveDay < RECENT_DAYS && !hasActivated(customer, windows, asOf, core)) {
    const since = `became a paying customer on ${dayFromNum(firstActiveDay)} (${plural(asOf - firstActiveDay, 'day')} ago)`;
    add(
      'not_activated',
      core.length ? `${since} and has not used a core feature (${core.join(', ')}) yet` : `${since} and has no usage yet`,
    );
  }

  return reasons;
}

/** Latest day ≤ asOf with an event: from the 56-day window, else from older activity days kept. */
function lastEventDay(customer: CustomerTimeline, windows: ActivityWindows, windowStart: number, asOf: number): number | undefined {
  if (windows.lastActiveIndex >= 0) return windowStart + windows.lastActiveIndex;
  let last: number | undefined;
  const activity = customer.activity ?? {};
  for (const day in activity) {
    if (!(activity[day]!.events >= 1)) continue;
    const d = dayNum(day);
    if (d <= asOf && (last === undefined || d > last)) last = d;
  }
  return last;
}

/** Failed lines issued (or, without issuedAt, starting) in the `days` (30) ending asOf, latest first. */
export function recentFailedPayments(lines: readonly LedgerLine[], asOf: number, days = RECENT_DAYS): { invoiceId: string; day: number }[] {
  const out: { invoiceId: string; day: number }[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (line.status !== 'failed') continue;
    const when = line.issuedAt ?? line.periodStart;
    if (!when) continue;
    const d = dayNum(when);
    if (d > asOf || asOf - d >= days || seen.has(line.invoiceId)) continue;
    seen.add(line.invoiceId);
    out.push({ invoiceId: line.invoiceId, day: d });
  }
  return out.sort((a, b) => b.day - a.day || (a.invoiceId < b.invoiceId ? -1 : 1));
}

/** Whether the customer ever used a core feature up to asOf (any feature when none is configured). */
function hasActivated(customer: CustomerTimeline, windows: ActivityWindows, asOf: number, core: readonly string[]): boolean {
  if (!core.length) {
    return windows.lastActiveIndex >= 0 || (customer.firstEventDay !== undefined && dayNum(customer.firstEventDay) <= asOf);
  }
  return core.some((f) => {
    const first = customer.featureFirstSeen?.[f];
    if (first !== undefined && dayNum(first) <= asOf) return true;
    const use = windows.features.get(f);
    return !!use && use.previous + use.current > 0;
  });
}
