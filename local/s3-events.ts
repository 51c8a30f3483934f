import { LOCAL_REGION } from './local-env';

/** The S3 event notification S3 puts in an SQS message body (the fields Lambda consumers read). */
export interface S3EventRecord {
  eventVersion: '2.1';
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: Record<string, string>;
  s3: {
    s3SchemaVersion: '1.0';
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size: number; eTag: string; sequencer: string };
  };
}

export interface S3EventNotification {
  Records: S3EventRecord[];
}

/** What S3 sends once when a notification configuration is saved. */
export interface S3TestEvent {
  Service: 'Amazon S3';
  Event: 's3:TestEvent';
  Time: string;
  Bucket: string;
  RequestId: string;
  HostId: string;
}

/**
 * Encodes a key the way S3 notifications carry it: form-URL-encoded (spaces as '+', UTF-8 percent
 * escapes), with '/' left readable as in real notifications. Consumers decode with
 * `decodeURIComponent(key.replace(/\+/g, ' '))`, which yields the same key either way.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export interface ObjectCreatedInput {
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  eventName?: string;
  eventTime?: Date;
  sequencer?: string;
  region?: string;
}

let sequence = 0n;

/** A monotonic hex sequencer: S3's orders events for the same key, ours orders all events of the process. */
function nextSequencer(): string {
  sequence += 1n;
  return (BigInt(Date.now()) * 1000n + (sequence % 1000n)).toString(16).toUpperCase().padStart(18, '0');
}

export function objectCreatedNotification(input: ObjectCreatedInput): S3EventNotification {
  const region = input.region ?? LOCAL_REGION;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: (input.eventTime ?? new Date()).toISOString(),
        eventName: input.eventName ?? 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:LOCALPRINCIPAL' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'LOCAL', 'x-amz-id-2': 'LOCAL' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'churnwatch-local',
          bucket: { name: input.bucket, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${input.bucket}` },
          object: {
            key: encodeS3EventKey(input.key),
            size: input.size,
            // S3 notifications carry the ETag without the quotes of the HTTP header
            eTag: input.eTag.replace(/"/g, ''),
            sequencer: input.sequencer ?? nextSequencer(),
          },
        },
      },
    ],
  };
}

export function s3TestEvent(bucket: string, time = new Date()): S3TestEvent {
  return {
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: time.toISOString(),
    Bucket: bucket,
    RequestId: 'LOCALTESTEVENT',
    HostId: 'LOCAL',
  };
}

/** Like an S3 notification filter: only keys under one of the prefixes are sent. */
export function matchesPrefixes(key: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => key.startsWith(prefix));
}
