/**
 * UTC calendar-day arithmetic on `YYYY-MM-DD` strings. The engine converts each day to an integer
 * day number (days since 1970-01-01) once and works on integers, which keeps a 100k-customer snapshot
 * free of Date allocations.
 */
import type { Day } from './types';

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function civilToDayNum(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** [year, month 1–12, day 1–31] of a day number. */
export function dayNumToCivil(n: number): [number, number, number] {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d];
}

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Day number of `YYYY-MM-DD`. A longer ISO timestamp is accepted and read as its UTC date part, so a
 * stray `2026-01-01T00:00:00Z` does not break a snapshot.
 */
export function dayNum(day: Day): number {
  if (day.length < 10 || day.charCodeAt(4) !== 45 || day.charCodeAt(7) !== 45) {
    throw new RangeError(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  }
  const y = digits(day, 0, 4);
  const m = digits(day, 5, 2);
  const d = digits(day, 8, 2);
  if (!(m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m))) {
    throw new RangeError(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  }
  return civilToDayNum(y, m, d);
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

export function dayFromNum(n: number): Day {
  const [y, m, d] = dayNumToCivil(n);
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Whether year, month 1–12 and day name a real calendar day. */
export function isRealDay(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

const MS_PER_DAY = 86_400_000;

/** The UTC day of an instant (epoch milliseconds). */
export function utcDay(epochMs: number): Day {
  return dayFromNum(Math.floor(epochMs / MS_PER_DAY));
}

export function addDays(day: Day, n: number): Day {
  return dayFromNum(dayNum(day) + n);
}

/** Months since year 0 (year·12 + month − 1): consecutive months are consecutive integers. */
export function monthIndexOfNum(n: number): number {
  const [y, m] = dayNumToCivil(n);
  return y * 12 + m - 1;
}

export function monthStartNum(monthIndex: number): number {
  return civilToDayNum(Math.floor(monthIndex / 12), (monthIndex % 12) + 1, 1);
}

export function monthEndNum(monthIndex: number): number {
  return monthStartNum(monthIndex + 1) - 1;
}

/** `YYYY-MM` of a month index. */
export function monthKey(monthIndex: number): string {
  return `${Math.floor(monthIndex / 12)}-${pad2((monthIndex % 12) + 1)}`;
}

/** Day number of day `day` of the month `monthIndex` (see monthIndexOfNum), clamped to the month's end. */
export function clampedDayNum(monthIndex: number, day: number): number {
  const y = Math.floor(monthIndex / 12);
  const m = monthIndex - y * 12 + 1;
  return civilToDayNum(y, m, Math.min(day, daysInMonth(y, m)));
}

/** The same day `months` calendar months later (earlier when negative), clamped to the month's end. */
export function addMonthsClamped(day: Day, months: number): Day {
  const [y, m, d] = dayNumToCivil(dayNum(day));
  return dayFromNum(clampedDayNum(y * 12 + m - 1 + months, d));
}
