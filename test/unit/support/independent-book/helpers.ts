import { generateIndependentBook, type IndependentBook } from '../../../support/independent-book';

const MS_PER_DAY = 86_400_000;
export const dayNumber = (iso: string): number => Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / MS_PER_DAY;

/** A real `YYYY-MM-DD` day (Feb 30 is not). */
export function isRealDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

let defaultBook: IndependentBook | undefined;
/** The default book (1,000 customers, 24 months, seed 1), generated once per test file. */
export function theDefaultBook(): IndependentBook {
  defaultBook ??= generateIndependentBook({});
  return defaultBook;
}

/** Events per (customer, day), from the columnar log without materialising a million objects. */
export function dailyEventCounts(book: IndependentBook): Map<string, Map<number, number>> {
  const ids = book.customers.map((c) => c.customer_id);
  const out = new Map<string, Map<number, number>>();
  for (let i = 0; i < book.usage.size; i++) {
    const id = ids[book.usage.customerOf(i)]!;
    let days = out.get(id);
    if (!days) out.set(id, (days = new Map()));
    const d = book.usage.dayOf(i);
    days.set(d, (days.get(d) ?? 0) + 1);
  }
  return out;
}

/** Active days (≥ 1 event) of a customer in [from, to). */
export function activeDaysIn(days: Map<number, number> | undefined, from: number, to: number): number {
  if (!days) return 0;
  let n = 0;
  for (let d = from; d < to; d++) if (days.has(d)) n++;
  return n;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
