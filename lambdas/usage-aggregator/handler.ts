import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { s3Client } from '../shared/aws-clients';
import { lazyHandler } from '../shared/lazy-handler';
import { addCountIfAny, createLogger, createMetrics } from '../shared/observability';
import { appendToInbox, parseUsageMessage } from '../store/usage-inbox';

export interface UsageAggregatorDeps {
  s3: S3Client;
  bucketName: string;
}

/**
 * The usage queue's consumer (event source mapping with a batching window): one S3 PUT per batch of
 * enqueued requests, however many customers they touch. Counting happens in the fold before each
 * snapshot (lambdas/store/usage-inbox.ts). A body that is no usage message can never succeed: it is
 * reported as a batch item failure and reaches the dead-letter queue after the redrive count; if the
 * PUT fails, the whole batch comes back (re-appending it later counts nothing twice).
 */
export function createUsageAggregatorHandler(deps: UsageAggregatorDeps) {
  const logger = createLogger('usage-aggregator');
  const metrics = createMetrics('usage-aggregator');
  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const bodies: string[] = [];
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    let events = 0;
    for (const record of event.Records) {
      try {
        events += parseUsageMessage(record.body).events.length;
        bodies.push(record.body);
      } catch (err) {
        logger.error('not a usage message', { messageId: record.messageId, error: (err as Error).message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    if (bodies.length > 0) {
      const key = await appendToInbox(deps, bodies);
      logger.info('usage batch appended to the inbox', { key, messages: bodies.length, events });
    }
    metrics.addMetric('MessagesAppended', MetricUnit.Count, bodies.length);
    metrics.addMetric('EventsAppended', MetricUnit.Count, events);
    addCountIfAny(metrics, 'MessagesMalformed', batchItemFailures.length);
    return { batchItemFailures };
  };
  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = lazyHandler((runtime) => createUsageAggregatorHandler({ s3: s3Client(), bucketName: runtime.bucketName }));
