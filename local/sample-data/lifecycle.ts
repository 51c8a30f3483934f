/**
 * Lives each customer's life one day at a time: its health walks (health.ts), and on each day the
 * hazards of hazards.ts decide whether it leaves, changes plan, fails a payment or comes back.
 * Billing lines (billing.ts) and usage events (usage.ts) are derived from the resulting story.
 */
import { anchoredMonth } from './calendar';
import {
  CANCEL_REASONS,
  CURRENCY_MIX,
  FEEDBACK,
  INTERVAL_MONTHS,
  PAYMENT_FAILED_REASON,
  PLANS,
  PLAN_MIX,
  intervalMix,
  type Currency,
  type Interval,
  type Plan,
} from './catalog';
import { HealthWalk } from './health';
import {
  BUDGET_CUT_PER_MONTH,
  PAYMENT_WINBACK,
  WINBACK,
  disengagementPerMonth,
  downgradePerMonth,
  dunningRecovers,
  overMonths,
  paymentFailure,
  perDay,
  upgradePerMonth,
} from './hazards';
import { PERSONA_TRAITS, type Persona } from './personas';
import type { Rng } from './prng';
import type { SampleSubscription } from './types';

export interface Timeline {
  asOf: number;
  historyStart: number;
}

export type ChurnCause = 'disengaged' | 'budget_cut' | 'payment_failed';

export interface Churn {
  subscriptionId: string;
  effective: number;
  canceledAt: number;
  cause: ChurnCause;
  reason?: string;
  feedback?: string;
}

export interface PaymentFailure {
  subscriptionId: string;
  /** Start of the period whose invoice failed. */
  periodStart: number;
  /** The export still shows the line as failed (unpaid, in dunning, or the system keeps the attempt). */
  showsFailed: boolean;
}

/** A yearly dip in usage (holidays, a school year): health is unaffected. */
export interface SeasonalDip {
  /** Day of year (0-based, non-leap) the dip starts, and its length in days. */
  from: number;
  days: number;
}

export interface CustomerStory {
  persona: Persona;
  plan: Plan;
  currency: Currency;
  createdAt: number;
  subscriptions: SampleSubscription[];
  /** Cancellations on file by asOf (canceledAt ≤ asOf), some taking effect after it. */
  churns: Churn[];
  failures: PaymentFailure[];
  /** First day of use of the core product (Infinity: never); setup only before it. */
  activationDay: number;
  dip?: SeasonalDip;
  /** Health on each day from `traceStart` to asOf. */
  traceStart: number;
  health: Float32Array;
}

/** Days before an annual or quarterly renewal when the customer makes up its mind. */
const RENEWAL_DECISION_DAYS = 75;
/** Share of monthly churners who give notice (the rest cancel when the period ends)... */
const MONTHLY_NOTICE = 0.45;
/** ...taking effect at the first period end after a notice of this many days (contracts ask for 30). */
const NOTICE_DAYS: readonly [number, number] = [14, 60];
const WARM_UP_DAYS = 60;
/** Plan changes come at least this far apart. */
const CHANGE_SPACING = 60;

const REASON_MIX: readonly (readonly [(typeof CANCEL_REASONS)[number], number])[] = [
  ['too_expensive', 28],
  ['missing_features', 22],
  ['switched_to_competitor', 20],
  ['low_usage', 25],
  ['company_closed', 5],
];

const stepPlan = (plan: Plan, by: 1 | -1): Plan | undefined => PLANS[PLANS.indexOf(plan) + by];

/** The first period start of `sub` on or after `day`. */
function boundaryFrom(sub: SampleSubscription, day: number): number {
  const months = INTERVAL_MONTHS[sub.interval];
  let k = Math.max(0, Math.floor((day - sub.start) / (30.4375 * months)) - 1);
  while (anchoredMonth(sub.start, k * months) < day) k++;
  return anchoredMonth(sub.start, k * months);
}

function drawDip(rng: Rng): SeasonalDip {
  // Summer holidays (July–August) or the December slowdown, a week or so either way.
  return rng.chance(0.6) ? { from: 181 + rng.int(-10, 10), days: rng.int(40, 60) } : { from: 334 + rng.int(-5, 7), days: rng.int(28, 40) };
}

function voluntaryDetails(rng: Rng, cause: 'disengaged' | 'budget_cut', health: number): Pick<Churn, 'reason' | 'feedback'> {
  if (rng.chance(0.15)) return {};
  const reason =
    cause === 'budget_cut'
      ? rng.chance(0.75)
        ? 'too_expensive'
        : 'company_closed'
      : health < -1 && rng.chance(0.4)
        ? 'low_usage'
        : rng.weighted(REASON_MIX);
  return rng.chance(0.5) ? { reason, feedback: rng.pick(FEEDBACK[reason]) } : { reason };
}

class CustomerLife {
  readonly subscriptions: SampleSubscription[] = [];
  readonly churns: Churn[] = [];
  readonly failures: PaymentFailure[] = [];
  private sub: SampleSubscription | undefined;
  private plan: Plan;
  private nextBoundary = Infinity;
  private pending: Churn | undefined;
  private comeback = Infinity;
  private lastChange = -Infinity;
  /** quiet_annual: the day this contract year's fade begins. */
  private fadeFrom = Infinity;
  private faded = 0;

  constructor(
    private readonly rng: Rng,
    private readonly customerId: string,
    readonly persona: Persona,
    plan: Plan,
    private readonly interval: Interval,
    private readonly walk: HealthWalk,
    private readonly signup: number,
    private readonly t: Timeline,
  ) {
    this.plan = plan;
  }

  open(day: number, plan: Plan, interval: Interval): void {
    const sub: SampleSubscription = {
      subscriptionId: `sub_${this.customerId.slice(4)}_${this.subscriptions.length + 1}`,
      customerId: this.customerId,
      plan,
      interval,
      start: day,
      planChanges: [],
    };
    this.subscriptions.push(sub);
    this.sub = sub;
    this.plan = plan;
    this.nextBoundary = day;
  }

  get currentPlan(): Plan {
    return this.plan;
  }

  /** Resumes a subscription that began before the simulated window. */
  resume(day: number, plan: Plan): void {
    this.open(this.signup, plan, this.interval);
    this.nextBoundary = boundaryFrom(this.sub!, day);
  }

  live(day: number, health: number, trend: number): void {
    if (!this.sub && day === this.comeback) this.returnOn(day);
    if (!this.sub) return;
    if (this.pending && day === this.pending.effective) return this.end();
    if (day === this.nextBoundary) this.periodStarts(day, health);
    if (day < this.t.historyStart || this.pending) return;

    const sub = this.sub;
    const tenureDays = day - this.signup;
    const months = INTERVAL_MONTHS[sub.interval];
    this.fade(day);
    if (sub.interval === 'month') {
      if (this.rng.chance(perDay(disengagementPerMonth({ health, trend, tenureDays })))) {
        if (!this.rng.chance(MONTHLY_NOTICE)) return this.decide(day, 'disengaged', health, this.nextBoundary);
        const effective = boundaryFrom(this.sub!, day + this.rng.int(...NOTICE_DAYS));
        return this.decide(day, 'disengaged', health, day, effective);
      }
      this.maybeChangePlan(day, health, perDay);
    } else if (day === this.nextBoundary - RENEWAL_DECISION_DAYS) {
      // A multi-month customer decides once, ahead of the renewal; most of those leaving say so early.
      const leaves = this.rng.chance(overMonths(disengagementPerMonth({ health, trend, tenureDays }), months));
      if (leaves) {
        const canceledAt = this.rng.chance(0.6) ? day + this.rng.int(0, RENEWAL_DECISION_DAYS - 10) : this.nextBoundary;
        return this.decide(day, 'disengaged', health, canceledAt);
      }
    }
    if (this.rng.chance(perDay(BUDGET_CUT_PER_MONTH))) {
      // Budget cuts land with little warning: usage stays healthy until the last days.
      this.decide(day, 'budget_cut', health, Math.max(day, this.nextBoundary - this.rng.int(0, 10)));
    }
  }

  /** The cancellations known on asOf: those filed by then, even when they take effect later. */
  finish(): void {
    if (this.pending && this.pending.canceledAt <= this.t.asOf) {
      this.churns.push(this.pending);
      this.sub!.end = this.pending.effective;
    }
  }

  private periodStarts(day: number, health: number): void {
    const sub = this.sub!;
    const months = INTERVAL_MONTHS[sub.interval];
    this.nextBoundary = boundaryFrom(sub, day + 1);
    if (sub.interval !== 'month' && day > sub.start && day >= this.t.historyStart)
      this.maybeChangePlan(day, health, (p) => overMonths(p, months));
    if (this.persona === 'quiet_annual') this.startContractYear(day);
    if (day < this.t.historyStart || this.pending) return;
    // Annual customers mostly pay by transfer; cards fail on monthly and quarterly plans.
    const failureChance = paymentFailure(health) * (sub.interval === 'year' ? 0.2 : 1);
    if (!this.rng.chance(failureChance)) return;
    const resolvedOn = day + this.rng.int(7, 21);
    const recovers = this.rng.chance(dunningRecovers(health));
    const pendingOnAsOf = resolvedOn > this.t.asOf;
    this.failures.push({
      subscriptionId: sub.subscriptionId,
      periodStart: day,
      showsFailed: !recovers || pendingOnAsOf || this.rng.chance(0.5),
    });
    if (!recovers) {
      const churn: Churn = { subscriptionId: sub.subscriptionId, effective: resolvedOn, canceledAt: resolvedOn, cause: 'payment_failed' };
      if (this.rng.chance(0.7)) churn.reason = PAYMENT_FAILED_REASON;
      this.pending = churn;
    }
  }

  private startContractYear(day: number): void {
    // Some contract years the team that bought the tool moves on and use fades towards the renewal.
    if (this.faded) this.walk.shiftNature(this.faded);
    this.faded = 0;
    this.fadeFrom = this.rng.chance(0.55) ? day + this.rng.int(120, 220) : Infinity;
  }

  private fade(day: number): void {
    if (day < this.fadeFrom || this.faded > 1.8) return;
    this.walk.shiftNature(-0.03);
    this.faded += 0.03;
  }

  private maybeChangePlan(day: number, health: number, scale: (perMonth: number) => number): void {
    if (day - this.lastChange < CHANGE_SPACING) return;
    const down = stepPlan(this.plan, -1);
    const up = stepPlan(this.plan, 1);
    let to: Plan | undefined;
    if (down && this.rng.chance(scale(downgradePerMonth(health)))) to = down;
    else if (up && this.rng.chance(scale(upgradePerMonth(health)))) to = up;
    if (!to) return;
    this.sub!.planChanges.push({ day, to });
    this.plan = to;
    this.lastChange = day;
  }

  private decide(day: number, cause: 'disengaged' | 'budget_cut', health: number, canceledAt: number, effective = this.nextBoundary): void {
    this.pending = { subscriptionId: this.sub!.subscriptionId, effective, canceledAt, cause, ...voluntaryDetails(this.rng, cause, health) };
    // Once they have decided, the disengaged stop investing: health (and so usage) sinks further.
    if (cause === 'disengaged') this.walk.shiftNature(-0.8 - this.rng.next());
  }

  private end(): void {
    const churn = this.pending!;
    this.churns.push(churn);
    this.sub!.end = churn.effective;
    this.sub = undefined;
    this.pending = undefined;
    const [chance, min, max] = churn.cause === 'payment_failed' ? [PAYMENT_WINBACK, 3, 45] : [WINBACK, 45, 240];
    if (this.rng.chance(chance)) this.comeback = churn.effective + this.rng.int(min, max);
  }

  private returnOn(day: number): void {
    const traits = PERSONA_TRAITS[this.persona];
    const baseline = Math.max(0.2, traits.healthMean) + traits.healthSpread * this.rng.normal();
    this.walk.restart(baseline, baseline - 0.2);
    const plan = this.rng.chance(0.6) ? this.plan : (stepPlan(this.plan, -1) ?? this.plan);
    this.open(day, plan, 'month');
    this.lastChange = day;
  }
}

function newcomerPlan(rng: Rng, persona: Persona): Plan {
  return persona === 'never_activated'
    ? rng.weighted([
        ['starter', 60],
        ['growth', 35],
        ['business', 5],
      ] as const)
    : rng.weighted(PLAN_MIX);
}

/**
 * `signup` before the history start is a customer already on the book: its life is simulated from a
 * short warm-up before the history (so trends are defined), with no churn before the history.
 */
export function liveCustomer(rng: Rng, customerId: string, persona0: Persona, signup: number, t: Timeline): CustomerStory {
  const plan = newcomerPlan(rng, persona0);
  const currency = rng.weighted(CURRENCY_MIX);
  const interval: Interval = persona0 === 'never_activated' ? 'month' : rng.weighted(intervalMix(plan));
  const persona: Persona = interval === 'year' && persona0 === 'steady' && rng.chance(0.5) ? 'quiet_annual' : persona0;
  const traits = PERSONA_TRAITS[persona];
  const newcomer = signup >= t.historyStart;
  const baseline = traits.healthMean + traits.healthSpread * rng.normal();
  const start = newcomer ? baseline - 0.3 + 0.4 * rng.normal() : baseline + 0.45 * rng.normal();
  const walk = new HealthWalk(rng, baseline, traits.volatility, start);
  const traceStart = newcomer ? signup : t.historyStart - WARM_UP_DAYS;
  const health = new Float32Array(t.asOf - traceStart + 1);
  const life = new CustomerLife(rng, customerId, persona, plan, interval, walk, signup, t);
  if (newcomer) life.open(signup, plan, interval);
  else life.resume(traceStart, plan);

  for (let day = traceStart; day <= t.asOf; day++) {
    walk.step();
    const i = day - traceStart;
    health[i] = walk.health;
    life.live(day, walk.health, walk.health - (health[Math.max(0, i - 30)] ?? walk.health));
  }
  life.finish();

  const activationDay = !newcomer ? -Infinity : persona === 'never_activated' ? Infinity : signup + rng.int(2, 21);
  const story: CustomerStory = {
    persona,
    plan: life.currentPlan,
    currency,
    createdAt: signup,
    subscriptions: life.subscriptions,
    churns: life.churns,
    failures: life.failures,
    activationDay,
    traceStart,
    health,
  };
  if (persona === 'seasonal') story.dip = drawDip(rng);
  return story;
}
