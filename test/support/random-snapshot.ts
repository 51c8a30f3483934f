/**
 * Random snapshots for the snapshot.json layout and digest grouping properties: owners with and
 * without an allowed domain, none, ids that are Object.prototype's keys, all bands, save-list
 * entries, and text with newlines, U+2028, quotes and multi-byte characters.
 */
import fc from 'fast-check';
import { AtRiskRows } from '../../lambdas/domain/snapshot';
import type { ScheduledChurn } from '../../lambdas/domain/forecast/types';
import type { AtRiskCustomer, Snapshot } from '../../lambdas/domain/types';
import { atRiskCustomer, sampleSnapshot } from '../unit/report/fixtures';

export const FALLBACK = 'cs@acme.io';
export const ALLOWED_DOMAINS = ['acme.io'];

const hostileText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('__proto__', 'constructor', 'line\nbreak', 'para\u2028sep', 'MRR 600 → 450', '"quoted" <b>&', '日本\r\n', ''),
);
const owner = fc.constantFrom(null, 'ana@acme.io', 'Bob@ACME.io', FALLBACK, 'mallory@evil.example', '__proto__@acme.io', 'constructor');
const customerId = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'cus→1', 'hasOwnProperty'),
  fc.string({ minLength: 1, maxLength: 12 }),
);

const atRiskRow: fc.Arbitrary<AtRiskCustomer> = fc
  .record({
    customerId,
    name: fc.option(hostileText, { nil: null }),
    owner,
    band: fc.constantFrom('red', 'yellow', 'green', null),
    p: fc.double({ min: 0, max: 1, noNaN: true }),
    mrr: fc.integer({ min: 0, max: 100_000 }),
    mrrPrevious: fc.integer({ min: 0, max: 100_000 }),
    plan: fc.option(hostileText, { nil: null }),
    detail: hostileText,
  })
  .map((r) =>
    atRiskCustomer({
      customerId: r.customerId,
      name: r.name,
      owner: r.owner,
      band: r.band as AtRiskCustomer['band'],
      churnProbability: r.band === null ? null : r.p,
      riskScore: r.band === null ? null : Math.round(100 * r.p),
      mrr: r.mrr,
      mrrPrevious: r.mrrPrevious,
      plan: r.plan,
      reasons: [{ code: 'inactive', detail: r.detail, points: 35 }],
    }),
  );

const scheduledEntry: fc.Arbitrary<ScheduledChurn> = fc.record({
  customerId,
  name: fc.option(hostileText, { nil: null }),
  owner,
  mrr: fc.integer({ min: 0, max: 10_000 }),
  effectiveAt: fc.constant('2026-12-31'),
  canceledAt: fc.option(fc.constant('2026-11-20'), { nil: null }),
  reason: fc.option(hostileText, { nil: null }),
});

export const randomSnapshot: fc.Arbitrary<Snapshot> = fc
  .record({ atRisk: fc.array(atRiskRow, { maxLength: 40 }), scheduledChurn: fc.array(scheduledEntry, { maxLength: 6 }) })
  .map(({ atRisk, scheduledChurn }) => sampleSnapshot({ atRisk, scheduledChurn }));

const utf8 = new TextEncoder();

/** The snapshot as the snapshot function holds it before writing: the summary and the rows as JSON text. */
export function snapshotParts(snapshot: Snapshot) {
  const { atRisk, ...summary } = snapshot;
  return { summary, atRisk: new AtRiskRows(atRisk.map((row) => utf8.encode(JSON.stringify(row)))) };
}

/** `bytes` cut at the given fractions of its length: chunk ends fall inside lines and characters. */
export function cutAt(bytes: Buffer, fractions: readonly number[]): Buffer[] {
  const cuts = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > start) chunks.push(bytes.subarray(start, cut));
    start = Math.max(start, cut);
  }
  return chunks;
}
