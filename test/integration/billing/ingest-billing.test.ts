import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { createBillingIngestHandler } from '../../../lambdas/ingest-billing/handler';
import { ingestBillingFile } from '../../../lambdas/ingest-billing/ingest-file';
import { parseConfig } from '../../../lambdas/shared/config';
import { keys } from '../../../lambdas/store/keys';
import { profileToTimeline } from '../../../lambdas/store/profile-reader';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/local-env';
import { useEmbeddedStack } from '../../support/stack';

const local = useEmbeddedStack({ ses: false, queue: { batchSize: 5, maxReceiveCount: 3 } });
const config = parseConfig({ fxRates: { EUR: 1.1 } });
const context = { functionName: 'ingest-billing', awsRequestId: 'test' } as Context;

const HEADER = 'invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status';

let n = 0;
/** Each test works on its own customers, so tests sharing the file's table stay independent. */
const uniq = (name: string) => `${name}-${++n}-${Date.now().toString(36)}`;

function subscribe(chunkRows?: number) {
  const handler = createBillingIngestHandler({
    dynamo: local.stack.clients.dynamo,
    s3: local.stack.clients.s3,
    tableName: local.stack.tableName,
    config,
    chunkRows,
  });
  local.stack.subscribe((event: SQSEvent) => handler(event, context));
}

async function drop(key: string, body: string | Buffer) {
  await local.stack.clients.s3.send(new PutObjectCommand({ Bucket: local.stack.bucketName, Key: key, Body: body }));
  await local.stack.queue.drain();
}

async function fileRecords(key: string) {
  const out = await local.stack.clients.dynamo.send(
    new QueryCommand({
      TableName: local.stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.file(key, '').pk },
    }),
  );
  return out.Items ?? [];
}

async function customerItems(customerId: string) {
  const out = await local.stack.clients.dynamo.send(
    new QueryCommand({
      TableName: local.stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.customerPk(customerId) },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

async function profile(customerId: string) {
  const out = await local.stack.clients.dynamo.send(
    new GetCommand({ TableName: local.stack.tableName, Key: keys.profile(customerId), ConsistentRead: true }),
  );
  return out.Item;
}

async function readText(key: string): Promise<string | undefined> {
  try {
    const out = await local.stack.clients.s3.send(new GetObjectCommand({ Bucket: local.stack.bucketName, Key: key }));
    return await out.Body!.transformToString();
  } catch {
    return undefined;
  }
}

describe('billing ingest on the embedded stack', () => {
  beforeEach(() => subscribe());

  it('folds a canonical CSV into ledger items and a profile, and records the file', async () => {
    const c1 = uniq('acme');
    const c2 = uniq('globex');
    const key = `exports/${uniq('invoices')}.csv`;
    await drop(
      key,
      [
        HEADER,
        `in_1,,${c1},sub_1,pro,99.00,USD,2026-01-01,2026-02-01,paid`,
        `in_1,,${c1},sub_1,addon,10,USD,2026-01-01,2026-02-01,paid`,
        `in_2,l1,${c2},sub_2,team,100,EUR,2026-01-15,2026-04-15,open`,
      ].join('\n'),
    );
    const items1 = await customerItems(c1);
    expect(
      items1
        .filter((i) => (i.sk as string).startsWith('LINE#'))
        .map((i) => i.sk)
        .sort(),
    ).toEqual(['LINE#in_1##1', 'LINE#in_1##2']);
    const timeline = profileToTimeline((await profile(c2))!);
    expect(timeline.lines).toEqual([
      {
        invoiceId: 'in_2',
        lineId: 'l1',
        subscriptionId: 'sub_2',
        plan: 'team',
        amount: 100,
        currency: 'EUR',
        periodStart: '2026-01-15',
        periodEnd: '2026-04-15',
        status: 'open',
      },
    ]);
    const [record] = await fileRecords(key);
    expect(record).toMatchObject({ status: 'done', rows: 3, ingested: 3, unchanged: 0, quarantined: 0 });
  });

  it('changes nothing when the same notification arrives twice or the same file is dropped again', async () => {
    const c = uniq('initech');
    const key = `exports/${uniq('dup')}.csv`;
    const body = [
      HEADER,
      `in_9,1,${c},sub_9,pro,50,USD,2026-03-01,2026-04-01,paid`,
      `in_9,2,${c},sub_9,pro,5,USD,2026-03-01,2026-04-01,paid`,
    ].join('\n');
    await drop(key, body);
    const before = await customerItems(c);

    // The same notification twice: replay the queue message as S3/SQS may deliver it again.
    const head = await local.stack.clients.s3.send(new HeadObjectCommand({ Bucket: local.stack.bucketName, Key: key }));
    const handler = createBillingIngestHandler({
      dynamo: local.stack.clients.dynamo,
      s3: local.stack.clients.s3,
      tableName: local.stack.tableName,
      config,
    });
    const notification = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          eventTime: new Date().toISOString(),
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: local.stack.bucketName }, object: { key: encodeURIComponent(key), size: 1, eTag: head.ETag } },
        },
      ],
    };
    const record = { messageId: 'm1', body: JSON.stringify(notification) } as SQSEvent['Records'][number];
    const response = await handler({ Records: [record, { ...record, messageId: 'm2' }] }, context);
    expect(response.batchItemFailures).toEqual([]);

    await drop(key, body);
    const after = await customerItems(c);
    expect(after.filter((i) => i.sk !== 'PROFILE')).toEqual(before.filter((i) => i.sk !== 'PROFILE'));
    expect(profileToTimeline((await profile(c))!).lines).toEqual(profileToTimeline(before.find((i) => i.sk === 'PROFILE')!).lines);
    const [file] = await fileRecords(key);
    expect(file).toMatchObject({ rows: 2, ingested: 0, unchanged: 2, quarantined: 0, ledgerItemsWritten: 0 });
  });

  it('replaces a line corrected in a later file, and keeps the newest version', async () => {
    const c = uniq('umbrella');
    await drop(`exports/${uniq('jan')}.csv`, [HEADER, `in_5,1,${c},sub_5,pro,99,USD,2026-01-01,2026-02-01,paid`].join('\n'));
    await drop(`exports/${uniq('jan-fix')}.csv`, [HEADER, `in_5,1,${c},sub_5,pro,99,USD,2026-01-01,2026-02-01,refunded`].join('\n'));
    const lines = profileToTimeline((await profile(c))!).lines;
    expect(lines).toHaveLength(1);
    expect(lines[0]!.status).toBe('refunded');
    const item = (await customerItems(c)).find((i) => i.sk === 'LINE#in_5#1');
    expect(item).toMatchObject({ status: 'refunded' });
  });

  it('quarantines bad rows with line and reason and ingests the good rows around them', async () => {
    const c = uniq('hooli');
    const key = `exports/${uniq('mixed')}.csv`;
    await drop(
      key,
      [
        HEADER,
        `in_1,1,${c},s,pro,10,USD,2026-01-01,2026-02-01,paid`,
        `in_1,2,${c},s,pro,abc,USD,2026-01-01,2026-02-01,paid`,
        `in_1,3,${c},s,pro,10,XYZ,2026-01-01,2026-02-01,paid`,
        `in_1,4,${c},s,pro,10,USD,2026-02-30,2026-03-01,paid`,
        `in_1,5,,s,pro,10,USD,2026-01-01,2026-02-01,paid`,
        `in_1,6,${c},s,pro,10,USD,2026-03-01,2026-02-01,paid`,
        `in_1,7,${c},s,pro,20,USD,2026-01-01,2026-02-01,paid`,
      ].join('\r\n'),
    );
    expect(
      profileToTimeline((await profile(c))!)
        .lines.map((l) => l.lineId)
        .sort(),
    ).toEqual(['1', '7']);
    const errors = (await readText(`quarantine/${key}.errors.jsonl`))!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string; raw: string });
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7]);
    expect(errors[0]!.reason).toMatch(/amount/);
    expect(errors[1]!.reason).toMatch(/currency/);
    expect(errors[2]!.reason).toMatch(/period_start/);
    expect(errors[3]!.reason).toMatch(/customer_id/);
    expect(errors[4]!.reason).toMatch(/period_end/);
    expect(errors[0]!.raw).toContain('abc');
    const [file] = await fileRecords(key);
    expect(file).toMatchObject({ rows: 7, ingested: 2, quarantined: 5 });
  });

  it('moves an unreadable file to failed/ with a report, and ingests the rest of the batch', async () => {
    const c = uniq('stark');
    const bad = `exports/${uniq('garbage')}.csv`;
    const good = `exports/${uniq('good')}.csv.gz`;
    await local.stack.clients.s3.send(new PutObjectCommand({ Bucket: local.stack.bucketName, Key: bad, Body: 'foo;bar;baz\n1;2;3\n' }));
    await local.stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: local.stack.bucketName,
        Key: good,
        Body: gzipSync([HEADER, `in_7,1,${c},s,pro,42,USD,2026-01-01,2026-02-01,paid`].join('\n')),
      }),
    );
    await local.stack.queue.drain();
    expect(profileToTimeline((await profile(c))!).lines[0]!.amount).toBe(42);
    expect(await readText(bad)).toBeUndefined();
    expect(await readText(`failed/${bad}`)).toContain('foo;bar;baz');
    const report = JSON.parse((await readText(`failed/${bad}.error.json`))!) as { error: string };
    expect(report.error).toMatch(/header/i);
    const [file] = await fileRecords(bad);
    expect(file).toMatchObject({ status: 'failed' });
  });

  it('decodes URL-encoded keys with spaces and non-ASCII characters', async () => {
    const c = uniq('zürich');
    const key = `exports/${uniq('Q1 Rechnungen Zürich')}.csv`;
    await drop(key, [HEADER, `in_8,1,${c},s,pro,7,USD,2026-01-01,2026-02-01,paid`].join('\n'));
    expect(profileToTimeline((await profile(c))!).lines).toHaveLength(1);
    expect(await fileRecords(key)).toHaveLength(1);
  });

  it('folds customers, cancellations and JSONL into the same profile, latest attributes winning', async () => {
    const c = uniq('wayne');
    await drop(
      `exports/${uniq('customers')}.csv`,
      `customer_id,name,owner_email,plan\n${c},Wayne Enterprises,bruce@example.com,enterprise\n`,
    );
    await drop(
      `exports/${uniq('events')}.jsonl`,
      [
        JSON.stringify({
          type: 'cancellation',
          customer_id: c,
          subscription_id: 'sub_w',
          effective_at: '2026-05-01',
          reason: 'too_expensive',
        }),
        JSON.stringify({ type: 'customer', customer_id: c, owner_email: 'alfred@example.com' }),
      ].join('\n'),
    );
    const item = (await profile(c))!;
    expect(item).toMatchObject({ name: 'Wayne Enterprises', ownerEmail: 'alfred@example.com', gsi1sk: `CUST#${c}` });
    expect(profileToTimeline(item).cancellations).toEqual([
      { subscriptionId: 'sub_w', effectiveAt: '2026-05-01', reason: 'too_expensive' },
    ]);
  });

  it('ignores the s3:TestEvent message', async () => {
    const handler = createBillingIngestHandler({
      dynamo: local.stack.clients.dynamo,
      s3: local.stack.clients.s3,
      tableName: local.stack.tableName,
      config,
    });
    const body = JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: new Date().toISOString(),
      Bucket: local.stack.bucketName,
    });
    const response = await handler({ Records: [{ messageId: 't', body } as SQSEvent['Records'][number]] }, context);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('reports a poisoned message as a batch item failure without holding back the others', async () => {
    const c = uniq('poison');
    const key = `exports/${uniq('ok')}.csv`;
    await local.stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: local.stack.bucketName,
        Key: key,
        Body: [HEADER, `in_p,1,${c},s,pro,1,USD,2026-01-01,2026-02-01,paid`].join('\n'),
      }),
    );
    const handler = createBillingIngestHandler({
      dynamo: local.stack.clients.dynamo,
      s3: local.stack.clients.s3,
      tableName: local.stack.tableName,
      config,
    });
    const ok = {
      Records: [
        {
          eventSource: 'aws:s3',
          eventTime: new Date().toISOString(),
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: local.stack.bucketName }, object: { key, size: 1, eTag: 'x' } },
        },
      ],
    };
    const response = await handler(
      {
        Records: [
          { messageId: 'bad', body: 'not json' } as SQSEvent['Records'][number],
          { messageId: 'good', body: JSON.stringify(ok) } as SQSEvent['Records'][number],
        ],
      },
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(await profile(c)).toBeDefined();
  });

  it('keeps memory bounded by folding large files in chunks, with the same result', async () => {
    subscribe(7);
    const customers = Array.from({ length: 5 }, () => uniq('chunk'));
    const rows = [HEADER];
    for (let i = 0; i < 40; i++) {
      const c = customers[i % customers.length]!;
      rows.push(`in_c${i},1,${c},s_${c},pro,${10 + i},USD,2026-01-01,2026-02-01,paid`);
    }
    const key = `exports/${uniq('chunked')}.csv`;
    await drop(key, rows.join('\n'));
    const [file] = await fileRecords(key);
    expect(file).toMatchObject({ rows: 40, ingested: 40 });
    const all = await local.stack.clients.dynamo.send(
      new ScanCommand({ TableName: local.stack.tableName, FilterExpression: 'srcKey = :k', ExpressionAttributeValues: { ':k': key } }),
    );
    expect(all.Items).toHaveLength(40);
    for (const c of customers) expect(profileToTimeline((await profile(c))!).lines).toHaveLength(8);
  });

  it('survives a DynamoDB fault mid-file: the message is retried and nothing is lost or doubled', async () => {
    // A client whose second BatchWriteItem fails before the SDK's own retries can hide it, as an
    // exhausted throttling retry would.
    let batchWrites = 0;
    const faulty = new DynamoDBClient({
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: local.stack.endpoints.dynamodb,
    });
    faulty.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchWriteItemCommand' && ++batchWrites === 2) {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput (injected)'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectFault' },
    );
    const handler = createBillingIngestHandler({
      dynamo: DynamoDBDocumentClient.from(faulty),
      s3: local.stack.clients.s3,
      tableName: local.stack.tableName,
      config,
      chunkRows: 5,
    });
    local.stack.subscribe((event: SQSEvent) => handler(event, context));
    const c = uniq('fault');
    const rows = [HEADER];
    for (let i = 0; i < 20; i++) rows.push(`in_f${i},1,${c},s,pro,${i + 1},USD,2026-01-01,2026-02-01,paid`);
    const key = `exports/${uniq('fault')}.csv`;
    await drop(key, rows.join('\n'));

    expect(batchWrites).toBeGreaterThan(2);
    expect(local.stack.queue.deadLetters).toHaveLength(0);
    const lines = profileToTimeline((await profile(c))!).lines;
    expect(lines.map((l) => l.amount).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const items = (await customerItems(c)).filter((i) => (i.sk as string).startsWith('LINE#'));
    expect(items).toHaveLength(20);
    const [file] = await fileRecords(key);
    // The retry found the first chunk already folded in.
    expect(file).toMatchObject({ rows: 20, unchanged: 5, ingested: 15 });
  });

  it('rolls up usage-event JSONL files dropped under events/, quarantining bad events', async () => {
    const c = uniq('usage');
    const events = [
      { eventId: 'e1', customerId: c, feature: 'reports', timestamp: '2026-11-01T10:00:00Z' },
      { eventId: 'e2', customerId: c, feature: 'export', timestamp: '2026-11-01T11:00:00Z', count: 3 },
      { eventId: 'e3', customerId: c, feature: 'reports', timestamp: 'yesterday' },
    ];
    const key = `events/${uniq('usage')}.jsonl.gz`;
    await drop(key, gzipSync(events.map((e) => JSON.stringify(e)).join('\n')));
    const day = (await customerItems(c)).find((i) => i.sk === 'DAY#2026-11-01');
    expect(day).toMatchObject({ n: 4, 'f:reports': 1, 'f:export': 3 });
    const errors = (await readText(`quarantine/${key}.errors.jsonl`))!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number });
    expect(errors.map((e) => e.line)).toEqual([3]);
  });

  it('keeps the newest value of each customer attribute when files are processed out of order', async () => {
    // This test delivers the notifications itself, in the order and with the event times it chooses.
    local.stack.queue.unsubscribe();
    const c = uniq('attrs');
    const handler = createBillingIngestHandler({
      dynamo: local.stack.clients.dynamo,
      s3: local.stack.clients.s3,
      tableName: local.stack.tableName,
      config,
    });
    const put = async (key: string, body: string) =>
      (await local.stack.clients.s3.send(new PutObjectCommand({ Bucket: local.stack.bucketName, Key: key, Body: body }))).ETag;
    const deliver = async (key: string, eTag: string | undefined, eventTime: string) => {
      const body = JSON.stringify({
        Records: [
          {
            eventSource: 'aws:s3',
            eventTime,
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: local.stack.bucketName }, object: { key, size: 1, eTag } },
          },
        ],
      });
      const res = await handler({ Records: [{ messageId: key, body } as SQSEvent['Records'][number]] }, context);
      expect(res.batchItemFailures).toEqual([]);
    };
    const newer = `exports/${uniq('owners')}.csv`;
    const older = `exports/${uniq('customers')}.csv`;
    const newerTag = await put(newer, `customer_id,owner_email\n${c},new-owner@example.com\n`);
    const olderTag = await put(older, `customer_id,name,owner_email,plan\n${c},Initech,old-owner@example.com,pro\n`);
    await deliver(newer, newerTag, '2026-12-02T00:00:00Z');
    await deliver(older, olderTag, '2026-12-01T00:00:00Z');
    // The owner from the later file stays; the fields only the earlier file carries are kept too.
    expect(await profile(c)).toMatchObject({ ownerEmail: 'new-owner@example.com', name: 'Initech', plan: 'pro' });
  });

  it('bounds the quarantine file when every row is bad, and still counts and records them all', async () => {
    local.stack.queue.unsubscribe();
    const key = `exports/${uniq('all-bad')}.csv`;
    const rows = [HEADER, ...Array.from({ length: 500 }, (_, i) => `in_${i},1,cust,s,pro,10,JPY,2026-01-01,2026-02-01,paid`)];
    const eTag =
      (await local.stack.clients.s3.send(new PutObjectCommand({ Bucket: local.stack.bucketName, Key: key, Body: rows.join('\n') }))).ETag ??
      '';
    const report = await ingestBillingFile(
      {
        dynamo: local.stack.clients.dynamo,
        s3: local.stack.clients.s3,
        tableName: local.stack.tableName,
        readOptions: { reportingCurrency: 'USD', fxRates: {} },
        maxQuarantineBytes: 10_000,
      },
      { bucket: local.stack.bucketName, key, size: 1, eTag, eventTime: Date.now() },
    );
    expect(report).toMatchObject({ status: 'done', rows: 500, quarantined: 500, ingested: 0 });
    const listed = (await readText(`quarantine/${key}.errors.jsonl`))!.trim().split('\n');
    expect(listed.length).toBeGreaterThan(10);
    expect(listed.length + report.quarantineNotListed!).toBe(500);
    expect(JSON.parse(listed[0]!)).toMatchObject({ line: 2, reason: expect.stringMatching(/JPY/) });
    const [file] = await fileRecords(key);
    expect(file).toMatchObject({ quarantined: 500, quarantineNotListed: 500 - listed.length });
  });

  it('rejects, with a clear reason, the rows of a customer whose ledger would outgrow its profile, and ingests the others', async () => {
    subscribe();
    const big = uniq('huge');
    const small = uniq('small');
    const id = (i: number) => `in_${'x'.repeat(120)}_${i}`;
    const rows = [HEADER, `in_s,1,${small},s,pro,10,USD,2026-01-01,2026-02-01,paid`];
    for (let i = 0; i < 2_200; i++) rows.push(`${id(i)},li_${'y'.repeat(40)},${big},sub_big,pro,5,USD,2026-01-01,2026-02-01,paid`);
    const key = `exports/${uniq('huge')}.csv`;
    await drop(key, rows.join('\n'));
    expect(local.stack.queue.deadLetters).toHaveLength(0);
    expect(profileToTimeline((await profile(small))!).lines).toHaveLength(1);
    expect(await profile(big)).toBeUndefined();
    const [file] = await fileRecords(key);
    expect(file).toMatchObject({ status: 'done', rows: 2_201, ingested: 1, quarantined: 2_200 });
    const first = JSON.parse((await readText(`quarantine/${key}.errors.jsonl`))!.split('\n')[0]!) as { line: number; reason: string };
    expect(first.line).toBe(3);
    expect(first.reason).toMatch(new RegExp(`customer ${big}: its ledger would exceed what one profile item holds`));
  });
});
