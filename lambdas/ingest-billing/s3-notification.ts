import * as z from 'zod';

/** One object-created notification, decoded from the SQS message body S3 sends. */
export interface ObjectCreated {
  bucket: string;
  /** The object key, URL-decoded (S3 encodes keys in notifications, spaces as '+'). */
  key: string;
  size: number;
  eTag: string;
  /** Event time in epoch ms: orders versions of a line across files ("last file wins"). */
  eventTime: number;
  sequencer?: string;
}

const s3Record = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  eventTime: z.iso.datetime({ offset: true }),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().nonnegative().optional(),
      eTag: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const notification = z.object({ Records: z.array(s3Record) });
/** Sent once when a notification configuration is created: nothing to ingest. */
const isTestEvent = (json: unknown) => typeof json === 'object' && json !== null && (json as { Event?: unknown }).Event === 's3:TestEvent';

export class NotificationError extends Error {
  override name = 'NotificationError';
}

/** S3 URL-encodes keys in event notifications, with spaces as '+'. */
export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

/** Parses an SQS message body into the object-created notifications it carries (none for a test event). */
export function parseObjectCreated(body: string): ObjectCreated[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new NotificationError(`SQS message body is not JSON: ${body.slice(0, 200)}`);
  }
  if (isTestEvent(json)) return [];
  const parsed = notification.safeParse(json);
  if (!parsed.success) {
    throw new NotificationError(`SQS message is not an S3 event notification: ${parsed.error.issues[0]?.message ?? ''}`);
  }
  return parsed.data.Records.filter((r) => r.eventName.startsWith('ObjectCreated:')).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeS3Key(r.s3.object.key),
    size: r.s3.object.size ?? 0,
    eTag: (r.s3.object.eTag ?? '').replace(/"/g, ''),
    eventTime: Date.parse(r.eventTime),
    sequencer: r.s3.object.sequencer,
  }));
}
