import { UnreadableFileError } from './errors';
import type { BuilderName, Field } from './records';

/** How one CSV file maps onto a record kind: which builder, and the column index of each field. */
export interface CsvLayout {
  preset: 'canonical' | 'stripe_invoice_line_items' | 'stripe_subscriptions' | 'stripe_customers';
  builder: BuilderName;
  /** Column index per field; several indices = fall back row by row to the next non-empty column. */
  columns: Partial<Record<Field, number | number[]>>;
  /** Stripe exports write `YYYY-MM-DD HH:MM:SS` (UTC) timestamps. */
  stripeDates: boolean;
}

const INVOICE_REQUIRED = ['invoice_id', 'customer_id', 'amount', 'currency', 'period_start', 'period_end', 'status'] as const;
const INVOICE_OPTIONAL = ['line_id', 'subscription_id', 'plan', 'quantity', 'issued_at', 'customer_name', 'owner_email'] as const;
const CANCEL_REQUIRED = ['customer_id', 'subscription_id', 'effective_at'] as const;
const CANCEL_OPTIONAL = ['canceled_at', 'reason', 'feedback'] as const;
const CUSTOMER_OPTIONAL = ['name', 'owner_email', 'plan', 'segment', 'created_at'] as const;
/** Columns that only invoice_line or cancellation files have: a file with any of them is not a customer file. */
const NOT_CUSTOMER = ['invoice_id', 'amount', 'currency', 'period_start', 'period_end', 'status', 'effective_at'];

/**
 * Stripe Dashboard exports (docs/metrics.md §1.2). Each canonical field lists the Stripe column names it may come
 * from, first match wins (header names compared trimmed and lower-cased). `<key> (metadata)` columns are
 * how the Dashboard exports metadata, which is where teams usually keep the account owner.
 */
const OWNER_METADATA = ['owner_email (metadata)', 'owner (metadata)', 'csm_email (metadata)', 'csm (metadata)'];
const STRIPE_LINE_ITEMS: Partial<Record<Field, string[]>> = {
  invoice_id: ['invoice id', 'invoice'],
  line_id: ['invoice line item id', 'line item id', 'id'],
  customer_id: ['customer id', 'customer'],
  customer_name: ['customer name'],
  amount: ['amount'],
  currency: ['currency'],
  period_start: ['period start (utc)', 'period start'],
  period_end: ['period end (utc)', 'period end'],
  status: ['invoice status', 'status'],
  subscription_id: ['subscription id', 'subscription'],
  plan: ['plan', 'product name', 'product', 'price id', 'plan id'],
  quantity: ['quantity'],
  issued_at: ['invoice date (utc)', 'date (utc)', 'invoice created (utc)', 'created (utc)'],
  owner_email: OWNER_METADATA,
};
const STRIPE_SUBSCRIPTIONS: Partial<Record<Field, string[]>> = {
  subscription_id: ['id', 'subscription id'],
  customer_id: ['customer id', 'customer'],
  customer_name: ['customer name'],
  status: ['status'],
  ended_at: ['ended at (utc)'],
  canceled_at: ['canceled at (utc)'],
  current_period_start: ['current period start (utc)'],
  // The customer's own words (too_expensive, missing_features, …) say more to a CSM than Stripe's
  // mechanism (cancellation_requested, payment_failed), which is the fallback.
  reason: ['cancellation feedback', 'cancellation reason'],
  feedback: ['cancellation comment'],
  owner_email: OWNER_METADATA,
};
const STRIPE_CUSTOMERS: Partial<Record<Field, string[]>> = {
  customer_id: ['id'],
  name: ['name', 'description'],
  created_at: ['created (utc)'],
  plan: ['plan', 'plan (metadata)'],
  segment: ['segment (metadata)'],
  owner_email: OWNER_METADATA,
};

/** Columns only a Stripe payments (charges) export has: customer and amount, but no service period. */
const STRIPE_PAYMENT_COLUMNS = ['amount refunded', 'captured', 'seller message', 'card id', 'paymentintent id', 'payment intent id'];

function indexOf(names: string[]): Map<string, number> {
  const index = new Map<string, number>();
  // First occurrence wins when a header repeats a column name.
  names.forEach((n, i) => {
    if (!index.has(n)) index.set(n, i);
  });
  return index;
}

function pick(index: Map<string, number>, fields: readonly string[]): Partial<Record<Field, number>> {
  const columns: Partial<Record<Field, number>> = {};
  for (const f of fields) {
    const i = index.get(f);
    if (i !== undefined) columns[f as Field] = i;
  }
  return columns;
}

function pickStripe(index: Map<string, number>, map: Partial<Record<Field, string[]>>): Partial<Record<Field, number | number[]>> {
  const columns: Partial<Record<Field, number | number[]>> = {};
  for (const [field, candidates] of Object.entries(map) as [Field, string[]][]) {
    const present = candidates.filter((c) => index.has(c)).map((c) => index.get(c)!);
    if (present.length > 0) columns[field] = present.length === 1 ? present[0]! : present;
  }
  return columns;
}

const hasAny = (index: Map<string, number>, names: readonly string[]): boolean => names.some((n) => index.has(n));

/** Recognises a CSV header (canonical kinds first, then Stripe presets); throws UnreadableFileError otherwise. */
export function detectCsvLayout(header: string[]): CsvLayout {
  const names = header.map((h) => h.trim().toLowerCase());
  const index = indexOf(names);
  const canonical = (builder: BuilderName, fields: readonly string[]): CsvLayout => ({
    preset: 'canonical',
    builder,
    columns: pick(index, fields),
    stripeDates: false,
  });

  if (INVOICE_REQUIRED.every((f) => index.has(f))) return canonical('invoice_line', [...INVOICE_REQUIRED, ...INVOICE_OPTIONAL]);
  if (CANCEL_REQUIRED.every((f) => index.has(f)) && !hasAny(index, ['invoice_id', 'amount'])) {
    return canonical('cancellation', [...CANCEL_REQUIRED, ...CANCEL_OPTIONAL]);
  }
  if (index.has('customer_id') && !hasAny(index, NOT_CUSTOMER)) return canonical('customer', ['customer_id', ...CUSTOMER_OPTIONAL]);

  const stripe = (preset: CsvLayout['preset'], builder: BuilderName, map: Partial<Record<Field, string[]>>): CsvLayout => ({
    preset,
    builder,
    columns: pickStripe(index, map),
    stripeDates: true,
  });
  const customerCol = hasAny(index, ['customer id', 'customer']);
  if (customerCol && hasAny(index, STRIPE_PAYMENT_COLUMNS) && !hasAny(index, ['period start (utc)', 'period start'])) {
    throw new UnreadableFileError(
      'Looks like a Stripe payments export (one row per charge: no invoice lines, no service periods), which cannot give MRR. ' +
        'Send the invoice line items export instead (Stripe Dashboard: Invoices, Export, invoice line items, with Period Start ' +
        'and Period End), and the subscriptions export for cancellations.',
      1,
    );
  }
  if (hasAny(index, ['invoice id', 'invoice']) && index.has('amount') && index.has('currency') && customerCol) {
    const layout = stripe('stripe_invoice_line_items', 'invoice_line', STRIPE_LINE_ITEMS);
    const missing = (['period_start', 'period_end', 'status'] as const).filter((f) => layout.columns[f] === undefined);
    if (missing.length === 0) return layout;
    throw new UnreadableFileError(
      `Looks like a Stripe invoice line items export but lacks ${missing.map((f) => STRIPE_LINE_ITEMS[f]![0]).join(', ')}`,
      1,
    );
  }
  if (index.has('id') && customerCol && index.has('status') && hasAny(index, ['canceled at (utc)', 'ended at (utc)'])) {
    return stripe('stripe_subscriptions', 'stripe_subscription', STRIPE_SUBSCRIPTIONS);
  }
  if (index.has('id') && index.has('created (utc)') && hasAny(index, ['email', 'name', 'description']) && !customerCol) {
    return stripe('stripe_customers', 'customer', STRIPE_CUSTOMERS);
  }

  const shown = header
    .slice(0, 12)
    .map((h) => JSON.stringify(h.length > 40 ? `${h.slice(0, 40)}…` : h))
    .join(', ');
  const missingInvoice = INVOICE_REQUIRED.filter((f) => !index.has(f));
  // Stripe names its key `id` and the customer `Customer ID`: such a header is a Stripe export short of
  // columns, not a canonical file short of `customer_id`.
  const stripeKeyed = index.has('id') || customerCol;
  const hint = stripeKeyed
    ? ' It looks like a Stripe export: a customers export needs Created (UTC) and Name, Email or Description beside id; ' +
      'a subscriptions export needs id, Customer ID, Status and Canceled At (UTC) or Ended At (UTC); an invoice line items ' +
      'export needs Invoice ID, Customer ID, Amount, Currency, Period Start (UTC), Period End (UTC) and Invoice Status.'
    : hasAny(index, ['invoice_id', 'amount', 'period_start'])
      ? ` It looks like an invoice_line file missing: ${missingInvoice.join(', ')}.`
      : index.has('effective_at')
        ? ` It looks like a cancellation file missing: ${CANCEL_REQUIRED.filter((f) => !index.has(f)).join(', ')}.`
        : '';
  throw new UnreadableFileError(
    `Unrecognised CSV header (${shown}${header.length > 12 ? ', …' : ''}).${hint} Expected the canonical invoice_line ` +
      `(${INVOICE_REQUIRED.join(', ')}), cancellation (${CANCEL_REQUIRED.join(', ')}) or customer (customer_id, …) ` +
      'columns, or a Stripe invoice line items, subscriptions or customers export.',
    1,
  );
}
