/**
 * Decides each customer's commercial story: plan, currency, billing interval, signup day, plan
 * changes, cancellation and reactivation. Billing lines and usage events are derived from this.
 */
import { ARCHETYPES, type ArchetypeName } from './archetypes';
import { anchoredMonth } from './calendar';
import {
  CANCEL_REASONS,
  CURRENCY_MIX,
  FEEDBACK,
  INTERVAL_MONTHS,
  PLANS,
  PLAN_MIX,
  intervalMix,
  type Currency,
  type Interval,
  type Plan,
} from './catalog';
import type { Rng } from './prng';
import type { SampleSubscription } from './types';

export interface Timeline {
  asOf: number;
  historyStart: number;
}

export interface Churn {
  subscriptionId: string;
  effective: number;
  canceledAt: number;
  reason?: string;
  feedback?: string;
  /** Payment failures ended the subscription: its last invoices failed and no reason was given. */
  involuntary: boolean;
}

export interface CustomerStory {
  archetype: ArchetypeName;
  plan: Plan;
  currency: Currency;
  createdAt: number;
  subscriptions: SampleSubscription[];
  churns: Churn[];
}

const REASON_MIX: readonly (readonly [(typeof CANCEL_REASONS)[number], number])[] = [
  ['too_expensive', 30],
  ['missing_features', 20],
  ['switched_to_competitor', 20],
  ['low_usage', 20],
  ['company_closed', 10],
];

const stepPlan = (plan: Plan, by: 1 | -1): Plan | undefined => PLANS[PLANS.indexOf(plan) + by];

const between = (rng: Rng, from: number, to: number) => rng.int(Math.min(from, to), Math.max(from, to));

function establishedSignup(rng: Rng, t: Timeline): number {
  // A third of the book predates the export window, as in any real billing history.
  return rng.chance(0.3) ? between(rng, t.historyStart - 3 * 365, t.historyStart - 1) : between(rng, t.historyStart, t.asOf - 90);
}

function planChange(
  rng: Rng,
  archetype: ArchetypeName,
  plan: Plan,
  start: number,
  lastDay: number,
  t: Timeline,
): SampleSubscription['planChange'] {
  const pick = (by: 1 | -1, from: number, to: number) => {
    const target = stepPlan(plan, by);
    return target && to > from ? { day: rng.int(from, to), to: target } : undefined;
  };
  const earliest = Math.max(start + 45, t.historyStart);
  switch (archetype) {
    case 'healthy':
      return rng.chance(0.22) ? pick(1, earliest, t.asOf - 2) : undefined;
    case 'declining':
      // Recent downgrades make the `contraction` signal appear next to the usage decline.
      return rng.chance(0.5) ? pick(-1, Math.max(start + 1, t.asOf - 25), t.asOf - 2) : undefined;
    case 'weekly':
      return rng.chance(0.12) ? pick(-1, earliest, t.asOf - 2) : undefined;
    case 'churned':
      return rng.chance(0.15) ? pick(-1, start + 30, lastDay - 10) : undefined;
    default:
      return undefined;
  }
}

function churnDetails(rng: Rng, subscriptionId: string, start: number, effective: number): Churn {
  if (rng.chance(0.2)) return { subscriptionId, effective, canceledAt: effective, involuntary: true };
  const reason = rng.weighted(REASON_MIX);
  const churn: Churn = {
    subscriptionId,
    effective,
    canceledAt: Math.max(start, effective - rng.int(1, 20)),
    reason,
    involuntary: false,
  };
  if (rng.chance(0.5)) churn.feedback = rng.pick(FEEDBACK[reason]);
  return churn;
}

/**
 * Picks the cancellation first and the signup from it, so the effective day always falls on a period
 * boundary (cancel at period end) and inside the history.
 */
function churnedSubscription(
  rng: Rng,
  customerId: string,
  plan: Plan,
  interval: Interval,
  targetEffective: number,
  periods: number,
): SampleSubscription {
  const months = INTERVAL_MONTHS[interval] * periods;
  const start = anchoredMonth(targetEffective, -months);
  return { subscriptionId: `sub_${customerId.slice(4)}_1`, customerId, plan, interval, start, end: anchoredMonth(start, months) };
}

export function tellStory(rng: Rng, customerId: string, archetype: ArchetypeName, t: Timeline): CustomerStory {
  const plan = rng.weighted(PLAN_MIX);
  const currency = rng.weighted(CURRENCY_MIX);
  const subId = (n: number) => `sub_${customerId.slice(4)}_${n}`;
  const lifecycle = ARCHETYPES[archetype].lifecycle;
  const churns: Churn[] = [];
  const subscriptions: SampleSubscription[] = [];

  if (lifecycle === 'active') {
    const isNew = ARCHETYPES[archetype].signup === 'new';
    const start = isNew ? between(rng, t.asOf - 27, t.asOf - 2) : establishedSignup(rng, t);
    const interval = rng.weighted(intervalMix(plan));
    const sub: SampleSubscription = { subscriptionId: subId(1), customerId, plan, interval, start };
    if (interval === 'month') {
      const change = planChange(rng, archetype, plan, start, t.asOf, t);
      if (change) sub.planChange = change;
    }
    subscriptions.push(sub);
  } else if (lifecycle === 'churned') {
    const interval = rng.chance(0.8) ? 'month' : rng.weighted(intervalMix(plan));
    // Two in five churn recently so the current month has churned MRR and churn reasons to show.
    const target = rng.chance(0.4) ? between(rng, t.asOf - 40, t.asOf) : between(rng, t.historyStart + 30, t.asOf - 41);
    const periods = interval === 'month' ? rng.int(2, 14) : interval === 'quarter' ? rng.int(1, 5) : rng.int(1, 2);
    const sub = churnedSubscription(rng, customerId, plan, interval, target, periods);
    if (interval === 'month') {
      const change = planChange(rng, archetype, plan, sub.start, sub.end!, t);
      if (change) sub.planChange = change;
    }
    subscriptions.push(sub);
    churns.push(churnDetails(rng, sub.subscriptionId, sub.start, sub.end!));
  } else {
    const target = between(rng, t.historyStart + 60, Math.max(t.historyStart + 60, t.asOf - 200));
    const first = churnedSubscription(rng, customerId, plan, 'month', target, rng.int(3, 10));
    churns.push(churnDetails(rng, first.subscriptionId, first.start, first.end!));
    const comeback = Math.min(first.end! + rng.int(75, 130), t.asOf - 21);
    const returnPlan = rng.chance(0.5) ? plan : (stepPlan(plan, -1) ?? plan);
    subscriptions.push(first, {
      subscriptionId: subId(2),
      customerId,
      plan: returnPlan,
      interval: 'month',
      start: comeback,
    });
  }

  const latest = subscriptions[subscriptions.length - 1]!;
  return {
    archetype,
    plan: latest.planChange?.to ?? latest.plan,
    currency,
    createdAt: subscriptions[0]!.start,
    subscriptions,
    churns,
  };
}
