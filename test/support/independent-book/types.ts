import type { Currency, Segment, Term } from './catalog';
import type { UsageLog } from './usage-log';

/** Canonical records (docs/metrics.md §1.1); field names are the CSV headers. Amounts are decimal text. */
export interface InvoiceLineRecord {
  invoice_id: string;
  line_id: string;
  customer_id: string;
  subscription_id: string;
  plan: string;
  amount: string;
  currency: Currency;
  period_start: string;
  period_end: string;
  status: InvoiceStatus;
  issued_at: string;
}

export type InvoiceStatus = 'paid' | 'open' | 'failed' | 'void' | 'refunded' | 'uncollectible';

export interface CancellationRecord {
  customer_id: string;
  subscription_id: string;
  effective_at: string;
  canceled_at: string;
  reason: string;
}

export interface CustomerRecord {
  customer_id: string;
  name: string;
  owner_email: string;
  plan: string;
  segment: Segment;
  created_at: string;
}

/** docs/metrics.md §2: one event per (user, feature, active day), volume carried by `count`. */
export interface UsageEventRecord {
  eventId: string;
  customerId: string;
  feature: string;
  timestamp: string;
  userId: string;
  count: number;
}

/** Why an account left, as the simulation knows it (the forecast never sees this). */
export type ChurnCause =
  | 'disengagement'
  | 'champion_left'
  | 'team_shrank'
  | 'failed_onboarding'
  | 'budget_cut'
  | 'annual_non_renewal'
  | 'involuntary';

/**
 * How the churn shows in the billing data: `notice` = a cancellation filed weeks ahead;
 * `at_period_end` = a cancellation filed in the last days; `silent` = the invoices simply stop.
 */
export type ChurnNotice = 'notice' | 'at_period_end' | 'silent';

export interface ChurnTruth {
  subscriptionId: string;
  /** First day with no MRR (the cancellation's effective_at, or the last period's end). */
  churnedOn: string;
  decidedOn: string;
  canceledAt: string | null;
  cause: ChurnCause;
  notice: ChurnNotice;
  term: Term;
  /** The account's monthly recurring revenue when it left, in its own currency. */
  mrr: number;
  /** Trailing "value realised" when the decision was made: the latent the churn hazard reads. */
  valueAtDecision: number;
}

export interface CustomerTruth {
  customerId: string;
  segment: Segment;
  currency: Currency;
  createdAt: string;
  /** The customer already existed when the history starts (its first invoices may predate it). */
  inBookAtStart: boolean;
  traits: {
    /** Usage per unit of value: settled-low accounts get their value from very little usage. */
    usageIntensity: number;
    settledLow: boolean;
    seasonal: SeasonalPattern | null;
    failedOnboarding: boolean;
    paysByCard: boolean;
  };
  subscriptions: { subscriptionId: string; from: string; to: string | null }[];
  churns: ChurnTruth[];
  reactivations: { on: string; subscriptionId: string; afterCause: ChurnCause }[];
  paymentFailures: { invoiceId: string; issuedOn: string; recovered: boolean }[];
  planChanges: { on: string; from: string; to: string; kind: 'upgrade' | 'downgrade' | 'term_change' }[];
  seasonalDips: { from: string; to: string }[];
  quietRenewals: { quietFrom: string; renewalOn: string; valueLoss: boolean; renewed: boolean }[];
  championDepartures: { on: string; replacedOn: string | null }[];
  layoffs: { on: string; seatsBefore: number; seatsAfter: number }[];
  erosion: { from: string; to: string } | null;
  budgetCut: string | null;
  teamSize: { first: number; min: number; max: number; last: number };
  activeAtAsOf: boolean;
}

export interface SeasonalPattern {
  /** What the dip is: school holidays, year-end freeze or the European August. */
  kind: 'summer_break' | 'year_end_freeze' | 'august_holiday';
  /** 0-based day of year the dip begins and its length in days. */
  startDayOfYear: number;
  lengthDays: number;
  /** Share of normal activity kept during the dip. */
  depth: number;
}

export interface MonthlyChurn {
  month: string;
  customersStart: number;
  churned: number;
  rate: number | null;
}

export interface BookTruth {
  generator: 'independent-book';
  seed: number;
  customers: number;
  months: number;
  historyStart: string;
  asOf: string;
  fxRates: Record<string, number>;
  monthly: MonthlyChurn[];
  summary: BookSummary;
  accounts: CustomerTruth[];
}

export interface BookSummary {
  invoiceLines: number;
  cancellations: number;
  events: number;
  churns: number;
  meanMonthlyLogoChurn: number;
  noticeShareOfChurns: number;
  churnsByCause: Record<ChurnCause, number>;
  activeAtAsOf: number;
  mechanisms: Record<string, number>;
}

export interface IndependentBook {
  truth: BookTruth;
  invoiceLines: InvoiceLineRecord[];
  cancellations: CancellationRecord[];
  customers: CustomerRecord[];
  /** Columnar, because the 1,700-customer book holds about a million events. */
  usage: UsageLog;
}

export interface BookOptions {
  seed?: number;
  customers?: number;
  months?: number;
  /** Last day of the history, `YYYY-MM-DD`. */
  asOf?: string;
}
