import type { Day } from '../../lambdas/domain/types';
import type { ArchetypeName } from './archetypes';
import type { Currency, Interval, Plan } from './catalog';

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
  /** Not exported: what the generator made of this customer, for tests and the demo report. */
  archetype: ArchetypeName;
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
}

/** A usage event (SPEC §2). */
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
  /** Cancellation effective day (exclusive end of service), if cancelled. */
  end?: number;
  planChange?: { day: number; to: Plan };
}

export interface SampleSaas {
  seed: number;
  asOf: Day;
  /** First day of billing history. */
  historyStart: Day;
  /** First day with usage events. */
  usageStart: Day;
  customers: SampleCustomer[];
  subscriptions: SampleSubscription[];
  invoiceLines: SampleInvoiceLine[];
  cancellations: SampleCancellation[];
  events: SampleEvent[];
}
