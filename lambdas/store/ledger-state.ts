import { createHash } from 'node:crypto';
import { addMonthsClamped, dayNum, monthEndNum, monthIndexOfNum, monthKey, monthStartNum } from '../domain/dates';
import { MRR_STATUSES, type Cancellation, type Day, type LedgerLine, type LineStatus } from '../domain/types';

/**
 * The ledger part of a customer profile: the current version of each line and cancellation, with the
 * time of the S3 event it came from ("last file wins", docs/metrics.md §1.1). Pure: encoding and merging only.
 */
export interface Versioned<T> {
  value: T;
  /** S3 event time (epoch ms) of the file the version came from. */
  at: number;
}

export interface LedgerState {
  lines: Map<string, Versioned<LedgerLine>>;
  cancellations: Map<string, Versioned<Cancellation>>;
  /** Settled lines moved out of a long history: what the profile still needs to know of them. */
  archive: LedgerArchive;
}

export interface LedgerArchive {
  /** First day an archived recurring line started, i.e. the customer's first active day among them. */
  firstActiveDay?: Day;
  /** 8-byte hashes of the archived lines (identity and content): an export that repeats one is unchanged. */
  hashes: Set<string>;
  /** Month ends on which the archived lines made the customer active (cohort retention looks back). */
  monthEnds?: { from: string; bits: string };
}

export const emptyLedger = (): LedgerState => ({ lines: new Map(), cancellations: new Map(), archive: { hashes: new Set() } });

/**
 * Identity of a line: (invoice_id, line_id), length-prefixed so that it is injective whatever the ids
 * contain (a separator character could occur in an id: `a\u001f` + `b` and `a` + `\u001fb` would meet).
 */
export const lineIdentity = (line: Pick<LedgerLine, 'invoiceId' | 'lineId'>): string =>
  `${line.invoiceId.length}:${line.invoiceId}${line.lineId}`;

// Positional arrays keep the profile small: a snapshot scan reads every profile, and read units are
// charged per 4 KB. `null` marks an absent optional field.
type EncodedLine = [
  invoiceId: string,
  lineId: string,
  amount: number,
  currency: string,
  periodStart: string | null,
  periodEnd: string | null,
  status: LineStatus,
  subscriptionId: string | null,
  plan: string | null,
  issuedAt: string | null,
  quantity: number | null,
  at: number,
];
type EncodedCancellation = [
  subscriptionId: string,
  effectiveAt: string,
  canceledAt: string | null,
  reason: string | null,
  feedback: string | null,
  at: number,
];
interface EncodedLedger {
  v: 1;
  l: EncodedLine[];
  c: EncodedCancellation[];
  /** Archive: first active day, line hashes. */
  a?: { f: string | null; h: string[]; m?: { from: string; bits: string } };
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function withoutUndefined<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as (keyof T)[]) if (obj[key] === undefined) delete obj[key];
  return obj;
}

export function encodeLedger(state: LedgerState): string {
  const l: EncodedLine[] = [];
  for (const { value: x, at } of state.lines.values()) {
    l.push([
      x.invoiceId,
      x.lineId,
      x.amount,
      x.currency,
      orNull(x.periodStart),
      orNull(x.periodEnd),
      x.status,
      orNull(x.subscriptionId),
      orNull(x.plan),
      orNull(x.issuedAt),
      orNull(x.quantity),
      at,
    ]);
  }
  const c: EncodedCancellation[] = [];
  for (const { value: x, at } of state.cancellations.values()) {
    c.push([x.subscriptionId, x.effectiveAt, orNull(x.canceledAt), orNull(x.reason), orNull(x.feedback), at]);
  }
  const encoded: EncodedLedger = { v: 1, l, c };
  if (state.archive.hashes.size > 0) {
    encoded.a = { f: orNull(state.archive.firstActiveDay), h: [...state.archive.hashes] };
    if (state.archive.monthEnds) encoded.a.m = state.archive.monthEnds;
  }
  return JSON.stringify(encoded);
}

export function decodeLedger(text: string | undefined): LedgerState {
  const state = emptyLedger();
  if (!text) return state;
  const encoded = JSON.parse(text) as EncodedLedger;
  if (encoded.a) {
    state.archive = withoutUndefined({ firstActiveDay: orUndefined(encoded.a.f), hashes: new Set(encoded.a.h), monthEnds: encoded.a.m });
  }
  for (const [invoiceId, lineId, amount, currency, ps, pe, status, sub, plan, iss, qty, at] of encoded.l) {
    const value: LedgerLine = withoutUndefined({
      invoiceId,
      lineId,
      amount,
      currency,
      periodStart: orUndefined(ps),
      periodEnd: orUndefined(pe),
      status,
      subscriptionId: orUndefined(sub),
      plan: orUndefined(plan),
      issuedAt: orUndefined(iss),
      quantity: orUndefined(qty),
    });
    state.lines.set(lineIdentity(value), { value, at });
  }
  for (const [subscriptionId, effectiveAt, canceledAt, reason, feedback, at] of encoded.c) {
    const value: Cancellation = withoutUndefined({
      subscriptionId,
      effectiveAt,
      canceledAt: orUndefined(canceledAt),
      reason: orUndefined(reason),
      feedback: orUndefined(feedback),
    });
    state.cancellations.set(subscriptionId, { value, at });
  }
  return state;
}

function sameFields<T extends object>(a: T, b: T): boolean {
  const keysA = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
}

/**
 * `ingested`: a new or corrected version replaced the stored one. `unchanged`: nothing to do.
 * `refreshed`: the same content arrived from a later file; only its time moves forward, so that an
 * older file delivered after it cannot win (the row still counts as unchanged).
 */
export type MergeOutcome = 'ingested' | 'unchanged' | 'refreshed';

/** Applies one incoming version: the version from the latest file wins, whatever the arrival order. */
function mergeOne<T extends object>(map: Map<string, Versioned<T>>, id: string, incoming: Versioned<T>): MergeOutcome {
  const current = map.get(id);
  if (current && sameFields(current.value, incoming.value)) {
    if (incoming.at <= current.at) return 'unchanged';
    current.at = incoming.at;
    return 'refreshed';
  }
  if (current && current.at > incoming.at) return 'unchanged';
  map.set(id, { value: withoutUndefined({ ...incoming.value }), at: incoming.at });
  return 'ingested';
}

export function mergeLine(state: LedgerState, line: LedgerLine, at: number): MergeOutcome {
  const id = lineIdentity(line);
  // A cumulative export repeats lines that were archived out of the profile: same content, nothing to do.
  if (state.archive.hashes.size > 0 && !state.lines.has(id) && state.archive.hashes.has(lineHash(line))) return 'unchanged';
  return mergeOne(state.lines, id, { value: line, at });
}

/** 8 bytes (base64) of SHA-256 over a line's identity and content. */
export function lineHash(line: LedgerLine): string {
  const content = [
    line.invoiceId,
    line.lineId,
    line.amount,
    line.currency,
    line.periodStart ?? null,
    line.periodEnd ?? null,
    line.status,
    line.subscriptionId ?? null,
    line.plan ?? null,
    line.issuedAt ?? null,
    line.quantity ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest().subarray(0, 8).toString('base64');
}

/** Months of lines a profile keeps when it archives: the 12-month figures, the trend and a margin. */
export const ARCHIVE_KEEP_MONTHS = 15;

/** The day a line last matters on: its period end, or for a one-time charge its issue or start day. */
const lastDayOf = (line: LedgerLine): Day | undefined => line.periodEnd ?? line.issuedAt ?? line.periodStart;

/**
 * Moves the lines that ended more than ARCHIVE_KEEP_MONTHS before the customer's latest line out of
 * the profile, remembering the first active day they establish and their hashes. Every figure of a
 * snapshot dated within those months is unchanged (they only looked back for the first active day);
 * the `LINE#` items keep the full history. Returns the number of lines archived.
 */
export function archiveOldLines(state: LedgerState): number {
  let latest: Day | undefined;
  for (const { value } of state.lines.values()) {
    const last = lastDayOf(value);
    if (last && (!latest || last > latest)) latest = last;
  }
  if (!latest) return 0;
  const keepFrom = addMonthsClamped(latest, -ARCHIVE_KEEP_MONTHS);
  let archived = 0;
  const moved: LedgerLine[] = [];
  for (const [id, { value }] of state.lines) {
    const last = lastDayOf(value);
    if (last && last >= keepFrom) continue;
    const recurring = value.periodStart && value.periodEnd && value.periodStart < value.periodEnd;
    if (recurring && MRR_STATUSES.has(value.status) && value.amount > 0) {
      const first = state.archive.firstActiveDay;
      if (!first || value.periodStart! < first) state.archive.firstActiveDay = value.periodStart;
    }
    state.archive.hashes.add(lineHash(value));
    state.lines.delete(id);
    moved.push(value);
    archived++;
  }
  if (moved.length) state.archive.monthEnds = archiveMonthEnds(state, moved);
  return archived;
}

/**
 * Adds the month ends the moved lines cover to the archive's bitmap. "Active" on a month end: a
 * paid, open or failed line with a positive amount covers it and its subscription was not cancelled
 * by then (credits are not netted: the archive keeps positivity, not amounts).
 */
function archiveMonthEnds(state: LedgerState, moved: LedgerLine[]): { from: string; bits: string } | undefined {
  const active = new Set<number>();
  const previous = state.archive.monthEnds;
  if (previous) {
    const from = monthIndexOfNum(dayNum(`${previous.from}-01`));
    for (let i = 0; i < previous.bits.length; i++) if (previous.bits[i] === '1') active.add(from + i);
  }
  const cancelled = new Map([...state.cancellations.values()].map(({ value }) => [value.subscriptionId, dayNum(value.effectiveAt)]));
  for (const line of moved) {
    if (!line.periodStart || !line.periodEnd || !MRR_STATUSES.has(line.status) || line.amount <= 0) continue;
    const start = dayNum(line.periodStart);
    let end = dayNum(line.periodEnd);
    const cancel = line.subscriptionId ? cancelled.get(line.subscriptionId) : undefined;
    if (cancel !== undefined) end = Math.min(end, cancel);
    for (let m = monthIndexOfNum(start); monthStartNum(m) < end; m++) {
      const monthEnd = monthEndNum(m);
      if (monthEnd >= start && monthEnd < end) active.add(m);
    }
  }
  if (active.size === 0) return previous;
  const months = [...active].sort((a, b) => a - b);
  const first = months[0]!;
  const last = months[months.length - 1]!;
  let bits = '';
  for (let m = first; m <= last; m++) bits += active.has(m) ? '1' : '0';
  return { from: monthKey(first), bits };
}

export const mergeCancellation = (state: LedgerState, cancellation: Cancellation, at: number): MergeOutcome =>
  mergeOne(state.cancellations, cancellation.subscriptionId, { value: cancellation, at });
