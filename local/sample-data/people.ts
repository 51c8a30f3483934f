/** Company names and account owners (CSMs) for the generated customers. */
import type { ArchetypeName } from './archetypes';
import { NO_OWNER_SHARE, OWNERS, SPECIAL_NAMES, ordinaryNames } from './catalog';
import type { Rng } from './prng';

/**
 * Which archetype each special name goes to: the hostile and non-ASCII names land on at-risk
 * customers so they show up in the digests and the report, where escaping matters.
 */
const SPECIAL_PLACEMENT: readonly (readonly [keyof typeof SPECIAL_NAMES, ArchetypeName])[] = [
  ['hostile', 'declining'],
  ['zurich', 'declining'],
  ['cafe', 'not_activated'],
  ['tokyo', 'dormant'],
  ['ampersand', 'healthy'],
  ['commaQuotes', 'weekly'],
  ['lodz', 'churned'],
];

export function assignNames(rng: Rng, archetypes: readonly ArchetypeName[]): string[] {
  const names: (string | undefined)[] = archetypes.map(() => undefined);
  for (const [key, archetype] of SPECIAL_PLACEMENT) {
    let i = archetypes.findIndex((a, j) => a === archetype && names[j] === undefined);
    if (i < 0) i = names.findIndex((n) => n === undefined);
    if (i >= 0) names[i] = SPECIAL_NAMES[key];
  }
  const pool = rng.shuffle(ordinaryNames());
  let next = 0;
  return names.map((n) => {
    if (n !== undefined) return n;
    const base = pool[next % pool.length]!;
    const round = Math.floor(next++ / pool.length);
    return round === 0 ? base : `${base} ${round + 1}`;
  });
}

/** Owner per customer; exactly round(5 %) of customers (at least one) have none. */
export function assignOwners(rng: Rng, count: number): (string | undefined)[] {
  const unowned = new Set(rng.shuffle([...Array(count).keys()]).slice(0, Math.max(1, Math.round(count * NO_OWNER_SHARE))));
  return [...Array(count).keys()].map((i) => (unowned.has(i) ? undefined : rng.pick(OWNERS)));
}
