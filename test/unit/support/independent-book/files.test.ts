import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBillingExport } from '../../../../lambdas/formats';
import { validateUsageEvent } from '../../../../lambdas/formats/usage-event';
import {
  CANCELLATION_HEADER,
  CUSTOMER_HEADER,
  INVOICE_HEADER,
  generateIndependentBook,
  writeIndependentBook,
  type BookFiles,
  type IndependentBook,
} from '../../../support/independent-book';
import { dayNumber, isRealDay } from './helpers';

const STATUSES = new Set(['paid', 'open', 'failed', 'void', 'refunded', 'uncollectible']);
const DECIMAL = /^-?\d+(\.\d+)?$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

let dir: string;
let files: BookFiles;
let book: IndependentBook;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'independent-book-'));
  book = generateIndependentBook({ seed: 7, customers: 150, months: 24 });
  files = await writeIndependentBook(book, dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function csv(path: string): Promise<{ header: string[]; rows: Record<string, string>[] }> {
  const text = await readFile(path, 'utf8');
  const header = (parse(text, { to_line: 1 }) as string[][])[0]!;
  return { header, rows: parse(text, { columns: true }) as Record<string, string>[] };
}

describe('independent book: billing files (docs/metrics.md §1.1)', () => {
  it('writes the canonical headers', async () => {
    expect((await csv(files.invoices)).header).toEqual([...INVOICE_HEADER]);
    expect((await csv(files.cancellations)).header).toEqual([...CANCELLATION_HEADER]);
    expect((await csv(files.customers)).header).toEqual([...CUSTOMER_HEADER]);
  });

  it('writes every invoice line valid: ids, decimal amounts, known currencies, real end-exclusive periods, statuses', async () => {
    const { rows } = await csv(files.invoices);
    expect(rows).toHaveLength(book.invoiceLines.length);
    const asOf = book.truth.asOf;
    const identities = new Set<string>();
    const problems: string[] = [];
    for (const r of rows) {
      const identity = `${r.invoice_id}/${r.line_id}`;
      const fail = (what: string): void => void (problems.length < 10 && problems.push(`${identity}: ${what}`));
      if (!(r.invoice_id && r.line_id && r.customer_id && r.subscription_id && r.plan)) fail('an id or the plan is empty');
      if (identities.has(identity)) fail('duplicate (invoice_id, line_id)');
      identities.add(identity);
      if (!DECIMAL.test(r.amount!)) fail(`amount ${r.amount}`);
      if (r.currency !== 'USD' && r.currency !== 'EUR') fail(`currency ${r.currency}`);
      if (!STATUSES.has(r.status!)) fail(`status ${r.status}`);
      if (!(isRealDay(r.period_start!) && isRealDay(r.period_end!) && isRealDay(r.issued_at!))) fail('a date is not a real YYYY-MM-DD day');
      if (!(r.issued_at! <= asOf && r.period_start! <= asOf)) fail('issued after asOf');
      const days = dayNumber(r.period_end!) - dayNumber(r.period_start!);
      if (days < 0) fail('period_end before period_start');
      if (days <= 0) continue; // one-time charge
      const k = Math.round(days / 30.4375);
      const wholeMonths = k >= 1 && Math.abs(days - 30.4375 * k) <= 3;
      // Partial lines are mid-cycle upgrade prorations only, so positive; whole ones are 1, 3 or 12 months.
      if (!wholeMonths && !(Number(r.amount) > 0)) fail('a partial line that is not a positive proration');
      if (wholeMonths && ![1, 3, 12].includes(k)) fail(`a ${k}-month period`);
    }
    expect(problems).toEqual([]);
  });

  it('writes cancellations that name a billed subscription, with canceled_at on or before effective_at', async () => {
    const { rows } = await csv(files.cancellations);
    const subscriptions = new Set(book.invoiceLines.map((l) => `${l.customer_id}/${l.subscription_id}`));
    for (const r of rows) {
      expect(subscriptions.has(`${r.customer_id}/${r.subscription_id}`)).toBe(true);
      expect(isRealDay(r.effective_at!) && isRealDay(r.canceled_at!)).toBe(true);
      expect(r.canceled_at! <= r.effective_at!).toBe(true);
      expect(r.canceled_at! <= book.truth.asOf).toBe(true);
    }
  });

  it('writes one customer row per customer, quoting names with commas and quotes', async () => {
    const { rows } = await csv(files.customers);
    expect(new Set(rows.map((r) => r.customer_id)).size).toBe(150);
    const billed = new Set(book.invoiceLines.map((l) => l.customer_id));
    for (const r of rows) {
      expect(billed.has(r.customer_id!)).toBe(true);
      expect(isRealDay(r.created_at!)).toBe(true);
      expect(['smb', 'mid_market', 'enterprise']).toContain(r.segment);
      if (r.owner_email) expect(r.owner_email).toMatch(/^[a-z.]+@vendor\.example$/);
    }
    expect(rows.some((r) => r.name!.includes(','))).toBe(true);
    expect(rows.some((r) => r.name!.includes('"'))).toBe(true);
  });

  it("passes the project's own billing reader without a quarantined row", async () => {
    const config = JSON.parse(await readFile(files.config, 'utf8')) as { reportingCurrency: string; fxRates: Record<string, number> };
    expect(config.fxRates).toEqual({ EUR: 1.08 });
    for (const path of [files.invoices, files.cancellations, files.customers]) {
      let rows = 0;
      for await (const row of readBillingExport(createReadStream(path), `exports/${path.split('/').pop()}`, config)) {
        expect(row.ok, row.ok ? '' : `${path}:${row.line} ${row.reason}`).toBe(true);
        rows++;
      }
      expect(rows).toBeGreaterThan(0);
    }
  });
});

describe('independent book: usage events (docs/metrics.md §2)', () => {
  it('writes one valid JSON event per line, in time order, one per (user, feature, day), ids unique per customer', async () => {
    const text = await readFile(files.events, 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines.length).toBe(book.usage.size);
    const now = new Date(`${book.truth.asOf}T23:59:59Z`);
    const ids = new Set<string>();
    const sessions = new Set<string>();
    const customers = new Set(book.customers.map((c) => c.customer_id));
    let previous = '';
    // Plain checks collected, one expect at the end: expect() per field of 100k+ events costs seconds.
    const problems: string[] = [];
    const check = (ok: boolean, what: string, i: number): void => {
      if (!ok && problems.length < 10) problems.push(`line ${i + 1}: ${what}: ${lines[i]}`);
    };
    lines.forEach((line, i) => {
      const e = JSON.parse(line) as Record<string, unknown>;
      check(Object.keys(e).join() === 'eventId,customerId,feature,timestamp,userId,count', 'keys', i);
      const { eventId, customerId, feature, timestamp, userId, count } = e as {
        eventId: string;
        customerId: string;
        feature: string;
        timestamp: string;
        userId: string;
        count: number;
      };
      check(customers.has(customerId), 'unknown customer', i);
      check(typeof feature === 'string' && feature.length > 0, 'feature', i);
      check(ISO_UTC.test(timestamp), 'timestamp format', i);
      check(timestamp >= previous, 'time order', i);
      previous = timestamp;
      check(timestamp.slice(0, 10) >= book.truth.historyStart && timestamp.slice(0, 10) <= book.truth.asOf, 'inside the history', i);
      check(Number.isInteger(count) && count >= 1, 'count', i);
      const id = `${customerId}/${eventId}`;
      check(!ids.has(id), 'duplicate eventId', i);
      ids.add(id);
      const session = `${userId}/${feature}/${timestamp.slice(0, 10)}`;
      check(!sessions.has(session), 'second event for the same (user, feature, day)', i);
      sessions.add(session);
      check(userId.startsWith(`${customerId}-`), 'userId', i);
      // The project's validator too, on a sample (it is zod per event).
      if (i % 50 === 0) check(validateUsageEvent(e, now).ok, 'rejected by validateUsageEvent', i);
    });
    expect(problems).toEqual([]);
  });
});

describe('independent book: truth and config files', () => {
  it('writes truth.json as generated and a config with the FX rate the EUR lines need', async () => {
    const truth = JSON.parse(await readFile(files.truth, 'utf8'));
    expect(truth).toEqual(JSON.parse(JSON.stringify(book.truth)));
    const config = JSON.parse(await readFile(files.config, 'utf8'));
    expect(config).toMatchObject({ reportingCurrency: 'USD', fxRates: { EUR: 1.08 } });
    expect(config.coreFeatures.length).toBeGreaterThan(0);
    expect(book.invoiceLines.some((l) => l.currency === 'EUR')).toBe(true);
  });
});
