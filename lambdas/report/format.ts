/**
 * Display formatting shared by the report, the CSV-free views and the digest email. The snapshot keeps
 * money unrounded (docs/metrics.md: round only for display); this is where it gets rounded. The locale is fixed
 * so a report looks the same whichever machine or Lambda renders it.
 */
export const NULL_MARK = '—';
const LOCALE = 'en-US';

const moneyFormats = new Map<string, { whole: Intl.NumberFormat; cents: Intl.NumberFormat }>();

function moneyFormatsFor(currency: string) {
  let f = moneyFormats.get(currency);
  if (!f) {
    const make = (digits: number) => {
      try {
        return new Intl.NumberFormat(LOCALE, {
          style: 'currency',
          currency,
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        });
      } catch {
        // An unknown code (a typo in config) must not break the whole report: show the code as a suffix.
        return new Intl.NumberFormat(LOCALE, { minimumFractionDigits: digits, maximumFractionDigits: digits });
      }
    };
    f = { whole: make(0), cents: make(2) };
    moneyFormats.set(currency, f);
  }
  return f;
}

function isCurrencyStyle(currency: string): boolean {
  return moneyFormatsFor(currency).whole.resolvedOptions().style === 'currency';
}

/**
 * Money for display: cents only where they carry information (a non-whole amount under 1,000), so
 * plan prices read "$99" and "$99.50" and large figures are never cluttered with cents.
 */
export function formatMoney(amount: number | null | undefined, currency: string): string {
  if (amount == null || !Number.isFinite(amount)) return NULL_MARK;
  const f = moneyFormatsFor(currency);
  const cents = Math.round(Math.abs(amount) * 100) % 100 !== 0 && Math.abs(amount) < 1000;
  const text = (cents ? f.cents : f.whole).format(amount);
  return isCurrencyStyle(currency) ? text : `${text} ${currency}`;
}

/** A money change with an explicit sign: "+$120.00", "−$80.00" (a real minus sign), "$0.00". */
export function formatMoneyChange(delta: number, currency: string): string {
  const abs = formatMoney(Math.abs(delta), currency);
  if (Math.abs(delta) < 0.005) return abs;
  return `${delta > 0 ? '+' : '−'}${abs}`;
}

const percent = new Intl.NumberFormat(LOCALE, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 2 });

/** A ratio (0.0345) as a percentage with 1–2 decimals ("3.45%"); null (denominator 0) as "—". */
export function formatRate(rate: number | null | undefined): string {
  if (rate == null || !Number.isFinite(rate)) return NULL_MARK;
  return percent.format(rate);
}

const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
export const formatCount = (n: number): string => integer.format(n);

export const plural = (n: number, singular: string, pluralForm = `${singular}s`): string =>
  `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;

/** Month label for a `YYYY-MM` or `YYYY-MM-DD` string: "Nov 2026". Falls back to the input. */
export function formatMonth(value: string): string {
  const m = /^(\d{4})-(\d{2})/.exec(value);
  if (!m) return value;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  if (Number.isNaN(d.getTime())) return value;
  return d.toLocaleDateString(LOCALE, { month: 'short', year: 'numeric', timeZone: 'UTC' });
}
