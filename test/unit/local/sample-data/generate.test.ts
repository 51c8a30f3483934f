import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINE_STATUSES } from '../../../../lambdas/domain/types';
import { fxRateFor } from '../../../../lambdas/domain/fx';
import { parseConfig } from '../../../../lambdas/shared/config';
import { HOSTILE_NAME, OWNERS, SPECIAL_NAMES } from '../../../../local/sample-data/catalog';
import { generateSampleSaas, sampleConfig, writeSampleSaas, type SampleSaas } from '../../../../local/sample-data/generate';

const AS_OF = '2026-03-15';
const DAY_MS = 86_400_000;
const dayNo = (day: string) => {
  expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  const ms = Date.parse(`${day}T00:00:00Z`);
  expect(new Date(ms).toISOString().slice(0, 10)).toBe(day);
  return ms / DAY_MS;
};

async function hashDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const sub of ['billing', 'events']) {
    for (const name of (await readdir(join(dir, sub))).sort()) {
      out[`${sub}/${name}`] = createHash('sha256')
        .update(await readFile(join(dir, sub, name)))
        .digest('hex');
    }
  }
  return out;
}

/** Active days and features per customer, computed from the written event files. */
interface Usage {
  days: Set<number>;
  featuresByDay: Map<number, Set<string>>;
}

function usageByCustomer(events: { customerId: string; feature: string; timestamp: string }[]): Map<string, Usage> {
  const out = new Map<string, Usage>();
  for (const e of events) {
    const day = Math.floor(Date.parse(e.timestamp) / DAY_MS);
    let u = out.get(e.customerId);
    if (!u) out.set(e.customerId, (u = { days: new Set(), featuresByDay: new Map() }));
    u.days.add(day);
    const f = u.featuresByDay.get(day) ?? new Set<string>();
    f.add(e.feature);
    u.featuresByDay.set(day, f);
  }
  return out;
}

const asOfNo = Date.parse(`${AS_OF}T00:00:00Z`) / DAY_MS;
const inRange = (days: Iterable<number>, from: number, to: number) => [...days].filter((d) => d >= from && d <= to);
const featuresIn = (u: Usage | undefined, from: number, to: number) =>
  new Set(u ? inRange(u.featuresByDay.keys(), from, to).flatMap((d) => [...u.featuresByDay.get(d)!]) : []);
/** Active days per 28 over the last 84 days: a customer's usual frequency. */
const activeDaysPer28 = (u?: Usage) => (u ? inRange(u.days, asOfNo - 83, asOfNo).length / 3 : 0);

describe('generateSampleSaas + writeSampleSaas (default size)', () => {
  let dir: string;
  let sample: SampleSaas;
  let files: { billingFiles: string[]; eventFiles: string[] };
  let customers: Record<string, string>[];
  let lines: Record<string, string>[];
  let cancellations: Record<string, unknown>[];
  let events: { eventId: string; customerId: string; feature: string; timestamp: string; userId?: string; count?: number }[];
  let usage: Map<string, Usage>;
  const idsOf = (persona: string) => sample.customers.filter((c) => c.archetype === persona).map((c) => c.customerId);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sample-saas-'));
    sample = generateSampleSaas({ asOf: AS_OF });
    files = await writeSampleSaas(sample, dir);
    const read = (p: string) => readFile(p, 'utf8');
    customers = parse(await read(join(dir, 'billing/customers.csv')), { columns: true });
    lines = [];
    for (const f of files.billingFiles.filter((f) => basename(f).startsWith('invoices-'))) {
      lines.push(...(parse(await read(f), { columns: true }) as Record<string, string>[]));
    }
    cancellations = (await read(join(dir, 'billing/cancellations.jsonl')))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    events = [];
    for (const f of files.eventFiles) {
      events.push(
        ...(await read(f))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
    }
    usage = usageByCustomer(events);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes the expected file layout', () => {
    const names = files.billingFiles.map((f) => basename(f));
    expect(names[0]).toBe('customers.csv');
    expect(names.at(-1)).toBe('cancellations.jsonl');
    expect(names.filter((n) => /^invoices-\d{4}\.csv$/.test(n)).length).toBeGreaterThanOrEqual(2);
    expect(files.eventFiles.map((f) => basename(f)).every((n) => /^usage-\d{4}-\d{2}\.jsonl$/.test(n))).toBe(true);
    // Files hold what the in-memory sample holds.
    expect(customers).toHaveLength(300);
    expect(lines).toHaveLength(sample.invoiceLines.length);
    expect(events).toHaveLength(sample.events.length);
    expect(cancellations).toHaveLength(sample.cancellations.length);
  });

  it('uses the canonical CSV headers', async () => {
    const first = (p: string) => readFile(p, 'utf8').then((t) => t.split('\n')[0]);
    expect(await first(join(dir, 'billing/customers.csv'))).toBe('customer_id,name,owner_email,plan,segment,created_at');
    for (const f of files.billingFiles.filter((f) => basename(f).startsWith('invoices-'))) {
      expect(await first(f)).toBe(
        'invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status,quantity,issued_at',
      );
    }
  });

  it('writes invoice lines with valid shapes', () => {
    const config = parseConfig(sampleConfig);
    const ids = new Set<string>();
    const known = new Set(customers.map((c) => c.customer_id));
    for (const l of lines) {
      expect(known.has(l.customer_id!)).toBe(true);
      expect(LINE_STATUSES).toContain(l.status);
      expect(l.amount).toMatch(/^-?\d+\.\d{2}$/);
      expect(fxRateFor(config, l.currency!)).toBeGreaterThan(0);
      expect(dayNo(l.issued_at!)).toBeLessThanOrEqual(asOfNo);
      if (l.period_start === '') {
        expect(l.period_end).toBe('');
      } else {
        expect(dayNo(l.period_end!)).toBeGreaterThan(dayNo(l.period_start!));
      }
      const key = `${l.invoice_id}/${l.line_id}`;
      expect(ids.has(key)).toBe(false);
      ids.add(key);
    }
    // The invoice file's year is the issue year.
    for (const f of files.billingFiles.filter((f) => basename(f).startsWith('invoices-'))) {
      const year = basename(f).slice(9, 13);
      expect(sample.invoiceLines.some((l) => l.issuedAt.startsWith(year))).toBe(true);
    }
  });

  it('anchors recurring periods on the signup day so each covers whole months (docs/metrics.md §3.1)', () => {
    const recurring = lines.filter((l) => l.period_start && !l.amount!.startsWith('-') && !isProrationCharge(l));
    let monthEndStyle = 0;
    for (const l of recurring) {
      const days = dayNo(l.period_end!) - dayNo(l.period_start!);
      const k = Math.round(days / 30.4375);
      expect(k === 1 || k === 3 || k === 12, `${l.invoice_id} ${l.period_start}→${l.period_end}`).toBe(true);
      expect(Math.abs(days - 30.4375 * k)).toBeLessThanOrEqual(3);
      if (l.period_start!.slice(8) !== l.period_end!.slice(8)) monthEndStyle++;
    }
    // Month-end anchors clamp (Jan 31 → Feb 28 → Mar 31): such periods must appear.
    expect(monthEndStyle).toBeGreaterThan(0);
    expect(recurring.some((l) => Math.round((dayNo(l.period_end!) - dayNo(l.period_start!)) / 30.4375) === 12)).toBe(true);
    expect(recurring.some((l) => Math.round((dayNo(l.period_end!) - dayNo(l.period_start!)) / 30.4375) === 3)).toBe(true);

    function isProrationCharge(l: Record<string, string>) {
      // A proration charge shares its invoice with a credit line.
      return lines.some((o) => o.invoice_id === l.invoice_id && o.amount!.startsWith('-'));
    }
  });

  it('bills plan changes with a credit for the old plan and a partial charge for the new one', () => {
    const credits = lines.filter((l) => l.amount!.startsWith('-'));
    expect(credits.length).toBeGreaterThanOrEqual(10);
    for (const credit of credits) {
      const charge = lines.find((l) => l.invoice_id === credit.invoice_id && l.line_id !== credit.line_id)!;
      expect(charge).toBeDefined();
      expect(charge.plan).not.toBe(credit.plan);
      expect([charge.period_start, charge.period_end]).toEqual([credit.period_start, credit.period_end]);
      expect(Number(charge.amount)).toBeGreaterThan(0);
    }
    const plans = ['starter', 'growth', 'business', 'enterprise'];
    const upgrades = credits.filter((c) => {
      const charge = lines.find((l) => l.invoice_id === c.invoice_id && l.line_id !== c.line_id)!;
      return plans.indexOf(charge.plan!) > plans.indexOf(c.plan!);
    });
    expect(upgrades.length).toBeGreaterThan(0);
    expect(upgrades.length).toBeLessThan(credits.length);
  });

  it('has setup fees, every status, recent failures and several currencies', () => {
    expect(lines.filter((l) => l.period_start === '').length).toBeGreaterThan(5);
    for (const status of ['paid', 'open', 'failed', 'void', 'refunded']) {
      expect(
        lines.some((l) => l.status === status),
        status,
      ).toBe(true);
    }
    const recentFailed = lines.filter((l) => l.status === 'failed' && dayNo(l.issued_at!) >= asOfNo - 29);
    expect(recentFailed.length).toBeGreaterThanOrEqual(1);
    const currencies = new Map<string, number>();
    for (const c of sample.customers) currencies.set(c.currency, (currencies.get(c.currency) ?? 0) + 1);
    expect(currencies.get('USD')!).toBeGreaterThan(currencies.get('EUR')!);
    expect(currencies.get('EUR')!).toBeGreaterThan(10);
    expect(currencies.get('GBP')!).toBeGreaterThan(5);
    expect(new Set(lines.map((l) => l.currency))).toEqual(new Set(['USD', 'EUR', 'GBP']));
    expect(new Set(lines.map((l) => l.plan))).toEqual(new Set(['starter', 'growth', 'business', 'enterprise']));
  });

  it('writes cancellations as typed JSONL with realistic reasons, and stops billing at effective_at', () => {
    const reasons = new Set([
      'too_expensive',
      'missing_features',
      'switched_to_competitor',
      'low_usage',
      'company_closed',
      'payment_failed',
    ]);
    for (const c of cancellations) {
      expect(c.type).toBe('cancellation');
      // Filed by asOf; notice given may take effect after it (the save list).
      expect(dayNo(c.canceled_at as string)).toBeLessThanOrEqual(asOfNo);
      expect(dayNo(c.canceled_at as string)).toBeLessThanOrEqual(dayNo(c.effective_at as string));
      if (c.reason !== undefined) expect(reasons.has(c.reason as string)).toBe(true);
      const after = lines.filter(
        (l) => l.subscription_id === c.subscription_id && l.period_start && l.period_start >= (c.effective_at as string),
      );
      expect(after).toEqual([]);
    }
    expect(cancellations.some((c) => c.reason === undefined)).toBe(true);
    expect(cancellations.some((c) => c.reason === 'payment_failed')).toBe(true);
    expect(cancellations.some((c) => typeof c.feedback === 'string')).toBe(true);
    expect(new Set(cancellations.map((c) => c.reason).filter(Boolean)).size).toBeGreaterThanOrEqual(5);
    // Some churn falls in the last 40 days so the current period has churned MRR to show.
    expect(cancellations.some((c) => dayNo(c.effective_at as string) > asOfNo - 40)).toBe(true);
    expect(cancellations.filter((c) => c.canceled_at !== c.effective_at).length).toBeGreaterThan(cancellations.length / 5);
  });

  it('includes reactivations: a churned customer returning later on a new subscription', () => {
    const returns = cancellations.filter((c) =>
      lines.some(
        (l) =>
          l.customer_id === c.customer_id &&
          l.subscription_id !== c.subscription_id &&
          l.period_start &&
          dayNo(l.period_start) > dayNo(c.effective_at as string),
      ),
    );
    expect(returns.length).toBeGreaterThanOrEqual(2);
  });

  it('gives each persona its usage habit', () => {
    const median = (ids: string[]) => {
      const xs = ids.map((id) => activeDaysPer28(usage.get(id))).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!;
    };
    // Customers paying today who signed up more than 90 days ago.
    const settled = new Set(sample.customers.filter((c) => dayNo(c.createdAt) < asOfNo - 90).map((c) => c.customerId));
    const live = (ids: string[]) =>
      ids.filter((id) => settled.has(id) && sample.subscriptions.some((s) => s.customerId === id && s.end === undefined));
    expect(median(live(idsOf('steady')))).toBeGreaterThanOrEqual(14);
    expect(median(live(idsOf('weekly')))).toBeGreaterThanOrEqual(3);
    expect(median(live(idsOf('weekly')))).toBeLessThan(8);
    expect(median(live(idsOf('settled_low')))).toBeLessThan(median(live(idsOf('steady'))) / 2);
    // API-first customers barely open the dashboard.
    const dashboardShare = (ids: string[]) => {
      const evs = events.filter((e) => ids.includes(e.customerId));
      return evs.filter((e) => e.feature === 'dashboard').length / evs.length;
    };
    expect(dashboardShare(idsOf('api_first'))).toBeLessThan(dashboardShare(idsOf('steady')) / 2);
    // Customers who never activate touch only the setup features, if anything.
    const core = new Set(sampleConfig.coreFeatures);
    for (const id of idsOf('never_activated')) {
      expect(
        [...featuresIn(usage.get(id), -Infinity, Infinity)].filter((f) => core.has(f)),
        id,
      ).toEqual([]);
    }
  });

  it('emits events only while the customer has a live subscription, or a few days after it ended', () => {
    const liveOrJustEnded = (id: string, day: number) =>
      sample.subscriptions.some((s) => s.customerId === id && s.start <= day && (s.end === undefined || day < s.end + 10));
    const outside = [...usage].flatMap(([id, u]) => [...u.days].filter((d) => !liveOrJustEnded(id, d)).map((d) => `${id} ${d}`));
    expect(outside.slice(0, 5)).toEqual([]);
    const afterEnd = [...usage].filter(([id, u]) =>
      [...u.days].some((d) => !sample.subscriptions.some((s) => s.customerId === id && s.start <= d && (s.end === undefined || d < s.end))),
    );
    expect(afterEnd.length).toBeLessThan(usage.size * 0.05);
  });

  it('writes valid, unique usage events over the whole history, one per user, feature and day', () => {
    // The demo posts these through the local API: the budget is what it ingests in under a minute.
    expect(events.length).toBeGreaterThan(60_000);
    expect(events.length).toBeLessThanOrEqual(120_000);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    const perUserFeatureDay = new Set(events.map((e) => `${e.customerId} ${e.userId ?? '-'} ${e.feature} ${e.timestamp.slice(0, 10)}`));
    expect(perUserFeatureDay.size).toBeGreaterThan(events.length * 0.9);
    const known = new Set(customers.map((c) => c.customer_id));
    const features = new Set(['dashboard', 'reports', 'export', 'api', 'alerts', 'integrations', 'sso']);
    const usageStart = dayNo(sample.usageStart);
    expect(sample.usageStart).toBe(sample.historyStart);
    // Collect offenders instead of asserting per event: 100k expect() calls would dominate the run.
    const bad = events.filter((e) => {
      const day = Math.floor(Date.parse(e.timestamp) / DAY_MS);
      return (
        !known.has(e.customerId) ||
        !features.has(e.feature) ||
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(e.timestamp) ||
        !(day >= usageStart && day <= asOfNo) ||
        !(Number.isInteger(e.count) && e.count! > 0)
      );
    });
    expect(bad.slice(0, 5)).toEqual([]);
    expect(events.some((e) => e.count! > 5)).toBe(true);
    expect(files.eventFiles.length).toBeGreaterThanOrEqual(18);
    for (const f of files.eventFiles) {
      const month = basename(f).slice(6, 13);
      expect(sample.events.filter((e) => e.timestamp.startsWith(month)).length).toBeGreaterThan(0);
    }
    for (const f of [...sampleConfig.coreFeatures, ...sampleConfig.retentionFeatures]) {
      expect(
        events.some((e) => e.feature === f),
        f,
      ).toBe(true);
    }
  });

  it('assigns 4–6 CSM owners and leaves about 5 % of customers without one', () => {
    const owners = new Set(customers.map((c) => c.owner_email).filter(Boolean));
    expect(owners.size).toBeGreaterThanOrEqual(4);
    expect(owners.size).toBeLessThanOrEqual(6);
    for (const o of owners) expect(OWNERS).toContain(o);
    expect(customers.filter((c) => c.owner_email === '')).toHaveLength(15);
  });

  it('round-trips the special names through CSV quoting, with exactly one hostile name', () => {
    const names = customers.map((c) => c.name);
    for (const name of Object.values(SPECIAL_NAMES)) expect(names, name).toContain(name);
    expect(names.filter((n) => n === HOSTILE_NAME)).toHaveLength(1);
    expect(names.filter((n) => /[<>]/.test(n!))).toHaveLength(1);
    expect(new Set(names).size).toBe(names.length);
  });

  it('ships a demo config that passes the shared schema', () => {
    const config = parseConfig(sampleConfig, 'sampleConfig');
    expect(config.reportingCurrency).toBe('USD');
    expect(Object.keys(config.fxRates).sort()).toEqual(['EUR', 'GBP']);
    expect(config.retentionFeatures).toContain('reports');
    expect(config.digest.fallbackTo).toBe('cs-team@demo.example');
    expect(config.tierA).toBe(1000);
  });
});

describe('determinism', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  async function write(seed: number): Promise<Record<string, string>> {
    const dir = await mkdtemp(join(tmpdir(), 'sample-saas-det-'));
    dirs.push(dir);
    await writeSampleSaas(generateSampleSaas({ seed, asOf: AS_OF, customers: 120 }), dir);
    return hashDir(dir);
  }

  it('writes byte-identical files for the same seed and different ones for another seed', async () => {
    const a = await write(11);
    const b = await write(11);
    const c = await write(12);
    expect(Object.keys(a).length).toBeGreaterThan(5);
    expect(b).toEqual(a);
    expect(c['billing/customers.csv']).not.toBe(a['billing/customers.csv']);
  });

  it('rejects bad options with clear errors', () => {
    expect(() => generateSampleSaas({ asOf: '2026-02-30' })).toThrow(/not a calendar day/);
    expect(() => generateSampleSaas({ asOf: '15/03/2026' })).toThrow(/YYYY-MM-DD/);
    expect(() => generateSampleSaas({ asOf: AS_OF, customers: 0 })).toThrow(/customers/);
    expect(() => generateSampleSaas({ asOf: AS_OF, months: 3 })).toThrow(/months/);
  });
});
