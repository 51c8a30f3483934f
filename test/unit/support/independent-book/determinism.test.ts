import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateIndependentBook, type IndependentBook } from '../../../support/independent-book';

function fingerprint(book: IndependentBook): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([book.invoiceLines, book.cancellations, book.customers, book.truth]));
  for (const e of book.usage.events()) hash.update(JSON.stringify(e));
  return hash.digest('hex');
}

describe('independent book: determinism', () => {
  const options = { customers: 100, months: 12, asOf: '2025-06-30' };

  it('gives the same records, events and truth for the same seed', () => {
    expect(fingerprint(generateIndependentBook({ ...options, seed: 42 }))).toBe(
      fingerprint(generateIndependentBook({ ...options, seed: 42 })),
    );
  });

  it('gives a different book for another seed', () => {
    expect(fingerprint(generateIndependentBook({ ...options, seed: 43 }))).not.toBe(
      fingerprint(generateIndependentBook({ ...options, seed: 42 })),
    );
  });

  it('spans exactly the requested history, ending on asOf', () => {
    const book = generateIndependentBook({ ...options, seed: 42 });
    expect(book.truth.historyStart).toBe('2024-07-01');
    expect(book.truth.asOf).toBe('2025-06-30');
    expect(book.customers).toHaveLength(100);
    expect(book.truth.monthly.map((m) => m.month)).toEqual([
      '2024-07',
      '2024-08',
      '2024-09',
      '2024-10',
      '2024-11',
      '2024-12',
      '2025-01',
      '2025-02',
      '2025-03',
      '2025-04',
      '2025-05',
      '2025-06',
    ]);
  });

  it('rejects nonsense options', () => {
    expect(() => generateIndependentBook({ customers: 0 })).toThrow(/customers/);
    expect(() => generateIndependentBook({ months: 1.5 })).toThrow(/months/);
    expect(() => generateIndependentBook({ asOf: '2025-02-30' })).toThrow(/real day/);
  });
});
