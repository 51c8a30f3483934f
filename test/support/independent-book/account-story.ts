import { advanceCycle, changeTerm, CustomerLedger, mrrCents, openSubscription, seekCycle, type Subscription } from './billing';
import { dayOfYear, isoOf, type DayNumber } from './calendar';
import { SEAT_CAP, TERM_MONTHS, TIERS, planName, smallestTierFor, type Term, type Tier } from './catalog';
import { engagementAt, UsageEmitter } from './engagement';
import { CHURN_HAZARD, PAYMENTS, REACTIVATION, TEAM_DYNAMICS, VALUE_DYNAMICS, churnReason, noticeLeadDays } from './hazards';
import { drawProfile, type AccountProfile } from './profile';
import { Rng, sigmoid } from './prng';
import { Team } from './team';
import type { CancellationRecord, ChurnCause, ChurnNotice, CustomerRecord, CustomerTruth, InvoiceLineRecord, InvoiceStatus } from './types';
import type { UsageLog } from './usage-log';

export interface AccountContext {
  seed: number;
  customerNumber: number;
  customerIndex: number;
  createdOn: DayNumber;
  inBookAtStart: boolean;
  historyStart: DayNumber;
  asOf: DayNumber;
  log: UsageLog;
}

/** Accounts in the book at the start are simulated through this warm-up first, so they arrive in a steady state. */
export const WARM_UP_DAYS = 365;
const MAX_SURVIVAL_ATTEMPTS = 50;

export interface AccountOutcome {
  truth: CustomerTruth;
  customer: CustomerRecord;
  lines: InvoiceLineRecord[];
  cancellations: CancellationRecord[];
}

/** What the current billing cycle holds in store, drawn when its invoice is issued. */
interface CyclePlan {
  /** The day the account decides whether to renew (weeks ahead for those who give notice). */
  decisionDay: DayNumber;
  givesNotice: boolean;
  /** Set when the cycle's payment failed and dunning will give up on this day. */
  dunningGivesUpOn: DayNumber | null;
  quiet: { from: DayNumber; depth: number; valueLoss: boolean } | null;
}

interface PendingChurn {
  cause: ChurnCause;
  notice: ChurnNotice;
  decidedOn: DayNumber;
  valueAtDecision: number;
}

/**
 * One account's life, day by day, from signup (or the start of the history) to `asOf`.
 *
 * The latent is "value realised": it reverts towards the account's fit, minus whatever is currently
 * hurting it (onboarding not finished, champion gone, layoffs, slow erosion, a project that ended
 * before an annual renewal). Usage is a noisy, account-scaled view of that latent; the renewal
 * decision reads the latent, never the usage, so the forecast has to infer one from the other.
 */
export function simulateAccount(ctx: AccountContext): AccountOutcome {
  // An account in the book at the start is one that survived until then: redraw those that did not,
  // rather than handing the forecast a book of survivors with a trend no real book has.
  for (let attempt = 0; attempt < MAX_SURVIVAL_ATTEMPTS; attempt++) {
    const rng = Rng.stream(ctx.seed, ctx.customerNumber, attempt);
    const simulationStart = ctx.inBookAtStart ? Math.max(ctx.createdOn, ctx.historyStart - WARM_UP_DAYS) : ctx.createdOn;
    const profile = drawProfile(rng, ctx.customerNumber, simulationStart > ctx.createdOn);
    const outcome = new AccountStory(ctx, rng, profile, simulationStart).run();
    if (outcome) return outcome;
  }
  throw new Error(`account ${ctx.customerNumber}: no draw survived the warm-up`);
}

class AccountStory {
  private readonly team: Team;
  private readonly ledger: CustomerLedger;
  private readonly emitter: UsageEmitter;
  private readonly truth: CustomerTruth;

  private value: number;
  /** What the account "feels" over the last month or so: the renewal decision reads this. */
  private trailingValue: number;
  /** The account's longer-run norm: a fall below it is what prompts the question "do we still need this?". */
  private baselineValue: number;
  private breadth: number;
  private championPenalty = 0;
  private championReturnsOn: DayNumber | null = null;
  private layoffPenalty = 0;
  private erosion: { from: DayNumber; length: number; size: number } | null = null;
  private onboardingFrom: DayNumber;

  private sub: Subscription | null = null;
  private subscriptionCount = 0;
  private cycle: CyclePlan | null = null;
  private pending: PendingChurn | null = null;
  private reactivateOn: DayNumber | null = null;
  private inSeasonalDip = false;
  private readonly lines: InvoiceLineRecord[] = [];
  private readonly cancellations: CancellationRecord[] = [];
  /** Already a mature account when the simulation starts (signed up before the warm-up). */
  private readonly mature: boolean;

  constructor(
    private readonly ctx: AccountContext,
    private readonly rng: Rng,
    private readonly profile: AccountProfile,
    private readonly simulationStart: DayNumber,
  ) {
    this.mature = simulationStart > ctx.createdOn;
    this.team = new Team(rng, profile.seats);
    this.ledger = new CustomerLedger(profile.customerId, profile.currency, this.lines, this.cancellations);
    this.emitter = new UsageEmitter(rng, ctx.log, ctx.customerIndex, profile.currency, profile.usageIntensity);
    this.onboardingFrom = this.mature ? -Infinity : ctx.createdOn;
    this.value = this.mature ? profile.fit + rng.normal(0, 0.3) : profile.fit - VALUE_DYNAMICS.onboardingGap;
    this.trailingValue = this.value;
    this.baselineValue = this.value;
    this.breadth = this.mature ? this.targetBreadth(simulationStart) : 1;
    this.truth = {
      customerId: profile.customerId,
      segment: profile.segment,
      currency: profile.currency,
      createdAt: isoOf(ctx.createdOn),
      inBookAtStart: ctx.inBookAtStart,
      traits: {
        usageIntensity: round(profile.usageIntensity, 3),
        settledLow: profile.settledLow,
        seasonal: profile.seasonal,
        failedOnboarding: profile.failedOnboarding,
        paysByCard: profile.paysByCard,
      },
      subscriptions: [],
      churns: [],
      reactivations: [],
      paymentFailures: [],
      planChanges: [],
      seasonalDips: [],
      quietRenewals: [],
      championDepartures: [],
      layoffs: [],
      erosion: null,
      budgetCut: null,
      teamSize: { first: this.team.size, min: this.team.size, max: this.team.size, last: this.team.size },
      activeAtAsOf: false,
    };
  }

  run(): AccountOutcome | null {
    const { ctx, profile } = this;
    const start = this.simulationStart;
    const firstInvoiceHasFee = !this.mature && profile.segment === 'enterprise';
    this.startSubscription(ctx.createdOn, profile.tier, profile.term, profile.prioritySupport, start, firstInvoiceHasFee);
    let lastPlan = '';
    let inHistory = false;
    for (let day = start; day <= ctx.asOf; day++) {
      if (!inHistory && day >= ctx.historyStart) {
        if (!this.sub) return null;
        inHistory = true;
        this.truth.teamSize = { first: this.team.size, min: this.team.size, max: this.team.size, last: this.team.size };
      }
      if (!this.sub) {
        if (this.reactivateOn === null || this.reactivateOn > ctx.asOf) break;
        if (day < this.reactivateOn) {
          day = this.reactivateOn - 1;
          continue;
        }
        this.reactivate(day);
      }
      this.evolve(day);
      this.settleBilling(day);
      if (!this.sub) continue;
      lastPlan = planName(this.sub.tier, this.sub.term);
      this.considerMidCycleUpgrade(day);
      this.emitUsage(day, inHistory);
    }
    if (!inHistory) return null;
    this.closeAtAsOf();
    if (lastPlan === '') lastPlan = planName(profile.tier, profile.term);
    const customer: CustomerRecord = {
      customer_id: profile.customerId,
      name: profile.name,
      owner_email: profile.owner,
      plan: lastPlan,
      segment: profile.segment,
      created_at: isoOf(ctx.createdOn),
    };
    return { customer, ...this.withinHistory() };
  }

  /** Drops what happened during the warm-up: the export starts with the history. */
  private withinHistory(): Pick<AccountOutcome, 'truth' | 'lines' | 'cancellations'> {
    const from = isoOf(this.ctx.historyStart);
    const lines = this.lines.filter((l) => l.period_end > from || (l.period_start === l.period_end && l.issued_at >= from));
    const invoices = new Set(lines.map((l) => l.invoice_id));
    const t = this.truth;
    const truth: CustomerTruth = {
      ...t,
      subscriptions: t.subscriptions.filter((s) => s.to === null || s.to > from),
      churns: t.churns.filter((c) => c.churnedOn >= from),
      reactivations: t.reactivations.filter((r) => r.on >= from),
      paymentFailures: t.paymentFailures.filter((f) => invoices.has(f.invoiceId)),
      planChanges: t.planChanges.filter((c) => c.on >= from),
      quietRenewals: t.quietRenewals.filter((q) => q.renewalOn >= from),
      // A champion lost in the warm-up and never replaced still weighs on the account.
      championDepartures: t.championDepartures.filter((d) => d.on >= from || d.replacedOn === null || d.replacedOn >= from),
      layoffs: t.layoffs.filter((l) => l.on >= from),
      budgetCut: t.budgetCut !== null && t.budgetCut >= from ? t.budgetCut : null,
    };
    return { truth, lines, cancellations: this.cancellations.filter((c) => c.effective_at >= from) };
  }

  // ── latent state ────────────────────────────────────────────────────────────

  private evolve(day: DayNumber): void {
    const { rng, team, profile, truth } = this;
    if (team.hasChampion && rng.chance(TEAM_DYNAMICS.championDepartureDaily)) {
      team.loseChampion();
      this.value -= 0.7;
      this.championPenalty = VALUE_DYNAMICS.championPenalty;
      truth.championDepartures.push({ on: isoOf(day), replacedOn: null });
      this.championReturnsOn = rng.chance(TEAM_DYNAMICS.championReplacedShare) ? day + rng.int(30, 150) : null;
      if (team.size === 0) team.hire(rng);
    }
    if (this.championReturnsOn === day) {
      team.appointChampion(rng);
      this.championPenalty = 0;
      const last = truth.championDepartures[truth.championDepartures.length - 1];
      if (last) last.replacedOn = isoOf(day);
    }
    const layoffRate = profile.segment === 'smb' ? TEAM_DYNAMICS.layoffDailySmb : TEAM_DYNAMICS.layoffDaily;
    if (team.size >= 3 && rng.chance(layoffRate)) {
      const before = team.size;
      team.layOff(rng, rng.uniform(0.25, 0.55));
      this.value -= 0.4;
      this.layoffPenalty += VALUE_DYNAMICS.layoffPenalty;
      truth.layoffs.push({ on: isoOf(day), seatsBefore: before, seatsAfter: team.size });
    }
    if (!this.erosion && !profile.seasonal && !profile.settledLow && rng.chance(VALUE_DYNAMICS.erosionOnsetDaily)) {
      this.erosion = { from: day, length: rng.int(45, 150), size: rng.uniform(0.8, 2.2) };
      truth.erosion = { from: isoOf(day), to: isoOf(day + this.erosion.length) };
    }
    this.layoffPenalty *= VALUE_DYNAMICS.layoffPenaltyDailyDecay;

    // Healthy accounts hire into the product; struggling ones lose users faster.
    const hireChance = team.size * TEAM_DYNAMICS.hireDailyPerSeat * clamp(this.trailingValue, 0, 1.5);
    const leaveChance = team.size * TEAM_DYNAMICS.leaveDailyPerSeat * (1 + Math.max(0, -this.trailingValue));
    if (rng.chance(hireChance)) team.hire(rng);
    if (rng.chance(leaveChance)) team.leave(rng);
    const size = team.size;
    if (size < truth.teamSize.min) truth.teamSize.min = size;
    if (size > truth.teamSize.max) truth.teamSize.max = size;
    truth.teamSize.last = size;

    const target = profile.fit - this.penalties(day);
    this.value += (target - this.value) / VALUE_DYNAMICS.reversionDays + VALUE_DYNAMICS.dailyNoise * rng.normal();
    this.trailingValue += (this.value - this.trailingValue) / VALUE_DYNAMICS.trailingDays;
    this.baselineValue += (this.value - this.baselineValue) / VALUE_DYNAMICS.baselineDays;
  }

  private penalties(day: DayNumber): number {
    let p = this.championPenalty + this.layoffPenalty;
    p += VALUE_DYNAMICS.onboardingGap * Math.exp(-(day - this.onboardingFrom) / VALUE_DYNAMICS.onboardingDays);
    if (this.erosion && day >= this.erosion.from) p += this.erosion.size * Math.min(1, (day - this.erosion.from) / this.erosion.length);
    const quiet = this.cycle?.quiet;
    if (quiet?.valueLoss && day >= quiet.from) p += VALUE_DYNAMICS.quietValueLoss * Math.min(1, (day - quiet.from) / 30);
    return p;
  }

  private targetBreadth(day: DayNumber): number {
    const tenure = day - this.ctx.createdOn;
    const reach = sigmoid(1.4 * this.trailingValue - 0.3) * (1 - Math.exp(-tenure / 75));
    const breadth = 1 + Math.round(9 * reach);
    return this.profile.settledLow ? Math.min(3, breadth) : breadth;
  }

  // ── billing ─────────────────────────────────────────────────────────────────

  private startSubscription(
    anchor: DayNumber,
    tier: Tier,
    term: Term,
    prioritySupport: boolean,
    firstDay: DayNumber,
    onboardingFee: boolean,
  ): void {
    const id = `ibs_${this.profile.customerId.slice(4)}_${++this.subscriptionCount}`;
    const sub = openSubscription(id, tier, term, anchor, prioritySupport);
    seekCycle(sub, firstDay);
    this.sub = sub;
    this.truth.subscriptions.push({ subscriptionId: id, from: isoOf(sub.periodStart), to: null });
    this.beginCycle(onboardingFee);
  }

  /** Issues the cycle's invoice and draws what the cycle holds: payment outcome, notice, quiet period. */
  private beginCycle(onboardingFee = false): void {
    const { rng, profile } = this;
    const sub = this.sub!;
    const cycleDays = sub.periodEnd - sub.periodStart;
    const failChance = (profile.paysByCard ? PAYMENTS.cardFailure : PAYMENTS.invoiceFailure) * (1 + Math.max(0, -this.trailingValue));
    let dunningGivesUpOn: DayNumber | null = null;
    let status: InvoiceStatus = 'paid';
    if (rng.chance(failChance)) {
      status = 'failed';
      // People fix the card of a product they value.
      const recovered = rng.chance(PAYMENTS.recoveryBase + PAYMENTS.recoveryByValue * sigmoid(1.5 * this.trailingValue));
      if (!recovered) dunningGivesUpOn = sub.periodStart + Math.min(cycleDays - 2, rng.int(10, 24));
      const invoiceId = this.ledger.invoiceCycle(sub, status, onboardingFee);
      this.truth.paymentFailures.push({ invoiceId, issuedOn: isoOf(sub.periodStart), recovered });
    } else if (rng.chance(PAYMENTS.voidAndReissue)) {
      this.ledger.invoiceCycleVoidedAndReissued(sub);
    } else {
      if (rng.chance(PAYMENTS.refund)) status = 'refunded';
      else if (!profile.paysByCard && sub.periodStart > this.ctx.asOf - PAYMENTS.invoiceTermsDays) status = 'open';
      this.ledger.invoiceCycle(sub, status, onboardingFee);
    }

    const givesNotice = rng.chance(CHURN_HAZARD.noticeShare);
    const lead = givesNotice ? noticeLeadDays(rng, sub.term) : rng.int(0, 2);
    let quiet: CyclePlan['quiet'] = null;
    if (sub.term === 'annual' && rng.chance(CHURN_HAZARD.annualQuietShare)) {
      quiet = { from: sub.periodEnd - rng.int(60, 120), depth: rng.uniform(0.08, 0.3), valueLoss: rng.chance(0.5) };
    }
    this.cycle = { decisionDay: Math.max(sub.periodStart + 1, sub.periodEnd - lead), givesNotice, dunningGivesUpOn, quiet };
  }

  private settleBilling(day: DayNumber): void {
    const sub = this.sub!;
    const cycle = this.cycle!;
    if (cycle.dunningGivesUpOn === day && !this.pending) {
      this.ledger.cancel(sub, day, day, 'payment_failed');
      this.pending = { cause: 'involuntary', notice: 'at_period_end', decidedOn: day, valueAtDecision: this.trailingValue };
      this.endSubscription(day);
      return;
    }
    if (day === cycle.decisionDay && cycle.dunningGivesUpOn === null && !this.pending) this.decideRenewal(day);
    if (day === sub.periodEnd) {
      if (this.pending) this.endSubscription(day);
      else this.renew(day);
    }
  }

  private decideRenewal(day: DayNumber): void {
    const { rng } = this;
    const sub = this.sub!;
    const months = TERM_MONTHS[sub.term];
    let cause: ChurnCause | null = null;
    if (rng.chance(1 - (1 - CHURN_HAZARD.budgetCutMonthly) ** months)) {
      cause = 'budget_cut';
      this.truth.budgetCut = isoOf(day);
    } else {
      const drop = Math.max(0, this.baselineValue - this.trailingValue);
      const monthly = sigmoid(CHURN_HAZARD.intercept - CHURN_HAZARD.slope * this.trailingValue + CHURN_HAZARD.dropSlope * drop);
      // Longer commitments are decided less often but not proportionally less lightly.
      if (rng.chance(1 - (1 - monthly) ** (months ** CHURN_HAZARD.termExponent))) cause = this.attributeCause(day);
    }
    if (!cause) return;
    const notice: ChurnNotice = this.cycle!.givesNotice ? 'notice' : rng.chance(0.5) ? 'at_period_end' : 'silent';
    this.pending = { cause, notice, decidedOn: day, valueAtDecision: this.trailingValue };
    if (notice !== 'silent') this.ledger.cancel(sub, sub.periodEnd, day, churnReason(rng, cause));
  }

  /** The dominant reason the latent is low, in the order an account manager would name it. */
  private attributeCause(day: DayNumber): ChurnCause {
    const { truth, profile, ctx } = this;
    if (profile.failedOnboarding && day - ctx.createdOn < 240) return 'failed_onboarding';
    if (this.cycle?.quiet?.valueLoss && day >= this.cycle.quiet.from) return 'annual_non_renewal';
    const departure = truth.championDepartures[truth.championDepartures.length - 1];
    if (departure && departure.replacedOn === null && day - dayNumberOf(departure.on) < 240) return 'champion_left';
    const layoff = truth.layoffs[truth.layoffs.length - 1];
    if (layoff && day - dayNumberOf(layoff.on) < 300) return 'team_shrank';
    return 'disengagement';
  }

  private renew(day: DayNumber): void {
    const { rng, team } = this;
    const sub = this.sub!;
    const quiet = this.cycle!.quiet;
    if (quiet)
      this.truth.quietRenewals.push({ quietFrom: isoOf(quiet.from), renewalOn: isoOf(day), valueLoss: quiet.valueLoss, renewed: true });
    const fromPlan = planName(sub.tier, sub.term);
    const tierIndex = TIERS.indexOf(sub.tier);
    let kind: 'upgrade' | 'downgrade' | 'term_change' | null = null;
    if (team.size > SEAT_CAP[sub.tier] && rng.chance(0.6)) {
      sub.tier = TIERS[tierIndex + 1]!;
      kind = 'upgrade';
    } else if (tierIndex > 0 && team.size <= SEAT_CAP[TIERS[tierIndex - 1]!] && rng.chance(this.trailingValue < 0.4 ? 0.3 : 0.06)) {
      sub.tier = smallestTierFor(team.size);
      kind = 'downgrade';
    }
    advanceCycle(sub);
    if (!kind && sub.term === 'monthly' && this.trailingValue > 1 && rng.chance(0.012)) {
      changeTerm(sub, 'annual');
      kind = 'term_change';
    } else if (!kind && sub.term === 'annual' && this.trailingValue < 0.3 && rng.chance(0.25)) {
      changeTerm(sub, 'monthly');
      kind = 'term_change';
    }
    if (kind) this.truth.planChanges.push({ on: isoOf(day), from: fromPlan, to: planName(sub.tier, sub.term), kind });
    if (sub.prioritySupport && rng.chance(0.04)) sub.prioritySupport = false;
    this.beginCycle();
  }

  /** Seat-capped plans force the question mid-cycle when a team outgrows them quickly. */
  private considerMidCycleUpgrade(day: DayNumber): void {
    const sub = this.sub!;
    if (sub.term === 'annual' || sub.tier === 'enterprise' || day % 7 !== 0 || this.pending) return;
    if (this.team.size <= SEAT_CAP[sub.tier] + 1 || !this.rng.chance(0.25) || sub.periodEnd - day < 5) return;
    const from = sub.tier;
    const fromPlan = planName(sub.tier, sub.term);
    sub.tier = TIERS[TIERS.indexOf(from) + 1]!;
    this.ledger.invoiceUpgradeProration(sub, from, day);
    this.truth.planChanges.push({ on: isoOf(day), from: fromPlan, to: planName(sub.tier, sub.term), kind: 'upgrade' });
  }

  private endSubscription(day: DayNumber): void {
    const { rng, truth } = this;
    const sub = this.sub!;
    const pending = this.pending!;
    const quiet = this.cycle!.quiet;
    if (quiet && day === sub.periodEnd)
      truth.quietRenewals.push({ quietFrom: isoOf(quiet.from), renewalOn: isoOf(day), valueLoss: quiet.valueLoss, renewed: false });
    truth.churns.push({
      subscriptionId: sub.id,
      churnedOn: isoOf(day),
      decidedOn: isoOf(pending.decidedOn),
      canceledAt: pending.notice === 'silent' ? null : isoOf(pending.decidedOn),
      cause: pending.cause,
      notice: pending.notice,
      term: sub.term,
      mrr: round(mrrCents(sub, this.profile.currency) / 100, 2),
      valueAtDecision: round(pending.valueAtDecision, 3),
    });
    truth.subscriptions[truth.subscriptions.length - 1]!.to = isoOf(day);
    const back = pending.cause === 'involuntary' ? REACTIVATION.afterInvoluntary : REACTIVATION.afterVoluntary;
    this.reactivateOn = rng.chance(back.share) ? day + rng.int(back.minDays, back.maxDays) : null;
    this.sub = null;
    this.cycle = null;
    this.pending = null;
  }

  /** A former customer returns on a new subscription sized for the team it has now. */
  private reactivate(day: DayNumber): void {
    const afterCause = this.truth.churns[this.truth.churns.length - 1]!.cause;
    this.championPenalty = 0;
    this.layoffPenalty *= 0.5;
    this.erosion = null;
    this.value = Math.max(this.value, 0.2) + 0.3;
    this.trailingValue = this.value;
    this.baselineValue = this.value;
    this.reactivateOn = null;
    const term: Term = this.rng.chance(0.85) ? 'monthly' : this.profile.term;
    this.startSubscription(day, smallestTierFor(this.team.size), term, false, day, false);
    this.truth.reactivations.push({ on: isoOf(day), subscriptionId: this.sub!.id, afterCause });
  }

  /** A renewal decision already made but effective after `asOf` is still ground truth. */
  private closeAtAsOf(): void {
    this.truth.activeAtAsOf = this.sub !== null;
    if (this.sub && this.pending) this.endSubscription(this.sub.periodEnd);
  }

  // ── usage ───────────────────────────────────────────────────────────────────

  private emitUsage(day: DayNumber, inHistory: boolean): void {
    const { profile } = this;
    if (day % 7 === 0) {
      const target = this.targetBreadth(day);
      if (target > this.breadth) this.breadth++;
      else if (target < this.breadth) this.breadth--;
    }
    if (!inHistory) return;
    let activity = engagementAt(this.value);
    activity *= this.seasonalFactor(day);
    const quiet = this.cycle!.quiet;
    if (quiet && day >= quiet.from) activity *= Math.max(quiet.depth, 1 - ((day - quiet.from) / 21) * (1 - quiet.depth));
    activity *= this.windDownFactor(day);
    if (profile.failedOnboarding) activity *= 0.6;
    this.emitter.emitDay(day, this.team, activity, this.breadth);
  }

  private seasonalFactor(day: DayNumber): number {
    const season = this.profile.seasonal;
    if (!season) return 1;
    const offset = (dayOfYear(day) - season.startDayOfYear + 366) % 366;
    const inDip = offset < season.lengthDays;
    if (inDip && !this.inSeasonalDip) this.truth.seasonalDips.push({ from: isoOf(day), to: isoOf(day) });
    if (inDip) this.truth.seasonalDips[this.truth.seasonalDips.length - 1]!.to = isoOf(day + 1);
    this.inSeasonalDip = inDip;
    return inDip ? season.depth : 1;
  }

  /** After deciding to leave, teams migrate away; a budget cut keeps usage up until the last days. */
  private windDownFactor(day: DayNumber): number {
    const pending = this.pending;
    if (!pending) return 1;
    const end = this.sub!.periodEnd;
    if (pending.cause === 'budget_cut') return end - day <= 4 ? 0.4 : 1;
    return 1 - (0.7 * (day - pending.decidedOn)) / Math.max(1, end - pending.decidedOn);
  }
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
const dayNumberOf = (iso: string): DayNumber => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
