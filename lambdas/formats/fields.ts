import { isRealDay, utcDay } from '../domain/dates';
import { RowError } from './errors';

/**
 * Field validators shared by every reader. They are hand-written rather than zod schemas because
 * they run once per field of millions of rows; `schemas.ts` keeps the zod description of the
 * resulting records, and the tests check every record produced against it.
 * Each throws a RowError whose reason names the field and the problem.
 */

/**
 * Ids are DynamoDB key material (`CUST#<customer>`, `LINE#<invoice>#<line>`, keys at most 1,024 bytes
 * for a sort key), so their bound is in UTF-8 bytes: 256 characters of Japanese are 768 bytes, and two
 * of them plus the prefixes would not fit a sort key. Names and texts are values, bounded in characters.
 */
export const MAX_ID = 256;
export const MAX_NAME = 512;
export const MAX_TEXT = 2000;
/** Local part and domain as SMTP allows (RFC 5321: a path of at most 256 octets, 254 usable). */
export const MAX_EMAIL_BYTES = 254;
/**
 * The largest magnitude a JavaScript number (and the DynamoDB document client) holds exactly. An
 * amount beyond it would be silently rounded, or make the client throw and lose the whole file.
 */
export const MAX_EXACT_AMOUNT = Number.MAX_SAFE_INTEGER;

const quote = (v: string): string => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);

/** Whether trim() could change `s`: false when both ends are printable ASCII, as almost every field's are. */
function needsTrim(s: string): boolean {
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(s.length - 1);
  return !(a > 32 && a < 127 && b > 32 && b < 127);
}

/** Trimmed string or undefined (empty = absent). Numbers and booleans are accepted as their text (JSONL). */
export function optionalText(value: unknown, field: string, maxLength: number): string | undefined {
  let s: string;
  if (typeof value === 'string') s = needsTrim(value) ? value.trim() : value;
  else if (value === undefined || value === null) return undefined;
  else if (typeof value === 'number' || typeof value === 'boolean') s = String(value);
  else throw new RowError(`${field}: expected text, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  if (s === '') return undefined;
  if (s.length > maxLength) throw new RowError(`${field} is ${s.length} characters long (at most ${maxLength})`);
  return s;
}

export function requiredText(value: unknown, field: string, maxLength: number): string {
  const s = optionalText(value, field, maxLength);
  if (s === undefined) throw new RowError(`${field} is missing`);
  return s;
}

// C0 controls (NUL, ESC, U+001F, ...) and DEL have no business in an id, and a lone surrogate (JSON can
// carry "\ud800") would be replaced by U+FFFD on its way to DynamoDB: two different ids, one key.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const ID_FORBIDDEN = /[\u0000-\u001f\u007f\ud800-\udfff]/u;

function describeForbidden(s: string): string {
  const m = ID_FORBIDDEN.exec(s)!;
  const code = m[0].charCodeAt(0);
  const what = code === 0 ? 'a NUL byte' : code >= 0xd800 ? 'a lone surrogate' : 'a control character';
  return `${what} (U+${code.toString(16).toUpperCase().padStart(4, '0')}) at character ${m.index + 1}`;
}

/** UTF-8 length of `s`, computed only when it could exceed `max` (3 bytes per UTF-16 unit at most). */
const overBytes = (s: string, max: number): number => (s.length * 3 <= max ? 0 : Math.max(0, Buffer.byteLength(s, 'utf8') - max));

/** An identifier: text of at most MAX_ID UTF-8 bytes with no control character, or undefined when empty. */
export function optionalId(value: unknown, field: string): string | undefined {
  const s = optionalText(value, field, MAX_ID);
  if (s === undefined) return undefined;
  if (overBytes(s, MAX_ID) > 0) {
    throw new RowError(
      `${field} is ${Buffer.byteLength(s, 'utf8')} bytes long in UTF-8 (at most ${MAX_ID} bytes: it is part of a database key)`,
    );
  }
  if (ID_FORBIDDEN.test(s)) throw new RowError(`${field} ${quote(s)} contains ${describeForbidden(s)}`);
  return s;
}

export function requiredId(value: unknown, field: string): string {
  const s = optionalId(value, field);
  if (s === undefined) throw new RowError(`${field} is missing`);
  return s;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The value of decimal text `^[+-]?(\d+(\.\d*)?|\.\d+)$`, or NaN when `s` is not one. Hand-written
 * because it runs on every amount of every row: up to 15 digits, the digits as an integer divided by a
 * power of ten is exact input to one correctly rounded division, so it equals Number(s); longer ones
 * fall back to Number(s).
 */
export function parseDecimal(s: string): number {
  const n = s.length;
  const first = s.charCodeAt(0);
  let i = first === 43 /* + */ || first === 45 /* - */ ? 1 : 0;
  let digits = 0;
  let fraction = -1;
  let m = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
    } else if (c === 46 /* . */ && fraction === -1) fraction = 0;
    else return NaN;
    if (fraction !== -1 && c !== 46) fraction++;
  }
  if (digits === 0) return NaN;
  if (digits > 15) return Number(s);
  const v = fraction > 0 ? m / POW10[fraction]! : m;
  return first === 45 ? -v : v;
}

/** A decimal in major units: a JSON number or a plain decimal string ("99.00", "-12.5"). */
export function amountValue(value: unknown, field: string): number {
  let n: number;
  let shown: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RowError(`${field}: ${value} is not a finite number`);
    n = value;
    shown = String(value);
  } else {
    const s = optionalText(value, field, 64);
    if (s === undefined) throw new RowError(`${field} is missing`);
    n = parseDecimal(s);
    if (Number.isNaN(n)) throw new RowError(`${field}: ${quote(s)} is not a number`);
    shown = s;
  }
  if (n > MAX_EXACT_AMOUNT || n < -MAX_EXACT_AMOUNT) {
    throw new RowError(`${field}: ${quote(shown)} is beyond ±9007199254740991 (2^53 − 1), the largest magnitude stored exactly`);
  }
  return n;
}

export function optionalPositiveNumber(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  const n = amountValue(value, field);
  if (!(n > 0)) throw new RowError(`${field}: ${quote(String(value).trim())} is not a positive number`);
  return n;
}

const ISO_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** ISO 4217 code, upper case, which must be convertible to the reporting currency. */
export function currencyValue(value: unknown, field: string, reporting: string, fxRates: Record<string, number>): string {
  const raw = requiredText(value, field, 16);
  const code = raw.toUpperCase();
  if (!ISO_CURRENCIES.has(code)) throw new RowError(`${field} ${quote(raw)} is not an ISO 4217 code`);
  if (code !== reporting && fxRates[code] === undefined) {
    throw new RowError(`${field} ${quote(code)} has no FX rate to ${reporting} (add it to fxRates)`);
  }
  return code;
}

/**
 * currencyValue, remembering the spellings a file uses. Files use one to a few: a short list compared
 * with === beats hashing every row's fresh string into a Map.
 */
export class CurrencyParser {
  private readonly raws: string[] = [];
  private readonly codes: string[] = [];
  constructor(
    private readonly reporting: string,
    private readonly fxRates: Record<string, number>,
  ) {}

  required(value: unknown, field: string): string {
    if (typeof value === 'string') {
      for (let i = 0; i < this.raws.length; i++) if (this.raws[i] === value) return this.codes[i]!;
    }
    const code = currencyValue(value, field, this.reporting, this.fxRates);
    if (typeof value === 'string' && this.raws.length < 16) {
      this.raws.push(value);
      this.codes.push(code);
    }
    return code;
  }
}

/** Years before 1000 are typing slips (`0000-01-01`), not billing history: cohorts would read "0-01". */
const MIN_YEAR = 1000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};

/** `YYYY-MM-DD` naming a real day (what PLAIN_DAY plus realDate accept), without a regex or allocation. */
export function isRealPlainDay(s: string): boolean {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const m = digit(s, 5) * 10 + digit(s, 6);
  const d = digit(s, 8) * 10 + digit(s, 9);
  // NaN (a non-digit) fails every comparison in realDate.
  return y === y && isRealDay(y, m, d);
}

const PLAIN_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
// Date, then a time, then an optional zone: "2026-02-01T10:00:00Z", "2026-02-01T10:00+02:00".
const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
// Stripe Dashboard exports: "2026-02-01 10:00" or "2026-02-01 10:00:00", UTC.
const SPACED_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const UNIX_SECONDS = /^\d{9,11}$/;

export interface DateOptions {
  /** Also accept Stripe's `YYYY-MM-DD HH:MM[:SS]` (UTC) and unix seconds. */
  stripe: boolean;
}

/** Parses one date field to its UTC day, `YYYY-MM-DD`. Throws a RowError naming the field. */
function parseDay(s: string, field: string, opts: DateOptions): string {
  const day = parseDayUnchecked(s, field, opts);
  if (+day.slice(0, 4) < MIN_YEAR) throw new RowError(`${field}: ${quote(s)} is before the year ${MIN_YEAR}`);
  return day;
}

function parseDayUnchecked(s: string, field: string, opts: DateOptions): string {
  let m = PLAIN_DAY.exec(s);
  if (m) {
    if (!isRealDay(+m[1]!, +m[2]!, +m[3]!)) throw new RowError(`${field}: ${quote(s)} is not a real date`);
    return s;
  }
  m = ISO_TIMESTAMP.exec(s) ?? (opts.stripe ? SPACED_TIMESTAMP.exec(s) : null);
  if (m) {
    const [y, mo, d, h, mi, sec] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] === undefined ? 0 : +m[6]];
    if (!isRealDay(y, mo, d) || h > 23 || mi > 59 || sec > 59) {
      throw new RowError(`${field}: ${quote(s)} is not a real date`);
    }
    const zone = m[7];
    if (zone === undefined || zone.toUpperCase() === 'Z') return `${m[1]}-${m[2]}-${m[3]}`;
    const ms = Date.parse(
      `${m[1]}-${m[2]}-${m[3]}T${pad2(h)}:${pad2(mi)}:${pad2(sec)}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`,
    );
    if (Number.isNaN(ms)) throw new RowError(`${field}: ${quote(s)} is not a real date`);
    return utcDay(ms);
  }
  if (opts.stripe && UNIX_SECONDS.test(s)) return utcDay(Number(s) * 1000);
  const accepted = opts.stripe
    ? 'YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], an ISO-8601 timestamp or unix seconds'
    : 'YYYY-MM-DD or an ISO-8601 timestamp';
  throw new RowError(`${field}: ${quote(s)} is not a date (expected ${accepted})`);
}

/**
 * Date parser with a small cache: exports repeat the same few period boundaries on millions of
 * rows, so most lookups hit. The cache is cleared when full to keep memory bounded.
 */
export class DayParser {
  private readonly cache = new Map<string, string>();
  constructor(private readonly opts: DateOptions) {}

  optional(value: unknown, field: string): string | undefined {
    // Most dates are plain days: checked in place, no hashing of the fresh string into the cache.
    // (A year starting with 0 takes the slow path, which rejects years before MIN_YEAR.)
    if (typeof value === 'string' && value.length === 10 && value.charCodeAt(0) !== 48 && isRealPlainDay(value)) return value;
    if (typeof value === 'number' && this.opts.stripe) value = String(value);
    const s = optionalText(value, field, 64);
    if (s === undefined) return undefined;
    const hit = this.cache.get(s);
    if (hit !== undefined) return hit;
    const day = parseDay(s, field, this.opts);
    if (this.cache.size >= 4096) this.cache.clear();
    this.cache.set(s, day);
    return day;
  }

  required(value: unknown, field: string): string {
    const day = this.optional(value, field);
    if (day === undefined) throw new RowError(`${field} is missing`);
    return day;
  }
}

/**
 * The address a digest is sent to, so strict: the WHATWG HTML `type=email` grammar (ASCII dot-atom
 * local part, LDH domain labels) with at least one dot in the domain. `"><svg/onload=…>@evil.com`,
 * quotes, angle brackets, spaces, control bytes and display names ("Ann <ann@x.com>") are refused.
 */
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isEmailAddress(s: string): boolean {
  return s.length <= MAX_EMAIL_BYTES && EMAIL.test(s);
}

export function optionalEmail(value: unknown, field: string): string | undefined {
  const s = optionalText(value, field, MAX_NAME);
  if (s !== undefined && !isEmailAddress(s)) throw new RowError(`${field}: ${quote(s)} is not an email address`);
  return s;
}
