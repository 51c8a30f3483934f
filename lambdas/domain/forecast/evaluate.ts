/** How well a forecast worked (docs/metrics.md §3.7): ranking, precision of the lists, calibration. */
import type { Band } from './types';

export interface ScoredOutcome {
  date: number;
  customerId: string;
  probability: number;
  band: Band;
  mrr: number;
  churned: boolean;
}

export interface CalibrationBin {
  predicted: number;
  observed: number;
  customers: number;
}

export interface LiftRow {
  /** 1 = the tenth of customer-dates with the highest predicted probability. */
  decile: number;
  customers: number;
  churners: number;
  churnRate: number;
  lift: number | null;
  minProbability: number;
}

export interface Evaluation {
  /** Customer-dates with a known outcome, and how many of them churned within the horizon. */
  customers: number;
  churners: number;
  baseRate: number | null;
  auc: number | null;
  precisionRed: number | null;
  recallRed: number | null;
  liftRed: number | null;
  precisionFlagged: number | null;
  recallFlagged: number | null;
  liftFlagged: number | null;
  flaggedShare: number | null;
  precisionTop10: number | null;
  calibration: CalibrationBin[];
  /** Largest |predicted − observed| over the calibration bins. */
  calibrationError: number | null;
  medianDaysListedBeforeChurn: number | null;
  /** Churn rate by decile of predicted probability against the base rate. */
  liftTable: LiftRow[];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/** ROC AUC by the rank-sum (Mann–Whitney) statistic, ties counted half. Null without both classes. */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number | null {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (positive[order[k]!]) {
        rankSum += midRank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (!positives || !negatives) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Deciles by predicted probability, highest first, with their churn rate and lift. */
export function liftTable(rows: readonly Pick<ScoredOutcome, 'probability' | 'churned'>[]): LiftRow[] {
  const sorted = rows.slice().sort((a, b) => b.probability - a.probability);
  const base = sorted.length ? sorted.filter((r) => r.churned).length / sorted.length : 0;
  const out: LiftRow[] = [];
  for (let d = 0; d < 10; d++) {
    const slice = sorted.slice(Math.floor((d * sorted.length) / 10), Math.floor(((d + 1) * sorted.length) / 10));
    if (!slice.length) continue;
    const churners = slice.filter((r) => r.churned).length;
    const churnRate = churners / slice.length;
    out.push({
      decile: d + 1,
      customers: slice.length,
      churners,
      churnRate,
      lift: base > 0 ? churnRate / base : null,
      minProbability: slice.at(-1)!.probability,
    });
  }
  return out;
}

/** Equal-count bins by predicted probability (quintiles by default). */
export function calibrationBins(rows: readonly Pick<ScoredOutcome, 'probability' | 'churned'>[], bins = 5): CalibrationBin[] {
  const sorted = rows.slice().sort((a, b) => a.probability - b.probability);
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const slice = sorted.slice(Math.floor((b * sorted.length) / bins), Math.floor(((b + 1) * sorted.length) / bins));
    if (!slice.length) continue;
    out.push({
      predicted: slice.reduce((s, r) => s + r.probability, 0) / slice.length,
      observed: slice.filter((r) => r.churned).length / slice.length,
      customers: slice.length,
    });
  }
  return out;
}

/**
 * Median days between the first of a run of consecutive listings (red or yellow on every evaluation
 * date up to the churn) and the churn day, over churners that were listed before they churned.
 */
export function medianDaysListed(
  listed: ReadonlyMap<string, ReadonlySet<number>>,
  churnDays: ReadonlyMap<string, readonly number[]>,
  dates: readonly number[],
): number | null {
  const spans: number[] = [];
  for (const [customerId, days] of churnDays) {
    const flagged = listed.get(customerId);
    if (!flagged) continue;
    for (const churn of days) {
      const before = dates.filter((d) => d < churn);
      let k = before.length - 1;
      if (k < 0 || !flagged.has(before[k]!)) continue;
      while (k > 0 && flagged.has(before[k - 1]!)) k--;
      spans.push(churn - before[k]!);
    }
  }
  if (!spans.length) return null;
  spans.sort((a, b) => a - b);
  const mid = spans.length >> 1;
  return spans.length % 2 ? spans[mid]! : (spans[mid - 1]! + spans[mid]!) / 2;
}

export function evaluate(rows: readonly ScoredOutcome[], medianDays: number | null): Evaluation {
  const churners = rows.filter((r) => r.churned).length;
  const baseRate = ratio(churners, rows.length);
  const red = rows.filter((r) => r.band === 'red');
  const flagged = rows.filter((r) => r.band !== 'green');
  const redHits = red.filter((r) => r.churned).length;
  const flaggedHits = flagged.filter((r) => r.churned).length;
  const precisionRed = ratio(redHits, red.length);
  const precisionFlagged = ratio(flaggedHits, flagged.length);
  const lift = (precision: number | null) => (precision === null || !baseRate ? null : precision / baseRate);

  const byDate = new Map<number, ScoredOutcome[]>();
  for (const r of rows) {
    let list = byDate.get(r.date);
    if (!list) byDate.set(r.date, (list = []));
    list.push(r);
  }
  const top10: number[] = [];
  for (const list of byDate.values()) {
    const top = list
      .slice()
      .sort((a, b) => b.probability - a.probability || b.mrr - a.mrr || (a.customerId < b.customerId ? -1 : 1))
      .slice(0, 10);
    if (top.length) top10.push(top.filter((r) => r.churned).length / top.length);
  }
  const calibration = calibrationBins(rows);
  return {
    customers: rows.length,
    churners,
    baseRate,
    auc: rocAuc(
      rows.map((r) => r.probability),
      rows.map((r) => r.churned),
    ),
    precisionRed,
    recallRed: ratio(redHits, churners),
    liftRed: lift(precisionRed),
    precisionFlagged,
    recallFlagged: ratio(flaggedHits, churners),
    liftFlagged: lift(precisionFlagged),
    flaggedShare: ratio(flagged.length, rows.length),
    precisionTop10: top10.length ? top10.reduce((s, x) => s + x, 0) / top10.length : null,
    calibration,
    calibrationError: calibration.length ? Math.max(...calibration.map((b) => Math.abs(b.predicted - b.observed))) : null,
    medianDaysListedBeforeChurn: medianDays,
    liftTable: liftTable(rows),
  };
}
