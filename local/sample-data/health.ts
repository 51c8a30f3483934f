/**
 * A customer's latent health: a mean-reverting random walk (Ornstein–Uhlenbeck, one step a day)
 * around a baseline that itself drifts slowly and jumps on shocks (a champion leaves, a reorg, a
 * new team onboarded). Around 0 is a typical customer; below −1 a customer in trouble. Usage
 * follows health with noise and the churn hazard rises as health falls, so neither is certain.
 */
import type { Rng } from './prng';

/** Health closes about 1/45 of its gap to the baseline a day: dips last weeks, not days. */
const REVERSION = 1 / 45;
/** Daily noise giving a stationary spread of about 0.45 around the baseline. */
const NOISE = 0.45 * Math.sqrt(2 * REVERSION);
const BASELINE_DRIFT = 0.01;
/** Over a year or so a customer drifts back to its nature: shocks fade, the book stays stationary. */
const BASELINE_REVERSION = 1 / 365;
const NEGATIVE_SHOCKS_PER_DAY = 1 / 300;
const POSITIVE_SHOCKS_PER_DAY = 1 / 450;

/** How much of the product a customer at this health uses (0–1), before persona and season. */
export function engagement(health: number): number {
  return 1 / (1 + Math.exp(-(1.5 * health + 0.6)));
}

export class HealthWalk {
  private value: number;
  private baseline: number;
  constructor(
    private readonly rng: Rng,
    private nature: number,
    private readonly volatility: number,
    start: number,
  ) {
    this.baseline = nature;
    this.value = start;
  }

  get health(): number {
    return this.value;
  }

  /** A lasting change that health follows within weeks: a decision to leave, a fading contract year. */
  shiftNature(by: number): void {
    this.nature += by;
    this.baseline += by;
  }

  /** A fresh start (a returning customer): new nature and health. */
  restart(nature: number, health: number): void {
    this.nature = nature;
    this.baseline = nature;
    this.value = health;
  }

  /** Advances one day. */
  step(): void {
    const rng = this.rng;
    this.baseline += BASELINE_REVERSION * (this.nature - this.baseline) + BASELINE_DRIFT * this.volatility * rng.normal();
    this.value += REVERSION * (this.baseline - this.value) + NOISE * this.volatility * rng.normal();
    if (rng.chance(NEGATIVE_SHOCKS_PER_DAY)) {
      const hit = Math.min(3, rng.exponential(0.9));
      this.value -= hit;
      // Half the hits last (the champion is gone for good); the others heal by mean reversion.
      if (rng.chance(0.5)) this.baseline -= hit;
    } else if (rng.chance(POSITIVE_SHOCKS_PER_DAY)) {
      const lift = rng.exponential(0.6);
      this.value += lift;
      this.baseline += lift;
    }
  }
}
