import type { Day } from '../../lambdas/domain/types';
import type { Currency, Interval, Plan } from './catalog';
import type { ChurnCause } from './lifecycle';
import type { Persona } from './personas';

/** A row of billing/customers.csv. */
export interface SampleCustomer {
  customerId: string;
  name: string;
  ownerEmail?: string;
  /** The current (latest) plan. */
  plan: Plan;
  segment: string;
  createdAt: Day;
  currency: Currency;
  /** Not exported (nor the fields below): the customer's persona, its habit rather than its fate. */
  archetype: Persona;
  /** The latent health on the last day of each month the customer was simulated, oldest first. */
  healthAtMonthEnd: { day: Day; health: number }[];
}

/** A row of billing/invoices-YYYY.csv, the canonical invoice_line columns as written. */
export interface SampleInvoiceLine {
  invoiceId: string;
  lineId: string;
  customerId: string;
  subscriptionId: string;
  plan: Plan;
  /** Decimal string in major units, e.g. "199.00" or "-87.33". */
  amount: string;
  currency: Currency;
  /** Empty for one-time charges. */
  periodStart: Day | '';
  periodEnd: Day | '';
  status: 'paid' | 'open' | 'failed' | 'void' | 'refunded';
  quantity: number;
  issuedAt: Day;
}

/** A record of billing/cancellations.jsonl. */
export interface SampleCancellation {
  customerId: string;
  subscriptionId: string;
  effectiveAt: Day;
  canceledAt: Day;
  reason?: string;
  feedback?: string;
  /** Not exported: what drove the churn. */
  cause: ChurnCause;
}

/** A usage event (docs/metrics.md §2). */
export interface SampleEvent {
  eventId: string;
  customerId: string;
  feature: string;
  timestamp: string;
  userId?: string;
  count?: number;
}

/** A subscription as the generator planned it (day numbers). */
export interface SampleSubscription {
  subscriptionId: string;
  customerId: string;
  plan: Plan;
  interval: Interval;
  /** Anchor and first day of service. */
  start: number;
  /** Cancellation effective day (exclusive end of service), if a cancellation is on file by asOf. */
  end?: number;
  /** Moves to another plan, oldest first: mid-period on monthly plans (prorated), at renewal otherwise. */
  planChanges: { day: number; to: Plan }[];
}

export interface SampleSaas {
  seed: number;
  asOf: Day;
  /** First day of billing history. */
  historyStart: Day;
  /** First day with usage events (the history start: usage covers the whole history). */
  usageStart: Day;
  customers: SampleCustomer[];
  subscriptions: SampleSubscription[];
  invoiceLines: SampleInvoiceLine[];
  cancellations: SampleCancellation[];
  events: SampleEvent[];
}
