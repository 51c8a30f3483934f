/**
 * The at-risk list as CSV for spreadsheets and CRMs. RFC 4180: comma-separated, CRLF line ends (the
 * RFC's, and what Excel writes), a header row, fields quoted only when they hold a comma, quote, CR or
 * LF, quotes doubled. No BOM, so the bytes start with the header; UTF-8 throughout.
 *
 * Spreadsheets execute a cell that starts with = + - @ (or tab / CR) as a formula, and customer names
 * come from billing exports anyone can type into; such text cells get a leading single quote (OWASP's
 * CSV-injection advice). Numbers are written as numbers and never prefixed, so a negative amount stays
 * a number.
 */
import type { AtRiskCustomer, Snapshot } from '../domain/types';

export const AT_RISK_CSV_COLUMNS = [
  'customerId',
  'name',
  'owner',
  'tier',
  'plan',
  'mrr',
  'mrrPrevious',
  'riskScore',
  'frequency',
  'reasons',
  'details',
  'churnProbability',
  'band',
  'factors',
] as const;

const EOL = '\r\n';
const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell, neutralised against formula injection and quoted when RFC 4180 requires it. */
export function csvText(value: string | null | undefined): string {
  let text = value ?? '';
  if (FORMULA_START.test(text)) text = `'${text}`;
  return quoteIfNeeded(text);
}

/** A numeric cell: the shortest exact decimal JavaScript prints; empty for a missing or non-finite value. */
export function csvNumber(value: number | null | undefined): string {
  return value == null || !Number.isFinite(value) ? '' : String(value);
}

function quoteIfNeeded(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderAtRiskCsv(snapshot: Pick<Snapshot, 'atRisk'>): string {
  return [...atRiskCsvChunks(snapshot.atRisk)].join('');
}

/** The CSV a row at a time (header first), so a list of any length is never one string. */
export function* atRiskCsvChunks(rows: Iterable<AtRiskCustomer>): Generator<string> {
  yield AT_RISK_CSV_COLUMNS.join(',') + EOL;
  for (const c of rows) {
    yield [
      csvText(c.customerId),
      csvText(c.name),
      csvText(c.owner),
      csvText(c.tier),
      csvText(c.plan),
      csvNumber(c.mrr),
      csvNumber(c.mrrPrevious),
      csvNumber(c.riskScore),
      csvText(c.frequency),
      csvText(c.reasons.map((r) => r.code).join(';')),
      csvText(c.reasons.map((r) => r.detail).join('; ')),
      csvNumber(c.churnProbability),
      csvText(c.band),
      csvText(c.factors.map((f) => `${f.code} ${f.points > 0 ? '+' : ''}${f.points}: ${f.detail}`).join('; ')),
    ].join(',') + EOL;
  }
}
