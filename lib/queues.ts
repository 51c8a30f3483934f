import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * A queue that only receives failures (a DLQ or an on-failure destination): encrypted, TLS only,
 * kept 14 days (the SQS maximum) so an operator has time to inspect and redrive.
 */
export function failureQueue(scope: Construct, id: string, role: string, opts: { isDeadLetterQueueOfAQueue?: boolean } = {}): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  // AwsSolutions-SQS3 already recognises a queue that another queue's redrive policy points to.
  if (!opts.isDeadLetterQueueOfAQueue)
    acknowledge(
      queue,
      'AwsSolutions-SQS3',
      `This queue is itself the failure destination (${role}); it has no dead-letter queue of its own.`,
    );
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    `This queue is itself the failure destination (${role}); a redrive policy would only move failures further away.`,
  );
  return queue;
}
