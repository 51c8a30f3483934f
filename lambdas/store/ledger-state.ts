import type { Cancellation, LedgerLine, LineStatus } from '../domain/types';

/**
 * The ledger part of a customer profile: the current version of each line and cancellation, with the
 * time of the S3 event it came from ("last file wins", SPEC §1.1). Pure: encoding and merging only.
 */
export interface Versioned<T> {
  value: T;
  /** S3 event time (epoch ms) of the file the version came from. */
  at: number;
}

export interface LedgerState {
  lines: Map<string, Versioned<LedgerLine>>;
  cancellations: Map<string, Versioned<Cancellation>>;
}

export const emptyLedger = (): LedgerState => ({ lines: new Map(), cancellations: new Map() });

/** Identity of a line: (invoice_id, line_id). A unit separator cannot occur in either id. */
export const lineIdentity = (line: Pick<LedgerLine, 'invoiceId' | 'lineId'>): string =>
  `${line.invoiceId}\u001f${line.lineId}`;

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
  return JSON.stringify(encoded);
}

export function decodeLedger(text: string | undefined): LedgerState {
  const state = emptyLedger();
  if (!text) return state;
  const encoded = JSON.parse(text) as EncodedLedger;
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
function mergeOne<T extends object>(
  map: Map<string, Versioned<T>>,
  id: string,
  incoming: Versioned<T>,
): MergeOutcome {
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

export const mergeLine = (state: LedgerState, line: LedgerLine, at: number): MergeOutcome =>
  mergeOne(state.lines, lineIdentity(line), { value: line, at });

export const mergeCancellation = (state: LedgerState, cancellation: Cancellation, at: number): MergeOutcome =>
  mergeOne(state.cancellations, cancellation.subscriptionId, { value: cancellation, at });
