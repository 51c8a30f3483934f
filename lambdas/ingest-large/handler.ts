import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { FileReport, IngestDeps } from '../ingest-billing/ingest-file';
import type { ObjectCreated } from '../ingest-billing/s3-notification';
import { dynamo, s3Client } from '../shared/aws-clients';
import type { Config } from '../shared/config';
import { lazyHandler } from '../shared/lazy-handler';
import { createLogger, createMetrics } from '../shared/observability';
import { failLargeFile, mergeRanges, type FailInput } from './merge';
import { ingestRange, type RangeInput } from './range';
import { splitExport } from './split';
import type { SplitResult } from './staging';

/** The payload each step of the large-file state machine sends (lib/large-file-definition.ts). */
export type LargeFileEvent =
  | { step: 'split'; file: ObjectCreated; executionName: string }
  | ({ step: 'range' } & RangeInput)
  | { step: 'merge'; file: ObjectCreated; split: SplitResult }
  | { step: 'fail'; state: { file: ObjectCreated; split?: { Payload: SplitResult }; error: FailInput['error'] } };

export const LARGE_FILE_STEPS = ['split', 'range', 'merge', 'fail'] as const;

export interface LargeFileDeps {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  tableName: string;
  config: Config;
  chunkRows?: number;
}

/**
 * The steps of the large-file state machine (docs/metrics.md §1.4) in one function: split the export
 * into ranges, ingest one range, merge the ranges' results into the file's record, or fail the file.
 */
export function createLargeFileHandler(deps: LargeFileDeps) {
  const logger = createLogger('ingest-large');
  const metrics = createMetrics('ingest-large');
  const ingestDeps: IngestDeps = {
    dynamo: deps.dynamo,
    s3: deps.s3,
    tableName: deps.tableName,
    readOptions: { reportingCurrency: deps.config.reportingCurrency, fxRates: deps.config.fxRates },
    chunkRows: deps.chunkRows,
  };
  const reported = (report: FileReport) => {
    metrics.addMetric('RowsIngested', MetricUnit.Count, report.ingested);
    metrics.addMetric('RowsUnchanged', MetricUnit.Count, report.unchanged);
    metrics.addMetric('QuarantinedRows', MetricUnit.Count, report.quarantined);
    if (report.status === 'failed') {
      metrics.addMetric('FilesFailed', MetricUnit.Count, 1);
      logger.error('large billing export failed; moved to failed/', { ...report });
    } else {
      logger.info('large billing export ingested', { ...report });
    }
    return report;
  };

  const handler = async (event: LargeFileEvent, context: Context): Promise<unknown> => {
    switch (event?.step) {
      case 'split': {
        const split = await splitExport({ s3: deps.s3, rangeBytes: deps.config.largeFiles.rangeBytes }, event);
        logger.info('large billing export split', {
          key: event.file.key,
          ranges: split.ranges,
          textBytes: split.textBytes,
          error: split.error,
        });
        return split;
      }
      case 'range':
        return ingestRange(ingestDeps, event, () => context.getRemainingTimeInMillis());
      case 'merge':
        return reported(await mergeRanges(ingestDeps, event));
      case 'fail':
        return reported(
          await failLargeFile(ingestDeps, { file: event.state.file, split: event.state.split?.Payload, error: event.state.error }),
        );
      default:
        throw new Error(
          `unknown large-file step ${JSON.stringify((event as { step?: unknown })?.step)}; expected one of ${LARGE_FILE_STEPS.join(', ')}`,
        );
    }
  };

  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/** The Lambda entry point: dependencies from the environment, built on first use. */
export const handler = lazyHandler((runtime) =>
  createLargeFileHandler({ dynamo: dynamo(), s3: s3Client(), tableName: runtime.tableName, config: runtime.config }),
);
