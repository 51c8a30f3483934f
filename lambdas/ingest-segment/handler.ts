import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { isUtf8 } from 'node:buffer';
import {
  basicAuthUser,
  maxRequestBytes,
  parseSegmentBody,
  SEGMENT_ENDPOINTS,
  verifyWebhookSignature,
  type GroupLink,
  type MappedEvent,
  type SegmentEndpoint,
  type SegmentMapping,
} from '../formats/segment';
import { readGroupLinks, storeGroupLinks } from '../store/group-links';
import { usageMessageBodies } from '../store/usage-inbox';
import { screenBatch } from '../store/usage-rollup';
import { dynamo, sqsClient } from '../shared/aws-clients';
import { sqsEnqueue, usageQueueUrl, type UsageEnqueue } from '../shared/usage-queue';
import { lazyHandler } from '../shared/lazy-handler';
import { addCountIfAny, createLogger, createMetrics } from '../shared/observability';
import { secretsManagerCredentials } from './credentials';

/**
 * `POST /v1/batch|track|group|identify` (Segment's HTTP Tracking API, RudderStack's HTTP API) and
 * `POST /v1/webhook` (Segment's Webhook destination). A thin adapter: calls are mapped by
 * lambdas/formats/segment.ts, user→account links kept by lambdas/store/group-links.ts, and the usage
 * events validated, de-duplicated within the request and enqueued exactly as `POST /events` does
 * (docs/metrics.md §2.1): the aggregator and the snapshot's fold count them, once.
 *
 * Group links are written to the table here, not queued: a track call's account is decided when it
 * arrives (the queued event carries its customerId), so a group call must be visible to the very
 * next request, not only after the next fold. They are one small item per user and rare.
 */

export interface SegmentCredentials {
  /** Write keys accepted as Basic-auth user or `writeKey` in the body. */
  writeKeys: readonly string[];
  /** Shared secret of the Webhook destination; when set, `/v1/webhook` requires a valid X-Signature. */
  webhookSecret?: string;
}

export interface SegmentIntakeDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  mapping: SegmentMapping;
  credentials: () => Promise<SegmentCredentials>;
  /** The usage queue, as for `POST /events` (SQS on AWS, the local queue in the embedded stack). */
  enqueue: UsageEnqueue;
  now?: () => Date;
  logger?: Logger;
  metrics?: Metrics;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SERVICE = 'ingest-segment';

function respond(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name && v !== undefined) return v;
  return undefined;
}

function endpointOf(event: APIGatewayProxyEvent): SegmentEndpoint | undefined {
  const last = (event.resource || event.path || '').replace(/\/+$/, '').split('/').at(-1);
  return SEGMENT_ENDPOINTS.find((e) => e === last);
}

interface Rejection {
  index: number;
  reason: string;
}

export function createSegmentIntakeHandler(deps: SegmentIntakeDeps): ApiHandler {
  const logger = deps.logger ?? createLogger(SERVICE);
  const metrics = deps.metrics ?? createMetrics(SERVICE);

  const refuse = (statusCode: number, message: string, rejected?: Rejection[]) => {
    metrics.addMetric('RequestsRefused', MetricUnit.Count, 1);
    logger.info('segment request refused', { statusCode, message });
    return respond(statusCode, { success: false, message, ...(rejected ? { rejected } : {}) });
  };

  const intake = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const endpoint = endpointOf(event);
    if (endpoint === undefined) return refuse(404, `no such endpoint: ${event.path}`);
    const now = (deps.now ?? (() => new Date()))();
    if (event.body === null || event.body === undefined || event.body.length === 0) return refuse(400, 'request body is empty');
    const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    const limit = maxRequestBytes(endpoint);
    if (bytes.length > limit) return refuse(413, `request body is ${bytes.length} bytes; the limit of /v1/${endpoint} is ${limit}`);
    if (!isUtf8(bytes)) return refuse(400, 'request body is not valid UTF-8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      return refuse(400, `malformed JSON: ${(err as Error).message}`);
    }

    const credentials = await deps.credentials();
    const result = parseSegmentBody(endpoint, parsed, deps.mapping, now);
    if (endpoint === 'webhook' && credentials.webhookSecret !== undefined) {
      if (!verifyWebhookSignature(bytes, header(event, 'x-signature'), credentials.webhookSecret, parsed)) {
        return refuse(401, 'X-Signature is missing or is not the HMAC-SHA1 of the body with the shared secret');
      }
    } else {
      const writeKey = basicAuthUser(header(event, 'authorization')) ?? (result.ok ? result.writeKey : undefined);
      if (writeKey === undefined || !credentials.writeKeys.includes(writeKey)) {
        return refuse(401, 'a valid write key is required (Basic auth user, or "writeKey" in the body)');
      }
    }
    if (!result.ok) return refuse(result.status, result.message);

    const rejected: Rejection[] = [];
    const links: GroupLink[] = [];
    let ignored = 0;
    const ready: { index: number; event: MappedEvent }[] = [];
    const waiting: { index: number; userId: string; event: Omit<MappedEvent, 'customerId'> }[] = [];
    for (const m of result.messages) {
      if (m.kind === 'event') ready.push(m);
      else if (m.kind === 'needsLink') waiting.push(m);
      else if (m.kind === 'link') links.push(m.link);
      else if (m.kind === 'ignored') ignored++;
      else rejected.push({ index: m.index, reason: m.reason });
    }

    // Links first: a batch may group a user and track them in the same request.
    if (links.length > 0) await storeGroupLinks(deps.dynamo, deps.tableName, links);
    const inRequest = new Map(links.map((l) => [l.userId, l.groupId]));
    const stored = await readGroupLinks(
      deps.dynamo,
      deps.tableName,
      waiting.filter((w) => !inRequest.has(w.userId)).map((w) => w.userId),
    );
    for (const w of waiting) {
      const customerId = inRequest.get(w.userId) ?? stored.get(w.userId);
      if (customerId === undefined) {
        rejected.push({
          index: w.index,
          reason: `no account for user ${JSON.stringify(w.userId).slice(0, 80)}: set ${deps.mapping.groupIdPaths.join(' or ')}, or send a group call for the user first`,
        });
      } else ready.push({ index: w.index, event: { ...w.event, customerId } });
    }
    ready.sort((a, b) => a.index - b.index);

    // As POST /events: `duplicates` are repeats within this request; a resend of an earlier request
    // is recognised when the events are counted (README, "Usage events").
    const screened = screenBatch(
      ready.map((r) => r.event),
      now,
    );
    for (const r of screened.rejected) rejected.push({ index: ready[r.index]!.index, reason: r.reason });
    if (screened.unique.length > 0)
      await deps.enqueue(
        usageMessageBodies(
          screened.unique.map((e) => e.event),
          now,
        ),
      );
    const accepted = screened.unique.length;
    const duplicates = screened.duplicates.length;
    rejected.sort((a, b) => a.index - b.index);

    metrics.addMetric('EventsAccepted', MetricUnit.Count, accepted);
    addCountIfAny(metrics, 'EventsDuplicate', duplicates);
    addCountIfAny(metrics, 'EventsRejected', rejected.length);
    addCountIfAny(metrics, 'GroupLinks', links.length);
    logger.info('segment calls enqueued', {
      endpoint,
      calls: result.messages.length,
      accepted,
      duplicates,
      linked: links.length,
      ignored,
      rejected: rejected.length,
      firstRejections: rejected.slice(0, 5),
    });
    if (rejected.length === result.messages.length) return refuse(400, 'no valid call in the request', rejected);
    // Segment's clients look for 200 {"success": true}; the counts are ours, for people reading the response.
    return respond(200, { success: true, accepted, duplicates, linked: links.length, ignored, rejected });
  };

  return middy(intake).use(injectLambdaContext(logger)).use(logMetrics(metrics)) as unknown as ApiHandler;
}

export const handler: ApiHandler = lazyHandler((runtime) =>
  createSegmentIntakeHandler({
    dynamo: dynamo(),
    tableName: runtime.tableName,
    mapping: runtime.config.segment,
    credentials: secretsManagerCredentials(),
    enqueue: sqsEnqueue(usageQueueUrl(runtime.usageQueueUrl), sqsClient()),
  }),
);
