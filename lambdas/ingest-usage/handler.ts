import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { isUtf8 } from 'node:buffer';
import { MAX_EVENTS_PER_REQUEST, MAX_REQUEST_BYTES, usageRequestSchema } from '../formats/usage-event';
import { usageMessageBodies } from '../store/usage-inbox';
import { screenBatch } from '../store/usage-rollup';
import { sqsClient } from '../shared/aws-clients';
import { sqsEnqueue, usageQueueUrl, type UsageEnqueue } from '../shared/usage-queue';
import { addCountIfAny, createLogger, createMetrics } from '../shared/observability';
import { lazyHandler } from '../shared/lazy-handler';

/**
 * `POST /events` behind API Gateway (REST, proxy integration). The API key is checked by API Gateway.
 * The handler validates the events and enqueues the valid ones (lambdas/store/usage-inbox.ts); they are
 * counted later, exactly once. So `duplicates` is what this request repeats of itself: a resend of an
 * earlier request is recognised when the events are counted, not in this answer (README, "Usage events").
 */

export interface IngestUsageDeps {
  enqueue: UsageEnqueue;
  now?: () => Date;
  logger?: Logger;
  metrics?: Metrics;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SERVICE = 'ingest-usage';

function respond(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function createIngestUsageHandler(deps: IngestUsageDeps): ApiHandler {
  const logger = deps.logger ?? createLogger(SERVICE);
  const metrics = deps.metrics ?? createMetrics(SERVICE);

  const refuse = (statusCode: number, body: { message: string; rejected?: unknown }) => {
    // Every invocation publishes at least one metric, so refusals show up on the dashboard too.
    metrics.addMetric('RequestsRefused', MetricUnit.Count, 1);
    logger.info('usage request refused', { statusCode, message: body.message });
    return respond(statusCode, body);
  };

  const ingest = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    if (event.body === null || event.body === undefined || event.body.length === 0) {
      return refuse(400, { message: 'request body is empty: send {"events": [...]}' });
    }
    const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    if (bytes.length > MAX_REQUEST_BYTES) {
      return refuse(413, { message: `request body is ${bytes.length} bytes; the limit is ${MAX_REQUEST_BYTES}` });
    }
    // Decoding would replace bad bytes with U+FFFD, making `cus_\xff` and `cus_\xfe` one customer.
    if (!isUtf8(bytes)) return refuse(400, { message: 'request body is not valid UTF-8' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      return refuse(400, { message: `malformed JSON: ${(err as Error).message}` });
    }
    const envelope = usageRequestSchema.safeParse(parsed);
    if (!envelope.success) {
      return refuse(400, { message: 'body must be a JSON object with an "events" array' });
    }
    const events = envelope.data.events;
    if (events.length > MAX_EVENTS_PER_REQUEST) {
      return refuse(413, {
        message: `request holds ${events.length} events; the limit is ${MAX_EVENTS_PER_REQUEST} per request`,
      });
    }
    if (events.length === 0) return refuse(400, { message: 'no events: "events" is empty' });

    const now = (deps.now ?? (() => new Date()))();
    const { unique, duplicates, rejected } = screenBatch(events, now);
    const result = { accepted: unique.length, duplicates: duplicates.length, rejected };
    if (unique.length > 0)
      await deps.enqueue(
        usageMessageBodies(
          unique.map((e) => e.event),
          now,
        ),
      );
    metrics.addMetric('EventsAccepted', MetricUnit.Count, result.accepted);
    addCountIfAny(metrics, 'EventsDuplicate', result.duplicates);
    addCountIfAny(metrics, 'EventsRejected', result.rejected.length);
    logger.info('usage batch enqueued', {
      events: events.length,
      accepted: result.accepted,
      duplicates: result.duplicates,
      rejected: result.rejected.length,
      firstRejections: result.rejected.slice(0, 5),
    });
    if (result.accepted + result.duplicates === 0) {
      return refuse(400, { message: 'no valid event in the request', rejected: result.rejected });
    }
    return respond(202, result);
  };

  return middy(ingest).use(injectLambdaContext(logger)).use(logMetrics(metrics)) as unknown as ApiHandler;
}

export const handler: ApiHandler = lazyHandler((runtime) =>
  createIngestUsageHandler({ enqueue: sqsEnqueue(usageQueueUrl(runtime.usageQueueUrl), sqsClient()) }),
);
