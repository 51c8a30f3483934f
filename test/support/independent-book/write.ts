import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { CORE_FEATURES, FX_RATES, RETENTION_FEATURES } from './catalog';
import type { IndependentBook } from './types';

export const INVOICE_HEADER = [
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
  'issued_at',
] as const;
export const CANCELLATION_HEADER = ['customer_id', 'subscription_id', 'effective_at', 'canceled_at', 'reason'] as const;
export const CUSTOMER_HEADER = ['customer_id', 'name', 'owner_email', 'plan', 'segment', 'created_at'] as const;

/** Where each file lands. Billing and events are in separate folders: each is one `--billing`/`--events` PATH. */
export interface BookFiles {
  billingDir: string;
  eventsDir: string;
  invoices: string;
  cancellations: string;
  customers: string;
  events: string;
  truth: string;
  config: string;
}

export function bookFiles(dir: string): BookFiles {
  const billingDir = join(dir, 'billing');
  const eventsDir = join(dir, 'events');
  return {
    billingDir,
    eventsDir,
    invoices: join(billingDir, 'invoices.csv'),
    cancellations: join(billingDir, 'cancellations.csv'),
    customers: join(billingDir, 'customers.csv'),
    events: join(eventsDir, 'events.jsonl'),
    truth: join(dir, 'truth.json'),
    config: join(dir, 'config.json'),
  };
}

/** The Churnwatch config this book needs: EUR lines are only valid with an FX rate (docs/metrics.md §1.3). */
export const bookConfig = () => ({
  reportingCurrency: 'USD',
  fxRates: { ...FX_RATES },
  coreFeatures: [...CORE_FEATURES],
  retentionFeatures: [...RETENTION_FEATURES],
});

export async function writeIndependentBook(book: IndependentBook, dir: string): Promise<BookFiles> {
  const files = bookFiles(dir);
  await mkdir(files.billingDir, { recursive: true });
  await mkdir(files.eventsDir, { recursive: true });
  await writeCsv(files.invoices, INVOICE_HEADER, book.invoiceLines);
  await writeCsv(files.cancellations, CANCELLATION_HEADER, book.cancellations);
  await writeCsv(files.customers, CUSTOMER_HEADER, book.customers);
  await writeLines(
    files.events,
    mapIterable(book.usage.events(), (e) => JSON.stringify(e)),
  );
  await writeFile(files.truth, `${JSON.stringify(book.truth, null, 1)}\n`);
  await writeFile(files.config, `${JSON.stringify(bookConfig(), null, 2)}\n`);
  return files;
}

/** RFC 4180: quote a field holding a comma, quote, CR or LF, doubling inner quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function writeCsv<K extends string>(path: string, header: readonly K[], rows: readonly Record<K, string | number>[]): Promise<void> {
  const lines = mapIterable(rows, (row) => header.map((h) => csvField(String(row[h]))).join(','));
  await writeLines(path, [header.join(',')], lines);
}

function* mapIterable<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

/** Writes lines in ~1 MB chunks, honouring backpressure, so a million events never sit in one string. */
async function writeLines(path: string, ...sources: Iterable<string>[]): Promise<void> {
  const out = createWriteStream(path);
  let chunk: string[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const text = `${chunk.join('\n')}\n`;
    chunk = [];
    size = 0;
    if (!out.write(text)) await once(out, 'drain');
  };
  for (const source of sources) {
    for (const line of source) {
      chunk.push(line);
      size += line.length;
      if (size > 1 << 20) await flush();
    }
  }
  await flush();
  out.end();
  await once(out, 'finish');
}
