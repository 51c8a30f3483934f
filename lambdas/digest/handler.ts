import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import type { Readable } from 'node:stream';
import { dynamo, s3Client, sesClient } from '../shared/aws-clients';
import type { Config } from '../shared/config';
import { createLogger, createMetrics } from '../shared/observability';
import { lazyHandler } from '../shared/lazy-handler';
import { DigestStore } from '../store/digest-store';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { UnsubscribeStore } from '../store/unsubscribe-store';
import { secretsManagerUnsubscribeKey, UNSUBSCRIBE_URL_ENV } from '../shared/unsubscribe-key';
import { sendBookDigests, type DigestDeps, type DigestSummary, type EmailOptOuts, type SlackDelivery } from './send-digests';
import { readSnapshotBooks } from './snapshot-lines';
import { parseSlackSecret, postToSlack, slackTargetFor } from './slack';
import { unsubscribeUrl } from '../shared/unsubscribe-token';

/** The snapshot's hand-over: which snapshot to mail about. */
export const digestInputSchema = z.object({
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'asOf must be YYYY-MM-DD'),
  snapshotKey: z.string().min(1).optional(),
});

export interface DigestHandlerDeps {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  ses: SESv2Client;
  tableName: string;
  bucketName: string;
  config: Config;
  maxAttempts?: number;
  /** Slack delivery beside the email (config.slack); none when unset. */
  slack?: SlackDelivery;
  /** Opt-outs and the List-Unsubscribe link of every email (always set in Lambda and the local stack). */
  optOuts?: EmailOptOuts;
}

export class RetryableDigestFailure extends Error {
  override name = 'RetryableDigestFailure';
}

export function createDigestHandler(deps: DigestHandlerDeps) {
  const logger = createLogger('digest');
  const metrics = createMetrics('digest');
  const store = new DigestStore(deps.dynamo, deps.tableName);

  const handler = async (event: unknown): Promise<DigestSummary> => {
    const parsed = digestInputSchema.safeParse(event);
    if (!parsed.success)
      throw new Error(`Digest input must be {"asOf": "YYYY-MM-DD", "snapshotKey"?: "..."}: ${parsed.error.issues[0]?.message}`);
    const key = parsed.data.snapshotKey ?? `reports/${parsed.data.asOf}/snapshot.json`;
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucketName, Key: key }));
    if (!object.Body) throw new Error(`s3://${deps.bucketName}/${key}: no body`);
    const log: DigestDeps['log'] = (level, message, data) => logger[level](message, data ?? {});
    // Streamed: at a million customers the file is several times the function's heap as one string.
    const books = await readSnapshotBooks(object.Body as Readable, {
      fallbackTo: deps.config.digest.fallbackTo,
      allowedDomains: deps.config.digest.allowedRecipientDomains,
      key,
      log,
    });

    const summary = await sendBookDigests(
      {
        ses: deps.ses,
        store,
        config: deps.config,
        maxAttempts: deps.maxAttempts,
        slack: deps.slack,
        optOuts: deps.optOuts,
        reportUrl: `s3://${deps.bucketName}/${key.replace(/snapshot\.json$/, 'report.html')}`,
        log,
      },
      books,
    );
    metrics.addMetric('DigestsSent', MetricUnit.Count, summary.sent);
    metrics.addMetric('DigestFailures', MetricUnit.Count, summary.failed);
    metrics.addMetric('RecipientsRefused', MetricUnit.Count, summary.recipientsRefused ?? 0);
    metrics.addMetric('DigestsOptedOut', MetricUnit.Count, summary.optedOut);
    if (deps.slack) {
      metrics.addMetric('SlackDigestsSent', MetricUnit.Count, summary.slackSent);
      metrics.addMetric('SlackDigestFailures', MetricUnit.Count, summary.slackFailed);
    }
    logger.info('digests done', {
      asOf: summary.asOf,
      sent: summary.sent,
      skipped: summary.skipped,
      failed: summary.failed,
      optedOut: summary.optedOut,
      slackSent: summary.slackSent,
      slackFailed: summary.slackFailed,
    });
    // Fail the invocation only when a retry can help: Lambda's async retries then re-run it, and the
    // per-owner records make sure owners already mailed are skipped.
    const retryable = summary.owners.filter(
      (o) => (o.outcome === 'failed' && o.retryable) || (o.slack?.outcome === 'failed' && o.slack.retryable),
    );
    if (retryable.length > 0) {
      throw new RetryableDigestFailure(
        `${retryable.length} digest(s) failed with retryable errors: ${retryable.map((o) => o.owner).join(', ')}`,
      );
    }
    return summary;
  };
  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = lazyHandler((runtime) =>
  createDigestHandler({
    dynamo: dynamo(),
    s3: s3Client(),
    ses: sesClient(),
    tableName: runtime.tableName,
    bucketName: runtime.bucketName,
    config: runtime.config,
    slack: runtime.config.slack.secretName ? secretsManagerSlack(runtime.config.slack.secretName, runtime.config.slack.mode) : undefined,
    optOuts: tableOptOuts(new UnsubscribeStore(dynamo(), runtime.tableName), unsubscribeEndpoint(), secretsManagerUnsubscribeKey()),
  }),
);

function unsubscribeEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const url = env[UNSUBSCRIBE_URL_ENV];
  if (!url) throw new Error(`Invalid Lambda environment: ${UNSUBSCRIBE_URL_ENV} must be the URL of GET|POST /unsubscribe`);
  return url;
}

/** Opt-outs from the table, links signed with the stage's key (Secrets Manager in Lambda, a local key in the embedded stack). */
export function tableOptOuts(store: UnsubscribeStore, endpoint: string, key: () => Promise<string>): EmailOptOuts {
  return {
    isOptedOut: (owner) => store.isOptedOut(owner),
    unsubscribeUrl: async (owner) => unsubscribeUrl(endpoint, owner, await key()),
  };
}

/** Webhook URLs from Secrets Manager, re-read every 5 minutes (a new owner's webhook needs no deploy). */
function secretsManagerSlack(secretName: string, mode: 'owner' | 'channel'): SlackDelivery {
  return {
    async target(owner) {
      const value = await getSecret(secretName, { maxAge: 300 });
      if (typeof value !== 'string') throw new Error(`secret ${secretName} must hold a JSON string`);
      return slackTargetFor(parseSlackSecret(value), mode, owner);
    },
    post: (url, message) => postToSlack(url, message),
  };
}
