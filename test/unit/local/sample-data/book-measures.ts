/**
 * Measures of a generated book computed from its subscriptions, cancellations and events alone (no
 * engine), so the tests check the world the generator made rather than how the pipeline reads it.
 */
import { anchoredMonth, toNum } from '../../../../local/sample-data/calendar';
import type { SampleSaas } from '../../../../local/sample-data/generate';

export interface BookMeasures {
  /** Has a live subscription on the day (service started, cancellation not yet effective). */
  live(customerId: string, day: number): boolean;
  /** Month ends (day numbers) of the history, oldest first. */
  monthEnds: number[];
  /** Active (any event) days per customer. */
  activeDays: Map<string, Set<number>>;
  /** Customers live on `day` that are not live on some day in (day, day + horizon]. */
  churnedWithin(day: number, horizon: number): { base: string[]; churned: Set<string> };
}

export function measure(sample: SampleSaas): BookMeasures {
  // Live spans per customer, [start, end) merged, from the world's subscriptions (even cancellations not on file).
  const spans = new Map<string, [number, number][]>();
  for (const s of [...sample.subscriptions].sort((a, b) => a.start - b.start)) {
    const list = spans.get(s.customerId) ?? [];
    const last = list.at(-1);
    const end = s.end ?? Infinity;
    if (last && s.start <= last[1]) last[1] = Math.max(last[1], end);
    else list.push([s.start, end]);
    spans.set(s.customerId, list);
  }
  const spanAt = (id: string, day: number) => spans.get(id)?.find(([from, to]) => from <= day && day < to);
  const activeDays = new Map<string, Set<number>>();
  const dayNumbers = new Map<string, number>();
  for (const e of sample.events) {
    const text = e.timestamp.slice(0, 10);
    let day = dayNumbers.get(text);
    if (day === undefined) dayNumbers.set(text, (day = toNum(text)));
    const set = activeDays.get(e.customerId) ?? new Set<number>();
    set.add(day);
    activeDays.set(e.customerId, set);
  }
  const asOf = toNum(sample.asOf);
  const firstOfMonth = toNum(`${sample.historyStart.slice(0, 7)}-01`);
  const monthEnds: number[] = [];
  for (let m = 1; anchoredMonth(firstOfMonth, m) - 1 <= asOf; m++) monthEnds.push(anchoredMonth(firstOfMonth, m) - 1);
  const ids = sample.customers.map((c) => c.customerId);
  const memo = new Map<string, { base: string[]; churned: Set<string> }>();
  return {
    live: (id, day) => spanAt(id, day) !== undefined,
    monthEnds,
    activeDays,
    churnedWithin(day, horizon) {
      const key = `${day}/${horizon}`;
      let result = memo.get(key);
      if (!result) {
        const base = ids.filter((id) => spanAt(id, day));
        result = { base, churned: new Set(base.filter((id) => spanAt(id, day)![1] <= day + horizon)) };
        memo.set(key, result);
      }
      return result;
    },
  };
}

/** Logo churn per calendar month: live on the month's eve and not at its end. */
export function monthlyChurnRates(sample: SampleSaas, m: BookMeasures): number[] {
  const ids = sample.customers.map((c) => c.customerId);
  return m.monthEnds.slice(1).map((end, i) => {
    const base = ids.filter((id) => m.live(id, m.monthEnds[i]!));
    return base.filter((id) => !m.live(id, end)).length / base.length;
  });
}

export const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export function countIn(days: Set<number> | undefined, from: number, to: number): number {
  let n = 0;
  for (const d of days ?? []) if (d >= from && d <= to) n++;
  return n;
}
