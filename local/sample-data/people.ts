/** Company names and account owners (CSMs) for the generated customers. */
import { NO_OWNER_SHARE, OWNERS, SPECIAL_NAMES, ordinaryNames } from './catalog';
import { engagement } from './health';
import type { Persona } from './personas';
import type { Rng } from './prng';

/** What naming needs to know about a customer once its life has been simulated. */
export interface NamingFacts {
  persona: Persona;
  /** Paying on asOf with no cancellation on file. */
  open: boolean;
  /** Mean health over the last 28 days, and over the 28 days before. */
  healthNow: number;
  healthBefore: number;
  signup: number;
  churnedOnce: boolean;
}

type Placement = (facts: readonly NamingFacts[], taken: ReadonlySet<number>) => number | undefined;

const indices = (facts: readonly NamingFacts[], taken: ReadonlySet<number>, keep: (f: NamingFacts) => boolean) =>
  facts.map((f, i) => (keep(f) && !taken.has(i) ? i : -1)).filter((i) => i >= 0);
/** Usage follows engagement; its fall is what the usage signals see. */
const fall = (f: NamingFacts) => engagement(f.healthNow) - engagement(f.healthBefore);
const DAILY_USERS: ReadonlySet<Persona> = new Set(['steady', 'weekly', 'seasonal', 'quiet_annual']);
const steepestFall: Placement = (facts, taken) =>
  indices(facts, taken, (f) => f.open && DAILY_USERS.has(f.persona)).sort((a, b) => fall(facts[a]!) - fall(facts[b]!))[0];

/**
 * Where each special name goes: the hostile and non-ASCII names land on the customers whose use fell
 * most so they show up in the digests and the report, where escaping matters.
 */
const SPECIAL_PLACEMENT: readonly (readonly [keyof typeof SPECIAL_NAMES, Placement])[] = [
  ['hostile', steepestFall],
  ['zurich', steepestFall],
  ['tokyo', steepestFall],
  ['cafe', (facts, taken) => indices(facts, taken, (f) => f.open).sort((a, b) => facts[b]!.signup - facts[a]!.signup)[0]],
  ['ampersand', (facts, taken) => indices(facts, taken, (f) => f.open).sort((a, b) => facts[b]!.healthNow - facts[a]!.healthNow)[0]],
  ['commaQuotes', (facts, taken) => indices(facts, taken, (f) => f.persona === 'weekly')[0]],
  ['lodz', (facts, taken) => indices(facts, taken, (f) => f.churnedOnce)[0]],
];

export function assignNames(rng: Rng, facts: readonly NamingFacts[]): string[] {
  const names: (string | undefined)[] = facts.map(() => undefined);
  const taken = new Set<number>();
  for (const [key, pick] of SPECIAL_PLACEMENT) {
    const i = pick(facts, taken) ?? names.findIndex((n) => n === undefined);
    if (i < 0) continue;
    names[i] = SPECIAL_NAMES[key];
    taken.add(i);
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
