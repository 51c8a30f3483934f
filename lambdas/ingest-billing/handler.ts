import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamo, s3Client, sfnClient } from '../shared/aws-clients';
import type { Config } from '../shared/config';
import { createLogger, createMetrics } from '../shared/observability';
import { lazyHandler } from '../shared/lazy-handler';
import { PREFIX } from '../shared/layout';
import { isParquetKey, pipelineRoute } from '../formats/stripe-data-pipeline';
import { ingestEventsFile } from './ingest-events-file';
import { ingestBillingFile, type FileReport } from './ingest-file';
import { parseObjectCreated, type ObjectCreated } from './s3-notification';
import { startLargeFileExecution, type StartLargeFile } from './start-large-file';

export interface BillingIngestDeps {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  tableName: string;
  config: Config;
  /** Usage-event files under `events/` go through the usage path (docs/metrics.md §2 bulk load); overridable in tests. */
  ingestEventsFile?: (object: ObjectCreated) => Promise<unknown>;
  /**
   * Hands an export over `config.largeFiles.thresholdBytes` to the large-file state machine
   * (docs/metrics.md §1.4); without it every file takes the small-file path.
   */
  startLargeFile?: StartLargeFile;
  chunkRows?: number;
}

/**
 * SQS → S3 object-created notifications → billing exports folded into DynamoDB. Each SQS message is
 * processed on its own (Powertools partial batch responses), so one poisoned file does not hold back
 * the others and a failed one is redelivered; re-processing is idempotent.
 */
export function createBillingIngestHandler(deps: BillingIngestDeps) {
  const logger = createLogger('ingest-billing');
  const metrics = createMetrics('ingest-billing');
  const processor = new BatchProcessor(EventType.SQS);

  const ingestObject = async (object: ObjectCreated): Promise<FileReport | undefined> => {
    if (object.key.startsWith(PREFIX.events)) {
      const result = deps.ingestEventsFile
        ? await deps.ingestEventsFile(object)
        : await ingestEventsFile({ dynamo: deps.dynamo, s3: deps.s3, tableName: deps.tableName }, object);
      logger.info('usage events file ingested', { key: object.key, result });
      return undefined;
    }
    if (!object.key.startsWith(PREFIX.exports)) {
      logger.warn('ignoring object outside exports/ and events/', { key: object.key });
      return undefined;
    }
    // A Stripe Data Pipeline drop holds every Stripe table, run markers and test-mode data: only its three tables are read.
    const route = pipelineRoute(object.key, { includeTestmode: deps.config.stripeDataPipeline.includeTestmode });
    if (route && route.kind !== 'table') {
      logger.info('Stripe Data Pipeline file skipped', { key: object.key, why: route.kind === 'marker' ? 'run marker' : route.reason });
      return undefined;
    }
    // Parquet is read by ranges already (lambdas/formats/stripe-data-pipeline); CSV and JSONL over the threshold are split.
    if (deps.startLargeFile && !isParquetKey(object.key) && object.size > deps.config.largeFiles.thresholdBytes) {
      await deps.startLargeFile(object);
      logger.info('large billing export handed to the large-file state machine', { key: object.key, size: object.size });
      return undefined;
    }
    const report = await ingestBillingFile(
      {
        dynamo: deps.dynamo,
        s3: deps.s3,
        tableName: deps.tableName,
        readOptions: { reportingCurrency: deps.config.reportingCurrency, fxRates: deps.config.fxRates },
        chunkRows: deps.chunkRows,
      },
      object,
    );
    metrics.addMetric('RowsIngested', MetricUnit.Count, report.ingested);
    metrics.addMetric('RowsUnchanged', MetricUnit.Count, report.unchanged);
    metrics.addMetric('QuarantinedRows', MetricUnit.Count, report.quarantined);
    if (report.status === 'failed') {
      metrics.addMetric('FilesFailed', MetricUnit.Count, 1);
      logger.error('billing export could not be read; moved to failed/', { ...report });
    } else {
      logger.info('billing export ingested', { ...report });
    }
    return report;
  };

  const recordHandler = async (record: SQSRecord) => {
    const reports = [];
    for (const object of parseObjectCreated(record.body)) reports.push(await ingestObject(object));
    return reports;
  };

  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });

  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/** The Lambda entry point: dependencies from the environment, built on first use. */
export const handler = lazyHandler((runtime) =>
  createBillingIngestHandler({
    dynamo: dynamo(),
    s3: s3Client(),
    tableName: runtime.tableName,
    config: runtime.config,
    startLargeFile: runtime.largeFileStateMachineArn ? startLargeFileExecution(sfnClient(), runtime.largeFileStateMachineArn) : undefined,
  }),
);
