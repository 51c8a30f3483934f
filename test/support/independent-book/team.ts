import type { Rng } from './prng';

/** A person with a login. Propensity is their chance of using the product on a working day. */
export interface Member {
  no: number;
  propensity: number;
  champion: boolean;
  /** How many features this person tends to touch in one session, relative to the account. */
  breadthAffinity: number;
}

/**
 * The account's users. Most accounts have one champion who uses the product daily, a few regulars
 * and a tail of occasional users; the champion leaving is one of the churn mechanisms.
 */
export class Team {
  readonly members: Member[] = [];
  private nextNo = 1;

  constructor(rng: Rng, seats: number) {
    this.members.push(this.newMember(rng, true));
    for (let i = 1; i < seats; i++) this.hire(rng);
  }

  get size(): number {
    return this.members.length;
  }

  get hasChampion(): boolean {
    return this.members.some((m) => m.champion);
  }

  hire(rng: Rng): void {
    this.members.push(this.newMember(rng, false));
  }

  /** Ordinary attrition never takes the last user: someone keeps the login. */
  leave(rng: Rng): void {
    if (this.members.length <= 1) return;
    const candidates = this.members.filter((m) => !m.champion);
    const leaver = rng.pick(candidates.length > 0 ? candidates : this.members);
    this.members.splice(this.members.indexOf(leaver), 1);
  }

  /** Returns whether there was a champion to lose. */
  loseChampion(): boolean {
    const i = this.members.findIndex((m) => m.champion);
    if (i < 0) return false;
    this.members.splice(i, 1);
    return true;
  }

  /** A regular steps up (or a new hire is brought in for it) and starts using the product daily. */
  appointChampion(rng: Rng): void {
    const regulars = this.members.filter((m) => !m.champion).sort((a, b) => b.propensity - a.propensity);
    const next = regulars[0];
    if (next && next.propensity > 0.2) {
      next.champion = true;
      next.propensity = rng.uniform(0.75, 0.92);
    } else this.members.push(this.newMember(rng, true));
  }

  layOff(rng: Rng, share: number): void {
    const keep = Math.max(1, Math.round(this.members.length * (1 - share)));
    while (this.members.length > keep) this.leave(rng);
  }

  private newMember(rng: Rng, champion: boolean): Member {
    const regular = rng.chance(0.35);
    return {
      no: this.nextNo++,
      propensity: champion ? rng.uniform(0.75, 0.92) : regular ? rng.uniform(0.22, 0.5) : rng.uniform(0.02, 0.12),
      champion,
      breadthAffinity: rng.uniform(0.5, 1.5),
    };
  }
}
