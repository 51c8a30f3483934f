import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import type { Day, Snapshot } from '../lambdas/domain/types';
import { createDigestHandler, RetryableDigestFailure, tableOptOuts } from '../lambdas/digest/handler';
import type { DigestSummary } from '../lambdas/digest/send-digests';
import { createBillingIngestHandler } from '../lambdas/ingest-billing/handler';
import type { FileReport } from '../lambdas/ingest-billing/ingest-file';
import type { Config } from '../lambdas/shared/config';
import { keys } from '../lambdas/store/keys';
import { ModelStore, type StoredModel } from '../lambdas/store/model-store';
import { UnsubscribeStore } from '../lambdas/store/unsubscribe-store';
import { lambdaContext } from './lambda-context';
import { runSnapshotLocally } from './snapshot-machine';
import { localLargeFileStarter } from './large-files';
import { startEmbeddedStack, type EmbeddedStack } from './stack';
import type { SentMail } from './ses-emulator';
import type { ReceivedSlackMessage } from './slack-receiver';
import type { SlackDelivery } from '../lambdas/digest/send-digests';
import { postToSlack } from '../lambdas/digest/slack';
import type { UsageApi } from './usage-api';
import { startUsagePath, type LocalUsagePath } from './usage-path';
import { bulkLoadUsageEvents, expandEventPaths, type BulkLoadResult } from './usage-bulk';

export interface PipelineOptions {
  billing: string[];
  events: string[];
  asOf: Day;
  config: Config;
  /** Progress lines for a person watching (stderr); silent when omitted. */
  progress?: (message: string) => void;
  /** Clock for usage validation ("more than a day in the future"); defaults to now. */
  now?: () => Date;
}

export interface PipelineResult {
  snapshot: Snapshot;
  files: FileReport[];
  usage: BulkLoadResult;
  digest: DigestSummary;
  mail: SentMail[];
  /** The digests as posted to Slack (the local receiver, one channel with every owner). */
  slack: ReceivedSlackMessage[];
  reportKeys: { json: string; csv: string; html: string; bands: string };
  /** The forecast model the snapshot used, with the backtest of its last refit. */
  model: StoredModel | undefined;
  stack: EmbeddedStack;
  usageApi: UsageApi;
  apiKey: string;
  /** The local `GET|POST /unsubscribe` every email's List-Unsubscribe header points to. */
  unsubscribeUrl: string;
  /** Stops the API adapter and the emulators (no leftover processes or ports). */
  stop(): Promise<void>;
}

/** Billing files of a folder: text exports, and Stripe Data Pipeline Parquet tables (a local copy of a drop keeps its folders). */
const BILLING_FILE = /\.(csv|jsonl|ndjson)(\.gz)?$|\.parquet$/i;
/** A billing file, or the billing files under a folder (sorted, so later files are dropped later). */
export async function expandBillingPaths(path: string): Promise<{ path: string; key: string }[]> {
  const s = await stat(path);
  if (!s.isDirectory()) return [{ path, key: `exports/${basename(path)}` }];
  const entries = await readdir(path, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && BILLING_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort()
    .map((file) => ({ path: file, key: `exports/${relative(path, file).split('\\').join('/')}` }));
}

/** Two inputs with the same name (`a/invoices.csv`, `b/invoices.csv`) must not become one S3 object. */
export function uniqueKeys(files: { path: string; key: string }[]): { path: string; key: string }[] {
  const used = new Set<string>();
  return files.map((file) => {
    let key = file.key;
    for (let n = 2; used.has(key); n++) key = file.key.replace(/^exports\//, `exports/${n}/`);
    used.add(key);
    return { ...file, key };
  });
}

/** A fresh embedded stack with the given files loaded through the real event paths. */
export interface LoadedStack {
  stack: EmbeddedStack;
  usageApi: UsageApi;
  apiKey: string;
  /** `GET|POST /unsubscribe` on the local API, and the key its links are signed with (one per run). */
  unsubscribe: { url: string; key: string };
  files: FileReport[];
  usage: BulkLoadResult;
  deps: {
    dynamo: EmbeddedStack['clients']['dynamo'];
    s3: EmbeddedStack['clients']['s3'];
    tableName: string;
    bucketName: string;
    config: Config;
  };
  stop(): Promise<void>;
}

/**
 * Starts a fresh embedded stack and loads the files through the real handlers and event paths:
 * billing files → S3 → SQS-shaped notifications → ingest Lambda; event files → HTTP API adapter →
 * API Gateway proxy events → usage Lambda. `local run` and `backtest` share it.
 */
export async function startLoadedStack(options: Omit<PipelineOptions, 'asOf'>): Promise<LoadedStack> {
  const progress = options.progress ?? (() => undefined);
  const { config } = options;
  const [billingLists, eventFiles] = await Promise.all([
    Promise.all(options.billing.map(expandBillingPaths)),
    Promise.all(options.events.map(expandEventPaths)).then((lists) => lists.flat()),
  ]);
  const billingFiles = uniqueKeys(billingLists.flat());

  progress('starting the embedded AWS stack (DynamoDB Local, S3, SES)…');
  const stack = await startEmbeddedStack({ ses: true, slack: true, namePrefix: 'churnwatch' });
  let usagePath: LocalUsagePath | undefined;
  let usageApi: UsageApi | undefined;
  const stop = async () => {
    await usagePath?.stop();
    await stack.stop();
  };
  try {
    const { dynamo, s3 } = stack.clients;
    const deps = { dynamo, s3, tableName: stack.tableName, bucketName: stack.bucketName, config };

    // Exports over largeFiles.thresholdBytes run through the large-file state machine's definition.
    const ingest = createBillingIngestHandler({ ...deps, startLargeFile: localLargeFileStarter(deps) });
    stack.subscribe((event: SQSEvent) => ingest(event, lambdaContext('churnwatch-ingest-billing')));
    for (const [i, file] of billingFiles.entries()) {
      const size = (await stat(file.path)).size;
      progress(`billing ${i + 1}/${billingFiles.length}: ${file.key} (${formatBytes(size)})`);
      await s3.send(
        new PutObjectCommand({
          Bucket: stack.bucketName,
          Key: file.key,
          Body: createReadStream(file.path),
          ContentLength: size,
        }),
      );
      // One file at a time: "last file wins" follows the order the files were given in.
      await stack.queue.drain();
    }
    if (stack.queue.deadLetters.length > 0) {
      throw new Error(`${stack.queue.deadLetters.length} billing file notification(s) failed repeatedly; see the logs above`);
    }
    const files = await fileReports(
      stack,
      billingFiles.map((f) => f.key),
    );
    const rows = files.reduce((n, f) => n + f.rows, 0);
    const quarantined = files.reduce((n, f) => n + f.quarantined, 0);
    progress(`billing: ${files.length} file(s), ${rows} rows, ${quarantined} quarantined`);

    const apiKey = `local-${randomUUID()}`;
    const unsubscribeKey = randomBytes(32).toString('base64url');
    usagePath = await startUsagePath(stack, { apiKeys: [apiKey], now: options.now, unsubscribeKey });
    usageApi = usagePath.api;
    progress(`usage: posting ${eventFiles.length} event file(s) to ${usageApi.url}/events…`);
    const usage = await bulkLoadUsageEvents(eventFiles, { url: usageApi.url, apiKey, now: options.now });
    // The API answers before counting: the fold gives the exact figures (resends across requests included).
    const fold = await usagePath.settle();
    usage.accepted = fold.accepted;
    usage.duplicates += fold.duplicates;
    for (const r of fold.rejected) usage.rejected.push({ file: '(when counted)', line: 0, reason: r.reason });
    progress(
      `usage: ${usage.events} events in ${usage.requests} requests, ${usage.accepted} accepted, ${usage.duplicates} duplicates, ${usage.rejected.length} rejected`,
    );
    return { stack, usageApi, apiKey, unsubscribe: { url: usagePath.unsubscribeUrl!, key: unsubscribeKey }, files, usage, deps, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * Runs the whole pipeline on a fresh embedded stack: the files through the real event paths, then
 * the snapshot for `asOf` (which fits the forecast on the loaded history first) and the digests.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const progress = options.progress ?? (() => undefined);
  const loaded = await startLoadedStack(options);
  const { stack, usageApi, apiKey, unsubscribe, files, usage, deps, stop } = loaded;
  try {
    progress(`snapshot as of ${options.asOf} (fitting the forecast on the loaded history)…`);
    // As the schedule runs it on AWS: the snapshot state machine, its customers folded in parts.
    const snap = await runSnapshotLocally(deps, { asOf: options.asOf });

    progress('digests…');
    // Locally every owner's digest also goes to one Slack channel (the receiver), as slack.mode "channel" does.
    const channel = stack.slack!.hookUrl('churnwatch-digests');
    const slack: SlackDelivery = { target: () => Promise.resolve({ url: channel }), post: (url, message) => postToSlack(url, message) };
    const optOuts = tableOptOuts(new UnsubscribeStore(stack.clients.dynamo, stack.tableName), unsubscribe.url, () =>
      Promise.resolve(unsubscribe.key),
    );
    const digestHandler = createDigestHandler({ ...deps, ses: stack.clients.ses!, slack, optOuts });
    let digest: DigestSummary;
    try {
      digest = await digestHandler({ asOf: options.asOf, snapshotKey: snap.reportKeys.json }, lambdaContext('churnwatch-digest'));
    } catch (err) {
      if (!(err instanceof RetryableDigestFailure)) throw err;
      // Lambda would retry the invocation; locally one retry shows the same behaviour.
      digest = await digestHandler({ asOf: options.asOf, snapshotKey: snap.reportKeys.json }, lambdaContext('churnwatch-digest'));
    }
    const mail = await stack.sentMail();
    const snapshot = await readJson<Snapshot>(stack, snap.reportKeys.json);
    const model = await new ModelStore(stack.clients.dynamo, stack.tableName).current();
    return {
      snapshot,
      files,
      usage,
      digest,
      mail,
      slack: stack.slack!.messages(),
      reportKeys: snap.reportKeys,
      model,
      stack,
      usageApi,
      apiKey,
      unsubscribeUrl: unsubscribe.url,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

async function fileReports(stack: EmbeddedStack, fileKeys: string[]): Promise<FileReport[]> {
  const reports: FileReport[] = [];
  for (const key of fileKeys) {
    const out = await stack.clients.dynamo.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.file(key, '').pk },
      }),
    );
    for (const item of out.Items ?? []) reports.push(item as unknown as FileReport);
  }
  return reports;
}

export async function readJson<T>(stack: EmbeddedStack, key: string): Promise<T> {
  return JSON.parse(await readText(stack, key)) as T;
}

export async function readText(stack: EmbeddedStack, key: string): Promise<string> {
  const out = await stack.clients.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }));
  return out.Body!.transformToString('utf-8');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
