import * as z from 'zod';
import { daysInMonth, utcDay } from '../domain/dates';
import type { Day } from '../domain/types';

/** Usage event format (docs/metrics.md §2): the request envelope and the event objects, also used by JSONL bulk loads. */

export const MAX_EVENTS_PER_REQUEST = 1000;
/** API Gateway request payloads are limited to 1 MB; we use the same limit, in bytes. */
export const MAX_REQUEST_BYTES = 1_048_576;
export const MAX_EVENT_COUNT = 1_000_000;
/** Events may be stamped up to one day ahead (clock skew, time zones); later ones are rejected. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

/** A usage event as clients send it (docs/metrics.md §2), before validation. */
export interface UsageEventInput {
  eventId: string;
  customerId: string;
  feature: string;
  timestamp: string;
  userId?: string;
  count?: number;
}

export interface UsageEvent {
  eventId: string;
  customerId: string;
  feature: string;
  /** The timestamp as sent. */
  timestamp: string;
  /** Its UTC calendar day. */
  day: Day;
  userId?: string;
  count: number;
}

// DynamoDB rejects strings that are not valid UTF-8; JSON can carry lone surrogates ("\ud800").
const LONE_SURROGATE = /\p{Cs}/u;
// NUL, ESC, U+001F and the other C0 controls (and DEL) are no part of an id or a feature name.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Ids and feature names are key material (`CUST#<customerId>`) and attribute names (`f:<feature>`),
 * so their bounds are in UTF-8 bytes, as DynamoDB counts them.
 */
const text = (maxBytes: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .min(1, 'must not be empty')
    .refine((s) => s.length * 3 <= maxBytes || Buffer.byteLength(s, 'utf8') <= maxBytes, `must be at most ${maxBytes} bytes in UTF-8`)
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode (no lone surrogate)')
    .refine((s) => !CONTROL.test(s), 'must not contain control characters (NUL, ESC, U+001F, …)');

export const MAX_EVENT_ID_BYTES = 256;
export const MAX_FEATURE_BYTES = 128;

const eventShape = z.object({
  eventId: text(MAX_EVENT_ID_BYTES),
  customerId: text(MAX_EVENT_ID_BYTES),
  feature: text(MAX_FEATURE_BYTES),
  timestamp: z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') }),
  userId: text(MAX_EVENT_ID_BYTES).nullish(),
  count: z
    .number({ error: 'must be a positive integer' })
    .int('must be a positive integer')
    .positive('must be a positive integer')
    .max(MAX_EVENT_COUNT, `must be at most ${MAX_EVENT_COUNT}`)
    .nullish(),
});

/** The request body of `POST /events`. Events stay `unknown` here: each is validated on its own. */
export const usageRequestSchema = z.object({ events: z.array(z.unknown()) });

const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Milliseconds since the epoch of an ISO-8601 date-time with an explicit offset (`Z` or `±hh:mm`),
 * or undefined when it is not one (impossible calendar dates such as Feb 30 included).
 */
export function parseIsoTimestamp(value: string): number | undefined {
  const m = ISO_TIMESTAMP.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day > daysInMonth(year, month)) return undefined;
  let offsetMinutes = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

export type EventValidation = { ok: true; event: UsageEvent } | { ok: false; reason: string };

function quote(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Validates one event object. The reason names the field, e.g.
 * `timestamp: "2026-13-01T00:00:00Z" is not a valid ISO-8601 timestamp`.
 */
export function validateUsageEvent(raw: unknown, now: Date): EventValidation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'event: must be a JSON object' };
  }
  const parsed = eventShape.safeParse(raw);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`);
    return { ok: false, reason: [...new Set(reasons)].join('; ') };
  }
  const e = parsed.data;
  const epochMs = parseIsoTimestamp(e.timestamp);
  if (epochMs === undefined) {
    return {
      ok: false,
      reason: `timestamp: ${quote(e.timestamp)} is not a valid ISO-8601 timestamp with a UTC offset (e.g. "2026-11-24T10:15:00Z")`,
    };
  }
  if (epochMs > now.getTime() + MAX_FUTURE_MS) {
    return { ok: false, reason: `timestamp: ${quote(e.timestamp)} is more than 1 day in the future` };
  }
  const event: UsageEvent = {
    eventId: e.eventId,
    customerId: e.customerId,
    feature: e.feature,
    timestamp: e.timestamp,
    day: utcDay(epochMs),
    count: e.count ?? 1,
  };
  if (e.userId != null) event.userId = e.userId;
  return { ok: true, event };
}

/** Why `value` cannot be an id (customerId, userId: key material), or undefined when it can. */
export function idProblem(value: string): string | undefined {
  const r = text(MAX_EVENT_ID_BYTES).safeParse(value);
  return r.success ? undefined : r.error.issues[0]!.message;
}
