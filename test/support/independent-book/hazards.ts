import type { Term } from './catalog';
import type { Rng } from './prng';
import type { ChurnCause } from './types';

/**
 * The world's constants in one place, so calibrating the book (churn ~2 %/month, ~1/3 with notice,
 * ~1M events at 1,700 × 24) touches only this file. Rates are per day unless named otherwise.
 */
export const VALUE_DYNAMICS = {
  /** Days for the latent to close ~63 % of the gap to its target (mean reversion). */
  reversionDays: 25,
  dailyNoise: 0.085,
  /** Time constant of the trailing view the renewal decision reads. */
  trailingDays: 30,
  /** Time constant of the account's own baseline, against which a drop is felt. */
  baselineDays: 120,
  /** New accounts start this far below their fit and close the gap over `onboardingDays`. */
  onboardingGap: 1.0,
  onboardingDays: 40,
  championPenalty: 1.0,
  layoffPenalty: 0.5,
  layoffPenaltyDailyDecay: 0.999,
  erosionOnsetDaily: 1 / 1000,
  /** Annual accounts whose project ended: the value gone before the renewal comes up. */
  quietValueLoss: 1.8,
};

export const TEAM_DYNAMICS = {
  championDepartureDaily: 1 / 1200,
  championReplacedShare: 0.5,
  layoffDaily: 1 / 1800,
  layoffDailySmb: 1 / 3500,
  hireDailyPerSeat: 0.0011,
  leaveDailyPerSeat: 0.0005,
};

export const CHURN_HAZARD = {
  /**
   * Monthly churn probability = sigmoid(intercept − slope × trailing value + dropSlope × drop), where
   * drop is how far the trailing value fell below the account's own baseline: accounts reassess when
   * value falls short of what they got before, more than when it was always modest.
   */
  intercept: -4.8,
  slope: 1.2,
  dropSlope: 2.6,
  /** A k-month term is decided like k^exponent months of monthly decisions. */
  termExponent: 0.75,
  /** Healthy or not, some accounts lose their budget: churn with no warning in the usage. */
  budgetCutMonthly: 0.0028,
  /** Share of cycles in which a leaving account would file its cancellation weeks ahead. */
  noticeShare: 0.42,
  annualQuietShare: 0.4,
};

export const PAYMENTS = {
  cardFailure: 0.022,
  invoiceFailure: 0.006,
  recoveryBase: 0.45,
  recoveryByValue: 0.4,
  voidAndReissue: 0.004,
  refund: 0.003,
  /** Invoices paid by transfer stay `open` this many days after issue. */
  invoiceTermsDays: 10,
};

export const REACTIVATION = {
  afterVoluntary: { share: 0.06, minDays: 60, maxDays: 300 },
  /** Involuntary churners often just fix the card a few weeks later. */
  afterInvoluntary: { share: 0.22, minDays: 5, maxDays: 45 },
};

export function noticeLeadDays(rng: Rng, term: Term): number {
  switch (term) {
    case 'monthly':
      return rng.int(14, 27);
    case 'quarterly':
      return rng.int(14, 60);
    case 'annual':
      return rng.int(21, 90);
  }
}

/** What the customer writes in the cancellation form: related to the cause, not a copy of it. */
const REASONS: Record<ChurnCause, Record<string, number>> = {
  disengagement: { not_using: 4, missing_features: 2, switched_to_competitor: 2, too_expensive: 2, '': 1 },
  champion_left: { not_using: 3, no_longer_needed: 2, switched_to_competitor: 1, '': 1 },
  team_shrank: { too_expensive: 3, no_longer_needed: 2, not_using: 1 },
  failed_onboarding: { too_complex: 3, missing_features: 2, not_using: 2, '': 1 },
  budget_cut: { budget: 5, too_expensive: 2, company_closed: 1 },
  annual_non_renewal: { no_longer_needed: 3, not_using: 2, too_expensive: 1 },
  involuntary: { payment_failed: 1 },
};

export const churnReason = (rng: Rng, cause: ChurnCause): string => rng.weighted(REASONS[cause]);
