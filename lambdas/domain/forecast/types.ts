/** Shapes of the churn forecast (docs/metrics.md §3.6): the scorecard, its factors and bands. */
import type { Day } from '../types';

export const BANDS = ['red', 'yellow', 'green'] as const;
export type Band = (typeof BANDS)[number];

/** Factor codes: each groups correlated inputs so a CSM reads one number per cause. */
export const FACTOR_CODES = ['engagement', 'tenure', 'renewal', 'payment_failed', 'mrr_movement', 'onboarding'] as const;
export type FactorCode = (typeof FACTOR_CODES)[number];

export interface Factor {
  code: FactorCode;
  /** Scorecard points: 20 points double the odds of churn; negative points lower them. */
  points: number;
  /** What the customer did, in words a CSM acts on. */
  detail: string;
}

export type ModelKind = 'fitted' | 'default';

/**
 * A logistic scorecard: logit(p) = intercept + Σ weights[j] · x[j]. `means` centre each input so a
 * factor's points say how far this customer is from the average customer of the training data.
 */
export interface ScorecardModel {
  kind: ModelKind;
  /** Feature names, in the order of `weights` and `means` (the contract between fit and score). */
  features: readonly string[];
  weights: readonly number[];
  means: readonly number[];
  intercept: number;
  horizonDays: number;
  fittedAt: Day | null;
  trainingRows: number;
  trainingChurns: number;
  /** Where the weights come from, for people reading the snapshot. */
  provenance: string;
}

/** The `risk` block of the snapshot (docs/metrics.md §5). */
export interface RiskSummary {
  model: ModelKind;
  fittedAt: Day | null;
  trainingRows: number;
  trainingChurns: number;
  horizonDays: number;
  /** Scorecard points of the average customer: intercept + Σ factor points = logit in points. */
  interceptPoints: number;
  bands: Record<Band, { customers: number; mrr: number }>;
  thresholds: { red: number; yellow: number };
  provenance: string;
}

export interface ScheduledChurn {
  customerId: string;
  name: string | null;
  owner: string | null;
  mrr: number;
  effectiveAt: Day;
  canceledAt: Day | null;
  reason: string | null;
}

export interface RiskSettings {
  horizonDays: number;
  red: number;
  yellow: number;
  minChurnsToFit: number;
}

export const DEFAULT_RISK_SETTINGS: RiskSettings = { horizonDays: 90, red: 0.3, yellow: 0.12, minChurnsToFit: 30 };
