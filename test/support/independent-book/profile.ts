import { ACCOUNT_OWNERS, companyName, smallestTierFor, type Currency, type Segment, type Term, type Tier } from './catalog';
import type { Rng } from './prng';
import type { SeasonalPattern } from './types';

/** What an account is like when it signs: fixed traits plus the starting point of its latent state. */
export interface AccountProfile {
  customerId: string;
  name: string;
  owner: string;
  segment: Segment;
  currency: Currency;
  seats: number;
  tier: Tier;
  term: Term;
  /** Long-run "value realised" this account settles at (the mean its latent reverts to). */
  fit: number;
  usageIntensity: number;
  settledLow: boolean;
  seasonal: SeasonalPattern | null;
  failedOnboarding: boolean;
  paysByCard: boolean;
  prioritySupport: boolean;
}

const TERM_MIX: Record<Segment, Record<Term, number>> = {
  smb: { monthly: 84, quarterly: 10, annual: 6 },
  mid_market: { monthly: 52, quarterly: 16, annual: 32 },
  enterprise: { monthly: 12, quarterly: 10, annual: 78 },
};

export function drawProfile(rng: Rng, customerNumber: number, matureAtStart: boolean): AccountProfile {
  const segment = rng.weighted<Segment>({ smb: 64, mid_market: 28, enterprise: 8 });
  const seats = initialSeats(rng, segment);
  // Some buy a tier above what their seat count needs (features, not seats, sold them).
  let tier = smallestTierFor(seats);
  if (tier !== 'enterprise' && rng.chance(0.12)) tier = tier === 'starter' ? 'team' : tier === 'team' ? 'business' : 'enterprise';
  const term = rng.weighted(TERM_MIX[segment]);
  const settledLow = rng.chance(0.11);
  const seasonal = rng.chance(0.1) ? drawSeasonal(rng) : null;
  const failedOnboarding = !matureAtStart && !settledLow && !seasonal && rng.chance(0.09);
  // Accounts that signed up years ago survived the years we do not simulate: they fit a little better.
  const fit = failedOnboarding ? rng.normal(-1.3, 0.4) : rng.normal(matureAtStart ? 0.95 : 0.85, 0.55);
  return {
    customerId: `ibk_${String(customerNumber).padStart(5, '0')}`,
    name: companyName(customerNumber, (xs) => rng.pick(xs)),
    owner: segment === 'smb' && rng.chance(0.15) ? '' : rng.pick(ACCOUNT_OWNERS),
    segment,
    currency: rng.chance(0.27) ? 'EUR' : 'USD',
    seats,
    tier,
    term,
    // Settled-low and seasonal accounts are content with their pattern; that is what makes them traps.
    fit: settledLow || seasonal ? Math.max(fit, 0.9) : fit,
    usageIntensity: settledLow ? rng.uniform(0.1, 0.25) : Math.exp(rng.normal(0, 0.35)),
    settledLow,
    seasonal,
    failedOnboarding,
    paysByCard: term !== 'annual' && segment !== 'enterprise' ? true : rng.chance(0.2),
    prioritySupport: (tier === 'business' || tier === 'enterprise') && rng.chance(0.3),
  };
}

function initialSeats(rng: Rng, segment: Segment): number {
  switch (segment) {
    case 'smb':
      return 1 + rng.geometric(0.4);
    case 'mid_market':
      return Math.max(4, Math.round(Math.exp(rng.normal(Math.log(10), 0.45))));
    case 'enterprise':
      return Math.max(15, Math.round(Math.exp(rng.normal(Math.log(35), 0.5))));
  }
}

function drawSeasonal(rng: Rng): SeasonalPattern {
  const kind = rng.weighted<SeasonalPattern['kind']>({ summer_break: 45, year_end_freeze: 30, august_holiday: 25 });
  switch (kind) {
    case 'summer_break':
      return { kind, startDayOfYear: rng.int(160, 175), lengthDays: rng.int(60, 80), depth: rng.uniform(0.08, 0.3) };
    case 'year_end_freeze':
      return { kind, startDayOfYear: rng.int(346, 352), lengthDays: rng.int(18, 28), depth: rng.uniform(0.05, 0.25) };
    case 'august_holiday':
      return { kind, startDayOfYear: rng.int(210, 216), lengthDays: rng.int(24, 32), depth: rng.uniform(0.15, 0.4) };
  }
}
