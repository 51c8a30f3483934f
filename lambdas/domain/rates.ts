/** Rates (docs/metrics.md §3.3): fractions, null when the denominator is 0. */
import type { MovementTotals } from './movements';

export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

export interface PeriodRates {
  logoChurnRate: number | null;
  grossMrrChurnRate: number | null;
  netMrrChurnRate: number | null;
  ndr: number | null;
  grr: number | null;
}

export function periodRates({ customers, mrr }: MovementTotals): PeriodRates {
  return {
    logoChurnRate: ratio(customers.churned, customers.start),
    grossMrrChurnRate: ratio(mrr.churned + mrr.contraction, mrr.start),
    netMrrChurnRate: ratio(mrr.churned + mrr.contraction - mrr.expansion, mrr.start),
    ndr: ratio(mrr.start + mrr.expansion - mrr.contraction - mrr.churned, mrr.start),
    grr: ratio(mrr.start - mrr.contraction - mrr.churned, mrr.start),
  };
}

/** 1 − (1 − m)^12: a monthly logo churn rate as if it held for a year. */
export function annualizedFromMonth(monthlyRate: number | null): number | null {
  return monthlyRate === null ? null : 1 - (1 - monthlyRate) ** 12;
}

/** 1 − Π(1 − m_i) over observed monthly rates; months with no customers at start (null) count 0. */
export function compoundChurn(monthlyRates: readonly (number | null)[]): number {
  let survival = 1;
  for (const m of monthlyRates) survival *= 1 - (m ?? 0);
  return 1 - survival;
}
