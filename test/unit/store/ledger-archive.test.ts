import { describe, expect, it } from 'vitest';
import type { LedgerLine } from '../../../lambdas/domain/types';
import { archiveOldLines, decodeLedger, emptyLedger, encodeLedger, lineIdentity, mergeLine } from '../../../lambdas/store/ledger-state';

const monthly = (i: number, over: Partial<LedgerLine> = {}): LedgerLine => {
  const y = 2016 + Math.floor(i / 12);
  const m = (i % 12) + 1;
  const start = `${y}-${String(m).padStart(2, '0')}-01`;
  const end = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return {
    invoiceId: `in_${i}`,
    lineId: '1',
    amount: 100,
    currency: 'USD',
    periodStart: start,
    periodEnd: end,
    status: 'paid',
    subscriptionId: 's',
    ...over,
  };
};

describe('archiving a long ledger history', () => {
  const history = () => {
    const state = emptyLedger();
    mergeLine(state, monthly(0, { status: 'void' }), 1); // 2016-01: counts no MRR
    for (let i = 1; i < 120; i++) mergeLine(state, monthly(i), 1); // 2016-02 … 2025-12
    return state;
  };

  it('keeps the last 15 months of lines and remembers the first active day of the rest', () => {
    const state = history();
    const archived = archiveOldLines(state);
    const kept = [...state.lines.values()].map((v) => v.value.periodStart).sort();
    // The latest line ends 2026-01-01; lines ending before 2024-10-01 are archived.
    expect(kept[0]).toBe('2024-09-01');
    expect(kept).toHaveLength(16);
    expect(archived).toBe(120 - 16);
    expect(state.archive.firstActiveDay).toBe('2016-02-01');
    expect(state.archive.hashes.size).toBe(archived);
  });

  it('treats an archived line repeated by a cumulative export as unchanged, and a corrected one as new', () => {
    const state = history();
    archiveOldLines(state);
    expect(mergeLine(state, monthly(5), 2)).toBe('unchanged');
    expect(state.lines.has(lineIdentity(monthly(5)))).toBe(false);
    expect(mergeLine(state, monthly(5, { status: 'refunded' }), 2)).toBe('ingested');
  });

  it('survives the profile encoding, and shrinks it', () => {
    const state = history();
    const before = encodeLedger(state).length;
    archiveOldLines(state);
    const text = encodeLedger(state);
    expect(text.length).toBeLessThan(before / 2);
    expect(decodeLedger(text)).toEqual(state);
  });

  it('remembers on which month ends the archived lines made the customer active', () => {
    const state = history();
    // A gap: the 2018 lines voided, so no MRR at the end of those months (a refund would still count).
    for (let i = 24; i < 36; i++) mergeLine(state, monthly(i, { status: 'void' }), 2);
    archiveOldLines(state);
    const { from, bits } = state.archive.monthEnds!;
    expect(from).toBe('2016-02');
    // 2016-02 … 2017-12 active (23 months), 2018 not (12), then active again until the archive ends.
    expect(bits.slice(0, 23)).toBe('1'.repeat(23));
    expect(bits.slice(23, 35)).toBe('0'.repeat(12));
    expect(bits.slice(35)).toMatch(/^1+$/);
  });
});
