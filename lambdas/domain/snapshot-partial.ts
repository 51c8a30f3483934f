/**
 * A snapshot computed in parts. One snapshot Lambda cannot fold a million customers in its time
 * limit, so the snapshot state machine fans the DynamoDB scan segments out over several
 * invocations: each folds its customers into a SnapshotBuilder and writes the builder's partial
 * state (`partialState()`, JSON) and its kept at-risk rows (`partialRows()`, one line each) to S3;
 * a final step merges every part into a fresh builder (`mergeState`, `mergeRow`) and writes the
 * reports from it. The sums are exact (ExactSum partials merge exactly) and every list is sorted at
 * the end, so the merged snapshot is the one a single builder fed all customers gives, to the bit
 * (docs/metrics.md §5).
 */
import { ExactSum, type SumState } from './exact-sum';
import { BANDS, type Band, type ScheduledChurn } from './forecast/types';
import type { CohortState } from './cohorts';
import type { MovementState } from './movements';
import { count, finite, InvalidSnapshotPartial, nullableText, oneOf, record, text } from './partial-state';
import type { SegmentState } from './segments';
import type { Day, Lifecycle, Tier } from './types';

export { InvalidSnapshotPartial } from './partial-state';

export const SNAPSHOT_PARTIAL_VERSION = 1;

/** A builder's state as JSON-safe data (JSON.stringify/parse round-trips it exactly): everything but the at-risk rows. */
export interface SnapshotPartial {
  version: 1;
  asOf: Day;
  /** The reporting currency of every sum: parts in different currencies cannot be added. */
  currency: string;
  /** Customers folded (diagnostics.customers). */
  customers: number;
  movements: MovementState;
  // Maps travel as [key, value] pairs: plans, reasons, currencies and ids are data from exports.
  byPlan: [string, SegmentState][];
  byTier: [Tier, SegmentState][];
  byLifecycle: [Lifecycle, SegmentState][];
  churnReasons: [string, CountedState][];
  /** One entry per trend month, oldest first. */
  trend: MonthState[];
  d0: { mrr: SumState; retained: SumState; floor: SumState };
  bands: [Band, CountedState][];
  cohorts: CohortState[];
  linesWithoutFxRate: [string, number][];
  scheduledChurn: ScheduledChurn[];
  /** Red and yellow bands of the forecast customers (the next run's hysteresis). */
  forecastBands: [string, Band][];
}

export interface CountedState {
  customers: number;
  mrr: SumState;
}

export interface MonthState {
  customersStart: number;
  churned: number;
  mrrStart: SumState;
  retained: SumState;
  mrrEnd: SumState;
}

/** Customers and their MRR, summed exactly: a churn reason's or a band's totals. */
export interface Counted {
  customers: number;
  mrr: ExactSum;
}

export const countedState = (c: Counted): CountedState => ({ customers: c.customers, mrr: c.mrr.toState() });

export function readCounted(value: unknown, at: string): Counted {
  const c = record(value, at);
  return { customers: count(c.customers, `${at}.customers`), mrr: ExactSum.fromState(c.mrr, `${at}.mrr`) };
}

/** The fields every part of one snapshot shares; a part that differs in one belongs to another snapshot. */
export function checkPartHeader(value: unknown, expected: { asOf: Day; currency: string }): Record<string, unknown> {
  const state = record(value, 'state');
  if (state.version !== SNAPSHOT_PARTIAL_VERSION)
    throw new InvalidSnapshotPartial(
      `snapshot partial: version ${JSON.stringify(state.version)} cannot be merged by this code, which reads version ${SNAPSHOT_PARTIAL_VERSION}`,
    );
  if (state.asOf !== expected.asOf)
    throw new InvalidSnapshotPartial(
      `snapshot partial: the part is of the snapshot as of ${JSON.stringify(state.asOf)}, not ${expected.asOf}`,
    );
  if (state.currency !== expected.currency)
    throw new InvalidSnapshotPartial(
      `snapshot partial: the part's sums are in ${JSON.stringify(state.currency)}, not the reporting currency ${expected.currency}`,
    );
  return state;
}

export function readScheduledChurn(value: unknown, at: string): ScheduledChurn {
  const s = record(value, at);
  text(s.customerId, `${at}.customerId`);
  nullableText(s.name, `${at}.name`);
  nullableText(s.owner, `${at}.owner`);
  finite(s.mrr, `${at}.mrr`);
  text(s.effectiveAt, `${at}.effectiveAt`);
  nullableText(s.canceledAt, `${at}.canceledAt`);
  nullableText(s.reason, `${at}.reason`);
  // Kept as read: its keys in the order the part wrote them, so the JSON is the single builder's.
  return { ...s } as unknown as ScheduledChurn;
}

export const readBand = (v: unknown, at: string): Band => oneOf(BANDS, v, at);
export const readHysteresisBand = (v: unknown, at: string): Band => oneOf(['red', 'yellow'] as const, v, at);

/** Sort key of a kept at-risk row, and the row as JSON text. */
export interface RowLine {
  probability: number;
  mrr: number;
  customerId: string;
  /** The row's JSON text, exactly as the part's builder wrote it. */
  json: string;
}

/**
 * A kept at-risk row as one line, `[probability,mrr,"customerId",{row}]`: valid JSON, and its sort
 * keys read back without parsing the row (the row is kept as text, its bytes unchanged).
 */
export function rowLine(row: RowLine): string {
  return `[${JSON.stringify(row.probability)},${JSON.stringify(row.mrr)},${JSON.stringify(row.customerId)},${row.json}]`;
}

export function readRowLine(line: string): RowLine {
  const fail = (problem: string): never => {
    const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
    throw new InvalidSnapshotPartial(`snapshot partial: at-risk row line ${problem}: ${JSON.stringify(shown)}`);
  };
  if (typeof line !== 'string') fail('is not a string');
  if (line.includes('\n')) fail('holds a line break');
  if (!line.startsWith('[') || !line.endsWith(']')) fail('is not a [probability,mrr,"customerId",{row}] array');
  // Past the two numbers, to the closing quote of the id (skipping escapes).
  const second = line.indexOf(',', line.indexOf(',') + 1);
  if (second < 0 || line[second + 1] !== '"') fail('lacks the customer id after probability and mrr');
  let end = second + 2;
  while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
  if (end >= line.length) fail('has an unterminated customer id');
  let head: unknown;
  try {
    head = JSON.parse(`${line.slice(0, end + 1)}]`);
  } catch {
    return fail('has a malformed probability, mrr or customer id');
  }
  const [probability, mrr, customerId] = head as unknown[];
  if (typeof probability !== 'number' || typeof mrr !== 'number' || typeof customerId !== 'string')
    fail('must start with two numbers and a customer id');
  const json = line.slice(end + 2, -1);
  if (line[end + 1] !== ',' || !json.startsWith(`{"customerId":${JSON.stringify(customerId)},`) || !json.endsWith('}'))
    fail("does not carry that customer's row object after its sort keys");
  return { probability: probability as number, mrr: mrr as number, customerId: customerId as string, json };
}
