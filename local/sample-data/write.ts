/** Writes a generated sample as the files a company would drop into S3 / post to the API. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SampleEvent, SampleSaas } from './types';

export interface WrittenFiles {
  /** customers.csv, invoices-YYYY.csv (oldest first), cancellations.jsonl. */
  billingFiles: string[];
  /** usage-YYYY-MM.jsonl, oldest first. */
  eventFiles: string[];
}

export const CUSTOMER_COLUMNS = ['customer_id', 'name', 'owner_email', 'plan', 'segment', 'created_at'] as const;
export const INVOICE_COLUMNS = [
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
] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; quotes doubled. */
export function csvField(value: string | number | undefined): string {
  const s = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(columns: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  return [columns, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

const jsonl = (records: readonly object[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function customersCsv(sample: SampleSaas): string {
  return csv(
    CUSTOMER_COLUMNS,
    sample.customers.map((c) => [c.customerId, c.name, c.ownerEmail, c.plan, c.segment, c.createdAt]),
  );
}

export function invoicesCsvByYear(sample: SampleSaas): Map<string, string> {
  const out = new Map<string, string>();
  for (const [year, lines] of groupBy(sample.invoiceLines, (l) => l.issuedAt.slice(0, 4))) {
    out.set(
      year,
      csv(
        INVOICE_COLUMNS,
        lines.map((l) => [
          l.invoiceId,
          l.lineId,
          l.customerId,
          l.subscriptionId,
          l.plan,
          l.amount,
          l.currency,
          l.periodStart,
          l.periodEnd,
          l.status,
          l.quantity,
          l.issuedAt,
        ]),
      ),
    );
  }
  return out;
}

export function cancellationsJsonl(sample: SampleSaas): string {
  return jsonl(
    sample.cancellations.map((c) => ({
      type: 'cancellation',
      customer_id: c.customerId,
      subscription_id: c.subscriptionId,
      effective_at: c.effectiveAt,
      canceled_at: c.canceledAt,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.feedback ? { feedback: c.feedback } : {}),
    })),
  );
}

export function eventsJsonlByMonth(sample: SampleSaas): Map<string, string> {
  const out = new Map<string, string>();
  for (const [month, events] of groupBy<SampleEvent>(sample.events, (e) => e.timestamp.slice(0, 7))) {
    out.set(month, jsonl(events));
  }
  return out;
}

/** Writes `billing/` and `events/` under `dir` (created if missing); returns the absolute-or-relative paths as joined. */
export async function writeSampleSaas(sample: SampleSaas, dir: string): Promise<WrittenFiles> {
  const billingDir = join(dir, 'billing');
  const eventsDir = join(dir, 'events');
  await Promise.all([mkdir(billingDir, { recursive: true }), mkdir(eventsDir, { recursive: true })]);
  const files: [string, string][] = [[join(billingDir, 'customers.csv'), customersCsv(sample)]];
  for (const [year, text] of invoicesCsvByYear(sample)) files.push([join(billingDir, `invoices-${year}.csv`), text]);
  files.push([join(billingDir, 'cancellations.jsonl'), cancellationsJsonl(sample)]);
  const billingCount = files.length;
  for (const [month, text] of eventsJsonlByMonth(sample)) files.push([join(eventsDir, `usage-${month}.jsonl`), text]);
  await Promise.all(files.map(([path, text]) => writeFile(path, text, 'utf8')));
  const paths = files.map(([path]) => path);
  return { billingFiles: paths.slice(0, billingCount), eventFiles: paths.slice(billingCount) };
}
