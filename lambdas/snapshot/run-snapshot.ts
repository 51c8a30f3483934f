import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SnapshotBuilder } from '../domain/snapshot';
import type { Day, Snapshot } from '../domain/types';
import { renderAtRiskCsv } from '../report/at-risk-csv';
import { renderReportHtml } from '../report/report-html';
import type { Config } from '../shared/config';
import { runWithConcurrency } from '../store/batch';
import { keys } from '../store/keys';
import { fillActivityWindow, profileToTimeline, scanProfiles, type ScanStats } from '../store/profile-reader';

export interface SnapshotDeps {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  tableName: string;
  bucketName: string;
  config: Config;
  scanSegments?: number;
}

export interface SnapshotRun {
  snapshot: Snapshot;
  reportKeys: { json: string; csv: string; html: string };
  stats: ScanStats & { customers: number; backfilledActivity: number };
}

export const reportPrefix = (asOf: Day) => `reports/${asOf}/`;

/** Well under DynamoDB's 400 KB item limit. */
const MAX_SUMMARY_CHARS = 300_000;

/**
 * What the snapshot item keeps, queryable by date: everything but the at-risk list (unbounded; it
 * lives in S3). Segments and churn reasons are keyed by text from the exports (plans, free-text
 * reasons): should they make the item too large, it keeps the headline figures only and the S3
 * snapshot.json, referenced from the item, has the rest.
 */
export function snapshotSummary(snapshot: Snapshot, maxChars = MAX_SUMMARY_CHARS): Partial<Omit<Snapshot, 'atRisk'>> {
  const { atRisk: _atRisk, ...full } = snapshot;
  if (JSON.stringify(full).length <= maxChars) return full;
  const { byPlan: _p, churnReasons: _r, cohorts: _c, byTier: _t, byLifecycle: _l, ...headline } = full;
  return headline;
}

/**
 * Computes the snapshot for `asOf` from the customer profiles, stores its summary in DynamoDB (one
 * item per date: the history) and writes snapshot.json, at-risk.csv and report.html to S3.
 */
export async function runSnapshot(deps: SnapshotDeps, asOf: Day): Promise<SnapshotRun> {
  const { dynamo, s3, tableName, bucketName, config } = deps;
  const builder = new SnapshotBuilder(config, asOf);
  let backfilledActivity = 0;
  const stats = await scanProfiles(
    dynamo,
    tableName,
    async (items) => {
      await runWithConcurrency(items, 8, async (item) => {
        const timeline = profileToTimeline(item);
        if (await fillActivityWindow(dynamo, tableName, item, timeline, asOf)) backfilledActivity++;
        builder.add(timeline);
      });
    },
    { segments: deps.scanSegments },
  );
  const snapshot = builder.finish();
  const prefix = reportPrefix(asOf);
  const reportKeys = { json: `${prefix}snapshot.json`, csv: `${prefix}at-risk.csv`, html: `${prefix}report.html` };
  await Promise.all([
    put(s3, bucketName, reportKeys.json, JSON.stringify(snapshot, null, 2), 'application/json'),
    put(s3, bucketName, reportKeys.csv, renderAtRiskCsv(snapshot), 'text/csv; charset=utf-8'),
    put(s3, bucketName, reportKeys.html, renderReportHtml(snapshot), 'text/html; charset=utf-8'),
  ]);

  const summary = snapshotSummary(snapshot);
  await dynamo.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.snapshot(asOf),
        type: 'snapshot',
        asOf,
        computedAt: new Date().toISOString(),
        summary: JSON.stringify(summary),
        atRiskCount: snapshot.atRisk.length,
        reportKey: reportKeys.json,
        customersScanned: builder.size,
      },
    }),
  );
  return { snapshot, reportKeys, stats: { ...stats, customers: builder.size, backfilledActivity } };
}

async function put(s3: S3Client, bucket: string, key: string, body: string, contentType: string) {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}
