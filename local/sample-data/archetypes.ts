/**
 * Customer archetypes as data: each says how large a share of the book it is, when such customers
 * sign up, whether they churn, and (in usage.ts) how they use the product. The demo's at-risk list
 * comes from the declining, dormant, not-activated and payment-failure customers.
 */
export const ARCHETYPE_NAMES = [
  'healthy',
  'weekly',
  'declining',
  'dormant',
  'not_activated',
  'onboarding',
  'churned',
  'reactivated',
] as const;
export type ArchetypeName = (typeof ARCHETYPE_NAMES)[number];

export interface Archetype {
  name: ArchetypeName;
  /** Share of customers; `healthy` takes whatever the others leave. */
  share: number;
  /** At least this many when the book is large enough (so small demos still show every case). */
  min: number;
  /** `established`: signed up ≥ 90 days before asOf; `new`: first paid within the last 30 days. */
  signup: 'established' | 'new';
  lifecycle: 'active' | 'churned' | 'reactivated';
  description: string;
}

export const ARCHETYPES: Record<ArchetypeName, Archetype> = {
  healthy: {
    name: 'healthy',
    share: 0,
    min: 1,
    signup: 'established',
    lifecycle: 'active',
    description: 'uses the product on most weekdays, several features',
  },
  weekly: {
    name: 'weekly',
    share: 0.12,
    min: 1,
    signup: 'established',
    lifecycle: 'active',
    description: 'one fixed day a week (a weekly review), few features',
  },
  declining: {
    name: 'declining',
    share: 0.12,
    min: 3,
    signup: 'established',
    lifecycle: 'active',
    description: 'activity falls off over the last 6 weeks, stops using reports, some downgrade',
  },
  dormant: {
    name: 'dormant',
    share: 0.06,
    min: 2,
    signup: 'established',
    lifecycle: 'active',
    description: 'still paying, no event in the last 14+ days',
  },
  not_activated: {
    name: 'not_activated',
    share: 0.05,
    min: 2,
    signup: 'new',
    lifecycle: 'active',
    description: 'first paid within 30 days, no event or only setup (non-core) events',
  },
  onboarding: {
    name: 'onboarding',
    share: 0.04,
    min: 1,
    signup: 'new',
    lifecycle: 'active',
    description: 'first paid within 30 days and already using the core features',
  },
  churned: {
    name: 'churned',
    share: 0.15,
    min: 3,
    signup: 'established',
    lifecycle: 'churned',
    description: 'cancelled at a period end; activity fades in the weeks before',
  },
  reactivated: {
    name: 'reactivated',
    share: 0.01,
    min: 2,
    signup: 'established',
    lifecycle: 'reactivated',
    description: 'churned, came back months later with a new subscription',
  },
};

/** How many customers of each archetype a book of `total` customers holds (sums to `total`). */
export function archetypeCounts(total: number): Record<ArchetypeName, number> {
  const counts = {} as Record<ArchetypeName, number>;
  let assigned = 0;
  for (const name of ARCHETYPE_NAMES) {
    if (name === 'healthy') continue;
    const a = ARCHETYPES[name];
    // Minimums only once the book is big enough to hold them all alongside a healthy majority.
    const n = Math.max(Math.round(a.share * total), total >= 40 ? a.min : 0);
    counts[name] = n;
    assigned += n;
  }
  if (assigned > total) throw new RangeError(`too few customers (${total}) for the archetype mix`);
  counts.healthy = total - assigned;
  return counts;
}
