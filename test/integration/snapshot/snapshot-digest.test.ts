import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../lambdas/domain/dates';
import { trainModel } from '../../../lambdas/domain/forecast/backtest';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import { lastMonthEnd } from '../../../lambdas/snapshot/refit';
import { FEATURES } from '../../../lambdas/domain/forecast/features';
import type { ScorecardModel } from '../../../lambdas/domain/forecast/types';
import type { CustomerTimeline, Snapshot } from '../../../lambdas/domain/types';
import { ModelStore } from '../../../lambdas/store/model-store';
import { createDigestHandler } from '../../../lambdas/digest/handler';
import { sendDigests } from '../../../lambdas/digest/send-digests';
import { DigestStore } from '../../../lambdas/store/digest-store';
import { createBillingIngestHandler } from '../../../lambdas/ingest-billing/handler';
import { asOfFor, createSnapshotHandler, snapshotResult } from '../../../lambdas/snapshot/handler';
import { runSnapshotLocally } from '../../../local/snapshot-machine';
import { parseConfig } from '../../../lambdas/shared/config';
import { keys } from '../../../lambdas/store/keys';
import { ingestUsageEvents } from '../../../lambdas/store/usage-store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/local-env';
import { expectClose } from '../../support/expect-close';
import { referenceTimelines } from '../../support/reference-timelines';
import { stackDeps, useEmbeddedStack } from '../../support/stack';

const local = useEmbeddedStack();
const context = { functionName: 'test', awsRequestId: 'r' } as Context;
const AS_OF = '2026-10-20';
const NOW = new Date('2026-10-21T06:00:00Z');
const config = parseConfig({
  coreFeatures: ['reports'],
  retentionFeatures: ['reports'],
  digest: { from: 'churnwatch@test.example', fallbackTo: 'fallback@test.example' },
});

interface Seed {
  id: string;
  name: string;
  owner: string;
  price: number;
  /** Days with events, as offsets from AS_OF (0 = asOf, 27 = start of the current window). */
  activeDays: number[];
  failedOn?: string;
}

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
const seeds: Seed[] = [
  // Daily in the previous window, twice in the current one: decline and frequency downgrade.
  { id: 'cust-a', name: 'Acme Corp', owner: 'ana@test.example', price: 2500, activeDays: [...range(28, 55), 3, 10] },
  { id: 'cust-b', name: 'Healthy Ltd', owner: 'ana@test.example', price: 199, activeDays: range(0, 55) },
  // Last event 20 days ago: inactive.
  { id: 'cust-c', name: 'Orphan GmbH', owner: '', price: 49, activeDays: range(20, 55) },
  { id: 'cust-d', name: '<b>Bold</b> & Co', owner: 'ben@test.example', price: 199, activeDays: range(0, 55), failedOn: '2026-10-05' },
  { id: 'cust-e', name: 'Bounce Inc', owner: 'bounce@test.example', price: 99, activeDays: range(30, 55) },
];

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function billingFiles(): { customers: string; invoices: string } {
  const customers = ['customer_id,name,owner_email'];
  const invoices = ['invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status,issued_at'];
  for (const s of seeds) {
    customers.push([s.id, csvField(s.name), s.owner].join(','));
    for (let m = 1; m <= 11; m++) {
      const start = `2026-${String(m).padStart(2, '0')}-01`;
      const end = m === 12 ? '2027-01-01' : `2026-${String(m + 1).padStart(2, '0')}-01`;
      const status = s.failedOn && start.slice(0, 7) === s.failedOn.slice(0, 7) ? 'failed' : 'paid';
      const issued = status === 'failed' ? s.failedOn! : start;
      invoices.push([`in_${s.id}_${m}`, '1', s.id, `sub_${s.id}`, 'pro', s.price, 'USD', start, end, status, issued].join(','));
    }
  }
  return { customers: customers.join('\n') + '\n', invoices: invoices.join('\n') + '\n' };
}

function events() {
  return seeds.flatMap((s) =>
    s.activeDays.map((offset, i) => ({
      eventId: `${s.id}-${i}`,
      customerId: s.id,
      feature: i % 3 === 0 ? 'reports' : 'dashboard',
      timestamp: `${addDays(AS_OF, -offset)}T12:00:00Z`,
      userId: `u-${i % 4}`,
    })),
  );
}

/** SES rejects this recipient, as it does an unverified address in the sandbox. */
function sesRejecting(address: string): SESv2Client {
  const ses = new SESv2Client({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: local.stack.endpoints.ses,
  });
  ses.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Destination?: { ToAddresses?: string[] } };
      if (input.Destination?.ToAddresses?.includes(address)) {
        throw Object.assign(new Error(`Email address is not verified. The following identities failed the check: ${address}`), {
          name: 'MessageRejected',
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'rejectRecipient' },
  );
  return ses;
}

let dir: string;
let snapshot: Snapshot;
let expected: Snapshot;
let reference: CustomerTimeline[];

/**
 * A model with known weights, stored as a refit would store it: silence and failed payments put a
 * customer in red, a decline alone in yellow, everyone else is green. The digest tests then do not
 * depend on what the default weights say about this tiny book.
 */
const KNOWN: ScorecardModel = {
  kind: 'fitted',
  features: FEATURES,
  weights: FEATURES.map((f) => ({ payment_failed: 3, inactive: 2.5, activity_decline: 1.5 })[f as string] ?? 0),
  means: FEATURES.map(() => 0),
  intercept: -2.5,
  horizonDays: 90,
  fittedAt: AS_OF,
  trainingRows: 1000,
  trainingChurns: 80,
  provenance: 'test weights',
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'churnwatch-snap-'));
  const files = billingFiles();
  await writeFile(join(dir, 'customers.csv'), files.customers);
  await writeFile(join(dir, 'invoices.csv'), files.invoices);
  await writeFile(
    join(dir, 'events.jsonl'),
    events()
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );

  const { dynamo, s3 } = local.stack.clients;
  const ingest = createBillingIngestHandler({ dynamo, s3, tableName: local.stack.tableName, config });
  local.stack.subscribe((event: SQSEvent) => ingest(event, context));
  for (const [key, body] of [
    ['exports/customers.csv', files.customers],
    ['exports/invoices.csv', files.invoices],
  ] as const) {
    await s3.send(new PutObjectCommand({ Bucket: local.stack.bucketName, Key: key, Body: body }));
    await local.stack.queue.drain();
  }
  const usage = await ingestUsageEvents(events(), { dynamo, tableName: local.stack.tableName, now: () => NOW });
  expect(usage.rejected).toEqual([]);

  reference = await referenceTimelines([join(dir, 'customers.csv'), join(dir, 'invoices.csv')], [join(dir, 'events.jsonl')], config, NOW);
  // The first snapshot fits the forecast on the stored history: the same fit on the raw inputs.
  const model = trainModel(reference, config, config.risk, lastMonthEnd(AS_OF));
  expected = computeSnapshot(reference, config, AS_OF, { model, risk: config.risk, previousBands: new Map() });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const deps = () => ({ ...stackDeps(local.stack), config });

async function s3Text(key: string) {
  const out = await local.stack.clients.s3.send(new GetObjectCommand({ Bucket: local.stack.bucketName, Key: key }));
  return out.Body!.transformToString();
}

describe('snapshot Lambda on the embedded stack', () => {
  it('fits the forecast on the stored history first, and turns the profiles into the snapshot the engine computes from the raw inputs', async () => {
    const handed: unknown[] = [];
    // The state machine the schedule starts, its five customers folded in three parts.
    const out = await runSnapshotLocally({ ...deps(), handOver: async (r) => void handed.push(r), profilesPerPart: 2 }, { asOf: AS_OF });
    snapshot = JSON.parse(await s3Text(out.reportKeys.json)) as Snapshot;
    expectClose(snapshot, expected);
    // Ten months without a churn: nothing to fit on yet, so the default weights, with their provenance.
    expect(snapshot.risk).toMatchObject({ model: 'default', trainingChurns: 0, horizonDays: 90 });
    expect(snapshot.risk.provenance).toMatch(/synthetic books/);
    expect(snapshot.atRisk.map((c) => c.customerId).sort()).toEqual(['cust-a', 'cust-c', 'cust-d', 'cust-e']);
    expect(handed).toEqual([{ asOf: AS_OF, snapshotKey: `reports/${AS_OF}/snapshot.json` }]);
    const stored = await new ModelStore(local.stack.clients.dynamo, local.stack.tableName).current();
    expect(stored?.model).toEqual(trainModel(reference, config, config.risk, lastMonthEnd(AS_OF)));
  });

  it('uses the stored model and the previous bands, and writes the bands of this run for the next', async () => {
    await new ModelStore(local.stack.clients.dynamo, local.stack.tableName).save({
      model: KNOWN,
      backtest: null,
      storedAt: NOW.toISOString(),
    });
    // In parts too: each part bands its customers with the same previous bands.
    const out = await runSnapshotLocally({ ...deps(), profilesPerPart: 2 }, { asOf: AS_OF });
    snapshot = JSON.parse(await s3Text(out.reportKeys.json)) as Snapshot;
    const previousBands = new Map(
      expected.atRisk.filter((c) => c.band === 'red' || c.band === 'yellow').map((c) => [c.customerId, c.band!]),
    );
    expectClose(snapshot, computeSnapshot(reference, config, AS_OF, { model: KNOWN, risk: config.risk, previousBands }));
    const band = (id: string) => snapshot.atRisk.find((c) => c.customerId === id)?.band;
    expect([band('cust-a'), band('cust-c'), band('cust-d'), band('cust-e')]).toEqual(['yellow', 'red', 'red', 'red']);
    expect(snapshot.risk).toMatchObject({
      model: 'fitted',
      fittedAt: AS_OF,
      bands: { red: { customers: 3 }, yellow: { customers: 1 }, green: { customers: 1 } },
    });
    const bands = JSON.parse(await s3Text(out.reportKeys.bands)) as { red: string[]; yellow: string[] };
    expect(bands).toEqual({ red: ['cust-c', 'cust-d', 'cust-e'], yellow: ['cust-a'] });
  });

  it('writes at-risk.csv and a self-contained report.html, and keeps the summary by date', async () => {
    const rows = parse(await s3Text(`reports/${AS_OF}/at-risk.csv`), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.customerId).sort()).toEqual(snapshot.atRisk.map((c) => c.customerId).sort());
    expect(rows.find((r) => r.customerId === 'cust-d')!.name).toBe('<b>Bold</b> & Co');

    const html = await s3Text(`reports/${AS_OF}/report.html`);
    expect(html).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; Co');
    expect(html).not.toContain('<b>Bold</b>');
    expect(html).not.toMatch(/<script|<link|src=/i);

    const item = await local.stack.clients.dynamo.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.snapshot(AS_OF) }));
    const summary = JSON.parse(item.Item!.summary as string) as Omit<Snapshot, 'atRisk'>;
    expect(summary.mrr).toEqual(snapshot.mrr);
    expect(item.Item!.atRiskCount).toBe(snapshot.atRisk.length);
  });

  it('snapshots "as of yesterday" on the schedule (the 1st closes the previous month)', () => {
    expect(asOfFor({ 'detail-type': 'Scheduled Event', time: '2026-11-01T06:00:00Z' })).toBe('2026-10-31');
    expect(asOfFor({ 'detail-type': 'Scheduled Event', time: '2026-03-01T06:00:00Z' })).toBe('2026-02-28');
    expect(asOfFor({ asOf: '2025-12-31' })).toBe('2025-12-31');
  });
});

describe('digest Lambda over SES', () => {
  it('sends one email per owner, escapes names, uses the fallback, and a rejected address does not block the others', async () => {
    await local.stack.clearMail();
    const handler = createDigestHandler({ ...deps(), ses: sesRejecting('bounce@test.example'), maxAttempts: 2 });
    const summary = await handler({ asOf: AS_OF }, context);
    expect(summary).toMatchObject({ sent: 3, failed: 1, skipped: 0 });
    expect(summary.owners.find((o) => o.owner === 'bounce@test.example')).toMatchObject({ outcome: 'failed', retryable: false });

    const mail = await local.stack.sentMail();
    const to = mail.map((m) => m.destination.to.join(','));
    expect(to.sort()).toEqual(['ana@test.example', 'ben@test.example', 'fallback@test.example']);
    const byOwner = (o: string) => mail.find((m) => m.destination.to.includes(o))!;

    const ana = byOwner('ana@test.example');
    expect(ana.from).toBe('churnwatch@test.example');
    expect(ana.body.text).toContain('Acme Corp');
    expect(ana.body.text).not.toContain('Healthy Ltd');
    expect(ana.subject).toMatch(/\] 1 yellow —/);

    const ben = byOwner('ben@test.example');
    expect(ben.body.html).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; Co');
    expect(ben.body.html).not.toContain('<b>Bold</b>');
    expect(ben.body.text).toContain('<b>Bold</b> & Co');
    expect(ben.body.text).toMatch(/payment failed/i);

    expect(byOwner('fallback@test.example').body.text).toContain('Orphan GmbH');
  });

  it('never sends the same digest twice when the run is repeated', async () => {
    await local.stack.clearMail();
    const handler = createDigestHandler({ ...deps(), ses: sesRejecting('bounce@test.example'), maxAttempts: 1 });
    const summary = await handler({ asOf: AS_OF }, context);
    expect(summary).toMatchObject({ sent: 0, skipped: 3 });
    expect(await local.stack.sentMail()).toEqual([]);
  });

  it('tells each owner what changed since the previous digest: newly at risk, recovered', async () => {
    // The next day Acme Corp is back to daily use of both features, and Healthy Ltd's October
    // invoice is corrected to a failed payment by a later export.
    const next = addDays(AS_OF, 1);
    const back = range(0, 27).map((o) => ({
      eventId: `a-back-${o}`,
      customerId: 'cust-a',
      feature: o % 2 ? 'reports' : 'dashboard',
      timestamp: `${addDays(next, -o)}T09:00:00Z`,
    }));
    await ingestUsageEvents(back, { dynamo: local.stack.clients.dynamo, tableName: local.stack.tableName, now: () => NOW });
    const correction = [
      'invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status,issued_at',
      'in_cust-b_10,1,cust-b,sub_cust-b,pro,199,USD,2026-10-01,2026-11-01,failed,2026-10-21',
    ].join('\n');
    await local.stack.clients.s3.send(
      new PutObjectCommand({ Bucket: local.stack.bucketName, Key: 'exports/correction.csv', Body: correction }),
    );
    await local.stack.queue.drain();

    const snap = snapshotResult(await createSnapshotHandler(deps())({ asOf: next }, context));
    const nextSnapshot = JSON.parse(await s3Text(snap.reportKeys.json)) as Snapshot;
    expect(nextSnapshot.atRisk.map((c) => c.customerId)).not.toContain('cust-a');
    expect(nextSnapshot.atRisk.find((c) => c.customerId === 'cust-b')?.reasons.map((r) => r.code)).toEqual(['payment_failed']);

    await local.stack.clearMail();
    await createDigestHandler({ ...deps(), ses: local.stack.clients.ses! })({ asOf: next }, context);
    const mail = await local.stack.sentMail();
    const ana = mail.find((m) => m.destination.to.includes('ana@test.example'))!;
    expect(ana.subject).toMatch(/\] 1 red —/);
    expect(ana.body.text).toContain('Healthy Ltd [NEW]');
    expect(ana.body.text).toMatch(/recovered:\s+- Acme Corp/i);
    const ben = mail.find((m) => m.destination.to.includes('ben@test.example'))!;
    expect(ben.body.text).not.toContain('[NEW]');
  });

  it('does not send again when recording the sent digest fails after SES accepted it', async () => {
    const asOf = addDays(AS_OF, 2);
    const snap = snapshotResult(await createSnapshotHandler(deps())({ asOf }, context));
    const snapshot = JSON.parse(await s3Text(snap.reportKeys.json)) as Snapshot;
    class FlakyStore extends DigestStore {
      failures = 0;
      override async markSent(owner: string, day: string, messageId: string | undefined): Promise<void> {
        if (owner === 'ben@test.example' && this.failures++ < 10)
          throw Object.assign(new Error('throttled (injected)'), { name: 'ThrottlingException' });
        return super.markSent(owner, day, messageId);
      }
    }
    const store = new FlakyStore(local.stack.clients.dynamo, local.stack.tableName);
    await local.stack.clearMail();
    const first = await sendDigests({ ses: local.stack.clients.ses!, store, config, maxAttempts: 3 }, snapshot);
    expect(first.owners.find((o) => o.owner === 'ben@test.example')?.outcome).toBe('sent');
    const again = await sendDigests({ ses: local.stack.clients.ses!, store, config, maxAttempts: 3 }, snapshot);
    expect(again.sent).toBe(0);
    const mail = await local.stack.sentMail();
    expect(mail.filter((m) => m.destination.to.includes('ben@test.example'))).toHaveLength(1);
    expect(mail).toHaveLength(first.sent);
  });
});
