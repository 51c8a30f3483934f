import type { BillingRecord } from './records';

export type ReadResult = { ok: true; line: number; record: BillingRecord } | { ok: false; line: number; reason: string; raw: string };

export interface ReadOptions {
  reportingCurrency: string;
  fxRates: Record<string, number>;
  /**
   * Physical line number of the first byte (default 1): a range of a large file starts mid-file, and
   * its rows and errors carry the file's line numbers. A CSV range starts with the file's header lines.
   */
  firstLine?: number;
}

/** Quarantine keeps enough of a bad row to recognise it, not a 1 MB field. */
export const MAX_RAW = 2048;

export const clipRaw = (raw: string): string => (raw.length > MAX_RAW ? `${raw.slice(0, MAX_RAW)}…` : raw);

/** Why a row with bytes that are not UTF-8 is quarantined: decoding would replace them, merging ids. */
export const INVALID_UTF8 = 'the row holds bytes that are not valid UTF-8 (shown as U+FFFD in raw); the export must be UTF-8 encoded';
