import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SEGMENT_ENDPOINTS, type SegmentMapping } from '../lambdas/formats/segment';
import { createIngestUsageHandler } from '../lambdas/ingest-usage/handler';
import { createSegmentIntakeHandler, type SegmentCredentials } from '../lambdas/ingest-segment/handler';
import { foldUsageInbox, type FoldResult } from '../lambdas/store/usage-inbox';
import { createUsageAggregatorHandler } from '../lambdas/usage-aggregator/handler';
import { createUnsubscribeHandler } from '../lambdas/unsubscribe/handler';
import { lambdaContext } from './lambda-context';
import type { EmbeddedStack } from './stack';
import { startUsageApi, type OpenRoute, type UsageApi } from './usage-api';

/**
 * The usage path of the stack, wired locally as on AWS: the HTTP API adapter → the ingest-usage
 * handler (and the Segment intake, when asked for) → the usage queue → the aggregator → `usage-inbox/` objects in S3; `settle()` waits for the
 * queue and runs the fold the snapshot runs first, so the events are counted.
 */
export interface LocalUsagePath {
  api: UsageApi;
  /** `${api.url}/unsubscribe`, served when started with an `unsubscribeKey`. */
  unsubscribeUrl: string | undefined;
  /** Drains the queue (the aggregator's batches), then folds the inbox into the table. */
  settle(): Promise<FoldResult>;
  stop(): Promise<void>;
}

export interface LocalUsagePathOptions {
  apiKeys: string[];
  now?: () => Date;
  logger?: Logger;
  metrics?: Metrics;
  /** Serve the Segment/RudderStack routes (`POST /v1/<endpoint>`), enqueueing like `/events`. */
  segment?: { credentials: SegmentCredentials; mapping: SegmentMapping };
  /** Serve `GET|POST /unsubscribe` (the digest's List-Unsubscribe link), checking tokens with this key. */
  unsubscribeKey?: string;
}

export async function startUsagePath(stack: EmbeddedStack, options: LocalUsagePathOptions): Promise<LocalUsagePath> {
  const queue = stack.usageQueue;
  const enqueue = async (bodies: string[]) => {
    for (const body of bodies) queue.send(body);
  };
  const handler = createIngestUsageHandler({ enqueue, now: options.now, logger: options.logger, metrics: options.metrics });
  const aggregator = createUsageAggregatorHandler({ s3: stack.clients.s3, bucketName: stack.bucketName });
  queue.subscribe((event) => aggregator(event, lambdaContext('churnwatch-usage-aggregator')));
  const openRoutes: Record<string, OpenRoute> = {};
  const { segment, unsubscribeKey } = options;
  if (segment) {
    const intake = createSegmentIntakeHandler({
      dynamo: stack.clients.dynamo,
      tableName: stack.tableName,
      mapping: segment.mapping,
      credentials: () => Promise.resolve(segment.credentials),
      enqueue,
      now: options.now,
      logger: options.logger,
      metrics: options.metrics,
    });
    for (const endpoint of SEGMENT_ENDPOINTS) openRoutes[`/v1/${endpoint}`] = { handler: intake, methods: ['POST'] };
  }
  if (unsubscribeKey !== undefined) {
    const unsubscribe = createUnsubscribeHandler({
      dynamo: stack.clients.dynamo,
      tableName: stack.tableName,
      key: () => Promise.resolve(unsubscribeKey),
      now: options.now,
      logger: options.logger,
      metrics: options.metrics,
    });
    // As on AWS (lib/unsubscribe.ts): no API key, GET shows the page, POST acts.
    openRoutes['/unsubscribe'] = { handler: unsubscribe, methods: ['GET', 'POST'] };
  }
  const api = await startUsageApi({ handler, apiKeys: options.apiKeys, openRoutes });
  return {
    api,
    unsubscribeUrl: unsubscribeKey === undefined ? undefined : `${api.url}/unsubscribe`,
    async settle() {
      await queue.drain();
      if (queue.deadLetters.length > 0) {
        throw new Error(
          `${queue.deadLetters.length} usage message(s) failed repeatedly in the aggregator: ${String(queue.deadLetters[0]?.lastError ?? 'reported as batch item failures')}`,
        );
      }
      return foldUsageInbox({
        dynamo: stack.clients.dynamo,
        s3: stack.clients.s3,
        tableName: stack.tableName,
        bucketName: stack.bucketName,
      });
    },
    async stop() {
      await api.stop();
      await queue.stop();
    },
  };
}
