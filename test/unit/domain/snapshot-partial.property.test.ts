import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SnapshotBuilder } from '../../../lambdas/domain/snapshot';
import type { CustomerTimeline } from '../../../lambdas/domain/types';
import { propertyRuns } from '../../support/property-runs';
import { bookArb, makeBook, shuffled } from './books';

/**
 * Plans, reasons and currencies are data from exports: some customers get names that are also
 * Object.prototype's, which must stay data through the JSON of a part and the merge.
 */
function withAwkwardNames(customers: CustomerTimeline[]): CustomerTimeline[] {
  const plan: Record<string, string> = { starter: '__proto__', growth: 'constructor' };
  return customers.map((c, i) =>
    i % 3 !== 0
      ? c
      : {
          ...c,
          lines: c.lines?.map((l) => ({
            ...l,
            plan: l.plan === undefined ? undefined : (plan[l.plan] ?? l.plan),
            currency: l.currency === 'EUR' && i % 2 === 0 ? '__proto__' : l.currency,
          })),
          cancellations: c.cancellations?.map((x) => ({ ...x, reason: x.reason ? '__proto__' : 'toString' })),
        },
  );
}

type Message = { state: string } | { row: string };

describe('SnapshotBuilder in parts', () => {
  it('merges parts into exactly the snapshot one builder fed all customers gives', () => {
    fc.assert(
      fc.property(
        bookArb,
        fc.integer({ min: 1, max: 6 }),
        fc.infiniteStream(fc.nat()),
        fc.integer(),
        fc.boolean(),
        (b, k, picks, messageOrder, awkward) => {
          const book = makeBook(b);
          const customers = awkward ? withAwkwardNames(book.customers) : book.customers;
          const whole = new SnapshotBuilder(book.settings, b.asOf, book.forecast);
          for (const c of customers) whole.add(c);

          // Any split, parts may be empty; each part is carried as JSON text, as through S3.
          const parts = Array.from({ length: k }, () => new SnapshotBuilder(book.settings, b.asOf, book.forecast));
          const pick = picks[Symbol.iterator]();
          for (const c of customers) parts[pick.next().value! % k]!.add(c);
          const messages: Message[] = parts.flatMap((p) => [
            { state: JSON.stringify(p.partialState()) },
            ...[...p.partialRows()].map((row) => ({ row })),
          ]);
          for (const m of messages) if ('row' in m) expect(m.row).not.toContain('\n');

          // The merge sees states and rows in any order, interleaved across parts.
          const merged = new SnapshotBuilder(book.settings, b.asOf, book.forecast);
          for (const m of shuffled(messages, messageOrder)) {
            if ('state' in m) merged.mergeState(JSON.parse(m.state));
            else merged.mergeRow(m.row);
          }

          const expected = whole.finishParts();
          const got = merged.finishParts();
          expect(got.summary).toEqual(expected.summary);
          // Bit for bit: JSON writes the shortest text that reads back to the same double.
          expect(JSON.stringify(got.summary)).toBe(JSON.stringify(expected.summary));
          expect([...got.atRisk.texts()]).toEqual([...expected.atRisk.texts()]);
          expect(merged.bands()).toEqual(whole.bands());
          expect(merged.size).toBe(whole.size);
        },
      ),
      { numRuns: propertyRuns(150) },
    );
  });

  it('round-trips a part through JSON exactly', () => {
    fc.assert(
      fc.property(bookArb, fc.boolean(), (b, awkward) => {
        const book = makeBook(b);
        const part = new SnapshotBuilder(book.settings, b.asOf, book.forecast);
        for (const c of awkward ? withAwkwardNames(book.customers) : book.customers) part.add(c);
        const state = part.partialState();
        expect(JSON.parse(JSON.stringify(state))).toEqual(state);
        // A part merged into an empty builder is that part again, state and rows.
        const copy = new SnapshotBuilder(book.settings, b.asOf, book.forecast);
        copy.mergeState(JSON.parse(JSON.stringify(state)));
        for (const row of part.partialRows()) copy.mergeRow(row);
        // (Its sums' partials may be written differently; the totals they stand for are the same.)
        expect(JSON.stringify(copy.finishParts().summary)).toBe(JSON.stringify(part.finishParts().summary));
        expect([...copy.finishParts().atRisk.texts()]).toEqual([...part.finishParts().atRisk.texts()]);
      }),
      { numRuns: propertyRuns(50) },
    );
  });
});
