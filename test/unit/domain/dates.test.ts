import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  addMonthsClamped,
  dayFromNum,
  dayNum,
  isRealDay,
  monthEndNum,
  monthIndexOfNum,
  monthKey,
  monthStartNum,
  utcDay,
} from '../../../lambdas/domain/dates';
import { propertyRuns } from '../../support/property-runs';

describe('day arithmetic', () => {
  it('agrees with Date.UTC on every day of 1900–2200', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }), (ms) => {
        const iso = new Date(ms).toISOString().slice(0, 10);
        const n = dayNum(iso);
        expect(n).toBe(Math.floor(ms / 86_400_000));
        expect(dayFromNum(n)).toBe(iso);
      }),
    );
  });

  it('counts days across month, leap-year and year boundaries', () => {
    expect(dayNum('2024-03-01') - dayNum('2024-02-28')).toBe(2);
    expect(dayNum('2023-03-01') - dayNum('2023-02-28')).toBe(1);
    expect(dayNum('2025-01-01') - dayNum('2024-01-01')).toBe(366);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('rejects things that are not days', () => {
    expect(() => dayNum('2026-13-01')).toThrow(RangeError);
    expect(() => dayNum('2026-02-29')).toThrow(RangeError);
    expect(() => dayNum('26-1-1')).toThrow(RangeError);
    expect(dayNum('2026-01-05T10:00:00Z')).toBe(dayNum('2026-01-05'));
  });

  it('shifts by calendar months, clamping to the month end', () => {
    expect(addMonthsClamped('2024-02-29', -12)).toBe('2023-02-28');
    expect(addMonthsClamped('2026-03-31', -1)).toBe('2026-02-28');
    expect(addMonthsClamped('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonthsClamped('2026-11-15', -12)).toBe('2025-11-15');
    expect(addMonthsClamped('2026-01-15', -13)).toBe('2024-12-15');
  });

  it('numbers months consecutively and finds their first and last days', () => {
    const feb = monthIndexOfNum(dayNum('2024-02-10'));
    expect(monthIndexOfNum(dayNum('2024-03-01'))).toBe(feb + 1);
    expect(monthIndexOfNum(dayNum('2023-12-31'))).toBe(feb - 2);
    expect(dayFromNum(monthStartNum(feb))).toBe('2024-02-01');
    expect(dayFromNum(monthEndNum(feb))).toBe('2024-02-29');
    expect(monthKey(feb)).toBe('2024-02');
    expect(monthKey(feb - 2)).toBe('2023-12');
  });
});

describe('utcDay and isRealDay agree with Date', () => {
  it('gives the UTC day of any instant, before and after 1970', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }), (ms) => {
        expect(utcDay(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
      }),
      { numRuns: propertyRuns(2000) },
    );
    expect(utcDay(-1)).toBe('1969-12-31');
    expect(utcDay(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe('2024-02-29');
  });

  it('accepts exactly the calendar days', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (y, m, d) => {
        const date = new Date(Date.UTC(y, m - 1, d));
        const real = m >= 1 && m <= 12 && d >= 1 && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
        expect(isRealDay(y, m, d)).toBe(real);
      }),
      { numRuns: propertyRuns(2000) },
    );
    expect([isRealDay(2024, 2, 29), isRealDay(2023, 2, 29), isRealDay(1900, 2, 29), isRealDay(2000, 2, 29)]).toEqual([
      true,
      false,
      false,
      true,
    ]);
  });
});
