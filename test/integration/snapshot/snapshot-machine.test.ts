import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/shared/config';
import { reportKeysFor } from '../../../lambdas/shared/layout';
import { finishSnapshot, planSnapshot, runSnapshotPart } from '../../../lambdas/snapshot/fan-out';
import { runSnapshot } from '../../../lambdas/snapshot/run-snapshot';
import { batchPut } from '../../../lambdas/store/batch';
import { keys } from '../../../lambdas/store/keys';
import { readText } from '../../../local/pipeline';
import { runSnapshotLocally } from '../../../local/snapshot-machine';
import type { ExecutionEvent } from '../../../local/state-machine';
import { profileItem, SYNTHETIC_SETTINGS, syntheticTimelines } from '../../../bench/synthetic';
import { scaled } from '../../support/timeouts';
import { stackDeps, useEmbeddedStack } from '../../support/stack';

const local = useEmbeddedStack({ ses: false });
const config = parseConfig({ ...SYNTHETIC_SETTINGS });

const deps = () => ({ ...stackDeps(local.stack), config });

/** Everything a run leaves for its readers: the four report files and the snapshot item. */
async function written(asOf: string) {
  const files = await Promise.all(Object.values(reportKeysFor(asOf)).map((key) => readText(local.stack, key)));
  const item = await local.stack.clients.dynamo.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.snapshot(asOf) }));
  const { computedAt: _computedAt, ...rest } = item.Item ?? {};
  return { files, item: rest };
}

describe('the snapshot state machine on the embedded stack', () => {
  it(
    'folds the customers in parts and writes, byte for byte, the reports of a single run',
    async () => {
      const asOf = '2026-06-30';
      // Two books in one table: churners, expansions, several plans and currencies, owners and none.
      const customers = [
        ...syntheticTimelines({ customers: 450, asOf, seed: 21 }),
        ...syntheticTimelines({ customers: 250, asOf, seed: 22, firstId: 450 }),
      ];
      await batchPut(local.stack.clients.dynamo, local.stack.tableName, customers.map(profileItem), 8);

      // The single run also fits the forecast, so both use one model.
      const single = await runSnapshot({ ...deps(), scanSegments: 5 }, asOf, { refit: true });
      expect(single.atRiskCount).toBeGreaterThan(100);
      const expected = await written(asOf);

      const events: ExecutionEvent[] = [];
      const handed: unknown[] = [];
      const out = await runSnapshotLocally(
        { ...deps(), scanSegments: 7, profilesPerPart: 120, handOver: async (r) => void handed.push(r) },
        { asOf },
        { executionName: 'parts-test', onEvent: (e) => events.push(e) },
      );
      const parts = events.filter((e) => e.type === 'enter' && e.state === 'FoldPart').map((e) => (e as { mapItem?: number }).mapItem);
      expect(parts.sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(out).toEqual({ asOf, reportKeys: reportKeysFor(asOf), atRisk: single.atRiskCount });
      expect(handed).toEqual([{ asOf, snapshotKey: reportKeysFor(asOf).json }]);
      const inParts = await written(asOf);
      expect(inParts.item).toEqual(expected.item);
      inParts.files.forEach((text, i) => expect(text === expected.files[i], Object.keys(reportKeysFor(asOf))[i]).toBe(true));
    },
    scaled(180_000),
  );

  it(
    'fails the execution when a step still fails after its retries',
    async () => {
      const events: ExecutionEvent[] = [];
      await expect(runSnapshotLocally(deps(), { asOf: '30/06/2026' }, { onEvent: (e) => events.push(e) })).rejects.toThrow(
        /state machine failed: SnapshotFailed/,
      );
      expect(events.filter((e) => e.type === 'retry' && e.state === 'Plan')).toHaveLength(2);
      expect(events.some((e) => e.type === 'enter' && e.state === 'FoldParts')).toBe(false);
    },
    scaled(60_000),
  );

  it(
    'refuses to merge a part that is damaged, naming its file and line',
    async () => {
      const asOf = '2026-05-31';
      const { plan, parts } = await planSnapshot({ ...deps(), scanSegments: 4 }, asOf, 'damaged-test', { profilesPerPart: 300 });
      expect(parts.length).toBeGreaterThan(1);
      for (const part of parts) await runSnapshotPart(deps(), plan, part);
      const damaged = `${plan.prefix}part-001.jsonl`;
      const text = await readText(local.stack, damaged);
      const lines = text.split('\n');
      lines[2] = lines[2]!.replace(/^\[/, '{');
      await local.stack.clients.s3.send(new PutObjectCommand({ Bucket: local.stack.bucketName, Key: damaged, Body: lines.join('\n') }));
      await expect(finishSnapshot(deps(), plan)).rejects.toThrow(new RegExp(`${damaged} line 3: snapshot partial: at-risk row line`));

      await local.stack.clients.s3.send(new PutObjectCommand({ Bucket: local.stack.bucketName, Key: damaged, Body: '' }));
      await expect(finishSnapshot(deps(), plan)).rejects.toThrow(`${damaged} is empty: the part did not finish`);
    },
    scaled(120_000),
  );
});
