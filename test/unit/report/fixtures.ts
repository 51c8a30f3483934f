/**
 * A small, hand-built but realistic snapshot for the rendering tests: a November with some expansion,
 * one churned plan customer, a null rate in the trend, three cohorts and five at-risk customers,
 * one of them with a hostile name.
 */
import type { Factor } from '../../../lambdas/domain/forecast/types';
import type { AtRiskCustomer, RiskReason, Segment, Snapshot } from '../../../lambdas/domain/types';

export const HOSTILE_NAME = '<b>Bold</b> & Co';
export const HOSTILE_TEXT = '"quotes" <script>alert(1)</script>';

/** 56 days of events, oldest first: busy for four weeks, then fading out. */
export function fadingActivity(peak = 12): number[] {
  return Array.from({ length: 56 }, (_, i) => {
    if (i < 28) return i % 7 === 5 || i % 7 === 6 ? 0 : peak - (i % 3);
    if (i < 42) return i % 2 ? Math.max(1, Math.round(peak / 3)) : 0;
    return i === 50 ? 1 : 0;
  });
}

const reason = (code: RiskReason['code'], detail: string, points: number): RiskReason => ({ code, detail, points });
const factor = (code: Factor['code'], points: number, detail: string): Factor => ({ code, points, detail });
/** A customer's forecast fields, its riskScore from its probability as the engine sets it. */
const forecast = (p: number, band: AtRiskCustomer['band'], factors: Factor[]) => ({
  churnProbability: p,
  riskScore: Math.round(100 * p),
  band,
  factors,
});

export function atRiskCustomer(overrides: Partial<AtRiskCustomer> = {}): AtRiskCustomer {
  return {
    customerId: 'cus_001',
    name: 'Acme Analytics',
    owner: 'dana@vendor.example',
    mrr: 1200,
    ...forecast(0.45, 'red', [
      factor('engagement', 38.2, 'active 5 of the last 28 days (usually 18); 2 users (usually 6)'),
      factor('tenure', -4.1, 'paying for 26 months'),
    ]),
    frequency: 'weekly',
    reasons: [reason('activity_decline', 'active days 18 → 5 in 28 days', 25), reason('inactive', 'no activity for 15 days', 35)],
    tier: 'A',
    mrrPrevious: 1200,
    plan: 'Enterprise',
    activity: fadingActivity(),
    activeDaysCurrent: 5,
    activeDaysPrevious: 18,
    ...overrides,
  };
}

const segment = (
  customersStart: number,
  churned: number,
  mrrStart: number,
  expansion: number,
  contraction: number,
  churnedMrr: number,
): Segment => ({
  customersStart,
  churned,
  logoChurnRate: customersStart ? churned / customersStart : null,
  mrrStart,
  expansion,
  contraction,
  churnedMrr,
  ndr: mrrStart ? (mrrStart + expansion - contraction - churnedMrr) / mrrStart : null,
});

export function sampleSnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  const mrr = { start: 48250, new: 3400, expansion: 1850, reactivation: 300, contraction: 620, churned: 2150, end: 0 };
  mrr.end = mrr.start + mrr.new + mrr.expansion + mrr.reactivation - mrr.contraction - mrr.churned;
  const atRisk: AtRiskCustomer[] = [
    atRiskCustomer(),
    atRiskCustomer({
      customerId: 'cus_002',
      name: HOSTILE_NAME,
      owner: 'sam@vendor.example',
      mrr: 450,
      mrrPrevious: 600,
      ...forecast(0.18, 'yellow', [
        factor('mrr_movement', 14.5, `MRR 600 → 450 ${HOSTILE_TEXT}`),
        factor('engagement', 9.1, 'active 3 of the last 28 days (usually 9)'),
      ]),
      tier: 'B',
      plan: `Pro ${HOSTILE_TEXT}`,
      frequency: 'monthly',
      reasons: [
        reason('contraction', `MRR fell 600 → 450 ${HOSTILE_TEXT}`, 15),
        reason('activity_decline', 'active days 9 → 3 in 28 days', 25),
      ],
      activity: fadingActivity(30),
    }),
    atRiskCustomer({
      customerId: 'cus_003',
      name: null,
      owner: null,
      mrr: 99,
      mrrPrevious: 99,
      ...forecast(0.08, 'green', [factor('onboarding', 6, 'became a paying customer 12 days ago')]),
      tier: 'C',
      plan: null,
      frequency: 'dormant',
      reasons: [reason('not_activated', 'first active 12 days ago and has not used a core feature (reports) yet', 20)],
      activity: Array.from({ length: 56 }, (_, i) => (i === 44 ? 3 : 0)),
      activeDaysCurrent: 1,
      activeDaysPrevious: 0,
    }),
    atRiskCustomer({
      customerId: 'cus_004',
      name: '=HYPERLINK("http://evil.example","click")',
      owner: 'dana@vendor.example',
      mrr: 2400,
      mrrPrevious: 2000,
      ...forecast(0.35, 'red', [
        factor('payment_failed', 41, '1 failed invoice in the last 90 days'),
        factor('engagement', -12.3, 'active 28 of the last 28 days (usually 27)'),
      ]),
      tier: 'A',
      plan: 'Enterprise',
      frequency: 'daily',
      reasons: [reason('payment_failed', 'payment failed on invoice in_88 (2026-11-12)', 25)],
      activity: Array.from({ length: 56 }, (_, i) => 20 + (i % 5)),
      activeDaysCurrent: 28,
      activeDaysPrevious: 28,
    }),
    atRiskCustomer({
      customerId: 'cus_005',
      name: 'Globex, "West" Division',
      owner: 'dana@vendor.example',
      mrr: 380,
      mrrPrevious: 380,
      ...forecast(0.14, 'yellow', [factor('engagement', 12.2, 'active 8 of the last 28 days (usually 17)')]),
      tier: 'B',
      plan: 'Team',
      frequency: 'weekly',
      reasons: [
        reason('retention_feature_lost', 'stopped using exports, alerts', 20),
        reason('frequency_downgrade', 'usage frequency fell from daily to weekly (active days 17 → 8 in 28 days)', 15),
      ],
      activity: Array.from({ length: 56 }, (_, i) => (i < 28 ? 6 : i % 3 === 0 ? 2 : 0)),
      activeDaysCurrent: 8,
      activeDaysPrevious: 17,
    }),
  ];
  const months = [
    '2025-12',
    '2026-01',
    '2026-02',
    '2026-03',
    '2026-04',
    '2026-05',
    '2026-06',
    '2026-07',
    '2026-08',
    '2026-09',
    '2026-10',
    '2026-11',
  ];
  return {
    asOf: '2026-11-24',
    period: { start: '2026-11-01', end: '2026-11-30' },
    currency: 'USD',
    customers: { start: 142, new: 9, reactivated: 1, churned: 5, newChurned: 1, end: 147 },
    mrr,
    logoChurnRate: 5 / 142,
    grossMrrChurnRate: (mrr.churned + mrr.contraction) / mrr.start,
    netMrrChurnRate: (mrr.churned + mrr.contraction - mrr.expansion) / mrr.start,
    ndr: (mrr.start + mrr.expansion - mrr.contraction - mrr.churned) / mrr.start,
    grr: (mrr.start - mrr.contraction - mrr.churned) / mrr.start,
    ndr12m: 1.064,
    grr12m: 0.882,
    annualizedLogoChurn: 0.318,
    annualizedFromMonth: 1 - (1 - 5 / 142) ** 12,
    byPlan: {
      Enterprise: segment(12, 0, 28800, 1200, 0, 0),
      Team: segment(70, 3, 15400, 500, 420, 1350),
      Starter: segment(60, 2, 4050, 150, 200, 800),
      [`Legacy ${HOSTILE_TEXT}`]: segment(0, 0, 0, 0, 0, 0),
    },
    byTier: { A: segment(12, 0, 28800, 1200, 0, 0), B: segment(70, 3, 15400, 500, 420, 1350), C: segment(60, 2, 4050, 150, 200, 800) },
    byLifecycle: {
      onboarding: segment(6, 1, 900, 0, 0, 150),
      adoption: segment(40, 2, 11000, 600, 220, 900),
      mature: segment(96, 2, 36350, 1250, 400, 1100),
    },
    cohorts: [
      { cohort: '2026-08', size: 14, retention: [0.93, 0.86, 0.79] },
      { cohort: '2026-09', size: 11, retention: [1, 0.91] },
      { cohort: '2026-10', size: 9, retention: [0.78] },
    ],
    churnReasons: {
      too_expensive: { customers: 2, mrr: 1100 },
      [HOSTILE_TEXT]: { customers: 1, mrr: 250 },
      unknown: { customers: 2, mrr: 800 },
    },
    atRisk,
    scheduledChurn: [
      {
        customerId: 'cus_006',
        name: `Initech ${HOSTILE_TEXT}`,
        owner: 'dana@vendor.example',
        mrr: 640,
        effectiveAt: '2026-12-31',
        canceledAt: '2026-11-10',
        reason: 'switched_competitor',
      },
      { customerId: 'cus_007', name: null, owner: null, mrr: 49, effectiveAt: '2027-01-15', canceledAt: null, reason: null },
    ],
    risk: {
      model: 'fitted',
      fittedAt: '2026-10-31',
      trainingRows: 2400,
      trainingChurns: 160,
      horizonDays: 90,
      interceptPoints: -52.3,
      bands: { red: { customers: 2, mrr: 3600 }, yellow: { customers: 2, mrr: 830 }, green: { customers: 136, mrr: 43000 } },
      thresholds: { red: 0.3, yellow: 0.12 },
      provenance: 'fitted on 2400 customer-months with 160 churns within 90 days, up to 2026-10-31',
    },
    trend: months.map((month, i) => ({
      month,
      // March had no customers at its start in this fixture: a gap in both lines.
      logoChurnRate: i === 3 ? null : 0.02 + ((i * 7) % 5) / 400,
      ndr: i === 3 ? null : 0.97 + ((i * 3) % 7) / 100,
      mrrStart: 38000 + i * 900,
      mrrEnd: 38900 + i * 900,
    })),
    ...overrides,
  };
}
