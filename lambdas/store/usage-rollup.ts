import { createHash } from 'node:crypto';
import { addDays } from '../domain/dates';
import { dayFromNum, dayNum } from '../domain/dates';
import { addDayToWeek, emptyWeek, weekStartOf, WEEKS_KEPT, type WeekSummary } from '../domain/forecast/weeks';
import type { Day, DayActivity } from '../domain/types';
import { validateUsageEvent, type UsageEvent } from '../formats/usage-event';
import { PROFILE_ACTIVITY_DAYS } from './keys';

/**
 * The pure half of usage ingest: de-duplication, grouping and the arithmetic of the DAY# rollups and
 * the profile's usage part. The store turns these plans into DynamoDB updates; tests replay them in
 * memory to check that any order, split or repetition of events gives the same rollups.
 *
 * Feature names are data (docs/metrics.md §2): they are kept in Maps, never as keys of plain objects, where
 * `constructor` or `toString` would find Object.prototype's members and `__proto__` would vanish.
 * The domain's `DayActivity.features` records are built without a prototype (`featureRecord`).
 */

/**
 * Per customer-day bounds that keep a DAY# item under DynamoDB's 400 KB item limit:
 * 30,000 ids × 8 B = 240 KB, users ≤ 96 KB, 100 features × ≤ 140 B ≈ 14 KB.
 */
export const MAX_EVENT_IDS_PER_DAY = 30_000;
export const MAX_FEATURES_PER_DAY = 100;
export const MAX_USERS_PER_DAY = 10_000;
export const MAX_USER_BYTES_PER_DAY = 96 * 1024;
/**
 * Distinct event ids a customer may send per UTC day of arrival (its SEEN# item: 40,000 × 8 B = 320 KB,
 * under the 400 KB item limit).
 */
export const MAX_EVENT_IDS_RECEIVED_PER_DAY = 40_000;
/**
 * Days of arrival whose event ids are checked: the arrival day and the 7 before it, so an event sent
 * again within 7 days of its first delivery is a duplicate whatever timestamp it carries (docs/metrics.md §2).
 */
export const DEDUP_ARRIVAL_DAYS = 8;

/** A prototype-free record of feature counts (or days), for the domain's `Record<string, …>` fields. */
export function featureRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

export interface IndexedEvent {
  /** Position in the caller's input, for per-event results. */
  index: number;
  event: UsageEvent;
}

export interface Rejection {
  index: number;
  reason: string;
}

/** 8-byte SHA-256 prefix of an event id, hex encoded (the form kept in memory; stored as binary). */
export function eventIdHash(eventId: string): string {
  return createHash('sha256').update(eventId, 'utf8').digest().subarray(0, 8).toString('hex');
}

/**
 * What every accept path does first with a request's events: validate each (kept by position, so a
 * bad event never costs the good ones) and keep the first of each (customerId, eventId).
 */
export function screenBatch(
  events: readonly unknown[],
  now: Date,
): { unique: IndexedEvent[]; duplicates: number[]; rejected: Rejection[] } {
  const rejected: Rejection[] = [];
  const valid: IndexedEvent[] = [];
  events.forEach((raw, index) => {
    const v = validateUsageEvent(raw, now);
    if (v.ok) valid.push({ index, event: v.event });
    else rejected.push({ index, reason: v.reason });
  });
  return { ...dedupeBatch(valid), rejected };
}

/** Keeps the first occurrence of each (customerId, eventId); the indexes of later ones are duplicates. */
export function dedupeBatch(events: IndexedEvent[]): { unique: IndexedEvent[]; duplicates: number[] } {
  const seen = new Set<string>();
  const unique: IndexedEvent[] = [];
  const duplicates: number[] = [];
  for (const e of events) {
    const key = JSON.stringify([e.event.customerId, e.event.eventId]);
    if (seen.has(key)) duplicates.push(e.index);
    else {
      seen.add(key);
      unique.push(e);
    }
  }
  return { unique, duplicates };
}

/** customerId → day → events, both levels in first-seen order. */
export function groupByCustomerDay(events: IndexedEvent[]): Map<string, Map<Day, IndexedEvent[]>> {
  const out = new Map<string, Map<Day, IndexedEvent[]>>();
  for (const e of events) {
    let days = out.get(e.event.customerId);
    if (!days) out.set(e.event.customerId, (days = new Map()));
    let list = days.get(e.event.day);
    if (!list) days.set(e.event.day, (list = []));
    list.push(e);
  }
  return out;
}

/** What a DAY# item holds, as read (version 0 and empty when the item does not exist). */
export interface DayState {
  version: number;
  events: number;
  features: Map<string, number>;
  users: Set<string>;
  usersCapped: boolean;
  ids: Set<string>;
}

export function emptyDayState(): DayState {
  return { version: 0, events: 0, features: new Map(), users: new Set(), usersCapped: false, ids: new Set() };
}

/**
 * The event ids a customer sent on its recent days of arrival (SEEN# items), shared by the plans of one
 * batch: `ids` the hashes already seen, `today` how many today's item holds (the batch's included).
 */
export interface RecentIds {
  ids: Set<string>;
  today: number;
  /** Hashes this batch adds to today's item. */
  added: string[];
}

export function emptyRecentIds(): RecentIds {
  return { ids: new Set(), today: 0, added: [] };
}

/** The increments one batch adds to one DAY# item. */
export interface DayDelta {
  events: number;
  features: Map<string, number>;
  users: string[];
  /** True when this batch is the one that hits the user cap (the flag is then set on the item). */
  capUsers: boolean;
  ids: string[];
}

export interface DayPlan {
  delta: DayDelta;
  accepted: number[];
  duplicates: number[];
  rejected: Rejection[];
  /** The day's totals once the delta is applied. */
  totals: DayActivity;
  /** Features this batch used on this day (for first-seen days). */
  featuresUsed: string[];
}

/**
 * Decides, event by event, what a batch adds to one customer-day. An event is a duplicate when its id
 * is on the day's item or among the customer's recent arrivals (`recent`, updated as events are taken).
 */
export function planDay(
  state: DayState,
  customerId: string,
  day: Day,
  events: IndexedEvent[],
  recent: RecentIds = emptyRecentIds(),
): DayPlan {
  const delta: DayDelta = { events: 0, features: new Map(), users: [], capUsers: false, ids: [] };
  const accepted: number[] = [];
  const duplicates: number[] = [];
  const rejected: Rejection[] = [];
  const newIds = new Set<string>();
  const newUsers = new Set<string>();
  let distinctFeatures = state.features.size;
  let userCount = state.users.size;
  let userBytes = 0;
  for (const u of state.users) userBytes += Buffer.byteLength(u, 'utf8');
  let capped = state.usersCapped;

  for (const { index, event } of events) {
    const id = eventIdHash(event.eventId);
    if (state.ids.has(id) || newIds.has(id) || recent.ids.has(id)) {
      duplicates.push(index);
      continue;
    }
    if (recent.today >= MAX_EVENT_IDS_RECEIVED_PER_DAY) {
      rejected.push({
        index,
        reason: `eventId: customer ${JSON.stringify(customerId)} reached the limit of ${MAX_EVENT_IDS_RECEIVED_PER_DAY} distinct events received in one day (UTC); send larger counts per event instead`,
      });
      continue;
    }
    if (state.ids.size + newIds.size >= MAX_EVENT_IDS_PER_DAY) {
      rejected.push({
        index,
        reason: `eventId: customer ${JSON.stringify(customerId)} reached the limit of ${MAX_EVENT_IDS_PER_DAY} distinct events on ${day}; send larger counts per event instead`,
      });
      continue;
    }
    const isNewFeature = !state.features.has(event.feature) && !delta.features.has(event.feature);
    if (isNewFeature && distinctFeatures >= MAX_FEATURES_PER_DAY) {
      rejected.push({
        index,
        reason: `feature: customer ${JSON.stringify(customerId)} reached the limit of ${MAX_FEATURES_PER_DAY} distinct features on ${day}`,
      });
      continue;
    }
    if (isNewFeature) distinctFeatures++;
    newIds.add(id);
    recent.ids.add(id);
    recent.today++;
    recent.added.push(id);
    accepted.push(index);
    delta.ids.push(id);
    delta.events += event.count;
    delta.features.set(event.feature, (delta.features.get(event.feature) ?? 0) + event.count);
    const user = event.userId;
    if (user !== undefined && !capped && !state.users.has(user) && !newUsers.has(user)) {
      const bytes = Buffer.byteLength(user, 'utf8');
      if (userCount >= MAX_USERS_PER_DAY || userBytes + bytes > MAX_USER_BYTES_PER_DAY) {
        capped = true;
        delta.capUsers = true;
      } else {
        newUsers.add(user);
        delta.users.push(user);
        userCount++;
        userBytes += bytes;
      }
    }
  }

  return {
    delta,
    accepted,
    duplicates,
    rejected,
    totals: { events: state.events + delta.events, features: featureRecord(addCounts(state.features, delta.features)) },
    featuresUsed: [...delta.features.keys()],
  };
}

function addCounts(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const sum = new Map(a);
  for (const [f, c] of b) sum.set(f, (sum.get(f) ?? 0) + c);
  return sum;
}

/** Applies a delta the way the DynamoDB update does (ADD n, ADD f:*, ADD users, ADD ids, v + 1). */
export function applyDayDelta(state: DayState, delta: DayDelta): DayState {
  return {
    version: state.version + 1,
    events: state.events + delta.events,
    features: addCounts(state.features, delta.features),
    users: new Set([...state.users, ...delta.users]),
    usersCapped: state.usersCapped || delta.capUsers,
    ids: new Set([...state.ids, ...delta.ids]),
  };
}

/** The profile's usage part (`a:<day>`, `w:<week>`, `fe`, `le`, `ff:<feature>`, `uv`). */
export interface ProfileUsageState {
  version: number;
  activity: Record<Day, DayActivity>;
  /** Weekly summaries for the forecast's 13-month baseline, by week-start day (Monday). */
  weeks: Map<Day, WeekSummary>;
  firstEventDay?: Day;
  lastEventDay?: Day;
  featureFirstSeen: Map<string, Day>;
}

export function emptyProfileUsage(): ProfileUsageState {
  return { version: 0, activity: {}, weeks: new Map(), featureFirstSeen: new Map() };
}

export interface ProfileUsagePlan {
  /** `a:<day>` values to write (full day totals). */
  set: Record<Day, DayActivity>;
  /** `a:<day>` attributes to remove (fell out of the window). */
  remove: Day[];
  /** `w:<week>` values to write (the weeks of the touched days, updated). */
  setWeeks: Map<Day, WeekSummary>;
  /** `w:<week>` attributes to remove (older than WEEKS_KEPT weeks before the latest event). */
  removeWeeks: Day[];
  firstEventDay?: Day;
  lastEventDay?: Day;
  /** `ff:<feature>` values to write (new features, or an earlier first day from a backfill). */
  featureFirstSeen: Map<string, Day>;
}

export interface TouchedDay {
  totals: DayActivity;
  featuresUsed: string[];
  /** The day had events before this batch (so its week already counts it as active). */
  wasActive: boolean;
  eventsAdded: number;
  /** Distinct users of the day after this batch. */
  users: number;
}

/** First day kept in a profile whose latest event day is `lastEventDay`. */
export function activityWindowStart(lastEventDay: Day): Day {
  return addDays(lastEventDay, -(PROFILE_ACTIVITY_DAYS - 1));
}

/** What a batch changes in the profile's usage part, given the new totals of the days it touched. */
export function planProfile(state: ProfileUsageState, touched: Map<Day, TouchedDay>): ProfileUsagePlan {
  const days = [...touched.keys()].sort();
  const plan: ProfileUsagePlan = { set: {}, remove: [], setWeeks: new Map(), removeWeeks: [], featureFirstSeen: new Map() };
  if (days.length === 0) return plan;
  const minDay = days[0]!;
  const maxDay = days[days.length - 1]!;
  if (state.firstEventDay === undefined || minDay < state.firstEventDay) plan.firstEventDay = minDay;
  if (state.lastEventDay === undefined || maxDay > state.lastEventDay) plan.lastEventDay = maxDay;
  const last = plan.lastEventDay ?? state.lastEventDay!;
  const windowStart = activityWindowStart(last);
  for (const day of days) {
    const t = touched.get(day)!;
    if (day >= windowStart) plan.set[day] = t.totals;
    for (const f of t.featuresUsed) {
      const known = plan.featureFirstSeen.get(f) ?? state.featureFirstSeen.get(f);
      if (known === undefined || day < known) plan.featureFirstSeen.set(f, day);
    }
  }
  plan.remove = Object.keys(state.activity)
    .filter((d) => d < windowStart)
    .sort();
  planWeeks(state, touched, last, plan);
  return plan;
}

/**
 * Folds the touched days into their weeks: a day that turns active adds an active day, events add
 * up, and the most features and users of any one day are kept (both only grow within a day, so the
 * result does not depend on how the day's events were split into batches).
 */
function planWeeks(state: ProfileUsageState, touched: Map<Day, TouchedDay>, lastEventDay: Day, plan: ProfileUsagePlan): void {
  const oldest = weekStartOf(dayNum(lastEventDay)) - 7 * (WEEKS_KEPT - 1);
  for (const [day, t] of touched) {
    const start = weekStartOf(dayNum(day));
    if (start < oldest) continue;
    const key = dayFromNum(start);
    let week = plan.setWeeks.get(key);
    if (!week) plan.setWeeks.set(key, (week = { ...(state.weeks.get(key) ?? emptyWeek()) }));
    if (t.wasActive) {
      week.events += t.eventsAdded;
      week.features = Math.max(week.features, featureCount(t.totals));
      week.users = Math.max(week.users, t.users);
    } else {
      addDayToWeek(week, { ...t.totals, users: t.users });
    }
  }
  plan.removeWeeks = [...state.weeks.keys()].filter((w) => dayNum(w) < oldest).sort();
}

function featureCount(day: DayActivity): number {
  let n = 0;
  for (const f in day.features) if (day.features[f]! >= 1) n++;
  return n;
}

export function applyProfilePlan(state: ProfileUsageState, plan: ProfileUsagePlan): ProfileUsageState {
  const activity = { ...state.activity, ...plan.set };
  for (const d of plan.remove) delete activity[d];
  const weeks = new Map([...state.weeks, ...plan.setWeeks]);
  for (const w of plan.removeWeeks) weeks.delete(w);
  return {
    version: state.version + 1,
    activity,
    weeks,
    firstEventDay: plan.firstEventDay ?? state.firstEventDay,
    lastEventDay: plan.lastEventDay ?? state.lastEventDay,
    featureFirstSeen: new Map([...state.featureFirstSeen, ...plan.featureFirstSeen]),
  };
}

/** Compact JSON kept in `w:<week>`: `{"d": active days, "n": events, "f": features, "u": users}`. */
export function encodeWeek(w: WeekSummary): string {
  return JSON.stringify({ d: w.days, n: w.events, f: w.features, u: w.users });
}

export function decodeWeek(value: unknown): WeekSummary | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const p = JSON.parse(value) as Record<string, unknown>;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    return { days: num(p.d), events: num(p.n), features: num(p.f), users: num(p.u) };
  } catch {
    return undefined;
  }
}

/** Compact JSON kept in `a:<day>`: `{"n": events, "f": {feature: count}}`. */
export function encodeDayActivity(a: DayActivity): string {
  return JSON.stringify({ n: a.events, f: a.features });
}

export function decodeDayActivity(value: unknown): DayActivity | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(value) as { n?: unknown; f?: unknown };
    if (typeof parsed.n !== 'number') return undefined;
    // JSON.parse makes every key an own property, `__proto__` included; entries() then lists them all.
    const entries = parsed.f && typeof parsed.f === 'object' ? Object.entries(parsed.f) : [];
    return { events: parsed.n, features: featureRecord(entries.filter((e): e is [string, number] => typeof e[1] === 'number')) };
  } catch {
    return undefined;
  }
}
