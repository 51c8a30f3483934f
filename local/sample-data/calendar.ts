/**
 * UTC calendar-day helpers for the generator (day numbers are days since 1970-01-01). Deliberately
 * not lambdas/domain/dates.ts: the sample books and the tests' independent book are built with these
 * (on Date), so a bug in the engine's own day arithmetic cannot hide in the data that checks it.
 */
import type { Day } from '../../lambdas/domain/types';

const MS_PER_DAY = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function toNum(day: Day): number {
  const m = DAY_RE.exec(day);
  if (!m) throw new RangeError(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  if (new Date(ms).getUTCDate() !== d) throw new RangeError(`not a calendar day: ${JSON.stringify(day)}`);
  return ms / MS_PER_DAY;
}

const dayTexts = new Map<number, Day>();

export function toDay(num: number): Day {
  let text = dayTexts.get(num);
  if (text === undefined) {
    text = new Date(num * MS_PER_DAY).toISOString().slice(0, 10);
    // Generating usage formats the same few hundred days millions of times.
    if (Number.isInteger(num)) dayTexts.set(num, text);
  }
  return text;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(num: number): number {
  return (num + 4) % 7;
}

export function isWeekend(num: number): boolean {
  const w = weekday(num);
  return w === 0 || w === 6;
}

/** 0 = January 1st. */
export function dayOfYear(num: number): number {
  const year = new Date(num * MS_PER_DAY).getUTCFullYear();
  return num - Date.UTC(year, 0, 1) / MS_PER_DAY;
}

/**
 * The day `months` months after `anchor`, on the anchor's day of month clamped to the month's length,
 * as billing systems anchor periods (Jan 31 → Feb 28 → Mar 31, never drifting to the 28th).
 */
export function anchoredMonth(anchor: number, months: number): number {
  const a = new Date(anchor * MS_PER_DAY);
  const index = a.getUTCFullYear() * 12 + a.getUTCMonth() + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(a.getUTCDate(), lastDay)) / MS_PER_DAY;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** ISO timestamp (`…T07:01:28Z`) at a second of a day, without a Date per event. */
export function timestampAt(day: Day, secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  return `${day}T${pad2(h)}:${pad2(m)}:${pad2(secondOfDay % 60)}Z`;
}
