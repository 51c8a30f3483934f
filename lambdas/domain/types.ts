/**
 * The domain's input and output shapes. Pure data: no AWS types, so the engine runs the same on
 * DynamoDB profiles in Lambda, in the CLI, in tests and in benchmarks.
 */

import type { Band, Factor, RiskSummary, ScheduledChurn } from './forecast/types';
import type { WeekSummary } from './forecast/weeks';

/** A UTC calendar day, `YYYY-MM-DD`. */
export type Day = string;

export const LINE_STATUSES = ['paid', 'open', 'failed', 'void', 'refunded', 'uncollectible'] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

/** Statuses whose lines count towards MRR (docs/metrics.md §1.1): a refund is a cash event, not a change of subscription. */
export const MRR_STATUSES: ReadonlySet<LineStatus> = new Set(['paid', 'open', 'failed', 'refunded']);

/** The current version of one invoice line, identified by (invoiceId, lineId). */
export interface LedgerLine {
  invoiceId: string;
  lineId: string;
  subscriptionId?: string;
  plan?: string;
  /** Net of discounts, excluding tax, in major units of `currency`. Negative for credits. */
  amount: number;
  currency: string;
  /** Service period `[periodStart, periodEnd)`; absent or equal means a one-time charge. */
  periodStart?: Day;
  periodEnd?: Day;
  status: LineStatus;
  quantity?: number;
  issuedAt?: Day;
}

/** A subscription cancellation: from `effectiveAt` on, the subscription's lines count no MRR. */
export interface Cancellation {
  subscriptionId: string;
  effectiveAt: Day;
  canceledAt?: Day;
  reason?: string;
  feedback?: string;
}

/** Usage of one customer on one UTC day. */
export interface DayActivity {
  /** Number of events (sum of event counts). */
  events: number;
  /** Events per feature. */
  features: Record<string, number>;
  /** Distinct users that day, where events carry a userId (daily rollups; the profile omits it). */
  users?: number;
}

/**
 * Everything the engine needs about one customer, as the DynamoDB profile item holds it:
 * the ledger lines and cancellations (small, per customer) and a window of daily activity.
 */
export interface CustomerTimeline {
  customerId: string;
  name?: string;
  ownerEmail?: string;
  plan?: string;
  segment?: string;
  createdAt?: Day;
  lines: LedgerLine[];
  cancellations: Cancellation[];
  /** Daily activity by day. Must cover at least the 56 days ending asOf; other days are ignored. */
  activity: Record<Day, DayActivity>;
  /** First day with any usage event, if any (may lie outside `activity`). */
  firstEventDay?: Day;
  /** First day each feature was used (may lie outside `activity`). */
  featureFirstSeen: Record<string, Day>;
  /**
   * First active day established by lines no longer in `lines` (a long history whose settled lines
   * were archived out of the profile). Taken as the customer's first active day when earlier.
   */
  archivedFirstActiveDay?: Day;
  /**
   * Whether the archived lines made the customer active on each month's last day: `bits[i]` is '1'
   * for month `from` + i (`from` is `YYYY-MM`). Lets cohort retention look back past the kept lines.
   */
  archivedMonthEnds?: { from: string; bits: string };
  /**
   * Weekly usage summaries by week-start day (Monday), for the forecast's 13-month baseline. Absent,
   * they are built from `activity`.
   */
  weeks?: Record<Day, WeekSummary>;
}

export interface EngineSettings {
  reportingCurrency: string;
  /** Units of reporting currency per unit of the keyed currency. The reporting currency itself is 1. */
  fxRates: Record<string, number>;
  coreFeatures: string[];
  retentionFeatures: string[];
  tierA: number;
  tierB: number;
}

export type Tier = 'A' | 'B' | 'C';
export type Lifecycle = 'onboarding' | 'adoption' | 'mature';
export type Frequency = 'daily' | 'weekly' | 'monthly' | 'dormant';

export const RISK_CODES = [
  'frequency_downgrade',
  'activity_decline',
  'inactive',
  'core_feature_unused',
  'retention_feature_lost',
  'module_reduction',
  'contraction',
  'payment_failed',
  'not_activated',
] as const;
export type RiskCode = (typeof RISK_CODES)[number];

export interface RiskReason {
  code: RiskCode;
  /** A sentence a CSM understands, e.g. "active days 20 → 6 in 28 days". */
  detail: string;
  /** The reason's old fixed points (before the fitted forecast); kept for the backtest's baseline. */
  points: number;
}

export interface Segment {
  customersStart: number;
  churned: number;
  logoChurnRate: number | null;
  mrrStart: number;
  expansion: number;
  contraction: number;
  churnedMrr: number;
  ndr: number | null;
}

export interface AtRiskCustomer {
  customerId: string;
  name: string | null;
  owner: string | null;
  mrr: number;
  /** round(100 × churnProbability); null for a customer on the save list (not forecast). */
  riskScore: number | null;
  /** Probability that MRR reaches 0 within the horizon (docs/metrics.md §3.6); null on the save list. */
  churnProbability: number | null;
  band: Band | null;
  frequency: Frequency;
  reasons: RiskReason[];
  /** The scorecard's factors, largest points first: interceptPoints + Σ points reproduce the probability. */
  factors: Factor[];
  // Fields beyond docs/metrics.md §5 (allowed: "further fields may be added"), used by the digest and report.
  tier: Tier;
  /** MRR 30 days before asOf, to show the change. */
  mrrPrevious: number;
  plan: string | null;
  /** Events per day for the 56 days ending asOf, oldest first. */
  activity: number[];
  activeDaysCurrent: number;
  activeDaysPrevious: number;
}

export interface Snapshot {
  asOf: Day;
  period: { start: Day; end: Day };
  currency: string;
  customers: { start: number; new: number; reactivated: number; churned: number; newChurned: number; end: number };
  mrr: {
    start: number;
    new: number;
    expansion: number;
    contraction: number;
    churned: number;
    reactivation: number;
    end: number;
  };
  logoChurnRate: number | null;
  grossMrrChurnRate: number | null;
  netMrrChurnRate: number | null;
  ndr: number | null;
  grr: number | null;
  ndr12m: number | null;
  grr12m: number | null;
  annualizedLogoChurn: number;
  annualizedFromMonth: number | null;
  byPlan: Record<string, Segment>;
  byTier: Partial<Record<Tier, Segment>>;
  byLifecycle: Partial<Record<Lifecycle, Segment>>;
  cohorts: { cohort: string; size: number; retention: number[] }[];
  churnReasons: Record<string, { customers: number; mrr: number }>;
  atRisk: AtRiskCustomer[];
  /** The save list: customers whose cancellation is on file and takes effect after asOf. */
  scheduledChurn: ScheduledChurn[];
  risk: RiskSummary;
  // Beyond docs/metrics.md §5: the 12 monthly points behind the trend chart, oldest first.
  trend: { month: string; logoChurnRate: number | null; ndr: number | null; mrrStart: number; mrrEnd: number }[];
  /** Beyond docs/metrics.md §5: what the engine had to leave out, so a config change that orphans lines is visible. */
  diagnostics?: SnapshotDiagnostics;
}

/** A snapshot without its at-risk list: everything but the one part that grows with the customers. */
export type SnapshotSummary = Omit<Snapshot, 'atRisk'>;

export interface SnapshotDiagnostics {
  customers: number;
  /** Recurring lines not counted because their currency has no FX rate, by currency. */
  linesWithoutFxRate: Record<string, number>;
}
