import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBillingIngestHandler } from '../../../lambdas/ingest-billing/handler';
import { parseConfig } from '../../../lambdas/shared/config';
import { keys } from '../../../lambdas/store/keys';
import { profileToTimeline } from '../../../lambdas/store/profile-reader';
import { useEmbeddedStack } from '../../support/stack';
import { CSV_HEADER, billingCorpus, goodRows, type GoodLine } from './billing-corpus';
import { propertyRuns } from '../../support/property-runs';

/**
 * The billing half of the hostile-input corpus (issue 11), through the real ingest handler on the
 * embedded stack: S3 put → object-created notification → SQS-shaped event → handler.
 */
const local = useEmbeddedStack({ ses: false, queue: { batchSize: 5, maxReceiveCount: 3 } });
const config = parseConfig({ fxRates: { EUR: 1.1 } });
const run = Date.now().toString(36);
const corpus = billingCorpus((i) => `h${i}-${run}-`);

beforeAll(() => {
  const handler = createBillingIngestHandler({
    dynamo: local.stack.clients.dynamo,
    s3: local.stack.clients.s3,
    tableName: local.stack.tableName,
    config,
  });
  local.stack.subscribe((event: SQSEvent) => handler(event, { functionName: 'ingest-billing', awsRequestId: 'hostile' } as Context));
});

async function drop(key: string, body: Buffer) {
  await local.stack.clients.s3.send(new PutObjectCommand({ Bucket: local.stack.bucketName, Key: key, Body: body }));
  await local.stack.queue.drain();
}

async function fileRecord(key: string) {
  const out = await local.stack.clients.dynamo.send(
    new QueryCommand({
      TableName: local.stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.file(key, '').pk },
    }),
  );
  return out.Items?.[0];
}

async function quarantine(key: string): Promise<{ line: number; reason: string; raw: string }[]> {
  try {
    const out = await local.stack.clients.s3.send(
      new GetObjectCommand({ Bucket: local.stack.bucketName, Key: `quarantine/${key}.errors.jsonl` }),
    );
    const text = await out.Body!.transformToString();
    return text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string; raw: string });
  } catch {
    return [];
  }
}

async function profile(customerId: string) {
  const out = await local.stack.clients.dynamo.send(
    new GetCommand({ TableName: local.stack.tableName, Key: keys.profile(customerId), ConsistentRead: true }),
  );
  return out.Item;
}

/** The good rows as the profiles hold them: every line once, under its own customer. */
async function snapshotOf(good: GoodLine[]) {
  const customers = [...new Set(good.map((g) => g.customerId))].sort();
  const out: Record<string, unknown[]> = {};
  for (const c of customers) {
    const item = await profile(c);
    out[c] = item
      ? profileToTimeline(item)
          .lines.map((l) => [l.invoiceId, l.lineId, l.amount])
          .sort()
      : [];
  }
  return out;
}

function expectedSnapshot(good: GoodLine[]) {
  const out: Record<string, unknown[]> = {};
  for (const g of good) (out[g.customerId] ??= []).push([g.invoiceId, g.lineId, g.amount]);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

describe('hostile billing input: nothing good is ever lost', () => {
  it('has at least 45 billing cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(45);
  });

  it.each(corpus.map((c, i) => [i, c.name] as const))('case %i: %s', async (i) => {
    const c = corpus[i]!;
    const key = `exports/hostile-${run}-${i}.${c.ext}`;
    const deadBefore = local.stack.queue.deadLetters.length;
    await drop(key, c.body);
    // The handler never fails the message: no retry, no dead letter, whatever the input.
    expect(local.stack.queue.deadLetters.length).toBe(deadBefore);
    const record = await fileRecord(key);
    expect(record).toMatchObject({ status: c.status });
    const q = await quarantine(key);
    expect(q.map((e) => e.line)).toEqual(c.quarantined.map((e) => e.line));
    q.forEach((e, j) => expect(e.reason).toMatch(c.quarantined[j]!.reason));
    // Every row is counted once: ingested, unchanged or quarantined.
    expect(record!.rows).toBe(record!.ingested + record!.unchanged + record!.quarantined);
    expect(record!.quarantined).toBe(c.quarantined.length);
    expect(record!.ingested).toBe(c.good.length);
    expect(await snapshotOf(c.good)).toEqual(expectedSnapshot(c.good));
    for (const id of c.absent ?? []) expect(await profile(id)).toBeUndefined();
  });

  it('property: random bad rows mixed into a good file never cost a good row', async () => {
    const p = `prop-${run}-`;
    const good = goodRows(p, 12);
    const goodLines = [
      CSV_HEADER,
      ...good.map((r) =>
        [
          r.invoice_id,
          r.line_id,
          r.customer_id,
          'sub_1',
          'pro',
          r.amount,
          'USD',
          '2026-01-01',
          '2026-02-01',
          'paid',
          r.customer_name,
          '',
        ].join(','),
      ),
    ];
    const expected = expectedSnapshot(
      good.map((r) => ({ customerId: r.customer_id, invoiceId: r.invoice_id, lineId: r.line_id, amount: Number(r.amount) })),
    );
    // Bad rows that are each one physical line and can never be valid (their customer is not one of the good ones).
    const badRow = fc.oneof(
      fc
        .constantFrom('9007199254740993', '1e20', 'NaN', '', '-9007199254740993')
        .map((a) => `${p}x,l,${p}bad,s,pro,${a},USD,2026-01-01,2026-02-01,paid,,`),
      fc.constantFrom('\u0000', '\u001f', '\u001b', '\u007f').map((ch) => `${p}x,l,${p}bad${ch},s,pro,5,USD,2026-01-01,2026-02-01,paid,,`),
      fc.constantFrom('"open', 'a"b', '"x"y').map((q) => `${p}x,l,${p}bad,s,${q},5,USD,2026-01-01,2026-02-01,paid,,`),
      fc.constantFrom('0000-01-01', '2026-02-30', '2026-13-01').map((d) => `${p}x,l,${p}bad,s,pro,5,USD,${d},2026-02-01,paid,,`),
      fc
        .constantFrom('"><svg/onload=alert(1)>@evil.com', 'a@b', 'x y@z.com')
        .map((e) => `${p}x,l,${p}bad,s,pro,5,USD,2026-01-01,2026-02-01,paid,,${e.includes('"') ? `"${e.replace(/"/g, '""')}"` : e}`),
      fc.constantFrom('é', '株', '😀').map((ch) => `${p}x,l,${p}${ch.repeat(150)},s,pro,5,USD,2026-01-01,2026-02-01,paid,,`),
      fc
        .string({ maxLength: 40 })
        .filter((s) => !/[\r\n]/.test(s) && s.trim() !== '')
        .map((s) => `${p}x,l,${p}bad,${s}`),
    );
    const mixArb = fc.array(fc.tuple(fc.integer({ min: 1, max: good.length }), badRow), { minLength: 1, maxLength: 8 });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mixArb, async (mix) => {
        const lines = [...goodLines];
        // Insert from the last position to the first so that positions refer to the good file.
        for (const [at, bad] of [...mix].sort((a, b) => b[0] - a[0])) lines.splice(at + 1, 0, bad);
        const key = `exports/prop-${run}-${n++}.csv`;
        await drop(key, Buffer.from(lines.join('\n') + '\n'));
        const record = (await fileRecord(key))!;
        expect(record.status).toBe('done');
        expect(record.rows).toBe(record.ingested + record.unchanged + record.quarantined);
        // The first file ingests the good rows; later ones find them unchanged.
        expect(record.ingested + record.unchanged).toBe(good.length);
        expect(record.quarantined).toBe(mix.length);
        const q = await quarantine(key);
        expect(q).toHaveLength(mix.length);
        expect(q.every((e) => e.reason.length > 0)).toBe(true);
        expect(
          await snapshotOf(
            good.map((r) => ({ customerId: r.customer_id, invoiceId: r.invoice_id, lineId: r.line_id, amount: Number(r.amount) })),
          ),
        ).toEqual(expected);
      }),
      { numRuns: propertyRuns(12) },
    );
  });
});
