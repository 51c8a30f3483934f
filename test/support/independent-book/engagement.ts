import { weekdayOf, type DayNumber } from './calendar';
import { FEATURES, type Currency } from './catalog';
import { sigmoid, type Rng } from './prng';
import type { Team } from './team';
import type { UsageLog } from './usage-log';

/** Work happens on weekdays; a little spills into weekends. */
const WEEKDAY_FACTOR = [0.07, 1, 1, 1, 1, 0.95, 0.1];
/** Business hours in UTC for each currency's market (US accounts work later in UTC). */
const WORKDAY_UTC: Record<Currency, [number, number]> = { USD: [13 * 3600, 23 * 3600 + 3599], EUR: [6 * 3600, 17 * 3600] };

/** How much of its potential usage an account shows at a given value realised. */
export const engagementAt = (value: number): number => sigmoid(1.6 * value + 0.5);

/**
 * Turns an account's daily state into usage events: one per (user, feature) with a count.
 * Features are adopted in an account-specific order (core first), `breadth` of them so far.
 */
export class UsageEmitter {
  private sequence = 0;
  /** Indices into FEATURES: core features first, then the rest in this account's own order. */
  readonly adoptionOrder: number[];

  constructor(
    private readonly rng: Rng,
    private readonly log: UsageLog,
    private readonly customerIndex: number,
    private readonly currency: Currency,
    private readonly intensity: number,
  ) {
    const rest = FEATURES.map((_, i) => i).filter((i) => FEATURES[i]!.role !== 'core');
    this.adoptionOrder = [0, 1, ...rng.shuffle(rest)];
  }

  get eventsEmitted(): number {
    return this.sequence;
  }

  /** `activity` is the product of every daily factor (value, season, quiet period, wind-down). */
  emitDay(day: DayNumber, team: Team, activity: number, breadth: number): void {
    const rng = this.rng;
    const dayFactor = WEEKDAY_FACTOR[weekdayOf(day)]! * activity * Math.min(1, this.intensity);
    if (dayFactor <= 0) return;
    const [from, to] = WORKDAY_UTC[this.currency];
    let totalWeight = 0;
    for (let k = 0; k < breadth; k++) totalWeight += FEATURES[this.adoptionOrder[k]!]!.weight;
    for (const member of team.members) {
      if (!rng.chance(member.propensity * dayFactor)) continue;
      const extraChance = Math.min(0.6, 0.13 * member.breadthAffinity * Math.max(0.5, this.intensity));
      let features = 1;
      for (let k = 1; k < breadth; k++) if (rng.chance(extraChance)) features++;
      // Features of one session are distinct: drawn by weight without replacement.
      let used = 0;
      let remaining = totalWeight;
      for (let f = 0; f < features; f++) {
        let x = rng.next() * remaining;
        let chosen = -1;
        for (let k = 0; k < breadth; k++) {
          if (used & (1 << k)) continue;
          chosen = k;
          x -= FEATURES[this.adoptionOrder[k]!]!.weight;
          if (x < 0) break;
        }
        used |= 1 << chosen;
        const feature = this.adoptionOrder[chosen]!;
        remaining -= FEATURES[feature]!.weight;
        const count = 1 + rng.geometric(1 / (1 + (member.champion ? 3 : 1.5) * this.intensity));
        this.log.push(this.customerIndex, day, rng.int(from, to), member.no, feature, count, this.sequence++);
      }
    }
  }
}
