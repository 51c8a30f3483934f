/**
 * Deterministic synthetic customer timelines for benchmarks: 24 months of monthly invoice lines with
 * plan upgrades/downgrades, failed and void payments, cancellations with reasons, a share in EUR, and
 * 60 days of daily activity ending asOf. Same seed, same data.
 */
import { addMonthsClamped, dayFromNum, dayNum } from '../lambdas/domain/dates';
import { mulberry32 } from '../local/sample-data/prng';
import type { Cancellation, CustomerTimeline, DayActivity, EngineSettings, LedgerLine } from '../lambdas/domain/types';
import { ACTIVITY_ATTR_PREFIX, FEATURE_FIRST_SEEN_PREFIX, keys, PROFILE_INDEX, WEEK_ATTR_PREFIX } from '../lambdas/store/keys';
import { emptyLedger, encodeLedger, mergeCancellation, mergeLine } from '../lambdas/store/ledger-state';
import { encodeDayActivity, encodeWeek } from '../lambdas/store/usage-rollup';

/** Seeded random numbers (the sample data set's mulberry32): benchmark data is reproducible. */
export const prng = mulberry32;

export const SYNTHETIC_PLANS = [
  { plan: 'starter', price: 49 },
  { plan: 'growth', price: 199 },
  { plan: 'business', price: 490 },
  { plan: 'enterprise', price: 1500 },
] as const;

export const SYNTHETIC_FEATURES = ['dashboard', 'reports', 'export', 'alerts', 'api', 'sso'] as const;
const REASONS = ['too expensive', 'missing features', 'switched to competitor', 'no longer needed', ''];

export const SYNTHETIC_SETTINGS: EngineSettings = {
  reportingCurrency: 'USD',
  fxRates: { EUR: 1.08 },
  coreFeatures: ['reports', 'export'],
  retentionFeatures: ['alerts', 'api'],
  tierA: 1000,
  tierB: 100,
};

export interface SyntheticOptions {
  customers: number;
  asOf: string;
  seed?: number;
  months?: number;
  activityDays?: number;
  /** Number of the first customer (ids are numbered from it), so that two books can share a table. */
  firstId?: number;
}

/** Shared immutable day records: the engine only reads them, and sharing keeps 100k customers in memory cheap. */
function activityPool(random: () => number): DayActivity[] {
  const pool: DayActivity[] = [];
  for (let i = 0; i < 64; i++) {
    const features: Record<string, number> = {};
    let events = 0;
    for (const f of SYNTHETIC_FEATURES) {
      if (random() < 0.45) {
        const n = 1 + Math.floor(random() * 20);
        features[f] = n;
        events += n;
      }
    }
    if (events === 0) {
      features.dashboard = 1;
      events = 1;
    }
    pool.push({ events, features });
  }
  return pool;
}

export function* syntheticCustomers(opts: SyntheticOptions): Generator<CustomerTimeline> {
  const random = prng(opts.seed ?? 42);
  const months = opts.months ?? 24;
  const activityDays = opts.activityDays ?? 60;
  const asOfNum = dayNum(opts.asOf);
  const firstMonth = addMonthsClamped(opts.asOf, -months);
  const pool = activityPool(random);
  const days: string[] = [];
  for (let i = activityDays - 1; i >= 0; i--) days.push(dayFromNum(asOfNum - i));

  const first = opts.firstId ?? 0;
  for (let n = first; n < first + opts.customers; n++) {
    const customerId = `cus_${n.toString(36).padStart(6, '0')}`;
    const currency = random() < 0.1 ? 'EUR' : 'USD';
    let planIdx = Math.floor(random() ** 2 * SYNTHETIC_PLANS.length);
    let seats = 1 + Math.floor(random() * 5);
    const startOffset = Math.floor(random() * months);
    const anchor = 1 + Math.floor(random() * 28);
    const lines: LedgerLine[] = [];
    const cancellations: Cancellation[] = [];
    const subscriptionId = `sub_${n}`;
    let periodStart = addMonthsClamped(firstMonth.slice(0, 8) + String(anchor).padStart(2, '0'), startOffset);
    let k = 0;
    while (dayNum(periodStart) <= asOfNum) {
      const periodEnd = addMonthsClamped(periodStart, 1);
      const r = random();
      if (r < 0.04) planIdx = Math.min(SYNTHETIC_PLANS.length - 1, planIdx + 1);
      else if (r < 0.07) planIdx = Math.max(0, planIdx - 1);
      else if (r < 0.1) seats = Math.max(1, seats + (random() < 0.5 ? -1 : 1));
      const p = SYNTHETIC_PLANS[planIdx]!;
      const s = random();
      lines.push({
        invoiceId: `in_${n}_${k}`,
        lineId: 'li_1',
        subscriptionId,
        plan: p.plan,
        amount: p.price * seats,
        currency,
        periodStart,
        periodEnd,
        status: s < 0.03 ? 'failed' : s < 0.04 ? 'void' : 'paid',
        quantity: seats,
        issuedAt: periodStart,
      });
      if (random() < 0.05) {
        // One-off setup fee: no MRR, exercises the one-time path.
        lines.push({ invoiceId: `in_${n}_${k}`, lineId: 'li_2', amount: 99, currency, status: 'paid', issuedAt: periodStart });
      }
      k++;
      if (random() < 0.025) {
        cancellations.push({
          subscriptionId,
          effectiveAt: periodEnd,
          canceledAt: periodStart,
          reason: REASONS[Math.floor(random() * REASONS.length)]!,
        });
        break;
      }
      periodStart = periodEnd;
    }

    const engagement = random();
    const dailyP = engagement < 0.15 ? 0 : engagement < 0.35 ? 0.1 : engagement < 0.7 ? 0.35 : 0.75;
    const decline = random() < 0.2;
    const activity: Record<string, DayActivity> = {};
    let firstEventDay: string | undefined;
    for (let i = 0; i < days.length; i++) {
      const p = decline && i > days.length / 2 ? dailyP / 4 : dailyP;
      if (random() < p) {
        activity[days[i]!] = pool[Math.floor(random() * pool.length)]!;
        firstEventDay ??= days[i];
      }
    }
    const featureFirstSeen: Record<string, string> = {};
    if (firstEventDay) for (const f of SYNTHETIC_FEATURES) if (random() < 0.6) featureFirstSeen[f] = firstEventDay;

    yield {
      customerId,
      name: `Customer ${n}`,
      ownerEmail: `csm${n % 25}@example.com`,
      plan: SYNTHETIC_PLANS[planIdx]!.plan,
      lines,
      cancellations,
      activity,
      firstEventDay,
      featureFirstSeen,
    };
  }
}

export function syntheticTimelines(opts: SyntheticOptions): CustomerTimeline[] {
  return [...syntheticCustomers(opts)];
}

/** A synthetic customer as a profile item, in the shape the ingest paths keep it (ledger part + daily activity). */
export function profileItem(t: CustomerTimeline): Record<string, unknown> {
  const ledger = emptyLedger();
  for (const line of t.lines) mergeLine(ledger, line, 1);
  for (const c of t.cancellations) mergeCancellation(ledger, c, 1);
  const item: Record<string, unknown> = {
    ...keys.profile(t.customerId),
    type: 'profile',
    customerId: t.customerId,
    name: t.name,
    ownerEmail: t.ownerEmail,
    [PROFILE_INDEX.key]: keys.customerPk(t.customerId),
    ledger: encodeLedger(ledger),
    lv: 1,
    uv: 1,
  };
  const days = Object.keys(t.activity).sort();
  for (const day of days) item[`${ACTIVITY_ATTR_PREFIX}${day}`] = encodeDayActivity(t.activity[day]!);
  if (t.firstEventDay) item.fe = t.firstEventDay;
  if (days.length) item.le = days[days.length - 1];
  for (const [f, d] of Object.entries(t.featureFirstSeen)) item[`${FEATURE_FIRST_SEEN_PREFIX}${f}`] = d;
  for (const [w, summary] of Object.entries(t.weeks ?? {})) item[`${WEEK_ATTR_PREFIX}${w}`] = encodeWeek(summary);
  return item;
}
