import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_MODEL } from '../domain/forecast/default-model';
import type { Band } from '../domain/forecast/types';
import { SnapshotBuilder } from '../domain/snapshot';
import type { Day, SnapshotSummary } from '../domain/types';
import { atRiskCsvChunks } from '../report/at-risk-csv';
import { atRiskOverview } from '../report/forecast-html';
import { renderReportHtml } from '../report/report-html';
import { snapshotJsonChunks } from '../report/snapshot-json';
import type { Config } from '../shared/config';
import { forEachLimit } from '../shared/retry';
import { reportKeysFor } from '../shared/layout';
import { keys } from '../store/keys';
import { decodeBands, encodeBands, ModelStore, type StoredModel } from '../store/model-store';
import { fillActivityWindow, profileToTimeline, scanProfiles, type ScanStats } from '../store/profile-reader';
import { putTextChunks } from '../store/s3-text-writer';
import { needsRefit, refitModel } from './refit';

export interface SnapshotDeps {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  tableName: string;
  bucketName: string;
  config: Config;
  scanSegments?: number;
}

export interface SnapshotRun {
  /** Everything but the at-risk list, which may be large: it is in reportKeys.json and .csv. */
  summary: SnapshotSummary;
  atRiskCount: number;
  reportKeys: { json: string; csv: string; html: string; bands: string };
  stats: ScanStats & { customers: number; backfilledActivity: number };
  /** The model used, and whether this run refitted it. */
  model: StoredModel | undefined;
  refitted: boolean;
}

/** What a finished snapshot reports, from one run or from the fan-out's Finish (which has no model to show). */
export type WrittenSnapshot = Pick<SnapshotRun, 'summary' | 'atRiskCount' | 'reportKeys' | 'stats' | 'refitted'> & {
  model?: SnapshotRun['model'];
};

export interface SnapshotOptions {
  /** Refit the model now, whatever its age (the first fit after a deploy and backfill). */
  refit?: boolean;
}

/** Well under DynamoDB's 400 KB item limit. */
const MAX_SUMMARY_CHARS = 300_000;

/**
 * What the snapshot item keeps, queryable by date: everything but the at-risk list (unbounded; it
 * lives in S3). Segments and churn reasons are keyed by text from the exports (plans, free-text
 * reasons): should they make the item too large, it keeps the headline figures only and the S3
 * snapshot.json, referenced from the item, has the rest.
 */
export function snapshotSummary(snapshot: SnapshotSummary & { atRisk?: unknown }, maxChars = MAX_SUMMARY_CHARS): Partial<SnapshotSummary> {
  const { atRisk: _atRisk, ...full } = snapshot;
  if (JSON.stringify(full).length <= maxChars) return full;
  const { byPlan: _p, churnReasons: _r, cohorts: _c, byTier: _t, byLifecycle: _l, ...headline } = full;
  return headline;
}

/**
 * Computes the snapshot for `asOf` from the customer profiles in one invocation, stores its summary
 * in DynamoDB (one item per date: the history) and writes snapshot.json, at-risk.csv and report.html
 * to S3. The at-risk list (a third of a large book) is never all objects at once: the builder keeps
 * its rows as text, and the files are streamed from them. The deployed schedule runs the same steps
 * in parts (./fan-out.ts); a manual invoke and the local CLI run this.
 */
export async function runSnapshot(deps: SnapshotDeps, asOf: Day, opts: SnapshotOptions = {}): Promise<SnapshotRun> {
  const { stored, refitted } = await prepareModel(deps, asOf, opts);
  const builder = newBuilder(deps.config, asOf, stored, await readPreviousBands(deps, asOf));
  const stats = await foldProfiles(deps, builder, asOf, { segments: deps.scanSegments });
  const written = await writeSnapshot(deps, asOf, builder, stored);
  return { ...written, stats: { ...stats, customers: builder.size }, model: stored, refitted };
}

/** The forecast model this run uses: refitted first when asked or due (and saved as current). */
export async function prepareModel(
  deps: SnapshotDeps,
  asOf: Day,
  opts: SnapshotOptions = {},
): Promise<{ stored: StoredModel | undefined; refitted: boolean; profiles?: number }> {
  const { dynamo, tableName, config } = deps;
  const models = new ModelStore(dynamo, tableName);
  const current = await models.current();
  if (!(opts.refit === true || needsRefit(current, asOf, config.risk.horizonDays))) return { stored: current, refitted: false };
  const { stored, stats } = await refitModel(dynamo, tableName, config, asOf);
  await models.save(stored);
  // The refit counted the profiles to size its sample: the plan sizes its parts on the same count.
  return { stored, refitted: true, profiles: stats.profiles };
}

export function newBuilder(config: Config, asOf: Day, stored: StoredModel | undefined, previousBands: Map<string, Band>): SnapshotBuilder {
  const model = stored?.model ?? { ...DEFAULT_MODEL, horizonDays: config.risk.horizonDays };
  return new SnapshotBuilder(config, asOf, { model, risk: config.risk, previousBands });
}

export type FoldStats = ScanStats & { backfilledActivity: number };

/** Feeds the builder every profile of the scan (or of the segments `only` names), page by page. */
export async function foldProfiles(
  deps: Pick<SnapshotDeps, 'dynamo' | 'tableName'>,
  builder: SnapshotBuilder,
  asOf: Day,
  scan: { segments?: number; only?: readonly number[] },
): Promise<FoldStats> {
  const { dynamo, tableName } = deps;
  let backfilledActivity = 0;
  const stats = await scanProfiles(
    dynamo,
    tableName,
    async (items) => {
      await forEachLimit(items, 8, async (item) => {
        const timeline = profileToTimeline(item);
        if (await fillActivityWindow(dynamo, tableName, item, timeline, asOf)) backfilledActivity++;
        builder.add(timeline);
      });
    },
    scan,
  );
  return { ...stats, backfilledActivity };
}

/** Writes the reports and the snapshot item from a builder that has seen every customer. */
export async function writeSnapshot(
  deps: SnapshotDeps,
  asOf: Day,
  builder: SnapshotBuilder,
  stored: StoredModel | undefined,
): Promise<Pick<SnapshotRun, 'summary' | 'atRiskCount' | 'reportKeys'>> {
  const { dynamo, s3, tableName, bucketName } = deps;
  const { summary: full, atRisk } = builder.finishParts();
  const reportKeys = reportKeysFor(asOf);
  const put = (key: string, contentType: string, chunks: Iterable<string>) =>
    putTextChunks(s3, { bucket: bucketName, key, contentType }, chunks);
  // One file after the other: each holds at most a part in memory, and the CSV parses the rows again.
  await put(reportKeys.json, 'application/json', snapshotJsonChunks(full, atRisk));
  await put(reportKeys.csv, 'text/csv; charset=utf-8', atRiskCsvChunks(atRisk));
  const html = renderReportHtml(full, { backtest: stored?.backtest ?? null, atRisk: atRiskOverview(atRisk) });
  await put(reportKeys.html, 'text/html; charset=utf-8', [html]);
  await put(reportKeys.bands, 'application/json', [encodeBands(builder.bands())]);

  await dynamo.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.snapshot(asOf),
        type: 'snapshot',
        asOf,
        computedAt: new Date().toISOString(),
        summary: JSON.stringify(snapshotSummary(full)),
        atRiskCount: atRisk.length,
        reportKey: reportKeys.json,
        bandsKey: reportKeys.bands,
        customersScanned: builder.size,
      },
    }),
  );
  return { summary: full, atRiskCount: atRisk.length, reportKeys };
}

/** Bands of the latest earlier snapshot (none on a first run, or when its file is gone). */
export async function readPreviousBands(
  deps: Pick<SnapshotDeps, 'dynamo' | 'tableName' | 's3' | 'bucketName'>,
  asOf: Day,
): Promise<Map<string, Band>> {
  const { s3, bucketName: bucket } = deps;
  const key = await new ModelStore(deps.dynamo, deps.tableName).previousSnapshotBandsKey(asOf);
  if (!key) return new Map();
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return decodeBands(await out.Body!.transformToString());
  } catch (err) {
    // Without s3:ListBucket a missing object answers AccessDenied, not NoSuchKey: both mean the
    // previous bands are gone, and the run goes on without hysteresis rather than failing.
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'AccessDenied') return new Map();
    throw err;
  }
}
