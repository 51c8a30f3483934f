import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Sends usage message bodies (lambdas/store/usage-inbox.ts) to the usage queue: SQS on AWS, the local
 * queue adapter in the embedded stack. `POST /events` and the Segment intake both enqueue through it.
 */
export type UsageEnqueue = (bodies: string[]) => Promise<void>;

export function sqsEnqueue(queueUrl: string, sqs: SQSClient): UsageEnqueue {
  return async (bodies) => {
    await Promise.all(bodies.map((MessageBody) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }))));
  };
}

/** The queue URL a usage intake function needs (set by lib/usage-api.ts and lib/segment-api.ts). */
export function usageQueueUrl(url: string | undefined): string {
  if (!url) throw new Error('Invalid Lambda environment: USAGE_QUEUE_URL must name the usage queue');
  return url;
}
