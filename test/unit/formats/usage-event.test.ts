import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_EVENT_COUNT, parseIsoTimestamp, usageRequestSchema, validateUsageEvent } from '../../../lambdas/formats/usage-event';

const NOW = new Date('2026-11-24T12:00:00Z');
const base = { eventId: 'e1', customerId: 'c1', feature: 'search', timestamp: '2026-11-20T10:00:00Z' };

function reasonOf(raw: unknown): string {
  const v = validateUsageEvent(raw, NOW);
  if (v.ok) throw new Error(`expected a rejection for ${JSON.stringify(raw)}`);
  return v.reason;
}

describe('validateUsageEvent', () => {
  it('accepts a minimal event, defaulting count to 1 and deriving the UTC day', () => {
    const v = validateUsageEvent(base, NOW);
    expect(v).toEqual({ ok: true, event: { ...base, day: '2026-11-20', count: 1 } });
  });

  it('keeps userId and count, treats null as absent', () => {
    const v = validateUsageEvent({ ...base, userId: 'u1', count: 7 }, NOW);
    expect(v.ok && v.event.userId).toBe('u1');
    expect(v.ok && v.event.count).toBe(7);
    const n = validateUsageEvent({ ...base, userId: null, count: null }, NOW);
    expect(n.ok && n.event.count).toBe(1);
    expect(n.ok && 'userId' in n.event).toBe(false);
  });

  it('puts timestamps on their UTC day, whatever the offset', () => {
    const day = (timestamp: string) => {
      const v = validateUsageEvent({ ...base, timestamp }, NOW);
      return v.ok ? v.event.day : v.reason;
    };
    expect(day('2026-11-20T23:59:59Z')).toBe('2026-11-20');
    expect(day('2026-11-21T00:00:00Z')).toBe('2026-11-21');
    expect(day('2026-11-21T07:59:59+08:00')).toBe('2026-11-20');
    expect(day('2026-11-21T08:00:00+08:00')).toBe('2026-11-21');
    expect(day('2026-11-20T20:00:00-05:00')).toBe('2026-11-21');
    expect(day('2026-11-20T20:00:00.123456-0500')).toBe('2026-11-21');
    expect(day('2024-02-29T12:00:00Z')).toBe('2024-02-29');
  });

  it('names the field and the value of a bad timestamp', () => {
    expect(reasonOf({ ...base, timestamp: '2026-13-01T00:00:00Z' })).toBe(
      'timestamp: "2026-13-01T00:00:00Z" is not a valid ISO-8601 timestamp with a UTC offset (e.g. "2026-11-24T10:15:00Z")',
    );
    for (const ts of [
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-11-20T24:00:00Z',
      '2026-11-20T10:00:00',
      '2026-11-20',
      'yesterday',
      '',
    ]) {
      expect(reasonOf({ ...base, timestamp: ts })).toMatch(/^timestamp: .* is not a valid ISO-8601 timestamp/);
    }
    expect(reasonOf({ ...base, timestamp: 1732400000 })).toBe('timestamp: must be a string');
  });

  it('rejects timestamps more than one day ahead, accepts old ones', () => {
    expect(validateUsageEvent({ ...base, timestamp: '2026-11-25T12:00:00Z' }, NOW).ok).toBe(true);
    expect(reasonOf({ ...base, timestamp: '2026-11-25T12:00:01Z' })).toBe(
      'timestamp: "2026-11-25T12:00:01Z" is more than 1 day in the future',
    );
    // +14:00 is 14 hours behind in UTC: still within the day.
    expect(validateUsageEvent({ ...base, timestamp: '2026-11-26T01:00:00+14:00' }, NOW).ok).toBe(true);
    expect(validateUsageEvent({ ...base, timestamp: '2001-01-01T00:00:00Z' }, NOW).ok).toBe(true);
  });

  it('names each missing or bad field', () => {
    expect(reasonOf({ customerId: 'c', feature: 'f', timestamp: base.timestamp })).toBe('eventId: is required');
    expect(reasonOf({ ...base, customerId: '' })).toBe('customerId: must not be empty');
    expect(reasonOf({ ...base, customerId: 42 })).toBe('customerId: must be a string');
    expect(reasonOf({ ...base, eventId: 'x'.repeat(257) })).toBe('eventId: must be at most 256 bytes in UTF-8');
    expect(reasonOf({ ...base, feature: 'f'.repeat(129) })).toBe('feature: must be at most 128 bytes in UTF-8');
    expect(reasonOf({ ...base, userId: 'u'.repeat(257) })).toBe('userId: must be at most 256 bytes in UTF-8');
    expect(reasonOf({ ...base, count: 0 })).toBe('count: must be a positive integer');
    expect(reasonOf({ ...base, count: 1.5 })).toBe('count: must be a positive integer');
    expect(reasonOf({ ...base, count: '3' })).toBe('count: must be a positive integer');
    expect(reasonOf({ ...base, count: MAX_EVENT_COUNT + 1 })).toBe(`count: must be at most ${MAX_EVENT_COUNT}`);
    expect(reasonOf({ ...base, customerId: 'bad\ud800' })).toBe('customerId: must be valid Unicode (no lone surrogate)');
    expect(reasonOf([base])).toBe('event: must be a JSON object');
    expect(reasonOf(null)).toBe('event: must be a JSON object');
    expect(reasonOf({})).toContain('customerId: is required');
  });

  it('accepts the longest allowed strings and unicode', () => {
    const v = validateUsageEvent(
      { ...base, eventId: 'e'.repeat(256), customerId: 'Zürich 株式会社 🚀', feature: 'f'.repeat(128), userId: 'u'.repeat(256) },
      NOW,
    );
    expect(v.ok).toBe(true);
  });
});

describe('parseIsoTimestamp', () => {
  it('agrees with Date for any instant written with any offset (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (epochMs, offsetMinutes) => {
          const local = new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseIsoTimestamp(`${local}${offset}`)).toBe(epochMs);
        },
      ),
    );
  });
});

describe('usageRequestSchema', () => {
  it('requires an events array', () => {
    expect(usageRequestSchema.safeParse({ events: [] }).success).toBe(true);
    expect(usageRequestSchema.safeParse({ events: {} }).success).toBe(false);
    expect(usageRequestSchema.safeParse([]).success).toBe(false);
  });
});
