import { GetObjectCommand, HeadObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { SnapshotBuilder } from '../../../lambdas/domain/snapshot';
import type { Snapshot } from '../../../lambdas/domain/types';
import { parseConfig } from '../../../lambdas/shared/config';
import { runSnapshot } from '../../../lambdas/snapshot/run-snapshot';
import { batchPut } from '../../../lambdas/store/batch';
import { profileToTimeline } from '../../../lambdas/store/profile-reader';
import { MIN_PART_BYTES, putTextChunks } from '../../../lambdas/store/s3-text-writer';
import { readJson, readText } from '../../../local/pipeline';
import { profileItem, SYNTHETIC_SETTINGS, syntheticTimelines } from '../../../bench/synthetic';
import { renderAtRiskCsv } from '../../../lambdas/report/at-risk-csv';
import { scaled } from '../../support/timeouts';
import { stackDeps, useEmbeddedStack } from '../../support/stack';

const local = useEmbeddedStack({ ses: false });

/** Text of `n` characters in chunks of varying length, with multi-byte characters across chunk ends. */
function* textChunks(total: number): Generator<string> {
  let written = 0;
  let i = 0;
  while (written < total) {
    const chunk = `row ${i} → naïve “quoted” 日本 ${'x'.repeat(i % 997)}\n`;
    yield chunk;
    written += chunk.length;
    i++;
  }
}

describe('putTextChunks on the embedded S3', () => {
  it(
    'writes a text larger than a part as a multipart upload, byte for byte',
    async () => {
      const { s3 } = local.stack.clients;
      const expected = [...textChunks(12 * 1024 * 1024)].join('');
      const out = await putTextChunks(
        s3,
        { bucket: local.stack.bucketName, key: 'reports/t/big.txt', contentType: 'text/plain; charset=utf-8' },
        textChunks(12 * 1024 * 1024),
        MIN_PART_BYTES,
      );
      expect(out.parts).toBeGreaterThanOrEqual(3);
      expect(out.bytes).toBe(Buffer.byteLength(expected, 'utf8'));
      expect(await readText(local.stack, 'reports/t/big.txt')).toBe(expected);
    },
    scaled(60_000),
  );

  it('writes a small text with one PutObject and its content type', async () => {
    const { s3 } = local.stack.clients;
    const out = await putTextChunks(
      s3,
      { bucket: local.stack.bucketName, key: 'reports/t/small.csv', contentType: 'text/csv; charset=utf-8' },
      ['a,b\r\n', '1,→\r\n'],
    );
    expect(out).toEqual({ bytes: Buffer.byteLength('a,b\r\n1,→\r\n'), parts: 0 });
    expect(await readText(local.stack, 'reports/t/small.csv')).toBe('a,b\r\n1,→\r\n');
    const head = await s3.send(new HeadObjectCommand({ Bucket: local.stack.bucketName, Key: 'reports/t/small.csv' }));
    expect(head.ContentType).toBe('text/csv; charset=utf-8');
  });

  it(
    'leaves no object behind when the chunks fail after a part was uploaded, and reports that failure',
    async () => {
      const { s3 } = local.stack.clients;
      function* failing(): Generator<string> {
        yield* textChunks(6 * 1024 * 1024);
        throw new Error('the renderer broke');
      }
      await expect(
        putTextChunks(
          s3,
          { bucket: local.stack.bucketName, key: 'reports/t/broken.txt', contentType: 'text/plain' },
          failing(),
          MIN_PART_BYTES,
        ),
      ).rejects.toThrow('the renderer broke');
      await expect(s3.send(new GetObjectCommand({ Bucket: local.stack.bucketName, Key: 'reports/t/broken.txt' }))).rejects.toBeInstanceOf(
        NoSuchKey,
      );
    },
    scaled(60_000),
  );

  it('refuses parts below S3 minimum size', async () => {
    await expect(
      putTextChunks(local.stack.clients.s3, { bucket: local.stack.bucketName, key: 'reports/t/x', contentType: 'text/plain' }, ['x'], 1024),
    ).rejects.toThrow(/at least 5242880/);
  });
});

describe('runSnapshot reports streamed from the kept rows', () => {
  it(
    'writes snapshot.json and at-risk.csv equal to the engine on the same profiles',
    async () => {
      const asOf = '2026-06-30';
      const customers = syntheticTimelines({ customers: 600, asOf, seed: 9 });
      const { dynamo } = local.stack.clients;
      await batchPut(dynamo, local.stack.tableName, customers.map(profileItem), 8);
      const config = parseConfig({ ...SYNTHETIC_SETTINGS });
      const run = await runSnapshot({ ...stackDeps(local.stack), config }, asOf);

      // The engine fed the same profiles in id order, with the model the run used.
      const builder = new SnapshotBuilder(config, asOf, { model: run.model!.model, risk: config.risk, previousBands: new Map() });
      for (const c of customers) builder.add(profileToTimeline(profileItem(c)));
      const expected = builder.finish();
      expect(expected.atRisk.length).toBeGreaterThan(100);

      const written = await readJson<Snapshot>(local.stack, run.reportKeys.json);
      expect(written).toEqual(JSON.parse(JSON.stringify(expected)));
      expect(Object.keys(written)).toEqual(Object.keys(expected).filter((k) => expected[k as keyof Snapshot] !== undefined));
      expect(run.atRiskCount).toBe(expected.atRisk.length);
      const csv = await readText(local.stack, run.reportKeys.csv);
      expect(csv).toBe(renderAtRiskCsv(expected));
      expect((parse(csv, { columns: true }) as unknown[]).length).toBe(expected.atRisk.length);
      const html = await readText(local.stack, run.reportKeys.html);
      const red = expected.atRisk.filter((c) => c.band === 'red');
      expect(html).toContain(`Red: likely to churn <span class="count">${red.length}</span>`);
    },
    scaled(120_000),
  );
});
