/**
 * The demo must show every behaviour the product has: the engine, run on the default demo book as
 * `churnwatch demo` writes it, finds every signal of docs/metrics.md §3.5, churn with reasons, scheduled churn,
 * cohorts, several currencies and at-risk customers with and without an owner.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSnapshot } from '../../../../lambdas/domain/snapshot';
import type { Snapshot } from '../../../../lambdas/domain/types';
import { parseConfig } from '../../../../lambdas/shared/config';
import { HOSTILE_NAME } from '../../../../local/sample-data/catalog';
import { generateSampleSaas, sampleConfig, writeSampleSaas, type SampleSaas } from '../../../../local/sample-data/generate';
import { referenceTimelines } from '../../../support/reference-timelines';
import { RISK_CODES } from '../../../../lambdas/domain/types';

const AS_OF = '2026-03-15';

describe('the default demo book, as the engine sees it on the demo date', () => {
  let dir: string;
  let sample: SampleSaas;
  let snapshot: Snapshot;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sample-signals-'));
    sample = generateSampleSaas({ asOf: AS_OF });
    const files = await writeSampleSaas(sample, dir);
    const config = parseConfig(sampleConfig);
    const timelines = await referenceTimelines(files.billingFiles, files.eventFiles, config, new Date(`${AS_OF}T23:00:00Z`));
    snapshot = computeSnapshot(timelines, config, AS_OF);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('raises every signal code for some customers', () => {
    const codes = new Set(snapshot.atRisk.flatMap((c) => c.reasons.map((r) => r.code)));
    for (const code of RISK_CODES) expect(codes.has(code), code).toBe(true);
  });

  it('has a book of the right size with churn, reasons, notice and cohorts this month', () => {
    expect(snapshot.customers.start).toBeGreaterThan(150);
    expect(snapshot.customers.churned).toBeGreaterThan(0);
    expect(snapshot.logoChurnRate).toBeLessThan(0.08);
    expect(Object.keys(snapshot.churnReasons).length).toBeGreaterThan(0);
    expect(snapshot.scheduledChurn.length).toBeGreaterThan(0);
    expect(snapshot.cohorts).toHaveLength(12);
    expect(snapshot.cohorts.every((c) => c.size > 0)).toBe(true);
    expect(snapshot.atRisk.length).toBeGreaterThan(10);
    expect(snapshot.atRisk.length).toBeLessThan(snapshot.customers.end * 0.6);
  });

  it('lists at-risk customers of several owners, some without one, the hostile name among them', () => {
    const owners = new Set(snapshot.atRisk.map((c) => c.owner ?? null));
    expect(owners.has(null)).toBe(true);
    expect(owners.size).toBeGreaterThanOrEqual(4);
    const hostile = sample.customers.find((c) => c.name === HOSTILE_NAME)!;
    expect(snapshot.atRisk.map((c) => c.customerId)).toContain(hostile.customerId);
  });

  it('spreads the book over three currencies and every plan', () => {
    expect(new Set(sample.customers.map((c) => c.currency))).toEqual(new Set(['USD', 'EUR', 'GBP']));
    expect(Object.keys(snapshot.byPlan).sort()).toEqual(['business', 'enterprise', 'growth', 'starter']);
  });
});
