import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { randomBytes, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeTimeToLiveCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { useEmbeddedStack } from '../support/stack';
import { startEmbeddedStack } from '../../local/stack';
import { LocalSqsQueue } from '../../local/sqs-queue';
import { encodeS3EventKey, s3TestEvent, type S3EventNotification } from '../../local/s3-events';
import { isPortFree } from '../../local/free-port';

const local = useEmbeddedStack();

const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

describe('DynamoDB Local', () => {
  it('puts, gets and queries items of the stack table, with TTL enabled on ttl', async () => {
    const { dynamo } = local.stack.clients;
    const TableName = local.stack.tableName;
    for (const day of ['2026-11-01', '2026-11-02', '2026-11-03']) {
      await dynamo.send(new PutCommand({ TableName, Item: { pk: 'CUST#q', sk: `DAY#${day}`, events: day.length } }));
    }
    await dynamo.send(new PutCommand({ TableName, Item: { pk: 'CUST#q', sk: 'PROFILE', plan: 'pro' } }));

    const got = await dynamo.send(new GetCommand({ TableName, Key: { pk: 'CUST#q', sk: 'PROFILE' } }));
    expect(got.Item).toEqual({ pk: 'CUST#q', sk: 'PROFILE', plan: 'pro' });

    const days = await dynamo.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
        ExpressionAttributeValues: { ':pk': 'CUST#q', ':day': 'DAY#2026-11-0' },
        ScanIndexForward: false,
      }),
    );
    expect(days.Items?.map((i) => i.sk)).toEqual(['DAY#2026-11-03', 'DAY#2026-11-02', 'DAY#2026-11-01']);

    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');
  });

  it('applies TransactWriteItems atomically', async () => {
    const { dynamo } = local.stack.clients;
    const TableName = local.stack.tableName;
    await dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: { pk: 'FILE#a.csv', sk: 'ETAG#1', rows: 2 } } },
          { Put: { TableName, Item: { pk: 'CUST#t', sk: 'LINE#i1#l1', amount: 5 } } },
        ],
      }),
    );
    // the condition on the second item fails, so the first put must not happen either
    const failing = dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: { pk: 'CUST#t', sk: 'LINE#i2#l1', amount: 7 } } },
          {
            Put: {
              TableName,
              Item: { pk: 'FILE#a.csv', sk: 'ETAG#1', rows: 3 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    await expect(failing).rejects.toBeInstanceOf(TransactionCanceledException);
    const lines = await dynamo.send(
      new QueryCommand({ TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'CUST#t' } }),
    );
    expect(lines.Items?.map((i) => i.sk)).toEqual(['LINE#i1#l1']);
    const file = await dynamo.send(new GetCommand({ TableName, Key: { pk: 'FILE#a.csv', sk: 'ETAG#1' } }));
    expect(file.Item?.rows).toBe(2);
  });

  it('returns every item exactly once across the segments of a parallel scan', async () => {
    const { dynamo } = local.stack.clients;
    const TableName = local.stack.tableName;
    const ids = Array.from({ length: 120 }, (_, i) => `scan-${i}`);
    await Promise.all(ids.map((id) => dynamo.send(new PutCommand({ TableName, Item: { pk: `CUST#${id}`, sk: 'PROFILE', kind: 'scan' } }))));
    const TotalSegments = 4;
    const seen: string[] = [];
    await Promise.all(
      Array.from({ length: TotalSegments }, async (_, Segment) => {
        let ExclusiveStartKey: Record<string, unknown> | undefined;
        do {
          const page = await dynamo.send(
            new ScanCommand({
              TableName,
              Segment,
              TotalSegments,
              Limit: 25,
              ExclusiveStartKey,
              FilterExpression: 'kind = :k',
              ExpressionAttributeValues: { ':k': 'scan' },
            }),
          );
          seen.push(...(page.Items ?? []).map((i) => String(i.pk)));
          ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey);
      }),
    );
    expect(seen.sort()).toEqual(ids.map((id) => `CUST#${id}`).sort());
  });
});

describe('s3rver', () => {
  it('is read-after-write consistent and replaces an object whole, as S3 is', async () => {
    const { s3 } = local.stack.clients;
    const Bucket = local.stack.bucketName;
    const Key = 'staging/consistency/state.json';
    const version = (n: number) => JSON.stringify({ n, padding: String(n).repeat(400_000) });
    const read = async () => (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString('utf-8');
    for (let n = 0; n < 12; n++) {
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: version(n) }));
      // Read right away, and while the next version is being written: whole versions only, never a mix.
      expect(await read()).toBe(version(n));
      const [, during] = await Promise.all([s3.send(new PutObjectCommand({ Bucket, Key, Body: version(n + 100) })), read()]);
      expect([version(n), version(n + 100)]).toContain(during);
      expect(await read()).toBe(version(n + 100));
    }
  });

  it('stores a streamed PutObject body byte for byte', async () => {
    const { s3 } = local.stack.clients;
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const chunks = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
    await s3.send(
      new PutObjectCommand({
        Bucket: local.stack.bucketName,
        Key: 'reports/blob.bin',
        Body: Readable.from(chunks),
        ContentLength: body.length,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: local.stack.bucketName, Key: 'reports/blob.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.length).toBe(body.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('pages ListObjectsV2 past 1000 keys with continuation tokens', async () => {
    const { s3 } = local.stack.clients;
    const Bucket = local.stack.bucketName;
    const keys = Array.from({ length: 1010 }, (_, i) => `many/${String(i).padStart(5, '0')}.txt`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }))));
    }
    const listed: string[] = [];
    let ContinuationToken: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'many/', ContinuationToken }));
      pages += 1;
      listed.push(...(page.Contents ?? []).map((o) => o.Key!));
      expect(page.IsTruncated).toBe(Boolean(page.NextContinuationToken));
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    expect(pages).toBe(2);
    expect(listed).toEqual(keys);
  });
});

describe('S3 to SQS bridge', () => {
  it('delivers an object created under exports/ as an SQS-wrapped S3 notification with an encoded key', async () => {
    const stack = local.stack;
    const received: SQSEvent[] = [];
    stack.subscribe(async (event) => {
      received.push(event);
    });
    const key = 'exports/Q4 billing/rechnung für Zoë & co.csv';
    const put = await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: key, Body: 'id,amount\n1,2\n' }));
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: 'reports/ignored.json', Body: '{}' }));
    await stack.queue.drain();
    stack.queue.unsubscribe();

    const records = received.flatMap((e) => e.Records);
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: stack.queue.arn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(record.receiptHandle).toEqual(expect.any(String));
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(0);

    const notification = JSON.parse(record.body) as S3EventNotification;
    expect(notification.Records).toHaveLength(1);
    const s3Record = notification.Records[0]!;
    expect(s3Record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: stack.bucketName, arn: `arn:aws:s3:::${stack.bucketName}` },
        object: { size: 14, eTag: put.ETag!.replace(/"/g, '') },
      },
    });
    expect(Number.isNaN(Date.parse(s3Record.eventTime))).toBe(false);
    expect(s3Record.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
    expect(s3Record.s3.object.key).toBe('exports/Q4+billing/rechnung+f%C3%BCr+Zo%C3%AB+%26+co.csv');
    expect(decodeKey(s3Record.s3.object.key)).toBe(key);
  });

  it('tells onObjectCreated listeners about every object, filtered or not', async () => {
    const stack = local.stack;
    const seen: string[] = [];
    const off = stack.onObjectCreated((n) => seen.push(decodeKey(n.Records[0]!.s3.object.key)));
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: 'other/x.txt', Body: 'x' }));
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: 'events/e.json', Body: '{}' }));
    off();
    expect(seen).toEqual(['other/x.txt', 'events/e.json']);
    // events/ is bridged by default; nobody is subscribed, so the message waits in the queue
    expect(stack.queue.depth).toBe(1);
  });

  it('encodes keys so that form-URL decoding gives the key back, with no spaces or non-ASCII left', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (key) => {
        const encoded = encodeS3EventKey(key);
        expect(decodeKey(encoded)).toBe(key);
        expect(encoded).toMatch(/^[\x21-\x7e]*$/);
      }),
    );
  });

  it('builds the s3:TestEvent S3 sends when a notification is configured', () => {
    expect(s3TestEvent('b', new Date('2026-11-24T00:00:00Z'))).toMatchObject({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2026-11-24T00:00:00.000Z',
      Bucket: 'b',
    });
  });
});

describe('LocalSqsQueue', () => {
  it('redelivers only the reported failures and dead-letters after maxReceiveCount', async () => {
    const queue = new LocalSqsQueue({ batchSize: 2, maxReceiveCount: 3 });
    const deliveries: { body: string; receiveCount: string }[] = [];
    const batches: string[][] = [];
    queue.subscribe(async (event) => {
      batches.push(event.Records.map((r) => r.body));
      for (const r of event.Records) deliveries.push({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount });
      const failures = event.Records.filter(
        (r: SQSRecord) => r.body === 'poison' || (r.body === 'flaky' && r.attributes.ApproximateReceiveCount === '1'),
      );
      return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) };
    });
    const ids = ['good', 'flaky', 'poison', 'fine'].map((body) => queue.send(body));
    await queue.drain();

    expect(batches.every((b) => b.length <= 2)).toBe(true);
    const countsOf = (body: string) => deliveries.filter((d) => d.body === body).map((d) => d.receiveCount);
    expect(countsOf('good')).toEqual(['1']);
    expect(countsOf('fine')).toEqual(['1']);
    expect(countsOf('flaky')).toEqual(['1', '2']);
    expect(countsOf('poison')).toEqual(['1', '2', '3']);
    expect(queue.deadLetters.map((d) => d.record.messageId)).toEqual([ids[2]]);
    expect(queue.deadLetters[0]!.record.attributes.ApproximateReceiveCount).toBe('3');
    expect(queue.depth).toBe(0);
  });

  it('retries the whole batch when the handler throws', async () => {
    const queue = new LocalSqsQueue({ batchSize: 10, maxReceiveCount: 2 });
    let calls = 0;
    queue.subscribe(async (event) => {
      calls += 1;
      if (calls === 1) throw new Error(`boom with ${event.Records.length}`);
    });
    queue.send({ a: 1 });
    queue.send({ b: 2 });
    await queue.drain();
    expect(calls).toBe(2);
    expect(queue.deadLetters).toEqual([]);
  });

  it('holds messages until a handler subscribes', async () => {
    const queue = new LocalSqsQueue();
    queue.send('waiting');
    await new Promise((r) => setTimeout(r, 20));
    expect(queue.depth).toBe(1);
    const bodies: string[] = [];
    queue.subscribe(async (event) => {
      bodies.push(...event.Records.map((r) => r.body));
    });
    await queue.drain();
    expect(bodies).toEqual(['waiting']);
  });
});

describe('SES emulator', () => {
  it('keeps sent mail readable until cleared', async () => {
    const stack = local.stack;
    await stack.clearMail();
    await stack.clients.ses!.send(
      new SendEmailCommand({
        FromEmailAddress: 'churnwatch@example.com',
        Destination: { ToAddresses: ['csm@example.com'] },
        Content: {
          Simple: {
            Subject: { Data: '[Churnwatch] 2 at risk' },
            Body: { Text: { Data: 'acme, globex' } },
            Headers: [{ Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' }],
          },
        },
      }),
    );
    const mail = await stack.sentMail();
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({
      from: 'churnwatch@example.com',
      destination: { to: ['csm@example.com'] },
      subject: '[Churnwatch] 2 at risk',
      body: { text: 'acme, globex' },
      headers: [{ name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' }],
    });
    await stack.clearMail();
    expect(await stack.sentMail()).toEqual([]);
  });
});

describe('stack lifecycle', () => {
  it('runs two stacks at once without collisions and frees their ports, processes and directories on stop', async () => {
    const [a, b] = await Promise.all([startEmbeddedStack({ ses: false }), startEmbeddedStack({ ses: false })]);
    try {
      expect(a.endpoints.dynamodb).not.toBe(b.endpoints.dynamodb);
      expect(a.endpoints.s3).not.toBe(b.endpoints.s3);
      expect(a.tableName).not.toBe(b.tableName);
      await a.clients.dynamo.send(new PutCommand({ TableName: a.tableName, Item: { pk: 'only', sk: 'a' } }));
      const inB = await b.clients.dynamo.send(new ScanCommand({ TableName: b.tableName }));
      expect(inB.Items).toEqual([]);
      await a.clients.s3.send(new PutObjectCommand({ Bucket: a.bucketName, Key: 'exports/a.csv', Body: 'a' }));
      expect(a.queue.depth).toBe(1);
      expect(b.queue.depth).toBe(0);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    for (const stack of [a, b]) {
      for (const url of [stack.endpoints.dynamodb, stack.endpoints.s3]) {
        expect(await isPortFree(Number(new URL(url).port))).toBe(true);
      }
      expect(isAlive(stack.resources.dynamodbPid!)).toBe(false);
      expect(existsSync(stack.resources.s3Directory)).toBe(false);
    }
    // and a stack starts again after that
    const again = await startEmbeddedStack({ ses: false });
    await again.stop();
    // three JVM starts: generous on a loaded 2-core machine (this is not a timing assertion)
  }, 240_000);

  it('provides the env a handler needs', () => {
    const { env, endpoints, tableName, bucketName } = local.stack;
    expect(env).toMatchObject({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_SES: endpoints.ses,
      AWS_ENDPOINT_URL_SESV2: endpoints.ses,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      TABLE_NAME: tableName,
      BUCKET_NAME: bucketName,
    });
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
