/**
 * The built-in sample SaaS data set for `churnwatch demo`: a deterministic (per seed) book of
 * customers with 18 months of invoices, cancellations, reactivations and 120 days of usage events,
 * in the canonical formats of SPEC §1.1 and §2. See archetypes.ts for the customer mix.
 */
import { ARCHETYPE_NAMES, archetypeCounts, type ArchetypeName } from './archetypes';
import { anchoredMonth, toDay, toNum } from './calendar';
import { segmentOf } from './catalog';
import { billCustomer } from './billing';
import { tellStory, type Timeline } from './lifecycle';
import { assignNames, assignOwners } from './people';
import { createRng, deriveSeed } from './prng';
import type { SampleCancellation, SampleCustomer, SampleEvent, SampleInvoiceLine, SampleSaas } from './types';
import { USAGE_DAYS, usageFor } from './usage';

export { sampleConfig } from './config';
export { writeSampleSaas, type WrittenFiles } from './write';
export type * from './types';
export type { ArchetypeName } from './archetypes';

export interface SampleOptions {
  seed?: number;
  /** The demo's "today", YYYY-MM-DD. */
  asOf: string;
  customers?: number;
  /** Months of billing history before asOf. */
  months?: number;
}

export const DEFAULT_SEED = 20240601;
export const DEFAULT_CUSTOMERS = 300;
export const DEFAULT_MONTHS = 18;

/** Chance that a live customer's latest invoice (issued in the last 30 days) failed. */
const RECENT_FAILURE: Partial<Record<ArchetypeName, number>> = {
  declining: 0.35,
  dormant: 0.3,
  weekly: 0.05,
  healthy: 0.02,
  not_activated: 0.1,
};

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

/** Archetype per customer index, in a seeded random order so ids do not reveal the archetype. */
function archetypeOrder(seed: number, total: number): ArchetypeName[] {
  const counts = archetypeCounts(total);
  const list = ARCHETYPE_NAMES.flatMap((name) => Array<ArchetypeName>(counts[name]).fill(name));
  return createRng(deriveSeed(seed, 0x0a7c)).shuffle(list);
}

export function generateSampleSaas(options: SampleOptions): SampleSaas {
  const { seed, asOf, customers: total, months } = validate(options);
  const t: Timeline = { asOf: toNum(asOf), historyStart: anchoredMonth(toNum(asOf), -months) };
  const archetypes = archetypeOrder(seed, total);
  const names = assignNames(createRng(deriveSeed(seed, 0x4a3e)), archetypes);
  const owners = assignOwners(createRng(deriveSeed(seed, 0x0f1e)), total);

  const customers: SampleCustomer[] = [];
  const subscriptions: SampleSaas['subscriptions'] = [];
  const invoiceLines: SampleInvoiceLine[] = [];
  const cancellations: SampleCancellation[] = [];
  const events: SampleEvent[] = [];
  let anyRecentFailure = false;

  archetypes.forEach((archetype, i) => {
    const customerId = `cus_${String(i + 1).padStart(5, '0')}`;
    const rng = (stream: number) => createRng(deriveSeed(seed, (i + 1) * 8 + stream));
    const story = tellStory(rng(1), customerId, archetype, t);
    const monthly = story.subscriptions.at(-1)?.interval === 'month';
    // Guarantee at least one recent payment failure among the at-risk customers, however small the book.
    const forceFailure = !anyRecentFailure && archetype === 'declining' && monthly;
    const wantFailure = forceFailure || rng(2).chance(RECENT_FAILURE[archetype] ?? 0);
    const billed = billCustomer(rng(3), customerId, story, t, wantFailure);
    anyRecentFailure ||= billed.flags.recentFailure;

    const customer: SampleCustomer = {
      customerId,
      name: names[i]!,
      plan: story.plan,
      segment: segmentOf(story.plan),
      createdAt: toDay(story.createdAt),
      currency: story.currency,
      archetype,
    };
    const owner = owners[i];
    if (owner) customer.ownerEmail = owner;
    customers.push(customer);
    subscriptions.push(...story.subscriptions);
    invoiceLines.push(...billed.lines);
    for (const churn of story.churns) {
      const c: SampleCancellation = {
        customerId,
        subscriptionId: churn.subscriptionId,
        effectiveAt: toDay(churn.effective),
        canceledAt: toDay(churn.canceledAt),
      };
      if (churn.reason) c.reason = churn.reason;
      if (churn.feedback) c.feedback = churn.feedback;
      cancellations.push(c);
    }
    events.push(...usageFor(rng(4), customerId, story, t));
  });

  invoiceLines.sort((a, b) => cmp(a.issuedAt, b.issuedAt) || cmp(a.invoiceId, b.invoiceId) || cmp(a.lineId, b.lineId));
  cancellations.sort((a, b) => cmp(a.canceledAt, b.canceledAt) || cmp(a.customerId, b.customerId));
  events.sort((a, b) => cmp(a.timestamp, b.timestamp) || cmp(a.eventId, b.eventId));

  return {
    seed,
    asOf,
    historyStart: toDay(t.historyStart),
    usageStart: toDay(t.asOf - USAGE_DAYS + 1),
    customers,
    subscriptions,
    invoiceLines,
    cancellations,
    events,
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
