/**
 * Canonical form of a customer's ledger: one version per line identity and per cancelled
 * subscription, in a fixed order. Summing floats in a fixed order is what makes the snapshot
 * bit-for-bit independent of how lines arrive (duplicated, shuffled).
 */
import type { Cancellation, LedgerLine } from './types';

function byKey<T>(items: readonly T[], key: (item: T) => string, before: (a: T, b: T) => boolean): T[] {
  if (items.length <= 1) return items.slice();
  // Fast path: most ledgers arrive without duplicates and already ordered; checking that needs no keys.
  let ordered = true;
  for (let i = 1; i < items.length; i++) {
    if (!before(items[i - 1]!, items[i]!)) {
      ordered = false;
      break;
    }
  }
  if (ordered) return items.slice();
  const latest = new Map<string, T>();
  for (const item of items) latest.set(key(item), item); // last occurrence wins
  return [...latest.values()].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
}

const lineKey = (l: LedgerLine) => `${l.invoiceId}\u0000${l.lineId}`;
/** Strictly before in (invoiceId, lineId) order. */
const lineBefore = (a: LedgerLine, b: LedgerLine) =>
  a.invoiceId < b.invoiceId || (a.invoiceId === b.invoiceId && a.lineId < b.lineId);

/** One line per identity (invoiceId, lineId), the last occurrence winning, ordered by identity. */
export function canonicalLines(lines: readonly LedgerLine[]): LedgerLine[] {
  return byKey(lines, lineKey, lineBefore);
}

/** One cancellation per subscription, the last occurrence winning, ordered by subscription id. */
export function canonicalCancellations(cancellations: readonly Cancellation[]): Cancellation[] {
  return byKey(
    cancellations,
    (c) => c.subscriptionId,
    (a, b) => a.subscriptionId < b.subscriptionId,
  );
}
