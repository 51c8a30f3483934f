import { describe, expect, it } from 'vitest';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import { addDays } from '../../../lambdas/domain/dates';
import { frequencyOf } from '../../../lambdas/domain/activity';
import type { CustomerTimeline, DayActivity, EngineSettings, LedgerLine } from '../../../lambdas/domain/types';
import { activityOn, customer, daysEnding, line, SETTINGS } from './builders';

const AS_OF = '2026-03-20';
const PREV_END = addDays(AS_OF, -28); // last day of the previous window
/** 100 MRR since mid-2025, covering asOf. */
const annual = () => [line(1200, '2025-06-01', '2026-06-01')];
/** Used every day of both windows: no usage reason. */
const everyDay = () => activityOn(daysEnding(AS_OF, 56));

function merge(...parts: Record<string, DayActivity>[]): Record<string, DayActivity> {
  const out: Record<string, DayActivity> = {};
  for (const p of parts) {
    for (const [day, a] of Object.entries(p)) {
      const prev = out[day];
      if (!prev) out[day] = { events: a.events, features: { ...a.features } };
      else {
        prev.events += a.events;
        for (const [f, n] of Object.entries(a.features)) prev.features[f] = (prev.features[f] ?? 0) + n;
      }
    }
  }
  return out;
}

function assess(over: Partial<CustomerTimeline> & { lines?: LedgerLine[] }, settings: Partial<EngineSettings> = {}) {
  const activity = over.activity ?? everyDay();
  const eventDays = Object.keys(activity).sort();
  const c = customer('c', over.lines ?? annual(), {
    firstEventDay: eventDays[0],
    ...over,
    activity,
  });
  const snap = computeSnapshot([c], { ...SETTINGS, ...settings }, AS_OF);
  return snap.atRisk[0];
}
const codes = (...args: Parameters<typeof assess>) => assess(...args)?.reasons.map((r) => r.code) ?? [];

describe('frequency classes', () => {
  it('has boundaries at 16, 4 and 1 active days of 28', () => {
    expect([28, 16, 15, 4, 3, 1, 0].map(frequencyOf)).toEqual(['daily', 'daily', 'weekly', 'weekly', 'monthly', 'monthly', 'dormant']);
  });
});

describe('risk reasons (docs/metrics.md §3.5)', () => {
  it('a steady, fully active customer has none', () => {
    expect(assess({})).toBeUndefined();
  });

  it('frequency_downgrade: daily → weekly triggers, weekly → weekly does not', () => {
    const r = assess({ activity: activityOn([...daysEnding(PREV_END, 16), ...daysEnding(AS_OF, 15)]) });
    expect(r?.reasons.map((x) => x.code)).toEqual(['frequency_downgrade']);
    expect(r?.reasons[0]!.detail).toBe('usage frequency fell from daily to weekly (active days 16 → 15 in 28 days)');
    expect(r?.frequency).toBe('weekly');
    expect(codes({ activity: activityOn([...daysEnding(PREV_END, 15), ...daysEnding(AS_OF, 8)]) })).toEqual([]);
  });

  it('activity_decline: previous ≥ 4 and current ≤ half of it', () => {
    const r = assess({ activity: activityOn([...daysEnding(PREV_END, 4), ...daysEnding(AS_OF, 2)]) });
    expect(r?.reasons.map((x) => x.code)).toEqual(['frequency_downgrade', 'activity_decline']);
    expect(r?.reasons[1]!.detail).toBe('active days 4 → 2 in 28 days');
    expect(codes({ activity: activityOn([...daysEnding(PREV_END, 4), ...daysEnding(AS_OF, 3)]) })).toEqual(['frequency_downgrade']);
    // previous 3 is below the floor of 4, even with a drop to 1.
    expect(codes({ activity: activityOn([...daysEnding(PREV_END, 3), ...daysEnding(AS_OF, 1)]) })).toEqual([]);
    expect(codes({ activity: activityOn([...daysEnding(PREV_END, 20), ...daysEnding(AS_OF, 10)]) })).toContain('activity_decline');
    expect(codes({ activity: activityOn([...daysEnding(PREV_END, 20), ...daysEnding(AS_OF, 11)]) })).not.toContain('activity_decline');
  });

  it('inactive: no event in the last 14 days after some event before', () => {
    const fourteen = assess({ activity: activityOn([...daysEnding(PREV_END, 10), addDays(AS_OF, -14)]) });
    expect(fourteen?.reasons.map((x) => x.code)).toContain('inactive');
    expect(fourteen?.reasons.find((x) => x.code === 'inactive')!.detail).toBe('no activity for 14 days (last event 2026-03-06)');
    expect(codes({ activity: activityOn([...daysEnding(PREV_END, 10), addDays(AS_OF, -13)]) })).not.toContain('inactive');
    // Never used: not "inactive" (it is a not-yet-activated case when recent, nothing when not).
    expect(codes({ activity: {}, firstEventDay: undefined })).toEqual([]);
    // Used long ago, outside the 56 kept days.
    const old = assess({ activity: {}, firstEventDay: '2025-07-01' });
    expect(old?.reasons.map((x) => x.code)).toEqual(['inactive']);
    expect(old?.reasons[0]!.detail).toBe('no activity for more than 56 days');
  });

  it('core_feature_unused: configured, active > 30 days, no core feature in current', () => {
    const core = { coreFeatures: ['reports', 'export'] };
    const since = (days: number) => [line(100, addDays(AS_OF, -days), addDays(AS_OF, 10))];
    const used = { 'dashboard-only': everyDay(), withExport: merge(everyDay(), activityOn([AS_OF], ['export'])) };
    const r = assess({ lines: since(31), activity: used['dashboard-only'], featureFirstSeen: { reports: '2026-02-18' } }, core);
    expect(r?.reasons.map((x) => x.code)).toEqual(['core_feature_unused']);
    expect(r?.reasons[0]!.detail).toBe('no core feature (reports, export) used in the last 28 days');
    expect(codes({ lines: since(30), activity: used['dashboard-only'], featureFirstSeen: { reports: '2026-02-18' } }, core)).toEqual([]);
    expect(codes({ lines: since(31), activity: used.withExport }, core)).toEqual([]);
    expect(codes({ lines: since(31), activity: used['dashboard-only'] })).toEqual([]); // none configured
  });

  it('retention_feature_lost: a retention feature used in previous and not in current', () => {
    const alertsPrevious = activityOn(daysEnding(PREV_END, 9), ['alerts']);
    // Three features before, two after: not a module reduction (2 > 3 / 2).
    const base = activityOn(daysEnding(AS_OF, 56), ['dashboard', 'reports']);
    const r = assess({ activity: merge(base, alertsPrevious) }, { retentionFeatures: ['alerts', 'api'] });
    expect(r?.reasons.map((x) => x.code)).toEqual(['retention_feature_lost']);
    expect(r?.reasons[0]!.detail).toBe('stopped using alerts (used on 9 days in the previous 28)');
    expect(
      codes({ activity: merge(base, alertsPrevious, activityOn([addDays(AS_OF, -27)], ['alerts'])) }, { retentionFeatures: ['alerts'] }),
    ).toEqual([]);
    expect(codes({ activity: merge(base, alertsPrevious) })).toEqual([]); // not a retention feature
  });

  it('module_reduction: distinct features in current ≤ half of previous, previous ≥ 2', () => {
    const prev = (features: string[]) => activityOn(daysEnding(PREV_END, 28), features);
    const cur = (features: string[]) => activityOn(daysEnding(AS_OF, 28), features);
    const r = assess({ activity: merge(prev(['a', 'b', 'c', 'd']), cur(['a', 'b'])) });
    expect(r?.reasons.map((x) => x.code)).toEqual(['module_reduction']);
    expect(r?.reasons[0]!.detail).toBe('features used 4 → 2 in 28 days');
    expect(codes({ activity: merge(prev(['a', 'b', 'c', 'd']), cur(['a', 'b', 'c'])) })).toEqual([]);
    expect(codes({ activity: merge(prev(['a', 'b']), cur(['a'])) })).toEqual(['module_reduction']);
    // previous 1 is below the floor of 2
    expect(codes({ activity: merge(prev(['a']), cur(['b'])) })).toEqual([]);
  });

  it('contraction: 0 < MRR(asOf) < MRR(asOf − 30)', () => {
    // Annual plans of 14,400 then 9,600 (1,200 → 800 a month), switching one day after asOf − 30.
    const r = assess({ lines: [line(14400, '2025-02-19', '2026-02-19'), line(9600, '2026-02-19', '2027-02-19')] });
    expect(r?.reasons.map((x) => x.code)).toEqual(['contraction']);
    expect(r?.reasons[0]!.detail).toBe('MRR 1,200.00 → 800.00 USD in 30 days');
    expect(r?.mrr).toBe(800);
    expect(r?.mrrPrevious).toBe(1200);
    // Switching on asOf − 30 itself: the lower MRR is already in force 30 days ago.
    expect(codes({ lines: [line(14400, '2025-02-18', '2026-02-18'), line(9600, '2026-02-18', '2027-02-18')] })).toEqual([]);
  });

  it('payment_failed: a failed line issued (else starting) in the last 30 days', () => {
    const failedOn = (issuedAt: string) => [
      ...annual(),
      line(100, undefined, undefined, { status: 'failed', issuedAt, invoiceId: 'in_123' }),
    ];
    const r = assess({ lines: failedOn(addDays(AS_OF, -29)) });
    expect(r?.reasons.map((x) => x.code)).toEqual(['payment_failed']);
    expect(r?.reasons[0]!.detail).toBe('payment failed on invoice in_123 (2026-02-19)');
    expect(codes({ lines: failedOn(addDays(AS_OF, -30)) })).toEqual([]);
    // Without issuedAt the period start dates it.
    expect(codes({ lines: [line(100, addDays(AS_OF, -5), addDays(AS_OF, 25), { status: 'failed' })] })).toEqual(['payment_failed']);
    expect(codes({ lines: [line(100, addDays(AS_OF, -5), addDays(AS_OF, 25), { status: 'paid' })] })).toEqual([]);
  });

  it('not_activated: first active day within the last 30 days and no core-feature event ever', () => {
    const since = (days: number) => [line(100, addDays(AS_OF, -days), addDays(AS_OF, 10))];
    const r = assess({ lines: since(29), activity: {} });
    expect(r?.reasons.map((x) => x.code)).toEqual(['not_activated']);
    expect(r?.reasons[0]!.detail).toBe('became a paying customer on 2026-02-19 (29 days ago) and has no usage yet');
    expect(codes({ lines: since(30), activity: {} })).toEqual([]);
    expect(codes({ lines: since(10), activity: activityOn([AS_OF]) })).toEqual([]); // any event when no core features
    const core = { coreFeatures: ['reports'] };
    expect(codes({ lines: since(10), activity: activityOn([AS_OF]) }, core)).toEqual(['not_activated']);
    expect(codes({ lines: since(10), activity: activityOn([AS_OF], ['reports']) }, core)).toEqual([]);
    expect(codes({ lines: since(10), activity: activityOn([AS_OF]), featureFirstSeen: { reports: '2026-01-01' } }, core)).toEqual([]);
  });
});

describe('riskScore and the atRisk list', () => {
  it('reports every reason that holds, and a riskScore that is the rounded churn probability', () => {
    const r = assess({
      lines: [
        line(14400, '2025-02-19', '2026-02-19'),
        line(9600, '2026-02-19', '2027-02-19'),
        line(5, undefined, undefined, { status: 'failed', issuedAt: AS_OF }),
      ],
      activity: activityOn(daysEnding(PREV_END, 20)),
    });
    expect(r?.reasons.map((x) => x.code).sort()).toEqual([
      'activity_decline',
      'contraction',
      'frequency_downgrade',
      'inactive',
      'payment_failed',
    ]);
    expect(r?.riskScore).toBe(Math.round(100 * r!.churnProbability!));
  });

  it('lists only customers active on asOf, by churn probability, then MRR, then id, with their details', () => {
    const recentFail = (id: string, mrr: number, extra: Partial<CustomerTimeline> = {}) =>
      customer(id, [line(mrr * 12, '2025-06-01', '2026-06-01'), line(1, undefined, undefined, { status: 'failed', issuedAt: AS_OF })], {
        activity: everyDay(),
        firstEventDay: '2025-06-01',
        ...extra,
      });
    const inactiveToo = { activity: activityOn(daysEnding(PREV_END, 3)), firstEventDay: '2025-06-01' };
    const snap = computeSnapshot(
      [
        recentFail('b', 100),
        recentFail('a', 100, { name: 'Acme', ownerEmail: 'csm@example.com', plan: 'pro' }),
        recentFail('big', 2000),
        recentFail('worse', 50, inactiveToo),
        customer('gone', [line(100, '2025-06-01', '2026-03-01'), line(1, undefined, undefined, { status: 'failed', issuedAt: AS_OF })]),
      ],
      SETTINGS,
      AS_OF,
    );
    expect(snap.atRisk.map((c) => c.customerId).sort()).toEqual(['a', 'b', 'big', 'worse']);
    for (let i = 1; i < snap.atRisk.length; i++) {
      const [x, y] = [snap.atRisk[i - 1]!, snap.atRisk[i]!];
      expect(
        x.churnProbability! > y.churnProbability! ||
          (x.churnProbability === y.churnProbability && (x.mrr > y.mrr || (x.mrr === y.mrr && x.customerId < y.customerId))),
      ).toBe(true);
    }
    const byId = (id: string) => snap.atRisk.find((c) => c.customerId === id)!;
    const a = byId('a');
    expect(a).toMatchObject({
      name: 'Acme',
      owner: 'csm@example.com',
      plan: 'pro',
      tier: 'B',
      mrr: 100,
      mrrPrevious: 100,
      frequency: 'daily',
    });
    expect(a.riskScore).toBe(Math.round(100 * a.churnProbability!));
    expect(byId('b')).toMatchObject({ name: null, owner: null, plan: null });
    expect(byId('big').tier).toBe('A');
    const worse = byId('worse');
    expect(worse.activity).toHaveLength(56);
    expect(worse.activity.slice(25, 28)).toEqual([1, 1, 1]); // the last 3 days of the previous window
    expect(worse.activity.slice(28).every((n) => n === 0)).toBe(true);
    expect(worse.activeDaysPrevious).toBe(3);
    expect(worse.activeDaysCurrent).toBe(0);
    expect(a.activity.every((n) => n === 1)).toBe(true);
    expect(a.activeDaysCurrent).toBe(28);
  });
});
