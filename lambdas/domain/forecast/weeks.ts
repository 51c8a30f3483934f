/**
 * Weekly usage summaries: what the forecast keeps of up to 13 months of activity, small enough to
 * live in the customer profile (~40 bytes a week). The same summaries are built from daily rollups
 * in a backtest, so the snapshot and the backtest see identical inputs.
 */
import { dayNum } from '../dates';
import type { Day, DayActivity } from '../types';

/** One ISO week (Monday to Sunday) of a customer's usage. */
export interface WeekSummary {
  /** Days with ≥ 1 event. */
  days: number;
  events: number;
  /** Most distinct features used on one day of the week. */
  features: number;
  /** Most distinct users on one day of the week (0 when events carry no userId). */
  users: number;
}

/** Weeks kept: the 56-week baseline, the weeks of the current 28-day window and the current week. */
export const WEEKS_KEPT = 62;

/** Day number of the Monday starting the week of day number `d` (day 0, 1970-01-01, was a Thursday). */
export const weekStartOf = (d: number): number => d - ((((d + 3) % 7) + 7) % 7);

export const emptyWeek = (): WeekSummary => ({ days: 0, events: 0, features: 0, users: 0 });

/** Distinct features with ≥ 1 event on a day. */
export function featuresUsed(day: DayActivity): number {
  let n = 0;
  for (const f in day.features) if (day.features[f]! >= 1) n++;
  return n;
}

/** Folds one day into its week (the day must not have been folded before). */
export function addDayToWeek(week: WeekSummary, day: DayActivity): void {
  if (!(day.events >= 1)) return;
  week.days++;
  week.events += day.events;
  week.features = Math.max(week.features, featuresUsed(day));
  week.users = Math.max(week.users, day.users ?? 0);
}

/**
 * Weekly summaries of the days `≤ upTo` (and within WEEKS_KEPT weeks of it) of a daily activity map,
 * keyed by week-start day number.
 */
export function weeksFromDays(activity: Readonly<Record<Day, DayActivity>>, upTo: number): Map<number, WeekSummary> {
  const from = weekStartOf(upTo) - 7 * (WEEKS_KEPT - 1);
  const weeks = new Map<number, WeekSummary>();
  for (const day in activity) {
    const d = dayNum(day);
    if (d > upTo || d < from) continue;
    const w = weekStartOf(d);
    let week = weeks.get(w);
    if (!week) weeks.set(w, (week = emptyWeek()));
    addDayToWeek(week, activity[day]!);
  }
  return weeks;
}
