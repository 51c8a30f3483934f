/** Net MRR movements of one customer over one period (docs/metrics.md §3.2), and their totals. */
import { ExactSum, type SumState } from './exact-sum';
import { count, record } from './partial-state';

export type MovementKind = 'new' | 'reactivation' | 'churned' | 'expansion' | 'contraction' | 'newChurned' | 'none';

export interface Movement {
  kind: MovementKind;
  /** MRR moved (≥ 0); 0 for `newChurned` and `none`. */
  amount: number;
}

/**
 * Classifies a customer's period from its open and close MRR (both already clamped: inactive = 0).
 * `activeBefore`: active on some day before the period; `activeDuring`: active on some day within it.
 */
export function classifyMovement(open: number, close: number, activeBefore: boolean, activeDuring: boolean): Movement {
  if (open > 0) {
    if (close === 0) return { kind: 'churned', amount: open };
    if (close > open) return { kind: 'expansion', amount: close - open };
    if (close < open) return { kind: 'contraction', amount: open - close };
    return { kind: 'none', amount: 0 };
  }
  if (close > 0) return activeBefore ? { kind: 'reactivation', amount: close } : { kind: 'new', amount: close };
  if (activeDuring && !activeBefore) return { kind: 'newChurned', amount: 0 };
  return { kind: 'none', amount: 0 };
}

export interface MovementTotals {
  customers: { start: number; new: number; reactivated: number; churned: number; newChurned: number; end: number };
  mrr: { start: number; new: number; expansion: number; contraction: number; churned: number; reactivation: number; end: number };
}

type MrrKey = Exclude<keyof MovementTotals['mrr'], 'end'>;
type MrrSums = Record<MrrKey, ExactSum>;
const MRR_KEYS: readonly MrrKey[] = ['start', 'new', 'expansion', 'contraction', 'churned', 'reactivation'];
const CUSTOMER_KEYS: readonly (keyof MovementTotals['customers'])[] = ['start', 'new', 'reactivated', 'churned', 'newChurned', 'end'];

/** MovementSums as JSON-safe data, to merge in another process (see SnapshotPartial). */
export interface MovementState {
  customers: MovementTotals['customers'];
  mrr: Record<MrrKey, SumState>;
}

/** The period's movement totals, customer by customer, with exact sums (the same in any order of customers). */
export class MovementSums {
  private readonly customers: MovementTotals['customers'] = { start: 0, new: 0, reactivated: 0, churned: 0, newChurned: 0, end: 0 };
  private readonly mrr: MrrSums = {
    start: new ExactSum(),
    new: new ExactSum(),
    expansion: new ExactSum(),
    contraction: new ExactSum(),
    churned: new ExactSum(),
    reactivation: new ExactSum(),
  };

  add(open: number, close: number, movement: Movement): void {
    const { customers, mrr } = this;
    if (open > 0) {
      customers.start++;
      mrr.start.add(open);
    }
    if (close > 0) customers.end++;
    switch (movement.kind) {
      case 'new':
        customers.new++;
        mrr.new.add(movement.amount);
        break;
      case 'reactivation':
        customers.reactivated++;
        mrr.reactivation.add(movement.amount);
        break;
      case 'churned':
        customers.churned++;
        mrr.churned.add(movement.amount);
        break;
      case 'expansion':
        mrr.expansion.add(movement.amount);
        break;
      case 'contraction':
        mrr.contraction.add(movement.amount);
        break;
      case 'newChurned':
        customers.newChurned++;
        break;
      case 'none':
        break;
    }
  }

  toState(): MovementState {
    return {
      customers: { ...this.customers },
      mrr: Object.fromEntries(MRR_KEYS.map((k) => [k, this.mrr[k].toState()])) as MovementState['mrr'],
    };
  }

  /** Reads a `toState()` back from JSON; throws naming `at` when it is not one. */
  static fromState(value: unknown, at: string): MovementSums {
    const state = record(value, at);
    const customers = record(state.customers, `${at}.customers`);
    const mrr = record(state.mrr, `${at}.mrr`);
    const sums = new MovementSums();
    for (const k of CUSTOMER_KEYS) sums.customers[k] = count(customers[k], `${at}.customers.${k}`);
    for (const k of MRR_KEYS) sums.mrr[k].merge(ExactSum.fromState(mrr[k], `${at}.mrr.${k}`));
    return sums;
  }

  /** Adds another part's customers' movements (exactly: the sums merge their partials). */
  merge(other: MovementSums): void {
    for (const k of CUSTOMER_KEYS) this.customers[k] += other.customers[k];
    for (const k of MRR_KEYS) this.mrr[k].merge(other.mrr[k]);
  }

  totals(): MovementTotals {
    const m = this.mrr;
    const mrr = {
      start: m.start.value(),
      new: m.new.value(),
      expansion: m.expansion.value(),
      contraction: m.contraction.value(),
      churned: m.churned.value(),
      reactivation: m.reactivation.value(),
    };
    return { customers: { ...this.customers }, mrr: { ...mrr, end: endByIdentity(mrr) } };
  }
}

/**
 * docs/metrics.md §3.2 requires `end = start + new + expansion + reactivation − contraction − churned` exactly.
 * Summing closing MRR customer by customer gives the same value only up to float rounding (~1e-11),
 * so the reported end is the identity's own sum, evaluated in the formula's order (the exactness
 * tests compare it with Σ close of an independent reference).
 */
export function endByIdentity(m: Omit<MovementTotals['mrr'], 'end'>): number {
  return m.start + m.new + m.expansion + m.reactivation - m.contraction - m.churned;
}
