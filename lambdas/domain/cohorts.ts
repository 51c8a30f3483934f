/** Cohorts (docs/metrics.md §3.4): customers by month of their first active day, and how many stay active. */
import { monthEndNum, monthKey } from './dates';
import type { MrrSeries } from './mrr';

export const COHORT_COUNT = 12;

export interface CohortMember {
  /** Month index (see dates.monthIndexOfNum) of the first active day. */
  cohortMonth: number;
  series: MrrSeries;
  /** Active on a month end before the kept lines (archived history), when known. */
  archivedActiveOn?: (day: number) => boolean;
}

export interface Cohort {
  cohort: string;
  size: number;
  retention: number[];
}

/**
 * The `COHORT_COUNT` latest non-empty cohorts up to month `periodMonth`, oldest first.
 * `retention[i]` is the share of the cohort active on the last day of the (i+1)-th following month,
 * or on asOf for the period's own month, which is incomplete.
 */
export function buildCohorts(members: Iterable<CohortMember>, periodMonth: number, asOf: number): Cohort[] {
  const byMonth = new Map<number, CohortMember[]>();
  for (const m of members) {
    if (m.cohortMonth > periodMonth) continue;
    let list = byMonth.get(m.cohortMonth);
    if (!list) byMonth.set(m.cohortMonth, (list = []));
    list.push(m);
  }
  const months = [...byMonth.keys()].sort((a, b) => a - b).slice(-COHORT_COUNT);
  return months.map((month) => {
    const series = byMonth.get(month)!;
    const retention: number[] = [];
    for (let m = month + 1; m <= periodMonth; m++) {
      const day = m === periodMonth ? asOf : monthEndNum(m);
      let active = 0;
      for (const s of series) if (s.series.at(day) > 0 || s.archivedActiveOn?.(day)) active++;
      retention.push(active / series.length);
    }
    return { cohort: monthKey(month), size: series.length, retention };
  });
}
