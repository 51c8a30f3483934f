import { LINE_STATUSES, type Cancellation, type LedgerLine, type LineStatus } from '../domain/types';
import { RowError } from './errors';
import {
  CurrencyParser,
  DayParser,
  MAX_ID,
  MAX_NAME,
  MAX_TEXT,
  amountValue,
  optionalEmail,
  optionalId,
  optionalPositiveNumber,
  optionalText,
  requiredId,
  requiredText,
} from './fields';

export type BillingRecord =
  | { kind: 'invoice_line'; customerId: string; line: LedgerLine; customerName?: string; ownerEmail?: string }
  | { kind: 'cancellation'; customerId: string; cancellation: Cancellation }
  | {
      kind: 'customer';
      customerId: string;
      attributes: { name?: string; ownerEmail?: string; plan?: string; segment?: string; createdAt?: string };
    };

export type RecordKind = BillingRecord['kind'];

/** Canonical field names (docs/metrics.md §1.1), plus the Stripe subscription columns the preset needs. */
export const FIELDS = [
  'invoice_id',
  'line_id',
  'customer_id',
  'subscription_id',
  'plan',
  'amount',
  'currency',
  'period_start',
  'period_end',
  'status',
  'quantity',
  'issued_at',
  'customer_name',
  'owner_email',
  'effective_at',
  'canceled_at',
  'reason',
  'feedback',
  'name',
  'segment',
  'created_at',
  'ended_at',
  'current_period_start',
] as const;

export type Field = (typeof FIELDS)[number];

/**
 * Each field's position in FIELDS. Builders ask for fields by this number: a CSV row then answers with
 * two array reads, where a name would cost a keyed property lookup on every field of every row.
 */
export const FIELD = Object.freeze(Object.fromEntries(FIELDS.map((f, i) => [f, i])) as { readonly [F in Field]: number });

/** One input row, whatever its format: the value of a field (by its FIELD number), or undefined when absent. */
export interface RowSource {
  get(field: number): unknown;
}

/** Per-file state the builders share. */
export class BuildContext {
  readonly days: DayParser;
  readonly currencies: CurrencyParser;
  /** Lines seen per invoice id in this file, for the `#n` line_id default. Holds only invoice ids. */
  private readonly lineOrdinals = new Map<string, number>();

  constructor(
    readonly reportingCurrency: string,
    readonly fxRates: Record<string, number>,
    stripeDates: boolean,
  ) {
    this.days = new DayParser({ stripe: stripeDates });
    this.currencies = new CurrencyParser(reportingCurrency, fxRates);
  }

  /**
   * A given line_id, kept apart from the `#n` ordinals: one starting with `#` gets another `#` in
   * front, so an explicit `#1` (stored `##1`) and the first implicit line (`#1`) of one invoice are
   * two lines, not one overwriting the other.
   */
  static explicitLineId(given: string): string {
    return given.charCodeAt(0) === 35 /* # */ ? `#${given}` : given;
  }

  nextLineId(invoiceId: string): string {
    const n = (this.lineOrdinals.get(invoiceId) ?? 0) + 1;
    this.lineOrdinals.set(invoiceId, n);
    return `#${n}`;
  }
}

const STATUSES: ReadonlySet<string> = new Set(LINE_STATUSES);

function statusValue(value: unknown): LineStatus {
  const given = requiredText(value, 'status', 64);
  // Exports spell statuses in lower case: compare first, lower-case and hash only otherwise.
  for (const status of LINE_STATUSES) if (status === given) return status;
  const s = given.toLowerCase();
  if (!STATUSES.has(s)) throw new RowError(`status: ${JSON.stringify(s)} is not one of ${LINE_STATUSES.join('|')}`);
  return s as LineStatus;
}

export function buildInvoiceLine(src: RowSource, ctx: BuildContext): BillingRecord {
  const invoiceId = requiredId(src.get(FIELD.invoice_id), 'invoice_id');
  const customerId = requiredId(src.get(FIELD.customer_id), 'customer_id');
  const amount = amountValue(src.get(FIELD.amount), 'amount');
  const currency = ctx.currencies.required(src.get(FIELD.currency), 'currency');
  let periodStart = ctx.days.optional(src.get(FIELD.period_start), 'period_start');
  let periodEnd = ctx.days.optional(src.get(FIELD.period_end), 'period_end');
  if (periodStart === undefined && periodEnd !== undefined) {
    throw new RowError('period_start is missing while period_end is set (give both, or neither for a one-time charge)');
  }
  if (periodEnd === undefined && periodStart !== undefined) {
    throw new RowError('period_end is missing while period_start is set (give both, or neither for a one-time charge)');
  }
  if (periodStart !== undefined && periodEnd !== undefined) {
    if (periodEnd < periodStart) throw new RowError(`period_end ${periodEnd} is before period_start ${periodStart}`);
    if (periodEnd === periodStart) periodStart = periodEnd = undefined;
  }
  const status = statusValue(src.get(FIELD.status));
  const lineIdGiven = optionalId(src.get(FIELD.line_id), 'line_id');
  const subscriptionId = optionalId(src.get(FIELD.subscription_id), 'subscription_id');
  const plan = optionalText(src.get(FIELD.plan), 'plan', MAX_ID);
  const quantity = optionalPositiveNumber(src.get(FIELD.quantity), 'quantity');
  const issuedAt = ctx.days.optional(src.get(FIELD.issued_at), 'issued_at');
  const customerName = optionalText(src.get(FIELD.customer_name), 'customer_name', MAX_NAME);
  const ownerEmail = optionalEmail(src.get(FIELD.owner_email), 'owner_email');

  // Only a valid line takes an ordinal, so a quarantined row does not shift the ids of the lines after it
  // relative to the same file with that row removed.
  const line: LedgerLine = {
    invoiceId,
    lineId: lineIdGiven !== undefined ? BuildContext.explicitLineId(lineIdGiven) : ctx.nextLineId(invoiceId),
    amount,
    currency,
    status,
  };
  if (subscriptionId !== undefined) line.subscriptionId = subscriptionId;
  if (plan !== undefined) line.plan = plan;
  if (periodStart !== undefined) line.periodStart = periodStart;
  if (periodEnd !== undefined) line.periodEnd = periodEnd;
  if (quantity !== undefined) line.quantity = quantity;
  if (issuedAt !== undefined) line.issuedAt = issuedAt;
  const record: BillingRecord = { kind: 'invoice_line', customerId, line };
  if (customerName !== undefined) record.customerName = customerName;
  if (ownerEmail !== undefined) record.ownerEmail = ownerEmail;
  return record;
}

export function buildCancellation(src: RowSource, ctx: BuildContext, effectiveField: Field = 'effective_at'): BillingRecord {
  const customerId = requiredId(src.get(FIELD.customer_id), 'customer_id');
  const subscriptionId = requiredId(src.get(FIELD.subscription_id), 'subscription_id');
  const effectiveAt = ctx.days.required(src.get(FIELD[effectiveField]), effectiveField);
  const canceledAt = ctx.days.optional(src.get(FIELD.canceled_at), 'canceled_at');
  const reason = optionalText(src.get(FIELD.reason), 'reason', MAX_TEXT);
  const feedback = optionalText(src.get(FIELD.feedback), 'feedback', MAX_TEXT);
  const cancellation: Cancellation = { subscriptionId, effectiveAt };
  if (canceledAt !== undefined) cancellation.canceledAt = canceledAt;
  if (reason !== undefined) cancellation.reason = reason;
  if (feedback !== undefined) cancellation.feedback = feedback;
  return { kind: 'cancellation', customerId, cancellation };
}

export function buildCustomer(src: RowSource, ctx: BuildContext): BillingRecord {
  const customerId = requiredId(src.get(FIELD.customer_id), 'customer_id');
  const attributes: Extract<BillingRecord, { kind: 'customer' }>['attributes'] = {};
  const name = optionalText(src.get(FIELD.name), 'name', MAX_NAME);
  const ownerEmail = optionalEmail(src.get(FIELD.owner_email), 'owner_email');
  const plan = optionalText(src.get(FIELD.plan), 'plan', MAX_ID);
  const segment = optionalText(src.get(FIELD.segment), 'segment', MAX_ID);
  const createdAt = ctx.days.optional(src.get(FIELD.created_at), 'created_at');
  if (name !== undefined) attributes.name = name;
  if (ownerEmail !== undefined) attributes.ownerEmail = ownerEmail;
  if (plan !== undefined) attributes.plan = plan;
  if (segment !== undefined) attributes.segment = segment;
  if (createdAt !== undefined) attributes.createdAt = createdAt;
  return { kind: 'customer', customerId, attributes };
}

/**
 * Stripe subscriptions export: a `canceled` subscription becomes a cancellation effective on the day
 * it ended (Ended At, else Canceled At). An `unpaid` one (dunning gave up; Stripe's own MRR leaves it
 * out) becomes a cancellation effective at its Current Period Start: its open invoices then count
 * nothing (docs/metrics.md §1.2). Any other status (active, trialing, past_due, a cancellation scheduled for
 * period end, …) becomes a customer record carrying the customer's name: it changes no MRR, keeps
 * every row accounted for as ingested, and names customers that have no customer export.
 */
export function buildStripeSubscription(src: RowSource, ctx: BuildContext): BillingRecord {
  const status = requiredText(src.get(FIELD.status), 'Status', 64).toLowerCase();
  if (status === 'unpaid') return buildUnpaidSubscription(src, ctx);
  if (status !== 'canceled') {
    const customerId = requiredText(src.get(FIELD.customer_id), 'customer_id', MAX_ID);
    const name = optionalText(src.get(FIELD.customer_name), 'Customer Name', MAX_NAME);
    const ownerEmail = optionalEmail(src.get(FIELD.owner_email), 'owner_email');
    const attributes: Extract<BillingRecord, { kind: 'customer' }>['attributes'] = {};
    if (name !== undefined) attributes.name = name;
    if (ownerEmail !== undefined) attributes.ownerEmail = ownerEmail;
    return { kind: 'customer', customerId, attributes };
  }
  const ended = src.get(FIELD.ended_at);
  const hasEnded = optionalText(ended, 'Ended At (UTC)', 64) !== undefined;
  if (!hasEnded && optionalText(src.get(FIELD.canceled_at), 'Canceled At (UTC)', 64) === undefined) {
    throw new RowError('status is canceled but Ended At (UTC) and Canceled At (UTC) are both empty');
  }
  return buildCancellation(src, ctx, hasEnded ? 'ended_at' : 'canceled_at');
}

/** The churn reason of an unpaid subscription is `unpaid` unless the export gives one. */
function buildUnpaidSubscription(src: RowSource, ctx: BuildContext): BillingRecord {
  if (optionalText(src.get(FIELD.current_period_start), 'Current Period Start (UTC)', 64) === undefined) {
    throw new RowError('status is unpaid but Current Period Start (UTC) is empty: the day it stopped counting is unknown');
  }
  const record = buildCancellation(src, ctx, 'current_period_start');
  if (record.kind === 'cancellation') record.cancellation.reason ??= 'unpaid';
  return record;
}

export const BUILDERS = {
  invoice_line: buildInvoiceLine,
  cancellation: buildCancellation,
  customer: buildCustomer,
  stripe_subscription: buildStripeSubscription,
} as const;

export type BuilderName = keyof typeof BUILDERS;
