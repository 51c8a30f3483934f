/**
 * The vendor's price list and product surface. Prices are whole cents so amounts print exactly.
 * Tiers are seat-capped: a team outgrowing its cap is what drives upgrades at renewal.
 */
export type Currency = 'USD' | 'EUR';
export type Tier = 'starter' | 'team' | 'business' | 'enterprise';
export type Term = 'monthly' | 'quarterly' | 'annual';
export type Segment = 'smb' | 'mid_market' | 'enterprise';

export const TIERS: readonly Tier[] = ['starter', 'team', 'business', 'enterprise'];

/** Largest team each tier is sold for; enterprise has no cap. */
export const SEAT_CAP: Record<Tier, number> = { starter: 3, team: 12, business: 40, enterprise: Infinity };

/** List price per month, in cents of each currency (EUR prices are set for the market, not converted). */
const MONTHLY_CENTS: Record<Tier, Record<Currency, number>> = {
  starter: { USD: 4_900, EUR: 4_500 },
  team: { USD: 19_900, EUR: 17_900 },
  business: { USD: 59_900, EUR: 54_900 },
  enterprise: { USD: 199_000, EUR: 179_000 },
};

export const TERM_MONTHS: Record<Term, number> = { monthly: 1, quarterly: 3, annual: 12 };
/** Prepaying buys a discount; it is what makes annual contracts sticky and their renewals lumpy. */
const TERM_DISCOUNT: Record<Term, number> = { monthly: 1, quarterly: 0.95, annual: 0.85 };

export function priceCents(tier: Tier, term: Term, currency: Currency): number {
  return Math.round(MONTHLY_CENTS[tier][currency] * TERM_MONTHS[term] * TERM_DISCOUNT[term]);
}

export const planName = (tier: Tier, term: Term): string => `${tier}-${term}`;

/** A second invoice line some larger accounts carry, so invoices are not all single-line. */
export const PRIORITY_SUPPORT = { plan: 'addon-priority-support', monthlyCents: { USD: 9_900, EUR: 8_900 } as Record<Currency, number> };
/** One-time charge (empty service period: no MRR) billed to new enterprise accounts. */
export const ONBOARDING_FEE = { plan: 'onboarding-fee', cents: { USD: 150_000, EUR: 135_000 } as Record<Currency, number> };

/** The reporting-currency rate a Churnwatch config needs for this book: units of USD per EUR. */
export const FX_RATES: Record<Exclude<Currency, 'USD'>, number> = { EUR: 1.08 };

export function smallestTierFor(seats: number): Tier {
  return TIERS.find((t) => seats <= SEAT_CAP[t]) ?? 'enterprise';
}

/**
 * Features in the order accounts typically adopt them: the core loop first, the sticky integrations
 * later. `weight` is how often an active user touches the feature once adopted.
 */
export const FEATURES: readonly { name: string; weight: number; role: 'core' | 'retention' | 'other' }[] = [
  { name: 'dashboard.view', weight: 10, role: 'core' },
  { name: 'report.create', weight: 4, role: 'core' },
  { name: 'search', weight: 4, role: 'other' },
  { name: 'export.csv', weight: 2, role: 'other' },
  { name: 'share.link', weight: 2, role: 'other' },
  { name: 'alert.configure', weight: 1.5, role: 'retention' },
  { name: 'integration.sync', weight: 3, role: 'retention' },
  { name: 'comment.add', weight: 2, role: 'other' },
  { name: 'api.call', weight: 3, role: 'other' },
  { name: 'settings.update', weight: 0.5, role: 'other' },
];

export const CORE_FEATURES = FEATURES.filter((f) => f.role === 'core').map((f) => f.name);
export const RETENTION_FEATURES = FEATURES.filter((f) => f.role === 'retention').map((f) => f.name);

/** Customer-success managers who own accounts; some small accounts have no owner (fallback recipient). */
export const ACCOUNT_OWNERS = [
  'ines.moreau@vendor.example',
  'kofi.mensah@vendor.example',
  'hana.sato@vendor.example',
  'liam.oconnor@vendor.example',
  'priya.raman@vendor.example',
  'mateo.silva@vendor.example',
] as const;

const NAME_STEMS = [
  'Blue',
  'North',
  'Apex',
  'Copper',
  'Lumen',
  'Harbor',
  'Granite',
  'Vela',
  'Orbit',
  'Juniper',
  'Kestrel',
  'Meridian',
  'Nimbus',
  'Quarry',
  'Saffron',
  'Tidal',
  'Umber',
  'Willow',
  'Zephyr',
  'Cobalt',
];
const NAME_KINDS = [
  'Analytics',
  'Logistics',
  'Health',
  'Labs',
  'Foods',
  'Robotics',
  'Legal',
  'Media',
  'Energy',
  'Studio',
  'Freight',
  'Clinics',
  'Learning',
  'Retail',
];
const NAME_SUFFIXES = ['Inc.', 'LLC', 'GmbH', 'S.A.', 'Ltd', 'BV', 'Co.'];

/** Company names; some carry a comma or quotes, which the CSV writer must quote (RFC 4180). */
export function companyName(n: number, pick: <T>(xs: readonly T[]) => T): string {
  const base = `${pick(NAME_STEMS)} ${pick(NAME_KINDS)}`;
  const suffix = pick(NAME_SUFFIXES);
  if (n % 17 === 0) return `${base}, ${suffix}`;
  if (n % 29 === 0) return `"${base}" ${suffix}`;
  return `${base} ${suffix}`;
}
