/**
 * MRR (docs/metrics.md §3.1): line MRR, and per customer a piecewise-constant MRR step function so that every
 * day query of the snapshot (open, close, month ends, asOf − 30, d0) is a binary search.
 */
import { clampedDayNum, dayNum, dayNumToCivil, monthIndexOfNum } from './dates';
import { fxRateFor } from './fx';
import { canonicalCancellations, canonicalLines } from './ledger';
import { MRR_STATUSES, type Cancellation, type EngineSettings, type LedgerLine } from './types';

export const AVERAGE_MONTH_DAYS = 30.4375;
/** Whole-month periods may deviate this many days from k average months (Feb 28 → Mar 31 is one month). */
export const WHOLE_MONTH_TOLERANCE_DAYS = 3;
/** MRR at or below this counts as zero: credits that offset a charge leave float dust, not a customer. */
export const MRR_EPSILON = 1e-9;
/**
 * A change of a customer's MRR smaller than this fraction of it is float dust, not a movement: a
 * proration credit and charge normalised by their cycle sum to the new price only up to rounding, and
 * the next regular invoice must not show as a 1e-14 expansion.
 */
const DUST = 1e-12;

/** k when a period of `days` days covers k ≥ 1 whole months (within ±3 days of k × 30.4375), else 0. */
export function wholeMonths(days: number): number {
  const k = Math.round(days / AVERAGE_MONTH_DAYS);
  return k >= 1 && Math.abs(days - AVERAGE_MONTH_DAYS * k) <= WHOLE_MONTH_TOLERANCE_DAYS ? k : 0;
}

/**
 * Monthly amount of a line covering `days` days with no billing cycle to prorate against: amount / k
 * for k whole months, else pro rata amount × 30.4375 / days. Zero for a one-time charge (days ≤ 0).
 */
export function monthlyAmount(amount: number, days: number): number {
  if (!(days > 0)) return 0;
  const k = wholeMonths(days);
  return k ? amount / k : (amount * AVERAGE_MONTH_DAYS) / days;
}

/** A billing cycle `[start, end)` of k months; a whole-month line's period is one. */
interface Cycle {
  start: number;
  end: number;
  k: number;
}

/**
 * The day of the month a line's cycles are anchored on. A line starting on a short month's last day
 * (Feb 28) was clamped when its end falls on a later day (Mar 31): the anchor is that later day.
 */
function anchorDay(line: Cycle): number {
  const [, , startDay] = dayNumToCivil(line.start);
  const [, , endDay] = dayNumToCivil(line.end);
  const clamped = endDay > startDay && dayNumToCivil(line.start + 1)[2] === 1;
  return clamped ? endDay : startDay;
}

/**
 * The cycle of `line` just before it (`before`) or just after it, stepped by calendar months from its
 * start as billing systems anchor; `[start, end)` must lie inside it, else it prorates no single cycle.
 */
function adjacentCycle(line: Cycle, before: boolean, start: number, end: number): Cycle | undefined {
  const month = monthIndexOfNum(line.start);
  const day = anchorDay(line);
  const cycle = before
    ? { start: clampedDayNum(month - line.k, day), end: line.start, k: line.k }
    : { start: line.end, end: clampedDayNum(month + 2 * line.k, day), k: line.k };
  return cycle.start <= start && end <= cycle.end ? cycle : undefined;
}

/** Of the lines that pass `accept`, the one with the fewest months (the tightest cycle), first wins ties. */
function tightest(lines: readonly Cycle[], accept: (l: Cycle) => boolean): Cycle | undefined {
  let best: Cycle | undefined;
  for (const l of lines) if (accept(l) && (!best || l.k < best.k)) best = l;
  return best;
}

/**
 * The billing cycles of a customer's subscriptions, read from their whole-month lines (any status: a
 * voided invoice still shows the schedule), so that partial lines are normalised by the cycle they
 * prorate rather than by an average month.
 */
export class BillingCycles {
  private readonly bySubscription = new Map<string, Cycle[]>();

  constructor(lines: readonly LedgerLine[]) {
    for (const line of lines) {
      if (line.subscriptionId === undefined || !line.periodStart || !line.periodEnd) continue;
      const start = dayNum(line.periodStart);
      const end = dayNum(line.periodEnd);
      const k = wholeMonths(end - start);
      if (!k) continue;
      const list = this.bySubscription.get(line.subscriptionId);
      if (list) list.push({ start, end, k });
      else this.bySubscription.set(line.subscriptionId, [{ start, end, k }]);
    }
  }

  /** Monthly amount of a line of `amount` covering `[start, end)` of `subscriptionId` (docs/metrics.md §3.1). */
  monthly(amount: number, start: number, end: number, subscriptionId: string | undefined): number {
    const days = end - start;
    if (!(days > 0)) return 0;
    const siblings = subscriptionId === undefined ? undefined : this.bySubscription.get(subscriptionId);
    const cycle =
      siblings && (wholeMonths(days) ? this.prorationToCycleEnd(siblings, start, end) : this.partialCycle(siblings, start, end));
    return cycle ? (amount * (cycle.end - cycle.start)) / (days * cycle.k) : monthlyAmount(amount, days);
  }

  /**
   * docs/metrics.md §3.1: the containing whole-month line is the cycle itself (its own period, which also holds
   * for billers whose "month" is 30 days); else the cycle before the line starting where the partial
   * ends, or after the line ending where it starts.
   */
  private partialCycle(siblings: readonly Cycle[], start: number, end: number): Cycle | undefined {
    const containing = tightest(siblings, (l) => l.start <= start && end <= l.end);
    if (containing) return containing;
    const next = tightest(siblings, (l) => l.start === end);
    if (next) return adjacentCycle(next, true, start, end);
    const previous = tightest(siblings, (l) => l.end === start);
    return previous && adjacentCycle(previous, false, start, end);
  }

  /**
   * A line whose length is about whole months may still be a proration: 28 remaining days of a 31-day
   * cycle, or 2 months left of an annual one. It is one when a longer whole-month line of its
   * subscription contains it and it runs to that line's end, as prorations do, unless a line of its
   * own length ends where it starts: then it continues a regular series (monthly lines after a switch
   * from an annual plan, the last of them ending with the year).
   */
  private prorationToCycleEnd(siblings: readonly Cycle[], start: number, end: number): Cycle | undefined {
    const days = end - start;
    const k = wholeMonths(days);
    const cycle = tightest(siblings, (l) => l.start <= start && end === l.end && l.end - l.start > days);
    if (!cycle || siblings.some((l) => l.end === start && l.k === k)) return undefined;
    return cycle;
  }
}

/** Whether a line counts towards MRR at all: a counted status and a real service period. */
export function isRecurring(line: LedgerLine): boolean {
  return MRR_STATUSES.has(line.status) && !!line.periodStart && !!line.periodEnd && dayNum(line.periodEnd) > dayNum(line.periodStart);
}

/**
 * MRR of one line in the reporting currency (`fxRate` units per unit of the line's currency), with
 * the customer's `ledger` giving the billing cycles a partial line prorates (without it, the
 * average month). Zero for void/uncollectible lines and one-time charges.
 */
export function lineMrr(line: LedgerLine, fxRate = 1, ledger: readonly LedgerLine[] = []): number {
  if (!isRecurring(line)) return 0;
  const cycles = new BillingCycles(ledger);
  return cycles.monthly(line.amount, dayNum(line.periodStart!), dayNum(line.periodEnd!), line.subscriptionId) * fxRate;
}

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

  const cycles = new BillingCycles(lines);
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
    contributions.push({ line, start, end, mrr: cycles.monthly(line.amount, start, periodEnd, line.subscriptionId) * rate });
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
  // Σ|mrr| added or removed since the sum was last exactly 0: the float error of `sum` grows with it,
  // not with the current MRR (a large credit and charge leave dust on a small price).
  let magnitude = 0;
  for (let i = 0; i < order.length; ) {
    const d = dayOf(order[i]!);
    for (; i < order.length && dayOf(order[i]!) === d; i++) {
      const e = order[i]!;
      const c = contributions[e >> 1]!;
      magnitude += Math.abs(c.mrr);
      if (e & 1) {
        sum -= c.mrr;
        open--;
      } else {
        sum += c.mrr;
        open++;
      }
    }
    // With nothing running the MRR is exactly 0, not the float residue of +x − x.
    if (open === 0) {
      sum = 0;
      magnitude = 0;
    }
    const last = values.length ? values[values.length - 1]! : undefined;
    if (last === sum) continue;
    if (open > 0 && last !== undefined && Math.abs(sum - last) <= DUST * Math.max(1, Math.abs(last), magnitude)) continue;
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
