/**
 * Canonical form of a customer's ledger: one version per line identity and per cancelled
 * subscription, in a fixed order. Summing floats in a fixed order is what makes the snapshot
 * bit-for-bit independent of how lines arrive (duplicated, shuffled).
 */
import type { Cancellation, LedgerLine } from './types';

function byKey<T>(items: readonly T[], before: (a: T, b: T) => boolean): T[] {
  if (items.length <= 1) return items.slice();
  // Fast path: most ledgers arrive without duplicates and already ordered.
  let ordered = true;
  for (let i = 1; i < items.length; i++) {
    if (!before(items[i - 1]!, items[i]!)) {
      ordered = false;
      break;
    }
  }
  if (ordered) return items.slice();
  // A stable sort keeps equal identities in arrival order, so the last of each run is the last occurrence.
  const sorted = items.slice().sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const out: T[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const next = sorted[i + 1];
    if (next === undefined || before(sorted[i]!, next)) out.push(sorted[i]!);
  }
  return out;
}

/** Strictly before in (invoiceId, lineId) order. */
const lineBefore = (a: LedgerLine, b: LedgerLine) => a.invoiceId < b.invoiceId || (a.invoiceId === b.invoiceId && a.lineId < b.lineId);

/** One line per identity (invoiceId, lineId), the last occurrence winning, ordered by identity. */
export function canonicalLines(lines: readonly LedgerLine[]): LedgerLine[] {
  return byKey(lines, lineBefore);
}

/** One cancellation per subscription, the last occurrence winning, ordered by subscription id. */
export function canonicalCancellations(cancellations: readonly Cancellation[]): Cancellation[] {
  return byKey(cancellations, (a, b) => a.subscriptionId < b.subscriptionId);
}
