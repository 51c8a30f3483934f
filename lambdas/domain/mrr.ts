/**
 * MRR (SPEC §3.1): line MRR, and per customer a piecewise-constant MRR step function so that every
 * day query of the snapshot (open, close, month ends, asOf − 30, d0) is a binary search.
 */
import { dayNum } from './dates';
import { fxRateFor } from './fx';
import { canonicalCancellations, canonicalLines } from './ledger';
import { MRR_STATUSES, type Cancellation, type EngineSettings, type LedgerLine } from './types';

export const AVERAGE_MONTH_DAYS = 30.4375;
/** Whole-month periods may deviate this many days from k average months (Feb 28 → Mar 31 is one month). */
export const WHOLE_MONTH_TOLERANCE_DAYS = 3;
/** MRR at or below this counts as zero: credits that offset a charge leave float dust, not a customer. */
export const MRR_EPSILON = 1e-9;

/**
 * Monthly amount of a line covering `days` days: amount / k for k whole months (k = round(days/30.4375)
 * within ±3 days), else pro rata amount × 30.4375 / days. Zero for a one-time charge (days ≤ 0).
 */
export function monthlyAmount(amount: number, days: number): number {
  if (!(days > 0)) return 0;
  const k = Math.round(days / AVERAGE_MONTH_DAYS);
  if (k >= 1 && Math.abs(days - AVERAGE_MONTH_DAYS * k) <= WHOLE_MONTH_TOLERANCE_DAYS) return amount / k;
  return (amount * AVERAGE_MONTH_DAYS) / days;
}

/** Whether a line counts towards MRR at all: a counted status and a real service period. */
export function isRecurring(line: LedgerLine): boolean {
  return (
    MRR_STATUSES.has(line.status) &&
    !!line.periodStart &&
    !!line.periodEnd &&
    dayNum(line.periodEnd) > dayNum(line.periodStart)
  );
}

/**
 * MRR of one line in the reporting currency (`fxRate` units per unit of the line's currency).
 * Zero for void/refunded/uncollectible lines and one-time charges.
 */
export function lineMrr(line: LedgerLine, fxRate = 1): number {
  if (!isRecurring(line)) return 0;
  return monthlyAmount(line.amount, dayNum(line.periodEnd!) - dayNum(line.periodStart!)) * fxRate;
}

export const isActiveMrr = (mrr: number) => mrr > MRR_EPSILON;

/**
 * MRR(c, d) as a step function: `values[i]` holds on days `[days[i], days[i+1])`, 0 before `days[0]`,
 * `values[last]` (always 0) from the last breakpoint on.
 */
export class MrrSeries {
  constructor(
    readonly days: readonly number[],
    readonly values: readonly number[],
  ) {}

  static readonly EMPTY = new MrrSeries([], []);

  /** Index of the segment holding day `d`, −1 before the first breakpoint. */
  private segmentOf(d: number): number {
    const days = this.days;
    let lo = 0;
    let hi = days.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (days[mid]! <= d) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** MRR on day number `d`, exactly as summed (may be ≤ 0 when credits outweigh charges). */
  raw(d: number): number {
    const i = this.segmentOf(d);
    return i < 0 ? 0 : this.values[i]!;
  }

  /** MRR on day number `d`, with inactive (≤ ε) values reported as 0. */
  at(d: number): number {
    const v = this.raw(d);
    return v > MRR_EPSILON ? v : 0;
  }

  /** First day number with MRR > 0, or undefined if the customer was never active. */
  firstActiveDay(): number | undefined {
    for (let i = 0; i < this.values.length; i++) if (this.values[i]! > MRR_EPSILON) return this.days[i];
    return undefined;
  }

  /** Whether MRR > 0 on some day of `[from, to]` (day numbers, inclusive). */
  activeWithin(from: number, to: number): boolean {
    let i = this.segmentOf(from);
    if (i < 0) i = 0;
    for (; i < this.days.length && this.days[i]! <= to; i++) {
      if (this.values[i]! > MRR_EPSILON) return true;
    }
    return false;
  }
}

/** A counted line's contribution: `mrr` on days `[start, end)` (end already cut by a cancellation). */
export interface MrrContribution {
  line: LedgerLine;
  start: number;
  end: number;
  mrr: number;
}

export interface CustomerMrr {
  series: MrrSeries;
  contributions: MrrContribution[];
  /** Canonical (deduplicated, ordered) lines and cancellations the series was built from. */
  lines: LedgerLine[];
  cancellations: Cancellation[];
  /** Recurring lines left out because their currency has no FX rate, by currency (undefined: none). */
  skippedByCurrency: Map<string, number> | undefined;
}

/**
 * Builds MRR(c, ·) from a customer's lines and cancellations. Lines of a subscription cancelled with
 * effective day e stop counting on e; lines without a subscription are never cut.
 */
export function buildCustomerMrr(
  rawLines: readonly LedgerLine[],
  rawCancellations: readonly Cancellation[],
  settings: Pick<EngineSettings, 'reportingCurrency' | 'fxRates'>,
  rateCache: Map<string, number | undefined> = new Map(),
): CustomerMrr {
  const lines = canonicalLines(rawLines);
  const cancellations = canonicalCancellations(rawCancellations);
  let cancelEnd: Map<string, number> | undefined;
  if (cancellations.length) {
    cancelEnd = new Map();
    for (const c of cancellations) cancelEnd.set(c.subscriptionId, dayNum(c.effectiveAt));
  }

  const contributions: MrrContribution[] = [];
  let skippedByCurrency: Map<string, number> | undefined;
  for (const line of lines) {
    if (!MRR_STATUSES.has(line.status) || !line.periodStart || !line.periodEnd) continue;
    const start = dayNum(line.periodStart);
    const periodEnd = dayNum(line.periodEnd);
    if (!(periodEnd > start)) continue;
    let rate = rateCache.get(line.currency);
    if (rate === undefined && !rateCache.has(line.currency)) {
      rate = fxRateFor(settings, line.currency);
      rateCache.set(line.currency, rate);
    }
    if (rate === undefined) {
      skippedByCurrency ??= new Map();
      skippedByCurrency.set(line.currency, (skippedByCurrency.get(line.currency) ?? 0) + 1);
      continue;
    }
    let end = periodEnd;
    if (cancelEnd && line.subscriptionId !== undefined) {
      const e = cancelEnd.get(line.subscriptionId);
      if (e !== undefined && e < end) end = e;
    }
    if (end <= start) continue;
    contributions.push({ line, start, end, mrr: monthlyAmount(line.amount, periodEnd - start) * rate });
  }
  return { series: sweep(contributions), contributions, lines, cancellations, skippedByCurrency };
}

function sweep(contributions: readonly MrrContribution[]): MrrSeries {
  const n = contributions.length;
  if (n === 0) return MrrSeries.EMPTY;
  // Events as indexes: 2i = start of contribution i, 2i+1 = its end. Sorted by day, ties by index,
  // so the summation order is fixed by the canonical line order.
  // Plain arrays, not typed arrays: thousands of tiny ArrayBuffers per second are costly for the GC.
  const order: number[] = new Array(2 * n);
  const dayOf = (e: number) => (e & 1 ? contributions[e >> 1]!.end : contributions[e >> 1]!.start);
  for (let i = 0; i < 2 * n; i++) order[i] = i;
  order.sort((a, b) => dayOf(a) - dayOf(b) || a - b);

  const days: number[] = [];
  const values: number[] = [];
  let sum = 0;
  let open = 0;
  for (let i = 0; i < order.length; ) {
    const d = dayOf(order[i]!);
    for (; i < order.length && dayOf(order[i]!) === d; i++) {
      const e = order[i]!;
      const c = contributions[e >> 1]!;
      if (e & 1) {
        sum -= c.mrr;
        open--;
      } else {
        sum += c.mrr;
        open++;
      }
    }
    // With nothing running the MRR is exactly 0, not the float residue of +x − x.
    if (open === 0) sum = 0;
    if (values.length && values[values.length - 1] === sum) continue;
    days.push(d);
    values.push(sum);
  }
  return new MrrSeries(days, values);
}

/**
 * The plan carrying most of the MRR on day `d` (line plan, else the customer's plan, else
 * `unknown`); ties go to the alphabetically first plan. Undefined when nothing runs on `d`.
 * With `unknown` null, lines without any plan are left out (for showing a CSM a real plan name).
 */
export function dominantPlan(
  contributions: readonly MrrContribution[],
  d: number,
  customerPlan: string | undefined,
  unknown: string | null = 'unknown',
): string | undefined {
  let byPlan: Map<string, number> | undefined;
  for (const c of contributions) {
    if (c.start <= d && d < c.end) {
      const plan = c.line.plan || customerPlan || unknown;
      if (plan === null) continue;
      byPlan ??= new Map();
      byPlan.set(plan, (byPlan.get(plan) ?? 0) + c.mrr);
    }
  }
  if (!byPlan) return undefined;
  let best: string | undefined;
  let bestMrr = -Infinity;
  for (const [plan, mrr] of byPlan) {
    if (mrr > bestMrr || (mrr === bestMrr && best !== undefined && plan < best)) {
      best = plan;
      bestMrr = mrr;
    }
  }
  return best;
}
