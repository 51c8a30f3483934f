/**
 * Days as integers (days since 1970-01-01 UTC) so the daily simulation loop does arithmetic, not
 * Date objects; text is made only when a record is written.
 */
export type DayNumber = number;

const MS_PER_DAY = 86_400_000;
const isoCache = new Map<DayNumber, string>();

export function dayOf(iso: string): DayNumber {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new Error(`not a YYYY-MM-DD day: ${iso}`);
  const day = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / MS_PER_DAY;
  if (isoOf(day) !== iso) throw new Error(`not a real day: ${iso}`);
  return day;
}

export function isoOf(day: DayNumber): string {
  let s = isoCache.get(day);
  if (s === undefined) {
    s = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    isoCache.set(day, s);
  }
  return s;
}

/** 0 = Sunday … 6 = Saturday. */
export const weekdayOf = (day: DayNumber): number => (((day + 4) % 7) + 7) % 7;

export function ymdOf(day: DayNumber): { year: number; month: number; dayOfMonth: number } {
  const d = new Date(day * MS_PER_DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, dayOfMonth: d.getUTCDate() };
}

/** Day of the year, 0-based, so seasonal windows recur on the same calendar dates. */
export function dayOfYear(day: DayNumber): number {
  const { year } = ymdOf(day);
  return day - Date.UTC(year, 0, 1) / MS_PER_DAY;
}

/**
 * The day `months` calendar months after `anchor`, keeping the anchor's day of month and clamping it
 * to the month's end (Jan 31 → Feb 28 → Mar 31), as billing systems step subscription cycles.
 */
export function addMonths(anchor: DayNumber, months: number): DayNumber {
  const { year, month, dayOfMonth } = ymdOf(anchor);
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const m = index - y * 12;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(dayOfMonth, lastDay)) / MS_PER_DAY;
}

export const firstOfMonth = (day: DayNumber): DayNumber => {
  const { year, month } = ymdOf(day);
  return Date.UTC(year, month - 1, 1) / MS_PER_DAY;
};

export const monthKey = (day: DayNumber): string => isoOf(day).slice(0, 7);
