/**
 * Personas: how a customer uses the product and where its health tends to settle. A persona is a
 * customer's habit, not its fate: whether and when it churns comes out of the health simulation
 * (lifecycle.ts), so two customers of the same persona can end very differently.
 */
export const PERSONAS = ['steady', 'weekly', 'settled_low', 'seasonal', 'api_first', 'quiet_annual', 'never_activated'] as const;
export type Persona = (typeof PERSONAS)[number];

export interface PersonaTraits {
  /** Mean and spread of the level the customer's health reverts to. */
  healthMean: number;
  healthSpread: number;
  /** Day-to-day volatility of health relative to the typical customer. */
  volatility: number;
  /** Scales how much of the product the customer uses at a given health. */
  usageLevel: number;
  description: string;
}

export const PERSONA_TRAITS: Record<Persona, PersonaTraits> = {
  steady: {
    healthMean: 0.9,
    healthSpread: 0.6,
    volatility: 1,
    usageLevel: 1,
    description: 'uses the product on most weekdays; its health wanders and sometimes takes a hit',
  },
  weekly: {
    healthMean: 0.8,
    healthSpread: 0.6,
    volatility: 1,
    usageLevel: 1,
    description: 'one fixed day a week (a weekly review), few features',
  },
  settled_low: {
    healthMean: 0.35,
    healthSpread: 0.3,
    volatility: 0.6,
    usageLevel: 0.45,
    description: 'settled at steady low usage: a couple of users, a few days a month; churns somewhat more',
  },
  seasonal: {
    healthMean: 0.9,
    healthSpread: 0.6,
    volatility: 1,
    usageLevel: 1,
    description: 'usage dips for a month or two every year (summer or December) and recovers, health unchanged',
  },
  api_first: {
    healthMean: 1,
    healthSpread: 0.5,
    volatility: 0.8,
    usageLevel: 1,
    description: 'uses the product through the API and integrations, rarely opens the dashboard',
  },
  quiet_annual: {
    healthMean: 0.8,
    healthSpread: 0.5,
    volatility: 1,
    usageLevel: 1,
    description: 'annual plan whose use fades in some contract years; the renewal decides',
  },
  never_activated: {
    healthMean: -1,
    healthSpread: 0.5,
    volatility: 1,
    usageLevel: 1,
    description: 'signed up, touched the setup features and never used the product itself',
  },
};

/** Persona mix of customers already on the book when the history starts. */
export const ESTABLISHED_MIX: readonly (readonly [Persona, number])[] = [
  ['steady', 48],
  ['weekly', 13],
  ['settled_low', 14],
  ['seasonal', 12],
  ['api_first', 7],
];

/** New sign-ups during the history: a share never gets going. */
export const NEWCOMER_MIX: readonly (readonly [Persona, number])[] = [...ESTABLISHED_MIX, ['never_activated', 17]];
