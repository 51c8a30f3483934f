/**
 * The built-in sample SaaS data set for `churnwatch demo`: a deterministic (per seed) book of
 * customers with months of invoices, cancellations and usage events over the same history, in the
 * canonical formats of docs/metrics.md §1.1 and §2. Each customer's life is simulated (lifecycle.ts): a latent
 * health drives its usage and its churn hazard, so churn is an uncertain outcome a model can learn.
 */
import { anchoredMonth, toDay, toNum } from './calendar';
import { segmentOf } from './catalog';
import { billCustomer } from './billing';
import { liveCustomer, type CustomerStory, type Timeline } from './lifecycle';
import { assignNames, assignOwners, type NamingFacts } from './people';
import { ESTABLISHED_MIX, NEWCOMER_MIX, type Persona } from './personas';
import { createRng, deriveSeed, type Rng } from './prng';
import type { SampleCancellation, SampleCustomer, SampleEvent, SampleInvoiceLine, SampleSaas } from './types';
import { usageFor } from './usage';

export { sampleConfig } from './config';
export { writeSampleSaas, type WrittenFiles } from './write';
export type * from './types';
export type { Persona } from './personas';

export interface SampleOptions {
  seed?: number;
  /** The demo's "today", YYYY-MM-DD. */
  asOf: string;
  /** Customers ever on the book (customers.csv rows), churned ones included. */
  customers?: number;
  /** Months of billing and usage history before asOf. */
  months?: number;
}

export const DEFAULT_SEED = 20240601;
export const DEFAULT_CUSTOMERS = 300;
export const DEFAULT_MONTHS = 18;

/** Share of the customers already on the book when the history starts; the others sign up during it. */
const ESTABLISHED_SHARE = 0.5;
/** Customers on the book before the history joined up to this many years earlier. */
const ESTABLISHED_YEARS = 4;

function validate(opts: SampleOptions): Required<SampleOptions> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const customers = opts.customers ?? DEFAULT_CUSTOMERS;
  const months = opts.months ?? DEFAULT_MONTHS;
  toNum(opts.asOf);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(customers) || customers < 1 || customers > 100_000) {
    throw new RangeError(`customers must be an integer from 1 to 100000, got ${customers}`);
  }
  if (!Number.isInteger(months) || months < 12 || months > 60) {
    throw new RangeError(`months must be an integer from 12 to 60, got ${months}`);
  }
  return { seed, asOf: opts.asOf, customers, months };
}

/** Sign-up day and persona; sign-ups during the history grow over time (twice as many at the end). */
function arrival(rng: Rng, t: Timeline): { signup: number; persona: Persona } {
  if (rng.chance(ESTABLISHED_SHARE)) {
    return { signup: t.historyStart - rng.int(1, ESTABLISHED_YEARS * 365), persona: rng.weighted(ESTABLISHED_MIX) };
  }
  const x = -1 + Math.sqrt(1 + 3 * rng.next());
  return { signup: t.historyStart + Math.floor(x * (t.asOf - t.historyStart - 1)), persona: rng.weighted(NEWCOMER_MIX) };
}

function monthEndHealth(story: CustomerStory, t: Timeline): SampleCustomer['healthAtMonthEnd'] {
  const firstOfMonth = toNum(`${toDay(t.historyStart).slice(0, 7)}-01`);
  const out: SampleCustomer['healthAtMonthEnd'] = [];
  for (let m = 1; anchoredMonth(firstOfMonth, m) - 1 <= t.asOf; m++) {
    const day = anchoredMonth(firstOfMonth, m) - 1;
    if (day >= story.traceStart) out.push({ day: toDay(day), health: story.health[day - story.traceStart]! });
  }
  return out;
}

/** Mean health over the `windowsBack`-th 28 days before asOf (0: the last 28 days, as signals window). */
function meanHealth(story: CustomerStory, windowsBack: number): number {
  const end = story.health.length - 28 * windowsBack;
  const days = story.health.subarray(Math.max(0, end - 28), Math.max(1, end));
  return days.reduce((sum, h) => sum + h, 0) / days.length;
}

function cancellationOf(customerId: string, churn: CustomerStory['churns'][number]): SampleCancellation {
  const c: SampleCancellation = {
    customerId,
    subscriptionId: churn.subscriptionId,
    effectiveAt: toDay(churn.effective),
    canceledAt: toDay(churn.canceledAt),
    cause: churn.cause,
  };
  if (churn.reason) c.reason = churn.reason;
  if (churn.feedback) c.feedback = churn.feedback;
  return c;
}

export function generateSampleSaas(options: SampleOptions): SampleSaas {
  const { seed, asOf, customers: total, months } = validate(options);
  const t: Timeline = { asOf: toNum(asOf), historyStart: anchoredMonth(toNum(asOf), -months) };
  const customerIds = Array.from({ length: total }, (_, i) => `cus_${String(i + 1).padStart(5, '0')}`);
  // A generator per customer and purpose, so adding a customer does not reshuffle everyone else's data.
  const rngOf = (i: number, stream: number) => createRng(deriveSeed(seed, (i + 1) * 8 + stream));
  const stories = customerIds.map((id, i) => {
    const { signup, persona } = arrival(rngOf(i, 0), t);
    return liveCustomer(rngOf(i, 1), id, persona, signup, t);
  });

  const facts: NamingFacts[] = stories.map((s) => ({
    persona: s.persona,
    open: s.subscriptions.some((sub) => sub.start <= t.asOf && sub.end === undefined),
    healthNow: meanHealth(s, 0),
    healthBefore: meanHealth(s, 1),
    signup: s.createdAt,
    churnedOnce: s.churns.some((c) => c.effective <= t.asOf),
  }));
  const names = assignNames(createRng(deriveSeed(seed, 0x4a3e)), facts);
  const owners = assignOwners(createRng(deriveSeed(seed, 0x0f1e)), total);

  const customers: SampleCustomer[] = [];
  const invoiceLines: SampleInvoiceLine[] = [];
  const cancellations: SampleCancellation[] = [];
  const events: SampleEvent[] = [];
  stories.forEach((story, i) => {
    const customerId = customerIds[i]!;
    const customer: SampleCustomer = {
      customerId,
      name: names[i]!,
      plan: story.plan,
      segment: segmentOf(story.plan),
      createdAt: toDay(story.createdAt),
      currency: story.currency,
      archetype: story.persona,
      healthAtMonthEnd: monthEndHealth(story, t),
    };
    const owner = owners[i];
    if (owner) customer.ownerEmail = owner;
    customers.push(customer);
    invoiceLines.push(...billCustomer(rngOf(i, 3), customerId, story, t));
    cancellations.push(...story.churns.map((churn) => cancellationOf(customerId, churn)));
    for (const e of usageFor(rngOf(i, 4), customerId, story, t)) events.push(e);
  });

  invoiceLines.sort((a, b) => cmp(a.issuedAt, b.issuedAt) || cmp(a.invoiceId, b.invoiceId) || cmp(a.lineId, b.lineId));
  cancellations.sort((a, b) => cmp(a.canceledAt, b.canceledAt) || cmp(a.customerId, b.customerId));

  return {
    seed,
    asOf,
    historyStart: toDay(t.historyStart),
    usageStart: toDay(t.historyStart),
    customers,
    subscriptions: stories.flatMap((s) => s.subscriptions),
    invoiceLines,
    cancellations,
    events: chronological(events),
  };
}

/** Events day by day (within a day by customer), as a daily export would list them; no full sort of a million. */
function chronological(events: readonly SampleEvent[]): SampleEvent[] {
  const byDay = new Map<string, SampleEvent[]>();
  for (const e of events) {
    const day = e.timestamp.slice(0, 10);
    const bucket = byDay.get(day);
    if (bucket) bucket.push(e);
    else byDay.set(day, [e]);
  }
  const out: SampleEvent[] = [];
  for (const day of [...byDay.keys()].sort()) for (const e of byDay.get(day)!) out.push(e);
  return out;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
