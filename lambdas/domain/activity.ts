/** Usage windows and frequency classes (docs/metrics.md §3.5). */
import { dayFromNum } from './dates';
import type { CustomerTimeline, DayActivity, Frequency } from './types';

export const WINDOW_DAYS = 28;
export const ACTIVITY_DAYS = 2 * WINDOW_DAYS;

export function frequencyOf(activeDays: number): Frequency {
  if (activeDays >= 16) return 'daily';
  if (activeDays >= 4) return 'weekly';
  if (activeDays >= 1) return 'monthly';
  return 'dormant';
}

const FREQUENCY_RANK: Record<Frequency, number> = { dormant: 0, monthly: 1, weekly: 2, daily: 3 };
export const frequencyRank = (f: Frequency) => FREQUENCY_RANK[f];

/** The 56 day strings ending `asOfNum`, oldest first: computed once per snapshot, shared by all customers. */
export function activityWindowDays(asOfNum: number): string[] {
  const out: string[] = [];
  for (let i = ACTIVITY_DAYS - 1; i >= 0; i--) out.push(dayFromNum(asOfNum - i));
  return out;
}

export interface FeatureUse {
  /** Days in the window on which the feature had ≥ 1 event. */
  previous: number;
  current: number;
}

export interface ActivityWindows {
  /** Events per day over the 56 days ending asOf, oldest first (previous window, then current). */
  counts: number[];
  activeDaysPrevious: number;
  activeDaysCurrent: number;
  /** Per feature, the days used in each window. */
  features: Map<string, FeatureUse>;
  /** Last day (index into counts) with an event, −1 if none in the 56 days. */
  lastActiveIndex: number;
}

/** Index of each window day in the 56-day window, shared by all customers of a snapshot. */
export function windowIndex(windowDays: readonly string[]): Map<string, number> {
  return new Map(windowDays.map((d, i) => [d, i]));
}

export function activityWindows(
  activity: CustomerTimeline['activity'],
  windowDays: readonly string[],
  index: Map<string, number> = windowIndex(windowDays),
): ActivityWindows {
  const counts = new Array<number>(windowDays.length).fill(0);
  let activeDaysPrevious = 0;
  let activeDaysCurrent = 0;
  let lastActiveIndex = -1;
  const features = new Map<string, FeatureUse>();
  const half = windowDays.length - WINDOW_DAYS;
  // Walk the customer's own (sparse) days rather than probing all 56 window days.
  for (const day in activity) {
    const i = index.get(day);
    if (i === undefined) continue;
    const a: DayActivity = activity[day]!;
    if (!(a.events >= 1)) continue;
    counts[i] = a.events;
    if (i > lastActiveIndex) lastActiveIndex = i;
    const current = i >= half;
    if (current) activeDaysCurrent++;
    else activeDaysPrevious++;
    for (const feature in a.features) {
      if (!(a.features[feature]! >= 1)) continue;
      let use = features.get(feature);
      if (!use) features.set(feature, (use = { previous: 0, current: 0 }));
      if (current) use.current++;
      else use.previous++;
    }
  }
  return { counts, activeDaysPrevious, activeDaysCurrent, features, lastActiveIndex };
}
