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
 * The `COHORT_COUNT` latest non-empty cohorts up to month `periodMonth`, counted member by member:
 * each member adds to its cohort's size and to the count of members active on each following month
 * end, so no member is kept. A cohort older than `COHORT_COUNT` cohorts already seen can never be
 * among the latest, and is dropped (or not started).
 */
export class CohortTable {
  /** Per cohort month: its size and, per following month, how many members are active then. */
  private readonly byMonth = new Map<number, { size: number; active: number[] }>();

  constructor(
    private readonly periodMonth: number,
    private readonly asOf: number,
  ) {}

  add(member: CohortMember): void {
    const { cohortMonth } = member;
    if (cohortMonth > this.periodMonth) return;
    let cohort = this.byMonth.get(cohortMonth);
    if (!cohort) {
      if (this.byMonth.size >= COHORT_COUNT && cohortMonth < this.oldest()) return;
      cohort = { size: 0, active: new Array<number>(this.periodMonth - cohortMonth).fill(0) };
      this.byMonth.set(cohortMonth, cohort);
      if (this.byMonth.size > COHORT_COUNT) this.byMonth.delete(this.oldest());
    }
    cohort.size++;
    for (let i = 0; i < cohort.active.length; i++) {
      const day = this.dayOf(cohortMonth + 1 + i);
      if (member.series.at(day) > 0 || member.archivedActiveOn?.(day)) cohort.active[i]!++;
    }
  }

  /** Oldest first; `retention[i]` is the share active on the (i+1)-th following month's day. */
  finish(): Cohort[] {
    return [...this.byMonth.keys()]
      .sort((a, b) => a - b)
      .map((month) => {
        const { size, active } = this.byMonth.get(month)!;
        return { cohort: monthKey(month), size, retention: active.map((n) => n / size) };
      });
  }

  /** A following month is judged on its last day, or on asOf for the period's own month, which is incomplete. */
  private dayOf(month: number): number {
    return month === this.periodMonth ? this.asOf : monthEndNum(month);
  }

  private oldest(): number {
    let oldest = Infinity;
    for (const m of this.byMonth.keys()) if (m < oldest) oldest = m;
    return oldest;
  }
}

/**
 * The `COHORT_COUNT` latest non-empty cohorts up to month `periodMonth`, oldest first.
 * `retention[i]` is the share of the cohort active on the last day of the (i+1)-th following month,
 * or on asOf for the period's own month, which is incomplete.
 */
export function buildCohorts(members: Iterable<CohortMember>, periodMonth: number, asOf: number): Cohort[] {
  const table = new CohortTable(periodMonth, asOf);
  for (const m of members) table.add(m);
  return table.finish();
}
