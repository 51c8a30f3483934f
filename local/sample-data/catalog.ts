/** The fictional SaaS company's catalogue: plans, prices, people, names and churn reasons. */

export const PLANS = ['starter', 'growth', 'business', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export const CURRENCIES = ['USD', 'EUR', 'GBP'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** Monthly list price per plan and currency (major units). */
export const MONTHLY_PRICE: Record<Plan, Record<Currency, number>> = {
  starter: { USD: 49, EUR: 45, GBP: 39 },
  growth: { USD: 199, EUR: 185, GBP: 159 },
  business: { USD: 799, EUR: 749, GBP: 649 },
  enterprise: { USD: 2500, EUR: 2300, GBP: 1990 },
};

/** One-time onboarding fee charged on the first invoice of new larger accounts. */
export const SETUP_FEE: Partial<Record<Plan, number>> = { business: 500, enterprise: 1500 };

export type Interval = 'month' | 'quarter' | 'year';
export const INTERVAL_MONTHS: Record<Interval, number> = { month: 1, quarter: 3, year: 12 };
/** Prepaying a year earns two months free, a quarter 5 %: the MRR of those lines is below list price. */
export const INTERVAL_DISCOUNT: Record<Interval, number> = { month: 1, quarter: 0.95, year: 10 / 12 };

export const PLAN_MIX: readonly (readonly [Plan, number])[] = [
  ['starter', 35],
  ['growth', 35],
  ['business', 20],
  ['enterprise', 10],
];

export const CURRENCY_MIX: readonly (readonly [Currency, number])[] = [
  ['USD', 75],
  ['EUR', 15],
  ['GBP', 10],
];

export function intervalMix(plan: Plan): readonly (readonly [Interval, number])[] {
  if (plan === 'enterprise')
    return [
      ['month', 30],
      ['quarter', 20],
      ['year', 50],
    ];
  if (plan === 'business')
    return [
      ['month', 65],
      ['quarter', 10],
      ['year', 25],
    ];
  return [
    ['month', 88],
    ['quarter', 4],
    ['year', 8],
  ];
}

export function segmentOf(plan: Plan): string {
  if (plan === 'enterprise') return 'enterprise';
  if (plan === 'business') return 'mid-market';
  return 'smb';
}

export const SEATS: Record<Plan, number> = { starter: 2, growth: 6, business: 15, enterprise: 40 };

export const OWNERS = [
  'ana@acme-saas.example',
  'ben@acme-saas.example',
  'chloe@acme-saas.example',
  'dmitri@acme-saas.example',
  'esther@acme-saas.example',
] as const;

/** Share of customers nobody owns: their at-risk entries go to the digest's fallback recipient. */
export const NO_OWNER_SHARE = 0.05;

export const FEATURES = ['dashboard', 'reports', 'export', 'api', 'alerts', 'integrations', 'sso'] as const;
export type Feature = (typeof FEATURES)[number];
export const EXTRA_FEATURES: readonly Feature[] = ['export', 'api', 'alerts', 'integrations', 'sso'];
/** What a new customer touches while setting up, before using the product itself. */
export const SETUP_FEATURES: readonly Feature[] = ['integrations', 'sso', 'api'];

export const CANCEL_REASONS = ['too_expensive', 'missing_features', 'switched_to_competitor', 'low_usage', 'company_closed'] as const;

/** The reason billing systems record when dunning gives up on a subscription. */
export const PAYMENT_FAILED_REASON = 'payment_failed';

export const FEEDBACK: Record<(typeof CANCEL_REASONS)[number], readonly string[]> = {
  too_expensive: ['Budget cuts this quarter.', 'We cannot justify the price for a team of our size.'],
  missing_features: ['No Salesforce sync.', 'We need per-team dashboards and role-based access.'],
  switched_to_competitor: ['Moved to a tool bundled with our CRM.', 'Competitor offered a better deal.'],
  low_usage: ['Nobody on the team logged in any more.', 'We never really got it rolled out.'],
  company_closed: ['We are winding down the business.', 'Acquired; the parent company has its own tooling.'],
};

/**
 * Names that exercise encodings and escaping end to end: non-ASCII, an ampersand, a comma with quotes
 * (CSV quoting) and one HTML-looking name that the digest and the mail viewer must escape.
 */
export const HOSTILE_NAME = '<b>Bold</b> & Co';
export const SPECIAL_NAMES = {
  hostile: HOSTILE_NAME,
  zurich: 'Zürich Ölwerke AG',
  cafe: 'Café Ñandú',
  ampersand: 'Barnes & Pryce Ltd',
  commaQuotes: 'Acme, Inc. "The Original"',
  tokyo: '東京クラウド株式会社',
  lodz: 'Łódź Software Sp. z o.o.',
} as const;

const NAME_ROOTS = [
  'Northwind',
  'Bluebird',
  'Cobalt',
  'Driftwood',
  'Evergreen',
  'Foxglove',
  'Granite',
  'Harbor',
  'Ironbark',
  'Juniper',
  'Kestrel',
  'Lumen',
  'Meridian',
  'Nimbus',
  'Oakridge',
  'Pinecrest',
  'Quartz',
  'Redwood',
  'Sable',
  'Tidewater',
  'Umbra',
  'Vantage',
  'Willow',
  'Xenon',
  'Yarrow',
  'Zephyr',
  'Aster',
  'Brightline',
  'Cedar',
  'Delta',
  'Ember',
  'Fjord',
  'Glacier',
  'Helix',
  'Indigo',
  'Kelp',
];
const NAME_SUFFIXES = [
  'Analytics',
  'Labs',
  'Logistics',
  'Health',
  'Robotics',
  'Media',
  'Capital',
  'Foods',
  'Systems',
  'Studio',
  'Energy',
  'Retail',
];
const LEGAL_FORMS = ['Inc.', 'LLC', 'Ltd', 'GmbH', 'SAS', 'BV', ''];

/** Every ordinary company name the generator can use (unique, in a fixed order). */
export function ordinaryNames(): string[] {
  const names: string[] = [];
  NAME_ROOTS.forEach((root, i) =>
    NAME_SUFFIXES.forEach((suffix, j) => {
      const form = LEGAL_FORMS[(i + j) % LEGAL_FORMS.length];
      names.push(form ? `${root} ${suffix} ${form}` : `${root} ${suffix}`);
    }),
  );
  return names;
}
