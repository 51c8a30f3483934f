import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LedgerLine } from '../../../lambdas/domain/types';
import { decodeLedger, emptyLedger, encodeLedger, lineIdentity, mergeCancellation, mergeLine } from '../../../lambdas/store/ledger-state';

const line = (over: Partial<LedgerLine> = {}): LedgerLine => ({
  invoiceId: 'in_1',
  lineId: 'li_1',
  amount: 99,
  currency: 'USD',
  periodStart: '2026-01-01',
  periodEnd: '2026-02-01',
  status: 'paid',
  ...over,
});

describe('ledger state', () => {
  it('round-trips lines and cancellations through the compact encoding', () => {
    const state = emptyLedger();
    mergeLine(state, line({ subscriptionId: 'sub_1', plan: 'pro', quantity: 3, issuedAt: '2026-01-01' }), 10);
    mergeLine(state, line({ lineId: 'li_2', periodStart: undefined, periodEnd: undefined, amount: -12.5 }), 11);
    mergeCancellation(state, { subscriptionId: 'sub_1', effectiveAt: '2026-03-01', reason: 'too "expensive"' }, 12);
    const decoded = decodeLedger(encodeLedger(state));
    expect(decoded).toEqual(state);
    expect(decoded.lines.get(lineIdentity(line({ lineId: 'li_2' })))?.value).toEqual({
      invoiceId: 'in_1',
      lineId: 'li_2',
      amount: -12.5,
      currency: 'USD',
      status: 'paid',
    });
  });

  it('counts an identical line as unchanged and a corrected one as ingested', () => {
    const state = emptyLedger();
    expect(mergeLine(state, line(), 100)).toBe('ingested');
    expect(mergeLine(state, line(), 100)).toBe('unchanged');
    expect(mergeLine(state, line(), 200)).toBe('refreshed');
    expect(mergeLine(state, line({ amount: 120 }), 300)).toBe('ingested');
    expect(state.lines.get(lineIdentity(line()))).toEqual({ value: line({ amount: 120 }), at: 300 });
  });

  it('keeps the version from the later file when an older file arrives late', () => {
    const state = emptyLedger();
    mergeLine(state, line({ status: 'refunded' }), 500);
    expect(mergeLine(state, line({ status: 'paid' }), 400)).toBe('unchanged');
    expect(state.lines.get(lineIdentity(line()))?.value.status).toBe('refunded');
  });

  it('lets a later row of the same file replace an earlier one (same event time)', () => {
    const state = emptyLedger();
    mergeLine(state, line({ amount: 1 }), 7);
    expect(mergeLine(state, line({ amount: 2 }), 7)).toBe('ingested');
    expect(state.lines.get(lineIdentity(line()))?.value.amount).toBe(2);
  });

  const arbLine = fc.record({
    invoiceId: fc.constantFrom('in_1', 'in_2', 'in_#3'),
    lineId: fc.constantFrom('a', 'b'),
    amount: fc.constantFrom(1, 2, -12.5),
    currency: fc.constant('USD'),
    status: fc.constantFrom('paid', 'void' as const),
  });

  it("keeps the latest file's version when the same content arrives again in between", () => {
    const state = emptyLedger();
    mergeLine(state, line({ amount: 1 }), 10);
    mergeLine(state, line({ amount: 1 }), 30);
    mergeLine(state, line({ amount: 2 }), 20);
    expect(state.lines.get(lineIdentity(line()))).toEqual({ value: line({ amount: 1 }), at: 30 });
  });

  it('ends in the same state whatever the order of files, and re-applying changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbLine, fc.integer({ min: 1, max: 50 })), { maxLength: 40 }), fc.integer(), (versions, seed) => {
        // Distinct event times per identity make "last file wins" a total order.
        const seen = new Set<string>();
        const unique = versions.filter(([l, at]) => {
          const k = `${lineIdentity(l)}@${at}`;
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
        const inOrder = emptyLedger();
        for (const [l, at] of [...unique].sort((a, b) => a[1] - b[1])) mergeLine(inOrder, l, at);
        const shuffled = emptyLedger();
        const copy = [...unique];
        let s = seed;
        for (let i = copy.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) & 0x7fffffff;
          const j = s % (i + 1);
          [copy[i], copy[j]] = [copy[j]!, copy[i]!];
        }
        for (const [l, at] of copy) mergeLine(shuffled, l, at);
        const values = (st: typeof inOrder) => new Map([...st.lines].map(([k, v]) => [k, v.value]));
        expect(values(shuffled)).toEqual(values(inOrder));
        for (const [l, at] of copy) expect(mergeLine(shuffled, l, at)).toBe('unchanged');
        expect(shuffled).toEqual(inOrder);
      }),
    );
  });
});
