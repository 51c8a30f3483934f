/** Cohorts (docs/metrics.md §3.4): customers by month of their first active day, and how many stay active. */
import { monthEndNum, monthKey } from './dates';
import type { MrrSeries } from './mrr';
import { count, invalid, list, record } from './partial-state';

export const COHORT_COUNT = 12;

export interface CohortMember {
  /** Month index (see dates.monthIndexOfNum) of the first active day. */
  cohortMonth: number;
  series: MrrSeries;
  /** Active on a month end before the kept lines (archived history), when known. */
  archivedActiveOn?: (day: number) => boolean;
}

/** One kept cohort's counts as JSON-safe data (see SnapshotPartial). */
export interface CohortState {
  /** Month index of the cohort. */
  month: number;
  size: number;
  /** Members active on each following month's day, as in CohortTable. */
  active: number[];
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
    const cohort = this.cohortOf(cohortMonth);
    if (!cohort) return;
    cohort.size++;
    for (let i = 0; i < cohort.active.length; i++) {
      const day = this.dayOf(cohortMonth + 1 + i);
      if (member.series.at(day) > 0 || member.archivedActiveOn?.(day)) cohort.active[i]!++;
    }
  }

  toState(): CohortState[] {
    return [...this.byMonth].map(([month, c]) => ({ month, size: c.size, active: c.active.slice() }));
  }

  /**
   * Adds another table's cohorts, e.g. one part's (read back with `readState`). The result is the
   * table of all members of both: a cohort among the latest COHORT_COUNT of all members is among
   * the latest of every part holding members of it (a part's later cohorts are some of all later
   * ones), so each such part kept it, with all of its members counted (a part drops a cohort only
   * once COHORT_COUNT later ones exist, and then never starts it again); the rest is trimmed here as
   * `add` trims it.
   */
  mergeState(state: readonly CohortState[]): void {
    for (const { month, size, active } of state) {
      if (month > this.periodMonth) continue;
      const cohort = this.cohortOf(month);
      if (!cohort) continue;
      cohort.size += size;
      for (let i = 0; i < cohort.active.length; i++) cohort.active[i]! += active[i]!;
    }
  }

  /** Reads a `toState()` of a table for the same period back from JSON; throws naming `at`. */
  readState(value: unknown, at: string): CohortState[] {
    const months = new Set<number>();
    return list(value, at).map((v, i) => {
      const c = record(v, `${at}[${i}]`);
      const month = c.month;
      if (!Number.isSafeInteger(month) || (month as number) > this.periodMonth || months.has(month as number))
        invalid(`${at}[${i}].month`, 'a month index up to the period, listed once', month);
      months.add(month as number);
      const size = count(c.size, `${at}[${i}].size`);
      // A kept cohort has members; an empty one would take the place of one that has.
      if (size === 0) invalid(`${at}[${i}].size`, 'at least 1', size);
      const active = list(c.active, `${at}[${i}].active`);
      if (active.length !== this.periodMonth - (month as number))
        invalid(`${at}[${i}].active`, `${this.periodMonth - (month as number)} counts (one per following month)`, active);
      return { month: month as number, size, active: active.map((n, j) => count(n, `${at}[${i}].active[${j}]`)) };
    });
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

  /** The counts of a cohort, started if it can still be among the latest, trimming the oldest. */
  private cohortOf(month: number): { size: number; active: number[] } | undefined {
    let cohort = this.byMonth.get(month);
    if (!cohort) {
      if (this.byMonth.size >= COHORT_COUNT && month < this.oldest()) return undefined;
      cohort = { size: 0, active: new Array<number>(this.periodMonth - month).fill(0) };
      this.byMonth.set(month, cohort);
      if (this.byMonth.size > COHORT_COUNT) this.byMonth.delete(this.oldest());
    }
    return cohort;
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
