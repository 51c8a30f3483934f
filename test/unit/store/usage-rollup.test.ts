import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays, dayFromNum, dayNum } from '../../../lambdas/domain/dates';
import { weeksFromDays } from '../../../lambdas/domain/forecast/weeks';
import type { Day } from '../../../lambdas/domain/types';
import type { UsageEvent } from '../../../lambdas/formats/usage-event';
import {
  MAX_EVENT_IDS_PER_DAY,
  MAX_FEATURES_PER_DAY,
  MAX_USERS_PER_DAY,
  activityWindowStart,
  applyDayDelta,
  applyProfilePlan,
  decodeDayActivity,
  dedupeBatch,
  emptyDayState,
  emptyProfileUsage,
  encodeDayActivity,
  eventIdHash,
  groupByCustomerDay,
  planDay,
  planProfile,
  type DayState,
  type IndexedEvent,
  type ProfileUsageState,
  type TouchedDay,
} from '../../../lambdas/store/usage-rollup';

/** An in-memory table fed through the same plans the DynamoDB store executes. */
class Model {
  days = new Map<string, DayState>();
  profiles = new Map<string, ProfileUsageState>();
  accepted = 0;
  duplicates = 0;

  ingest(events: UsageEvent[]): void {
    const { unique, duplicates } = dedupeBatch(events.map((event, index) => ({ index, event })));
    this.duplicates += duplicates.length;
    for (const [customerId, days] of groupByCustomerDay(unique)) {
      const touched = new Map<Day, TouchedDay>();
      for (const [day, list] of days) {
        const key = `${customerId}|${day}`;
        const state = this.days.get(key) ?? emptyDayState();
        const plan = planDay(state, customerId, day, list);
        this.accepted += plan.accepted.length;
        this.duplicates += plan.duplicates.length;
        if (plan.delta.ids.length === 0) continue;
        this.days.set(key, applyDayDelta(state, plan.delta));
        touched.set(day, {
          totals: plan.totals,
          featuresUsed: plan.featuresUsed,
          wasActive: state.events > 0,
          eventsAdded: plan.delta.events,
          users: state.users.size + plan.delta.users.length,
        });
      }
      if (touched.size === 0) continue;
      const profile = this.profiles.get(customerId) ?? emptyProfileUsage();
      this.profiles.set(customerId, applyProfilePlan(profile, planProfile(profile, touched)));
    }
  }

  /** Everything except versions, which count writes and so depend on the batching. */
  view() {
    const days = [...this.days]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, s]) => [k, s.events, Object.fromEntries(s.features), [...s.users].sort(), [...s.ids].sort()]);
    const profiles = [...this.profiles]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, p]) => [
        k,
        p.activity,
        [...p.weeks].sort(([a], [b]) => (a < b ? -1 : 1)),
        p.firstEventDay,
        p.lastEventDay,
        Object.fromEntries(p.featureFirstSeen),
      ]);
    return { days, profiles };
  }
}

/** What the rollups must be, computed directly from the set of distinct events. */
function expected(events: UsageEvent[]) {
  const distinct = new Map<string, UsageEvent>();
  for (const e of events) if (!distinct.has(`${e.customerId}|${e.eventId}`)) distinct.set(`${e.customerId}|${e.eventId}`, e);
  const days = new Map<string, { n: number; f: Record<string, number>; users: Set<string>; ids: Set<string> }>();
  for (const e of distinct.values()) {
    const key = `${e.customerId}|${e.day}`;
    const d = days.get(key) ?? { n: 0, f: {}, users: new Set(), ids: new Set() };
    d.n += e.count;
    d.f[e.feature] = (d.f[e.feature] ?? 0) + e.count;
    if (e.userId) d.users.add(e.userId);
    d.ids.add(eventIdHash(e.eventId));
    days.set(key, d);
  }
  const byCustomer = new Map<string, UsageEvent[]>();
  for (const e of distinct.values()) byCustomer.set(e.customerId, [...(byCustomer.get(e.customerId) ?? []), e]);
  const profiles = [...byCustomer]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([c, list]) => {
      const dayList = list.map((e) => e.day).sort();
      const last = dayList.at(-1)!;
      const activity: Record<string, { events: number; features: Record<string, number> }> = {};
      for (const [key, d] of days) {
        const [cust, day] = key.split('|') as [string, string];
        if (cust === c && day >= activityWindowStart(last)) activity[day] = { events: d.n, features: d.f };
      }
      const ff: Record<string, string> = {};
      for (const e of list) if (!ff[e.feature] || e.day < ff[e.feature]!) ff[e.feature] = e.day;
      // The profile's weekly summaries are what the forecast's own summariser makes of all the days.
      const allDays: Record<string, { events: number; features: Record<string, number>; users: number }> = {};
      for (const [key, d] of days) {
        const [cust, day] = key.split('|') as [string, string];
        if (cust === c) allDays[day] = { events: d.n, features: d.f, users: d.users.size };
      }
      const weeks = [...weeksFromDays(allDays, dayNum(last))]
        .map(([w, summary]) => [dayFromNum(w), summary])
        .sort(([a], [b]) => (a! < b! ? -1 : 1));
      return [c, activity, weeks, dayList[0], last, ff];
    });
  return {
    days: [...days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, d]) => [k, d.n, d.f, [...d.users].sort(), [...d.ids].sort()]),
    profiles,
    distinct: distinct.size,
  };
}

const eventArb = fc.record({
  eventId: fc.string({ minLength: 1, maxLength: 6 }),
  customerId: fc.constantFrom('acme', 'Zürich GmbH', '株式会社', 'c#1'),
  feature: fc.constantFrom('search', 'export', 'api', 'f:x'),
  day: fc.integer({ min: 0, max: 200 }).map((n) => addDays('2026-01-01', n)),
  userId: fc.option(fc.constantFrom('u1', 'u2', 'u3'), { nil: undefined }),
  count: fc.integer({ min: 1, max: 5 }),
});

/** Distinct events (unique per customer + eventId, as docs/metrics.md §2 promises), then delivered with repeats. */
const deliveryArb = fc
  .uniqueArray(eventArb, { selector: (e) => `${e.customerId}|${e.eventId}`, maxLength: 60 })
  .map((events) => events.map((e) => ({ ...e, timestamp: `${e.day}T12:00:00Z` }) as UsageEvent))
  .chain((events) =>
    fc.record({
      events: fc.constant(events),
      repeats: fc.array(fc.nat({ max: Math.max(0, events.length - 1) }), { maxLength: events.length ? 20 : 0 }),
      seed: fc.array(fc.nat(), { minLength: 100, maxLength: 100 }),
      cuts: fc.array(fc.nat({ max: 100 }), { maxLength: 8 }),
    }),
  );

function deliver(events: UsageEvent[], repeats: number[], seed: number[], cuts: number[]): UsageEvent[][] {
  const all = [...events, ...repeats.map((i) => events[i]!)];
  // Fisher–Yates with the generated randomness: any permutation is reachable.
  for (let i = all.length - 1; i > 0; i--) {
    const j = seed[i % seed.length]! % (i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const points = [...new Set(cuts.map((c) => Math.floor((c / 100) * all.length)))].sort((a, b) => a - b);
  const batches: UsageEvent[][] = [];
  let start = 0;
  for (const p of [...points, all.length]) {
    batches.push(all.slice(start, p));
    start = p;
  }
  return batches;
}

describe('usage rollups (in-memory replay of the store plans)', () => {
  it('any permutation, split into batches and repetition gives the same rollups and counts (property)', () => {
    fc.assert(
      fc.property(deliveryArb, ({ events, repeats, seed, cuts }) => {
        const model = new Model();
        const batches = deliver(events, repeats, seed, cuts);
        for (const b of batches) model.ingest(b);
        const want = expected(events);
        const got = model.view();
        expect(got.days).toEqual(want.days);
        expect(got.profiles).toEqual(want.profiles);
        expect(model.accepted).toBe(want.distinct);
        expect(model.duplicates).toBe(repeats.length);
      }),
      { numRuns: 300 },
    );
  });

  it('re-delivering every batch changes nothing and counts all as duplicates (property)', () => {
    fc.assert(
      fc.property(deliveryArb, ({ events, repeats, seed, cuts }) => {
        const model = new Model();
        const batches = deliver(events, repeats, seed, cuts);
        for (const b of batches) model.ingest(b);
        const before = JSON.stringify(model.view());
        const accepted = model.accepted;
        const duplicates = model.duplicates;
        for (const b of batches) model.ingest(b);
        expect(JSON.stringify(model.view())).toBe(before);
        expect(model.accepted).toBe(accepted);
        expect(model.duplicates - duplicates).toBe(batches.reduce((n, b) => n + b.length, 0));
      }),
      { numRuns: 150 },
    );
  });
});

describe('planProfile', () => {
  const touched = (day: Day, features: string[] = ['search']): [Day, TouchedDay] => [
    day,
    {
      totals: { events: 1, features: Object.fromEntries(features.map((f) => [f, 1])) },
      featuresUsed: features,
      wasActive: false,
      eventsAdded: 1,
      users: 1,
    },
  ];

  it('keeps the 60 days up to the latest event day and removes older ones', () => {
    let p = emptyProfileUsage();
    p = applyProfilePlan(p, planProfile(p, new Map([touched('2026-01-31'), touched('2026-03-31')])));
    expect(Object.keys(p.activity).sort()).toEqual(['2026-01-31', '2026-03-31']);
    // 2026-04-01 − 59 days = 2026-02-01: 2026-01-31 falls out.
    const plan = planProfile(p, new Map([touched('2026-04-01')]));
    expect(plan.remove).toEqual(['2026-01-31']);
    p = applyProfilePlan(p, plan);
    expect(Object.keys(p.activity).sort()).toEqual(['2026-03-31', '2026-04-01']);
    expect(p.firstEventDay).toBe('2026-01-31');
    expect(p.lastEventDay).toBe('2026-04-01');
  });

  it('records a backfill older than the window in fe and ff but not in the activity', () => {
    let p = emptyProfileUsage();
    p = applyProfilePlan(p, planProfile(p, new Map([touched('2026-06-01', ['search'])])));
    const plan = planProfile(p, new Map([touched('2025-01-01', ['search', 'export'])]));
    expect(plan.set).toEqual({});
    expect(plan.firstEventDay).toBe('2025-01-01');
    expect(plan.lastEventDay).toBeUndefined();
    expect(Object.fromEntries(plan.featureFirstSeen)).toEqual({ search: '2025-01-01', export: '2025-01-01' });
  });

  it('computes the window start across month and leap-year boundaries', () => {
    expect(activityWindowStart('2024-03-30')).toBe('2024-01-31');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
  });
});

describe('planDay limits and hashing', () => {
  const ev = (i: number, over: Partial<UsageEvent> = {}): IndexedEvent => ({
    index: i,
    event: { eventId: `e${i}`, customerId: 'c', feature: 'f', timestamp: '2026-01-01T00:00:00Z', day: '2026-01-01', count: 1, ...over },
  });

  it('hashes event ids to 8 stable bytes', () => {
    expect(eventIdHash('abc')).toMatch(/^[0-9a-f]{16}$/);
    expect(eventIdHash('abc')).toBe(eventIdHash('abc'));
    expect(eventIdHash('abc')).not.toBe(eventIdHash('abd'));
  });

  it('rejects new features past the daily limit, keeps counting known ones', () => {
    const events = Array.from({ length: MAX_FEATURES_PER_DAY + 2 }, (_, i) => ev(i, { feature: `feat${i}` }));
    events.push(ev(1000, { feature: 'feat0' }));
    const plan = planDay(emptyDayState(), 'c', '2026-01-01', events);
    expect(plan.rejected.map((r) => r.index)).toEqual([MAX_FEATURES_PER_DAY, MAX_FEATURES_PER_DAY + 1]);
    expect(plan.rejected[0]!.reason).toMatch(/^feature: .*limit of 100 distinct features on 2026-01-01/);
    expect(plan.accepted).toHaveLength(MAX_FEATURES_PER_DAY + 1);
    expect(plan.totals.features.feat0).toBe(2);
  });

  it('rejects events past the daily limit of distinct event ids, still recognising known ones', () => {
    const state = emptyDayState();
    for (let i = 0; i < MAX_EVENT_IDS_PER_DAY - 1; i++) state.ids.add(eventIdHash(`old${i}`));
    const plan = planDay(state, 'c', '2026-01-01', [ev(1), ev(2), ev(3, { eventId: 'old5' })]);
    expect(plan.accepted).toEqual([1]);
    expect(plan.duplicates).toEqual([3]);
    expect(plan.rejected).toEqual([
      {
        index: 2,
        reason: `eventId: customer "c" reached the limit of ${MAX_EVENT_IDS_PER_DAY} distinct events on 2026-01-01; send larger counts per event instead`,
      },
    ]);
  });

  it('stops adding users past the cap and flags the day, still counting the events', () => {
    const events = Array.from({ length: MAX_USERS_PER_DAY + 5 }, (_, i) => ev(i, { userId: `u${i}` }));
    const plan = planDay(emptyDayState(), 'c', '2026-01-01', events);
    expect(plan.delta.users).toHaveLength(MAX_USERS_PER_DAY);
    expect(plan.delta.capUsers).toBe(true);
    expect(plan.totals.events).toBe(MAX_USERS_PER_DAY + 5);
    const next = planDay(applyDayDelta(emptyDayState(), plan.delta), 'c', '2026-01-01', [ev(99_999, { userId: 'late' })]);
    expect(next.delta.users).toEqual([]);
    expect(next.delta.capUsers).toBe(false);
    expect(next.accepted).toEqual([99_999]);
  });

  it('round-trips the compact activity encoding', () => {
    const a = { events: 12, features: { search: 10, 'é x': 2 } };
    expect(encodeDayActivity(a)).toBe('{"n":12,"f":{"search":10,"é x":2}}');
    expect(decodeDayActivity(encodeDayActivity(a))).toEqual(a);
    expect(decodeDayActivity('not json')).toBeUndefined();
  });
});
